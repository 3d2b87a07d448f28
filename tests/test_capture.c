/*
 * test_capture.c - stage 1: capture formats told apart by magic, error
 * reporting, every link type, IPv4/IPv6 decoding, fragments, and the
 * per-packet accounting in mml_stats. Captures are built in memory with
 * tests/pcapgen.[ch] and written to the test temp dir.
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/capture.h"
#include "pcapgen.h"
#include "test.h"

#define MAXP 16

/* A delivered packet, copied out of libpcap's buffer. */
typedef struct got_pkt {
	mml_pkt p;
	uint8_t data[2048];
} got_pkt;

typedef struct got {
	got_pkt pk[MAXP];
	int n;
	mml_err open_err, end_err;
	mml_stats st;
	char errbuf[512];
	int fmt;
} got;

/* Open `path` and read it to the end. */
static void read_all(const char *path, got *g)
{
	memset(g, 0, sizeof *g);
	mml_capture cap;
	g->open_err = mml_capture_open(&cap, path, &g->st);
	snprintf(g->errbuf, sizeof g->errbuf, "%s", cap.errbuf);
	if (g->open_err != MML_OK) {
		mml_capture_close(&cap);
		return;
	}
	g->fmt = (int)cap.fmt;
	for (int guard = 0; guard < 1000; guard++) {
		mml_pkt p;
		mml_err e = mml_capture_next(&cap, &p);
		if (e != MML_OK) {
			g->end_err = e;
			snprintf(g->errbuf, sizeof g->errbuf, "%s", cap.errbuf);
			break;
		}
		if (g->n < MAXP) {
			got_pkt *gp = &g->pk[g->n];
			gp->p = p;
			size_t k = p.paylen < sizeof gp->data ? p.paylen : sizeof gp->data;
			memcpy(gp->data, p.payload, k);
			gp->p.payload = gp->data;
		}
		g->n++;
	}
	mml_capture_close(&cap);
}

static const char PAY[] = "hello, mmtls capture";

/* One TCP/IPv4 packet 10.0.0.1:40000 -> 10.0.0.2:443 carrying PAY. */
static void tcp4(mml_buf *ip, const char *src, const char *dst, uint16_t sp, uint16_t dp, uint32_t seq,
                 const void *pay, size_t n)
{
	mml_buf t = {0};
	pg_tcp(&t, sp, dp, seq, 0x11223344u, MML_TCP_ACK | MML_TCP_PSH, pay, n);
	pg_ipv4(ip, src, dst, 6, t.p, t.len);
	mml_buf_free(&t);
}

static void tcp6(mml_buf *ip, int ext, const char *src, const char *dst, uint16_t sp, uint16_t dp, uint32_t seq,
                 const void *pay, size_t n)
{
	mml_buf t = {0};
	pg_tcp(&t, sp, dp, seq, 0x11223344u, MML_TCP_ACK | MML_TCP_PSH, pay, n);
	pg_ipv6_ex(ip, src, dst, 6, ext, t.p, t.len);
	mml_buf_free(&t);
}

/* Build a one-packet capture of a TCP/IPv4 packet. */
static const char *one_packet_capture(const char *name, int fmt, int be, int nano, uint64_t ts_ns)
{
	mml_buf ip = {0}, fr = {0};
	tcp4(&ip, "10.0.0.1", "10.0.0.2", 40000, 443, 1000, PAY, strlen(PAY));
	pg_link(&fr, PG_LT_EN10MB, ip.p, ip.len);
	pg_cap c;
	pg_cap_init(&c, fmt, PG_LT_EN10MB, be, nano);
	pg_cap_add_ns(&c, ts_ns, fr.p, fr.len);
	const char *path = pg_cap_write(&c, name);
	pg_cap_free(&c);
	mml_buf_free(&ip);
	mml_buf_free(&fr);
	return path;
}

static int check_ip4(const mml_addr *a, const char *s, uint16_t port)
{
	uint8_t b[16] = {0};
	pg_addr4(s, b);
	return a->ver == 4 && !memcmp(a->ip, b, 16) && a->port == port;
}

static int check_ip6(const mml_addr *a, const char *s, uint16_t port)
{
	uint8_t b[16];
	pg_addr6(s, b);
	return a->ver == 6 && !memcmp(a->ip, b, 16) && a->port == port;
}

static int pay_is(const got_pkt *gp, const void *p, size_t n)
{
	return gp->p.paylen == n && !memcmp(gp->p.payload, p, n);
}

/* ---- format detection ---- */

TEST(capture_pcap_named_pcapng_detected_by_magic)
{
	const char *path = one_packet_capture("classic.pcapng", PG_PCAP, 0, 0, 1700000000ull * 1000000000ull);
	REQUIRE(path);
	got g;
	read_all(path, &g);
	REQUIRE(g.open_err == MML_OK);
	CHECK_EQ(g.fmt, MML_CAP_PCAP);
	CHECK_EQ(g.n, 1);
	CHECK_EQ(g.end_err, MML_E_END);
	CHECK(pay_is(&g.pk[0], PAY, strlen(PAY)));
	CHECK_EQ(g.pk[0].p.index, 1);
	CHECK_EQ(g.pk[0].p.ts_us, 1700000000ull * 1000000ull);
}

TEST(capture_pcapng_named_pcap_detected_by_magic)
{
	const char *path = one_packet_capture("ng.pcap", PG_PCAPNG, 0, 0, 1700000001ull * 1000000000ull + 5000);
	REQUIRE(path);
	got g;
	read_all(path, &g);
	REQUIRE(g.open_err == MML_OK);
	CHECK_EQ(g.fmt, MML_CAP_PCAPNG);
	CHECK_EQ(g.n, 1);
	CHECK_EQ(g.end_err, MML_E_END);
	CHECK(pay_is(&g.pk[0], PAY, strlen(PAY)));
	CHECK_EQ(g.pk[0].p.ts_us, 1700000001ull * 1000000ull + 5);
}

TEST(capture_big_endian_pcap_and_pcapng)
{
	const uint64_t ts = 1600000000ull * 1000000000ull + 123456000ull;
	const char *p1 = one_packet_capture("be.pcap", PG_PCAP, 1, 0, ts);
	const char *p2 = one_packet_capture("be.pcapng", PG_PCAPNG, 1, 0, ts);
	REQUIRE(p1 && p2);
	got g;
	read_all(p1, &g);
	REQUIRE(g.open_err == MML_OK);
	CHECK_EQ(g.fmt, MML_CAP_PCAP);
	CHECK_EQ(g.n, 1);
	CHECK(pay_is(&g.pk[0], PAY, strlen(PAY)));
	CHECK(check_ip4(&g.pk[0].p.src, "10.0.0.1", 40000));
	CHECK_EQ(g.pk[0].p.ts_us, ts / 1000);
	read_all(p2, &g);
	REQUIRE(g.open_err == MML_OK);
	CHECK_EQ(g.fmt, MML_CAP_PCAPNG);
	CHECK_EQ(g.n, 1);
	CHECK(pay_is(&g.pk[0], PAY, strlen(PAY)));
	CHECK_EQ(g.pk[0].p.ts_us, ts / 1000);
}

TEST(capture_nanosecond_timestamps_to_us)
{
	/* ...123456789 ns -> ...123456 us (truncated, not rounded up) */
	const uint64_t ts = 1700000000ull * 1000000000ull + 123456789ull;
	const char *paths[4] = {
		one_packet_capture("nano-le.pcap", PG_PCAP, 0, 1, ts),
		one_packet_capture("nano-be.pcap", PG_PCAP, 1, 1, ts),
		one_packet_capture("nano-le.pcapng", PG_PCAPNG, 0, 1, ts),
		one_packet_capture("nano-be.pcapng", PG_PCAPNG, 1, 1, ts),
	};
	for (int i = 0; i < 4; i++) {
		REQUIRE(paths[i]);
		got g;
		read_all(paths[i], &g);
		REQUIRE(g.open_err == MML_OK);
		CHECK_EQ(g.n, 1);
		CHECK_EQ(g.pk[0].p.ts_us, 1700000000ull * 1000000ull + 123456ull);
		CHECK(pay_is(&g.pk[0], PAY, strlen(PAY)));
	}
}

/* ---- open errors ---- */

TEST(capture_garbage_file_is_malformed_and_named)
{
	const char junk[] = "this is not a capture at all, just text\n";
	const char *path = pg_write_file("garbage.pcap", junk, sizeof junk - 1);
	REQUIRE(path);
	got g;
	read_all(path, &g);
	CHECK_EQ(g.open_err, MML_E_MALFORMED);
	CHECK(strstr(g.errbuf, path) != NULL);
	/* a valid magic followed by a cut global header is malformed too */
	const uint8_t cut[] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0};
	path = pg_write_file("cut-header.pcap", cut, sizeof cut);
	REQUIRE(path);
	read_all(path, &g);
	CHECK(g.open_err == MML_E_MALFORMED || g.open_err == MML_E_TRUNCATED);
	CHECK(strstr(g.errbuf, path) != NULL);
}

TEST(capture_empty_and_missing_files_are_io_errors)
{
	const char *path = pg_write_file("empty.pcap", "", 0);
	REQUIRE(path);
	got g;
	read_all(path, &g);
	CHECK_EQ(g.open_err, MML_E_IO);
	CHECK(strstr(g.errbuf, path) != NULL);
	char missing[600];
	snprintf(missing, sizeof missing, "%s/does-not-exist.pcap", mml_test_tmpdir());
	read_all(missing, &g);
	CHECK_EQ(g.open_err, MML_E_IO);
	CHECK(strstr(g.errbuf, missing) != NULL);
}

/* ---- link types ---- */

static void link_case(int linktype, int v6, int fmt)
{
	const char *s4 = "192.168.1.20", *d4 = "203.0.113.7";
	const char *s6 = "2001:db8::20", *d6 = "2001:db8:ffff::7";
	char pay[64];
	snprintf(pay, sizeof pay, "payload for linktype %d v%d", linktype, v6 ? 6 : 4);
	mml_buf ip = {0}, fr = {0};
	if (v6)
		tcp6(&ip, 0, s6, d6, 51000, 8080, 0xdeadbeefu, pay, strlen(pay));
	else
		tcp4(&ip, s4, d4, 51000, 8080, 0xdeadbeefu, pay, strlen(pay));
	pg_link(&fr, linktype, ip.p, ip.len);
	pg_cap c;
	pg_cap_init(&c, fmt, linktype, 0, 0);
	pg_cap_add(&c, 1000, fr.p, fr.len);
	char name[64];
	snprintf(name, sizeof name, "link-%d-%d-%d.cap", linktype, v6, fmt);
	const char *path = pg_cap_write(&c, name);
	pg_cap_free(&c);
	mml_buf_free(&ip);
	mml_buf_free(&fr);
	got g;
	read_all(path, &g);
	if (g.open_err != MML_OK || g.n != 1) {
		mml_test_fail(__FILE__, __LINE__, "linktype %d v%d fmt %d: open %d, %d packets (%s)", linktype,
		              v6 ? 6 : 4, fmt, g.open_err, g.n, g.errbuf);
		return;
	}
	const mml_pkt *p = &g.pk[0].p;
	int ok = p->proto == 6 && p->seq == 0xdeadbeefu && p->ack == 0x11223344u &&
	         p->tcp_flags == (MML_TCP_ACK | MML_TCP_PSH) && pay_is(&g.pk[0], pay, strlen(pay));
	if (v6)
		ok = ok && check_ip6(&p->src, s6, 51000) && check_ip6(&p->dst, d6, 8080) && g.st.pkt_ipv6 == 1;
	else
		ok = ok && check_ip4(&p->src, s4, 51000) && check_ip4(&p->dst, d4, 8080);
	ok = ok && g.st.pkt_tcp == 1 && g.st.packets == 1 && g.st.pkt_malformed == 0;
	if (!ok)
		mml_test_fail(__FILE__, __LINE__, "linktype %d v%d fmt %d decoded wrong", linktype, v6 ? 6 : 4, fmt);
}

TEST(capture_every_link_type_decodes)
{
	const int both[] = {PG_LT_EN10MB, PG_LT_SLL, PG_LT_SLL2, PG_LT_RAW, PG_LT_NULL};
	for (int fmt = 0; fmt < 2; fmt++) {
		for (size_t i = 0; i < sizeof both / sizeof *both; i++) {
			link_case(both[i], 0, fmt);
			link_case(both[i], 1, fmt);
		}
		link_case(PG_LT_IPV4, 0, fmt);
		link_case(PG_LT_IPV6, 1, fmt);
	}
}

TEST(capture_bsd_null_ipv6_families)
{
	/* BSD null's AF_INET6 differs per OS: 24 (NetBSD/OpenBSD), 28
	 * (FreeBSD), 30 (macOS); the family is in the capturing host's byte
	 * order, so the last two are as written on a big-endian host. */
	const uint32_t fams[] = {2, 24, 28, 30, __builtin_bswap32(30), __builtin_bswap32(2)};
	pg_cap c;
	pg_cap_init(&c, PG_PCAP, PG_LT_NULL, 0, 0);
	for (int i = 0; i < 6; i++) {
		mml_buf ip = {0}, fr = {0};
		if (fams[i] == 2 || fams[i] == __builtin_bswap32(2))
			tcp4(&ip, "127.0.0.1", "127.0.0.1", 40000 + i, 80, 1, PAY, strlen(PAY));
		else
			tcp6(&ip, 0, "::1", "::1", 40000 + i, 80, 1, PAY, strlen(PAY));
		pg_null(&fr, fams[i], ip.p, ip.len);
		pg_cap_add(&c, 1 + i, fr.p, fr.len);
		mml_buf_free(&ip);
		mml_buf_free(&fr);
	}
	const char *path = pg_cap_write(&c, "null-fams.pcap");
	pg_cap_free(&c);
	got g;
	read_all(path, &g);
	REQUIRE(g.open_err == MML_OK);
	REQUIRE(g.n == 6);
	CHECK(check_ip4(&g.pk[0].p.src, "127.0.0.1", 40000));
	CHECK(check_ip4(&g.pk[5].p.src, "127.0.0.1", 40005));
	for (int i = 1; i < 5; i++) {
		CHECK(check_ip6(&g.pk[i].p.src, "::1", (uint16_t)(40000 + i)));
		CHECK(pay_is(&g.pk[i], PAY, strlen(PAY)));
	}
	CHECK_EQ(g.st.pkt_ipv6, 4);
	CHECK_EQ(g.st.pkt_non_ip, 0);
}

TEST(capture_vlan_and_qinq_tags_counted)
{
	mml_buf ip = {0}, fr = {0};
	tcp4(&ip, "10.1.1.1", "10.2.2.2", 40001, 443, 7, PAY, strlen(PAY));
	const uint16_t q_tp[] = {0x8100}, q_id[] = {100};
	const uint16_t qq_tp[] = {0x88a8, 0x8100}, qq_id[] = {200, 300};

	pg_cap c;
	pg_cap_init(&c, PG_PCAP, PG_LT_EN10MB, 0, 0);
	pg_eth(&fr, 0x0800, q_tp, q_id, 1, ip.p, ip.len);
	pg_cap_add(&c, 1, fr.p, fr.len);
	const char *p1 = pg_cap_write(&c, "vlan1.pcap");
	pg_cap_free(&c);

	mml_buf_reset(&fr);
	pg_cap_init(&c, PG_PCAPNG, PG_LT_EN10MB, 0, 0);
	pg_eth(&fr, 0x0800, qq_tp, qq_id, 2, ip.p, ip.len);
	pg_cap_add(&c, 1, fr.p, fr.len);
	const char *p2 = pg_cap_write(&c, "qinq.pcapng");
	pg_cap_free(&c);
	mml_buf_free(&ip);
	mml_buf_free(&fr);

	got g;
	read_all(p1, &g);
	REQUIRE(g.open_err == MML_OK);
	CHECK_EQ(g.n, 1);
	CHECK(pay_is(&g.pk[0], PAY, strlen(PAY)));
	CHECK(check_ip4(&g.pk[0].p.dst, "10.2.2.2", 443));
	CHECK_EQ(g.st.pkt_vlan, 1);
	read_all(p2, &g);
	REQUIRE(g.open_err == MML_OK);
	CHECK_EQ(g.n, 1);
	CHECK(pay_is(&g.pk[0], PAY, strlen(PAY)));
	CHECK(check_ip4(&g.pk[0].p.src, "10.1.1.1", 40001));
	/* one or two counts for the doubly tagged frame (per tag or per frame) */
	CHECK(g.st.pkt_vlan >= 1 && g.st.pkt_vlan <= 2);
	mml_test_note("QinQ frame counted %llu in pkt_vlan", (unsigned long long)g.st.pkt_vlan);
}

/* ---- non-TCP traffic ---- */

TEST(capture_udp_icmp_arp_counted_and_skipped)
{
	pg_cap c;
	pg_cap_init(&c, PG_PCAP, PG_LT_EN10MB, 0, 0);
	mml_buf l4 = {0}, ip = {0}, fr = {0};
	/* UDP DNS-ish */
	pg_udp(&l4, 5353, 53, "dnsq", 4);
	pg_ipv4(&ip, "10.0.0.1", "10.0.0.53", 17, l4.p, l4.len);
	pg_link(&fr, PG_LT_EN10MB, ip.p, ip.len);
	pg_cap_add(&c, 1, fr.p, fr.len);
	/* ICMP echo */
	mml_buf_reset(&l4), mml_buf_reset(&ip), mml_buf_reset(&fr);
	pg_icmp(&l4, 0, "ping", 4);
	pg_ipv4(&ip, "10.0.0.1", "10.0.0.2", 1, l4.p, l4.len);
	pg_link(&fr, PG_LT_EN10MB, ip.p, ip.len);
	pg_cap_add(&c, 2, fr.p, fr.len);
	/* ICMPv6 echo */
	mml_buf_reset(&l4), mml_buf_reset(&ip), mml_buf_reset(&fr);
	pg_icmp(&l4, 1, "ping", 4);
	pg_ipv6(&ip, "fe80::1", "fe80::2", 58, l4.p, l4.len);
	pg_link(&fr, PG_LT_EN10MB, ip.p, ip.len);
	pg_cap_add(&c, 3, fr.p, fr.len);
	/* ARP request */
	mml_buf_reset(&fr);
	const uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2};
	pg_eth(&fr, 0x0806, NULL, NULL, 0, arp, sizeof arp);
	pg_cap_add(&c, 4, fr.p, fr.len);
	/* and the one TCP packet */
	mml_buf_reset(&ip), mml_buf_reset(&fr);
	tcp4(&ip, "10.0.0.1", "10.0.0.2", 40000, 443, 9, PAY, strlen(PAY));
	pg_link(&fr, PG_LT_EN10MB, ip.p, ip.len);
	pg_cap_add(&c, 5, fr.p, fr.len);
	const char *path = pg_cap_write(&c, "nontcp.pcap");
	pg_cap_free(&c);
	mml_buf_free(&l4), mml_buf_free(&ip), mml_buf_free(&fr);

	got g;
	read_all(path, &g);
	REQUIRE(g.open_err == MML_OK);
	CHECK_EQ(g.n, 1);
	CHECK_EQ(g.pk[0].p.index, 5);
	CHECK(pay_is(&g.pk[0], PAY, strlen(PAY)));
	CHECK_EQ(g.st.packets, 5);
	CHECK_EQ(g.st.pkt_udp, 1);
	CHECK_EQ(g.st.pkt_icmp, 2);
	CHECK_EQ(g.st.pkt_non_ip, 1);
	CHECK_EQ(g.st.pkt_tcp, 1);
	CHECK_EQ(g.st.pkt_malformed, 0);
	CHECK_EQ(g.end_err, MML_E_END);
}

/* ---- IPv4 fragments ---- */

/* A TCP/IPv4 datagram with a 1000-byte payload, id `id`. */
static void big_dgram(mml_buf *dg, uint16_t id, uint8_t *pay, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pay[i] = (uint8_t)(i * 7 + id);
	mml_buf t = {0};
	pg_tcp(&t, 40000, 443, 5000, 1, MML_TCP_ACK | MML_TCP_PSH, pay, n);
	pg_ipv4_ex(dg, "10.9.0.1", "10.9.0.2", 6, id, 0, 0, t.p, t.len);
	mml_buf_free(&t);
}

static void add_frag(pg_cap *c, uint64_t ts, const mml_buf *dg, size_t off, size_t n, int mf)
{
	mml_buf ip = {0}, fr = {0};
	pg_ipv4_frag(&ip, dg->p, dg->len, off, n, mf);
	pg_link(&fr, c->f.linktype, ip.p, ip.len);
	pg_cap_add(c, ts, fr.p, fr.len);
	mml_buf_free(&ip);
	mml_buf_free(&fr);
}

TEST(capture_ipv4_fragments_out_of_order_reassembled)
{
	uint8_t pay[1000];
	mml_buf dg = {0};
	big_dgram(&dg, 0x777, pay, sizeof pay);
	REQUIRE(dg.len == 20 + 20 + 1000);
	/* IP payload is 1020 bytes: [0,400) [400,800) [800,1020) */
	pg_cap c;
	pg_cap_init(&c, PG_PCAP, PG_LT_EN10MB, 0, 0);
	add_frag(&c, 10, &dg, 800, 220, 0);
	add_frag(&c, 11, &dg, 0, 400, 1);
	add_frag(&c, 12, &dg, 400, 400, 1);
	mml_buf ip = {0}, fr = {0};
	tcp4(&ip, "10.9.0.1", "10.9.0.2", 40000, 443, 6000, PAY, strlen(PAY));
	pg_link(&fr, PG_LT_EN10MB, ip.p, ip.len);
	pg_cap_add(&c, 13, fr.p, fr.len);
	const char *path = pg_cap_write(&c, "frag.pcap");
	pg_cap_free(&c);
	mml_buf_free(&ip), mml_buf_free(&fr), mml_buf_free(&dg);

	got g;
	read_all(path, &g);
	REQUIRE(g.open_err == MML_OK);
	REQUIRE(g.n == 2);
	CHECK(pay_is(&g.pk[0], pay, sizeof pay));
	CHECK_EQ(g.pk[0].p.seq, 5000);
	CHECK_EQ(g.pk[0].p.index, 3); /* completed by the third frame */
	CHECK(check_ip4(&g.pk[0].p.src, "10.9.0.1", 40000));
	CHECK(check_ip4(&g.pk[0].p.dst, "10.9.0.2", 443));
	CHECK(pay_is(&g.pk[1], PAY, strlen(PAY)));
	CHECK_EQ(g.st.pkt_ipv4_frag, 3);
	CHECK_EQ(g.st.pkt_ipv4_frag_reassembled, 1);
	CHECK_EQ(g.st.pkt_ipv4_frag_dropped, 0);
	CHECK_EQ(g.st.pkt_tcp, 2);
}

TEST(capture_ipv4_incomplete_fragments_counted_not_delivered)
{
	uint8_t pay[1000];
	mml_buf dg = {0}, dg2 = {0};
	big_dgram(&dg, 0x100, pay, sizeof pay);
	big_dgram(&dg2, 0x200, pay, sizeof pay);
	pg_cap c;
	pg_cap_init(&c, PG_PCAP, PG_LT_RAW, 0, 0);
	/* middle fragment of 0x100 never arrives */
	add_frag(&c, 1000, &dg, 0, 400, 1);
	add_frag(&c, 1001, &dg, 800, 220, 0);
	mml_buf ip = {0};
	tcp4(&ip, "10.9.0.1", "10.9.0.2", 40000, 443, 6000, PAY, strlen(PAY));
	pg_cap_add(&c, 1002, ip.p, ip.len);
	/* 31 s later a fragment of another datagram: the stale set is dropped */
	add_frag(&c, 1002 + 31000000ull, &dg2, 0, 400, 1);
	const char *path = pg_cap_write(&c, "frag-incomplete.pcap");
	pg_cap_free(&c);
	mml_buf_free(&ip), mml_buf_free(&dg), mml_buf_free(&dg2);

	got g;
	read_all(path, &g);
	REQUIRE(g.open_err == MML_OK);
	CHECK_EQ(g.n, 1);
	CHECK(pay_is(&g.pk[0], PAY, strlen(PAY)));
	CHECK_EQ(g.st.pkt_ipv4_frag, 3);
	CHECK_EQ(g.st.pkt_ipv4_frag_reassembled, 0);
	CHECK_EQ(g.st.pkt_ipv4_frag_dropped, 1);
	CHECK_EQ(g.end_err, MML_E_END);
}

/* ---- IPv6 ---- */

TEST(capture_ipv6_hop_by_hop_decodes)
{
	mml_buf ip = {0}, fr = {0};
	tcp6(&ip, PG_V6_HBH | PG_V6_DSTOPT, "2001:db8::1", "2001:db8::2", 40000, 443, 77, PAY, strlen(PAY));
	pg_link(&fr, PG_LT_EN10MB, ip.p, ip.len);
	pg_cap c;
	pg_cap_init(&c, PG_PCAPNG, PG_LT_EN10MB, 0, 0);
	pg_cap_add(&c, 1, fr.p, fr.len);
	mml_buf_reset(&ip), mml_buf_reset(&fr);
	tcp6(&ip, PG_V6_HBH, "2001:db8::1", "2001:db8::2", 40000, 443, 77 + strlen(PAY), "x", 1);
	pg_link(&fr, PG_LT_EN10MB, ip.p, ip.len);
	pg_cap_add(&c, 2, fr.p, fr.len);
	const char *path = pg_cap_write(&c, "v6hbh.pcapng");
	pg_cap_free(&c);
	mml_buf_free(&ip), mml_buf_free(&fr);
	got g;
	read_all(path, &g);
	REQUIRE(g.open_err == MML_OK);
	REQUIRE(g.n == 2);
	CHECK(pay_is(&g.pk[0], PAY, strlen(PAY)));
	CHECK(check_ip6(&g.pk[0].p.src, "2001:db8::1", 40000));
	CHECK(check_ip6(&g.pk[0].p.dst, "2001:db8::2", 443));
	CHECK_EQ(g.pk[0].p.seq, 77);
	CHECK(pay_is(&g.pk[1], "x", 1));
	CHECK_EQ(g.st.pkt_ipv6, 2);
	CHECK_EQ(g.st.pkt_malformed, 0);
}

TEST(capture_ipv6_fragment_header_counted)
{
	mml_buf ip = {0}, fr = {0};
	pg_cap c;
	pg_cap_init(&c, PG_PCAP, PG_LT_SLL, 0, 0);
	tcp6(&ip, PG_V6_FRAG, "2001:db8::1", "2001:db8::2", 40000, 443, 1, PAY, strlen(PAY));
	pg_link(&fr, PG_LT_SLL, ip.p, ip.len);
	pg_cap_add(&c, 1, fr.p, fr.len);
	mml_buf_reset(&ip), mml_buf_reset(&fr);
	tcp6(&ip, PG_V6_HBH | PG_V6_FRAG, "2001:db8::1", "2001:db8::2", 40000, 443, 1, PAY, strlen(PAY));
	pg_link(&fr, PG_LT_SLL, ip.p, ip.len);
	pg_cap_add(&c, 2, fr.p, fr.len);
	const char *path = pg_cap_write(&c, "v6frag.pcap");
	pg_cap_free(&c);
	mml_buf_free(&ip), mml_buf_free(&fr);
	got g;
	read_all(path, &g);
	REQUIRE(g.open_err == MML_OK);
	CHECK_EQ(g.n, 0);
	CHECK_EQ(g.st.pkt_ipv6_frag, 2);
	CHECK_EQ(g.st.pkt_tcp, 0);
	CHECK_EQ(g.st.packets, 2);
}

/* ---- damaged captures ---- */

static void truncated_case(int fmt, int cut_in_header)
{
	pg_cap c;
	pg_cap_init(&c, fmt, PG_LT_EN10MB, 0, 0);
	size_t rec_start[3];
	for (int i = 0; i < 3; i++) {
		mml_buf ip = {0}, fr = {0};
		tcp4(&ip, "10.0.0.1", "10.0.0.2", 40000, 443, 100 + 20 * (uint32_t)i, PAY, strlen(PAY));
		pg_link(&fr, PG_LT_EN10MB, ip.p, ip.len);
		rec_start[i] = c.b.len;
		pg_cap_add(&c, 10 + (uint64_t)i, fr.p, fr.len);
		mml_buf_free(&ip), mml_buf_free(&fr);
	}
	/* cut inside the third record: 6 bytes into its header, or in the frame */
	size_t cut = rec_start[2] + (cut_in_header ? 6 : 40);
	char name[64];
	snprintf(name, sizeof name, "trunc-%d-%d.cap", fmt, cut_in_header);
	const char *path = pg_cap_write_n(&c, name, cut);
	pg_cap_free(&c);
	got g;
	read_all(path, &g);
	if (g.open_err != MML_OK) {
		mml_test_fail(__FILE__, __LINE__, "fmt %d: open failed: %s", fmt, g.errbuf);
		return;
	}
	if (g.n != 2 || !(g.end_err == MML_E_TRUNCATED || g.end_err == MML_E_MALFORMED))
		mml_test_fail(__FILE__, __LINE__, "fmt %d cut_in_header %d: %d packets, end %s (%s)", fmt, cut_in_header,
		              g.n, mml_strerror(g.end_err), g.errbuf);
	if (g.n >= 2 && (!pay_is(&g.pk[1], PAY, strlen(PAY)) || g.pk[1].p.seq != 120))
		mml_test_fail(__FILE__, __LINE__, "fmt %d: second packet wrong", fmt);
	if (!strstr(g.errbuf, path))
		mml_test_fail(__FILE__, __LINE__, "errbuf does not name the file: %s", g.errbuf);
}

TEST(capture_truncated_record_reports_after_complete_packets)
{
	truncated_case(PG_PCAP, 0);
	truncated_case(PG_PCAP, 1);
	truncated_case(PG_PCAPNG, 0);
	truncated_case(PG_PCAPNG, 1);
}

TEST(capture_tcp_data_offset_below_5_malformed)
{
	pg_cap c;
	pg_cap_init(&c, PG_PCAP, PG_LT_EN10MB, 0, 0);
	const uint8_t doffs[] = {4, 0x0f /* 60-byte header with NOP options */, 1};
	for (int i = 0; i < 3; i++) {
		mml_buf t = {0}, ip = {0}, fr = {0};
		/* pg_tcp_ex treats 0 as 5, so write the raw nibble ourselves below 5 */
		pg_tcp_ex(&t, 40000, 443, 1, 2, MML_TCP_ACK, doffs[i] >= 5 ? doffs[i] : 5, PAY, strlen(PAY));
		if (doffs[i] < 5)
			t.p[12] = (uint8_t)(doffs[i] << 4);
		pg_ipv4(&ip, "10.0.0.1", "10.0.0.2", 6, t.p, t.len);
		pg_link(&fr, PG_LT_EN10MB, ip.p, ip.len);
		pg_cap_add(&c, 1 + (uint64_t)i, fr.p, fr.len);
		mml_buf_free(&t), mml_buf_free(&ip), mml_buf_free(&fr);
	}
	const char *path = pg_cap_write(&c, "doff.pcap");
	pg_cap_free(&c);
	got g;
	read_all(path, &g);
	REQUIRE(g.open_err == MML_OK);
	CHECK_EQ(g.n, 1);
	CHECK(pay_is(&g.pk[0], PAY, strlen(PAY)));
	CHECK_EQ(g.pk[0].p.index, 2);
	CHECK_EQ(g.st.pkt_malformed, 2);
	CHECK_EQ(g.st.pkt_tcp, 1);
}

TEST(capture_ethernet_padding_trimmed_by_ip_length)
{
	/* A minimum-size Ethernet frame pads a short IP packet with zeros:
	 * the IPv4 total length must cut the padding from the payload. */
	mml_buf ip = {0}, fr = {0};
	tcp4(&ip, "10.0.0.1", "10.0.0.2", 40000, 443, 1, "ab", 2);
	pg_link(&fr, PG_LT_EN10MB, ip.p, ip.len);
	const uint8_t zeros[16] = {0};
	mml_wbuf w = mml_wbuf_make(&fr);
	mml_wbuf_bytes(&w, zeros, sizeof zeros);
	pg_check(&w);
	pg_cap c;
	pg_cap_init(&c, PG_PCAP, PG_LT_EN10MB, 0, 0);
	pg_cap_add(&c, 1, fr.p, fr.len);
	const char *path = pg_cap_write(&c, "pad.pcap");
	pg_cap_free(&c);
	mml_buf_free(&ip), mml_buf_free(&fr);
	got g;
	read_all(path, &g);
	REQUIRE(g.open_err == MML_OK);
	REQUIRE(g.n == 1);
	CHECK(pay_is(&g.pk[0], "ab", 2));
}
