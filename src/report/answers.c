/*
 * answers.c - `mmlens answer` output (docs/SCHEMA.md, "`mmlens answer`
 * output"): one JSON object per question, or the same in words for a
 * terminal.
 *
 * Contract: writes to a FILE; a write error shows in ferror and is
 * reported when the output is closed. With redact no evidence value is
 * written (there are none: evidence is message ids, APIs and paths).
 */
#include <stdio.h>

#include "mmlens/report.h"

void mml_answer_json(FILE *out, const mml_answer *a)
{
	fputs("{\"kind\":\"answer\",\"id\":", out);
	mml_json_cstr(out, a->q->id);
	fputs(",\"question\":", out);
	mml_json_cstr(out, a->q->question);
	fprintf(out, ",\"answer\":\"%s\",\"summary\":", mml_answer_name(a->v));
	mml_json_cstr(out, a->summary);
	fputs(",\"caveats\":[", out);
	for (size_t i = 0; i < a->ncaveats; i++) {
		fputs(i ? "," : "", out);
		mml_json_cstr(out, a->caveat[i]);
	}
	if (a->more_caveats)
		fprintf(out, "%s\"and %zu more caveat(s)\"", a->ncaveats ? "," : "", a->more_caveats);
	fprintf(out, "],\"evidence_count\":%llu,\"evidence\":[", (unsigned long long)a->ev_total);
	for (size_t i = 0; i < a->nev; i++) {
		const mml_answer_ev *e = &a->ev[i];
		fprintf(out, "%s{\"session\":%llu,\"msg\":%llu,\"category\":", i ? "," : "", (unsigned long long)e->session,
		        (unsigned long long)e->msg);
		mml_json_cstr(out, e->category);
		fputs(",\"api\":", out);
		mml_json_cstr(out, e->api);
		fputs(",\"request_type\":", out);
		if (!e->api && e->req_type >= 0)
			fprintf(out, "%lld", (long long)e->req_type);
		else
			fputs("null", out);
		fprintf(out, ",\"party\":\"%s\",\"feature\":\"%s\",\"path\":", mml_party_name(e->party),
		        mml_feature_name(e->feature));
		mml_json_cstr(out, e->path);
		fputs(",\"detector\":", out);
		mml_json_cstr(out, e->detector);
		fputc('}', out);
	}
	fputs("]}\n", out);
}

void mml_answer_text(FILE *out, const mml_answer *a)
{
	static const char *const word[] = {"SUPPORTED", "NOT SUPPORTED", "NOT DETERMINABLE FROM THIS DATA"};
	fprintf(out, "Q: %s\nA: %s\n   %s\n", a->q->question, (unsigned)a->v < 3 ? word[a->v] : "?", a->summary);
	if (a->nev) {
		fputs("   evidence:", out);
		for (size_t i = 0; i < a->nev && i < 6; i++)
			fprintf(out, "%s session %llu message %llu %s", i ? ";" : "", (unsigned long long)a->ev[i].session,
			        (unsigned long long)a->ev[i].msg, a->ev[i].path ? a->ev[i].path : "");
		if (a->ev_total > a->nev)
			fprintf(out, " (%llu findings in all)", (unsigned long long)a->ev_total);
		fputc('\n', out);
	}
	for (size_t i = 0; i < a->ncaveats; i++)
		fprintf(out, "   caveat: %s\n", a->caveat[i]);
	if (a->more_caveats)
		fprintf(out, "   and %zu more caveat(s)\n", a->more_caveats);
	fputc('\n', out);
}
