/*
 * answer.c - `mmlens answer [options] INPUT...`: the study's questions
 * (data/questions.json, plus --questions FILE) answered from an input's
 * sessions: supported, not supported, or not determinable from this
 * data, with evidence and caveats (docs/ANSWERS.md; the analysis:
 * src/analyze/answer.c).
 *
 * Contract: the input is read once through the collection of
 * src/analyze/collect.c; every session's flows are kept (memory: the
 * sessions x their distinct flow keys x the evidence cap, never the
 * messages). Output files are created 0600.
 */
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "opts.h"
#include "mmlens/answer.h"
#include "mmlens/report.h"

typedef struct ans_ctx {
	const mml_labels *labels;
	uint64_t want;
	mml_answer_sess *sess;
	size_t n, alloc;
	bool nomem;
	FILE *out;
	bool text;
	uint64_t counts[3];
} ans_ctx;

static void on_session(void *ctx, const mml_session *s, const mml_flows *flows)
{
	ans_ctx *a = ctx;
	if (a->want && a->want != s->index)
		return;
	if (!mml_grow((void **)&a->sess, &a->alloc, a->n + 1, sizeof *a->sess, 16)) {
		a->nomem = true;
		return;
	}
	mml_answer_sess *as = &a->sess[a->n];
	as->s = *s;
	as->label = mml_labels_find(a->labels, s->index);
	mml_flows_init(&as->flows);
	a->n++;
	if (mml_flows_merge(&as->flows, flows) != MML_OK)
		a->nomem = true;
}

static void on_answer(void *ctx, const mml_answer *an)
{
	ans_ctx *a = ctx;
	a->counts[an->v]++;
	if (a->text)
		mml_answer_text(a->out, an);
	else
		mml_answer_json(a->out, an);
}

static const char answer_usage[] =
	"usage: mmlens answer [options] INPUT... [@N|@NAME]\n"
	"\n"
	"Answer the study's questions from INPUT's sessions: is Mini Program activity\n"
	"sent to WeChat; does granting location change what is sent, and to whom; is\n"
	"location sent to Mini Program endpoints; do core features send more than they\n"
	"need; which flows fall under Weixin's guidelines (data/questions.json). Each\n"
	"answer is supported, not supported, or not determinable from this data, with\n"
	"its evidence (sessions, messages, APIs, field paths) and caveats. Comparisons\n"
	"use session labels: --label N:permissions=location (granted), N:permissions=\n"
	"(none), --manifest FILE. INPUT is a capture with --keylog or a plaintext log;\n"
	"several INPUTs that are a cumulative series are read once, each file's own part\n"
	"a session named after the file.\n"
	"\n"
	"  -q, --questions FILE   more questions, or replacements by id (docs/ANSWERS.md);\n"
	"                         repeatable\n"
	"  -p, --policy MODEL     for the policy questions: auto (default), wechat, weixin\n"
	"                         or a model file\n"
	"      --format F         jsonl (default) or text\n"
	MML_USAGE_FLOWS
	"\n"
	"Exit status: 0 ok, 1 usage, 2 unreadable input, model or question file,\n"
	"3 input had errors.\n";

static int load_questions(mml_questions *qs, const char *const *files, size_t n, FILE *err)
{
	mml_cli_diag d = {.err = err, .prefix = "questions: "};
	mml_questions_init(qs);
	if (mml_questions_load(qs, "builtin", mml_cli_diag_fn, &d) != MML_OK) {
		mml_cli_diag_done(&d);
		fprintf(err, "mmlens answer: the built-in questions do not load\n");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (mml_questions_load(qs, files[i], mml_cli_diag_fn, &d) != MML_OK) {
			mml_cli_diag_done(&d);
			fprintf(err, "mmlens answer: %s: cannot load the questions\n", files[i]);
			return -1;
		}
	return 0;
}

typedef struct ans_opts {
	mml_cli_input in;
	const char *qfiles[16], *model, *outpath, *attrib_file, *format;
	size_t nq;
	bool series;
} ans_opts;

static int opt_format(void *dst, const char *arg, const char *cmd, FILE *err)
{
	ans_opts *o = dst;
	if (mml_cli_opt_once(cmd, "--format", o->format, err))
		return -1;
	o->format = arg;
	if (strcmp(arg, "jsonl") && strcmp(arg, "text")) {
		fprintf(err, "%s: --format wants jsonl or text\n", cmd);
		return -1;
	}
	return 0;
}

/* The options; MML_EXIT_OK, MML_EXIT_USAGE, or -1 after --help. */
static int ans_parse(int argc, char **argv, ans_opts *o, FILE *err)
{
	mml_optlist questions = {o->qfiles, &o->nq, 16, "at most 16 --questions files"};
	const mml_opt opts[] = {
		{"questions", 'q', MML_OPTK_CALL, true, &questions, mml_opt_list, NULL},
		MML_OPT_POLICY(&o->model),
		{"format", 0, MML_OPTK_CALL, true, o, opt_format, NULL},
		MML_OPT_KEYLOG(&o->in),
		MML_OPT_OUTPUT(&o->outpath),
		MML_OPT_CATALOG(&o->in),
		MML_OPT_ATTRIBUTION(&o->attrib_file),
		MML_OPT_MAX_BODY(&o->in),
		MML_OPT_SERIES(&o->series),
		MML_OPT_HELP,
		MML_OPT_LABELS(&o->in),
	};
	int p = mml_opts_parse("mmlens answer", answer_usage, opts, sizeof opts / sizeof opts[0], argc, argv, err);
	if (p)
		return p > 0 ? -1 : MML_EXIT_USAGE;
	if (optind >= argc) {
		fprintf(err, "mmlens answer: expected INPUT\n%s", answer_usage);
		return MML_EXIT_USAGE;
	}
	return MML_EXIT_OK;
}

/* The answers to out; an MML_EXIT_* code. */
static int ans_write(ans_ctx *a, const ans_opts *o, const mml_questions *qs, const mml_cli_collected *res,
                     const mml_cli_policies *pols, const mml_attrib *attrib, FILE *err)
{
	const char *op = o->outpath ? o->outpath : "-";
	if (!(a->out = mml_out_open(op))) {
		fprintf(err, "mmlens: %s: cannot create output: %m\n", op);
		return MML_EXIT_INPUT;
	}
	int rc = MML_EXIT_OK;
	mml_answer_in ai = {.sess = a->sess, .nsess = a->n, .counts = &res->counts, .ps = &pols->set, .attrib = attrib};
	if (mml_answer_all(qs, &ai, on_answer, a) != MML_OK) {
		fprintf(err, "mmlens answer: out of memory\n");
		rc = MML_EXIT_INPUT;
	}
	if (mml_out_close(a->out) != MML_OK) {
		fprintf(err, "mmlens: %s: write error\n", op);
		rc = MML_EXIT_INPUT;
	}
	fprintf(err, "mmlens answer: %zu question(s) over %zu session(s): %llu supported, %llu not supported, %llu not "
	        "determinable\n", qs->n, a->n, (unsigned long long)a->counts[0], (unsigned long long)a->counts[1],
	        (unsigned long long)a->counts[2]);
	return rc;
}

int mml_cmd_answer(int argc, char **argv, FILE *err)
{
	ans_opts o;
	memset(&o, 0, sizeof o);
	int rc = ans_parse(argc, argv, &o, err);
	if (rc)
		return rc < 0 ? MML_EXIT_OK : rc;
	mml_questions qs;
	if (load_questions(&qs, o.qfiles, o.nq, err)) {
		mml_questions_free(&qs);
		return MML_EXIT_INPUT;
	}
	mml_cli_policies pols;
	if (mml_cli_policies_load("mmlens answer", o.model, &pols, err)) {
		mml_questions_free(&qs);
		return MML_EXIT_INPUT;
	}
	mml_detect *det;
	mml_attrib attrib;
	if ((rc = mml_cli_flows_setup("mmlens answer", o.attrib_file, &det, &attrib, err))) {
		mml_cli_policies_free(&pols);
		mml_questions_free(&qs);
		return rc;
	}
	mml_cli_target tg;
	ans_ctx a = {.text = o.format && !strcmp(o.format, "text")};
	mml_cli_collected res;
	memset(&res, 0, sizeof res);
	rc = mml_cli_target_open("mmlens answer", &o.in, (const char *const *)argv + optind, (size_t)(argc - optind),
	                         o.series, &tg, err);
	if (!rc) {
		mml_collect_hook hook = {.session = on_session, .ctx = &a};
		a.labels = &tg.labels;
		a.want = tg.session;
		rc = mml_cli_target_collect("mmlens answer", &tg, &o.in, det, &attrib, NULL, &res, &hook, err);
	}
	if (a.nomem) {
		fprintf(err, "mmlens answer: out of memory\n");
		rc = MML_EXIT_INPUT;
	}
	if (rc == MML_EXIT_OK || rc == MML_EXIT_ERRORS)
		rc = mml_cli_exit_worst(rc, ans_write(&a, &o, &qs, &res, &pols, &attrib, err));
	for (size_t i = 0; i < a.n; i++)
		mml_flows_free(&a.sess[i].flows);
	free(a.sess);
	mml_cli_target_free(&tg);
	mml_detect_free(det);
	mml_attrib_free(&attrib);
	mml_cli_policies_free(&pols);
	mml_questions_free(&qs);
	return rc;
}
