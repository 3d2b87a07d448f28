/*
 * test_jsonl_writer.c - the in-memory number formatting and the line
 * writer behind the decrypt JSONL: each must give exactly what the printf
 * formats they replace give, at edge values and across buffer refills.
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
		mml_lw_hex(&w, bytes, lens[k]);
		mml_lw_lit(&w, ",\"c\":");
		mml_lw_cstr(&w, NULL);
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
