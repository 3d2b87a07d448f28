/*
 * decrypt.c - `mmlens decrypt`: capture -> flow -> mmtls -> envelope ->
 * JSONL. The glue that wires each stage's callbacks to the next.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mmlens/cli.h"
#include "mmlens/report.h"
#include "input.h"
#include "opts.h"
#include "pipeline.h"

/* Key-log lines that opened nothing, file by file: worth knowing; a whole
 * key log that opened nothing is an error (exit 3): the capture and the
 * key log are not of one another, and everything it should open is
 * missing. Returns whether one such file was found. */
static bool report_unused_keys(const mml_keylog *kl, const mml_stats *st, mml_cli_diag *r)
{
	bool none = false;
	for (size_t f = 0; f < mml_keylog_nfiles(kl); f++) {
		const char *name;
		size_t lines, used;
		mml_keylog_file_stats(kl, f, &name, &lines, &used);
		if (!lines) {
			fprintf(r->err, "mmlens: %s: no key log line in it: nothing of the capture can be opened by it\n",
			        name ? name : "key log");
			none = true;
			continue;
		}
		if (!used) {
			fprintf(r->err, "mmlens: %s: 0 of %zu key log lines matched any record or message of the capture "
			        "(%llu record(s) without a key): is it this capture's key log?\n", name ? name : "key log", lines,
			        (unsigned long long)st->records_no_key);
			none = true;
			continue;
		}
		uint32_t first[16];
		size_t dups = 0;
		size_t unused = mml_keylog_unused_in(kl, f, first, 16, &dups);
		char list[256];
		size_t k = 0;
		list[0] = 0;
		for (size_t i = 0; i < unused && i < 16; i++)
			k += (size_t)snprintf(list + k, sizeof list - k, "%s%u", k ? "," : "", first[i]);
		if (unused)
			fprintf(r->err, "mmlens: %s: %zu key log line(s) matched no record or message (lines %s%s)\n", name,
			        unused, list, unused > 16 ? ",..." : "");
		if (dups)
			fprintf(r->err, "mmlens: %s: %zu key log line(s) repeat an earlier line\n", name, dups);
	}
	return none;
}

#define MML_DECRYPT_MAX_KEYLOGS MML_KEYLOG_MAX_FILES

/* o->keylog, then o->keylogs, into out (at most MML_DECRYPT_MAX_KEYLOGS); their number. */
static size_t keylog_list(const mml_decrypt_opts *o, const char **out)
{
	size_t n = 0;
	if (o->keylog)
		out[n++] = o->keylog;
	for (size_t i = 0; o->keylogs && o->keylogs[i]; i++)
		if (n < MML_DECRYPT_MAX_KEYLOGS)
			out[n++] = o->keylogs[i];
		else
			return (size_t)-1;
	return n;
}

/* The same file given twice is read once (its lines would only repeat). */
static size_t keylog_dedupe(const char **v, size_t n, FILE *err)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat a, b;
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = !strcmp(v[i], v[j]) ||
			      (strcmp(v[i], "-") && !stat(v[i], &a) && !stat(v[j], &b) && a.st_dev == b.st_dev &&
			       a.st_ino == b.st_ino);
		if (dup)
			fprintf(err, "mmlens: %s: key log given twice: read once\n", v[i]);
		else
			v[k++] = v[i];
	}
	return k;
}

int mml_decrypt_run(const mml_decrypt_opts *o, mml_stats *st, FILE *err)
{
	mml_cli_diag r;
	memset(&r, 0, sizeof r);
	r.err = err;
	r.max = o->max_diag;
	int rc = MML_EXIT_OK;
	FILE *out = NULL;
	mml_keylog kl;
	mml_keylog_init(&kl);
	mml_catalog cat;
	mml_catalog_init(&cat);
	mml_capture cap;
	memset(&cap, 0, sizeof cap);
	mml_pipe pipe;
	memset(&pipe, 0, sizeof pipe);

	if (mml_catalog_load_builtin(&cat) != MML_OK) {
		fprintf(err, "mmlens: out of memory loading the built-in catalog\n");
		rc = MML_EXIT_INPUT;
		goto done;
	}
	for (const char *const *c = o->catalogs; c && *c; c++) {
		mml_err e = mml_catalog_load(&cat, *c, mml_cli_diag_fn, &r);
		if (e != MML_OK) {
			fprintf(err, "mmlens: %s: cannot read catalog: %s\n", *c, mml_err_why(e));
			rc = MML_EXIT_INPUT;
			goto done;
		}
	}
	const char *kls[MML_DECRYPT_MAX_KEYLOGS + 1];
	size_t nkl = keylog_list(o, kls);
	if (nkl == (size_t)-1) {
		fprintf(err, "mmlens: more than %d key logs\n", MML_DECRYPT_MAX_KEYLOGS);
		rc = MML_EXIT_USAGE;
		goto done;
	}
	nkl = keylog_dedupe(kls, nkl, err);
	for (size_t i = 0; i < nkl; i++) {
		mml_err e = mml_keylog_load(&kl, kls[i], mml_cli_diag_fn, &r, st);
		if (e != MML_OK) {
			fprintf(err, "mmlens: %s: cannot read key log: %s\n", kls[i], mml_err_why(e));
			rc = MML_EXIT_INPUT;
			goto done;
		}
	}
	if (mml_capture_open(&cap, o->capture, st) != MML_OK) {
		fprintf(err, "mmlens: %s\n", cap.errbuf);
		rc = MML_EXIT_INPUT;
		goto done;
	}
	if (o->out && !(out = mml_out_open(o->out))) {
		fprintf(err, "mmlens: %s: cannot create output: %m\n", o->out);
		rc = MML_EXIT_INPUT;
		goto done;
	}
	mml_pipe_shared sh = {.kl = &kl, .cat = &cat, .max_body = o->max_body};
	sh.jo.redact = o->redact;
	sh.jo.handshakes = o->handshakes;
	sh.jo.no_bodies = o->no_bodies;
	sh.sink = o->sink;
	mml_err e;
	if (o->jobs > 1) {
		e = mml_pipe_run_parallel(&cap, &sh, o->jobs, out, st);
	} else {
		if (mml_pipe_init(&pipe, &sh, out) != MML_OK) {
			fprintf(err, "mmlens: out of memory\n");
			rc = MML_EXIT_INPUT;
			goto done;
		}
		mml_pkt pkt;
		while ((e = mml_capture_next(&cap, &pkt)) == MML_OK)
			mml_pipe_packet(&pipe, &pkt);
		mml_pipe_finish(&pipe);
		mml_stats_add(st, &pipe.st);
	}
	if (e == MML_E_NOMEM) {
		fprintf(err, "mmlens: out of memory\n");
		rc = MML_EXIT_INPUT;
		goto done;
	}
	if (e != MML_E_END) {
		fprintf(err, "mmlens: %s (the packets before it were analysed)\n", cap.errbuf);
		r.errors = 1;
	}
	if (nkl && report_unused_keys(&kl, st, &r))
		r.errors = 1;
	if (st->pkt_malformed) {
		fprintf(err, "mmlens: %s: %llu malformed packets were counted and skipped\n", o->capture,
		        (unsigned long long)st->pkt_malformed);
		r.errors = 1;
	}
	mml_cli_diag_done(&r);
	if (r.errors)
		rc = MML_EXIT_ERRORS;
done:
	mml_pipe_free(&pipe);
	if (out && o->sink && o->sink->finish && rc != MML_EXIT_INPUT)
		o->sink->finish(o->sink->ctx, out);
	if (out && mml_out_close(out) != MML_OK) {
		fprintf(err, "mmlens: %s: write error\n", o->out);
		rc = MML_EXIT_INPUT;
	}
	if (o->stats_json && rc != MML_EXIT_INPUT) {
		FILE *sf = mml_out_open(o->stats_json);
		if (sf)
			mml_stats_write_json(st, sf);
		if (!sf || mml_out_close(sf) != MML_OK) {
			fprintf(err, "mmlens: %s: cannot write stats\n", o->stats_json);
			rc = MML_EXIT_INPUT;
		}
	}
	if (!o->quiet && rc != MML_EXIT_INPUT)
		mml_stats_write_summary(st, err);
	if (cap.pcap)
		mml_capture_close(&cap);
	mml_keylog_free(&kl);
	mml_catalog_free(&cat);
	return rc;
}

static const char decrypt_usage[] =
	"usage: mmlens decrypt [options] CAPTURE\n"
	"\n"
	"Recover every WeChat request and response in CAPTURE (pcap or pcapng,\n"
	"or - for standard input) as JSONL, one object per message.\n"
	"\n"
	"  -k, --keylog FILE      instrumentation key log (JSON lines); repeatable: the key logs\n"
	"                         of several processes are merged; one that opens nothing: exit 3\n"
	"  -o, --output FILE      write JSONL here (mode 0600) instead of stdout\n"
	"      --stats-json FILE  write the record/message accounting as JSON\n"
	MML_USAGE_CATALOG
	MML_USAGE_MAX_BODY
	"      --no-handshakes    do not write handshake objects\n"
	"      --no-bodies        write body_hex as null (metadata and accounting only)\n"
	"      --redact           mask uin, cookie, client address, query values; omit bodies\n"
	"  -j, --jobs N           decrypt flows on N threads (1-64; default 1); message\n"
	"                         order across flows then varies from run to run\n"
	"  -q, --quiet            no summary on stderr\n"
	MML_USAGE_HELP
	"\n"
	MML_USAGE_EXIT_ERRORS;

int mml_cmd_decrypt(int argc, char **argv, FILE *err)
{
	mml_cli_input in;
	memset(&in, 0, sizeof in);
	in.out = "-";
	bool no_handshakes = false, no_bodies = false;
	const mml_opt opts[] = {
		MML_OPT_KEYLOG(&in),
		MML_OPT_OUTPUT_LAST(&in.out),
		{"stats-json", 0, MML_OPTK_SET, true, &in.stats_json, NULL, NULL},
		MML_OPT_CATALOG(&in),
		MML_OPT_MAX_BODY(&in),
		{"no-handshakes", 0, MML_OPTK_FLAG, false, &no_handshakes, NULL, NULL},
		MML_OPT_REDACT(&in.redact),
		{"quiet", 'q', MML_OPTK_FLAG, false, &in.quiet, NULL, NULL},
		MML_OPT_HELP,
		{"jobs", 'j', MML_OPTK_CALL, true, &in.jobs, mml_opt_jobs, NULL},
		{"no-bodies", 0, MML_OPTK_FLAG, false, &no_bodies, NULL, NULL},
	};
	int p = mml_opts_parse("mmlens decrypt", decrypt_usage, opts, sizeof opts / sizeof opts[0], argc, argv, err);
	if (p)
		return p > 0 ? MML_EXIT_OK : MML_EXIT_USAGE;
	if (optind != argc - 1) {
		fprintf(err, "mmlens decrypt: expected one CAPTURE argument\n%s", decrypt_usage);
		return MML_EXIT_USAGE;
	}
	mml_decrypt_opts o;
	memset(&o, 0, sizeof o);
	o.capture = argv[optind];
	o.keylogs = in.keylogs; /* repeatable: the key logs are merged */
	o.catalogs = in.cats;
	o.out = in.out;
	o.stats_json = in.stats_json;
	o.max_body = in.max_body;
	o.handshakes = !no_handshakes;
	o.no_bodies = no_bodies;
	o.redact = in.redact;
	o.quiet = in.quiet;
	o.jobs = in.jobs;
	if (!in.nkeylogs)
		fprintf(err, "mmlens: no --keylog given: only plaintext handshakes and HTTP will be readable\n");
	mml_stats st;
	memset(&st, 0, sizeof st);
	return mml_decrypt_run(&o, &st, err);
}
