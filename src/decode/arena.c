/*
 * src/decode/arena.c - the bytes a decoded tree owns besides its nodes:
 * the arena for bytes the decoder produces (unescaped, percent-decoded,
 * base64/hex-decoded, inflated, copied metadata), the scratch stacks of
 * the XML and record parsers, and the zlib stream (dec.h, prefix da_).
 *
 * Contract: the arena is a chain of blocks (64 KiB doubling up to 8 MiB,
 * or one block the size of a larger request) whose addresses stay put
 * until the tree is reset; it hands out at most lim.max_arena bytes per
 * body (limit "arena"). Blocks, scratch and the z_stream are kept across
 * resets, so a scanner stops allocating once it has seen its largest
 * body. A failed allocation sets `nomem`, which stops the decoding; it
 * never fails a call. da_inflate decodes a zlib (RFC 1950) or gzip (RFC
 * 1952) stream into scratch, its output capped by the caller.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dec.h"

#define DA_BLOCK_MIN ((size_t)64 << 10)

void da_reset(struct mml_darena *a)
{
	for (da_blk *b = a->head; b; b = b->next)
		b->used = 0;
	a->cur = a->head;
	a->total = 0;
	a->nomem = false;
	a->segs_used = 0;
	a->pos_used = 0;
	a->names_used = 0;
}

void da_free(struct mml_darena *a)
{
	for (da_blk *b = a->head, *nb; b; b = nb) {
		nb = b->next;
		free(b);
	}
	free(a->last);
	free(a->rep);
	free(a->segs);
	free(a->pos);
	free(a->zbuf);
	if (a->z) {
		if (a->zmode)
			inflateEnd((z_stream *)a->z);
		free(a->z);
	}
	free(a);
}

/* ---- arena ---- */

uint8_t *da_alloc(mml_dtree *t, size_t n)
{
	struct mml_darena *a = t->arena;
	if (!a || a->nomem)
		return NULL;
	size_t tot;
	if (!mml_add_ok(a->total, n, &tot) || tot > t->lim.max_arena) {
		dt_hit(t, "arena");
		return NULL;
	}
	if (!n)
		n = 1;
	da_blk *b = a->cur;
	while (b && b->cap - b->used < n) {
		b = b->next;
		if (b)
			b->used = 0;
	}
	if (!b) {
		size_t cap = DA_BLOCK_MIN, hdr = sizeof(da_blk), sz;
		da_blk *tail = a->cur;
		if (tail) {
			while (tail->next)
				tail = tail->next;
			if (tail->cap <= SIZE_MAX / 2)
				cap = tail->cap * 2;
		}
		if (cap > ((size_t)8 << 20))
			cap = (size_t)8 << 20;
		if (cap < n)
			cap = n;
		if (!mml_add_ok(cap, hdr, &sz)) {
			dt_hit(t, "arena");
			return NULL;
		}
		b = malloc(sz);
		if (!b) {
			a->nomem = true;
			return NULL;
		}
		b->next = NULL;
		b->cap = cap;
		b->used = 0;
		if (tail)
			tail->next = b;
		else
			a->head = b;
	}
	a->cur = b;
	uint8_t *p = b->data + b->used;
	b->used += n;
	a->total = tot;
	return p;
}

void da_trim(mml_dtree *t, uint8_t *p, size_t n, size_t m)
{
	struct mml_darena *a = t->arena;
	da_blk *b = a ? a->cur : NULL;
	if (!b || m > n || !n)
		return;
	if (p + n == b->data + b->used) {
		b->used -= n - m;
		a->total -= n - m;
	}
}

da_mark da_mark_get(const mml_dtree *t)
{
	da_mark m = {NULL, 0, 0};
	struct mml_darena *a = t->arena;
	if (a && a->cur) {
		m.blk = a->cur;
		m.used = a->cur->used;
		m.total = a->total;
	}
	return m;
}

void da_release(mml_dtree *t, da_mark m)
{
	struct mml_darena *a = t->arena;
	if (!a)
		return;
	if (!m.blk) { /* nothing was allocated at mark time */
		for (da_blk *b = a->head; b; b = b->next)
			b->used = 0;
		a->cur = a->head;
		a->total = 0;
		return;
	}
	da_blk *b = m.blk;
	b->used = m.used;
	for (da_blk *x = b->next; x; x = x->next)
		x->used = 0;
	a->cur = b;
	a->total = m.total;
}

/* ---- scratch ---- */

/* Room for `need` items in a scratch array; NULL (and nomem) when there is none. */
static void *scratch(struct mml_darena *a, void **p, size_t *cap, size_t need, size_t elem, size_t first)
{
	if (mml_grow(p, cap, need, elem, first))
		return *p;
	a->nomem = true;
	return NULL;
}

da_seg *da_segs(mml_dtree *t, size_t need)
{
	struct mml_darena *a = t->arena;
	return scratch(a, (void **)&a->segs, &a->segs_cap, need, sizeof *a->segs, 64);
}

uint32_t *da_pos(mml_dtree *t, size_t need)
{
	struct mml_darena *a = t->arena;
	return scratch(a, (void **)&a->pos, &a->pos_cap, need, sizeof *a->pos, 256);
}

da_name *da_names(mml_dtree *t) { return t->arena->names; }
size_t *da_segs_used(mml_dtree *t) { return &t->arena->segs_used; }
unsigned *da_names_used(mml_dtree *t) { return &t->arena->names_used; }

/* ---- zlib ---- */

int da_inflate(mml_dtree *t, const uint8_t *in, size_t n, bool gzip, size_t cap, const uint8_t **out,
               size_t *outlen, size_t *used_in)
{
	struct mml_darena *a = t->arena;
	int bits = gzip ? 31 : 15;
	if (!a->z) {
		a->z = calloc(1, sizeof(z_stream));
		if (!a->z) {
			a->nomem = true;
			return DA_Z_NOMEM;
		}
	}
	if (a->zmode != bits) {
		if (a->zmode)
			inflateEnd((z_stream *)a->z);
		a->zmode = 0;
		memset(a->z, 0, sizeof(z_stream));
		if (inflateInit2((z_stream *)a->z, bits) != Z_OK) {
			a->nomem = true;
			return DA_Z_NOMEM;
		}
		a->zmode = bits;
	} else if (inflateReset((z_stream *)a->z) != Z_OK) {
		return DA_Z_FAIL;
	}
	z_stream *z = a->z;
	z->next_in = (Bytef *)(uintptr_t)in;
	z->avail_in = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
	size_t got = 0;
	for (;;) {
		if (got == a->zcap) {
			if (a->zcap >= cap)
				break; /* capped */
			if (!mml_grow((void **)&a->zbuf, &a->zcap, got + 1, 1, 16384)) {
				a->nomem = true;
				return DA_Z_NOMEM;
			}
		}
		size_t room = (a->zcap < cap ? a->zcap : cap) - got;
		if (!room)
			break;
		z->next_out = a->zbuf + got;
		z->avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
		int r = inflate(z, Z_NO_FLUSH);
		got = (size_t)(z->next_out - a->zbuf);
		if (r == Z_STREAM_END) {
			*out = a->zbuf;
			*outlen = got;
			*used_in = n - z->avail_in;
			return DA_Z_OK;
		}
		if (r == Z_BUF_ERROR && z->avail_out) /* input ended early */
			return DA_Z_FAIL;
		if (r != Z_OK && r != Z_BUF_ERROR)
			return DA_Z_FAIL;
	}
	if (!got)
		return DA_Z_FAIL;
	*out = a->zbuf;
	*outlen = got;
	*used_in = n - z->avail_in;
	return DA_Z_CAPPED;
}
