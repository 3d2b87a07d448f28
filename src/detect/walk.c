/*
 * walk.c - the first pass of a run: per-node tables and the text scan.
 *
 * Contract: walk_prepare() grows the scratch tables to the tree's size
 * and fills, for every node in document order (a parent before its
 * children):
 *  - the hash of its normalised field path and of the part after the
 *    last format boundary (fields.c matches layouts by them); a record
 *    cell without children has them only when a layout rule may be its
 *    (lay_pfilter on the record's path) or s->all_hashes is set. The path
 *    segments are decode's own (mml_dpath_seg, decode.h: the grammar is
 *    written once, there), hashed without the repeat and JSON array
 *    indexes;
 *  - the shape bits of its text (classify(): appid, wxid, MAC, page
 *    path, user agent, ...), by cheap guards on length and first byte
 *    before any validator runs; a record cell's byte classes come from
 *    the decoder (mml_dnode.tcls) when it saw them;
 *  - the terminal text leaves, joined by NULs into one buffer;
 *  - whether rules_node (NF_BUSY) or rules_struct (NF_STRUCT) has anything
 *    for the node (by the node-kind table, mml_dkinds), so mml_detect_run
 *    visits only those;
 *  - the delimited records that are kv rows with layout rules (a log id
 *    in the protobuf field just before the record's: kv_row_logid), for
 *    rules_kv, one check per record.
 * walk_scan() runs the Vectorscan database once over that buffer and
 * keeps the substring matches (and the --known hits) for rules.c.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "detect_int.h"

vstr node_text(const mml_dtree *t, uint32_t i)
{
	const mml_dnode *d = &t->n[i];
	if (!mml_dnode_is_text(d))
		return (vstr){"", 0};
	return (vstr){(const char *)d->val, d->val ? d->val_len : 0};
}

/* ---- path hashes ---- */

typedef struct hx {
	uint64_t f, l;
	bool ne, local;
} hx;

static inline void hput(hx *h, const char *p, size_t n)
{
	if (!n)
		return;
	h->f = lay_hash_add(h->f, p, n);
	if (h->local) /* the local hash exists only past a format boundary */
		h->l = lay_hash_add(h->l, p, n);
	h->ne = true;
}

static inline void hsep(hx *h, char c)
{
	if (h->ne)
		hput(h, &c, 1);
}

static void hbound(hx *h, const char *fmt)
{
	if (h->ne)
		h->f = lay_hash_add(h->f, ":", 1);
	h->l = lay_hash_init();
	h->local = true;
	hput(h, fmt, strlen(fmt));
}

static inline __attribute__((always_inline)) void hnum(hx *h, uint64_t v)
{
	h->f = lay_hash_num(h->f, v);
	if (h->local)
		h->l = lay_hash_num(h->l, v);
	h->ne = true;
}

static inline __attribute__((always_inline)) void hindex(hx *h, uint64_t v)
{
	h->f = lay_hash_idx(h->f, v);
	if (h->local)
		h->l = lay_hash_idx(h->l, v);
	h->ne = true;
}

/* Node d's path segment (mml_dpath_seg, decode.h: the grammar is
 * decode's) into the hashes, normalised: no repeat index or JSON array
 * position. */
static inline __attribute__((always_inline)) void seg(hx *h, const mml_dtree *t, const mml_dnode *d)
{
	mml_dseg s;
	mml_dpath_seg(t, d, &s);
	if (s.fmt)
		hbound(h, s.fmt);
	if (s.sep) {
		if (s.sep_always)
			hput(h, &s.sep, 1);
		else
			hsep(h, s.sep);
	}
	if (s.name)
		hput(h, s.name, s.name_len);
	else if (s.has_num)
		hnum(h, s.num);
	if (s.ix == MML_DSEG_IX_POS)
		hindex(h, (uint64_t)s.index);
}

/* ---- shapes ---- */

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

/* byte classes for the one pass over a short value */
enum { K_DIGIT = 1, K_ALPHA = 2, K_SLASH = 4, K_AT = 8, K_PIPE = 16, K_COMMA = 32, K_DOT = 64, K_OTHER = 128 };
static const uint8_t kcls[256] = {
	['0' ... '9'] = K_DIGIT, ['a' ... 'z'] = K_ALPHA, ['A' ... 'Z'] = K_ALPHA, ['/'] = K_SLASH, ['@'] = K_AT,
	['|'] = K_PIPE, [','] = K_COMMA, ['.'] = K_DOT, [' '] = K_OTHER, ['-'] = K_OTHER, ['_'] = K_OTHER,
	[':'] = K_OTHER, ['+'] = K_OTHER, ['?'] = K_OTHER, ['='] = K_OTHER, ['&'] = K_OTHER, ['%'] = K_OTHER,
	['#'] = K_OTHER, ['"'] = K_OTHER, ['\''] = K_OTHER, ['('] = K_OTHER, [')'] = K_OTHER, ['['] = K_OTHER,
	[']'] = K_OTHER, ['{'] = K_OTHER, ['}'] = K_OTHER, [';'] = K_OTHER, ['*'] = K_OTHER, ['!'] = K_OTHER,
	['$'] = K_OTHER, ['^'] = K_OTHER, ['~'] = K_OTHER, ['`'] = K_OTHER, ['<'] = K_OTHER, ['>'] = K_OTHER,
	['\\'] = K_OTHER, [0x80 ... 0xff] = K_OTHER, [0 ... 0x1f] = K_OTHER,
};

/* first bytes some shape test of classify() starts with: w g A-Z (A D M,
 * and places) o s + 0-9 - and the lead bytes of 2-4 byte UTF-8 */
static const uint8_t kfirst[256] = {
	['w'] = 1, ['g'] = 1, ['o'] = 1, ['s'] = 1, ['+'] = 1, ['-'] = 1,
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, [0xc0 ... 0xff] = 1,
};


/* per first byte, for shape_may: the longest text some test may apply to
 * by that byte alone (255: any), and whether it is a-z */
static uint8_t shape_lim[256], shape_lower[256];
static pthread_once_t shape_once = PTHREAD_ONCE_INIT;

static void shape_build(void)
{
	for (int c = 0; c < 256; c++) {
		unsigned lim = words_wmax[c >= 'A' && c <= 'Z' ? c + 32 : c];
		if (words_carrier_first(c) || lim > 40)
			lim = 40;
		shape_lim[c] = kfirst[c] ? 255 : (uint8_t)lim;
		shape_lower[c] = c >= 'a' && c <= 'z';
	}
}

void walk_init(void)
{
	words_init();
	pthread_once(&shape_once, shape_build);
}

#ifdef __SSE2__
/* OR of kcls over 16 bytes */
static inline unsigned kcls16(__m128i x)
{
	const __m128i lo = _mm_or_si128(x, _mm_set1_epi8(0x20));
	const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0')), a = _mm_sub_epi8(lo, _mm_set1_epi8('a'));
	const __m128i dig = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
	const __m128i alp = _mm_cmpeq_epi8(_mm_min_epu8(a, _mm_set1_epi8(25)), a);
	const __m128i sl = _mm_cmpeq_epi8(x, _mm_set1_epi8('/')), at = _mm_cmpeq_epi8(x, _mm_set1_epi8('@'));
	const __m128i pi = _mm_cmpeq_epi8(x, _mm_set1_epi8('|')), co = _mm_cmpeq_epi8(x, _mm_set1_epi8(','));
	const __m128i dt = _mm_cmpeq_epi8(x, _mm_set1_epi8('.')), del = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7f));
	const __m128i named = _mm_or_si128(_mm_or_si128(_mm_or_si128(dig, alp), _mm_or_si128(sl, at)),
	                                   _mm_or_si128(_mm_or_si128(pi, co), _mm_or_si128(dt, del)));
	unsigned k = 0;
	k |= _mm_movemask_epi8(dig) ? K_DIGIT : 0;
	k |= _mm_movemask_epi8(alp) ? K_ALPHA : 0;
	k |= _mm_movemask_epi8(sl) ? K_SLASH : 0;
	k |= _mm_movemask_epi8(at) ? K_AT : 0;
	k |= _mm_movemask_epi8(pi) ? K_PIPE : 0;
	k |= _mm_movemask_epi8(co) ? K_COMMA : 0;
	k |= _mm_movemask_epi8(dt) ? K_DOT : 0;
	k |= _mm_movemask_epi8(named) != 0xffff ? K_OTHER : 0; /* DEL is in no class */
	return k;
}
#endif

/* OR of kcls over b[0..n) */
static inline unsigned kclasses(const unsigned char *b, size_t n)
{
#ifdef __SSE2__
	if (n >= 16) { /* 16 at a time, the last 16 overlapping the ones before */
		unsigned k = 0;
		size_t i = 0;
		for (; i + 16 <= n; i += 16)
			k |= kcls16(_mm_loadu_si128((const __m128i *)(const void *)(b + i)));
		if (i < n)
			k |= kcls16(_mm_loadu_si128((const __m128i *)(const void *)(b + n - 16)));
		return k;
	}
#endif
	unsigned k0 = 0, k1 = 0, k2 = 0, k3 = 0;
	if (n >= 4) { /* four at a time, the last four overlapping the ones before */
		for (size_t i = 0; i + 4 <= n; i += 4) {
			k0 |= kcls[b[i]];
			k1 |= kcls[b[i + 1]];
			k2 |= kcls[b[i + 2]];
			k3 |= kcls[b[i + 3]];
		}
		const unsigned char *e = b + n - 4;
		k0 |= kcls[e[0]];
		k1 |= kcls[e[1]];
		k2 |= kcls[e[2]];
		k3 |= kcls[e[3]];
	} else {
		for (size_t i = 0; i < n; i++)
			k0 |= kcls[b[i]];
	}
	return k0 | k1 | k2 | k3;
}

uint32_t classify(vstr v) { return classify_k(v, 0); }

/* Text p[0..n) (n >= 2, trimmed) with byte classes k, not all digits:
 * every test of classify_k() needs this (one branch for the values that
 * have no shape, instead of a mispredicted one among the guards) */
static inline bool shape_may(const char *p, size_t n, unsigned k)
{
	const unsigned char c = (unsigned char)p[0], last = (unsigned char)p[n - 1];
	const bool alnum = !(k & ~(unsigned)(K_DIGIT | K_ALPHA));
	/* kfirst[c] | (n <= 40 && (n <= words_wmax[fold(c)] || words_carrier_first(c))) is n <= shape_lim[c]
	 * below 100 (walk_init); from 100 on the answer is yes anyway */
	return (n <= shape_lim[c]) | (shape_lower[c] & ((k & K_DOT) != 0)) | ((k & (K_SLASH | K_PIPE | K_AT)) != 0) |
	       (n >= 14 && last == 'm') | (n == 17 && (p[2] == ':' || p[2] == '-')) | (n >= 14 && n <= 16 && alnum) |
	       (last == 'I') | (n >= 100);
}

_Static_assert(K_DIGIT == MML_TC_DIGIT >> 1 && K_ALPHA == MML_TC_ALPHA >> 1 && K_SLASH == MML_TC_SLASH >> 1 &&
                   K_AT == MML_TC_AT >> 1 && K_PIPE == MML_TC_PIPE >> 1 && K_COMMA == MML_TC_COMMA >> 1 &&
                   K_DOT == MML_TC_DOT >> 1 && K_OTHER == MML_TC_OTHER >> 1,
               "kcls bits are the MML_TC_* bits shifted");

uint32_t classify_k(vstr v, unsigned tcls)
{
	/* known classes: no byte v_trim() would take */
	if (!(tcls & MML_TC_KNOWN))
		v = v_trim(v);
	if (v.n < 2)
		return 0;
	uint32_t s = 0;
	unsigned char c = (unsigned char)v.p[0];
	size_t n = v.n;
	unsigned k = 0;
	if (n <= 128) {
		k = (tcls & MML_TC_KNOWN) ? tcls >> 1 : kclasses((const unsigned char *)v.p, n);
	} else {
		k = K_ALPHA | K_OTHER | K_DIGIT;
		k |= memchr(v.p, '/', n) ? K_SLASH : 0;
		k |= memchr(v.p, '@', n) ? K_AT : 0;
		k |= memchr(v.p, '|', n) ? K_PIPE : 0;
		k |= memchr(v.p, ',', n) ? K_COMMA : 0;
		k |= memchr(v.p, '.', n) ? K_DOT : 0;
	}
	if (k == K_DIGIT) /* a number: only an MCC-MNC has the shape of one */
		return (n == 5 || n == 6) && v_mccmnc(v) ? SH_MCCMNC : 0;
	if (!shape_may(v.p, n, k))
		return 0;
	bool slash = k & K_SLASH;
	const bool alnum = !(k & ~(unsigned)(K_DIGIT | K_ALPHA)); /* exact: n <= 128 below */
	if (n == 18 && c == 'w' && v_appid(v))
		s |= SH_APPID;
	if (c == 'g' && n >= 15 && v.p[1] == 'h' && v.p[2] == '_') {
		if (n == 19 && v_mpuser(v))
			s |= SH_MPUSER;
		else if (n == 15 && v_hexid((vstr){v.p + 3, 12}))
			s |= SH_GHOA;
	}
	if (c == 'w' && n > 10 && !memcmp(v.p, "wxid_", 5) && v_wxid(v))
		s |= SH_WXID;
	if (n >= 14 && v.p[n - 1] == 'm' && v_chatroom(v))
		s |= SH_CHATROOM;
	if (n == 17 && (v.p[2] == ':' || v.p[2] == '-')) {
		int r = v_mac(v);
		s |= r == VAL_OK ? SH_MAC : r == VAL_PLACEHOLDER ? SH_MACPH : 0;
	}
	if (n == 16 && alnum && v_androidid(v) == VAL_OK) /* 16 lowercase hex */
		s |= SH_ANDROIDID;
	if ((n == 15 || n == 16) && c == 'A') {
		int r = v_devid(v);
		s |= r == VAL_OK ? SH_DEVID : r == VAL_PLACEHOLDER ? SH_DEVID_PH : 0;
	}
	if (n >= 14 && n <= 16 && alnum && !is_digit(v.p[n - 1]) && v_imei(v) == VAL_PLACEHOLDER)
		s |= SH_IMEI_PH; /* 1234567890ABCDEF, not bare zeros */
	int tag = n <= 40 && n <= words_wmax[c >= 'A' && c <= 'Z' ? c + 32 : c] ? words_tag(v) : 0;
	if (tag & W_NET)
		s |= SH_NETTYPE;
	if (tag & W_LIFE)
		s |= SH_LIFECYCLE;
	if (n >= 4 && v.p[n - 1] == 'I' && v.p[n - 2] == 'U' && v_uiclass(v))
		s |= SH_UICLASS;
	if (n >= 10 && (k & K_PIPE) && v_viewpath(v))
		s |= SH_VIEWPATH;
	if ((c == 'M' || c == 'D' || c == 'o') && v_useragent(v))
		s |= SH_UA;
	if (slash) {
		if ((c == 'h' || c == 'H' || c == 'w') && v_url(v))
			s |= SH_URL;
		else if ((c == 'i' || c == 'v' || c == 'a') && v_mime_media(v))
			s |= SH_MIME;
		else if (v_pagepath(v))
			s |= SH_PAGE;
	}
	if ((tag & W_MPAPI) || (n > 7 && (c == 's' || c == 'w') && v_mpapi(v)))
		s |= SH_MPAPI;
	if ((n == 5 || n == 6) && k == K_DIGIT && v_mccmnc(v)) /* all digits: returned above */
		s |= SH_MCCMNC;
	if (n <= 40 && words_carrier_first(c) && v_carrier_name(v))
		s |= SH_CARRIER;
	if (n >= 100 && v_pushtoken(v))
		s |= SH_PUSH;
	if ((c == '+' || (c == '0' && v.p[1] == '0')) && v_phone(v))
		s |= SH_PHONE;
	if (n >= 6 && (k & K_AT) && v_email(v))
		s |= SH_EMAIL;
	if (n >= 5 && n <= 24 && (is_digit(c) || c == '-') && (k & K_DOT)) {
		const char *dot = memchr(v.p, '.', n);
		if (dot && n - (size_t)(dot - v.p) - 1 >= 3) {
			double x;
			if (coord_num(v.p, n, &x))
				s |= SH_DECIMAL;
		}
	}
	if (n >= 7 && n <= 64 && (is_digit(c) || c == '-' || c == '+') && (k & (K_SLASH | K_COMMA))) {
		double a, b;
		if (coord_text(v.p, n, &a, &b))
			s |= SH_COORDTXT;
	}
	if (n >= 3 && n <= 63 && c >= 'a' && c <= 'z' && !(s & (SH_NETTYPE | SH_MPAPI)) && (k & K_DOT) && v_apn(v))
		s |= SH_APN;
	if ((c >= 'A' && c <= 'Z') || c >= 0xc0) {
		if (v_place(v))
			s |= SH_PLACE;
	}
	return s;
}

/* ---- prepare ---- */

bool kv_row_logid(const mml_dtree *t, uint32_t csv, uint64_t *logid)
{
	uint32_t sp = t->n[csv].parent;
	if (sp == MML_DNONE || sp == 0)
		return false;
	const mml_dnode *s = &t->n[sp];
	uint32_t m = s->parent;
	if ((s->kind != MML_DK_STRING && s->kind != MML_DK_BYTES) || s->field < 2 || m == MML_DNONE ||
	    t->n[m].kind != MML_DK_MSG)
		return false;
	/* the sibling just before: a leaf, so the node just before in document order */
	const mml_dnode *b = &t->n[sp - 1];
	if (b->parent != m || b->next != sp || b->field != s->field - 1 || b->kind != MML_DK_VARINT)
		return false;
	*logid = b->u;
	return true;
}

/* A record that is a kv row with rules: remembered for rules_kv(). */
static void note_kv_row(drun *r, uint32_t i)
{
	mml_detect_scratch *s = r->s;
	uint64_t logid;
	size_t n;
	if (!kv_row_logid(r->t, i, &logid) || !lay_kv_find(r->d->lay, logid, &n))
		return;
	if (!mml_grow((void **)&s->kvrow, &s->kvrowcap, s->nkvrow + 1, sizeof *s->kvrow, 16)) {
		s->nomem = true;
		return;
	}
	s->kvrow[s->nkvrow].node = i;
	s->kvrow[s->nkvrow].logid = logid;
	s->nkvrow++;
}

/* Could rules_node(i) do anything? false only when it surely would not:
 * no layout rule can match the node's paths (fl: its flags so far), no
 * --known number or digest applies, it is not metadata, has no key name,
 * and its text has no shape (sh). */
static inline bool node_busy(const mml_dnode *n, uint32_t fl, uint32_t sh, bool knum, bool kbin)
{
	if (fl & NF_LAYCAND) /* set only when some layout is active */
		return true;
	if (n->flags & MML_DN_META)
		return true;
	if ((fl & NF_TEXT) && sh)
		return true;
	if (n->kind == MML_DK_VARINT)
		return knum;
	if (n->kind == MML_DK_BYTES)
		return kbin;
	return mml_dkind_is(n->kind, MML_DKP_KEYED) && n->name && n->name_len;
}

/* The containers rules_struct has something for: members by name or number. */
static inline bool struct_kind(const mml_dnode *n) { return mml_dkind_is(n->kind, MML_DKP_RECORD); }

/* A text node (val_len > 0) whose text is scanned as it is: not a number,
 * and not opened further (an element's own text always is its own) */
static inline bool terminal_text(const mml_dnode *d)
{
	const unsigned p = d->kind < MML_DK_COUNT ? mml_dkinds[d->kind].props : 0;
	return (p & MML_DKP_TEXT) && !(p & MML_DKP_NUMBER) && ((p & MML_DKP_CONTAINER) || d->first_child == MML_DNONE);
}

/* memcpy, without the call for the short texts most leaves hold: two
 * overlapping moves, each within [0, n) of both */
static inline void copy_small(uint8_t *dst, const char *src, size_t n)
{
	if (n > 16 && n <= 32) {
		uint64_t a[2], b[2];
		memcpy(a, src, 16);
		memcpy(b, src + n - 16, 16);
		memcpy(dst, a, 16);
		memcpy(dst + n - 16, b, 16);
	} else if (n >= 8 && n <= 16) {
		uint64_t a, b;
		memcpy(&a, src, 8);
		memcpy(&b, src + n - 8, 8);
		memcpy(dst, &a, 8);
		memcpy(dst + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		uint32_t a, b;
		memcpy(&a, src, 4);
		memcpy(&b, src + n - 4, 4);
		memcpy(dst, &a, 4);
		memcpy(dst + n - 4, &b, 4);
	} else if (n < 4) {
		for (size_t i = 0; i < n; i++)
			dst[i] = (uint8_t)src[i];
	} else {
		memcpy(dst, src, n);
	}
}

/* Node i's text v into the scan buffer: NF_LEAF, or 0 (nomem) */
static inline uint32_t add_leaf(mml_detect_scratch *s, uint32_t i, vstr v)
{
	if ((s->nleaf + 1 > s->leafcap || s->ntext + v.n + 1 > s->textcap) &&
	    (!mml_grow((void **)&s->leaf, &s->leafcap, s->nleaf + 1, sizeof *s->leaf, 256) ||
	     !mml_grow((void **)&s->text, &s->textcap, s->ntext + v.n + 1, 1, 256))) {
		s->nomem = true;
		return 0;
	}
	s->leaf[s->nleaf].node = i;
	s->leaf[s->nleaf].off = (uint32_t)s->ntext;
	copy_small(s->text + s->ntext, v.p, v.n);
	s->ntext += v.n;
	s->text[s->ntext++] = 0;
	s->nleaf++;
	return NF_LEAF;
}

/* The scratch tables sized for n nodes. */
static bool prep_tables(mml_detect_scratch *s, uint32_t n)
{
	if (n <= s->ncap)
		return true;
	size_t cap = s->ncap, c2;
	bool ok = true;
	c2 = cap, ok &= mml_grow((void **)&s->hf, &c2, n, sizeof *s->hf, 256);
	c2 = cap, ok &= ok && mml_grow((void **)&s->hl, &c2, n, sizeof *s->hl, 256);
	c2 = cap, ok &= ok && mml_grow((void **)&s->nfl, &c2, n, sizeof *s->nfl, 256);
	c2 = cap, ok &= ok && mml_grow((void **)&s->shape, &c2, n, sizeof *s->shape, 256);
	c2 = cap, ok &= ok && mml_grow((void **)&s->kor, &c2, n, sizeof *s->kor, 256);
	c2 = cap, ok &= ok && mml_grow((void **)&s->first, &c2, n, sizeof *s->first, 256);
	if (!ok)
		return false;
	s->ncap = (uint32_t)c2;
	return true;
}

/* What walk_prepare looks at, the same for every node of a run. */
typedef struct prep {
	const uint64_t *filt, *pfilt;
	bool lay_on; /* NF_LAYCAND is read only then */
	bool all, knum, kbin, kvon;
} prep;

/* The record the cells before were in (cells of one record come in a row
 * but for the subtrees of embedded formats in them). */
typedef struct prow {
	uint32_t row;
	uint64_t rf, rl;
	bool rlocal, rowcsv, rowcand;
} prow;

/* Node i, a cell of a record (not metadata, not embedded): its path is
 * the record's and "[column]". false when its record is no CSV node (a
 * cell of no record: the general case, prep_node). */
static inline __attribute__((always_inline)) bool prep_cell(drun *r, const prep *c, prow *w, uint32_t i)
{
	mml_detect_scratch *s = r->s;
	const mml_dtree *t = r->t;
	const mml_dnode *d = &t->n[i];
	const uint32_t pi = d->parent;
	if (pi != w->row) {
		w->row = pi;
		w->rowcsv = t->n[pi].kind == MML_DK_CSV;
		w->rf = s->hf[pi];
		w->rl = s->hl[pi];
		w->rlocal = s->nfl[pi] & NF_LOCAL;
		/* no rule path is this record's path and "[": no cell's is a rule's */
		w->rowcand = c->lay_on && lay_maybe(c->pfilt, w->rf, w->rl, w->rlocal);
	}
	if (!w->rowcsv)
		return false;
	uint32_t fl = NF_NONEMPTY | (w->rlocal ? NF_LOCAL : 0);
	/* the hashes are read by lay_find (NF_LAYCAND) and as the parent's */
	if (w->rowcand || d->first_child != MML_DNONE || c->all) {
		hx h = {w->rf, w->rl, true, w->rlocal};
		seg(&h, t, d); /* "[column]" */
		s->hf[i] = h.f;
		s->hl[i] = h.l;
		if (w->rowcand && lay_maybe(c->filt, h.f, h.l, w->rlocal))
			fl |= NF_LAYCAND;
	}
	uint32_t sh = 0;
	const size_t vn = d->val ? d->val_len : 0;
	if (vn) {
		const vstr v = {(const char *)d->val, vn};
		fl |= NF_TEXT;
		/* known classes, no shape possible: classify_k() would say 0 */
		if (!((d->tcls & MML_TC_KNOWN) && vn <= 128 &&
		      ((d->tcls >> 1) == K_DIGIT ? vn != 5 && vn != 6 : !shape_may(v.p, vn, d->tcls >> 1))))
			sh = classify_k(v, d->tcls);
		if (d->first_child == MML_DNONE && vn < ((size_t)1 << 31))
			fl |= add_leaf(s, i, v);
	}
	/* node_busy: no metadata, no key name; a shape or a layout */
	if (sh || (fl & NF_LAYCAND))
		fl |= NF_BUSY;
	s->nfl[i] = fl;
	s->shape[i] = sh;
	if (sh)
		s->kor[pi] |= sh;
	return true;
}

/* Any other node i: its path hashes from its parent's, its shape, its flags. */
static inline __attribute__((always_inline)) void prep_node(drun *r, const prep *c, uint32_t i)
{
	mml_detect_scratch *s = r->s;
	const mml_dtree *t = r->t;
	const mml_dnode *d = &t->n[i];
	hx h;
	uint32_t fl = 0;
	if (d->parent == MML_DNONE || d->parent >= i) {
		h.f = h.l = lay_hash_init();
		h.ne = h.local = false;
	} else {
		h.f = s->hf[d->parent];
		h.l = s->hl[d->parent];
		h.ne = s->nfl[d->parent] & NF_NONEMPTY;
		h.local = s->nfl[d->parent] & NF_LOCAL;
	}
	seg(&h, t, d);
	s->hf[i] = h.f;
	s->hl[i] = h.l;
	fl |= (h.ne ? NF_NONEMPTY : 0) | (h.local ? NF_LOCAL : 0);
	if (c->lay_on && lay_maybe(c->filt, h.f, h.l, h.local))
		fl |= NF_LAYCAND;
	uint32_t sh = 0;
	vstr v = node_text(t, i);
	if (v.n) {
		fl |= NF_TEXT;
		if (!mml_dkind_is(d->kind, MML_DKP_NUMBER))
			sh = classify(v);
		if (terminal_text(d) && v.n < ((size_t)1 << 31))
			fl |= add_leaf(s, i, v);
	}
	if (node_busy(d, fl, sh, c->knum, c->kbin))
		fl |= NF_BUSY;
	if (struct_kind(d))
		fl |= NF_STRUCT;
	if (c->kvon && d->kind == MML_DK_CSV)
		note_kv_row(r, i);
	s->nfl[i] = fl;
	s->shape[i] = sh;
	if (d->parent != MML_DNONE && d->parent < i) {
		if (sh) /* most have none: no store into the parent's entry */
			s->kor[d->parent] |= sh;
		if (d->kind == MML_DK_FIXED32 || d->kind == MML_DK_FIXED64)
			s->nfl[d->parent] |= NF_HASFIXED;
	}
}

bool walk_prepare(drun *r)
{
	mml_detect_scratch *s = r->s;
	const mml_dtree *t = r->t;
	uint32_t n = t->count;
	if (!prep_tables(s, n))
		return false;
	s->nleaf = 0;
	s->ntext = 0;
	s->nkvrow = 0;
	memset(s->first, 0xff, n * sizeof *s->first);
	memset(s->kor, 0, n * sizeof *s->kor);
	const prep c = {
		.filt = lay_filter(r->d->lay),
		.pfilt = lay_pfilter(r->d->lay),
		.lay_on = r->sel.n != 0,
		.all = s->all_hashes,
		.knum = known_nums(r->d->known) != 0,
		.kbin = known_nforms(r->d->known) != 0,
		.kvon = lay_kv_any(r->d->lay),
	};
	prow w = {.row = MML_DNONE};
	for (uint32_t i = 0; i < n; i++) {
		const mml_dnode *d = &t->n[i];
		if (d->kind == MML_DK_CSV_CELL && d->parent < i && !(d->flags & (MML_DN_META | MML_DN_EMBED)) &&
		    prep_cell(r, &c, &w, i))
			continue;
		prep_node(r, &c, i);
	}
	return true;
}

/* ---- scan ---- */

static int on_match(unsigned id, unsigned long long from, unsigned long long to, void *ctx)
{
	drun *r = ctx;
	mml_detect_scratch *s = r->s;
	if (id >= P__COUNT) { /* literals report no start: it is their length before the end */
		const known_form *kf = known_form_at(r->d->known, id - P__COUNT);
		if (!kf || kf->len > to)
			return 0;
		from = to - kf->len;
	}
	/* the leaf holding the match's last byte (a leaf's NUL is its own): binary search */
	unsigned long long last = to ? to - 1 : 0;
	size_t lo = 0, hi = s->nleaf;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (s->leaf[mid].off <= last)
			lo = mid;
		else
			hi = mid;
	}
	uint32_t start = s->leaf[lo].off;
	if (from < start)
		from = start;
	if (to < from)
		return 0;
	if (s->nm >= ((size_t)1 << 20))
		return 0; /* enough evidence for one body */
	if (s->nm == s->mcap && !mml_grow((void **)&s->m, &s->mcap, s->nm + 1, sizeof *s->m, 64)) {
		s->nomem = true;
		return 1;
	}
	s->m[s->nm++] = (smatch){id, (uint32_t)lo, (uint32_t)(from - start), (uint32_t)(to - start)};
	s->nfl[s->leaf[lo].node] |= NF_PAT;
	return 0;
}

void walk_scan(drun *r)
{
	mml_detect_scratch *s = r->s;
	if (!s->nleaf || s->ntext > UINT32_MAX)
		return;
	if (pat_scan(r->d->pat, s->hs, s->text, s->ntext, on_match, r) < 0)
		s->nomem = true;
}
