/*
 * mmlens/crypto.h - thin wrappers over OpenSSL libcrypto (EVP) for the
 * ciphers MMTLS and the business layer use, and zlib inflation.
 *
 * Contract (after BearSSL): AEAD opening verifies the tag before any
 * plaintext is released; on failure the output buffer is wiped and
 * MML_E_AUTH is returned. A context is a plain struct the caller owns;
 * it caches the expanded key so that records sharing a key skip the key
 * schedule, and for CBC decryption the expanded keys of the last few
 * dozen keys (the business layer's session keys of many devices at once).
 */
#ifndef MMLENS_CRYPTO_H
#define MMLENS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmlens/err.h"
#include "mmlens/util.h"

/* CBC decryption keeps the ECB contexts of the last keys (see crypto.c) */
#define MML_AEAD_ECB_SETS 32
#define MML_AEAD_ECB_WAYS 2

typedef struct mml_aead_ecb {
	void *ctx;          /* EVP_CIPHER_CTX (AES-128-ECB, decrypt, no padding), or NULL */
	uint8_t key[16];
	uint32_t last;      /* the aead's use count when this key was last used */
} mml_aead_ecb;

typedef struct mml_aead {
	void *ctx;          /* EVP_CIPHER_CTX */
	uint8_t key[32];
	uint8_t keylen;     /* 0 = no key loaded */
	uint8_t mode;       /* what the context holds: 0 none, 1 GCM, 2 CBC */
	int8_t enc;         /* 1 encrypt, 0 decrypt, -1 unknown */
	uint8_t ivlen;
	const void *cipher; /* the EVP_CIPHER ctx was set up with (kept across key changes), or NULL */
	/* short AES-128-GCM records: OpenSSL's GCM mode (CRYPTO_gcm128) over an
	 * AES-ECB context (see crypto.c) */
	void *g128;         /* GCM128_CONTEXT, or NULL */
	void *g_ecb;        /* its block cipher state (heap), or NULL */
	uint8_t g_key[16];
	bool g_keyed;
	uint32_t uses;
	mml_aead_ecb ecb[MML_AEAD_ECB_SETS][MML_AEAD_ECB_WAYS];
} mml_aead;

mml_err mml_aead_init(mml_aead *a);
void mml_aead_free(mml_aead *a);
/*
 * AES-GCM (128/192/256 by keylen) open: out receives ctlen bytes only when
 * the 16-byte tag verifies.
 */
mml_err mml_gcm_open(mml_aead *a, const uint8_t *key, size_t keylen, const uint8_t *nonce, size_t noncelen,
                     const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t ctlen,
                     const uint8_t tag[16], uint8_t *out);
/* AES-GCM seal (used by the simulator and tests). */
mml_err mml_gcm_seal(mml_aead *a, const uint8_t *key, size_t keylen, const uint8_t *nonce, size_t noncelen,
                     const uint8_t *aad, size_t aadlen, const uint8_t *pt, size_t ptlen, uint8_t *out,
                     uint8_t tag[16]);
/*
 * AES-128-CBC decrypt with PKCS#7 padding check; *outlen = unpadded size.
 * out must not overlap ct.
 * MML_E_AUTH when the padding is wrong, MML_E_MALFORMED when ctlen is not
 * a positive multiple of 16.
 */
mml_err mml_cbc_open(mml_aead *a, const uint8_t key[16], const uint8_t iv[16], const uint8_t *ct,
                     size_t ctlen, uint8_t *out, size_t *outlen);
mml_err mml_cbc_seal(mml_aead *a, const uint8_t key[16], const uint8_t iv[16], const uint8_t *pt,
                     size_t ptlen, uint8_t *out, size_t *outlen /* ptlen rounded up + 16 max */);

/*
 * Inflate a zlib stream into out (appended), stopping at out->cap or
 * `cap` bytes, whichever is lower: MML_E_LIMIT then (the body hit the
 * cap; what was inflated so far stays in out). MML_E_MALFORMED on a
 * corrupt stream, MML_E_TRUNCATED when the stream ends early.
 */
mml_err mml_inflate(const uint8_t *in, size_t n, size_t cap, mml_buf *out);
mml_err mml_deflate(const uint8_t *in, size_t n, mml_buf *out);

/*
 * A reusable one-shot zlib decompressor (libdeflate), for the hot path:
 * no allocation per message. `hint` is the size the sender declared (may
 * be wrong or hostile: it only picks the first output size, which grows
 * x4 up to `cap`). Same results and errors as mml_inflate(), to which it
 * falls back for a body that hits the cap or does not decode.
 */
typedef struct mml_inflater {
	void *d; /* struct libdeflate_decompressor */
} mml_inflater;

mml_err mml_inflater_init(mml_inflater *z);
void mml_inflater_free(mml_inflater *z);
mml_err mml_inflater_run(mml_inflater *z, const uint8_t *in, size_t n, size_t hint, size_t cap, mml_buf *out);

#endif
