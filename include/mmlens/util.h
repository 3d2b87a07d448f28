/*
 * mmlens/util.h - base layer: growable buffers with caps, checked size
 * arithmetic, hex, and a small JSON text writer.
 *
 * Contract: `mml_buf` owns its bytes and grows geometrically up to `cap`
 * bytes; a write that would pass the cap fails with MML_E_LIMIT and leaves
 * the buffer unchanged. Every size sum goes through `mml_add_ok()`, so no
 * length taken from input can wrap. The JSON writer only escapes and
 * formats; it never parses (jansson reads JSON).
 */
#ifndef MMLENS_UTIL_H
#define MMLENS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>

#include "mmlens/err.h"

/* a + b without wrap; false when it would overflow. */
static inline bool mml_add_ok(size_t a, size_t b, size_t *out)
{
	if (a > SIZE_MAX - b)
		return false;
	*out = a + b;
	return true;
}

static inline bool mml_mul_ok(size_t a, size_t b, size_t *out)
{
	if (b && a > SIZE_MAX / b)
		return false;
	*out = a * b;
	return true;
}

typedef struct mml_buf {
	uint8_t *p;
	size_t len;
	size_t alloc;
	size_t cap; /* hard upper bound on len; 0 means the default 64 MiB */
} mml_buf;

#define MML_BUF_DEFAULT_CAP ((size_t)64 << 20)

void mml_buf_init(mml_buf *b, size_t cap);
void mml_buf_free(mml_buf *b);
static inline void mml_buf_reset(mml_buf *b) { b->len = 0; }
/* Ensure room for `extra` more bytes. */
mml_err mml_buf_reserve(mml_buf *b, size_t extra);
mml_err mml_buf_append(mml_buf *b, const void *p, size_t n);
/* Drop the first n bytes (n <= len). */
void mml_buf_consume(mml_buf *b, size_t n);
/* Release memory beyond `keep` bytes of allocation when the buffer is empty. */
void mml_buf_shrink(mml_buf *b, size_t keep);

/*
 * Next line of text[0..n) from *pos, trimmed of spaces, tabs and CR at
 * both ends; *lineno counts lines (1-based). False at the end of text.
 */
bool mml_line_next(const char *text, size_t n, size_t *pos, uint32_t *lineno, const char **line, size_t *len);

/*
 * Grow an array of `elem`-byte items to hold at least `need` of them:
 * capacity doubles from `first` (or *cap), the size product is checked.
 * False (array unchanged) when memory or the arithmetic runs out. The
 * one capacity-doubling realloc of the tree.
 */
bool mml_grow(void **p, size_t *cap, size_t need, size_t elem, size_t first);

/* The value of one hex digit (either case), or -1. */
static inline int mml_hex_digit(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*
 * Does p[0..n) open a zlib stream (RFC 1950 section 2.2)? CM 8 (deflate),
 * a window of at most 32 KiB (CINFO <= 7), FCHECK valid, and no preset
 * dictionary (FDICT: nothing here could supply it). The one zlib check.
 */
static inline bool mml_zlib_magic(const uint8_t *p, size_t n)
{
	return n >= 2 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 && ((p[0] << 8) | p[1]) % 31 == 0 && !(p[1] & 0x20);
}

/* Hex. `mml_hex_decode` accepts upper and lower case and no separators. */
void mml_hex_encode(const uint8_t *in, size_t n, char *out /* 2n+1 */);
mml_err mml_hex_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap, size_t *outlen);
/*
 * Decode a hex dump as found in published research files: plain hex,
 * space separated bytes, `xxd` lines ("00000010: 69 63 ...  ascii") or
 * "0010  0A 6A ...  ascii" lines. Offsets and ASCII columns are skipped.
 */
mml_err mml_hexdump_decode(const char *text, size_t n, mml_buf *out);

/* Length of a valid 2-4 byte UTF-8 sequence at p[0..n), else 0. */
size_t mml_utf8_seq(const uint8_t *p, size_t n);
/* JSON text output helpers (writing only). */
void mml_json_str(FILE *f, const char *s, size_t n); /* quoted, escaped */
void mml_json_cstr(FILE *f, const char *s);          /* NULL -> null */
void mml_json_hex(FILE *f, const uint8_t *p, size_t n);
/*
 * The same escaping into memory. MML_JSON_ESC_MAX(n): the most bytes the
 * escaped text of n input bytes takes, quotes not counted. mml_json_esc
 * writes the quoted string at out (room: MML_JSON_ESC_MAX(n) + 2, n below
 * SIZE_MAX / 6) and returns its end; the _buf forms append to a buffer.
 */
#define MML_JSON_ESC_MAX(n) ((n) * 6)
char *mml_json_esc(char *out, const char *s, size_t n);
mml_err mml_json_str_buf(mml_buf *b, const char *s, size_t n);
mml_err mml_json_cstr_buf(mml_buf *b, const char *s); /* NULL -> null */

/*
 * Text formatting into memory (no bounds checks: the caller has made room).
 * mml_put_u64/i64 need 20 bytes, mml_put_ts 27 (seconds "." six-digit
 * microseconds, as printf "%llu.%06llu"), mml_put_hex4 4 ("%04x" of a
 * 16-bit value). Each returns the end of what it wrote.
 */
static inline char *mml_put(char *o, const void *s, size_t n)
{
	__builtin_memcpy(o, s, n);
	return o + n;
}
#define MML_PUTLIT(o, lit) mml_put((o), (lit), sizeof(lit) - 1)

/*
 * Copy n <= 32 bytes exactly, as overlapping fixed-size moves: a variable
 * memcpy of a few bytes is a library call or a slow-starting rep movs.
 */
static inline void mml_copy_small(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (n >= 16) {
		memcpy(d, s, 16);
		memcpy(d + n - 16, s + n - 16, 16);
	} else if (n >= 8) {
		memcpy(d, s, 8);
		memcpy(d + n - 8, s + n - 8, 8);
	} else if (n >= 4) {
		memcpy(d, s, 4);
		memcpy(d + n - 4, s + n - 4, 4);
	} else if (n >= 2) {
		memcpy(d, s, 2);
		memcpy(d + n - 2, s + n - 2, 2);
	} else if (n) {
		d[0] = s[0];
	}
}
char *mml_put_u64(char *o, uint64_t v);
static inline char *mml_put_i64(char *o, int64_t v)
{
	if (v < 0) {
		*o++ = '-';
		return mml_put_u64(o, (uint64_t)0 - (uint64_t)v);
	}
	return mml_put_u64(o, (uint64_t)v);
}
char *mml_put_ts(char *o, uint64_t us);
char *mml_put_hex4(char *o, unsigned v);
/* Lower-case hex of n bytes (2n chars, no terminator); SSE2 when present. */
char *mml_put_hex(char *o, const uint8_t *p, size_t n);

/*
 * Line writer: text is built in a per-thread buffer (MML_LW_SIZE bytes,
 * no allocation) and handed to f with one fwrite per line, or in
 * buffer-sized pieces for longer lines (a long string or hex run is
 * written in pieces; the bytes written are the same). One writer per
 * thread at a time, from mml_lw_begin to mml_lw_end. mml_lw_room(w, n)
 * returns where n more bytes (n <= MML_LW_FIXED) may be written; the
 * caller then sets w->p to the end of what it wrote. A write error shows
 * in ferror(f), as with stdio.
 */
#define MML_LW_SIZE ((size_t)256 << 10)
#define MML_LW_FIXED ((size_t)4096)
typedef struct mml_lw {
	FILE *f;
	char *p, *end, *base;
} mml_lw;
void mml_lw_begin(mml_lw *w, FILE *f);
void mml_lw_flush(mml_lw *w);
static inline char *mml_lw_room(mml_lw *w, size_t n)
{
	if ((size_t)(w->end - w->p) < n)
		mml_lw_flush(w);
	return w->p;
}
static inline void mml_lw_end(mml_lw *w) { mml_lw_flush(w); }
static inline void mml_lw_lit_(mml_lw *w, const char *s, size_t n)
{
	char *o = mml_lw_room(w, n);
	w->p = mml_put(o, s, n);
}
#define mml_lw_lit(w, lit) mml_lw_lit_((w), (lit), sizeof(lit) - 1)
static inline void mml_lw_u64(mml_lw *w, uint64_t v) { w->p = mml_put_u64(mml_lw_room(w, 20), v); }
void mml_lw_str(mml_lw *w, const char *s, size_t n); /* as mml_json_str */
void mml_lw_cstr(mml_lw *w, const char *s);          /* as mml_json_cstr */
void mml_lw_hex(mml_lw *w, const uint8_t *p, size_t n); /* as mml_json_hex */

/* Read a whole small file (used for catalogs, hex fixtures); capped. */
mml_err mml_read_file(const char *path, size_t cap, mml_buf *out);

#endif
