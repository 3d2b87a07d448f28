/*
 * mmlens/stats.h - the accounting every stage adds to (module util: the
 * counters and their sum; capture, flow, mmtls and envelope fill them,
 * report writes them out).
 *
 * Contract: counters only grow. Each MMTLS record lands in exactly one of
 * records_{decrypted,plaintext,no_key,auth_failed,truncated}, so that
 *   records == decrypted + plaintext + no_key + auth_failed + truncated.
 * Each packet lands in exactly one of the pkt_* outcome counters.
 */
#ifndef MMLENS_STATS_H
#define MMLENS_STATS_H

#include <stdint.h>

/* Every counter, in groups; the struct and the JSON writer come from this list. */
#define MML_STATS_FIELDS(X) \
	/* capture */ \
	X(packets) X(bytes) \
	X(pkt_tcp) X(pkt_udp) X(pkt_icmp) X(pkt_other_ip) X(pkt_non_ip) X(pkt_malformed) \
	X(pkt_unsupported_link) X(pkt_snaplen_cut) \
	X(pkt_ipv4_frag) X(pkt_ipv4_frag_reassembled) X(pkt_ipv4_frag_dropped) X(pkt_ipv6_frag) \
	X(pkt_ipv6) X(pkt_vlan) \
	/* tcp */ \
	X(tcp_flows) X(tcp_flows_evicted) X(tcp_port_reuse) \
	X(tcp_bytes) X(tcp_retrans_bytes) X(tcp_ooo_segments) X(tcp_gaps) X(tcp_gap_bytes) \
	X(tcp_cap_drops) \
	/* mmtls */ \
	X(records) X(records_decrypted) X(records_plaintext) X(records_no_key) \
	X(records_auth_failed) X(records_truncated) \
	X(records_key_logged) X(records_key_inferred) \
	X(handshakes) X(alerts_plaintext) X(resyncs) X(resync_skipped_bytes) \
	X(streams_longlink) X(streams_shortlink) X(streams_http) X(streams_other) X(streams_resumed) X(other_bytes) \
	X(http_malformed) \
	/* messages */ \
	X(messages) X(msg_requests) X(msg_responses) \
	X(msg_decrypted) X(msg_plaintext) X(msg_no_key) X(msg_inner_no_key) X(msg_inner_failed) \
	X(msg_inflate_capped) X(msg_inflate_error) X(msg_truncated) X(msg_envelope_malformed) \
	X(inner_cbc) X(inner_gcm) X(inner_none) X(inner_key_inferred) X(body_bytes) X(body_bytes_compressed) \
	/* key log */ \
	X(keylog_lines) X(keylog_bad_lines) X(keylog_outer) X(keylog_inner) X(keylog_outer_used) X(keylog_inner_used)

typedef struct mml_stats {
#define MML_STATS_MEMBER(n) uint64_t n;
	MML_STATS_FIELDS(MML_STATS_MEMBER)
#undef MML_STATS_MEMBER
} mml_stats;

/* dst += src, counter by counter. */
static inline void mml_stats_add(mml_stats *dst, const mml_stats *src)
{
#define MML_STATS_ADD(n) dst->n += src->n;
	MML_STATS_FIELDS(MML_STATS_ADD)
#undef MML_STATS_ADD
}

/* Written out by the report module (include/mmlens/report.h:
 * mml_stats_write_json, mml_stats_write_summary). */

#endif
