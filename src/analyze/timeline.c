/*
 * timeline.c - the timeline of a session's flows (include/mmlens/analyze.h,
 * mml_flows_timeline): one row per (category, party, feature), the APIs of
 * a key merged, with first and last message and time and the counts.
 *
 * Contract: reads the set only; the rows' category pointers are the set's
 * (static taxonomy ids). O(keys^2) with keys the distinct flow keys of
 * one session (tens), O(keys) memory.
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/analyze.h"

static int tl_cmp(const void *a, const void *b)
{
	const mml_tl_row *x = a, *y = b;
	if (x->first_msg != y->first_msg)
		return x->first_msg < y->first_msg ? -1 : 1;
	int c = strcmp(x->category, y->category);
	if (c)
		return c;
	if (x->party != y->party)
		return x->party < y->party ? -1 : 1;
	return x->feature < y->feature ? -1 : x->feature > y->feature;
}

size_t mml_flows_timeline(const mml_flows *f, mml_tl_row **rows)
{
	*rows = NULL;
	if (!f->n)
		return 0;
	mml_tl_row *v = calloc(f->n, sizeof *v);
	if (!v)
		return (size_t)-1;
	size_t n = 0;
	for (size_t i = 0; i < f->n; i++) {
		const mml_flow_rec *r = &f->rec[i];
		mml_tl_row *t = NULL;
		for (size_t k = 0; k < n && !t; k++)
			if (v[k].party == r->party && v[k].feature == r->feature && !strcmp(v[k].category, r->category))
				t = &v[k];
		if (!t) {
			t = &v[n++];
			*t = (mml_tl_row){.category = r->category, .party = r->party, .feature = r->feature,
			                  .first_msg = r->first_msg, .last_msg = r->last_msg};
		}
		t->findings += r->count;
		t->msgs += r->msgs;
		if (r->msgs) {
			if (!t->first_msg || r->first_msg < t->first_msg)
				t->first_msg = r->first_msg;
			if (r->last_msg > t->last_msg)
				t->last_msg = r->last_msg;
		}
		if (r->has_ts) {
			if (!t->has_ts || r->first_ts < t->first_ts)
				t->first_ts = r->first_ts;
			if (!t->has_ts || r->last_ts > t->last_ts)
				t->last_ts = r->last_ts;
			t->has_ts = true;
		}
	}
	qsort(v, n, sizeof *v, tl_cmp);
	*rows = v;
	return n;
}
