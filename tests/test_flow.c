/*
 * test_flow.c - stage 2 (TCP flow table and reassembly) driven directly
 * with mml_pkt values, then stage 3 stream framing (longlink, shortlink,
 * plain HTTP) through mml_mmtls_flow_cbs with an empty key log.
 */
#include <string.h>

#include "mmlens/conn.h"
#include "mmlens/flow.h"
#include "mmlens/keylog.h"
#include "pcapgen.h"
#include "test.h"

/* ======================================================================
 * Recording flow callbacks
 * ==================================================================== */

#define MAXF 64
#define MAXGAPS 16

typedef struct rgap {
	int dir;
	uint64_t nbytes;
	size_t at; /* delivered bytes in that direction before the gap */
} rgap;

typedef struct rflow {
	uint64_t id;
	mml_addr client, server;
	pg_buf data[2];
	rgap gaps[MAXGAPS];
	int ngaps;
	int opened, closed;
} rflow;

typedef struct rec {
	rflow f[MAXF];
	int nf;
	rflow spill; /* shared by flows past MAXF: counted, data not kept */
	int spilled;
	int opens, closes;
	int bad; /* callbacks for unknown flows, double closes, data after close */
} rec;

static void r_open(void *ctx, mml_flow *f)
{
	rec *r = ctx;
	r->opens++;
	if (r->nf >= MAXF) {
		r->spilled++;
		f->user = &r->spill;
		return;
	}
	rflow *x = &r->f[r->nf++];
	memset(x, 0, sizeof *x);
	x->id = f->id;
	x->client = f->client;
	x->server = f->server;
	x->opened = 1;
	f->user = x;
}

static void r_data(void *ctx, mml_flow *f, int dir, const uint8_t *p, size_t n, uint64_t ts, uint64_t pkt)
{
	rec *r = ctx;
	rflow *x = f->user;
	(void)ts, (void)pkt;
	if (!x || (dir != 0 && dir != 1)) {
		r->bad++;
		return;
	}
	if (x == &r->spill)
		return;
	if (x->closed)
		r->bad++; /* data after on_close */
	pg_put(&x->data[dir], p, n);
}

static void r_gap(void *ctx, mml_flow *f, int dir, uint64_t nbytes, uint64_t pkt)
{
	rec *r = ctx;
	rflow *x = f->user;
	(void)pkt;
	if (!x) {
		r->bad++;
		return;
	}
	if (x == &r->spill)
		return;
	if (x->ngaps < MAXGAPS)
		x->gaps[x->ngaps] = (rgap){dir, nbytes, x->data[dir].len};
	x->ngaps++;
}

static void r_close(void *ctx, mml_flow *f)
{
	rec *r = ctx;
	rflow *x = f->user;
	if (!x) {
		r->bad++;
		return;
	}
	r->closes++;
	if (x == &r->spill)
		return;
	if (x->closed)
		r->bad++;
	x->closed++;
}

/* Free the recorded bytes; fails the test on any bad callback seen. */
static void rec_free(rec *r)
{
	if (r->bad)
		mml_test_fail(__FILE__, __LINE__, "%d bad flow callbacks (unknown flow, double close, data after close)",
		              r->bad);
	for (int i = 0; i < r->nf; i++) {
		pg_buf_free(&r->f[i].data[0]);
		pg_buf_free(&r->f[i].data[1]);
	}
}

static mml_flowtab *rec_tab(rec *r, mml_stats *st, size_t max_flows, size_t ooo_cap, uint64_t idle_us)
{
	memset(r, 0, sizeof *r);
	memset(st, 0, sizeof *st);
	mml_flowtab_cfg cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.max_flows = max_flows;
	cfg.ooo_cap = ooo_cap;
	cfg.idle_us = idle_us;
	mml_flow_cbs cbs = {.ctx = r, .on_open = r_open, .on_data = r_data, .on_gap = r_gap, .on_close = r_close};
	return mml_flowtab_new(&cfg, &cbs, st);
}

/* ======================================================================
 * A conversation: two endpoints, per-direction sequence numbers
 * ==================================================================== */

typedef struct conv {
	mml_flowtab *t;
	mml_addr ep[2];   /* ep[0] sends direction 0 */
	uint32_t seq[2];  /* next sequence number each side sends */
	uint64_t ts;
	uint64_t idx;
} conv;

static mml_addr addr4(const char *ip, uint16_t port)
{
	mml_addr a;
	memset(&a, 0, sizeof a);
	a.ver = 4;
	pg_addr4(ip, a.ip);
	a.port = port;
	return a;
}

static int addr_is(const mml_addr *a, const char *ip, uint16_t port)
{
	mml_addr b = addr4(ip, port);
	return a->ver == 4 && !memcmp(a->ip, b.ip, 16) && a->port == port;
}

static void conv_init(conv *c, mml_flowtab *t, const char *ip0, uint16_t p0, const char *ip1, uint16_t p1,
                      uint32_t isn0, uint32_t isn1)
{
	memset(c, 0, sizeof *c);
	c->t = t;
	c->ep[0] = addr4(ip0, p0);
	c->ep[1] = addr4(ip1, p1);
	c->seq[0] = isn0;
	c->seq[1] = isn1;
	c->ts = 1700000000ull * 1000000ull;
}

/* Send from side `s` with explicit seq/ack, not moving the counters. */
static void send_at(conv *c, int s, uint8_t flags, uint32_t seq, uint32_t ack, const void *p, size_t n)
{
	mml_pkt k;
	memset(&k, 0, sizeof k);
	k.index = ++c->idx;
	c->ts += 1000;
	k.ts_us = c->ts;
	k.src = c->ep[s];
	k.dst = c->ep[!s];
	k.proto = 6;
	k.tcp_flags = flags;
	k.seq = seq;
	k.ack = ack;
	k.payload = p;
	k.paylen = n;
	mml_flowtab_packet(c->t, &k);
}

/* Send from side `s` at its next sequence number, acking everything the
 * other side sent (ACK set unless this is a bare SYN); moves the counter. */
static void send(conv *c, int s, uint8_t flags, const void *p, size_t n)
{
	if (flags != MML_TCP_SYN)
		flags |= MML_TCP_ACK;
	send_at(c, s, flags, c->seq[s], (flags & MML_TCP_ACK) ? c->seq[!s] : 0, p, n);
	c->seq[s] += (uint32_t)n + ((flags & MML_TCP_SYN) ? 1 : 0) + ((flags & MML_TCP_FIN) ? 1 : 0);
}

static void handshake(conv *c)
{
	send(c, 0, MML_TCP_SYN, NULL, 0);
	send(c, 1, MML_TCP_SYN | MML_TCP_ACK, NULL, 0);
	send(c, 0, MML_TCP_ACK, NULL, 0);
}

static void fin_both(conv *c)
{
	send(c, 0, MML_TCP_FIN, NULL, 0);
	send(c, 1, MML_TCP_FIN, NULL, 0);
	send(c, 0, MML_TCP_ACK, NULL, 0);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

static int buf_is(const pg_buf *b, const void *p, size_t n) { return b->len == n && (!n || !memcmp(b->p, p, n)); }

/* ======================================================================
 * TCP reassembly
 * ==================================================================== */

TEST(flow_in_order_delivery)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 0, 0);
	REQUIRE(t);
	conv c;
	conv_init(&c, t, "10.0.0.1", 40000, "10.0.0.2", 443, 1000, 5000);
	uint8_t req[300], resp[700];
	fill(req, sizeof req, 1);
	fill(resp, sizeof resp, 2);
	handshake(&c);
	send(&c, 0, MML_TCP_PSH, req, 100);
	send(&c, 0, MML_TCP_PSH, req + 100, 200);
	send(&c, 1, MML_TCP_PSH, resp, 350);
	send(&c, 1, MML_TCP_PSH, resp + 350, 350);
	fin_both(&c);
	CHECK_EQ(r.opens, 1);
	CHECK_EQ(r.closes, 1);
	CHECK_EQ(r.bad, 0);
	CHECK_EQ(mml_flowtab_live(t), 0);
	REQUIRE(r.nf == 1);
	CHECK(addr_is(&r.f[0].client, "10.0.0.1", 40000));
	CHECK(addr_is(&r.f[0].server, "10.0.0.2", 443));
	CHECK(buf_is(&r.f[0].data[0], req, sizeof req));
	CHECK(buf_is(&r.f[0].data[1], resp, sizeof resp));
	CHECK_EQ(r.f[0].ngaps, 0);
	CHECK_EQ(st.tcp_flows, 1);
	CHECK_EQ(st.tcp_bytes, sizeof req + sizeof resp);
	CHECK_EQ(st.tcp_retrans_bytes, 0);
	CHECK_EQ(st.tcp_gaps, 0);
	mml_flowtab_free(t);
	CHECK_EQ(r.closes, 1);
	rec_free(&r);
}

TEST(flow_out_of_order_reverse_reassembled)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 0, 0);
	REQUIRE(t);
	conv c;
	conv_init(&c, t, "10.0.0.1", 40000, "10.0.0.2", 443, 77, 99);
	uint8_t d[2000];
	fill(d, sizeof d, 3);
	handshake(&c);
	uint32_t base = c.seq[0];
	/* ten 200-byte segments, last first; acks stay at the server's ISN+1 */
	for (int i = 9; i >= 0; i--)
		send_at(&c, 0, MML_TCP_ACK | MML_TCP_PSH, base + 200u * (uint32_t)i, c.seq[1], d + 200 * i, 200);
	CHECK_EQ(r.f[0].data[0].len, sizeof d);
	c.seq[0] += sizeof d;
	fin_both(&c);
	REQUIRE(r.nf == 1);
	CHECK(buf_is(&r.f[0].data[0], d, sizeof d));
	CHECK_EQ(r.f[0].ngaps, 0);
	CHECK_EQ(st.tcp_ooo_segments, 9);
	CHECK_EQ(st.tcp_retrans_bytes, 0);
	CHECK_EQ(r.closes, 1);
	mml_flowtab_free(t);
	rec_free(&r);
}

TEST(flow_retransmit_and_overlap_first_copy_wins)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 0, 0);
	REQUIRE(t);
	conv c;
	conv_init(&c, t, "10.0.0.1", 40000, "10.0.0.2", 443, 0x1000, 0x2000);
	handshake(&c);
	uint32_t b = c.seq[0], ack = c.seq[1];
	uint8_t A[100], X[100], Y[100], B[100], C[200], D[100], E[100];
	memset(A, 'a', sizeof A), memset(X, 'x', sizeof X), memset(Y, 'y', sizeof Y), memset(B, 'b', sizeof B);
	memset(C, 'c', sizeof C), memset(D, 'd', sizeof D), memset(E, 'e', sizeof E);
	uint8_t f = MML_TCP_ACK | MML_TCP_PSH;
	send_at(&c, 0, f, b + 0, ack, A, 100);   /* [0,100) a: delivered */
	send_at(&c, 0, f, b + 0, ack, X, 100);   /* full retransmission: dropped (100) */
	send_at(&c, 0, f, b + 50, ack, Y, 100);  /* [50,150): 50 old, [100,150) y new */
	send_at(&c, 0, f, b + 300, ack, B, 100); /* [300,400) b queued */
	send_at(&c, 0, f, b + 250, ack, C, 200); /* [250,450): [300,400) already queued (100) */
	send_at(&c, 0, f, b + 300, ack, E, 100); /* exact duplicate of a queued one (100) */
	send_at(&c, 0, f, b + 150, ack, D, 100); /* [150,250) d fills the hole */
	uint8_t want[450];
	memset(want, 'a', 100);
	memset(want + 100, 'y', 50);
	memset(want + 150, 'd', 100);
	memset(want + 250, 'c', 50);
	memset(want + 300, 'b', 100);
	memset(want + 400, 'c', 50);
	REQUIRE(r.nf == 1);
	CHECK(buf_is(&r.f[0].data[0], want, sizeof want));
	CHECK_EQ(st.tcp_retrans_bytes, 100 + 50 + 100 + 100);
	CHECK_EQ(st.tcp_bytes, 450);
	/* a late retransmission of delivered bytes changes nothing */
	send_at(&c, 0, f, b + 200, ack, X, 100);
	CHECK(buf_is(&r.f[0].data[0], want, sizeof want));
	CHECK_EQ(st.tcp_retrans_bytes, 450);
	CHECK_EQ(r.f[0].ngaps, 0);
	mml_flowtab_free(t);
	CHECK_EQ(r.closes, 1);
	CHECK_EQ(r.f[0].ngaps, 0);
	rec_free(&r);
}

TEST(flow_syn_decides_roles_even_server_first)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 0, 0);
	REQUIRE(t);
	/* ports chosen so the port rule would say the opposite */
	conv c;
	conv_init(&c, t, "10.0.0.1", 80, "10.0.0.2", 50001, 100, 200);
	/* capture starts at the server's SYN-ACK (side 1) */
	send_at(&c, 1, MML_TCP_SYN | MML_TCP_ACK, 200, 101, NULL, 0);
	c.seq[0] = 101, c.seq[1] = 201;
	send(&c, 0, MML_TCP_PSH, "req", 3);
	send(&c, 1, MML_TCP_PSH, "response", 8);
	REQUIRE(r.nf == 1);
	CHECK(addr_is(&r.f[0].client, "10.0.0.1", 80));
	CHECK(addr_is(&r.f[0].server, "10.0.0.2", 50001));
	CHECK(buf_is(&r.f[0].data[0], "req", 3));
	CHECK(buf_is(&r.f[0].data[1], "response", 8));

	/* a bare SYN from the low port: the low port is the client */
	conv c2;
	conv_init(&c2, t, "10.0.1.1", 443, "10.0.1.2", 51000, 7, 9);
	send(&c2, 0, MML_TCP_SYN, NULL, 0);
	send(&c2, 1, MML_TCP_SYN | MML_TCP_ACK, NULL, 0);
	send(&c2, 0, MML_TCP_PSH, "hi", 2);
	REQUIRE(r.nf == 2);
	CHECK(addr_is(&r.f[1].client, "10.0.1.1", 443));
	CHECK(addr_is(&r.f[1].server, "10.0.1.2", 51000));
	CHECK(buf_is(&r.f[1].data[0], "hi", 2));
	mml_flowtab_free(t);
	CHECK_EQ(r.closes, 2);
	CHECK_EQ(r.bad, 0);
	rec_free(&r);
}

TEST(flow_well_known_port_decides_server_without_syn)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 0, 0);
	REQUIRE(t);
	const uint16_t ports[] = {80, 8080, 443};
	for (int i = 0; i < 3; i++) {
		/* first packet is the server's data: side 0 is the server here */
		conv c;
		conv_init(&c, t, "10.0.2.2", ports[i], "10.0.2.1", (uint16_t)(50000 + i), 5000, 9000);
		send(&c, 0, MML_TCP_PSH, "from-server", 11);
		send(&c, 1, MML_TCP_PSH, "from-client", 11);
		/* and a flow whose first packet is the client's */
		conv d;
		conv_init(&d, t, "10.0.3.1", (uint16_t)(1024 + i), "10.0.3.2", ports[i], 5000, 9000);
		send(&d, 0, MML_TCP_PSH, "from-client", 11);
		send(&d, 1, MML_TCP_PSH, "from-server", 11);
	}
	REQUIRE(r.nf == 6);
	for (int i = 0; i < 3; i++) {
		rflow *a = &r.f[2 * i], *b = &r.f[2 * i + 1];
		CHECK(addr_is(&a->server, "10.0.2.2", ports[i]));
		CHECK(addr_is(&a->client, "10.0.2.1", (uint16_t)(50000 + i)));
		CHECK(buf_is(&a->data[0], "from-client", 11));
		CHECK(buf_is(&a->data[1], "from-server", 11));
		CHECK(addr_is(&b->server, "10.0.3.2", ports[i]));
		CHECK(buf_is(&b->data[0], "from-client", 11));
		CHECK(buf_is(&b->data[1], "from-server", 11));
	}
	mml_flowtab_free(t);
	rec_free(&r);
}

TEST(flow_fin_both_sides_closes_once)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 0, 0);
	REQUIRE(t);
	conv c;
	conv_init(&c, t, "10.0.0.1", 40000, "10.0.0.2", 443, 1, 2);
	handshake(&c);
	send(&c, 0, MML_TCP_PSH, "abc", 3);
	send(&c, 0, MML_TCP_FIN, NULL, 0);
	CHECK_EQ(r.closes, 0); /* half closed */
	CHECK_EQ(mml_flowtab_live(t), 1);
	send(&c, 1, MML_TCP_PSH, "def", 3);
	send(&c, 1, MML_TCP_FIN, NULL, 0);
	CHECK_EQ(r.closes, 1);
	CHECK_EQ(mml_flowtab_live(t), 0);
	/* the last ACK and a retransmitted FIN do not reopen it */
	send(&c, 0, MML_TCP_ACK, NULL, 0);
	send_at(&c, 1, MML_TCP_FIN | MML_TCP_ACK, c.seq[1] - 1, c.seq[0], NULL, 0);
	CHECK_EQ(mml_flowtab_live(t), 0);
	CHECK_EQ(st.tcp_flows, 1);
	REQUIRE(r.nf == 1);
	CHECK(buf_is(&r.f[0].data[0], "abc", 3));
	CHECK(buf_is(&r.f[0].data[1], "def", 3));
	/* FIN carried on a data segment counts the same */
	conv d;
	conv_init(&d, t, "10.0.0.3", 40001, "10.0.0.2", 443, 10, 20);
	handshake(&d);
	send(&d, 0, MML_TCP_PSH | MML_TCP_FIN, "xyz", 3);
	send(&d, 1, MML_TCP_PSH | MML_TCP_FIN, "uvw", 3);
	CHECK_EQ(r.closes, 2);
	CHECK_EQ(mml_flowtab_live(t), 0);
	mml_flowtab_free(t);
	CHECK_EQ(r.closes, 2);
	CHECK_EQ(r.bad, 0);
	rec_free(&r);
}

TEST(flow_rst_closes)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 0, 0);
	REQUIRE(t);
	conv c;
	conv_init(&c, t, "10.0.0.1", 40000, "10.0.0.2", 443, 1, 2);
	handshake(&c);
	send(&c, 0, MML_TCP_PSH, "abc", 3);
	send(&c, 1, MML_TCP_RST, NULL, 0);
	CHECK_EQ(r.closes, 1);
	CHECK_EQ(mml_flowtab_live(t), 0);
	send(&c, 0, MML_TCP_RST, NULL, 0); /* a stray RST after close */
	CHECK_EQ(st.tcp_flows, 1);
	CHECK_EQ(mml_flowtab_live(t), 0);
	mml_flowtab_free(t);
	CHECK_EQ(r.closes, 1);
	rec_free(&r);
}

TEST(flow_port_reuse_after_close_and_while_open)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 0, 0);
	REQUIRE(t);
	conv c;
	conv_init(&c, t, "10.0.0.1", 40000, "10.0.0.2", 443, 1000, 2000);
	handshake(&c);
	send(&c, 0, MML_TCP_PSH, "one", 3);
	fin_both(&c);
	CHECK_EQ(r.closes, 1);
	/* same 4-tuple, new ISN, after close */
	c.seq[0] = 777777, c.seq[1] = 888888;
	handshake(&c);
	send(&c, 0, MML_TCP_PSH, "two", 3);
	CHECK_EQ(st.tcp_flows, 2);
	CHECK_EQ(mml_flowtab_live(t), 1);
	/* a retransmitted SYN with the same ISN is not a new connection */
	send_at(&c, 0, MML_TCP_SYN, 777777, 0, NULL, 0);
	CHECK_EQ(st.tcp_flows, 2);
	CHECK_EQ(st.tcp_port_reuse, 0);
	/* new SYN with another ISN while the flow is open */
	c.seq[0] = 5555555, c.seq[1] = 6666666;
	handshake(&c);
	send(&c, 0, MML_TCP_PSH, "three", 5);
	send(&c, 1, MML_TCP_PSH, "3", 1);
	CHECK_EQ(st.tcp_port_reuse, 1);
	CHECK_EQ(st.tcp_flows, 3);
	CHECK_EQ(r.closes, 2);
	CHECK_EQ(mml_flowtab_live(t), 1);
	REQUIRE(r.nf == 3);
	CHECK(buf_is(&r.f[0].data[0], "one", 3));
	CHECK(buf_is(&r.f[1].data[0], "two", 3));
	CHECK(buf_is(&r.f[2].data[0], "three", 5));
	CHECK(buf_is(&r.f[2].data[1], "3", 1));
	CHECK(r.f[1].id != r.f[2].id);
	mml_flowtab_free(t);
	CHECK_EQ(r.closes, 3);
	CHECK_EQ(r.bad, 0);
	rec_free(&r);
}

/* Client sends A (100), loses B (50), sends C (80); returns the base seq. */
static uint32_t lossy_prefix(conv *c, uint8_t *all /* 230 bytes */)
{
	fill(all, 230, 9);
	handshake(c);
	uint32_t b = c->seq[0];
	uint32_t ack = c->seq[1];
	send_at(c, 0, MML_TCP_ACK | MML_TCP_PSH, b, ack, all, 100);
	send_at(c, 0, MML_TCP_ACK | MML_TCP_PSH, b + 150, ack, all + 150, 80);
	return b;
}

static void check_lossy(const rflow *x, const uint8_t *all)
{
	uint8_t want[180];
	memcpy(want, all, 100);
	memcpy(want + 100, all + 150, 80);
	CHECK(buf_is(&x->data[0], want, sizeof want));
	CHECK_EQ(x->ngaps, 1);
	if (x->ngaps >= 1) {
		CHECK_EQ(x->gaps[0].dir, 0);
		CHECK_EQ(x->gaps[0].nbytes, 50);
		CHECK_EQ(x->gaps[0].at, 100);
	}
}

TEST(flow_gap_reported_on_fin_then_flush)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 0, 0);
	REQUIRE(t);
	conv c;
	conv_init(&c, t, "10.0.0.1", 40000, "10.0.0.2", 443, 10, 20);
	uint8_t all[230];
	uint32_t b = lossy_prefix(&c, all);
	/* client FIN after C; the server FINs acking only A */
	send_at(&c, 0, MML_TCP_FIN | MML_TCP_ACK, b + 230, c.seq[1], NULL, 0);
	send_at(&c, 1, MML_TCP_FIN | MML_TCP_ACK, c.seq[1], b + 100, NULL, 0);
	REQUIRE(r.nf == 1);
	CHECK_EQ(r.f[0].data[0].len, 100); /* C waits behind the hole */
	mml_flowtab_flush(t);
	CHECK_EQ(r.closes, 1);
	CHECK_EQ(mml_flowtab_live(t), 0);
	check_lossy(&r.f[0], all);
	CHECK_EQ(st.tcp_gaps, 1);
	CHECK_EQ(st.tcp_gap_bytes, 50);
	mml_flowtab_free(t);
	CHECK_EQ(r.closes, 1);
	rec_free(&r);
}

/*
 * Regression (src/flow/tcp.c mml_flowtab_packet, fixed in 4812a06): only
 * the current packet's direction was checked for "all bytes to FIN
 * delivered"; when the peer's ACK filled the hole (gap_to on the other
 * direction), that direction was never marked done, so the flow stayed
 * open until a later packet of its own or the flush.
 *
 * Client: A, [B lost], C + FIN. The server's FIN acks the client's FIN,
 * which reports the hole and completes the client direction; with both
 * FINs delivered the flow should close then, without waiting for the
 * client's last ACK (which a capture may miss).
 */
TEST(flow_bug_fin_both_sides_after_ack_filled_hole_closes)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 0, 0);
	REQUIRE(t);
	conv c;
	conv_init(&c, t, "10.0.0.1", 40000, "10.0.0.2", 443, 10, 20);
	uint8_t all[230];
	uint32_t b = lossy_prefix(&c, all);
	send_at(&c, 0, MML_TCP_FIN | MML_TCP_ACK, b + 230, c.seq[1], NULL, 0);
	send_at(&c, 1, MML_TCP_FIN | MML_TCP_ACK, c.seq[1], b + 231, NULL, 0);
	REQUIRE(r.nf == 1);
	check_lossy(&r.f[0], all);
	CHECK_EQ(r.closes, 1);
	CHECK_EQ(mml_flowtab_live(t), 0);
	mml_flowtab_free(t);
	CHECK_EQ(r.closes, 1);
	rec_free(&r);
}

TEST(flow_gap_reported_on_rst)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 0, 0);
	REQUIRE(t);
	conv c;
	conv_init(&c, t, "10.0.0.1", 40000, "10.0.0.2", 443, 10, 20);
	uint8_t all[230];
	lossy_prefix(&c, all);
	send_at(&c, 1, MML_TCP_RST, c.seq[1], 0, NULL, 0);
	CHECK_EQ(r.closes, 1);
	REQUIRE(r.nf == 1);
	check_lossy(&r.f[0], all);
	mml_flowtab_free(t);
	rec_free(&r);
}

TEST(flow_gap_reported_on_peer_ack_past_hole)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 0, 0);
	REQUIRE(t);
	conv c;
	conv_init(&c, t, "10.0.0.1", 40000, "10.0.0.2", 443, 0xabcdef00u, 20);
	uint8_t all[230];
	uint32_t b = lossy_prefix(&c, all);
	/* the server acks everything: the capture lost B */
	send_at(&c, 1, MML_TCP_ACK, c.seq[1], b + 230, NULL, 0);
	REQUIRE(r.nf == 1);
	check_lossy(&r.f[0], all); /* reported now, before any flush */
	CHECK_EQ(r.closes, 0);
	/* a hole at the end of what was captured (nothing queued behind it) */
	send_at(&c, 1, MML_TCP_ACK, c.seq[1], b + 260, NULL, 0);
	CHECK_EQ(r.f[0].ngaps, 2);
	if (r.f[0].ngaps >= 2) {
		CHECK_EQ(r.f[0].gaps[1].nbytes, 30);
		CHECK_EQ(r.f[0].gaps[1].at, 180);
	}
	/* and delivery carries on after it */
	send_at(&c, 0, MML_TCP_ACK | MML_TCP_PSH, b + 260, c.seq[1], "tail", 4);
	CHECK_EQ(r.f[0].data[0].len, 184);
	CHECK(r.f[0].data[0].len == 184 && !memcmp(r.f[0].data[0].p + 180, "tail", 4));
	CHECK_EQ(st.tcp_gap_bytes, 80);
	mml_flowtab_free(t);
	CHECK_EQ(r.f[0].ngaps, 2);
	rec_free(&r);
}

TEST(flow_gap_reported_when_ooo_cap_exceeded)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 100, 0);
	REQUIRE(t);
	conv c;
	conv_init(&c, t, "10.0.0.1", 40000, "10.0.0.2", 443, 10, 20);
	uint8_t all[400];
	fill(all, sizeof all, 11);
	handshake(&c);
	uint32_t b = c.seq[0], ack = c.seq[1];
	send_at(&c, 0, MML_TCP_ACK, b, ack, all, 100);
	/* [100,150) lost; 40-byte segments after it, without any peer ACK */
	for (uint32_t off = 150; off < 400; off += 40) {
		uint32_t n = off + 40 <= 400 ? 40 : 400 - off;
		send_at(&c, 0, MML_TCP_ACK, b + off, ack, all + off, n);
	}
	REQUIRE(r.nf == 1);
	uint8_t want[350];
	memcpy(want, all, 100);
	memcpy(want + 100, all + 150, 250);
	/* the cap forced the hole to be given up: everything delivered already */
	CHECK(buf_is(&r.f[0].data[0], want, sizeof want));
	CHECK_EQ(r.f[0].ngaps, 1);
	CHECK(r.f[0].ngaps < 1 || (r.f[0].gaps[0].nbytes == 50 && r.f[0].gaps[0].at == 100));
	CHECK(st.tcp_cap_drops >= 1);
	CHECK_EQ(r.closes, 0);
	mml_flowtab_free(t);
	CHECK_EQ(r.f[0].ngaps, 1);
	rec_free(&r);
}

TEST(flow_max_flows_evicts_lru_and_stays_bounded)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 4, 4096, 0);
	REQUIRE(t);
	conv c[10];
	size_t max_live = 0;
	uint8_t big[1000];
	fill(big, sizeof big, 5);
	for (int i = 0; i < 10; i++) {
		char ip[32];
		snprintf(ip, sizeof ip, "10.1.0.%d", i + 1);
		conv_init(&c[i], t, ip, (uint16_t)(40000 + i), "10.2.0.1", 443, 1000u * (uint32_t)i, 7);
		handshake(&c[i]);
		send(&c[i], 0, MML_TCP_PSH, "req", 3);
		/* out-of-order bytes held in every flow (one 1000-byte hole) */
		send_at(&c[i], 0, MML_TCP_ACK, c[i].seq[0] + 1000, c[i].seq[1], big, sizeof big);
		if (mml_flowtab_live(t) > max_live)
			max_live = mml_flowtab_live(t);
	}
	CHECK_EQ(max_live, 4);
	CHECK_EQ(st.tcp_flows, 10);
	CHECK_EQ(st.tcp_flows_evicted, 6);
	CHECK_EQ(r.closes, 6);
	CHECK_EQ(mml_flowtab_live(t), 4);
	REQUIRE(r.nf == 10);
	/* the evicted ones were the first six; each reported its hole */
	for (int i = 0; i < 10; i++) {
		CHECK_EQ(r.f[i].closed, i < 6 ? 1 : 0);
		CHECK_EQ(r.f[i].ngaps, i < 6 ? 1 : 0);
		CHECK_EQ(r.f[i].data[0].len, i < 6 ? 1003 : 3);
	}
	/* many more flows: the table never grows past its bound */
	for (int i = 0; i < 500; i++) {
		conv d;
		conv_init(&d, t, "10.3.0.1", (uint16_t)(20000 + i), "10.2.0.1", 443, 1, 1);
		send(&d, 0, MML_TCP_PSH, "x", 1);
		send_at(&d, 0, MML_TCP_ACK, d.seq[0] + 100, d.seq[1], big, 500);
		if (mml_flowtab_live(t) > max_live)
			max_live = mml_flowtab_live(t);
	}
	CHECK_EQ(max_live, 4);
	CHECK_EQ(st.tcp_flows_evicted, 506);
	mml_flowtab_free(t);
	CHECK_EQ(r.opens, 510);
	CHECK_EQ(r.closes, 510);
	CHECK_EQ(r.bad, 0);
	rec_free(&r);
}

TEST(flow_idle_expiry_by_capture_time)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 0, 1000000 /* 1 s */);
	REQUIRE(t);
	conv a, b;
	conv_init(&a, t, "10.0.0.1", 40000, "10.0.0.2", 443, 1, 1);
	conv_init(&b, t, "10.0.0.3", 40001, "10.0.0.2", 443, 1, 1);
	uint64_t t0 = a.ts;
	send(&a, 0, MML_TCP_PSH, "a1", 2);       /* t0 + 1 ms */
	b.ts = t0 + 500000;
	send(&b, 0, MML_TCP_PSH, "b1", 2);       /* t0 + 0.5 s */
	CHECK_EQ(mml_flowtab_live(t), 2);
	b.ts = t0 + 900000;
	send(&b, 0, MML_TCP_PSH, "b2", 2);       /* a idle 0.9 s: kept */
	CHECK_EQ(mml_flowtab_live(t), 2);
	CHECK_EQ(r.closes, 0);
	b.ts = t0 + 1200000;
	send(&b, 0, MML_TCP_PSH, "b3", 2);       /* a idle 1.2 s: expired */
	CHECK_EQ(r.closes, 1);
	CHECK_EQ(mml_flowtab_live(t), 1);
	REQUIRE(r.nf == 2);
	CHECK_EQ(r.f[0].closed, 1);
	CHECK_EQ(r.f[1].closed, 0);
	b.ts = t0 + 2000000;
	send(&b, 0, MML_TCP_PSH, "b4", 2);       /* b idle 0.8 s: kept */
	CHECK_EQ(mml_flowtab_live(t), 1);
	/* a's 4-tuple speaks again: a new flow */
	a.ts = t0 + 2100000;
	send(&a, 0, MML_TCP_PSH, "a2", 2);
	CHECK_EQ(st.tcp_flows, 3);
	CHECK_EQ(mml_flowtab_live(t), 2);
	REQUIRE(r.nf == 3);
	CHECK(buf_is(&r.f[1].data[0], "b1b2b3b4", 8));
	CHECK(buf_is(&r.f[2].data[0], "a2", 2));
	mml_flowtab_free(t);
	CHECK_EQ(r.closes, 3);
	rec_free(&r);
}

TEST(flow_sequence_wraparound)
{
	rec r;
	mml_stats st;
	mml_flowtab *t = rec_tab(&r, &st, 0, 0, 0);
	REQUIRE(t);
	conv c;
	/* client data starts 0x100 - 1 below 2^32; the server's ISN is 2^32-1 */
	conv_init(&c, t, "10.0.0.1", 40000, "10.0.0.2", 443, 0xfffffeffu, 0xffffffffu);
	handshake(&c);
	CHECK_EQ(c.seq[0], 0xffffff00u);
	CHECK_EQ(c.seq[1], 0u);
	uint8_t d[600], e[300];
	fill(d, sizeof d, 21);
	fill(e, sizeof e, 22);
	uint32_t b = c.seq[0];
	/* segments [0,200) [200,400) [400,600) crossing 2^32, sent 1, 3, 2 */
	send_at(&c, 0, MML_TCP_ACK, b, c.seq[1], d, 200);
	send_at(&c, 0, MML_TCP_ACK, b + 400, c.seq[1], d + 400, 200);
	send_at(&c, 0, MML_TCP_ACK, b + 200, c.seq[1], d + 200, 200);
	send_at(&c, 0, MML_TCP_ACK, b + 100, c.seq[1], d + 100, 200); /* stale, across the wrap */
	c.seq[0] = b + 600;
	send(&c, 1, MML_TCP_PSH, e, 300);
	fin_both(&c);
	REQUIRE(r.nf == 1);
	CHECK(buf_is(&r.f[0].data[0], d, sizeof d));
	CHECK(buf_is(&r.f[0].data[1], e, sizeof e));
	CHECK_EQ(r.f[0].ngaps, 0);
	CHECK_EQ(st.tcp_retrans_bytes, 200);
	CHECK_EQ(r.closes, 1);
	CHECK_EQ(mml_flowtab_live(t), 0);
	mml_flowtab_free(t);
	rec_free(&r);
}

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
static void mk_rec(pg_buf *s, uint8_t type, size_t len, uint32_t seed)
{
	pg_u8(s, type);
	pg_u8(s, 0xf1);
	pg_u8(s, 0x04);
	pg_be16(s, (uint16_t)len);
	uint8_t body[4096];
	fill(body, len, seed);
	for (size_t i = 0; i < len; i++)
		if (body[i] == 0xf1)
			body[i] = 0xf0;
	pg_put(s, body, len);
}

/* A handshake record whose body is not a hello (its 4-byte length runs
 * past the body), so it is handled as an encrypted record. */
static void mk_fake_hello(pg_buf *s, size_t len, uint32_t seed)
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
static void longlink_streams(pg_buf *cs, pg_buf *ss)
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
	pg_buf cs = {0}, ss = {0};
	longlink_streams(&cs, &ss);
	conv c;
	conv_init(&c, x->t, "10.0.0.1", 40000, "10.0.0.2", 443, 100, 200);
	handshake(&c);
	send_stream(&c, 0, cs.p, cs.len, seg);
	send_stream(&c, 1, ss.p, ss.len, seg);
	fin_both(&c);
	*out = x->st;
	pg_buf_free(&cs);
	pg_buf_free(&ss);
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
	pg_buf cs = {0};
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
	pg_buf_free(&cs);
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
static void shortlink_bodies(pg_buf *rq, pg_buf *rs)
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

static void send_plan(conv *c, int s, const pg_buf *msg, segplan pl)
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
static void shortlink_msgs(pg_buf *req, pg_buf *resp, int chunked)
{
	pg_buf rq = {0}, rs = {0};
	shortlink_bodies(&rq, &rs);
	char head[256];
	int hn = snprintf(head, sizeof head,
	                  "POST /mmtls/0a0b0c0d HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n", rq.len);
	pg_put(req, head, (size_t)hn);
	pg_put(req, rq.p, rq.len);
	if (!chunked) {
		hn = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", rs.len);
		pg_put(resp, head, (size_t)hn);
		pg_put(resp, rs.p, rs.len);
	} else {
		hn = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		pg_put(resp, head, (size_t)hn);
		const size_t sizes[] = {3, 7, 60, 1, 100, 2};
		size_t off = 0;
		for (int i = 0; off < rs.len; i = (i + 1) % 6) {
			size_t n = sizes[i] < rs.len - off ? sizes[i] : rs.len - off;
			hn = snprintf(head, sizeof head, "%zx\r\n", n);
			pg_put(resp, head, (size_t)hn);
			pg_put(resp, rs.p + off, n);
			pg_put(resp, "\r\n", 2);
			off += n;
		}
		pg_put(resp, "0\r\n\r\n", 5);
	}
	pg_buf_free(&rq), pg_buf_free(&rs);
}

/* Length of the HTTP head (through the blank line); 0 if none. */
static size_t head_end(const pg_buf *m)
{
	for (size_t i = 0; i + 4 <= m->len; i++)
		if (!memcmp(m->p + i, "\r\n\r\n", 4))
			return i + 4;
	return 0;
}

static void run_shortlink_plan(mm *x, int chunked, segplan rq, segplan rs)
{
	pg_buf req = {0}, resp = {0};
	shortlink_msgs(&req, &resp, chunked);
	conv c;
	conv_init(&c, x->t, "10.0.0.1", 40000, "10.0.0.2", 80, 100, 200);
	handshake(&c);
	send_plan(&c, 0, &req, rq);
	send_plan(&c, 1, &resp, rs);
	fin_both(&c);
	pg_buf_free(&req), pg_buf_free(&resp);
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
	pg_buf req = {0}, resp = {0};
	shortlink_msgs(&req, &resp, 0);
	size_t rq_head = head_end(&req), rs_head = head_end(&resp);
	REQUIRE(rq_head && rs_head);
	pg_buf_free(&req), pg_buf_free(&resp);
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
	pg_buf resp = {0};
	const char *rh = "HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\nConnection: close\r\n\r\n";
	pg_put(&resp, rh, strlen(rh));
	pg_put(&resp, DNS_BODY, strlen(DNS_BODY));
	conv c;
	conv_init(&c, x->t, "10.0.0.1", 40000, "10.0.0.2", 80, 100, 200);
	handshake(&c);
	send_stream(&c, 0, (const uint8_t *)req, strlen(req), seg);
	send_stream(&c, 1, resp.p, resp.len, seg);
	send(&c, 1, MML_TCP_FIN, NULL, 0); /* the body ends with the connection */
	send(&c, 0, MML_TCP_FIN, NULL, 0);
	pg_buf_free(&resp);
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
