/*
 * stats.c - the accounting counters (mml_stats, include/mmlens/stats.h:
 * every stage adds to them) written out: as JSON (the --stats-json
 * contract, every counter by its field name, with the JSON writer of
 * util.h) and as a short human summary.
 */
#include <inttypes.h>

#include "mmlens/report.h"

void mml_stats_write_json(const mml_stats *s, FILE *f)
{
	mml_lw lw;
	mml_jw w;
	mml_jw_line(&w, &lw, f);
#define X(n) mml_jw_kv_u64(&w, #n, s->n);
	MML_STATS_FIELDS(X)
#undef X
	mml_jw_line_close(&w);
}

void mml_stats_write_summary(const mml_stats *s, FILE *f)
{
	fprintf(f,
	        "mmlens: %" PRIu64 " packets (%" PRIu64 " TCP, %" PRIu64 " UDP, %" PRIu64 " other), %" PRIu64
	        " TCP flows\n",
	        s->packets, s->pkt_tcp, s->pkt_udp, s->pkt_icmp + s->pkt_other_ip + s->pkt_non_ip, s->tcp_flows);
	fprintf(f,
	        "mmlens: %" PRIu64 " MMTLS records: %" PRIu64 " decrypted (%" PRIu64 " by logged key, %" PRIu64
	        " by inferred IV), %" PRIu64 " plaintext, %" PRIu64 " no key, %" PRIu64 " auth failed, %" PRIu64
	        " truncated\n",
	        s->records, s->records_decrypted, s->records_key_logged, s->records_key_inferred, s->records_plaintext,
	        s->records_no_key, s->records_auth_failed, s->records_truncated);
	fprintf(f,
	        "mmlens: %" PRIu64 " messages (%" PRIu64 " requests, %" PRIu64 " responses): %" PRIu64
	        " decrypted [cbc %" PRIu64 ", gcm %" PRIu64 ", none %" PRIu64 "], %" PRIu64 " plaintext HTTP, %" PRIu64
	        " no key, %" PRIu64 " inner no key, %" PRIu64 " truncated\n",
	        s->messages, s->msg_requests, s->msg_responses, s->msg_decrypted, s->inner_cbc, s->inner_gcm,
	        s->inner_none, s->msg_plaintext, s->msg_no_key, s->msg_inner_no_key, s->msg_truncated);
	if (s->tcp_gaps)
		fprintf(f, "mmlens: %" PRIu64 " TCP gaps, %" PRIu64 " bytes lost in the capture\n", s->tcp_gaps,
		        s->tcp_gap_bytes);
	if (s->streams_resumed)
		fprintf(f, "mmlens: %" PRIu64 " longlink(s) went on after an idle gap or eviction, with their keys\n",
		        s->streams_resumed);
	if (s->keylog_bad_lines)
		fprintf(f, "mmlens: %" PRIu64 " key log lines skipped\n", s->keylog_bad_lines);
}
