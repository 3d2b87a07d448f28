/*
 * tests/test_keylog.c - the key log reader's two paths: the strict
 * scanner for canonical lines and jansson for everything else must read
 * every line identically (entries and skipped lines), on the real key log,
 * a simulated one, and hand-made lines that stray from the canonical form
 * in each way the scanner hands over to jansson. Also its speed.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmlens/keylog.h"
#include "test.h"
#include "util.h"

typedef struct dg {
	size_t n;
	char last[256];
} dg;

static void diag(void *ctx, const char *fmt, ...)
{
	dg *d = ctx;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->last, sizeof d->last, fmt, ap);
	va_end(ap);
	d->n++;
}

/* Load path both ways; check they agree; return the entry count. */
static size_t both_ways(const char *path)
{
	mml_keylog a, b;
	mml_stats sa, sb;
	dg da = {0}, db = {0};
	memset(&sa, 0, sizeof sa);
	memset(&sb, 0, sizeof sb);
	mml_keylog_init(&a);
	mml_keylog_init(&b);
	b.jansson_only = true;
	CHECK_EQ(mml_keylog_load(&a, path, diag, &da, &sa), MML_OK);
	CHECK_EQ(mml_keylog_load(&b, path, diag, &db, &sb), MML_OK);
	CHECK_EQ(a.n, b.n);
	CHECK_EQ(a.bad_lines, b.bad_lines);
	CHECK_EQ(da.n, db.n);
	CHECK_STR(da.last, db.last);
	size_t same = 0;
	for (size_t i = 0; i < a.n && i < b.n; i++)
		same += !memcmp(&a.ent[i], &b.ent[i], sizeof a.ent[i]);
	CHECK_EQ(same, a.n);
	size_t n = a.n;
	mml_keylog_free(&a);
	mml_keylog_free(&b);
	return n;
}

TEST(keylog_fast_reader_agrees_on_real_and_simulated)
{
	size_t n = both_ways(mml_test_data("mmtls-capture/frida-logged-in-all-keys.log"));
	CHECK_EQ(n, 162);
	char pcap[512], keys[512], truth[512];
	REQUIRE(t_simulate("klfast", "--scenario all --seed 5", pcap, keys, truth, sizeof pcap) == 0);
	size_t m = both_ways(keys);
	CHECK(m > 100);
	mml_test_note("real %zu entries, simulated %zu", n, m);
}

TEST(keylog_fast_reader_hands_odd_lines_to_jansson)
{
	static const char *const lines[] = {
		"{\"layer\":\"OUTER\",\"encrypt\":false,\"nonce\":\"6df883161e0f1928d9bf8c4b\",\"key\":\"59d8e521c84392617baedab64a1478ff\",\"metadata\":\"000000000000000116f104005f\",\"tail\":\"3171573f3f0f240f\"}",
		/* whitespace, escapes, unknown and repeated keys, numbers, nesting, case */
		"{ \"layer\":\"OUTER\",\"encrypt\":false,\"nonce\":\"6df883161e0f1928d9bf8c4b\",\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}",
		"{\"layer\":\"OUT\\u0045R\",\"encrypt\":true,\"nonce\":\"6df883161e0f1928d9bf8c4b\",\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}",
		"{\"layer\":\"OUTER\",\"encrypt\":true,\"x\":1,\"nonce\":\"6df883161e0f1928d9bf8c4b\",\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}",
		"{\"layer\":\"OUTER\",\"layer\":\"INNER\",\"encrypt\":true,\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}",
		"{\"layer\":\"OUTER\",\"encrypt\":1,\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}",
		"{\"layer\":\"INNER\",\"encrypt\":true,\"key\":{\"a\":1},\"tail\":\"3171573f3f0f240f\"}",
		"{\"Layer\":\"INNER\",\"encrypt\":true,\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}",
		"{\"layer\":\"INNER\",\"encrypt\":true,\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}}",
		"{\"layer\":\"INNER\",\"encrypt\":true,\"key\":\"59d8e521c84392617baedab64a1478fg\",\"tail\":\"3171573f3f0f240f\"}\r",
		"{\"layer\":\"INNER\",\"encrypt\":true,\"key\":\"59D8E521C84392617BAEDAB64A1478FF\",\"tail\":\"3171573F3F0F240F\"}",
		"{\"layer\":\"INNER\",\"encrypt\":true,\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\",}",
		"{\"layer\":\"OUTER\",\"encrypt\":true,\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"\"}",
		"{}", "[]", "{", "", "null", "{\"layer\":\"INNER\"", "{\"layer\":\"INNER\",\"encrypt\":tru}",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		mml_keylog a, b;
		mml_stats sa, sb;
		dg da = {0}, db = {0};
		memset(&sa, 0, sizeof sa);
		memset(&sb, 0, sizeof sb);
		mml_keylog_init(&a);
		mml_keylog_init(&b);
		b.jansson_only = true;
		size_t n = strlen(lines[i]);
		CHECK_EQ(mml_keylog_parse(&a, lines[i], n, diag, &da, "t", &sa), MML_OK);
		CHECK_EQ(mml_keylog_parse(&b, lines[i], n, diag, &db, "t", &sb), MML_OK);
		if (a.n != b.n || a.bad_lines != b.bad_lines || strcmp(da.last, db.last) ||
		    (a.n && memcmp(a.ent, b.ent, sizeof *a.ent)))
			mml_test_fail(__FILE__, __LINE__, "line %zu read differently: \"%s\" vs \"%s\"", i, da.last, db.last);
		mml_keylog_free(&a);
		mml_keylog_free(&b);
	}
}

TEST(keylog_fast_reader_speed)
{
	/* 200,000 canonical lines, read both ways: the scanner must be much faster */
	size_t lines = 200000, cap = lines * 200;
	char *text = malloc(cap);
	REQUIRE(text);
	size_t n = 0;
	for (size_t i = 0; i < lines; i++)
		n += (size_t)snprintf(text + n, cap - n,
		                      "{\"layer\":\"OUTER\",\"encrypt\":%s,\"nonce\":\"6df883161e0f1928d9bf%04zx\",\"key\":"
		                      "\"59d8e521c84392617baedab64a1478ff\",\"metadata\":\"000000000000000116f104005f\","
		                      "\"tail\":\"3171573f3f0f%04zx\"}\n",
		                      i & 1 ? "true" : "false", i & 0xffff, i & 0xffff);
	double t[2];
	for (int slow = 0; slow < 2; slow++) {
		mml_keylog kl;
		mml_stats st;
		memset(&st, 0, sizeof st);
		mml_keylog_init(&kl);
		kl.jansson_only = slow;
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		CHECK_EQ(mml_keylog_parse(&kl, text, n, NULL, NULL, "t", &st), MML_OK);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t[slow] = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		CHECK_EQ(kl.n, lines);
		mml_keylog_free(&kl);
	}
	mml_test_note("%.1f MB of key log: scanner %.0f MB/s, jansson %.0f MB/s (x%.1f)", (double)n / 1e6,
	              (double)n / 1e6 / t[0], (double)n / 1e6 / t[1], t[1] / t[0]);
	CHECK(t[0] * 2 < t[1]);
	free(text);
}
