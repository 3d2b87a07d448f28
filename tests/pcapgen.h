/*
 * tests/pcapgen.h - a small in-memory capture builder for tests.
 *
 * Layers are built inside out into mml_buf buffers (a zero-initialised
 * one will do) through mml_wbuf:
 *   payload -> pg_tcp()/pg_udp()/pg_icmp() -> pg_ipv4()/pg_ipv6()
 *           -> pg_eth()/pg_sll()/pg_sll2()/pg_null()/pg_link()
 * and frames are appended to a pg_cap, which writes a classic pcap (either
 * byte order, micro- or nanosecond magic) or a minimal pcapng (SHB + IDB +
 * EPB) into the test temp dir, with the simulator's capture writer
 * (tools/sim/pcapw.c: one writer of capture files). Every builder appends
 * to `out`; nothing fails except on out-of-memory (which aborts: these
 * are tests).
 */
#ifndef MMLENS_TEST_PCAPGEN_H
#define MMLENS_TEST_PCAPGEN_H

#include <stddef.h>
#include <stdint.h>

#include "mmlens/cursor.h"
#include "net.h"

/* Abort when a test's writer failed (out of memory: these are tests). */
void pg_check(const mml_wbuf *w);

/* Link types (DLT_/LINKTYPE_ numbers). */
enum {
	PG_LT_NULL = 0,
	PG_LT_EN10MB = 1,
	PG_LT_RAW = 101,
	PG_LT_SLL = 113,
	PG_LT_IPV4 = 228,
	PG_LT_IPV6 = 229,
	PG_LT_SLL2 = 276,
};

/* ---- layer 4 ---- */

/* TCP header (data offset 5, or `doff` 32-bit words when nonzero; extra
 * option words are NOP-filled) followed by the payload. Checksum 0. */
void pg_tcp_ex(mml_buf *out, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
               uint8_t doff, const void *payload, size_t len);
void pg_tcp(mml_buf *out, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
            const void *payload, size_t len);
void pg_udp(mml_buf *out, uint16_t sport, uint16_t dport, const void *payload, size_t len);
/* ICMP (v4) or ICMPv6 echo request with the payload. */
void pg_icmp(mml_buf *out, int v6, const void *payload, size_t len);

/* ---- layer 3 ---- */

/* Textual address to bytes (4 or 16); aborts on a bad literal. */
void pg_addr4(const char *s, uint8_t out[4]);
void pg_addr6(const char *s, uint8_t out[16]);

/* IPv4 header with the right total length and checksum. `frag_off` is in
 * bytes (a multiple of 8), `mf` the more-fragments flag. */
void pg_ipv4_ex(mml_buf *out, const char *src, const char *dst, uint8_t proto, uint16_t id, uint16_t frag_off,
                int mf, const void *l4, size_t len);
void pg_ipv4(mml_buf *out, const char *src, const char *dst, uint8_t proto, const void *l4, size_t len);

/* Split a whole IPv4 datagram (header + payload, no options needed) into a
 * fragment carrying payload bytes [off, off+n); `mf` as given. */
void pg_ipv4_frag(mml_buf *out, const uint8_t *dgram, size_t dlen, size_t off, size_t n, int mf);

enum { PG_V6_HBH = 1, PG_V6_FRAG = 2, PG_V6_DSTOPT = 4 };
/* IPv6 header, optional extension headers (in the order hop-by-hop,
 * destination options, fragment), then the upper-layer bytes. */
void pg_ipv6_ex(mml_buf *out, const char *src, const char *dst, uint8_t proto, int ext, const void *l4, size_t len);
void pg_ipv6(mml_buf *out, const char *src, const char *dst, uint8_t proto, const void *l4, size_t len);

/* ---- layer 2 ---- */

/* Ethernet II; `tpids`/`vids` give ntags VLAN tags outermost first
 * (0x8100 802.1Q, 0x88a8 802.1ad). */
void pg_eth(mml_buf *out, uint16_t ethertype, const uint16_t *tpids, const uint16_t *vids, int ntags,
            const void *l3, size_t len);
void pg_sll(mml_buf *out, uint16_t ethertype, const void *l3, size_t len);
void pg_sll2(mml_buf *out, uint16_t ethertype, const void *l3, size_t len);
/* BSD null/loopback: 4-byte family in host byte order. */
void pg_null(mml_buf *out, uint32_t family, const void *l3, size_t len);
/* Wrap an IP packet for `linktype`, choosing the ethertype / family from
 * the IP version nibble (BSD null: 2 for IPv4, 24 for IPv6). */
void pg_link(mml_buf *out, int linktype, const void *ip, size_t len);

/* ---- capture files ---- */

enum { PG_PCAP = 0, PG_PCAPNG = 1 };

typedef struct pg_cap {
	mml_buf b;       /* the capture file's bytes */
	sim_capfmt f;
} pg_cap;

/* Start a capture: format PG_PCAP or PG_PCAPNG, byte order, and whether
 * timestamps are nanoseconds (pcap magic a1b23c4d; pcapng if_tsresol 9). */
void pg_cap_init(pg_cap *c, int fmt, int linktype, int big_endian, int nano);
/* Add a frame stamped ts_ns nanoseconds since the epoch (rounded down to
 * microseconds in a microsecond capture). */
void pg_cap_add_ns(pg_cap *c, uint64_t ts_ns, const void *frame, size_t len);
void pg_cap_add(pg_cap *c, uint64_t ts_us, const void *frame, size_t len);
/* Write the capture bytes (optionally only the first `limit` bytes when
 * limit != (size_t)-1) to <tmpdir>/<name>; returns the path (static, x8). */
const char *pg_cap_write_n(const pg_cap *c, const char *name, size_t limit);
const char *pg_cap_write(const pg_cap *c, const char *name);
void pg_cap_free(pg_cap *c);

/* Write raw bytes to <tmpdir>/<name>; returns the path (static, x8). */
const char *pg_write_file(const char *name, const void *p, size_t n);

#endif
