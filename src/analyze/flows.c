/*
 * flows.c - the per-session set of (category, receiver) keys with capped
 * evidence (include/mmlens/analyze.h), shared by `mmlens diff`, `audit`,
 * `report` and `answer`.
 *
 * Contract: memory is bounded by distinct keys x MML_FLOWS_EVIDENCE; a
 * key is found by a linear search (a session has few distinct keys).
 * Evidence lists stay sorted by message id (findings of one message in
 * document order).
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/analyze.h"

void mml_flows_init(mml_flows *f) { memset(f, 0, sizeof *f); }

static void rec_release(mml_flow_rec *r)
{
	free(r->api);
	free(r->host);
	for (size_t i = 0; i < r->nev; i++)
		free(r->ev[i].path);
}

void mml_flows_clear(mml_flows *f)
{
	for (size_t i = 0; i < f->n; i++)
		rec_release(&f->rec[i]);
	f->n = 0;
	f->first_msg = 0;
}

void mml_flows_free(mml_flows *f)
{
	mml_flows_clear(f);
	free(f->rec);
	mml_flows_init(f);
}

static bool str_eq(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

/* The key of a record: (category, api, attributed, party, feature), and
 * for an unattributed receiver its request type and host too. */
typedef struct fkey {
	const char *category, *api, *host;
	bool attributed;
	mml_party party;
	mml_feature feature;
	int64_t req_type;
} fkey;

static fkey key_of_recv(const char *category, const mml_recv *r)
{
	fkey k = {.category = category, .api = r->api, .attributed = r->attributed, .party = r->party,
	          .feature = r->feature, .req_type = -1};
	if (!r->attributed) {
		k.host = r->host;
		k.req_type = r->req_type;
	}
	return k;
}

static fkey key_of_rec(const mml_flow_rec *r)
{
	return (fkey){.category = r->category, .api = r->api, .host = r->host, .attributed = r->attributed,
	              .party = r->party, .feature = r->feature, .req_type = r->req_type};
}

static mml_flow_rec *find_or_add(mml_flows *f, const fkey *k, mml_err *e)
{
	*e = MML_OK;
	for (size_t i = 0; i < f->n; i++) {
		mml_flow_rec *r = &f->rec[i];
		if (r->party == k->party && r->feature == k->feature && r->attributed == k->attributed &&
		    r->req_type == k->req_type && str_eq(r->category, k->category) && str_eq(r->api, k->api) &&
		    str_eq(r->host, k->host))
			return r;
	}
	if (!mml_grow((void **)&f->rec, &f->alloc, f->n + 1, sizeof *f->rec, 16)) {
		*e = MML_E_NOMEM;
		return NULL;
	}
	mml_flow_rec *r = &f->rec[f->n];
	memset(r, 0, sizeof *r);
	if ((k->api && !(r->api = strdup(k->api))) || (k->host && !(r->host = strdup(k->host)))) {
		free(r->api);
		*e = MML_E_NOMEM;
		return NULL;
	}
	r->category = k->category;
	r->attributed = k->attributed;
	r->party = k->party;
	r->feature = k->feature;
	r->req_type = k->req_type;
	f->n++;
	return r;
}

static void note_first(mml_flows *f, uint64_t msg)
{
	if (msg && (!f->first_msg || msg < f->first_msg))
		f->first_msg = msg;
}

static void note_time(mml_flow_rec *r, bool has_ts, int64_t first, int64_t last)
{
	if (!has_ts)
		return;
	if (!r->has_ts || first < r->first_ts)
		r->first_ts = first;
	if (!r->has_ts || last > r->last_ts)
		r->last_ts = last;
	r->has_ts = true;
}

mml_err mml_flows_add(mml_flows *f, const char *category, const mml_recv *rv, uint64_t msg, bool has_ts, int64_t ts,
                      const char *path, const char *detector)
{
	mml_err e;
	fkey k = key_of_recv(category, rv);
	mml_flow_rec *r = find_or_add(f, &k, &e);
	if (!r)
		return e;
	note_first(f, msg);
	r->count++;
	if (!r->msgs || r->last_msg != msg)
		r->msgs++;
	if (!r->first_msg || msg < r->first_msg)
		r->first_msg = msg;
	if (msg > r->last_msg)
		r->last_msg = msg;
	note_time(r, has_ts, ts, ts);
	if (r->nev < MML_FLOWS_EVIDENCE) {
		char *p = strdup(path ? path : "");
		if (!p)
			return MML_E_NOMEM;
		r->ev[r->nev++] = (mml_flow_ev){msg, p, detector};
		// cppcheck-suppress memleak ; false positive: r->ev keeps p (freed by mml_flows_free)
	}
	return MML_OK;
}

/* Merge the evidence of s into d, both sorted by message, keeping the first cap. */
static mml_err ev_merge(mml_flow_rec *d, const mml_flow_rec *s)
{
	mml_flow_ev out[MML_FLOWS_EVIDENCE];
	size_t i = 0, j = 0, n = 0;
	mml_err e = MML_OK;
	while (n < MML_FLOWS_EVIDENCE && (i < d->nev || j < s->nev)) {
		if (j >= s->nev || (i < d->nev && d->ev[i].msg <= s->ev[j].msg)) {
			out[n++] = d->ev[i++];
		} else {
			char *p = strdup(s->ev[j].path);
			if (!p) {
				e = MML_E_NOMEM;
				break;
			}
			out[n++] = (mml_flow_ev){s->ev[j].msg, p, s->ev[j].detector};
			j++;
		}
	}
	for (; i < d->nev; i++)
		free(d->ev[i].path);
	// cppcheck-suppress uninitvar ; false positive: out[0..n) is written above, and only n entries are copied
	memcpy(d->ev, out, n * sizeof out[0]);
	d->nev = n;
	return e;
}

mml_err mml_flows_merge(mml_flows *dst, const mml_flows *src)
{
	for (size_t k = 0; k < src->n; k++) {
		const mml_flow_rec *s = &src->rec[k];
		mml_err e;
		fkey key = key_of_rec(s);
		mml_flow_rec *d = find_or_add(dst, &key, &e);
		if (!d)
			return e;
		/* A message's findings are fed to one set; sets merged cover
		 * disjoint messages except at a shared boundary message. */
		bool shared = d->msgs && s->msgs && (d->last_msg == s->first_msg || s->last_msg == d->first_msg);
		d->count += s->count;
		d->msgs += s->msgs - (shared ? 1 : 0);
		if (s->msgs) {
			if (!d->first_msg || s->first_msg < d->first_msg)
				d->first_msg = s->first_msg;
			if (s->last_msg > d->last_msg)
				d->last_msg = s->last_msg;
		}
		note_time(d, s->has_ts, s->first_ts, s->last_ts);
		if ((e = ev_merge(d, s)) != MML_OK)
			return e;
	}
	note_first(dst, src->first_msg);
	return MML_OK;
}

mml_err mml_flows_take(mml_flows *dst, mml_flows *src)
{
	if (dst->n || dst->first_msg) {
		mml_err e = mml_flows_merge(dst, src);
		mml_flows_clear(src);
		return e;
	}
	mml_flows t = *dst;
	*dst = *src;
	*src = t;
	mml_flows_clear(src);
	return MML_OK;
}

typedef struct evsort {
	mml_flow_evref r;
	size_t rec, i;
} evsort;

static int evsort_cmp(const void *a, const void *b)
{
	const evsort *x = a, *y = b;
	if (x->r.msg != y->r.msg)
		return x->r.msg < y->r.msg ? -1 : 1;
	if (x->rec != y->rec)
		return x->rec < y->rec ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

size_t mml_flows_evidence(const mml_flows *f, bool (*match)(const mml_flow_rec *r, void *ctx), void *ctx,
                          mml_flow_evref *out, size_t cap, uint64_t *count)
{
	size_t total = 0;
	*count = 0;
	for (size_t k = 0; k < f->n; k++)
		if (match(&f->rec[k], ctx)) {
			total += f->rec[k].nev;
			*count += f->rec[k].count;
		}
	if (!total)
		return 0;
	evsort *all = malloc(total * sizeof *all);
	if (!all)
		return (size_t)-1;
	size_t n = 0;
	for (size_t k = 0; k < f->n; k++) {
		const mml_flow_rec *r = &f->rec[k];
		if (!match(r, ctx))
			continue;
		for (size_t i = 0; i < r->nev; i++)
			all[n++] = (evsort){{r->ev[i].msg, r->api, r->ev[i].path, r->ev[i].detector}, k, i};
	}
	qsort(all, n, sizeof *all, evsort_cmp);
	if (n > cap)
		n = cap;
	for (size_t i = 0; i < n; i++)
		out[i] = all[i].r;
	free(all);
	return n;
}
