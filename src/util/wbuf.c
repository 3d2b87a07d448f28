/*
 * wbuf.c - the writer twin of the cursor: typed appends to a caller's
 * capped mml_buf with one sticky error. Contract in
 * include/mmlens/cursor.h. Integers are written byte by byte in the byte
 * order named (no host-order dependence); varints are minimal LEB128.
 */
#include <string.h>

#include "mmlens/cursor.h"

/* n more bytes at the end, or NULL (error kept) */
static uint8_t *take(mml_wbuf *w, size_t n)
{
	if (w->err != MML_OK)
		return NULL;
	mml_err e = mml_buf_reserve(w->b, n);
	if (e != MML_OK) {
		w->err = e;
		return NULL;
	}
	uint8_t *o = w->b->p + w->b->len;
	w->b->len += n;
	return o;
}

/* v in n bytes, most significant first (be) or last */
static void put_int(mml_wbuf *w, uint64_t v, size_t n, int be)
{
	uint8_t *o = take(w, n);
	if (!o)
		return;
	for (size_t i = 0; i < n; i++)
		o[be ? n - 1 - i : i] = (uint8_t)(v >> (8 * i));
}

void mml_wbuf_u8(mml_wbuf *w, uint8_t v)
{
	uint8_t *o = take(w, 1);
	if (o)
		*o = v;
}

void mml_wbuf_be16(mml_wbuf *w, uint16_t v) { put_int(w, v, 2, 1); }
void mml_wbuf_be32(mml_wbuf *w, uint32_t v) { put_int(w, v, 4, 1); }
void mml_wbuf_be64(mml_wbuf *w, uint64_t v) { put_int(w, v, 8, 1); }
void mml_wbuf_le16(mml_wbuf *w, uint16_t v) { put_int(w, v, 2, 0); }
void mml_wbuf_le32(mml_wbuf *w, uint32_t v) { put_int(w, v, 4, 0); }
void mml_wbuf_le64(mml_wbuf *w, uint64_t v) { put_int(w, v, 8, 0); }

size_t mml_varint_encode(uint8_t o[10], uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		o[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	o[n++] = (uint8_t)v;
	return n;
}

void mml_wbuf_varint(mml_wbuf *w, uint64_t v)
{
	uint8_t t[10];
	mml_wbuf_bytes(w, t, mml_varint_encode(t, v));
}

void mml_wbuf_bytes(mml_wbuf *w, const void *p, size_t n)
{
	if (!n)
		return;
	uint8_t *o = take(w, n);
	if (o)
		memcpy(o, p, n);
}

void mml_wbuf_fill(mml_wbuf *w, uint8_t byte, size_t n)
{
	if (!n)
		return;
	uint8_t *o = take(w, n);
	if (o)
		memset(o, byte, n);
}

uint8_t *mml_wbuf_room(mml_wbuf *w, size_t n)
{
	if (n || w->err != MML_OK)
		return take(w, n);
	/* nothing to append: the end, with storage behind it */
	if (!w->b->p && (w->err = mml_buf_reserve(w->b, 1)) != MML_OK)
		return NULL;
	return w->b->p + w->b->len;
}

/* Are the n bytes at `at` written? Else the error is kept. */
static bool written(mml_wbuf *w, size_t at, size_t n)
{
	if (w->err != MML_OK)
		return false;
	if (at > w->b->len || n > w->b->len - at) {
		w->err = MML_E_ARG;
		return false;
	}
	return true;
}

void mml_wbuf_set(mml_wbuf *w, size_t at, const void *p, size_t n)
{
	if (written(w, at, n) && n)
		memcpy(w->b->p + at, p, n);
}

void mml_wbuf_set_be16(mml_wbuf *w, size_t at, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	mml_wbuf_set(w, at, x, 2);
}

void mml_wbuf_set_be32(mml_wbuf *w, size_t at, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	mml_wbuf_set(w, at, x, 4);
}

void mml_wbuf_drop(mml_wbuf *w, size_t at, size_t n)
{
	if (!written(w, at, n) || !n)
		return;
	memmove(w->b->p + at, w->b->p + at + n, w->b->len - at - n);
	w->b->len -= n;
}
