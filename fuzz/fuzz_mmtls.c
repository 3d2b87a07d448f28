/*
 * fuzz_mmtls.c - libFuzzer harness: MMTLS record framing, plaintext hello
 * parsing and JSON writing, HTTP/1.x heads, and the per-connection stream
 * state machine (longlink, shortlink, plain HTTP, chunked bodies, gaps,
 * resynchronisation) driven through the TCP flow table.
 *
 * Input layout for the stream part: the LAST 4 bytes are control bytes
 *   c0 c1  client stream length (big endian, modulo the data length)
 *   c2     base segment size - 1
 *   c3     seed of the segmenter's PRNG and option bits:
 *            bit 0 open with SYN / SYN-ACK     bit 1 drop bytes (gaps)
 *            bit 2 reorder segments            bit 3 retransmit segments
 *            bit 4 end with FIN (else RST if bit 5, else just flush)
 *            bit 6 idle jumps past the flow timeout
 * and everything before them is the client stream followed by the server
 * stream. Everything else uses the whole input.
 *
 * Bounds that keep the harness fast: the stream driver sends at most 512
 * segments, and the plain longlink stream is the first 512 bytes of the
 * input.
 *
 * Checks beyond memory safety (abort on failure): the record accounting
 * identity of mml_stats, on_open/on_close pairing, and - when the
 * connection opens with a SYN and never idles out - that the flow table
 * hands over exactly the stream's bytes, in order, with gaps reported at
 * the right size (a reassembly oracle).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/conn.h"
#include "mmlens/cursor.h"
#include "mmlens/flow.h"
#include "mmlens/keylog.h"
#include "mmlens/mmtls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;
static FILE *devnull;

static uint64_t sum_bytes(const uint8_t *p, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

static void hello_check(const uint8_t *p, size_t n)
{
	mml_hello h;
	if (mml_hello_parse(p, n, &h) != MML_OK)
		return;
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	mml_hello_write_json(&h, devnull);
	sink += h.nsuites + h.next + h.ntickets + h.nkeys;
}

/* ---- stream driver ---- */

static void on_outer(void *ctx, const mml_outer *o)
{
	(void)ctx;
	uint64_t s = o->len + (uint64_t)o->status + o->rec_seq + o->gap_bytes + (uint64_t)o->http_status;
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

/* Flow callbacks that check the flow table, then call mmtls's own. */
typedef struct oracle {
	mml_flow_cbs inner;      /* from mml_mmtls_flow_cbs */
	int check;               /* compare delivered bytes with the streams */
	const uint8_t *p[2];
	size_t n[2], pos[2];     /* stream bytes, and how far delivery got */
	size_t opens, closes;
} oracle;

static void o_open(void *ctx, mml_flow *f)
{
	oracle *o = ctx;
	o->opens++;
	o->inner.on_open(o->inner.ctx, f);
}

static void o_data(void *ctx, mml_flow *f, int dir, const uint8_t *p, size_t n, uint64_t ts, uint64_t pkt)
{
	oracle *o = ctx;
	if (dir != 0 && dir != 1)
		abort();
	if (o->check) {
		if (n > o->n[dir] - o->pos[dir] || memcmp(p, o->p[dir] + o->pos[dir], n) != 0)
			abort(); /* bytes that are not the stream's next bytes */
		o->pos[dir] += n;
	}
	o->inner.on_data(o->inner.ctx, f, dir, p, n, ts, pkt);
}

static void o_gap(void *ctx, mml_flow *f, int dir, uint64_t nbytes, uint64_t pkt)
{
	oracle *o = ctx;
	if (o->check) {
		if (nbytes == 0 || nbytes > o->n[dir] - o->pos[dir])
			abort(); /* a hole past the end of what was sent */
		o->pos[dir] += (size_t)nbytes;
	}
	o->inner.on_gap(o->inner.ctx, f, dir, nbytes, pkt);
}

static void o_close(void *ctx, mml_flow *f)
{
	oracle *o = ctx;
	o->closes++;
	o->inner.on_close(o->inner.ctx, f);
}

static void check_stats(const mml_stats *st)
{
	if (st->records != st->records_decrypted + st->records_plaintext + st->records_no_key +
	                       st->records_auth_failed + st->records_truncated)
		abort();
}

typedef struct rng {
	uint32_t s;
} rng;

static uint32_t rnd(rng *r)
{
	uint32_t x = r->s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return r->s = x;
}

typedef struct side {
	const uint8_t *p;
	size_t n, off;     /* bytes of this direction's stream, and how far sent */
	uint32_t isn;
	uint32_t seq;      /* sequence number of p[off] */
	/* one held-back segment for reordering */
	int held;
	size_t hoff, hlen;
	uint32_t hseq;
	/* last segment sent, for retransmission */
	size_t loff, llen;
	uint32_t lseq;
	int has_last;
} side;

typedef struct drv {
	mml_flowtab *t;
	side s[2];
	uint64_t ts;
	uint64_t index;
} drv;

static void send_pkt(drv *d, int dir, uint8_t flags, uint32_t seq, const uint8_t *p, size_t n)
{
	mml_pkt pkt;
	memset(&pkt, 0, sizeof pkt);
	pkt.index = ++d->index;
	pkt.ts_us = d->ts;
	const uint8_t cli[4] = {10, 0, 0, 1}, srv[4] = {10, 0, 0, 2};
	pkt.src.ver = pkt.dst.ver = 4;
	memcpy(pkt.src.ip, dir ? srv : cli, 4);
	memcpy(pkt.dst.ip, dir ? cli : srv, 4);
	pkt.src.port = dir ? 80 : 40000;
	pkt.dst.port = dir ? 40000 : 80;
	pkt.proto = 6;
	pkt.tcp_flags = flags;
	pkt.seq = seq;
	/* acknowledge everything the peer has put on the wire, lost bytes too */
	pkt.ack = d->s[!dir].seq;
	pkt.payload = p;
	pkt.paylen = n;
	mml_flowtab_packet(d->t, &pkt);
}

/*
 * One step of the segmenter: the next segment of one side, lost, held back
 * for reordering or retransmitted, as x and the option bits say. False
 * when both sides have sent everything.
 */
static int step(drv *d, uint32_t x, uint8_t opt, size_t segbase)
{
	int left0 = d->s[0].off < d->s[0].n || d->s[0].held, left1 = d->s[1].off < d->s[1].n || d->s[1].held;
	if (!left0 && !left1)
		return 0;
	/* the client speaks first, then the sides interleave */
	int dir = !left0 ? 1 : !left1 ? 0 : (d->s[0].off == 0 ? 0 : (int)(x & 1));
	side *s = &d->s[dir];
	d->ts += 1000 + (x >> 8) % 5000;
	if ((opt & 0x40) && (x >> 20) % 97 == 0)
		d->ts += 120ull * 1000000ull; /* past idle_us: the flow expires */
	if ((opt & 8) && s->has_last && (x >> 12) % 13 == 0) {
		send_pkt(d, dir, MML_TCP_ACK | MML_TCP_PSH, s->lseq, s->p + s->loff, s->llen);
		return 1;
	}
	if (s->off >= s->n) { /* only a held segment is left */
		send_pkt(d, dir, MML_TCP_ACK | MML_TCP_PSH, s->hseq, s->p + s->hoff, s->hlen);
		s->held = 0;
		return 1;
	}
	size_t seg = segbase;
	switch ((x >> 4) & 3) {
	case 0: seg = 1 + (x >> 16) % segbase; break;
	case 1: seg = segbase * 2; break;
	default: break;
	}
	if (seg > s->n - s->off)
		seg = s->n - s->off;
	if ((opt & 2) && (x >> 24) % 11 == 0) {
		/* lose this segment */
		s->off += seg;
		s->seq += (uint32_t)seg;
		return 1;
	}
	size_t off = s->off;
	uint32_t seq = s->seq;
	s->off += seg;
	s->seq += (uint32_t)seg;
	if ((opt & 4) && !s->held && s->off < s->n && (x >> 28) % 5 == 0) {
		s->held = 1;
		s->hoff = off;
		s->hlen = seg;
		s->hseq = seq;
		return 1;
	}
	send_pkt(d, dir, MML_TCP_ACK | MML_TCP_PSH, seq, s->p + off, seg);
	s->loff = off;
	s->llen = seg;
	s->lseq = seq;
	s->has_last = 1;
	if (s->held) {
		send_pkt(d, dir, MML_TCP_ACK | MML_TCP_PSH, s->hseq, s->p + s->hoff, s->hlen);
		s->held = 0;
	}
	return 1;
}

/* The two streams of the input, with SYNs, segmenting and an end as the control bytes say. */
static void drive_streams(const uint8_t *data, size_t size)
{
	if (size < 4)
		return;
	const uint8_t *ctl = data + size - 4;
	size_t len = size - 4;
	size_t split = len ? ((size_t)ctl[0] << 8 | ctl[1]) % (len + 1) : 0;
	size_t segbase = (size_t)ctl[2] + 1;
	uint8_t opt = ctl[3];
	rng r = {0x9e3779b9u ^ ((uint32_t)opt * 0x01000193u) ^ ((uint32_t)ctl[2] << 8)};

	mml_stats st;
	memset(&st, 0, sizeof st);
	mml_keylog kl;
	mml_keylog_init(&kl);
	mml_conn_cbs ccbs = {.ctx = NULL, .on_outer = on_outer, .on_hello = on_hello};
	mml_mmtls_ctx *m = mml_mmtls_new(&kl, &ccbs, &st);
	if (!m)
		abort();
	oracle orc;
	memset(&orc, 0, sizeof orc);
	mml_mmtls_flow_cbs(m, &orc.inner);
	orc.check = (opt & 0x41) == 0x01; /* SYN first, no idle expiry */
	orc.p[0] = data;
	orc.n[0] = split;
	orc.p[1] = data + split;
	orc.n[1] = len - split;
	mml_flow_cbs fcbs = {.ctx = &orc, .on_open = o_open, .on_data = o_data, .on_gap = o_gap, .on_close = o_close};
	mml_flowtab_cfg cfg = {.max_flows = 2, .ooo_cap = 2048, .idle_us = 60ull * 1000000ull};
	drv d;
	memset(&d, 0, sizeof d);
	d.t = mml_flowtab_new(&cfg, &fcbs, &st);
	if (!d.t)
		abort();
	d.ts = 1700000000ull * 1000000ull;
	for (int i = 0; i < 2; i++) {
		d.s[i].p = orc.p[i];
		d.s[i].n = orc.n[i];
	}
	d.s[0].isn = 0x10000000u + rnd(&r) % 4096;
	d.s[1].isn = 0xfffff000u + rnd(&r) % 8192; /* wraps around 2^32 */
	for (int i = 0; i < 2; i++)
		d.s[i].seq = d.s[i].isn + 1;

	if (opt & 1) {
		send_pkt(&d, 0, MML_TCP_SYN, d.s[0].isn, NULL, 0);
		send_pkt(&d, 1, MML_TCP_SYN | MML_TCP_ACK, d.s[1].isn, NULL, 0);
	}
	/* at most 512 segments, whatever the input (they set the pace of the harness) */
	for (int steps = 0; steps < 512 && step(&d, rnd(&r), opt, segbase); steps++)
		;
	if (opt & 0x10) {
		send_pkt(&d, 0, MML_TCP_FIN | MML_TCP_ACK, d.s[0].seq, NULL, 0);
		send_pkt(&d, 1, MML_TCP_FIN | MML_TCP_ACK, d.s[1].seq, NULL, 0);
		d.s[0].seq++;
		d.s[1].seq++;
		send_pkt(&d, 0, MML_TCP_ACK, d.s[0].seq, NULL, 0);
	} else if (opt & 0x20) {
		send_pkt(&d, 1, MML_TCP_RST, d.s[1].seq, NULL, 0);
	}
	sink += mml_flowtab_live(d.t);
	mml_flowtab_flush(d.t);
	mml_flowtab_free(d.t);
	mml_mmtls_free(m);
	mml_keylog_free(&kl);
	if (orc.opens != orc.closes || orc.opens != st.tcp_flows)
		abort();
	if (orc.check && orc.opens > 1)
		abort(); /* one SYN, no expiry: one flow */
	check_stats(&st);
	sink += st.records + st.resyncs + st.tcp_gaps;
}

/* The first bytes of the input as one longlink client stream in small segments. */
static void drive_plain(const uint8_t *data, size_t size)
{
	mml_stats st;
	memset(&st, 0, sizeof st);
	mml_keylog kl;
	mml_keylog_init(&kl);
	mml_conn_cbs ccbs = {.ctx = NULL, .on_outer = on_outer, .on_hello = on_hello};
	mml_mmtls_ctx *m = mml_mmtls_new(&kl, &ccbs, &st);
	if (!m)
		abort();
	mml_flow_cbs fcbs;
	mml_mmtls_flow_cbs(m, &fcbs);
	mml_flowtab_cfg cfg = {.max_flows = 2, .ooo_cap = 0, .idle_us = 0};
	drv d;
	memset(&d, 0, sizeof d);
	d.t = mml_flowtab_new(&cfg, &fcbs, &st);
	if (!d.t)
		abort();
	d.ts = 1000000;
	d.s[0].seq = 1000;
	d.s[1].seq = 5000;
	for (size_t off = 0; off < size; off += 7) {
		size_t n = size - off < 7 ? size - off : 7;
		send_pkt(&d, 0, MML_TCP_ACK | MML_TCP_PSH, d.s[0].seq, data + off, n);
		d.s[0].seq += (uint32_t)n;
		d.ts += 10;
	}
	mml_flowtab_free(d.t);
	mml_mmtls_free(m);
	mml_keylog_free(&kl);
	check_stats(&st);
	sink += st.records;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* records, back to back; resynchronise byte by byte on garbage */
	mml_cur c = mml_cur_make(data, size);
	while (mml_cur_left(&c)) {
		sink += mml_rec_plausible(mml_cur_ptr(&c), mml_cur_left(&c));
		mml_rec r;
		mml_err e = mml_rec_parse(&c, &r);
		if (e == MML_OK) {
			sink += sum_bytes(r.hdr, MML_REC_HDR) + sum_bytes(r.body, r.len);
			hello_check(r.body, r.len);
			continue;
		}
		if (e == MML_E_INCOMPLETE)
			break;
		(void)mml_cur_skip(&c, 1);
	}
	hello_check(data, size);

	mml_http_head h;
	if (mml_http_head_parse(data, size, &h) == MML_OK) {
		if (h.head_len > size)
			abort();
		if (h.method)
			sink += sum_bytes((const uint8_t *)h.method, h.method_len);
		if (h.path)
			sink += sum_bytes((const uint8_t *)h.path, h.path_len);
		if (h.host)
			sink += sum_bytes((const uint8_t *)h.host, h.host_len);
		sink += h.content_length + (uint64_t)h.status + h.chunked + h.upgrade_mmtls;
	}

	drive_streams(data, size);
	drive_plain(data, size < 512 ? size : 512); /* 7-byte segments: the first 512 bytes */
	return 0;
}
