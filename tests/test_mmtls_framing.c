/*
 * test_mmtls_framing.c - stage 3 stream framing (longlink, shortlink, plain
 * HTTP) through mml_mmtls_flow_cbs with an empty key log, over the TCP
 * flow table fed segment by segment (tests/flowconv.h).
 */
#include <string.h>

#include "flowconv.h"
#include "mmlens/conn.h"
#include "mmlens/flow.h"
#include "mmlens/keylog.h"
#include "pcapgen.h"
#include "test.h"

/* ======================================================================
 * MMTLS stream framing through mml_mmtls_flow_cbs
 * ==================================================================== */

#define MAXO 64

typedef struct oitem {
	int dir;
	mml_transport tr;
	mml_status status;
	uint8_t rec_type;
	size_t len;
	int has_data;
	uint8_t data[512];
	char method[16], path[128], host[64];
	int http_status;
	uint64_t gap_bytes;
} oitem;

typedef struct mm {
	mml_keylog kl;
	mml_stats st;
	mml_mmtls_ctx *m;
	mml_flowtab *t;
	mml_flow_cbs inner; /* the mmtls flow callbacks, wrapped to count */
	oitem o[MAXO];
	int no, hellos, gaps, closes;
} mm;

static void mm_outer(void *ctx, const mml_outer *o)
{
	mm *x = ctx;
	if (x->no < MAXO) {
		oitem *it = &x->o[x->no];
		memset(it, 0, sizeof *it);
		it->dir = o->dir;
		it->tr = o->transport;
		it->status = o->status;
		it->rec_type = o->rec_type;
		it->len = o->len;
		it->has_data = o->data != NULL;
		if (o->data)
			memcpy(it->data, o->data, o->len < sizeof it->data ? o->len : sizeof it->data);
		if (o->http_method)
			snprintf(it->method, sizeof it->method, "%s", o->http_method);
		if (o->http_path)
			snprintf(it->path, sizeof it->path, "%s", o->http_path);
		if (o->http_host)
			snprintf(it->host, sizeof it->host, "%s", o->http_host);
		it->http_status = o->http_status;
		it->gap_bytes = o->gap_bytes;
	}
	x->no++;
}

static void mm_hello(void *ctx, const mml_flow *f, int dir, mml_transport tr, uint64_t ts, uint64_t pkt,
                     const mml_hello *h, mml_err e)
{
	mm *x = ctx;
	(void)f, (void)dir, (void)tr, (void)ts, (void)pkt, (void)h, (void)e;
	x->hellos++;
}

static void w_open(void *ctx, mml_flow *f) { mm *x = ctx; x->inner.on_open(x->inner.ctx, f); }
static void w_data(void *ctx, mml_flow *f, int dir, const uint8_t *p, size_t n, uint64_t ts, uint64_t pkt)
{
	mm *x = ctx;
	x->inner.on_data(x->inner.ctx, f, dir, p, n, ts, pkt);
}
static void w_gap(void *ctx, mml_flow *f, int dir, uint64_t n, uint64_t pkt)
{
	mm *x = ctx;
	x->gaps++;
	x->inner.on_gap(x->inner.ctx, f, dir, n, pkt);
}
static void w_close(void *ctx, mml_flow *f)
{
	mm *x = ctx;
	x->closes++;
	x->inner.on_close(x->inner.ctx, f);
}

static int mm_init(mm *x)
{
	memset(x, 0, sizeof *x);
	mml_keylog_init(&x->kl);
	mml_conn_cbs cc = {.ctx = x, .on_outer = mm_outer, .on_hello = mm_hello};
	x->m = mml_mmtls_new(&x->kl, &cc, &x->st);
	if (!x->m)
		return 0;
	mml_mmtls_flow_cbs(x->m, &x->inner);
	mml_flow_cbs w = {.ctx = x, .on_open = w_open, .on_data = w_data, .on_gap = w_gap, .on_close = w_close};
	mml_flowtab_cfg cfg;
	memset(&cfg, 0, sizeof cfg); /* defaults */
	x->t = mml_flowtab_new(&cfg, &w, &x->st);
	return x->t != NULL;
}

static void mm_free(mm *x)
{
	mml_flowtab_free(x->t); /* flushes: on_close for live flows */
	mml_mmtls_free(x->m);
	mml_keylog_free(&x->kl);
}

static int invariant(const mml_stats *s)
{
	return s->records == s->records_decrypted + s->records_plaintext + s->records_no_key + s->records_auth_failed +
	                         s->records_truncated;
}

/* Append an MMTLS record: type f1 04 len16 body. Data bodies are random
 * bytes without 0xf1, so that no false record header hides inside them
 * (resynchronisation is then deterministic). */
static void mk_rec(mml_buf *s, uint8_t type, size_t len, uint32_t seed)
{
	mml_wbuf w = mml_wbuf_make(s);
	mml_wbuf_u8(&w, type);
	mml_wbuf_be16(&w, 0xf104);
	mml_wbuf_be16(&w, (uint16_t)len);
	uint8_t body[4096];
	fill(body, len, seed);
	for (size_t i = 0; i < len; i++)
		if (body[i] == 0xf1)
			body[i] = 0xf0;
	mml_wbuf_bytes(&w, body, len);
	pg_check(&w);
}

/* A handshake record whose body is not a hello (its 4-byte length runs
 * past the body), so it is handled as an encrypted record. */
static void mk_fake_hello(mml_buf *s, size_t len, uint32_t seed)
{
	size_t at = s->len + 5;
	mk_rec(s, MML_REC_HANDSHAKE, len, seed);
	s->p[at] = s->p[at + 1] = s->p[at + 2] = s->p[at + 3] = 0xff;
}

/* Send a byte stream from side `s` in segments of `seg` bytes (0: one). */
static void send_stream(conv *c, int s, const uint8_t *p, size_t n, size_t seg)
{
	if (!seg)
		seg = n;
	for (size_t off = 0; off < n; off += seg)
		send(c, s, MML_TCP_PSH, p + off, off + seg <= n ? seg : n - off);
}

static int count_outers(const mm *x, int dir, mml_transport tr, mml_status status)
{
	int k = 0;
	for (int i = 0; i < x->no && i < MAXO; i++)
		if (x->o[i].dir == dir && x->o[i].tr == tr && x->o[i].status == status)
			k++;
	return k;
}

/* Longlink: a fake hello then `nd` data records per direction. */
static void longlink_streams(mml_buf *cs, mml_buf *ss)
{
	mk_fake_hello(cs, 120, 100);
	for (int i = 0; i < 5; i++)
		mk_rec(cs, MML_REC_DATA, 16 + (size_t)(37 * i) % 200, 101 + (uint32_t)i);
	mk_fake_hello(ss, 90, 200);
	for (int i = 0; i < 3; i++)
		mk_rec(ss, MML_REC_DATA, 20 + (size_t)(53 * i) % 300, 201 + (uint32_t)i);
}

static void run_longlink(size_t seg, mml_stats *out, mm *x)
{
	mml_buf cs = {0}, ss = {0};
	longlink_streams(&cs, &ss);
	conv c;
	conv_init(&c, x->t, "10.0.0.1", 40000, "10.0.0.2", 443, 100, 200);
	handshake(&c);
	send_stream(&c, 0, cs.p, cs.len, seg);
	send_stream(&c, 1, ss.p, ss.len, seg);
	fin_both(&c);
	*out = x->st;
	mml_buf_free(&cs);
	mml_buf_free(&ss);
}

TEST(mmtls_longlink_bytewise_equals_one_segment)
{
	mml_stats st1, stw;
	mm a, b;
	REQUIRE(mm_init(&a));
	REQUIRE(mm_init(&b));
	run_longlink(1, &st1, &a);
	run_longlink(0, &stw, &b);
	for (int k = 0; k < 2; k++) {
		mm *x = k ? &b : &a;
		mml_stats *s = k ? &stw : &st1;
		CHECK_EQ(x->closes, 1);
		CHECK_EQ(s->records, 10);
		CHECK_EQ(s->records_no_key, 10);
		CHECK_EQ(s->records_truncated, 0);
		CHECK_EQ(s->records_plaintext, 0);
		CHECK_EQ(s->handshakes, 0);
		CHECK_EQ(s->streams_longlink, 1);
		CHECK_EQ(s->resyncs, 0);
		CHECK(invariant(s));
		CHECK_EQ(x->hellos, 0);
		/* each data record once, no key */
		CHECK_EQ(x->no, 8);
		CHECK_EQ(count_outers(x, 0, MML_TR_LONGLINK, MML_ST_NO_KEY), 5);
		CHECK_EQ(count_outers(x, 1, MML_TR_LONGLINK, MML_ST_NO_KEY), 3);
		for (int i = 0; i < x->no && i < MAXO; i++) {
			CHECK_EQ(x->o[i].rec_type, MML_REC_DATA);
			CHECK(!x->o[i].has_data);
		}
	}
	CHECK_EQ(st1.records, stw.records);
	CHECK_EQ(a.no, b.no);
	mm_free(&a);
	mm_free(&b);
	CHECK(invariant(&a.st));
}

/*
 * Client stream: fake hello + 8 data records; the 12 bytes at offset
 * [+10, +22) of the body of data record 4 are lost. `after_seg` is the
 * segment size for the bytes after the hole (0: one segment); `ack` makes
 * the server ack past the hole (else the hole is found at flush).
 */
static void run_longlink_gap(mm *x, size_t after_seg, int ack)
{
	mml_buf cs = {0};
	size_t starts[9];
	mk_fake_hello(&cs, 64, 300);
	for (int i = 0; i < 8; i++) {
		starts[i] = cs.len;
		mk_rec(&cs, MML_REC_DATA, 40 + (size_t)(29 * i) % 90, 301 + (uint32_t)i);
	}
	starts[8] = cs.len;
	size_t lo = starts[4] + 5 + 10, hi = lo + 12;
	conv c;
	conv_init(&c, x->t, "10.0.0.1", 40000, "10.0.0.2", 443, 100, 200);
	handshake(&c);
	uint32_t base = c.seq[0];
	send_stream(&c, 0, cs.p, lo, 0);
	c.seq[0] = base + (uint32_t)hi;
	send_stream(&c, 0, cs.p + hi, cs.len - hi, after_seg);
	if (ack)
		send(&c, 1, MML_TCP_ACK, NULL, 0);
	fin_both(&c);
	mml_flowtab_flush(x->t);
	mml_buf_free(&cs);
}

static void check_gap_result(mm *x, const char *label)
{
	mml_stats *s = &x->st;
	int ok = s->records == 9 && s->records_truncated == 1 && s->records_no_key == 8 && invariant(s) &&
	         x->gaps == 1 && x->no == 8 && count_outers(x, 0, MML_TR_LONGLINK, MML_ST_NO_KEY) == 7 &&
	         count_outers(x, 0, MML_TR_LONGLINK, MML_ST_TRUNCATED) == 1 && x->o[4].status == MML_ST_TRUNCATED;
	if (!ok)
		mml_test_fail(__FILE__, __LINE__,
		              "%s: records %llu (want 9), truncated %llu (want 1), no_key %llu (want 8), gaps %d, "
		              "outers %d (want 8), resync_skipped %llu",
		              label, (unsigned long long)s->records, (unsigned long long)s->records_truncated,
		              (unsigned long long)s->records_no_key, x->gaps, x->no,
		              (unsigned long long)s->resync_skipped_bytes);
}

TEST(mmtls_longlink_gap_mid_record_resyncs)
{
	mm x;
	REQUIRE(mm_init(&x));
	run_longlink_gap(&x, 0, 1);
	check_gap_result(&x, "ack past the hole");
	mm_free(&x);
	REQUIRE(mm_init(&x));
	run_longlink_gap(&x, 0, 0);
	check_gap_result(&x, "hole found at flush");
	mm_free(&x);
}

/*
 * Regression (src/mmtls/conn.c eat_records, fixed in 4812a06): after a
 * gap, the resync scan skipped the last bytes of a segment when fewer
 * than 5 were left to judge, dropping a record header split across
 * segments. Same capture as above, the bytes after the hole in small
 * segments.
 */
TEST(mmtls_bug_resync_loses_header_split_across_segments)
{
	const size_t segs[] = {1, 3, 7, 13};
	for (size_t i = 0; i < sizeof segs / sizeof *segs; i++) {
		mm x;
		REQUIRE(mm_init(&x));
		run_longlink_gap(&x, segs[i], 1);
		char label[64];
		snprintf(label, sizeof label, "%zu-byte segments after the hole", segs[i]);
		check_gap_result(&x, label);
		mm_free(&x);
	}
}

/* ---- shortlink ---- */

/* Request and response bodies: fake hello + data records. */
static void shortlink_bodies(mml_buf *rq, mml_buf *rs)
{
	mk_fake_hello(rq, 100, 400);
	mk_rec(rq, MML_REC_DATA, 48, 401);
	mk_rec(rq, MML_REC_DATA, 130, 402);
	mk_fake_hello(rs, 80, 500);
	mk_rec(rs, MML_REC_DATA, 33, 501);
	mk_rec(rs, MML_REC_DATA, 250, 502);
	mk_rec(rs, MML_REC_DATA, 17, 503);
}

/*
 * How a shortlink message is cut into TCP segments: every `seg` bytes
 * (0: one segment), or, when cut[0] is nonzero, at the (increasing)
 * offsets cut[0], cut[1], ... (zero ends the list).
 */
typedef struct segplan {
	size_t seg;
	size_t cut[3];
} segplan;

static void send_plan(conv *c, int s, const mml_buf *msg, segplan pl)
{
	if (!pl.cut[0]) {
		send_stream(c, s, msg->p, msg->len, pl.seg);
		return;
	}
	size_t off = 0;
	for (int i = 0; i < 3 && pl.cut[i] && pl.cut[i] < msg->len; i++) {
		send(c, s, MML_TCP_PSH, msg->p + off, pl.cut[i] - off);
		off = pl.cut[i];
	}
	send(c, s, MML_TCP_PSH, msg->p + off, msg->len - off);
}

/* Build the request (Content-Length) and the response (Content-Length or
 * chunked, chunks cutting through record headers and bodies). */
static void shortlink_msgs(mml_buf *req, mml_buf *resp, int chunked)
{
	mml_buf rq = {0}, rs = {0};
	shortlink_bodies(&rq, &rs);
	char head[256];
	int hn = snprintf(head, sizeof head,
	                  "POST /mmtls/0a0b0c0d HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n", rq.len);
	mml_wbuf wq = mml_wbuf_make(req), ws = mml_wbuf_make(resp);
	mml_wbuf_bytes(&wq, head, (size_t)hn);
	mml_wbuf_bytes(&wq, rq.p, rq.len);
	if (!chunked) {
		hn = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", rs.len);
		mml_wbuf_bytes(&ws, head, (size_t)hn);
		mml_wbuf_bytes(&ws, rs.p, rs.len);
	} else {
		hn = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		mml_wbuf_bytes(&ws, head, (size_t)hn);
		const size_t sizes[] = {3, 7, 60, 1, 100, 2};
		size_t off = 0;
		for (int i = 0; off < rs.len; i = (i + 1) % 6) {
			size_t n = sizes[i] < rs.len - off ? sizes[i] : rs.len - off;
			hn = snprintf(head, sizeof head, "%zx\r\n", n);
			mml_wbuf_bytes(&ws, head, (size_t)hn);
			mml_wbuf_bytes(&ws, rs.p + off, n);
			mml_wbuf_bytes(&ws, "\r\n", 2);
			off += n;
		}
		mml_wbuf_bytes(&ws, "0\r\n\r\n", 5);
	}
	pg_check(&wq);
	pg_check(&ws);
	mml_buf_free(&rq), mml_buf_free(&rs);
}

/* Length of the HTTP head (through the blank line); 0 if none. */
static size_t head_end(const mml_buf *m)
{
	for (size_t i = 0; i + 4 <= m->len; i++)
		if (!memcmp(m->p + i, "\r\n\r\n", 4))
			return i + 4;
	return 0;
}

static void run_shortlink_plan(mm *x, int chunked, segplan rq, segplan rs)
{
	mml_buf req = {0}, resp = {0};
	shortlink_msgs(&req, &resp, chunked);
	conv c;
	conv_init(&c, x->t, "10.0.0.1", 40000, "10.0.0.2", 80, 100, 200);
	handshake(&c);
	send_plan(&c, 0, &req, rq);
	send_plan(&c, 1, &resp, rs);
	fin_both(&c);
	mml_buf_free(&req), mml_buf_free(&resp);
}

static void run_shortlink(mm *x, int chunked, size_t seg)
{
	segplan p = {seg, {0, 0, 0}};
	run_shortlink_plan(x, chunked, p, p);
}

static void check_shortlink(mm *x, const char *label)
{
	mml_stats *s = &x->st;
	int ok = x->closes == 1 && s->records == 7 && s->records_no_key == 7 && invariant(s) && x->no == 5 &&
	         count_outers(x, 0, MML_TR_SHORTLINK, MML_ST_NO_KEY) == 2 &&
	         count_outers(x, 1, MML_TR_SHORTLINK, MML_ST_NO_KEY) == 3 && s->streams_shortlink == 1 &&
	         s->streams_longlink == 0 && s->http_malformed == 0;
	if (!ok) {
		mml_test_fail(__FILE__, __LINE__, "%s: records %llu no_key %llu truncated %llu outers %d malformed %llu",
		              label, (unsigned long long)s->records, (unsigned long long)s->records_no_key,
		              (unsigned long long)s->records_truncated, x->no, (unsigned long long)s->http_malformed);
		return;
	}
	for (int i = 0; i < x->no; i++) {
		if (strcmp(x->o[i].method, "POST") || strcmp(x->o[i].path, "/mmtls/0a0b0c0d") ||
		    strcmp(x->o[i].host, "x") || (x->o[i].dir == 1 && x->o[i].http_status != 200))
			mml_test_fail(__FILE__, __LINE__, "%s: outer %d has HTTP head %s %s host %s status %d", label, i,
			              x->o[i].method, x->o[i].path, x->o[i].host, x->o[i].http_status);
	}
}

TEST(mmtls_shortlink_content_length_and_chunked)
{
	/* whole messages, and byte-by-byte Content-Length framing */
	const struct {
		int chunked;
		size_t seg;
	} cases[] = {{0, 0}, {0, 1}, {1, 0}};
	for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
		mm x;
		REQUIRE(mm_init(&x));
		run_shortlink(&x, cases[k].chunked, cases[k].seg);
		char label[64];
		snprintf(label, sizeof label, "%s, %zu-byte segments", cases[k].chunked ? "chunked" : "content-length",
		         cases[k].seg);
		check_shortlink(&x, label);
		mm_free(&x);
		CHECK(invariant(&x.st));
	}
}

/*
 * Regression (src/mmtls/conn.c feed()/eat()/body_bytes(), fixed in
 * 4812a06): an HTTP head split across segments was buffered in d->buf;
 * eat() then ran over d->buf, so the first body bytes reached body_bytes()
 * as a pointer into d->buf, which appended them to d->buf itself (a
 * heap-use-after-free when the append reallocated) and parsed records from
 * the start of d->buf, i.e. from the HTTP head: records lost or counted
 * twice.
 */
TEST(mmtls_bug_http_head_split_then_body_in_same_segment)
{
	mm x;
	mml_buf req = {0}, resp = {0};
	shortlink_msgs(&req, &resp, 0);
	size_t rq_head = head_end(&req), rs_head = head_end(&resp);
	REQUIRE(rq_head && rs_head);
	mml_buf_free(&req), mml_buf_free(&resp);
	/* the segment completing the head carries only 3 body bytes */
	segplan one = {0, {0, 0, 0}};
	REQUIRE(mm_init(&x));
	run_shortlink_plan(&x, 0, (segplan){0, {20, rq_head + 3, 0}}, one);
	check_shortlink(&x, "request head cut at 20, completed with 3 body bytes");
	mm_free(&x);
	REQUIRE(mm_init(&x));
	run_shortlink_plan(&x, 0, one, (segplan){0, {10, rs_head + 3, 0}});
	check_shortlink(&x, "response head cut at 10, completed with 3 body bytes");
	mm_free(&x);
	/* 5-byte segments: most head ends fall inside a segment */
	REQUIRE(mm_init(&x));
	run_shortlink(&x, 0, 5);
	check_shortlink(&x, "content-length, 5-byte segments");
	mm_free(&x);
	/* head cut at 20, the rest of the head and the whole body in one
	 * segment: this made the buggy self-append reallocate (the ASan
	 * heap-use-after-free) */
	REQUIRE(mm_init(&x));
	run_shortlink_plan(&x, 0, (segplan){0, {20, 0, 0}}, one);
	check_shortlink(&x, "request head cut at 20, rest in one segment");
	mm_free(&x);
}

/*
 * Regression (src/mmtls/conn.c feed(), fixed in 4812a06): in ST_HTTP_BODY
 * the unparsed tail of a chunk-size line was appended to d->buf but the
 * next segment was parsed on its own, so a chunk-size line split across
 * TCP segments was misread: http_malformed, the stream abandoned as
 * ST_OTHER, the remaining records never counted. (d->buf was also the
 * record-tail buffer of body_bytes(), so the two uses mixed.)
 */
TEST(mmtls_bug_chunk_size_line_split_across_segments)
{
	const size_t segs[] = {1, 5};
	for (int k = 0; k < 2; k++) {
		mm x;
		REQUIRE(mm_init(&x));
		run_shortlink(&x, 1, segs[k]);
		char label[64];
		snprintf(label, sizeof label, "chunked, %zu-byte segments", segs[k]);
		check_shortlink(&x, label);
		mm_free(&x);
		CHECK(invariant(&x.st));
	}
	/* one cut only, between "3" and "\r\n" of the first chunk-size line */
	mm x;
	REQUIRE(mm_init(&x));
	size_t head_len = strlen("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	run_shortlink_plan(&x, 1, (segplan){0, {0, 0, 0}}, (segplan){0, {head_len + 1, 0, 0}});
	check_shortlink(&x, "chunked, cut inside the first chunk-size line");
	mm_free(&x);
}

/* ---- plain HTTP ---- */

static const char DNS_BODY[] =
	"<dns><domainlist><domain name=\"short.weixin.qq.com\"><ip>203.205.1.1</ip></domain></domainlist></dns>";

static void run_http(mm *x, size_t seg)
{
	const char *req = "GET /cgi-bin/micromsg-bin/newgetdns?uin=1&x=y HTTP/1.0\r\nHost: dns.weixin.qq.com\r\n"
	                  "Accept: */*\r\n\r\n";
	mml_buf resp = {0};
	const char *rh = "HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n";
	mml_wbuf w = mml_wbuf_make(&resp);
	mml_wbuf_bytes(&w, rh, strlen(rh));
	mml_wbuf_bytes(&w, DNS_BODY, strlen(DNS_BODY));
	pg_check(&w);
	conv c;
	conv_init(&c, x->t, "10.0.0.1", 40000, "10.0.0.2", 80, 100, 200);
	handshake(&c);
	send_stream(&c, 0, (const uint8_t *)req, strlen(req), seg);
	send_stream(&c, 1, resp.p, resp.len, seg);
	send(&c, 1, MML_TCP_FIN, NULL, 0); /* the body ends with the connection */
	send(&c, 0, MML_TCP_FIN, NULL, 0);
	mml_buf_free(&resp);
}

TEST(mmtls_plain_http_body_until_close)
{
	const size_t segs[] = {0, 1, 9};
	for (int k = 0; k < 3; k++) {
		mm x;
		REQUIRE(mm_init(&x));
		run_http(&x, segs[k]);
		CHECK_EQ(x.closes, 1);
		CHECK_EQ(x.no, 2);
		CHECK_EQ(x.st.records, 0);
		CHECK_EQ(x.st.streams_http, 1);
		CHECK(invariant(&x.st));
		if (x.no == 2) {
			oitem *q = &x.o[0], *r = &x.o[1];
			CHECK_EQ(q->dir, 0);
			CHECK_EQ(q->tr, MML_TR_HTTP);
			CHECK_EQ(q->status, MML_ST_PLAINTEXT);
			CHECK_EQ(q->len, 0);
			CHECK_STR(q->method, "GET");
			CHECK_STR(q->path, "/cgi-bin/micromsg-bin/newgetdns?uin=1&x=y");
			CHECK_STR(q->host, "dns.weixin.qq.com");
			CHECK_EQ(r->dir, 1);
			CHECK_EQ(r->tr, MML_TR_HTTP);
			CHECK_EQ(r->status, MML_ST_PLAINTEXT);
			CHECK_EQ(r->http_status, 200);
			CHECK_EQ(r->len, strlen(DNS_BODY));
			CHECK(r->has_data && r->len == strlen(DNS_BODY) && !memcmp(r->data, DNS_BODY, r->len));
			CHECK_EQ(r->gap_bytes, 0);
		}
		mm_free(&x);
		CHECK_EQ(x.no, 2);
	}
}

/*
 * Regression (src/mmtls/conn.c key_remember, fixed with mml_keys_front):
 * a direction's second key that opened a record was moved to the front
 * from pointers into the list itself, after the list had shifted over
 * them: the front got the first key back and the second key was lost.
 */
TEST(mmtls_keys_front_moves_an_entry_of_the_list)
{
	typedef struct kent {
		uint8_t key[16];
		uint32_t line;
	} kent;
	kent a[3];
	int n = 0;
	for (uint32_t i = 0; i < 4; i++) { /* 4 keys into 3 places: the oldest goes */
		kent k = {.line = i + 1};
		memset(k.key, (int)(0x10 + i), 16);
		mml_keys_front(a, sizeof a[0], &n, 3, &k);
	}
	CHECK(n == 3 && a[0].line == 4 && a[1].line == 3 && a[2].line == 2);
	kent again = a[2]; /* a key already there: to the front, the others back */
	mml_keys_front(a, sizeof a[0], &n, 3, &again);
	CHECK(n == 3 && a[0].line == 2 && a[0].key[0] == 0x11 && a[1].line == 4 && a[2].line == 3 &&
	      a[2].key[15] == 0x12);
}
