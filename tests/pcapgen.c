/* tests/pcapgen.c - see tests/pcapgen.h */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapgen.h"
#include "test.h"

void pg_check(const mml_wbuf *w)
{
	if (mml_wbuf_err(w) != MML_OK) {
		fprintf(stderr, "pcapgen: %s at %zu bytes\n", mml_strerror(mml_wbuf_err(w)), mml_wbuf_len(w));
		abort();
	}
}

static uint16_t csum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* ---- layer 4 ---- */

void pg_tcp_ex(mml_buf *out, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
               uint8_t doff, const void *payload, size_t len)
{
	mml_wbuf w = mml_wbuf_make(out);
	if (!doff)
		doff = 5;
	mml_wbuf_be16(&w, sport);
	mml_wbuf_be16(&w, dport);
	mml_wbuf_be32(&w, seq);
	mml_wbuf_be32(&w, ack);
	mml_wbuf_be16(&w, (uint16_t)((doff & 15) << 12 | flags));
	mml_wbuf_be16(&w, 65535); /* window */
	mml_wbuf_be16(&w, 0);     /* checksum (not checked) */
	mml_wbuf_be16(&w, 0);     /* urgent */
	for (int i = 5; i < doff; i++)
		mml_wbuf_be32(&w, 0x01010101); /* NOP options */
	mml_wbuf_bytes(&w, payload, len);
	pg_check(&w);
}

void pg_tcp(mml_buf *out, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
            const void *payload, size_t len)
{
	pg_tcp_ex(out, sport, dport, seq, ack, flags, 5, payload, len);
}

void pg_udp(mml_buf *out, uint16_t sport, uint16_t dport, const void *payload, size_t len)
{
	mml_wbuf w = mml_wbuf_make(out);
	mml_wbuf_be16(&w, sport);
	mml_wbuf_be16(&w, dport);
	mml_wbuf_be16(&w, (uint16_t)(8 + len));
	mml_wbuf_be16(&w, 0);
	mml_wbuf_bytes(&w, payload, len);
	pg_check(&w);
}

void pg_icmp(mml_buf *out, int v6, const void *payload, size_t len)
{
	mml_wbuf w = mml_wbuf_make(out);
	size_t start = mml_wbuf_len(&w);
	mml_wbuf_u8(&w, v6 ? 128 : 8); /* echo request */
	mml_wbuf_u8(&w, 0);
	mml_wbuf_be16(&w, 0);
	mml_wbuf_be16(&w, 0x1234); /* id */
	mml_wbuf_be16(&w, 1);      /* seq */
	mml_wbuf_bytes(&w, payload, len);
	pg_check(&w);
	if (!v6)
		mml_wbuf_set_be16(&w, start + 2, csum16(out->p + start, out->len - start));
	pg_check(&w);
}

/* ---- layer 3 ---- */

void pg_addr4(const char *s, uint8_t out[4])
{
	if (inet_pton(AF_INET, s, out) != 1)
		abort();
}

void pg_addr6(const char *s, uint8_t out[16])
{
	if (inet_pton(AF_INET6, s, out) != 1)
		abort();
}

/* An IPv4 header from h[0..ihl) with total length, fragment field and checksum set. */
static void ipv4_header(mml_wbuf *w, const uint8_t *h, size_t ihl, size_t tot, size_t frag_off, int mf)
{
	size_t at = mml_wbuf_len(w);
	mml_wbuf_bytes(w, h, ihl);
	mml_wbuf_set_be16(w, at + 2, (uint16_t)tot);
	mml_wbuf_set_be16(w, at + 6, (uint16_t)((frag_off / 8) & 0x1fff) | (mf ? 0x2000 : 0));
	mml_wbuf_set_be16(w, at + 10, 0);
	pg_check(w);
	mml_wbuf_set_be16(w, at + 10, csum16(w->b->p + at, ihl));
}

void pg_ipv4_ex(mml_buf *out, const char *src, const char *dst, uint8_t proto, uint16_t id, uint16_t frag_off,
                int mf, const void *l4, size_t len)
{
	uint8_t h[20] = {0x45, 0, 0, 0, (uint8_t)(id >> 8), (uint8_t)id, 0, 0, 64, proto};
	pg_addr4(src, h + 12);
	pg_addr4(dst, h + 16);
	mml_wbuf w = mml_wbuf_make(out);
	ipv4_header(&w, h, 20, 20 + len, frag_off, mf);
	mml_wbuf_bytes(&w, l4, len);
	pg_check(&w);
}

void pg_ipv4(mml_buf *out, const char *src, const char *dst, uint8_t proto, const void *l4, size_t len)
{
	pg_ipv4_ex(out, src, dst, proto, 0x4242, 0, 0, l4, len);
}

void pg_ipv4_frag(mml_buf *out, const uint8_t *dgram, size_t dlen, size_t off, size_t n, int mf)
{
	mml_cur c = mml_cur_make(dgram, dlen);
	uint8_t vihl;
	const uint8_t *h, *payload;
	if (mml_cur_peek(&c, 0, &vihl) || mml_cur_bytes(&c, (size_t)(vihl & 15) * 4, &h) || mml_cur_skip(&c, off) ||
	    mml_cur_bytes(&c, n, &payload))
		abort();
	size_t ihl = (size_t)(vihl & 15) * 4;
	mml_wbuf w = mml_wbuf_make(out);
	ipv4_header(&w, h, ihl, ihl + n, off, mf);
	mml_wbuf_bytes(&w, payload, n);
	pg_check(&w);
}

void pg_ipv6_ex(mml_buf *out, const char *src, const char *dst, uint8_t proto, int ext, const void *l4, size_t len)
{
	/* extension chain in order: hop-by-hop (0), dest opts (60), fragment (44) */
	uint8_t chain[3];
	int nchain = 0;
	if (ext & PG_V6_HBH)
		chain[nchain++] = 0;
	if (ext & PG_V6_DSTOPT)
		chain[nchain++] = 60;
	if (ext & PG_V6_FRAG)
		chain[nchain++] = 44;
	size_t extlen = (size_t)nchain * 8;
	mml_wbuf w = mml_wbuf_make(out);
	mml_wbuf_be32(&w, 0x60000000u);
	mml_wbuf_be16(&w, (uint16_t)(extlen + len));
	mml_wbuf_u8(&w, nchain ? chain[0] : proto);
	mml_wbuf_u8(&w, 64);
	uint8_t a[16];
	pg_addr6(src, a);
	mml_wbuf_bytes(&w, a, 16);
	pg_addr6(dst, a);
	mml_wbuf_bytes(&w, a, 16);
	for (int i = 0; i < nchain; i++) {
		uint8_t next = i + 1 < nchain ? chain[i + 1] : proto;
		if (chain[i] == 44) {
			/* fragment header: next, reserved, offset 0 + M flag, id */
			mml_wbuf_u8(&w, next);
			mml_wbuf_u8(&w, 0);
			mml_wbuf_be16(&w, 0x0001);
			mml_wbuf_be32(&w, 0xabcdef01u);
		} else {
			/* 8-byte options header: next, hdr ext len 0, PadN(4) */
			uint8_t h[8] = {next, 0, 1, 4, 0, 0, 0, 0};
			mml_wbuf_bytes(&w, h, 8);
		}
	}
	mml_wbuf_bytes(&w, l4, len);
	pg_check(&w);
}

void pg_ipv6(mml_buf *out, const char *src, const char *dst, uint8_t proto, const void *l4, size_t len)
{
	pg_ipv6_ex(out, src, dst, proto, 0, l4, len);
}

/* ---- layer 2 ---- */

static const uint8_t mac_dst[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t mac_src[6] = {0x02, 0, 0, 0, 0, 0x01};

void pg_eth(mml_buf *out, uint16_t ethertype, const uint16_t *tpids, const uint16_t *vids, int ntags,
            const void *l3, size_t len)
{
	mml_wbuf w = mml_wbuf_make(out);
	mml_wbuf_bytes(&w, mac_dst, 6);
	mml_wbuf_bytes(&w, mac_src, 6);
	for (int i = 0; i < ntags; i++) {
		mml_wbuf_be16(&w, tpids[i]);
		mml_wbuf_be16(&w, (uint16_t)(vids[i] & 0x0fff));
	}
	mml_wbuf_be16(&w, ethertype);
	mml_wbuf_bytes(&w, l3, len);
	pg_check(&w);
}

void pg_sll(mml_buf *out, uint16_t ethertype, const void *l3, size_t len)
{
	mml_wbuf w = mml_wbuf_make(out);
	mml_wbuf_be16(&w, 0); /* packet type: to us */
	mml_wbuf_be16(&w, 1); /* ARPHRD_ETHER */
	mml_wbuf_be16(&w, 6); /* address length */
	mml_wbuf_bytes(&w, mac_src, 6);
	mml_wbuf_be16(&w, 0); /* address padding to 8 */
	mml_wbuf_be16(&w, ethertype);
	mml_wbuf_bytes(&w, l3, len);
	pg_check(&w);
}

void pg_sll2(mml_buf *out, uint16_t ethertype, const void *l3, size_t len)
{
	mml_wbuf w = mml_wbuf_make(out);
	mml_wbuf_be16(&w, ethertype);
	mml_wbuf_be16(&w, 0); /* reserved */
	mml_wbuf_be32(&w, 2); /* interface index */
	mml_wbuf_be16(&w, 1); /* ARPHRD_ETHER */
	mml_wbuf_u8(&w, 0);   /* packet type */
	mml_wbuf_u8(&w, 6);   /* address length */
	mml_wbuf_bytes(&w, mac_src, 6);
	mml_wbuf_be16(&w, 0); /* address padding to 8 */
	mml_wbuf_bytes(&w, l3, len);
	pg_check(&w);
}

void pg_null(mml_buf *out, uint32_t family, const void *l3, size_t len)
{
	mml_wbuf w = mml_wbuf_make(out);
	mml_wbuf_bytes(&w, &family, 4); /* host byte order */
	mml_wbuf_bytes(&w, l3, len);
	pg_check(&w);
}

void pg_link(mml_buf *out, int linktype, const void *ip, size_t len)
{
	int v6 = len && (((const uint8_t *)ip)[0] >> 4) == 6;
	uint16_t et = v6 ? 0x86dd : 0x0800;
	switch (linktype) {
	case PG_LT_EN10MB: pg_eth(out, et, NULL, NULL, 0, ip, len); break;
	case PG_LT_SLL: pg_sll(out, et, ip, len); break;
	case PG_LT_SLL2: pg_sll2(out, et, ip, len); break;
	case PG_LT_NULL: pg_null(out, v6 ? 24 : 2, ip, len); break;
	default: { /* raw IP: 12, 101, 228, 229 */
		mml_wbuf w = mml_wbuf_make(out);
		mml_wbuf_bytes(&w, ip, len);
		pg_check(&w);
		break;
	}
	}
}

/* ---- capture files (tools/sim/pcapw.c) ---- */

void pg_cap_init(pg_cap *c, int fmt, int linktype, int big_endian, int nano)
{
	memset(c, 0, sizeof *c);
	c->f = (sim_capfmt){.pcapng = fmt == PG_PCAPNG, .big_endian = big_endian, .nano = nano, .linktype = linktype};
	mml_buf_init(&c->b, 0);
	mml_wbuf w = mml_wbuf_make(&c->b);
	sim_cap_header(&w, &c->f);
	pg_check(&w);
}

void pg_cap_add_ns(pg_cap *c, uint64_t ts_ns, const void *frame, size_t len)
{
	mml_wbuf w = mml_wbuf_make(&c->b);
	sim_cap_packet(&w, &c->f, ts_ns, frame, len);
	pg_check(&w);
}

void pg_cap_add(pg_cap *c, uint64_t ts_us, const void *frame, size_t len)
{
	pg_cap_add_ns(c, ts_us * 1000, frame, len);
}

const char *pg_write_file(const char *name, const void *p, size_t n)
{
	static char buf[8][600];
	static int i;
	char *path = buf[i++ & 7];
	snprintf(path, sizeof buf[0], "%s/%s", mml_test_tmpdir(), name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return NULL;
	if (n && fwrite(p, 1, n, f) != n) {
		fclose(f);
		return NULL;
	}
	if (fclose(f) != 0)
		return NULL;
	return path;
}

const char *pg_cap_write_n(const pg_cap *c, const char *name, size_t limit)
{
	size_t n = limit < c->b.len ? limit : c->b.len;
	return pg_write_file(name, c->b.p, n);
}

const char *pg_cap_write(const pg_cap *c, const char *name) { return pg_cap_write_n(c, name, (size_t)-1); }

void pg_cap_free(pg_cap *c) { mml_buf_free(&c->b); }
