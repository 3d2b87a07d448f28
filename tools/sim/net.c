/*
 * net.c - simulated TCP/IP with MSS segmentation, reordering,
 * retransmission, capture loss, IPv6 and VLAN; frames go to the capture
 * writer (pcapw.c). Contract in tools/sim/net.h. Frames: Ethernet II
 * (optional 802.1Q tag), IPv4 (RFC 791, header checksum set) or IPv6 (RFC
 * 8200), TCP (RFC 9293, checksum set), UDP (RFC 768), built through
 * mml_wbuf in one reused buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "net.h"

/* ---- frames ---- */

void sim_net_init(sim_net *n, const sim_netcfg *cfg, sim_pcapw *w, sim_rng *rng, uint64_t start_us)
{
	memset(n, 0, sizeof *n);
	n->cfg = *cfg;
	if (n->cfg.mss <= 0 || n->cfg.mss > 9000)
		n->cfg.mss = 1400;
	n->w = w;
	n->rng = rng;
	n->now_us = start_us;
	mml_buf_init(&n->frame, 0);
}

void sim_net_free(sim_net *n) { mml_buf_free(&n->frame); }

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * Ethernet (+ VLAN) and IPv4/IPv6 headers, into the emptied frame buffer,
 * for a packet from sip to dip carrying `proto` (6 TCP, 17 UDP) with
 * l4len bytes after the IP header; dir 1 is server to phone. Returns the
 * offset of the L4 header.
 */
static size_t put_l2l3(const sim_net *n, mml_wbuf *w, int dir, const uint8_t *sip, const uint8_t *dip, uint8_t proto,
                       size_t l4len)
{
	/* Ethernet: server side MAC 02:00:00:00:00:01, phone 02:00:00:00:00:02 */
	static const uint8_t mac_s[6] = {2, 0, 0, 0, 0, 1}, mac_c[6] = {2, 0, 0, 0, 0, 2};
	mml_buf_reset(w->b);
	mml_wbuf_bytes(w, dir ? mac_c : mac_s, 6);
	mml_wbuf_bytes(w, dir ? mac_s : mac_c, 6);
	if (n->cfg.vlan) {
		mml_wbuf_be16(w, 0x8100);
		mml_wbuf_be16(w, 100);
	}
	mml_wbuf_be16(w, n->cfg.ipv6 ? 0x86dd : 0x0800);
	size_t ip = mml_wbuf_len(w);
	if (!n->cfg.ipv6) {
		mml_wbuf_u8(w, 0x45);
		mml_wbuf_u8(w, 0);
		mml_wbuf_be16(w, (uint16_t)(20 + l4len));
		mml_wbuf_be16(w, 0);      /* id */
		mml_wbuf_be16(w, 0x4000); /* don't fragment */
		mml_wbuf_u8(w, 64);
		mml_wbuf_u8(w, proto);
		mml_wbuf_be16(w, 0);      /* checksum, set below */
		mml_wbuf_bytes(w, sip, 4);
		mml_wbuf_bytes(w, dip, 4);
		if (mml_wbuf_err(w) == MML_OK)
			mml_wbuf_set_be16(w, ip + 10, fold(sum16(w->b->p + ip, 20, 0)));
		return ip + 20;
	}
	mml_wbuf_be32(w, 0x60000000u);
	mml_wbuf_be16(w, (uint16_t)l4len);
	mml_wbuf_u8(w, proto);
	mml_wbuf_u8(w, 64);
	mml_wbuf_bytes(w, sip, 16);
	mml_wbuf_bytes(w, dip, 16);
	return ip + 40;
}

/* The L4 checksum over the pseudo-header and the l4len bytes at `at`. */
static uint16_t l4_sum(const sim_net *n, const mml_wbuf *w, const uint8_t *sip, const uint8_t *dip, uint8_t proto,
                       size_t at, size_t l4len)
{
	size_t al = n->cfg.ipv6 ? 16 : 4;
	uint32_t s = sum16(sip, al, 0);
	s = sum16(dip, al, s);
	s += proto + (uint32_t)l4len;
	return fold(sum16(w->b->p + at, l4len, s));
}

/* Write one TCP segment from direction dir. */
static void emit(sim_net *n, const sim_tcp *t, int dir, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *p,
                 size_t len)
{
	mml_wbuf w = mml_wbuf_make(&n->frame);
	const uint8_t *sip = dir ? t->sip : t->cip, *dip = dir ? t->cip : t->sip;
	uint16_t sport = dir ? t->sport : t->cport, dport = dir ? t->cport : t->sport;
	size_t tcp = put_l2l3(n, &w, dir, sip, dip, 6, 20 + len);
	mml_wbuf_be16(&w, sport);
	mml_wbuf_be16(&w, dport);
	mml_wbuf_be32(&w, seq);
	mml_wbuf_be32(&w, ack);
	mml_wbuf_u8(&w, 5 << 4);
	mml_wbuf_u8(&w, flags);
	mml_wbuf_be16(&w, 65535);
	mml_wbuf_be16(&w, 0); /* checksum, set below */
	mml_wbuf_be16(&w, 0);
	mml_wbuf_bytes(&w, p, len);
	sim_wcheck(&w, "TCP segment");
	mml_wbuf_set_be16(&w, tcp + 16, l4_sum(n, &w, sip, dip, 6, tcp, 20 + len));
	sim_pcapw_packet(n->w, n->now_us, n->frame.p, n->frame.len);
	n->now_us += 20 + sim_rng_below(n->rng, 40);
}

static void map_ip(const uint8_t ip4[4], bool v6, uint8_t out[16])
{
	memset(out, 0, 16);
	if (!v6) {
		memcpy(out, ip4, 4);
		return;
	}
	/* documentation prefix 2001:db8::/32, with the v4 address at the end */
	out[0] = 0x20, out[1] = 0x01, out[2] = 0x0d, out[3] = 0xb8;
	memcpy(out + 12, ip4, 4);
}

void sim_udp_send(sim_net *n, const uint8_t cip4[4], uint16_t cport, const uint8_t sip4[4], uint16_t sport, int dir,
                  const uint8_t *p, size_t len)
{
	uint8_t cip[16], sipa[16];
	map_ip(cip4, n->cfg.ipv6, cip);
	map_ip(sip4, n->cfg.ipv6, sipa);
	if (len > 1400)
		len = 1400;
	mml_wbuf w = mml_wbuf_make(&n->frame);
	const uint8_t *sip = dir ? sipa : cip, *dip = dir ? cip : sipa;
	uint16_t sp = dir ? sport : cport, dp = dir ? cport : sport;
	size_t udp = put_l2l3(n, &w, dir, sip, dip, 17, 8 + len);
	mml_wbuf_be16(&w, sp);
	mml_wbuf_be16(&w, dp);
	mml_wbuf_be16(&w, (uint16_t)(8 + len));
	mml_wbuf_be16(&w, 0); /* checksum, set below */
	mml_wbuf_bytes(&w, p, len);
	sim_wcheck(&w, "UDP datagram");
	uint16_t c = l4_sum(n, &w, sip, dip, 17, udp, 8 + len);
	mml_wbuf_set_be16(&w, udp + 6, c ? c : 0xffff);
	sim_pcapw_packet(n->w, n->now_us, n->frame.p, n->frame.len);
	n->now_us += 20 + sim_rng_below(n->rng, 40);
}

void sim_tcp_open(sim_net *n, sim_tcp *t, const uint8_t cip4[4], uint16_t cport, const uint8_t sip4[4],
                  uint16_t sport)
{
	memset(t, 0, sizeof *t);
	map_ip(cip4, n->cfg.ipv6, t->cip);
	map_ip(sip4, n->cfg.ipv6, t->sip);
	t->cport = cport;
	t->sport = sport;
	t->isn[0] = (uint32_t)sim_rng_next(n->rng);
	t->isn[1] = (uint32_t)sim_rng_next(n->rng);
	emit(n, t, 0, t->isn[0], 0, 0x02, NULL, 0);
	n->now_us += 5000 + sim_rng_below(n->rng, 5000);
	emit(n, t, 1, t->isn[1], t->isn[0] + 1, 0x12, NULL, 0);
	emit(n, t, 0, t->isn[0] + 1, t->isn[1] + 1, 0x10, NULL, 0);
	t->seq[0] = t->isn[0] + 1;
	t->seq[1] = t->isn[1] + 1;
}

void sim_tcp_send(sim_net *n, sim_tcp *t, int dir, const uint8_t *p, size_t len, sim_range *lost, int *nlost)
{
	*nlost = 0;
	size_t mss = (size_t)n->cfg.mss;
	uint32_t base = t->seq[dir];
	uint32_t ack = t->seq[!dir];
	size_t off = 0;
	int held = 0; /* a segment held back to be sent after the next (reordering) */
	size_t held_off = 0, held_len = 0;
	while (off < len) {
		size_t sl = len - off < mss ? len - off : mss;
		bool first = t->sent[dir] + off == 0;
		uint8_t flags = 0x10 | (off + sl == len ? 0x08 : 0);
		if (!first && n->cfg.p_loss > 0 && sim_rng_unit(n->rng) < n->cfg.p_loss) {
			if (*nlost < SIM_MAX_LOST) {
				lost[*nlost].lo = off;
				lost[*nlost].hi = off + sl;
				(*nlost)++;
			} else {
				lost[SIM_MAX_LOST - 1].hi = off + sl; /* widen the last range */
			}
			n->lost_bytes += sl;
			n->lost_segments++;
		} else if (!held && !first && off + sl < len && n->cfg.p_ooo > 0 && sim_rng_unit(n->rng) < n->cfg.p_ooo) {
			held = 1;
			held_off = off;
			held_len = sl;
		} else {
			emit(n, t, dir, base + (uint32_t)off, ack, flags, p + off, sl);
			if (n->cfg.p_retrans > 0 && sim_rng_unit(n->rng) < n->cfg.p_retrans)
				emit(n, t, dir, base + (uint32_t)off, ack, flags, p + off, sl);
			if (held) {
				emit(n, t, dir, base + (uint32_t)held_off, ack, 0x10, p + held_off, held_len);
				held = 0;
			}
		}
		off += sl;
	}
	if (held)
		emit(n, t, dir, base + (uint32_t)held_off, ack, 0x10, p + held_off, held_len);
	t->seq[dir] = base + (uint32_t)len;
	t->sent[dir] += len;
	/* the receiver acknowledges everything (it got the segments the capture lost) */
	emit(n, t, !dir, t->seq[!dir], t->seq[dir], 0x10, NULL, 0);
}

void sim_tcp_close(sim_net *n, sim_tcp *t)
{
	emit(n, t, 1, t->seq[1], t->seq[0], 0x11, NULL, 0);
	t->seq[1]++;
	emit(n, t, 0, t->seq[0], t->seq[1], 0x11, NULL, 0);
	t->seq[0]++;
	emit(n, t, 1, t->seq[1], t->seq[0], 0x10, NULL, 0);
}
