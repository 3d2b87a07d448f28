/*
 * mmlens/cursor.h - the one bounds-checked read cursor for all parsing.
 *
 * Contract (after Wireshark's tvbuff): every read of outside bytes in
 * mmlens goes through an `mml_cur`. A cursor is a zero-copy view of the
 * caller's buffer: it never allocates and never owns. Each getter checks
 * the remaining length first and returns MML_E_TRUNCATED without moving
 * when the bytes are not there, so a failed read leaves the cursor where it
 * was. Declared lengths read from the input are checked against
 * `mml_cur_left()` by `mml_cur_sub()` before they are used for anything.
 * A read never looks at a byte past `len`, so a view that ends exactly at
 * the end of a mapping is safe (tests/test_util_cursor.c checks each getter
 * against a guard page).
 *
 * Its twin for writing is `mml_wbuf` (below): typed appends to a growable,
 * capped `mml_buf` with one sticky error.
 */
#ifndef MMLENS_CURSOR_H
#define MMLENS_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mmlens/err.h"
#include "mmlens/util.h"

typedef struct mml_cur {
	const uint8_t *p; /* start of the view */
	size_t len;       /* bytes in the view */
	size_t off;       /* read position, 0 <= off <= len */
} mml_cur;

static inline mml_cur mml_cur_make(const void *p, size_t len)
{
	mml_cur c = {(const uint8_t *)p, len, 0};
	if (!p)
		c.len = 0;
	return c;
}

static inline size_t mml_cur_left(const mml_cur *c) { return c->len - c->off; }
static inline const uint8_t *mml_cur_ptr(const mml_cur *c) { return c->p + c->off; }

static inline mml_err mml_cur_skip(mml_cur *c, size_t n)
{
	if (n > mml_cur_left(c))
		return MML_E_TRUNCATED;
	c->off += n;
	return MML_OK;
}

static inline mml_err mml_cur_u8(mml_cur *c, uint8_t *v)
{
	if (mml_cur_left(c) < 1)
		return MML_E_TRUNCATED;
	*v = c->p[c->off++];
	return MML_OK;
}

static inline mml_err mml_cur_be16(mml_cur *c, uint16_t *v)
{
	if (mml_cur_left(c) < 2)
		return MML_E_TRUNCATED;
	const uint8_t *b = c->p + c->off;
	*v = (uint16_t)((b[0] << 8) | b[1]);
	c->off += 2;
	return MML_OK;
}

static inline mml_err mml_cur_be32(mml_cur *c, uint32_t *v)
{
	if (mml_cur_left(c) < 4)
		return MML_E_TRUNCATED;
	const uint8_t *b = c->p + c->off;
	*v = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
	c->off += 4;
	return MML_OK;
}

static inline mml_err mml_cur_le16(mml_cur *c, uint16_t *v)
{
	if (mml_cur_left(c) < 2)
		return MML_E_TRUNCATED;
	const uint8_t *b = c->p + c->off;
	*v = (uint16_t)(b[0] | (b[1] << 8));
	c->off += 2;
	return MML_OK;
}

static inline mml_err mml_cur_le32(mml_cur *c, uint32_t *v)
{
	if (mml_cur_left(c) < 4)
		return MML_E_TRUNCATED;
	const uint8_t *b = c->p + c->off;
	*v = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
	c->off += 4;
	return MML_OK;
}

/* Copy n bytes out. */
static inline mml_err mml_cur_copy(mml_cur *c, void *dst, size_t n)
{
	if (n > mml_cur_left(c))
		return MML_E_TRUNCATED;
	if (n)	/* an empty view may have no pointer; memcpy must not see NULL */
		memcpy(dst, c->p + c->off, n);
	c->off += n;
	return MML_OK;
}

/* Take the next n bytes as a zero-copy pointer. */
static inline mml_err mml_cur_bytes(mml_cur *c, size_t n, const uint8_t **out)
{
	if (n > mml_cur_left(c))
		return MML_E_TRUNCATED;
	*out = c->p + c->off;
	c->off += n;
	return MML_OK;
}

/* Split off the next n bytes as a sub-cursor; the parent moves past them. */
static inline mml_err mml_cur_sub(mml_cur *c, size_t n, mml_cur *sub)
{
	if (n > mml_cur_left(c))
		return MML_E_TRUNCATED;
	*sub = mml_cur_make(c->p + c->off, n);
	c->off += n;
	return MML_OK;
}

/* Peek at byte i ahead without moving; MML_E_TRUNCATED when past the end. */
static inline mml_err mml_cur_peek(const mml_cur *c, size_t i, uint8_t *v)
{
	if (i >= mml_cur_left(c))
		return MML_E_TRUNCATED;
	*v = c->p[c->off + i];
	return MML_OK;
}

/* Where the next byte b is, counted from the read position, without
 * moving; MML_E_TRUNCATED when none is left. */
static inline mml_err mml_cur_find(const mml_cur *c, uint8_t b, size_t *i)
{
	size_t left = mml_cur_left(c);
	const uint8_t *q = left ? memchr(c->p + c->off, b, left) : NULL;
	if (!q)
		return MML_E_TRUNCATED;
	*i = (size_t)(q - (c->p + c->off));
	return MML_OK;
}

/*
 * Protobuf-style base-128 varint, at most 10 bytes. MML_E_TRUNCATED when the
 * view ends inside it, MML_E_MALFORMED when it runs past 10 bytes.
 */
mml_err mml_cur_varint(mml_cur *c, uint64_t *v);

/*
 * mml_wbuf - the writer twin of the cursor. It appends to the caller's
 * mml_buf (which owns the bytes, grows geometrically and refuses to pass
 * its cap; a zero-initialised mml_buf is taken as mml_buf_init(b, 0)):
 * big- and little-endian integers, protobuf varints, bytes. The first
 * failure is kept in `err` (MML_E_LIMIT past the cap, MML_E_NOMEM, and
 * MML_E_ARG for a patch outside what was written) and every later write
 * does nothing, so a writer of many fields checks once, at the end,
 * with mml_wbuf_err(). What was written before the failure stays.
 */
typedef struct mml_wbuf {
	mml_buf *b;  /* the buffer appended to (the caller's) */
	mml_err err; /* MML_OK, or the first failure (sticky) */
} mml_wbuf;

static inline mml_wbuf mml_wbuf_make(mml_buf *b)
{
	mml_wbuf w = {b, b ? MML_OK : MML_E_ARG};
	if (b && !b->cap && !b->p && !b->len && !b->alloc)
		b->cap = MML_BUF_DEFAULT_CAP; /* zero-initialised: the default cap */
	return w;
}
static inline mml_err mml_wbuf_err(const mml_wbuf *w) { return w->err; }
/* Bytes in the buffer (those before the writer was made count too). */
static inline size_t mml_wbuf_len(const mml_wbuf *w) { return w->b ? w->b->len : 0; }

void mml_wbuf_u8(mml_wbuf *w, uint8_t v);
void mml_wbuf_be16(mml_wbuf *w, uint16_t v);
void mml_wbuf_be32(mml_wbuf *w, uint32_t v);
void mml_wbuf_be64(mml_wbuf *w, uint64_t v);
void mml_wbuf_le16(mml_wbuf *w, uint16_t v);
void mml_wbuf_le32(mml_wbuf *w, uint32_t v);
void mml_wbuf_le64(mml_wbuf *w, uint64_t v);
/* Minimal base-128 varint (what mml_cur_varint reads), 1 to 10 bytes. */
void mml_wbuf_varint(mml_wbuf *w, uint64_t v);
void mml_wbuf_bytes(mml_wbuf *w, const void *p, size_t n);
/* n copies of one byte. */
void mml_wbuf_fill(mml_wbuf *w, uint8_t byte, size_t n);
/*
 * Append n bytes the caller fills in (a cipher's output, say): their
 * address, valid until the next write, or NULL after a failure (then
 * nothing was appended). With n = 0 nothing is appended and the address
 * is the end of the buffer (not NULL unless there is a failure).
 */
uint8_t *mml_wbuf_room(mml_wbuf *w, size_t n);
/* Overwrite bytes written earlier, at offset `at` of the buffer (a length
 * or checksum known only later); MML_E_ARG when they were not written. */
void mml_wbuf_set(mml_wbuf *w, size_t at, const void *p, size_t n);
void mml_wbuf_set_be16(mml_wbuf *w, size_t at, uint16_t v);
void mml_wbuf_set_be32(mml_wbuf *w, size_t at, uint32_t v);
/* Remove n written bytes at offset `at`; those after them move down (a
 * length field reserved wider than it turned out). MML_E_ARG as above. */
void mml_wbuf_drop(mml_wbuf *w, size_t at, size_t n);
/* The varint of v into o (room for 10); returns its length. */
size_t mml_varint_encode(uint8_t o[10], uint64_t v);

#endif
