/*
 * test_flow.c - stage 2 (TCP flow table and reassembly) driven directly
 * with mml_pkt values. Stage 3 stream framing over it: test_mmtls_framing.c.
 */
#include <string.h>

#include "mmlens/conn.h"
#include "mmlens/flow.h"
#include "mmlens/keylog.h"
#include "flowconv.h"
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
	mml_buf data[2];
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
	mml_wbuf w = mml_wbuf_make(&x->data[dir]);
	mml_wbuf_bytes(&w, p, n);
	pg_check(&w);
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
		mml_buf_free(&r->f[i].data[0]);
		mml_buf_free(&r->f[i].data[1]);
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
