/*
 * verdicts.c - the JSON form of a judged flow (docs/SCHEMA.md, "`mmlens
 * audit` output"): one object per mml_audit_row, written by `mmlens
 * audit` and stored as text by the database, so that every view says
 * the same about a verdict: its model and why that model governs, the
 * statement, and for an undetermined one the facts that decide it and
 * what each answer gives; and the audit's summary line.
 *
 * Contract: writes with the JSON writer (util.h) to a FILE; never fails
 * silently (a write error shows in ferror, reported when the output is
 * closed).
 */
#include <stdio.h>
#include <string.h>

#include "mmlens/report.h"

static void stmt_json(mml_jw *w, const mml_policy *pol, const mml_policy_stmt *st)
{
	mml_jw_kv_cstr(w, "policy", pol ? pol->name : NULL);
	mml_jw_kv_cstr(w, "statement", st ? st->id : NULL);
	mml_jw_kv_cstr(w, "section", st ? st->section : NULL);
	mml_jw_kv_cstr(w, "statement_party", st ? mml_party_name(st->party) : NULL);
	mml_jw_key(w, "condition");
	if (st && st->ncond) {
		mml_jw_obj(w);
		for (size_t c = 0; c < st->ncond; c++) {
			mml_jw_key_str(w, st->cond_key[c], strlen(st->cond_key[c]));
			mml_jw_cstr(w, st->cond_val[c]);
		}
		mml_jw_close(w);
	} else {
		mml_jw_null(w);
	}
}

/* The facts an undetermined judgement depends on, by id. */
static void undetermined_by(mml_jw *w, const mml_judgement *j)
{
	char id[128];
	mml_jw_key(w, "undetermined_by");
	mml_jw_arr(w);
	for (size_t i = 0; j->v == MML_VERDICT_UNDETERMINED && i < j->nfacts; i++)
		if (j->deciding & (1u << i)) {
			mml_fact_id(&j->fact[i], id, sizeof id);
			mml_jw_cstr(w, id);
		}
	if (j->v == MML_VERDICT_UNDETERMINED && j->feature_unknown && (j->deciding & 0x80))
		mml_jw_lit(w, "\"feature\"");
	mml_jw_close(w);
}

/* What each answer to the deciding facts gives. */
static void outcomes(mml_jw *w, const mml_judgement *j)
{
	char id[128];
	mml_jw_key(w, "outcomes");
	mml_jw_arr(w);
	for (size_t o = 0; j->v == MML_VERDICT_UNDETERMINED && o < j->nout; o++) {
		const mml_outcome *oc = &j->out[o];
		mml_jw_obj(w);
		mml_jw_kv_name(w, "verdict", mml_verdict_name(oc->v));
		stmt_json(w, oc->pol, oc->st);
		mml_jw_key(w, "when");
		mml_jw_obj(w);
		for (size_t i = 0; i < j->nfacts; i++) {
			if (!(j->deciding & (1u << i)) || oc->held[i] == 3 || !oc->held[i])
				continue;
			mml_fact_id(&j->fact[i], id, sizeof id);
			mml_jw_key_str(w, id, strlen(id));
			mml_jw_bool(w, oc->held[i] == 2);
		}
		if (j->feature_unknown && (j->deciding & 0x80)) {
			mml_jw_key(w, "feature");
			mml_jw_arr(w);
			for (int k = 0; k < MML_FEAT__COUNT; k++)
				if ((oc->contexts >> k) & 1)
					mml_jw_name(w, mml_feature_name((mml_feature)k));
			mml_jw_close(w);
		}
		mml_jw_close(w);
		mml_jw_close(w);
	}
	mml_jw_close(w);
}

void mml_judgement_json(mml_jw *w, const mml_judgement *j, uint64_t session)
{
	mml_jw_kv_name(w, "verdict", mml_verdict_name(j->v));
	stmt_json(w, j->pol, j->v == MML_VERDICT_UNDETERMINED ? NULL : j->st);
	/* true: the labels say it held; null: not known (the verdict is then the
	 * same whether it held or not) or no condition */
	if (j->v != MML_VERDICT_UNDETERMINED && j->cond_held == 1)
		mml_jw_kv_lit(w, "condition_held", "true");
	else
		mml_jw_kv_null(w, "condition_held");
	mml_jw_kv_cstr(w, "policy_why", j->policy_why);
	mml_jw_key(w, "if_mainland");
	if (j->alt_v != j->v) {
		mml_jw_obj(w);
		mml_jw_kv_name(w, "verdict", mml_verdict_name(j->alt_v));
		stmt_json(w, j->alt_pol, j->alt_st);
		mml_jw_close(w);
	} else {
		mml_jw_null(w);
	}
	undetermined_by(w, j);
	outcomes(w, j);
	char buf[1024];
	mml_judgement_decide(j, session, buf, sizeof buf);
	mml_jw_kv_cstr(w, "to_decide", buf[0] ? buf : NULL);
	mml_judgement_text(j, session, buf, sizeof buf);
	mml_jw_kv_cstr(w, "note", buf);
}

void mml_audit_row_json(FILE *out, const mml_audit_row *r)
{
	mml_lw lw;
	mml_jw jw, *w = &jw;
	mml_jw_line(w, &lw, out);
	mml_jw_kv_lit(w, "kind", "\"flow\"");
	mml_jw_kv_u64(w, "session", r->session);
	mml_jw_key(w, "label");
	mml_label_json(w, r->label);
	mml_jw_kv_cstr(w, "party", mml_party_name(r->party));
	mml_jw_kv_bool(w, "attributed", r->attributed);
	mml_jw_kv_bool(w, "api_unknown", r->ntypes != 0);
	mml_jw_kv_cstr(w, "category", r->category);
	mml_jw_kv_cstr(w, "context", mml_feature_name(r->feature));
	mml_jw_key(w, "apis");
	mml_jw_arr(w);
	for (size_t i = 0; i < r->napis; i++)
		mml_jw_cstr(w, r->apis[i]);
	mml_jw_close(w);
	mml_jw_key(w, "unknown_request_types");
	mml_jw_arr(w);
	for (size_t i = 0; i < r->ntypes; i++)
		mml_jw_i64(w, r->req_types[i]);
	mml_jw_close(w);
	mml_jw_kv_bool(w, "more_apis", r->more);
	mml_jw_kv_cstr(w, "host", r->host);
	mml_judgement_json(w, &r->j, r->session);
	mml_jw_kv_u64(w, "messages", r->msgs);
	mml_jw_key(w, "evidence");
	mml_jw_arr(w);
	for (size_t j = 0; j < r->nev; j++) {
		mml_jw_obj(w);
		mml_jw_kv_u64(w, "msg", r->ev[j].msg);
		mml_jw_kv_cstr(w, "api", r->ev[j].api);
		mml_jw_kv_cstr(w, "path", r->ev[j].path);
		mml_jw_kv_cstr(w, "detector", r->ev[j].detector);
		mml_jw_close(w);
	}
	mml_jw_close(w);
	mml_jw_kv_u64(w, "evidence_count", r->count);
	mml_jw_line_close(w);
}

void mml_audit_summary_json(FILE *out, const mml_audit_summary *a)
{
	mml_lw lw;
	mml_jw jw, *w = &jw;
	mml_jw_line(w, &lw, out);
	mml_jw_kv_lit(w, "kind", "\"audit_summary\"");
	mml_jw_kv_cstr(w, "policy", a->policy);
	mml_jw_kv_u64(w, "session", a->session);
	mml_jw_key(w, "label");
	mml_label_json(w, a->label);
	uint64_t total = 0;
	for (int v = 0; v < MML_VERDICT__COUNT; v++)
		total += a->counts[v];
	mml_jw_kv_u64(w, "sessions", a->sessions);
	mml_jw_kv_u64(w, "flows", total);
	for (int v = 0; v < MML_VERDICT__COUNT; v++) {
		mml_jw_key_name(w, mml_verdict_name((mml_verdict)v));
		mml_jw_u64(w, a->counts[v]);
	}
	mml_jw_kv_u64(w, "api_unknown_flows", a->api_unknown_rows);
	mml_jw_key(w, "input");
	mml_jw_obj(w);
	mml_counts_json(w, a->input); /* what the flows do not show: unreadable, empty, opaque bodies */
	mml_jw_close(w);
	mml_jw_line_close(w);
}
