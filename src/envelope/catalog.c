/*
 * catalog.c - the request-type catalog: WeChat request type id -> API
 * path, with where each entry comes from (docs/CATALOG.md).
 *
 * Format, one item per line, '#' comments and blank lines ignored:
 *   #source KEY<TAB>description             declares a source key
 *   id<TAB>api[<TAB>source[<TAB>confidence[<TAB>note]]]
 *   id,api                                    (the older CSV form)
 * id is decimal, at most 2^32-1; spaces and tabs after the id's separator
 * are skipped (as before); api is at most 1024 printable bytes without
 * spaces; source is 1..8 comma-separated keys, each declared before use (in
 * this text or an earlier one); confidence is high, medium or low; note is
 * free text. A line over 2048 bytes, a NUL or another control byte, an
 * undeclared key, a key declared twice or any other bad field makes the
 * line bad: it is reported as "name:LINE: catalog line skipped: reason"
 * and skipped, and the rest is still read.
 *
 * Contract: the entries stay sorted by id with unique ids; a later entry
 * for an id replaces the earlier one, provenance included, so user files
 * parsed after the built-in text extend and override it. A parse stages
 * its lines, sorts them (O(n log n) whatever the input order) and merges
 * them in, so a failed allocation leaves the entries as they were before
 * that parse (sources it declared stay). Only MML_E_NOMEM and MML_E_LIMIT
 * (more than 2^20 entries or 1024 sources) fail. Every byte of the text is
 * read through an mml_cur.
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/cursor.h"
#include "mmlens/envelope.h"

extern const unsigned char mml_catalog_builtin_data[];
extern const size_t mml_catalog_builtin_data_len;

#define CAT_MAX_LINE 2048
#define CAT_MAX_API 1024
#define CAT_MAX_SOURCE 255
#define CAT_MAX_KEY 32
#define CAT_MAX_KEYS 8
#define CAT_MAX_DESC 1024
#define CAT_MAX_ENTRIES ((size_t)1 << 20)
#define CAT_MAX_SOURCES 1024
#define CAT_MAX_FILE ((size_t)16 << 20)

/* one staged line of the current parse */
typedef struct pend {
	mml_cat_ent e;
	size_t seq;
} pend;

typedef struct stage {
	pend *p;
	size_t n, alloc;
} stage;

void mml_catalog_init(mml_catalog *c) { memset(c, 0, sizeof *c); }

static void ent_free(mml_cat_ent *e)
{
	free(e->api);
	free(e->source);
	e->api = e->source = NULL;
}

void mml_catalog_free(mml_catalog *c)
{
	for (size_t i = 0; i < c->n; i++)
		ent_free(&c->ent[i]);
	for (size_t i = 0; i < c->nsrc; i++) {
		free(c->src[i].key);
		free(c->src[i].desc);
	}
	free(c->ent);
	free(c->src);
	free(c->byapi);
	memset(c, 0, sizeof *c);
}

static const mml_catalog *sort_cat; /* qsort has no context argument; parsing is single-threaded */

static int byapi_cmp(const void *a, const void *b)
{
	const mml_cat_ent *x = &sort_cat->ent[*(const uint32_t *)a], *y = &sort_cat->ent[*(const uint32_t *)b];
	int d = strcmp(x->api, y->api);
	return d ? d : (x->id > y->id) - (x->id < y->id);
}

/* The by-API index, after the entries changed. */
static mml_err byapi_build(mml_catalog *c)
{
	uint32_t *v = c->n ? realloc(c->byapi, c->n * sizeof *v) : NULL;
	if (c->n && !v)
		return MML_E_NOMEM;
	if (!c->n) {
		free(c->byapi);
		v = NULL;
	}
	for (size_t i = 0; i < c->n; i++)
		v[i] = (uint32_t)i;
	sort_cat = c;
	if (c->n)
		qsort(v, c->n, sizeof *v, byapi_cmp);
	sort_cat = NULL;
	c->byapi = v;
	return MML_OK;
}

int64_t mml_catalog_id_of(const mml_catalog *c, const char *api)
{
	if (!c || !api || !c->byapi)
		return -1;
	size_t lo = 0, hi = c->n;
	while (lo < hi) { /* the first entry whose api is not below */
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(c->ent[c->byapi[mid]].api, api) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && !strcmp(c->ent[c->byapi[lo]].api, api) ? (int64_t)c->ent[c->byapi[lo]].id : -1;
}

const char *mml_cat_conf_name(mml_cat_conf conf)
{
	switch (conf) {
	case MML_CAT_CONF_HIGH: return "high";
	case MML_CAT_CONF_MEDIUM: return "medium";
	case MML_CAT_CONF_LOW: return "low";
	default: return "";
	}
}

/* ---- reading a line through the cursor ---- */

/* The next field up to a TAB (or the end); the TAB is consumed. */
static void cur_field(mml_cur *c, bool to_end, const char **s, size_t *n)
{
	size_t k = mml_cur_left(c);
	uint8_t b;
	if (!to_end)
		(void)mml_cur_find(c, '\t', &k); /* none: to the end */
	const uint8_t *p = NULL;
	if (mml_cur_bytes(c, k, &p) != MML_OK) { /* k <= left: cannot fail; never a NULL field */
		*s = "";
		*n = 0;
		return;
	}
	*s = (const char *)p;
	*n = k;
	if (mml_cur_peek(c, 0, &b) == MML_OK && b == '\t')
		(void)mml_cur_skip(c, 1);
}

static void cur_skip_blank(mml_cur *c)
{
	uint8_t b;
	while (mml_cur_peek(c, 0, &b) == MML_OK && (b == ' ' || b == '\t'))
		(void)mml_cur_skip(c, 1);
}

/* Every byte printable (>= 0x21, != 0x7f; UTF-8 allowed when `text`, and spaces too). */
static bool bytes_ok(const char *s, size_t n, bool text)
{
	mml_cur c = mml_cur_make(s, n);
	uint8_t b;
	while (mml_cur_u8(&c, &b) == MML_OK)
		if (b < 0x20 || b == 0x7f || (b == ' ' && !text) || (b >= 0x80 && !text))
			return false;
	return true;
}

static bool key_ok(const char *s, size_t n)
{
	if (!n || n > CAT_MAX_KEY)
		return false;
	mml_cur c = mml_cur_make(s, n);
	uint8_t b;
	while (mml_cur_u8(&c, &b) == MML_OK)
		if (!((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '.' ||
		      b == '_' || b == '-'))
			return false;
	return true;
}

static const mml_cat_src *find_src(const mml_catalog *c, const char *k, size_t n)
{
	for (size_t i = 0; i < c->nsrc; i++)
		if (strlen(c->src[i].key) == n && !memcmp(c->src[i].key, k, n))
			return &c->src[i];
	return NULL;
}

/* "#source KEY<TAB>description": NULL or the reason it is bad. */
static const char *parse_decl(mml_catalog *c, mml_cur *cur, mml_err *err)
{
	const char *k, *d;
	size_t kn, dn;
	cur_skip_blank(cur);
	cur_field(cur, false, &k, &kn);
	cur_field(cur, true, &d, &dn);
	if (!key_ok(k, kn))
		return "source key must be 1-32 of [A-Za-z0-9._-] followed by a TAB";
	if (!dn || dn > CAT_MAX_DESC || !bytes_ok(d, dn, true))
		return "source description empty, over 1024 bytes or with control bytes";
	if (find_src(c, k, kn))
		return "source key declared twice";
	if (c->nsrc >= CAT_MAX_SOURCES) {
		*err = MML_E_LIMIT;
		return "too many sources";
	}
	if (!mml_grow((void **)&c->src, &c->asrc, c->nsrc + 1, sizeof *c->src, 16))
		goto nomem;
	mml_cat_src s = {strndup(k, kn), strndup(d, dn)};
	if (!s.key || !s.desc) {
		free(s.key);
		free(s.desc);
		goto nomem;
	}
	c->src[c->nsrc++] = s;
	return NULL;
nomem:
	*err = MML_E_NOMEM;
	return "out of memory";
}

/* The source field: declared keys; *first gets the first key's source. */
static const char *check_sources(const mml_catalog *c, const char *s, size_t n, const mml_cat_src **first)
{
	if (!n || n > CAT_MAX_SOURCE)
		return "source empty or over 255 bytes";
	mml_cur cur = mml_cur_make(s, n);
	size_t nkeys = 0;
	*first = NULL;
	while (mml_cur_left(&cur)) {
		size_t k = 0;
		uint8_t b;
		while (mml_cur_peek(&cur, k, &b) == MML_OK && b != ',')
			k++;
		const uint8_t *p = NULL;
		(void)mml_cur_bytes(&cur, k, &p);
		if (mml_cur_left(&cur)) {
			(void)mml_cur_skip(&cur, 1); /* the comma */
			if (!mml_cur_left(&cur))
				return "source ends with ','";
		}
		if (!key_ok((const char *)p, k) || ++nkeys > CAT_MAX_KEYS)
			return "bad source key list (1-8 comma-separated keys of [A-Za-z0-9._-])";
		const mml_cat_src *src = find_src(c, (const char *)p, k);
		if (!src)
			return "undeclared source key";
		if (!*first)
			*first = src;
	}
	return NULL;
}

static bool parse_conf(const char *s, size_t n, mml_cat_conf *out)
{
	static const struct { const char *name; mml_cat_conf v; } t[] = {
		{"high", MML_CAT_CONF_HIGH}, {"medium", MML_CAT_CONF_MEDIUM}, {"low", MML_CAT_CONF_LOW}};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (strlen(t[i].name) == n && !memcmp(t[i].name, s, n)) {
			*out = t[i].v;
			return true;
		}
	return false;
}

/* An entry line into *e (strings allocated): NULL or the reason it is bad. */
static const char *parse_entry(const mml_catalog *c, mml_cur *cur, mml_cat_ent *e, bool *nomem)
{
	uint64_t id = 0;
	size_t digits = 0;
	uint8_t b;
	memset(e, 0, sizeof *e);
	while (mml_cur_peek(cur, 0, &b) == MML_OK && b >= '0' && b <= '9' && id <= UINT32_MAX) {
		id = id * 10 + (uint64_t)(b - '0');
		digits++;
		(void)mml_cur_skip(cur, 1);
	}
	if (!digits || id > UINT32_MAX || mml_cur_u8(cur, &b) != MML_OK || (b != '\t' && b != ','))
		return "expected <id><TAB><api path> (id: decimal, at most 4294967295)";
	bool csv = b == ',';
	const char *f[4] = {0};
	size_t fl[4] = {0}, nf = 0;
	cur_skip_blank(cur);
	cur_field(cur, csv, &f[nf], &fl[nf]);
	nf++;
	while (nf < 4 && mml_cur_left(cur)) {
		cur_field(cur, nf == 3, &f[nf], &fl[nf]);
		nf++;
	}
	if (!fl[0])
		return "missing api path";
	if (fl[0] > CAT_MAX_API || !bytes_ok(f[0], fl[0], false))
		return "api path over 1024 bytes or with spaces or control bytes";
	const mml_cat_src *src = NULL;
	const char *why;
	if (nf > 1 && (why = check_sources(c, f[1], fl[1], &src)))
		return why;
	if (nf > 2 && !parse_conf(f[2], fl[2], &e->confidence))
		return "confidence must be high, medium or low";
	if (nf > 3 && !bytes_ok(f[3], fl[3], true))
		return "note with control bytes";
	e->id = (uint32_t)id;
	e->api = strndup(f[0], fl[0]);
	e->source = nf > 1 ? strndup(f[1], fl[1]) : NULL;
	e->source_desc = src ? src->desc : NULL;
	if (!e->api || (nf > 1 && !e->source)) {
		ent_free(e);
		*nomem = true;
		return "out of memory";
	}
	return NULL;
}

static mml_err stage_add(stage *st, const mml_cat_ent *e)
{
	if (st->n == st->alloc) {
		MML_RETURN_IF((st->alloc ? st->alloc * 2 : 256) > CAT_MAX_ENTRIES, MML_E_LIMIT);
		MML_RETURN_IF(!mml_grow((void **)&st->p, &st->alloc, st->n + 1, sizeof *st->p, 256), MML_E_NOMEM);
	}
	st->p[st->n].e = *e;
	st->p[st->n].seq = st->n;
	st->n++;
	return MML_OK;
}

static void stage_free(stage *st)
{
	for (size_t i = 0; i < st->n; i++)
		ent_free(&st->p[i].e);
	free(st->p);
	memset(st, 0, sizeof *st);
}

static int pend_cmp(const void *a, const void *b)
{
	const pend *x = a, *y = b;
	if (x->e.id != y->e.id)
		return x->e.id < y->e.id ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Merge the staged entries (the last per id wins) into the sorted catalog. */
static mml_err stage_merge(mml_catalog *c, stage *st)
{
	if (!st->n)
		return MML_OK;
	qsort(st->p, st->n, sizeof st->p[0], pend_cmp);
	MML_RETURN_IF(c->n + st->n > CAT_MAX_ENTRIES, MML_E_LIMIT);
	size_t cap = c->n + st->n;
	mml_cat_ent *out = malloc(cap * sizeof *out);
	if (!out)
		return MML_E_NOMEM;
	size_t i = 0, j = 0, k = 0;
	while (i < c->n || j < st->n) {
		if (j < st->n && j + 1 < st->n && st->p[j + 1].e.id == st->p[j].e.id) {
			ent_free(&st->p[j++].e); /* a later line of this parse replaces it */
			continue;
		}
		if (j >= st->n || (i < c->n && c->ent[i].id < st->p[j].e.id)) {
			out[k++] = c->ent[i++];
			continue;
		}
		if (i < c->n && c->ent[i].id == st->p[j].e.id)
			ent_free(&c->ent[i++]);
		out[k++] = st->p[j++].e;
	}
	free(c->ent);
	c->ent = out;
	c->n = k;
	c->alloc = cap;
	st->n = 0; /* the entries moved into the catalog */
	return MML_OK;
}

static bool has_nul(const char *t, size_t len)
{
	mml_cur c = mml_cur_make(t, len);
	uint8_t b;
	while (mml_cur_u8(&c, &b) == MML_OK)
		if (!b)
			return true;
	return false;
}

/* "#source" followed by a space or TAB: the cursor moves past "#source". */
static bool is_decl(mml_cur *cur)
{
	static const char decl[] = "#source";
	mml_cur c = *cur;
	const uint8_t *p = NULL;
	uint8_t b = 0;
	if (mml_cur_bytes(&c, sizeof decl - 1, &p) != MML_OK || memcmp(p, decl, sizeof decl - 1) ||
	    mml_cur_peek(&c, 0, &b) != MML_OK || (b != ' ' && b != '\t'))
		return false;
	*cur = c;
	return true;
}

/* One line: a declaration, a comment, or an entry staged into st. */
static mml_err parse_line(mml_catalog *c, stage *st, const char *t, size_t len, const char **why)
{
	mml_cur cur = mml_cur_make(t, len);
	mml_err err = MML_OK;
	uint8_t b = 0;
	*why = NULL;
	if (len > CAT_MAX_LINE) {
		*why = "line over 2048 bytes";
		return MML_OK;
	}
	if (has_nul(t, len)) {
		*why = "NUL byte in the line";
		return MML_OK;
	}
	if (is_decl(&cur)) {
		*why = parse_decl(c, &cur, &err);
		return err;
	}
	if (!len || (mml_cur_peek(&cur, 0, &b) == MML_OK && b == '#'))
		return MML_OK;
	mml_cat_ent e;
	bool nomem = false;
	*why = parse_entry(c, &cur, &e, &nomem);
	if (nomem)
		return MML_E_NOMEM;
	if (*why)
		return MML_OK;
	err = stage_add(st, &e);
	if (err != MML_OK)
		ent_free(&e);
	return err;
}

mml_err mml_catalog_parse(mml_catalog *c, const char *text, size_t n, const char *name, mml_diag_fn diag,
                          void *dctx)
{
	MML_RETURN_IF(!c || (!text && n), MML_E_ARG);
	size_t pos = 0, len;
	uint32_t line = 0;
	const char *t;
	stage st = {0};
	if (!name)
		name = "catalog";
	while (text && mml_line_next(text, n, &pos, &line, &t, &len)) {
		const char *why;
		mml_err e = parse_line(c, &st, t, len, &why);
		if (e != MML_OK) {
			stage_free(&st);
			return e;
		}
		if (why) {
			c->bad_lines++;
			if (diag)
				diag(dctx, "%s:%u: catalog line skipped: %s", name, line, why);
		}
	}
	mml_err e = stage_merge(c, &st);
	stage_free(&st);
	if (e == MML_OK)
		e = byapi_build(c);
	return e;
}

static mml_err catalog_text(void *c, const char *text, size_t n, const char *name, mml_diag_fn diag, void *dctx)
{
	return mml_catalog_parse(c, text, n, name, diag, dctx);
}

mml_err mml_catalog_load(mml_catalog *c, const char *path, mml_diag_fn diag, void *dctx)
{
	MML_RETURN_IF(!c || !path, MML_E_ARG);
	return mml_load_text(path, CAT_MAX_FILE, catalog_text, c, diag, dctx);
}

mml_err mml_catalog_load_builtin(mml_catalog *c)
{
	return mml_catalog_parse(c, (const char *)mml_catalog_builtin_data, mml_catalog_builtin_data_len,
	                         "builtin:request_types.tsv", NULL, NULL);
}

const mml_cat_ent *mml_catalog_entry(const mml_catalog *c, uint64_t id)
{
	if (!c || id > UINT32_MAX)
		return NULL;
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->ent[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && c->ent[lo].id == id ? &c->ent[lo] : NULL;
}

const char *mml_catalog_lookup(const mml_catalog *c, uint64_t id)
{
	const mml_cat_ent *e = mml_catalog_entry(c, id);
	return e ? e->api : NULL;
}

const char *mml_catalog_source_desc(const mml_catalog *c, const char *key)
{
	const mml_cat_src *s = c && key ? find_src(c, key, strlen(key)) : NULL;
	return s ? s->desc : NULL;
}
