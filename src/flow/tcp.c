/*
 * tcp.c - flow table and TCP reassembly. Contract in include/mmlens/flow.h.
 *
 * The table is a chained hash on the unordered 4-tuple plus an LRU list for
 * eviction and idle expiry, both O(1) per packet. Sequence numbers compare
 * with 32-bit serial arithmetic (RFC 1982).
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/flow.h"

typedef struct seg {
	struct seg *next;
	uint32_t seq;
	uint32_t len;
	uint64_t ts_us, pkt;
	uint8_t data[];
} seg;

typedef struct tcp_dir {
	int started;       /* next is valid */
	int fin;           /* FIN seen; fin_seq valid */
	int done;          /* all bytes to FIN delivered */
	uint32_t isn;
	uint32_t next;
	uint32_t fin_seq;
	seg *ooo;          /* sorted by seq, non-overlapping */
	seg *ooo_last;     /* its last segment (when ooo is not empty) */
	size_t ooo_bytes;
} tcp_dir;

typedef struct flow_ent {
	mml_flow f;
	struct flow_ent *hnext;
	struct flow_ent *lru_prev, *lru_next;
	uint32_t hash;
	tcp_dir d[2];
	int rst;
} flow_ent;

struct mml_flowtab {
	mml_flowtab_cfg cfg;
	mml_flow_cbs cbs;
	mml_stats *st;
	flow_ent **bucket;
	size_t nbucket;
	size_t live;
	uint64_t next_id;
	uint64_t *shared_ids;
	flow_ent *lru_head, *lru_tail; /* head = least recently used */
};

static int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static int seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

mml_flowtab *mml_flowtab_new(const mml_flowtab_cfg *cfg, const mml_flow_cbs *cbs, mml_stats *st)
{
	mml_flowtab *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (!t->cfg.max_flows)
		t->cfg.max_flows = 65536;
	if (!t->cfg.ooo_cap)
		t->cfg.ooo_cap = 256 * 1024;
	if (!t->cfg.idle_us)
		t->cfg.idle_us = 600ull * 1000000ull;
	t->cbs = *cbs;
	t->st = st;
	/* sized by the live flows (grown as they come), not by the maximum:
	 * a small table stays in cache */
	t->nbucket = 1024;
	t->bucket = calloc(t->nbucket, sizeof *t->bucket);
	if (!t->bucket) {
		free(t);
		return NULL;
	}
	return t;
}

size_t mml_flowtab_live(const mml_flowtab *t) { return t->live; }

void mml_flowtab_share_ids(mml_flowtab *t, uint64_t *counter) { t->shared_ids = counter; }

static void lru_unlink(mml_flowtab *t, flow_ent *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		t->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		t->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push(mml_flowtab *t, flow_ent *e)
{
	e->lru_prev = t->lru_tail;
	e->lru_next = NULL;
	if (t->lru_tail)
		t->lru_tail->lru_next = e;
	else
		t->lru_head = e;
	t->lru_tail = e;
}

static void deliver(mml_flowtab *t, flow_ent *e, int dir, const uint8_t *p, size_t n, uint64_t ts, uint64_t pkt)
{
	tcp_dir *d = &e->d[dir];
	d->next += (uint32_t)n;
	t->st->tcp_bytes += n;
	if (n && t->cbs.on_data)
		t->cbs.on_data(t->cbs.ctx, &e->f, dir, p, n, ts, pkt);
}

/* Deliver queued segments that have become in order. */
static void drain(mml_flowtab *t, flow_ent *e, int dir)
{
	tcp_dir *d = &e->d[dir];
	while (d->ooo && seq_le(d->ooo->seq, d->next)) {
		seg *s = d->ooo;
		d->ooo = s->next;
		if (!d->ooo)
			d->ooo_last = NULL;
		d->ooo_bytes -= s->len;
		uint32_t end = s->seq + s->len;
		if (seq_lt(d->next, end)) {
			uint32_t skip = d->next - s->seq;
			deliver(t, e, dir, s->data + skip, s->len - skip, s->ts_us, s->pkt);
		}
		free(s);
	}
}

/* Skip the hole before the first queued segment (or up to `upto`). */
static void gap_to(mml_flowtab *t, flow_ent *e, int dir, uint32_t upto, uint64_t pkt)
{
	tcp_dir *d = &e->d[dir];
	if (!seq_lt(d->next, upto))
		return;
	uint32_t n = upto - d->next;
	t->st->tcp_gaps++;
	t->st->tcp_gap_bytes += n;
	if (t->cbs.on_gap)
		t->cbs.on_gap(t->cbs.ctx, &e->f, dir, n, pkt);
	d->next = upto;
	drain(t, e, dir);
}

static void flush_dir(mml_flowtab *t, flow_ent *e, int dir, uint64_t pkt)
{
	tcp_dir *d = &e->d[dir];
	while (d->ooo)
		gap_to(t, e, dir, d->ooo->seq, pkt);
}

static void flow_close(mml_flowtab *t, flow_ent *e, uint64_t pkt, mml_flow_end how)
{
	e->f.end = how;
	flush_dir(t, e, 0, pkt);
	flush_dir(t, e, 1, pkt);
	if (t->cbs.on_close)
		t->cbs.on_close(t->cbs.ctx, &e->f);
	/* unlink from hash */
	flow_ent **pp = &t->bucket[e->hash & (t->nbucket - 1)];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	lru_unlink(t, e);
	t->live--;
	free(e);
}

/* Twice the buckets (as many as live flows at most); kept as is without memory. */
static void grow(mml_flowtab *t)
{
	size_t n = t->nbucket * 2;
	flow_ent **b = calloc(n, sizeof *b);
	if (!b)
		return;
	for (size_t i = 0; i < t->nbucket; i++)
		for (flow_ent *e = t->bucket[i], *next; e; e = next) {
			next = e->hnext;
			e->hnext = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	free(t->bucket);
	t->bucket = b;
	t->nbucket = n;
}

static int is_server_port(uint16_t p)
{
	return p == 80 || p == 8080 || p == 443 || p == 5222 || p == 5228 || p == 8000 || p == 8443 || p == 14000;
}

static flow_ent *flow_new(mml_flowtab *t, const mml_pkt *pkt, uint32_t h)
{
	while (t->live >= t->cfg.max_flows && t->lru_head) {
		t->st->tcp_flows_evicted++;
		flow_close(t, t->lru_head, pkt->index, MML_FLOW_EVICTED);
	}
	flow_ent *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	int src_is_client;
	if ((pkt->tcp_flags & (MML_TCP_SYN | MML_TCP_ACK)) == MML_TCP_SYN)
		src_is_client = 1;
	else if ((pkt->tcp_flags & (MML_TCP_SYN | MML_TCP_ACK)) == (MML_TCP_SYN | MML_TCP_ACK))
		src_is_client = 0;
	else if (is_server_port(pkt->dst.port) != is_server_port(pkt->src.port))
		src_is_client = is_server_port(pkt->dst.port);
	else if ((pkt->dst.port < 1024) != (pkt->src.port < 1024))
		src_is_client = pkt->dst.port < 1024;
	else
		src_is_client = 1;
	e->f.syn = (pkt->tcp_flags & (MML_TCP_SYN | MML_TCP_ACK)) == MML_TCP_SYN;
	e->f.client = src_is_client ? pkt->src : pkt->dst;
	e->f.server = src_is_client ? pkt->dst : pkt->src;
	e->f.id = t->shared_ids ? __atomic_add_fetch(t->shared_ids, 1, __ATOMIC_RELAXED) : ++t->next_id;
	e->f.first_us = e->f.last_us = pkt->ts_us;
	e->hash = h;
	if (t->live >= t->nbucket && t->nbucket < (1u << 20))
		grow(t);
	flow_ent **b = &t->bucket[h & (t->nbucket - 1)];
	e->hnext = *b;
	*b = e;
	lru_push(t, e);
	t->live++;
	t->st->tcp_flows++;
	if (t->cbs.on_open)
		t->cbs.on_open(t->cbs.ctx, &e->f);
	return e;
}

static void queue_seg(mml_flowtab *t, flow_ent *e, int dir, uint32_t seq, const uint8_t *p, size_t n,
                      uint64_t ts, uint64_t pkt)
{
	tcp_dir *d = &e->d[dir];
	t->st->tcp_ooo_segments++;
	/* Trim against queued segments (first copy wins), inserting pieces. */
	seg **pp = &d->ooo;
	while (n) {
		/* past the last queued byte (a hole, then bytes in order): append */
		if (*pp && seq_le(d->ooo_last->seq + d->ooo_last->len, seq))
			pp = &d->ooo_last->next;
		while (*pp && seq_le((*pp)->seq + (*pp)->len, seq))
			pp = &(*pp)->next;
		size_t take = n;
		if (*pp) {
			seg *s = *pp;
			if (seq_le(s->seq, seq)) { /* overlaps start of an existing one */
				uint32_t cov = s->seq + s->len - seq;
				if (cov >= n) {
					t->st->tcp_retrans_bytes += n;
					return;
				}
				t->st->tcp_retrans_bytes += cov;
				seq += cov;
				p += cov;
				n -= cov;
				continue;
			}
			if (seq_lt(s->seq, seq + (uint32_t)n))
				take = s->seq - seq;
		}
		if (d->ooo_bytes + take > t->cfg.ooo_cap) {
			t->st->tcp_cap_drops++;
			/* make room by giving up on the hole in front */
			if (d->ooo) {
				gap_to(t, e, dir, d->ooo->seq, pkt);
				if (seq_le(seq + (uint32_t)n, d->next))
					return;
				if (seq_lt(seq, d->next)) {
					uint32_t skip = d->next - seq;
					p += skip;
					n -= skip;
					seq = d->next;
				}
				if (seq == d->next) {
					deliver(t, e, dir, p, n, ts, pkt);
					drain(t, e, dir);
					return;
				}
				pp = &d->ooo;
				continue;
			}
			gap_to(t, e, dir, seq, pkt);
			deliver(t, e, dir, p, n, ts, pkt);
			drain(t, e, dir);
			return;
		}
		seg *ns = malloc(sizeof *ns + take);
		if (!ns)
			return;
		ns->seq = seq;
		ns->len = (uint32_t)take;
		ns->ts_us = ts;
		ns->pkt = pkt;
		memcpy(ns->data, p, take);
		ns->next = *pp;
		*pp = ns;
		if (!ns->next)
			d->ooo_last = ns;
		pp = &ns->next;
		d->ooo_bytes += take;
		seq += (uint32_t)take;
		p += take;
		n -= take;
	}
}

static void expire(mml_flowtab *t, uint64_t now)
{
	while (t->lru_head && now > t->lru_head->f.last_us && now - t->lru_head->f.last_us > t->cfg.idle_us)
		flow_close(t, t->lru_head, 0, MML_FLOW_IDLE);
}

void mml_flowtab_packet(mml_flowtab *t, const mml_pkt *pkt)
{
	expire(t, pkt->ts_us);
	uint32_t h = mml_addr_pair_hash(&pkt->src, &pkt->dst);
	flow_ent *e = t->bucket[h & (t->nbucket - 1)];
	for (; e; e = e->hnext)
		if (e->hash == h && ((mml_addr_eq(&e->f.client, &pkt->src) && mml_addr_eq(&e->f.server, &pkt->dst)) ||
		                     (mml_addr_eq(&e->f.client, &pkt->dst) && mml_addr_eq(&e->f.server, &pkt->src))))
			break;
	int syn = (pkt->tcp_flags & (MML_TCP_SYN | MML_TCP_ACK)) == MML_TCP_SYN;
	if (e && syn && mml_addr_eq(&e->f.client, &pkt->src) && e->d[0].started && pkt->seq != e->d[0].isn) {
		/* a new connection on the same 4-tuple */
		t->st->tcp_port_reuse++;
		flow_close(t, e, pkt->index, MML_FLOW_CLOSED);
		e = NULL;
	}
	if (!e) {
		if ((pkt->tcp_flags & MML_TCP_RST) || (!(pkt->tcp_flags & MML_TCP_SYN) && pkt->paylen == 0))
			return; /* a bare ACK/FIN/RST after a flow closed: nothing to carry */
		e = flow_new(t, pkt, h);
		if (!e)
			return;
	}
	if (t->lru_tail != e) {
		lru_unlink(t, e);
		lru_push(t, e);
	}
	e->f.last_us = pkt->ts_us;
	int dir = mml_addr_eq(&e->f.client, &pkt->src) ? 0 : 1;
	tcp_dir *d = &e->d[dir];
	uint32_t seq = pkt->seq;
	const uint8_t *p = pkt->payload;
	size_t n = pkt->paylen;
	if (pkt->tcp_flags & MML_TCP_SYN) {
		if (!d->started) {
			d->started = 1;
			d->isn = seq;
			d->next = seq + 1;
		}
		seq++; /* SYN takes one sequence number */
	} else if (!d->started) {
		d->started = 1; /* capture started mid-connection */
		d->isn = seq - 1;
		d->next = seq;
	}
	/* A peer ACK beyond what we hold means the capture lost those bytes. */
	tcp_dir *o = &e->d[!dir];
	if ((pkt->tcp_flags & MML_TCP_ACK) && o->started && !o->done) {
		uint32_t ack = pkt->ack;
		if (o->fin && ack == o->fin_seq + 1)
			ack = o->fin_seq;
		if (o->ooo && seq_le(o->ooo->seq, ack))
			gap_to(t, e, !dir, o->ooo->seq, pkt->index);
		else if (!o->ooo && seq_lt(o->next, ack) && (uint32_t)(ack - o->next) < (1u << 30))
			gap_to(t, e, !dir, ack, pkt->index);
	}
	if (n) {
		uint32_t end = seq + (uint32_t)n;
		if (seq_le(end, d->next)) {
			t->st->tcp_retrans_bytes += n;
		} else if (seq_le(seq, d->next)) {
			uint32_t skip = d->next - seq;
			t->st->tcp_retrans_bytes += skip;
			deliver(t, e, dir, p + skip, n - skip, pkt->ts_us, pkt->index);
			drain(t, e, dir);
		} else if ((uint32_t)(seq - d->next) < (1u << 30)) {
			queue_seg(t, e, dir, seq, p, n, pkt->ts_us, pkt->index);
		} else {
			t->st->pkt_malformed++; /* wildly out of window */
		}
	}
	if (pkt->tcp_flags & MML_TCP_FIN) {
		if (!d->fin) {
			d->fin = 1;
			d->fin_seq = seq + (uint32_t)n;
		}
	}
	for (int k = 0; k < 2; k++) /* a peer ACK may have completed the other side */
		if (e->d[k].fin && !e->d[k].done && seq_le(e->d[k].fin_seq, e->d[k].next))
			e->d[k].done = 1;
	if (pkt->tcp_flags & MML_TCP_RST)
		e->rst = 1;
	if (e->rst || (e->d[0].done && e->d[1].done))
		flow_close(t, e, pkt->index, MML_FLOW_CLOSED);
}

void mml_flowtab_flush(mml_flowtab *t)
{
	/* not a use after free: flow_close unlinks the head (no lru_prev), so lru_head moves on */
	while (t->lru_head)
		flow_close(t, t->lru_head, 0, MML_FLOW_CAPTURE_END); // NOLINT(clang-analyzer-unix.Malloc)
}

void mml_flowtab_free(mml_flowtab *t)
{
	if (!t)
		return;
	mml_flowtab_flush(t);
	free(t->bucket);
	free(t);
}
