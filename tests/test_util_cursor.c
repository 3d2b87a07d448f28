/*
 * test_util_cursor.c - the read cursor mml_cur and its writer twin mml_wbuf
 * (include/mmlens/cursor.h): every getter on exact and short views, reads
 * that end on a guard page, zero-length views, sub-cursors, declared
 * lengths that overflow, and the writer's sticky error, cap and patches.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmlens/capture.h"
#include "mmlens/cursor.h"
#include "mmlens/envelope.h"
#include "mmlens/mmtls.h"
#include "test.h"

/* ---- a buffer that ends where an unreadable page begins ---- */

typedef struct guard {
	uint8_t *map;
	size_t page;
} guard;

static int guard_init(guard *g)
{
	g->page = (size_t)sysconf(_SC_PAGESIZE);
	g->map = mmap(NULL, 2 * g->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED)
		return 0;
	return mprotect(g->map + g->page, g->page, PROT_NONE) == 0;
}

/* n bytes copied to the end of the readable page: a read past them faults. */
static const uint8_t *guard_put(guard *g, const void *p, size_t n)
{
	uint8_t *at = g->map + g->page - n;
	if (n)
		memcpy(at, p, n);
	return at;
}

static void guard_free(guard *g) { munmap(g->map, 2 * g->page); }

/* Every getter, on a view of exactly its width and on one byte less, at the guard. */
TEST(cursor_getters_stop_at_a_guard_page)
{
	guard g;
	REQUIRE(guard_init(&g));
	static const uint8_t b[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
	for (size_t n = 0; n <= 8; n++) {
		const uint8_t *p = guard_put(&g, b, n);
		mml_cur c = mml_cur_make(p, n);
		uint8_t u8, v;
		uint16_t u16;
		uint32_t u32;
		/* each getter succeeds when its width fits, else fails without moving */
		CHECK_EQ(mml_cur_u8(&c, &u8) == MML_OK, n >= 1);
		c = mml_cur_make(p, n);
		CHECK_EQ(mml_cur_be16(&c, &u16) == MML_OK, n >= 2);
		CHECK_EQ(c.off, n >= 2 ? 2 : 0);
		c = mml_cur_make(p, n);
		CHECK_EQ(mml_cur_le16(&c, &u16) == MML_OK, n >= 2);
		c = mml_cur_make(p, n);
		CHECK_EQ(mml_cur_be32(&c, &u32) == MML_OK, n >= 4);
		CHECK_EQ(c.off, n >= 4 ? 4 : 0);
		c = mml_cur_make(p, n);
		CHECK_EQ(mml_cur_le32(&c, &u32) == MML_OK, n >= 4);
		c = mml_cur_make(p, n);
		uint8_t out[9];
		const uint8_t *view;
		mml_cur sub;
		CHECK(mml_cur_copy(&c, out, n) == MML_OK && !memcmp(out, b, n) && c.off == n);
		CHECK(mml_cur_copy(&c, out, 1) == MML_E_TRUNCATED && c.off == n);
		c = mml_cur_make(p, n);
		CHECK(mml_cur_bytes(&c, n, &view) == MML_OK && view == p && mml_cur_left(&c) == 0);
		CHECK(mml_cur_bytes(&c, 1, &view) == MML_E_TRUNCATED);
		c = mml_cur_make(p, n);
		CHECK(mml_cur_sub(&c, n + 1, &sub) == MML_E_TRUNCATED && c.off == 0);
		CHECK(mml_cur_sub(&c, n, &sub) == MML_OK && sub.len == n && sub.p == p);
		c = mml_cur_make(p, n);
		CHECK(mml_cur_skip(&c, n + 1) == MML_E_TRUNCATED && c.off == 0);
		CHECK(mml_cur_skip(&c, n) == MML_OK && c.off == n);
		c = mml_cur_make(p, n);
		for (size_t i = 0; i < n; i++)
			CHECK(mml_cur_peek(&c, i, &v) == MML_OK && v == b[i]);
		CHECK(mml_cur_peek(&c, n, &v) == MML_E_TRUNCATED);
		/* u8 to the end, exactly n of them */
		c = mml_cur_make(p, n);
		size_t got = 0;
		while (mml_cur_u8(&c, &v) == MML_OK)
			CHECK_EQ(v, b[got++]);
		CHECK_EQ(got, n);
	}
	/* a varint whose last byte still says "more": truncated, never read past */
	for (size_t n = 1; n <= 10; n++) {
		uint8_t cont[10];
		memset(cont, 0x80, sizeof cont);
		mml_cur c = mml_cur_make(guard_put(&g, cont, n), n);
		uint64_t x;
		CHECK_EQ(mml_cur_varint(&c, &x), n < 10 ? MML_E_TRUNCATED : MML_E_MALFORMED);
		CHECK_EQ(c.off, 0);
	}
	/* the longest varint, ending on the guard */
	static const uint8_t max[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	mml_cur c = mml_cur_make(guard_put(&g, max, 10), 10);
	uint64_t x = 0;
	CHECK(mml_cur_varint(&c, &x) == MML_OK && x == UINT64_MAX && c.off == 10);
	guard_free(&g);
}

/* Parsers over the cursor stop at the guard too (each prefix of a valid input). */
TEST(cursor_parsers_stop_at_a_guard_page)
{
	guard g;
	REQUIRE(guard_init(&g));
	/* an MMTLS record followed by the start of another */
	static const uint8_t rec[] = {0x17, 0xf1, 0x04, 0x00, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	                              16, 0x17, 0xf1, 0x04};
	/* Ethernet, IPv4 with options, TCP */
	uint8_t fr[14 + 24 + 20 + 3] = {0};
	fr[12] = 0x08;
	fr[14] = 0x46;
	fr[16] = 0, fr[17] = 24 + 20 + 3;
	fr[14 + 9] = 6;
	fr[14 + 24 + 12] = 5 << 4;
	static const char chunked[] = "3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n";
	/* a shortlink request: prefix, a 16-byte business header, 2 payload bytes */
	static const uint8_t env[] = {0, 0, 0, 29, 0, 2, 'a', 'b', 0, 1, 'h', 0, 0, 0, 18, 0xbf, 16 << 2 | 2, 0x50,
	                              1, 2, 3, 4, 5, 6, 7, 8, 0x7b, 0x10, 0x10, 0xaa, 0xbb, 0xcc, 0xdd};
	for (size_t n = 0; n <= sizeof fr; n++) {
		if (n <= sizeof rec) {
			const uint8_t *p = guard_put(&g, rec, n);
			mml_cur c = mml_cur_make(p, n);
			mml_rec r;
			mml_err e = mml_rec_parse(&c, &r);
			CHECK(n >= 21 ? e == MML_OK : e == MML_E_INCOMPLETE);
			(void)mml_rec_plausible(p, n);
		}
		mml_pkt pkt;
		mml_stats st;
		memset(&pkt, 0, sizeof pkt);
		memset(&st, 0, sizeof st);
		mml_err e = mml_decode_frame(1, guard_put(&g, fr, n), n, &pkt, &st, NULL);
		/* whole headers give a packet (a snaplen cut payload), anything less none */
		CHECK(n >= 14 + 24 + 20 ? e == MML_OK && pkt.paylen == n - 58 : e != MML_OK);
		if (n < sizeof chunked) {
			mml_http_chunked ch;
			mml_http_chunked_init(&ch);
			mml_cur c = mml_cur_make(guard_put(&g, chunked, n), n);
			const uint8_t *d;
			size_t len;
			while ((e = mml_http_chunked_next(&ch, &c, &d, &len)) == MML_OK)
				CHECK(len && d >= c.p && d + len <= c.p + n);
			CHECK(n == sizeof chunked - 1 ? e == MML_E_END : e == MML_E_INCOMPLETE);
		}
		if (n <= sizeof env) {
			mml_envelope ev;
			e = mml_envelope_parse(guard_put(&g, env, n), n, MML_ENV_SHORT_REQ, &ev);
			CHECK(n == sizeof env ? e == MML_OK && ev.payload_len == 2 : e != MML_OK);
		}
	}
	guard_free(&g);
}

TEST(cursor_zero_length_views)
{
	static const uint8_t b[4] = {1, 2, 3, 4};
	const mml_cur views[2] = {mml_cur_make(b, 0), mml_cur_make(NULL, 5)};
	for (int k = 0; k < 2; k++) {
		mml_cur c = views[k], sub;
		uint8_t v;
		uint16_t s;
		uint32_t w;
		uint64_t x;
		const uint8_t *view = NULL;
		CHECK_EQ(c.len, 0);
		CHECK_EQ(mml_cur_left(&c), 0);
		CHECK_EQ(mml_cur_u8(&c, &v), MML_E_TRUNCATED);
		CHECK_EQ(mml_cur_be16(&c, &s), MML_E_TRUNCATED);
		CHECK_EQ(mml_cur_le16(&c, &s), MML_E_TRUNCATED);
		CHECK_EQ(mml_cur_be32(&c, &w), MML_E_TRUNCATED);
		CHECK_EQ(mml_cur_le32(&c, &w), MML_E_TRUNCATED);
		CHECK_EQ(mml_cur_varint(&c, &x), MML_E_TRUNCATED);
		CHECK_EQ(mml_cur_peek(&c, 0, &v), MML_E_TRUNCATED);
		CHECK_EQ(mml_cur_skip(&c, 1), MML_E_TRUNCATED);
		/* nothing taken from nothing is fine */
		CHECK_EQ(mml_cur_skip(&c, 0), MML_OK);
		CHECK_EQ(mml_cur_copy(&c, &v, 0), MML_OK);
		CHECK_EQ(mml_cur_bytes(&c, 0, &view), MML_OK);
		CHECK(mml_cur_sub(&c, 0, &sub) == MML_OK && sub.len == 0 && mml_cur_u8(&sub, &v) == MML_E_TRUNCATED);
		CHECK_EQ(c.off, 0);
	}
}

TEST(cursor_values_and_failed_reads_do_not_move)
{
	static const uint8_t b[] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0xac, 0x02, 0x7f};
	mml_cur c = mml_cur_make(b, sizeof b);
	uint16_t s;
	uint32_t w;
	uint8_t v;
	uint64_t x;
	CHECK(mml_cur_be16(&c, &s) == MML_OK && s == 0x1234);
	c.off = 0;
	CHECK(mml_cur_le16(&c, &s) == MML_OK && s == 0x3412);
	c.off = 0;
	CHECK(mml_cur_be32(&c, &w) == MML_OK && w == 0x12345678u);
	CHECK(mml_cur_le32(&c, &w) == MML_OK && w == 0xf0debc9au);
	CHECK(mml_cur_varint(&c, &x) == MML_OK && x == 300); /* ac 02 */
	CHECK(mml_cur_peek(&c, 0, &v) == MML_OK && v == 0x7f && c.off == 10);
	CHECK(mml_cur_u8(&c, &v) == MML_OK && v == 0x7f);
	/* at the end: each failing read leaves the cursor where it was */
	size_t at = c.off;
	CHECK(mml_cur_u8(&c, &v) && mml_cur_be16(&c, &s) && mml_cur_le32(&c, &w) && mml_cur_varint(&c, &x));
	CHECK_EQ(c.off, at);
	/* one byte short of a 32-bit read */
	c = mml_cur_make(b, 3);
	CHECK(mml_cur_be32(&c, &w) == MML_E_TRUNCATED && mml_cur_le32(&c, &w) == MML_E_TRUNCATED && c.off == 0);
}

TEST(cursor_sub_cursors_bound_their_reads)
{
	static const uint8_t b[] = {3, 'a', 'b', 'c', 2, 'd', 'e', 9};
	mml_cur c = mml_cur_make(b, sizeof b), s1, s2, s3;
	uint8_t n, v;
	CHECK(mml_cur_u8(&c, &n) == MML_OK && mml_cur_sub(&c, n, &s1) == MML_OK);
	CHECK_EQ(c.off, 4); /* the parent moved past the sub-view */
	CHECK(mml_cur_skip(&s1, 3) == MML_OK && mml_cur_u8(&s1, &v) == MML_E_TRUNCATED); /* parent bytes stay out */
	CHECK(mml_cur_u8(&c, &n) == MML_OK && mml_cur_sub(&c, n, &s2) == MML_OK);
	/* nested: a sub-view of a sub-view, and one too long for its parent */
	CHECK(mml_cur_sub(&s2, 3, &s3) == MML_E_TRUNCATED && s2.off == 0);
	CHECK(mml_cur_sub(&s2, 1, &s3) == MML_OK && mml_cur_u8(&s3, &v) == MML_OK && v == 'd');
	CHECK(mml_cur_u8(&s3, &v) == MML_E_TRUNCATED);
	CHECK(mml_cur_u8(&s2, &v) == MML_OK && v == 'e');
	CHECK(mml_cur_u8(&c, &v) == MML_OK && v == 9);
	/* a declared length that runs past the end fails without moving */
	c = mml_cur_make(b, sizeof b);
	CHECK(mml_cur_skip(&c, 5) == MML_OK && mml_cur_sub(&c, 4, &s1) == MML_E_TRUNCATED && c.off == 5);
}

TEST(cursor_declared_lengths_that_overflow)
{
	static const uint8_t b[16] = {0};
	const size_t huge[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 15, SIZE_MAX / 2 + 1, 17};
	for (size_t k = 0; k < sizeof huge / sizeof *huge; k++) {
		for (size_t off = 0; off <= 16; off += 8) {
			mml_cur c = mml_cur_make(b, sizeof b), sub;
			c.off = off;
			const uint8_t *view;
			uint8_t v, out[1];
			CHECK_EQ(mml_cur_skip(&c, huge[k]), MML_E_TRUNCATED);
			CHECK_EQ(mml_cur_bytes(&c, huge[k], &view), MML_E_TRUNCATED);
			CHECK_EQ(mml_cur_sub(&c, huge[k], &sub), MML_E_TRUNCATED);
			CHECK_EQ(mml_cur_copy(&c, out, huge[k]), MML_E_TRUNCATED);
			CHECK_EQ(mml_cur_peek(&c, huge[k], &v), MML_E_TRUNCATED);
			CHECK_EQ(c.off, off);
			CHECK_EQ(mml_cur_left(&c), 16 - off);
		}
	}
}

/* ---- the writer ---- */

TEST(wbuf_round_trip_through_the_cursor)
{
	mml_buf b = {0}; /* zero-initialised: the default cap */
	mml_wbuf w = mml_wbuf_make(&b);
	const uint64_t vs[] = {0, 1, 127, 128, 300, 16383, 16384, (uint64_t)1 << 35, (uint64_t)1 << 63, UINT64_MAX};
	const size_t vlen[] = {1, 1, 1, 2, 2, 2, 3, 6, 10, 10};
	mml_wbuf_u8(&w, 0xab);
	mml_wbuf_be16(&w, 0x1234);
	mml_wbuf_be32(&w, 0x89abcdefu);
	mml_wbuf_be64(&w, 0x0102030405060708ull);
	mml_wbuf_le16(&w, 0x1234);
	mml_wbuf_le32(&w, 0x89abcdefu);
	mml_wbuf_le64(&w, 0x0102030405060708ull);
	for (size_t i = 0; i < sizeof vs / sizeof *vs; i++) {
		uint8_t t[10];
		CHECK_EQ(mml_varint_encode(t, vs[i]), vlen[i]);
		mml_wbuf_varint(&w, vs[i]);
	}
	mml_wbuf_bytes(&w, "xyz", 3);
	mml_wbuf_bytes(&w, NULL, 0);
	mml_wbuf_fill(&w, 0xee, 2);
	REQUIRE(mml_wbuf_err(&w) == MML_OK);
	static const uint8_t head[] = {0xab, 0x12, 0x34, 0x89, 0xab, 0xcd, 0xef, 1, 2, 3, 4, 5, 6, 7, 8,
	                               0x34, 0x12, 0xef, 0xcd, 0xab, 0x89, 8, 7, 6, 5, 4, 3, 2, 1};
	REQUIRE(b.len > sizeof head);
	CHECK(!memcmp(b.p, head, sizeof head));
	mml_cur c = mml_cur_make(b.p, b.len);
	CHECK_EQ(mml_cur_skip(&c, sizeof head), MML_OK);
	for (size_t i = 0; i < sizeof vs / sizeof *vs; i++) {
		uint64_t x;
		CHECK(mml_cur_varint(&c, &x) == MML_OK && x == vs[i]);
	}
	uint8_t tail[5];
	CHECK(mml_cur_copy(&c, tail, 5) == MML_OK && !memcmp(tail, "xyz\xee\xee", 5) && mml_cur_left(&c) == 0);
	mml_buf_free(&b);
}

TEST(wbuf_error_is_sticky_and_the_cap_holds)
{
	mml_buf b;
	mml_buf_init(&b, 10);
	mml_wbuf w = mml_wbuf_make(&b);
	mml_wbuf_be32(&w, 1);
	mml_wbuf_be32(&w, 2);
	CHECK_EQ(mml_wbuf_err(&w), MML_OK);
	mml_wbuf_be32(&w, 3); /* 12 > 10 */
	CHECK_EQ(mml_wbuf_err(&w), MML_E_LIMIT);
	CHECK_EQ(b.len, 8); /* what fitted stays, nothing of the failed write */
	mml_wbuf_u8(&w, 4); /* would fit, but the writer has failed */
	mml_wbuf_varint(&w, 5);
	mml_wbuf_bytes(&w, "a", 1);
	mml_wbuf_fill(&w, 0, 1);
	mml_wbuf_set_be16(&w, 0, 0xffff);
	CHECK(mml_wbuf_room(&w, 1) == NULL && mml_wbuf_room(&w, 0) == NULL);
	CHECK_EQ(b.len, 8);
	CHECK_EQ(mml_wbuf_err(&w), MML_E_LIMIT);
	CHECK(b.p[0] == 0 && b.p[3] == 1);
	/* a fresh writer on the same buffer starts clean */
	w = mml_wbuf_make(&b);
	mml_wbuf_be16(&w, 0x0a0b);
	CHECK(mml_wbuf_err(&w) == MML_OK && b.len == 10);
	mml_buf_free(&b);
	mml_wbuf none = mml_wbuf_make(NULL);
	mml_wbuf_u8(&none, 1);
	CHECK(mml_wbuf_err(&none) == MML_E_ARG && mml_wbuf_len(&none) == 0);
}

TEST(wbuf_patches_drops_and_room)
{
	mml_buf b = {0};
	mml_wbuf w = mml_wbuf_make(&b);
	uint8_t *end = mml_wbuf_room(&w, 0);
	CHECK(end != NULL && b.len == 0);
	mml_wbuf_be32(&w, 0); /* a length patched later */
	uint8_t *r = mml_wbuf_room(&w, 3);
	REQUIRE(r);
	memcpy(r, "abc", 3);
	mml_wbuf_set_be32(&w, 0, 3);
	mml_wbuf_set_be16(&w, 5, 0x5859); /* the last two bytes exactly */
	mml_wbuf_set(&w, 4, "A", 1);
	REQUIRE(mml_wbuf_err(&w) == MML_OK && b.len == 7);
	CHECK(!memcmp(b.p, "\0\0\0\3AXY", 7));
	mml_wbuf_drop(&w, 1, 2); /* the middle */
	CHECK(b.len == 5 && !memcmp(b.p, "\0\3AXY", 5));
	mml_wbuf_drop(&w, 4, 1); /* the end */
	mml_wbuf_drop(&w, 4, 0);
	CHECK(b.len == 4 && !memcmp(b.p, "\0\3AX", 4) && mml_wbuf_err(&w) == MML_OK);
	/* outside what was written: refused, and sticky */
	mml_wbuf_set_be16(&w, 3, 1);
	CHECK_EQ(mml_wbuf_err(&w), MML_E_ARG);
	w = mml_wbuf_make(&b);
	mml_wbuf_drop(&w, 2, 3);
	CHECK_EQ(mml_wbuf_err(&w), MML_E_ARG);
	w = mml_wbuf_make(&b);
	mml_wbuf_set(&w, SIZE_MAX, "x", 1);
	CHECK_EQ(mml_wbuf_err(&w), MML_E_ARG);
	CHECK(b.len == 4 && !memcmp(b.p, "\0\3AX", 4));
	mml_buf_free(&b);
}
