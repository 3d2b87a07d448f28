/*
 * biz.c - the simulator's business layer: the shortlink request envelope,
 * the 0xbf business header, inner AES-128-CBC (session key as IV) or
 * AES-192-GCM (hybrid ECDH protobuf of blobs, or one raw blob on
 * longlink), zlib, the longlink packet header, and INNER key-log lines.
 * Layouts mirror the real capture (docs/FORMATS.md, docs/SIMULATOR.md).
 */
#include <string.h>

#include "proto.h"

static void be16(mml_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	mml_buf_append(b, x, 2);
}
static void be32(mml_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	mml_buf_append(b, x, 4);
}
static void u8(mml_buf *b, uint8_t v) { mml_buf_append(b, &v, 1); }
static void varint(mml_buf *b, uint64_t v)
{
	while (v >= 0x80) {
		u8(b, (uint8_t)(v | 0x80));
		v >>= 7;
	}
	u8(b, (uint8_t)v);
}
static void set_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

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
static void gcm_blob(sim_proto *p, bool client, const uint8_t *pt, size_t n, const uint8_t aad[32], mml_buf *out)
{
	uint8_t key[24], iv[12], tag[16];
	sim_rng_bytes(p->rng, key, sizeof key);
	sim_rng_bytes(p->rng, iv, sizeof iv);
	if (mml_buf_reserve(out, n + 28) != MML_OK)
		return;
	uint8_t *ct = out->p + out->len;
	mml_gcm_seal(&p->aead, key, 24, iv, 12, aad, 32, pt, n, ct, tag);
	out->len += n;
	mml_buf_append(out, iv, 12);
	mml_buf_append(out, tag, 16);
	FILE *f = p->kl.f;
	if (!f)
		return;
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

static void pb_len_field(mml_buf *b, uint32_t field, size_t n)
{
	varint(b, (uint64_t)field << 3 | 2);
	varint(b, n);
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
	size_t start = out->len;
	size_t rest_at = 0;
	if (prefix) {
		be32(out, 0); /* total length, patched below */
		size_t ul = strlen(b->api), hl = strlen(host);
		be16(out, (uint16_t)ul);
		mml_buf_append(out, b->api, ul);
		be16(out, (uint16_t)hl);
		mml_buf_append(out, host, hl);
		rest_at = out->len;
		be32(out, 0);
	}
	/* business header */
	size_t h0 = out->len;
	uint8_t algo = inner == SIM_INNER_CBC ? 5 : inner == SIM_INNER_HYBRID_AUTH ? 12 : 13;
	u8(out, 0xbf);
	u8(out, 0); /* hdr_len << 2 | compress, patched */
	u8(out, (uint8_t)(algo << 4 | 15));
	be32(out, b->request ? c->dev->client_version : 0);
	be32(out, c->dev->uin);
	mml_buf_append(out, c->cookie, 15);
	varint(out, b->req_type);
	varint(out, b->pb.len);
	varint(out, ptlen);
	if (b->request) {
		u8(out, 0);
		u8(out, 2);
		varint(out, 0x80000000u | (uint32_t)sim_rng_below(p->rng, 1u << 31)); /* signature */
		u8(out, 0xfe);
		varint(out, 0x40000000u | (uint32_t)sim_rng_below(p->rng, 1u << 30));
		u8(out, 0);
		u8(out, 0);
	} else {
		static const uint8_t tail[8] = {0, 0, 0, 0, 0xff, 0, 0, 0};
		mml_buf_append(out, tail, sizeof tail);
	}
	size_t hl = out->len - h0;
	out->p[h0 + 1] = (uint8_t)(hl << 2 | (b->compress ? 1 : 2));
	/* inner ciphertext */
	if (inner == SIM_INNER_CBC) {
		if (mml_buf_reserve(out, ptlen + 16) == MML_OK) {
			size_t n = 0;
			uint8_t *ct = out->p + out->len;
			mml_cbc_seal(&p->aead, c->session_key, c->session_key, pt, ptlen, ct, &n);
			out->len += n;
			log_cbc(p, b->request, c->session_key, ct, n);
		}
	} else if (inner == SIM_INNER_GCM_RAW) {
		uint8_t aad[32];
		sim_rng_bytes(p->rng, aad, sizeof aad);
		gcm_blob(p, b->request, pt, ptlen, aad, out);
	} else {
		/* hybrid ECDH: {1: 1, 2: {1: 415, 2: pubkey}, 3: blob, 4: blob, 5: blob}
		 * for requests; {1: {1: 415, 2: pubkey}, 2: 2, 3: blob} for responses */
		uint8_t aad[32], pub[65], small[13];
		sim_rng_bytes(p->rng, aad, sizeof aad);
		sim_rng_bytes(p->rng, pub, sizeof pub);
		pub[0] = 4;
		mml_buf blob;
		mml_buf_init(&blob, 0);
		if (b->request) {
			varint(out, 1 << 3 | 0);
			varint(out, 1);
		}
		pb_len_field(out, b->request ? 2 : 1, 3 + 2 + 65);
		varint(out, 1 << 3 | 0);
		varint(out, 415);
		pb_len_field(out, 2, 65);
		mml_buf_append(out, pub, 65);
		if (!b->request) {
			varint(out, 2 << 3 | 0);
			varint(out, 2);
		} else {
			for (uint32_t fld = 3; fld <= 4; fld++) { /* two small key blobs */
				sim_rng_bytes(p->rng, small, sizeof small);
				mml_buf_reset(&blob);
				gcm_blob(p, true, small, sizeof small, aad, &blob);
				pb_len_field(out, fld, blob.len);
				mml_buf_append(out, blob.p, blob.len);
			}
		}
		mml_buf_reset(&blob);
		gcm_blob(p, b->request, pt, ptlen, aad, &blob);
		pb_len_field(out, b->request ? 5 : 3, blob.len);
		mml_buf_append(out, blob.p, blob.len);
		mml_buf_free(&blob);
	}
	if (prefix) {
		set_be32(out->p + start, (uint32_t)(out->len - start - 4));
		set_be32(out->p + rest_at, (uint32_t)(out->len - rest_at - 4));
	}
	mml_buf_free(&z);
}

void sim_longlink_wrap(uint32_t cmd, uint32_t seq, const uint8_t *body, size_t n, mml_buf *out)
{
	be32(out, (uint32_t)(16 + n));
	be16(out, 16);
	be16(out, 1);
	be32(out, cmd);
	be32(out, seq);
	mml_buf_append(out, body, n);
}
