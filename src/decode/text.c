/*
 * src/decode/text.c - text inside protobuf strings (and inside the other
 * formats): what a byte string is as text (byte classes, tx_summary),
 * percent-decoding, URL-encoded pairs and URLs with a query (RFC 3986
 * section 3.4, application/x-www-form-urlencoded pairs), delimiter-
 * separated telemetry records (one row per string, ',' '|' or ';', cells
 * URL-encoded), and UTF-8 output for the JSON and XML escapes.
 *
 * Contract: tx_summary() is one table-driven pass (eight bytes at a time
 * while nothing needs a closer look): the OR of the byte classes, and
 * whether the bytes are printable UTF-8 text (trailing NULs allowed and
 * left out). tx_url() and tx_csv() build their node only when the text
 * is one (or when forced), and hand every value they find to the
 * dispatcher (de_text, embed.c, which decides when they are tried):
 *  - URL-encoded pairs `k=v&k2=v2`: every part a pair with a key of key
 *    characters; one pair alone must not hold another '='; a value with
 *    two or more raw ',' or '|' makes it a record instead; or a URL
 *    "scheme://host/path?query", or a relative "path?query";
 *  - a record: at least two of one delimiter (outside {} and [] when
 *    those are balanced), not mostly followed by a space (prose).
 * Cells are percent-decoded once; URL values until nothing changes (at
 * most 8 rounds: %252C -> %2C -> ,). '+' is kept as it is.
 */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "dec.h"

const uint32_t tx_cls[256] = {
	0x00100000, 0x00080000, 0x00080000, 0x00080000, 0x00080000, 0x00080000, 0x00080000, 0x00080000,
	0x00080000, 0x00040000, 0x00040000, 0x00080000, 0x00080000, 0x00040000, 0x00080000, 0x00080000,
	0x00080000, 0x00080000, 0x00080000, 0x00080000, 0x00080000, 0x00080000, 0x00080000, 0x00080000,
	0x00080000, 0x00080000, 0x00080000, 0x00080000, 0x00080000, 0x00080000, 0x00080000, 0x00080000,
	0x00020000, 0x10000000, 0x08000000, 0x10000000, 0x10000000, 0x00010000, 0x00008000, 0x08000000,
	0x10000000, 0x10000000, 0x10000000, 0x00000800, 0x00000040, 0x00001000, 0x00000080, 0x00000008,
	0x00000002, 0x00000002, 0x00000002, 0x00000002, 0x00000002, 0x00000002, 0x00000002, 0x00000002,
	0x00000002, 0x00000002, 0x01000000, 0x00400000, 0x04000000, 0x00004000, 0x10000000, 0x00800000,
	0x00000010, 0x00000304, 0x00000304, 0x00000304, 0x00000304, 0x00000304, 0x00000304, 0x00000504,
	0x00000504, 0x00000504, 0x00000504, 0x00000504, 0x00000504, 0x00000504, 0x00000504, 0x00000504,
	0x00000504, 0x00000504, 0x00000504, 0x00000504, 0x00000504, 0x00000504, 0x00000504, 0x00000504,
	0x00000504, 0x00000504, 0x00000504, 0x02000000, 0x10000000, 0x02000000, 0x10000000, 0x00002000,
	0x10000000, 0x00000205, 0x00000205, 0x00000205, 0x00000205, 0x00000205, 0x00000205, 0x00000405,
	0x00000405, 0x00000405, 0x00000405, 0x00000405, 0x00000405, 0x00000405, 0x00000405, 0x00000405,
	0x00000405, 0x00000405, 0x00000405, 0x00000405, 0x00000405, 0x00000405, 0x00000405, 0x00000405,
	0x00000405, 0x00000405, 0x00000405, 0x02000000, 0x00000020, 0x02000000, 0x10000000, 0x00080000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
	0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000, 0x00200000,
};

#define TC_SLOW (TC_HIGH | TC_CTRL | TC_NUL)

void tx_summary(const uint8_t *p, size_t n, tsum *s)
{
	s->len = n;
	s->nulpad = 0;
	uint32_t cls = 0;
	size_t i = 0;
	for (;;) {
		/* eight at a time while nothing needs a closer look */
		while (i + 8 <= n) {
			const uint8_t *q = p + i;
			uint32_t c = tx_cls[q[0]] | tx_cls[q[1]] | tx_cls[q[2]] | tx_cls[q[3]] | tx_cls[q[4]] | tx_cls[q[5]] |
			             tx_cls[q[6]] | tx_cls[q[7]];
			if (c & TC_SLOW)
				break;
			cls |= c;
			i += 8;
		}
		if (i >= n)
			break;
		uint32_t c = tx_cls[p[i]];
		if (c & TC_HIGH) {
			size_t k = mml_utf8_seq(p + i, n - i);
			if (!k || (p[i] == 0xc2 && p[i + 1] < 0xa0)) /* invalid, or a C1 control */
				goto binary;
			cls |= c;
			i += k;
			continue;
		}
		if (c & TC_NUL) {
			size_t j = i;
			while (j < n && !p[j])
				j++;
			if (j < n || !i)
				goto binary;
			s->len = i;
			s->nulpad = n - i;
			break;
		}
		if (c & TC_CTRL)
			goto binary;
		cls |= c;
		i++;
	}
	s->cls = cls;
	s->text = n && (tx_cls[p[0]] & TC_WS) ? TS_WEAK : TS_TEXT;
	return;
binary:
	s->cls = cls;
	s->text = TS_NO;
}

/* ---- percent-decoding ---- */

/* Index of the first valid %XX at or after i, or n. */
static size_t next_pct(const uint8_t *s, size_t n, size_t i)
{
	for (;;) {
		const uint8_t *q = i < n ? memchr(s + i, '%', n - i) : NULL;
		if (!q)
			return n;
		i = (size_t)(q - s);
		if (i + 2 < n && mml_hex_digit(s[i + 1]) >= 0 && mml_hex_digit(s[i + 2]) >= 0)
			return i;
		i++;
	}
}

/* One round from src into dst (may be the same buffer); returns the length. */
static size_t pct_round(const uint8_t *src, size_t n, uint8_t *dst, size_t first)
{
	size_t j = 0, i = 0;
	if (dst != src)
		memcpy(dst, src, first);
	j = i = first;
	while (i < n) {
		int hi, lo;
		if (src[i] == '%' && i + 2 < n && (hi = mml_hex_digit(src[i + 1])) >= 0 &&
		    (lo = mml_hex_digit(src[i + 2])) >= 0) {
			dst[j++] = (uint8_t)(hi << 4 | lo);
			i += 3;
		} else {
			dst[j++] = src[i++];
		}
	}
	return j;
}

bool tx_pct(mml_dtree *t, const uint8_t *s, size_t n, int rounds, const uint8_t **out, size_t *outlen)
{
	*out = s;
	*outlen = n;
	size_t first = next_pct(s, n, 0);
	if (first >= n || !dt_work(t, n))
		return false;
	uint8_t *b = da_alloc(t, n);
	if (!b)
		return false;
	size_t m = pct_round(s, n, b, first);
	for (int r = 1; r < rounds; r++) {
		size_t f = next_pct(b, m, 0);
		if (f >= m)
			break;
		m = pct_round(b, m, b, f);
	}
	da_trim(t, b, n, m);
	*out = b;
	*outlen = m;
	return true;
}

/* ---- URL-encoded pairs, URLs ---- */

/* Characters of a key in k=v pairs. */
static bool key_char(uint8_t c)
{
	uint32_t k = tx_cls[c];
	if (k & (TC_LOWER | TC_UPPER | TC_DIGIT | TC_USCORE | TC_MINUS | TC_DOT | TC_PCT | TC_PLUS | TC_COLON | TC_PIPE))
		return true;
	return c == '[' || c == ']' || c == '~' || c == '*' || c == '$' || c == '!' || c == '@' || (c & 0x80);
}

/* Characters of the path before '?' in a relative URL. */
static bool path_char(uint8_t c)
{
	return key_char(c) || c == '/' || c == ',' || c == ';' || c == '(' || c == ')' || c == '\'' || c == '#';
}

/*
 * Do q[0..n) look like k=v&k2=v2? strict: every non-empty part is a pair
 * with a proper key. Returns the number of pairs (0: no).
 */
static size_t pairs_ok(const uint8_t *q, size_t n, bool strict, bool spaces)
{
	size_t pairs = 0, parts = 0, i = 0;
	const uint8_t *lone_v = NULL;
	size_t lone_n = 0;
	while (i <= n) {
		const uint8_t *amp = i < n ? memchr(q + i, '&', n - i) : NULL;
		size_t e = amp ? (size_t)(amp - q) : n;
		if (e > i) {
			parts++;
			const uint8_t *eq = memchr(q + i, '=', e - i);
			size_t k = eq ? (size_t)(eq - q) : e;
			if (strict && (!eq || k == i || k - i > 128))
				return 0;
			for (size_t j = i; j < k; j++)
				if (!key_char(q[j]))
					return 0;
			if (eq) {
				pairs++;
				lone_v = eq + 1;
				lone_n = e - k - 1;
				/* unencoded delimiters in a value: a record whose first cell holds pairs */
				if (strict && lone_n >= 4) {
					size_t commas = 0;
					for (size_t j = 0; j < lone_n && commas < 2; j++)
						commas += lone_v[j] == ',' || lone_v[j] == '|';
					if (commas >= 2)
						return 0;
				}
			}
		}
		if (!amp)
			break;
		i = e + 1;
	}
	if (!pairs)
		return 0;
	if (strict && parts == 1 && lone_n && (lone_v[0] == '=' || memchr(lone_v, '=', lone_n)))
		return 0; /* "abc==" is base64, "a=1,b=2" a record */
	if (strict && spaces && pairs < 2)
		return 0;
	return pairs;
}

void tx_url_params(mml_dtree *t, uint32_t url, const uint8_t *q, size_t n)
{
	uint32_t count = 0;
	size_t i = 0;
	while (i < n) {
		if (dt_stopped(t)) {
			dt_cut(t, url);
			break;
		}
		const uint8_t *amp = memchr(q + i, '&', n - i);
		size_t e = amp ? (size_t)(amp - q) : n;
		if (e > i) {
			const uint8_t *eq = memchr(q + i, '=', e - i);
			size_t k = eq ? (size_t)(eq - q) : e;
			const uint8_t *key, *val;
			size_t klen, vlen;
			tx_pct(t, q + i, k - i, 1, &key, &klen);
			if (eq)
				tx_pct(t, eq + 1, e - k - 1, 8, &val, &vlen);
			else
				val = q + e, vlen = 0;
			uint32_t pn = dt_add_at(t, url, MML_DK_URL_PARAM, MML_DF_URL, count++);
			if (pn == MML_DNONE)
				break;
			mml_dnode *d = dt_node(t, pn);
			d->name = (const char *)key;
			d->name_len = klen > UINT32_MAX ? UINT32_MAX : (uint32_t)klen;
			d->val = val;
			d->val_len = vlen > UINT32_MAX ? UINT32_MAX : (uint32_t)vlen;
			de_text(t, pn, val, vlen, NULL, 0);
		}
		if (!amp)
			break;
		i = e + 1;
	}
	dt_repeat_index(t, url, DT_REP_URL);
}

static bool embed_depth(mml_dtree *t, uint32_t holder) { return dt_depth(t, dt_node(t, holder)->depth + 1u); }

static uint32_t embed_node(mml_dtree *t, uint32_t holder, mml_dkind kind, mml_dfmt fmt)
{
	uint32_t i = dt_add(t, holder, kind);
	if (i != MML_DNONE) {
		dt_node(t, i)->flags |= MML_DN_EMBED;
		dt_node(t, i)->fmt = (uint8_t)fmt;
	}
	return i;
}

bool tx_url(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, const tsum *sum, bool force)
{
	while (n && (tx_cls[s[n - 1]] & (TC_SPACE | TC_WS)))
		n--;
	while (n && (tx_cls[s[0]] & (TC_SPACE | TC_WS)))
		s++, n--;
	if (!n)
		return false;
	bool spaces = !sum || (sum->cls & (TC_SPACE | TC_WS));
	size_t sch = 0;
	if (tx_cls[s[0]] & (TC_LOWER | TC_UPPER)) {
		while (sch < n && sch < 24 && (tx_cls[s[sch]] & (TC_LOWER | TC_UPPER | TC_DIGIT | TC_PLUS | TC_DOT | TC_MINUS)))
			sch++;
		if (!(sch + 3 <= n && s[sch] == ':' && s[sch + 1] == '/' && s[sch + 2] == '/'))
			sch = 0;
	}
	const uint8_t *qm = memchr(s, '?', n);
	size_t plen = 0, qoff = 0, qlen = n;
	bool strict = true;
	if (sch) { /* scheme://...?query */
		if (!qm || (spaces && !force))
			return false;
		plen = (size_t)(qm - s);
		qoff = plen + 1;
		const uint8_t *hash = memchr(s + qoff, '#', n - qoff);
		qlen = (hash ? (size_t)(hash - s) : n) - qoff;
		strict = false;
	} else if (qm && !force && !spaces && qm > s) { /* path?query, else plain pairs */
		plen = (size_t)(qm - s);
		for (size_t j = 0; j < plen && plen; j++)
			if (!path_char(s[j]))
				plen = 0;
		if (plen) {
			qoff = plen + 1;
			const uint8_t *hash = memchr(s + qoff, '#', n - qoff);
			qlen = (hash ? (size_t)(hash - s) : n) - qoff;
		}
	}
	if (!force && !pairs_ok(s + qoff, qlen, strict, spaces))
		return false;
	if (!embed_depth(t, holder))
		return false;
	uint32_t u = embed_node(t, holder, MML_DK_URL, MML_DF_URL);
	if (u == MML_DNONE)
		return true;
	dt_node(t, u)->val = plen ? s : NULL;
	dt_node(t, u)->val_len = (uint32_t)(plen > UINT32_MAX ? UINT32_MAX : plen);
	tx_url_params(t, u, s + qoff, qlen);
	return true;
}

/* ---- delimited records ---- */

static const uint8_t delims[3] = {',', '|', ';'};

/*
 * Records. One pass finds the delimiters (16 bytes at a time with SSE2):
 * each is pushed on the tree's position stack as pos << 3 | top << 2 | k
 * (k: 0 ',' 1 '|' 2 ';'; top: at bracket depth 0), with counts; the
 * split then walks the positions of the chosen delimiter.
 */
typedef struct dscan {
	uint32_t raw[3], top[3], spaced[3];
	long depth;
	size_t base, used;
	bool fail;
} dscan;

static inline void dmark(mml_dtree *t, const uint8_t *s, size_t n, size_t i, dscan *d)
{
	uint8_t c = s[i];
	if (c == '{' || c == '[') {
		d->depth++;
		return;
	}
	if (c == '}' || c == ']') {
		d->depth -= d->depth > 0;
		return;
	}
	int k = c == ',' ? 0 : c == '|' ? 1 : 2;
	d->raw[k]++;
	d->top[k] += !d->depth;
	d->spaced[k] += i + 1 < n && s[i + 1] == ' ';
	struct mml_darena *ar = t->arena;
	uint32_t *pos = d->used + 1 <= ar->pos_cap ? ar->pos : da_pos(t, d->used + 1);
	if (!pos) {
		d->fail = true;
		return;
	}
	pos[d->used++] = (uint32_t)i << 3 | (uint32_t)!d->depth << 2 | (uint32_t)k;
}

static void dscan_run(mml_dtree *t, const uint8_t *s, size_t n, uint32_t cls, dscan *d)
{
	uint32_t want = cls & (TC_COMMA | TC_PIPE | TC_SEMI | TC_BRACE);
	size_t i = 0;
#ifdef __SSE2__
	const __m128i zero = _mm_setzero_si128();
	const __m128i vc = (want & TC_COMMA) ? _mm_set1_epi8(',') : zero;
	const __m128i vp = (want & TC_PIPE) ? _mm_set1_epi8('|') : zero;
	const __m128i vs = (want & TC_SEMI) ? _mm_set1_epi8(';') : zero;
	const bool br = want & TC_BRACE;
	const __m128i b1 = br ? _mm_set1_epi8('{') : zero, b2 = br ? _mm_set1_epi8('}') : zero;
	const __m128i b3 = br ? _mm_set1_epi8('[') : zero, b4 = br ? _mm_set1_epi8(']') : zero;
	for (; i + 16 <= n && !d->fail; i += 16) { /* NUL bytes never reach here: text has none */
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vc), _mm_cmpeq_epi8(x, vp)), _mm_cmpeq_epi8(x, vs));
		if (br)
			m = _mm_or_si128(m, _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, b1), _mm_cmpeq_epi8(x, b2)),
			                                 _mm_or_si128(_mm_cmpeq_epi8(x, b3), _mm_cmpeq_epi8(x, b4))));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);
		while (bits) {
			unsigned b = (unsigned)__builtin_ctz(bits);
			bits &= bits - 1;
			if (s[i + b]) /* a zero lane matched a zero byte of an absent delimiter */
				dmark(t, s, n, i + b, d);
		}
	}
#endif
	for (; i < n && !d->fail; i++)
		if (tx_cls[s[i]] & want)
			dmark(t, s, n, i, d);
}

bool tx_csv(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, const tsum *sum, bool force)
{
	if (n >= ((size_t)1 << 29))
		return false;
	size_t *pused = &t->arena->pos_used;
	dscan d;
	memset(&d, 0, sizeof d);
	d.base = d.used = *pused;
	dscan_run(t, s, n, sum->cls, &d);
	bool nest = (sum->cls & TC_BRACE) && !d.depth;
	const uint32_t *cnt = nest ? d.top : d.raw;
	int k = 0;
	for (int j = 1; j < 3; j++)
		if (cnt[j] > cnt[k])
			k = j;
	if (d.fail || (!force && cnt[k] < 2) || (!force && d.spaced[k] * 2 > d.raw[k]) /* prose: "a, b, c" */ ||
	    !embed_depth(t, holder) || !dt_work(t, n)) {
		*pused = d.base;
		return false;
	}
	*pused = d.used; /* nested records stack above these positions */
	uint32_t row = embed_node(t, holder, MML_DK_CSV, MML_DF_CSV);
	if (row == MML_DNONE) {
		*pused = d.base;
		return true;
	}
	dt_node(t, row)->u = delims[k];
	/* the cells of text the summary covered whole are text themselves: ASCII
	 * delimiters split no UTF-8 sequence, and there is no NUL or control in
	 * them, so a cell's summary is the OR of its byte classes */
	const bool whole = sum->text != TS_NO && sum->len == n;
	uint32_t col = 0;
	size_t a = 0, j = d.base;
	for (;;) {
		size_t e = n;
		for (; j < d.used; j++) { /* the next position of this delimiter */
			uint32_t x = t->arena->pos[j];
			if ((int)(x & 3) == k && (!nest || (x & 4))) {
				e = x >> 3;
				j++;
				break;
			}
		}
		if (dt_stopped(t)) {
			dt_cut(t, row);
			break;
		}
		const uint8_t *v = s + a;
		size_t vl = e - a;
		if (sum->cls & TC_PCT)
			tx_pct(t, s + a, e - a, 1, &v, &vl);
		uint32_t cell = dt_add_at(t, row, MML_DK_CSV_CELL, MML_DF_CSV, col++);
		if (cell == MML_DNONE)
			break;
		mml_dnode *cd = dt_node(t, cell);
		cd->val = v;
		cd->val_len = vl > UINT32_MAX ? UINT32_MAX : (uint32_t)vl;
		if (whole && v == s + a)
			de_cell(t, cell, v, vl);
		else
			de_text(t, cell, v, vl, NULL, 0);
		if (e >= n)
			break;
		a = e + 1;
	}
	*pused = d.base;
	return true;
}

/* ---- UTF-8 ---- */

size_t tx_put_utf8(uint8_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | cp >> 6);
		o[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | cp >> 12);
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (uint8_t)(0xf0 | cp >> 18);
	o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}
