/*
 * mmlens/mmtls.h - MMTLS record layer (stage 3, outer): record framing,
 * plaintext handshake parsing, shortlink HTTP framing, outer AES-128-GCM.
 *
 * Format (docs/FORMATS.md, after the published wire-format notes of the
 * 2024 WeChat MMTLS study): a record is
 *     type(1) | f1 04 | length(2, big endian) | body(length)
 * with type 0x15 alert, 0x16 handshake, 0x17 application data, 0x19 0-RTT
 * handshake/early data. Records travel as a raw TCP byte stream
 * (longlink) or inside HTTP/1.1 `POST /mmtls/<hex>` bodies (shortlink).
 * Encrypted records are AES-128-GCM with a 16-byte tag at the end; the AAD
 * is the 8-byte big-endian record sequence number (per direction, the
 * plaintext hello = 0) followed by the 5-byte header; the nonce is the
 * per-connection base IV XOR the sequence number in its last 8 bytes.
 *
 * Contract: the record parser returns MML_E_INCOMPLETE for a prefix of a
 * valid record and MML_E_MALFORMED for bytes that cannot start one. Views
 * point into the caller's buffer.
 */
#ifndef MMLENS_MMTLS_H
#define MMLENS_MMTLS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mmlens/cursor.h"
#include "mmlens/err.h"
#include "mmlens/util.h"

enum {
	MML_REC_ALERT = 0x15,
	MML_REC_HANDSHAKE = 0x16,
	MML_REC_DATA = 0x17,
	MML_REC_EARLY = 0x19,
};
#define MML_REC_HDR 5
#define MML_REC_TAG 16

typedef struct mml_rec {
	uint8_t type;
	uint16_t version;   /* 0xf104 */
	uint16_t len;       /* body length */
	const uint8_t *hdr; /* 5 header bytes */
	const uint8_t *body;
} mml_rec;

/* Parse one record at the cursor (moves past it on MML_OK). */
mml_err mml_rec_parse(mml_cur *c, mml_rec *r);
/* Could these bytes start a record? (resynchronisation after a gap) */
bool mml_rec_plausible(const uint8_t *p, size_t n);

/* Plaintext ClientHello / ServerHello. */
#define MML_HELLO_MAX_SUITES 16
#define MML_HELLO_MAX_KEYS 4
#define MML_HELLO_MAX_TICKETS 4
#define MML_HELLO_MAX_EXT 12

typedef struct mml_hello_ticket {
	uint8_t type;
	uint32_t lifetime;
	uint16_t age_add;
	const uint8_t *nonce;
	uint16_t nonce_len;
	const uint8_t *ticket;
	uint16_t ticket_len;
} mml_hello_ticket;

typedef struct mml_hello_key {
	uint32_t index;
	const uint8_t *key;
	uint16_t key_len;
} mml_hello_key;

typedef struct mml_hello {
	uint8_t msg_type;  /* 1 ClientHello, 2 ServerHello */
	uint16_t version;  /* bytes after the type, e.g. 0x04f1 */
	uint8_t nsuites;
	uint16_t suites[MML_HELLO_MAX_SUITES];
	const uint8_t *random; /* 32 bytes */
	uint32_t timestamp;    /* ClientHello only */
	bool has_timestamp;
	uint8_t next;          /* extensions found */
	uint16_t ext_types[MML_HELLO_MAX_EXT];
	uint8_t ntickets;
	mml_hello_ticket tickets[MML_HELLO_MAX_TICKETS];
	uint8_t nkeys;
	mml_hello_key keys[MML_HELLO_MAX_KEYS];
	mml_err ext_err;       /* MML_OK, or why the extensions stopped parsing */
} mml_hello;

/* Parse the body of a plaintext handshake record. */
mml_err mml_hello_parse(const uint8_t *body, size_t n, mml_hello *h);
/* The hello's fields as members of the JSON object open in w (util.h). */
void mml_hello_write_jw(const mml_hello *h, mml_jw *w);
/* The hello as one JSON object and a newline. */
void mml_hello_write_json(const mml_hello *h, FILE *f);

/* Shortlink / plain HTTP message head (zero-copy views). */
typedef struct mml_http_head {
	bool is_request;
	const char *method; size_t method_len;
	const char *path; size_t path_len;
	int status;
	const char *host; size_t host_len;
	bool chunked;
	bool has_length;
	uint64_t content_length;
	bool upgrade_mmtls;
	size_t head_len;    /* bytes up to and including the blank line */
} mml_http_head;

/*
 * Parse an HTTP/1.x request or status line and headers. MML_E_INCOMPLETE
 * when the blank line has not arrived yet, MML_E_MALFORMED otherwise.
 */
mml_err mml_http_head_parse(const uint8_t *p, size_t n, mml_http_head *h);

/*
 * Chunked transfer coding (RFC 9112 section 7.1), decoded as a stream,
 * after picohttpparser's phr_decode_chunked but zero-copy:
 *     chunked-body = *chunk last-chunk trailer-section CRLF
 *     chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 * The decoder keeps its place in the framing between calls, mid-line
 * too, so bytes may arrive split anywhere and nothing is buffered.
 * chunk-size is hex (mml_hex_digit): leading zeros are free, a value past
 * 2^64 - 1 is refused. After the digits comes BWS, ';' or the line end;
 * the chunk extension and the trailer fields are skipped. A size or
 * trailer line may hold at most MML_HTTP_CHUNK_LINE_MAX bytes before its
 * LF; a bare LF ends a line as CRLF does.
 *
 * mml_http_chunked_next() reads from the cursor and returns
 *   MML_OK             *data, *len: the next piece of chunk-data (len > 0),
 *                      a view into the cursor's bytes; the cursor is past it;
 *   MML_E_END          the body is complete (last chunk, trailers, blank
 *                      line); the cursor is just after it: what follows
 *                      is the next message (and END again on a new call);
 *   MML_E_INCOMPLETE   every byte of the cursor was framing and was taken
 *                      in: call again with the bytes that follow;
 *   MML_E_MALFORMED    not chunked framing; the cursor is at the byte that
 *                      broke it, and the decoder stays in this state.
 */
#define MML_HTTP_CHUNK_LINE_MAX 1024

typedef struct mml_http_chunked {
	uint8_t state;   /* where in the framing (internal) */
	bool digits;     /* a hex digit of the size was read */
	uint16_t line;   /* bytes of the current size or trailer line */
	uint64_t size;   /* the size being read */
	uint64_t left;   /* chunk-data bytes still to come (0 outside chunk-data) */
} mml_http_chunked;

void mml_http_chunked_init(mml_http_chunked *ch);
mml_err mml_http_chunked_next(mml_http_chunked *ch, mml_cur *c, const uint8_t **data, size_t *len);

/* Outer decryption of one record: nonce = base_iv XOR seq. */
void mml_mmtls_nonce(const uint8_t base_iv[12], uint64_t seq, uint8_t nonce[12]);
void mml_mmtls_aad(uint64_t seq, const uint8_t hdr[5], uint8_t aad[13]);

#endif
