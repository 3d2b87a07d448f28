/*
 * scan.c - `mmlens scan` and `mmlens decode`: every message of a capture
 * (through the decrypt pipeline) or of an instrumentation plaintext log,
 * decoded (stage 5) and searched for personal data (stage 6).
 *
 * Contract: the input kind is told by its first bytes (pcap/pcapng magic,
 * or '{' for a JSONL log), not by its name. Each pipeline thread owns one
 * scanner (decode tree, detect scratch, summary), reused for every
 * message, so memory stays bounded by the largest body, not the input.
 * Message metadata joins the tree as `header.uin` (business header) and
 * `query.*` (plain HTTP query) so detectors see it like body fields.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/cli.h"
#include "mmlens/collect.h"
#include "mmlens/decode.h"
#include "mmlens/detect.h"
#include "mmlens/report.h"
#include "input.h"
#include "opts.h"

enum { FMT_JSONL, FMT_TABLE, FMT_TEXT };

typedef struct scan_shared {
	const mml_detect *det;   /* NULL in decode mode */
	const mml_attrib *attrib; /* the built-in map: which APIs stay unattributed, which empty bodies are auth */
	int format;
	bool redact;
	uint64_t only_msg;       /* decode: 0 = all */
	pthread_mutex_t lock;
	mml_summary *total;
	bool nomem;
	bool split;              /* one pipeline: sessions are counted (a cumulative log is said to be one) */
	uint64_t nsess;          /* sessions seen */
	uint64_t starts[8];      /* the first message of the first sessions */
} scan_shared;

/* Findings of the current message per category (category ids are static strings). */
#define CUR_CATS 64
typedef struct cat_count {
	const char *cat;
	uint64_t n;
} cat_count;

typedef struct scanner {
	scan_shared *sh;
	FILE **outp;
	mml_inspector in;        /* decode, attribute, detect (src/analyze/inspect.c) */
	mml_summary *sum;
	const mml_msg *cur;
	mml_buf lines;           /* JSONL of the current message's findings, written once at its end */
	mml_buf head;            /* their common start (mml_jsonl_finding_head); empty until the first */
	cat_count cats[CUR_CATS];
	size_t ncats;
} scanner;

static void on_split(void *ctx, const mml_session *ss)
{
	scan_shared *sh = ctx;
	if (sh->nsess < sizeof sh->starts / sizeof sh->starts[0])
		sh->starts[sh->nsess] = ss->first;
	sh->nsess++;
}

static void *scanner_make(void *ctx, FILE **outp)
{
	scan_shared *sh = ctx;
	scanner *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->sh = sh;
	s->outp = outp;
	mml_buf_init(&s->lines, 0);
	mml_buf_init(&s->head, 0);
	s->sum = mml_summary_new();
	if (!s->sum || mml_inspector_init(&s->in, sh->det, sh->attrib) != MML_OK) {
		mml_summary_free(s->sum);
		free(s);
		return NULL;
	}
	if (sh->split)
		mml_inspector_sessions(&s->in, on_split, sh);
	return s;
}

static void scanner_done(void *ctx, void *state)
{
	scan_shared *sh = ctx;
	scanner *s = state;
	mml_inspector_finish(&s->in);
	mml_summary_counts_add(s->sum, &s->in.counts);
	pthread_mutex_lock(&sh->lock);
	if (mml_summary_merge(sh->total, s->sum) != MML_OK)
		sh->nomem = true;
	pthread_mutex_unlock(&sh->lock);
	mml_summary_free(s->sum);
	mml_inspector_free(&s->in);
	mml_buf_free(&s->lines);
	mml_buf_free(&s->head);
	free(s);
}

/* The lines of the current message so far, to the output. */
static void lines_flush(scanner *s)
{
	FILE *out = *s->outp;
	if (s->lines.len && out)
		fwrite(s->lines.p, 1, s->lines.len, out);
	mml_buf_reset(&s->lines);
}

/* The current message's findings per category, into the summary. */
static void cats_flush(scanner *s)
{
	for (size_t i = 0; i < s->ncats; i++)
		if (mml_summary_add_n(s->sum, s->cats[i].cat, s->cur->api, s->cur->id, s->cats[i].n) != MML_OK)
			s->sh->nomem = true;
	s->ncats = 0;
}

static void on_finding(void *ctx, const mml_finding *f)
{
	scanner *s = ctx;
	FILE *out = *s->outp;
	size_t i = 0;
	while (i < s->ncats && s->cats[i].cat != f->category)
		i++;
	if (i < s->ncats) {
		s->cats[i].n++;
	} else if (i < CUR_CATS) {
		s->cats[i].cat = f->category;
		s->cats[i].n = 1;
		s->ncats++;
	} else if (mml_summary_add(s->sum, f->category, s->cur->api, s->cur->id) != MML_OK) {
		s->sh->nomem = true;
	}
	if (!out)
		return;
	if (s->sh->format == FMT_TABLE) {
		mml_table_finding(out, s->cur, f, s->sh->redact);
		return;
	}
	if (s->lines.len >= ((size_t)256 << 10))
		lines_flush(s);
	if (!s->head.len && mml_jsonl_finding_head(&s->head, s->cur) != MML_OK)
		mml_buf_reset(&s->head);
	if (!s->head.len || mml_jsonl_finding_tail(&s->lines, s->head.p, s->head.len, f, s->sh->redact) != MML_OK) {
		lines_flush(s); /* a line too long for memory: streamed */
		mml_jsonl_finding(out, s->cur, f, s->sh->redact);
	}
}

/* The decoded-tree view of one message (decode mode). */
static void print_tree(scanner *s, const mml_msg *m, const mml_dtree *tree)
{
	FILE *out = *s->outp;
	if (!out)
		return;
	if (s->sh->format == FMT_TEXT)
		mml_decoded_text(out, m, tree);
	else
		mml_decoded_json(out, m, tree);
}

static void scanner_msg(void *state, const mml_msg *m)
{
	scanner *s = state;
	if (s->sh->only_msg && m->id != s->sh->only_msg)
		return;
	const mml_dtree *tree;
	mml_recv r;
	mml_body_kind kind;
	if (mml_inspect_msg(&s->in, m, &tree, &r, &kind) != MML_OK)
		s->sh->nomem = true;
	if (!tree)
		return;
	if (!s->sh->det) {
		print_tree(s, m, tree);
		return;
	}
	s->cur = m;
	mml_inspect_detect(&s->in, on_finding, s);
	lines_flush(s);
	cats_flush(s);
	mml_buf_reset(&s->head);
	s->cur = NULL;
}

static void scanner_finish(void *ctx, FILE *out)
{
	scan_shared *sh = ctx;
	if (sh->det && sh->format == FMT_JSONL)
		mml_summary_write_json(sh->total, out);
	else if (sh->det && sh->format == FMT_TABLE) {
		fputc('\n', out);
		mml_summary_write_table(sh->total, out);
	}
}

/* ---- input kind ---- */

int mml_cli_input_kind(const char *path)
{
	if (!strcmp(path, "-")) {
		int c = getc(stdin);
		if (c == EOF)
			return MML_IN_LOG; /* empty: nothing to read either way */
		ungetc(c, stdin);
		return c == '{' || c == ' ' || c == '\t' || c == '\r' ? MML_IN_LOG : MML_IN_CAPTURE;
	}
	FILE *f = fopen(path, "rb");
	if (!f)
		return MML_IN_UNREADABLE;
	uint8_t b[4] = {0};
	size_t n = fread(b, 1, 4, f);
	fclose(f);
	static const uint8_t magics[][4] = {
		{0xa1, 0xb2, 0xc3, 0xd4}, {0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d},
		{0x4d, 0x3c, 0xb2, 0xa1}, {0x0a, 0x0d, 0x0d, 0x0a},
	};
	for (size_t i = 0; n == 4 && i < sizeof magics / sizeof magics[0]; i++)
		if (!memcmp(b, magics[i], 4))
			return MML_IN_CAPTURE;
	return MML_IN_LOG; /* a log, or something the log reader will reject line by line */
}

/* ---- the commands ---- */

typedef struct scan_opts {
	mml_cli_input in;        /* input, output, key logs, catalogs, --max-body, --redact, -q, -j */
	const char *known_files[17];
	size_t nknown_files;
	const char *fields_files[9];
	size_t nfields;
	int format;
	uint64_t only_msg;
	bool decode;             /* `mmlens decode` (else scan) */
	mml_detect_cfg *cfg;     /* --known values go here (scan) */
} scan_opts;

static size_t diag_max(const mml_cli_diag *d) { return d->max ? d->max : 20; }

void mml_cli_diag_fn(void *ctx, const char *fmt, ...)
{
	mml_cli_diag *d = ctx;
	d->errors = 1;
	if (d->n++ >= diag_max(d))
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("mmlens: ", d->err);
	if (d->prefix)
		fputs(d->prefix, d->err);
	vfprintf(d->err, fmt, ap);
	fputc('\n', d->err);
	va_end(ap);
}

void mml_cli_diag_done(const mml_cli_diag *d)
{
	if (d->n > diag_max(d))
		fprintf(d->err, "mmlens: %zu more diagnostics not shown\n", d->n - diag_max(d));
}

static int run_log(const mml_cli_input *o, const mml_msg_sink *sink, FILE *err)
{
	mml_cli_diag dc = {.err = err};
	mml_catalog cat;
	mml_catalog_init(&cat);
	int rc = MML_EXIT_OK;
	if (mml_catalog_load_builtin(&cat) != MML_OK)
		goto nomem;
	for (size_t i = 0; o->cats && o->cats[i]; i++) {
		mml_err e = mml_catalog_load(&cat, o->cats[i], mml_cli_diag_fn, &dc);
		if (e != MML_OK) {
			fprintf(err, "mmlens: %s: cannot read catalog: %s\n", o->cats[i], mml_err_why(e));
			mml_catalog_free(&cat);
			return MML_EXIT_INPUT;
		}
	}
	mml_plainlog *l = mml_plainlog_open(o->input, &cat, o->max_body, mml_cli_diag_fn, &dc);
	if (!l) {
		mml_catalog_free(&cat);
		return MML_EXIT_INPUT;
	}
	FILE *out = o->out ? mml_out_open(o->out) : NULL;
	if (o->out && !out) {
		fprintf(err, "mmlens: %s: cannot create output: %m\n", o->out);
		mml_plainlog_close(l);
		mml_catalog_free(&cat);
		return MML_EXIT_INPUT;
	}
	void *st = sink->make(sink->ctx, &out);
	if (!st) {
		mml_plainlog_close(l);
		mml_out_close(out);
		goto nomem;
	}
	mml_msg m;
	mml_err e;
	while ((e = mml_plainlog_next(l, &m)) == MML_OK)
		sink->msg(st, &m);
	if (e != MML_E_END) {
		fprintf(err, "mmlens: %s: read error after line %llu\n", o->input, (unsigned long long)m.id);
		dc.errors = 1;
	}
	sink->done(sink->ctx, st);
	sink->finish(sink->ctx, out);
	mml_cli_diag_done(&dc);
	if (mml_plainlog_bad_lines(l))
		fprintf(err, "mmlens: %s: %llu bad line(s) were reported and skipped\n", o->input,
		        (unsigned long long)mml_plainlog_bad_lines(l));
	mml_plainlog_close(l);
	mml_catalog_free(&cat);
	if (out && mml_out_close(out) != MML_OK) {
		fprintf(err, "mmlens: %s: write error\n", o->out);
		return MML_EXIT_INPUT;
	}
	if (dc.errors)
		rc = MML_EXIT_ERRORS;
	return rc;
nomem:
	mml_catalog_free(&cat);
	fprintf(err, "mmlens: out of memory\n");
	return MML_EXIT_INPUT;
}

int mml_cli_run_input(const mml_cli_input *o, const mml_msg_sink *sink, FILE *err)
{
	int rc;
	int kind = mml_cli_input_kind(o->input);
	if (kind == MML_IN_UNREADABLE) {
		fprintf(err, "mmlens: %s: cannot open: %m\n", o->input);
		rc = MML_EXIT_INPUT;
	} else if (kind == MML_IN_LOG) {
		if (o->nkeylogs)
			fprintf(err, "mmlens: %s is a plaintext log; --keylog is not needed and ignored\n", o->input);
		rc = run_log(o, sink, err);
	} else {
		mml_decrypt_opts d;
		memset(&d, 0, sizeof d);
		d.capture = o->input;
		d.keylogs = o->keylogs;
		d.catalogs = o->cats;
		d.out = o->out;
		d.stats_json = o->stats_json;
		d.max_body = o->max_body;
		d.redact = o->redact;
		d.quiet = o->quiet;
		d.jobs = o->jobs;
		d.sink = sink;
		if (!o->nkeylogs)
			fprintf(err, "mmlens: no --keylog given: only plaintext handshakes and HTTP will be readable\n");
		mml_stats st;
		memset(&st, 0, sizeof st);
		rc = mml_decrypt_run(&d, &st, err);
	}
	return rc;
}

static int run(const scan_opts *o, const mml_detect *det, FILE *err)
{
	scan_shared sh;
	memset(&sh, 0, sizeof sh);
	sh.det = det;
	mml_attrib attrib;
	mml_attrib_init(&attrib);
	if (mml_attrib_load_builtin(&attrib) != MML_OK) {
		fprintf(err, "mmlens: out of memory\n");
		return MML_EXIT_INPUT;
	}
	sh.attrib = &attrib;
	sh.format = o->format;
	sh.redact = o->in.redact;
	sh.only_msg = o->only_msg;
	sh.split = o->in.jobs <= 1 && !o->only_msg;
	pthread_mutex_init(&sh.lock, NULL);
	sh.total = mml_summary_new();
	if (!sh.total) {
		fprintf(err, "mmlens: out of memory\n");
		mml_attrib_free(&attrib);
		return MML_EXIT_INPUT;
	}
	mml_msg_sink sink = {scanner_make, scanner_msg, scanner_done, scanner_finish, &sh};
	int rc = mml_cli_run_input(&o->in, &sink, err);
	if (sh.nomem) {
		fprintf(err, "mmlens: out of memory while scanning; results are incomplete\n");
		rc = MML_EXIT_INPUT;
	}
	if (det && sh.nsess > 1 && rc != MML_EXIT_INPUT) {
		fprintf(err, "mmlens scan: note: %s holds %llu sessions (starting at message", o->in.input,
		        (unsigned long long)sh.nsess);
		for (size_t i = 0; i < sh.nsess && i < sizeof sh.starts / sizeof sh.starts[0]; i++)
			fprintf(err, "%s %llu", i ? "," : "", (unsigned long long)sh.starts[i]);
		fprintf(err, "%s): the findings are of all of them, whatever scenario the file is named after; "
		        "`mmlens sessions` lists them, `mmlens audit INPUT@N` and `mmlens diff` take one\n",
		        sh.nsess > sizeof sh.starts / sizeof sh.starts[0] ? ", ..." : "");
	}
	if (det && !o->in.quiet && rc != MML_EXIT_INPUT && o->format != FMT_TABLE)
		mml_summary_write_table(sh.total, err);
	mml_summary_free(sh.total);
	mml_attrib_free(&attrib);
	pthread_mutex_destroy(&sh.lock);
	return rc;
}

static const char scan_usage[] =
	"usage: mmlens scan [options] INPUT\n"
	"\n"
	"Decode every message of INPUT and report the personal data in it, one\n"
	"finding per (message, category, field path). INPUT is a capture (pcap or\n"
	"pcapng; needs --keylog) or an instrumentation plaintext log (JSON lines),\n"
	"told apart by their first bytes; - reads standard input.\n"
	"\n"
	MML_USAGE_KEYLOG
	"  -o, --output FILE      write findings here (mode 0600) instead of stdout\n"
	"      --format F         jsonl (default: findings, then a summary object) or\n"
	"                         table (aligned rows, then the category x API matrix)\n"
	"      --known NAME=VALUE a value of the user's to look for in every form\n"
	"                         (plain, case-folded, hex, base64, URL-encoded,\n"
	"                         MD5/SHA-1/SHA-256; \"lat,lon\" to a tolerance); repeatable\n"
	"      --known-file FILE  NAME=VALUE lines\n"
	"      --fields FILE      extra field layouts (data/fields.tsv format); repeatable\n"
	MML_USAGE_CATALOG
	"      --redact           mask every value in the output\n"
	"      --stats-json FILE  the capture's record/message accounting as JSON\n"
	MML_USAGE_MAX_BODY
	"  -j, --jobs N           decrypt and scan flows on N threads (captures)\n"
	"  -q, --quiet            no summary on stderr\n"
	MML_USAGE_HELP
	"\n"
	MML_USAGE_EXIT_ERRORS;

static const char decode_usage[] =
	"usage: mmlens decode [options] INPUT\n"
	"\n"
	"Print the decoded tree of every message of INPUT (a capture with --keylog,\n"
	"or a plaintext log): protobuf without a schema, and what hides inside\n"
	"(JSON, XML, URL-encoded, delimited records, base64, hex, zlib), with the\n"
	"field path of every value.\n"
	"\n"
	MML_USAGE_KEYLOG
	"  -m, --msg N            only message N (a log's line number)\n"
	"      --format F         text (default: an indented view) or json (JSONL)\n"
	MML_USAGE_OUTPUT
	"      --catalog FILE     extra request-type catalog; repeatable\n"
	MML_USAGE_MAX_BODY
	MML_USAGE_HELP;

static const char *cmd_of(const scan_opts *o) { return o->decode ? "mmlens decode" : "mmlens scan"; }

static int opt_format(void *dst, const char *arg, const char *cmd, FILE *err)
{
	scan_opts *o = dst;
	if (!o->decode && !strcmp(arg, "jsonl"))
		o->format = FMT_JSONL;
	else if (!o->decode && !strcmp(arg, "table"))
		o->format = FMT_TABLE;
	else if (o->decode && !strcmp(arg, "text"))
		o->format = FMT_TEXT;
	else if (o->decode && !strcmp(arg, "json"))
		o->format = FMT_JSONL;
	else {
		fprintf(err, "%s: --format wants %s\n", cmd, o->decode ? "text or json" : "jsonl or table");
		return -1;
	}
	return 0;
}

static int opt_known(void *dst, const char *arg, const char *cmd, FILE *err)
{
	scan_opts *o = dst;
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1]) {
		fprintf(err, "%s: --known wants NAME=VALUE, got '%s'\n", cmd, arg);
		return -1;
	}
	char name[64];
	size_t nl = (size_t)(eq - arg);
	if (nl >= sizeof name) {
		fprintf(err, "%s: --known name longer than 63 characters\n", cmd);
		return -1;
	}
	memcpy(name, arg, nl);
	name[nl] = 0;
	if (mml_detect_cfg_known(o->cfg, name, eq + 1) != MML_OK) {
		fprintf(err, "%s: --known %s: value not usable\n", cmd, name);
		return -1;
	}
	return 0;
}

static int opt_msg(void *dst, const char *arg, const char *cmd, FILE *err)
{
	if (!mml_opt_u64(arg, 1, UINT64_MAX, &((scan_opts *)dst)->only_msg)) {
		fprintf(err, "%s: --msg wants a message number from 1\n", cmd);
		return -1;
	}
	return 0;
}

/* The options of scan (decode refuses those that are scan's only, and the reverse). */
static int parse(int argc, char **argv, bool decode, scan_opts *o, mml_detect_cfg *cfg, FILE *err)
{
	memset(o, 0, sizeof *o);
	o->in.out = "-";
	o->format = decode ? FMT_TEXT : FMT_JSONL;
	o->decode = decode;
	o->cfg = cfg;
	mml_opt_kind scan_only = decode ? MML_OPTK_REFUSE : MML_OPTK_CALL;
	mml_optlist known_files = {o->known_files, &o->nknown_files, 16, "at most 16 --known-file"};
	mml_optlist fields = {o->fields_files, &o->nfields, 8, "at most 8 --fields files"};
	const mml_opt opts[] = {
		MML_OPT_KEYLOG(&o->in),
		MML_OPT_OUTPUT_LAST(&o->in.out),
		{"format", 0, MML_OPTK_CALL, true, o, opt_format, NULL},
		{"known", 0, scan_only, true, o, opt_known, NULL},
		{"known-file", 0, scan_only, true, &known_files, mml_opt_list, NULL},
		{"fields", 0, scan_only, true, &fields, mml_opt_list, NULL},
		MML_OPT_CATALOG(&o->in),
		{"redact", 0, decode ? MML_OPTK_REFUSE : MML_OPTK_FLAG, false, &o->in.redact, NULL, NULL},
		{"stats-json", 0, decode ? MML_OPTK_REFUSE : MML_OPTK_SET, true, &o->in.stats_json, NULL, NULL},
		MML_OPT_MAX_BODY(&o->in),
		{"jobs", 'j', scan_only, true, &o->in.jobs, mml_opt_jobs, NULL},
		{"quiet", 'q', decode ? MML_OPTK_REFUSE : MML_OPTK_FLAG, false, &o->in.quiet, NULL, NULL},
		{"msg", 'm', decode ? MML_OPTK_CALL : MML_OPTK_REFUSE, true, o, opt_msg, NULL},
		MML_OPT_HELP,
	};
	const char *usage = decode ? decode_usage : scan_usage;
	int p = mml_opts_parse(cmd_of(o), usage, opts, sizeof opts / sizeof opts[0], argc, argv, err);
	if (p)
		return p;
	if (optind != argc - 1) {
		fprintf(err, "%s: expected one INPUT argument\n%s", cmd_of(o), usage);
		return -1;
	}
	o->in.input = argv[optind];
	return 0;
}

int mml_cmd_scan(int argc, char **argv, FILE *err)
{
	scan_opts o;
	mml_detect_cfg *cfg = mml_detect_cfg_new();
	if (!cfg) {
		fprintf(err, "mmlens: out of memory\n");
		return MML_EXIT_INPUT;
	}
	int p = parse(argc, argv, false, &o, cfg, err);
	if (p) {
		mml_detect_cfg_free(cfg);
		return p > 0 ? MML_EXIT_OK : MML_EXIT_USAGE;
	}
	mml_cli_diag dc = {.err = err};
	for (size_t i = 0; i < o.nknown_files; i++) {
		mml_err e = mml_detect_cfg_known_file(cfg, o.known_files[i], mml_cli_diag_fn, &dc);
		if (e != MML_OK) {
			fprintf(err, "mmlens: %s: cannot read known values: %s\n", o.known_files[i], mml_err_why(e));
			mml_detect_cfg_free(cfg);
			return MML_EXIT_INPUT;
		}
	}
	for (size_t i = 0; i < o.nfields; i++) {
		mml_err e = mml_detect_cfg_fields_file(cfg, o.fields_files[i], mml_cli_diag_fn, &dc);
		if (e != MML_OK) {
			fprintf(err, "mmlens: %s: cannot read field layouts: %s\n", o.fields_files[i], mml_err_why(e));
			mml_detect_cfg_free(cfg);
			return MML_EXIT_INPUT;
		}
	}
	char ebuf[256] = "";
	mml_detect *det = mml_detect_new(cfg, ebuf, sizeof ebuf);
	mml_detect_cfg_free(cfg);
	if (!det) {
		fprintf(err, "mmlens: cannot build the detectors: %s\n", ebuf);
		return MML_EXIT_INPUT;
	}
	int rc = run(&o, det, err);
	mml_detect_free(det);
	if (rc == MML_EXIT_OK && dc.errors)
		rc = MML_EXIT_ERRORS;
	return rc;
}

int mml_cmd_decode(int argc, char **argv, FILE *err)
{
	scan_opts o;
	int p = parse(argc, argv, true, &o, NULL, err);
	if (p)
		return p > 0 ? MML_EXIT_OK : MML_EXIT_USAGE;
	o.in.quiet = true;
	return run(&o, NULL, err);
}
