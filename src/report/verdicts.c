/*
 * verdicts.c - the JSON form of a judged flow (docs/SCHEMA.md, "`mmlens
 * audit` output"): one object per mml_audit_row, written by `mmlens
 * audit` and stored as text by the database, so that every view says
 * the same about a verdict: its model and why that model governs, the
 * statement, and for an undetermined one the facts that decide it and
 * what each answer gives.
 *
 * Contract: writes to a FILE; never fails silently (a write error shows
 * in ferror, reported when the output is closed).
 */
#include <stdio.h>
#include <string.h>

#include "mmlens/report.h"

static void stmt_json(FILE *out, const mml_policy *pol, const mml_policy_stmt *st)
{
	fputs("\"policy\":", out);
	mml_json_cstr(out, pol ? pol->name : NULL);
	fputs(",\"statement\":", out);
	mml_json_cstr(out, st ? st->id : NULL);
	fputs(",\"section\":", out);
	mml_json_cstr(out, st ? st->section : NULL);
	fputs(",\"statement_party\":", out);
	mml_json_cstr(out, st ? mml_party_name(st->party) : NULL);
	fputs(",\"condition\":", out);
	if (st && st->ncond) {
		fputc('{', out);
		for (size_t c = 0; c < st->ncond; c++) {
			fputs(c ? "," : "", out);
			mml_json_cstr(out, st->cond_key[c]);
			fputc(':', out);
			mml_json_cstr(out, st->cond_val[c]);
		}
		fputc('}', out);
	} else {
		fputs("null", out);
	}
}

void mml_judgement_json(FILE *out, const mml_judgement *j, uint64_t session)
{
	fprintf(out, "\"verdict\":\"%s\",", mml_verdict_name(j->v));
	stmt_json(out, j->pol, j->v == MML_VERDICT_UNDETERMINED ? NULL : j->st);
	/* true: the labels say it held; null: not known (the verdict is then the
	 * same whether it held or not) or no condition */
	fputs(j->v != MML_VERDICT_UNDETERMINED && j->cond_held == 1 ? ",\"condition_held\":true"
	                                                             : ",\"condition_held\":null", out);
	fputs(",\"policy_why\":", out);
	mml_json_cstr(out, j->policy_why);
	fputs(",\"if_mainland\":", out);
	if (j->alt_v != j->v) {
		fprintf(out, "{\"verdict\":\"%s\",", mml_verdict_name(j->alt_v));
		stmt_json(out, j->alt_pol, j->alt_st);
		fputc('}', out);
	} else {
		fputs("null", out);
	}
	fputs(",\"undetermined_by\":[", out);
	int n = 0;
	char id[128];
	for (size_t i = 0; j->v == MML_VERDICT_UNDETERMINED && i < j->nfacts; i++)
		if (j->deciding & (1u << i)) {
			mml_fact_id(&j->fact[i], id, sizeof id);
			fputs(n++ ? "," : "", out);
			mml_json_cstr(out, id);
		}
	if (j->v == MML_VERDICT_UNDETERMINED && j->feature_unknown && (j->deciding & 0x80))
		fputs(n++ ? ",\"feature\"" : "\"feature\"", out);
	fputs("],\"outcomes\":[", out);
	for (size_t o = 0; j->v == MML_VERDICT_UNDETERMINED && o < j->nout; o++) {
		const mml_outcome *oc = &j->out[o];
		fprintf(out, "%s{\"verdict\":\"%s\",", o ? "," : "", mml_verdict_name(oc->v));
		stmt_json(out, oc->pol, oc->st);
		fputs(",\"when\":{", out);
		int w = 0;
		for (size_t i = 0; i < j->nfacts; i++) {
			if (!(j->deciding & (1u << i)) || oc->held[i] == 3 || !oc->held[i])
				continue;
			mml_fact_id(&j->fact[i], id, sizeof id);
			fputs(w++ ? "," : "", out);
			mml_json_cstr(out, id);
			fputs(oc->held[i] == 2 ? ":true" : ":false", out);
		}
		if (j->feature_unknown && (j->deciding & 0x80)) {
			fputs(w++ ? ",\"feature\":[" : "\"feature\":[", out);
			int k2 = 0;
			for (int k = 0; k < MML_FEAT__COUNT; k++)
				if ((oc->contexts >> k) & 1)
					fprintf(out, "%s\"%s\"", k2++ ? "," : "", mml_feature_name((mml_feature)k));
			fputc(']', out);
		}
		fputs("}}", out);
	}
	char buf[1024];
	fputs("],\"to_decide\":", out);
	mml_judgement_decide(j, session, buf, sizeof buf);
	mml_json_cstr(out, buf[0] ? buf : NULL);
	fputs(",\"note\":", out);
	mml_judgement_text(j, session, buf, sizeof buf);
	mml_json_cstr(out, buf);
}

void mml_audit_row_json(FILE *out, const mml_audit_row *r, void (*label_json)(FILE *, const mml_label *))
{
	fprintf(out, "{\"kind\":\"flow\",\"session\":%llu,\"label\":", (unsigned long long)r->session);
	if (label_json)
		label_json(out, r->label);
	else
		fputs("null", out);
	fputs(",\"party\":", out);
	mml_json_cstr(out, mml_party_name(r->party));
	fprintf(out, ",\"attributed\":%s,\"api_unknown\":%s,\"category\":", r->attributed ? "true" : "false",
	        r->ntypes ? "true" : "false");
	mml_json_cstr(out, r->category);
	fputs(",\"context\":", out);
	mml_json_cstr(out, mml_feature_name(r->feature));
	fputs(",\"apis\":[", out);
	for (size_t i = 0; i < r->napis; i++) {
		fputs(i ? "," : "", out);
		mml_json_cstr(out, r->apis[i]);
	}
	fputs("],\"unknown_request_types\":[", out);
	for (size_t i = 0; i < r->ntypes; i++)
		fprintf(out, "%s%lld", i ? "," : "", (long long)r->req_types[i]);
	fprintf(out, "],\"more_apis\":%s,\"host\":", r->more ? "true" : "false");
	mml_json_cstr(out, r->host);
	fputc(',', out);
	mml_judgement_json(out, &r->j, r->session);
	fprintf(out, ",\"messages\":%llu,\"evidence\":[", (unsigned long long)r->msgs);
	for (size_t j = 0; j < r->nev; j++) {
		fprintf(out, "%s{\"msg\":%llu,\"api\":", j ? "," : "", (unsigned long long)r->ev[j].msg);
		mml_json_cstr(out, r->ev[j].api);
		fputs(",\"path\":", out);
		mml_json_cstr(out, r->ev[j].path);
		fputs(",\"detector\":", out);
		mml_json_cstr(out, r->ev[j].detector);
		fputc('}', out);
	}
	fprintf(out, "],\"evidence_count\":%llu}\n", (unsigned long long)r->count);
}
