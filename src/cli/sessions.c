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
 * written as soon as the session closes.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "mmlens/analyze.h"
#include "mmlens/cli.h"
#include "mmlens/decode.h"

typedef struct sess_shared {
	bool nomem;
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

static void on_session(void *ctx, const mml_session *s)
{
	sess_state *st = ctx;
	FILE *out = *st->outp;
	if (!out)
		return;
	fprintf(out, "{\"kind\":\"session\",\"session\":%llu,\"first\":%llu,\"last\":%llu,\"start_ts\":",
	        (unsigned long long)s->index, (unsigned long long)s->first, (unsigned long long)s->last);
	write_ts(out, s->has_ts, s->start_ts);
	fputs(",\"end_ts\":", out);
	write_ts(out, s->has_ts, s->end_ts);
	fprintf(out, ",\"messages\":%llu,\"opened_by\":\"%s\",\"opener_req_type\":", (unsigned long long)s->messages,
	        mml_sess_why_name(s->why));
	write_ts(out, s->opener >= 0, s->opener);
	fputs("}\n", out);
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
	"  -k, --keylog FILE      instrumentation key log (captures)\n"
	"  -o, --output FILE      write here (mode 0600) instead of stdout\n"
	"      --catalog FILE     extra request-type catalog (id<TAB>api); repeatable\n"
	"      --max-body BYTES   cap on an inflated body (default 16777216)\n"
	"  -h, --help             this help\n"
	"\n"
	"Exit status: 0 ok, 1 usage, 2 unreadable input, 3 input had errors.\n";

int mml_cmd_sessions(int argc, char **argv, FILE *err)
{
	static const struct option lo[] = {
		{"keylog", required_argument, 0, 'k'},  {"output", required_argument, 0, 'o'},
		{"catalog", required_argument, 0, 'C'}, {"max-body", required_argument, 0, 'M'},
		{"help", no_argument, 0, 'h'},          {0, 0, 0, 0},
	};
	const char *cats[33];
	size_t ncat = 0;
	mml_cli_input in;
	memset(&in, 0, sizeof in);
	in.out = "-";
	in.quiet = 1;
	in.jobs = 1;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "k:o:h", lo, NULL)) != -1) {
		int shared = mml_cli_opt_input("mmlens sessions", c, optarg, &in, cats, &ncat, err);
		if (shared < 0)
			return MML_EXIT_USAGE;
		if (shared)
			continue;
		switch (c) {
		case 'o': in.out = optarg; break;
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
	sess_shared sh = {0};
	mml_msg_sink sink = {sess_make, sess_msg, sess_done, sess_finish, &sh};
	int rc = mml_cli_run_input(&in, &sink, err);
	if (sh.nomem) {
		fprintf(err, "mmlens: out of memory while decoding; session times may be incomplete\n");
		if (rc == MML_EXIT_OK)
			rc = MML_EXIT_ERRORS;
	}
	return rc;
}
