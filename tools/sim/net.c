/*
 * net.c - capture writer (pcap, pcapng) and simulated TCP/IP with MSS
 * segmentation, reordering, retransmission, capture loss, IPv6 and VLAN.
 * Contract in tools/sim/net.h. Frames: Ethernet II (optional 802.1Q tag),
 * IPv4 (RFC 791, header checksum set) or IPv6 (RFC 8200), TCP (RFC 9293,
 * checksum set).
 */
#include <stdlib.h>
#include <string.h>

#include "net.h"

/* ---- capture files ---- */

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}
static void put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v; }
static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void wr(sim_pcapw *w, const void *p, size_t n)
{
	fwrite(p, 1, n, w->f);
	w->bytes += n;
}

int sim_pcapw_open(sim_pcapw *w, const char *path, bool pcapng, int linktype)
{
	memset(w, 0, sizeof *w);
	w->f = fopen(path, "wb");
	if (!w->f)
		return -1;
	w->vbuf = malloc(1 << 20);
	if (w->vbuf)
		setvbuf(w->f, w->vbuf, _IOFBF, 1 << 20);
	w->pcapng = pcapng;
	w->linktype = linktype;
	if (!pcapng) {
		uint8_t h[24];
		put_le32(h, 0xa1b2c3d4);
		put_le16(h + 4, 2);
		put_le16(h + 6, 4);
		put_le32(h + 8, 0);
		put_le32(h + 12, 0);
		put_le32(h + 16, 262144);
		put_le32(h + 20, (uint32_t)linktype);
		wr(w, h, sizeof h);
	} else {
		uint8_t shb[28], idb[20];
		put_le32(shb, 0x0a0d0d0a);
		put_le32(shb + 4, 28);
		put_le32(shb + 8, 0x1a2b3c4d);
		put_le16(shb + 12, 1);
		put_le16(shb + 14, 0);
		memset(shb + 16, 0xff, 8); /* section length unknown */
		put_le32(shb + 24, 28);
		wr(w, shb, sizeof shb);
		put_le32(idb, 1);
		put_le32(idb + 4, 20);
		put_le16(idb + 8, (uint16_t)linktype);
		put_le16(idb + 10, 0);
		put_le32(idb + 12, 262144);
		put_le32(idb + 16, 20);
		wr(w, idb, sizeof idb);
	}
	return 0;
}

void sim_pcapw_packet(sim_pcapw *w, uint64_t ts_us, const uint8_t *frame, size_t len)
{
	w->packets++;
	if (!w->pcapng) {
		uint8_t h[16];
		put_le32(h, (uint32_t)(ts_us / 1000000u));
		put_le32(h + 4, (uint32_t)(ts_us % 1000000u));
		put_le32(h + 8, (uint32_t)len);
		put_le32(h + 12, (uint32_t)len);
		wr(w, h, sizeof h);
		wr(w, frame, len);
		return;
	}
	size_t pad = (4 - len % 4) % 4;
	uint32_t total = (uint32_t)(28 + len + pad + 4);
	uint8_t h[28], t[8] = {0};
	put_le32(h, 6);
	put_le32(h + 4, total);
	put_le32(h + 8, 0);
	put_le32(h + 12, (uint32_t)(ts_us >> 32));
	put_le32(h + 16, (uint32_t)ts_us);
	put_le32(h + 20, (uint32_t)len);
	put_le32(h + 24, (uint32_t)len);
	wr(w, h, sizeof h);
	wr(w, frame, len);
	put_le32(t + pad, total);
	wr(w, t, pad + 4);
}

int sim_pcapw_close(sim_pcapw *w)
{
	int r = 0;
	if (w->f) {
		r = fclose(w->f) ? -1 : 0;
		w->f = NULL;
	}
	free(w->vbuf);
	w->vbuf = NULL;
	return r;
}

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
}

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
 * Ethernet (+ VLAN) and IPv4/IPv6 headers into f for a packet from sip to
 * dip carrying `proto` (6 TCP, 17 UDP) with l4len bytes after the IP
 * header; dir 1 is server to phone. Returns the offset of the L4 header.
 */
static size_t put_l2l3(const sim_net *n, uint8_t *f, int dir, const uint8_t *sip, const uint8_t *dip, uint8_t proto,
                       size_t l4len)
{
	/* Ethernet: server side MAC 02:00:00:00:00:01, phone 02:00:00:00:00:02 */
	static const uint8_t mac_s[6] = {2, 0, 0, 0, 0, 1}, mac_c[6] = {2, 0, 0, 0, 0, 2};
	memcpy(f, dir ? mac_c : mac_s, 6);
	memcpy(f + 6, dir ? mac_s : mac_c, 6);
	size_t k = 12;
	if (n->cfg.vlan) {
		put_be16(f + k, 0x8100);
		put_be16(f + k + 2, 100);
		k += 4;
	}
	put_be16(f + k, n->cfg.ipv6 ? 0x86dd : 0x0800);
	k += 2;
	size_t ip = k;
	if (!n->cfg.ipv6) {
		memset(f + ip, 0, 20);
		f[ip] = 0x45;
		put_be16(f + ip + 2, (uint16_t)(20 + l4len));
		put_be16(f + ip + 6, 0x4000);
		f[ip + 8] = 64;
		f[ip + 9] = proto;
		memcpy(f + ip + 12, sip, 4);
		memcpy(f + ip + 16, dip, 4);
		put_be16(f + ip + 10, fold(sum16(f + ip, 20, 0)));
		return ip + 20;
	}
	memset(f + ip, 0, 40);
	f[ip] = 0x60;
	put_be16(f + ip + 4, (uint16_t)l4len);
	f[ip + 6] = proto;
	f[ip + 7] = 64;
	memcpy(f + ip + 8, sip, 16);
	memcpy(f + ip + 24, dip, 16);
	return ip + 40;
}

/* Write one TCP segment from direction dir. */
static void emit(sim_net *n, const sim_tcp *t, int dir, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *p,
                 size_t len)
{
	uint8_t *f = n->frame;
	const uint8_t *sip = dir ? t->sip : t->cip, *dip = dir ? t->cip : t->sip;
	uint16_t sport = dir ? t->sport : t->cport, dport = dir ? t->cport : t->sport;
	size_t tcp = put_l2l3(n, f, dir, sip, dip, 6, 20 + len);
	memset(f + tcp, 0, 20);
	put_be16(f + tcp, sport);
	put_be16(f + tcp + 2, dport);
	put_be32(f + tcp + 4, seq);
	put_be32(f + tcp + 8, ack);
	f[tcp + 12] = 5 << 4;
	f[tcp + 13] = flags;
	put_be16(f + tcp + 14, 65535);
	if (len)
		memcpy(f + tcp + 20, p, len);
	/* checksum over the pseudo-header */
	uint32_t s;
	if (!n->cfg.ipv6) {
		s = sum16(sip, 4, 0);
		s = sum16(dip, 4, s);
	} else {
		s = sum16(sip, 16, 0);
		s = sum16(dip, 16, s);
	}
	s += 6 + (uint32_t)(20 + len);
	s = sum16(f + tcp, 20 + len, s);
	put_be16(f + tcp + 16, fold(s));
	sim_pcapw_packet(n->w, n->now_us, f, tcp + 20 + len);
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
	uint8_t *f = n->frame;
	const uint8_t *sip = dir ? sipa : cip, *dip = dir ? cip : sipa;
	uint16_t sp = dir ? sport : cport, dp = dir ? cport : sport;
	size_t udp = put_l2l3(n, f, dir, sip, dip, 17, 8 + len);
	put_be16(f + udp, sp);
	put_be16(f + udp + 2, dp);
	put_be16(f + udp + 4, (uint16_t)(8 + len));
	put_be16(f + udp + 6, 0);
	memcpy(f + udp + 8, p, len);
	size_t al = n->cfg.ipv6 ? 16 : 4;
	uint32_t s = sum16(sip, al, 0);
	s = sum16(dip, al, s);
	s += 17 + (uint32_t)(8 + len);
	s = sum16(f + udp, 8 + len, s);
	uint16_t c = fold(s);
	put_be16(f + udp + 6, c ? c : 0xffff);
	sim_pcapw_packet(n->w, n->now_us, f, udp + 8 + len);
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
