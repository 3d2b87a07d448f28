/*
 * inputs.c - the inputs of the analysing commands (src/cli/input.h): an
 * input argument (PATH, PATH@N, PATH@NAME), a set of input files and the
 * cumulative series they may form, and the glue that reads them into the
 * flow collection of src/analyze/collect.c. Also the option checks the
 * commands share (a repeated option, the policy models).
 *
 * Contract: a set of files is looked at before it is analysed: files are
 * ordered by size and each compared byte for byte with the next; when
 * every file is a prefix of the next (the published collection's files
 * are: each scenario's log holds all earlier ones), the set is a series
 * and is read as its longest file once, each file's own part one
 * session labelled with the file's name (docs/SCHEMA.md, "Inputs").
 * Otherwise the files are read one after the other, each starting a new
 * session, and messages they share are counted and warned about.
 * Comparing files reads them in fixed 64 KiB blocks (O(1) memory);
 * counting shared messages keeps 16 bytes per distinct body of the
 * inputs (only when there are several).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "input.h"
#include "mmlens/report.h"

/* ---- shared option checks ---- */

int mml_cli_exit_worst(int a, int b)
{
	static const int rank[] = {0, 3, 2, 1}; /* usage, then unreadable, then errors, then ok */
	return rank[a & 3] >= rank[b & 3] ? a : b;
}

int mml_cli_copy_spool(FILE *spool, FILE *out)
{
	char buf[1 << 16];
	size_t n;
	if (fflush(spool) != 0 || fseek(spool, 0, SEEK_SET) != 0)
		return -1;
	while ((n = fread(buf, 1, sizeof buf, spool)) > 0)
		fwrite(buf, 1, n, out);
	return ferror(spool) ? -1 : 0;
}

void mml_cli_policies_free(mml_cli_policies *p)
{
	mml_policy_free(&p->a);
	mml_policy_free(&p->b);
	memset(p, 0, sizeof *p);
}

static int policy_load_one(const char *cmd, const char *model, mml_policy *pol, FILE *err)
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

int mml_cli_policies_load(const char *cmd, const char *model, mml_cli_policies *p, FILE *err)
{
	memset(p, 0, sizeof *p);
	mml_policy_init(&p->a);
	mml_policy_init(&p->b);
	if (!model || !strcmp(model, "auto")) {
		p->name = "auto";
		if (policy_load_one(cmd, "wechat", &p->a, err) || policy_load_one(cmd, "weixin", &p->b, err)) {
			mml_cli_policies_free(p);
			return -1;
		}
		p->set.wechat = &p->a;
		p->set.weixin = &p->b;
		return 0;
	}
	if (policy_load_one(cmd, model, &p->a, err))
		return -1;
	p->name = p->a.name;
	p->set.fixed = &p->a;
	return 0;
}

int mml_cli_flows_setup(const char *cmd, const char *attrib_file, mml_detect **det, mml_attrib *attrib, FILE *err)
{
	mml_attrib_init(attrib);
	mml_cli_diag d = {.err = err};
	if (mml_attrib_load_builtin(attrib) != MML_OK) {
		fprintf(err, "%s: out of memory\n", cmd);
		return MML_EXIT_INPUT;
	}
	mml_err e = attrib_file ? mml_attrib_load(attrib, attrib_file, mml_cli_diag_fn, &d) : MML_OK;
	if (e != MML_OK) {
		fprintf(err, "%s: %s: cannot read attribution rows: %s\n", cmd, attrib_file, mml_err_why(e));
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

/* ---- one input argument ---- */

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

/* ---- a set of files, and the series they may form ---- */

/* Whether a's bytes are the first bytes of b (a no longer than b): 1 yes, 0 no, -1 unreadable. */
static int file_prefix(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int r = fa && fb ? 1 : -1;
	static char ba[1 << 16], bb[1 << 16];
	while (r == 1) {
		size_t na = fread(ba, 1, sizeof ba, fa);
		if (!na) {
			r = ferror(fa) ? -1 : 1;
			break;
		}
		size_t nb = fread(bb, 1, na, fb);
		if (nb != na || memcmp(ba, bb, na))
			r = ferror(fb) ? -1 : 0;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return r;
}

/* Lines of a log (messages are numbered by line); *partial: the last one has no newline. */
static int64_t file_lines(const char *path, bool *partial)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	static char buf[1 << 16];
	int64_t n = 0;
	size_t k;
	char last = '\n';
	while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
		for (size_t i = 0; i < k; i++)
			n += buf[i] == '\n';
		last = buf[k - 1];
	}
	bool bad = ferror(f);
	fclose(f);
	*partial = last != '\n';
	return bad ? -1 : n;
}

/* The time of a capture's last packet (us), 0 when it has none. */
static int64_t capture_last_us(const char *path)
{
	mml_capture cap;
	mml_stats st;
	memset(&st, 0, sizeof st);
	if (mml_capture_open(&cap, path, &st) != MML_OK)
		return -1;
	mml_pkt pkt;
	uint64_t last = 0;
	while (mml_capture_next(&cap, &pkt) == MML_OK)
		if (pkt.ts_us > last)
			last = pkt.ts_us;
	mml_capture_close(&cap);
	return (int64_t)last;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

static int size_cmp(const void *x, const void *y)
{
	const struct {
		const char *p;
		off_t sz;
		size_t i;
	} *a = x, *b = y;
	if (a->sz != b->sz)
		return a->sz < b->sz ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

void mml_cli_set_free(mml_cli_set *s)
{
	for (size_t i = 0; i < s->nparts; i++) {
		free(s->part[i].name);
		for (size_t k = 0; k < s->part[i].naliases; k++)
			free(s->part[i].alias[k]);
	}
	memset(s, 0, sizeof *s);
}

static char *part_name(const char *path, size_t i, bool redact)
{
	char buf[32];
	if (redact) {
		snprintf(buf, sizeof buf, "input %zu", i + 1);
		return strdup(buf);
	}
	return strdup(base_name(path));
}

/* The parts of a series (files sorted, each a prefix of the next). */
static int series_parts(const char *cmd, mml_cli_set *s, bool redact, FILE *err)
{
	for (size_t i = 0; i < s->nfiles; i++) {
		if (i && s->size[i] == s->size[i - 1] && s->nparts) { /* identical to the previous file */
			mml_cli_part *p = &s->part[s->nparts - 1];
			if (p->naliases < 4 && !(p->alias[p->naliases] = part_name(s->files[i], i, redact)))
				return -1;
			if (p->naliases < 4)
				p->naliases++;
			fprintf(err, "%s: note: %s is identical to %s: one part%s\n", cmd, s->files[i], s->files[i - 1],
			        p->naliases == 4 ? " (more identical files than 4: the later names do not select it)" : "");
			continue;
		}
		mml_cli_part *p = &s->part[s->nparts];
		memset(p, 0, sizeof *p);
		p->path = s->files[i];
		p->first = 1;
		if (!(p->name = part_name(s->files[i], i, redact)))
			return -1;
		if (i) {
			const char *prev = s->files[i - 1];
			if (s->capture) {
				int64_t us = capture_last_us(prev);
				if (us < 0) {
					fprintf(err, "%s: %s: cannot read the capture: %m\n", cmd, prev);
					return -1;
				}
				p->after_us = (uint64_t)us;
			} else {
				bool partial;
				int64_t n = file_lines(prev, &partial);
				if (n < 0) {
					fprintf(err, "%s: %s: cannot read: %m\n", cmd, prev);
					return -1;
				}
				p->first = (uint64_t)n + 1;
				if (partial) {
					p->first = (uint64_t)n + 1;
					fprintf(err, "%s: warning: %s ends inside a line; that line counts as %s's\n", cmd, prev,
					        s->files[i]);
				}
			}
		}
		s->nparts++;
	}
	return 0;
}

int mml_cli_set_open(const char *cmd, const char *const *files, size_t n, bool want_series, bool redact,
                     mml_cli_set *s, FILE *err)
{
	memset(s, 0, sizeof *s);
	if (!n || n > MML_CLI_MAX_FILES) {
		fprintf(err, "%s: %zu inputs: give 1 to %d\n", cmd, n, MML_CLI_MAX_FILES);
		return MML_EXIT_USAGE;
	}
	struct {
		const char *p;
		off_t sz;
		size_t i;
	} v[MML_CLI_MAX_FILES];
	int kind = -1;
	for (size_t i = 0; i < n; i++) {
		struct stat sb;
		bool is_stdin = !strcmp(files[i], "-");
		if (is_stdin && n > 1) {
			fprintf(err, "%s: standard input can only be the one input\n", cmd);
			return MML_EXIT_USAGE;
		}
		if (!is_stdin && stat(files[i], &sb) != 0) {
			fprintf(err, "%s: %s: cannot open: %m\n", cmd, files[i]);
			return MML_EXIT_INPUT;
		}
		v[i].p = files[i];
		v[i].sz = is_stdin ? 0 : sb.st_size;
		v[i].i = i;
		int k = mml_cli_input_kind(files[i]);
		if (k == MML_IN_UNREADABLE) {
			fprintf(err, "%s: %s: cannot open: %m\n", cmd, files[i]);
			return MML_EXIT_INPUT;
		}
		if (kind >= 0 && k != kind) {
			fprintf(err, "%s: %s is a %s and %s a %s: give inputs of one kind\n", cmd, files[0],
			        kind == MML_IN_CAPTURE ? "capture" : "log", files[i], k == MML_IN_CAPTURE ? "capture" : "log");
			return MML_EXIT_USAGE;
		}
		kind = k;
	}
	s->capture = kind == MML_IN_CAPTURE;
	if (n > 1)
		qsort(v, n, sizeof v[0], size_cmp);
	for (size_t i = 0; i < n; i++) {
		s->files[i] = v[i].p;
		s->size[i] = v[i].sz;
	}
	s->nfiles = n;
	bool series = n > 1;
	for (size_t i = 0; series && i + 1 < n; i++) {
		int r = file_prefix(s->files[i], s->files[i + 1]);
		if (r < 0) {
			fprintf(err, "%s: %s or %s: cannot read: %m\n", cmd, s->files[i], s->files[i + 1]);
			return MML_EXIT_INPUT;
		}
		if (!r) {
			series = false;
			if (want_series) {
				fprintf(err, "%s: --series: %s is not a prefix of %s (inputs ordered by size); not a cumulative "
				        "series\n", cmd, s->files[i], s->files[i + 1]);
				return MML_EXIT_USAGE;
			}
		}
	}
	if (want_series && n == 1) {
		fprintf(err, "%s: --series wants two or more inputs\n", cmd);
		return MML_EXIT_USAGE;
	}
	s->series = series;
	if (!series) /* not a series: read in the order given (sessions are numbered that way) */
		for (size_t i = 0; i < n; i++) {
			s->files[i] = files[i];
			struct stat sb;
			s->size[i] = strcmp(files[i], "-") && !stat(files[i], &sb) ? sb.st_size : 0;
		}
	if (series) {
		if (series_parts(cmd, s, redact, err)) {
			mml_cli_set_free(s);
			return MML_EXIT_INPUT;
		}
		fprintf(err, "%s: %s: the %zu inputs are a cumulative series (each a prefix of the next): reading %s "
		        "once, each file's own part as one session labelled with its name\n", cmd,
		        want_series ? "--series" : "note", n, s->files[n - 1]);
	}
	return MML_EXIT_OK;
}

/* Whether part p is called name: its file's name, an alias, or the name without extensions. */
static bool part_named(const mml_cli_part *p, const char *name)
{
	if (!strcmp(p->name, name))
		return true;
	for (size_t k = 0; k < p->naliases; k++)
		if (!strcmp(p->alias[k], name))
			return true;
	const char *dot = strchr(p->name, '.'); /* "login_3" for "login_3.log.jsonl" */
	return dot && (size_t)(dot - p->name) == strlen(name) && !strncmp(p->name, name, strlen(name));
}

uint64_t mml_cli_set_find(const mml_cli_set *s, const char *name)
{
	uint64_t found = 0;
	for (size_t i = 0; i < s->nparts; i++)
		if (part_named(&s->part[i], name)) {
			if (found)
				return UINT64_MAX; /* two files of the set answer to it */
			found = i + 1;
		}
	return found;
}

mml_err mml_cli_set_labels(const mml_cli_set *s, mml_labels *lb)
{
	for (size_t i = 0; s->series && i < s->nparts; i++) {
		char arg[MML_LABEL_MAXLEN + 48], ebuf[320];
		snprintf(arg, sizeof arg, "%zu:scenario=%s", i + 1, s->part[i].name);
		mml_err e = mml_labels_arg(lb, arg, ebuf, sizeof ebuf);
		if (e == MML_E_NOMEM)
			return e;
	}
	return MML_OK;
}

/* ---- reading a set into the collection ---- */

typedef struct coll_glue {
	mml_collector *c;
	const mml_cli_set *set;   /* series: cut at its parts; NULL: none */
	size_t next_part;         /* the part the next cut opens */
	mml_overlap *ov;          /* NULL: not counting shared messages */
} coll_glue;

static void *coll_make(void *ctx, FILE **outp)
{
	(void)outp;
	coll_glue *g = ctx;
	return g; /* the one collector lives across the inputs of the set */
}

static void coll_msg(void *state, const mml_msg *m)
{
	coll_glue *g = state;
	const mml_cli_set *s = g->set;
	while (s && g->next_part < s->nparts) {
		const mml_cli_part *p = &s->part[g->next_part];
		bool past = s->capture ? (m->outer && m->outer->ts_us > p->after_us) : m->id >= p->first;
		if (!past)
			break;
		mml_collect_cut(g->c);
		g->next_part++;
	}
	if (g->ov)
		mml_overlap_msg(g->ov, m);
	mml_collect_msg(g->c, m);
}

static void coll_done(void *ctx, void *state)
{
	(void)ctx;
	(void)state;
}

static void coll_finish(void *ctx, FILE *out)
{
	(void)ctx;
	(void)out;
}

/* Shared messages between the inputs read so far, as warnings. */
void mml_cli_overlap_report(const char *cmd, mml_overlap *ov, const char *const *names, size_t n, FILE *err)
{
	for (size_t b = 1; b < n; b++)
		for (size_t a = 0; a < b; a++) {
			uint64_t k = mml_overlap_shared(ov, a, b);
			if (k)
				fprintf(err, "%s: warning: %s and %s share %llu message(s) (same request type and body): "
				        "what they sent is counted in both\n", cmd, names[a], names[b], (unsigned long long)k);
		}
}

int mml_cli_collect_set(const char *cmd, const mml_cli_set *s, const mml_cli_input *base, const mml_detect *det,
                        const mml_attrib *attrib, uint64_t want, mml_flows *out, mml_cli_collected *res,
                        const mml_collect_hook *hook, FILE *err)
{
	mml_collect_cfg cfg = {.det = det, .attrib = attrib, .want = want, .out = out, .hook = hook,
	                       .fixed = s->series};
	coll_glue g = {.set = s->series ? s : NULL, .next_part = 1};
	memset(res, 0, sizeof *res);
	if (!(g.c = mml_collect_new(&cfg))) {
		fprintf(err, "%s: out of memory\n", cmd);
		return MML_EXIT_INPUT;
	}
	bool own_ov = !base->ov && !s->series && s->nfiles > 1;
	if (own_ov && !(g.ov = mml_overlap_new())) {
		mml_collect_free(g.c);
		fprintf(err, "%s: out of memory\n", cmd);
		return MML_EXIT_INPUT;
	}
	if (base->ov) { /* the caller counts shared messages across its own reads */
		g.ov = base->ov;
		mml_overlap_input(g.ov, base->ov_index);
	}
	mml_msg_sink sink = {coll_make, coll_msg, coll_done, coll_finish, &g};
	int rc = MML_EXIT_OK;
	size_t first = s->series ? s->nfiles - 1 : 0;
	for (size_t i = first; i < s->nfiles && rc != MML_EXIT_INPUT; i++) {
		mml_cli_input one = *base;
		one.input = s->files[i];
		one.out = NULL;
		one.stats_json = NULL;
		one.jobs = 1;
		one.quiet = 1;
		if (i > first)
			mml_collect_cut(g.c);
		if (own_ov)
			mml_overlap_input(g.ov, i);
		rc = mml_cli_exit_worst(rc, mml_cli_run_input(&one, &sink, err));
	}
	for (; g.set && g.next_part < s->nparts; g.next_part++) /* parts after the last message */
		mml_collect_cut(g.c);
	mml_collect_finish(g.c);
	res->nsessions = mml_collect_nsessions(g.c);
	res->counts = *mml_collect_counts(g.c);
	if (mml_collect_nomem(g.c) || (g.ov && mml_overlap_nomem(g.ov))) {
		fprintf(err, "%s: out of memory while collecting flows; results are incomplete\n", cmd);
		rc = MML_EXIT_INPUT;
	}
	if (own_ov) {
		mml_cli_overlap_report(cmd, g.ov, s->files, s->nfiles, err);
		mml_overlap_free(g.ov);
	}
	mml_collect_free(g.c);
	return rc;
}

int mml_cli_collect_hooked(const mml_cli_input *in, const mml_detect *det, const mml_attrib *attrib,
                           uint64_t session, mml_flows *out, uint64_t *nsessions, const mml_collect_hook *hook,
                           FILE *err)
{
	mml_cli_set s;
	const char *one[1] = {in->input};
	memset(&s, 0, sizeof s);
	s.files[0] = one[0];
	s.nfiles = 1;
	mml_cli_collected res;
	int rc = mml_cli_collect_set("mmlens", &s, in, det, attrib, session, out, &res, hook, err);
	*nsessions = res.nsessions;
	return rc;
}

int mml_cli_collect_flows(const mml_cli_input *in, const mml_detect *det, const mml_attrib *attrib,
                          uint64_t session, mml_flows *out, uint64_t *nsessions, FILE *err)
{
	return mml_cli_collect_hooked(in, det, attrib, session, out, nsessions, NULL, err);
}

/* ---- what a command analyses: a set and a session of it ---- */

void mml_cli_target_free(mml_cli_target *t)
{
	mml_cli_set_free(&t->set);
	mml_labels_free(&t->labels);
	free(t->path);
	t->path = NULL;
}

int mml_cli_target_pick(const char *cmd, mml_cli_target *t, const char *sel, FILE *err)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(sel, &end, 10);
	if (sel[0] >= '0' && sel[0] <= '9') {
		if (*end || errno || !n) {
			fprintf(err, "%s: '@%s': a session is @N with N from 1, or @NAME\n", cmd, sel);
			return MML_EXIT_USAGE;
		}
		t->session = n;
		return MML_EXIT_OK;
	}
	uint64_t k = mml_cli_set_find(&t->set, sel);
	if (!k)
		k = mml_labels_by_scenario(&t->labels, sel);
	if (k == UINT64_MAX) {
		fprintf(err, "%s: more than one session answers to \"%s\" (files or scenarios of the same name); use @N\n",
		        cmd, sel);
		return MML_EXIT_USAGE;
	}
	if (!k) {
		fprintf(err, "%s: no session is labelled with scenario \"%s\" (--label N:scenario=%s, --manifest, or a "
		        "file of a series)\n", cmd, sel, sel);
		return MML_EXIT_USAGE;
	}
	t->session = k;
	return MML_EXIT_OK;
}

int mml_cli_target_open(const char *cmd, const mml_cli_input *base, const char *const *args, size_t nargs,
                        bool want_series, mml_cli_target *t, FILE *err)
{
	memset(t, 0, sizeof *t);
	mml_labels_init(&t->labels);
	const char *files[MML_CLI_MAX_FILES], *sel = NULL;
	size_t nf = 0;
	for (size_t i = 0; i < nargs; i++) {
		if (args[i][0] == '@' && args[i][1]) {
			if (sel) {
				fprintf(err, "%s: two session selectors ('%s', '%s'): give one\n", cmd, sel, args[i]);
				return MML_EXIT_USAGE;
			}
			sel = args[i] + 1;
		} else if (nf < MML_CLI_MAX_FILES) {
			files[nf++] = args[i];
		} else {
			fprintf(err, "%s: more than %d inputs\n", cmd, MML_CLI_MAX_FILES);
			return MML_EXIT_USAGE;
		}
	}
	char *name = NULL;
	if (nf == 1 && !sel) { /* PATH, PATH@N, PATH@NAME */
		if (mml_cli_input_spec(cmd, files[0], &t->path, &t->session, &name, err))
			return MML_EXIT_USAGE;
		files[0] = t->path;
	}
	int rc = nf ? mml_cli_set_open(cmd, files, nf, want_series, base->redact, &t->set, err) : MML_EXIT_USAGE;
	if (!nf)
		fprintf(err, "%s: no input given\n", cmd);
	if (rc) {
		free(name);
		return rc;
	}
	if (mml_cli_set_labels(&t->set, &t->labels) != MML_OK) {
		free(name);
		fprintf(err, "%s: out of memory\n", cmd);
		return MML_EXIT_INPUT;
	}
	mml_labels more;
	rc = mml_cli_labels(cmd, base, t->set.files[t->set.nfiles - 1], &more, err);
	if (!rc) {
		for (size_t i = 0; i < more.n && !rc; i++) /* the user's labels come after the series' */
			if (mml_labels_merge(&t->labels, &more.v[i]) != MML_OK)
				rc = MML_EXIT_INPUT;
		mml_labels_free(&more);
	}
	if (!rc && mml_labels_finish(&t->labels) != MML_OK) {
		fprintf(err, "%s: out of memory\n", cmd);
		rc = MML_EXIT_INPUT;
	}
	if (!rc && (name || sel))
		rc = mml_cli_target_pick(cmd, t, name ? name : sel, err);
	free(name);
	return rc;
}

int mml_cli_target_collect(const char *cmd, const mml_cli_target *t, const mml_cli_input *base,
                           const mml_detect *det, const mml_attrib *attrib, mml_flows *out, mml_cli_collected *res,
                           const mml_collect_hook *hook, FILE *err)
{
	int rc = mml_cli_collect_set(cmd, &t->set, base, det, attrib, t->session, out, res, hook, err);
	if (rc != MML_EXIT_INPUT && t->session > res->nsessions) {
		fprintf(err, "%s: %s has %llu session(s), no session %llu\n", cmd, t->set.files[t->set.nfiles - 1],
		        (unsigned long long)res->nsessions, (unsigned long long)t->session);
		rc = MML_EXIT_USAGE;
	}
	return rc;
}
