/*
 * src/mmtls/conn_int.h - private to the connection driver (conn.c: the
 * context, outer decryption, longlink records, the flow callbacks;
 * conn_http.c: shortlink and plain HTTP framing). Contract of the whole
 * in include/mmlens/conn.h.
 */
#ifndef MMLENS_MMTLS_CONN_INT_H
#define MMLENS_MMTLS_CONN_INT_H

#include "mmlens/conn.h"
#include "mmlens/crypto.h"
#include "mmlens/util.h"

#define DIR_BUF_CAP (70 * 1024)
#define HTTP_BODY_CAP (16u << 20)
#define MAX_DIR_KEYS 4
#define RESYNC_SEQ_WINDOW 8

enum { ST_DETECT, ST_RECORDS, ST_HTTP_HEAD, ST_HTTP_BODY, ST_OTHER };

typedef struct dir_key {
	uint8_t key[16];
	uint8_t base[12];
	uint32_t line;
} dir_key;

typedef struct dir_state {
	int state;
	mml_buf buf;           /* stream bytes not parsed yet: HTTP head, longlink record */
	mml_buf rbuf;          /* an unfinished record inside an HTTP body */
	uint64_t seq;          /* next record's sequence number */
	int resync;            /* after a gap: scan for a record header */
	uint64_t pending_gap;  /* bytes lost since the last record */
	dir_key keys[MAX_DIR_KEYS];
	int nkeys;
	uint64_t ts, pkt;      /* of the latest delivered bytes */
	uint64_t first_pkt;    /* packet where the next unit's first byte arrived */
	/* HTTP */
	int http_mmtls;        /* the body carries MMTLS records */
	int chunked;           /* the body is chunked: ck decodes its framing */
	mml_http_chunked ck;
	uint64_t body_left;    /* Content-Length bytes left */
	int body_to_close;     /* body ends when the connection closes */
	char method[16], path[512], host[256];
	int status;
	mml_buf body;          /* plain HTTP body */
	uint64_t body_gap;
} dir_state;

typedef struct conn {
	mml_transport transport;
	int transport_known;
	dir_state d[2];
} conn;

/*
 * A longlink can be idle for longer than the flow table's idle timeout (a
 * phone in the background), or be pushed out of a full table, and then go
 * on: the flow table sees a new flow, picked up mid-stream, with no
 * handshake. Its keys and sequence numbers are parked when the flow ends
 * that way and given back to the next flow on the same 4-tuple that does
 * not start with a SYN. A direct-mapped table: a collision loses the
 * older state (the records are then counted as without a key, as before).
 */
#define PARK_SLOTS 1024
typedef struct parked {
	mml_addr client, server;
	int used;
	struct {
		dir_key keys[MAX_DIR_KEYS];
		int nkeys;
		uint64_t seq;
	} d[2];
} parked;

struct mml_mmtls_ctx {
	const mml_keylog *kl;
	mml_conn_cbs cbs;
	mml_stats *st;
	/* one per direction: a connection's requests and responses have their
	 * own keys, and a context keeps its key schedule while the key holds */
	mml_aead aead[2];
	/* records (of any connection) whose direction's key was known: with a
	 * line of their own (a dense key log) or without (a sparse one, as the
	 * bench's); they only choose the order of tries */
	uint64_t known_lined, known_unlined;
	parked *park;          /* PARK_SLOTS, allocated on the first use, or NULL */
	uint8_t scratch[65536 + 64]; /* the last member: not zeroed (mml_mmtls_new) */
};

/* conn.c */
void mml_conn_outer_base(const mml_flow *f, int dir, const conn *c, const dir_state *d, mml_outer *o);
/* A record cut short (p[0..n) its bytes so far): counted, and handed on as truncated. */
void mml_conn_record_lost(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir, const uint8_t *p, size_t n,
                          const char *why);
/* Records from p[0..n); returns the bytes consumed (an incomplete record stays). */
size_t mml_conn_eat_records(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir, const uint8_t *p, size_t n,
                            int final);

/* conn_http.c */
/* Do p[0..n) start an HTTP message? 1 yes, 0 no, -1 too few bytes to tell. */
int mml_conn_looks_http(const uint8_t *p, size_t n);
/* A parsed head starts the direction's body (ST_HTTP_BODY). */
void mml_conn_http_start(mml_mmtls_ctx *m, conn *c, int dir, const mml_http_head *h);
/* ST_HTTP_BODY: body framing from p[0..n); returns the bytes consumed. */
size_t mml_conn_http_body(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir, const uint8_t *p, size_t n);
/* Does the body end here, with no more bytes (a zero length)? */
bool mml_conn_http_body_done(const dir_state *d);
/* nbytes of the stream lost inside an HTTP body. */
void mml_conn_http_gap(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir, uint64_t nbytes);
/* The connection closed inside an HTTP body. */
void mml_conn_http_close(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir);

#endif
