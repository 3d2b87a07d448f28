/*
 * detect.c - stage 6 entry points (include/mmlens/detect.h): the
 * configuration (--known, --known-file, --fields), building the detector
 * (taxonomy check, field layouts, known-value forms, the Vectorscan
 * database), per-thread scratch, and mml_detect_run: prepare the node
 * tables and scan the text leaves (walk.c), apply the kv row layouts
 * (rules_content.c), run the detectors on every node (rules.c,
 * rules_ctx.c, rules_content.c), then report each (category, path) once.
 *
 * Contract: a detector is immutable after mml_detect_new and may be
 * shared by threads; a scratch belongs to one thread. A run allocates
 * nothing per field: every table lives in the scratch and grows
 * geometrically to the largest body seen. Findings are reported in the
 * order the detectors found them; a finding's strings are views valid
 * during the callback only. If a scratch buffer cannot grow, the run
 * reports what it found so far.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"
#include "mmlens/util.h"

extern const unsigned char mml_fields_builtin_data[];
extern const size_t mml_fields_builtin_data_len;

struct mml_detect_cfg {
	known_set *known;
	char **ftext;  /* --fields files, read at cfg time */
	char **fname;
	size_t nfields;
};

mml_detect_cfg *mml_detect_cfg_new(void)
{
	mml_detect_cfg *c = calloc(1, sizeof *c);
	if (c && !(c->known = known_new())) {
		free(c);
		return NULL;
	}
	return c;
}

void mml_detect_cfg_free(mml_detect_cfg *c)
{
	if (!c)
		return;
	known_free(c->known);
	for (size_t i = 0; i < c->nfields; i++) {
		free(c->ftext[i]);
		free(c->fname[i]);
	}
	free(c->ftext);
	free(c->fname);
	free(c);
}

mml_err mml_detect_cfg_known(mml_detect_cfg *c, const char *name, const char *value)
{
	MML_RETURN_IF(!c, MML_E_ARG);
	return known_add(c->known, name, value);
}

mml_err mml_detect_cfg_known_text(mml_detect_cfg *c, const char *text, size_t n, const char *name,
                                  mml_diag_fn diag, void *dctx)
{
	MML_RETURN_IF(!c || !name, MML_E_ARG);
	mml_err e = MML_OK;
	size_t pos = 0;
	uint32_t lineno = 0;
	const char *line;
	size_t len;
	while (mml_line_next(text, n, &pos, &lineno, &line, &len)) {
		if (!len || line[0] == '#')
			continue;
		const char *eq = memchr(line, '=', len);
		char kname[64], value[1025];
		size_t nl = eq ? (size_t)(eq - line) : 0, vl = eq ? len - nl - 1 : 0;
		while (nl && (line[nl - 1] == ' ' || line[nl - 1] == '\t'))
			nl--;
		const char *vp = eq ? eq + 1 : NULL;
		while (vl && (*vp == ' ' || *vp == '\t'))
			vp++, vl--;
		if (!eq || !nl || nl >= sizeof kname || !vl || vl >= sizeof value) {
			if (diag)
				diag(dctx, "%s:%u: want NAME=VALUE (name up to 63, value up to 1024 bytes)", name, lineno);
			continue;
		}
		memcpy(kname, line, nl);
		kname[nl] = 0;
		memcpy(value, vp, vl);
		value[vl] = 0;
		e = known_add(c->known, kname, value);
		if (e == MML_E_NOMEM)
			break;
		if (e && diag)
			diag(dctx, "%s:%u: value of %s not usable (3 to 1024 bytes)", name, lineno, kname);
		e = MML_OK;
	}
	return e;
}

static mml_err known_text(void *c, const char *text, size_t n, const char *name, mml_diag_fn diag, void *dctx)
{
	return mml_detect_cfg_known_text(c, text, n, name, diag, dctx);
}

mml_err mml_detect_cfg_known_file(mml_detect_cfg *c, const char *path, mml_diag_fn diag, void *dctx)
{
	MML_RETURN_IF(!c || !path, MML_E_ARG);
	return mml_load_text(path, (size_t)16 << 20, known_text, c, diag, dctx);
}

mml_err mml_detect_cfg_fields_text(mml_detect_cfg *c, const char *text, size_t n, const char *name,
                                   mml_diag_fn diag, void *dctx)
{
	MML_RETURN_IF(!c || !name, MML_E_ARG);
	/* check it now, so bad lines are reported when the user gives the file */
	lay_table *t = lay_new();
	unsigned bad = 0;
	mml_err e = t ? lay_parse(t, text, n, name, diag, dctx, &bad) : MML_E_NOMEM;
	lay_free(t);
	char **nt = e ? NULL : realloc(c->ftext, (c->nfields + 1) * sizeof *nt);
	if (nt)
		c->ftext = nt;
	char **nn = nt ? realloc(c->fname, (c->nfields + 1) * sizeof *nn) : NULL;
	if (nn)
		c->fname = nn;
	char *txt = nn ? malloc(n + 1) : NULL;
	char *nm = txt ? strdup(name) : NULL;
	if (!e && !nm) {
		free(txt);
		e = MML_E_NOMEM;
	}
	if (!e) {
		memcpy(txt, text, n);
		txt[n] = 0;
		c->ftext[c->nfields] = txt;
		c->fname[c->nfields] = nm;
		c->nfields++;
	}
	return e;
}

static mml_err fields_text(void *c, const char *text, size_t n, const char *name, mml_diag_fn diag, void *dctx)
{
	return mml_detect_cfg_fields_text(c, text, n, name, diag, dctx);
}

mml_err mml_detect_cfg_fields_file(mml_detect_cfg *c, const char *path, mml_diag_fn diag, void *dctx)
{
	MML_RETURN_IF(!c || !path, MML_E_ARG);
	return mml_load_text(path, (size_t)4 << 20, fields_text, c, diag, dctx);
}

mml_detect *mml_detect_new(const mml_detect_cfg *c, char *errbuf, size_t errcap)
{
	char dummy[8];
	if (!errbuf || !errcap)
		errbuf = dummy, errcap = sizeof dummy;
	errbuf[0] = 0;
	if (!tax_resolve_builtin(errbuf, errcap))
		return NULL;
	keys_init();
	words_init();
	walk_init();
	mml_detect *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(errbuf, errcap, "out of memory");
		return NULL;
	}
	d->lay = lay_new();
	d->known = c ? known_clone(c->known) : known_new();
	if (!d->lay || !d->known)
		goto nomem;
	unsigned bad = 0;
	if (lay_parse(d->lay, (const char *)mml_fields_builtin_data, mml_fields_builtin_data_len, "data/fields.tsv", NULL,
	              NULL, &bad) != MML_OK)
		goto nomem;
	if (bad) {
		snprintf(errbuf, errcap, "built-in data/fields.tsv has %u bad line(s)", bad);
		mml_detect_free(d);
		return NULL;
	}
	for (size_t i = 0; c && i < c->nfields; i++)
		if (lay_parse(d->lay, c->ftext[i], strlen(c->ftext[i]), c->fname[i], NULL, NULL, &bad) != MML_OK)
			goto nomem;
	if (lay_finish(d->lay) != MML_OK)
		goto nomem;
	mml_err e = known_build(d->known);
	if (e) {
		snprintf(errbuf, errcap, "known values: %s", mml_strerror(e));
		mml_detect_free(d);
		return NULL;
	}
	if (!(d->pat = pat_new(d->known, errbuf, errcap))) {
		mml_detect_free(d);
		return NULL;
	}
	return d;
nomem:
	snprintf(errbuf, errcap, "out of memory");
	mml_detect_free(d);
	return NULL;
}

void mml_detect_free(mml_detect *d)
{
	if (!d)
		return;
	lay_free(d->lay);
	known_free(d->known);
	pat_free(d->pat);
	free(d);
}

mml_detect_scratch *mml_detect_scratch_new(const mml_detect *d)
{
	if (!d)
		return NULL;
	mml_detect_scratch *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->d = d;
	if (!(s->hs = pat_scratch_new(d->pat))) {
		free(s);
		return NULL;
	}
	return s;
}

void mml_detect_scratch_free(mml_detect_scratch *s)
{
	if (!s)
		return;
	pat_scratch_free(s->hs);
	free(s->hf);
	free(s->hl);
	free(s->nfl);
	free(s->shape);
	free(s->kor);
	free(s->first);
	free(s->leaf);
	free(s->text);
	free(s->f);
	free(s->vals);
	free(s->m);
	free(s->kvrow);
	free(s->seen);
	free(s);
}

/* ---- findings ---- */

bool dr_has(const drun *r, uint32_t node, int cat)
{
	for (uint32_t k = r->s->first[node]; k != MML_DNONE; k = r->s->f[k].next)
		if (r->s->f[k].cat == cat)
			return true;
	return false;
}

/* Add a finding (val: VAL_OK or VAL_PLACEHOLDER); the value is a view
 * (vp) that outlives the run, or is copied when copy is set. Returns its
 * index, or MML_DNONE when (node, cat) was already found or on failure. */
static uint32_t add(drun *r, uint32_t node, int cat, const char *det, double conf, int val, const char *vp,
                    size_t vlen, bool copy)
{
	mml_detect_scratch *s = r->s;
	if (cat < 0 || node >= r->t->count || val == VAL_NO)
		return MML_DNONE;
	/* a layout's '-' silences the detectors, not the user's own values */
	if ((s->nfl[node] & NF_SUPPRESS) && strncmp(det, "known.", 6))
		return MML_DNONE;
	/* a placeholder is a finding only where it stands for an identifier */
	if (val == VAL_PLACEHOLDER && strncmp(tax_id(cat), "identity", 8))
		return MML_DNONE;
	if (dr_has(r, node, cat))
		return MML_DNONE;
	if (!mml_grow((void **)&s->f, &s->fcap, s->nf + 1, sizeof *s->f, 64)) {
		s->nomem = true;
		return MML_DNONE;
	}
	dfind *f = &s->f[s->nf];
	memset(f, 0, sizeof *f);
	f->node = node;
	f->cat = (int16_t)cat;
	f->known = -1;
	f->placeholder = val == VAL_PLACEHOLDER;
	f->conf = (float)(conf > 1 ? 1 : conf <= 0 ? 0.01 : conf);
	f->det = det;
	if (vlen > 4096)
		vlen = 4096;
	if (copy) {
		if (!mml_grow((void **)&s->vals, &s->valcap, s->nvals + vlen + 1, 1, 64)) {
			s->nomem = true;
			return MML_DNONE;
		}
		memcpy(s->vals + s->nvals, vp, vlen);
		f->voff = (uint32_t)s->nvals;
		s->nvals += vlen;
		f->vp = NULL;
	} else
		f->vp = vp;
	f->vlen = (uint32_t)vlen;
	f->next = s->first[node];
	s->first[node] = (uint32_t)s->nf;
	if (cat == cat_ix[C_SEARCH] && s->nq < sizeof s->qf / sizeof s->qf[0])
		s->qf[s->nq++] = (uint32_t)s->nf;
	if (cat == cat_ix[C_COORD]) {
		s->nfl[node] |= NF_FIX;
		if (r->t->n[node].parent != MML_DNONE)
			s->nfl[r->t->n[node].parent] |= NF_CHILDFIX;
	}
	return (uint32_t)s->nf++;
}

uint32_t dr_add(drun *r, uint32_t node, int cat, const char *det, double conf, int val, const char *vp, size_t vlen)
{
	vstr v = v_trim((vstr){vp ? vp : "", vp ? vlen : 0});
	return add(r, node, cat, det, conf, val, v.p, v.n, false);
}

uint32_t dr_addf(drun *r, uint32_t node, int cat, const char *det, double conf, int val, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MML_DNONE;
	return add(r, node, cat, det, conf, val, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1, true);
}

/* ---- emission ---- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* true the first time (category, path) is seen in this body */
static bool first_time(mml_detect_scratch *s, size_t cap, uint64_t h)
{
	if (!h)
		h = 1;
	for (size_t p = h & (cap - 1);; p = (p + 1) & (cap - 1)) {
		if (!s->seen[p]) {
			s->seen[p] = h;
			return true;
		}
		if (s->seen[p] == h)
			return false;
	}
}

static void emit(drun *r, mml_finding_fn fn, void *ctx)
{
	mml_detect_scratch *s = r->s;
	size_t cap = 64;
	while (cap < 2 * s->nf + 2)
		cap *= 2;
	if (!mml_grow((void **)&s->seen, &s->seencap, cap, sizeof *s->seen, 64)) {
		s->nomem = true;
		return;
	}
	memset(s->seen, 0, cap * sizeof *s->seen);
	for (size_t i = s->nf; i-- > 0;) { /* found backwards: report in document order */
		const dfind *f = &s->f[i];
		size_t pl = mml_dtree_path(r->t, f->node, s->path, sizeof s->path);
		if (pl >= sizeof s->path)
			pl = sizeof s->path - 1;
		uint64_t h = fnv(fnv(1469598103934665603ull, &f->cat, sizeof f->cat), s->path, pl);
		if (!first_time(s, cap, h))
			continue;
		const known_val *kv = f->known >= 0 ? known_get(r->d->known, (size_t)f->known) : NULL;
		mml_finding out = {
			.node = f->node,
			.category = tax_id(f->cat),
			.detector = f->det,
			.confidence = f->conf,
			.placeholder = f->placeholder,
			.path = s->path,
			.value = f->vp ? f->vp : s->vals + f->voff,
			.value_len = f->vlen,
			.known = kv ? kv->name : NULL,
			.known_form = kv ? kform_name(f->kform & 0x7f) : NULL,
		};
		fn(ctx, &out);
	}
}

void mml_detect_run(const mml_detect *d, mml_detect_scratch *s, const mml_dtree *t, const mml_detect_msg *m,
                    mml_finding_fn fn, void *ctx)
{
	if (!d || !s || !t || !fn || s->d != d || !t->count)
		return;
	static const mml_detect_msg none = {.req_type = -1, .api = NULL, .request = true};
	drun r = {.d = d, .s = s, .t = t, .m = m ? m : &none};
	r.request = r.m->request;
	s->nf = s->nvals = s->nm = s->nq = 0;
	s->nomem = false;
	lay_sel all;
	lay_selectors(r.m, &all);
	lay_active(d->lay, &all, &r.sel);
	if (!walk_prepare(&r))
		return;
	walk_scan(&r);
	if (s->nkvrow)
		rules_kv(&r);
	/* children before parents: a container sees what its children are; the
	 * nodes neither rule has anything for were marked by walk_prepare */
	for (uint32_t i = t->count; i-- > 0;) {
		const uint32_t fl = s->nfl[i];
		if (!(fl & (NF_BUSY | NF_STRUCT)))
			continue;
		if (fl & NF_BUSY)
			rules_node(&r, i);
		if (fl & NF_STRUCT)
			rules_struct(&r, i);
	}
	rules_matches(&r);
	emit(&r, fn, ctx);
}
