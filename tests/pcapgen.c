/* tests/pcapgen.c - see tests/pcapgen.h */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapgen.h"
#include "test.h"

/* ---- buffer ---- */

void pg_buf_free(pg_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void pg_buf_reset(pg_buf *b) { b->len = 0; }

void pg_put(pg_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t nc = b->cap ? b->cap : 256;
		while (nc < b->len + n)
			nc *= 2;
		uint8_t *np = realloc(b->p, nc);
		if (!np)
			abort();
		b->p = np;
		b->cap = nc;
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

void pg_u8(pg_buf *b, uint8_t v) { pg_put(b, &v, 1); }

void pg_be16(pg_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	pg_put(b, x, 2);
}

void pg_be32(pg_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	pg_put(b, x, 4);
}

static void put16(pg_buf *b, uint16_t v, int be)
{
	uint8_t x[2];
	if (be)
		x[0] = (uint8_t)(v >> 8), x[1] = (uint8_t)v;
	else
		x[0] = (uint8_t)v, x[1] = (uint8_t)(v >> 8);
	pg_put(b, x, 2);
}

static void put32(pg_buf *b, uint32_t v, int be)
{
	uint8_t x[4];
	for (int i = 0; i < 4; i++)
		x[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
	pg_put(b, x, 4);
}

static void pad4(pg_buf *b)
{
	while (b->len % 4)
		pg_u8(b, 0);
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

void pg_tcp_ex(pg_buf *out, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
               uint8_t doff, const void *payload, size_t len)
{
	if (!doff)
		doff = 5;
	pg_be16(out, sport);
	pg_be16(out, dport);
	pg_be32(out, seq);
	pg_be32(out, ack);
	pg_be16(out, (uint16_t)((doff & 15) << 12 | flags));
	pg_be16(out, 65535); /* window */
	pg_be16(out, 0);     /* checksum (not checked) */
	pg_be16(out, 0);     /* urgent */
	for (int i = 5; i < doff; i++)
		pg_be32(out, 0x01010101); /* NOP options */
	pg_put(out, payload, len);
}

void pg_tcp(pg_buf *out, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
            const void *payload, size_t len)
{
	pg_tcp_ex(out, sport, dport, seq, ack, flags, 5, payload, len);
}

void pg_udp(pg_buf *out, uint16_t sport, uint16_t dport, const void *payload, size_t len)
{
	pg_be16(out, sport);
	pg_be16(out, dport);
	pg_be16(out, (uint16_t)(8 + len));
	pg_be16(out, 0);
	pg_put(out, payload, len);
}

void pg_icmp(pg_buf *out, int v6, const void *payload, size_t len)
{
	size_t start = out->len;
	pg_u8(out, v6 ? 128 : 8); /* echo request */
	pg_u8(out, 0);
	pg_be16(out, 0);
	pg_be16(out, 0x1234); /* id */
	pg_be16(out, 1);      /* seq */
	pg_put(out, payload, len);
	if (!v6) {
		uint16_t c = csum16(out->p + start, out->len - start);
		out->p[start + 2] = (uint8_t)(c >> 8);
		out->p[start + 3] = (uint8_t)c;
	}
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

void pg_ipv4_ex(pg_buf *out, const char *src, const char *dst, uint8_t proto, uint16_t id, uint16_t frag_off,
                int mf, const void *l4, size_t len)
{
	uint8_t h[20];
	size_t tot = 20 + len;
	h[0] = 0x45;
	h[1] = 0;
	h[2] = (uint8_t)(tot >> 8);
	h[3] = (uint8_t)tot;
	h[4] = (uint8_t)(id >> 8);
	h[5] = (uint8_t)id;
	uint16_t fo = (uint16_t)((frag_off / 8) & 0x1fff) | (mf ? 0x2000 : 0);
	h[6] = (uint8_t)(fo >> 8);
	h[7] = (uint8_t)fo;
	h[8] = 64;
	h[9] = proto;
	h[10] = h[11] = 0;
	pg_addr4(src, h + 12);
	pg_addr4(dst, h + 16);
	uint16_t c = csum16(h, 20);
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
	pg_put(out, h, 20);
	pg_put(out, l4, len);
}

void pg_ipv4(pg_buf *out, const char *src, const char *dst, uint8_t proto, const void *l4, size_t len)
{
	pg_ipv4_ex(out, src, dst, proto, 0x4242, 0, 0, l4, len);
}

void pg_ipv4_frag(pg_buf *out, const uint8_t *dgram, size_t dlen, size_t off, size_t n, int mf)
{
	size_t ihl = (size_t)(dgram[0] & 15) * 4;
	if (ihl + off + n > dlen)
		abort();
	uint8_t h[60];
	memcpy(h, dgram, ihl);
	size_t tot = ihl + n;
	h[2] = (uint8_t)(tot >> 8);
	h[3] = (uint8_t)tot;
	uint16_t fo = (uint16_t)((off / 8) & 0x1fff) | (mf ? 0x2000 : 0);
	h[6] = (uint8_t)(fo >> 8);
	h[7] = (uint8_t)fo;
	h[10] = h[11] = 0;
	uint16_t c = csum16(h, ihl);
	h[10] = (uint8_t)(c >> 8);
	h[11] = (uint8_t)c;
	pg_put(out, h, ihl);
	pg_put(out, dgram + ihl + off, n);
}

void pg_ipv6_ex(pg_buf *out, const char *src, const char *dst, uint8_t proto, int ext, const void *l4, size_t len)
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
	pg_be32(out, 0x60000000u);
	pg_be16(out, (uint16_t)(extlen + len));
	pg_u8(out, nchain ? chain[0] : proto);
	pg_u8(out, 64);
	uint8_t a[16];
	pg_addr6(src, a);
	pg_put(out, a, 16);
	pg_addr6(dst, a);
	pg_put(out, a, 16);
	for (int i = 0; i < nchain; i++) {
		uint8_t next = i + 1 < nchain ? chain[i + 1] : proto;
		if (chain[i] == 44) {
			/* fragment header: next, reserved, offset 0 + M flag, id */
			pg_u8(out, next);
			pg_u8(out, 0);
			pg_be16(out, 0x0001);
			pg_be32(out, 0xabcdef01u);
		} else {
			/* 8-byte options header: next, hdr ext len 0, PadN(4) */
			uint8_t h[8] = {next, 0, 1, 4, 0, 0, 0, 0};
			pg_put(out, h, 8);
		}
	}
	pg_put(out, l4, len);
}

void pg_ipv6(pg_buf *out, const char *src, const char *dst, uint8_t proto, const void *l4, size_t len)
{
	pg_ipv6_ex(out, src, dst, proto, 0, l4, len);
}

/* ---- layer 2 ---- */

static const uint8_t mac_dst[6] = {0x02, 0, 0, 0, 0, 0x02};
static const uint8_t mac_src[6] = {0x02, 0, 0, 0, 0, 0x01};

void pg_eth(pg_buf *out, uint16_t ethertype, const uint16_t *tpids, const uint16_t *vids, int ntags,
            const void *l3, size_t len)
{
	pg_put(out, mac_dst, 6);
	pg_put(out, mac_src, 6);
	for (int i = 0; i < ntags; i++) {
		pg_be16(out, tpids[i]);
		pg_be16(out, (uint16_t)(vids[i] & 0x0fff));
	}
	pg_be16(out, ethertype);
	pg_put(out, l3, len);
}

void pg_sll(pg_buf *out, uint16_t ethertype, const void *l3, size_t len)
{
	pg_be16(out, 0);      /* packet type: to us */
	pg_be16(out, 1);      /* ARPHRD_ETHER */
	pg_be16(out, 6);      /* address length */
	pg_put(out, mac_src, 6);
	pg_be16(out, 0);      /* address padding to 8 */
	pg_be16(out, ethertype);
	pg_put(out, l3, len);
}

void pg_sll2(pg_buf *out, uint16_t ethertype, const void *l3, size_t len)
{
	pg_be16(out, ethertype);
	pg_be16(out, 0);      /* reserved */
	pg_be32(out, 2);      /* interface index */
	pg_be16(out, 1);      /* ARPHRD_ETHER */
	pg_u8(out, 0);        /* packet type */
	pg_u8(out, 6);        /* address length */
	pg_put(out, mac_src, 6);
	pg_be16(out, 0);      /* address padding to 8 */
	pg_put(out, l3, len);
}

void pg_null(pg_buf *out, uint32_t family, const void *l3, size_t len)
{
	pg_put(out, &family, 4); /* host byte order */
	pg_put(out, l3, len);
}

void pg_link(pg_buf *out, int linktype, const void *ip, size_t len)
{
	int v6 = len && (((const uint8_t *)ip)[0] >> 4) == 6;
	uint16_t et = v6 ? 0x86dd : 0x0800;
	switch (linktype) {
	case PG_LT_EN10MB: pg_eth(out, et, NULL, NULL, 0, ip, len); break;
	case PG_LT_SLL: pg_sll(out, et, ip, len); break;
	case PG_LT_SLL2: pg_sll2(out, et, ip, len); break;
	case PG_LT_NULL: pg_null(out, v6 ? 24 : 2, ip, len); break;
	default: pg_put(out, ip, len); break; /* raw IP: 12, 101, 228, 229 */
	}
}

/* ---- capture files ---- */

void pg_cap_init(pg_cap *c, int fmt, int linktype, int big_endian, int nano)
{
	memset(c, 0, sizeof *c);
	c->ng = fmt == PG_PCAPNG;
	c->big_endian = big_endian;
	c->nano = nano;
	c->linktype = linktype;
	c->snaplen = 262144;
	int be = big_endian;
	if (!c->ng) {
		put32(&c->b, nano ? 0xa1b23c4du : 0xa1b2c3d4u, be);
		put16(&c->b, 2, be);
		put16(&c->b, 4, be);
		put32(&c->b, 0, be); /* thiszone */
		put32(&c->b, 0, be); /* sigfigs */
		put32(&c->b, c->snaplen, be);
		put32(&c->b, (uint32_t)linktype, be);
		return;
	}
	/* Section Header Block */
	put32(&c->b, 0x0a0d0d0au, be);
	put32(&c->b, 28, be);
	put32(&c->b, 0x1a2b3c4du, be);
	put16(&c->b, 1, be);
	put16(&c->b, 0, be);
	put32(&c->b, 0xffffffffu, be); /* section length -1 (unknown) */
	put32(&c->b, 0xffffffffu, be);
	put32(&c->b, 28, be);
	/* Interface Description Block */
	uint32_t idb_len = 20 + (nano ? 12 : 0);
	put32(&c->b, 1, be);
	put32(&c->b, idb_len, be);
	put16(&c->b, (uint16_t)linktype, be);
	put16(&c->b, 0, be);
	put32(&c->b, c->snaplen, be);
	if (nano) {
		put16(&c->b, 9, be); /* if_tsresol */
		put16(&c->b, 1, be);
		pg_u8(&c->b, 9);     /* 10^-9 */
		pad4(&c->b);
		put16(&c->b, 0, be); /* opt_endofopt */
		put16(&c->b, 0, be);
	}
	put32(&c->b, idb_len, be);
}

void pg_cap_add_ns(pg_cap *c, uint64_t ts_ns, const void *frame, size_t len)
{
	int be = c->big_endian;
	uint64_t ts = c->nano ? ts_ns : ts_ns / 1000;
	if (!c->ng) {
		uint64_t div = c->nano ? 1000000000ull : 1000000ull;
		put32(&c->b, (uint32_t)(ts / div), be);
		put32(&c->b, (uint32_t)(ts % div), be);
		put32(&c->b, (uint32_t)len, be);
		put32(&c->b, (uint32_t)len, be);
		pg_put(&c->b, frame, len);
		return;
	}
	uint32_t padded = (uint32_t)((len + 3) & ~(size_t)3);
	uint32_t blen = 32 + padded;
	put32(&c->b, 6, be);
	put32(&c->b, blen, be);
	put32(&c->b, 0, be); /* interface 0 */
	put32(&c->b, (uint32_t)(ts >> 32), be);
	put32(&c->b, (uint32_t)ts, be);
	put32(&c->b, (uint32_t)len, be);
	put32(&c->b, (uint32_t)len, be);
	pg_put(&c->b, frame, len);
	pad4(&c->b);
	put32(&c->b, blen, be);
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

void pg_cap_free(pg_cap *c) { pg_buf_free(&c->b); }
