/*
 * util.c - error names, varint, buffers, hex and JSON text output.
 * See include/mmlens/util.h and include/mmlens/cursor.h for the contracts.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/cursor.h"
#include "mmlens/util.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

const char *mml_strerror(mml_err e)
{
	static const char *const names[MML_E__COUNT] = {
		[MML_OK] = "ok",
		[MML_E_INCOMPLETE] = "incomplete",
		[MML_E_MALFORMED] = "malformed",
		[MML_E_TRUNCATED] = "truncated",
		[MML_E_LIMIT] = "limit",
		[MML_E_NOMEM] = "out_of_memory",
		[MML_E_IO] = "io_error",
		[MML_E_NOKEY] = "no_key",
		[MML_E_AUTH] = "auth_failed",
		[MML_E_CRYPTO] = "crypto_error",
		[MML_E_UNSUPPORTED] = "unsupported",
		[MML_E_ARG] = "bad_argument",
	};
	if ((unsigned)e >= MML_E__COUNT || !names[e])
		return "unknown";
	return names[e];
}

mml_err mml_cur_varint(mml_cur *c, uint64_t *v)
{
	uint64_t r = 0;
	size_t left = mml_cur_left(c);
	for (size_t i = 0; i < 10; i++) {
		if (i >= left)
			return MML_E_TRUNCATED;
		uint8_t b = c->p[c->off + i];
		r |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			c->off += i + 1;
			*v = r;
			return MML_OK;
		}
	}
	return MML_E_MALFORMED;
}

void mml_buf_init(mml_buf *b, size_t cap)
{
	b->p = NULL;
	b->len = b->alloc = 0;
	b->cap = cap ? cap : MML_BUF_DEFAULT_CAP;
}

void mml_buf_free(mml_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->alloc = 0;
}

mml_err mml_buf_reserve(mml_buf *b, size_t extra)
{
	size_t need;
	if (!mml_add_ok(b->len, extra, &need) || need > b->cap)
		return MML_E_LIMIT;
	if (need <= b->alloc)
		return MML_OK;
	size_t n = b->alloc ? b->alloc : 256;
	while (n < need) {
		if (n > SIZE_MAX / 2) {
			n = need;
			break;
		}
		n *= 2;
	}
	if (n > b->cap)
		n = b->cap;
	uint8_t *q = realloc(b->p, n);
	if (!q)
		return MML_E_NOMEM;
	b->p = q;
	b->alloc = n;
	return MML_OK;
}

mml_err mml_buf_append(mml_buf *b, const void *p, size_t n)
{
	if (!n)
		return MML_OK;
	MML_RETURN_IF_ERR(mml_buf_reserve(b, n));
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return MML_OK;
}

void mml_buf_consume(mml_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

void mml_buf_shrink(mml_buf *b, size_t keep)
{
	if (b->len == 0 && b->alloc > keep) {
		free(b->p);
		b->p = NULL;
		b->alloc = 0;
	}
}

static bool is_blank(char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }

bool mml_line_next(const char *text, size_t n, size_t *pos, uint32_t *lineno, const char **line, size_t *len)
{
	size_t i = *pos;
	if (i >= n)
		return false;
	size_t e = i;
	while (e < n && text[e] != '\n')
		e++;
	size_t a = i, b = e;
	while (a < b && is_blank(text[a]))
		a++;
	while (b > a && is_blank(text[b - 1]))
		b--;
	*pos = e + 1;
	(*lineno)++;
	*line = text + a;
	*len = b - a;
	return true;
}

void mml_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

mml_err mml_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap, size_t *outlen)
{
	if (inlen % 2)
		return MML_E_MALFORMED;
	if (inlen / 2 > outcap)
		return MML_E_LIMIT;
	for (size_t i = 0; i < inlen; i += 2) {
		int hi = hexval((unsigned char)in[i]), lo = hexval((unsigned char)in[i + 1]);
		if (hi < 0 || lo < 0)
			return MML_E_MALFORMED;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = inlen / 2;
	return MML_OK;
}

static bool hex2(const char *s) { return hexval((unsigned char)s[0]) >= 0 && hexval((unsigned char)s[1]) >= 0; }

mml_err mml_hexdump_decode(const char *text, size_t n, mml_buf *out)
{
	size_t i = 0;
	while (i < n) {
		size_t e = i;
		while (e < n && text[e] != '\n')
			e++;
		const char *l = text + i;
		size_t ll = e - i, k = 0, j = 0;
		i = e + 1;
		while (ll && (l[ll - 1] == '\r' || l[ll - 1] == ' '))
			ll--;
		while (j < ll && hexval((unsigned char)l[j]) >= 0)
			j++;
		if (j == ll && j % 2 == 0 && j > 2) { /* one run of plain hex */
			for (size_t q = 0; q < j; q += 2) {
				uint8_t b = (uint8_t)(hexval((unsigned char)l[q]) << 4 | hexval((unsigned char)l[q + 1]));
				MML_RETURN_IF_ERR(mml_buf_append(out, &b, 1));
			}
			continue;
		}
		/* An offset column ("00000010:" or "0010  ") allows an ASCII
		 * column after at most 16 bytes or after a gap of 3+ spaces. */
		bool offset = false;
		if (j >= 4 && j < ll && l[j] == ':') {
			offset = true;
			k = j + 1;
		} else if (j >= 4 && j + 1 < ll && l[j] == ' ' && l[j + 1] == ' ') {
			offset = true;
			k = j + 2;
		}
		int count = 0;
		size_t gap = 0;
		while (k < ll) {
			if (l[k] == ' ' || l[k] == '\t') {
				gap++;
				k++;
				continue;
			}
			if (offset && (count == 16 || (count > 0 && gap >= 3)))
				break;
			if (k + 2 > ll || !hex2(l + k) || (k + 2 < ll && l[k + 2] != ' ' && l[k + 2] != '\t'))
				break;
			uint8_t b = (uint8_t)(hexval((unsigned char)l[k]) << 4 | hexval((unsigned char)l[k + 1]));
			MML_RETURN_IF_ERR(mml_buf_append(out, &b, 1));
			count++;
			gap = 0;
			k += 2;
		}
	}
	return MML_OK;
}

void mml_json_str(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (c < 0x20 || c >= 0x7f)
				fprintf(f, "\\u%04x", c); /* bytes shown as code points */
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

void mml_json_cstr(FILE *f, const char *s)
{
	if (!s)
		fputs("null", f);
	else
		mml_json_str(f, s, strlen(s));
}

/* Hex of n bytes into out (2n chars); 16 bytes at a time with SSE2. */
static void hex_block(const uint8_t *p, size_t n, char *out)
{
	static const char pairs[513] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	                               "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
	size_t i = 0;
#ifdef __SSE2__
	const __m128i mask = _mm_set1_epi8(0x0f), nine = _mm_set1_epi8(9), zero = _mm_set1_epi8('0'),
	              gap = _mm_set1_epi8('a' - '0' - 10);
	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + i));
		__m128i hi = _mm_and_si128(_mm_srli_epi16(x, 4), mask), lo = _mm_and_si128(x, mask);
		__m128i a = _mm_unpacklo_epi8(hi, lo), b = _mm_unpackhi_epi8(hi, lo);
		a = _mm_add_epi8(_mm_add_epi8(a, zero), _mm_and_si128(_mm_cmpgt_epi8(a, nine), gap));
		b = _mm_add_epi8(_mm_add_epi8(b, zero), _mm_and_si128(_mm_cmpgt_epi8(b, nine), gap));
		_mm_storeu_si128((__m128i *)(out + 2 * i), a);
		_mm_storeu_si128((__m128i *)(out + 2 * i + 16), b);
	}
#endif
	for (; i < n; i++)
		memcpy(out + 2 * i, pairs + 2 * p[i], 2);
}

void mml_json_hex(FILE *f, const uint8_t *p, size_t n)
{
	char chunk[8192];
	fputc('"', f);
	while (n) {
		size_t k = n < sizeof chunk / 2 ? n : sizeof chunk / 2;
		hex_block(p, k, chunk);
		fwrite(chunk, 1, 2 * k, f);
		p += k;
		n -= k;
	}
	fputc('"', f);
}

mml_err mml_read_file(const char *path, size_t cap, mml_buf *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return MML_E_IO;
	mml_err e = MML_OK;
	uint8_t tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
		if (out->len + n > cap) {
			e = MML_E_LIMIT;
			break;
		}
		if ((e = mml_buf_append(out, tmp, n)) != MML_OK)
			break;
	}
	if (e == MML_OK && ferror(f))
		e = MML_E_IO;
	fclose(f);
	return e;
}
