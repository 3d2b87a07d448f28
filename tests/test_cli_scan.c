/*
 * tests/test_cli_scan.c - `mmlens scan` and `mmlens decode` as a user runs
 * them: inputs told apart by magic, the findings JSONL and summary
 * contract, table output, --redact, 0600 files, --jobs, bad log lines,
 * exit codes. Detector and decoder accuracy are tested in test_detect.c
 * and test_decode.c.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmlens/cli.h"
#include "test.h"
#include "util.h"

typedef struct scan_out {
	int rc;
	json_t *lines;   /* every JSONL object */
	json_t *summary; /* the summary object (borrowed) */
	size_t nfind;
	char err[8192];
	char out[512];
} scan_out;

/* Run a command (argv NULL-terminated, without -o) with -o into a temp file. */
static void run_cmd(scan_out *r, int (*cmd)(int, char **, FILE *), const char *tag, const char **argv)
{
	memset(r, 0, sizeof *r);
	t_cmd c;
	t_cmd_run(&c, cmd, tag, argv);
	r->rc = c.rc;
	r->lines = c.lines;
	memcpy(r->err, c.err, sizeof r->err);
	memcpy(r->out, c.out, sizeof r->out);
	size_t i;
	json_t *o;
	json_array_foreach(r->lines, i, o)
	{
		const char *k = t_str(o, "kind");
		if (k && !strcmp(k, "summary"))
			r->summary = o;
		else if (k && !strcmp(k, "finding"))
			r->nfind++;
	}
}

static void scan_out_free(scan_out *r) { json_decref(r->lines); }

static const char *real_log(void) { return mml_test_data("wechat-logs/startup_permissions_on_2.log.jsonl"); }

/* A finding with this msg, category and path, or NULL. */
static json_t *find(const scan_out *r, uint64_t msg, const char *cat, const char *path)
{
	size_t i;
	json_t *o;
	json_array_foreach(r->lines, i, o)
	{
		if (json_integer_value(json_object_get(o, "msg")) == (json_int_t)msg && t_str(o, "category") &&
		    !strcmp(t_str(o, "category"), cat) && (!path || (t_str(o, "path") && !strcmp(t_str(o, "path"), path))))
			return o;
	}
	return NULL;
}

TEST(scan_log_findings_and_summary_contract)
{
	const char *argv[] = {"scan", "-q", real_log(), NULL};
	scan_out r;
	run_cmd(&r, mml_cmd_scan, "log", argv);
	CHECK_EQ(r.rc, MML_EXIT_OK);
	struct stat sb;
	CHECK(stat(r.out, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(r.summary != NULL);
	CHECK(json_array_size(r.lines) == r.nfind + 1);
	/* the summary comes last and counts what was written */
	CHECK(json_array_get(r.lines, json_array_size(r.lines) - 1) == r.summary);
	CHECK_EQ(json_integer_value(json_object_get(r.summary, "messages")), 304);
	CHECK_EQ(json_integer_value(json_object_get(r.summary, "findings")), r.nfind);
	CHECK(r.nfind > 100);
	size_t i;
	json_t *o;
	uint64_t msum = 0;
	json_array_foreach(json_object_get(r.summary, "matrix"), i, o)
		msum += (uint64_t)json_integer_value(json_object_get(o, "findings"));
	CHECK_EQ(msum, r.nfind);
	/* every finding carries the contract's fields */
	json_array_foreach(r.lines, i, o)
	{
		if (o == r.summary)
			continue;
		json_int_t msg = json_integer_value(json_object_get(o, "msg"));
		CHECK(msg >= 1 && msg <= 304);
		CHECK(json_is_null(json_object_get(o, "ts")));
		CHECK(t_str(o, "category") && t_str(o, "path") && t_str(o, "detector") && t_str(o, "value"));
		double c = json_number_value(json_object_get(o, "confidence"));
		CHECK(c > 0 && c <= 1);
		CHECK(json_is_boolean(json_object_get(o, "placeholder")));
		CHECK(json_object_get(o, "req_type") != NULL && json_object_get(o, "api") != NULL);
	}
	/* the log's API column is used: line 245 is newreportkvcomm */
	json_t *f = find(&r, 296, "location.coordinates", "7");
	CHECK(f != NULL);
	if (f)
		CHECK(!strcmp(t_str(f, "value"), "37.422001,-122.084068"));
	json_t *k = find(&r, 245, "identity.thirdparty", NULL);
	CHECK(k != NULL);
	if (k)
		CHECK(t_str(k, "api") && !strcmp(t_str(k, "api"), "/cgi-bin/micromsg-bin/newreportkvcomm"));
	/* a record whose first cell holds URL pairs is a record, not pairs with a record inside */
	size_t rec = 0, wrong = 0;
	json_array_foreach(r.lines, i, o)
	{
		const char *p = t_str(o, "path");
		rec += p && strstr(p, ":csv[0]:url.hash") != NULL;
		wrong += p && strstr(p, ":url.device:csv") != NULL;
	}
	CHECK(rec >= 3);
	CHECK_EQ(wrong, 0);
	mml_test_note("%zu findings on the real log", r.nfind);
	scan_out_free(&r);
}

TEST(scan_redact_table_and_known)
{
	const char *argv[] = {"scan", "-q", "--redact", real_log(), NULL};
	scan_out r;
	run_cmd(&r, mml_cmd_scan, "redact", argv);
	CHECK_EQ(r.rc, MML_EXIT_OK);
	size_t i;
	json_t *o;
	json_array_foreach(r.lines, i, o)
		if (o != r.summary)
			CHECK(!strcmp(t_str(o, "value"), "redacted"));
	char *text = t_slurp(r.out, NULL);
	CHECK(text && !strstr(text, "1505495844") && !strstr(text, "2166950396834") && !strstr(text, "37.42"));
	free(text);
	scan_out_free(&r);

	const char *targv[] = {"scan", "--format", "table", real_log(), NULL};
	run_cmd(&r, mml_cmd_scan, "table", targv);
	CHECK_EQ(r.rc, MML_EXIT_OK);
	text = t_slurp(r.out, NULL);
	CHECK(text && strstr(text, "category") && strstr(text, "location.coordinates") &&
	      strstr(text, "newreportkvcomm") && strstr(text, "messages"));
	free(text);
	scan_out_free(&r);

	/* the user's own uin, given as a known value, is found in its hashed form too */
	const char *kargv[] = {"scan", "-q", "--known", "uin=1505495844", real_log(), NULL};
	run_cmd(&r, mml_cmd_scan, "known", kargv);
	CHECK_EQ(r.rc, MML_EXIT_OK);
	size_t hits = 0;
	json_array_foreach(r.lines, i, o)
		if (o != r.summary && t_str(o, "known") && !strcmp(t_str(o, "known"), "uin"))
			hits++;
	CHECK(hits > 50);
	mml_test_note("known uin matched %zu times", hits);
	scan_out_free(&r);

	const char *bad[] = {"scan", "--known", "novalue", real_log(), NULL};
	run_cmd(&r, mml_cmd_scan, "badknown", bad);
	CHECK_EQ(r.rc, MML_EXIT_USAGE);
	CHECK(strstr(r.err, "NAME=VALUE") != NULL);
	scan_out_free(&r);
}

TEST(scan_log_bad_lines_reported_rest_analysed)
{
	size_t n;
	char *log = t_slurp(real_log(), &n);
	CHECK(log != NULL);
	if (!log)
		return;
	/* lines 1-3 of the real log, then garbage, bad hex, then line 296 */
	char *buf = malloc(n + 200);
	size_t k = 0;
	const char *p = log;
	for (int line = 1; line <= 296; line++) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) + 1 : strlen(p);
		if (line <= 3 || line == 296) {
			memcpy(buf + k, p, len);
			k += len;
		}
		if (line == 3) {
			static const char junk[] = "not json at all\n{\"data\":\"zz\",\"req_id\":1}\n\n";
			memcpy(buf + k, junk, sizeof junk - 1);
			k += sizeof junk - 1;
		}
		p = e ? e + 1 : p + len;
	}
	const char *path = t_write_tmp("cut.log.jsonl", buf, k);
	free(buf);
	free(log);
	const char *argv[] = {"scan", "-q", path, NULL};
	scan_out r;
	run_cmd(&r, mml_cmd_scan, "cut", argv);
	CHECK_EQ(r.rc, MML_EXIT_ERRORS);
	CHECK(strstr(r.err, "cut.log.jsonl:4:") != NULL);
	CHECK(strstr(r.err, "cut.log.jsonl:5:") != NULL);
	/* line numbers of the cut file are the ids; the coordinates sit at its line 7 */
	CHECK(find(&r, 7, "location.coordinates", "7") != NULL);
	CHECK(r.summary && json_integer_value(json_object_get(r.summary, "messages")) == 4);
	scan_out_free(&r);

	const char *missing[] = {"scan", "-q", "/nonexistent/x.jsonl", NULL};
	run_cmd(&r, mml_cmd_scan, "missing", missing);
	CHECK_EQ(r.rc, MML_EXIT_INPUT);
	CHECK(strstr(r.err, "/nonexistent/x.jsonl") != NULL);
	scan_out_free(&r);
}

static int str_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Findings as sorted "ts|category|path|value" lines (ids vary with --jobs). */
static char *finding_keys(const scan_out *r)
{
	size_t i, cap = 1 << 16, len = 0, n = 0;
	json_t *o;
	char **v = calloc(json_array_size(r->lines) + 1, sizeof *v);
	if (!v)
		return NULL;
	json_array_foreach(r->lines, i, o)
	{
		if (o == r->summary)
			continue;
		char b[2048];
		snprintf(b, sizeof b, "%.6f|%s|%s|%s|%s", json_number_value(json_object_get(o, "ts")), t_str(o, "category"),
		         t_str(o, "path"), t_str(o, "value"), t_str(o, "api") ? t_str(o, "api") : "-");
		v[n] = strdup(b);
		if (v[n])
			n++;
	}
	qsort(v, n, sizeof *v, str_cmp);
	char *all = malloc(cap);
	if (all)
		all[0] = 0;
	for (i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		if (all && len + l + 2 > cap) {
			char *more = realloc(all, cap = (cap + l) * 2);
			if (!more)
				free(all);
			all = more;
		}
		if (all) {
			memcpy(all + len, v[i], l);
			len += l;
			all[len++] = '\n';
			all[len] = 0;
		}
		free(v[i]);
	}
	free(v);
	return all;
}

TEST(scan_capture_jobs_give_the_same_findings)
{
	char pcap[512], keys[512], truth[512];
	CHECK_EQ(t_simulate("scanj", "--scenario all --location on --devices 4 --seed 7", pcap, keys, truth, sizeof pcap), 0);
	const char *a1[] = {"scan", "-q", "-k", keys, pcap, NULL};
	const char *a2[] = {"scan", "-q", "-j", "2", "-k", keys, pcap, NULL};
	scan_out r1, r2;
	run_cmd(&r1, mml_cmd_scan, "j1", a1);
	run_cmd(&r2, mml_cmd_scan, "j2", a2);
	CHECK_EQ(r1.rc, MML_EXIT_OK);
	CHECK_EQ(r2.rc, MML_EXIT_OK);
	CHECK(r1.nfind > 200);
	CHECK_EQ(r1.nfind, r2.nfind);
	char *k1 = finding_keys(&r1), *k2 = finding_keys(&r2);
	CHECK(k1 && k2 && !strcmp(k1, k2)); /* NULL: out of memory */
	free(k1);
	free(k2);
	/* capture findings carry time and direction */
	json_t *f = json_array_get(r1.lines, 0);
	CHECK(json_is_real(json_object_get(f, "ts")) && t_str(f, "dir"));
	CHECK_EQ(json_integer_value(json_object_get(r1.summary, "messages")),
	         json_integer_value(json_object_get(r2.summary, "messages")));
	mml_test_note("%zu findings, -j1 and -j2 identical", r1.nfind);
	scan_out_free(&r1);
	scan_out_free(&r2);
}

TEST(scan_input_told_by_magic_not_name)
{
	/* a capture named like a log, and a log named like a capture */
	char pcap[512], keys[512], truth[512];
	CHECK_EQ(t_simulate("magic", "--scenario startup --pcapng", pcap, keys, truth, sizeof pcap), 0);
	size_t n;
	char *cap = t_slurp(pcap, &n);
	const char *as_log = t_write_tmp("capture.log.jsonl", cap, n);
	char as_log_path[512];
	snprintf(as_log_path, sizeof as_log_path, "%s", as_log);
	free(cap);
	const char *a[] = {"scan", "-q", "-k", keys, as_log_path, NULL};
	scan_out r;
	run_cmd(&r, mml_cmd_scan, "magic", a);
	CHECK_EQ(r.rc, MML_EXIT_OK);
	CHECK(r.nfind > 20);
	size_t i, q = 0;
	json_t *o;
	json_array_foreach(r.lines, i, o)
		q += t_str(o, "path") && !strcmp(t_str(o, "path"), "query.uin");
	CHECK(q == 1); /* the newgetdns request's uin */
	scan_out_free(&r);

	char *log = t_slurp(real_log(), &n);
	const char *as_pcap = t_write_tmp("log.pcap", log, n);
	free(log);
	const char *b[] = {"scan", "-q", as_pcap, NULL};
	run_cmd(&r, mml_cmd_scan, "magic2", b);
	CHECK_EQ(r.rc, MML_EXIT_OK);
	CHECK(find(&r, 304, "location.coordinates", "3") != NULL);
	scan_out_free(&r);
}

/* Make fd 0 a pipe fed with the file by a child process; returns the saved fd 0. */
static int stdin_from_pipe(const char *path)
{
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		FILE *f = fopen(path, "rb");
		char b[65536];
		size_t n;
		while (f && (n = fread(b, 1, sizeof b, f)) > 0)
			if (write(fds[1], b, n) != (ssize_t)n)
				break;
		_exit(0);
	}
	close(fds[1]);
	int saved = dup(0);
	dup2(fds[0], 0);
	close(fds[0]);
	clearerr(stdin);
	return saved;
}

TEST(scan_stdin_capture_and_log)
{
	/* the input kind is peeked from stdin (a pipe), and the peeked bytes are not lost */
	char pcap[512], keys[512], truth[512];
	CHECK_EQ(t_simulate("stdin", "--scenario startup --pcapng", pcap, keys, truth, sizeof pcap), 0);
	const char *inputs[2] = {pcap, real_log()};
	size_t counts[2] = {0, 0};
	for (int k = 0; k < 2; k++) {
		int saved = stdin_from_pipe(inputs[k]);
		CHECK(saved >= 0);
		const char *a[] = {"scan", "-q", "-k", keys, "-", NULL};
		scan_out r;
		run_cmd(&r, mml_cmd_scan, k ? "stdinlog" : "stdincap", a);
		CHECK_EQ(r.rc, MML_EXIT_OK);
		counts[k] = r.nfind;
		scan_out_free(&r);
		dup2(saved, 0);
		close(saved);
		clearerr(stdin);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	CHECK(counts[0] > 20);
	CHECK(counts[1] > 500);
	mml_test_note("stdin pipe: %zu findings from a capture, %zu from a log", counts[0], counts[1]);
}

TEST(decode_cli_text_and_json)
{
	const char *a[] = {"decode", "-m", "296", real_log(), NULL};
	scan_out r;
	run_cmd(&r, mml_cmd_decode, "dec", a);
	CHECK_EQ(r.rc, MML_EXIT_OK);
	char *text = t_slurp(r.out, NULL);
	CHECK(text && strstr(text, "== msg 296") && strstr(text, "7.1") && strstr(text, "-122.08"));
	CHECK(text && !strstr(text, "== msg 295"));
	free(text);
	scan_out_free(&r);

	const char *b[] = {"decode", "--format", "json", real_log(), NULL};
	run_cmd(&r, mml_cmd_decode, "decj", b);
	CHECK_EQ(r.rc, MML_EXIT_OK);
	CHECK_EQ(json_array_size(r.lines), 304); /* one object per line of the log */
	json_t *o = json_array_get(r.lines, 244);
	CHECK(o && json_integer_value(json_object_get(o, "msg")) == 245 && json_object_get(o, "tree"));
	scan_out_free(&r);

	const char *bad[] = {"decode", "--known", "x=y", real_log(), NULL};
	run_cmd(&r, mml_cmd_decode, "decbad", bad);
	CHECK_EQ(r.rc, MML_EXIT_USAGE);
	scan_out_free(&r);
}
