/*
 * report.c - `mmlens report INPUT [--db FILE] [--html FILE]`: appends
 * the sessions, flows, policy verdicts and findings of one input to an
 * SQLite database (docs/REPORT_DB.md) and/or writes a self-contained
 * HTML report (docs/REPORT_HTML.md, src/report/html.c).
 *
 * Contract: the input is read once through the flow collection shared
 * with diff and audit (src/cli/input.h, mml_cli_collect_hooked): every
 * finding is stored as it is found and linked to its session when the
 * session closes, so memory stays bounded by the collection's, not by
 * the findings; the HTML writer streams into temporary files and writes
 * FILE at the end. With --compare B the flows of B (PATH or PATH@N, as
 * for `mmlens diff`) are collected first, for the HTML diff view.
 * Session labels (--label N:KEY=VALUE, --manifest FILE) go to both
 * outputs. One run is one database transaction: an input that cannot be
 * read or a database error leaves the file as it was (exit 2), and no
 * HTML file is written. An input read with errors (exit 3) is still
 * stored and reported. Output files are created 0600; --redact stores
 * finding values as "redacted" and embeds no decoded message.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input.h"
#include "opts.h"
#include "mmlens/html.h"
#include "mmlens/policy.h"
#include "mmlens/report.h"

typedef struct rep_ctx {
	mml_db *db;              /* NULL: no --db */
	mml_html *html;          /* NULL: no --html */
	const mml_policyset *ps; /* NULL: no verdicts */
	const mml_attrib *attrib;
	const mml_labels *labels;
	bool failed;
} rep_ctx;

static void rep_finding(void *ctx, const mml_collect_finding *cf)
{
	rep_ctx *r = ctx;
	if (r->failed)
		return;
	if (r->db) {
		mml_db_finding df = {.msg = cf->m->id, .session = cf->session, .has_ts = cf->has_ts, .ts = cf->ts, .api = cf->recv->api,
		                     .attributed = cf->recv->attributed, .party = cf->recv->party,
		                     .feature = cf->recv->feature, .f = cf->f};
		if (mml_db_add_finding(r->db, &df) != MML_OK)
			r->failed = true;
	}
	if (r->html) {
		mml_html_finding hf = {.m = cf->m, .f = cf->f, .has_ts = cf->has_ts, .ts = cf->ts,
		                       .attributed = cf->recv->attributed, .party = cf->recv->party,
		                       .feature = cf->recv->feature};
		mml_html_add_finding(r->html, &hf);
	}
}

static void rep_message(void *ctx, const mml_collect_message *cm)
{
	rep_ctx *r = ctx;
	if (!r->failed && r->html)
		mml_html_add_message(r->html, cm->m, cm->tree, cm->findings, cm->has_ts, cm->ts);
}

static void rep_session(void *ctx, const mml_session *s, const mml_flows *flows)
{
	rep_ctx *r = ctx;
	if (r->failed)
		return;
	const mml_label *lb = mml_labels_find(r->labels, s->index);
	if (r->db && mml_db_add_session(r->db, s, lb, flows, r->ps, r->attrib) != MML_OK)
		r->failed = true;
	if (r->html)
		mml_html_add_session(r->html, s, lb, flows);
}

static const char report_usage[] =
	"usage: mmlens report [--db FILE] [--html FILE] [options] INPUT...\n"
	"\n"
	"Report what INPUT sent - its sessions, the (party, category, context) flows\n"
	"of each, every finding with its message and time, and with --policy the\n"
	"policy verdict of each flow. --db appends it to the SQLite database FILE\n"
	"(docs/REPORT_DB.md has the schema and example queries; each run adds one\n"
	"row to its `inputs` table); --html writes a self-contained HTML page\n"
	"(docs/REPORT_HTML.md: timelines, party x category matrix, policy gaps with\n"
	"evidence, diff, searchable findings, decoded messages; it loads nothing\n"
	"from the network). At least one of the two. Files are created mode 0600.\n"
	"INPUT is a capture with --keylog or a plaintext log.\n"
	"\n"
	"      --db FILE          the SQLite database to create or append to\n"
	"      --html FILE        the HTML report to write\n"
	"      --compare B        (--html) diff INPUT against B (PATH or PATH@N, as for\n"
	"                         `mmlens diff`); default: each session against the last\n"
	"  -p, --policy MODEL     auto (default: Weixin's guidelines for Search, Channels and\n"
	"                         mainland accounts, WeChat's policy for the rest), wechat,\n"
	"                         weixin, a model file, or none\n"
	MML_USAGE_SERIES
	MML_USAGE_KEYLOG
	MML_USAGE_LABELS
	"      --redact           finding values as \"redacted\"; no decoded messages\n"
	MML_USAGE_CATALOG
	MML_USAGE_ATTRIBUTION
	MML_USAGE_MAX_BODY
	MML_USAGE_HELP
	"\n"
	"Exit status: 0 ok, 1 usage, 2 unreadable input, model, manifest, database\n"
	"or output, 3 input had errors (what was read is stored and reported).\n";

typedef struct rep_args {
	const char *dbpath, *htmlpath, *compare, *attrib_file;
	const mml_cli_policies *pols; /* NULL: --policy none */
	mml_cli_target *target;
} rep_args;

/* Write the HTML page to path, through a temp file beside it renamed over
 * path only once the page is whole (a failed run leaves an older report
 * as it was); an MML_EXIT_* code. */
static int html_out(mml_html *h, const char *path, const mml_flows *all, const char *cmp_name,
                    const mml_flows *cmp, FILE *err)
{
	if (!strcmp(path, "-")) {
		mml_err e = mml_html_write(h, stdout, all, cmp_name, cmp);
		if (mml_out_close(stdout) != MML_OK || e != MML_OK) {
			fprintf(err, "mmlens report: standard output: %s\n", e == MML_E_NOMEM ? "out of memory" : "write error");
			return MML_EXIT_INPUT;
		}
		return MML_EXIT_OK;
	}
	size_t n = strlen(path);
	char *tmp = malloc(n + 16);
	if (!tmp) {
		fprintf(err, "mmlens report: out of memory\n");
		return MML_EXIT_INPUT;
	}
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".tmpXXXXXX", 11);
	int fd = mkstemp(tmp); /* mode 0600 */
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!out) {
		fprintf(err, "mmlens report: %s: cannot create output: %m\n", path);
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		return MML_EXIT_INPUT;
	}
	mml_err e = mml_html_write(h, out, all, cmp_name, cmp);
	int bad = fflush(out) != 0 || ferror(out);
	bad |= fclose(out) != 0;
	if (bad || e != MML_OK || rename(tmp, path) != 0) {
		fprintf(err, "mmlens report: %s: %s\n", path,
		        e == MML_E_NOMEM ? "out of memory" : bad || e != MML_OK ? "write error" : "cannot replace the file");
		unlink(tmp);
		free(tmp);
		return MML_EXIT_INPUT;
	}
	free(tmp);
	return MML_EXIT_OK;
}

/* The flows of --compare B (PATH, PATH@N or PATH@NAME), for the HTML diff view. */
static int compare_flows(const mml_cli_input *in, const char *spec, const mml_detect *det, const mml_attrib *attrib,
                         mml_flows *cmp, FILE *err)
{
	mml_cli_target t;
	int rc = mml_cli_target_open("mmlens report", in, &spec, 1, false, &t, err);
	if (!rc) {
		mml_cli_collected res;
		rc = mml_cli_target_collect("mmlens report", &t, in, det, attrib, cmp, &res, NULL, err);
	}
	mml_cli_target_free(&t);
	return rc;
}

/* The closing line: what was read and what was written, e.g.
 * "mmlens report: 5 sessions, 304 messages, 1007 findings in 215 flows;
 * wrote report.html and report.db". */
static void report_summary(const rep_args *a, const mml_cli_collected *res, const mml_flows *all, FILE *err)
{
	fprintf(err, "mmlens report: %llu session%s, %llu message%s, %llu finding%s in %zu flow%s; wrote ",
	        (unsigned long long)res->nsessions, res->nsessions == 1 ? "" : "s",
	        (unsigned long long)res->counts.messages, res->counts.messages == 1 ? "" : "s",
	        (unsigned long long)res->counts.findings, res->counts.findings == 1 ? "" : "s", all->n,
	        all->n == 1 ? "" : "s");
	if (a->htmlpath)
		fprintf(err, "%s%s", strcmp(a->htmlpath, "-") ? a->htmlpath : "the page to standard output",
		        a->dbpath ? " and " : "");
	if (a->dbpath)
		fputs(a->dbpath, err);
	fputc('\n', err);
}

static int report_run(mml_cli_input *in, const rep_args *a, FILE *err)
{
	const mml_cli_target *tg = a->target;
	const char *input = tg->set.files[tg->set.nfiles - 1];
	const char *kname = tg->set.capture ? "capture" : "log";
	mml_detect *det;
	mml_attrib attrib;
	int rc = mml_cli_flows_setup("mmlens report", a->attrib_file, &det, &attrib, err);
	if (rc)
		return rc;
	mml_flows cmp, all;
	mml_flows_init(&cmp);
	mml_flows_init(&all);
	char ebuf[300] = "";
	rep_ctx r = {.ps = a->pols ? &a->pols->set : NULL, .attrib = &attrib, .labels = &tg->labels};
	/* --compare against one input: the messages they share are said */
	mml_overlap *ov = a->compare && tg->set.nfiles == 1 ? mml_overlap_new() : NULL;
	mml_cli_input in_b = *in;
	in_b.ov = ov;
	in_b.ov_index = 1;
	if (a->compare)
		rc = compare_flows(&in_b, a->compare, det, &attrib, &cmp, err);
	if (rc != MML_EXIT_OK && rc != MML_EXIT_ERRORS)
		goto done;
	int rc_cmp = rc;
	if (a->htmlpath) {
		/* --redact: no input path in any output (it can name a person or a place) */
		mml_html_opts ho = {.input = in->redact ? "(input name redacted)" : input, .kind = kname, .ps = r.ps, .attrib = &attrib, .redact = in->redact,
		                    .compare = a->compare != NULL};
		r.html = mml_html_new(&ho);
		if (!r.html) {
			fprintf(err, "mmlens report: cannot create temporary files: %m\n");
			rc = MML_EXIT_INPUT;
			goto done;
		}
	}
	if (a->dbpath) {
		r.db = mml_db_open(a->dbpath, ebuf, sizeof ebuf);
		if (!r.db) {
			fprintf(err, "mmlens report: %s: %s\n", a->dbpath, ebuf);
			rc = MML_EXIT_INPUT;
			goto done;
		}
		if (mml_db_begin(r.db, in->redact ? "(redacted)" : input, kname, a->pols ? a->pols->name : NULL,
		                 in->redact) != MML_OK) {
			fprintf(err, "mmlens report: %s: %s\n", a->dbpath, mml_db_errmsg(r.db));
			rc = MML_EXIT_INPUT;
			goto done;
		}
	}
	mml_collect_hook hook = {.finding = rep_finding, .message = r.html ? rep_message : NULL,
	                         .session = rep_session, .ctx = &r};
	mml_cli_collected res;
	mml_cli_target all_sessions = *tg;
	all_sessions.session = 0;
	mml_cli_input in_a = *in;
	in_a.ov = ov;
	in_a.ov_index = 0;
	rc = mml_cli_target_collect("mmlens report", &all_sessions, &in_a, det, &attrib, &all, &res, &hook, err);
	if (rc != MML_EXIT_OK && rc != MML_EXIT_ERRORS)
		goto done;
	if (ov) {
		const char *names[2] = {input, a->compare};
		mml_cli_overlap_report("mmlens report", ov, names, 2, err);
	}
	if (r.db && (r.failed || mml_db_commit(r.db) != MML_OK)) {
		fprintf(err, "mmlens report: %s: %s\n", a->dbpath, mml_db_errmsg(r.db));
		rc = MML_EXIT_INPUT;
		goto done;
	}
	if (a->htmlpath) { /* r.html was made above */
		const char *cmp_name = a->compare && in->redact ? "(compared input, name redacted)" : a->compare;
		int rh = html_out(r.html, a->htmlpath, &all, cmp_name, a->compare ? &cmp : NULL, err);
		if (rh)
			rc = rh;
	}
	rc = mml_cli_exit_worst(rc, rc_cmp);
	if (rc == MML_EXIT_OK || rc == MML_EXIT_ERRORS)
		report_summary(a, &res, &all, err);
done:
	mml_overlap_free(ov);
	mml_db_close(r.db);
	mml_html_free(r.html);
	mml_flows_free(&all);
	mml_flows_free(&cmp);
	mml_detect_free(det);
	mml_attrib_free(&attrib);
	return rc;
}

int mml_cmd_report(int argc, char **argv, FILE *err)
{
	const char *model = NULL;
	bool series = false;
	rep_args a = {0};
	mml_cli_input in;
	memset(&in, 0, sizeof in);
	const mml_opt opts[] = {
		{"db", 0, MML_OPTK_ONCE, true, &a.dbpath, NULL, NULL},
		MML_OPT_POLICY(&model),
		MML_OPT_KEYLOG(&in),
		MML_OPT_REDACT(&in.redact),
		{"html", 0, MML_OPTK_ONCE, true, &a.htmlpath, NULL, NULL},
		MML_OPT_CATALOG(&in),
		MML_OPT_MAX_BODY(&in),
		MML_OPT_ATTRIBUTION(&a.attrib_file),
		{"compare", 0, MML_OPTK_ONCE, true, &a.compare, NULL, NULL},
		MML_OPT_HELP,
		MML_OPT_SERIES(&series),
		MML_OPT_LABELS(&in),
	};
	int rc = mml_opts_parse("mmlens report", report_usage, opts, sizeof opts / sizeof opts[0], argc, argv, err);
	if (rc)
		return rc > 0 ? MML_EXIT_OK : MML_EXIT_USAGE;
	if ((!a.dbpath && !a.htmlpath) || optind >= argc) {
		fprintf(err, "mmlens report: expected --db FILE and/or --html FILE, and INPUT\n%s", report_usage);
		return MML_EXIT_USAGE;
	}
	if (a.compare && !a.htmlpath) {
		fprintf(err, "mmlens report: --compare is for the HTML report (--html FILE)\n");
		return MML_EXIT_USAGE;
	}
	mml_cli_target tg;
	rc = mml_cli_target_open("mmlens report", &in, (const char *const *)argv + optind, (size_t)(argc - optind),
	                         series, &tg, err);
	if (!rc && tg.session)
		fprintf(err, "mmlens report: the report covers every session; @%llu is ignored\n",
		        (unsigned long long)tg.session);
	mml_cli_policies pols;
	bool want_pols = !model || strcmp(model, "none");
	if (!rc && want_pols && mml_cli_policies_load("mmlens report", model, &pols, err))
		rc = MML_EXIT_INPUT;
	if (!rc) {
		a.target = &tg;
		a.pols = want_pols ? &pols : NULL;
		rc = report_run(&in, &a, err);
		if (a.pols)
			mml_cli_policies_free(&pols);
	}
	mml_cli_target_free(&tg);
	return rc;
}
