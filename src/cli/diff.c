/*
 * diff.c - `mmlens diff A B`: the personal data one session (or input)
 * sent that the other did not, at three levels: category, (category,
 * API) and (category, party) (docs/SCHEMA.md, "`mmlens diff` output").
 * Also the flow collection shared with `mmlens audit` (src/cli/input.h):
 * decode + detect + attribute + split into sessions + collect.
 *
 * Contract: each input is read once, on one pipeline (session splitting
 * needs input order). Memory is bounded by the largest body plus the
 * distinct (category, api, party, feature) keys x the evidence cap of
 * the selected sessions - not by the number of messages. A session's
 * flows are collected per message id range: findings of messages the
 * splitter holds tentatively (after a time jump it has not confirmed
 * yet) are kept apart until it decides, so sessions split by a confirmed
 * jump get exactly their own messages. Comparing sessions, not files,
 * makes the answer the same for a cumulative log and for one cut into
 * pieces.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "input.h"
#include "mmlens/report.h"

/* ---- flow collection ---- */

typedef struct coll_shared {
	const mml_detect *det;
	const mml_attrib *attrib;
	uint64_t want;        /* session wanted, 0 = all */
	mml_flows *out;
	uint64_t nsessions;
	bool nomem;
	const mml_cli_coll_hook *hook; /* NULL: none */
} coll_shared;

typedef struct coll_state {
	coll_shared *sh;
	mml_dtree tree;
	mml_detect_scratch *scr;
	mml_sessions split;
	mml_flows cur, pend, msg; /* open session, tentative session, current message */
	uint64_t pend_first;      /* first message of the tentative session, 0 none */
	const mml_msg *m;
	bool attributed;
	mml_party party;
	mml_feature feature;
	bool has_ts;              /* the current message's time */
	uint64_t nfind;           /* its findings */
	int64_t ts;
	mml_attrib_memo memo;     /* attribution of recent (api, host) pairs */
} coll_state;

static void coll_nomem(coll_state *st, mml_err e)
{
	if (e != MML_OK)
		st->sh->nomem = true;
}

static void coll_session(void *ctx, const mml_session *s)
{
	coll_state *st = ctx;
	if (st->pend_first && st->pend_first <= s->last) {
		coll_nomem(st, mml_flows_take(&st->cur, &st->pend));
		st->pend_first = 0;
	}
	st->sh->nsessions = s->index;
	/* Times from before the session's clock was trusted are noise: keep
	 * every flow's times inside the session's span. */
	for (size_t i = 0; i < st->cur.n; i++) {
		mml_flow_rec *r = &st->cur.rec[i];
		if (!r->has_ts || !s->has_ts)
			continue;
		r->first_ts = r->first_ts < s->start_ts ? s->start_ts : r->first_ts > s->end_ts ? s->end_ts : r->first_ts;
		r->last_ts = r->last_ts > s->end_ts ? s->end_ts : r->last_ts < s->start_ts ? s->start_ts : r->last_ts;
	}
	if (st->sh->hook && st->sh->hook->session)
		st->sh->hook->session(st->sh->hook->ctx, s, &st->cur);
	if (!st->sh->want || st->sh->want == s->index)
		coll_nomem(st, mml_flows_merge(st->sh->out, &st->cur));
	mml_flows_clear(&st->cur);
	if (st->pend_first) { /* the tentative session is now the open one */
		coll_nomem(st, mml_flows_take(&st->cur, &st->pend));
		st->pend_first = 0;
	}
}

static void coll_finding(void *ctx, const mml_finding *f)
{
	coll_state *st = ctx;
	coll_nomem(st, mml_flows_add(&st->msg, f->category, st->m->api, st->attributed, st->party, st->feature,
	                             st->m->id, st->has_ts, st->ts, f->path, f->detector));
	st->nfind++;
	const mml_cli_coll_hook *h = st->sh->hook;
	if (h && h->finding) {
		const mml_sess_run *p = &st->split.pend;
		uint64_t sess = p->open && st->m->id >= p->s.first ? 0 : st->split.count + 1;
		mml_cli_coll_finding cf = {.m = st->m, .f = f, .session = sess, .has_ts = st->has_ts, .ts = st->ts,
		                           .attributed = st->attributed, .party = st->party, .feature = st->feature};
		h->finding(h->ctx, &cf);
	}
}

static void *coll_make(void *ctx, FILE **outp)
{
	(void)outp;
	coll_shared *sh = ctx;
	coll_state *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->sh = sh;
	mml_dtree_init(&st->tree, NULL);
	if (!(st->scr = mml_detect_scratch_new(sh->det))) {
		mml_dtree_free(&st->tree);
		free(st);
		return NULL;
	}
	mml_sessions_init(&st->split, coll_session, st);
	mml_flows_init(&st->cur);
	mml_flows_init(&st->pend);
	mml_flows_init(&st->msg);
	return st;
}

static void coll_msg(void *state, const mml_msg *m)
{
	coll_state *st = state;
	const mml_dtree *tree = NULL;
	mml_flows_clear(&st->msg);
	st->nfind = 0;
	st->party = MML_PARTY_WECHAT;
	st->feature = MML_FEAT_ANY;
	st->attributed = mml_attrib_lookup_memo(st->sh->attrib, &st->memo, m->api, m->host, &st->party, &st->feature);
	if (mml_cli_readable(m)) {
		if (mml_cli_decode_msg(&st->tree, m) == MML_OK)
			tree = &st->tree;
		else
			st->sh->nomem = true;
	}
	/* The splitter first (it may close the sessions before this message),
	 * then the message's time as its session sees it (capture time, else
	 * a payload time that agreed with the session's clock, else the clock),
	 * then its findings with that time. */
	mml_sessions_feed(&st->split, m, m->outer && m->outer->ts_us ? NULL : tree);
	if (m->outer && m->outer->ts_us) {
		st->has_ts = true;
		st->ts = (int64_t)(m->outer->ts_us / 1000000);
	} else {
		st->has_ts = st->split.msg_has_ts;
		st->ts = st->split.msg_ts;
	}
	if (tree) {
		st->m = m;
		mml_detect_msg dm = {.req_type = m->req_type, .api = m->api, .request = mml_cli_request(m)};
		mml_detect_run(st->sh->det, st->scr, tree, &dm, coll_finding, st);
		st->m = NULL;
	}
	const mml_cli_coll_hook *h = st->sh->hook;
	if (h && h->message) {
		mml_cli_coll_msg cm = {.m = m, .tree = tree, .findings = st->nfind, .has_ts = st->has_ts, .ts = st->ts,
		                       .attributed = st->attributed, .party = st->party, .feature = st->feature};
		h->message(h->ctx, &cm);
	}
	const mml_sess_run *p = &st->split.pend;
	if (st->pend_first && (!p->open || p->s.first != st->pend_first)) { /* the jump was an outlier */
		coll_nomem(st, mml_flows_take(&st->cur, &st->pend));
		st->pend_first = 0;
	}
	if (p->open && m->id >= p->s.first) {
		if (!st->pend_first)
			st->pend_first = p->s.first;
		coll_nomem(st, mml_flows_take(&st->pend, &st->msg));
	} else {
		coll_nomem(st, mml_flows_take(&st->cur, &st->msg));
	}
}

static void coll_done(void *ctx, void *state)
{
	(void)ctx;
	coll_state *st = state;
	mml_sessions_finish(&st->split);
	mml_sessions_free(&st->split);
	mml_flows_free(&st->cur);
	mml_flows_free(&st->pend);
	mml_flows_free(&st->msg);
	mml_detect_scratch_free(st->scr);
	mml_dtree_free(&st->tree);
	free(st);
}

static void coll_finish(void *ctx, FILE *out)
{
	(void)ctx;
	(void)out;
}

int mml_cli_collect_flows(const mml_cli_input *in, const mml_detect *det, const mml_attrib *attrib,
                          uint64_t session, mml_flows *out, uint64_t *nsessions, FILE *err)
{
	return mml_cli_collect_hooked(in, det, attrib, session, out, nsessions, NULL, err);
}

int mml_cli_collect_hooked(const mml_cli_input *in, const mml_detect *det, const mml_attrib *attrib,
                           uint64_t session, mml_flows *out, uint64_t *nsessions, const mml_cli_coll_hook *hook,
                           FILE *err)
{
	coll_shared sh = {.det = det, .attrib = attrib, .want = session, .out = out, .hook = hook};
	mml_msg_sink sink = {coll_make, coll_msg, coll_done, coll_finish, &sh};
	mml_cli_input one = *in;
	one.out = NULL;
	one.stats_json = NULL;
	one.jobs = 1;
	one.quiet = 1;
	int rc = mml_cli_run_input(&one, &sink, err);
	*nsessions = sh.nsessions;
	if (sh.nomem) {
		fprintf(err, "mmlens: out of memory while collecting flows; results are incomplete\n");
		rc = MML_EXIT_INPUT;
	}
	return rc;
}

int mml_cli_input_spec(const char *cmd, const char *arg, char **path, uint64_t *session, char **name, FILE *err)
{
	*session = 0;
	*path = NULL;
	if (name)
		*name = NULL;
	const char *at = strrchr(arg, '@');
	struct stat sb;
	if (at && at[1] && strcmp(arg, "-") && stat(arg, &sb) != 0) {
		char *end;
		errno = 0;
		bool digits = at[1] >= '0' && at[1] <= '9';
		unsigned long long n = digits ? strtoull(at + 1, &end, 10) : 0;
		if (digits && !*end && !errno && n) {
			*session = n;
		} else if (name && !digits) {
			if (!(*name = strdup(at + 1))) {
				fprintf(err, "%s: out of memory\n", cmd);
				return -1;
			}
		} else {
			fprintf(err, "%s: '%s': a session is @N with N from 1%s\n", cmd, arg,
			        name ? ", or @NAME with NAME a labelled scenario" : "");
			return -1;
		}
		*path = strndup(arg, (size_t)(at - arg));
	} else {
		*path = strdup(arg);
	}
	if (!*path) {
		if (name) {
			free(*name);
			*name = NULL;
		}
		fprintf(err, "%s: out of memory\n", cmd);
		return -1;
	}
	return 0;
}

/* ---- the comparison (src/analyze/diff.c) ---- */

typedef struct diff_out {
	FILE *out;
	uint64_t n;
} diff_out;

static void write_diff(void *ctx, const mml_diff_item *d)
{
	diff_out *o = ctx;
	FILE *out = o->out;
	fprintf(out, "{\"kind\":\"difference\",\"only_in\":\"%c\",\"level\":\"%s\",\"category\":", d->only_in,
	        mml_diff_level_name(d->level));
	mml_json_cstr(out, d->category);
	fputs(",\"api\":", out);
	mml_json_cstr(out, d->api);
	fputs(",\"party\":", out);
	mml_json_cstr(out, d->has_party ? mml_party_name(d->party) : NULL);
	fprintf(out, ",\"count\":%llu,\"evidence\":[", (unsigned long long)d->count);
	for (size_t j = 0; j < d->nev; j++) {
		fprintf(out, "%s{\"msg\":%llu,\"path\":", j ? "," : "", (unsigned long long)d->ev[j].msg);
		mml_json_cstr(out, d->ev[j].path);
		fputc('}', out);
	}
	fprintf(out, "],\"evidence_count\":%llu}\n", (unsigned long long)d->count);
	o->n++;
}

static const char diff_usage[] =
	"usage: mmlens diff [options] A B\n"
	"\n"
	"Compare the personal data sent in A and in B and write one JSON object per\n"
	"difference: a category only one side sent, or, for a category both sent,\n"
	"an API or a receiving party only one side used, with the messages and field\n"
	"paths as evidence. A and B are inputs (a capture with --keylog, or a\n"
	"plaintext log); INPUT@N is session N of the input, numbered as\n"
	"'mmlens sessions' numbers them; INPUT@NAME is the session labelled with\n"
	"scenario NAME (--label, --manifest); without @ all of the input's sessions.\n"
	"\n"
	"  -k, --keylog FILE      instrumentation key log (captures; both inputs)\n"
	"  -o, --output FILE      write here (mode 0600) instead of stdout\n"
	"      --catalog FILE     extra request-type catalog (id<TAB>api); repeatable\n"
	"      --attribution FILE extra attribution rows (docs/ATTRIBUTION.md)\n"
	"      --max-body BYTES   cap on an inflated body (default 16777216)\n"
	MML_CLI_LABEL_USAGE
	"  -h, --help             this help\n"
	"\n"
	"Exit status: 0 ok, 1 usage, 2 unreadable input, 3 input had errors.\n";

int mml_cli_exit_worst(int a, int b)
{
	static const int rank[] = {0, 3, 2, 1}; /* usage, then unreadable, then errors, then ok */
	return rank[a & 3] >= rank[b & 3] ? a : b;
}

int mml_cli_flows_setup(const char *cmd, const char *attrib_file, mml_detect **det, mml_attrib *attrib, FILE *err)
{
	mml_attrib_init(attrib);
	mml_cli_diag d = {.err = err};
	if (mml_attrib_load_builtin(attrib) != MML_OK) {
		fprintf(err, "%s: out of memory\n", cmd);
		return MML_EXIT_INPUT;
	}
	if (attrib_file && mml_attrib_load(attrib, attrib_file, mml_cli_diag_fn, &d) != MML_OK) {
		fprintf(err, "%s: %s: cannot read attribution rows\n", cmd, attrib_file);
		mml_attrib_free(attrib);
		return MML_EXIT_INPUT;
	}
	mml_detect_cfg *cfg = mml_detect_cfg_new();
	char ebuf[256] = "";
	*det = cfg ? mml_detect_new(cfg, ebuf, sizeof ebuf) : NULL;
	mml_detect_cfg_free(cfg);
	if (!*det) {
		fprintf(err, "%s: cannot build the detectors: %s\n", cmd, ebuf);
		mml_attrib_free(attrib);
		return MML_EXIT_INPUT;
	}
	return MML_EXIT_OK;
}

int mml_cli_flows_of(const char *cmd, const mml_cli_input *base, const char *spec, const mml_detect *det,
                     const mml_attrib *attrib, mml_flows *out, uint64_t *session, mml_labels *labels, FILE *err)
{
	mml_labels own;
	mml_labels *lb = labels ? labels : &own;
	mml_labels_init(lb);
	if (session)
		*session = 0;
	char *path, *name;
	uint64_t want, nsess = 0;
	if (mml_cli_input_spec(cmd, spec, &path, &want, &name, err))
		return MML_EXIT_USAGE;
	int rc = labels || name ? mml_cli_labels(cmd, base, path, lb, err) : MML_EXIT_OK;
	if (!rc && name) { /* a labelled scenario */
		want = mml_labels_by_scenario(lb, name);
		if (want == UINT64_MAX) {
			fprintf(err, "%s: %s: more than one session is labelled with scenario \"%s\"; use @N\n", cmd, path,
			        name);
			rc = MML_EXIT_USAGE;
		} else if (!want) {
			fprintf(err, "%s: %s: no session is labelled with scenario \"%s\" (--label N:scenario=%s or --manifest)\n",
			        cmd, path, name, name);
			rc = MML_EXIT_USAGE;
		}
	}
	free(name);
	if (!labels)
		mml_labels_free(&own);
	if (rc) {
		free(path);
		return rc;
	}
	if (session)
		*session = want;
	mml_cli_input in = *base;
	in.input = path;
	rc = mml_cli_collect_flows(&in, det, attrib, want, out, &nsess, err);
	if (rc != MML_EXIT_INPUT && want > nsess) {
		fprintf(err, "%s: %s has %llu session(s), no session %llu\n", cmd, path, (unsigned long long)nsess,
		        (unsigned long long)want);
		rc = MML_EXIT_USAGE;
	}
	free(path);
	return rc;
}

int mml_cmd_diff(int argc, char **argv, FILE *err)
{
	static const struct option lo[] = {
		{"keylog", required_argument, 0, 'k'},      {"output", required_argument, 0, 'o'},
		{"catalog", required_argument, 0, 'C'},     {"max-body", required_argument, 0, 'M'},
		{"attribution", required_argument, 0, 'A'}, {"help", no_argument, 0, 'h'},
		MML_CLI_LABEL_OPTIONS,                      {0, 0, 0, 0},
	};
	const char *cats[33], *attrib_file = NULL, *outpath = "-";
	size_t ncat = 0;
	mml_cli_input in;
	memset(&in, 0, sizeof in);
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "k:o:h", lo, NULL)) != -1) {
		int shared = mml_cli_opt_input("mmlens diff", c, optarg, &in, cats, &ncat, err);
		if (shared < 0)
			return MML_EXIT_USAGE;
		if (shared)
			continue;
		switch (c) {
		case 'o': outpath = optarg; break;
		case 'A': attrib_file = optarg; break;
		case 'h': fputs(diff_usage, stdout); return MML_EXIT_OK;
		default:
			fprintf(err, "mmlens diff: unknown or incomplete option '%s'\n%s", argv[optind - 1], diff_usage);
			return MML_EXIT_USAGE;
		}
	}
	cats[ncat] = NULL;
	in.cats = cats;
	if (optind != argc - 2) {
		fprintf(err, "mmlens diff: expected two inputs, A and B\n%s", diff_usage);
		return MML_EXIT_USAGE;
	}
	mml_detect *det;
	mml_attrib attrib;
	int rc = mml_cli_flows_setup("mmlens diff", attrib_file, &det, &attrib, err);
	if (rc)
		return rc;
	mml_flows fa, fb;
	mml_flows_init(&fa);
	mml_flows_init(&fb);
	int ra = mml_cli_flows_of("mmlens diff", &in, argv[optind], det, &attrib, &fa, NULL, NULL, err);
	int rb = ra == MML_EXIT_OK || ra == MML_EXIT_ERRORS
	                 ? mml_cli_flows_of("mmlens diff", &in, argv[optind + 1], det, &attrib, &fb, NULL, NULL, err)
	                 : ra;
	rc = mml_cli_exit_worst(ra, rb);
	if (rc == MML_EXIT_OK || rc == MML_EXIT_ERRORS) {
		FILE *out = mml_out_open(outpath);
		if (!out) {
			fprintf(err, "mmlens: %s: cannot create output: %m\n", outpath);
			rc = MML_EXIT_INPUT;
		} else {
			diff_out o = {out, 0};
			if (mml_flows_diff(&fa, &fb, write_diff, &o) != MML_OK) {
				fprintf(err, "mmlens: out of memory\n");
				rc = MML_EXIT_INPUT;
			}
			if (mml_out_close(out) != MML_OK) {
				fprintf(err, "mmlens: %s: write error\n", outpath);
				rc = MML_EXIT_INPUT;
			}
		}
	}
	mml_flows_free(&fa);
	mml_flows_free(&fb);
	mml_detect_free(det);
	mml_attrib_free(&attrib);
	return rc;
}
