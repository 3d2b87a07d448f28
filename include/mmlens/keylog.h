/*
 * mmlens/keylog.h - the published instrumentation key log (stage 1 input,
 * used by stages 2 and 3).
 *
 * Format: one JSON object per line (see docs/FORMATS.md, "Key log"):
 *   {"layer":"OUTER"|"INNER","encrypt":bool,"key":hex,
 *    "nonce":hex | "iv":hex, "metadata":hex, "tail":hex, "tag":hex}
 * OUTER: AES-128-GCM record key; metadata = 8-byte sequence number ||
 * 5-byte record header. INNER: a 16-byte key (AES-128-CBC, IV = key) or a
 * 24-byte key with iv/metadata(AAD)/tag (AES-192-GCM hybrid).
 *
 * Contract: lines that are not valid JSON, lack a field, or carry bad hex
 * or wrong sizes are reported through the diagnostic callback with their
 * 1-based line number and skipped; the rest is used. Lookups are by the
 * last 8 bytes of `tail` and, for INNER GCM, by `tag`. Reading is a line
 * at a time (each capped at 64 KiB), so memory is the entries (about 130
 * bytes a line) and their index, not the file. A line in the log's
 * canonical form (known keys, alphanumeric string or true/false values,
 * no whitespace or escapes) is read by a strict scanner; every other line
 * is read by jansson, so each line means exactly what jansson reads in
 * it (jansson_only reads them all with jansson, for the tests that check
 * the two agree).
 */
#ifndef MMLENS_KEYLOG_H
#define MMLENS_KEYLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmlens/err.h"
#include "mmlens/stats.h"

typedef enum mml_layer { MML_LAYER_OUTER = 0, MML_LAYER_INNER = 1 } mml_layer;

typedef struct mml_keyent {
	uint32_t line;       /* 1-based line in the key log */
	uint8_t layer;       /* mml_layer */
	bool client;         /* "encrypt": true = sent by the client */
	uint8_t keylen;      /* 16 or 24 */
	uint8_t key[24];
	uint8_t nonce_len;   /* 12 for GCM nonces; 16 for CBC IVs; 0 if absent */
	uint8_t nonce[16];
	uint8_t meta_len;
	uint8_t meta[32];    /* OUTER: AAD (13 bytes); INNER GCM: AAD (32) */
	uint8_t tail_len;
	uint8_t tail[16];
	bool has_tag;
	uint8_t tag[16];
	uint32_t uses;       /* records/messages this line decrypted (updated atomically) */
} mml_keyent;

/* Open-addressing index slot: the 8 key bytes and entry index + 1, so a
 * lookup that misses never touches the entries. */
typedef struct __attribute__((packed)) mml_keyslot {
	uint64_t k;
	uint32_t v;
} mml_keyslot;

typedef struct mml_keylog {
	mml_keyent *ent;
	size_t n, alloc;
	mml_keyslot *idx;    /* last 8 bytes of tail -> entry */
	size_t idx_size;
	mml_keyslot *tagidx; /* last 8 bytes of tag -> entry */
	size_t tagidx_size;
	size_t bad_lines;
	bool jansson_only;   /* read every line with jansson (tests: the fast reader must agree) */
} mml_keylog;

void mml_keylog_init(mml_keylog *kl);
void mml_keylog_free(mml_keylog *kl);
/* Parse a whole key log text. Bad lines are reported and skipped. */
mml_err mml_keylog_parse(mml_keylog *kl, const char *text, size_t n, mml_diag_fn diag, void *dctx,
                         const char *name, mml_stats *st);
mml_err mml_keylog_load(mml_keylog *kl, const char *path, mml_diag_fn diag, void *dctx, mml_stats *st);
/*
 * Find entries whose tail ends with the 8 bytes `tail8`. Iterate with
 * *it = 0 first; returns NULL when done.
 */
mml_keyent *mml_keylog_find_tail(const mml_keylog *kl, mml_layer layer, const uint8_t tail8[8], size_t *it);
mml_keyent *mml_keylog_find_tag(const mml_keylog *kl, const uint8_t tag[16], size_t *it);

#endif
