/*
 * mmlens/envelope.h - the business layer (stage 4): the request envelope,
 * the longlink packet header, the 0xbf business header, inner decryption
 * (AES-128-CBC or AES-192-GCM "hybrid"), zlib, and the request-type
 * catalog. Produces the final `mml_msg` of each exchange.
 *
 * Formats (docs/FORMATS.md):
 *  shortlink request:  total_len(4) | uri_len(2) uri | host_len(2) host |
 *                      rest_len(4) | business header | ciphertext
 *  shortlink response: business header | ciphertext
 *  longlink packet:    pkt_len(4) | hdr_len(2)=16 | version(2) | cmd(4) |
 *                      seq(4) | body (a business packet, or plain)
 *  business header:    0xbf | hdr_len<<2 | compress(2 bits) |
 *                      algo<<4 | cookie_len | client_version(4) | uin(4) |
 *                      cookie(cookie_len) | varints: req_type, raw_len,
 *                      compressed_len, ... up to hdr_len bytes
 *  algo 5: AES-128-CBC, IV = key, PKCS#7. algo 12/13: protobuf whose
 *  length-delimited fields hold AES-192-GCM blobs ct | iv(12) | tag(16).
 *
 * Contract: parsing is zero-copy over the caller's bytes; the header
 * length says where the ciphertext starts (no marker search). The
 * processor owns one scratch/output buffer reused for every message, so
 * a message's body is valid only during the on_msg callback.
 */
#ifndef MMLENS_ENVELOPE_H
#define MMLENS_ENVELOPE_H

#include <stdbool.h>
#include <stdint.h>

#include "mmlens/conn.h"
#include "mmlens/keylog.h"
#include "mmlens/util.h"

#define MML_ENV_MAX_VARINTS 8

typedef struct mml_bizhdr {
	uint8_t hdr_len;
	uint8_t compress;      /* low 2 bits of byte 1: 1 compressed, 2 not */
	uint8_t algo;          /* high nibble of byte 2 */
	uint8_t cookie_len;    /* low nibble of byte 2 */
	uint32_t client_version;
	uint32_t uin;
	const uint8_t *cookie;
	uint8_t nvarints;
	uint64_t varints[MML_ENV_MAX_VARINTS]; /* [0] request type, [1] raw length, [2] compressed length */
	const uint8_t *raw;    /* the whole header */
} mml_bizhdr;

typedef struct mml_envelope {
	bool has_prefix;       /* shortlink request prefix present */
	uint32_t total_len, rest_len;
	const char *uri; uint16_t uri_len;
	const char *host; uint16_t host_len;
	bool has_longlink;     /* longlink packet header present */
	uint32_t ll_len, ll_cmd, ll_seq;
	uint16_t ll_hdr_len, ll_version;
	bool has_biz;
	mml_bizhdr biz;
	const uint8_t *payload; size_t payload_len; /* after all headers */
} mml_envelope;

/* Parse: `kind` says which prefix to expect. */
typedef enum mml_env_kind { MML_ENV_SHORT_REQ, MML_ENV_SHORT_RESP, MML_ENV_LONGLINK } mml_env_kind;
mml_err mml_envelope_parse(const uint8_t *p, size_t n, mml_env_kind kind, mml_envelope *env);
mml_err mml_bizhdr_parse(mml_cur *c, mml_bizhdr *h);

/*
 * Request type -> API path catalog with provenance (docs/CATALOG.md):
 *   #source KEY<TAB>description
 *   id<TAB>api[<TAB>source[<TAB>confidence[<TAB>note]]]     or   id,api
 * '#' comments; source is comma-separated declared keys (the first is the
 * primary one); confidence is high, medium or low. Entries stay sorted by
 * id; a later entry for an id replaces the earlier one with its provenance.
 * Strings are owned by the catalog and live until mml_catalog_free.
 */
typedef enum mml_cat_conf {
	MML_CAT_CONF_NONE = 0, /* the line gave no confidence */
	MML_CAT_CONF_LOW,      /* inferred */
	MML_CAT_CONF_MEDIUM,   /* one decompiled source, or the published list alone */
	MML_CAT_CONF_HIGH      /* real traffic with its URI, or independent sources agree */
} mml_cat_conf;

typedef struct mml_cat_src {
	char *key;             /* [A-Za-z0-9._-], at most 32 bytes */
	char *desc;            /* repo@commit path, or URL, and what was read there */
} mml_cat_src;

typedef struct mml_cat_ent {
	uint32_t id;
	char *api;
	char *source;            /* the keys as written ("qq8019,wx704"); NULL: none */
	const char *source_desc; /* description of the first key; NULL: none */
	mml_cat_conf confidence;
} mml_cat_ent;

typedef struct mml_catalog {
	mml_cat_ent *ent;      /* sorted by id, ids unique */
	size_t n, alloc;
	mml_cat_src *src;      /* declared sources, in declaration order */
	size_t nsrc, asrc;
	size_t bad_lines;      /* lines skipped by every parse so far */
	uint32_t *byapi;       /* entry positions sorted by (api, id), rebuilt by every parse */
} mml_catalog;

void mml_catalog_init(mml_catalog *c);
void mml_catalog_free(mml_catalog *c);
/* Add entries from text (`name` labels diagnostics); later entries override
 * earlier ones. Bad lines are reported through diag as
 * "name:LINE: catalog line skipped: reason" and skipped; only MML_E_NOMEM
 * and MML_E_LIMIT fail. */
mml_err mml_catalog_parse(mml_catalog *c, const char *text, size_t n, const char *name, mml_diag_fn diag,
                          void *dctx);
mml_err mml_catalog_load(mml_catalog *c, const char *path, mml_diag_fn diag, void *dctx);
/* The catalog built into the binary (data/request_types.tsv). */
mml_err mml_catalog_load_builtin(mml_catalog *c);
const char *mml_catalog_lookup(const mml_catalog *c, uint64_t id);
/* The request type of an API path: the lowest id the catalog gives it
 * (several ids can name one API); -1 when none. O(log n). */
int64_t mml_catalog_id_of(const mml_catalog *c, const char *api);
/* The whole entry for an id (api, provenance), or NULL. */
const mml_cat_ent *mml_catalog_entry(const mml_catalog *c, uint64_t id);
/* The description of a declared source key, or NULL. */
const char *mml_catalog_source_desc(const mml_catalog *c, const char *key);
/* "high", "medium", "low"; "" for MML_CAT_CONF_NONE. */
const char *mml_cat_conf_name(mml_cat_conf conf);

typedef enum mml_inner { MML_INNER_NONE = 0, MML_INNER_CBC, MML_INNER_GCM } mml_inner;
const char *mml_inner_name(mml_inner i);

typedef enum mml_inflate_state { MML_INF_NONE = 0, MML_INF_OK, MML_INF_CAPPED, MML_INF_ERROR } mml_inflate_state;

/* One decrypted part of a hybrid body (a GCM blob in field `field`). */
typedef struct mml_part {
	uint32_t field;
	uint32_t keylog_line;
	const uint8_t *data;
	size_t len;
} mml_part;
#define MML_MAX_PARTS 6

typedef struct mml_msg {
	uint64_t id;                /* 1-based message index in the output */
	const mml_outer *outer;     /* transport, flow, time, outer status */
	mml_status status;
	const char *detail;
	const mml_envelope *env;    /* NULL when nothing parsed */
	const char *uri;            /* envelope URI or HTTP path */
	const char *host;
	int64_t req_type;           /* -1 unknown */
	const char *api;            /* catalog or URI; NULL unknown */
	mml_inner inner;
	mml_keysrc inner_key_source;
	uint32_t inner_keylog_line;
	mml_inflate_state inflate;
	bool compressed;
	const uint8_t *body;        /* final plaintext; NULL when none */
	size_t body_len;
	size_t nparts;
	mml_part parts[MML_MAX_PARTS];
} mml_msg;

/*
 * Session keys learned by account (uin), shared by the pipelines of
 * --jobs so that a key learned on one worker's flow opens the account's
 * messages on the others (thread-safe).
 */
typedef struct mml_uinkeys mml_uinkeys;
mml_uinkeys *mml_uinkeys_new(void);
void mml_uinkeys_free(mml_uinkeys *u);

typedef struct mml_envproc_cfg {
	size_t max_body;            /* inflate cap, bytes */
	mml_uinkeys *shared_uin;    /* optional: share learned session keys between pipelines */
	uint64_t *shared_ids;       /* optional: message ids from a shared counter (atomic) */
} mml_envproc_cfg;

typedef struct mml_envproc mml_envproc;
typedef void (*mml_msg_fn)(void *ctx, const mml_msg *m);

mml_envproc *mml_envproc_new(const mml_envproc_cfg *cfg, const mml_keylog *kl, const mml_catalog *cat,
                             mml_stats *st, mml_msg_fn fn, void *ctx);
void mml_envproc_free(mml_envproc *p);
/* Process one outer unit; calls fn once with the resulting message. */
void mml_envproc_outer(mml_envproc *p, const mml_outer *o);

/*
 * Instrumentation plaintext logs (the published format, docs/FORMATS.md):
 * one JSON object per line with "data" (hex of the body, zlib when it
 * starts 78, may be empty), "req_id" (request type) and "req_type" (API
 * path or null). Read as a stream, line by line (a line is capped at
 * 64 MiB). Each line becomes an mml_msg with id = line number, outer =
 * a zeroed mml_outer (no transport, flow or time), status "plaintext",
 * api from the line or the catalog; the body is inflated when it starts
 * 78 with a valid zlib header (capped at max_body). A bad line is
 * reported through diag with its number and skipped, and counted
 * (mml_plainlog_bad_lines).
 */
typedef struct mml_plainlog mml_plainlog;
/* path "-" reads stdin. NULL on error (errno set; diag told why). */
mml_plainlog *mml_plainlog_open(const char *path, const mml_catalog *cat, size_t max_body, mml_diag_fn diag,
                                void *dctx);
/* Read an open stream (not closed by mml_plainlog_close); `name` is used in messages. */
mml_plainlog *mml_plainlog_open_stream(FILE *f, const char *name, const mml_catalog *cat, size_t max_body,
                                       mml_diag_fn diag, void *dctx);
/* Next message: MML_OK with *m filled (views valid until the next call), MML_E_END at the end. */
mml_err mml_plainlog_next(mml_plainlog *l, mml_msg *m);
uint64_t mml_plainlog_bad_lines(const mml_plainlog *l);
void mml_plainlog_close(mml_plainlog *l);

#endif
