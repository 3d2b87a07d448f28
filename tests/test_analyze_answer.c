/*
 * tests/test_analyze_answer.c - `mmlens answer` (src/analyze/answer.c,
 * docs/ANSWERS.md): each shipped question answered supported, not
 * supported and not determinable on real data (the published log, and
 * logs made here from its lines), and the question file's checks.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/answer.h"
#include "mmlens/cli.h"
#include "test.h"
#include "util.h"

static const char *real_log(void) { return mml_test_data("wechat-logs/startup_permissions_on_2.log.jsonl"); }

/* A log made of lines of the real log; a line may be given another request type
 * (req_id >= 0) and API (api NULL: none). */
typedef struct lspec {
	int line;
	int req_id;             /* -1: keep */
	const char *api;        /* with req_id: the new req_type, NULL for null */
} lspec;

static const char *craft(const char *name, const lspec *s, size_t n)
{
	static char path[16][1024];
	static int k;
	k = (k + 1) % 16;
	size_t len;
	char *t = t_slurp(real_log(), &len);
	if (!t)
		return NULL;
	char *lines[400] = {0};
	int nl = 0;
	char *save, *l = strtok_r(t, "\n", &save);
	while (l && nl < 400) {
		lines[++nl - 1] = l;
		l = strtok_r(NULL, "\n", &save);
	}
	snprintf(path[k], sizeof path[k], "%s/%s.log.jsonl", mml_test_tmpdir(), name);
	FILE *f = fopen(path[k], "w");
	for (size_t i = 0; f && i < n; i++) {
		if (s[i].line < 1 || s[i].line > nl)
			continue;
		json_t *o = json_loads(lines[s[i].line - 1], 0, NULL);
		if (s[i].req_id >= 0) {
			json_object_set_new(o, "req_id", json_integer(s[i].req_id));
			json_object_set_new(o, "req_type", s[i].api ? json_string(s[i].api) : json_null());
		}
		char *d = json_dumps(o, JSON_COMPACT);
		fprintf(f, "%s\n", d);
		free(d);
		json_decref(o);
	}
	if (f)
		fclose(f);
	free(t);
	return path[k];
}

/* Run answer on argv; the answer to question id (borrowed from *lines). */
static json_t *answer_of(json_t **lines, const char *tag, const char **argv, const char *id)
{
	t_cmd r;
	t_cmd_run(&r, mml_cmd_answer, tag, argv);
	*lines = r.lines;
	if (r.rc != 0) {
		mml_test_fail(__FILE__, __LINE__, "answer %s: exit %d: %s", tag, r.rc, r.err);
		return NULL;
	}
	size_t i;
	json_t *o;
	json_array_foreach(r.lines, i, o)
	if (!strcmp(t_str(o, "kind"), "answer") && !strcmp(t_str(o, "id"), id))
		return o;
	return NULL;
}

static void expect(const char *tag, const char **argv, const char *id, const char *want, const char *text)
{
	json_t *lines, *a = answer_of(&lines, tag, argv, id);
	if (!a) {
		mml_test_fail(__FILE__, __LINE__, "%s: no answer to %s", tag, id);
	} else {
		if (strcmp(t_str(a, "answer"), want))
			mml_test_fail(__FILE__, __LINE__, "%s: %s answered %s, expected %s: %s", tag, id, t_str(a, "answer"), want,
			              t_str(a, "summary"));
		if (text && !strstr(t_str(a, "summary"), text))
			mml_test_fail(__FILE__, __LINE__, "%s: %s: \"%s\" lacks \"%s\"", tag, id, t_str(a, "summary"), text);
		if (!strcmp(want, "supported") && json_array_size(json_object_get(a, "evidence")) == 0 &&
		    strcmp(id, "core-features-need"))
			mml_test_fail(__FILE__, __LINE__, "%s: %s supported without evidence", tag, id);
	}
	json_decref(lines);
}

TEST(answer_real_log_location_only_with_permission)
{
	/* lines 272-304 (session 5): location permission on; 181-271 (session 4):
	 * a Mini Program with the permission off */
	const char *argv[] = {"answer", "--label", "5:permissions=location", "--label", "4:permissions=", real_log(), NULL};
	json_t *lines, *a = answer_of(&lines, "ansloc", argv, "location-permission-effect");
	REQUIRE(a);
	CHECK_STR(t_str(a, "answer"), "supported");
	const char *s = t_str(a, "summary");
	CHECK(strstr(s, "location.coordinates is sent only with the location permission granted (session 5)") != NULL);
	CHECK(strstr(s, "/cgi-bin/mmsearch-bin/websearchconfig (weixin, search)") != NULL);
	CHECK(strstr(s, "Mini Program endpoints: none") != NULL);
	CHECK(strstr(s, "Without the permission (session 4): none") != NULL);
	json_t *ev = json_object_get(a, "evidence");
	CHECK_EQ(json_array_size(ev), 3);
	CHECK_EQ(t_int(json_array_get(ev, 0), "msg"), 296);
	CHECK_EQ(t_int(json_array_get(ev, 2), "msg"), 304);
	/* the sessions were recorded 34 days apart: said */
	json_t *cv = json_object_get(a, "caveats");
	bool days = false;
	for (size_t i = 0; i < json_array_size(cv); i++)
		days |= strstr(json_string_value(json_array_get(cv, i)), "34 day(s) apart") != NULL;
	CHECK(days);
	json_decref(lines);
	/* and no Mini Program endpoint received location */
	expect("ansloc2", argv, "location-to-miniprogram-endpoints", "not_supported",
	       "it went to /cgi-bin/mmsearch-bin/websearchconfig (weixin, search)");
}

TEST(answer_each_question_three_ways)
{
	const char *real = real_log();
	/* a Mini Program launch (line 236) without activity; coordinates (line 296) alone */
	const lspec launch[] = {{236, -1, NULL}};
	const lspec coords[] = {{296, -1, NULL}};
	const lspec coords_mp[] = {{236, -1, NULL}, {296, 1133, "/cgi-bin/mmbiz-bin/js-operatewxdata"}};
	const lspec coords_unknown[] = {{236, -1, NULL}, {296, 99999, NULL}};
	const lspec coords_msg[] = {{296, 522, "/cgi-bin/micromsg-bin/newsendmsg"}};
	const lspec unknown_only[] = {{296, 99999, NULL}};
	const char *p_launch = craft("launch", launch, 1), *p_coords = craft("coords", coords, 1);
	const char *p_mp = craft("coordsmp", coords_mp, 2), *p_unk = craft("coordsunk", coords_unknown, 2);
	REQUIRE(p_launch && p_coords && p_mp && p_unk);

	/* Is Mini Program activity sent to WeChat? */
	const char *q1s[] = {"answer", real, NULL};
	expect("q1s", q1s, "mp-activity-to-wechat", "supported", "/cgi-bin/mmbiz-bin/js-operatewxdata");
	const char *q1n[] = {"answer", p_launch, NULL};
	expect("q1n", q1n, "mp-activity-to-wechat", "not_supported", "was not sent at all");
	const char *q1d[] = {"answer", p_coords, NULL};
	expect("q1d", q1d, "mp-activity-to-wechat", "not_determinable", "holds none of the sessions in which a Mini Program");

	/* Does granting location change what is sent, and to whom? */
	const char *q2s[] = {"answer", "--label", "5:permissions=location", "--label", "4:permissions=", real, NULL};
	expect("q2s", q2s, "location-permission-effect", "supported", "only with the location permission granted");
	const char *q2n[] = {"answer", "--label", "1:permissions=location", "--label", "2:permissions=", real, NULL};
	expect("q2n", q2n, "location-permission-effect", "not_supported", "sent neither with nor without");
	const char *q2d[] = {"answer", real, NULL};
	expect("q2d", q2d, "location-permission-effect", "not_determinable", "--label N:permissions=");

	/* Is location sent to Mini Program endpoints? */
	const char *q3p = craft("coordsmp", coords_mp, 2);
	const char *q3s[] = {"answer", q3p, NULL};
	expect("q3s", q3s, "location-to-miniprogram-endpoints", "supported", "js-operatewxdata");
	const char *q3n[] = {"answer", real, NULL};
	expect("q3n", q3n, "location-to-miniprogram-endpoints", "not_supported", NULL);
	/* a Mini Program endpoint's body that could not be read (an opaque
	 * newsync body, line 53, under a Mini Program API): the "no" says it
	 * holds for what was read */
	const lspec mp_opaque[] = {{236, -1, NULL}, {53, 1133, "/cgi-bin/mmbiz-bin/js-operatewxdata"}};
	const char *q3o[] = {"answer", craft("mpopaque", mp_opaque, 2), NULL};
	expect("q3o", q3o, "location-to-miniprogram-endpoints", "not_supported",
	       "1 body of Mini Program endpoints could not be read (empty or opaque)");
	const char *q3d[] = {"answer", p_unk, NULL};
	expect("q3d", q3d, "location-to-miniprogram-endpoints", "not_determinable", "could be Mini Program endpoints");

	/* Do core features send more than they need? */
	const char *p_msg = craft("coordsmsg", coords_msg, 1);
	const char *q4s[] = {"answer", p_msg, NULL};
	expect("q4s", q4s, "core-features-need", "supported", "messaging APIs also sent location.coordinates");
	const char *q4n[] = {"answer", real, NULL};
	/* the real log's 19 opaque newsync/getprofile requests: the "no" holds
	 * only for what was read, and says so */
	expect("q4n", q4n, "core-features-need", "not_supported",
	       "in the bodies that could be read stays within what each needs");
	expect("q4n2", q4n, "core-features-need", "not_supported", "19 of their bodies could not be read (opaque)");
	const char *q4d[] = {"answer", p_coords, NULL};
	expect("q4d", q4d, "core-features-need", "not_determinable", "none of the core features");

	/* Which flows fall under Weixin's guidelines? */
	const char *q5s[] = {"answer", real, NULL};
	expect("q5s", q5s, "weixin-governed", "supported", "location.coordinates to weixin (search)");
	const char *q5n[] = {"answer", "--label", "1:region=US", craft("launch2", launch, 1), NULL};
	expect("q5n", q5n, "weixin-governed", "not_supported", NULL);
	const char *q5d[] = {"answer", "--label", "1:region=US", craft("unknownonly", unknown_only, 1), NULL};
	expect("q5d", q5d, "weixin-governed", "not_determinable", "feature is unknown");
}

TEST(answer_question_file_checked_and_extensible)
{
	/* a question of one's own, and one of the shipped ones replaced by id */
	const char *mine = "{\"questions\":["
	                   "{\"id\":\"search-to-weixin\",\"question\":\"Do searches reach Weixin?\",\"kind\":\"received_by\","
	                   "\"categories\":[\"search.query\"],\"parties\":[\"weixin\"]},"
	                   "{\"id\":\"mp-activity-to-wechat\",\"question\":\"Replaced\",\"kind\":\"received_by\","
	                   "\"categories\":[\"miniprogram.activity\"],\"parties\":[\"thirdparty\"]}]}";
	const char *qf = t_write_tmp("mine.json", mine, strlen(mine));
	const char *argv[] = {"answer", "--questions", qf, real_log(), NULL};
	t_cmd r;
	t_cmd_run(&r, mml_cmd_answer, "ansq", argv);
	CHECK_EQ(r.rc, 0);
	size_t i, n = 0;
	json_t *o;
	json_array_foreach(r.lines, i, o)
	{
		n++;
		if (!strcmp(t_str(o, "id"), "search-to-weixin"))
			CHECK_STR(t_str(o, "answer"), "supported");
		if (!strcmp(t_str(o, "id"), "mp-activity-to-wechat")) {
			CHECK_STR(t_str(o, "question"), "Replaced");
			CHECK_STR(t_str(o, "answer"), "not_supported");
		}
	}
	CHECK_EQ(n, 6);
	json_decref(r.lines);
	/* a bad file: every problem named, nothing answered, exit 2 */
	const char *bad = "{\"questions\":[{\"id\":\"x y\",\"kind\":\"received_by\",\"categories\":[\"location.bogus\"],"
	                  "\"colour\":1},{\"id\":\"ok\",\"question\":\"q\",\"kind\":\"beyond_need\"}]}";
	qf = t_write_tmp("bad.json", bad, strlen(bad));
	const char *argv2[] = {"answer", "--questions", qf, real_log(), NULL};
	t_cmd_run(&r, mml_cmd_answer, "ansbad", argv2);
	CHECK_EQ(r.rc, 2);
	CHECK(strstr(r.err, "\"id\" must be") != NULL);
	CHECK(strstr(r.err, "unknown category \"location.bogus\"") != NULL);
	CHECK(strstr(r.err, "unknown key \"colour\"") != NULL);
	CHECK(strstr(r.err, "question \"ok\": beyond_need needs \"needs\"") != NULL);
	CHECK_EQ(json_array_size(r.lines), 0);
	json_decref(r.lines);
	/* the built-in set loads and has the five questions of the study */
	mml_questions qs;
	mml_questions_init(&qs);
	CHECK_EQ(mml_questions_load(&qs, "builtin", NULL, NULL), MML_OK);
	CHECK_EQ(qs.n, 5);
	mml_questions_free(&qs);
}

TEST(answer_text_format_and_series)
{
	/* the published log cut into its cumulative files: each file's own part is
	 * a session named after it, so labels can name the scenarios' files */
	char p[5][1024];
	static const int ends[5] = {115, 141, 180, 271, 304};
	size_t len;
	char *t = t_slurp(real_log(), &len);
	REQUIRE(t);
	for (int k = 0; k < 5; k++) {
		snprintf(p[k], sizeof p[k], "%s/part%d.log.jsonl", mml_test_tmpdir(), k + 1);
		FILE *f = fopen(p[k], "w");
		REQUIRE(f);
		int line = 0;
		for (size_t i = 0; i < len && line < ends[k]; i++) {
			fputc(t[i], f);
			line += t[i] == '\n';
		}
		fclose(f);
	}
	free(t);
	const char *argv[] = {"answer", "--format", "text", "--label", "5:permissions=location", "--label", "4:permissions=",
	                      p[4], p[2], p[0], p[3], p[1], NULL};
	t_cmd r;
	t_cmd_run(&r, mml_cmd_answer, "anstext", argv);
	CHECK_EQ(r.rc, 0);
	char *out = t_slurp(r.out, NULL);
	REQUIRE(out);
	CHECK(strstr(out, "Q: Does granting location change what is sent, and to whom?\nA: SUPPORTED\n") != NULL);
	CHECK(strstr(out, "Q: Is location sent to Mini Program endpoints?\nA: NOT SUPPORTED\n") != NULL);
	CHECK(strstr(r.err, "cumulative series") != NULL);
	free(out);
	json_decref(r.lines);
}

TEST(answer_unknown_receiver_is_not_a_no)
{
	/* coordinates to an API no source names: whether Weixin received them
	 * depends on the feature it serves, so neither yes nor no */
	const lspec unknown_only[] = {{296, 99999, NULL}};
	const char *p = craft("unkparty", unknown_only, 1);
	const char *q = "{\"questions\":[{\"id\":\"loc-to-weixin\",\"question\":\"Does Weixin get the position?\","
	                "\"kind\":\"received_by\",\"categories\":[\"location\"],\"parties\":[\"weixin\"]}]}";
	const char *qf = t_write_tmp("unkparty.json", q, strlen(q));
	const char *argv[] = {"answer", "--questions", qf, p, NULL};
	expect("unkparty", argv, "loc-to-weixin", "not_determinable", "whose feature is unknown");
	/* to WeChat's front ends at all (either party): yes */
	const char *q2 = "{\"questions\":[{\"id\":\"loc-to-tencent\",\"question\":\"Does WeChat or Weixin get it?\","
	                 "\"kind\":\"received_by\",\"categories\":[\"location\"],\"parties\":[\"wechat\",\"weixin\"]}]}";
	const char *qf2 = t_write_tmp("unkparty2.json", q2, strlen(q2));
	const char *argv2[] = {"answer", "--questions", qf2, p, NULL};
	expect("unkparty2", argv2, "loc-to-tencent", "supported", "request type 99999 (API unknown)");
}
