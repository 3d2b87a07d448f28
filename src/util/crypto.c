/*
 * crypto.c - AES-GCM, AES-CBC (OpenSSL EVP) and zlib wrappers.
 * Contract in include/mmlens/crypto.h.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
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

void mml_aead_free(mml_aead *a)
{
	if (a->ctx)
		EVP_CIPHER_CTX_free(a->ctx);
	OPENSSL_cleanse(a->key, sizeof a->key);
	a->ctx = NULL;
	a->keylen = 0;
}

/*
 * Ciphers are fetched from the provider once (OpenSSL 3 looks them up
 * under a lock on every implicit use), and a context that already holds
 * the key only gets its IV changed: records of one connection share a key.
 */
enum { C_GCM128, C_GCM192, C_GCM256, C_CBC128, C__N };
static EVP_CIPHER *fetched[C__N];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_all(void)
{
	static const char *const names[C__N] = {"AES-128-GCM", "AES-192-GCM", "AES-256-GCM", "AES-128-CBC"};
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

/* Load key (only when it changed) and nonce for a GCM operation. */
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
	a->mode = 0;
	if (!EVP_CipherInit_ex(x, c, NULL, NULL, NULL, enc) ||
	    !EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, (int)noncelen, NULL) ||
	    !EVP_CipherInit_ex(x, NULL, NULL, key, nonce, enc))
		return MML_E_CRYPTO;
	remember_key(a, 1, enc, key, keylen);
	a->ivlen = (uint8_t)noncelen;
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

static mml_err cbc_setup(mml_aead *a, int enc, const uint8_t key[16], const uint8_t iv[16])
{
	EVP_CIPHER_CTX *x = a->ctx;
	if (same_key(a, 2, enc, key, 16))
		return EVP_CipherInit_ex(x, NULL, NULL, NULL, iv, enc) ? MML_OK : MML_E_CRYPTO;
	a->mode = 0;
	if (!EVP_CipherInit_ex(x, cipher(C_CBC128), NULL, key, iv, enc))
		return MML_E_CRYPTO;
	remember_key(a, 2, enc, key, 16);
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
	MML_RETURN_IF_ERR(cbc_setup(a, 0, key, iv));
	if (!EVP_CIPHER_CTX_set_padding(x, 0) || !EVP_DecryptUpdate(x, out, &l, ct, (int)ctlen))
		return MML_E_CRYPTO;
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
	MML_RETURN_IF_ERR(cbc_setup(a, 1, key, iv));
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
