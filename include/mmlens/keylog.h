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
 * or wrong sizes are reported through the diagnostic callback as
 * "NAME:LINE: key log line skipped: ..." (NAME the file, LINE 1-based)
 * and skipped; the rest is used. Lookups are by the last 8 bytes of
 * `tail` and, for INNER GCM, by `tag`. Lines are capped at 64 KiB. A line
 * in the log's canonical form (known keys, alphanumeric string or
 * true/false values, no whitespace or escapes) is read by a strict
 * scanner; every other line is read by jansson, so each line means
 * exactly what jansson reads in it (jansson_only reads them all with
 * jansson, for the tests that check the two agree).
 *
 * Several files. Each mml_keylog_load / mml_keylog_parse on the same
 * mml_keylog adds one file (up to MML_KEYLOG_MAX_FILES): the
 * instrumentation writes one log per process, OUTER lines from the
 * network process and INNER lines from the main one. Every entry keeps
 * its file (mml_keyent.file, the file's number in load order) and line;
 * lookups see the entries of every file, in load order then line order,
 * and a line present in several files (or twice in one) is found once per
 * copy: decryption uses the first copy that opens its record, and the
 * others count as repeats, not as uses. The stats counters (keylog_lines,
 * keylog_outer, ...) add up over the files. Load every file before the
 * first lookup (a load re-sorts the index and may move entries).
 *
 * Memory. Two representations, giving identical results:
 *  - resident (mml_keylog_parse of a buffer, or mml_keylog_load of a pipe
 *    or other non-regular file, when no file loaded so far was indexed):
 *    every entry decoded in `ent` (about 124 bytes a line) plus two
 *    open-addressing indexes.
 *  - indexed ("mapped"; from the first mml_keylog_load of a regular file
 *    on: the entries of the files loaded before move into it, and every
 *    file after it, pipes and buffers too, goes to it): each file is read
 *    once, a line at a time through a fixed buffer, to validate every
 *    line (same diagnostics and counts). Memory keeps only a compact
 *    index: per valid line 16 bytes (32 bits of the lookup key's hash,
 *    the line number, the entry's place in the spool, its file, layer,
 *    direction and a "used" bit) sorted by hash, with a bucket directory
 *    of 1/64 byte a line, and the same for the lines with a tag. The index
 *    sits in address space reserved for the most lines the files could
 *    hold, committed as written and given huge pages when the kernel
 *    allows. The decoded entries of all the files go to one spool, in
 *    load order: an unlinked temp file of our own (tmpfile(): mode 0600,
 *    in /tmp), mapped read-only once a file is read; no one else can
 *    change or cut it, so the key logs themselves may change after
 *    loading. A lookup hit copies its entry from the spool into a
 *    per-thread scratch entry; the spool pages lookups touched are dropped
 *    from the process (madvise MADV_DONTNEED; the page cache keeps them)
 *    every 64 newly touched 64 KiB windows. So the key log costs about 16
 *    bytes of memory a valid line plus a few MiB of spool, and about 60
 *    bytes of temp file a valid line.
 *
 * Lookups (mml_keylog_find_tail/_tag) may run from several threads at
 * once. The entry they return is valid until the same thread's next
 * lookup on any mapped key log (forever for a resident one); count a use
 * with mml_keylog_use.
 */
#ifndef MMLENS_KEYLOG_H
#define MMLENS_KEYLOG_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "mmlens/err.h"
#include "mmlens/stats.h"

typedef enum mml_layer { MML_LAYER_OUTER = 0, MML_LAYER_INNER = 1 } mml_layer;

/* Files one mml_keylog can hold (mml_keyent.file and the index's file bits). */
#define MML_KEYLOG_MAX_FILES 4096

typedef struct mml_keyent {
	uint32_t line;       /* 1-based line in its file */
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
	uint16_t file;       /* its file: 0 .. nfiles-1, in load order (mml_keylog_file_stats) */
	uint32_t id;         /* the entry's number in the key log (0 .. n-1): its "used" bit */
} mml_keyent;

/* Open-addressing index slot (resident key log): the 8 key bytes and
 * entry index + 1, so a lookup that misses never touches the entries. */
typedef struct __attribute__((packed)) mml_keyslot {
	uint64_t k;
	uint32_t v;
} mml_keyslot;

/* Compact index entry (mapped key log): h is 32 bits of the lookup key's
 * hash, line the line number in its file, w = spool offset << 24 |
 * used << 23 | file << 9 | length << 2 | layer << 1 | client (the
 * entry's place and size in the spool, which holds the files one after
 * the other; the used bit is set atomically). */
typedef struct mml_keyidx {
	uint32_t h, line;
	uint64_t w;
} mml_keyidx;

/* The entries sorted by h, then spool offset (load order: file, then
 * line); dir[b] is the first entry whose h has top `bits` bits b (about
 * 256 entries a bucket, so the directory stays in cache; a lookup
 * interpolates inside the bucket). */
typedef struct mml_keyidx_tab {
	mml_keyidx *e;
	size_t n, alloc;
	uint32_t *dir;
	unsigned bits;
	void *mem;           /* e's reserved mapping (huge pages when the kernel gives them), or NULL: malloc'd */
	size_t mem_len;
	bool dir_inline;     /* dir lies in mem, after the entries */
	uint64_t *filt;      /* a blocked Bloom filter over the hashes (2 bits per entry in one word), or NULL */
	unsigned filt_shift; /* word of hash h: h >> filt_shift */
} mml_keyidx_tab;

/* One loaded file. */
typedef struct mml_keylog_file {
	char *name;          /* as given to load/parse (diagnostics) */
	size_t lines;        /* its valid lines (entries) */
	size_t bad_lines;    /* its skipped lines */
	size_t first;        /* resident: the id of its first entry (its entries are first .. first+lines-1) */
} mml_keylog_file;

typedef struct mml_keylog {
	size_t n;            /* valid lines (entries) of all files, either representation */
	size_t bad_lines;    /* skipped lines of all files */
	mml_keylog_file *files; /* in load order */
	size_t nfiles, files_alloc;
	bool jansson_only;   /* read every line with jansson (tests: the fast reader must agree) */
	/* resident */
	uint64_t *used;      /* one bit per entry (by id), set atomically */
	size_t used_n;       /* entries `used` covers */
	mml_keyent *ent;
	size_t alloc;
	mml_keyslot *idx;    /* last 8 bytes of tail -> entry */
	size_t idx_size;
	mml_keyslot *tagidx; /* last 8 bytes of tag -> entry */
	size_t tagidx_size;
	/* mapped */
	bool mapped;         /* indexed: entries spooled to a private temp file, mapped */
	FILE *spool;         /* the spool (unlinked, 0600) */
	const uint8_t *recs; /* its entries (compact, see keylog.c), mapped read-only after loading */
	size_t recs_len;     /* bytes of recs mapped (0 while a file is read) */
	size_t spool_len;    /* bytes in the spool */
	unsigned long touched; /* 64 KiB windows of recs touched by lookups (atomic) */
	mml_keyidx_tab tails; /* id = position here */
	mml_keyidx_tab tags;
} mml_keylog;

void mml_keylog_init(mml_keylog *kl);
void mml_keylog_free(mml_keylog *kl);
/*
 * Add a whole key log text as a file named `name` in diagnostics and file
 * stats (resident, unless a regular file was loaded before). Bad lines
 * are reported and skipped. MML_E_LIMIT past MML_KEYLOG_MAX_FILES files
 * (nothing added); after MML_E_NOMEM the key log may only be freed.
 */
mml_err mml_keylog_parse(mml_keylog *kl, const char *text, size_t n, mml_diag_fn diag, void *dctx,
                         const char *name, mml_stats *st);
/*
 * Add a key log file (the first regular file makes the key log mapped).
 * Call it once per file: two -k options are two calls on the same
 * mml_keylog. MML_E_IO when it cannot be opened (nothing added) or on a
 * read error (the file is listed, the lines before the error stay
 * added); MML_E_LIMIT past MML_KEYLOG_MAX_FILES files (nothing added);
 * after MML_E_NOMEM the key log may only be freed.
 */
mml_err mml_keylog_load(mml_keylog *kl, const char *path, mml_diag_fn diag, void *dctx, mml_stats *st);
/*
 * Find entries whose tail ends with the 8 bytes `tail8`. Iterate with
 * *it = 0 first; returns NULL when done. Matches come in load order:
 * file by file, each in line order.
 */
const mml_keyent *mml_keylog_find_tail(const mml_keylog *kl, mml_layer layer, const uint8_t tail8[8], size_t *it);
/*
 * Whether some line of `layer` has this tail: mml_keylog_find_tail() !=
 * NULL, answered mostly from the filter when none has (the usual case for
 * a record whose connection key is already known).
 * mml_keylog_prefetch_tail() starts fetching what that answer reads (and
 * with `entries`, what a lookup that finds a line reads too), so that a
 * caller can do other work (a decryption, the record before) while it
 * arrives; it is only a hint.
 */
bool mml_keylog_has_tail(const mml_keylog *kl, mml_layer layer, const uint8_t tail8[8]);
void mml_keylog_prefetch_tail(const mml_keylog *kl, const uint8_t tail8[8], bool entries);
const mml_keyent *mml_keylog_find_tag(const mml_keylog *kl, const uint8_t tag[16], size_t *it);
/* Count a use of e (from a lookup); true the first time its line is used. Thread-safe. */
bool mml_keylog_use(const mml_keylog *kl, const mml_keyent *e);
/* Entry `id` (0 .. n-1; load order for a resident key log, index order
 * for a mapped one) into *out; false if it cannot be read. */
bool mml_keylog_get(const mml_keylog *kl, size_t id, mml_keyent *out);
/* Two entries equal member by member (memcmp would also compare the
 * padding of mml_keyent, which struct copies need not keep). */
bool mml_keyent_eq(const mml_keyent *a, const mml_keyent *b);

/* The files loaded (listed even when their load failed part way). */
size_t mml_keylog_nfiles(const mml_keylog *kl);
/*
 * File i (0 .. nfiles-1, load order): its name, its valid lines, and how
 * many of them decryption used, counting a line that repeats a used line
 * (same layer, key and tail, in any file) as used: *lines - *used is what
 * mml_keylog_unused_in reports for it, and *used == 0 means that no line
 * of the file matched any record or message. Any out pointer may be NULL;
 * an i out of range gives NULL and 0s. Call it after the lookups (it reads
 * every entry's used bit: O(entries)).
 */
void mml_keylog_file_stats(const mml_keylog *kl, size_t i, const char **name, size_t *lines, size_t *used);
/*
 * Lines of file i that no lookup used. Returns how many, not counting
 * repeats of a used line (same layer, key and tail, in any file), which
 * go to *repeats; first[] gets the lowest up to nfirst of their line
 * numbers (in file i), ascending. An i out of range gives 0.
 */
size_t mml_keylog_unused_in(const mml_keylog *kl, size_t i, uint32_t *first, size_t nfirst, size_t *repeats);
/*
 * The same over every file: the counts added up, first[] filled file by
 * file in load order (with one file: exactly mml_keylog_unused_in(kl, 0,
 * ...); with several, use mml_keylog_unused_in to name the file).
 */
size_t mml_keylog_unused(const mml_keylog *kl, uint32_t *first, size_t nfirst, size_t *repeats);

#endif
