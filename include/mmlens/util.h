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

/* Read a whole small file (used for catalogs, hex fixtures); capped. */
mml_err mml_read_file(const char *path, size_t cap, mml_buf *out);

#endif
