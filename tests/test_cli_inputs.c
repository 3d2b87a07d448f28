/*
 * tests/test_cli_inputs.c - what the commands read and what they say about
 * it (src/cli/inputs.c, src/analyze/compare.c, inspect.c): cumulative
 * series and overlapping inputs, the diff's receivers, absences and
 * caveats, the accounting of empty and opaque bodies, the command traps
 * (a repeated option, a side that could not be decrypted), and the
 * checked plan (scripts/check-deps.sh).
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mmlens/cli.h"
#include "mmlens/collect.h"
#include "mmlens/report.h"
#include "test.h"
#include "util.h"

static const char *real_log(void) { return mml_test_data("wechat-logs/startup_permissions_on_2.log.jsonl"); }

/* Lines [from, to] of the real log as a file in the temp dir. */
static const char *lines_file(const char *name, int from, int to)
{
	static char path[8][1024];
	static int k;
	k = (k + 1) % 8;
	size_t len;
	char *t = t_slurp(real_log(), &len);
	if (!t)
		return NULL;
	snprintf(path[k], sizeof path[k], "%s/%s", mml_test_tmpdir(), name);
	FILE *f = fopen(path[k], "w");
	int line = 1;
	for (size_t i = 0; f && i < len; i++) {
		if (line >= from && line <= to)
			fputc(t[i], f);
		line += t[i] == '\n';
	}
	if (f)
		fclose(f);
	free(t);
	return path[k];
}

TEST(series_prefixes_reproduce_the_sessions)
{
	/* the published log's five scenarios as the cumulative files they were
	 * published as, given in any order */
	static const int ends[5] = {115, 141, 180, 271, 304};
	char p[5][1024];
	for (int k = 0; k < 5; k++) {
		char n[32];
		snprintf(n, sizeof n, "scenario%d.log.jsonl", k + 1);
		snprintf(p[k], sizeof p[k], "%s", lines_file(n, 1, ends[k]));
	}
	const char *argv[] = {"sessions", "--series", p[3], p[0], p[4], p[2], p[1], NULL};
	t_cmd r;
	t_cmd_run(&r, mml_cmd_sessions, "series", argv);
	CHECK_EQ(r.rc, 0);
	REQUIRE(json_array_size(r.lines) == 5);
	static const int first[5] = {1, 116, 142, 181, 272};
	for (int k = 0; k < 5; k++) {
		json_t *o = json_array_get(r.lines, (size_t)k);
		CHECK_EQ(t_int(o, "first"), first[k]);
		CHECK_EQ(t_int(o, "last"), ends[k]);
		char n[32];
		snprintf(n, sizeof n, "scenario%d.log.jsonl", k + 1);
		CHECK_STR(t_str(json_object_get(o, "label"), "scenario"), n);
	}
	CHECK(strstr(r.err, "cumulative series") != NULL);
	json_decref(r.lines);
	/* the same without --series: detected and said */
	const char *auto_[] = {"sessions", p[1], p[0], NULL};
	t_cmd_run(&r, mml_cmd_sessions, "series2", auto_);
	CHECK_EQ(r.rc, 0);
	CHECK_EQ(json_array_size(r.lines), 2);
	CHECK(strstr(r.err, "note: the 2 inputs are a cumulative series") != NULL);
	json_decref(r.lines);
	/* a part picked by its file's name (with or without extensions) */
	const char *pick[] = {"audit", "--label", "5:permissions=location", p[4], p[3], p[2], p[1], p[0], "@scenario5",
	                      NULL};
	t_cmd_run(&r, mml_cmd_audit, "series3", pick);
	CHECK_EQ(r.rc, 0);
	json_t *sum = json_array_get(r.lines, json_array_size(r.lines) - 1);
	CHECK_EQ(t_int(sum, "session"), 5);
	CHECK_EQ(t_int(sum, "sessions"), 1);
	json_decref(r.lines);
	/* --series on files that are not one: refused, naming them */
	const char *other = lines_file("other.log.jsonl", 200, 304);
	const char *bad[] = {"sessions", "--series", p[0], other, NULL};
	t_cmd_run(&r, mml_cmd_sessions, "series4", bad);
	CHECK_EQ(r.rc, 1);
	CHECK(strstr(r.err, "is not a prefix of") != NULL);
	json_decref(r.lines);
}

TEST(inputs_overlapping_warned)
{
	/* two logs sharing lines 150-200 but neither a prefix of the other */
	const char *a = lines_file("ova.log.jsonl", 100, 200), *b = lines_file("ovb.log.jsonl", 150, 304);
	const char *argv[] = {"sessions", a, b, NULL};
	t_cmd r;
	t_cmd_run(&r, mml_cmd_sessions, "overlap", argv);
	CHECK_EQ(r.rc, 0);
	CHECK(strstr(r.err, "share") != NULL && strstr(r.err, "message(s)") != NULL);
	json_decref(r.lines);
}

static json_t *difference(json_t *lines, const char *only_in, const char *level, const char *cat)
{
	size_t i;
	json_t *o;
	json_array_foreach(lines, i, o)
	{
		if (strcmp(t_str(o, "kind"), "difference"))
			continue;
		if (!strcmp(t_str(o, "only_in"), only_in) && !strcmp(t_str(o, "level"), level) &&
		    !strcmp(t_str(o, "category"), cat))
			return o;
	}
	return NULL;
}

TEST(diff_cumulative_files_compare_own_parts)
{
	/* a "location on" file holding the earlier scenarios, against the
	 * Mini Program file it extends: its own part (lines 272-304) is what
	 * is compared, and it is said */
	const char *on = lines_file("on.log.jsonl", 1, 304), *off = lines_file("off.log.jsonl", 1, 271);
	const char *argv[] = {"diff", on, off, NULL};
	t_cmd r;
	t_cmd_run(&r, mml_cmd_diff, "dcum", argv);
	CHECK_EQ(r.rc, 0);
	CHECK(strstr(r.err, "is a prefix of") != NULL);
	json_t *d = difference(r.lines, "A", "category", "location.coordinates");
	REQUIRE(d);
	CHECK_EQ(t_int(json_array_get(json_object_get(d, "evidence"), 0), "msg"), 296);
	/* what only the earlier scenarios sent is not a difference of A's own part */
	CHECK(difference(r.lines, "A", "category", "miniprogram.activity") == NULL);
	CHECK(difference(r.lines, "B", "category", "miniprogram.activity") != NULL);
	json_t *sum = json_array_get(r.lines, json_array_size(r.lines) - 1);
	CHECK_STR(t_str(sum, "kind"), "diff_summary");
	CHECK_EQ(t_int(json_object_get(sum, "a"), "session"), 2);
	json_decref(r.lines);
}

TEST(diff_says_receivers_absences_and_days_apart)
{
	char a[1100], b[1100];
	snprintf(a, sizeof a, "%s@5", real_log());
	snprintf(b, sizeof b, "%s@4", real_log());
	const char *argv[] = {"diff", "--label", "5:permissions=location", "--label", "4:permissions=", a, b, NULL};
	t_cmd r;
	t_cmd_run(&r, mml_cmd_diff, "dabs", argv);
	CHECK_EQ(r.rc, 0);
	json_t *d = difference(r.lines, "A", "category", "location.coordinates");
	REQUIRE(d);
	json_t *rb = json_object_get(d, "received_by");
	REQUIRE(json_array_size(rb) == 3);
	CHECK_STR(t_str(json_array_get(rb, 0), "api"), "/cgi-bin/mmsearch-bin/websearchconfig");
	CHECK_STR(t_str(json_array_get(rb, 0), "party"), "weixin");
	CHECK_STR(t_str(json_array_get(rb, 0), "feature"), "search");
	CHECK_EQ(t_int(d, "miniprogram_endpoints"), 0);
	const char *st = t_str(d, "statement");
	CHECK(strstr(st, "location.coordinates: only in A (session 5, permissions location), not in B (session 4, "
	                 "permissions none)") != NULL);
	CHECK(strstr(st, "Mini Program endpoints: none") != NULL);
	CHECK(t_str(d, "caveat") && strstr(t_str(d, "caveat"), "different days"));
	json_t *sum = json_array_get(r.lines, json_array_size(r.lines) - 1);
	CHECK_STR(t_str(sum, "kind"), "diff_summary");
	CHECK_EQ(t_int(sum, "days_apart"), 34);
	CHECK_STR(t_str(json_object_get(sum, "a"), "app_version"), "8.0.23");
	json_decref(r.lines);
}

TEST(diff_side_not_decrypted_refused)
{
	/* the published capture without its key log: nothing of it can be
	 * opened, so every difference would be an artifact */
	char cap[1024], keys[1024], log[1024];
	snprintf(cap, sizeof cap, "%s", mml_test_data("mmtls-capture/capture-logged-in-all-keys.pcapng"));
	snprintf(keys, sizeof keys, "%s", mml_test_data("mmtls-capture/frida-logged-in-all-keys.log"));
	snprintf(log, sizeof log, "%s", real_log());
	const char *argv[] = {"diff", cap, log, NULL};
	t_cmd r;
	t_cmd_run(&r, mml_cmd_diff, "dnokey", argv);
	CHECK_EQ(r.rc, 3);
	CHECK(strstr(r.err, "could be decrypted") != NULL && strstr(r.err, "--keylog-a") != NULL);
	CHECK_EQ(json_array_size(r.lines), 0);
	json_decref(r.lines);
	const char *force[] = {"diff", "--force", cap, log, NULL};
	t_cmd_run(&r, mml_cmd_diff, "dnokey2", force);
	CHECK_EQ(r.rc, 0);
	json_decref(r.lines);
	/* its own key log opens it (per-side key logs) */
	const char *own[] = {"diff", "--keylog-a", keys, cap, log, NULL};
	t_cmd_run(&r, mml_cmd_diff, "dnokey3", own);
	CHECK_EQ(r.rc, 0);
	json_t *sum = json_array_get(r.lines, json_array_size(r.lines) - 1);
	CHECK(t_int(json_object_get(sum, "a"), "readable") >= 40);
	json_decref(r.lines);
}

TEST(scan_accounts_empty_opaque_and_sessions)
{
	const char *argv[] = {"scan", real_log(), NULL};
	t_cmd r;
	t_cmd_run(&r, mml_cmd_scan, "scanacc", argv);
	CHECK_EQ(r.rc, 0);
	json_t *sum = json_array_get(r.lines, json_array_size(r.lines) - 1);
	CHECK_STR(t_str(sum, "kind"), "summary");
	CHECK_EQ(t_int(sum, "messages"), 304);
	CHECK_EQ(t_int(sum, "empty"), 24);
	CHECK_EQ(t_int(sum, "opaque"), 19);
	CHECK_EQ(t_int(sum, "unreadable"), 0);
	json_t *eb = json_object_get(sum, "empty_by_type");
	bool auth = false;
	for (size_t i = 0; i < json_array_size(eb); i++)
		auth |= json_is_true(json_object_get(json_array_get(eb, i), "auth"));
	CHECK(auth);
	/* the words on stderr say what is not seen, and that the file holds five sessions */
	CHECK(strstr(r.err, "24 empty bodies") != NULL);
	CHECK(strstr(r.err, "19 opaque bodies") != NULL);
	CHECK(strstr(r.err, "device fingerprint") != NULL);
	CHECK(strstr(r.err, "holds 5 sessions") != NULL);
	mml_test_note("real log: %lld empty, %lld opaque, %lld with an unknown API", t_int(sum, "empty"),
	              t_int(sum, "opaque"), t_int(sum, "unknown_api"));
	json_decref(r.lines);
	/* every coordinate of the real log has a named API (its receiver is known) */
	size_t i;
	json_t *o;
	int coords = 0;
	t_cmd_run(&r, mml_cmd_scan, "scanapi", argv);
	json_array_foreach(r.lines, i, o)
	{
		if (!strcmp(t_str(o, "kind"), "finding") && !strcmp(t_str(o, "category"), "location.coordinates")) {
			coords++;
			CHECK(t_str(o, "api") != NULL);
		}
	}
	CHECK_EQ(coords, 3);
	json_decref(r.lines);
}

/* Bodies without a request type (plaintext HTTP, longlink commands) are
 * told apart by their API: an unknown one is never listed under a
 * neighbour's name. */
TEST(scan_accounts_untyped_bodies_by_api)
{
	mml_scan_counts a = {0}, b = {0}, sum = {0};
	a.opaque = 1;
	a.ntypes = 1;
	a.types[0] = (mml_type_count){.req_type = -1, .opaque = 1};
	snprintf(a.types[0].api, sizeof a.types[0].api, "/cgi-bin/micromsg-bin/newgetdns");
	b.opaque = 4;
	b.ntypes = 2;
	b.types[0] = (mml_type_count){.req_type = -1, .opaque = 3};
	b.types[1] = (mml_type_count){.req_type = 138, .opaque = 1};
	mml_scan_counts_add(&sum, &a);
	mml_scan_counts_add(&sum, &b);
	CHECK_EQ(sum.ntypes, 3);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	mml_counts_write_text(&sum, f);
	fclose(f);
	CHECK(strstr(text, "(API unknown x3, newgetdns x1, type 138 x1)") != NULL);
	free(text);
	f = open_memstream(&text, &len);
	fputc('{', f);
	mml_counts_write_json(&sum, f);
	fputc('}', f);
	fclose(f);
	json_t *o = json_loads(text, 0, NULL);
	json_t *ob = json_object_get(o, "opaque_by_type");
	CHECK_EQ(json_array_size(ob), 3);
	CHECK(json_is_null(json_object_get(json_array_get(ob, 0), "api")));
	CHECK_EQ(t_int(json_array_get(ob, 0), "messages"), 3);
	CHECK_STR(t_str(json_array_get(ob, 1), "api"), "/cgi-bin/micromsg-bin/newgetdns");
	json_decref(o);
	free(text);
}

TEST(check_deps_refuses_analysis_in_the_cli)
{
	/* a copy of the tree with one analysis step written into a command (tests/
	 * too: check-deps wants a test file per module) */
	char dir[512], cmd[4096];
	snprintf(dir, sizeof dir, "%s/deps", mml_test_tmpdir());
	snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp -r src include scripts tests '%s'/ && "
	         "sh '%s/scripts/check-deps.sh' '%s' > /dev/null", dir, dir, dir, dir, dir);
	CHECK_EQ(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "printf 'void f(void){ mml_decode_body(0, 0, 0); }\\n' >> '%s/src/cli/diff.c' && "
	         "sh '%s/scripts/check-deps.sh' '%s' | grep -q 'an analysis step in the cli'", dir, dir, dir);
	CHECK_EQ(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "sh '%s/scripts/check-deps.sh' '%s' > /dev/null", dir, dir);
	CHECK(system(cmd) != 0);
}

TEST(keylog_repeated_merges_and_one_that_opens_nothing_fails)
{
	/* the published hooks write one key log per process: the network
	 * process's OUTER lines and the main process's INNER lines */
	char cap[1024], keys[1024], outer[1024], inner[1024];
	snprintf(cap, sizeof cap, "%s", mml_test_data("mmtls-capture/capture-logged-in-all-keys.pcapng"));
	snprintf(keys, sizeof keys, "%s", mml_test_data("mmtls-capture/frida-logged-in-all-keys.log"));
	snprintf(outer, sizeof outer, "%s/outer.keys", mml_test_tmpdir());
	snprintf(inner, sizeof inner, "%s/inner.keys", mml_test_tmpdir());
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "grep '\"OUTER\"' '%s' > '%s' && grep '\"INNER\"' '%s' > '%s'", keys, outer, keys, inner);
	REQUIRE(system(cmd) == 0);
	t_cmd one, two;
	const char *a1[] = {"decrypt", "-q", "-k", keys, cap, NULL};
	const char *a2[] = {"decrypt", "-q", "-k", outer, "-k", inner, cap, NULL};
	t_cmd_run(&one, mml_cmd_decrypt, "klone", a1);
	t_cmd_run(&two, mml_cmd_decrypt, "kltwo", a2);
	CHECK_EQ(one.rc, 0);
	CHECK_EQ(two.rc, 0);
	/* the same messages, bodies included (key-log line numbers differ by file) */
	size_t i, nmsg = 0, nbody = 0;
	json_t *o;
	REQUIRE(json_array_size(one.lines) == json_array_size(two.lines));
	json_array_foreach(one.lines, i, o)
	{
		json_t *p = json_array_get(two.lines, i);
		if (strcmp(t_str(o, "kind"), "message"))
			continue;
		nmsg++;
		CHECK_STR(t_str(o, "status"), t_str(p, "status"));
		if (t_str(o, "body_hex")) {
			nbody++;
			CHECK_STR(t_str(o, "body_hex"), t_str(p, "body_hex"));
		}
	}
	CHECK_EQ(nmsg, 54);
	CHECK(nbody >= 40);
	json_decref(one.lines);
	json_decref(two.lines);
	/* a key log that opens nothing: said, exit 3 */
	const char *a3[] = {"decrypt", "-q", "-k", inner, cap, NULL};
	t_cmd_run(&one, mml_cmd_decrypt, "klnone", a3);
	CHECK_EQ(one.rc, 3);
	CHECK(strstr(one.err, "0 of 43 key log lines matched") != NULL);
	json_decref(one.lines);
	/* the commands that analyse take -k twice too */
	const char *a4[] = {"scan", "-q", "-k", outer, "-k", inner, cap, NULL};
	t_cmd_run(&one, mml_cmd_scan, "klscan", a4);
	CHECK_EQ(one.rc, 0);
	json_t *sum = json_array_get(one.lines, json_array_size(one.lines) - 1);
	CHECK(t_int(sum, "decrypted") >= 40);
	json_decref(one.lines);
}

TEST(series_part_without_messages_keeps_the_numbering)
{
	/* a file that adds nothing but a blank line, and an empty file: their
	 * parts are sessions of 0 messages, and every later label stays right */
	const char *s1 = lines_file("e1.log.jsonl", 1, 180);
	char s2[1024], s3[1024], zero[1024];
	snprintf(s2, sizeof s2, "%s/e2.log.jsonl", mml_test_tmpdir());
	snprintf(s3, sizeof s3, "%s/e3.log.jsonl", mml_test_tmpdir());
	snprintf(zero, sizeof zero, "%s/e0.log.jsonl", mml_test_tmpdir());
	size_t n1, n4;
	char *a = t_slurp(s1, &n1), *b = t_slurp(real_log(), &n4);
	REQUIRE(a && b);
	FILE *f = fopen(s2, "w"), *g = fopen(s3, "w"), *z = fopen(zero, "w");
	REQUIRE(f && g && z);
	fwrite(a, 1, n1, f);
	fputc('\n', f);
	fwrite(a, 1, n1, g);
	fputc('\n', g);
	fwrite(b + n1, 1, n4 - n1, g); /* lines 181-304 */
	fclose(f);
	fclose(g);
	fclose(z);
	free(a);
	free(b);
	const char *argv[] = {"sessions", zero, s1, s2, s3, NULL};
	t_cmd r;
	t_cmd_run(&r, mml_cmd_sessions, "emptypart", argv);
	CHECK_EQ(r.rc, 0);
	REQUIRE(json_array_size(r.lines) == 4);
	CHECK_EQ(t_int(json_array_get(r.lines, 0), "messages"), 0);
	CHECK_STR(t_str(json_object_get(json_array_get(r.lines, 0), "label"), "scenario"), "e0.log.jsonl");
	CHECK_EQ(t_int(json_array_get(r.lines, 1), "messages"), 180);
	CHECK_EQ(t_int(json_array_get(r.lines, 2), "messages"), 0);
	CHECK_EQ(t_int(json_array_get(r.lines, 3), "messages"), 124);
	CHECK_STR(t_str(json_object_get(json_array_get(r.lines, 3), "label"), "scenario"), "e3.log.jsonl");
	json_decref(r.lines);
}

TEST(diff_and_report_warn_about_shared_messages)
{
	const char *a = lines_file("sha.log.jsonl", 1, 200), *b = lines_file("shb.log.jsonl", 150, 304);
	const char *argv[] = {"diff", a, b, NULL};
	t_cmd r;
	t_cmd_run(&r, mml_cmd_diff, "dshare", argv);
	CHECK_EQ(r.rc, 0);
	CHECK(strstr(r.err, "share") && strstr(r.err, "message(s)"));
	json_decref(r.lines);
	/* an API-level difference lists only that API's receivers */
	size_t i;
	json_t *o;
	char s5[1100], s4[1100];
	snprintf(s5, sizeof s5, "%s@5", real_log());
	snprintf(s4, sizeof s4, "%s@4", real_log());
	const char *argv2[] = {"diff", s5, s4, NULL};
	t_cmd_run(&r, mml_cmd_diff, "dlevel", argv2);
	json_array_foreach(r.lines, i, o)
	{
		const char *lv = t_str(o, "level");
		if (!lv || strcmp(lv, "category_api"))
			continue;
		json_t *rb = json_object_get(o, "received_by");
		for (size_t k = 0; k < json_array_size(rb); k++) {
			const char *api = t_str(json_array_get(rb, k), "api");
			CHECK(api && t_str(o, "api") && !strcmp(api, t_str(o, "api")));
		}
	}
	json_decref(r.lines);
}

TEST(redact_leaves_no_input_name)
{
	/* the input's name can name a person or a place: not in any output */
	char dir[512], in[1024], cmp[1024], html[1024], db[1024], cmd[4096];
	snprintf(dir, sizeof dir, "%s/alice-in-shenzhen", mml_test_tmpdir());
	snprintf(in, sizeof in, "%s/alice-phone.log.jsonl", dir);
	snprintf(cmp, sizeof cmp, "%s/alice-other.log.jsonl", dir);
	snprintf(html, sizeof html, "%s/r.html", mml_test_tmpdir());
	snprintf(db, sizeof db, "%s/r.db", mml_test_tmpdir());
	snprintf(cmd, sizeof cmd, "mkdir -p '%s' && head -150 '%s' > '%s' && tail -50 '%s' > '%s'", dir, real_log(), in,
	         real_log(), cmp);
	REQUIRE(system(cmd) == 0);
	char *argv[] = {"report", "--redact", "--html", html, "--db", db, "--compare", cmp, in, NULL};
	CHECK_EQ(t_cmd_quiet(mml_cmd_report, argv), 0);
	size_t n;
	char *h = t_slurp(html, &n);
	REQUIRE(h);
	CHECK(!memmem(h, n, "alice", 5) && !memmem(h, n, "shenzhen", 8));
	free(h);
	char *d = t_slurp(db, &n);
	REQUIRE(d);
	CHECK(!memmem(d, n, "alice", 5));
	free(d);
}

TEST(keylog_empty_or_given_twice)
{
	char cap[1024], keys[1024], empty[1024];
	snprintf(cap, sizeof cap, "%s", mml_test_data("mmtls-capture/capture-logged-in-all-keys.pcapng"));
	snprintf(keys, sizeof keys, "%s", mml_test_data("mmtls-capture/frida-logged-in-all-keys.log"));
	snprintf(empty, sizeof empty, "%s", t_write_tmp("empty.keys", "", 0));
	t_cmd r;
	const char *a1[] = {"decrypt", "-q", "-k", empty, cap, NULL};
	t_cmd_run(&r, mml_cmd_decrypt, "klempty", a1);
	CHECK_EQ(r.rc, 3);
	CHECK(strstr(r.err, "no key log line in it") != NULL);
	json_decref(r.lines);
	const char *a2[] = {"decrypt", "-q", "-k", keys, "-k", keys, cap, NULL};
	t_cmd_run(&r, mml_cmd_decrypt, "kltwice", a2);
	CHECK_EQ(r.rc, 0);
	CHECK(strstr(r.err, "key log given twice: read once") != NULL);
	json_decref(r.lines);
}
