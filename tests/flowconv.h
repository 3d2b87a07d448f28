/*
 * tests/flowconv.h - a TCP conversation for the flow tests: two endpoints
 * with per-direction sequence numbers, fed to a flow table as mml_pkt
 * values (tests/test_flow.c, tests/test_mmtls_framing.c).
 */
#ifndef MMLENS_TESTS_FLOWCONV_H
#define MMLENS_TESTS_FLOWCONV_H

#include <stddef.h>
#include <stdint.h>

#include "mmlens/flow.h"
#include "pcapgen.h"

typedef struct conv {
	mml_flowtab *t;
	mml_addr ep[2];   /* ep[0] sends direction 0 */
	uint32_t seq[2];  /* next sequence number each side sends */
	uint64_t ts;
	uint64_t idx;
} conv;

mml_addr addr4(const char *ip, uint16_t port);
int addr_is(const mml_addr *a, const char *ip, uint16_t port);
void conv_init(conv *c, mml_flowtab *t, const char *ip0, uint16_t p0, const char *ip1, uint16_t p1, uint32_t isn0,
               uint32_t isn1);
/* Send from side `s` with explicit seq/ack, not moving the counters. */
void send_at(conv *c, int s, uint8_t flags, uint32_t seq, uint32_t ack, const void *p, size_t n);
/* Send from side `s` at its next sequence number, acking everything the other side sent. */
void send(conv *c, int s, uint8_t flags, const void *p, size_t n);
void handshake(conv *c);
void fin_both(conv *c);
void fill(uint8_t *p, size_t n, uint32_t seed);
int buf_is(const mml_buf *b, const void *p, size_t n);

#endif
