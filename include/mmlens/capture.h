/*
 * mmlens/capture.h - capture reading and packet decoding (stage 1).
 *
 * Formats: classic pcap (magics a1b2c3d4 / a1b23c4d, either byte order) and
 * pcapng (block type 0a0d0d0a), told apart by the first four bytes, never
 * by the file name; reading itself is libpcap's. Input is a path or "-"
 * for standard input; the capture is read once, front to back.
 *
 * Link types decoded here: Ethernet (DLT_EN10MB, with 802.1Q/802.1ad
 * tags), Linux cooked SLL (113) and SLL2 (276), raw IP (12, 101, 228,
 * 229) and BSD loopback/null (0, 108). Then IPv4 (fragments reassembled in
 * a bounded table, see ipfrag.c) or IPv6 (extension headers walked;
 * fragments counted and skipped), then TCP. UDP, ICMP and everything else
 * is counted in mml_stats and skipped.
 *
 * Contract: `mml_pkt` is a view into libpcap's buffer (or the reassembly
 * buffer) valid only until the next call to mml_capture_next().
 */
#ifndef MMLENS_CAPTURE_H
#define MMLENS_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mmlens/err.h"
#include "mmlens/stats.h"

enum { MML_TCP_FIN = 0x01, MML_TCP_SYN = 0x02, MML_TCP_RST = 0x04, MML_TCP_PSH = 0x08, MML_TCP_ACK = 0x10 };

typedef struct mml_addr {
	uint8_t ver;     /* 4 or 6 */
	uint8_t ip[16];  /* IPv4 in the first 4 bytes */
	uint16_t port;
} mml_addr;

typedef struct mml_pkt {
	uint64_t index;     /* 1-based packet number in the capture */
	uint64_t ts_us;     /* capture time, microseconds since the epoch */
	mml_addr src, dst;
	uint8_t proto;      /* 6 for TCP; the only protocol delivered */
	uint8_t tcp_flags;
	uint32_t seq, ack;
	const uint8_t *payload;
	size_t paylen;
} mml_pkt;

typedef enum mml_capfmt { MML_CAP_PCAP, MML_CAP_PCAPNG } mml_capfmt;

typedef struct mml_ipfrag mml_ipfrag; /* opaque reassembly table */

typedef struct mml_capture {
	void *pcap;          /* pcap_t */
	void *fp;            /* FILE* handed to libpcap */
	mml_capfmt fmt;
	int linktype;
	uint64_t index;
	mml_stats *stats;
	mml_ipfrag *frag;
	char errbuf[512];
	const char *name;    /* input name for messages */
} mml_capture;

/* Open a capture; MML_E_IO or MML_E_MALFORMED with cap->errbuf set. */
mml_err mml_capture_open(mml_capture *cap, const char *path, mml_stats *stats);
/*
 * Next TCP packet. Returns MML_OK with *pkt filled, MML_E_END at a
 * clean end of input, MML_E_TRUNCATED when the file ends inside a packet
 * record (errbuf says where), MML_E_MALFORMED on a read error.
 * Non-TCP packets are counted and skipped inside.
 */
mml_err mml_capture_next(mml_capture *cap, mml_pkt *pkt);
void mml_capture_close(mml_capture *cap);

/*
 * Decode one link-layer frame to a TCP packet (exposed for tests and the
 * fuzz harness). Returns MML_OK for TCP, MML_E_UNSUPPORTED for non-TCP
 * (counted), MML_E_MALFORMED/TRUNCATED for broken frames (counted), and
 * MML_E_INCOMPLETE for an IPv4 fragment held for reassembly (a fragment
 * reassembly refuses is MML_E_MALFORMED or MML_E_NOMEM, counted as
 * dropped).
 */
mml_err mml_decode_frame(int linktype, const uint8_t *frame, size_t len, mml_pkt *pkt,
                         mml_stats *st, mml_ipfrag *frag);

/* IPv4 fragment reassembly table (bounded: slots x 64 KiB). */
mml_ipfrag *mml_ipfrag_new(void);
void mml_ipfrag_free(mml_ipfrag *t);
/*
 * Add a fragment: ip[0..len) is one IPv4 datagram, header and payload.
 * When this completes a datagram, returns MML_OK and points *out and
 * *outlen at the whole datagram (header + payload), valid until the next
 * call. MML_E_INCOMPLETE while waiting for more fragments;
 * MML_E_MALFORMED (counted as dropped) for a header that is not IPv4 or
 * longer than len, and for fragments that cannot form one datagram.
 */
mml_err mml_ipfrag_add(mml_ipfrag *t, const uint8_t *ip, size_t len, uint64_t ts_us,
                       const uint8_t **out, size_t *outlen, mml_stats *st);

/* "1.2.3.4:80" or "[::1]:80" */
void mml_addr_format(const mml_addr *a, char *buf, size_t n);

static inline bool mml_addr_eq(const mml_addr *a, const mml_addr *b)
{
	return a->ver == b->ver && a->port == b->port && !memcmp(a->ip, b->ip, sizeof a->ip);
}

/* A hash of a connection's two endpoints, the same in either order (flow
 * table buckets use its low bits; pick other bits for anything else). */
uint32_t mml_addr_pair_hash(const mml_addr *a, const mml_addr *b);

#endif
