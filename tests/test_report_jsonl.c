/*
 * test_report_jsonl.c - the in-memory number formatting, the line writer
 * and the JSON writer over it (every JSON line of mmlens): each must give
 * exactly what the printf formats they replace give, at edge values and
 * across buffer refills; the JSON writer puts commas and brackets in and
 * says when it was misused.
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/util.h"
#include "test.h"

static int u64_same(uint64_t v)
{
	char got[32], want[32];
	*mml_put_u64(got, v) = 0;
	snprintf(want, sizeof want, "%llu", (unsigned long long)v);
	return !strcmp(got, want);
}

TEST(jsonl_put_u64_matches_printf)
{
	int bad = 0;
	uint64_t p = 1;
	for (int i = 0; i < 20; i++, p *= 10) { /* around every power of ten */
		bad += !u64_same(p) + !u64_same(p - 1) + !u64_same(p + 1);
	}
	bad += !u64_same(0) + !u64_same(9) + !u64_same(10) + !u64_same(99) + !u64_same(100);
	bad += !u64_same(UINT64_MAX) + !u64_same(UINT64_MAX - 1) + !u64_same(UINT32_MAX) + !u64_same((uint64_t)UINT32_MAX + 1);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 10000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		bad += !u64_same(x) + !u64_same(x >> (i % 64));
	}
	CHECK_EQ(bad, 0);
}

TEST(jsonl_put_i64_and_hex4_match_printf)
{
	const int64_t v[] = {0, 1, -1, 200, -200, INT64_MAX, INT64_MIN, INT64_MIN + 1};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char got[32], want[32];
		*mml_put_i64(got, v[i]) = 0;
		snprintf(want, sizeof want, "%lld", (long long)v[i]);
		CHECK_STR(got, want);
	}
	const unsigned h[] = {0, 0xf, 0xa8, 0x4f1, 0xc02b, 0xffff, 0x10000, 0xffffffffu};
	for (size_t i = 0; i < sizeof h / sizeof h[0]; i++) {
		char got[32], want[32];
		*mml_put_hex4(got, h[i]) = 0;
		snprintf(want, sizeof want, "%04x", h[i]);
		CHECK_STR(got, want);
	}
}

TEST(jsonl_put_ts_pads_microseconds)
{
	const uint64_t v[] = {0, 1, 9, 10, 999999, 1000000, 1000001, 1701738555009942ull, 1701738555000000ull,
	                      1701738555000090ull, UINT64_MAX, UINT64_MAX - 999999};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char got[40], want[40];
		*mml_put_ts(got, v[i]) = 0;
		snprintf(want, sizeof want, "%llu.%06llu", (unsigned long long)(v[i] / 1000000u),
		         (unsigned long long)(v[i] % 1000000u));
		CHECK_STR(got, want);
	}
}

/* The line writer over a memory stream: long strings and hex runs cross
 * buffer refills and must come out as mml_json_str / mml_json_hex write them. */
TEST(jsonl_line_writer_matches_stdio_writers)
{
	size_t big = MML_LW_SIZE + 12345;
	uint8_t *bytes = malloc(big);
	char *text = malloc(big);
	if (!bytes || !text) {
		free(bytes);
		free(text);
	}
	REQUIRE(bytes && text);
	for (size_t i = 0; i < big; i++) {
		bytes[i] = (uint8_t)(i * 131 + 7);
		text[i] = "ab\"\\\n\x01\xc3\xa9xyz"[i % 11];
	}
	const size_t lens[] = {0, 1, 15, 16, 17, 4096, MML_LW_SIZE / 6, MML_LW_SIZE / 2 + 3, big};
	int bad = 0;
	for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
		char *a = NULL, *b = NULL;
		size_t al = 0, bl = 0;
		FILE *fa = open_memstream(&a, &al), *fb = open_memstream(&b, &bl);
		REQUIRE(fa && fb);
		mml_lw w;
		mml_lw_begin(&w, fa);
		mml_lw_lit(&w, "{\"n\":");
		mml_lw_u64(&w, lens[k]);
		mml_lw_lit(&w, ",\"s\":");
		mml_lw_str(&w, text, lens[k]);
		mml_lw_lit(&w, ",\"h\":");
		mml_jwv_hex(&w, 0, bytes, lens[k]);
		mml_lw_lit(&w, ",\"c\":");
		mml_jwv_cstr(&w, 0, NULL);
		mml_lw_lit(&w, "}\n");
		mml_lw_end(&w);
		fprintf(fb, "{\"n\":%zu,\"s\":", lens[k]);
		mml_json_str(fb, text, lens[k]);
		fputs(",\"h\":", fb);
		mml_json_hex(fb, bytes, lens[k]);
		fputs(",\"c\":", fb);
		mml_json_cstr(fb, NULL);
		fputs("}\n", fb);
		fclose(fa);
		fclose(fb);
		bad += al != bl || memcmp(a, b, al);
		free(a);
		free(b);
	}
	CHECK_EQ(bad, 0);
	free(bytes);
	free(text);
}

/* A JSON writer's text, through a memory stream (NUL-terminated, caller frees). */
typedef struct jw_out {
	char *text;
	size_t len;
	FILE *f;
	mml_lw lw;
	mml_jw w;
} jw_out;

static mml_jw *jw_open(jw_out *o)
{
	o->text = NULL;
	o->f = open_memstream(&o->text, &o->len);
	if (!o->f)
		return NULL;
	mml_jw_begin(&o->w, &o->lw, o->f);
	return &o->w;
}

static const char *jw_text(jw_out *o)
{
	mml_jw_end(&o->w);
	fclose(o->f);
	return o->text;
}

TEST(jsonl_writer_puts_commas_and_brackets)
{
	jw_out o;
	mml_jw *w = jw_open(&o);
	REQUIRE(w);
	mml_jw_obj(w);
	mml_jw_kv_u64(w, "u", 18446744073709551615ull);
	mml_jw_kv_i64(w, "i", -5);
	mml_jw_kv_ts(w, "ts", 1700000000000007ull);
	mml_jw_kv_bool(w, "b", false);
	mml_jw_kv_null(w, "n");
	mml_jw_kv_fixed(w, "c", 0.875, 2);
	mml_jw_kv_str(w, "s", "a\"b\\c\n\x01", 7);
	mml_jw_kv_cstr(w, "z", NULL);
	mml_jw_kv_name(w, "nm", "request");
	mml_jw_key(w, "e");
	mml_jw_arr(w);
	mml_jw_close(w);
	mml_jw_key(w, "a");
	mml_jw_arr(w);
	mml_jw_u64(w, 1);
	mml_jw_obj(w);
	mml_jw_close(w);
	mml_jw_arr(w);
	mml_jw_hex(w, (const uint8_t *)"\x01\xff", 2);
	mml_jw_raw(w, "{\"r\":1}", 7);
	mml_jw_close(w);
	mml_jw_cstr(w, "x");
	mml_jw_close(w);
	mml_jw_key_str(w, "k\"", 2);
	mml_jw_obj(w);
	mml_jw_key_name(w, "verdict");
	mml_jw_u64(w, 3);
	mml_jw_close(w);
	mml_jw_close(w);
	mml_jw_nl(w);
	mml_jw_end(w);
	mml_jw_line(w, &o.lw, o.f); /* a second line: one object, without the stack */
	mml_jw_kv_lit(w, "kind", "\"x\"");
	mml_lw *lw = mml_jw_value_lw(w);
	mml_lw_lit(lw, "\"foreign\":1");
	mml_jw_kv_u64(w, "after", 2);
	mml_jw_line_close(w);
	CHECK(!o.w.bad);
	CHECK_STR(jw_text(&o), "{\"u\":18446744073709551615,\"i\":-5,\"ts\":1700000000.000007,\"b\":false,\"n\":null,"
	                       "\"c\":0.88,\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"z\":null,\"nm\":\"request\",\"e\":[],"
	                       "\"a\":[1,{},[\"01ff\",{\"r\":1}],\"x\"],\"k\\\"\":{\"verdict\":3}}\n"
	                       "{\"kind\":\"x\",\"foreign\":1,\"after\":2}\n");
	free(o.text);
}

TEST(jsonl_writer_runs_give_what_the_checked_calls_give)
{
	jw_out a, b;
	mml_jw *w = jw_open(&a), *v = jw_open(&b);
	REQUIRE(w && v);
	char *o = mml_jw_run(w, 256);
	o = mml_jwp_obj_in(w, o);
	o = mml_jwp_lit(w, o, "kind", "\"message\"");
	o = mml_jwp_u64(w, o, "id", 7);
	o = mml_jwp_obj_in(w, mml_jwp_key(w, o, "outer"));
	o = mml_jwp_name(w, o, "record", "data");
	o = mml_jwp_null(w, o, "key");
	o = mml_jwp_obj_out(w, o);
	o = mml_jwp_arr(w, mml_jwp_key(w, o, "v"));
	o = mml_jwp_close(w, o);
	o = mml_jwp_str(w, o, "s", "\xc3\xa9", 2);
	o = mml_jwp_fixed(w, o, "c", 1.0 / 3, 2);
	mml_jw_run_end(w, o);
	mml_jw_line_end(w);
	mml_jw_obj(v);
	mml_jw_kv_lit(v, "kind", "\"message\"");
	mml_jw_kv_u64(v, "id", 7);
	mml_jw_key(v, "outer");
	mml_jw_obj(v);
	mml_jw_kv_name(v, "record", "data");
	mml_jw_kv_null(v, "key");
	mml_jw_close(v);
	mml_jw_key(v, "v");
	mml_jw_arr(v);
	mml_jw_close(v);
	mml_jw_kv_str(v, "s", "\xc3\xa9", 2);
	mml_jw_kv_fixed(v, "c", 1.0 / 3, 2);
	mml_jw_close(v);
	mml_jw_nl(v);
	CHECK(!a.w.bad && !b.w.bad);
	const char *ta = jw_text(&a), *tb = jw_text(&b);
	CHECK_STR(ta, tb);
	CHECK_STR(ta, "{\"kind\":\"message\",\"id\":7,\"outer\":{\"record\":\"data\",\"key\":null},\"v\":[],"
	              "\"s\":\"\xc3\xa9\",\"c\":0.33}\n");
	free(a.text);
	free(b.text);
}

TEST(jsonl_writer_says_when_misused)
{
	jw_out o;
	mml_jw *w = jw_open(&o);
	REQUIRE(w);
	mml_jw_close(w); /* nothing open */
	mml_jw_nl(w);
	CHECK(o.w.bad);
	jw_text(&o);
	free(o.text);
	w = jw_open(&o);
	REQUIRE(w);
	mml_jw_obj(w);
	mml_jw_arr(w);
	mml_jw_close(w);
	mml_jw_nl(w); /* the object is still open */
	CHECK(o.w.bad);
	jw_text(&o);
	free(o.text);
	w = jw_open(&o);
	REQUIRE(w);
	for (int i = 0; i <= MML_JW_DEPTH; i++) /* one deeper than the stack */
		mml_jw_arr(w);
	CHECK(o.w.bad);
	jw_text(&o);
	free(o.text);
}

/* Values longer than the line writer's buffer, in arrays: the bytes are
 * those of the stdio writers, with the commas between them. */
TEST(jsonl_writer_long_values_cross_refills)
{
	size_t big = MML_LW_SIZE + 4321;
	uint8_t *bytes = malloc(big);
	char *text = malloc(big);
	if (!bytes || !text) {
		free(bytes);
		free(text);
	}
	REQUIRE(bytes && text);
	for (size_t i = 0; i < big; i++) {
		bytes[i] = (uint8_t)(i * 37 + 1);
		text[i] = "x\"\\\t\x7f\xe2\x82\xac"[i % 8];
	}
	jw_out o;
	mml_jw *w = jw_open(&o);
	REQUIRE(w);
	char *want = NULL;
	size_t wl = 0;
	FILE *f = open_memstream(&want, &wl);
	REQUIRE(f);
	mml_jw_arr(w);
	fputc('[', f);
	for (int k = 0; k < 3; k++) {
		mml_jw_str(w, text, big);
		mml_jw_hex(w, bytes, big);
		mml_jw_raw(w, text, 5000);
		fputs(k ? "," : "", f);
		mml_json_str(f, text, big);
		fputc(',', f);
		mml_json_hex(f, bytes, big);
		fputc(',', f);
		fwrite(text, 1, 5000, f);
	}
	mml_jw_close(w);
	mml_jw_nl(w);
	fputs("]\n", f);
	fclose(f);
	const char *got = jw_text(&o);
	CHECK(!o.w.bad);
	CHECK_EQ(o.len, wl);
	CHECK(o.len == wl && !memcmp(got, want, wl));
	free(o.text);
	free(want);
	free(bytes);
	free(text);
}

/* A writer over memory that is too small: the text is cut and said to be,
 * nothing is written past the room given. */
TEST(jsonl_writer_over_memory_is_bounded)
{
	char room[64 + 16];
	memset(room, 'Z', sizeof room);
	mml_lw lw;
	mml_jw w;
	mml_lw_mem(&lw, room, 64);
	mml_jw_on(&w, &lw);
	mml_jw_obj(&w);
	mml_jw_kv_u64(&w, "a", 1);
	mml_jw_close(&w);
	CHECK(!lw.over);
	CHECK_EQ(lw.p - room, 7);
	CHECK(!memcmp(room, "{\"a\":1}", 7));
	static char long_text[100000];
	memset(long_text, 'q', sizeof long_text);
	mml_jw_str(&w, long_text, sizeof long_text);
	mml_jw_hex(&w, (const uint8_t *)long_text, 1000);
	CHECK(lw.over);
	for (size_t i = 64; i < sizeof room; i++)
		CHECK(room[i] == 'Z');
}

TEST(jsonl_writer_fixed_matches_printf)
{
	char got[512], want[512];
	int bad = 0;
	for (int i = 0; i < 100; i++) { /* more values than the cache holds */
		double v = i * 0.0137 - 0.3;
		for (int prec = 0; prec <= 3; prec++) {
			*mml_put_fixed(got, v, prec) = 0;
			snprintf(want, sizeof want, "%.*f", prec, v);
			bad += strcmp(got, want) != 0;
		}
	}
	*mml_put_fixed(got, 1e300, 2) = 0;
	snprintf(want, sizeof want, "%.2f", 1e300);
	bad += strcmp(got, want) != 0;
	CHECK_EQ(bad, 0);
}
