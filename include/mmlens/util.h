/*
 * mmlens/util.h - base layer: growable buffers with caps, checked size
 * arithmetic, hex, and a small JSON text writer.
 *
 * Contract: `mml_buf` owns its bytes and grows geometrically up to `cap`
 * bytes; a write that would pass the cap fails with MML_E_LIMIT and leaves
 * the buffer unchanged. Every size sum goes through `mml_add_ok()`, so no
 * length taken from input can wrap. The JSON writer only escapes and
 * formats; it never parses (jansson reads JSON). JSON is written with
 * the writer mml_jw (over the line writer mml_lw).
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
	FILE *f;                /* NULL: a writer over memory (mml_lw_mem) */
	char *p, *end, *base;
	bool over;              /* memory: the text did not fit (it was cut) */
} mml_lw;
void mml_lw_begin(mml_lw *w, FILE *f);
/*
 * A line writer over the caller's memory p[0..n): nothing is flushed, the
 * caller has made room for all it writes (text that does not fit is
 * dropped and `over` set). The text ends at w->p.
 */
void mml_lw_mem(mml_lw *w, char *p, size_t n);
void mml_lw_flush(mml_lw *w);
/* Room is short: flush (memory: the text is cut, see mml_lw_mem). */
void mml_lw_short(mml_lw *w);
static inline char *mml_lw_room(mml_lw *w, size_t n)
{
	if ((size_t)(w->end - w->p) < n)
		mml_lw_short(w);
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
/* The hex digits alone (no quotes), in pieces as room allows. */
void mml_lw_hex_digits(mml_lw *w, const uint8_t *p, size_t n);

/*
 * JSON writer over a line writer: the one way mmlens writes JSON (every
 * JSONL line, the stats and summaries; docs/ARCHITECTURE.md "Output").
 * Containers are opened and closed, keys and values written; the commas
 * between members and elements are put in by the writer. Open containers
 * are kept on a stack of fixed depth (their closing brackets): no
 * allocation, ever. Numbers come out as printf formats them ("%llu",
 * "%lld", "%llu.%06llu" for a microsecond time, "%.*f"), strings escaped
 * as mml_json_str, bytes as hex strings. Misuse (a close with nothing
 * open, a stack overflow, a line ended inside a container) sets `bad`:
 * the tests check it; the text is then not JSON.
 *
 * A line: mml_jw_begin(&w, &lw, f), containers, keys and values,
 * mml_jw_nl(&w) (the line's newline), more lines, mml_jw_end(&w) (flush).
 * Or mml_jw_on(&w, &lw) over a line writer begun elsewhere (mml_lw_mem:
 * into memory). Keys: mml_jw_key(w, "literal") (a literal of the source,
 * not escaped), mml_jw_key_str (escaped), mml_jw_key_name (a trusted name,
 * e.g. from a fixed table). mml_jw_kv_*(w, "key", value) write a key and
 * a value at once. mml_jw_name writes a trusted name unescaped (NULL:
 * null); mml_jw_raw pre-escaped JSON text that is one value or whole
 * members of the open object. mml_jw_value_lw hands the line writer to a
 * writer of one value or of whole members that does not use mml_jw.
 *
 * The writer's state is a few words that the functions here change
 * inline; the values that are not inline get the line writer and the
 * pending separator (mml_jwv_*), never the writer itself. A writer used
 * within one function therefore stays in registers: the separators and
 * brackets of a line of fixed shape are settled at compile time.
 *
 * The fast path (the decrypt and scan JSONL lines): a run of members of
 * bounded size written through a cursor after one room check:
 *   char *o = mml_jw_run(w, 128);
 *   o = mml_jwp_u64(w, o, "id", id);
 *   o = mml_jwp_lit(w, o, "dir", "\"request\"");
 *   mml_jw_run_end(w, o);
 */
#define MML_JW_DEPTH 1024 /* open containers (a power of two): more than a decoded tree at its deepest */
typedef struct mml_jw {
	mml_lw *lw;
	unsigned comma;         /* 1: a ',' goes before the next key or value */
	unsigned depth;         /* open containers */
	bool bad;               /* misuse seen (see above) */
	char close[MML_JW_DEPTH]; /* the closing bracket of each open container, by depth */
} mml_jw;

static inline void mml_jw_on(mml_jw *w, mml_lw *lw)
{
	w->lw = lw;
	w->comma = 0;
	w->depth = 0;
	w->bad = false;
	w->close[MML_JW_DEPTH - 1] = '}'; /* what a close with nothing open writes */
}
static inline void mml_jw_begin(mml_jw *w, mml_lw *lw, FILE *f)
{
	mml_lw_begin(lw, f);
	mml_jw_on(w, lw);
}
static inline void mml_jw_end(mml_jw *w) { mml_lw_end(w->lw); }

/* A run: room for n <= MML_LW_FIXED bytes written through the cursor o. */
static inline char *mml_jw_run(mml_jw *w, size_t n) { return mml_lw_room(w->lw, n); }
static inline void mml_jw_run_end(mml_jw *w, char *o) { w->lw->p = o; }

/* The pending ',' at o. */
static inline char *mml_jw_sep_(const mml_jw *w, char *o)
{
	if (w->comma)
		*o++ = ',';
	return o;
}
/* A value goes at the returned place. */
static inline char *mml_jwp_val(mml_jw *w, char *o)
{
	o = mml_jw_sep_(w, o);
	w->comma = 1;
	return o;
}
/* Cursor forms (o: room made by mml_jw_run). A key is a literal. */
/* ck[0..n): ',' and the key with its quotes and ':' (one copy with or
 * without the ',': where the writer's state is known, one store). */
static inline char *mml_jwp_key_(mml_jw *w, char *o, const char *ck, size_t n)
{
	o = w->comma ? mml_put(o, ck, n) : mml_put(o, ck + 1, n - 1);
	w->comma = 0;
	return o;
}
#define mml_jwp_key(w, o, k) mml_jwp_key_((w), (o), ",\"" k "\":", sizeof(",\"" k "\":") - 1)
#define mml_jwp_kv_(w, o, k) mml_jwp_val((w), mml_jwp_key((w), (o), k))
#define mml_jwp_u64(w, o, k, v) mml_put_u64(mml_jwp_kv_((w), (o), k), (v))
#define mml_jwp_i64(w, o, k, v) mml_put_i64(mml_jwp_kv_((w), (o), k), (v))
#define mml_jwp_ts(w, o, k, v) mml_put_ts(mml_jwp_kv_((w), (o), k), (v))
/* lit: JSON text (e.g. "null", "\"request\"") */
#define mml_jwp_lit(w, o, k, lit) mml_put(mml_jwp_kv_((w), (o), k), lit, sizeof(lit) - 1)
#define mml_jwp_null(w, o, k) mml_jwp_lit((w), (o), k, "null")
#define mml_jwp_bool(w, o, k, v) ((v) ? mml_jwp_lit((w), (o), k, "true") : mml_jwp_lit((w), (o), k, "false"))
/* A string escaped (room: MML_JSON_ESC_MAX(n) + 2 and the key). */
#define mml_jwp_str(w, o, k, s, n) mml_json_esc(mml_jwp_kv_((w), (o), k), (s), (n))
/* Pre-escaped text (one value or whole members) at o (room: n + 1). */
static inline char *mml_jwp_raw(mml_jw *w, char *o, const char *s, size_t n) { return mml_put(mml_jwp_val(w, o), s, n); }
/* printf "%.*f" of v (prec 0..17; room: 400 bytes, the longest double's). */
char *mml_put_fixed(char *o, double v, int prec);
#define MML_PUT_FIXED_MAX 400
#define mml_jwp_fixed(w, o, k, v, prec) mml_put_fixed(mml_jwp_kv_((w), (o), k), (v), (prec))
/* A trusted name of at most 64 bytes (a fixed table's), quoted; NULL: null. */
char *mml_put_name(char *o, const char *s);
#define mml_jwp_name(w, o, k, s) mml_put_name(mml_jwp_kv_((w), (o), k), (s))
/* Open a container / close the innermost one (room: 2 bytes). */
static inline char *mml_jwp_open_(mml_jw *w, char *o, char open, char close)
{
	o = mml_jw_sep_(w, o);
	*o++ = open;
	w->close[w->depth++ & (MML_JW_DEPTH - 1)] = close;
	w->bad |= w->depth > MML_JW_DEPTH;
	w->comma = 0;
	return o;
}
#define mml_jwp_obj(w, o) mml_jwp_open_((w), (o), '{', '}')
#define mml_jwp_arr(w, o) mml_jwp_open_((w), (o), '[', ']')
/* A close with nothing open makes depth wrap: the line's end finds it. */
static inline char *mml_jwp_close(mml_jw *w, char *o)
{
	*o++ = w->close[--w->depth & (MML_JW_DEPTH - 1)];
	w->comma = 1;
	return o;
}
/* A container opened and closed within one run: its brackets stand in the
 * code, so it needs no place on the stack. */
static inline char *mml_jwp_in_(mml_jw *w, char *o, char open)
{
	o = mml_jwp_val(w, o);
	*o++ = open;
	w->comma = 0;
	return o;
}
static inline char *mml_jwp_out_(mml_jw *w, char *o, char close)
{
	*o++ = close;
	w->comma = 1;
	return o;
}
#define mml_jwp_obj_in(w, o) mml_jwp_in_((w), (o), '{')
#define mml_jwp_obj_out(w, o) mml_jwp_out_((w), (o), '}')
#define mml_jwp_arr_in(w, o) mml_jwp_in_((w), (o), '[')
#define mml_jwp_arr_out(w, o) mml_jwp_out_((w), (o), ']')

/* Containers and the end of a line. */
static inline void mml_jw_obj(mml_jw *w) { w->lw->p = mml_jwp_obj(w, mml_lw_room(w->lw, 2)); }
static inline void mml_jw_arr(mml_jw *w) { w->lw->p = mml_jwp_arr(w, mml_lw_room(w->lw, 2)); }
static inline void mml_jw_close(mml_jw *w) { w->lw->p = mml_jwp_close(w, mml_lw_room(w->lw, 1)); }
/* '\n' after a line's value (every container closed). */
static inline void mml_jw_nl(mml_jw *w)
{
	w->lw->p = MML_PUTLIT(mml_lw_room(w->lw, 1), "\n");
	w->comma = 0;
	w->bad |= w->depth != 0;
}
/* A line that is one object: it is opened in a run with mml_jwp_obj_in and
 * closed here with the line's '\n' (it takes no place on the stack). */
static inline void mml_jw_line_end(mml_jw *w)
{
	w->lw->p = MML_PUTLIT(mml_lw_room(w->lw, 2), "}\n");
	w->comma = 0;
	w->bad |= w->depth != 0;
}
/* A line that is one object, to f: the line writer begun and the '{'
 * written (mml_jw_line), then its members, then '}', '\n' and the flush
 * (mml_jw_line_close). */
static inline void mml_jw_line(mml_jw *w, mml_lw *lw, FILE *f)
{
	mml_jw_begin(w, lw, f);
	mml_jw_run_end(w, mml_jwp_obj_in(w, mml_jw_run(w, 1)));
}
static inline void mml_jw_line_close(mml_jw *w)
{
	mml_jw_line_end(w);
	mml_jw_end(w);
}

/*
 * The values that are not inline: written to the line writer, after a
 * ',' when sep is 1 (mml_jwv_*); mml_jw_* the same on a writer.
 */
void mml_jwv_str(mml_lw *lw, unsigned sep, const char *s, size_t n);
void mml_jwv_cstr(mml_lw *lw, unsigned sep, const char *s); /* NULL: null */
void mml_jwv_name(mml_lw *lw, unsigned sep, const char *s); /* a trusted name, not escaped; NULL: null */
void mml_jwv_hex(mml_lw *lw, unsigned sep, const uint8_t *p, size_t n);
void mml_jwv_raw(mml_lw *lw, unsigned sep, const char *s, size_t n);
void mml_jwv_fixed(mml_lw *lw, unsigned sep, double v, int prec);
/* A key: the string or name and ':'. */
void mml_jwv_key_str(mml_lw *lw, unsigned sep, const char *s, size_t n);
void mml_jwv_key_name(mml_lw *lw, unsigned sep, const char *name);

/* Keys. */
#define mml_jw_key(w, lit) ((w)->lw->p = mml_jwp_key((w), mml_lw_room((w)->lw, sizeof("\"" lit "\":")), lit))
static inline void mml_jw_key_str(mml_jw *w, const char *s, size_t n)
{
	mml_jwv_key_str(w->lw, w->comma, s, n);
	w->comma = 0;
}
static inline void mml_jw_key_name(mml_jw *w, const char *name)
{
	mml_jwv_key_name(w->lw, w->comma, name);
	w->comma = 0;
}

/* Values. */
static inline void mml_jw_u64(mml_jw *w, uint64_t v) { w->lw->p = mml_put_u64(mml_jwp_val(w, mml_lw_room(w->lw, 21)), v); }
static inline void mml_jw_i64(mml_jw *w, int64_t v) { w->lw->p = mml_put_i64(mml_jwp_val(w, mml_lw_room(w->lw, 21)), v); }
/* A microsecond time as seconds: "%llu.%06llu". */
static inline void mml_jw_ts(mml_jw *w, uint64_t us) { w->lw->p = mml_put_ts(mml_jwp_val(w, mml_lw_room(w->lw, 28)), us); }
/* JSON text s[0..n) (n <= MML_LW_FIXED) as a value. */
static inline void mml_jw_text_(mml_jw *w, const char *s, size_t n)
{
	w->lw->p = mml_put(mml_jwp_val(w, mml_lw_room(w->lw, n + 1)), s, n);
}
#define mml_jw_lit(w, lit) mml_jw_text_((w), (lit), sizeof(lit) - 1)
static inline void mml_jw_bool(mml_jw *w, bool v)
{
	if (v)
		mml_jw_lit(w, "true");
	else
		mml_jw_lit(w, "false");
}
static inline void mml_jw_null(mml_jw *w) { mml_jw_lit(w, "null"); }
#define MML_JW_V_(call)                                                                                            \
	do {                                                                                                       \
		call;                                                                                              \
		w->comma = 1;                                                                                      \
	} while (0)
/* printf "%.*f" of v (prec 0..17). */
static inline void mml_jw_fixed(mml_jw *w, double v, int prec) { MML_JW_V_(mml_jwv_fixed(w->lw, w->comma, v, prec)); }
/* Pre-escaped JSON text: one value, or whole members of the open object. */
static inline void mml_jw_raw(mml_jw *w, const char *s, size_t n)
{
	if (n < MML_LW_FIXED) /* inline: the flow object of every JSONL line */
		w->lw->p = mml_put(mml_jwp_val(w, mml_lw_room(w->lw, n + 1)), s, n);
	else
		MML_JW_V_(mml_jwv_raw(w->lw, w->comma, s, n));
}
static inline void mml_jw_str(mml_jw *w, const char *s, size_t n)
{
	if (n <= (MML_LW_SIZE - 3) / 6) /* one room check */
		w->lw->p = mml_json_esc(mml_jwp_val(w, mml_lw_room(w->lw, MML_JSON_ESC_MAX(n) + 3)), s, n);
	else
		MML_JW_V_(mml_jwv_str(w->lw, w->comma, s, n));
}
static inline void mml_jw_cstr(mml_jw *w, const char *s)
{
	if (s)
		mml_jw_str(w, s, strlen(s));
	else
		mml_jw_null(w);
}
static inline void mml_jw_name(mml_jw *w, const char *s) { MML_JW_V_(mml_jwv_name(w->lw, w->comma, s)); }
static inline void mml_jw_hex(mml_jw *w, const uint8_t *p, size_t n) { MML_JW_V_(mml_jwv_hex(w->lw, w->comma, p, n)); }

/* A key and a value at once (one room check for a scalar). */
#define mml_jw_kv_(w, k, vn) mml_lw_room((w)->lw, sizeof("\"" k "\":") + 1 + (vn))
#define mml_jw_kv_u64(w, k, v) ((w)->lw->p = mml_jwp_u64((w), mml_jw_kv_((w), k, 20), k, (v)))
#define mml_jw_kv_i64(w, k, v) ((w)->lw->p = mml_jwp_i64((w), mml_jw_kv_((w), k, 20), k, (v)))
#define mml_jw_kv_ts(w, k, v) ((w)->lw->p = mml_jwp_ts((w), mml_jw_kv_((w), k, 27), k, (v)))
#define mml_jw_kv_lit(w, k, lit) ((w)->lw->p = mml_jwp_lit((w), mml_jw_kv_((w), k, sizeof(lit)), k, lit))
#define mml_jw_kv_null(w, k) mml_jw_kv_lit(w, k, "null")
#define mml_jw_kv_bool(w, k, v) ((v) ? mml_jw_kv_lit(w, k, "true") : mml_jw_kv_lit(w, k, "false"))
#define mml_jw_kv_str(w, k, s, n) (mml_jw_key((w), k), mml_jw_str((w), (s), (n)))
#define mml_jw_kv_cstr(w, k, s) (mml_jw_key((w), k), mml_jw_cstr((w), (s)))
#define mml_jw_kv_hex(w, k, p, n) (mml_jw_key((w), k), mml_jw_hex((w), (p), (n)))
#define mml_jw_kv_name(w, k, s) (mml_jw_key((w), k), mml_jw_name((w), (s)))
#define mml_jw_kv_fixed(w, k, v, prec) (mml_jw_key((w), k), mml_jw_fixed((w), (v), (prec)))

/* The line writer, its pending ',' written, for a writer of one value or
 * of whole members that does not use mml_jw. */
static inline mml_lw *mml_jw_value_lw(mml_jw *w)
{
	w->lw->p = mml_jwp_val(w, mml_lw_room(w->lw, 1));
	return w->lw;
}

/* Read a whole small file (used for catalogs, hex fixtures); capped. */
mml_err mml_read_file(const char *path, size_t cap, mml_buf *out);
/* A text reader of a configuration file (catalog, attribution map, known
 * values, policy model...): obj filled from text[0..n), name for its
 * diagnostics. */
typedef mml_err (*mml_text_fn)(void *obj, const char *text, size_t n, const char *name, mml_diag_fn diag,
                               void *dctx);
/* The file at path (at most cap bytes) read whole and handed to parse;
 * the file's error (MML_E_IO, MML_E_LIMIT) when it cannot be read. */
mml_err mml_load_text(const char *path, size_t cap, mml_text_fn parse, void *obj, mml_diag_fn diag, void *dctx);

/* a[0..n) equals lower[0..ln), ASCII letters of a in either case (lower is
 * lower-case): HTTP header names, host names. */
static inline bool mml_ascii_ieq(const char *a, size_t n, const char *lower, size_t ln)
{
	if (ln != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char x = a[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (x != lower[i])
			return false;
	}
	return true;
}

#endif
