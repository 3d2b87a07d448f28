/*
 * tests/test_analyze_diff_audit.c - `mmlens diff` and `mmlens audit` on the real
 * plaintext log: a difference between two sessions with its evidence,
 * the same differences when the log is cut into two files, the audit
 * verdicts of a session where a Mini Program was opened, and exit codes.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/analyze.h"
#include "mmlens/cli.h"
#include "test.h"
#include "util.h"

static const char *real_log(void) { return mml_test_data("wechat-logs/startup_permissions_on_2.log.jsonl"); }

static const char *at(const char *path, int n)
{
	static char buf[4][1024];
	static int i;
	char *b = buf[i++ & 3];
	snprintf(b, sizeof buf[0], "%s@%d", path, n);
	return b;
}

static json_t *find_diff(json_t *lines, const char *only_in, const char *level, const char *cat)
{
	size_t i;
	json_t *o;
	json_array_foreach(lines, i, o)
	{
		if (t_str(o, "kind") && !strcmp(t_str(o, "kind"), "difference") && !strcmp(t_str(o, "only_in"), only_in) &&
		    !strcmp(t_str(o, "level"), level) && !strcmp(t_str(o, "category"), cat))
			return o;
	}
	return NULL;
}

TEST(diff_sessions_coordinates)
{
	t_cmd r;
	const char *argv[] = {"diff", at(real_log(), 5), at(real_log(), 1), NULL};
	t_cmd_run(&r, mml_cmd_diff, "diff51", argv);
	CHECK_EQ(r.rc, 0);
	json_t *d = find_diff(r.lines, "A", "category", "location.coordinates");
	REQUIRE(d);
	CHECK(json_is_null(json_object_get(d, "api")));
	CHECK(json_is_null(json_object_get(d, "party")));
	json_t *ev = json_object_get(d, "evidence");
	REQUIRE(json_array_size(ev) == 3);
	static const int msgs[] = {296, 297, 304};
	static const char *const paths[] = {"7", "1", "3"};
	for (size_t i = 0; i < 3; i++) {
		json_t *e = json_array_get(ev, i);
		CHECK_EQ(json_integer_value(json_object_get(e, "msg")), msgs[i]);
		CHECK_STR(t_str(e, "path"), paths[i]);
	}
	CHECK_EQ(json_integer_value(json_object_get(d, "evidence_count")), 3);
	/* nothing about coordinates the other way round, and B's extras are B's */
	CHECK(!find_diff(r.lines, "B", "category", "location.coordinates"));
	mml_test_note("%zu differences", json_array_size(r.lines));
	json_decref(r.lines);
}

/* A difference without message ids, for comparing runs on different files. */
static char *diff_sig(json_t *o)
{
	json_t *k = json_object();
	const char *keys[] = {"only_in", "level", "category", "api", "party", "evidence_count"};
	for (size_t i = 0; i < 6; i++)
		json_object_set(k, keys[i], json_object_get(o, keys[i]));
	json_t *paths = json_array();
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(o, "evidence"), i, e)
	json_array_append(paths, json_object_get(e, "path"));
	json_object_set_new(k, "paths", paths);
	char *s = json_dumps(k, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(k);
	return s;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool same_diffs(json_t *a, json_t *b)
{
	size_t n = json_array_size(a);
	if (n != json_array_size(b) || n == 0)
		return false;
	char **sa = calloc(n, sizeof *sa), **sb = calloc(n, sizeof *sb);
	for (size_t i = 0; i < n; i++) {
		sa[i] = diff_sig(json_array_get(a, i));
		sb[i] = diff_sig(json_array_get(b, i));
	}
	qsort(sa, n, sizeof *sa, cmp_str);
	qsort(sb, n, sizeof *sb, cmp_str);
	bool same = true;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(sa[i], sb[i]))
			same = false;
		free(sa[i]);
		free(sb[i]);
	}
	free(sa);
	free(sb);
	return same;
}

TEST(diff_cut_log_same_as_whole)
{
	size_t len;
	char *all = t_slurp(real_log(), &len);
	REQUIRE(all);
	/* cut after line 180 */
	size_t off = 0;
	for (int line = 0; line < 180 && off < len; off++)
		if (all[off] == '\n')
			line++;
	char p1[600], p2[600];
	snprintf(p1, sizeof p1, "%s", t_write_tmp("part1.log.jsonl", all, off));
	snprintf(p2, sizeof p2, "%s", t_write_tmp("part2.log.jsonl", all + off, len - off));
	free(all);
	/* part2's sessions: 181-271 and 272-304 */
	t_cmd whole, cut, whole4, cut4;
	const char *wa[] = {"diff", at(real_log(), 5), at(real_log(), 1), NULL};
	t_cmd_run(&whole, mml_cmd_diff, "dw", wa);
	const char *ca[] = {"diff", at(p2, 2), at(p1, 1), NULL};
	t_cmd_run(&cut, mml_cmd_diff, "dc", ca);
	CHECK_EQ(whole.rc, 0);
	CHECK_EQ(cut.rc, 0);
	CHECK(same_diffs(whole.lines, cut.lines));
	json_t *d = find_diff(cut.lines, "A", "category", "location.coordinates");
	REQUIRE(d);
	CHECK_EQ(json_integer_value(json_object_get(json_array_get(json_object_get(d, "evidence"), 0), "msg")),
	         296 - 180);
	/* and a session of the cut file against one of the whole log */
	const char *wb[] = {"diff", at(real_log(), 4), at(real_log(), 3), NULL};
	t_cmd_run(&whole4, mml_cmd_diff, "dw4", wb);
	const char *cb[] = {"diff", at(p2, 1), at(real_log(), 3), NULL};
	t_cmd_run(&cut4, mml_cmd_diff, "dc4", cb);
	CHECK(same_diffs(whole4.lines, cut4.lines));
	mml_test_note("%zu and %zu differences", json_array_size(whole.lines), json_array_size(whole4.lines));
	json_decref(whole.lines);
	json_decref(cut.lines);
	json_decref(whole4.lines);
	json_decref(cut4.lines);
}

TEST(diff_usage_and_inputs)
{
	t_cmd r;
	const char *one[] = {"diff", real_log(), NULL};
	t_cmd_run(&r, mml_cmd_diff, "du1", one);
	CHECK_EQ(r.rc, 1);
	json_decref(r.lines);
	const char *nosess[] = {"diff", at(real_log(), 9), real_log(), NULL};
	t_cmd_run(&r, mml_cmd_diff, "du2", nosess);
	CHECK_EQ(r.rc, 1);
	CHECK(strstr(r.err, "no session 9"));
	json_decref(r.lines);
	const char *bad[] = {"diff", "/nonexistent/x.log", real_log(), NULL};
	t_cmd_run(&r, mml_cmd_diff, "du3", bad);
	CHECK_EQ(r.rc, 2);
	json_decref(r.lines);
	/* a session against itself: no differences, only the summary */
	const char *same[] = {"diff", at(real_log(), 2), at(real_log(), 2), NULL};
	t_cmd_run(&r, mml_cmd_diff, "du4", same);
	CHECK_EQ(r.rc, 0);
	REQUIRE(json_array_size(r.lines) == 1);
	CHECK_STR(t_str(json_array_get(r.lines, 0), "kind"), "diff_summary");
	CHECK_EQ(t_int(json_array_get(r.lines, 0), "differences"), 0);
	json_decref(r.lines);
	/* a file against itself: nothing to compare, said so */
	const char *ident[] = {"diff", real_log(), real_log(), NULL};
	t_cmd_run(&r, mml_cmd_diff, "du5", ident);
	CHECK_EQ(r.rc, 1);
	CHECK(strstr(r.err, "hold the same bytes") != NULL);
	json_decref(r.lines);
}

TEST(audit_miniprogram_session)
{
	t_cmd r;
	const char *argv[] = {"audit", "--policy", "wechat", at(real_log(), 4), NULL};
	t_cmd_run(&r, mml_cmd_audit, "audit4", argv);
	CHECK_EQ(r.rc, 0);
	size_t i, nmp = 0, ndev = 0;
	json_t *o, *sum = NULL;
	json_array_foreach(r.lines, i, o)
	{
		const char *kind = t_str(o, "kind");
		if (kind && !strcmp(kind, "audit_summary")) {
			sum = o;
			continue;
		}
		REQUIRE(kind && !strcmp(kind, "flow"));
		const char *cat = t_str(o, "category"), *v = t_str(o, "verdict"), *party = t_str(o, "party");
		json_t *ev = json_object_get(o, "evidence");
		CHECK(json_array_size(ev) >= 1);
		CHECK(json_integer_value(json_object_get(o, "evidence_count")) >= (json_int_t)json_array_size(ev));
		json_t *e0 = json_array_get(ev, 0);
		CHECK(json_integer_value(json_object_get(e0, "msg")) >= 181 &&
		      json_integer_value(json_object_get(e0, "msg")) <= 271);
		CHECK(t_str(e0, "path") && t_str(e0, "detector"));
		if (!strncmp(cat, "miniprogram.", 12) && !strcmp(party, "wechat")) {
			nmp++;
			/* a flow whose feature is unknown may be undetermined; it then says so */
			CHECK(!strcmp(v, "other_party") || !strcmp(v, "omitted") ||
			      (!strcmp(v, "undetermined") && !strcmp(t_str(o, "context"), "unknown")));
		}
		if (!strcmp(party, "wechat") && (!strcmp(cat, "device.info") || !strncmp(cat, "network.", 8))) {
			ndev++;
			CHECK(!strcmp(v, "disclosed") || !strcmp(v, "vague"));
			CHECK(t_str(o, "statement") && !strcmp(t_str(o, "section"), "Log data"));
		}
	}
	CHECK(nmp >= 2);
	CHECK(ndev >= 2);
	REQUIRE(sum);
	mml_test_note("session 4: %lld flows: disclosed %lld, vague %lld, omitted %lld, contradicted %lld, other_party %lld",
	              (long long)json_integer_value(json_object_get(sum, "flows")),
	              (long long)json_integer_value(json_object_get(sum, "disclosed")),
	              (long long)json_integer_value(json_object_get(sum, "vague")),
	              (long long)json_integer_value(json_object_get(sum, "omitted")),
	              (long long)json_integer_value(json_object_get(sum, "contradicted")),
	              (long long)json_integer_value(json_object_get(sum, "other_party")));
	json_decref(r.lines);
}

TEST(audit_usage)
{
	t_cmd r;
	/* no --policy: auto, both shipped models */
	const char *nopol[] = {"audit", real_log(), NULL};
	t_cmd_run(&r, mml_cmd_audit, "au1", nopol);
	CHECK_EQ(r.rc, 0);
	REQUIRE(json_array_size(r.lines));
	CHECK_STR(t_str(json_array_get(r.lines, json_array_size(r.lines) - 1), "policy"), "auto");
	json_decref(r.lines);
	/* --policy twice: refused, not silently the last */
	const char *twice[] = {"audit", "--policy", "wechat", "--policy", "weixin", real_log(), NULL};
	t_cmd_run(&r, mml_cmd_audit, "au3", twice);
	CHECK_EQ(r.rc, 1);
	CHECK(strstr(r.err, "--policy given twice") != NULL);
	json_decref(r.lines);
	const char *badpol[] = {"audit", "--policy", "/nonexistent/policy.json", real_log(), NULL};
	t_cmd_run(&r, mml_cmd_audit, "au2", badpol);
	CHECK_EQ(r.rc, 2);
	json_decref(r.lines);
}

/* The flow of category cat whose first receiving API contains api (NULL: any). */
static json_t *find_flow(json_t *lines, const char *cat, const char *api)
{
	size_t i;
	json_t *o;
	json_array_foreach(lines, i, o)
	{
		if (strcmp(t_str(o, "kind"), "flow") || strcmp(t_str(o, "category"), cat))
			continue;
		const char *a0 = json_string_value(json_array_get(json_object_get(o, "apis"), 0));
		if (!api || (a0 && strstr(a0, api)))
			return o;
	}
	return NULL;
}

TEST(audit_conditions_from_labels)
{
	/* The coordinates of session 5 go to Search (websearchconfig), which
	 * Weixin operates: its guidelines govern them (--policy auto). With no
	 * label the permission is unknown and decides the verdict: undetermined;
	 * a label saying it was not granted turns them into a contradiction of
	 * wx-no-location-permission; one saying it was granted, a disclosure
	 * whose condition held. Judged by WeChat's policy alone, Search's
	 * coordinates are omitted: its location statements are about People
	 * Nearby and location features. */
	static const struct {
		const char *policy, *label, *verdict, *statement;
		int held; /* 1 true, -1 null */
	} cases[] = {
		{"auto", NULL, "undetermined", NULL, -1},
		{"auto", "5:permissions=", "contradicted", "wx-no-location-permission", 1},
		{"auto", "5:permissions=location", "disclosed", "wx-search-coordinates", 1},
		{"auto", "5:permissions=camera", "contradicted", "wx-no-location-permission", 1},
		{"wechat", NULL, "omitted", NULL, -1},
		{"wechat", "5:permissions=location", "omitted", NULL, -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		t_cmd r;
		const char *argv[] = {"audit", "--policy", cases[i].policy, at(real_log(), 5), NULL, NULL, NULL};
		if (cases[i].label) {
			argv[4] = "--label";
			argv[5] = cases[i].label;
		}
		t_cmd_run(&r, mml_cmd_audit, "auditcond", argv);
		CHECK_EQ(r.rc, 0);
		json_t *f = find_flow(r.lines, "location.coordinates", "websearchconfig");
		REQUIRE(f);
		CHECK_STR(t_str(f, "verdict"), cases[i].verdict);
		if (cases[i].statement)
			CHECK_STR(t_str(f, "statement"), cases[i].statement);
		else
			CHECK(t_str(f, "statement") == NULL);
		json_t *h = json_object_get(f, "condition_held");
		CHECK(cases[i].held == 1 ? json_is_true(h) : json_is_null(h));
		json_t *sum = json_array_get(r.lines, json_array_size(r.lines) - 1);
		CHECK_STR(t_str(sum, "kind"), "audit_summary");
		CHECK_EQ(t_int(sum, "session"), 5);
		CHECK(cases[i].label ? json_is_object(json_object_get(sum, "label")) : json_is_null(json_object_get(sum, "label")));
		json_decref(r.lines);
	}
	/* region conditions */
	mml_label lb = {.session = 1, .region = "US"};
	CHECK_EQ(mml_label_cond(&lb, "account_region", "non_mainland"), 1);
	CHECK_EQ(mml_label_cond(&lb, "account_region", "mainland"), 0);
	CHECK_EQ(mml_label_cond(&lb, "account_region", "us"), 1);
	CHECK_EQ(mml_label_cond(&lb, "legal_basis", "lawful_request"), -1);
	CHECK_EQ(mml_label_cond(&lb, "permission", "location"), -1); /* permissions not given */
	lb.region = "CN";
	CHECK_EQ(mml_label_cond(&lb, "account_region", "non_mainland"), 0);
	CHECK_EQ(mml_label_cond(NULL, "account_region", "non_mainland"), -1);
}
