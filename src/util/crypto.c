/*
 * crypto.c - AES-GCM, AES-CBC (OpenSSL EVP) and zlib wrappers.
 * Contract in include/mmlens/crypto.h.
 */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/modes.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>
#include <zlib.h>

#include "mmlens/crypto.h"

mml_err mml_aead_init(mml_aead *a)
{
	memset(a, 0, sizeof *a);
	a->ctx = EVP_CIPHER_CTX_new();
	a->enc = -1;
	return a->ctx ? MML_OK : MML_E_NOMEM;
}

typedef struct g_ecb {
	EVP_CIPHER_CTX *x;          /* AES-128-ECB, encrypt, no padding */
	uint8_t ks[256 * 16];       /* counter blocks, then their key stream */
} g_ecb;

void mml_aead_free(mml_aead *a)
{
	if (a->ctx)
		EVP_CIPHER_CTX_free(a->ctx);
	if (a->g128)
		CRYPTO_gcm128_release(a->g128);
	if (a->g_ecb) {
		g_ecb *g = a->g_ecb;
		EVP_CIPHER_CTX_free(g->x);
		OPENSSL_cleanse(g, sizeof *g);
		free(g);
	}
	for (int s = 0; s < MML_AEAD_ECB_SETS; s++)
		for (int w = 0; w < MML_AEAD_ECB_WAYS; w++)
			if (a->ecb[s][w].ctx)
				EVP_CIPHER_CTX_free(a->ecb[s][w].ctx);
	OPENSSL_cleanse(a, sizeof *a);
}

/*
 * Ciphers are fetched from the provider once (OpenSSL 3 looks them up
 * under a lock on every implicit use), and a context that already holds
 * the key only gets its IV changed: records of one connection share a key.
 */
enum { C_GCM128, C_GCM192, C_GCM256, C_CBC128, C_ECB128, C__N };
static EVP_CIPHER *fetched[C__N];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_all(void)
{
	static const char *const names[C__N] = {"AES-128-GCM", "AES-192-GCM", "AES-256-GCM", "AES-128-CBC",
	                                           "AES-128-ECB"};
	for (int i = 0; i < C__N; i++)
		fetched[i] = EVP_CIPHER_fetch(NULL, names[i], NULL);
}

static const EVP_CIPHER *cipher(int which)
{
	pthread_once(&fetch_once, fetch_all);
	return fetched[which];
}

static const EVP_CIPHER *gcm_cipher(size_t keylen)
{
	switch (keylen) {
	case 16: return cipher(C_GCM128);
	case 24: return cipher(C_GCM192);
	case 32: return cipher(C_GCM256);
	default: return NULL;
	}
}

static int int_len(size_t n) { return n <= (size_t)0x7fffffff; }

static int same_key(const mml_aead *a, int mode, int enc, const uint8_t *key, size_t keylen)
{
	return a->mode == mode && a->enc == enc && a->keylen == keylen && !memcmp(a->key, key, keylen);
}

static void remember_key(mml_aead *a, int mode, int enc, const uint8_t *key, size_t keylen)
{
	memcpy(a->key, key, keylen);
	a->keylen = (uint8_t)keylen;
	a->mode = (uint8_t)mode;
	a->enc = (int8_t)enc;
}

/*
 * Load key (only when it changed) and nonce for a GCM operation. A new key
 * for a context that already holds the cipher only runs the key schedule:
 * setting the cipher again would rebuild the provider's context.
 */
static mml_err gcm_setup(mml_aead *a, int enc, const uint8_t *key, size_t keylen, const uint8_t *nonce,
                         size_t noncelen)
{
	const EVP_CIPHER *c = gcm_cipher(keylen);
	if (!c || !noncelen || noncelen > 64)
		return MML_E_ARG;
	EVP_CIPHER_CTX *x = a->ctx;
	if (same_key(a, 1, enc, key, keylen) && a->ivlen == noncelen) {
		if (!EVP_CipherInit_ex(x, NULL, NULL, NULL, nonce, enc))
			return MML_E_CRYPTO;
		return MML_OK;
	}
	if (a->cipher == c && a->mode == 1 && a->ivlen == noncelen) {
		a->mode = 0;
		if (!EVP_CipherInit_ex(x, NULL, NULL, key, nonce, enc))
			return MML_E_CRYPTO;
	} else {
		a->mode = 0;
		a->cipher = NULL;
		if (!EVP_CipherInit_ex(x, c, NULL, NULL, NULL, enc) ||
		    !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, (int)noncelen, NULL) ||
		    !EVP_CipherInit_ex(x, NULL, NULL, key, nonce, enc))
			return MML_E_CRYPTO;
		a->cipher = c;
	}
	remember_key(a, 1, enc, key, keylen);
	a->ivlen = (uint8_t)noncelen;
	return MML_OK;
}

/*
 * Short records. EVP's AES-GCM costs about 200 ns a record before any
 * byte is decrypted (provider dispatch, parameters, a context reset per
 * IV); MMTLS records are mostly a few hundred bytes. Below G_SHORT bytes,
 * records go through OpenSSL's own GCM mode (CRYPTO_gcm128: GHASH with
 * the CPU's carry-less multiply, the tag compared in constant time), with
 * AES from an ECB context that keeps its key: the counter blocks of a
 * record are encrypted in one call and XORed in (the ctr128_f hook of
 * CRYPTO_gcm128_decrypt_ctr32). About 90 ns for a 64-byte record, 150 ns
 * for 400 bytes; EVP's stitched AES-GCM is faster from a few KiB on.
 * Tests check both paths against each other.
 */
#define G_SHORT 2048

static void g_block(const unsigned char in[16], unsigned char out[16], const void *key)
{
	int l;
	EVP_EncryptUpdate(((const g_ecb *)key)->x, out, &l, in, 16);
}

/* blocks of AES-CTR with a 32-bit big-endian counter (GCM's inc32) */
static void g_ctr32(const unsigned char *in, unsigned char *out, size_t blocks, const void *key,
                    const unsigned char ivec[16])
{
	g_ecb *g = (g_ecb *)key;
	uint32_t ctr = (uint32_t)ivec[12] << 24 | (uint32_t)ivec[13] << 16 | (uint32_t)ivec[14] << 8 | ivec[15];
	while (blocks) {
		size_t nb = blocks < sizeof g->ks / 16 ? blocks : sizeof g->ks / 16;
		for (size_t i = 0; i < nb; i++) {
			uint8_t *c = g->ks + 16 * i;
			uint32_t v = ctr + (uint32_t)i;
			memcpy(c, ivec, 12);
			c[12] = (uint8_t)(v >> 24), c[13] = (uint8_t)(v >> 16), c[14] = (uint8_t)(v >> 8), c[15] = (uint8_t)v;
		}
		int l;
		EVP_EncryptUpdate(g->x, g->ks, &l, g->ks, (int)(16 * nb));
		for (size_t i = 0; i < 16 * nb; i += 8) {
			uint64_t x, y;
			memcpy(&x, in + i, 8);
			memcpy(&y, g->ks + i, 8);
			x ^= y;
			memcpy(out + i, &x, 8);
		}
		in += 16 * nb, out += 16 * nb, blocks -= nb, ctr += (uint32_t)nb;
	}
}

/* The short-record state keyed with key (16 bytes); false if it cannot be. */
static bool g_setup(mml_aead *a, const uint8_t key[16])
{
	if (a->g_keyed && !memcmp(a->g_key, key, 16))
		return true;
	a->g_keyed = false;
	g_ecb *g = a->g_ecb;
	if (!g) {
		if (!(g = calloc(1, sizeof *g)))
			return false;
		if (!(g->x = EVP_CIPHER_CTX_new()) || !EVP_EncryptInit_ex(g->x, cipher(C_ECB128), NULL, key, NULL) ||
		    !EVP_CIPHER_CTX_set_padding(g->x, 0)) {
			EVP_CIPHER_CTX_free(g->x);
			free(g);
			return false;
		}
		a->g_ecb = g;
	} else if (!EVP_EncryptInit_ex(g->x, NULL, NULL, key, NULL)) {
		return false;
	}
	if (!a->g128) {
		if (!(a->g128 = CRYPTO_gcm128_new(g, g_block)))
			return false;
	} else {
		CRYPTO_gcm128_init(a->g128, g, g_block);
	}
	memcpy(a->g_key, key, 16);
	a->g_keyed = true;
	return true;
}

mml_err mml_gcm_open(mml_aead *a, const uint8_t *key, size_t keylen, const uint8_t *nonce, size_t noncelen,
                     const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t ctlen,
                     const uint8_t tag[16], uint8_t *out)
{
	if (!int_len(ctlen) || !int_len(aadlen))
		return MML_E_LIMIT;
	if (keylen == 16 && noncelen == 12 && ctlen < G_SHORT && aadlen < G_SHORT && g_setup(a, key)) {
		GCM128_CONTEXT *g = a->g128;
		CRYPTO_gcm128_setiv(g, nonce, 12);
		if ((aadlen && CRYPTO_gcm128_aad(g, aad, aadlen)) ||
		    (ctlen && CRYPTO_gcm128_decrypt_ctr32(g, ct, out, ctlen, g_ctr32)))
			return MML_E_CRYPTO;
		if (CRYPTO_gcm128_finish(g, tag, 16)) {
			if (ctlen)
				OPENSSL_cleanse(out, ctlen);
			return MML_E_AUTH;
		}
		return MML_OK;
	}
	MML_RETURN_IF_ERR(gcm_setup(a, 0, key, keylen, nonce, noncelen));
	EVP_CIPHER_CTX *x = a->ctx;
	int l = 0;
	/* the expected tag goes in first (checked by the final call), as a
	 * parameter: the ctrl interface would translate it into one */
	OSSL_PARAM tp[2] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, (void *)tag, 16),
	                    OSSL_PARAM_construct_end()};
	if (!EVP_CIPHER_CTX_set_params(x, tp))
		return MML_E_CRYPTO;
	if (aadlen && !EVP_DecryptUpdate(x, NULL, &l, aad, (int)aadlen))
		return MML_E_CRYPTO;
	if (ctlen && !EVP_DecryptUpdate(x, out, &l, ct, (int)ctlen))
		return MML_E_CRYPTO;
	if (EVP_DecryptFinal_ex(x, out + ctlen, &l) <= 0) {
		if (ctlen)
			OPENSSL_cleanse(out, ctlen);
		return MML_E_AUTH;
	}
	return MML_OK;
}

mml_err mml_gcm_seal(mml_aead *a, const uint8_t *key, size_t keylen, const uint8_t *nonce, size_t noncelen,
                     const uint8_t *aad, size_t aadlen, const uint8_t *pt, size_t ptlen, uint8_t *out,
                     uint8_t tag[16])
{
	if (!int_len(ptlen) || !int_len(aadlen))
		return MML_E_LIMIT;
	MML_RETURN_IF_ERR(gcm_setup(a, 1, key, keylen, nonce, noncelen));
	EVP_CIPHER_CTX *x = a->ctx;
	int l = 0;
	if (aadlen && !EVP_EncryptUpdate(x, NULL, &l, aad, (int)aadlen))
		return MML_E_CRYPTO;
	if (ptlen && !EVP_EncryptUpdate(x, out, &l, pt, (int)ptlen))
		return MML_E_CRYPTO;
	if (!EVP_EncryptFinal_ex(x, out + ptlen, &l) || !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, tag))
		return MML_E_CRYPTO;
	return MML_OK;
}

/* Key (only when it changed) and IV for CBC encryption (decryption goes
 * through the ECB cache below). */
static mml_err cbc_seal_setup(mml_aead *a, const uint8_t key[16], const uint8_t iv[16])
{
	EVP_CIPHER_CTX *x = a->ctx;
	if (same_key(a, 2, 1, key, 16))
		return EVP_EncryptInit_ex(x, NULL, NULL, NULL, iv) ? MML_OK : MML_E_CRYPTO;
	a->mode = 0;
	a->cipher = NULL;
	if (!EVP_EncryptInit_ex(x, cipher(C_CBC128), NULL, key, iv))
		return MML_E_CRYPTO;
	a->cipher = cipher(C_CBC128);
	remember_key(a, 2, 1, key, 16);
	return MML_OK;
}

/*
 * CBC decryption is ECB decryption of every block, then each block XORed
 * with the one before it (the IV for the first). An ECB context holds no
 * IV, so one per key serves every message under that key with a single
 * call, where a CBC context would be set up again for each message's IV.
 * The contexts of the last keys are kept in a small 2-way cache indexed
 * by the key's first byte (keys are random).
 */
static EVP_CIPHER_CTX *ecb_for(mml_aead *a, const uint8_t key[16])
{
	mml_aead_ecb *set = a->ecb[key[0] % MML_AEAD_ECB_SETS], *victim = &set[0];
	a->uses++;
	for (int w = 0; w < MML_AEAD_ECB_WAYS; w++) {
		if (set[w].ctx && !memcmp(set[w].key, key, 16)) {
			set[w].last = a->uses;
			return set[w].ctx;
		}
		if (!set[w].ctx || (victim->ctx && a->uses - set[w].last > a->uses - victim->last))
			victim = &set[w];
	}
	if (!victim->ctx) {
		EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
		if (!x)
			return NULL;
		if (!EVP_DecryptInit_ex(x, cipher(C_ECB128), NULL, key, NULL) || !EVP_CIPHER_CTX_set_padding(x, 0)) {
			EVP_CIPHER_CTX_free(x);
			return NULL;
		}
		victim->ctx = x;
	} else if (!EVP_DecryptInit_ex(victim->ctx, NULL, NULL, key, NULL)) {
		EVP_CIPHER_CTX_free(victim->ctx);
		victim->ctx = NULL;
		return NULL;
	}
	memcpy(victim->key, key, 16);
	victim->last = a->uses;
	return victim->ctx;
}

static void xor_into(uint8_t *restrict o, const uint8_t *restrict c, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		memcpy(&x, o + i, 8);
		memcpy(&y, c + i, 8);
		x ^= y;
		memcpy(o + i, &x, 8);
	}
	for (; i < n; i++)
		o[i] ^= c[i];
}

mml_err mml_cbc_open(mml_aead *a, const uint8_t key[16], const uint8_t iv[16], const uint8_t *ct,
                     size_t ctlen, uint8_t *out, size_t *outlen)
{
	if (!ctlen || ctlen % 16)
		return MML_E_MALFORMED;
	if (!int_len(ctlen))
		return MML_E_LIMIT;
	uintptr_t o = (uintptr_t)out, c = (uintptr_t)ct;
	if (o < c + ctlen && c < o + ctlen) /* the XOR pass reads ciphertext blocks after writing output */
		return MML_E_ARG;
	EVP_CIPHER_CTX *x = ecb_for(a, key);
	int l = 0;
	if (!x || !EVP_DecryptUpdate(x, out, &l, ct, (int)ctlen) || (size_t)l != ctlen)
		return MML_E_CRYPTO;
	xor_into(out, iv, 16);
	xor_into(out + 16, ct, ctlen - 16);
	uint8_t pad = out[ctlen - 1];
	int bad = pad == 0 || pad > 16;
	for (size_t i = 0; !bad && i < pad; i++)
		bad |= out[ctlen - 1 - i] != pad;
	if (bad) {
		OPENSSL_cleanse(out, ctlen);
		return MML_E_AUTH;
	}
	*outlen = ctlen - pad;
	return MML_OK;
}

mml_err mml_cbc_seal(mml_aead *a, const uint8_t key[16], const uint8_t iv[16], const uint8_t *pt,
                     size_t ptlen, uint8_t *out, size_t *outlen)
{
	if (!int_len(ptlen + 16))
		return MML_E_LIMIT;
	EVP_CIPHER_CTX *x = a->ctx;
	int l1 = 0, l2 = 0;
	MML_RETURN_IF_ERR(cbc_seal_setup(a, key, iv));
	if (!EVP_CIPHER_CTX_set_padding(x, 1) || !EVP_EncryptUpdate(x, out, &l1, pt, (int)ptlen) ||
	    !EVP_EncryptFinal_ex(x, out + l1, &l2))
		return MML_E_CRYPTO;
	*outlen = (size_t)l1 + (size_t)l2;
	return MML_OK;
}

mml_err mml_inflate(const uint8_t *in, size_t n, size_t cap, mml_buf *out)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit(&z) != Z_OK)
		return MML_E_NOMEM;
	if (cap > out->cap)
		cap = out->cap;
	size_t start = out->len;
	mml_err e = MML_OK;
	z.next_in = (Bytef *)in;
	size_t in_left = n;
	for (;;) {
		if (!z.avail_in && in_left) {
			z.avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
			in_left -= z.avail_in;
		}
		if (out->len - start >= cap) {
			e = MML_E_LIMIT;
			break;
		}
		size_t room = cap - (out->len - start);
		size_t chunk = room < 65536 ? room : 65536;
		if ((e = mml_buf_reserve(out, chunk)) != MML_OK)
			break;
		z.next_out = out->p + out->len;
		z.avail_out = (uInt)chunk;
		int r = inflate(&z, Z_NO_FLUSH);
		out->len += chunk - z.avail_out;
		if (r == Z_STREAM_END)
			break;
		if (r == Z_BUF_ERROR && !z.avail_in && !in_left) {
			e = MML_E_TRUNCATED;
			break;
		}
		if (r != Z_OK && r != Z_BUF_ERROR) {
			e = MML_E_MALFORMED;
			break;
		}
	}
	inflateEnd(&z);
	return e;
}

mml_err mml_deflate(const uint8_t *in, size_t n, mml_buf *out)
{
	uLong bound = compressBound((uLong)n);
	MML_RETURN_IF_ERR(mml_buf_reserve(out, bound));
	uLongf dl = bound;
	if (compress2(out->p + out->len, &dl, in, (uLong)n, 6) != Z_OK)
		return MML_E_CRYPTO;
	out->len += dl;
	return MML_OK;
}

mml_err mml_inflater_init(mml_inflater *z)
{
	z->d = libdeflate_alloc_decompressor();
	return z->d ? MML_OK : MML_E_NOMEM;
}

void mml_inflater_free(mml_inflater *z)
{
	if (z->d)
		libdeflate_free_decompressor(z->d);
	z->d = NULL;
}

mml_err mml_inflater_run(mml_inflater *z, const uint8_t *in, size_t n, size_t hint, size_t cap, mml_buf *out)
{
	if (cap > out->cap - out->len)
		cap = out->cap - out->len;
	size_t avail = hint ? hint : 4 * n;
	if (avail < 256)
		avail = 256;
	for (;;) {
		if (avail > cap)
			avail = cap;
		MML_RETURN_IF_ERR(mml_buf_reserve(out, avail));
		size_t got = 0;
		enum libdeflate_result r = libdeflate_zlib_decompress(z->d, in, n, out->p + out->len, avail, &got);
		if (r == LIBDEFLATE_SUCCESS) {
			out->len += got;
			return MML_OK;
		}
		if (r != LIBDEFLATE_INSUFFICIENT_SPACE || avail >= cap)
			return mml_inflate(in, n, cap, out); /* the streaming path says exactly what is wrong */
		avail = avail > cap / 4 ? cap : avail * 4;
	}
}
