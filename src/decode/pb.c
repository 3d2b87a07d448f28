/*
 * src/decode/pb.c - schemaless protobuf, the wire format
 * (https://protobuf.dev/programming-guides/encoding/): the flat check of
 * a message, packed scalars, and building a message's fields.
 *
 * Contract: every wire type is read: 0 varint, 1 fixed64, 2 length-
 * delimited, 3/4 groups (a MSG with flag GROUP), 5 fixed32. A field key
 * needs a field number in 1..2^29-1 and a known wire type; a message must
 * be consumed exactly, its groups matched (pb_check, one pass, no
 * nodes). Packed scalars are plausible (pb_packed_kind) as >= 2 varints
 * all of one encoded length (one-byte varints only as small values, not
 * text), >= 3 fixed32 that are all plausible floats, or >= 2 fixed64 that
 * are all plausible doubles. pb_msg_build builds a checked message; what
 * each length-delimited value is, is decided by the dispatcher
 * (de_field, embed.c), so there is no backtracking: nested values are
 * classified when they are built. Every byte examined is charged to the
 * work budget first; all reads go through mml_cur.
 */
#include <string.h>

#include "dec.h"

/* A varint through the cursor: the one-byte case inline. */
static inline mml_err cur_varint(mml_cur *c, uint64_t *v)
{
	size_t left = c->len - c->off;
	const uint8_t *b = c->p + c->off;
	if (left && b[0] < 0x80) {
		*v = b[0];
		c->off++;
		return MML_OK;
	}
	if (left >= 2 && b[1] < 0x80) {
		*v = (uint64_t)(b[0] & 0x7f) | (uint64_t)b[1] << 7;
		c->off += 2;
		return MML_OK;
	}
	return mml_cur_varint(c, v);
}

bool pb_check(const uint8_t *p, size_t n, pb_scan *s)
{
	memset(s, 0, sizeof *s);
	if (!n)
		return true;
	uint8_t k0 = p[0];
	if ((k0 & 7) > 5 || (k0 & 7) == 4 || (k0 < 8)) /* first key: bad wire type, end group, field 0 */
		return false;
	mml_cur c = mml_cur_make(p, n);
	uint32_t groups[64];
	unsigned gd = 0;
	while (mml_cur_left(&c)) {
		uint64_t key, v;
		if (cur_varint(&c, &key) != MML_OK)
			return false;
		uint64_t f = key >> 3;
		unsigned w = (unsigned)(key & 7);
		if (!f || f > 0x1fffffff)
			return false;
		switch (w) {
		case 0:
			if (cur_varint(&c, &v) != MML_OK)
				return false;
			break;
		case 1:
			if (mml_cur_skip(&c, 8) != MML_OK)
				return false;
			break;
		case 2:
			if (cur_varint(&c, &v) != MML_OK || v > mml_cur_left(&c) || mml_cur_skip(&c, (size_t)v) != MML_OK)
				return false;
			s->nld++;
			break;
		case 3:
			if (gd >= 64)
				return false;
			groups[gd++] = (uint32_t)f;
			s->groups = true;
			break;
		case 4:
			if (!gd || groups[gd - 1] != f)
				return false;
			gd--;
			continue;
		case 5:
			if (mml_cur_skip(&c, 4) != MML_OK)
				return false;
			break;
		default:
			return false;
		}
		s->nfields++;
		if (f > s->max_field)
			s->max_field = (uint32_t)f;
	}
	return gd == 0;
}

bool pb_strong(const pb_scan *s) { return s->max_field <= 8191; }

bool pb_meaningful(const pb_scan *s)
{
	return s->nfields && s->max_field <= 64 && !s->groups && (s->nfields >= 2 || s->nld == 1);
}

/* ---- packed scalars ---- */

static bool plaus_f32(uint32_t u)
{
	float f;
	memcpy(&f, &u, 4);
	if (f != f)
		return false;
	float a = f < 0 ? -f : f;
	return a == 0.0f || (a >= 1e-4f && a <= 1e7f);
}

static bool plaus_f64(uint64_t u)
{
	double f;
	memcpy(&f, &u, 8);
	if (f != f)
		return false;
	double a = f < 0 ? -f : f;
	return a == 0.0 || (a >= 1e-6 && a <= 1e12);
}

/*
 * One-byte varints (every byte < 0x80) are packed only as small values:
 * no run of 3 bytes >= 0x20 (text), fewer than 8 zeros in a row at the
 * end, not all zeros. One pass that stops at the first byte that rules
 * it out (text fails within 3 bytes).
 */
static bool packed_small(const uint8_t *p, size_t n)
{
	size_t run = 0, zeros = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = p[i];
		if (b >= 0x80)
			return false;
		run = b >= 0x20 ? run + 1 : 0;
		zeros = b ? 0 : zeros + 1;
		if (run >= 3)
			return false;
	}
	return n >= 2 && zeros < 8 && zeros != n;
}

int pb_packed_kind(const uint8_t *p, size_t n, size_t *elen)
{
	if (n && p[0] < 0x80) { /* elements of one byte, or none of one length */
		*elen = 1;
		if (packed_small(p, n))
			return PB_PK_VARINT;
	} else {
		mml_cur c = mml_cur_make(p, n);
		size_t count = 0, len0 = 0;
		bool same = true;
		while (mml_cur_left(&c)) {
			size_t a = c.off;
			uint64_t v;
			if (cur_varint(&c, &v) != MML_OK) {
				same = false;
				break;
			}
			size_t l = c.off - a;
			if (!count)
				len0 = l;
			else if (l != len0) {
				same = false;
				break;
			}
			count++;
		}
		*elen = len0;
		if (same && count >= 2)
			return PB_PK_VARINT;
	}
	if (n % 4 == 0 && n / 4 >= 3) {
		mml_cur f = mml_cur_make(p, n);
		uint32_t u;
		bool ok = true;
		while (ok && mml_cur_le32(&f, &u) == MML_OK)
			ok = plaus_f32(u);
		if (ok)
			return PB_PK_F32;
	}
	if (n % 8 == 0 && n / 8 >= 2) {
		mml_cur f = mml_cur_make(p, n);
		uint32_t lo, hi;
		bool ok = true;
		while (ok && mml_cur_le32(&f, &lo) == MML_OK && mml_cur_le32(&f, &hi) == MML_OK)
			ok = plaus_f64((uint64_t)hi << 32 | lo);
		if (ok)
			return PB_PK_F64;
	}
	return PB_PK_NONE;
}

void pb_packed_build(mml_dtree *t, uint32_t node, const uint8_t *p, size_t n, int pk)
{
	mml_cur c = mml_cur_make(p, n);
	uint32_t i = 0;
	mml_dkind kind = pk == PB_PK_VARINT ? MML_DK_VARINT : pk == PB_PK_F32 ? MML_DK_FIXED32 : MML_DK_FIXED64;
	while (mml_cur_left(&c)) {
		if (dt_stopped(t)) {
			dt_cut(t, node);
			break;
		}
		uint64_t v = 0;
		uint32_t lo, hi;
		if (pk == PB_PK_VARINT) {
			if (cur_varint(&c, &v) != MML_OK)
				break;
		} else if (pk == PB_PK_F32) {
			if (mml_cur_le32(&c, &lo) != MML_OK)
				break;
			v = lo;
		} else {
			if (mml_cur_le32(&c, &lo) != MML_OK || mml_cur_le32(&c, &hi) != MML_OK)
				break;
			v = (uint64_t)hi << 32 | lo;
		}
		uint32_t e = dt_add_at(t, node, kind, MML_DF_PB, i++);
		if (e == MML_DNONE)
			break;
		mml_dnode *d = dt_node(t, e);
		d->wire = pk == PB_PK_VARINT ? 0 : pk == PB_PK_F32 ? 5 : 1;
		d->u = v;
	}
}

/* ---- messages ---- */

/*
 * Fields from c up to its end, or to the end of group `group` (0: none).
 * Returns true when the fields it added have strictly increasing numbers:
 * then no two share a number and dt_repeat_index has nothing to do.
 */
static bool pb_fields(mml_dtree *t, uint32_t parent, mml_cur *c, uint32_t group)
{
	uint32_t prev = 0;
	bool inc = true;
	while (mml_cur_left(c)) {
		if (dt_stopped(t)) {
			dt_cut(t, parent);
			return inc;
		}
		uint64_t key, v = 0;
		if (cur_varint(c, &key) != MML_OK)
			return inc;
		uint32_t f = (uint32_t)(key >> 3);
		unsigned w = (unsigned)(key & 7);
		if (w == 4) {
			if (f == group)
				return inc;
			continue; /* not reached for checked input */
		}
		static const uint8_t kinds[8] = {MML_DK_VARINT, MML_DK_FIXED64, MML_DK_BYTES, MML_DK_MSG,
		                                 0,             MML_DK_FIXED32, 0,            0};
		if (w > 5 || w == 4)
			return inc;
		uint32_t i = dt_add(t, parent, (mml_dkind)kinds[w]);
		if (i == MML_DNONE)
			return inc;
		inc &= f > prev;
		prev = f;
		mml_dnode *d = dt_node(t, i);
		d->fmt = MML_DF_PB;
		d->field = f;
		d->wire = (uint8_t)w;
		uint32_t lo, hi;
		const uint8_t *b;
		switch (w) {
		case 0:
			if (cur_varint(c, &v) != MML_OK)
				return inc;
			d->u = v;
			break;
		case 1:
			if (mml_cur_le32(c, &lo) != MML_OK || mml_cur_le32(c, &hi) != MML_OK)
				return inc;
			d->u = (uint64_t)hi << 32 | lo;
			break;
		case 5:
			if (mml_cur_le32(c, &lo) != MML_OK)
				return inc;
			d->u = lo;
			break;
		case 2:
			if (cur_varint(c, &v) != MML_OK || v > mml_cur_left(c) || mml_cur_bytes(c, (size_t)v, &b) != MML_OK)
				return inc;
			de_field(t, i, b, (size_t)v);
			break;
		case 3:
			d->flags |= MML_DN_GROUP;
			if (dt_depth(t, d->depth + 1u)) {
				if (!pb_fields(t, i, c, f))
					dt_repeat_index(t, i, DT_REP_FIELD);
			} else { /* skip to the matching end group */
				dt_cut(t, i);
				unsigned gd = 1;
				while (gd && mml_cur_left(c)) {
					if (cur_varint(c, &key) != MML_OK)
						return inc;
					unsigned ww = (unsigned)(key & 7);
					if (ww == 3)
						gd++;
					else if (ww == 4)
						gd--;
					else if (ww == 0 ? cur_varint(c, &v) != MML_OK
					         : ww == 1 ? mml_cur_skip(c, 8) != MML_OK
					         : ww == 5 ? mml_cur_skip(c, 4) != MML_OK
					         : ww == 2 ? (cur_varint(c, &v) != MML_OK || v > mml_cur_left(c) ||
					                      mml_cur_skip(c, (size_t)v) != MML_OK)
					                   : true)
						return inc;
				}
			}
			break;
		}
	}
	return inc;
}

void pb_msg_build(mml_dtree *t, uint32_t node, const uint8_t *p, size_t n)
{
	if (!dt_work(t, n)) {
		dt_cut(t, node);
		return;
	}
	mml_cur c = mml_cur_make(p, n);
	if (!pb_fields(t, node, &c, 0)) /* fresh node: the fields added are all its children */
		dt_repeat_index(t, node, DT_REP_FIELD);
}

