/*
 * tools/sim/net.h - the simulator's network half: capture files and TCP
 * connections with realistic pathologies.
 *
 * Contract: packets are written in capture-time order as they are made
 * (streaming, nothing is held back but one segment for a swap). Each
 * pathology is a probability per data segment, drawn from the simulation
 * RNG, so a seed gives the same capture. Loss means the *capture* missed
 * a segment the receiver got: the receiver's ACK still covers it, as on a
 * real lossy tap. A stream's first segment (the HTTP head or hello) is
 * never lost, so that every exchange stays identifiable.
 */
#ifndef MMLENS_SIM_NET_H
#define MMLENS_SIM_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim.h"

/*
 * Capture file layout (pcapw.c), the one capture writer of the simulator
 * and the tests (tests/pcapgen.c): classic pcap
 * (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04) or pcapng
 * with one section and one interface (draft-ietf-opsawg-pcapng: SHB, IDB,
 * Enhanced Packet Blocks), in either byte order, with micro- or
 * nanosecond timestamps (pcap magic a1b23c4d; pcapng if_tsresol 9).
 */
typedef struct sim_capfmt {
	bool pcapng;
	bool big_endian;
	bool nano;
	int linktype;
	uint32_t snaplen;   /* 0: 262144 */
} sim_capfmt;

/* The file header: pcap's global header, or pcapng's SHB and IDB. */
void sim_cap_header(mml_wbuf *w, const sim_capfmt *f);
/* One packet: a pcap record or an Enhanced Packet Block, stamped ts_ns
 * nanoseconds since the epoch (rounded down to microseconds unless nano). */
void sim_cap_packet(mml_wbuf *w, const sim_capfmt *f, uint64_t ts_ns, const uint8_t *frame, size_t len);

/* A capture file being written (little-endian, microseconds). */
typedef struct sim_pcapw {
	FILE *f;
	sim_capfmt fmt;
	mml_buf rec;        /* the record being written */
	uint64_t bytes;     /* bytes written to the file */
	uint64_t packets;
	char *vbuf;
} sim_pcapw;

int sim_pcapw_open(sim_pcapw *w, const char *path, bool pcapng, int linktype);
void sim_pcapw_packet(sim_pcapw *w, uint64_t ts_us, const uint8_t *frame, size_t len);
int sim_pcapw_close(sim_pcapw *w);

typedef struct sim_netcfg {
	int mss;            /* TCP payload per segment (default 1400) */
	double p_ooo;       /* a segment swapped with the next one */
	double p_retrans;   /* a segment sent twice */
	double p_loss;      /* a segment missing from the capture */
	bool ipv6;
	bool vlan;
} sim_netcfg;

typedef struct sim_net {
	sim_netcfg cfg;
	sim_pcapw *w;
	sim_rng *rng;
	uint64_t now_us;    /* capture clock */
	mml_buf frame;      /* the frame being built */
	uint64_t lost_bytes, lost_segments;
} sim_net;

typedef struct sim_tcp {
	uint8_t cip[16], sip[16];
	uint16_t cport, sport;
	uint32_t seq[2];    /* next sequence number per direction */
	uint32_t isn[2];
	uint64_t sent[2];   /* bytes sent so far per direction */
} sim_tcp;

/* A byte range [lo, hi) of one send that the capture lost. */
typedef struct sim_range {
	size_t lo, hi;
} sim_range;
#define SIM_MAX_LOST 32

void sim_net_init(sim_net *n, const sim_netcfg *cfg, sim_pcapw *w, sim_rng *rng, uint64_t start_us);
void sim_net_free(sim_net *n);
/* Open a connection (3-way handshake) from a device address to a server. */
void sim_tcp_open(sim_net *n, sim_tcp *t, const uint8_t cip4[4], uint16_t cport, const uint8_t sip4[4],
                  uint16_t sport);
/*
 * Send bytes in one direction (0 client->server). The ranges of these
 * bytes the capture lost go to lost[0..*nlost) (at most SIM_MAX_LOST), so
 * the caller can mark the messages they belonged to.
 */
void sim_tcp_send(sim_net *n, sim_tcp *t, int dir, const uint8_t *p, size_t len, sim_range *lost, int *nlost);
/* One UDP datagram (at most 1400 bytes) from direction dir (0 client->server). */
void sim_udp_send(sim_net *n, const uint8_t cip4[4], uint16_t cport, const uint8_t sip4[4], uint16_t sport, int dir,
                  const uint8_t *p, size_t len);
/* FIN from both sides. */
void sim_tcp_close(sim_net *n, sim_tcp *t);
/* Advance the capture clock. */
static inline void sim_net_wait(sim_net *n, uint64_t us) { n->now_us += us; }

#endif
