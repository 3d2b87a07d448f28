/*
 * test_mmtls_http.c - the chunked-body decoder (mml_http_chunked_next,
 * src/mmtls/record.c): bodies split across reads at every byte boundary,
 * chunk sizes that overflow, bad hex, extensions, trailers, the line cap,
 * and "incomplete" kept apart from "malformed".
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/mmtls.h"
#include "test.h"

/* What decoding gave: the data, and how it stopped. */
typedef struct dec {
	mml_http_chunked ch;
	char data[4096];
	size_t n;
	mml_err last;   /* the last call's result */
	size_t used;    /* input bytes consumed in all */
	size_t calls;
} dec;

static void dec_init(dec *d)
{
	memset(d, 0, sizeof *d);
	mml_http_chunked_init(&d->ch);
}

/* Feed p[0..n): decode until the decoder wants more, ends or refuses. */
static mml_err dec_feed(dec *d, const char *p, size_t n)
{
	mml_cur c = mml_cur_make(p, n);
	for (;;) {
		const uint8_t *data;
		size_t len;
		mml_err e = mml_http_chunked_next(&d->ch, &c, &data, &len);
		d->calls++;
		if (e == MML_OK) {
			if (!len || data < c.p || data + len > c.p + n || d->n + len > sizeof d->data)
				return d->last = MML_E_ARG; /* never: a view outside the input */
			memcpy(d->data + d->n, data, len);
			d->n += len;
			continue;
		}
		d->used += c.off;
		return d->last = e;
	}
}

/* Decode s whole. */
static mml_err dec_all(dec *d, const char *s)
{
	dec_init(d);
	return dec_feed(d, s, strlen(s));
}

TEST(http_chunked_basic_and_what_follows)
{
	dec d;
	const char *s = "4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\nPOST /next";
	CHECK_EQ(dec_all(&d, s), MML_E_END);
	CHECK(d.n == 23 && !memcmp(d.data, "Wikipedia in\r\n\r\nchunks.", 23));
	CHECK_EQ(d.used, strlen(s) - strlen("POST /next")); /* the next message is left */
	/* once ended, it stays ended and takes nothing */
	CHECK_EQ(dec_feed(&d, "x", 1), MML_E_END);
	CHECK_EQ(d.used, strlen(s) - strlen("POST /next"));
	/* no chunk at all, bare LFs */
	CHECK_EQ(dec_all(&d, "0\n\n"), MML_E_END);
	CHECK(d.n == 0 && d.used == 3);
	CHECK_EQ(dec_all(&d, "2\nab\n0\n\n"), MML_E_END);
	CHECK(d.n == 2 && !memcmp(d.data, "ab", 2));
}

/* The same body fed in two reads at every cut, then a byte at a time. */
TEST(http_chunked_split_at_every_byte)
{
	static const char *const bodies[] = {
		"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\n\r\n",
		"1a \t;a=b;c\r\nabcdefghijklmnopqrstuvwxyz\r\n00000\r\nX-Trailer: 1\r\nY: 2\r\n\r\n",
		"A\r\n0123456789\r\n1\r\n\n\r\n0;end\r\n\r\n",
		"000000000000000000003\r\nabc\r\n0\r\n\r\n",
	};
	for (size_t k = 0; k < sizeof bodies / sizeof *bodies; k++) {
		const char *s = bodies[k];
		size_t n = strlen(s);
		dec whole;
		REQUIRE(dec_all(&whole, s) == MML_E_END && whole.used == n);
		for (size_t cut = 0; cut <= n; cut++) {
			dec d;
			dec_init(&d);
			mml_err e1 = dec_feed(&d, s, cut);
			if (cut < n && e1 != MML_E_INCOMPLETE)
				mml_test_fail(__FILE__, __LINE__, "body %zu cut at %zu: first part %s", k, cut, mml_strerror(e1));
			mml_err e2 = dec_feed(&d, s + cut, n - cut);
			if (e2 != MML_E_END || d.used != n || d.n != whole.n || memcmp(d.data, whole.data, d.n))
				mml_test_fail(__FILE__, __LINE__, "body %zu cut at %zu: %s after %zu bytes, %zu data bytes", k, cut,
				              mml_strerror(e2), d.used, d.n);
		}
		dec d;
		dec_init(&d);
		mml_err e = MML_E_INCOMPLETE;
		for (size_t i = 0; i < n; i++) {
			if (e != MML_E_INCOMPLETE)
				mml_test_fail(__FILE__, __LINE__, "body %zu: %s before byte %zu", k, mml_strerror(e), i);
			e = dec_feed(&d, s + i, 1);
		}
		CHECK(e == MML_E_END && d.n == whole.n && !memcmp(d.data, whole.data, d.n));
	}
}

TEST(http_chunked_sizes_checked)
{
	dec d;
	/* 16 hex digits: the largest size, accepted (then waits for its data) */
	CHECK_EQ(dec_all(&d, "ffffffffffffffff\r\nabc"), MML_E_INCOMPLETE);
	CHECK(d.n == 3 && d.ch.left == UINT64_MAX - 3);
	/* 17 significant digits, 2^64: refused where the digit overflows */
	CHECK_EQ(dec_all(&d, "10000000000000000\r\n"), MML_E_MALFORMED);
	CHECK_EQ(d.used, 16);
	CHECK_EQ(dec_all(&d, "fffffffffffffffff\r\n"), MML_E_MALFORMED);
	/* leading zeros do not count */
	CHECK_EQ(dec_all(&d, "00000000000000000000001\r\nz\r\n0\r\n\r\n"), MML_E_END);
	CHECK(d.n == 1 && d.data[0] == 'z');
	/* the decoder stays refused */
	CHECK_EQ(dec_all(&d, "zz\r\n"), MML_E_MALFORMED);
	CHECK_EQ(dec_feed(&d, "0\r\n\r\n", 5), MML_E_MALFORMED);
	CHECK_EQ(d.used, 0);
}

TEST(http_chunked_bad_hex_and_framing)
{
	static const struct {
		const char *s;
		size_t at; /* where the decoder stopped: the offending byte */
	} bad[] = {
		{"x\r\n", 0},        {"\r\n", 0},           {";ext\r\n", 0},    {" 1\r\n", 0},
		{"-1\r\n", 0},       {"1g\r\n", 1},         {"0x10\r\n", 1},    {"1\r\nab\r\n", 4},
		{"1\r\naX\r\n", 4},  {"2\r\nab\rX", 6},     {"2\r\nab\r\r\n", 6},
	};
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
		dec d;
		mml_err e = dec_all(&d, bad[k].s);
		if (e != MML_E_MALFORMED || d.used != bad[k].at)
			mml_test_fail(__FILE__, __LINE__, "\"%s\": %s at %zu, expected malformed at %zu", bad[k].s,
			              mml_strerror(e), d.used, bad[k].at);
	}
	/* prefixes of valid framing are incomplete, never malformed */
	static const char *const wait[] = {"", "1", "1a", "1;", "1;e=v", "1\r", "1\r\n", "1\r\nx", "1\r\nx\r",
	                                   "0\r\n", "0\r\nT", "0\r\nT: v\r\n", "0\r\n\r"};
	for (size_t k = 0; k < sizeof wait / sizeof *wait; k++) {
		dec d;
		mml_err e = dec_all(&d, wait[k]);
		if (e != MML_E_INCOMPLETE || d.used != strlen(wait[k]))
			mml_test_fail(__FILE__, __LINE__, "\"%s\": %s, expected incomplete", wait[k], mml_strerror(e));
	}
}

TEST(http_chunked_extensions_trailers_and_the_line_cap)
{
	dec d;
	CHECK_EQ(dec_all(&d, "3;name=value;q=\"a;b\"\r\nabc\r\n0;last\r\nExpires: never\r\nX: y\r\n\r\n"), MML_E_END);
	CHECK(d.n == 3 && !memcmp(d.data, "abc", 3));
	/* a trailer line starting with CR that is not the end */
	CHECK_EQ(dec_all(&d, "0\r\n\rX\r\n\r\n"), MML_E_END);
	/* size lines and trailer lines up to the cap pass; one byte more does not */
	char line[2 * MML_HTTP_CHUNK_LINE_MAX + 64];
	for (int trailer = 0; trailer < 2; trailer++) {
		for (size_t len = MML_HTTP_CHUNK_LINE_MAX; len <= MML_HTTP_CHUNK_LINE_MAX + 1; len++) {
			size_t k = 0;
			if (trailer) {
				k = (size_t)snprintf(line, sizeof line, "0\r\n");
				memset(line + k, 'T', len - 1);
				k += len - 1;
				line[k++] = '\r';
			} else {
				line[k++] = '1';
				line[k++] = ';';
				memset(line + k, 'e', len - 3);
				k += len - 3;
				line[k++] = '\r';
			}
			k += (size_t)snprintf(line + k, sizeof line - k, trailer ? "\n\r\n" : "\nz\r\n0\r\n\r\n");
			dec_init(&d);
			mml_err e = dec_feed(&d, line, k);
			if (e != (len <= MML_HTTP_CHUNK_LINE_MAX ? MML_E_END : MML_E_MALFORMED))
				mml_test_fail(__FILE__, __LINE__, "%s line of %zu bytes: %s", trailer ? "trailer" : "size", len,
				              mml_strerror(e));
		}
	}
}
