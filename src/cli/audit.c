/*
 * audit.c - `mmlens audit --policy MODEL INPUT`: every (party, category,
 * context) flow of an input or of one of its sessions, with the policy
 * verdict (mml_policy_covers, docs/POLICY.md) and its evidence chain
 * (docs/SCHEMA.md, "`mmlens audit` output").
 *
 * Contract: flows come from the shared collection (src/cli/input.h,
 * diff.c): party and context from the attribution map on the message's
 * API and host; a message no row matches is audited as received by
 * WeChat in context "any" and written with "attributed": false. Memory
 * is bounded by the distinct flow keys x the evidence cap.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "mmlens/report.h"
#include "mmlens/policy.h"

typedef struct akey {
	const char *category;
	bool attributed;
	mml_party party;
	mml_feature feature;
} akey;

static bool akey_match(const mml_flow_rec *r, void *ctx)
{
	const akey *k = ctx;
	return r->attributed == k->attributed && r->party == k->party && r->feature == k->feature &&
	       !strcmp(r->category, k->category);
}

static int write_flows(FILE *out, const mml_policy *pol, const mml_flows *f, const mml_label *lb,
                       uint64_t counts[MML_VERDICT__COUNT])
{
	mml_flow_evref ev[MML_FLOWS_EVIDENCE];
	for (size_t i = 0; i < f->n; i++) {
		const mml_flow_rec *r = &f->rec[i];
		akey k = {r->category, r->attributed, r->party, r->feature};
		bool first = true;
		for (size_t j = 0; j < i && first; j++)
			first = !akey_match(&f->rec[j], &k);
		if (!first)
			continue;
		uint64_t count;
		size_t n = mml_flows_evidence(f, akey_match, &k, ev, MML_FLOWS_EVIDENCE, &count);
		if (n == (size_t)-1)
			return -1;
		mml_policy_flow fl = {.party = r->party, .category = r->category, .context = r->feature, .recipient = NULL,
		                      .cond = lb ? mml_label_cond : NULL, .cond_ctx = (void *)lb};
		const mml_policy_stmt *st = NULL;
		mml_verdict v = mml_policy_covers(pol, &fl, &st);
		counts[v]++;
		fputs("{\"kind\":\"flow\",\"party\":", out);
		mml_json_cstr(out, mml_party_name(r->party));
		fprintf(out, ",\"attributed\":%s,\"category\":", r->attributed ? "true" : "false");
		mml_json_cstr(out, r->category);
		fputs(",\"context\":", out);
		mml_json_cstr(out, mml_feature_name(r->feature));
		fprintf(out, ",\"verdict\":\"%s\",\"statement\":", mml_verdict_name(v));
		mml_json_cstr(out, st ? st->id : NULL);
		fputs(",\"section\":", out);
		mml_json_cstr(out, st ? st->section : NULL);
		fputs(",\"statement_party\":", out);
		mml_json_cstr(out, st ? mml_party_name(st->party) : NULL);
		fputs(",\"condition\":", out);
		if (st && st->ncond) {
			fputc('{', out);
			for (size_t c = 0; c < st->ncond; c++) {
				fputs(c ? "," : "", out);
				mml_json_cstr(out, st->cond_key[c]);
				fputc(':', out);
				mml_json_cstr(out, st->cond_val[c]);
			}
			fputc('}', out);
			/* true: the session's labels say it held; null: not known (a condition
			 * known not to hold never decides: its statement is left out) */
			fputs(mml_policy_cond_state(st, &fl) == 1 ? ",\"condition_held\":true" : ",\"condition_held\":null", out);
		} else {
			fputs("null,\"condition_held\":null", out);
		}
		fputs(",\"evidence\":[", out);
		for (size_t j = 0; j < n; j++) {
			fprintf(out, "%s{\"msg\":%llu,\"api\":", j ? "," : "", (unsigned long long)ev[j].msg);
			mml_json_cstr(out, ev[j].api);
			fputs(",\"path\":", out);
			mml_json_cstr(out, ev[j].path);
			fputs(",\"detector\":", out);
			mml_json_cstr(out, ev[j].detector);
			fputc('}', out);
		}
		fprintf(out, "],\"evidence_count\":%llu}\n", (unsigned long long)count);
	}
	return 0;
}

static const char audit_usage[] =
	"usage: mmlens audit --policy MODEL [options] INPUT\n"
	"\n"
	"Check every data flow of INPUT against a privacy-policy model and write one\n"
	"JSON object per (party, category, context) flow: who received which\n"
	"personal data in which feature, the verdict (disclosed, vague, omitted,\n"
	"contradicted, other_party), the policy statement that decided it, and the\n"
	"evidence (messages, APIs, field paths, detectors); then a summary object\n"
	"with the verdict counts. INPUT is a capture with --keylog or a plaintext\n"
	"log; INPUT@N audits session N only (numbered as 'mmlens sessions' does),\n"
	"INPUT@NAME the session labelled with scenario NAME (--label, --manifest).\n"
	"\n"
	"  -p, --policy MODEL     a policy model file, or the built-in \"wechat\"\n"
	"  -k, --keylog FILE      instrumentation key log (captures)\n"
	"  -o, --output FILE      write here (mode 0600) instead of stdout\n"
	"      --catalog FILE     extra request-type catalog (id<TAB>api); repeatable\n"
	"      --attribution FILE extra attribution rows (docs/ATTRIBUTION.md)\n"
	"      --max-body BYTES   cap on an inflated body (default 16777216)\n"
	MML_CLI_LABEL_USAGE
	"  -h, --help             this help\n"
	"\n"
	"Exit status: 0 ok, 1 usage, 2 unreadable input or model, 3 input had errors.\n";

int mml_cli_policy_load(const char *cmd, const char *model, mml_policy *pol, FILE *err)
{
	mml_cli_diag d = {.err = err, .prefix = "policy: "};
	mml_policy_init(pol);
	if (mml_policy_load(pol, model, mml_cli_diag_fn, &d) == MML_OK)
		return 0;
	mml_cli_diag_done(&d);
	fprintf(err, "%s: %s: cannot load the policy model\n", cmd, model);
	mml_policy_free(pol);
	return -1;
}

int mml_cmd_audit(int argc, char **argv, FILE *err)
{
	static const struct option lo[] = {
		{"policy", required_argument, 0, 'p'},      {"keylog", required_argument, 0, 'k'},
		{"output", required_argument, 0, 'o'},      {"catalog", required_argument, 0, 'C'},
		{"max-body", required_argument, 0, 'M'},    {"attribution", required_argument, 0, 'A'},
		{"help", no_argument, 0, 'h'},              MML_CLI_LABEL_OPTIONS,
		{0, 0, 0, 0},
	};
	const char *cats[33], *attrib_file = NULL, *outpath = "-", *model = NULL;
	size_t ncat = 0;
	mml_cli_input in;
	memset(&in, 0, sizeof in);
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "p:k:o:h", lo, NULL)) != -1) {
		int shared = mml_cli_opt_input("mmlens audit", c, optarg, &in, cats, &ncat, err);
		if (shared < 0)
			return MML_EXIT_USAGE;
		if (shared)
			continue;
		switch (c) {
		case 'p': model = optarg; break;
		case 'o': outpath = optarg; break;
		case 'A': attrib_file = optarg; break;
		case 'h': fputs(audit_usage, stdout); return MML_EXIT_OK;
		default:
			fprintf(err, "mmlens audit: unknown or incomplete option '%s'\n%s", argv[optind - 1], audit_usage);
			return MML_EXIT_USAGE;
		}
	}
	cats[ncat] = NULL;
	in.cats = cats;
	if (!model || optind != argc - 1) {
		fprintf(err, "mmlens audit: expected --policy MODEL and one INPUT\n%s", audit_usage);
		return MML_EXIT_USAGE;
	}
	mml_policy pol;
	if (mml_cli_policy_load("mmlens audit", model, &pol, err))
		return MML_EXIT_INPUT;
	mml_detect *det;
	mml_attrib attrib;
	int rc = mml_cli_flows_setup("mmlens audit", attrib_file, &det, &attrib, err);
	if (rc) {
		mml_policy_free(&pol);
		return rc;
	}
	mml_flows f;
	mml_flows_init(&f);
	uint64_t sess = 0;
	mml_labels labels;
	rc = mml_cli_flows_of("mmlens audit", &in, argv[optind], det, &attrib, &f, &sess, &labels, err);
	if ((rc == MML_EXIT_OK || rc == MML_EXIT_ERRORS) && !sess && (in.nlabel_args || in.manifest))
		fprintf(err, "mmlens audit: labels are used for one session only (INPUT@N or INPUT@NAME); "
		             "auditing all sessions, conditions are not judged\n");
	const mml_label *lb = sess ? mml_labels_find(&labels, sess) : NULL;
	if (rc == MML_EXIT_OK || rc == MML_EXIT_ERRORS) {
		FILE *out = mml_out_open(outpath);
		uint64_t counts[MML_VERDICT__COUNT] = {0};
		if (!out) {
			fprintf(err, "mmlens: %s: cannot create output: %m\n", outpath);
			rc = MML_EXIT_INPUT;
		} else {
			if (write_flows(out, &pol, &f, lb, counts)) {
				fprintf(err, "mmlens: out of memory\n");
				rc = MML_EXIT_INPUT;
			}
			fputs("{\"kind\":\"audit_summary\",\"policy\":", out);
			mml_json_cstr(out, pol.name);
			fprintf(out, ",\"session\":%llu,\"label\":", (unsigned long long)sess);
			mml_cli_label_json(out, lb);
			uint64_t total = 0;
			for (int v = 0; v < MML_VERDICT__COUNT; v++)
				total += counts[v];
			fprintf(out, ",\"flows\":%llu", (unsigned long long)total);
			for (int v = 0; v < MML_VERDICT__COUNT; v++)
				fprintf(out, ",\"%s\":%llu", mml_verdict_name((mml_verdict)v), (unsigned long long)counts[v]);
			fputs("}\n", out);
			if (mml_out_close(out) != MML_OK) {
				fprintf(err, "mmlens: %s: write error\n", outpath);
				rc = MML_EXIT_INPUT;
			}
		}
	}
	mml_labels_free(&labels);
	mml_flows_free(&f);
	mml_detect_free(det);
	mml_attrib_free(&attrib);
	mml_policy_free(&pol);
	return rc;
}
