/*
 * crypto.c - AES-GCM, AES-CBC (OpenSSL EVP) and zlib wrappers.
 * Contract in include/mmlens/crypto.h.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>
#include <zlib.h>

#include "mmlens/crypto.h"

mml_err mml_aead_init(mml_aead *a)
{
	memset(a, 0, sizeof *a);
	a->ctx = EVP_CIPHER_CTX_new();
	return a->ctx ? MML_OK : MML_E_NOMEM;
}

void mml_aead_free(mml_aead *a)
{
	if (a->ctx)
		EVP_CIPHER_CTX_free(a->ctx);
	OPENSSL_cleanse(a->key, sizeof a->key);
	a->ctx = NULL;
	a->keylen = 0;
}

static const EVP_CIPHER *gcm_cipher(size_t keylen)
{
	switch (keylen) {
	case 16: return EVP_aes_128_gcm();
	case 24: return EVP_aes_192_gcm();
	case 32: return EVP_aes_256_gcm();
	default: return NULL;
	}
}

static int int_len(size_t n) { return n <= (size_t)0x7fffffff; }

/* Load key (only when it changed) and nonce for a GCM operation. */
static mml_err gcm_setup(mml_aead *a, int enc, const uint8_t *key, size_t keylen, const uint8_t *nonce,
                         size_t noncelen)
{
	const EVP_CIPHER *c = gcm_cipher(keylen);
	if (!c || !noncelen || noncelen > 64)
		return MML_E_ARG;
	EVP_CIPHER_CTX *x = a->ctx;
	/* Re-initialise fully each time: the context may have been used for
	 * another mode or direction; OpenSSL keeps the key schedule cheap. */
	if (!EVP_CipherInit_ex(x, c, NULL, NULL, NULL, enc) ||
	    !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, (int)noncelen, NULL) ||
	    !EVP_CipherInit_ex(x, NULL, NULL, key, nonce, enc))
		return MML_E_CRYPTO;
	memcpy(a->key, key, keylen);
	a->keylen = (uint8_t)keylen;
	return MML_OK;
}

mml_err mml_gcm_open(mml_aead *a, const uint8_t *key, size_t keylen, const uint8_t *nonce, size_t noncelen,
                     const uint8_t *aad, size_t aadlen, const uint8_t *ct, size_t ctlen,
                     const uint8_t tag[16], uint8_t *out)
{
	if (!int_len(ctlen) || !int_len(aadlen))
		return MML_E_LIMIT;
	MML_RETURN_IF_ERR(gcm_setup(a, 0, key, keylen, nonce, noncelen));
	EVP_CIPHER_CTX *x = a->ctx;
	int l = 0;
	if (aadlen && !EVP_DecryptUpdate(x, NULL, &l, aad, (int)aadlen))
		return MML_E_CRYPTO;
	if (ctlen && !EVP_DecryptUpdate(x, out, &l, ct, (int)ctlen))
		return MML_E_CRYPTO;
	if (!EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag))
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

mml_err mml_cbc_open(mml_aead *a, const uint8_t key[16], const uint8_t iv[16], const uint8_t *ct,
                     size_t ctlen, uint8_t *out, size_t *outlen)
{
	if (!ctlen || ctlen % 16)
		return MML_E_MALFORMED;
	if (!int_len(ctlen))
		return MML_E_LIMIT;
	EVP_CIPHER_CTX *x = a->ctx;
	int l = 0;
	if (!EVP_DecryptInit_ex(x, EVP_aes_128_cbc(), NULL, key, iv) || !EVP_CIPHER_CTX_set_padding(x, 0) ||
	    !EVP_DecryptUpdate(x, out, &l, ct, (int)ctlen))
		return MML_E_CRYPTO;
	a->keylen = 0; /* the context no longer holds a GCM key */
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
	if (!EVP_EncryptInit_ex(x, EVP_aes_128_cbc(), NULL, key, iv) || !EVP_CIPHER_CTX_set_padding(x, 1) ||
	    !EVP_EncryptUpdate(x, out, &l1, pt, (int)ptlen) || !EVP_EncryptFinal_ex(x, out + l1, &l2))
		return MML_E_CRYPTO;
	a->keylen = 0;
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
