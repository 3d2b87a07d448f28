/*
 * sessions.c - `mmlens sessions`: split a capture or a plaintext log into
 * sessions (stage 7, include/mmlens/analyze.h) and write one JSON object
 * per session (docs/SCHEMA.md, "`mmlens sessions` output").
 *
 * Contract: the same inputs as `mmlens scan` (src/cli/input.h). Messages
 * must be seen in input order, so a capture runs on one pipeline. Each
 * readable body is decoded into one reused tree (for payload times when
 * there is no capture time); the splitter keeps O(1) state, so memory is
 * bounded by the largest body, not the input. A session's line is
 * written as soon as the session closes. With --timeline every body is
 * also searched (the flow collection of src/cli/diff.c) and each session
 * is followed by its timeline rows (mml_flows_timeline); memory then
 * also holds one session's flow keys.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "mmlens/analyze.h"
#include "mmlens/cli.h"
#include "mmlens/decode.h"
#include "mmlens/report.h"

typedef struct sess_shared {
	bool nomem;
	const mml_labels *labels;
	FILE *out;              /* the --timeline path writes here */
} sess_shared;

typedef struct sess_state {
	sess_shared *sh;
	FILE **outp;
	mml_dtree tree;
	mml_sessions split;
} sess_state;

static void write_ts(FILE *f, bool has, int64_t v)
{
	if (has)
		fprintf(f, "%lld", (long long)v);
	else
		fputs("null", f);
}

static void write_session(FILE *out, const mml_session *s, const mml_labels *labels)
{
	fprintf(out, "{\"kind\":\"session\",\"session\":%llu,\"first\":%llu,\"last\":%llu,\"start_ts\":",
	        (unsigned long long)s->index, (unsigned long long)s->first, (unsigned long long)s->last);
	write_ts(out, s->has_ts, s->start_ts);
	fputs(",\"end_ts\":", out);
	write_ts(out, s->has_ts, s->end_ts);
	fprintf(out, ",\"messages\":%llu,\"opened_by\":\"%s\",\"opener_req_type\":", (unsigned long long)s->messages,
	        mml_sess_why_name(s->why));
	write_ts(out, s->opener >= 0, s->opener);
	fputs(",\"label\":", out);
	mml_cli_label_json(out, mml_labels_find(labels, s->index));
	fputs("}\n", out);
}

static void on_session(void *ctx, const mml_session *s)
{
	sess_state *st = ctx;
	if (*st->outp)
		write_session(*st->outp, s, st->sh->labels);
}

/* --timeline: the session, then one row per (category, party, feature). */
static void on_session_flows(void *ctx, const mml_session *s, const mml_flows *flows)
{
	sess_shared *sh = ctx;
	write_session(sh->out, s, sh->labels);
	mml_tl_row *rows;
	size_t n = mml_flows_timeline(flows, &rows);
	if (n == (size_t)-1) {
		sh->nomem = true;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const mml_tl_row *r = &rows[i];
		fprintf(sh->out, "{\"kind\":\"timeline\",\"session\":%llu,\"category\":\"%s\",\"party\":\"%s\","
		        "\"feature\":\"%s\",\"first_msg\":%llu,\"last_msg\":%llu,\"first_ts\":",
		        (unsigned long long)s->index, r->category, mml_party_name(r->party), mml_feature_name(r->feature),
		        (unsigned long long)r->first_msg, (unsigned long long)r->last_msg);
		write_ts(sh->out, r->has_ts, r->first_ts);
		fputs(",\"last_ts\":", sh->out);
		write_ts(sh->out, r->has_ts, r->last_ts);
		fprintf(sh->out, ",\"messages\":%llu,\"findings\":%llu}\n", (unsigned long long)r->msgs,
		        (unsigned long long)r->findings);
	}
	free(rows);
}

static void *sess_make(void *ctx, FILE **outp)
{
	sess_state *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->sh = ctx;
	st->outp = outp;
	mml_dtree_init(&st->tree, NULL);
	mml_sessions_init(&st->split, on_session, st);
	return st;
}

static void sess_msg(void *state, const mml_msg *m)
{
	sess_state *st = state;
	const mml_dtree *tree = NULL;
	bool readable = m->status == MML_ST_DECRYPTED || m->status == MML_ST_PLAINTEXT;
	if (readable && m->body && m->body_len && !(m->outer && m->outer->ts_us)) {
		if (mml_decode_body(&st->tree, m->body, m->body_len) == MML_OK)
			tree = &st->tree;
		else
			st->sh->nomem = true;
	}
	mml_sessions_feed(&st->split, m, tree);
}

static void sess_done(void *ctx, void *state)
{
	(void)ctx;
	sess_state *st = state;
	mml_sessions_finish(&st->split);
	mml_sessions_free(&st->split);
	mml_dtree_free(&st->tree);
	free(st);
}

static void sess_finish(void *ctx, FILE *out)
{
	(void)ctx;
	(void)out;
}

static const char sessions_usage[] =
	"usage: mmlens sessions [options] INPUT\n"
	"\n"
	"Split INPUT (a capture with --keylog, or a plaintext log; - reads standard\n"
	"input) into sessions and write one JSON object per session: its number,\n"
	"first and last message ids, start and end time, and message count.\n"
	"A session starts at a login/registration request (a burst of them is one\n"
	"start) or at a jump in time of more than 2 hours (capture time, or the\n"
	"timestamps inside the bodies).\n"
	"\n"
	"With --timeline each session is followed by its timeline: for each (category,\n"
	"party, feature) of personal data it sent, the first and last message and time,\n"
	"and how many messages and findings.\n"
	"\n"
	"  -k, --keylog FILE      instrumentation key log (captures)\n"
	"  -o, --output FILE      write here (mode 0600) instead of stdout\n"
	"  -t, --timeline         also write each session's timeline rows\n"
	"      --attribution FILE extra attribution rows (docs/ATTRIBUTION.md; --timeline)\n"
	"      --catalog FILE     extra request-type catalog (id<TAB>api); repeatable\n"
	"      --max-body BYTES   cap on an inflated body (default 16777216)\n"
	MML_CLI_LABEL_USAGE
	"  -h, --help             this help\n"
	"\n"
	"Exit status: 0 ok, 1 usage, 2 unreadable input, 3 input had errors.\n";

/* --timeline: sessions through the flow collection. */
static int run_timeline(const mml_cli_input *in, const char *attrib_file, sess_shared *sh, FILE *err)
{
	mml_detect *det;
	mml_attrib attrib;
	int rc = mml_cli_flows_setup("mmlens sessions", attrib_file, &det, &attrib, err);
	if (rc)
		return rc;
	if (!(sh->out = mml_out_open(in->out))) {
		fprintf(err, "mmlens: %s: cannot create output: %m\n", in->out);
		rc = MML_EXIT_INPUT;
	} else {
		mml_cli_coll_hook hook = {.session = on_session_flows, .ctx = sh};
		mml_flows all;
		uint64_t nsess = 0;
		mml_flows_init(&all);
		rc = mml_cli_collect_hooked(in, det, &attrib, (uint64_t)-1, &all, &nsess, &hook, err);
		mml_flows_free(&all);
		if (mml_out_close(sh->out) != MML_OK) {
			fprintf(err, "mmlens: %s: write error\n", in->out);
			rc = MML_EXIT_INPUT;
		}
	}
	mml_detect_free(det);
	mml_attrib_free(&attrib);
	return rc;
}

int mml_cmd_sessions(int argc, char **argv, FILE *err)
{
	static const struct option lo[] = {
		{"keylog", required_argument, 0, 'k'},  {"output", required_argument, 0, 'o'},
		{"catalog", required_argument, 0, 'C'}, {"max-body", required_argument, 0, 'M'},
		{"timeline", no_argument, 0, 't'},      {"attribution", required_argument, 0, 'A'},
		{"help", no_argument, 0, 'h'},          MML_CLI_LABEL_OPTIONS,
		{0, 0, 0, 0},
	};
	const char *cats[33], *attrib_file = NULL;
	bool timeline = false;
	size_t ncat = 0;
	mml_cli_input in;
	memset(&in, 0, sizeof in);
	in.out = "-";
	in.quiet = 1;
	in.jobs = 1;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "k:o:th", lo, NULL)) != -1) {
		int shared = mml_cli_opt_input("mmlens sessions", c, optarg, &in, cats, &ncat, err);
		if (shared < 0)
			return MML_EXIT_USAGE;
		if (shared)
			continue;
		switch (c) {
		case 'o': in.out = optarg; break;
		case 't': timeline = true; break;
		case 'A': attrib_file = optarg; break;
		case 'h': fputs(sessions_usage, stdout); return MML_EXIT_OK;
		default:
			fprintf(err, "mmlens sessions: unknown or incomplete option '%s'\n%s", argv[optind - 1],
			        sessions_usage);
			return MML_EXIT_USAGE;
		}
	}
	cats[ncat] = NULL;
	in.cats = cats;
	if (optind != argc - 1) {
		fprintf(err, "mmlens sessions: expected one INPUT argument\n%s", sessions_usage);
		return MML_EXIT_USAGE;
	}
	in.input = argv[optind];
	mml_labels labels;
	int lrc = mml_cli_labels("mmlens sessions", &in, in.input, &labels, err);
	if (lrc)
		return lrc;
	sess_shared sh = {.labels = &labels};
	int rc;
	if (timeline) {
		rc = run_timeline(&in, attrib_file, &sh, err);
	} else {
		mml_msg_sink sink = {sess_make, sess_msg, sess_done, sess_finish, &sh};
		rc = mml_cli_run_input(&in, &sink, err);
	}
	mml_labels_free(&labels);
	if (sh.nomem) {
		fprintf(err, "mmlens: out of memory while decoding; session times may be incomplete\n");
		if (rc == MML_EXIT_OK)
			rc = MML_EXIT_ERRORS;
	}
	return rc;
}
