/*
 * test_envelope_catalog.c - the request-type catalog (data/request_types.tsv,
 * src/envelope/catalog.c, docs/CATALOG.md): the built-in catalog's size and
 * provenance, the ids that carry coordinates in the published log, user
 * catalogs in the two- and four-column and CSV forms, overrides, every kind
 * of bad line reported with file:line and skipped, input order, and an
 * exact attribution row (data/attribution.tsv) for every API it names.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/attrib.h"
#include "mmlens/envelope.h"
#include "test.h"

typedef struct cat_diag {
	size_t n;
	char all[8192];
} cat_diag;

static void rec(void *ctx, const char *fmt, ...)
{
	cat_diag *d = ctx;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	d->n++;
	size_t used = strlen(d->all);
	snprintf(d->all + used, sizeof d->all - used, "%s\n", msg);
}

static mml_err parse(mml_catalog *c, const char *text, size_t n, const char *name, cat_diag *d)
{
	return mml_catalog_parse(c, text, n, name, rec, d);
}

TEST(catalog_builtin_size_and_provenance)
{
	mml_catalog c;
	mml_catalog_init(&c);
	REQUIRE(mml_catalog_load_builtin(&c) == MML_OK);
	CHECK_EQ(c.bad_lines, 0);
	CHECK(c.n >= 2 * 110);
	size_t conf[4] = {0};
	for (size_t i = 0; i < c.n; i++) {
		const mml_cat_ent *e = &c.ent[i];
		if (i && e->id <= c.ent[i - 1].id)
			mml_test_fail(__FILE__, __LINE__, "entries not sorted at %u", e->id);
		if (!e->api || e->api[0] != '/' || !e->source || !e->source_desc || !*e->source_desc ||
		    e->confidence == MML_CAT_CONF_NONE) {
			mml_test_fail(__FILE__, __LINE__, "id %u: api, source or confidence missing", e->id);
			continue;
		}
		conf[e->confidence]++;
		/* the description is the first key's */
		char first[40];
		snprintf(first, sizeof first, "%.*s", (int)strcspn(e->source, ","), e->source);
		CHECK(mml_catalog_source_desc(&c, first) == e->source_desc);
		CHECK(mml_catalog_entry(&c, e->id) == e);
		CHECK(mml_catalog_lookup(&c, e->id) == e->api);
	}
	CHECK(conf[MML_CAT_CONF_HIGH] > conf[MML_CAT_CONF_LOW]);
	CHECK(c.nsrc >= 5);
	CHECK(mml_catalog_entry(&c, (uint64_t)UINT32_MAX + 1) == NULL);
	CHECK(mml_catalog_entry(NULL, 138) == NULL);
	mml_test_note("%zu entries (high %zu, medium %zu, low %zu) from %zu sources", c.n, conf[MML_CAT_CONF_HIGH],
	              conf[MML_CAT_CONF_MEDIUM], conf[MML_CAT_CONF_LOW], c.nsrc);
	mml_catalog_free(&c);
}

/* Every id of the published list keeps an entry, and the ids that carry
 * coordinates in the published log (lines 296, 297, 304) are named. */
TEST(catalog_published_ids_and_coordinates)
{
	mml_catalog c;
	mml_catalog_init(&c);
	REQUIRE(mml_catalog_load_builtin(&c) == MML_OK);
	FILE *fp = fopen(mml_test_data("wechat-logs/request_types.csv"), "r");
	REQUIRE(fp);
	char line[512];
	size_t ids = 0;
	while (fgets(line, sizeof line, fp)) {
		char *end;
		unsigned long id = strtoul(line, &end, 10);
		if (end == line || *end != ',')
			continue;
		ids++;
		if (!mml_catalog_lookup(&c, id))
			mml_test_fail(__FILE__, __LINE__, "published id %lu lost", id);
	}
	fclose(fp);
	CHECK(ids >= 110);
	static const struct { uint32_t id; const char *api; } coord[] = {
		{1948, "/cgi-bin/mmsearch-bin/websearchconfig"},
		{1417, "/cgi-bin/mmsearch-bin/parduspresearch"},
		{1048, "/cgi-bin/mmsearch-bin/searchguide"},
	};
	for (size_t i = 0; i < sizeof coord / sizeof coord[0]; i++) {
		const mml_cat_ent *e = mml_catalog_entry(&c, coord[i].id);
		REQUIRE(e);
		CHECK_STR(e->api, coord[i].api);
		CHECK(e->confidence >= MML_CAT_CONF_MEDIUM);
	}
	/* the log's own lines: 296, 297 and 304 come out with those APIs */
	mml_plainlog *l = mml_plainlog_open(mml_test_data("wechat-logs/startup_permissions_on_2.log.jsonl"), &c, 1 << 24,
	                                    NULL, NULL);
	REQUIRE(l);
	mml_msg m;
	size_t unnamed = 0, total = 0, named_coord = 0;
	while (mml_plainlog_next(l, &m) == MML_OK) {
		total++;
		if (!m.api)
			unnamed++;
		if (m.id == 296 || m.id == 297 || m.id == 304)
			named_coord += m.api && strstr(m.api, "/cgi-bin/mmsearch-bin/") == m.api;
	}
	mml_plainlog_close(l);
	CHECK_EQ(named_coord, 3);
	CHECK(total > 300 && unnamed * 10 < total);
	mml_test_note("published log: %zu of %zu messages without an API", unnamed, total);
	mml_catalog_free(&c);
}

TEST(catalog_user_forms_and_overrides)
{
	mml_catalog c;
	mml_catalog_init(&c);
	REQUIRE(mml_catalog_load_builtin(&c) == MML_OK);
	size_t n0 = c.n;
	cat_diag d = {0};
	static const char two[] = "# two columns, as before\n"
	                          "138\t/my/sync\n"
	                          "4000000000\t/my/new\n"
	                          "77\t  /spaces/after/the/tab\r\n";
	CHECK_EQ(parse(&c, two, sizeof two - 1, "two.tsv", &d), MML_OK);
	static const char csv[] = "5001,/csv/one\n5002, /csv/two\n";
	CHECK_EQ(parse(&c, csv, sizeof csv - 1, "one.csv", &d), MML_OK);
	static const char four[] = "#source mine\tmy own capture, 2024\n"
	                           "5003\t/four/a\tmine\thigh\n"
	                           "5004\t/four/b\tmine,wx704\tlow\tthe note, free text\n"
	                           "5005\t/three\tmine\n"
	                           "5001\t/four/overrides/csv\tmine\tmedium\n";
	CHECK_EQ(parse(&c, four, sizeof four - 1, "four.tsv", &d), MML_OK);
	CHECK_EQ(d.n, 0);
	CHECK_EQ(c.bad_lines, 0);
	CHECK_EQ(c.n, n0 + 7);
	/* 138 overridden: the user's path, without the built-in provenance */
	const mml_cat_ent *e = mml_catalog_entry(&c, 138);
	REQUIRE(e);
	CHECK_STR(e->api, "/my/sync");
	CHECK(!e->source && !e->source_desc && e->confidence == MML_CAT_CONF_NONE);
	CHECK_STR(mml_catalog_lookup(&c, 4000000000u), "/my/new");
	CHECK_STR(mml_catalog_lookup(&c, 77), "/spaces/after/the/tab");
	CHECK_STR(mml_catalog_lookup(&c, 5002), "/csv/two");
	CHECK_STR(mml_catalog_lookup(&c, 5001), "/four/overrides/csv");
	e = mml_catalog_entry(&c, 5004);
	REQUIRE(e);
	CHECK_STR(e->source, "mine,wx704");
	CHECK_STR(e->source_desc, "my own capture, 2024");
	CHECK_EQ(e->confidence, MML_CAT_CONF_LOW);
	CHECK_STR(mml_cat_conf_name(e->confidence), "low");
	e = mml_catalog_entry(&c, 5005);
	REQUIRE(e);
	CHECK(e->source && e->confidence == MML_CAT_CONF_NONE);
	/* within one text the later line wins too */
	static const char dup[] = "6000\t/first\n6000\t/second\n";
	CHECK_EQ(parse(&c, dup, sizeof dup - 1, "dup.tsv", &d), MML_OK);
	CHECK_STR(mml_catalog_lookup(&c, 6000), "/second");
	/* and through a file, as --catalog loads it */
	char path[1024];
	snprintf(path, sizeof path, "%s/user_catalog.tsv", mml_test_tmpdir());
	FILE *fp = fopen(path, "w");
	REQUIRE(fp);
	fputs("6000\t/from/the/file\twx667\tmedium\n", fp);
	fclose(fp);
	CHECK_EQ(mml_catalog_load(&c, path, rec, &d), MML_OK);
	CHECK_STR(mml_catalog_lookup(&c, 6000), "/from/the/file");
	CHECK(mml_catalog_load(&c, "/nonexistent/catalog.tsv", rec, &d) != MML_OK);
	CHECK_EQ(d.n, 0);
	mml_catalog_free(&c);
}

TEST(catalog_bad_lines_reported_and_skipped)
{
	/* line numbers: each bad line says why; the good ones around it stay */
	char text[8192];
	size_t n = 0;
#define ADD(s) (memcpy(text + n, (s), sizeof(s) - 1), n += sizeof(s) - 1)
	ADD("#source ok\tfine\n");            /* 1 */
	ADD("1\t/good/one\tok\thigh\n");       /* 2 */
	ADD("12a\t/bad/id\n");                 /* 3: bad id */
	ADD("4294967296\t/too/big\n");         /* 4: bad id */
	ADD("\t/no/id\n");                     /* 5: bad id */
	ADD("5\t\n");                          /* 6: missing api (the TAB is trimmed) */
	ADD("6\n");                            /* 7: no separator */
	ADD("7\t/x\tnope\thigh\n");            /* 8: undeclared source */
	ADD("8\t/x\tok\tcertain\n");           /* 9: bad confidence */
	ADD("9\t/has space\n");                /* 10: api with a space */
	ADD("10\t/x\tok,\thigh\n");            /* 11: key list ends with ',' */
	ADD("#source ok\tagain\n");            /* 12: declared twice */
	ADD("#source bad key\tx\n");           /* 13: bad declaration */
	ADD("#source k2\n");                   /* 14: no description */
	ADD("11\t/nul\0byte\n");               /* 15: NUL byte */
	ADD("12\t/x\tok\thigh\tnote\x01\n");   /* 16: control byte in the note */
	ADD("13\t/x\t\thigh\n");               /* 17: empty source */
	ADD("14\t/good/two\n");                /* 18 */
	ADD("15\t/x\ta,b,c,d,e,f,g,h,i\n");   /* 19: more than 8 keys */
	/* 20: an api over 1024 bytes; 21: a line over 2048 bytes */
	n += (size_t)sprintf(text + n, "16\t/%01100d\n", 0);
	n += (size_t)sprintf(text + n, "17\t/ok\tok\thigh\t%02100d\n", 0);
	ADD("18\t/good/three\tok\tmedium\n"); /* 22 */
#undef ADD
	mml_catalog c;
	mml_catalog_init(&c);
	cat_diag d = {0};
	CHECK_EQ(parse(&c, text, n, "bad.tsv", &d), MML_OK);
	static const int bad[] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21};
	size_t nbad = sizeof bad / sizeof bad[0];
	CHECK_EQ(d.n, nbad);
	CHECK_EQ(c.bad_lines, nbad);
	for (size_t i = 0; i < nbad; i++) {
		char want[64];
		snprintf(want, sizeof want, "bad.tsv:%d: catalog line skipped: ", bad[i]);
		if (!strstr(d.all, want))
			mml_test_fail(__FILE__, __LINE__, "no diagnostic for line %d in:\n%s", bad[i], d.all);
	}
	CHECK(strstr(d.all, "undeclared source key") != NULL);
	CHECK(strstr(d.all, "NUL byte") != NULL);
	CHECK(strstr(d.all, "declared twice") != NULL);
	CHECK_EQ(c.n, 3);
	CHECK_STR(mml_catalog_lookup(&c, 1), "/good/one");
	CHECK_STR(mml_catalog_lookup(&c, 14), "/good/two");
	CHECK_STR(mml_catalog_lookup(&c, 18), "/good/three");
	CHECK_STR(mml_catalog_source_desc(&c, "ok"), "fine");
	CHECK(mml_catalog_lookup(&c, 11) == NULL);
	/* no callback: the same lines skipped, silently */
	mml_catalog q;
	mml_catalog_init(&q);
	CHECK_EQ(mml_catalog_parse(&q, text, n, NULL, NULL, NULL), MML_OK);
	CHECK_EQ(q.bad_lines, nbad);
	CHECK_EQ(q.n, 3);
	mml_catalog_free(&q);
	mml_catalog_free(&c);
}

/* Any input order, duplicates included: sorted, unique, the last line wins. */
TEST(catalog_input_order)
{
	size_t cap = 40000 * 24, n = 0;
	char *text = malloc(cap);
	REQUIRE(text);
	for (int i = 20000; i > 0; i--)
		n += (size_t)snprintf(text + n, cap - n, "%d\t/a/%d\n", i * 7 % 20011, i);
	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(text + n, cap - n, "%d\t/b/%d\n", i * 13 % 20011, i);
	mml_catalog c;
	mml_catalog_init(&c);
	CHECK_EQ(mml_catalog_parse(&c, text, n, "order.tsv", NULL, NULL), MML_OK);
	CHECK_EQ(c.bad_lines, 0);
	CHECK_EQ(c.n, 20000 + 1); /* 20000 distinct ids from the first loop, id 0 from the second */
	for (size_t i = 1; i < c.n; i++)
		if (c.ent[i].id <= c.ent[i - 1].id) {
			mml_test_fail(__FILE__, __LINE__, "not sorted at %zu", i);
			break;
		}
	CHECK_STR(mml_catalog_lookup(&c, 13), "/b/1");         /* written by both loops: the later wins */
	CHECK_STR(mml_catalog_lookup(&c, 7 * 5 % 20011), "/a/5"); /* 35: the first loop only */
	/* a second parse merges into the first */
	static const char more[] = "35\t/merged\n99999\t/appended\n";
	CHECK_EQ(mml_catalog_parse(&c, more, sizeof more - 1, "more.tsv", NULL, NULL), MML_OK);
	CHECK_STR(mml_catalog_lookup(&c, 35), "/merged");
	CHECK_STR(mml_catalog_lookup(&c, 99999), "/appended");
	CHECK_EQ(c.n, 20000 + 2);
	mml_catalog_free(&c);
	free(text);
}

/* Every API of the built-in catalog has an exact attribution row, and
 * the families get the party the policy expects. */
TEST(catalog_apis_attributed_exactly)
{
	mml_catalog c;
	mml_catalog_init(&c);
	REQUIRE(mml_catalog_load_builtin(&c) == MML_OK);
	mml_attrib a;
	mml_attrib_init(&a);
	REQUIRE(mml_attrib_load_builtin(&a) == MML_OK);
	CHECK_EQ(a.bad_lines, 0);
	size_t missing = 0;
	for (size_t i = 0; i < c.n; i++) {
		const char *api = c.ent[i].api;
		const mml_attrib_row *row = NULL;
		for (size_t j = 0; j < a.n; j++)
			if (a.row[j].api && !a.row[j].api_prefix && !a.row[j].host && !strcmp(a.row[j].api, api))
				row = &a.row[j];
		if (!row) {
			if (missing++ < 10)
				mml_test_fail(__FILE__, __LINE__, "%s (%u): no exact attribution row", api, c.ent[i].id);
			continue;
		}
		bool search = !strncmp(api, "/cgi-bin/mmsearch-bin/", 22);
		bool finder = !strncmp(api, "/cgi-bin/micromsg-bin/finder", 28);
		if (search && (row->party != MML_PARTY_WEIXIN || row->feature != MML_FEAT_SEARCH))
			mml_test_fail(__FILE__, __LINE__, "%s: Search is weixin/search", api);
		if (finder && (row->party != MML_PARTY_WEIXIN || row->feature != MML_FEAT_CHANNELS))
			mml_test_fail(__FILE__, __LINE__, "%s: Channels is weixin/channels", api);
		if (!search && !finder && row->party == MML_PARTY_MINIPROGRAM)
			mml_test_fail(__FILE__, __LINE__, "%s: an MMTLS API is never received by a Mini Program", api);
	}
	CHECK_EQ(missing, 0);
	static const struct { uint32_t id; mml_party p; mml_feature f; } want[] = {
		{1948, MML_PARTY_WEIXIN, MML_FEAT_SEARCH},        {1417, MML_PARTY_WEIXIN, MML_FEAT_SEARCH},
		{1048, MML_PARTY_WEIXIN, MML_FEAT_SEARCH},        {1076, MML_PARTY_WEIXIN, MML_FEAT_SEARCH},
		{4591, MML_PARTY_WEIXIN, MML_FEAT_SEARCH},        {2975, MML_PARTY_WEIXIN, MML_FEAT_SEARCH},
		{719, MML_PARTY_WEIXIN, MML_FEAT_SEARCH},         {148, MML_PARTY_WECHAT, MML_FEAT_PEOPLE_NEARBY},
		{209, MML_PARTY_WECHAT, MML_FEAT_MOMENTS},        {1122, MML_PARTY_WECHAT, MML_FEAT_MINIPROGRAMS},
		{6611, MML_PARTY_WEIXIN, MML_FEAT_CHANNELS},      {385, MML_PARTY_WECHAT, MML_FEAT_PAYMENTS},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		mml_party p;
		mml_feature f;
		const char *api = mml_catalog_lookup(&c, want[i].id);
		REQUIRE(api);
		REQUIRE(mml_attrib_lookup(&a, api, NULL, &p, &f));
		if (p != want[i].p || f != want[i].f)
			mml_test_fail(__FILE__, __LINE__, "%u %s: %s/%s", want[i].id, api, mml_party_name(p), mml_feature_name(f));
	}
	mml_attrib_free(&a);
	mml_catalog_free(&c);
}

/* An API's request type: the lowest id that names it, found by bisection. */
TEST(catalog_id_of_api)
{
	mml_catalog c;
	mml_catalog_init(&c);
	REQUIRE(mml_catalog_load_builtin(&c) == MML_OK);
	CHECK_EQ(mml_catalog_id_of(&c, "/cgi-bin/mmsearch-bin/websearchconfig"), 1948);
	CHECK_EQ(mml_catalog_id_of(&c, "/cgi-bin/micromsg-bin/newsync"), 138);
	CHECK_EQ(mml_catalog_id_of(&c, "/cgi-bin/no-such-api"), (uint64_t)-1);
	/* every entry's API gives an id that names it, never a higher one than its own */
	for (size_t i = 0; i < c.n; i++) {
		int64_t id = mml_catalog_id_of(&c, c.ent[i].api);
		CHECK(id >= 0 && (uint64_t)id <= c.ent[i].id && !strcmp(mml_catalog_lookup(&c, (uint64_t)id), c.ent[i].api));
	}
	/* a later file that renames an id moves it in the index too */
	const char *more = "1948\t/x/renamed\n";
	REQUIRE(mml_catalog_parse(&c, more, strlen(more), "more", NULL, NULL) == MML_OK);
	CHECK_EQ(mml_catalog_id_of(&c, "/x/renamed"), 1948);
	CHECK_EQ(mml_catalog_id_of(&c, "/cgi-bin/mmsearch-bin/websearchconfig"), (uint64_t)-1);
	mml_catalog_free(&c);
}
