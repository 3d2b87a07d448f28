/*
 * src/decode/embed.c - the one dispatcher of the decoder: what a value
 * holds. Every format parser hands it the values whose content it does
 * not know, and only here is it decided what they are read as; then the
 * entry points mml_decode_body and mml_decode_as (docs/FORMATS.md
 * "Decoded bodies").
 *
 * Contract: the dispatcher never fails; a value it cannot read stays a
 * leaf (BYTES or STRING). Each decision looks at the bytes once (one
 * summary pass, tx_summary, and one flat protobuf check, pb_check),
 * charged to the work budget, and tries only the formats that pass
 * allows:
 *  - a length-delimited protobuf value (de_field): printable UTF-8 text
 *    (tabs and line breaks allowed, NUL padding at the end left out: flag
 *    NUL_PAD) is a STRING, with ALT_MSG when it also parses as a message;
 *    "weak" text, starting with \t \n or \r (the keys of fields 1), is a
 *    message when it parses as one with field numbers <= 8191 (ALT_STRING
 *    kept); such a message is a MSG (ALT_PACKED when a packed reading is
 *    plausible too); then packed scalars when plausible (pb.c); anything
 *    else is BYTES (ALT_MSG when it parses as a message with huge field
 *    numbers), with a zlib/gzip stream inside inflated and XML followed
 *    by binary bytes opened. An empty value is an empty STRING with
 *    ALT_MSG (it is also the empty message);
 *  - bytes at the root or out of a decoding step (de_blob): a zlib/gzip
 *    stream is inflated; text is a STRING; a message (any, at the root;
 *    a plausible one out of a step: ":pb") is a MSG; else BYTES;
 *  - text (de_text), by its first byte and byte classes: '{' or '['
 *    first: JSON (and WeChat's ';' variant); '<' first: XML; a token
 *    without spaces: "scheme://host/path?query" is a URL, only hex digits
 *    (with a letter) hex, only base64 characters base64 (each decoded
 *    only when its content is plausible: de_plausible, wrap.c); '='
 *    present: URL-encoded pairs or a relative "path?query"; a delimiter
 *    (',' '|' ';'): a record (text.c says when each is one);
 *  - decoded bytes are plausibly what an encoding was made for
 *    (de_plausible) when they are a zlib/gzip stream that inflates,
 *    printable text of 4+ bytes, or a message with field numbers <= 64.
 */
#include <string.h>

#include "dec.h"

/* ---- text ---- */

/* Format fmt tried on the text regardless of plausibility (mml_decode_as). */
static bool forced(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, const tsum *sum, int fmt)
{
	switch (fmt) {
	case MML_DF_JSON: return dj_try(t, holder, s, n, true);
	case MML_DF_XML: return dx_try(t, holder, s, n, true);
	case MML_DF_URL: return tx_url(t, holder, s, n, sum, true);
	case MML_DF_CSV: return tx_csv(t, holder, s, n, sum, true);
	case MML_DF_BASE64: return dw_base64(t, holder, s, n, sum, true);
	case MML_DF_HEX: return dw_hex(t, holder, s, n, sum, true);
	case MML_DF_ZLIB:
	case MML_DF_GZIP: return dw_inflate(t, holder, s, n, fmt, true);
	default: return false;
	}
}

void de_text(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, const tsum *sum, int force)
{
	if (holder == MML_DNONE || (n < 2 && !force))
		return;
	if (dt_stopped(t)) {
		dt_cut(t, holder);
		return;
	}
	tsum loc;
	if (!sum) {
		if (!dt_work(t, n))
			return;
		tx_summary(s, n, &loc);
		sum = &loc;
	}
	if (force) {
		forced(t, holder, s, n, sum, force);
		return;
	}
	if (sum->text == TS_NO)
		return;
	n = sum->len;
	size_t i0 = 0;
	while (i0 < n && (tx_cls[s[i0]] & (TC_SPACE | TC_WS)))
		i0++;
	if (i0 >= n)
		return;
	uint8_t c = s[i0];
	if (c == '{' || c == '[') {
		if (dj_try(t, holder, s, n, false))
			return;
	} else if (c == '<') {
		if (dx_try(t, holder, s, n, false))
			return;
	}
	uint32_t cls = sum->cls;
	if (!(cls & (TC_SPACE | TC_WS))) { /* one token */
		if ((cls & (TC_COLON | TC_SLASH | TC_QMARK)) == (TC_COLON | TC_SLASH | TC_QMARK) &&
		    tx_url(t, holder, s, n, sum, false))
			return;
		if (!(cls & ~TC_HEX) && !(cls & TC_NHLET) && (cls & TC_HEXL)) {
			if (dw_hex(t, holder, s, n, sum, false))
				return;
		}
		if (!(cls & ~TC_B64) && dw_base64(t, holder, s, n, sum, false))
			return;
	}
	if ((cls & TC_EQ) && tx_url(t, holder, s, n, sum, false))
		return;
	if (cls & (TC_COMMA | TC_PIPE | TC_SEMI))
		tx_csv(t, holder, s, n, sum, false);
}

/* ---- protobuf values ---- */

/* A STRING node for text p[0..n) summarized by ts; opens what it holds. */
static void as_string(mml_dtree *t, uint32_t node, const uint8_t *p, const tsum *ts, bool alt_msg)
{
	mml_dnode *d = dt_node(t, node);
	d->kind = MML_DK_STRING;
	d->val = p;
	d->val_len = ts->len > UINT32_MAX ? UINT32_MAX : (uint32_t)ts->len;
	if (alt_msg)
		d->flags |= MML_DN_ALT_MSG;
	if (ts->nulpad) {
		d->flags |= MML_DN_NUL_PAD;
		d->u = ts->nulpad;
	}
	de_text(t, node, p, ts->len, ts, 0);
}

static void as_bytes(mml_dtree *t, uint32_t node, const uint8_t *p, size_t n)
{
	mml_dnode *d = dt_node(t, node);
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

void de_field(mml_dtree *t, uint32_t node, const uint8_t *p, size_t n)
{
	mml_dnode *d = dt_node(t, node);
	d->val = p;
	d->val_len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	if (!n) {
		d->kind = MML_DK_STRING;
		d->flags |= MML_DN_ALT_MSG;
		return;
	}
	if (!dt_work(t, n)) {
		d->kind = MML_DK_BYTES;
		return;
	}
	tsum ts;
	tx_summary(p, n, &ts);
	pb_scan ps;
	bool msg = pb_check(p, n, &ps);
	bool strong = msg && pb_strong(&ps);
	if (ts.text == TS_TEXT || (ts.text == TS_WEAK && !strong)) {
		as_string(t, node, p, &ts, msg);
		return;
	}
	int pk = PB_PK_NONE;
	size_t elen = 0;
	if (!strong || n <= 64)
		pk = pb_packed_kind(p, n, &elen);
	if (strong) {
		d->kind = MML_DK_MSG;
		if (ts.text)
			d->flags |= MML_DN_ALT_STRING;
		if (pk != PB_PK_NONE && (pk != PB_PK_VARINT || elen > 1)) /* small values fit any message: no news */
			d->flags |= MML_DN_ALT_PACKED;
		if (dt_depth(t, d->depth + 1u)) {
			pb_msg_build(t, node, p, n);
		} else {
			d->kind = MML_DK_BYTES;
			d->flags |= MML_DN_ALT_MSG | MML_DN_CUT;
		}
		return;
	}
	if (pk != PB_PK_NONE) {
		d->kind = MML_DK_PACKED;
		d->flags |= pk == PB_PK_F32 ? MML_DN_PACKED_F32 : pk == PB_PK_F64 ? MML_DN_PACKED_F64 : 0;
		if (msg)
			d->flags |= MML_DN_ALT_MSG;
		if (dt_depth(t, d->depth + 1u))
			pb_packed_build(t, node, p, n, pk);
		else
			d->flags |= MML_DN_CUT;
		return;
	}
	if (msg)
		d->flags |= MML_DN_ALT_MSG;
	as_bytes(t, node, p, n);
}

/* ---- bodies and decoded bytes ---- */

void de_blob(mml_dtree *t, uint32_t parent, const uint8_t *p, size_t n, bool root)
{
	if (parent == MML_DNONE)
		return;
	if (dt_stopped(t)) {
		dt_cut(t, parent);
		return;
	}
	if (!n) {
		if (!root) {
			uint32_t i = dt_add(t, parent, MML_DK_BYTES);
			if (i != MML_DNONE)
				dt_node(t, i)->val = p;
		}
		return;
	}
	int zf;
	if (dw_zmagic(p, n, &zf) && dw_inflate(t, parent, p, n, zf, false))
		return;
	if (!dt_depth(t, dt_node(t, parent)->depth + 1u))
		return;
	uint32_t i = dt_add(t, parent, MML_DK_BYTES);
	if (i == MML_DNONE)
		return;
	mml_dnode *d = dt_node(t, i);
	d->val = p;
	d->val_len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	if (!dt_work(t, n))
		return;
	tsum ts;
	tx_summary(p, n, &ts);
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
		if (dt_depth(t, d->depth + 1u))
			pb_msg_build(t, i, p, n);
		else
			d->flags |= MML_DN_CUT;
		return;
	}
	if (msg)
		d->flags |= MML_DN_ALT_MSG;
}

/* Decoded bytes that are plausibly what an encoding was made for. */
bool de_plausible(mml_dtree *t, const uint8_t *p, size_t n)
{
	int zf;
	if (dw_zmagic(p, n, &zf)) {
		const uint8_t *o;
		size_t ol, used;
		int r = da_inflate(t, p, n, zf == MML_DF_GZIP, 256, &o, &ol, &used);
		if (r == DA_Z_OK || r == DA_Z_CAPPED)
			return true;
	}
	tsum s;
	tx_summary(p, n, &s);
	if (s.text != TS_NO && s.len >= 4)
		return true;
	pb_scan ps;
	return pb_check(p, n, &ps) && pb_meaningful(&ps);
}

/* ---- entry points ---- */

/* The root's fmt: what the body was read as. */
static void root_fmt(mml_dtree *t)
{
	if (!t->count)
		return;
	mml_dnode *r = dt_node(t, 0);
	uint32_t c = r->first_child;
	if (c == MML_DNONE)
		return;
	const mml_dnode *d = dt_node(t, c);
	if (d->kind == MML_DK_MSG)
		r->fmt = MML_DF_PB;
	else if (d->kind == MML_DK_WRAP)
		r->fmt = d->fmt;
	else if (d->first_child != MML_DNONE && (dt_node(t, d->first_child)->flags & MML_DN_EMBED))
		r->fmt = dt_node(t, d->first_child)->fmt;
}

/* Start a body: the root (MML_DNONE when even it could not be made). */
static uint32_t start(mml_dtree *t, size_t n)
{
	dt_begin(t, n);
	return dt_add(t, MML_DNONE, MML_DK_ROOT);
}

static mml_err finish(mml_dtree *t)
{
	root_fmt(t);
	return dt_nomem(t) ? MML_E_NOMEM : MML_OK;
}

mml_err mml_decode_body(mml_dtree *t, const uint8_t *p, size_t n)
{
	if (!t || (!p && n))
		return MML_E_ARG;
	uint32_t r = start(t, n);
	if (r != MML_DNONE && n)
		de_blob(t, r, p, n, true);
	return finish(t);
}

mml_err mml_decode_as(mml_dtree *t, mml_dfmt fmt, const uint8_t *p, size_t n)
{
	if (!t || (!p && n))
		return MML_E_ARG;
	uint32_t r = start(t, n);
	if (r == MML_DNONE)
		return finish(t);
	pb_scan ps;
	switch (fmt) {
	case MML_DF_PB:
		if (n && dt_work(t, n) && pb_check(p, n, &ps)) {
			uint32_t m = dt_add(t, r, MML_DK_MSG);
			if (m != MML_DNONE) {
				dt_node(t, m)->fmt = MML_DF_PB;
				dt_node(t, m)->val = p;
				dt_node(t, m)->val_len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
				pb_msg_build(t, m, p, n);
			}
		} else {
			de_blob(t, r, p, n, true);
		}
		break;
	case MML_DF_ZLIB:
	case MML_DF_GZIP:
		if (!dw_inflate(t, r, p, n, fmt, true))
			de_blob(t, r, p, n, true);
		break;
	case MML_DF_JSON:
	case MML_DF_XML:
	case MML_DF_URL:
	case MML_DF_CSV:
	case MML_DF_BASE64:
	case MML_DF_HEX: {
		uint32_t s = dt_add(t, r, MML_DK_STRING);
		if (s == MML_DNONE)
			break;
		dt_node(t, s)->val = p;
		dt_node(t, s)->val_len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
		tsum ts;
		if (!dt_work(t, n))
			break;
		tx_summary(p, n, &ts);
		if (ts.text == TS_NO)
			dt_node(t, s)->kind = MML_DK_BYTES;
		de_text(t, s, p, n, &ts, (int)fmt);
		if (dt_node(t, s)->first_child == MML_DNONE && ts.text != TS_NO)
			de_text(t, s, p, ts.len, &ts, 0);
		break;
	}
	default:
		de_blob(t, r, p, n, true);
		break;
	}
	return finish(t);
}
