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
 */
#ifndef MMLENS_CURSOR_H
#define MMLENS_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mmlens/err.h"

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

/*
 * Protobuf-style base-128 varint, at most 10 bytes. MML_E_TRUNCATED when the
 * view ends inside it, MML_E_MALFORMED when it runs past 10 bytes.
 */
mml_err mml_cur_varint(mml_cur *c, uint64_t *v);

#endif
