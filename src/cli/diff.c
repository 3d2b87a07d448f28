/*
 * diff.c - `mmlens diff A B` (or `mmlens diff FILE... @X @Y`): the
 * personal data one side sent that the other did not, at three levels:
 * category, (category, API) and (category, party), each with who
 * received it, how much reached Mini Program endpoints, and the caveats
 * (docs/SCHEMA.md, "`mmlens diff` output"; the analysis:
 * src/analyze/compare.c).
 *
 * Contract: each input is read once, on one pipeline (session splitting
 * needs input order), through the collection of src/analyze/collect.c;
 * memory is bounded by the largest body plus the distinct flow keys of
 * the two sides. Comparing sessions, not files, makes the answer the
 * same for a cumulative log and for one cut into pieces: when one input
 * is a byte prefix of the other, the longer one's own part is compared.
 * A side none of whose messages could be opened is refused (exit 3)
 * unless --force: its differences would all be artifacts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "input.h"
#include "opts.h"
#include "mmlens/report.h"

/* ---- the comparison ---- */

typedef struct diff_out {
	FILE *out;
	const mml_side *a, *b;
} diff_out;

static void write_diff(void *ctx, const mml_difference *d)
{
	diff_out *o = ctx;
	mml_difference_json(o->out, d, o->a, o->b);
}

static const char diff_usage[] =
	"usage: mmlens diff [options] A B\n"
	"       mmlens diff [options] FILE... @X @Y\n"
	"\n"
	"Compare the personal data sent in A and in B and write one JSON object per\n"
	"difference: a category only one side sent, or, for a category both sent,\n"
	"an API or a receiving party only one side used; each with who received it,\n"
	"how much reached Mini Program endpoints, the messages and field paths as\n"
	"evidence, and a caveat when the sides were recorded days apart or by\n"
	"different app versions; then a summary. A and B are inputs (a capture with\n"
	"--keylog, or a plaintext log); INPUT@N is session N of the input, numbered\n"
	"as 'mmlens sessions' numbers them; INPUT@NAME the session labelled with\n"
	"scenario NAME (--label, --manifest). When one input is a prefix of the\n"
	"other (a cumulative log), the longer one's own part is compared. With\n"
	"several FILEs and two selectors @X @Y, the files are one set (a cumulative\n"
	"series: each file's own part is a session named after the file) and X, Y\n"
	"name two of its sessions.\n"
	"\n"
	"  -k, --keylog FILE      instrumentation key log (captures; both sides); repeatable\n"
	"      --keylog-a FILE    a key log for A only; repeatable\n"
	"      --keylog-b FILE    a key log for B only; repeatable\n"
	"      --series           the FILEs must be a cumulative series (else refused)\n"
	"      --force            compare even a side none of whose messages could be opened\n"
	MML_USAGE_OUTPUT
	MML_USAGE_CATALOG
	MML_USAGE_ATTRIBUTION
	MML_USAGE_MAX_BODY
	MML_USAGE_LABELS
	MML_USAGE_HELP
	"\n"
	"Exit status: 0 ok, 1 usage, 2 unreadable input, 3 input had errors, or a side\n"
	"could not be decrypted (without --force).\n";

/* ---- collecting the two sides ---- */

typedef struct side_hook {
	mml_side *side[2];
	uint64_t want[2];          /* the session of each side; 0: every session */
	const mml_labels *labels;
	bool nomem;
} side_hook;

static void on_side_counts(void *ctx, const mml_session *s, const mml_sess_counts *c)
{
	side_hook *h = ctx;
	for (int k = 0; k < 2; k++) {
		mml_side *x = h->side[k];
		if (!x || (h->want[k] && h->want[k] != s->index))
			continue;
		x->counts.messages += c->messages;
		x->counts.decrypted += c->decrypted;
		x->counts.unreadable += c->unreadable;
		x->counts.empty += c->empty;
		x->counts.opaque += c->opaque;
		x->counts.unknown_api += c->unknown_api;
	}
}

static void on_side_session(void *ctx, const mml_session *s, const mml_flows *flows)
{
	side_hook *h = ctx;
	for (int k = 0; k < 2; k++) {
		if (!h->side[k] || (h->want[k] && h->want[k] != s->index))
			continue;
		mml_side_session(h->side[k], s, mml_labels_find(h->labels, s->index));
		if (mml_flows_merge(&h->side[k]->flows, flows) != MML_OK)
			h->nomem = true;
	}
}

/* Collect target t into side x (and, with y, the second selected session of the same set into y). */
static int collect_side(const mml_cli_target *t, const mml_cli_input *in, const mml_detect *det,
                        const mml_attrib *attrib, mml_side *x, uint64_t wx, mml_side *y, uint64_t wy, FILE *err)
{
	side_hook h = {.side = {x, y}, .want = {wx, wy}, .labels = &t->labels};
	mml_collect_hook hook = {.session = on_side_session, .session_counts = on_side_counts, .ctx = &h};
	mml_cli_collected res;
	mml_cli_target tt = *t;
	tt.session = 0;
	int rc = mml_cli_target_collect("mmlens diff", &tt, in, det, attrib, NULL, &res, &hook, err);
	for (int k = 0; k < 2; k++)
		if (rc != MML_EXIT_INPUT && h.side[k] && h.want[k] > res.nsessions) {
			fprintf(err, "mmlens diff: %s has %llu session(s), no session %llu\n", t->set.files[t->set.nfiles - 1],
			        (unsigned long long)res.nsessions, (unsigned long long)h.want[k]);
			rc = MML_EXIT_USAGE;
		}
	if (h.nomem) {
		fprintf(err, "mmlens diff: out of memory\n");
		rc = MML_EXIT_INPUT;
	}
	return rc;
}

/* A side none of whose messages could be opened would make every difference an artifact. */
static int side_check(const mml_side *s, const char *input, bool force, FILE *err)
{
	const mml_scan_counts *c = &s->counts;
	if (!c->messages)
		return MML_EXIT_OK;
	uint64_t bad = c->unreadable;
	if (bad && !c->decrypted) {
		fprintf(err, "mmlens diff: side %s (%s): none of its %llu encrypted message(s) could be decrypted (no key "
		        "log, or a key log of another capture): every difference would be an artifact; give its key log "
		        "(--keylog-%c FILE)%s\n", s->name, input, (unsigned long long)c->unreadable, s->name[0] == 'A' ? 'a' : 'b',
		        force ? "; compared anyway (--force)" : ", or --force to compare anyway");
		return force ? MML_EXIT_OK : MML_EXIT_ERRORS;
	}
	if (bad)
		fprintf(err, "mmlens diff: warning: side %s (%s): %llu of %llu message(s) could not be decrypted: what they "
		        "carried is missing from the comparison\n", s->name, input, (unsigned long long)bad,
		        (unsigned long long)c->messages);
	return MML_EXIT_OK;
}

typedef struct diff_opts {
	mml_cli_input in, in_a, in_b;
	const char *outpath, *attrib_file;
	bool series, force;
	const char *files[MML_CLI_MAX_FILES], *sel[2];
	size_t nfiles, nsel;
} diff_opts;

static int add_keylog(void *dst, const char *arg, const char *cmd, FILE *err)
{
	return mml_opt_keylog_to(dst, arg, cmd, true, err);
}

static int diff_parse(int argc, char **argv, diff_opts *o, FILE *err)
{
	const char *outpath = NULL;
	const mml_opt opts[] = {
		MML_OPT_INPUT(&o->in),
		MML_OPT_OUTPUT(&outpath),
		MML_OPT_ATTRIBUTION(&o->attrib_file),
		MML_OPT_HELP,
		{"keylog-a", 0, MML_OPTK_CALL, true, &o->in_a, add_keylog, NULL},
		{"keylog-b", 0, MML_OPTK_CALL, true, &o->in_b, add_keylog, NULL},
		MML_OPT_SERIES(&o->series),
		{"force", 0, MML_OPTK_FLAG, false, &o->force, NULL, NULL},
		MML_OPT_LABELS(&o->in),
	};
	int p = mml_opts_parse("mmlens diff", diff_usage, opts, sizeof opts / sizeof opts[0], argc, argv, err);
	if (p)
		return p > 0 ? -1 : MML_EXIT_USAGE;
	o->outpath = outpath ? outpath : "-";
	for (int i = optind; i < argc; i++) {
		if (argv[i][0] == '@' && argv[i][1]) {
			if (o->nsel == 2) {
				fprintf(err, "mmlens diff: more than two selectors\n%s", diff_usage);
				return MML_EXIT_USAGE;
			}
			o->sel[o->nsel++] = argv[i];
		} else if (o->nfiles < MML_CLI_MAX_FILES) {
			o->files[o->nfiles++] = argv[i];
		}
	}
	if (!(o->nsel == 0 && o->nfiles == 2) && !(o->nsel == 2 && o->nfiles >= 1)) {
		fprintf(err, "mmlens diff: expected two inputs A and B, or input files and two selectors @X @Y\n%s",
		        diff_usage);
		return MML_EXIT_USAGE;
	}
	/* each side's key logs: the shared ones, then its own */
	for (int s = 0; s < 2; s++) {
		mml_cli_input *x = s ? &o->in_b : &o->in_a;
		mml_cli_input own = *x;
		*x = o->in;
		for (size_t i = 0; i < own.nkeylogs; i++)
			if (add_keylog(x, own.keylogs[i], "mmlens diff", err))
				return MML_EXIT_USAGE;
	}
	return MML_EXIT_OK;
}

/* Two whole inputs of which one is a byte prefix of the other: the longer
 * one's side becomes its own part (session 2 of the pair as a series). */
static int prefix_sides(diff_opts *o, mml_cli_target *ta, mml_cli_target *tb, FILE *err)
{
	if (ta->session || tb->session || ta->set.series || tb->set.series)
		return MML_EXIT_OK;
	const char *pair[2] = {ta->set.files[0], tb->set.files[0]};
	if (ta->set.capture != tb->set.capture)
		return MML_EXIT_OK; /* a capture and a log cannot be one another's prefix */
	mml_cli_set s;
	int rc = mml_cli_set_open("mmlens diff", pair, 2, false, o->in.redact, &s, err);
	if (rc || !s.series) {
		if (!rc)
			mml_cli_set_free(&s);
		return rc;
	}
	if (s.nparts == 1) {
		fprintf(err, "mmlens diff: %s and %s hold the same bytes: there is nothing to compare\n", pair[0], pair[1]);
		mml_cli_set_free(&s);
		return o->force ? MML_EXIT_OK : MML_EXIT_USAGE;
	}
	bool a_longer = s.files[1] == pair[0];
	mml_cli_target *t = a_longer ? ta : tb;
	fprintf(err, "mmlens diff: warning: %s is a prefix of %s (a cumulative %s): comparing %s's own part (%s %llu "
	        "on) with all of %s, which may itself hold earlier scenarios (give them with @X @Y and the other "
	        "files, or pick a session with INPUT@N)\n", s.files[0], s.files[1], s.capture ? "capture" : "log",
	        s.files[1], s.capture ? "messages after" : "line", (unsigned long long)s.part[1].first, s.files[0]);
	mml_cli_set_free(&t->set);
	t->set = s;
	t->session = 2;
	if (mml_cli_set_labels(&t->set, &t->labels) != MML_OK || mml_labels_finish(&t->labels) != MML_OK)
		return MML_EXIT_INPUT;
	return MML_EXIT_OK;
}

int mml_cmd_diff(int argc, char **argv, FILE *err)
{
	diff_opts o;
	memset(&o, 0, sizeof o);
	int rc = diff_parse(argc, argv, &o, err);
	if (rc < 0)
		return MML_EXIT_OK;
	if (rc)
		return rc;
	mml_detect *det;
	mml_attrib attrib;
	if ((rc = mml_cli_flows_setup("mmlens diff", o.attrib_file, &det, &attrib, err)))
		return rc;
	mml_side a, b;
	mml_side_init(&a, "A");
	mml_side_init(&b, "B");
	mml_cli_target ta, tb;
	memset(&ta, 0, sizeof ta);
	memset(&tb, 0, sizeof tb);
	mml_labels_init(&ta.labels);
	mml_labels_init(&tb.labels);
	const char *name_a, *name_b;
	if (o.nsel == 2) {
		if (o.in_a.nkeylogs != o.in.nkeylogs || o.in_b.nkeylogs != o.in.nkeylogs) {
			fprintf(err, "mmlens diff: --keylog-a/--keylog-b are for two inputs A B; with selectors use -k\n");
			rc = MML_EXIT_USAGE;
			goto done;
		}
		rc = mml_cli_target_open("mmlens diff", &o.in, o.files, o.nfiles, o.series, &ta, err);
		uint64_t wa = 0, wb = 0;
		if (!rc && !(rc = mml_cli_target_pick("mmlens diff", &ta, o.sel[0] + 1, err))) {
			wa = ta.session;
			if (!(rc = mml_cli_target_pick("mmlens diff", &ta, o.sel[1] + 1, err)))
				wb = ta.session;
		}
		if (!rc && wa == wb)
			fprintf(err, "mmlens diff: warning: %s and %s are the same session (%llu): there can be no difference\n",
			        o.sel[0], o.sel[1], (unsigned long long)wa);
		if (!rc)
			rc = collect_side(&ta, &o.in, det, &attrib, &a, wa, &b, wb, err);
		name_a = o.sel[0];
		name_b = o.sel[1];
	} else {
		rc = mml_cli_target_open("mmlens diff", &o.in_a, &o.files[0], 1, false, &ta, err);
		if (!rc)
			rc = mml_cli_target_open("mmlens diff", &o.in_b, &o.files[1], 1, false, &tb, err);
		if (!rc)
			rc = prefix_sides(&o, &ta, &tb, err);
		/* sides that are not a prefix pair: count the messages they share */
		mml_overlap *ov = !rc && !ta.set.series && !tb.set.series ? mml_overlap_new() : NULL;
		o.in_a.ov = o.in_b.ov = ov;
		o.in_a.ov_index = 0;
		o.in_b.ov_index = 1;
		if (!rc)
			rc = collect_side(&ta, &o.in_a, det, &attrib, &a, ta.session, NULL, 0, err);
		if (rc == MML_EXIT_OK || rc == MML_EXIT_ERRORS)
			rc = mml_cli_exit_worst(rc, collect_side(&tb, &o.in_b, det, &attrib, &b, tb.session, NULL, 0, err));
		name_a = o.files[0];
		name_b = o.files[1];
		if (ov && (rc == MML_EXIT_OK || rc == MML_EXIT_ERRORS) && (strcmp(ta.set.files[0], tb.set.files[0]))) {
			const char *names[2] = {name_a, name_b};
			mml_cli_overlap_report("mmlens diff", ov, names, 2, err);
		}
		mml_overlap_free(ov);
	}
	if (rc == MML_EXIT_OK || rc == MML_EXIT_ERRORS) {
		int ca = side_check(&a, name_a, o.force, err), cb = side_check(&b, name_b, o.force, err);
		if (ca || cb) {
			rc = MML_EXIT_ERRORS;
			goto done;
		}
		FILE *out = mml_out_open(o.outpath);
		if (!out) {
			fprintf(err, "mmlens: %s: cannot create output: %m\n", o.outpath);
			rc = MML_EXIT_INPUT;
			goto done;
		}
		diff_out d = {out, &a, &b};
		mml_comparison cmp;
		if (mml_compare(&a, &b, write_diff, &d, &cmp) != MML_OK) {
			fprintf(err, "mmlens: out of memory\n");
			rc = MML_EXIT_INPUT;
		}
		mml_diff_summary_json(out, &a, o.in.redact ? "A" : name_a, &b, o.in.redact ? "B" : name_b, &cmp);
		if (mml_out_close(out) != MML_OK) {
			fprintf(err, "mmlens: %s: write error\n", o.outpath);
			rc = MML_EXIT_INPUT;
		}
	}
done:
	mml_cli_target_free(&ta);
	mml_cli_target_free(&tb);
	mml_side_free(&a);
	mml_side_free(&b);
	mml_detect_free(det);
	mml_attrib_free(&attrib);
	return rc;
}
