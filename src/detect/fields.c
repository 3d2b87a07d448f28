/*
 * fields.c - known field layouts (data/fields.tsv, and --fields files):
 * which field of which API holds what.
 *
 * Format (docs/TAXONOMY.md, "fields.tsv"), one rule per line, '#'
 * comments, tab-separated:
 *
 *   selector  dir  path  category  check  [detector]
 *
 *  - selector: '*' (every message), a request type number (763), an API
 *    path (/cgi-bin/micromsg-bin/secautoauth), several joined by ',', or
 *    '@Name' to define a struct (its paths are relative to the struct), or
 *    'kv:LOGID' (alone): the rows of kv telemetry with that log id, a
 *    delimited record in protobuf field F whose field F-1, just before
 *    it, is the log id (newreportkvcomm {1: logid, 2: row}, rtkvreport
 *    {7: logid, 8: row}); its path is a column of the row ('csv[6]');
 *  - dir: req, resp or '*';
 *  - path: a field path without repeat indexes ('4[2].1' is written
 *    '4.1' and matches every repeat); a path starting with ':' matches
 *    the end of a path from a format boundary on (':xml.softtype.k4'
 *    matches '2.5:xml.softtype.k4' wherever the XML sits);
 *  - category: a taxonomy id, '-' (nothing personal here: no detector
 *    reports this field), or '@Name' (the struct Name sits at this path;
 *    its rules apply below it when the struct's signature check holds);
 *  - check: a value check by name (values.c, ck_names), '-' for any;
 *  - detector: the name findings carry (default "layout").
 *
 * Contract: rules are kept in an open-addressing hash keyed by (selector,
 * direction, hash of the normalised path); later rules (user files after
 * the built-in file) replace earlier ones with the same key. A lookup is
 * a few probes per active (selector, direction) of the message, behind a
 * 64-kbit filter, so fields without rules cost one bit test. kv row rules
 * are kept apart, sorted by (log id, column): one binary search per
 * delimited record that sits next to a log id. Bad lines are reported
 * with their line number and skipped.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"
#include "mmlens/util.h"

typedef struct lrule {
	uint64_t key;
	lay_hit hit;
	bool used;
} lrule;

typedef struct sdef { /* a struct rule, or a placement, before expansion */
	char *name;       /* struct name (without '@') */
	char *sel;        /* selector text (placements) */
	int dir;          /* 0 req, 1 resp, 2 any */
	char *path;       /* normalised */
	lay_hit hit;
	bool placement;
} sdef;

struct lay_table {
	lrule *r;
	size_t n, cap; /* cap: power of two */
	sdef *s;
	size_t ns, scap;
	uint64_t filt[1024]; /* 65536-bit filter of path hashes */
	uint64_t pfilt[1024]; /* the same of every rule path's part before a '[' */
	struct combo {       /* (selector, dir) keys that have rules: open addressing */
		uint64_t key;
		uint8_t local;   /* 1: full-path rules, 2: local rules; 0: empty slot */
	} *combos;
	size_t ncombo, ccap;
	char **dets;         /* interned detector names */
	size_t ndets;
	lay_kvrule *kv;      /* kv row rules, sorted by (logid, col, dir) after lay_finish */
	size_t nkv, kvcap;
};

/* Path hashes: a polynomial hash mod 2^64 (h = h * B + byte), so the
 * hash of a path is the same whether it is hashed whole (a rule) or
 * segment by segment (walk.c); field numbers below 4096 are appended in
 * O(1) from a table of their decimal digits. */
uint64_t lay_num_h[4096], lay_idx_h[4096]; /* "123", "[123]" */
uint8_t lay_num_len[4096];
uint64_t lay_pw[8]; /* HB^k for the up to 4 + 2 bytes of "[4095]" */
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

static void hash_tables(void)
{
	lay_pw[0] = 1;
	for (int i = 1; i < 8; i++)
		lay_pw[i] = lay_pw[i - 1] * LAY_HB;
	static const uint8_t lb = '[' + 1, rb = ']' + 1;
	for (unsigned v = 0; v < 4096; v++) {
		char b[8];
		int n = snprintf(b, sizeof b, "%u", v);
		uint64_t h = 0;
		for (int i = 0; i < n; i++)
			h = h * LAY_HB + (uint8_t)b[i] + 1;
		lay_num_h[v] = h;
		lay_num_len[v] = (uint8_t)n;
		lay_idx_h[v] = (lb * lay_pw[n] + h) * LAY_HB + rb; /* "[" digits "]" */
	}
}

void lay_hash_setup(void) { pthread_once(&hash_once, hash_tables); }

uint64_t lay_hash_init(void) { return 0x51ed27ull; }


uint64_t lay_hash_idx_slow(uint64_t h, uint64_t v)
{
	return lay_hash_add(lay_hash_num(lay_hash_add(h, "[", 1), v), "]", 1);
}

uint64_t lay_hash_num_slow(uint64_t h, uint64_t v)
{
	char b[24];
	int i = 24;
	do
		b[--i] = (char)('0' + v % 10);
	while (v /= 10);
	return lay_hash_add(h, b + i, (size_t)(24 - i));
}

static uint64_t mix(uint64_t a, uint64_t b)
{
	uint64_t z = a ^ (b + 0x9e3779b97f4a7c15ull + (a << 6) + (a >> 2));
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t sel_any(void) { return 0x51a7ull; }
static uint64_t sel_req(int64_t t) { return mix(0x7e9ull, (uint64_t)t); }
static uint64_t sel_api(const char *p, size_t n) { return mix(0xa91ull, lay_hash_add(lay_hash_init(), p, n)); }
static uint64_t combo(uint64_t sel, int dir) { return mix(sel, (uint64_t)dir + 11); }
static uint64_t rkey(uint64_t cmb, uint64_t ph, bool local) { return mix(cmb, ph ^ (local ? 0x10ca1ull : 0)); }

lay_table *lay_new(void)
{
	lay_hash_setup();
	lay_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->cap = 256;
	t->r = calloc(t->cap, sizeof *t->r);
	if (!t->r) {
		free(t);
		return NULL;
	}
	return t;
}

void lay_free(lay_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ns; i++) {
		free(t->s[i].name);
		free(t->s[i].sel);
		free(t->s[i].path);
	}
	for (size_t i = 0; i < t->ndets; i++)
		free(t->dets[i]);
	free(t->dets);
	free(t->kv);
	free(t->s);
	free(t->r);
	free(t->combos);
	free(t);
}

static const char *intern(lay_table *t, const char *s, size_t n)
{
	for (size_t i = 0; i < t->ndets; i++)
		if (strlen(t->dets[i]) == n && !memcmp(t->dets[i], s, n))
			return t->dets[i];
	char **nd = realloc(t->dets, (t->ndets + 1) * sizeof *nd);
	if (!nd)
		return NULL;
	t->dets = nd;
	char *c = malloc(n + 1);
	if (!c)
		return NULL;
	memcpy(c, s, n);
	c[n] = 0;
	t->dets[t->ndets++] = c;
	return c;
}

static mml_err put(lay_table *t, uint64_t key, const lay_hit *h)
{
	if ((t->n + 1) * 2 > t->cap) {
		size_t nc = t->cap * 2;
		lrule *nr = calloc(nc, sizeof *nr);
		if (!nr)
			return MML_E_NOMEM;
		for (size_t i = 0; i < t->cap; i++)
			if (t->r[i].used) {
				size_t s = t->r[i].key & (nc - 1);
				while (nr[s].used)
					s = (s + 1) & (nc - 1);
				nr[s] = t->r[i];
			}
		free(t->r);
		t->r = nr;
		t->cap = nc;
	}
	size_t s = key & (t->cap - 1);
	while (t->r[s].used && t->r[s].key != key)
		s = (s + 1) & (t->cap - 1);
	if (!t->r[s].used)
		t->n++;
	t->r[s].used = true;
	t->r[s].key = key;
	t->r[s].hit = *h;
	return MML_OK;
}

/* Normalise a path: drop repeat indexes and JSON array indexes ("[...]"
 * after a field number, a key or "]"), keep CSV columns and packed
 * elements ("csv[4]", "packed[2]"). Returns the length written. */
static size_t norm_path(const char *p, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '[') {
			bool keep = (k >= 3 && !memcmp(out + k - 3, "csv", 3)) || (k >= 6 && !memcmp(out + k - 6, "packed", 6));
			if (!keep) {
				while (i < n && p[i] != ']')
					i++;
				continue;
			}
		}
		if (k + 1 >= cap)
			return 0;
		out[k++] = p[i];
	}
	out[k] = 0;
	return k;
}

static struct combo *combo_slot(const lay_table *t, uint64_t c)
{
	if (!t->ccap)
		return NULL;
	for (size_t p = c & (t->ccap - 1);; p = (p + 1) & (t->ccap - 1))
		if (!t->combos[p].local || t->combos[p].key == c)
			return &t->combos[p];
}

static mml_err add_combo(lay_table *t, uint64_t c, bool local)
{
	if ((t->ncombo + 1) * 2 > t->ccap) {
		size_t nc = t->ccap ? t->ccap * 2 : 64;
		struct combo *old = t->combos, *nw = calloc(nc, sizeof *nw);
		MML_RETURN_IF(!nw, MML_E_NOMEM);
		size_t oc = t->ccap;
		t->combos = nw;
		t->ccap = nc;
		for (size_t i = 0; i < oc; i++)
			if (old[i].local)
				*combo_slot(t, old[i].key) = old[i];
		free(old);
	}
	struct combo *s = combo_slot(t, c);
	if (!s->local)
		t->ncombo++;
	s->key = c;
	s->local |= local ? 2 : 1;
	return MML_OK;
}

/* Add a rule for every selector in the comma-separated list. */
static mml_err add_rule(lay_table *t, const char *sel, size_t seln, int dir, const char *path, size_t pn,
                        const lay_hit *h)
{
	bool local = pn && path[0] == ':';
	const char *hp = local ? path + 1 : path;
	size_t hn = local ? pn - 1 : pn;
	uint64_t ph = lay_hash_add(lay_hash_init(), hp, hn);
	t->filt[(ph >> 6) & 1023] |= 1ull << (ph & 63);
	uint64_t pre = lay_hash_init();
	for (size_t j = 0; j < hn; j++) {
		if (hp[j] == '[')
			t->pfilt[(pre >> 6) & 1023] |= 1ull << (pre & 63);
		pre = lay_hash_add(pre, hp + j, 1);
	}
	size_t i = 0;
	while (i <= seln) {
		size_t s = i;
		while (i < seln && sel[i] != ',')
			i++;
		const char *x = sel + s;
		size_t xn = i - s;
		i++;
		if (!xn)
			continue;
		uint64_t sk;
		if (xn == 1 && x[0] == '*')
			sk = sel_any();
		else if (x[0] == '/')
			sk = sel_api(x, xn);
		else {
			int64_t v = 0;
			for (size_t k = 0; k < xn; k++) {
				if (x[k] < '0' || x[k] > '9' || v > 100000000)
					return MML_E_MALFORMED;
				v = v * 10 + (x[k] - '0');
			}
			sk = sel_req(v);
		}
		uint64_t c = combo(sk, dir);
		MML_RETURN_IF_ERR(add_combo(t, c, local));
		MML_RETURN_IF_ERR(put(t, rkey(c, ph, local), h));
	}
	return MML_OK;
}

static char *dupn(const char *s, size_t n)
{
	char *c = malloc(n + 1);
	if (c) {
		memcpy(c, s, n);
		c[n] = 0;
	}
	return c;
}

/* A kv:LOGID rule: the path must be one column, "csv[N]". Returns why not, or NULL. */
static const char *add_kv(lay_table *t, const char *sel, size_t seln, int dir, const char *np, const lay_hit *h,
                          mml_err *e)
{
	uint64_t logid = 0;
	if (seln <= 3 || seln > 3 + 12)
		return "bad kv:LOGID selector";
	for (size_t k = 3; k < seln; k++) {
		if (sel[k] < '0' || sel[k] > '9')
			return "a kv:LOGID selector stands alone, LOGID a number";
		logid = logid * 10 + (uint64_t)(sel[k] - '0');
	}
	/* N: decimal digits, at most 65535 (sscanf's %u took signs and blanks, and wrapped past 2^32) */
	unsigned long col = 0;
	size_t k = 4;
	if (strncmp(np, "csv[", 4))
		return "a kv row rule names one column: csv[N]";
	while (np[k] >= '0' && np[k] <= '9' && col <= 65535)
		col = col * 10 + (unsigned long)(np[k++] - '0');
	if (k == 4 || np[k] != ']' || np[k + 1] || col > 65535)
		return "a kv row rule names one column: csv[N]";
	if (!mml_grow((void **)&t->kv, &t->kvcap, t->nkv + 1, sizeof *t->kv, 16)) {
		*e = MML_E_NOMEM;
		return NULL;
	}
	t->kv[t->nkv] = (lay_kvrule){.logid = logid, .order = (uint32_t)t->nkv, .col = (uint16_t)col,
	                             .dir = (uint8_t)dir, .hit = *h};
	t->nkv++;
	return NULL;
}

mml_err lay_parse(lay_table *t, const char *text, size_t n, const char *name, mml_diag_fn diag, void *dctx,
                  unsigned *bad)
{
	size_t pos = 0;
	uint32_t lineno = 0;
	const char *line;
	size_t len;
	while (mml_line_next(text, n, &pos, &lineno, &line, &len)) {
		if (!len || line[0] == '#')
			continue;
		const char *col[6];
		size_t cl[6];
		int nc = 0;
		size_t i = 0;
		while (i <= len && nc < 6) {
			size_t s = i;
			while (i < len && line[i] != '\t')
				i++;
			col[nc] = line + s;
			cl[nc] = i - s;
			while (cl[nc] && col[nc][cl[nc] - 1] == ' ')
				cl[nc]--;
			nc++;
			i++;
			while (i < len && line[i] == '\t')
				i++; /* several tabs are one separator */
		}
		const char *why = NULL;
		int dir = -1, ck = CK_ANY, cat = -1;
		char np[MML_PATH_MAX];
		size_t npn = 0;
		if (nc < 5)
			why = "want selector, dir, path, category, check";
		if (!why) {
			if (cl[1] == 3 && !memcmp(col[1], "req", 3))
				dir = 0;
			else if (cl[1] == 4 && !memcmp(col[1], "resp", 4))
				dir = 1;
			else if (cl[1] == 1 && col[1][0] == '*')
				dir = 2;
			else
				why = "dir must be req, resp or *";
		}
		if (!why && !(npn = norm_path(col[2], cl[2], np, sizeof np)))
			why = "bad path";
		if (!why && !(cl[4] == 1 && col[4][0] == '-') && (ck = ck_parse(col[4], cl[4])) < 0)
			why = "unknown check";
		bool place = !why && cl[3] > 1 && col[3][0] == '@';
		if (!why && !place) {
			if (cl[3] == 1 && col[3][0] == '-')
				cat = LAY_SUPPRESS;
			else if ((cat = tax_index_n(col[3], cl[3])) < 0)
				why = "unknown category";
		}
		const char *det = "layout";
		size_t detn = 6;
		if (!why && nc >= 6 && cl[5]) {
			det = col[5];
			detn = cl[5];
		}
		lay_hit h = {.cat = cat, .check = (uint8_t)ck, .conf = 90, .det = NULL};
		if (!why && !(h.det = intern(t, det, detn)))
			return MML_E_NOMEM;
		if (!why && place && col[0][0] == '@')
			why = "a struct cannot be placed inside a struct definition";
		if (!why && cl[0] >= 3 && !memcmp(col[0], "kv:", 3)) {
			mml_err ke = MML_OK;
			why = place ? "a struct cannot be placed in a kv row" : add_kv(t, col[0], cl[0], dir, np, &h, &ke);
			if (ke)
				return ke;
			if (!why)
				continue;
		} else if (!why) {
			for (size_t k = 0; k + 4 <= cl[0] && !why; k++)
				if (!memcmp(col[0] + k, ",kv:", 4))
					why = "a kv:LOGID selector stands alone, LOGID a number";
		}
		if (!why && (col[0][0] == '@' || place)) {
			/* a struct rule or a placement: kept for lay_finish */
			if (!mml_grow((void **)&t->s, &t->scap, t->ns + 1, sizeof *t->s, 16))
				return MML_E_NOMEM;
			sdef *d = &t->s[t->ns];
			memset(d, 0, sizeof *d);
			d->placement = place;
			d->name = place ? dupn(col[3] + 1, cl[3] - 1) : dupn(col[0] + 1, cl[0] - 1);
			d->sel = place ? dupn(col[0], cl[0]) : NULL;
			d->path = dupn(np, npn);
			d->dir = dir;
			d->hit = h;
			if (!d->name || !d->path || (place && !d->sel)) {
				free(d->name);
				free(d->sel);
				free(d->path);
				return MML_E_NOMEM;
			}
			t->ns++;
			continue;
		}
		if (!why) {
			mml_err e = add_rule(t, col[0], cl[0], dir, np, npn, &h);
			if (e == MML_E_NOMEM)
				return e;
			if (e)
				why = "bad selector";
		}
		if (why) {
			if (bad)
				(*bad)++;
			if (diag)
				diag(dctx, "%s:%u: %s", name ? name : "fields", lineno, why);
		}
	}
	return MML_OK;
}

static int kv_cmp(const void *a, const void *b)
{
	const lay_kvrule *x = a, *y = b;
	if (x->logid != y->logid)
		return x->logid < y->logid ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sort the kv rules; of rules with the same (logid, column, direction) the last read wins. */
static void kv_finish(lay_table *t)
{
	if (!t->nkv)
		return;
	qsort(t->kv, t->nkv, sizeof *t->kv, kv_cmp);
	size_t k = 0;
	for (size_t i = 0; i < t->nkv; i++) {
		if (k && t->kv[k - 1].logid == t->kv[i].logid && t->kv[k - 1].col == t->kv[i].col &&
		    t->kv[k - 1].dir == t->kv[i].dir)
			k--;
		t->kv[k++] = t->kv[i];
	}
	t->nkv = k;
	for (size_t i = 0; i < k; i++)
		t->kv[i].order = (uint32_t)i;
}

bool lay_kv_any(const lay_table *t) { return t->nkv != 0; }

const lay_kvrule *lay_kv_find(const lay_table *t, uint64_t logid, size_t *n)
{
	size_t lo = 0, hi = t->nkv;
	*n = 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->kv[mid].logid < logid)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t e = lo;
	while (e < t->nkv && t->kv[e].logid == logid)
		e++;
	*n = e - lo;
	return *n ? &t->kv[lo] : NULL;
}

mml_err lay_finish(lay_table *t)
{
	kv_finish(t);
	for (size_t i = 0; i < t->ns; i++) {
		sdef *p = &t->s[i];
		if (!p->placement)
			continue;
		for (size_t k = 0; k < t->ns; k++) {
			sdef *r = &t->s[k];
			if (r->placement || strcmp(r->name, p->name))
				continue;
			char full[MML_PATH_MAX];
			int fn = snprintf(full, sizeof full, "%s.%s", p->path, r->path);
			if (fn <= 0 || (size_t)fn >= sizeof full)
				continue;
			lay_hit h = r->hit;
			int up = 1;
			for (const char *c = r->path; *c; c++)
				up += *c == '.';
			h.guard_up = (uint8_t)up;
			h.guard = p->hit.check;
			int dir = p->dir == 2 ? r->dir : p->dir;
			MML_RETURN_IF_ERR(add_rule(t, p->sel, strlen(p->sel), dir, full, (size_t)fn, &h));
		}
	}
	return MML_OK;
}

void lay_selectors(const mml_detect_msg *m, lay_sel *s)
{
	s->n = 0;
	int dir = m && !m->request ? 1 : 0;
	uint64_t sels[3];
	int ns = 0;
	sels[ns++] = sel_any();
	if (m && m->req_type >= 0)
		sels[ns++] = sel_req(m->req_type);
	if (m && m->api && m->api[0])
		sels[ns++] = sel_api(m->api, strlen(m->api));
	for (int i = 0; i < ns; i++) {
		s->k[s->n++] = combo(sels[i], dir);
		s->k[s->n++] = combo(sels[i], 2);
	}
}

int lay_active(const lay_table *t, const lay_sel *in, lay_sel *out)
{
	out->n = 0;
	for (int i = 0; i < in->n; i++) {
		const struct combo *c = combo_slot(t, in->k[i]);
		if (c && c->local) {
			out->k[out->n] = in->k[i];
			out->local[out->n] = c->local;
			out->n++;
		}
	}
	return out->n;
}

const uint64_t *lay_filter(const lay_table *t) { return t->filt; }
const uint64_t *lay_pfilter(const lay_table *t) { return t->pfilt; }

const lay_hit *lay_find(const lay_table *t, const lay_sel *s, uint64_t hfull, uint64_t hlocal, bool has_local)
{
	bool ff = t->filt[(hfull >> 6) & 1023] >> (hfull & 63) & 1;
	bool fl = has_local && (t->filt[(hlocal >> 6) & 1023] >> (hlocal & 63) & 1);
	if (!ff && !fl)
		return NULL;
	/* the most specific selector wins: API, then request type, then '*' (reverse order of lay_selectors) */
	for (int i = s->n - 1; i >= 0; i--) {
		for (int pass = 0; pass < 2; pass++) {
			bool local = pass == 1;
			if (local ? !fl || !(s->local[i] & 2) : !ff || !(s->local[i] & 1))
				continue;
			uint64_t key = rkey(s->k[i], local ? hlocal : hfull, local);
			for (size_t p = key & (t->cap - 1);; p = (p + 1) & (t->cap - 1)) {
				if (!t->r[p].used)
					break;
				if (t->r[p].key == key)
					return &t->r[p].hit;
			}
		}
	}
	return NULL;
}
