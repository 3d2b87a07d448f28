/*
 * linkdec.c - link layer, IP and TCP header decoding through mml_cur.
 *
 * Formats: Ethernet II + IEEE 802.1Q/802.1ad tags; Linux cooked capture
 * v1 (https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html) and v2
 * (LINKTYPE_LINUX_SLL2); BSD null/loopback (4-byte family in host order);
 * raw IP. IPv4 (RFC 791), IPv6 (RFC 8200) with its extension headers, TCP
 * (RFC 9293). Lengths in headers are checked against the captured bytes;
 * an IP total length shorter than the frame trims Ethernet padding.
 */
#include <string.h>

#include "mmlens/capture.h"
#include "mmlens/cursor.h"

enum {
	DLT_NULL_ = 0, DLT_EN10MB_ = 1, DLT_RAW_ = 12, DLT_RAW2_ = 14, DLT_RAW3_ = 101, DLT_LOOP_ = 108,
	DLT_SLL_ = 113, DLT_IPV4_ = 228, DLT_IPV6_ = 229, DLT_SLL2_ = 276
};

static mml_err decode_tcp(mml_cur *c, mml_pkt *pkt, mml_stats *st)
{
	uint16_t sp, dp, hl_flags, win;
	uint32_t seq, ack;
	if (mml_cur_be16(c, &sp) || mml_cur_be16(c, &dp) || mml_cur_be32(c, &seq) ||
	    mml_cur_be32(c, &ack) || mml_cur_be16(c, &hl_flags) || mml_cur_be16(c, &win)) {
		st->pkt_malformed++;
		return MML_E_TRUNCATED;
	}
	size_t hl = (size_t)(hl_flags >> 12) * 4;
	if (hl < 20 || mml_cur_skip(c, hl - 16) != MML_OK) {
		st->pkt_malformed++;
		return MML_E_MALFORMED;
	}
	pkt->src.port = sp;
	pkt->dst.port = dp;
	pkt->seq = seq;
	pkt->ack = ack;
	pkt->tcp_flags = (uint8_t)(hl_flags & 0xff);
	pkt->proto = 6;
	pkt->payload = mml_cur_ptr(c);
	pkt->paylen = mml_cur_left(c);
	st->pkt_tcp++;
	return MML_OK;
}

static mml_err l4(uint8_t proto, mml_cur *c, mml_pkt *pkt, mml_stats *st)
{
	switch (proto) {
	case 6:
		return decode_tcp(c, pkt, st);
	case 17:
		st->pkt_udp++;
		return MML_E_UNSUPPORTED;
	case 1:
	case 58:
		st->pkt_icmp++;
		return MML_E_UNSUPPORTED;
	default:
		st->pkt_other_ip++;
		return MML_E_UNSUPPORTED;
	}
}

static mml_err decode_ipv4(mml_cur *c, mml_pkt *pkt, mml_stats *st, mml_ipfrag *frag, int depth)
{
	uint8_t vihl, tos, ttl, proto;
	uint16_t tot, id, fo, csum;
	const uint8_t *addrs;
	mml_cur h = *c;
	if (mml_cur_u8(&h, &vihl) || mml_cur_u8(&h, &tos) || mml_cur_be16(&h, &tot) ||
	    mml_cur_be16(&h, &id) || mml_cur_be16(&h, &fo) || mml_cur_u8(&h, &ttl) ||
	    mml_cur_u8(&h, &proto) || mml_cur_be16(&h, &csum)) {
		st->pkt_malformed++;
		return MML_E_TRUNCATED;
	}
	size_t ihl = (size_t)(vihl & 15) * 4, avail = mml_cur_left(c);
	if ((vihl >> 4) != 4 || ihl < 20 || tot < ihl || ihl > avail) {
		st->pkt_malformed++;
		return MML_E_MALFORMED;
	}
	/* the datagram: its total length, or what was captured of it (a
	 * snaplen cut or a bogus length); a longer frame is Ethernet padding */
	size_t len = tot < avail ? tot : avail;
	mml_cur dg, body;
	if (mml_cur_bytes(&h, 8, &addrs) || mml_cur_sub(c, len, &dg)) {
		st->pkt_malformed++;
		return MML_E_TRUNCATED; /* not reached: ihl <= len checked above */
	}
	pkt->src.ver = pkt->dst.ver = 4;
	memset(pkt->src.ip, 0, 16);
	memset(pkt->dst.ip, 0, 16);
	memcpy(pkt->src.ip, addrs, 4);
	memcpy(pkt->dst.ip, addrs + 4, 4);
	if ((fo & 0x3fff) != 0) { /* MF set or offset != 0 */
		st->pkt_ipv4_frag++;
		if (depth > 0 || !frag) {
			st->pkt_ipv4_frag_dropped++;
			return MML_E_UNSUPPORTED;
		}
		const uint8_t *whole;
		size_t wlen;
		mml_err e = mml_ipfrag_add(frag, mml_cur_ptr(&dg), mml_cur_left(&dg), pkt->ts_us, &whole, &wlen, st);
		if (e != MML_OK)
			return e; /* held for more fragments (incomplete), or dropped (counted there) */
		mml_cur wc = mml_cur_make(whole, wlen);
		return decode_ipv4(&wc, pkt, st, frag, depth + 1);
	}
	body = dg;
	(void)mml_cur_skip(&body, ihl); /* ihl <= len */
	return l4(proto, &body, pkt, st);
}

static mml_err decode_ipv6(mml_cur *c, mml_pkt *pkt, mml_stats *st)
{
	uint32_t vtf;
	uint16_t plen;
	uint8_t nh, hlim;
	const uint8_t *addrs;
	if (mml_cur_be32(c, &vtf) || mml_cur_be16(c, &plen) || mml_cur_u8(c, &nh) ||
	    mml_cur_u8(c, &hlim) || mml_cur_bytes(c, 32, &addrs)) {
		st->pkt_malformed++;
		return MML_E_TRUNCATED;
	}
	if ((vtf >> 28) != 6) {
		st->pkt_malformed++;
		return MML_E_MALFORMED;
	}
	st->pkt_ipv6++;
	pkt->src.ver = pkt->dst.ver = 6;
	memcpy(pkt->src.ip, addrs, 16);
	memcpy(pkt->dst.ip, addrs + 16, 16);
	mml_cur body;
	size_t avail = mml_cur_left(c);
	if (mml_cur_sub(c, plen < avail ? plen : avail, &body))
		return MML_E_TRUNCATED;
	/* Walk extension headers: hop-by-hop 0, routing 43, dest opts 60,
	 * fragment 44 (counted and skipped), AH 51. At most 8. */
	for (int i = 0; i < 8; i++) {
		if (nh == 0 || nh == 43 || nh == 60 || nh == 51) {
			uint8_t next, hl;
			if (mml_cur_u8(&body, &next) || mml_cur_u8(&body, &hl)) {
				st->pkt_malformed++;
				return MML_E_TRUNCATED;
			}
			size_t skip = nh == 51 ? ((size_t)hl + 2) * 4 - 2 : ((size_t)hl + 1) * 8 - 2;
			if (mml_cur_skip(&body, skip)) {
				st->pkt_malformed++;
				return MML_E_TRUNCATED;
			}
			nh = next;
			continue;
		}
		if (nh == 44) {
			st->pkt_ipv6_frag++;
			return MML_E_UNSUPPORTED;
		}
		return l4(nh, &body, pkt, st);
	}
	st->pkt_malformed++;
	return MML_E_MALFORMED;
}

static mml_err decode_ethertype(uint16_t et, mml_cur *c, mml_pkt *pkt, mml_stats *st, mml_ipfrag *frag)
{
	if (et == 0x0800)
		return decode_ipv4(c, pkt, st, frag, 0);
	if (et == 0x86dd)
		return decode_ipv6(c, pkt, st);
	st->pkt_non_ip++;
	return MML_E_UNSUPPORTED;
}

static mml_err decode_raw(mml_cur *c, mml_pkt *pkt, mml_stats *st, mml_ipfrag *frag)
{
	uint8_t v;
	if (mml_cur_peek(c, 0, &v)) {
		st->pkt_malformed++;
		return MML_E_TRUNCATED;
	}
	if ((v >> 4) == 4)
		return decode_ipv4(c, pkt, st, frag, 0);
	if ((v >> 4) == 6)
		return decode_ipv6(c, pkt, st);
	st->pkt_non_ip++;
	return MML_E_UNSUPPORTED;
}

mml_err mml_decode_frame(int linktype, const uint8_t *frame, size_t len, mml_pkt *pkt,
                         mml_stats *st, mml_ipfrag *frag)
{
	mml_cur c = mml_cur_make(frame, len);
	switch (linktype) {
	case DLT_EN10MB_: {
		uint16_t et;
		if (mml_cur_skip(&c, 12) || mml_cur_be16(&c, &et)) {
			st->pkt_malformed++;
			return MML_E_TRUNCATED;
		}
		for (int tags = 0; (et == 0x8100 || et == 0x88a8 || et == 0x9100) && tags < 4; tags++) {
			st->pkt_vlan++;
			if (mml_cur_skip(&c, 2) || mml_cur_be16(&c, &et)) {
				st->pkt_malformed++;
				return MML_E_TRUNCATED;
			}
		}
		return decode_ethertype(et, &c, pkt, st, frag);
	}
	case DLT_SLL_: {
		uint16_t et;
		if (mml_cur_skip(&c, 14) || mml_cur_be16(&c, &et)) {
			st->pkt_malformed++;
			return MML_E_TRUNCATED;
		}
		return decode_ethertype(et, &c, pkt, st, frag);
	}
	case DLT_SLL2_: {
		uint16_t et;
		if (mml_cur_be16(&c, &et) || mml_cur_skip(&c, 18)) {
			st->pkt_malformed++;
			return MML_E_TRUNCATED;
		}
		return decode_ethertype(et, &c, pkt, st, frag);
	}
	case DLT_NULL_:
	case DLT_LOOP_: {
		uint32_t fam_le, fam_be;
		mml_cur t = c;
		if (mml_cur_le32(&t, &fam_le)) {
			st->pkt_malformed++;
			return MML_E_TRUNCATED;
		}
		t = c;
		(void)mml_cur_be32(&t, &fam_be);
		(void)mml_cur_skip(&c, 4);
		uint32_t fam = fam_le < 256 ? fam_le : fam_be;
		if (fam == 2)
			return decode_ipv4(&c, pkt, st, frag, 0);
		if (fam == 24 || fam == 28 || fam == 30 || fam == 10)
			return decode_ipv6(&c, pkt, st);
		st->pkt_non_ip++;
		return MML_E_UNSUPPORTED;
	}
	case DLT_RAW_:
	case DLT_RAW2_:
	case DLT_RAW3_:
		return decode_raw(&c, pkt, st, frag);
	case DLT_IPV4_:
		return decode_ipv4(&c, pkt, st, frag, 0);
	case DLT_IPV6_:
		return decode_ipv6(&c, pkt, st);
	default:
		st->pkt_unsupported_link++;
		return MML_E_UNSUPPORTED;
	}
}
