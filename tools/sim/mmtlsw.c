/*
 * mmtlsw.c - MMTLS writer for the simulator: records, the full (1-RTT,
 * P-256 ECDHE) and 0-RTT (PSK) handshakes, key derivation with
 * HKDF-SHA256, and OUTER key-log lines. Contract in tools/sim/proto.h;
 * each layout below mirrors a record of the real capture (see
 * docs/SIMULATOR.md and tests/test_sim.c, which compares them field by
 * field).
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* EC_KEY: a P-256 key from our own seeded RNG */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/sha.h>
#include <string.h>

#include "proto.h"

int sim_proto_init(sim_proto *p, sim_rng *rng, FILE *keylog, bool sparse)
{
	memset(p, 0, sizeof *p);
	p->rng = rng;
	p->kl.f = keylog;
	p->kl.sparse = sparse;
	mml_buf_init(&p->scratch, 0);
	sim_rng_bytes(rng, p->psk_access, sizeof p->psk_access);
	sim_rng_bytes(rng, p->ticket, sizeof p->ticket);
	sim_rng_bytes(rng, p->ticket_nonce, sizeof p->ticket_nonce);
	return mml_aead_init(&p->aead) == MML_OK ? 0 : -1;
}

void sim_proto_free(sim_proto *p)
{
	mml_aead_free(&p->aead);
	mml_buf_free(&p->scratch);
}

void sim_mm_init(sim_mm *m, sim_proto *p)
{
	memset(m, 0, sizeof *m);
	m->aead = &p->aead;
	m->kl = &p->kl;
	m->rng = p->rng;
}

void sim_mm_setkey(sim_mm *m, int dir, const uint8_t key[16], const uint8_t iv[12])
{
	memcpy(m->key[dir], key, 16);
	memcpy(m->base[dir], iv, 12);
	m->have_key[dir] = true;
	m->logged[dir] = false;
}

/* A record header: type, version f1 04, body length. */
static void record_head(mml_wbuf *w, uint8_t type, size_t len)
{
	mml_wbuf_u8(w, type);
	mml_wbuf_be16(w, 0xf104);
	mml_wbuf_be16(w, (uint16_t)len);
}

void sim_record_plain(uint8_t type, const uint8_t *body, size_t len, mml_buf *out)
{
	mml_wbuf w = mml_wbuf_make(out);
	record_head(&w, type, len);
	mml_wbuf_bytes(&w, body, len);
	sim_wcheck(&w, "record");
}

static void hexline(FILE *f, const char *k, const uint8_t *p, size_t n, int comma)
{
	static const char d[] = "0123456789abcdef";
	fprintf(f, "%s\"%s\":\"", comma ? "," : "", k);
	for (size_t i = 0; i < n; i++) {
		fputc(d[p[i] >> 4], f);
		fputc(d[p[i] & 15], f);
	}
	fputc('"', f);
}

void sim_mm_record(sim_mm *m, int dir, uint8_t type, const uint8_t *pt, size_t len, mml_buf *out)
{
	uint64_t seq = m->seq[dir]++;
	size_t rl = len + 16;
	uint8_t hdr[5] = {type, 0xf1, 0x04, (uint8_t)(rl >> 8), (uint8_t)rl};
	uint8_t nonce[12], aad[13];
	memcpy(nonce, m->base[dir], 12);
	for (int i = 0; i < 8; i++) {
		nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
		aad[7 - i] = (uint8_t)(seq >> (8 * i));
	}
	memcpy(aad + 8, hdr, 5);
	mml_wbuf w = mml_wbuf_make(out);
	mml_wbuf_bytes(&w, hdr, 5);
	uint8_t *ct = mml_wbuf_room(&w, rl);
	sim_wcheck(&w, "record");
	mml_gcm_seal(m->aead, m->key[dir], 16, nonce, 12, aad, 13, pt, len, ct, ct + len);
	if (m->kl->f && (!m->kl->sparse || !m->logged[dir])) {
		FILE *f = m->kl->f;
		fprintf(f, "{\"layer\":\"OUTER\",\"encrypt\":%s", dir == 0 ? "true" : "false");
		hexline(f, "nonce", nonce, 12, 1);
		hexline(f, "key", m->key[dir], 16, 1);
		hexline(f, "metadata", aad, 13, 1);
		hexline(f, "tail", ct + rl - 8, 8, 1);
		fputs("}\n", f);
		m->kl->lines++;
		m->logged[dir] = true;
	}
}

void sim_mm_alert(sim_mm *m, int dir, mml_buf *out)
{
	/* 7 plaintext bytes, like the real end-of-flight alerts (0x17 long) */
	uint8_t a[7] = {0, 0, 0, 3, 0, 1, 0};
	sim_mm_record(m, dir, 0x15, a, sizeof a, out);
}

/* ---- key derivation ---- */

/*
 * HMAC-SHA256 on the low-level SHA-256 (no provider fetch per call: the
 * bench makes a few key derivations per shortlink, millions in all).
 */
static void hmac256(const uint8_t *key, size_t kl, const uint8_t *a, size_t al, const uint8_t *b, size_t bl,
                    uint8_t out[32])
{
	uint8_t k[64] = {0}, pad[64], inner[32];
	if (kl > 64)
		SHA256(key, kl, k);
	else
		memcpy(k, key, kl);
	SHA256_CTX c;
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	SHA256_Init(&c);
	SHA256_Update(&c, pad, 64);
	SHA256_Update(&c, a, al);
	if (bl)
		SHA256_Update(&c, b, bl);
	SHA256_Final(inner, &c);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256_Init(&c);
	SHA256_Update(&c, pad, 64);
	SHA256_Update(&c, inner, 32);
	SHA256_Final(out, &c);
}

/* HKDF-SHA256 (RFC 5869, empty salt): extract, then expand with info = label | hash. */
static int hkdf(const uint8_t *secret, size_t sl, const char *label, const uint8_t hash[32], uint8_t *out,
                size_t outlen)
{
	uint8_t info[96 + 1];
	size_t ll = strlen(label);
	memcpy(info, label, ll);
	if (hash) {
		memcpy(info + ll, hash, 32);
		ll += 32;
	}
	if (outlen > 255 * 32)
		return -1;
	static const uint8_t zero[32];
	uint8_t prk[32], t[32];
	hmac256(zero, 32, secret, sl, NULL, 0, prk);
	size_t done = 0, tl = 0;
	for (uint8_t i = 1; done < outlen; i++) {
		/* T(i) = HMAC(prk, T(i-1) | info | i) */
		uint8_t msg[32 + 97];
		// cppcheck-suppress uninitvar ; false positive: tl is 0 until t is written
		memcpy(msg, t, tl);
		memcpy(msg + tl, info, ll);
		msg[tl + ll] = i;
		hmac256(prk, 32, msg, tl + ll + 1, NULL, 0, t);
		tl = 32;
		size_t n = outlen - done < 32 ? outlen - done : 32;
		memcpy(out + done, t, n);
		done += n;
	}
	return 0;
}

static void sha256_of(const mml_buf *b, size_t from, uint8_t out[32]) { SHA256(b->p + from, b->len - from, out); }

/* ---- hellos ---- */

static void psk_ext(sim_proto *p, mml_wbuf *w, uint8_t type, uint32_t lifetime, size_t ticket_len)
{
	/* ext: len(4) | 000f | count | seclen(4) | type | lifetime | age_add | x | nonce | ticket */
	uint32_t sec = (uint32_t)(1 + 4 + 2 + 4 + 2 + 12 + 2 + ticket_len);
	mml_wbuf_be32(w, 2 + 1 + 4 + sec);
	mml_wbuf_be16(w, 0x000f);
	mml_wbuf_u8(w, 1);
	mml_wbuf_be32(w, sec);
	mml_wbuf_u8(w, type);
	mml_wbuf_be32(w, lifetime);
	mml_wbuf_be16(w, 0);
	mml_wbuf_be32(w, type == 1 ? 0x3d : 0x48); /* an inner length; these are the real hellos' values */
	mml_wbuf_be16(w, 12);
	mml_wbuf_bytes(w, p->ticket_nonce, 12);
	mml_wbuf_be16(w, (uint16_t)ticket_len);
	for (size_t i = 0; i < ticket_len; i++)
		mml_wbuf_u8(w, p->ticket[i % sizeof p->ticket] ^ (uint8_t)(i >> 6));
}

/* A P-256 key pair whose private scalar comes from the simulation RNG,
 * so that a seed gives the same capture. */
static EVP_PKEY *p256_new(sim_rng *rng, uint8_t pub[65])
{
	uint8_t d[32];
	sim_rng_bytes(rng, d, sizeof d);
	d[0] &= 0x7f; /* below the group order */
	d[31] |= 1;   /* never zero */
	EC_KEY *k = EC_KEY_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *bn = BN_bin2bn(d, 32, NULL);
	const EC_GROUP *g = k ? EC_KEY_get0_group(k) : NULL;
	EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
	EVP_PKEY *pk = NULL;
	if (k && bn && pt && EC_POINT_mul(g, pt, bn, NULL, NULL, NULL) && EC_KEY_set_private_key(k, bn) &&
	    EC_KEY_set_public_key(k, pt) &&
	    EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub, 65, NULL) == 65 && (pk = EVP_PKEY_new()) &&
	    EVP_PKEY_assign_EC_KEY(pk, k)) {
		k = NULL; /* owned by pk */
	} else {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	EC_POINT_free(pt);
	BN_free(bn);
	EC_KEY_free(k);
	return pk;
}

static int p256_derive(EVP_PKEY *mine, EVP_PKEY *peer, uint8_t secret[32])
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(mine, NULL);
	size_t n = 32;
	int ok = c && EVP_PKEY_derive_init(c) > 0 && EVP_PKEY_derive_set_peer(c, peer) > 0 &&
	         EVP_PKEY_derive(c, secret, &n) > 0 && n == 32;
	EVP_PKEY_CTX_free(c);
	return ok ? 0 : -1;
}

/* Hello body start: section length patched at the end. */
static size_t hello_begin(mml_wbuf *w, uint8_t type)
{
	size_t mark = mml_wbuf_len(w);
	mml_wbuf_be32(w, 0);
	mml_wbuf_u8(w, type);
	mml_wbuf_be16(w, 0x04f1);
	return mark;
}

static void hello_end(mml_wbuf *w, size_t mark) { mml_wbuf_set_be32(w, mark, (uint32_t)(mml_wbuf_len(w) - mark - 4)); }

/* ClientHello up to its extensions: suites, random, time, ext section
 * header. Returns the section-length mark; *ext gets the ext-length mark. */
static size_t client_hello_head(sim_proto *p, mml_wbuf *w, const uint16_t *suites, uint8_t nsuites, uint8_t next,
                                size_t *ext)
{
	mml_buf_reset(w->b);
	size_t mk = hello_begin(w, 1);
	mml_wbuf_u8(w, nsuites);
	for (uint8_t i = 0; i < nsuites; i++)
		mml_wbuf_be16(w, suites[i]);
	uint8_t rnd[32];
	sim_rng_bytes(p->rng, rnd, 32);
	mml_wbuf_bytes(w, rnd, 32);
	mml_wbuf_be32(w, 0x5f000000u | (uint32_t)sim_rng_below(p->rng, 1u << 24));
	*ext = mml_wbuf_len(w);
	mml_wbuf_be32(w, 0);
	mml_wbuf_u8(w, next);
	return mk;
}

/* Switch both directions to new keys; record numbering carries on. */
static void switch_keys(sim_mm *m, const uint8_t keys[56])
{
	uint64_t s0 = m->seq[0], s1 = m->seq[1];
	sim_mm_setkey(m, 0, keys, keys + 32);
	sim_mm_setkey(m, 1, keys + 16, keys + 44);
	m->seq[0] = s0;
	m->seq[1] = s1;
}

/* Wrap a built hello body as one plaintext record in out. */
static void hello_record(uint8_t rtype, mml_buf *body, mml_buf *out)
{
	sim_record_plain(rtype, body->p, body->len, out);
}

int sim_hs_full(sim_proto *p, sim_mm *m, mml_buf *cl, mml_buf *sv, mml_buf *cfin, size_t cert_len)
{
	uint8_t cpub[2][65], spub[65], secret[32], hash[32], keys[56], exp[32];
	EVP_PKEY *ck = p256_new(p->rng, cpub[0]);
	EVP_PKEY *ck2 = p256_new(p->rng, cpub[1]);
	EVP_PKEY *sk = p256_new(p->rng, spub);
	int rc = -1;
	if (!ck || !ck2 || !sk)
		goto out;
	uint32_t kidx = 5 + (uint32_t)sim_rng_below(p->rng, 50);
	/* ClientHello: suites c02b 00a8, random, time, PSK ext, key-share ext */
	mml_buf hs;
	mml_buf_init(&hs, 0);
	mml_buf *b = &p->scratch;
	mml_wbuf wb = mml_wbuf_make(b), *w = &wb;
	static const uint16_t suites[2] = {0xc02b, 0x00a8};
	size_t ext, mk = client_hello_head(p, w, suites, 2, 2, &ext);
	psk_ext(p, w, 2, 0x00278d00, 105);
	mml_wbuf_be32(w, 2 + 1 + 2 * 75 + 13);
	mml_wbuf_be16(w, 0x0010);
	mml_wbuf_u8(w, 2);
	for (int i = 0; i < 2; i++) {
		mml_wbuf_be32(w, 71);
		mml_wbuf_be32(w, kidx + (uint32_t)i);
		mml_wbuf_be16(w, 65);
		mml_wbuf_bytes(w, cpub[i], 65);
	}
	mml_wbuf_be32(w, 0);
	mml_wbuf_u8(w, 2);
	mml_wbuf_be32(w, kidx - 2);
	mml_wbuf_be32(w, kidx - 1);
	mml_wbuf_set_be32(w, ext, (uint32_t)(mml_wbuf_len(w) - ext - 4));
	hello_end(w, mk);
	sim_wcheck(w, "hello");
	mml_buf_append(&hs, b->p, b->len);
	hello_record(0x16, b, cl);
	/* ServerHello: c02b, random, key share (index of the client's first key), ext 0x13 */
	uint8_t rnd[32];
	mml_buf_reset(b);
	mk = hello_begin(w, 2);
	mml_wbuf_be16(w, 0xc02b);
	sim_rng_bytes(p->rng, rnd, 32);
	mml_wbuf_bytes(w, rnd, 32);
	mml_wbuf_be32(w, 1 + 4 + 73 + 4 + 10);
	mml_wbuf_u8(w, 2);
	mml_wbuf_be32(w, 73);
	mml_wbuf_be16(w, 0x0011);
	mml_wbuf_be32(w, kidx);
	mml_wbuf_be16(w, 65);
	mml_wbuf_bytes(w, spub, 65);
	mml_wbuf_be32(w, 10);
	mml_wbuf_be16(w, 0x0013);
	mml_wbuf_be32(w, 1);
	mml_wbuf_be32(w, 3);
	hello_end(w, mk);
	sim_wcheck(w, "hello");
	mml_buf_append(&hs, b->p, b->len);
	hello_record(0x16, b, sv);
	/* keys: ECDH, then HKDF-SHA256 over the transcript hash */
	if (p256_derive(ck, sk, secret))
		goto done;
	sha256_of(&hs, 0, hash);
	if (hkdf(secret, 32, "handshake key expansion", hash, keys, 56))
		goto done;
	sim_mm_setkey(m, 0, keys, keys + 32);
	sim_mm_setkey(m, 1, keys + 16, keys + 44);
	m->seq[0] = m->seq[1] = 1;
	/* server: certificate, new session ticket, finished (encrypted) */
	uint8_t pt[280];
	sim_rng_bytes(p->rng, pt, sizeof pt);
	sim_mm_record(m, 1, 0x16, pt, cert_len, sv);
	sim_mm_record(m, 1, 0x16, pt, 277, sv);
	sim_mm_record(m, 1, 0x16, pt, 39, sv);
	if (cfin)
		sim_mm_record(m, 0, 0x16, pt, 39, cfin);
	/* application keys */
	if (hkdf(secret, 32, "expanded secret", hash, exp, 32) ||
	    hkdf(exp, 32, "application data key expansion", hash, keys, 56))
		goto done;
	switch_keys(m, keys);
	rc = 0;
done:
	mml_buf_free(&hs);
out:
	EVP_PKEY_free(ck);
	EVP_PKEY_free(ck2);
	EVP_PKEY_free(sk);
	return rc;
}

/* The PSK ClientHello (suite 00a8, one ticket); returns its transcript hash. */
static void psk_client_hello(sim_proto *p, uint8_t rtype, mml_buf *out, uint8_t hash[32], mml_buf *transcript)
{
	mml_buf *b = &p->scratch;
	mml_wbuf wb = mml_wbuf_make(b), *w = &wb;
	static const uint16_t suites[1] = {0x00a8};
	size_t ext, mk = client_hello_head(p, w, suites, 1, 1, &ext);
	psk_ext(p, w, 1, 0x00093a80, 72);
	mml_wbuf_set_be32(w, ext, (uint32_t)(mml_wbuf_len(w) - ext - 4));
	hello_end(w, mk);
	sim_wcheck(w, "hello");
	SHA256(b->p, b->len, hash);
	if (transcript)
		mml_buf_append(transcript, b->p, b->len);
	hello_record(rtype, b, out);
}

/* The PSK ServerHello (suite 00a8, no extension). */
static void psk_server_hello(sim_proto *p, mml_buf *out, uint8_t hash[32], mml_buf *transcript)
{
	mml_buf *b = &p->scratch;
	mml_wbuf wb = mml_wbuf_make(b), *w = &wb;
	mml_buf_reset(b);
	size_t mk = hello_begin(w, 2);
	mml_wbuf_be16(w, 0x00a8);
	uint8_t rnd[32];
	sim_rng_bytes(p->rng, rnd, 32);
	mml_wbuf_bytes(w, rnd, 32);
	mml_wbuf_be32(w, 1);
	mml_wbuf_u8(w, 0);
	hello_end(w, mk);
	sim_wcheck(w, "hello");
	if (transcript) {
		mml_buf_append(transcript, b->p, b->len);
		SHA256(transcript->p, transcript->len, hash);
	} else {
		SHA256(b->p, b->len, hash);
	}
	hello_record(0x16, b, out);
}

void sim_hs_0rtt_client(sim_proto *p, sim_mm *m, mml_buf *out)
{
	uint8_t hash[32], k[28];
	psk_client_hello(p, 0x19, out, hash, NULL);
	hkdf(p->psk_access, 32, "early data key expansion", hash, k, 28);
	sim_mm_setkey(m, 0, k, k + 16);
	m->seq[0] = 1;
	/* encrypted extensions: 20 bytes, record length 0x24 as in the real capture */
	uint8_t ee[20];
	sim_rng_bytes(p->rng, ee, sizeof ee);
	sim_mm_record(m, 0, 0x19, ee, sizeof ee, out);
}

void sim_hs_0rtt_server(sim_proto *p, sim_mm *m, mml_buf *out)
{
	uint8_t hash[32], k[28];
	psk_server_hello(p, out, hash, NULL);
	hkdf(p->psk_access, 32, "handshake key expansion", hash, k, 28);
	sim_mm_setkey(m, 1, k, k + 16);
	m->seq[1] = 1;
	uint8_t fin[39];
	sim_rng_bytes(p->rng, fin, sizeof fin);
	sim_mm_record(m, 1, 0x16, fin, sizeof fin, out);
}

void sim_hs_psk(sim_proto *p, sim_mm *m, mml_buf *cl, mml_buf *sv, mml_buf *cfin)
{
	uint8_t hash[32], keys[56], fin[39];
	mml_buf tr;
	mml_buf_init(&tr, 0);
	psk_client_hello(p, 0x16, cl, hash, &tr);
	psk_server_hello(p, sv, hash, &tr);
	mml_buf_free(&tr);
	hkdf(p->psk_access, 32, "handshake key expansion", hash, keys, 56);
	sim_mm_setkey(m, 0, keys, keys + 32);
	sim_mm_setkey(m, 1, keys + 16, keys + 44);
	m->seq[0] = m->seq[1] = 1;
	sim_rng_bytes(p->rng, fin, sizeof fin);
	sim_mm_record(m, 1, 0x16, fin, sizeof fin, sv);
	sim_mm_record(m, 0, 0x16, fin, sizeof fin, cfin);
	hkdf(p->psk_access, 32, "application data key expansion", hash, keys, 56);
	switch_keys(m, keys);
}
