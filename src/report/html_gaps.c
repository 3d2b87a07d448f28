/*
 * html_gaps.c - the HTML report's policy tables (docs/REPORT_HTML.md):
 * every session's flows judged under that session's own labels as the
 * session closes (mml_audit_flows, judge.h), grouped by verdict, model,
 * statement, receiver and category across sessions; then two tables:
 * the gaps (flows the policy does not plainly disclose: contradicted,
 * ambiguous, other_party, omitted, vague) and the flows whose verdict is
 * not determinable from the data, each with what would decide it. An
 * undetermined verdict is never shown as a gap.
 *
 * Contract: memory is bounded by the distinct groups (verdict x model x
 * statement x receiver x category), each with at most MML_HTML_GAP_SESS
 * session numbers and MML_HTML_GAP_EV evidence entries (copied: a
 * session's flows are cleared after it closes). Every value is escaped.
 */
#include <stdlib.h>
#include <string.h>

#include "html_int.h"

typedef struct gctx {
	mml_html *h;
	uint64_t session;
} gctx;

/* The facts that decide an undetermined judgement, as one key. */
static void deciding_key(const mml_judgement *j, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	for (size_t i = 0; i < j->nfacts && n + 1 < cap; i++)
		if (j->deciding & (1u << i)) {
			char id[96];
			mml_fact_id(&j->fact[i], id, sizeof id);
			n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "," : "", id);
		}
	if ((j->deciding & 0x80) && n + 1 < cap)
		snprintf(out + n, cap - n, "%sfeature", n ? "," : "");
}

static hgap *gap_find(mml_html *h, const mml_audit_row *r)
{
	const mml_judgement *j = &r->j;
	bool und = j->v == MML_VERDICT_UNDETERMINED;
	char dkey[128];
	deciding_key(j, dkey, sizeof dkey);
	for (size_t i = 0; i < h->ngaps; i++) {
		hgap *g = &h->gaps[i];
		if (g->v == j->v && g->party == r->party && g->feature == r->feature && g->attributed == r->attributed &&
		    g->api_unknown == (r->ntypes > 0) && !strcmp(g->category, r->category) &&
		    (und ? !strcmp(g->dkey, dkey) : (g->pol == j->pol && g->st == j->st)))
			return g;
	}
	if (!mml_grow((void **)&h->gaps, &h->agaps, h->ngaps + 1, sizeof *h->gaps, 32))
		return NULL;
	hgap *g = &h->gaps[h->ngaps++];
	memset(g, 0, sizeof *g);
	g->v = j->v;
	g->pol = j->pol;
	g->st = und ? NULL : j->st;
	g->category = r->category;
	g->party = r->party;
	g->feature = r->feature;
	g->attributed = r->attributed;
	g->api_unknown = r->ntypes > 0;
	memcpy(g->dkey, dkey, sizeof g->dkey);
	if (und) {
		char buf[1024];
		mml_judgement_text(j, 0, buf, sizeof buf);
		g->note = strdup(buf);
	}
	return g;
}

static void on_row(void *ctx, const mml_audit_row *r)
{
	gctx *c = ctx;
	mml_html *h = c->h;
	h->verdicts[r->j.v]++;
	if (r->j.v == MML_VERDICT_DISCLOSED)
		return;
	hgap *g = gap_find(h, r);
	if (!g) {
		if (h->err == MML_OK)
			h->err = MML_E_NOMEM;
		return;
	}
	g->findings += r->count;
	if (g->nsess < MML_HTML_GAP_SESS)
		g->sess[g->nsess++] = c->session;
	else
		g->more_sess++;
	for (size_t i = 0; i < r->nev && g->nev < MML_HTML_GAP_EV; i++) {
		char *api = r->ev[i].api ? strdup(r->ev[i].api) : NULL, *path = strdup(r->ev[i].path ? r->ev[i].path : "");
		if ((r->ev[i].api && !api) || !path) {
			free(api);
			free(path);
			if (h->err == MML_OK)
				h->err = MML_E_NOMEM;
			return;
		}
		g->ev[g->nev].msg = r->ev[i].msg;
		g->ev[g->nev].api = api;
		g->ev[g->nev].path = path;
		g->ev[g->nev].detector = r->ev[i].detector;
		g->nev++;
	}
}

void mml_html_gaps_add(mml_html *h, const mml_session *s, const mml_label *label, const mml_flows *flows)
{
	if (!h->o.ps)
		return;
	gctx c = {h, s->index};
	mml_err e = mml_audit_flows(h->o.ps, h->o.attrib, flows, s->index, label, on_row, &c);
	if (e != MML_OK && h->err == MML_OK)
		h->err = e;
}

void mml_html_gaps_free(mml_html *h)
{
	for (size_t i = 0; i < h->ngaps; i++) {
		free(h->gaps[i].note);
		for (size_t k = 0; k < h->gaps[i].nev; k++) {
			free(h->gaps[i].ev[k].api);
			free(h->gaps[i].ev[k].path);
		}
	}
	free(h->gaps);
	h->gaps = NULL;
	h->ngaps = h->agaps = 0;
}

static int verdict_rank(mml_verdict v)
{
	switch (v) {
	case MML_VERDICT_CONTRADICTED: return 0;
	case MML_VERDICT_AMBIGUOUS: return 1;
	case MML_VERDICT_OTHER_PARTY: return 2;
	case MML_VERDICT_OMITTED: return 3;
	case MML_VERDICT_VAGUE: return 4;
	default: return 5;
	}
}

static int gap_cmp(const void *a, const void *b)
{
	const hgap *x = *(const hgap *const *)a, *y = *(const hgap *const *)b;
	int d = verdict_rank(x->v) - verdict_rank(y->v);
	return d ? d : strcmp(x->category, y->category);
}

static void sessions_cell(FILE *f, const hgap *g)
{
	for (size_t i = 0; i < g->nsess; i++)
		fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)g->sess[i]);
	if (g->more_sess)
		fprintf(f, " and %llu more", (unsigned long long)g->more_sess);
}

/* party</td><td>category</td><td>context */
static void receiver_cells(FILE *f, const hgap *g)
{
	fprintf(f, "%s", mml_party_name(g->party));
	if (g->api_unknown)
		fputs(" (API unknown)", f);
	else if (!g->attributed)
		fputs(" (unattributed)", f);
	fputs("</td><td>", f);
	mml_html_cstr(f, g->category);
	fprintf(f, "</td><td>%s", mml_feature_name(g->feature));
}

static void evidence_cell(const mml_html *h, FILE *f, const hgap *g)
{
	mml_flow_evref ev[MML_HTML_GAP_EV];
	for (size_t i = 0; i < g->nev; i++)
		ev[i] = (mml_flow_evref){g->ev[i].msg, g->ev[i].api, g->ev[i].path, g->ev[i].detector};
	mml_html_evidence(h, f, ev, g->nev, g->findings);
}

static void statement_cell(FILE *f, const hgap *g)
{
	const mml_policy_stmt *st = g->st;
	if (!st) {
		fputs("none</td><td>", f);
		return;
	}
	fputs("<code>", f);
	mml_html_cstr(f, st->id);
	fputs("</code> (", f);
	mml_html_cstr(f, g->pol ? g->pol->name : "");
	fputs("), section ", f);
	mml_html_cstr(f, st->section);
	fprintf(f, " (about %s)</td><td>", mml_party_name(st->party));
	if (st->quote) {
		fputs("<q>", f);
		mml_html_cstr(f, st->quote);
		fputs("</q>", f);
	}
}

mml_err mml_html_sec_gaps(const mml_html *h, FILE *f)
{
	fputs("<section id=\"gaps\"><h2>Policy gaps</h2>\n", f);
	if (!h->o.ps) {
		fputs("<p>No policy model given (<code>--policy</code>): no verdicts.</p>\n</section>\n", f);
		return MML_OK;
	}
	const hgap **v = h->ngaps ? malloc(h->ngaps * sizeof *v) : NULL;
	if (h->ngaps && !v)
		return MML_E_NOMEM;
	size_t ng = 0, nu = 0;
	for (size_t i = 0; i < h->ngaps; i++)
		if (h->gaps[i].v != MML_VERDICT_UNDETERMINED)
			v[ng++] = &h->gaps[i];
	if (ng)
		qsort(v, ng, sizeof *v, gap_cmp);
	fputs("<p>Each session's flows judged under that session's own labels (permissions, account region). "
	      "Verdicts:", f);
	for (int k = 0; k < MML_VERDICT__COUNT; k++)
		fprintf(f, " %s %llu%s", mml_verdict_name((mml_verdict)k), (unsigned long long)h->verdicts[k],
		        k + 1 < MML_VERDICT__COUNT ? "," : ".");
	fputs(" Below: every flow the policy does not plainly disclose, with the statement that decided it and the "
	      "findings that are the evidence; then the flows whose verdict this data cannot settle.</p>\n", f);
	if (!ng)
		fputs("<p>No gap.</p>\n", f);
	else
		fputs("<table id=\"gaps-table\"><thead><tr><th>verdict</th><th>party</th><th>category</th><th>context</th>"
		      "<th>sessions</th><th>findings</th><th>statement</th><th>quote</th><th>evidence</th></tr></thead>"
		      "<tbody>\n", f);
	for (size_t i = 0; i < ng; i++) {
		const hgap *g = v[i];
		const char *vn = mml_verdict_name(g->v);
		fprintf(f, "<tr><td class=\"v-%s\">%s</td><td>", vn, vn);
		receiver_cells(f, g);
		fputs("</td><td>", f);
		sessions_cell(f, g);
		fprintf(f, "</td><td class=\"num\">%llu</td><td>", (unsigned long long)g->findings);
		statement_cell(f, g);
		fputs("</td><td>", f);
		evidence_cell(h, f, g);
		fputs("</td></tr>\n", f);
	}
	if (ng)
		fputs("</tbody></table>\n", f);
	for (size_t i = 0; i < h->ngaps; i++)
		nu += h->gaps[i].v == MML_VERDICT_UNDETERMINED;
	fprintf(f, "<h3 id=\"undetermined\">Not determinable from this data (%zu)</h3>\n", nu);
	if (nu)
		fputs("<table id=\"undetermined-table\"><thead><tr><th>party</th><th>category</th><th>context</th>"
		      "<th>sessions</th><th>findings</th><th>what each answer gives, and what would decide it</th>"
		      "<th>evidence</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < h->ngaps; i++) {
		const hgap *g = &h->gaps[i];
		if (g->v != MML_VERDICT_UNDETERMINED)
			continue;
		fputs("<tr><td>", f);
		receiver_cells(f, g);
		fputs("</td><td>", f);
		sessions_cell(f, g);
		fprintf(f, "</td><td class=\"num\">%llu</td><td>", (unsigned long long)g->findings);
		mml_html_cstr(f, g->note);
		fputs("</td><td>", f);
		evidence_cell(h, f, g);
		fputs("</td></tr>\n", f);
	}
	if (nu)
		fputs("</tbody></table>\n", f);
	fputs("</section>\n", f);
	free(v);
	return MML_OK;
}
