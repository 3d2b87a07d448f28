/*
 * src/decode/pb.c - schemaless protobuf (wire format:
 * https://protobuf.dev/programming-guides/encoding/), and the entry
 * points mml_decode_body / mml_decode_as.
 *
 * Contract: every wire type is read: 0 varint, 1 fixed64, 2 length-
 * delimited, 3/4 groups (a MSG with flag GROUP), 5 fixed32. A field key
 * needs a field number in 1..2^29-1 and a known wire type; a message must
 * be consumed exactly, its groups matched. A length-delimited value is
 * classified once, by a flat check of each reading (no backtracking:
 * nested values are classified when they are built):
 *  1. printable UTF-8 text (tabs and line breaks allowed, NUL padding at
 *     the end allowed: STRING without the NULs, flag NUL_PAD) is a STRING,
 *     with ALT_MSG when it also parses as a message; except "weak" text,
 *     starting with \t \n or \r (the keys of fields 1), which is a
 *     message when it parses as one (ALT_STRING kept);
 *  2. a message whose field numbers are all <= 8191 is a MSG (ALT_PACKED
 *     when a packed reading is plausible too);
 *  3. packed scalars when plausible: >= 2 varints all of one encoded
 *     length; >= 3 fixed32 that are all plausible floats; >= 2 fixed64
 *     that are all plausible doubles (PACKED, flag PACKED_F32/F64);
 *  4. anything else is BYTES (ALT_MSG when it parses as a message with
 *     huge field numbers); a zlib/gzip stream inside is inflated.
 * An empty value is an empty STRING with ALT_MSG (it is also the empty
 * message). Every byte examined is charged to the work budget first.
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

enum { PK_NONE, PK_VARINT, PK_F32, PK_F64 };

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

static int packed_kind(const uint8_t *p, size_t n, size_t *elen)
{
	if (n && p[0] < 0x80) { /* elements of one byte, or none of one length */
		*elen = 1;
		if (packed_small(p, n))
			return PK_VARINT;
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
			return PK_VARINT;
	}
	if (n % 4 == 0 && n / 4 >= 3) {
		mml_cur f = mml_cur_make(p, n);
		uint32_t u;
		bool ok = true;
		while (ok && mml_cur_le32(&f, &u) == MML_OK)
			ok = plaus_f32(u);
		if (ok)
			return PK_F32;
	}
	if (n % 8 == 0 && n / 8 >= 2) {
		mml_cur f = mml_cur_make(p, n);
		uint32_t lo, hi;
		bool ok = true;
		while (ok && mml_cur_le32(&f, &lo) == MML_OK && mml_cur_le32(&f, &hi) == MML_OK)
			ok = plaus_f64((uint64_t)hi << 32 | lo);
		if (ok)
			return PK_F64;
	}
	return PK_NONE;
}

static void packed_build(mml_dtree *t, uint32_t node, const uint8_t *p, size_t n, int pk)
{
	mml_cur c = mml_cur_make(p, n);
	uint32_t i = 0;
	mml_dkind kind = pk == PK_VARINT ? MML_DK_VARINT : pk == PK_F32 ? MML_DK_FIXED32 : MML_DK_FIXED64;
	while (mml_cur_left(&c)) {
		if (dl_stopped(t)) {
			dn_cut(t, node);
			break;
		}
		uint64_t v = 0;
		uint32_t lo, hi;
		if (pk == PK_VARINT) {
			if (cur_varint(&c, &v) != MML_OK)
				break;
		} else if (pk == PK_F32) {
			if (mml_cur_le32(&c, &lo) != MML_OK)
				break;
			v = lo;
		} else {
			if (mml_cur_le32(&c, &lo) != MML_OK || mml_cur_le32(&c, &hi) != MML_OK)
				break;
			v = (uint64_t)hi << 32 | lo;
		}
		uint32_t e = dn_add(t, node, kind);
		if (e == MML_DNONE)
			break;
		mml_dnode *d = dn(t, e);
		d->fmt = MML_DF_PB;
		d->field = i++;
		d->wire = pk == PK_VARINT ? 0 : pk == PK_F32 ? 5 : 1;
		d->u = v;
	}
}

/* ---- messages ---- */

static void ld_fill(mml_dtree *t, uint32_t node, const uint8_t *p, size_t n);

/*
 * Fields from c up to its end, or to the end of group `group` (0: none).
 * Returns true when the fields it added have strictly increasing numbers:
 * then no two share a number and dn_repeat_index has nothing to do.
 */
static bool pb_fields(mml_dtree *t, uint32_t parent, mml_cur *c, uint32_t group)
{
	uint32_t prev = 0;
	bool inc = true;
	while (mml_cur_left(c)) {
		if (dl_stopped(t)) {
			dn_cut(t, parent);
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
		uint32_t i = dn_add(t, parent, (mml_dkind)kinds[w]);
		if (i == MML_DNONE)
			return inc;
		inc &= f > prev;
		prev = f;
		mml_dnode *d = dn(t, i);
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
			ld_fill(t, i, b, (size_t)v);
			break;
		case 3:
			d->flags |= MML_DN_GROUP;
			if (dl_depth(t, d->depth + 1u)) {
				if (!pb_fields(t, i, c, f))
					dn_repeat_index(t, i, DR_FIELD);
			} else { /* skip to the matching end group */
				dn_cut(t, i);
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

static void msg_build(mml_dtree *t, uint32_t node, const uint8_t *p, size_t n)
{
	if (!dl_work(t, n)) {
		dn_cut(t, node);
		return;
	}
	mml_cur c = mml_cur_make(p, n);
	if (!pb_fields(t, node, &c, 0)) /* fresh node: the fields added are all its children */
		dn_repeat_index(t, node, DR_FIELD);
}

/* A STRING node for text p[0..n) summarized by ts; opens what it holds. */
static void as_string(mml_dtree *t, uint32_t node, const uint8_t *p, const tsum *ts, bool alt_msg)
{
	mml_dnode *d = dn(t, node);
	d->kind = MML_DK_STRING;
	d->val = p;
	d->val_len = ts->len > UINT32_MAX ? UINT32_MAX : (uint32_t)ts->len;
	if (alt_msg)
		d->flags |= MML_DN_ALT_MSG;
	if (ts->nulpad) {
		d->flags |= MML_DN_NUL_PAD;
		d->u = ts->nulpad;
	}
	dt_embed(t, node, p, ts->len, ts, 0);
}

static void as_bytes(mml_dtree *t, uint32_t node, const uint8_t *p, size_t n)
{
	mml_dnode *d = dn(t, node);
	d->kind = MML_DK_BYTES;
	int zf;
	size_t i = 0;
	while (i < n && i < 16 && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
		i++;
	if (dw_zmagic(p, n, &zf))
		dw_inflate(t, node, p, n, zf, false);
	else if (i < n && p[i] == '<') /* XML followed by binary bytes */
		dx_try(t, node, p, n, false);
}

static void ld_fill(mml_dtree *t, uint32_t node, const uint8_t *p, size_t n)
{
	mml_dnode *d = dn(t, node);
	d->val = p;
	d->val_len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	if (!n) {
		d->kind = MML_DK_STRING;
		d->flags |= MML_DN_ALT_MSG;
		return;
	}
	if (!dl_work(t, n)) {
		d->kind = MML_DK_BYTES;
		return;
	}
	tsum ts;
	dt_summary(p, n, &ts);
	pb_scan ps;
	bool msg = pb_check(p, n, &ps);
	bool strong = msg && pb_strong(&ps);
	if (ts.text == TS_TEXT || (ts.text == TS_WEAK && !strong)) {
		as_string(t, node, p, &ts, msg);
		return;
	}
	int pk = PK_NONE;
	size_t elen = 0;
	if (!strong || n <= 64)
		pk = packed_kind(p, n, &elen);
	if (strong) {
		d->kind = MML_DK_MSG;
		if (ts.text)
			d->flags |= MML_DN_ALT_STRING;
		if (pk != PK_NONE && (pk != PK_VARINT || elen > 1)) /* small values fit any message: no news */
			d->flags |= MML_DN_ALT_PACKED;
		if (dl_depth(t, d->depth + 1u)) {
			msg_build(t, node, p, n);
		} else {
			d->kind = MML_DK_BYTES;
			d->flags |= MML_DN_ALT_MSG | MML_DN_CUT;
		}
		return;
	}
	if (pk != PK_NONE) {
		d->kind = MML_DK_PACKED;
		d->flags |= pk == PK_F32 ? MML_DN_PACKED_F32 : pk == PK_F64 ? MML_DN_PACKED_F64 : 0;
		if (msg)
			d->flags |= MML_DN_ALT_MSG;
		if (dl_depth(t, d->depth + 1u))
			packed_build(t, node, p, n, pk);
		else
			d->flags |= MML_DN_CUT;
		return;
	}
	if (msg)
		d->flags |= MML_DN_ALT_MSG;
	as_bytes(t, node, p, n);
}

void pb_blob(mml_dtree *t, uint32_t parent, const uint8_t *p, size_t n, bool root)
{
	if (parent == MML_DNONE)
		return;
	if (dl_stopped(t)) {
		dn_cut(t, parent);
		return;
	}
	if (!n) {
		if (!root) {
			uint32_t i = dn_add(t, parent, MML_DK_BYTES);
			if (i != MML_DNONE)
				dn(t, i)->val = p;
		}
		return;
	}
	int zf;
	if (dw_zmagic(p, n, &zf) && dw_inflate(t, parent, p, n, zf, false))
		return;
	if (!dl_depth(t, dn(t, parent)->depth + 1u))
		return;
	uint32_t i = dn_add(t, parent, MML_DK_BYTES);
	if (i == MML_DNONE)
		return;
	mml_dnode *d = dn(t, i);
	d->val = p;
	d->val_len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	if (!dl_work(t, n))
		return;
	tsum ts;
	dt_summary(p, n, &ts);
	pb_scan ps;
	bool msg = pb_check(p, n, &ps);
	bool take = msg && (root || pb_strong(&ps));
	if (ts.text == TS_TEXT || (ts.text == TS_WEAK && !take)) {
		as_string(t, i, p, &ts, msg);
		return;
	}
	if (take) {
		d->kind = MML_DK_MSG;
		d->fmt = MML_DF_PB;
		if (ts.text)
			d->flags |= MML_DN_ALT_STRING;
		if (dl_depth(t, d->depth + 1u))
			msg_build(t, i, p, n);
		else
			d->flags |= MML_DN_CUT;
		return;
	}
	if (msg)
		d->flags |= MML_DN_ALT_MSG;
}

/* ---- entry points ---- */

static void root_fmt(mml_dtree *t)
{
	mml_dnode *r = dn(t, 0);
	uint32_t c = r->first_child;
	if (c == MML_DNONE)
		return;
	const mml_dnode *d = dn(t, c);
	if (d->kind == MML_DK_MSG)
		r->fmt = MML_DF_PB;
	else if (d->kind == MML_DK_WRAP)
		r->fmt = d->fmt;
	else if (d->first_child != MML_DNONE && (dn(t, d->first_child)->flags & MML_DN_EMBED))
		r->fmt = dn(t, d->first_child)->fmt;
}

mml_err mml_decode_body(mml_dtree *t, const uint8_t *p, size_t n)
{
	if (!t || (!p && n))
		return MML_E_ARG;
	dt_begin(t, n);
	uint32_t r = dn_add(t, MML_DNONE, MML_DK_ROOT);
	if (r == MML_DNONE)
		return dt_nomem(t) ? MML_E_NOMEM : MML_OK;
	if (n)
		pb_blob(t, r, p, n, true);
	root_fmt(t);
	return dt_nomem(t) ? MML_E_NOMEM : MML_OK;
}

mml_err mml_decode_as(mml_dtree *t, mml_dfmt fmt, const uint8_t *p, size_t n)
{
	if (!t || (!p && n))
		return MML_E_ARG;
	dt_begin(t, n);
	uint32_t r = dn_add(t, MML_DNONE, MML_DK_ROOT);
	if (r == MML_DNONE)
		return dt_nomem(t) ? MML_E_NOMEM : MML_OK;
	pb_scan ps;
	switch (fmt) {
	case MML_DF_PB:
		if (n && dl_work(t, n) && pb_check(p, n, &ps)) {
			uint32_t m = dn_add(t, r, MML_DK_MSG);
			if (m != MML_DNONE) {
				dn(t, m)->fmt = MML_DF_PB;
				dn(t, m)->val = p;
				dn(t, m)->val_len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
				msg_build(t, m, p, n);
			}
		} else {
			pb_blob(t, r, p, n, true);
		}
		break;
	case MML_DF_ZLIB:
	case MML_DF_GZIP:
		if (!dw_inflate(t, r, p, n, fmt, true))
			pb_blob(t, r, p, n, true);
		break;
	case MML_DF_JSON:
	case MML_DF_XML:
	case MML_DF_URL:
	case MML_DF_CSV:
	case MML_DF_BASE64:
	case MML_DF_HEX: {
		uint32_t s = dn_add(t, r, MML_DK_STRING);
		if (s == MML_DNONE)
			break;
		dn(t, s)->val = p;
		dn(t, s)->val_len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
		tsum ts;
		if (!dl_work(t, n))
			break;
		dt_summary(p, n, &ts);
		if (ts.text == TS_NO)
			dn(t, s)->kind = MML_DK_BYTES;
		dt_embed(t, s, p, n, &ts, (int)fmt);
		if (dn(t, s)->first_child == MML_DNONE && ts.text != TS_NO)
			dt_embed(t, s, p, ts.len, &ts, 0);
		break;
	}
	default:
		pb_blob(t, r, p, n, true);
		break;
	}
	root_fmt(t);
	return dt_nomem(t) ? MML_E_NOMEM : MML_OK;
}
