/*
 * compare.c - two sides compared (include/mmlens/collect.h,
 * mml_compare): the differences of mml_flows_diff, each with who
 * received it on the side that sent it (APIs, or request types whose API
 * is unknown, with party and feature), how much of it reached Mini
 * Program endpoints, and the caveats that keep a difference from being
 * read as an effect: sessions recorded days apart or by different app
 * versions, categories that change with time and network anyway, and
 * findings whose receiver is unknown.
 *
 * Contract: reads both flow sets only; O(keys^2). Views handed to the
 * callback live during the call.
 */
#include <stdio.h>
#include <string.h>

#include "mmlens/collect.h"

void mml_side_init(mml_side *s, const char *name)
{
	memset(s, 0, sizeof *s);
	s->name = name;
	mml_flows_init(&s->flows);
}

void mml_side_free(mml_side *s) { mml_flows_free(&s->flows); }

void mml_side_session(mml_side *s, const mml_session *ss, const mml_label *lb)
{
	s->nsessions++;
	s->session = s->nsessions == 1 ? ss->index : 0;
	s->label = s->nsessions == 1 ? lb : NULL;
	s->messages += ss->messages;
	if (ss->has_ts) {
		if (!s->has_ts || ss->start_ts < s->start_ts)
			s->start_ts = ss->start_ts;
		if (!s->has_ts || ss->end_ts > s->end_ts)
			s->end_ts = ss->end_ts;
		s->has_ts = true;
	}
	if (ss->app_version[0]) {
		if (!s->app_version[0])
			memcpy(s->app_version, ss->app_version, sizeof s->app_version);
		else if (strcmp(s->app_version, ss->app_version))
			s->versions_mixed = true;
	}
}

/* Categories that change with the time and the network whatever else was done. */
static bool environmental(const char *cat)
{
	static const char *const env[] = {"network", "identity.push_token", "locale", "telemetry"};
	for (size_t i = 0; i < sizeof env / sizeof env[0]; i++) {
		size_t n = strlen(env[i]);
		if (!strncmp(cat, env[i], n) && (!cat[n] || cat[n] == '.'))
			return true;
	}
	return false;
}

static bool mp_endpoint(const mml_flow_rec *r)
{
	return r->party == MML_PARTY_MINIPROGRAM || (r->attributed && r->feature == MML_FEAT_MINIPROGRAMS);
}

/* The receivers of what the difference is about: the category, and at the
 * API or party levels only that API or party. */
static void receivers(const mml_flows *f, const mml_diff_item *it, mml_difference *d)
{
	for (size_t i = 0; i < f->n; i++) {
		const mml_flow_rec *r = &f->rec[i];
		if (strcmp(r->category, it->category))
			continue;
		if (it->level == MML_DIFF_API && !(it->api ? r->api && !strcmp(r->api, it->api) : !r->api))
			continue;
		if (it->level == MML_DIFF_PARTY && r->party != it->party)
			continue;
		if (mp_endpoint(r))
			d->mp_endpoints += r->count;
		if (!r->api)
			d->unknown_api += r->count;
		size_t k = 0;
		while (k < d->nrecv && !(d->recv[k].party == r->party && d->recv[k].feature == r->feature &&
		                         (r->api ? d->recv[k].api && !strcmp(d->recv[k].api, r->api)
		                                 : !d->recv[k].api && d->recv[k].req_type == r->req_type)))
			k++;
		if (k == d->nrecv) {
			if (d->nrecv == MML_DIFF_RECV) {
				d->more = true;
				continue;
			}
			d->recv[d->nrecv++] = (mml_receiver){r->api, r->api ? -1 : r->req_type, r->party, r->feature,
			                                     r->attributed, 0};
		}
		d->recv[k].count += r->count;
	}
}

typedef struct cmp_ctx {
	const mml_side *a, *b;
	mml_comparison *c;
	mml_difference_fn fn;
	void *ctx;
} cmp_ctx;

static void on_item(void *ctx, const mml_diff_item *it)
{
	cmp_ctx *x = ctx;
	const mml_side *s = it->only_in == 'A' ? x->a : x->b;
	mml_difference d = {.item = it};
	receivers(&s->flows, it, &d);
	if (x->c->days_apart >= 1 || x->c->versions_differ) {
		d.caveat = environmental(it->category)
		                   ? "the sides were recorded on different days or app versions, and this category changes "
		                     "with time and network anyway: not evidence of an effect"
		                   : "the sides were recorded on different days or app versions: the difference may not be an "
		                     "effect of what else distinguishes them";
	}
	x->c->differences++;
	x->fn(x->ctx, &d);
}

mml_err mml_compare(const mml_side *a, const mml_side *b, mml_difference_fn fn, void *ctx, mml_comparison *c)
{
	memset(c, 0, sizeof *c);
	c->days_apart = -1;
	if (a->has_ts && b->has_ts) {
		int64_t d = a->start_ts > b->end_ts ? a->start_ts - b->end_ts
		          : b->start_ts > a->end_ts ? b->start_ts - a->end_ts : 0;
		c->days_apart = d / 86400;
	}
	c->versions_differ = a->versions_mixed || b->versions_mixed ||
	                     (a->app_version[0] && b->app_version[0] && strcmp(a->app_version, b->app_version));
	cmp_ctx x = {a, b, c, fn, ctx};
	return mml_flows_diff(&a->flows, &b->flows, on_item, &x);
}

uint64_t mml_side_category(const mml_side *s, const char *cat, uint64_t *mp, uint64_t *unknown_api)
{
	uint64_t n = 0;
	*mp = *unknown_api = 0;
	for (size_t i = 0; i < s->flows.n; i++) {
		const mml_flow_rec *r = &s->flows.rec[i];
		size_t k = strlen(cat);
		if (strncmp(r->category, cat, k) || (r->category[k] && r->category[k] != '.'))
			continue;
		n += r->count;
		if (mp_endpoint(r))
			*mp += r->count;
		if (!r->api)
			*unknown_api += r->count;
	}
	return n;
}
