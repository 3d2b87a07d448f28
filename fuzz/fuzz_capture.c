/*
 * fuzz_capture.c - libFuzzer harness: capture reading (libpcap, pcap and
 * pcapng), link/IP/TCP decoding, IPv4 fragment reassembly, TCP reassembly
 * and the MMTLS connection driver, end to end with an empty key log.
 *
 * The input is one capture file. It is written to a memfd (no file on
 * disk) and opened through /proc/self/fd/N, exactly as a path would be.
 * The raw input is also decoded directly as one frame of every supported
 * link type, and as a list of length-prefixed raw IPv4 frames sharing one
 * fragment table (reassembly).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmlens/capture.h"
#include "mmlens/conn.h"
#include "mmlens/flow.h"
#include "mmlens/keylog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink; /* keeps the byte reads alive */

static uint64_t sum_bytes(const uint8_t *p, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

static void touch_pkt(const mml_pkt *pkt)
{
	char a[64], b[64];
	mml_addr_format(&pkt->src, a, sizeof a);
	mml_addr_format(&pkt->dst, b, sizeof b);
	sink += sum_bytes(pkt->payload, pkt->paylen) + (uint64_t)strlen(a) + (uint64_t)strlen(b) + pkt->seq +
	        pkt->tcp_flags;
}

static void on_outer(void *ctx, const mml_outer *o)
{
	(void)ctx;
	uint64_t s = o->len + (uint64_t)o->status + o->rec_seq + o->gap_bytes;
	if (o->data)
		s += sum_bytes(o->data, o->len);
	if (o->detail)
		s += strlen(o->detail);
	if (o->http_method)
		s += strlen(o->http_method);
	if (o->http_path)
		s += strlen(o->http_path);
	if (o->http_host)
		s += strlen(o->http_host);
	s += strlen(mml_status_name(o->status)) + strlen(mml_transport_name(o->transport));
	sink += s;
}

static void on_hello(void *ctx, const mml_flow *f, int dir, mml_transport tr, uint64_t ts_us, uint64_t pkt,
                     const mml_hello *h, mml_err parse_err)
{
	(void)ctx;
	(void)f;
	uint64_t s = (uint64_t)dir + tr + ts_us + pkt + parse_err + h->nsuites + h->next;
	if (h->random)
		s += sum_bytes(h->random, 32);
	for (unsigned i = 0; i < h->ntickets; i++)
		s += sum_bytes(h->tickets[i].nonce, h->tickets[i].nonce_len) +
		     sum_bytes(h->tickets[i].ticket, h->tickets[i].ticket_len);
	for (unsigned i = 0; i < h->nkeys; i++)
		s += sum_bytes(h->keys[i].key, h->keys[i].key_len);
	sink += s;
}

static int memfd = -1;

/* Run the whole pipeline over the input as a capture file. */
static void run_capture(const uint8_t *data, size_t size)
{
	if (memfd < 0) {
		memfd = memfd_create("fuzz_capture", MFD_CLOEXEC);
		if (memfd < 0)
			abort();
	}
	if (ftruncate(memfd, 0) != 0)
		abort();
	size_t done = 0;
	while (done < size) {
		ssize_t w = pwrite(memfd, data + done, size - done, (off_t)done);
		if (w <= 0)
			abort();
		done += (size_t)w;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", memfd);

	mml_stats st;
	memset(&st, 0, sizeof st);
	mml_capture cap;
	if (mml_capture_open(&cap, path, &st) != MML_OK) {
		sink += strlen(cap.errbuf);
		return;
	}
	mml_keylog kl;
	mml_keylog_init(&kl);
	mml_conn_cbs ccbs = {.ctx = NULL, .on_outer = on_outer, .on_hello = on_hello};
	mml_mmtls_ctx *m = mml_mmtls_new(&kl, &ccbs, &st);
	if (!m)
		abort();
	mml_flow_cbs fcbs;
	mml_mmtls_flow_cbs(m, &fcbs);
	/* small limits, so eviction, the out-of-order cap and expiry run */
	mml_flowtab_cfg cfg = {.max_flows = 4, .ooo_cap = 4096, .idle_us = 30ull * 1000000ull};
	mml_flowtab *t = mml_flowtab_new(&cfg, &fcbs, &st);
	if (!t)
		abort();
	mml_pkt pkt;
	mml_err e;
	while ((e = mml_capture_next(&cap, &pkt)) == MML_OK) {
		touch_pkt(&pkt);
		mml_flowtab_packet(t, &pkt);
	}
	sink += (uint64_t)e + strlen(cap.errbuf) + mml_flowtab_live(t);
	mml_flowtab_flush(t);
	mml_flowtab_free(t);
	mml_mmtls_free(m);
	mml_keylog_free(&kl);
	mml_capture_close(&cap);
	/* the accounting identity of mml_stats */
	if (st.records != st.records_decrypted + st.records_plaintext + st.records_no_key + st.records_auth_failed +
	                      st.records_truncated)
		abort();
	sink += st.packets + st.records;
}

/* Decode the raw input as one frame of each link type. */
static void run_frames(const uint8_t *data, size_t size)
{
	static const int linktypes[] = {1, 113, 276, 0, 108, 12, 101, 228, 229, 147};
	mml_ipfrag *frag = mml_ipfrag_new();
	if (!frag)
		abort();
	mml_stats st;
	memset(&st, 0, sizeof st);
	for (size_t i = 0; i < sizeof linktypes / sizeof linktypes[0]; i++) {
		mml_pkt pkt;
		memset(&pkt, 0, sizeof pkt);
		pkt.ts_us = 1000000u * i;
		if (mml_decode_frame(linktypes[i], data, size, &pkt, &st, frag) == MML_OK)
			touch_pkt(&pkt);
	}
	/*
	 * Then as a list of frames, each "len(2, big endian) | raw IP frame",
	 * through one fragment table, so that reassembly, overlap and slot
	 * eviction run. The first byte picks the link type of the list.
	 */
	if (size >= 1) {
		int lt = (data[0] & 1) ? 101 : 228;
		size_t off = 1;
		uint64_t ts = 0;
		while (off + 2 <= size) {
			size_t n = (size_t)data[off] << 8 | data[off + 1];
			off += 2;
			if (n > size - off)
				n = size - off;
			mml_pkt pkt;
			memset(&pkt, 0, sizeof pkt);
			pkt.ts_us = ts;
			ts += (n & 1) ? 40000000u : 1000u; /* odd lengths jump past the fragment timeout */
			if (mml_decode_frame(lt, data + off, n, &pkt, &st, frag) == MML_OK)
				touch_pkt(&pkt);
			off += n;
		}
	}
	mml_ipfrag_free(frag);
	sink += st.pkt_tcp + st.pkt_ipv4_frag_reassembled;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_capture(data, size);
	run_frames(data, size);
	return 0;
}
