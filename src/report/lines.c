/*
 * lines.c - the JSONL lines of the analysing commands (docs/SCHEMA.md):
 * a session's label, `mmlens sessions` (one line per session, then its
 * timeline rows), `mmlens diff` (one line per difference, with the
 * difference in words, then the summary) and `mmlens decode` (one line
 * per decoded message, or its text view).
 *
 * Contract: every line is written with the JSON writer (util.h) to a
 * FILE; a write error shows in ferror and is reported when the output is
 * closed. The words of a difference are built in memory first (they are
 * one JSON string).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmlens/report.h"

void mml_receiver_json(mml_jw *w, const char *api, int64_t req_type, mml_party party, mml_feature feature)
{
	mml_jw_kv_cstr(w, "api", api);
	if (!api && req_type >= 0)
		mml_jw_kv_i64(w, "request_type", req_type);
	else
		mml_jw_kv_null(w, "request_type");
	mml_jw_kv_name(w, "party", mml_party_name(party));
	mml_jw_kv_name(w, "feature", mml_feature_name(feature));
}

/* ---- labels ---- */

static void str_list(mml_jw *w, char *const *v, size_t n)
{
	mml_jw_arr(w);
	for (size_t i = 0; i < n; i++)
		mml_jw_cstr(w, v[i]);
	mml_jw_close(w);
}

void mml_label_json(mml_jw *w, const mml_label *lb)
{
	if (!lb) {
		mml_jw_null(w);
		return;
	}
	mml_jw_obj(w);
	mml_jw_kv_cstr(w, "scenario", lb->scenario);
	mml_jw_key(w, "features");
	str_list(w, lb->features, lb->nfeatures);
	mml_jw_key(w, "permissions");
	if (lb->permissions_given)
		str_list(w, lb->permissions, lb->npermissions);
	else
		mml_jw_null(w);
	mml_jw_kv_cstr(w, "region", lb->region);
	mml_jw_close(w);
}

/* ---- sessions ---- */

/* A number, or null when not known. */
static void i64_or_null(mml_jw *w, bool has, int64_t v)
{
	if (has)
		mml_jw_i64(w, v);
	else
		mml_jw_null(w);
}

void mml_session_json(FILE *out, const mml_session *s, const mml_label *label)
{
	mml_lw lw;
	mml_jw jw, *w = &jw;
	mml_jw_line(w, &lw, out);
	mml_jw_kv_lit(w, "kind", "\"session\"");
	mml_jw_kv_u64(w, "session", s->index);
	mml_jw_kv_u64(w, "first", s->first);
	mml_jw_kv_u64(w, "last", s->last);
	mml_jw_key(w, "start_ts");
	i64_or_null(w, s->has_ts, s->start_ts);
	mml_jw_key(w, "end_ts");
	i64_or_null(w, s->has_ts, s->end_ts);
	mml_jw_kv_u64(w, "messages", s->messages);
	mml_jw_kv_name(w, "opened_by", mml_sess_why_name(s->why));
	mml_jw_key(w, "opener_req_type");
	i64_or_null(w, s->opener >= 0, s->opener);
	char date[16] = "";
	if (s->has_ts) {
		time_t t = (time_t)s->start_ts;
		struct tm tm;
		if (gmtime_r(&t, &tm))
			strftime(date, sizeof date, "%Y-%m-%d", &tm);
	}
	mml_jw_kv_cstr(w, "date", date[0] ? date : NULL);
	mml_jw_key(w, "login_req_type");
	i64_or_null(w, s->login >= 0, s->login);
	mml_jw_key(w, "client_version");
	i64_or_null(w, s->client_version != 0, s->client_version);
	mml_jw_kv_cstr(w, "app_version", s->app_version[0] ? s->app_version : NULL);
	mml_jw_kv_bool(w, "logged_out", s->logged_out);
	mml_jw_key(w, "label");
	mml_label_json(w, label);
	mml_jw_line_close(w);
}

void mml_timeline_json(FILE *out, uint64_t session, const mml_tl_row *r)
{
	mml_lw lw;
	mml_jw jw, *w = &jw;
	mml_jw_line(w, &lw, out);
	mml_jw_kv_lit(w, "kind", "\"timeline\"");
	mml_jw_kv_u64(w, "session", session);
	mml_jw_kv_name(w, "category", r->category);
	mml_jw_kv_name(w, "party", mml_party_name(r->party));
	mml_jw_kv_name(w, "feature", mml_feature_name(r->feature));
	mml_jw_kv_u64(w, "first_msg", r->first_msg);
	mml_jw_kv_u64(w, "last_msg", r->last_msg);
	mml_jw_key(w, "first_ts");
	i64_or_null(w, r->has_ts, r->first_ts);
	mml_jw_key(w, "last_ts");
	i64_or_null(w, r->has_ts, r->last_ts);
	mml_jw_kv_u64(w, "messages", r->msgs);
	mml_jw_kv_u64(w, "findings", r->findings);
	mml_jw_line_close(w);
}

/* ---- diff ---- */

static void label_perm_words(FILE *out, const mml_side *s)
{
	const mml_label *lb = s->label;
	if (!lb || !lb->permissions_given) {
		fputs("permissions not labelled", out);
		return;
	}
	fputs("permissions ", out);
	if (!lb->npermissions)
		fputs("none", out);
	for (size_t i = 0; i < lb->npermissions; i++)
		fprintf(out, "%s%s", i ? "," : "", lb->permissions[i]);
}

static void side_words(FILE *out, const mml_side *s)
{
	if (s->session)
		fprintf(out, "session %llu", (unsigned long long)s->session);
	else
		fprintf(out, "%llu session(s)", (unsigned long long)s->nsessions);
	if (s->label && s->label->scenario)
		fprintf(out, " \"%s\"", s->label->scenario);
	fputs(", ", out);
	label_perm_words(out, s);
}

/* The difference in words: "CATEGORY: only in A (...), not in B (...); received by ...; Mini Program endpoints: ..." */
static void statement(FILE *mem, const mml_difference *d, const mml_side *in, const mml_side *other)
{
	const mml_diff_item *it = d->item;
	fprintf(mem, "%s", it->category);
	if (it->level == MML_DIFF_API)
		fprintf(mem, " to %s", it->api ? it->api : "an unknown API");
	if (it->level == MML_DIFF_PARTY)
		fprintf(mem, " to %s", mml_party_name(it->party));
	fprintf(mem, ": only in %s (", in->name);
	side_words(mem, in);
	fprintf(mem, "), not in %s (", other->name);
	side_words(mem, other);
	fputs("); received by ", mem);
	for (size_t i = 0; i < d->nrecv; i++) {
		const mml_receiver *r = &d->recv[i];
		if (i)
			fputs(", ", mem);
		if (r->api)
			fprintf(mem, "%s", r->api);
		else
			fprintf(mem, "request type %lld (API unknown)", (long long)r->req_type);
		fprintf(mem, " (%s, %s)", mml_party_name(r->party), mml_feature_name(r->feature));
	}
	if (d->more)
		fputs(", ...", mem);
	fprintf(mem, "; Mini Program endpoints: %s", d->mp_endpoints ? "" : "none");
	if (d->mp_endpoints)
		fprintf(mem, "%llu finding(s)", (unsigned long long)d->mp_endpoints);
	if (d->unknown_api)
		fprintf(mem, " (%llu finding(s) went to APIs no source names)", (unsigned long long)d->unknown_api);
}

static void receivers(mml_jw *w, const mml_difference *d)
{
	mml_jw_key(w, "received_by");
	mml_jw_arr(w);
	for (size_t i = 0; i < d->nrecv; i++) {
		const mml_receiver *r = &d->recv[i];
		mml_jw_obj(w);
		mml_receiver_json(w, r->api, r->req_type, r->party, r->feature);
		mml_jw_kv_bool(w, "attributed", r->attributed);
		mml_jw_kv_u64(w, "findings", r->count);
		mml_jw_close(w);
	}
	mml_jw_close(w);
}

void mml_difference_json(FILE *out, const mml_difference *d, const mml_side *a, const mml_side *b)
{
	const mml_diff_item *it = d->item;
	const mml_side *in = it->only_in == 'A' ? a : b, *other = it->only_in == 'A' ? b : a;
	char *text = NULL;
	size_t tlen = 0;
	FILE *mem = open_memstream(&text, &tlen);
	if (mem) {
		statement(mem, d, in, other);
		fclose(mem);
	}
	mml_lw lw;
	mml_jw jw, *w = &jw;
	mml_jw_line(w, &lw, out);
	mml_jw_kv_lit(w, "kind", "\"difference\"");
	char side[2] = {it->only_in, 0};
	mml_jw_kv_name(w, "only_in", side);
	mml_jw_kv_name(w, "level", mml_diff_level_name(it->level));
	mml_jw_kv_cstr(w, "category", it->category);
	mml_jw_kv_cstr(w, "api", it->api);
	mml_jw_kv_cstr(w, "party", it->has_party ? mml_party_name(it->party) : NULL);
	mml_jw_kv_u64(w, "count", it->count);
	receivers(w, d);
	mml_jw_kv_bool(w, "more_receivers", d->more);
	mml_jw_kv_u64(w, "miniprogram_endpoints", d->mp_endpoints);
	mml_jw_kv_u64(w, "unknown_api_findings", d->unknown_api);
	mml_jw_kv_cstr(w, "caveat", d->caveat);
	mml_jw_kv_cstr(w, "statement", text);
	free(text);
	mml_jw_key(w, "evidence");
	mml_jw_arr(w);
	for (size_t j = 0; j < it->nev; j++) {
		mml_jw_obj(w);
		mml_jw_kv_u64(w, "msg", it->ev[j].msg);
		mml_jw_kv_cstr(w, "path", it->ev[j].path);
		mml_jw_close(w);
	}
	mml_jw_close(w);
	mml_jw_kv_u64(w, "evidence_count", it->count);
	mml_jw_line_close(w);
}

static void side_json(mml_jw *w, const mml_side *s, const char *input)
{
	mml_jw_obj(w);
	mml_jw_kv_cstr(w, "input", input);
	mml_jw_kv_u64(w, "session", s->session);
	mml_jw_kv_u64(w, "sessions", s->nsessions);
	mml_jw_key(w, "label");
	mml_label_json(w, s->label);
	mml_jw_kv_u64(w, "messages", s->messages);
	mml_jw_kv_u64(w, "readable", s->counts.messages - s->counts.unreadable);
	mml_jw_key(w, "start_ts");
	i64_or_null(w, s->has_ts, s->start_ts);
	mml_jw_key(w, "end_ts");
	i64_or_null(w, s->has_ts, s->end_ts);
	mml_jw_kv_cstr(w, "app_version", s->app_version[0] ? s->app_version : NULL);
	mml_jw_kv_bool(w, "app_versions_mixed", s->versions_mixed);
	mml_jw_close(w);
}

/* The caveats of a comparison, in words. */
static void diff_caveats(mml_jw *w, const mml_side *a, const mml_side *b, const mml_comparison *c)
{
	char t[256];
	mml_jw_key(w, "caveats");
	mml_jw_arr(w);
	if (c->days_apart >= 1) {
		snprintf(t, sizeof t, "the sides were recorded %lld day(s) apart: differences in network, push token, "
		         "locale and telemetry data are expected whatever else differs", (long long)c->days_apart);
		mml_jw_cstr(w, t);
	}
	if (c->versions_differ)
		mml_jw_cstr(w, "the sides come from different app versions");
	if (a->counts.unknown_api || b->counts.unknown_api) {
		snprintf(t, sizeof t, "%llu message(s) of A and %llu of B have an unknown API: their receivers are not known",
		         (unsigned long long)a->counts.unknown_api, (unsigned long long)b->counts.unknown_api);
		mml_jw_cstr(w, t);
	}
	if (a->counts.opaque + a->counts.empty + b->counts.opaque + b->counts.empty) {
		snprintf(t, sizeof t, "bodies that are empty or opaque (A: %llu, B: %llu) show nothing: a category absent "
		         "there may have been sent in them", (unsigned long long)a->counts.opaque + a->counts.empty,
		         (unsigned long long)b->counts.opaque + b->counts.empty);
		mml_jw_cstr(w, t);
	}
	mml_jw_close(w);
}

void mml_diff_summary_json(FILE *out, const mml_side *a, const char *input_a, const mml_side *b, const char *input_b,
                           const mml_comparison *c)
{
	mml_lw lw;
	mml_jw jw, *w = &jw;
	mml_jw_line(w, &lw, out);
	mml_jw_kv_lit(w, "kind", "\"diff_summary\"");
	mml_jw_key(w, "a");
	side_json(w, a, input_a);
	mml_jw_key(w, "b");
	side_json(w, b, input_b);
	mml_jw_key(w, "days_apart");
	i64_or_null(w, c->days_apart >= 0, c->days_apart);
	mml_jw_kv_bool(w, "app_versions_differ", c->versions_differ);
	mml_jw_kv_u64(w, "differences", c->differences);
	diff_caveats(w, a, b, c);
	mml_jw_line_close(w);
}

/* ---- decode ---- */

void mml_decoded_json(FILE *out, const mml_msg *m, const mml_dtree *tree)
{
	mml_lw lw;
	mml_jw jw, *w = &jw;
	mml_jw_line(w, &lw, out);
	mml_jw_kv_lit(w, "kind", "\"decoded\"");
	mml_jw_kv_u64(w, "msg", m->id);
	if (m->req_type >= 0)
		mml_jw_kv_i64(w, "req_type", m->req_type);
	else
		mml_jw_kv_null(w, "req_type");
	mml_jw_kv_cstr(w, "api", m->api);
	mml_jw_kv_cstr(w, "limit_hit", tree->limit_hit);
	mml_jw_key(w, "tree");
	mml_dtree_write_jw(tree, w); /* src/decode/write.c */
	mml_jw_line_close(w);
}

void mml_decoded_text(FILE *out, const mml_msg *m, const mml_dtree *tree)
{
	fprintf(out, "== msg %llu  req_type %lld  %s  %zu bytes%s%s\n", (unsigned long long)m->id, (long long)m->req_type,
	        m->api ? m->api : "(unknown api)", m->body_len, tree->limit_hit ? "  limit hit: " : "",
	        tree->limit_hit ? tree->limit_hit : "");
	mml_dtree_write_text(tree, out);
	fputc('\n', out);
}
