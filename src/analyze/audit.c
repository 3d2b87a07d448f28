/*
 * audit.c - a session's flows judged row by row (include/mmlens/judge.h,
 * mml_audit_flows): the flow records of one (category, attributed,
 * party, feature, host) grouped, their receiving APIs and unknown request
 * types listed, their evidence gathered, and the group judged with
 * mml_judge under the session's label.
 *
 * Contract: reads the flows only; O(keys^2) per session (keys are a
 * session's distinct flow keys: tens). Views in a row live during the
 * callback.
 */
#include <string.h>

#include "mmlens/judge.h"

typedef struct gkey {
	const char *category, *host;
	bool attributed;
	mml_party party;
	mml_feature feature;
} gkey;

static bool s_eq(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

static bool gkey_match(const mml_flow_rec *r, void *ctx)
{
	const gkey *k = ctx;
	return r->attributed == k->attributed && r->party == k->party && r->feature == k->feature &&
	       !strcmp(r->category, k->category) && s_eq(r->host, k->host);
}

static void add_api(mml_audit_row *row, const mml_flow_rec *r)
{
	if (r->api) {
		for (size_t i = 0; i < row->napis; i++)
			if (!strcmp(row->apis[i], r->api))
				return;
		if (row->napis < MML_AUDIT_APIS)
			row->apis[row->napis++] = r->api;
		else
			row->more = true;
		return;
	}
	for (size_t i = 0; i < row->ntypes; i++)
		if (row->req_types[i] == r->req_type)
			return;
	if (row->ntypes < MML_AUDIT_APIS)
		row->req_types[row->ntypes++] = r->req_type;
	else
		row->more = true;
}

mml_err mml_audit_flows(const mml_policyset *ps, const mml_attrib *attrib, const mml_flows *f, uint64_t session,
                        const mml_label *lb, mml_audit_fn fn, void *ctx)
{
	mml_flow_evref ev[MML_FLOWS_EVIDENCE];
	for (size_t i = 0; i < f->n; i++) {
		const mml_flow_rec *r = &f->rec[i];
		gkey k = {r->category, r->host, r->attributed, r->party, r->feature};
		bool first = true;
		for (size_t j = 0; j < i && first; j++)
			first = !gkey_match(&f->rec[j], &k);
		if (!first)
			continue;
		mml_audit_row row = {.session = session, .label = lb, .category = r->category, .party = r->party,
		                     .feature = r->feature, .attributed = r->attributed, .host = r->host};
		for (size_t j = i; j < f->n; j++)
			if (gkey_match(&f->rec[j], &k)) {
				add_api(&row, &f->rec[j]);
				row.msgs += f->rec[j].msgs;
			}
		size_t n = mml_flows_evidence(f, gkey_match, &k, ev, MML_FLOWS_EVIDENCE, &row.count);
		if (n == (size_t)-1)
			return MML_E_NOMEM;
		row.nev = n;
		row.ev = ev;
		mml_judge_flow jf = {.category = r->category, .party = r->party, .feature = r->feature,
		                     .attributed = r->attributed, .label = lb};
		mml_judge(ps, attrib, &jf, &row.j);
		fn(ctx, &row);
	}
	return MML_OK;
}
