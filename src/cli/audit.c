/*
 * audit.c - `mmlens audit [--policy MODEL] INPUT`: every flow of an input
 * (or of one of its sessions) judged against the policy models, each
 * session's flows under that session's labels (docs/SCHEMA.md, "`mmlens
 * audit` output"; the judgement: src/analyze/judge.c, docs/POLICY.md).
 *
 * Contract: flows come from the shared collection (src/analyze/collect.c)
 * and are judged as each session closes (src/analyze/audit.c); rows are
 * spooled to a temporary file and copied to the output once the input
 * was read, so an unreadable input leaves no half-written output. Memory
 * is bounded by one session's distinct flow keys x the evidence cap.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "opts.h"
#include "mmlens/judge.h"
#include "mmlens/report.h"

typedef struct audit_ctx {
	const mml_policyset *ps;
	const mml_attrib *attrib;
	const mml_labels *labels;
	uint64_t want;             /* 0: every session */
	FILE *spool;
	uint64_t counts[MML_VERDICT__COUNT];
	uint64_t sessions, undetermined_by_label, api_unknown_rows;
	bool nomem;
} audit_ctx;

static void on_row(void *ctx, const mml_audit_row *r)
{
	audit_ctx *a = ctx;
	a->counts[r->j.v]++;
	if (r->ntypes)
		a->api_unknown_rows++;
	mml_audit_row_json(a->spool, r);
}

static void on_session(void *ctx, const mml_session *s, const mml_flows *flows)
{
	audit_ctx *a = ctx;
	if (a->want && a->want != s->index)
		return;
	a->sessions++;
	if (mml_audit_flows(a->ps, a->attrib, flows, s->index, mml_labels_find(a->labels, s->index), on_row, a) !=
	    MML_OK)
		a->nomem = true;
}

static const char audit_usage[] =
	"usage: mmlens audit [--policy MODEL] [options] INPUT... [@N|@NAME]\n"
	"\n"
	"Judge every data flow of INPUT against the privacy-policy models and write one\n"
	"JSON object per (session, party, category, context) flow: who received which\n"
	"personal data in which feature, the verdict (disclosed, vague, omitted,\n"
	"contradicted, other_party, ambiguous, or undetermined when it depends on a fact\n"
	"the data does not show), the model and why it governs, the deciding statement,\n"
	"for an undetermined verdict what each answer would give and what would decide\n"
	"it, and the evidence (messages, APIs, field paths, detectors); then a summary.\n"
	"Each session is judged under its own labels (--label, --manifest). INPUT is a\n"
	"capture with --keylog or a plaintext log; INPUT@N audits session N only\n"
	"(numbered as 'mmlens sessions' does), INPUT@NAME the session labelled NAME.\n"
	"Several INPUTs that are a cumulative series (each a prefix of the next) are\n"
	"read once, each file's own part a session named after the file; otherwise\n"
	"they are read in turn and messages they share are warned about.\n"
	"\n"
	"  -p, --policy MODEL     auto (default: Weixin's guidelines for Search, Channels\n"
	"                         and mainland accounts, WeChat's policy for the rest),\n"
	"                         wechat, weixin, or a policy model file (docs/POLICY.md)\n"
	MML_USAGE_FLOWS
	"\n"
	"Exit status: 0 ok, 1 usage, 2 unreadable input or model, 3 input had errors.\n";

static void write_summary(FILE *out, const audit_ctx *a, const mml_cli_policies *pols, uint64_t sess,
                          const mml_label *lb, const mml_scan_counts *c)
{
	mml_audit_summary sum = {.policy = pols->name, .session = sess, .label = lb, .sessions = a->sessions,
	                         .api_unknown_rows = a->api_unknown_rows, .input = c};
	memcpy(sum.counts, a->counts, sizeof sum.counts);
	mml_audit_summary_json(out, &sum);
}

int mml_cmd_audit(int argc, char **argv, FILE *err)
{
	bool series = false;
	const char *attrib_file = NULL, *outpath = "-", *model = NULL;
	mml_cli_input in;
	memset(&in, 0, sizeof in);
	const mml_opt opts[] = {
		MML_OPT_POLICY(&model),
		MML_OPT_INPUT(&in),
		{"output", 'o', MML_OPTK_ONCE, true, &outpath, NULL, "-"},
		MML_OPT_ATTRIBUTION(&attrib_file),
		MML_OPT_HELP,
		MML_OPT_SERIES(&series),
		MML_OPT_LABELS(&in),
	};
	int p = mml_opts_parse("mmlens audit", audit_usage, opts, sizeof opts / sizeof opts[0], argc, argv, err);
	if (p)
		return p > 0 ? MML_EXIT_OK : MML_EXIT_USAGE;
	if (optind >= argc) {
		fprintf(err, "mmlens audit: expected INPUT\n%s", audit_usage);
		return MML_EXIT_USAGE;
	}
	mml_cli_policies pols;
	if (mml_cli_policies_load("mmlens audit", model, &pols, err))
		return MML_EXIT_INPUT;
	mml_detect *det;
	mml_attrib attrib;
	int rc = mml_cli_flows_setup("mmlens audit", attrib_file, &det, &attrib, err);
	if (rc) {
		mml_cli_policies_free(&pols);
		return rc;
	}
	audit_ctx a = {.ps = &pols.set, .attrib = &attrib, .spool = tmpfile()};
	mml_cli_target tg;
	rc = mml_cli_target_open("mmlens audit", &in, (const char *const *)argv + optind, (size_t)(argc - optind), series,
	                         &tg, err);
	uint64_t sess = tg.session;
	mml_cli_collected res;
	memset(&res, 0, sizeof res);
	if (!rc && !a.spool) {
		fprintf(err, "mmlens audit: cannot create a temporary file: %m\n");
		rc = MML_EXIT_INPUT;
	} else if (!rc) {
		mml_collect_hook hook = {.session = on_session, .ctx = &a};
		a.labels = &tg.labels;
		a.want = sess;
		rc = mml_cli_target_collect("mmlens audit", &tg, &in, det, &attrib, NULL, &res, &hook, err);
		if (res.counts.unreadable && !res.counts.decrypted)
			fprintf(err, "mmlens audit: warning: none of the %llu encrypted message(s) could be decrypted: the flows "
			        "below are only those of plaintext messages\n", (unsigned long long)res.counts.unreadable);
	}
	if (a.nomem) {
		fprintf(err, "mmlens audit: out of memory\n");
		rc = MML_EXIT_INPUT;
	}
	if (rc == MML_EXIT_OK || rc == MML_EXIT_ERRORS) {
		FILE *out = mml_out_open(outpath);
		if (!out) {
			fprintf(err, "mmlens: %s: cannot create output: %m\n", outpath);
			rc = MML_EXIT_INPUT;
		} else {
			if (mml_cli_copy_spool(a.spool, out) != 0) {
				fprintf(err, "mmlens audit: cannot read back the temporary file: %m\n");
				rc = MML_EXIT_INPUT;
			}
			write_summary(out, &a, &pols, sess, sess ? mml_labels_find(&tg.labels, sess) : NULL, &res.counts);
			if (mml_out_close(out) != MML_OK) {
				fprintf(err, "mmlens: %s: write error\n", outpath);
				rc = MML_EXIT_INPUT;
			}
		}
	}
	if (a.spool)
		fclose(a.spool);
	mml_cli_target_free(&tg);
	mml_detect_free(det);
	mml_attrib_free(&attrib);
	mml_cli_policies_free(&pols);
	return rc;
}
