/*
 * conn_http.c - the HTTP half of the connection driver: shortlink
 * (`POST /mmtls/...`, MMTLS records in the body) and plain HTTP (the
 * body is the message). Contract in include/mmlens/conn.h; shared state
 * in conn_int.h.
 *
 * Formats: HTTP/1.x heads (mml_http_head_parse, record.c) and bodies
 * framed by Content-Length, by the chunked coding (RFC 9112 section 7.1:
 * mml_http_chunked_next, record.c) or by the end of the connection. A
 * body's bytes are never copied for framing: de-chunked pieces are views
 * of the delivered bytes. Records inside a body are parsed from those
 * views; only an unfinished record is kept (rbuf). A plain body is
 * collected up to HTTP_BODY_CAP; bytes past it count as lost.
 */
#include <string.h>

#include "conn_int.h"

static void copy_view(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	if (s)
		memcpy(dst, s, n);
	else
		n = 0;
	dst[n] = 0;
}

static void emit_http(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir)
{
	dir_state *d = &c->d[dir];
	mml_outer o;
	mml_conn_outer_base(f, dir, c, d, &o);
	o.transport = MML_TR_HTTP;
	o.status = d->body_gap ? MML_ST_TRUNCATED : MML_ST_PLAINTEXT;
	o.detail = d->body_gap ? "bytes of this HTTP body were lost in the capture" : NULL;
	o.gap_bytes = d->body_gap;
	o.data = d->body.p;
	o.len = d->body.len;
	if (m->cbs.on_outer)
		m->cbs.on_outer(m->cbs.ctx, &o);
	mml_buf_reset(&d->body);
	mml_buf_shrink(&d->body, 0);
	d->body_gap = 0;
}

static void body_end(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir)
{
	dir_state *d = &c->d[dir];
	if (d->http_mmtls) {
		if (d->rbuf.len)
			mml_conn_record_lost(m, f, c, dir, d->rbuf.p, d->rbuf.len, "the HTTP body ended inside this record");
		mml_buf_reset(&d->rbuf);
		mml_buf_shrink(&d->rbuf, 0);
	} else {
		emit_http(m, f, c, dir);
	}
	d->state = ST_HTTP_HEAD;
	d->chunked = 0;
	d->resync = 0;
	d->pending_gap = 0;
}

/* Feed body bytes (already de-chunked). */
static void body_bytes(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir, const uint8_t *p, size_t n)
{
	dir_state *d = &c->d[dir];
	if (!d->http_mmtls) {
		if (mml_buf_append(&d->body, p, n) != MML_OK)
			d->body_gap += n; /* over the cap: accounted as lost */
		return;
	}
	/* records inside the body: buffer only an unfinished tail */
	if (!d->rbuf.len) {
		size_t used = mml_conn_eat_records(m, f, c, dir, p, n, 0);
		if (used < n && mml_buf_append(&d->rbuf, p + used, n - used) != MML_OK)
			mml_conn_record_lost(m, f, c, dir, p + used, n - used, "record larger than the buffer cap");
		return;
	}
	if (mml_buf_append(&d->rbuf, p, n) != MML_OK) {
		mml_conn_record_lost(m, f, c, dir, d->rbuf.p, d->rbuf.len, "record larger than the buffer cap");
		mml_buf_reset(&d->rbuf);
		return;
	}
	size_t used = mml_conn_eat_records(m, f, c, dir, d->rbuf.p, d->rbuf.len, 0);
	mml_buf_consume(&d->rbuf, used);
}

void mml_conn_http_start(mml_mmtls_ctx *m, conn *c, int dir, const mml_http_head *h)
{
	dir_state *d = &c->d[dir];
	int was_known = c->transport_known;
	if (h->is_request) {
		copy_view(d->method, sizeof d->method, h->method, h->method_len);
		copy_view(d->path, sizeof d->path, h->path, h->path_len);
		copy_view(d->host, sizeof d->host, h->host, h->host_len);
		d->http_mmtls = h->path_len >= 7 && !memcmp(h->path, "/mmtls/", 7);
		d->body_to_close = 0;
		if (!c->transport_known) {
			c->transport = d->http_mmtls ? MML_TR_SHORTLINK : MML_TR_HTTP;
			c->transport_known = 1;
		}
		/* a new request resets the response side's head */
		c->d[1].status = 0;
	} else {
		d->status = h->status;
		d->http_mmtls = c->transport == MML_TR_SHORTLINK && c->transport_known;
		d->body_to_close = !h->has_length && !h->chunked;
		if (!c->transport_known) {
			c->transport = MML_TR_HTTP;
			c->transport_known = 1;
		}
	}
	if (!was_known) {
		if (c->transport == MML_TR_SHORTLINK)
			m->st->streams_shortlink++;
		else
			m->st->streams_http++;
	}
	/* each shortlink exchange is a new MMTLS session */
	d->seq = 0;
	d->nkeys = 0;
	d->resync = 0;
	d->chunked = h->chunked;
	if (d->chunked)
		mml_http_chunked_init(&d->ck);
	d->body_left = h->has_length ? h->content_length : 0;
	d->state = ST_HTTP_BODY;
}

bool mml_conn_http_body_done(const dir_state *d) { return !d->chunked && !d->body_to_close && d->body_left == 0; }

/* A chunked body: de-chunk p[0..n) through the decoder; returns bytes consumed. */
static size_t chunked_body(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir, const uint8_t *p, size_t n)
{
	dir_state *d = &c->d[dir];
	mml_cur cur = mml_cur_make(p, n);
	for (;;) {
		const uint8_t *data;
		size_t len;
		mml_err e = mml_http_chunked_next(&d->ck, &cur, &data, &len);
		if (e == MML_OK) {
			body_bytes(m, f, c, dir, data, len);
			continue;
		}
		if (e == MML_E_END) {
			body_end(m, f, c, dir);
			return cur.off;
		}
		if (e == MML_E_INCOMPLETE)
			return cur.off;
		m->st->http_malformed++; /* the framing is lost: the rest is not read */
		d->state = ST_OTHER;
		return n;
	}
}

size_t mml_conn_http_body(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir, const uint8_t *p, size_t n)
{
	dir_state *d = &c->d[dir];
	if (d->chunked)
		return chunked_body(m, f, c, dir, p, n);
	if (d->body_to_close) {
		body_bytes(m, f, c, dir, p, n);
		return n;
	}
	size_t take = n < d->body_left ? n : (size_t)d->body_left;
	if (!take && d->body_left)
		return 0;
	body_bytes(m, f, c, dir, p, take);
	d->body_left -= take;
	if (d->body_left == 0)
		body_end(m, f, c, dir);
	return take;
}

void mml_conn_http_gap(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir, uint64_t nbytes)
{
	dir_state *d = &c->d[dir];
	if (!d->http_mmtls) {
		d->body_gap += nbytes;
	} else {
		if (d->rbuf.len)
			mml_conn_record_lost(m, f, c, dir, d->rbuf.p, d->rbuf.len, "bytes of this record were lost in the capture");
		mml_buf_reset(&d->rbuf);
		d->resync = 1;
		d->pending_gap += nbytes;
	}
	mml_buf_reset(&d->buf);
	if (d->chunked) {
		d->state = ST_OTHER; /* chunk framing is lost */
	} else if (!d->body_to_close) {
		uint64_t take = nbytes < d->body_left ? nbytes : d->body_left;
		d->body_left -= take;
		if (!d->body_left)
			body_end(m, f, c, dir);
	}
}

void mml_conn_http_close(mml_mmtls_ctx *m, const mml_flow *f, conn *c, int dir)
{
	dir_state *d = &c->d[dir];
	if (!d->http_mmtls && (d->body_to_close || d->body_left || d->chunked)) {
		if (!d->body_to_close) {
			uint64_t left = d->chunked ? d->ck.left : d->body_left;
			d->body_gap += left ? left : 1;
		}
		emit_http(m, f, c, dir);
	} else if (d->http_mmtls && d->rbuf.len) {
		mml_conn_record_lost(m, f, c, dir, d->rbuf.p, d->rbuf.len, "the connection closed inside this record");
	}
}

int mml_conn_looks_http(const uint8_t *p, size_t n)
{
	static const char *const starts[] = {"GET ", "POST ", "PUT ", "HEAD ", "HTTP/1.", "OPTIONS ", "DELETE "};
	mml_cur c = mml_cur_make(p, n);
	const uint8_t *head;
	for (size_t i = 0; i < sizeof starts / sizeof *starts; i++) {
		size_t l = strlen(starts[i]);
		size_t k = n < l ? n : l;
		mml_cur t = c;
		if (mml_cur_bytes(&t, k, &head) == MML_OK && !memcmp(head, starts[i], k))
			return k == l ? 1 : -1; /* -1: could still be */
	}
	return 0;
}
