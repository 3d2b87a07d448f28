/*
 * tests/test_analyze_verdicts.c - the three-valued judgement (src/analyze/judge.c,
 * docs/POLICY.md "Judging what is not known") and every view that shows
 * it: `mmlens audit` per session and pooled, the HTML gap tables, the
 * database; `--policy auto`; unknown APIs.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/cli.h"
#include "mmlens/detect.h"
#include "mmlens/judge.h"
#include "test.h"
#include "util.h"

static const char *real_log(void) { return mml_test_data("wechat-logs/startup_permissions_on_2.log.jsonl"); }

static const char *at(const char *path, const char *suffix)
{
	static char buf[4][1100];
	static int i;
	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%.1000s@%.64s", path, suffix);
	return buf[i];
}

/* A small model: coordinates for People Nearby with the permission, none
 * without it, device data always. */
static const char tiny[] =
	"{\"policy\":\"tiny\",\"statements\":["
	"{\"id\":\"pos\",\"party\":\"wechat\",\"action\":\"collects\",\"category\":\"location.coordinates\","
	"\"context\":\"people_nearby\",\"condition\":{\"permission\":\"location\"},\"section\":\"s1\",\"quote\":\"q\"},"
	"{\"id\":\"neg\",\"party\":\"wechat\",\"action\":\"does_not_collect\",\"category\":\"location.coordinates\","
	"\"context\":\"any\",\"condition\":{\"permission_not_granted\":\"location\"},\"section\":\"s2\",\"quote\":\"q\"},"
	"{\"id\":\"dev\",\"party\":\"wechat\",\"action\":\"collects\",\"category\":\"device.info\",\"context\":\"any\","
	"\"condition\":null,\"section\":\"s3\",\"quote\":\"q\"}]}";

static void judge(const mml_policyset *ps, const mml_attrib *a, const char *cat, mml_feature f, bool attributed,
                  const mml_label *lb, mml_judgement *j)
{
	mml_judge_flow fl = {.category = cat, .party = MML_PARTY_WECHAT, .feature = f, .attributed = attributed,
	                     .label = lb};
	mml_judge(ps, a, &fl, j);
}

TEST(judge_unknown_condition_is_undetermined)
{
	mml_policy p;
	mml_policy_init(&p);
	REQUIRE(mml_policy_parse(&p, tiny, strlen(tiny), "tiny", NULL, NULL) == MML_OK);
	mml_attrib a;
	mml_attrib_init(&a);
	REQUIRE(mml_attrib_load_builtin(&a) == MML_OK);
	mml_policyset ps = {.fixed = &p};
	mml_judgement j;
	char *granted[] = {"location"};
	mml_label on = {.session = 3, .permissions = granted, .npermissions = 1, .permissions_given = true};
	mml_label off = {.session = 3, .permissions_given = true};
	/* no label: the permission decides, so the verdict is not known */
	judge(&ps, &a, "location.coordinates", MML_FEAT_PEOPLE_NEARBY, true, NULL, &j);
	CHECK_EQ(j.v, MML_VERDICT_UNDETERMINED);
	CHECK_EQ(j.nout, 2);
	CHECK(j.st == NULL);
	char txt[1024];
	mml_judgement_text(&j, 9, txt, sizeof txt);
	CHECK(strstr(txt, "disclosed (tiny, pos) if the location permission was granted") != NULL);
	CHECK(strstr(txt, "contradicted (tiny, neg) if the location permission was not granted") != NULL);
	CHECK(strstr(txt, "--label 9:permissions=") != NULL);
	/* labels decide it */
	judge(&ps, &a, "location.coordinates", MML_FEAT_PEOPLE_NEARBY, true, &on, &j);
	CHECK_EQ(j.v, MML_VERDICT_DISCLOSED);
	CHECK_STR(j.st ? j.st->id : NULL, "pos");
	CHECK_EQ(j.cond_held, 1);
	judge(&ps, &a, "location.coordinates", MML_FEAT_PEOPLE_NEARBY, true, &off, &j);
	CHECK_EQ(j.v, MML_VERDICT_CONTRADICTED);
	CHECK_STR(j.st ? j.st->id : NULL, "neg");
	CHECK_EQ(j.cond_held, 1);
	/* a statement without a condition decides alone */
	judge(&ps, &a, "device.info", MML_FEAT_MESSAGING, true, NULL, &j);
	CHECK_EQ(j.v, MML_VERDICT_DISCLOSED);
	CHECK_EQ(j.cond_held, 0);
	/* an unknown feature: only "any" statements can decide */
	judge(&ps, &a, "location.coordinates", MML_FEAT_UNKNOWN, false, &on, &j);
	CHECK_EQ(j.v, MML_VERDICT_UNDETERMINED);
	CHECK(j.feature_unknown && (j.deciding & 0x80));
	mml_judgement_decide(&j, 3, txt, sizeof txt);
	CHECK(strstr(txt, "name the API") != NULL);
	/* ... and the receiver follows the feature at WeChat's front ends (Search
	 * is Weixin's), so even an "any" statement of one party does not settle it */
	judge(&ps, &a, "device.info", MML_FEAT_UNKNOWN, false, NULL, &j);
	CHECK_EQ(j.v, MML_VERDICT_UNDETERMINED);
	judge(&ps, &a, "network.carrier", MML_FEAT_UNKNOWN, false, NULL, &j);
	CHECK_EQ(j.v, MML_VERDICT_OMITTED);
	CHECK(j.feature_unknown);
	/* the low-level evaluation never says undetermined; a flow of unknown
	 * context matches only "any" statements there too */
	mml_policy_flow fl = {.party = MML_PARTY_WECHAT, .category = "location.coordinates",
	                      .context = MML_FEAT_UNKNOWN, .cond = mml_label_cond, .cond_ctx = &on};
	CHECK_EQ(mml_policy_covers(&p, &fl, NULL), MML_VERDICT_OMITTED);
	mml_attrib_free(&a);
	mml_policy_free(&p);
}

/* Over every category, party and feature of the shipped models: a verdict
 * given without labels is the one every labelling gives - an unknown
 * condition never yields disclosed or contradicted on its own. */
TEST(judge_unknown_never_yields_disclosed_or_contradicted)
{
	mml_policy w, x;
	mml_policy_init(&w);
	mml_policy_init(&x);
	REQUIRE(mml_policy_load(&w, "wechat", NULL, NULL) == MML_OK);
	REQUIRE(mml_policy_load(&x, "weixin", NULL, NULL) == MML_OK);
	mml_attrib a;
	mml_attrib_init(&a);
	REQUIRE(mml_attrib_load_builtin(&a) == MML_OK);
	mml_policyset sets[3] = {{.wechat = &w, .weixin = &x}, {.fixed = &w}, {.fixed = &x}};
	char *granted[] = {"location", "contacts"};
	mml_label labels[6] = {
		{.session = 1, .permissions = granted, .npermissions = 2, .permissions_given = true, .region = "US"},
		{.session = 1, .permissions_given = true, .region = "US"},
		{.session = 1, .permissions = granted, .npermissions = 2, .permissions_given = true, .region = "CN"},
		{.session = 1, .permissions_given = true, .region = "CN"},
		{.session = 1, .permissions = granted, .npermissions = 2, .permissions_given = true},
		{.session = 1, .permissions_given = true},
	};
	size_t checked = 0, firm = 0, undetermined = 0, bad = 0;
	for (size_t s = 0; s < 3; s++)
		for (size_t c = 0; c < mml_taxonomy_count(); c++)
			for (int p = 0; p < MML_PARTY__COUNT; p++)
				for (int f = MML_FEAT_UNKNOWN; f < MML_FEAT__COUNT; f++) {
					if (f == MML_FEAT_ANY)
						continue;
					mml_judge_flow fl = {.category = mml_taxonomy_id(c), .party = (mml_party)p,
					                     .feature = (mml_feature)f, .attributed = f != MML_FEAT_UNKNOWN};
					mml_judgement j;
					mml_judge(&sets[s], &a, &fl, &j);
					checked++;
					if (j.v == MML_VERDICT_UNDETERMINED) {
						undetermined++;
						continue;
					}
					if (j.v != MML_VERDICT_DISCLOSED && j.v != MML_VERDICT_CONTRADICTED)
						continue;
					firm++;
					/* region unknown: auto rests on WeChat's policy by documented default;
					 * compare with the labellings that keep the region unknown */
					for (size_t l = s == 0 ? 4 : 0; l < 6; l++) {
						mml_judgement k;
						fl.label = &labels[l];
						mml_judge(&sets[s], &a, &fl, &k);
						if (k.v != j.v && k.v != MML_VERDICT_UNDETERMINED) {
							if (bad++ < 5)
								mml_test_fail(__FILE__, __LINE__, "%s %s %s: %s unlabelled, %s with label %zu",
								              mml_taxonomy_id(c), mml_party_name((mml_party)p),
								              mml_feature_name((mml_feature)f), mml_verdict_name(j.v),
								              mml_verdict_name(k.v), l);
						}
					}
					fl.label = NULL;
				}
	CHECK_EQ(bad, 0);
	mml_test_note("%zu flows judged: %zu disclosed/contradicted hold under every labelling, %zu undetermined", checked,
	              firm, undetermined);
	mml_attrib_free(&a);
	mml_policy_free(&w);
	mml_policy_free(&x);
}

static json_t *rows_of(json_t *lines, const char *cat, long long session)
{
	json_t *out = json_array();
	size_t i;
	json_t *o;
	json_array_foreach(lines, i, o)
	{
		const char *k = t_str(o, "kind");
		if (k && !strcmp(k, "flow") && (!cat || !strcmp(t_str(o, "category"), cat)) &&
		    (session < 0 || t_int(o, "session") == session))
			json_array_append(out, o);
	}
	return out;
}

/* In any row: a verdict resting on a statement whose condition the labels
 * do not settle is never disclosed or contradicted. */
static size_t unsettled_firm(json_t *lines)
{
	size_t n = 0, i;
	json_t *o;
	json_array_foreach(lines, i, o)
	{
		const char *k = t_str(o, "kind"), *v = t_str(o, "verdict");
		if (!k || strcmp(k, "flow") || !v)
			continue;
		if ((!strcmp(v, "disclosed") || !strcmp(v, "contradicted")) &&
		    !json_is_null(json_object_get(o, "condition")) && !json_is_true(json_object_get(o, "condition_held")))
			n++;
	}
	return n;
}

TEST(audit_pooled_judges_each_session_by_its_label)
{
	/* no label: the coordinates of session 5 are undetermined, in every view */
	t_cmd r;
	const char *none[] = {"audit", real_log(), NULL};
	t_cmd_run(&r, mml_cmd_audit, "vpool0", none);
	CHECK_EQ(r.rc, 0);
	REQUIRE(r.lines);
	json_t *c5 = rows_of(r.lines, "location.coordinates", 5);
	CHECK(json_array_size(c5) >= 1);
	size_t i;
	json_t *o;
	json_array_foreach(c5, i, o)
	{
		CHECK_STR(t_str(o, "verdict"), "undetermined");
		CHECK(strstr(t_str(o, "to_decide"), "--label 5:permissions=") != NULL);
		CHECK(json_array_size(json_object_get(o, "outcomes")) >= 2);
	}
	json_decref(c5);
	CHECK_EQ(unsettled_firm(r.lines), 0);
	json_t *all = rows_of(r.lines, NULL, -1);
	long long sessions = 0;
	json_array_foreach(all, i, o)
	if (t_int(o, "session") > sessions)
		sessions = t_int(o, "session");
	CHECK_EQ(sessions, 5); /* pooled: the rows of every session, each with its session */
	json_decref(all);
	json_decref(r.lines);
	/* labelled: each session by its own label, in the pooled view too */
	const char *lab[] = {"audit", "--label", "5:permissions=location", "--label", "4:permissions=", real_log(), NULL};
	t_cmd_run(&r, mml_cmd_audit, "vpool1", lab);
	CHECK_EQ(r.rc, 0);
	c5 = rows_of(r.lines, "location.coordinates", 5);
	REQUIRE(json_array_size(c5) >= 1);
	json_array_foreach(c5, i, o)
	{
		CHECK_STR(t_str(o, "verdict"), "disclosed");
		CHECK_STR(t_str(o, "policy"), "weixin");
		CHECK(json_is_true(json_object_get(o, "condition_held")));
	}
	json_decref(c5);
	c5 = rows_of(r.lines, "location.coordinates", -1);
	json_array_foreach(c5, i, o)
	CHECK(strcmp(t_str(o, "verdict"), "contradicted"));
	json_decref(c5);
	CHECK_EQ(unsettled_firm(r.lines), 0);
	json_decref(r.lines);
	/* labelled "none granted": now a contradiction is what the data shows */
	const char *off[] = {"audit", "--label", "5:permissions=", at(real_log(), "5"), NULL};
	t_cmd_run(&r, mml_cmd_audit, "vpool2", off);
	c5 = rows_of(r.lines, "location.coordinates", 5);
	REQUIRE(json_array_size(c5) >= 1);
	CHECK_STR(t_str(json_array_get(c5, 0), "verdict"), "contradicted");
	CHECK(json_is_true(json_object_get(json_array_get(c5, 0), "condition_held")));
	json_decref(c5);
	json_decref(r.lines);
}

TEST(audit_policy_auto_picks_the_document)
{
	static const struct {
		const char *label;
		const char *rest; /* the model of flows not to Search/Channels */
	} cases[] = {{NULL, "wechat"}, {"4:region=US", "wechat"}, {"4:region=CN", "weixin"}, {"all:region=CN", "weixin"}};
	for (size_t k = 0; k < 4; k++) {
		t_cmd r;
		const char *argv[] = {"audit", at(real_log(), "4"), NULL, NULL, NULL};
		if (cases[k].label) {
			argv[2] = "--label";
			argv[3] = cases[k].label;
		}
		t_cmd_run(&r, mml_cmd_audit, "vauto", argv);
		CHECK_EQ(r.rc, 0);
		json_t *rows = rows_of(r.lines, NULL, 4);
		size_t i, weixin_features = 0, rest = 0;
		json_t *o;
		json_array_foreach(rows, i, o)
		{
			const char *ctx = t_str(o, "context"), *pol = t_str(o, "policy");
			bool wx = !strcmp(ctx, "search") || !strcmp(ctx, "channels");
			if (wx) {
				weixin_features++;
				CHECK_STR(pol, "weixin");
				CHECK(strstr(t_str(o, "policy_why"), "Weixin operates") != NULL);
			} else if (strcmp(ctx, "unknown")) {
				rest++;
				CHECK_STR(pol, cases[k].rest);
			}
		}
		CHECK(weixin_features >= 2 && rest >= 5);
		json_decref(rows);
		json_decref(r.lines);
	}
}

/* A log whose line `line` has lost its API name (request type 99999). */
static const char *unnamed_log(int line)
{
	size_t n;
	char *t = t_slurp(real_log(), &n);
	if (!t)
		return NULL;
	static char path[1024];
	snprintf(path, sizeof path, "%s/unnamed.log.jsonl", mml_test_tmpdir());
	FILE *f = fopen(path, "w");
	char *save, *l = strtok_r(t, "\n", &save);
	for (int k = 1; l && f; k++, l = strtok_r(NULL, "\n", &save)) {
		if (k != line) {
			fprintf(f, "%s\n", l);
			continue;
		}
		json_t *o = json_loads(l, 0, NULL);
		json_object_set_new(o, "req_id", json_integer(99999));
		json_object_set_new(o, "req_type", json_null());
		char *s = json_dumps(o, JSON_COMPACT);
		fprintf(f, "%s\n", s);
		free(s);
		json_decref(o);
	}
	if (f)
		fclose(f);
	free(t);
	return path;
}

TEST(audit_api_unknown_never_flips_silently)
{
	/* line 296 carries coordinates to websearchconfig (Search, Weixin):
	 * without its API name the row must say so, and its verdict is either
	 * the named one or undetermined */
	const char *u = unnamed_log(296);
	REQUIRE(u);
	static const char *const labels[] = {"5:permissions=location", "5:permissions=", NULL};
	for (size_t k = 0; k < 3; k++) {
		t_cmd r, s;
		const char *named[] = {"audit", at(real_log(), "5"), "--label", labels[k], NULL};
		const char *unnamed[] = {"audit", at(u, "5"), "--label", labels[k], NULL};
		if (!labels[k])
			named[2] = unnamed[2] = NULL;
		t_cmd_run(&r, mml_cmd_audit, "vnamed", named);
		t_cmd_run(&s, mml_cmd_audit, "vunnamed", unnamed);
		CHECK_EQ(r.rc, 0);
		CHECK_EQ(s.rc, 0);
		json_t *a = rows_of(r.lines, "location.coordinates", 5), *b = rows_of(s.lines, "location.coordinates", 5);
		const char *vnamed = NULL;
		size_t i, nunknown = 0;
		json_t *o;
		json_array_foreach(a, i, o)
		if (json_array_size(json_object_get(o, "apis")) &&
		    strstr(json_string_value(json_array_get(json_object_get(o, "apis"), 0)), "websearchconfig"))
			vnamed = t_str(o, "verdict");
		REQUIRE(vnamed);
		json_array_foreach(b, i, o)
		{
			if (!json_is_true(json_object_get(o, "api_unknown")))
				continue;
			nunknown++;
			CHECK_STR(t_str(o, "context"), "unknown");
			CHECK_EQ(json_integer_value(json_array_get(json_object_get(o, "unknown_request_types"), 0)), 99999);
			const char *v = t_str(o, "verdict");
			CHECK(!strcmp(v, vnamed) || !strcmp(v, "undetermined"));
			if (!strcmp(v, "undetermined"))
				CHECK(strstr(t_str(o, "to_decide"), "name the API") != NULL);
		}
		CHECK_EQ(nunknown, 1);
		json_decref(a);
		json_decref(b);
		json_decref(r.lines);
		json_decref(s.lines);
	}
}

TEST(report_views_never_show_undetermined_as_gaps)
{
	char html[1024], db[1024];
	snprintf(html, sizeof html, "%s/verdicts.html", mml_test_tmpdir());
	snprintf(db, sizeof db, "%s/verdicts.db", mml_test_tmpdir());
	char *argv[] = {"report", "--html", html, "--db", db, (char *)real_log(), NULL};
	CHECK_EQ(t_cmd_quiet(mml_cmd_report, argv), 0);
	size_t n;
	char *page = t_slurp(html, &n);
	REQUIRE(page);
	char *gaps = strstr(page, "id=\"gaps-table\""), *und = strstr(page, "id=\"undetermined-table\"");
	REQUIRE(und);
	/* the gap table ends where the undetermined one starts; no coordinates row is a gap without labels */
	if (gaps && gaps < und) {
		*und = 0;
		CHECK(strstr(gaps, "location.coordinates") == NULL);
	}
	CHECK(strstr(und + 1, "location.coordinates") != NULL);
	free(page);
	sqlite3 *h;
	REQUIRE(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	sqlite3_stmt *q;
	REQUIRE(sqlite3_prepare_v2(h,
	                           "SELECT SUM(verdict IN ('disclosed','contradicted')), SUM(verdict = 'undetermined'),"
	                           " SUM(judgement LIKE '%to_decide%permissions%') FROM verdicts"
	                           " WHERE category = 'location.coordinates'",
	                           -1, &q, NULL) == SQLITE_OK);
	REQUIRE(sqlite3_step(q) == SQLITE_ROW);
	CHECK_EQ(sqlite3_column_int(q, 0), 0);
	CHECK(sqlite3_column_int(q, 1) >= 1);
	CHECK(sqlite3_column_int(q, 2) >= 1);
	sqlite3_finalize(q);
	sqlite3_close(h);
}

/* More unknown conditions than are tried one by one: never taken as held. */
TEST(judge_too_many_unknown_conditions_is_undetermined)
{
	char text[4096];
	size_t n = (size_t)snprintf(text, sizeof text, "{\"policy\":\"many\",\"statements\":[");
	for (int i = 0; i < MML_JUDGE_FACTS + 1; i++)
		n += (size_t)snprintf(text + n, sizeof text - n,
		                      "%s{\"id\":\"neg%d\",\"party\":\"wechat\",\"action\":\"does_not_collect\","
		                      "\"category\":\"device.info\",\"context\":\"any\",\"condition\":{\"authorization\":\"x%d\"},"
		                      "\"section\":\"s\",\"quote\":\"q\"}",
		                      i ? "," : "", i, i);
	snprintf(text + n, sizeof text - n, "]}");
	mml_policy p;
	mml_policy_init(&p);
	REQUIRE(mml_policy_parse(&p, text, strlen(text), "many", NULL, NULL) == MML_OK);
	mml_policyset ps = {.fixed = &p};
	mml_judgement j;
	judge(&ps, NULL, "device.info", MML_FEAT_MESSAGING, true, NULL, &j);
	CHECK_EQ(j.v, MML_VERDICT_UNDETERMINED);
	CHECK(j.overflow);
	char txt[1024];
	mml_judgement_text(&j, 1, txt, sizeof txt);
	CHECK(strstr(txt, "too many") != NULL);
	mml_policy_free(&p);
}
