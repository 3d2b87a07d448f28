/*
 * src/decode/wrap.c - decoding steps inside a value: base64 (RFC 4648,
 * standard and URL-safe alphabets, padding optional), hex (RFC 4648
 * base16, either case), zlib (RFC 1950) and gzip (RFC 1952) streams.
 *
 * Contract: each step, when taken, adds a WRAP node (flag EMBED, fmt the
 * step, val the decoded bytes in the arena, path ":base64" ...) whose one
 * child is what the decoded bytes are (de_blob, embed.c: a message ":pb",
 * text, or bytes). Text only looks like base64 or hex by accident too often, so
 * unless forced a step is taken only when it is plausible:
 *  - base64: at least 16 characters, both letter cases, a valid length;
 *    and the decoded bytes are plausible (de_plausible, embed.c: printable
 *    text of 4+ bytes, a message with field numbers <= 64, or a zlib/gzip
 *    stream that inflates), or the text is long (64+ characters, with
 *    digits);
 *  - hex: an even number of at least 16 digits, with a letter (an all-
 *    digit string is a number); plausible content, or 128+ digits. So a
 *    32-digit md5 stays a string.
 *  - zlib/gzip: by magic (mml_zlib_magic with 8+ bytes, gzip 1f 8b 08 with
 *    18+), and only when the stream inflates; the output is capped at
 *    lim.max_inflate (limit "inflate", flag CUT), and is charged to the
 *    work budget: at most what the budget has left is inflated (limit
 *    "work", flag CUT); bytes after the stream are ignored (flag
 *    TRAILING). The z_stream is kept in the tree across bodies.
 */
#include <string.h>

#include "dec.h"

static const int8_t b64v[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, 62, -1, 63, 52, 53, 54, 55,
	56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1, -1, 0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,
	13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63, -1, 26, 27, 28, 29, 30, 31, 32,
	33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

bool dw_zmagic(const uint8_t *p, size_t n, int *fmt)
{
	if (n >= 18 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8) {
		*fmt = MML_DF_GZIP;
		return true;
	}
	if (n >= 8 && mml_zlib_magic(p, n)) { /* 8 bytes: the smallest stream with content */
		*fmt = MML_DF_ZLIB;
		return true;
	}
	return false;
}

/* The WRAP node for decoded bytes, and what they hold. */
static void wrap_node(mml_dtree *t, uint32_t holder, mml_dfmt fmt, const uint8_t *p, size_t n, uint16_t flags)
{
	uint32_t w = dt_add(t, holder, MML_DK_WRAP);
	if (w == MML_DNONE)
		return;
	mml_dnode *d = dt_node(t, w);
	d->flags |= MML_DN_EMBED | flags;
	d->fmt = (uint8_t)fmt;
	d->val = p;
	d->val_len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	de_blob(t, w, p, n, false);
}

bool dw_base64(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, const tsum *sum, bool force)
{
	uint32_t need = TC_UPPER | TC_LOWER;
	if (!force && (n < 16 || !sum || (sum->cls & need) != need))
		return false;
	size_t m = n, pad = 0;
	while (m && s[m - 1] == '=' && pad < 2)
		m--, pad++;
	if (!m || m % 4 == 1 || (pad && (m + pad) % 4))
		return false;
	for (size_t i = 0; i < m; i++)
		if (b64v[s[i]] < 0)
			return false;
	if (!dt_depth(t, dt_node(t, holder)->depth + 1u) || !dt_work(t, n))
		return false;
	size_t dl = m / 4 * 3 + (m % 4 ? m % 4 - 1 : 0);
	da_mark mk = da_mark_get(t);
	uint8_t *o = da_alloc(t, dl);
	if (!o)
		return false;
	size_t j = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < m; i++) {
		acc = acc << 6 | (uint32_t)b64v[s[i]];
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[j++] = (uint8_t)(acc >> bits);
		}
	}
	if (!force && !de_plausible(t, o, j) && !(m >= 64 && sum && (sum->cls & TC_DIGIT))) {
		da_release(t, mk);
		return false;
	}
	wrap_node(t, holder, MML_DF_BASE64, o, j, 0);
	return true;
}

bool dw_hex(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, const tsum *sum, bool force)
{
	if (!n || n % 2)
		return false;
	if (!force && (n < 16 || !sum || !(sum->cls & TC_HEXL)))
		return false;
	if (!dt_depth(t, dt_node(t, holder)->depth + 1u) || !dt_work(t, n))
		return false;
	da_mark mk = da_mark_get(t);
	uint8_t *o = da_alloc(t, n / 2);
	if (!o)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		int a = mml_hex_digit(s[i]), b = mml_hex_digit(s[i + 1]);
		if (a < 0 || b < 0) {
			da_release(t, mk);
			return false;
		}
		o[i / 2] = (uint8_t)(a << 4 | b);
	}
	if (!force && n < 128 && !de_plausible(t, o, n / 2)) {
		da_release(t, mk);
		return false;
	}
	wrap_node(t, holder, MML_DF_HEX, o, n / 2, 0);
	return true;
}

bool dw_inflate(mml_dtree *t, uint32_t holder, const uint8_t *p, size_t n, int fmt, bool force)
{
	int zf = 0;
	if (!dw_zmagic(p, n, &zf)) {
		if (!force || !n)
			return false;
		zf = fmt == MML_DF_GZIP ? MML_DF_GZIP : MML_DF_ZLIB;
	}
	if (fmt && zf != fmt && !force)
		return false;
	if (!dt_depth(t, dt_node(t, holder)->depth + 1u) || !dt_work(t, n))
		return false;
	/* the output is work too: at most what the budget has left */
	size_t cap = t->lim.max_inflate;
	uint64_t left = dt_work_left(t);
	const bool by_work = left < cap;
	if (by_work)
		cap = (size_t)left;
	if (!cap) {
		dt_hit(t, "work");
		return false;
	}
	const uint8_t *o;
	size_t ol, used;
	int r = da_inflate(t, p, n, zf == MML_DF_GZIP, cap, &o, &ol, &used);
	if (r != DA_Z_OK && r != DA_Z_CAPPED)
		return false;
	(void)dt_work(t, ol); /* fits: ol <= cap */
	uint16_t flags = 0;
	if (r == DA_Z_CAPPED) {
		dt_hit(t, by_work ? "work" : "inflate");
		flags |= MML_DN_CUT;
	} else if (used < n) {
		flags |= MML_DN_TRAILING;
	}
	uint8_t *copy = da_alloc(t, ol);
	if (!copy)
		return false;
	memcpy(copy, o, ol);
	wrap_node(t, holder, (mml_dfmt)zf, copy, ol, flags);
	return true;
}
