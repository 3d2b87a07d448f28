/*
 * tests/flowconv.c - the TCP conversation of tests/flowconv.h.
 */
#include <string.h>

#include "flowconv.h"

mml_addr addr4(const char *ip, uint16_t port)
{
	mml_addr a;
	memset(&a, 0, sizeof a);
	a.ver = 4;
	pg_addr4(ip, a.ip);
	a.port = port;
	return a;
}

int addr_is(const mml_addr *a, const char *ip, uint16_t port)
{
	mml_addr b = addr4(ip, port);
	return a->ver == 4 && !memcmp(a->ip, b.ip, 16) && a->port == port;
}

void conv_init(conv *c, mml_flowtab *t, const char *ip0, uint16_t p0, const char *ip1, uint16_t p1, uint32_t isn0,
               uint32_t isn1)
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
void send_at(conv *c, int s, uint8_t flags, uint32_t seq, uint32_t ack, const void *p, size_t n)
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
void send(conv *c, int s, uint8_t flags, const void *p, size_t n)
{
	if (flags != MML_TCP_SYN)
		flags |= MML_TCP_ACK;
	send_at(c, s, flags, c->seq[s], (flags & MML_TCP_ACK) ? c->seq[!s] : 0, p, n);
	c->seq[s] += (uint32_t)n + ((flags & MML_TCP_SYN) ? 1 : 0) + ((flags & MML_TCP_FIN) ? 1 : 0);
}

void handshake(conv *c)
{
	send(c, 0, MML_TCP_SYN, NULL, 0);
	send(c, 1, MML_TCP_SYN | MML_TCP_ACK, NULL, 0);
	send(c, 0, MML_TCP_ACK, NULL, 0);
}

void fin_both(conv *c)
{
	send(c, 0, MML_TCP_FIN, NULL, 0);
	send(c, 1, MML_TCP_FIN, NULL, 0);
	send(c, 0, MML_TCP_ACK, NULL, 0);
}

void fill(uint8_t *p, size_t n, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

int buf_is(const mml_buf *b, const void *p, size_t n) { return b->len == n && (!n || !memcmp(b->p, p, n)); }
