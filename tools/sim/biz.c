/*
 * biz.c - the simulator's business layer: the shortlink request envelope,
 * the 0xbf business header, inner AES-128-CBC (session key as IV) or
 * AES-192-GCM (hybrid ECDH protobuf of blobs, or one raw blob on
 * longlink), zlib, the longlink packet header, and INNER key-log lines.
 * Layouts mirror the real capture (docs/FORMATS.md, docs/SIMULATOR.md).
 */
#include <string.h>

#include "proto.h"

static void hexfield(FILE *f, const char *k, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	fprintf(f, ",\"%s\":\"", k);
	for (size_t i = 0; i < n; i++) {
		fputc(d[p[i] >> 4], f);
		fputc(d[p[i] & 15], f);
	}
	fputc('"', f);
}

static void log_cbc(sim_proto *p, bool client, const uint8_t key[16], const uint8_t *ct, size_t n)
{
	FILE *f = p->kl.f;
	if (!f)
		return;
	if (p->kl.sparse) {
		for (int i = 0; i < p->kl.ncbc; i++)
			if (!memcmp(p->kl.cbc_logged[i], key, 16) && p->kl.cbc_logged[i][16] == client)
				return;
		if (p->kl.ncbc < 64) {
			memcpy(p->kl.cbc_logged[p->kl.ncbc], key, 16);
			p->kl.cbc_logged[p->kl.ncbc++][16] = client;
		}
	}
	fprintf(f, "{\"layer\":\"INNER\",\"encrypt\":%s", client ? "true" : "false");
	hexfield(f, "key", key, 16);
	hexfield(f, "nonce", key, 16);
	hexfield(f, "tail", ct + n - 8, 8);
	fputs("}\n", f);
	p->kl.lines++;
}

/* One AES-192-GCM blob ct | iv | tag appended to out, and its key line. */
static void gcm_blob(sim_proto *p, bool client, const uint8_t *pt, size_t n, const uint8_t aad[32], mml_wbuf *w)
{
	uint8_t key[24], iv[12], tag[16];
	sim_rng_bytes(p->rng, key, sizeof key);
	sim_rng_bytes(p->rng, iv, sizeof iv);
	size_t at = mml_wbuf_len(w);
	uint8_t *ct = mml_wbuf_room(w, n);
	if (!ct)
		return;
	mml_gcm_seal(&p->aead, key, 24, iv, 12, aad, 32, pt, n, ct, tag);
	mml_wbuf_bytes(w, iv, 12);
	mml_wbuf_bytes(w, tag, 16);
	FILE *f = p->kl.f;
	if (!f || mml_wbuf_err(w) != MML_OK)
		return;
	ct = w->b->p + at; /* the appends may have moved it */
	fprintf(f, "{\"layer\":\"INNER\",\"encrypt\":%s", client ? "true" : "false");
	hexfield(f, "key", key, 24);
	hexfield(f, "iv", iv, 12);
	hexfield(f, "metadata", aad, 32);
	if (client || n < 8)
		hexfield(f, "tail", iv, 12);
	else
		hexfield(f, "tail", ct + n - 8, 8);
	hexfield(f, "tag", tag, 16);
	fputs("}\n", f);
	p->kl.lines++;
}

static void pb_len_field(mml_wbuf *w, uint32_t field, size_t n)
{
	mml_wbuf_varint(w, (uint64_t)field << 3 | 2);
	mml_wbuf_varint(w, n);
}

/* The shortlink request prefix up to the business header; where its two
 * lengths go (patched at the end). */
static void request_prefix(mml_wbuf *w, const sim_body *b, const char *host, size_t *total_at, size_t *rest_at)
{
	*total_at = mml_wbuf_len(w);
	mml_wbuf_be32(w, 0); /* total length, patched below */
	// cppcheck-suppress ctunullpointer ; false positive: sim_biz_build passes NULL host only without prefix
	size_t ul = strlen(b->api), hl = strlen(host);
	mml_wbuf_be16(w, (uint16_t)ul);
	mml_wbuf_bytes(w, b->api, ul);
	mml_wbuf_be16(w, (uint16_t)hl);
	mml_wbuf_bytes(w, host, hl);
	*rest_at = mml_wbuf_len(w);
	mml_wbuf_be32(w, 0);
}

/* The 0xbf business header. */
static void biz_header(sim_proto *p, const sim_bizcfg *c, const sim_body *b, size_t ptlen, sim_inner inner,
                       mml_wbuf *w)
{
	size_t h0 = mml_wbuf_len(w);
	uint8_t algo = inner == SIM_INNER_CBC ? 5 : inner == SIM_INNER_HYBRID_AUTH ? 12 : 13;
	mml_wbuf_u8(w, 0xbf);
	mml_wbuf_u8(w, 0); /* hdr_len << 2 | compress, patched */
	mml_wbuf_u8(w, (uint8_t)(algo << 4 | 15));
	mml_wbuf_be32(w, b->request ? c->dev->client_version : 0);
	mml_wbuf_be32(w, c->dev->uin);
	mml_wbuf_bytes(w, c->cookie, 15);
	mml_wbuf_varint(w, b->req_type);
	mml_wbuf_varint(w, b->pb.len);
	mml_wbuf_varint(w, ptlen);
	if (b->request) {
		mml_wbuf_u8(w, 0);
		mml_wbuf_u8(w, 2);
		mml_wbuf_varint(w, 0x80000000u | (uint32_t)sim_rng_below(p->rng, 1u << 31)); /* signature */
		mml_wbuf_u8(w, 0xfe);
		mml_wbuf_varint(w, 0x40000000u | (uint32_t)sim_rng_below(p->rng, 1u << 30));
		mml_wbuf_u8(w, 0);
		mml_wbuf_u8(w, 0);
	} else {
		static const uint8_t tail[8] = {0, 0, 0, 0, 0xff, 0, 0, 0};
		mml_wbuf_bytes(w, tail, sizeof tail);
	}
	size_t hl = mml_wbuf_len(w) - h0;
	uint8_t b1 = (uint8_t)(hl << 2 | (b->compress ? 1 : 2));
	mml_wbuf_set(w, h0 + 1, &b1, 1);
}

/* Hybrid ECDH: {1: 1, 2: {1: 415, 2: pubkey}, 3: blob, 4: blob, 5: blob}
 * for requests; {1: {1: 415, 2: pubkey}, 2: 2, 3: blob} for responses. */
static void hybrid(sim_proto *p, const sim_body *b, const uint8_t *pt, size_t ptlen, mml_wbuf *w)
{
	uint8_t aad[32], pub[65], small[13];
	sim_rng_bytes(p->rng, aad, sizeof aad);
	sim_rng_bytes(p->rng, pub, sizeof pub);
	pub[0] = 4;
	mml_buf blob;
	mml_buf_init(&blob, 0);
	mml_wbuf bw = mml_wbuf_make(&blob);
	if (b->request) {
		mml_wbuf_varint(w, 1 << 3 | 0);
		mml_wbuf_varint(w, 1);
	}
	pb_len_field(w, b->request ? 2 : 1, 3 + 2 + 65);
	mml_wbuf_varint(w, 1 << 3 | 0);
	mml_wbuf_varint(w, 415);
	pb_len_field(w, 2, 65);
	mml_wbuf_bytes(w, pub, 65);
	if (!b->request) {
		mml_wbuf_varint(w, 2 << 3 | 0);
		mml_wbuf_varint(w, 2);
	} else {
		for (uint32_t fld = 3; fld <= 4; fld++) { /* two small key blobs */
			sim_rng_bytes(p->rng, small, sizeof small);
			mml_buf_reset(&blob);
			gcm_blob(p, true, small, sizeof small, aad, &bw);
			pb_len_field(w, fld, blob.len);
			mml_wbuf_bytes(w, blob.p, blob.len);
		}
	}
	mml_buf_reset(&blob);
	gcm_blob(p, b->request, pt, ptlen, aad, &bw);
	pb_len_field(w, b->request ? 5 : 3, blob.len);
	mml_wbuf_bytes(w, blob.p, blob.len);
	sim_wcheck(&bw, "hybrid blob");
	mml_buf_free(&blob);
}

void sim_biz_build(sim_proto *p, const sim_bizcfg *c, const sim_body *b, const mml_buf *zcache, sim_inner inner,
                   bool prefix, const char *host, mml_buf *out)
{
	/* plaintext: the protobuf, zlib'd when the app would */
	mml_buf z;
	mml_buf_init(&z, 0);
	const uint8_t *pt = b->pb.p;
	size_t ptlen = b->pb.len;
	if (b->compress && zcache && zcache->len) {
		pt = zcache->p;
		ptlen = zcache->len;
	} else if (b->compress && mml_deflate(b->pb.p, b->pb.len, &z) == MML_OK) {
		pt = z.p;
		ptlen = z.len;
	}
	mml_wbuf w = mml_wbuf_make(out);
	size_t total_at = 0, rest_at = 0;
	if (prefix)
		request_prefix(&w, b, host, &total_at, &rest_at);
	biz_header(p, c, b, ptlen, inner, &w);
	/* inner ciphertext */
	if (inner == SIM_INNER_CBC) {
		size_t at = mml_wbuf_len(&w), n = 0;
		uint8_t *ct = mml_wbuf_room(&w, ptlen + 16);
		if (ct) {
			mml_cbc_seal(&p->aead, c->session_key, c->session_key, pt, ptlen, ct, &n);
			mml_wbuf_drop(&w, at + n, ptlen + 16 - n); /* PKCS#7 took n of them */
			log_cbc(p, b->request, c->session_key, ct, n);
		}
	} else if (inner == SIM_INNER_GCM_RAW) {
		uint8_t aad[32];
		sim_rng_bytes(p->rng, aad, sizeof aad);
		gcm_blob(p, b->request, pt, ptlen, aad, &w);
	} else {
		hybrid(p, b, pt, ptlen, &w);
	}
	if (prefix) {
		mml_wbuf_set_be32(&w, total_at, (uint32_t)(mml_wbuf_len(&w) - total_at - 4));
		mml_wbuf_set_be32(&w, rest_at, (uint32_t)(mml_wbuf_len(&w) - rest_at - 4));
	}
	sim_wcheck(&w, "business layer");
	mml_buf_free(&z);
}

void sim_longlink_wrap(uint32_t cmd, uint32_t seq, const uint8_t *body, size_t n, mml_buf *out)
{
	mml_wbuf w = mml_wbuf_make(out);
	mml_wbuf_be32(&w, (uint32_t)(16 + n));
	mml_wbuf_be16(&w, 16);
	mml_wbuf_be16(&w, 1);
	mml_wbuf_be32(&w, cmd);
	mml_wbuf_be32(&w, seq);
	mml_wbuf_bytes(&w, body, n);
	sim_wcheck(&w, "longlink packet");
}
