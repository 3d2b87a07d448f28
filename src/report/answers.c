/*
 * answers.c - `mmlens answer` output (docs/SCHEMA.md, "`mmlens answer`
 * output"): one JSON object per question, or the same in words for a
 * terminal.
 *
 * Contract: writes to a FILE (JSON: with the writer of util.h); a write error shows in ferror and is
 * reported when the output is closed. With redact no evidence value is
 * written (there are none: evidence is message ids, APIs and paths).
 */
#include <stdio.h>

#include "mmlens/report.h"

void mml_answer_json(FILE *out, const mml_answer *a)
{
	mml_lw lw;
	mml_jw jw, *w = &jw;
	mml_jw_line(w, &lw, out);
	mml_jw_kv_lit(w, "kind", "\"answer\"");
	mml_jw_kv_cstr(w, "id", a->q->id);
	mml_jw_kv_cstr(w, "question", a->q->question);
	mml_jw_kv_name(w, "answer", mml_answer_name(a->v));
	mml_jw_kv_cstr(w, "summary", a->summary);
	mml_jw_key(w, "caveats");
	mml_jw_arr(w);
	for (size_t i = 0; i < a->ncaveats; i++)
		mml_jw_cstr(w, a->caveat[i]);
	if (a->more_caveats) {
		char more[64];
		snprintf(more, sizeof more, "and %zu more caveat(s)", a->more_caveats);
		mml_jw_cstr(w, more);
	}
	mml_jw_close(w);
	mml_jw_kv_u64(w, "evidence_count", a->ev_total);
	mml_jw_key(w, "evidence");
	mml_jw_arr(w);
	for (size_t i = 0; i < a->nev; i++) {
		const mml_answer_ev *e = &a->ev[i];
		mml_jw_obj(w);
		mml_jw_kv_u64(w, "session", e->session);
		mml_jw_kv_u64(w, "msg", e->msg);
		mml_jw_kv_cstr(w, "category", e->category);
		mml_receiver_json(w, e->api, e->req_type, e->party, e->feature);
		mml_jw_kv_cstr(w, "path", e->path);
		mml_jw_kv_cstr(w, "detector", e->detector);
		mml_jw_close(w);
	}
	mml_jw_close(w);
	mml_jw_line_close(w);
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
