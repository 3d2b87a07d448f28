/*
 * report.c - `mmlens report INPUT --db FILE [--policy MODEL]`: appends
 * the sessions, flows, policy verdicts and findings of one input to an
 * SQLite database (docs/REPORT_DB.md). The HTML report is to come.
 *
 * Contract: the input is read once through the flow collection shared
 * with diff and audit (src/cli/input.h, mml_cli_collect_hooked): every
 * finding is stored as it is found and linked to its session when the
 * session closes, so memory stays bounded by the collection's, not by
 * the findings. One run is one transaction: an input that cannot be read
 * or a database error leaves the file as it was (exit 2). An input read
 * with errors (exit 3) is still stored. The database is created 0600;
 * --redact stores finding values as "redacted".
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "mmlens/policy.h"
#include "mmlens/report.h"

typedef struct rep_ctx {
	mml_db *db;
	const mml_policy *pol;
	bool failed;
} rep_ctx;

static void rep_finding(void *ctx, const mml_cli_coll_finding *cf)
{
	rep_ctx *r = ctx;
	if (r->failed)
		return;
	mml_db_finding df = {.msg = cf->m->id, .has_ts = cf->has_ts, .ts = cf->ts, .api = cf->m->api,
	                     .attributed = cf->attributed, .party = cf->party, .feature = cf->feature, .f = cf->f};
	if (mml_db_add_finding(r->db, &df) != MML_OK)
		r->failed = true;
}

static void rep_session(void *ctx, const mml_session *s, const mml_flows *flows)
{
	rep_ctx *r = ctx;
	if (!r->failed && mml_db_add_session(r->db, s, flows, r->pol) != MML_OK)
		r->failed = true;
}

static const char report_usage[] =
	"usage: mmlens report --db FILE [options] INPUT\n"
	"\n"
	"Append what INPUT sent - its sessions, the (party, category, context) flows\n"
	"of each, every finding with its message and time, and with --policy the\n"
	"policy verdict of each flow - to the SQLite database FILE (created mode\n"
	"0600; docs/REPORT_DB.md has the schema and example queries). Many inputs\n"
	"can be appended to one database; each run adds one row to its `inputs`\n"
	"table. INPUT is a capture with --keylog or a plaintext log.\n"
	"\n"
	"      --db FILE          the SQLite database to create or append to\n"
	"  -p, --policy MODEL     a policy model file, or the built-in \"wechat\"\n"
	"  -k, --keylog FILE      instrumentation key log (captures)\n"
	"      --redact           store finding values as \"redacted\"\n"
	"      --html FILE        an HTML report (not yet implemented)\n"
	"      --catalog FILE     extra request-type catalog (id<TAB>api); repeatable\n"
	"      --attribution FILE extra attribution rows (docs/ATTRIBUTION.md)\n"
	"      --max-body BYTES   cap on an inflated body (default 16777216)\n"
	"  -h, --help             this help\n"
	"\n"
	"Exit status: 0 ok, 1 usage, 2 unreadable input, model or database,\n"
	"3 input had errors (what was read is stored).\n";

static int report_run(mml_cli_input *in, const char *dbpath, const mml_policy *pol, const char *attrib_file,
                      FILE *err)
{
	int kind = mml_cli_input_kind(in->input);
	if (kind == MML_IN_UNREADABLE) {
		fprintf(err, "mmlens report: %s: cannot read: %m\n", in->input);
		return MML_EXIT_INPUT;
	}
	mml_detect *det;
	mml_attrib attrib;
	int rc = mml_cli_flows_setup("mmlens report", attrib_file, &det, &attrib, err);
	if (rc)
		return rc;
	char ebuf[300] = "";
	rep_ctx r = {.pol = pol};
	r.db = mml_db_open(dbpath, ebuf, sizeof ebuf);
	if (!r.db) {
		fprintf(err, "mmlens report: %s: %s\n", dbpath, ebuf);
		rc = MML_EXIT_INPUT;
	} else if (mml_db_begin(r.db, in->input, kind == MML_IN_CAPTURE ? "capture" : "log", pol ? pol->name : NULL,
	                        in->redact) != MML_OK) {
		fprintf(err, "mmlens report: %s: %s\n", dbpath, mml_db_errmsg(r.db));
		rc = MML_EXIT_INPUT;
	} else {
		mml_cli_coll_hook hook = {rep_finding, rep_session, &r};
		mml_flows all;
		uint64_t nsess = 0;
		mml_flows_init(&all);
		rc = mml_cli_collect_hooked(in, det, &attrib, 0, &all, &nsess, &hook, err);
		mml_flows_free(&all);
		if (r.failed || ((rc == MML_EXIT_OK || rc == MML_EXIT_ERRORS) && mml_db_commit(r.db) != MML_OK)) {
			fprintf(err, "mmlens report: %s: %s\n", dbpath, mml_db_errmsg(r.db));
			rc = MML_EXIT_INPUT;
		}
	}
	mml_db_close(r.db);
	mml_detect_free(det);
	mml_attrib_free(&attrib);
	return rc;
}

int mml_cmd_report(int argc, char **argv, FILE *err)
{
	static const struct option lo[] = {
		{"db", required_argument, 0, 'D'},          {"policy", required_argument, 0, 'p'},
		{"keylog", required_argument, 0, 'k'},      {"redact", no_argument, 0, 'R'},
		{"html", required_argument, 0, 'H'},        {"catalog", required_argument, 0, 'C'},
		{"max-body", required_argument, 0, 'M'},    {"attribution", required_argument, 0, 'A'},
		{"help", no_argument, 0, 'h'},              {0, 0, 0, 0},
	};
	const char *cats[33], *attrib_file = NULL, *model = NULL, *dbpath = NULL;
	bool html = false;
	size_t ncat = 0;
	mml_cli_input in;
	memset(&in, 0, sizeof in);
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "p:k:h", lo, NULL)) != -1) {
		int shared = mml_cli_opt_input("mmlens report", c, optarg, &in, cats, &ncat, err);
		if (shared < 0)
			return MML_EXIT_USAGE;
		if (shared)
			continue;
		switch (c) {
		case 'D': dbpath = optarg; break;
		case 'p': model = optarg; break;
		case 'R': in.redact = 1; break;
		case 'H': html = true; break;
		case 'A': attrib_file = optarg; break;
		case 'h': fputs(report_usage, stdout); return MML_EXIT_OK;
		default:
			fprintf(err, "mmlens report: unknown or incomplete option '%s'\n%s", argv[optind - 1], report_usage);
			return MML_EXIT_USAGE;
		}
	}
	cats[ncat] = NULL;
	in.cats = cats;
	if (html) {
		fprintf(err, "mmlens report: --html: not yet implemented\n");
		return MML_EXIT_USAGE;
	}
	if (!dbpath || optind != argc - 1) {
		fprintf(err, "mmlens report: expected --db FILE and one INPUT\n%s", report_usage);
		return MML_EXIT_USAGE;
	}
	in.input = argv[optind];
	mml_policy pol;
	mml_policy_init(&pol);
	if (model && mml_cli_policy_load("mmlens report", model, &pol, err))
		return MML_EXIT_INPUT;
	int rc = report_run(&in, dbpath, model ? &pol : NULL, attrib_file, err);
	mml_policy_free(&pol);
	return rc;
}
