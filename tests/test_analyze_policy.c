/*
 * test_analyze_policy.c - the attribution map (data/attribution.tsv, attrib.c) and
 * policy models (data/policy/wechat.json, policy.c): the shipped data
 * loads cleanly, each verdict rule, bad input reported by line or id, and
 * every API of the real instrumentation log attributed.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/attrib.h"
#include "mmlens/detect.h"
#include "mmlens/analyze.h"
#include "mmlens/policy.h"
#include "test.h"

typedef struct diag_rec {
	size_t n;
	char all[4096];
} diag_rec;

static void rec_diag(void *ctx, const char *fmt, ...)
{
	diag_rec *d = ctx;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	d->n++;
	size_t used = strlen(d->all);
	snprintf(d->all + used, sizeof d->all - used, "%s\n", msg);
}

static mml_err parse_str(mml_policy *p, const char *js, diag_rec *d)
{
	return mml_policy_parse(p, js, strlen(js), "t.json", rec_diag, d);
}

TEST(policy_shipped_model_loads)
{
	diag_rec d = {0};
	mml_policy p;
	mml_policy_init(&p);
	CHECK_EQ(mml_policy_load(&p, "wechat", rec_diag, &d), MML_OK);
	CHECK_EQ(p.errors, 0);
	CHECK_EQ(d.n, 0);
	if (d.n)
		fprintf(stderr, "%s", d.all);
	CHECK_STR(p.name, "wechat");
	CHECK(p.n >= 15 && p.n <= 30);
	bool has[5] = {0};
	for (size_t i = 0; i < p.n; i++) {
		const mml_policy_stmt *s = &p.st[i];
		CHECK(mml_taxonomy_parent(s->category) != NULL);
		CHECK(s->section && *s->section && s->quote && *s->quote);
		has[s->party] = true;
		if (s->action == MML_POLICY_SHARES_WITH && !strcmp(s->recipient, "authorities"))
			has[4] = true;
	}
	CHECK(has[MML_PARTY_WECHAT] && has[MML_PARTY_WEIXIN] && has[MML_PARTY_MINIPROGRAM] && has[4]);
	/* the file on disk is the same model */
	mml_policy q;
	mml_policy_init(&q);
	char path[1024];
	snprintf(path, sizeof path, "data/policy/wechat.json");
	if (mml_policy_load(&q, path, NULL, NULL) == MML_OK)
		CHECK_EQ(q.n, p.n);
	mml_policy_free(&q);
	mml_test_note("%zu statements", p.n);
	mml_policy_free(&p);
}

/* The shipped model against flows the study cares about. */
TEST(policy_shipped_verdicts)
{
	mml_policy p;
	mml_policy_init(&p);
	REQUIRE(mml_policy_load(&p, "wechat", NULL, NULL) == MML_OK);
	const mml_policy_stmt *s;
	mml_policy_flow f = {MML_PARTY_WECHAT, "network.carrier", MML_FEAT_CONFIGURATION, NULL, NULL, NULL};
	CHECK_EQ(mml_policy_covers(&p, &f, &s), MML_VERDICT_DISCLOSED);
	REQUIRE(s);
	CHECK_STR(s->section, "Log data");
	f = (mml_policy_flow){MML_PARTY_WECHAT, "telemetry.ui", MML_FEAT_TELEMETRY, NULL, NULL, NULL};
	CHECK_EQ(mml_policy_covers(&p, &f, &s), MML_VERDICT_VAGUE);
	/* People Nearby's coordinates: disclosed with the permission, contradicted
	 * without; with nothing known both complementary statements apply, and
	 * the raw evaluation says so (the judgement, judge.h, makes it
	 * undetermined) */
	char *loc[] = {"location"};
	mml_label on = {.session = 1, .permissions = loc, .npermissions = 1, .permissions_given = true};
	mml_label off = {.session = 1, .permissions_given = true};
	f = (mml_policy_flow){MML_PARTY_WECHAT, "location.coordinates", MML_FEAT_PEOPLE_NEARBY, NULL, mml_label_cond, &on};
	CHECK_EQ(mml_policy_covers(&p, &f, &s), MML_VERDICT_DISCLOSED);
	REQUIRE(s);
	CHECK_STR(s->cond_key[0], "permission");
	f.cond_ctx = &off;
	CHECK_EQ(mml_policy_covers(&p, &f, &s), MML_VERDICT_CONTRADICTED);
	f.cond = NULL;
	CHECK_EQ(mml_policy_covers(&p, &f, &s), MML_VERDICT_AMBIGUOUS);
	/* Mini Program activity received by WeChat: the policy gives it to the developer */
	f = (mml_policy_flow){MML_PARTY_WECHAT, "miniprogram.activity", MML_FEAT_MINIPROGRAMS, NULL, NULL, NULL};
	CHECK_EQ(mml_policy_covers(&p, &f, &s), MML_VERDICT_OTHER_PARTY);
	REQUIRE(s);
	CHECK_EQ(s->party, MML_PARTY_MINIPROGRAM);
	f = (mml_policy_flow){MML_PARTY_WECHAT, "search.query", MML_FEAT_SEARCH, "weixin", NULL, NULL};
	CHECK_EQ(mml_policy_covers(&p, &f, NULL), MML_VERDICT_DISCLOSED);
	f = (mml_policy_flow){MML_PARTY_WECHAT, "identity.account", MML_FEAT_ANY, "authorities", NULL, NULL};
	CHECK_EQ(mml_policy_covers(&p, &f, NULL), MML_VERDICT_VAGUE);
	f = (mml_policy_flow){MML_PARTY_WECHAT, "network.wifi", MML_FEAT_TELEMETRY, NULL, NULL, NULL};
	CHECK_EQ(mml_policy_covers(&p, &f, NULL), MML_VERDICT_OMITTED);
	mml_policy_free(&p);
}

static const char *const toy =
	"{\"policy\": \"toy\", \"statements\": ["
	"{\"id\": \"a\", \"party\": \"wechat\", \"action\": \"collects\", \"category\": \"device.info\","
	" \"context\": \"any\", \"condition\": null, \"section\": \"1\", \"quote\": \"q\"},"
	"{\"id\": \"b\", \"party\": \"wechat\", \"action\": \"collects\", \"category\": \"network\","
	" \"context\": \"telemetry\", \"condition\": null, \"section\": \"2\", \"quote\": \"q\"},"
	"{\"id\": \"c\", \"party\": \"wechat\", \"action\": \"does_not_collect\", \"category\": \"location\","
	" \"context\": \"any\", \"condition\": {\"permission\": \"not_granted\"}, \"section\": \"3\", \"quote\": \"q\"},"
	"{\"id\": \"d\", \"party\": \"miniprogram\", \"action\": \"collects\", \"category\": \"miniprogram.activity\","
	" \"context\": \"miniprograms\", \"condition\": null, \"section\": \"4\", \"quote\": \"q\"},"
	"{\"id\": \"e\", \"party\": \"wechat\", \"action\": \"shares_with\", \"recipient\": \"authorities\","
	" \"category\": \"identity\", \"context\": \"any\", \"condition\": null, \"section\": \"5\", \"quote\": \"q\"}"
	"]}";

static void verdict_is(const mml_policy *p, mml_party party, const char *cat, mml_feature ctx, const char *rcpt,
                       mml_verdict want, const char *want_id)
{
	const mml_policy_stmt *s = (const mml_policy_stmt *)1;
	mml_policy_flow f = {party, cat, ctx, rcpt, NULL, NULL};
	mml_verdict v = mml_policy_covers(p, &f, &s);
	CHECK_STR(mml_verdict_name(v), mml_verdict_name(want));
	if (want_id) {
		CHECK(s && s != (const mml_policy_stmt *)1);
		if (s && s != (const mml_policy_stmt *)1)
			CHECK_STR(s->id, want_id);
	} else {
		CHECK(s == NULL);
	}
}

TEST(policy_verdict_disclosed)
{
	mml_policy p;
	mml_policy_init(&p);
	REQUIRE(parse_str(&p, toy, NULL) == MML_OK);
	verdict_is(&p, MML_PARTY_WECHAT, "device.info", MML_FEAT_AUTH, NULL, MML_VERDICT_DISCLOSED, "a");
	verdict_is(&p, MML_PARTY_WECHAT, "identity", MML_FEAT_AUTH, "authorities", MML_VERDICT_DISCLOSED, "e");
	mml_policy_free(&p);
}

TEST(policy_verdict_vague)
{
	mml_policy p;
	mml_policy_init(&p);
	REQUIRE(parse_str(&p, toy, NULL) == MML_OK);
	verdict_is(&p, MML_PARTY_WECHAT, "network.carrier", MML_FEAT_TELEMETRY, NULL, MML_VERDICT_VAGUE, "b");
	verdict_is(&p, MML_PARTY_WECHAT, "identity.device", MML_FEAT_ANY, "authorities", MML_VERDICT_VAGUE, "e");
	/* context must match: network in auth is not covered */
	verdict_is(&p, MML_PARTY_WECHAT, "network.carrier", MML_FEAT_AUTH, NULL, MML_VERDICT_OMITTED, NULL);
	mml_policy_free(&p);
}

TEST(policy_verdict_contradicted)
{
	mml_policy p;
	mml_policy_init(&p);
	REQUIRE(parse_str(&p, toy, NULL) == MML_OK);
	verdict_is(&p, MML_PARTY_WECHAT, "location.coordinates", MML_FEAT_TELEMETRY, NULL, MML_VERDICT_CONTRADICTED,
	           "c");
	verdict_is(&p, MML_PARTY_WECHAT, "location", MML_FEAT_ANY, NULL, MML_VERDICT_CONTRADICTED, "c");
	/* a negative statement is about collection, not sharing */
	verdict_is(&p, MML_PARTY_WECHAT, "location", MML_FEAT_ANY, "authorities", MML_VERDICT_OMITTED, NULL);
	mml_policy_free(&p);
}

TEST(policy_verdict_other_party)
{
	mml_policy p;
	mml_policy_init(&p);
	REQUIRE(parse_str(&p, toy, NULL) == MML_OK);
	verdict_is(&p, MML_PARTY_WECHAT, "miniprogram.activity", MML_FEAT_MINIPROGRAMS, NULL,
	           MML_VERDICT_OTHER_PARTY, "d");
	verdict_is(&p, MML_PARTY_MINIPROGRAM, "miniprogram.activity", MML_FEAT_MINIPROGRAMS, NULL,
	           MML_VERDICT_DISCLOSED, "d");
	verdict_is(&p, MML_PARTY_WEIXIN, "device.info", MML_FEAT_SEARCH, NULL, MML_VERDICT_OTHER_PARTY, "a");
	mml_policy_free(&p);
}

TEST(policy_verdict_omitted)
{
	mml_policy p;
	mml_policy_init(&p);
	REQUIRE(parse_str(&p, toy, NULL) == MML_OK);
	verdict_is(&p, MML_PARTY_WECHAT, "search.query", MML_FEAT_SEARCH, NULL, MML_VERDICT_OMITTED, NULL);
	verdict_is(&p, MML_PARTY_WECHAT, "miniprogram.id", MML_FEAT_MINIPROGRAMS, NULL, MML_VERDICT_OMITTED, NULL);
	mml_policy_free(&p);
	/* an empty policy omits everything */
	mml_policy_init(&p);
	verdict_is(&p, MML_PARTY_WECHAT, "device.info", MML_FEAT_ANY, NULL, MML_VERDICT_OMITTED, NULL);
}

TEST(policy_bad_models)
{
	static const struct {
		const char *js, *want;
	} bad[] = {
		{"{\"policy\":\"x\",\"statements\":[{\"id\":\"s1\",\"party\":\"wechat\",\"action\":\"collects\","
		 "\"category\":\"device.bogus\",\"context\":\"any\",\"condition\":null,\"section\":\"1\",\"quote\":\"q\"}]}",
		 "statement \"s1\": unknown category"},
		{"{\"policy\":\"x\",\"statements\":[{\"id\":\"s2\",\"party\":\"tencent\",\"action\":\"collects\","
		 "\"category\":\"device\",\"context\":\"any\",\"condition\":null,\"section\":\"1\",\"quote\":\"q\"}]}",
		 "statement \"s2\": unknown party"},
		{"{\"policy\":\"x\",\"statements\":[{\"id\":\"s3\",\"party\":\"wechat\",\"action\":\"shares_with\","
		 "\"category\":\"device\",\"context\":\"any\",\"condition\":null,\"section\":\"1\",\"quote\":\"q\"}]}",
		 "statement \"s3\": shares_with needs a \"recipient\""},
		{"{\"policy\":\"x\",\"statements\":[{\"id\":\"s4\",\"party\":\"wechat\",\"action\":\"collects\","
		 "\"category\":\"device\",\"context\":\"nowhere\",\"condition\":null,\"section\":\"1\",\"quote\":\"q\"}]}",
		 "statement \"s4\": unknown context"},
		{"{\"policy\":\"x\",\"statements\":[{\"id\":\"s5\",\"party\":\"wechat\",\"action\":\"collects\","
		 "\"category\":\"device\",\"context\":\"any\",\"condition\":{\"permission\":3},\"section\":\"1\",\"quote\":\"q\"}]}",
		 "statement \"s5\": condition"},
		{"{\"policy\":\"x\",\"statements\":[{\"id\":\"s6\",\"party\":\"wechat\",\"action\":\"collects\","
		 "\"category\":\"device\",\"context\":\"any\",\"condition\":null,\"section\":\"1\"}]}",
		 "statement \"s6\": \"quote\""},
		{"{\"policy\":\"x\",\"statements\":[{\"id\":\"s7\",\"party\":\"wechat\",\"action\":\"collects\","
		 "\"category\":\"device\",\"context\":\"any\",\"condition\":null,\"section\":\"1\",\"quote\":\"q\",\"qoute\":\"\"}]}",
		 "statement \"s7\": unknown key"},
		{"{\"policy\":\"x\",\"statements\":[{\"party\":\"wechat\"}]}", "statement #0: \"id\""},
		{"{\"policy\":\"x\",\"statements\":{}}", "\"statements\" must be an array"},
		{"[1,2", "not JSON"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		diag_rec d = {0};
		mml_policy p;
		mml_policy_init(&p);
		CHECK(parse_str(&p, bad[i].js, &d) != MML_OK);
		CHECK(p.errors >= 1);
		CHECK_EQ(p.n, 0);
		if (!strstr(d.all, bad[i].want))
			mml_test_fail(__FILE__, __LINE__, "case %zu: diagnostics \"%s\" lack \"%s\"", i, d.all, bad[i].want);
		mml_policy_free(&p);
	}
	/* duplicate ids */
	diag_rec d = {0};
	mml_policy p;
	mml_policy_init(&p);
	const char *dup = "{\"policy\":\"x\",\"statements\":["
	                  "{\"id\":\"a\",\"party\":\"wechat\",\"action\":\"collects\",\"category\":\"device\",\"context\":\"any\",\"condition\":null,\"section\":\"1\",\"quote\":\"q\"},"
	                  "{\"id\":\"a\",\"party\":\"wechat\",\"action\":\"collects\",\"category\":\"locale\",\"context\":\"any\",\"condition\":null,\"section\":\"1\",\"quote\":\"q\"}]}";
	CHECK_EQ(parse_str(&p, dup, &d), MML_E_MALFORMED);
	CHECK(strstr(d.all, "duplicate id") != NULL);
	mml_policy_free(&p);
	CHECK(mml_policy_load(&p, "/nonexistent/policy.json", NULL, NULL) != MML_OK);
	mml_policy_free(&p);
}

TEST(policy_attrib_builtin)
{
	mml_attrib a;
	mml_attrib_init(&a);
	REQUIRE(mml_attrib_load_builtin(&a) == MML_OK);
	CHECK_EQ(a.bad_lines, 0);
	static const struct {
		const char *api, *host;
		mml_party party;
		mml_feature feat;
	} want[] = {
		{"/cgi-bin/micromsg-bin/newreportkvcomm", NULL, MML_PARTY_WECHAT, MML_FEAT_TELEMETRY},
		{"/cgi-bin/mmbiz-bin/wxausrevent/wxaappidkeybatchreport", NULL, MML_PARTY_WECHAT, MML_FEAT_MINIPROGRAMS},
		{"/cgi-bin/mmbiz-bin/wxausrevent/somethingnew", NULL, MML_PARTY_WECHAT, MML_FEAT_MINIPROGRAMS},
		{"/cgi-bin/mmbiz-bin/js-authorize", NULL, MML_PARTY_WECHAT, MML_FEAT_MINIPROGRAMS},
		{"/cgi-bin/mmsearch-bin/websearchconfig", NULL, MML_PARTY_WEIXIN, MML_FEAT_SEARCH},
		{"/cgi-bin/micromsg-bin/mmwebsearch", NULL, MML_PARTY_WEIXIN, MML_FEAT_SEARCH},
		{"/cgi-bin/micromsg-bin/finderlivefoo", NULL, MML_PARTY_WEIXIN, MML_FEAT_CHANNELS},
		{"/cgi-bin/micromsg-bin/secautoauth", "sgshort.wechat.com", MML_PARTY_WECHAT, MML_FEAT_AUTH},
		{"/cgi-bin/micromsg-bin/newgetdns", NULL, MML_PARTY_WECHAT, MML_FEAT_CONFIGURATION},
		{"/cgi-bin/micromsg-bin/getcdndns", NULL, MML_PARTY_WECHAT, MML_FEAT_CONFIGURATION},
		{"/cgi-bin/micromsg-bin/newsendmsg", NULL, MML_PARTY_WECHAT, MML_FEAT_MESSAGING},
		{"/cgi-bin/micromsg-bin/unheardof", NULL, MML_PARTY_WECHAT, MML_FEAT_OTHER},
		{NULL, "dns.weixin.qq.com", MML_PARTY_WECHAT, MML_FEAT_CONFIGURATION},
		{NULL, "SGSHORT.wechat.com", MML_PARTY_WECHAT, MML_FEAT_OTHER},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		mml_party p = MML_PARTY__COUNT;
		mml_feature f = MML_FEAT__COUNT;
		CHECK(mml_attrib_lookup(&a, want[i].api, want[i].host, &p, &f));
		if (p != want[i].party || f != want[i].feat)
			mml_test_fail(__FILE__, __LINE__, "%s %s -> %s/%s", want[i].api ? want[i].api : "-",
			              want[i].host ? want[i].host : "-", mml_party_name(p), mml_feature_name(f));
	}
	CHECK(!mml_attrib_lookup(&a, "/somewhere/else", "example.org", NULL, NULL));
	mml_attrib_free(&a);
}

TEST(policy_attrib_real_log)
{
	mml_attrib a;
	mml_attrib_init(&a);
	REQUIRE(mml_attrib_load_builtin(&a) == MML_OK);
	FILE *fp = fopen(mml_test_data("wechat-logs/startup_permissions_on_2.log.jsonl"), "r");
	REQUIRE(fp);
	char *line = NULL;
	size_t cap = 0, apis = 0, rows = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, fp)) > 0) {
		json_t *o = json_loadb(line, (size_t)len, JSON_ALLOW_NUL, NULL);
		if (!o)
			continue;
		const char *api = json_string_value(json_object_get(o, "req_type"));
		if (api) {
			rows++;
			mml_party p;
			mml_feature f;
			/* attributed by an exact row or a prefix row, never left unknown */
			if (!mml_attrib_lookup(&a, api, NULL, &p, &f) || (unsigned)p >= MML_PARTY__COUNT ||
			    f < 0 || f >= MML_FEAT__COUNT)
				mml_test_fail(__FILE__, __LINE__, "%s not attributed", api);
			else
				apis++;
		}
		json_decref(o);
	}
	free(line);
	fclose(fp);
	CHECK(rows > 100);
	CHECK_EQ(apis, rows);
	mml_test_note("%zu req_type rows attributed", rows);
	/* and every API of the request-type catalog */
	fp = fopen("data/request_types.tsv", "r");
	if (fp) {
		char buf[512];
		while (fgets(buf, sizeof buf, fp)) {
			char *tab = strchr(buf, '\t');
			if (buf[0] == '#' || !tab)
				continue;
			tab[1 + strcspn(tab + 1, "\r\n")] = 0;
			if (!mml_attrib_lookup(&a, tab + 1, NULL, NULL, NULL))
				mml_test_fail(__FILE__, __LINE__, "%s not attributed", tab + 1);
		}
		fclose(fp);
	}
	mml_attrib_free(&a);
}

TEST(policy_attrib_user_file)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/user_attrib.tsv", mml_test_tmpdir());
	FILE *fp = fopen(path, "w");
	REQUIRE(fp);
	fputs("# user map\n"
	      "/cgi-bin/micromsg-bin/newsync\t-\tthirdparty\tother\n"   /* 2: overrides the built-in row */
	      "/cgi-bin/x\t-\tnobody\tother\n"                          /* 3: bad party */
	      "\n"
	      "/cgi-bin/y\t-\twechat\n"                                 /* 5: too few fields */
	      "-\t-\twechat\tother\n"                                   /* 6: both any */
	      "cgi-bin/z\t-\twechat\tother\n"                           /* 7: not a path */
	      "/cgi-bin/a*b\t-\twechat\tother\n"                        /* 8: star inside */
	      "/cgi-bin/w\t-\twechat\tweather\n"                        /* 9: bad feature */
	      "-\t*.example.org\tthirdparty\tother\tnote\n",            /* 10: ok */
	      fp);
	fclose(fp);
	mml_attrib a;
	mml_attrib_init(&a);
	REQUIRE(mml_attrib_load_builtin(&a) == MML_OK);
	diag_rec d = {0};
	CHECK_EQ(mml_attrib_load(&a, path, rec_diag, &d), MML_OK);
	CHECK_EQ(d.n, 6);
	CHECK_EQ(a.bad_lines, 6);
	static const char *const lines[] = {":3:", ":5:", ":6:", ":7:", ":8:", ":9:"};
	for (size_t i = 0; i < 6; i++)
		if (!strstr(d.all, lines[i]))
			mml_test_fail(__FILE__, __LINE__, "no diagnostic for line %s in \"%s\"", lines[i], d.all);
	mml_party p;
	mml_feature f;
	CHECK(mml_attrib_lookup(&a, "/cgi-bin/micromsg-bin/newsync", NULL, &p, &f));
	CHECK_EQ(p, MML_PARTY_THIRDPARTY);
	CHECK(mml_attrib_lookup(&a, NULL, "api.example.org", &p, &f));
	CHECK_EQ(p, MML_PARTY_THIRDPARTY);
	CHECK(!mml_attrib_lookup(&a, NULL, "example.org.evil", &p, &f));
	CHECK(mml_attrib_load(&a, "/nonexistent/attrib.tsv", NULL, NULL) != MML_OK);
	mml_attrib_free(&a);
}

TEST(policy_attrib_memo_same_answers)
{
	mml_attrib a;
	mml_attrib_init(&a);
	REQUIRE(mml_attrib_load_builtin(&a) == MML_OK);
	mml_attrib_memo *memo = calloc(1, sizeof *memo);
	REQUIRE(memo);
	char longapi[300];
	memset(longapi, 'a', sizeof longapi);
	memcpy(longapi, "/cgi-bin/", 9);
	longapi[sizeof longapi - 1] = 0;
	static const char *const apis[] = {"/cgi-bin/micromsg-bin/newsync", "/cgi-bin/mmsearch-bin/mmwebsearch",
	                                   "/cgi-bin/mmbiz-bin/wxaapp/mmdata/reportdata", "/no/such/api", "", NULL};
	static const char *const hosts[] = {"szshort.weixin.qq.com", "dns.weixin.qq.com", "", NULL};
	size_t n = 0;
	for (int round = 0; round < 3; round++) /* the second and third rounds come from the memo */
		for (size_t i = 0; i < sizeof apis / sizeof apis[0] + 1; i++)
			for (size_t j = 0; j < sizeof hosts / sizeof hosts[0]; j++) {
				const char *api = i < sizeof apis / sizeof apis[0] ? apis[i] : longapi;
				mml_party p1 = MML_PARTY_THIRDPARTY, p2 = MML_PARTY_THIRDPARTY;
				mml_feature f1 = MML_FEAT_OTHER, f2 = MML_FEAT_OTHER;
				bool r1 = mml_attrib_lookup(&a, api, hosts[j], &p1, &f1);
				bool r2 = mml_attrib_lookup_memo(&a, memo, api, hosts[j], &p2, &f2);
				CHECK_EQ(r1, r2);
				CHECK_EQ(p1, p2);
				CHECK_EQ(f1, f2);
				n++;
			}
	mml_test_note("%zu lookups agree", n);
	free(memo);
	mml_attrib_free(&a);
}
