/*
 * mmlens/flow.h - TCP connection tracking and per-direction reassembly
 * (stage 2).
 *
 * Format: TCP (RFC 9293) sequence space. Each connection is a flow with a
 * client and a server side; direction 0 is client->server, 1 is
 * server->client. The client is the sender of a bare SYN; without one the
 * side on a well-known or lower port is the server.
 *
 * Contract: in-order bytes are handed to `on_data` exactly once, zero-copy
 * from the packet when they arrive in order. Retransmitted and overlapping
 * bytes are trimmed (first copy wins). Segments ahead of the expected
 * sequence number wait in a per-flow queue capped at `ooo_cap` bytes; a
 * hole that cannot fill (queue over its cap, a peer ACK past it, FIN/RST,
 * eviction, end of input) is reported once through `on_gap` with its byte
 * count and delivery resumes after it. A SYN with a new sequence number on
 * a tracked 4-tuple closes the old flow first (port reuse). Memory is
 * bounded by max_flows x ooo_cap; idle flows expire after `idle_us` of
 * capture time. `on_close` is called exactly once per flow.
 */
#ifndef MMLENS_FLOW_H
#define MMLENS_FLOW_H

#include <stdint.h>

#include "mmlens/capture.h"

/* How a flow ended (mml_flow.end, set before on_close). */
typedef enum mml_flow_end {
	MML_FLOW_OPEN = 0,     /* not ended */
	MML_FLOW_CLOSED,       /* FIN both ways, RST, or a new SYN on the 4-tuple */
	MML_FLOW_IDLE,         /* no packet for idle_us: the connection may go on */
	MML_FLOW_EVICTED,      /* the table was full: the connection may go on */
	MML_FLOW_CAPTURE_END   /* the capture ended (flush) */
} mml_flow_end;

typedef struct mml_flow {
	uint64_t id;           /* 1-based, in order of first packet */
	mml_addr client, server;
	uint64_t first_us, last_us;
	void *user;            /* for the layer above */
	int end;               /* mml_flow_end */
	int syn;               /* it began with the client's SYN (not picked up mid-stream) */
} mml_flow;

typedef struct mml_flow_cbs {
	void *ctx;
	void (*on_open)(void *ctx, mml_flow *f);
	void (*on_data)(void *ctx, mml_flow *f, int dir, const uint8_t *p, size_t n,
	                uint64_t ts_us, uint64_t pkt_index);
	void (*on_gap)(void *ctx, mml_flow *f, int dir, uint64_t nbytes, uint64_t pkt_index);
	void (*on_close)(void *ctx, mml_flow *f);
} mml_flow_cbs;

typedef struct mml_flowtab_cfg {
	size_t max_flows;   /* live flows; the least recently used is evicted */
	size_t ooo_cap;     /* out-of-order bytes held per flow */
	uint64_t idle_us;   /* capture-time idle timeout */
} mml_flowtab_cfg;

typedef struct mml_flowtab mml_flowtab;

mml_flowtab *mml_flowtab_new(const mml_flowtab_cfg *cfg, const mml_flow_cbs *cbs, mml_stats *st);
/* Take flow ids from a counter shared by several tables (atomic adds). */
void mml_flowtab_share_ids(mml_flowtab *t, uint64_t *counter);
/* Feed one TCP packet. */
void mml_flowtab_packet(mml_flowtab *t, const mml_pkt *pkt);
/* Close every live flow (end of input), reporting holes. */
void mml_flowtab_flush(mml_flowtab *t);
void mml_flowtab_free(mml_flowtab *t);
size_t mml_flowtab_live(const mml_flowtab *t);

#endif
