/*
 * tools/sim/proto.h - the simulator's protocol half: MMTLS records and
 * handshakes (mmtlsw.c), the business layer (biz.c) and the key log.
 *
 * Fidelity (docs/SIMULATOR.md): record framing, hello layouts, sequence
 * numbering, AAD and nonce construction follow the real capture field by
 * field; keys come from P-256 ECDH and HKDF-SHA256 like the real client,
 * and every key used is written to the key log in the published format.
 */
#ifndef MMLENS_SIM_PROTO_H
#define MMLENS_SIM_PROTO_H

#include "mmlens/crypto.h"
#include "sim.h"

typedef struct sim_keylog {
	FILE *f;            /* NULL: keys are not logged */
	bool sparse;        /* OUTER: only the first line per key and direction;
	                       INNER CBC: only the first line per session key and direction */
	uint64_t lines;
	uint8_t cbc_logged[64][17]; /* sparse: session keys (+ direction) already logged */
	int ncbc;
} sim_keylog;

/* One MMTLS session: a longlink connection or a shortlink exchange. */
typedef struct sim_mm {
	uint8_t key[2][16];
	uint8_t base[2][12];
	bool have_key[2];
	bool logged[2];     /* sparse mode: this direction's key was logged */
	uint64_t seq[2];
	mml_aead *aead;
	sim_keylog *kl;
	sim_rng *rng;
} sim_mm;

typedef struct sim_proto {
	mml_aead aead;
	sim_keylog kl;
	sim_rng *rng;
	mml_buf scratch;
	uint8_t psk_access[32]; /* the resumption secret shortlinks expand */
	uint8_t ticket[72];     /* the PSK ticket they present */
	uint8_t ticket_nonce[12];
} sim_proto;

int sim_proto_init(sim_proto *p, sim_rng *rng, FILE *keylog, bool sparse);
void sim_proto_free(sim_proto *p);

void sim_mm_init(sim_mm *m, sim_proto *p);
/* Set direction dir's key and base IV (does not write a record). */
void sim_mm_setkey(sim_mm *m, int dir, const uint8_t key[16], const uint8_t iv[12]);
/* Append one encrypted record of `type` to out; logs its key line. */
void sim_mm_record(sim_mm *m, int dir, uint8_t type, const uint8_t *pt, size_t len, mml_buf *out);
/* Append one plaintext record. */
void sim_record_plain(uint8_t type, const uint8_t *body, size_t len, mml_buf *out);

/*
 * Handshakes. Each appends the records of one flight to out and sets the
 * session keys as the real client does.
 *  full:  ClientHello (0x16, c02b+00a8, PSK ticket + two P-256 key shares)
 *         / ServerHello (0x16, c02b, one key share) + 3 encrypted
 *         handshake records (certificate, new ticket, finished); then
 *         application keys.
 *  0-RTT: ClientHello (0x19, 00a8, PSK ticket) + encrypted extensions
 *         (0x19), with early-data keys from the PSK; ServerHello (0x16,
 *         00a8, no extension) + encrypted handshake (0x16).
 */
int sim_hs_full(sim_proto *p, sim_mm *m, mml_buf *client_hello, mml_buf *server_flight, mml_buf *client_finished,
                size_t cert_len /* the real certificates: 78 or 79 bytes */);
/* PSK 1-RTT (a longlink reconnect): ClientHello (0x16, 00a8, ticket) /
 * ServerHello (0x16, 00a8) + finished (0x16), client finished (0x16). */
void sim_hs_psk(sim_proto *p, sim_mm *m, mml_buf *client_hello, mml_buf *server_flight, mml_buf *client_finished);
void sim_hs_0rtt_client(sim_proto *p, sim_mm *m, mml_buf *out);
void sim_hs_0rtt_server(sim_proto *p, sim_mm *m, mml_buf *out);
/* An encrypted alert (end of a shortlink flight). */
void sim_mm_alert(sim_mm *m, int dir, mml_buf *out);

/* ---- business layer (biz.c) ---- */
typedef enum sim_inner { SIM_INNER_CBC, SIM_INNER_HYBRID_AUTH, SIM_INNER_GCM_RAW } sim_inner;

typedef struct sim_bizcfg {
	const sim_device *dev;
	const uint8_t *session_key; /* 16 bytes, CBC */
	uint8_t cookie[15];
} sim_bizcfg;

/*
 * Build the inner payload of one message: [shortlink request prefix] |
 * business header | inner ciphertext, from body b (zlib first when
 * b->compress; `zcache`, when not NULL, already holds b's zlib form).
 * Logs the INNER key lines. `prefix` adds the shortlink request envelope
 * (URI, host).
 */
void sim_biz_build(sim_proto *p, const sim_bizcfg *c, const sim_body *b, const mml_buf *zcache, sim_inner inner,
                   bool prefix, const char *host, mml_buf *out);
/* Longlink packet header around a body. */
void sim_longlink_wrap(uint32_t cmd, uint32_t seq, const uint8_t *body, size_t n, mml_buf *out);

#endif
