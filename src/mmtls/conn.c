/*
 * conn.c - per-connection MMTLS driver: stream -> (HTTP) -> records ->
 * outer plaintext. Contract in include/mmlens/conn.h.
 *
 * Each direction of a flow is a small state machine:
 *   DETECT -> RECORDS                      (longlink)
 *   DETECT -> HTTP_HEAD -> HTTP_BODY ...   (shortlink / plain HTTP)
 *   DETECT -> OTHER                        (not WeChat: counted, skipped)
 * Bytes are parsed straight from the delivered segment when nothing is
 * pending; only an unfinished tail is copied into the direction buffer,
 * which is capped at one record plus one HTTP head. This file holds the
 * context, outer decryption, the longlink record stream and the flow
 * callbacks; the HTTP states are conn_http.c's (shared state:
 * conn_int.h).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conn_int.h"

const char *mml_status_name(mml_status s)
{
	static const char *const n[MML_ST__COUNT] = {"decrypted", "plaintext", "no_key", "auth_failed",
	                                             "truncated", "inner_no_key", "inner_failed", "malformed"};
	return (unsigned)s < MML_ST__COUNT ? n[s] : "unknown";
}

const char *mml_transport_name(mml_transport t)
{
	return t == MML_TR_LONGLINK ? "longlink" : t == MML_TR_SHORTLINK ? "shortlink" : "http";
}

mml_mmtls_ctx *mml_mmtls_new(const mml_keylog *kl, const mml_conn_cbs *cbs, mml_stats *st)
{
	/* zeroed but for the scratch (64 KiB, written before it is read) */
	mml_mmtls_ctx *m = malloc(sizeof *m);
	if (!m)
		return NULL;
	memset(m, 0, offsetof(mml_mmtls_ctx, scratch));
	m->kl = kl;
	m->cbs = *cbs;
	m->st = st;
	if (mml_aead_init(&m->aead[0]) != MML_OK || mml_aead_init(&m->aead[1]) != MML_OK) {
		mml_aead_free(&m->aead[0]);
		mml_aead_free(&m->aead[1]);
		free(m);
		return NULL;
	}
	return m;
}

void mml_mmtls_free(mml_mmtls_ctx *m)
{
	if (!m)
		return;
	mml_aead_free(&m->aead[0]);
	mml_aead_free(&m->aead[1]);
	if (m->park)
		explicit_bzero(m->park, PARK_SLOTS * sizeof *m->park);
	free(m->park);
	free(m);
}

/* ---- outer decryption ---- */

void mml_keys_front(void *arr, size_t elem, int *n, int max, const void *ent)
{
	uint8_t *a = arr;
	int i;
	for (i = 0; i < *n; i++)
		if (!memcmp(a + (size_t)i * elem, ent, 16))
			break;
	if (i == *n) {
		if (*n < max)
			(*n)++;
		i = *n - 1;
	}
	memmove(a + elem, a, (size_t)i * elem);
	memcpy(a, ent, elem);
}

/* The key (most recent first); key and base may point into d->keys. */
static void key_remember(dir_state *d, const uint8_t key[16], const uint8_t base[12], uint32_t line)
{
	dir_key k;
	memcpy(k.key, key, 16);
	memcpy(k.base, base, 12);
	k.line = line;
	mml_keys_front(d->keys, sizeof d->keys[0], &d->nkeys, MAX_DIR_KEYS, &k);
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Try key i of the direction at sequence number s. */
static int try_known(mml_mmtls_ctx *m, dir_state *d, int dir, int i, uint64_t s, const mml_rec *r)
{
	const size_t ctlen = r->len - MML_REC_TAG;
	uint8_t aad[13], nonce[12];
	mml_mmtls_nonce(d->keys[i].base, s, nonce);
	mml_mmtls_aad(s, r->hdr, aad);
	return mml_gcm_open(&m->aead[dir & 1], d->keys[i].key, 16, nonce, 12, aad, 13, r->body, ctlen,
	                    r->body + ctlen, m->scratch) == MML_OK;
}

/* Key i of the direction opened the record at sequence number s. */
static size_t took_known(mml_mmtls_ctx *m, dir_state *d, int i, uint64_t s, const mml_rec *r, mml_outer *o)
{
	if (i)
		key_remember(d, d->keys[i].key, d->keys[i].base, d->keys[i].line);
	d->seq = s;
	o->status = MML_ST_DECRYPTED;
	o->key_source = MML_KEY_INFERRED;
	o->keylog_line = d->keys[0].line;
	o->rec_seq = s;
	m->st->records_key_inferred++;
	return r->len - MML_REC_TAG;
}

/* Try to open a record; fills o->status/key fields and returns plaintext length. */
static size_t outer_open(mml_mmtls_ctx *m, dir_state *d, int dir, const mml_rec *r, mml_outer *o)
{
	const size_t ctlen = r->len - MML_REC_TAG;
	const uint8_t *ct = r->body, *tag = r->body + ctlen, *tail8 = r->body + r->len - 8;
	uint8_t aad[13];
	int tail_seen = 0;
	size_t it = 0;
	const mml_keyent *e;
	/*
	 * A record with no line of its own is opened by the connection's key,
	 * tried first at the next sequence number below. Where the key log is
	 * sparse (most records with a known key have no line), that try runs
	 * while the key log's answer is fetched, and stands when the log has no
	 * line for this record: the same result, without waiting on a lookup
	 * that misses. A dense log keeps the plain order (no wasted try).
	 */
	if (d->nkeys && !d->resync && !d->pending_gap && m->known_unlined >= m->known_lined) {
		mml_keylog_prefetch_tail(m->kl, tail8, false);
		if (try_known(m, d, dir, 0, d->seq, r) && !mml_keylog_has_tail(m->kl, MML_LAYER_OUTER, tail8)) {
			m->known_unlined++;
			return took_known(m, d, 0, d->seq, r, o);
		}
	}
	const int known = d->nkeys > 0;
	int lined = 0;
	while ((e = mml_keylog_find_tail(m->kl, MML_LAYER_OUTER, tail8, &it))) {
		lined = 1;
		if (e->client != (dir == 0) || e->keylen != 16 || e->nonce_len != 12)
			continue;
		tail_seen = 1;
		/* Sequence numbers to try: the logged one, then our count. */
		uint64_t seqs[2];
		int ns = 0;
		if (e->meta_len == 13)
			seqs[ns++] = be64(e->meta);
		if (!ns || seqs[0] != d->seq)
			seqs[ns++] = d->seq;
		for (int k = 0; k < ns; k++) {
			mml_mmtls_aad(seqs[k], r->hdr, aad);
			if (mml_gcm_open(&m->aead[dir & 1], e->key, 16, e->nonce, 12, aad, 13, ct, ctlen, tag, m->scratch) !=
			    MML_OK)
				continue;
			uint8_t base[12];
			mml_mmtls_nonce(e->nonce, seqs[k], base); /* XOR is its own inverse */
			key_remember(d, e->key, base, e->line);
			if (mml_keylog_use(m->kl, e))
				m->st->keylog_outer_used++;
			d->seq = seqs[k];
			m->known_lined += known;
			o->status = MML_ST_DECRYPTED;
			o->key_source = MML_KEY_LOGGED;
			o->keylog_line = e->line;
			o->rec_seq = seqs[k];
			m->st->records_key_logged++;
			return ctlen;
		}
	}
	if (known)
		*(lined ? &m->known_lined : &m->known_unlined) += 1;
	/* No line of its own (or it failed): the direction's known keys. */
	int window = d->resync || d->pending_gap ? RESYNC_SEQ_WINDOW : 1;
	for (int i = 0; i < d->nkeys; i++)
		for (int w = 0; w < window; w++)
			if (try_known(m, d, dir, i, d->seq + (uint64_t)w, r))
				return took_known(m, d, i, d->seq + (uint64_t)w, r, o);
	o->status = tail_seen ? MML_ST_AUTH_FAILED : MML_ST_NO_KEY;
	o->detail = tail_seen ? "the logged key for this record did not verify its GCM tag"
	                      : d->nkeys ? "no logged key line and the connection's known keys do not open it"
	                                 : "no key for this record in the key log";
	o->rec_seq = d->seq;
	return 0;
}

void mml_conn_outer_base(const mml_flow *f, int dir, const conn *c, const dir_state *d, mml_outer *o)
{
	memset(o, 0, sizeof *o);
	o->flow = f;
	o->dir = dir;
	o->transport = c->transport;
	o->ts_us = d->ts;
	o->pkt = d->pkt;
	o->pkt_first = d->first_pkt ? d->first_pkt : d->pkt;
	if (c->transport != MML_TR_LONGLINK) {
		const dir_state *rq = &c->d[0], *rs = &c->d[1];
		o->http_method = rq->method[0] ? rq->method : NULL;
		o->http_path = rq->path[0] ? rq->path : NULL;
		o->http_host = rq->host[0] ? rq->host : NULL;
		o->http_status = rs->status;
	}
}

static void handle_record(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir, const mml_rec *r)
{
	dir_state *d = &c->d[dir];
	mml_stats *st = m->st;
	st->records++;
	if ((r->type == MML_REC_HANDSHAKE || r->type == MML_REC_EARLY) && d->seq == 0 && !d->resync) {
		mml_hello h;
		mml_err e = mml_hello_parse(r->body, r->len, &h);
		if (e == MML_OK) {
			st->records_plaintext++;
			st->handshakes++;
			if (m->cbs.on_hello)
				m->cbs.on_hello(m->cbs.ctx, f, dir, c->transport, d->ts, d->pkt, &h, e);
			d->seq = 1;
			d->nkeys = 0; /* a new handshake: new keys */
			return;
		}
	}
	if (r->type == MML_REC_ALERT && r->len < MML_REC_TAG) {
		/* an unencrypted alert (a server refusing a handshake) */
		st->records_plaintext++;
		st->alerts_plaintext++;
		d->seq++;
		return;
	}
	mml_outer o;
	mml_conn_outer_base(f, dir, c, d, &o);
	o.rec_type = r->type;
	o.gap_bytes = d->pending_gap;
	size_t n = 0;
	if (r->len < MML_REC_TAG) {
		o.status = MML_ST_TRUNCATED;
		o.detail = "record shorter than its 16-byte tag";
		o.rec_seq = d->seq;
	} else {
		n = outer_open(m, d, dir, r, &o);
	}
	switch (o.status) {
	case MML_ST_DECRYPTED: st->records_decrypted++; break;
	case MML_ST_AUTH_FAILED: st->records_auth_failed++; break;
	case MML_ST_TRUNCATED: st->records_truncated++; break;
	default: st->records_no_key++; break;
	}
	d->seq++;
	d->resync = 0;
	d->pending_gap = 0;
	d->first_pkt = d->pkt;
	if (r->type != MML_REC_DATA)
		return; /* handshake, early-data extensions and alerts: counted */
	if (o.status == MML_ST_DECRYPTED) {
		o.data = m->scratch;
		o.len = n;
	}
	if (m->cbs.on_outer)
		m->cbs.on_outer(m->cbs.ctx, &o);
}

/* A record cut short by a gap or the end of its stream. */
void mml_conn_record_lost(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir, const uint8_t *p, size_t n,
                          const char *why)
{
	dir_state *d = &c->d[dir];
	m->st->records++;
	m->st->records_truncated++;
	if (n >= 1 && p[0] == MML_REC_DATA) {
		mml_outer o;
		mml_conn_outer_base(f, dir, c, d, &o);
		o.rec_type = MML_REC_DATA;
		o.status = MML_ST_TRUNCATED;
		o.detail = why;
		o.rec_seq = d->seq;
		o.gap_bytes = d->pending_gap;
		if (m->cbs.on_outer)
			m->cbs.on_outer(m->cbs.ctx, &o);
	}
	d->seq++;
}

/*
 * Consume records from p[0..n). Returns bytes consumed; stops at an
 * incomplete record. Resynchronises after a gap by scanning for a header.
 */
size_t mml_conn_eat_records(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir, const uint8_t *p, size_t n,
                            int final)
{
	dir_state *d = &c->d[dir];
	size_t off = 0;
	mml_rec next;
	mml_cur next_cur;
	int have_next = 0;
	while (off < n) {
		if (d->resync) {
			have_next = 0; /* parsed where the scan below may not start */
			/* a header needs 5 bytes to judge: the last 4 wait for more */
			size_t lim = final ? n : (n >= 4 ? n - 4 : 0);
			size_t k = off;
			while (k < lim && !mml_rec_plausible(p + k, n - k))
				k++;
			if (k > off) {
				m->st->resync_skipped_bytes += k - off;
				d->pending_gap += k - off;
			}
			off = k;
			if (off >= lim) {
				if (final) {
					m->st->resync_skipped_bytes += n - off;
					d->pending_gap += n - off;
					return n;
				}
				return off;
			}
		}
		mml_cur cur = mml_cur_make(p + off, n - off);
		mml_rec r;
		/* the record parsed ahead last time, at this offset */
		mml_err e = have_next ? (r = next, cur = next_cur, MML_OK) : mml_rec_parse(&cur, &r);
		have_next = 0;
		if (e == MML_E_INCOMPLETE) {
			if (final) {
				mml_conn_record_lost(m, f, c, dir, p + off, n - off, "the stream ended inside this record");
				return n;
			}
			return off;
		}
		if (e != MML_OK) {
			m->st->resyncs++;
			d->resync = 1;
			continue;
		}
		/* the next record, when it is here already: its key log lookup
		 * starts now, and arrives while this one is handled */
		next_cur = mml_cur_make(p + off + cur.off, n - off - cur.off);
		have_next = mml_rec_parse(&next_cur, &next) == MML_OK;
		if (have_next && next.len >= MML_REC_TAG)
			mml_keylog_prefetch_tail(m->kl, next.body + next.len - 8, r.type == MML_REC_HANDSHAKE || !d->nkeys);
		handle_record(m, f, c, dir, &r);
		off += cur.off;
	}
	return off;
}

/* ---- stream dispatch ---- */

/* The first of p[0..n) (n > 0), read through the cursor; 0 when none. */
static uint8_t first_byte(const uint8_t *p, size_t n)
{
	mml_cur c = mml_cur_make(p, n);
	uint8_t b = 0;
	(void)mml_cur_peek(&c, 0, &b);
	return b;
}

static size_t eat(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir, const uint8_t *p, size_t n, int final)
{
	dir_state *d = &c->d[dir];
	size_t off = 0;
	while (off < n) {
		switch (d->state) {
		case ST_DETECT: {
			int h = mml_conn_looks_http(p + off, n - off);
			if (h == 1) {
				d->state = ST_HTTP_HEAD;
			} else if (h == -1 && !final) {
				return off;
			} else if (n - off < 5 && !final && first_byte(p + off, n - off) >= 0x15 &&
			           first_byte(p + off, n - off) <= 0x19) {
				return off;
			} else if (mml_rec_plausible(p + off, n - off)) {
				d->state = ST_RECORDS;
				if (!c->transport_known) {
					c->transport = MML_TR_LONGLINK;
					c->transport_known = 1;
					m->st->streams_longlink++;
				}
			} else {
				d->state = ST_OTHER;
				m->st->streams_other++;
			}
			break;
		}
		case ST_RECORDS:
			return off + mml_conn_eat_records(m, f, c, dir, p + off, n - off, final);
		case ST_HTTP_HEAD: {
			mml_http_head h;
			mml_err e = mml_http_head_parse(p + off, n - off, &h);
			if (e == MML_E_INCOMPLETE)
				return final ? n : off;
			if (e != MML_OK) {
				m->st->http_malformed++;
				d->state = ST_OTHER;
				break;
			}
			mml_conn_http_start(m, c, dir, &h);
			off += h.head_len;
			break;
		}
		case ST_HTTP_BODY: {
			size_t used = mml_conn_http_body(m, f, c, dir, p + off, n - off);
			off += used;
			if (used == 0 && d->state == ST_HTTP_BODY)
				return off;
			break;
		}
		default: /* ST_OTHER */
			m->st->other_bytes += n - off;
			return n;
		}
	}
	/* a zero-length body completes without more bytes */
	if (d->state == ST_HTTP_BODY && mml_conn_http_body_done(d))
		mml_conn_http_body(m, f, c, dir, p + n, 0);
	return off;
}

/* The slot of a connection (either orientation). */
static parked *park_slot(mml_mmtls_ctx *m, const mml_addr *a, const mml_addr *b)
{
	return &m->park[mml_addr_pair_hash(a, b) % PARK_SLOTS];
}

/* A longlink whose flow ended while it may go on: keep its keys. */
static void park(mml_mmtls_ctx *m, const mml_flow *f, const conn *c)
{
	if ((f->end != MML_FLOW_IDLE && f->end != MML_FLOW_EVICTED) || c->transport != MML_TR_LONGLINK ||
	    !(c->d[0].nkeys || c->d[1].nkeys))
		return;
	if (!m->park && !(m->park = calloc(PARK_SLOTS, sizeof *m->park)))
		return;
	parked *p = park_slot(m, &f->client, &f->server);
	p->used = 1;
	p->client = f->client;
	p->server = f->server;
	for (int dir = 0; dir < 2; dir++) {
		memcpy(p->d[dir].keys, c->d[dir].keys, sizeof p->d[dir].keys);
		p->d[dir].nkeys = c->d[dir].nkeys;
		p->d[dir].seq = c->d[dir].seq;
	}
}

/* A flow picked up mid-stream on the 4-tuple of a parked longlink: its keys back. */
static void unpark(mml_mmtls_ctx *m, const mml_flow *f, conn *c)
{
	if (!m->park || f->syn)
		return;
	parked *p = park_slot(m, &f->client, &f->server);
	if (!p->used)
		return;
	int swap;
	if (mml_addr_eq(&p->client, &f->client) && mml_addr_eq(&p->server, &f->server))
		swap = 0;
	else if (mml_addr_eq(&p->client, &f->server) && mml_addr_eq(&p->server, &f->client))
		swap = 1;
	else
		return;
	for (int dir = 0; dir < 2; dir++) {
		dir_state *d = &c->d[dir];
		int from = dir ^ swap;
		memcpy(d->keys, p->d[from].keys, sizeof d->keys);
		d->nkeys = p->d[from].nkeys;
		d->seq = p->d[from].seq;
	}
	c->transport = MML_TR_LONGLINK;
	c->transport_known = 1;
	explicit_bzero(p, sizeof *p);
	m->st->streams_resumed++;
}

static void on_open(void *ctx, mml_flow *f)
{
	mml_mmtls_ctx *m = ctx;
	conn *c = calloc(1, sizeof *c);
	if (!c)
		return;
	for (int i = 0; i < 2; i++) {
		mml_buf_init(&c->d[i].buf, DIR_BUF_CAP);
		mml_buf_init(&c->d[i].rbuf, DIR_BUF_CAP);
		mml_buf_init(&c->d[i].body, HTTP_BODY_CAP);
	}
	unpark(m, f, c);
	f->user = c;
}

static void feed(mml_mmtls_ctx *m, mml_flow *f, conn *c, int dir, const uint8_t *p, size_t n, int final)
{
	dir_state *d = &c->d[dir];
	if (!d->buf.len) {
		size_t used = eat(m, f, c, dir, p, n, final);
		if (used < n && mml_buf_append(&d->buf, p + used, n - used) != MML_OK) {
			mml_conn_record_lost(m, f, c, dir, p + used, n - used, "record larger than the buffer cap");
			d->resync = 1;
		}
		return;
	}
	if (mml_buf_append(&d->buf, p, n) != MML_OK) {
		mml_conn_record_lost(m, f, c, dir, d->buf.p, d->buf.len, "record larger than the buffer cap");
		mml_buf_reset(&d->buf);
		d->resync = 1;
		return;
	}
	size_t used = eat(m, f, c, dir, d->buf.p, d->buf.len, final);
	mml_buf_consume(&d->buf, used);
}

static void on_data(void *ctx, mml_flow *f, int dir, const uint8_t *p, size_t n, uint64_t ts, uint64_t pkt)
{
	mml_mmtls_ctx *m = ctx;
	conn *c = f->user;
	if (!c)
		return;
	dir_state *d = &c->d[dir];
	d->ts = ts;
	d->pkt = pkt;
	if (!d->buf.len && !d->rbuf.len && (d->state != ST_HTTP_BODY || d->http_mmtls))
		d->first_pkt = pkt;
	feed(m, f, c, dir, p, n, 0);
}

static void on_gap(void *ctx, mml_flow *f, int dir, uint64_t nbytes, uint64_t pkt)
{
	mml_mmtls_ctx *m = ctx;
	conn *c = f->user;
	if (!c)
		return;
	dir_state *d = &c->d[dir];
	(void)pkt;
	switch (d->state) {
	case ST_RECORDS:
		if (d->buf.len)
			mml_conn_record_lost(m, f, c, dir, d->buf.p, d->buf.len, "bytes of this record were lost in the capture");
		mml_buf_reset(&d->buf);
		d->resync = 1;
		d->pending_gap += nbytes;
		break;
	case ST_HTTP_BODY:
		mml_conn_http_gap(m, f, c, dir, nbytes);
		break;
	case ST_DETECT:
	case ST_HTTP_HEAD:
		mml_buf_reset(&d->buf);
		d->state = ST_DETECT;
		d->resync = 1;
		break;
	default:
		break;
	}
}

static void on_close(void *ctx, mml_flow *f)
{
	mml_mmtls_ctx *m = ctx;
	conn *c = f->user;
	if (!c)
		return;
	for (int dir = 0; dir < 2; dir++) {
		dir_state *d = &c->d[dir];
		if (d->buf.len) {
			size_t used = eat(m, f, c, dir, d->buf.p, d->buf.len, 1);
			mml_buf_consume(&d->buf, used);
		}
		if (d->state == ST_HTTP_BODY)
			mml_conn_http_close(m, f, c, dir);
		mml_buf_free(&d->buf);
		mml_buf_free(&d->rbuf);
		mml_buf_free(&d->body);
	}
	park(m, f, c);
	free(c);
	f->user = NULL;
}

void mml_mmtls_flow_cbs(mml_mmtls_ctx *m, mml_flow_cbs *out)
{
	out->ctx = m;
	out->on_open = on_open;
	out->on_data = on_data;
	out->on_gap = on_gap;
	out->on_close = on_close;
}
