/*
 * mmlens/conn.h - per-connection MMTLS driver (stage 3, outer): turns the
 * reassembled byte streams of a TCP flow into records and outer
 * plaintexts, for longlink, shortlink and plain HTTP.
 *
 * Contract: every record seen is counted in exactly one of the
 * mml_stats.records_* outcomes. Each application-data record, and each
 * plain HTTP request or response, becomes one `mml_outer` handed to
 * `on_outer`; undecryptable ones are handed over too, with their status,
 * so that nothing is dropped silently. Plaintext hellos go to `on_hello`.
 * Views in the callbacks are valid only during the call.
 *
 * Keys: a record's key is found in the key log by its last 8 bytes; its
 * logged nonce and sequence number give the direction's base IV, which
 * then opens the direction's later records with no line of their own
 * (the nonce is base IV XOR sequence number, as in TLS 1.3).
 */
#ifndef MMLENS_CONN_H
#define MMLENS_CONN_H

#include "mmlens/flow.h"
#include "mmlens/keylog.h"
#include "mmlens/mmtls.h"

typedef enum mml_status {
	MML_ST_DECRYPTED = 0,
	MML_ST_PLAINTEXT,
	MML_ST_NO_KEY,
	MML_ST_AUTH_FAILED,
	MML_ST_TRUNCATED,
	MML_ST_INNER_NO_KEY,
	MML_ST_INNER_FAILED,
	MML_ST_MALFORMED,
	MML_ST__COUNT
} mml_status;

const char *mml_status_name(mml_status s);

typedef enum mml_transport { MML_TR_LONGLINK = 0, MML_TR_SHORTLINK, MML_TR_HTTP } mml_transport;
const char *mml_transport_name(mml_transport t);

typedef enum mml_keysrc { MML_KEY_NONE = 0, MML_KEY_LOGGED, MML_KEY_INFERRED } mml_keysrc;

typedef struct mml_outer {
	const mml_flow *flow;
	int dir;                 /* 0 request (client->server), 1 response */
	mml_transport transport;
	uint64_t ts_us, pkt;     /* time and number of the packet that completed it */
	uint64_t pkt_first;      /* number of the packet carrying its first byte */
	mml_status status;
	const char *detail;      /* why, when status is not decrypted/plaintext */
	uint8_t rec_type;
	uint64_t rec_seq;        /* sequence number used (MMTLS only) */
	mml_keysrc key_source;
	uint32_t keylog_line;    /* logged line that gave the key (0 = none) */
	const uint8_t *data;     /* outer plaintext or HTTP body; NULL if none */
	size_t len;
	/* HTTP head of the exchange carrying it (shortlink and http) */
	const char *http_method, *http_path, *http_host;
	int http_status;
	uint64_t gap_bytes;      /* bytes lost inside this unit */
} mml_outer;

typedef struct mml_conn_cbs {
	void *ctx;
	void (*on_outer)(void *ctx, const mml_outer *o);
	void (*on_hello)(void *ctx, const mml_flow *f, int dir, mml_transport tr, uint64_t ts_us, uint64_t pkt,
	                 const mml_hello *h, mml_err parse_err);
} mml_conn_cbs;

/*
 * A most-recently-used list of keys (a direction's outer keys here, an
 * account's inner session keys in envelope): arr holds *n entries of
 * `elem` bytes (at most max), each opening with its 16-byte key. `ent`
 * (not inside arr) goes to the front: it replaces the entry with its key,
 * or is added, the last entry dropped when the list is full; the entries
 * before its place move back by one.
 */
void mml_keys_front(void *arr, size_t elem, int *n, int max, const void *ent);

typedef struct mml_mmtls_ctx mml_mmtls_ctx;

mml_mmtls_ctx *mml_mmtls_new(const mml_keylog *kl, const mml_conn_cbs *cbs, mml_stats *st);
void mml_mmtls_free(mml_mmtls_ctx *m);
/* Flow callbacks to plug into mml_flowtab (ctx = the mml_mmtls_ctx). */
void mml_mmtls_flow_cbs(mml_mmtls_ctx *m, mml_flow_cbs *out);

#endif
