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
		[MML_E_END] = "end",
	};
	if ((unsigned)e >= MML_E__COUNT || !names[e])
		return "unknown";
	return names[e];
}

const char *mml_err_why(mml_err e)
{
	switch (e) {
	case MML_E_IO: return errno ? strerror(errno) : "input/output error";
	case MML_E_LIMIT: return "larger than mmlens reads (a size limit)";
	case MML_E_NOMEM: return "out of memory";
	case MML_E_MALFORMED: return "malformed";
	case MML_E_TRUNCATED: return "truncated";
	default: return mml_strerror(e);
	}
}

int mml_trace_level = -1;

void mml_trace_err(const char *file, int line, mml_err e)
{
	if (mml_trace_level < 0) {
		const char *v = getenv("MMLENS_TRACE");
		mml_trace_level = !v || !*v || !strcmp(v, "0") ? 0 : !strcmp(v, "all") ? 2 : 1;
	}
	if (!mml_trace_level || (e == MML_E_INCOMPLETE && mml_trace_level < 2))
		return;
	fprintf(stderr, "mmlens: trace: %s:%d: %s\n", file, line, mml_strerror(e));
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

bool mml_grow(void **p, size_t *cap, size_t need, size_t elem, size_t first)
{
	if (need <= *cap)
		return true;
	if (!elem) /* realloc(p, 0) may free p */
		return false;
	size_t nc = *cap ? *cap : (first ? first : 1), bytes;
	while (nc < need) {
		if (nc > SIZE_MAX / 2)
			return false;
		nc *= 2;
	}
	if (!mml_mul_ok(nc, elem, &bytes))
		return false;
	void *np = realloc(*p, bytes);
	if (!np)
		return false;
	*p = np;
	*cap = nc;
	return true;
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
	const char *nl = memchr(text + i, '\n', n - i);
	size_t e = nl ? (size_t)(nl - text) : n;
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

/* mml_hex_digit + 1 as a table; 0 for a byte that is not a hex digit */
static const uint8_t hex_tab1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

mml_err mml_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap, size_t *outlen)
{
	if (inlen % 2)
		return MML_E_MALFORMED;
	if (inlen / 2 > outcap)
		return MML_E_LIMIT;
	const uint8_t *u = (const uint8_t *)in;
	for (size_t i = 0; i < inlen; i += 2) {
		unsigned a = hex_tab1[u[i]], b = hex_tab1[u[i + 1]];
		if (!a || !b)
			return MML_E_MALFORMED;
		out[i / 2] = (uint8_t)((a - 1) << 4 | (b - 1));
	}
	*outlen = inlen / 2;
	return MML_OK;
}

static bool hex2(const char *s) { return mml_hex_digit((unsigned char)s[0]) >= 0 && mml_hex_digit((unsigned char)s[1]) >= 0; }

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
		while (j < ll && mml_hex_digit((unsigned char)l[j]) >= 0)
			j++;
		if (j == ll && j % 2 == 0 && j > 2) { /* one run of plain hex */
			for (size_t q = 0; q < j; q += 2) {
				uint8_t b = (uint8_t)(mml_hex_digit((unsigned char)l[q]) << 4 | mml_hex_digit((unsigned char)l[q + 1]));
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
			uint8_t b = (uint8_t)(mml_hex_digit((unsigned char)l[k]) << 4 | mml_hex_digit((unsigned char)l[k + 1]));
			MML_RETURN_IF_ERR(mml_buf_append(out, &b, 1));
			count++;
			gap = 0;
			k += 2;
		}
	}
	return MML_OK;
}

/* Length of a valid UTF-8 sequence (2-4 bytes, no overlongs or surrogates) at p[0..n), else 0. */
size_t mml_utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t c = p[0];
	size_t k = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (!k || k > n)
		return 0;
	for (size_t i = 1; i < k; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) || (c == 0xf0 && p[1] < 0x90) ||
	    (c == 0xf4 && p[1] > 0x8f))
		return 0;
	return k;
}

/*
 * Valid UTF-8 passes through; control characters are escaped; a byte
 * that is not part of valid UTF-8 is written as the code point of the
 * same value (\u00XX), so any bytes give valid JSON.
 *
 * esc_run escapes u[*pi..stop) (a UTF-8 sequence that starts before stop
 * may run past it, up to n) into o and returns the end of the output. The
 * output needs MML_JSON_ESC_MAX(stop - *pi) bytes: an input byte becomes
 * at most 6 (\u00XX). Runs of plain ASCII move 16 bytes at a time with
 * SSE2 (a 16-byte store is always inside that room: 6 x 16 >= 16).
 */
static char *esc_run(char *o, const uint8_t *u, size_t *pi, size_t stop, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	size_t i = *pi;
	while (i < stop) {
#ifdef __SSE2__
		const __m128i sp = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f), qu = _mm_set1_epi8('"'),
		              bs = _mm_set1_epi8('\\');
		while (i + 16 <= stop) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(u + i));
			__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(x, sp), _mm_cmpeq_epi8(x, del)),
			                         _mm_or_si128(_mm_cmpeq_epi8(x, qu), _mm_cmpeq_epi8(x, bs)));
			unsigned bits = (unsigned)_mm_movemask_epi8(m);
			_mm_storeu_si128((__m128i *)(void *)o, x);
			if (!bits) {
				o += 16;
				i += 16;
				continue;
			}
			unsigned k = (unsigned)__builtin_ctz(bits);
			o += k;
			i += k;
			break;
		}
		if (i >= stop)
			break;
#endif
		uint8_t c = u[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			*o++ = (char)c;
			i++;
			continue;
		}
		if (c >= 0x80) {
			size_t k = mml_utf8_seq(u + i, n - i);
			if (k) {
				memcpy(o, u + i, k);
				o += k;
				i += k;
				continue;
			}
		}
		*o++ = '\\';
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hexd[c >> 4];
			o[4] = hexd[c & 15];
			o += 5;
			break;
		}
		i++;
	}
	*pi = i;
	return o;
}

char *mml_json_esc(char *out, const char *s, size_t n)
{
	size_t i = 0;
	*out++ = '"';
	out = esc_run(out, (const uint8_t *)s, &i, n, n);
	*out++ = '"';
	return out;
}

mml_err mml_json_str_buf(mml_buf *b, const char *s, size_t n)
{
	size_t room;
	if (!mml_mul_ok(n, 6, &room) || !mml_add_ok(room, 2, &room))
		return MML_E_LIMIT;
	MML_RETURN_IF_ERR(mml_buf_reserve(b, room));
	char *o = mml_json_esc((char *)b->p + b->len, s, n);
	b->len = (size_t)((uint8_t *)o - b->p);
	return MML_OK;
}

mml_err mml_json_cstr_buf(mml_buf *b, const char *s)
{
	if (!s)
		return mml_buf_append(b, "null", 4);
	return mml_json_str_buf(b, s, strlen(s));
}

void mml_json_str(FILE *f, const char *s, size_t n)
{
	enum { CHUNK = 2048 };
	char tmp[MML_JSON_ESC_MAX(CHUNK) + 2];
	const uint8_t *u = (const uint8_t *)s;
	size_t i = 0;
	tmp[0] = '"';
	char *o = tmp + 1;
	do {
		size_t stop = n - i > CHUNK ? i + CHUNK : n;
		o = esc_run(o, u, &i, stop, n);
		if (i >= n)
			*o++ = '"';
		fwrite(tmp, 1, (size_t)(o - tmp), f);
		o = tmp;
	} while (i < n);
}

void mml_json_cstr(FILE *f, const char *s)
{
	if (!s)
		fputs("null", f);
	else
		mml_json_str(f, s, strlen(s));
}

/* Hex of n bytes into out (2n chars); 16 bytes at a time with SSE2. */
char *mml_put_hex(char *out, const uint8_t *p, size_t n)
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
	return out + 2 * n;
}

void mml_json_hex(FILE *f, const uint8_t *p, size_t n)
{
	char chunk[8192];
	fputc('"', f);
	while (n) {
		size_t k = n < sizeof chunk / 2 ? n : sizeof chunk / 2;
		mml_put_hex(chunk, p, k);
		fwrite(chunk, 1, 2 * k, f);
		p += k;
		n -= k;
	}
	fputc('"', f);
}

mml_err mml_load_text(const char *path, size_t cap, mml_text_fn parse, void *obj, mml_diag_fn diag, void *dctx)
{
	mml_buf b;
	mml_buf_init(&b, cap);
	mml_err e = mml_read_file(path, cap, &b);
	if (e == MML_OK)
		e = parse(obj, (const char *)b.p, b.len, path, diag, dctx);
	mml_buf_free(&b);
	return e;
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
	int saved = errno; /* the read's reason, for mml_err_why */
	fclose(f);
	errno = saved;
	return e;
}
