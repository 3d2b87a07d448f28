/*
 * tests/test_util_crypto.c - src/util/crypto.c: both AES-GCM paths (OpenSSL's
 * GCM mode over an ECB context for short AES-128 records, EVP for the
 * rest) and CBC decryption through the cache of ECB contexts, each held
 * to EVP's own sealing, across key changes, cache evictions and tampering.
 */
#include <stdlib.h>

#include "mmlens/crypto.h"
#include "test.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint8_t rnd8(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
}

static void rnd(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rnd8();
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* One seal/open round at length n; opener is reused across keys. */
static void gcm_round(mml_aead *sealer, mml_aead *opener, size_t keylen, size_t noncelen, size_t aadlen, size_t n,
                      int *fails)
{
	uint8_t key[32], nonce[16], aad[40], tag[16];
	rnd(key, keylen);
	rnd(nonce, noncelen);
	rnd(aad, aadlen);
	uint8_t *pt = malloc(n + 1), *ct = malloc(n + 1), *out = malloc(n + 1);
	if (!pt || !ct || !out) {
		(*fails)++;
		goto done;
	}
	rnd(pt, n);
	if (mml_gcm_seal(sealer, key, keylen, nonce, noncelen, aad, aadlen, pt, n, ct, tag) != MML_OK) {
		(*fails)++;
		goto done;
	}
	if (mml_gcm_open(opener, key, keylen, nonce, noncelen, aad, aadlen, ct, n, tag, out) != MML_OK ||
	    (n && memcmp(out, pt, n))) {
		(*fails)++;
		goto done;
	}
	/* a wrong tag, a flipped ciphertext bit, a flipped AAD bit: refused, output wiped */
	uint8_t bad[16];
	memcpy(bad, tag, 16);
	bad[15] ^= 1;
	if (mml_gcm_open(opener, key, keylen, nonce, noncelen, aad, aadlen, ct, n, bad, out) != MML_E_AUTH ||
	    !all_zero(out, n))
		(*fails)++;
	if (n) {
		ct[n / 2] ^= 0x80;
		if (mml_gcm_open(opener, key, keylen, nonce, noncelen, aad, aadlen, ct, n, tag, out) != MML_E_AUTH)
			(*fails)++;
		ct[n / 2] ^= 0x80;
	}
	if (aadlen) {
		aad[0] ^= 1;
		if (mml_gcm_open(opener, key, keylen, nonce, noncelen, aad, aadlen, ct, n, tag, out) != MML_E_AUTH)
			(*fails)++;
		aad[0] ^= 1;
	}
	/* and the same context opens it again afterwards */
	if (mml_gcm_open(opener, key, keylen, nonce, noncelen, aad, aadlen, ct, n, tag, out) != MML_OK ||
	    (n && memcmp(out, pt, n)))
		(*fails)++;
done:
	free(pt);
	free(ct);
	free(out);
}

TEST(crypto_gcm_short_and_evp_paths_agree_with_evp_seal)
{
	mml_aead s, o;
	REQUIRE(mml_aead_init(&s) == MML_OK);
	REQUIRE(mml_aead_init(&o) == MML_OK);
	int fails = 0, rounds = 0;
	/* every length up to past the short path's limit (2048), then some large */
	for (size_t n = 0; n <= 2200; n += n < 80 ? 1 : 7, rounds++)
		gcm_round(&s, &o, 16, 12, n % 3 ? 13 : 32, n, &fails);
	for (size_t n = 2040; n <= 2056; n++, rounds++)
		gcm_round(&s, &o, 16, 12, 13, n, &fails);
	static const size_t big[] = {4096, 16384, 65536};
	for (size_t i = 0; i < 3; i++, rounds++)
		gcm_round(&s, &o, 16, 12, 13, big[i], &fails);
	/* the other shapes go through EVP, on the same context in between */
	for (size_t n = 0; n < 600; n += 37, rounds += 3) {
		gcm_round(&s, &o, 24, 12, 32, n, &fails);
		gcm_round(&s, &o, 16, 16, 13, n, &fails);
		gcm_round(&s, &o, 16, 12, 0, n, &fails);
	}
	mml_test_note("%d seal/open rounds (each with 3 tamperings), %d failed", rounds, fails);
	CHECK_EQ(fails, 0);
	mml_aead_free(&s);
	mml_aead_free(&o);
}

TEST(crypto_gcm_same_key_many_nonces)
{
	/* records of one connection: one key, the nonce changing, short and long */
	mml_aead s, o;
	REQUIRE(mml_aead_init(&s) == MML_OK);
	REQUIRE(mml_aead_init(&o) == MML_OK);
	uint8_t key[16], nonce[12], aad[13], tag[16], pt[3000], ct[3000], out[3000];
	rnd(key, 16);
	rnd(nonce, 12);
	int fails = 0;
	for (int i = 0; i < 400; i++) {
		size_t n = (size_t)(i * 7) % 2900;
		nonce[11] = (uint8_t)i;
		rnd(aad, 13);
		rnd(pt, n);
		REQUIRE(mml_gcm_seal(&s, key, 16, nonce, 12, aad, 13, pt, n, ct, tag) == MML_OK);
		if (mml_gcm_open(&o, key, 16, nonce, 12, aad, 13, ct, n, tag, out) != MML_OK || memcmp(out, pt, n))
			fails++;
	}
	CHECK_EQ(fails, 0);
	mml_aead_free(&s);
	mml_aead_free(&o);
}

TEST(crypto_cbc_ecb_cache_agrees_with_evp_across_evictions)
{
	/* more keys than the cache holds (32 sets x 2 ways), used in turns */
	enum { NKEYS = 150 };
	static uint8_t keys[NKEYS][16];
	for (int k = 0; k < NKEYS; k++)
		rnd(keys[k], 16);
	mml_aead s, o;
	REQUIRE(mml_aead_init(&s) == MML_OK);
	REQUIRE(mml_aead_init(&o) == MML_OK);
	uint8_t iv[16], pt[4200], ct[4300], out[4300];
	int fails = 0, rounds = 0;
	for (int i = 0; i < 3000; i++, rounds++) {
		int ki = (i * 7 + i / 50) % NKEYS;
		const uint8_t *key = keys[ki];
		size_t n = (size_t)(i * 13) % 4100;
		rnd(iv, 16);
		rnd(pt, n);
		size_t cl = 0, ol = 0;
		REQUIRE(mml_cbc_seal(&s, key, iv, pt, n, ct, &cl) == MML_OK);
		if (mml_cbc_open(&o, key, iv, ct, cl, out, &ol) != MML_OK || ol != n || memcmp(out, pt, n))
			fails++;
		/* the wrong key: bad padding (refused, wiped) or, 1 in 256, a
		 * plausible one - never the plaintext */
		mml_err e = mml_cbc_open(&o, keys[(ki + 1) % NKEYS], iv, ct, cl, out, &ol);
		if (e == MML_E_AUTH ? !all_zero(out, cl) : e != MML_OK || (ol == n && !memcmp(out, pt, n)))
			fails++;
	}
	/* the IV is the key (the business layer's session key) */
	size_t cl = 0, ol = 0;
	rnd(pt, 100);
	REQUIRE(mml_cbc_seal(&s, keys[3], keys[3], pt, 100, ct, &cl) == MML_OK);
	CHECK(mml_cbc_open(&o, keys[3], keys[3], ct, cl, out, &ol) == MML_OK && ol == 100 && !memcmp(out, pt, 100));
	/* shapes refused before any decryption */
	CHECK(mml_cbc_open(&o, keys[0], iv, ct, 0, out, &ol) == MML_E_MALFORMED);
	CHECK(mml_cbc_open(&o, keys[0], iv, ct, 17, out, &ol) == MML_E_MALFORMED);
	CHECK(mml_cbc_open(&o, keys[0], iv, ct, cl, ct + 16, &ol) == MML_E_ARG); /* overlapping output */
	mml_test_note("%d CBC rounds over %d keys, %d failed", rounds, NKEYS, fails);
	CHECK_EQ(fails, 0);
	mml_aead_free(&s);
	mml_aead_free(&o);
}
