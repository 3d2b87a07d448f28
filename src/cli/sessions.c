/*
 * sessions.c - `mmlens sessions`: split a capture or a plaintext log into
 * sessions (stage 7, include/mmlens/analyze.h) and write one JSON object
 * per session (docs/SCHEMA.md, "`mmlens sessions` output").
 *
 * Contract: the same inputs as `mmlens scan` (src/cli/input.h), read
 * through the collection of src/analyze/collect.c on one pipeline
 * (sessions need input order); the splitter keeps O(1) state, so memory
 * is bounded by the largest body, not the input. A session's line is
 * written as soon as the session closes. With --timeline every body is
 * also searched and each session is followed by its timeline rows
 * (mml_flows_timeline); memory then also holds one session's flow keys.
 */
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "opts.h"
#include "mmlens/analyze.h"
#include "mmlens/cli.h"
#include "mmlens/decode.h"
#include "mmlens/report.h"

typedef struct sess_shared {
	bool nomem;
	bool timeline;
	const mml_labels *labels;
	FILE *out;
} sess_shared;

/* A closed session, then with --timeline one row per (category, party, feature). */
static void on_session(void *ctx, const mml_session *s, const mml_flows *flows)
{
	sess_shared *sh = ctx;
	mml_session_json(sh->out, s, mml_labels_find(sh->labels, s->index));
	if (!sh->timeline)
		return;
	mml_tl_row *rows;
	size_t n = mml_flows_timeline(flows, &rows);
	if (n == (size_t)-1) {
		sh->nomem = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		mml_timeline_json(sh->out, s->index, &rows[i]);
	free(rows);
}

static const char sessions_usage[] =
	"usage: mmlens sessions [options] INPUT...\n"
	"\n"
	"Split INPUT (a capture with --keylog, or a plaintext log; - reads standard\n"
	"input) into sessions and write one JSON object per session: its number,\n"
	"first and last message ids, start and end time, date, app version, whether\n"
	"it was logged out, message count and label. A session starts at an app start\n"
	"or login (docs/SESSIONS.md), or at a jump in time of more than 2 hours that\n"
	"behaves like a clock (capture time, or send times inside the bodies). Several\n"
	"INPUTs that are a cumulative series (each a prefix of the next) are read once,\n"
	"each file's own part one session labelled with the file's name.\n"
	"\n"
	"With --timeline each session is followed by its timeline: for each (category,\n"
	"party, feature) of personal data it sent, the first and last message and time,\n"
	"and how many messages and findings.\n"
	"\n"
	MML_USAGE_KEYLOG
	MML_USAGE_OUTPUT
	"  -t, --timeline         also write each session's timeline rows\n"
	"      --attribution FILE extra attribution rows (docs/ATTRIBUTION.md; --timeline)\n"
	MML_USAGE_CATALOG
	MML_USAGE_MAX_BODY
	MML_USAGE_SERIES
	MML_USAGE_LABELS
	MML_USAGE_HELP
	"\n"
	"Exit status: 0 ok, 1 usage, 2 unreadable input, 3 input had errors.\n";

/* Sessions through the flow collection (src/analyze/collect.c); with
 * --timeline every body is also searched and attributed. */
static int run_sessions(const mml_cli_target *tg, const mml_cli_input *in, const char *attrib_file, sess_shared *sh,
                        FILE *err)
{
	mml_detect *det = NULL;
	mml_attrib attrib;
	mml_attrib_init(&attrib);
	int rc = sh->timeline ? mml_cli_flows_setup("mmlens sessions", attrib_file, &det, &attrib, err) : MML_EXIT_OK;
	if (rc)
		return rc;
	if (!(sh->out = mml_out_open(in->out))) {
		fprintf(err, "mmlens: %s: cannot create output: %m\n", in->out);
		rc = MML_EXIT_INPUT;
	} else {
		mml_collect_hook hook = {.session = on_session, .ctx = sh};
		mml_cli_collected res;
		mml_cli_target all = *tg;
		all.session = 0;
		rc = mml_cli_target_collect("mmlens sessions", &all, in, det, sh->timeline ? &attrib : NULL, NULL, &res, &hook,
		                            err);
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
	bool series = false, timeline = false;
	const char *attrib_file = NULL;
	mml_cli_input in;
	memset(&in, 0, sizeof in);
	in.out = "-";
	in.quiet = true;
	in.jobs = 1;
	const mml_opt opts[] = {
		MML_OPT_INPUT(&in),
		{"output", 'o', MML_OPTK_ONCE, true, &in.out, NULL, "-"},
		{"timeline", 't', MML_OPTK_FLAG, false, &timeline, NULL, NULL},
		MML_OPT_ATTRIBUTION(&attrib_file),
		MML_OPT_HELP,
		MML_OPT_SERIES(&series),
		MML_OPT_LABELS(&in),
	};
	int p = mml_opts_parse("mmlens sessions", sessions_usage, opts, sizeof opts / sizeof opts[0], argc, argv, err);
	if (p)
		return p > 0 ? MML_EXIT_OK : MML_EXIT_USAGE;
	if (optind >= argc) {
		fprintf(err, "mmlens sessions: expected INPUT\n%s", sessions_usage);
		return MML_EXIT_USAGE;
	}
	mml_cli_target tg;
	int rc = mml_cli_target_open("mmlens sessions", &in, (const char *const *)argv + optind, (size_t)(argc - optind),
	                             series, &tg, err);
	if (rc) {
		mml_cli_target_free(&tg);
		return rc;
	}
	if (tg.session)
		fprintf(err, "mmlens sessions: every session is listed; @%llu is ignored\n", (unsigned long long)tg.session);
	sess_shared sh = {.labels = &tg.labels, .timeline = timeline};
	rc = run_sessions(&tg, &in, attrib_file, &sh, err);
	mml_cli_target_free(&tg);
	if (sh.nomem) {
		fprintf(err, "mmlens: out of memory while decoding; session times may be incomplete\n");
		if (rc == MML_EXIT_OK)
			rc = MML_EXIT_ERRORS;
	}
	return rc;
}
