/*
 * tests/test_analyze_labels.c - session labels (--label, --manifest), the
 * per-session timeline (`mmlens sessions --timeline`) and picking a
 * session by its scenario name (INPUT@NAME) on the real plaintext log.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/analyze.h"
#include "mmlens/cli.h"
#include "test.h"
#include "util.h"

static const char *real_log(void) { return mml_test_data("wechat-logs/startup_permissions_on_2.log.jsonl"); }

static void count_diag(void *ctx, const char *fmt, ...)
{
	(void)fmt;
	(*(size_t *)ctx)++;
}

TEST(labels_command_line)
{
	mml_labels l;
	char e[320];
	mml_labels_init(&l);
	CHECK_EQ(mml_labels_arg(&l, "5:scenario=location on", e, sizeof e), MML_OK);
	CHECK_EQ(mml_labels_arg(&l, "5:permissions=location, camera", e, sizeof e), MML_OK);
	CHECK_EQ(mml_labels_arg(&l, "5:permissions=location", e, sizeof e), MML_OK); /* already there */
	CHECK_EQ(mml_labels_arg(&l, "5:features=people_nearby,miniprograms", e, sizeof e), MML_OK);
	CHECK_EQ(mml_labels_arg(&l, "5:region=US", e, sizeof e), MML_OK);
	CHECK_EQ(mml_labels_arg(&l, "1:permissions=", e, sizeof e), MML_OK);
	const mml_label *a = mml_labels_find(&l, 5), *b = mml_labels_find(&l, 1);
	REQUIRE(a && b);
	CHECK_STR(a->scenario, "location on");
	CHECK_STR(a->region, "US");
	CHECK_EQ(a->npermissions, 2);
	CHECK_STR(a->permissions[1], "camera");
	CHECK_EQ(a->nfeatures, 2);
	CHECK_EQ(mml_label_permission(a, "location"), 1);
	CHECK_EQ(mml_label_permission(b, "location"), 0);   /* none granted */
	CHECK_EQ(mml_label_permission(NULL, "location"), -1); /* unknown */
	CHECK_EQ(mml_labels_by_scenario(&l, "location on"), 5);
	CHECK_EQ(mml_labels_by_scenario(&l, "location"), 0);
	static const char *const bad[] = {"scenario=x", "0:scenario=x", "x:scenario=y", "5:colour=red", "5:scenario=",
	                                  "5scenario=x", "-1:region=US", "5:region=a\tb"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e[0] = 0;
		CHECK_EQ(mml_labels_arg(&l, bad[i], e, sizeof e), MML_E_ARG);
		CHECK(e[0] != 0);
	}
	char big[400];
	memset(big, 'a', sizeof big);
	memcpy(big, "2:scenario=", 11);
	big[sizeof big - 1] = 0;
	CHECK_EQ(mml_labels_arg(&l, big, e, sizeof e), MML_E_ARG);
	CHECK(strstr(e, "256") != NULL);
	mml_labels_free(&l);
}

TEST(labels_manifest)
{
	const char *m = "{\"sessions\":["
	                "{\"session\":5,\"scenario\":\"loc on\",\"permissions\":[\"location\"],\"region\":\"US\"},"
	                "{\"session\":1,\"input\":\"other.log\",\"scenario\":\"not this input\"},"
	                "{\"session\":1,\"input\":\"run.log\",\"scenario\":\"first\",\"permissions\":[]},"
	                "{\"session\":2,\"features\":\"a,b\",\"colour\":\"red\",\"region\":7},"
	                "{\"scenario\":\"no session\"}, 17, {\"session\":0},"
	                "{\"session\":9,\"scenario\":\"\",\"colour\":1}]}";
	mml_labels l;
	size_t diags = 0;
	mml_labels_init(&l);
	CHECK_EQ(mml_labels_parse(&l, m, strlen(m), "m.json", "/tmp/x/run.log", count_diag, &diags), MML_OK);
	CHECK_EQ(l.n, 3);   /* session 9's entry gave nothing valid: no label */
	CHECK(mml_labels_find(&l, 9) == NULL);
	CHECK_EQ(diags, 7); /* colour, region type, no session, 17, session 0, session 9's scenario and colour */
	const mml_label *a = mml_labels_find(&l, 1);
	REQUIRE(a);
	CHECK_STR(a->scenario, "first");
	CHECK_EQ(mml_label_permission(a, "location"), 0);
	a = mml_labels_find(&l, 2);
	REQUIRE(a);
	CHECK_EQ(a->nfeatures, 2);
	CHECK(a->region == NULL);
	CHECK_EQ(mml_label_permission(mml_labels_find(&l, 5), "location"), 1);
	mml_labels_free(&l);
	/* not a manifest */
	mml_labels_init(&l);
	diags = 0;
	CHECK_EQ(mml_labels_parse(&l, "[1,2]", 5, "m.json", NULL, count_diag, &diags), MML_E_MALFORMED);
	CHECK_EQ(mml_labels_parse(&l, "{\"sessions\":", 12, "m.json", NULL, count_diag, &diags), MML_E_MALFORMED);
	CHECK_EQ(diags, 2);
	CHECK_EQ(l.n, 0);
	/* caps: 33 permissions -> the 33rd is refused and the entry's list stops there */
	char big[2048];
	size_t n = (size_t)snprintf(big, sizeof big, "{\"sessions\":[{\"session\":3,\"permissions\":[");
	for (int i = 0; i < 33; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "%s\"p%d\"", i ? "," : "", i);
	snprintf(big + n, sizeof big - n, "]}]}");
	diags = 0;
	CHECK_EQ(mml_labels_parse(&l, big, strlen(big), "m.json", NULL, count_diag, &diags), MML_OK);
	CHECK_EQ(diags, 1);
	REQUIRE(mml_labels_find(&l, 3));
	CHECK_EQ(mml_labels_find(&l, 3)->npermissions, MML_LABEL_MAXLIST);
	mml_labels_free(&l);
}

static json_t *find_kind(json_t *lines, const char *kind, int session, const char *cat)
{
	size_t i;
	json_t *o;
	json_array_foreach(lines, i, o)
	{
		if (strcmp(t_str(o, "kind"), kind) || t_int(o, "session") != session)
			continue;
		if (!cat || (t_str(o, "category") && !strcmp(t_str(o, "category"), cat)))
			return o;
	}
	return NULL;
}

TEST(sessions_timeline_and_labels_real_log)
{
	char man[512];
	snprintf(man, sizeof man, "%s/labels.json", mml_test_tmpdir());
	FILE *f = fopen(man, "w");
	REQUIRE(f);
	fputs("{\"sessions\":[{\"session\":5,\"input\":\"startup_permissions_on_2.log.jsonl\",\"scenario\":\"location "
	      "on\",\"permissions\":[\"location\"],\"features\":[\"people_nearby\"],\"region\":\"US\"}]}",
	      f);
	fclose(f);
	t_cmd r;
	const char *argv[] = {"sessions", "--timeline", "--manifest", man, "--label", "4:scenario=didi", real_log(), NULL};
	t_cmd_run(&r, mml_cmd_sessions, "tl", argv);
	CHECK_EQ(r.rc, 0);
	REQUIRE(r.lines);
	/* five sessions, each with its label or null */
	json_t *s5 = find_kind(r.lines, "session", 5, NULL), *s4 = find_kind(r.lines, "session", 4, NULL);
	REQUIRE(s5 && s4 && find_kind(r.lines, "session", 1, NULL));
	CHECK(find_kind(r.lines, "session", 6, NULL) == NULL);
	json_t *lb = json_object_get(s5, "label");
	REQUIRE(json_is_object(lb));
	CHECK_STR(t_str(lb, "scenario"), "location on");
	CHECK_STR(t_str(lb, "region"), "US");
	CHECK_STR(json_string_value(json_array_get(json_object_get(lb, "permissions"), 0)), "location");
	CHECK_STR(t_str(json_object_get(s4, "label"), "scenario"), "didi");
	CHECK(json_is_null(json_object_get(find_kind(r.lines, "session", 1, NULL), "label")));
	/* the coordinates of session 5: lines 296, 297 and 304 */
	json_t *c = find_kind(r.lines, "timeline", 5, "location.coordinates");
	REQUIRE(c);
	CHECK_EQ(t_int(c, "first_msg"), 296);
	CHECK_EQ(t_int(c, "last_msg"), 304);
	CHECK_EQ(t_int(c, "messages"), 3);
	CHECK_STR(t_str(c, "party"), "weixin"); /* Search (websearchconfig): operated by Weixin */
	CHECK(find_kind(r.lines, "timeline", 1, "location.coordinates") == NULL);
	/* the Didi telemetry batch of line 245 */
	json_t *mp = find_kind(r.lines, "timeline", 4, "miniprogram.activity");
	REQUIRE(mp);
	CHECK(t_int(mp, "first_msg") >= 181 && t_int(mp, "last_msg") <= 271);
	/* every row lies inside its session, in ids and in time */
	size_t i, rows = 0;
	json_t *o;
	json_array_foreach(r.lines, i, o)
	{
		if (strcmp(t_str(o, "kind"), "timeline"))
			continue;
		rows++;
		json_t *s = find_kind(r.lines, "session", (int)t_int(o, "session"), NULL);
		REQUIRE(s);
		CHECK(t_int(o, "first_msg") >= t_int(s, "first") && t_int(o, "last_msg") <= t_int(s, "last"));
		CHECK(t_int(o, "first_msg") <= t_int(o, "last_msg"));
		CHECK(t_int(o, "messages") >= 1 && t_int(o, "findings") >= t_int(o, "messages"));
		if (json_is_integer(json_object_get(o, "first_ts"))) {
			CHECK(t_int(o, "first_ts") >= t_int(s, "start_ts") && t_int(o, "last_ts") <= t_int(s, "end_ts"));
			CHECK(t_int(o, "first_ts") <= t_int(o, "last_ts"));
		}
	}
	mml_test_note("%zu timeline rows over 5 sessions", rows);
	CHECK(rows > 50);
	json_decref(r.lines);
}

TEST(diff_by_scenario_name)
{
	char a[1024], b[1024];
	snprintf(a, sizeof a, "%s@loc-on", real_log());
	snprintf(b, sizeof b, "%s@first", real_log());
	t_cmd r;
	const char *argv[] = {"diff", "--label", "5:scenario=loc-on", "--label", "1:scenario=first", a, b, NULL};
	t_cmd_run(&r, mml_cmd_diff, "diffname", argv);
	CHECK_EQ(r.rc, 0);
	REQUIRE(r.lines);
	size_t i;
	json_t *o, *hit = NULL;
	json_array_foreach(r.lines, i, o)
	{
		if (t_str(o, "only_in") && !strcmp(t_str(o, "only_in"), "A") &&
		    !strcmp(t_str(o, "category"), "location.coordinates"))
			hit = o;
	}
	REQUIRE(hit);
	CHECK_EQ(t_int(json_array_get(json_object_get(hit, "evidence"), 0), "msg"), 296);
	json_decref(r.lines);
	/* an unknown scenario name is a usage error that says what to do */
	const char *argv2[] = {"diff", "--label", "5:scenario=loc-on", a, b, NULL};
	t_cmd_run(&r, mml_cmd_diff, "diffname2", argv2);
	CHECK_EQ(r.rc, MML_EXIT_USAGE);
	CHECK(strstr(r.err, "\"first\"") != NULL);
	json_decref(r.lines);
	/* a bad --label is refused before reading anything */
	const char *argv3[] = {"diff", "--label", "five:scenario=x", real_log(), real_log(), NULL};
	t_cmd_run(&r, mml_cmd_diff, "diffname3", argv3);
	CHECK_EQ(r.rc, MML_EXIT_USAGE);
	CHECK(strstr(r.err, "--label") != NULL);
	json_decref(r.lines);
}

TEST(flows_timeline_merges_apis)
{
	mml_flows f;
	mml_flows_init(&f);
	mml_recv ra = {.api = "/a", .attributed = true, .party = MML_PARTY_WECHAT, .feature = MML_FEAT_LOCATION, .req_type = -1};
	mml_recv rb = ra, rs = ra;
	rb.api = "/b";
	rs.party = MML_PARTY_WEIXIN;
	rs.feature = MML_FEAT_SEARCH;
	CHECK_EQ(mml_flows_add(&f, "location.coordinates", &ra, 10, true,
	                       1000, "1", "d"), MML_OK);
	CHECK_EQ(mml_flows_add(&f, "location.coordinates", &ra, 10, true,
	                       1000, "2", "d"), MML_OK);
	CHECK_EQ(mml_flows_add(&f, "location.coordinates", &rb, 12, false, 0,
	                       "1", "d"), MML_OK);
	CHECK_EQ(mml_flows_add(&f, "location.coordinates", &rb, 20, true,
	                       1300, "1", "d"), MML_OK);
	CHECK_EQ(mml_flows_add(&f, "device.info", &rs, 11, true, 1100, "3", "d"),
	         MML_OK);
	mml_tl_row *rows;
	size_t n = mml_flows_timeline(&f, &rows);
	REQUIRE(n == 2);
	CHECK_STR(rows[0].category, "location.coordinates");
	CHECK_EQ(rows[0].findings, 4);
	CHECK_EQ(rows[0].msgs, 3);
	CHECK_EQ(rows[0].first_msg, 10);
	CHECK_EQ(rows[0].last_msg, 20);
	CHECK(rows[0].has_ts && rows[0].first_ts == 1000 && rows[0].last_ts == 1300);
	CHECK_STR(rows[1].category, "device.info");
	CHECK_EQ(rows[1].party, MML_PARTY_WEIXIN);
	free(rows);
	/* merging two sets keeps counts and spans */
	mml_flows g;
	mml_flows_init(&g);
	CHECK_EQ(mml_flows_add(&g, "location.coordinates", &ra, 30, true, 900,
	                       "1", "d"), MML_OK);
	CHECK_EQ(mml_flows_merge(&f, &g), MML_OK);
	n = mml_flows_timeline(&f, &rows);
	REQUIRE(n == 2);
	CHECK_EQ(rows[0].msgs, 4);
	CHECK_EQ(rows[0].last_msg, 30);
	CHECK_EQ(rows[0].first_ts, 900);
	free(rows);
	mml_flows_free(&g);
	mml_flows_free(&f);
}

TEST(labels_scenario_name_must_be_unique)
{
	char a[1024];
	snprintf(a, sizeof a, "%s@twice", real_log());
	t_cmd r;
	const char *argv[] = {"diff", "--label", "5:scenario=twice", "--label", "4:scenario=twice", a, real_log(), NULL};
	t_cmd_run(&r, mml_cmd_diff, "twice", argv);
	CHECK_EQ(r.rc, MML_EXIT_USAGE);
	CHECK(strstr(r.err, "more than one session") != NULL);
	json_decref(r.lines);
}
