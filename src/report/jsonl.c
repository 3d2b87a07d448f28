/*
 * jsonl.c - the decrypt JSONL writer (schema: docs/SCHEMA.md) and 0600
 * output files.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mmlens/report.h"

/*
 * Output buffers: glibc ignores setvbuf's size unless it is given the
 * buffer, so each output gets its own 1 MiB (few large writes: bodies and
 * findings are big), freed when the output is closed.
 */
#define OUT_BUF ((size_t)1 << 20)
#define MAX_OUTS 16
static struct {
	FILE *f;
	char *buf;
} outs[MAX_OUTS];
static pthread_mutex_t outs_mu = PTHREAD_MUTEX_INITIALIZER;

static char *outs_buf_of(FILE *f)
{
	char *b = NULL;
	pthread_mutex_lock(&outs_mu);
	for (int i = 0; i < MAX_OUTS; i++)
		if (outs[i].f == f)
			b = outs[i].buf;
	pthread_mutex_unlock(&outs_mu);
	return b;
}

static void out_buffer(FILE *f)
{
	char *b = malloc(OUT_BUF);
	if (!b)
		return; /* keep the default buffer */
	pthread_mutex_lock(&outs_mu);
	for (int i = 0; i < MAX_OUTS; i++)
		if (!outs[i].f) {
			outs[i].f = f;
			outs[i].buf = b;
			b = NULL;
			break;
		}
	pthread_mutex_unlock(&outs_mu);
	if (b)
		free(b);
	else
		setvbuf(f, outs_buf_of(f), _IOFBF, OUT_BUF);
}

FILE *mml_out_open(const char *path)
{
	if (!strcmp(path, "-")) {
		static int stdout_buffered;
		if (!stdout_buffered++)
			out_buffer(stdout);
		return stdout;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	(void)fchmod(fd, 0600); /* an existing file keeps no wider mode */
	FILE *f = fdopen(fd, "w");
	if (!f)
		close(fd);
	else
		out_buffer(f);
	return f;
}

mml_err mml_out_close(FILE *f)
{
	if (!f)
		return MML_OK;
	int bad = fflush(f) != 0 || ferror(f);
	if (f != stdout) {
		bad |= fclose(f) != 0;
		pthread_mutex_lock(&outs_mu);
		for (int i = 0; i < MAX_OUTS; i++)
			if (outs[i].f == f) {
				free(outs[i].buf);
				outs[i].f = NULL;
				outs[i].buf = NULL;
			}
		pthread_mutex_unlock(&outs_mu);
	}
	return bad ? MML_E_IO : MML_OK;
}

/*
 * The flow object. A flow's messages and handshakes come in runs, so the
 * text of the last flow written (per thread) is kept and reused while the
 * id, both addresses and the redaction setting are the same.
 */
static _Thread_local struct {
	bool valid, redact;
	uint64_t id;
	mml_addr client, server;
	size_t len;
	char txt[64 + 2 * MML_JSON_ESC_MAX(80)];
} flow_cache;

/* The flow object's text (the cache's). */
static const char *flow_text(const mml_flow *fl, bool redact, size_t *len)
{
	if (!(flow_cache.valid && flow_cache.id == fl->id && flow_cache.redact == redact &&
	      mml_addr_eq(&flow_cache.client, &fl->client) && mml_addr_eq(&flow_cache.server, &fl->server))) {
		char c[80], sv[80];
		mml_addr_format(&fl->client, c, sizeof c);
		mml_addr_format(&fl->server, sv, sizeof sv);
		mml_jw f = {.lw = NULL}; /* its separator state only: the text goes to the cache */
		char *o = mml_jwp_obj_in(&f, flow_cache.txt); /* room: two escaped addresses of < 80 bytes */
		o = mml_jwp_u64(&f, o, "id", fl->id);
		o = redact ? mml_jwp_lit(&f, o, "client", "\"redacted\"") : mml_jwp_str(&f, o, "client", c, strlen(c));
		o = mml_jwp_obj_out(&f, mml_jwp_str(&f, o, "server", sv, strlen(sv)));
		flow_cache.len = (size_t)(o - flow_cache.txt);
		flow_cache.valid = true;
		flow_cache.redact = redact;
		flow_cache.id = fl->id;
		flow_cache.client = fl->client;
		flow_cache.server = fl->server;
	}
	*len = flow_cache.len;
	return flow_cache.txt;
}

static inline __attribute__((always_inline)) void flow_json(mml_jw *w, const mml_flow *fl, bool redact)
{
	size_t n;
	const char *t = flow_text(fl, redact, &n);
	mml_jw_raw(w, t, n);
}

/* Percent-decode s[0..n) into out (cap bytes); '+' is a space. */
static size_t pct_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < cap; i++) {
		if (s[i] == '%' && i + 2 < n + 0 && mml_hex_digit((unsigned char)s[i + 1]) >= 0 &&
		    mml_hex_digit((unsigned char)s[i + 2]) >= 0) {
			out[k++] = (char)(mml_hex_digit((unsigned char)s[i + 1]) << 4 | mml_hex_digit((unsigned char)s[i + 2]));
			i += 2;
		} else {
			out[k++] = s[i] == '+' ? ' ' : s[i];
		}
	}
	return k;
}

/* A plain HTTP request's query parameters as an object (values masked with redact). */
static void query_json(mml_jw *w, const char *path, bool redact)
{
	const char *q = strchr(path, '?');
	mml_jw_obj(w);
	while (q && *++q) {
		size_t n = strcspn(q, "&");
		size_t kn = strcspn(q, "=");
		if (kn > n)
			kn = n;
		char k[256], v[2048];
		size_t kl = pct_decode(q, kn, k, sizeof k);
		size_t vl = kn < n ? pct_decode(q + kn + 1, n - kn - 1, v, sizeof v) : 0;
		if (kl) {
			mml_jw_key_str(w, k, kl);
			if (redact)
				mml_jw_lit(w, "\"redacted\"");
			else
				mml_jw_str(w, v, vl);
		}
		q += n;
		// cppcheck-suppress nullPointerRedundantCheck ; false positive: the loop runs only with q not NULL
		if (*q != '&')
			break;
	}
	mml_jw_close(w);
}

static const char *rec_type_name(uint8_t t)
{
	switch (t) {
	case MML_REC_ALERT: return "alert";
	case MML_REC_HANDSHAKE: return "handshake";
	case MML_REC_DATA: return "data";
	case MML_REC_EARLY: return "early";
	default: return NULL;
	}
}

static const char *keysrc_name(mml_keysrc k)
{
	return k == MML_KEY_LOGGED ? "logged" : k == MML_KEY_INFERRED ? "inferred" : NULL;
}

static const char *inflate_name(mml_inflate_state i)
{
	return i == MML_INF_OK ? "ok" : i == MML_INF_CAPPED ? "capped" : i == MML_INF_ERROR ? "error" : NULL;
}

/* "keylog_line": N, or null for 0 */
#define KEYLOG_LINE(w, o, line) \
	((line) ? mml_jwp_u64((w), (o), "keylog_line", (line)) : mml_jwp_null((w), (o), "keylog_line"))

/* Room for a run of members: keys, numbers, names (<= MML_LW_FIXED). */
#define RUN 1024

/* From the line's '{' to "api": the message and where it was seen. */
static void msg_head(mml_jw *w, const mml_msg *m, bool redact)
{
	const mml_outer *ou = m->outer;
	char *o = mml_jw_run(w, RUN);
	o = mml_jwp_obj_in(w, o);
	o = mml_jwp_lit(w, o, "kind", "\"message\"");
	o = mml_jwp_u64(w, o, "id", m->id);
	o = mml_jwp_ts(w, o, "ts", ou->ts_us);
	o = mml_jwp_u64(w, o, "pkt", ou->pkt);
	o = mml_jwp_u64(w, o, "pkt_first", ou->pkt_first);
	mml_jw_run_end(w, mml_jwp_key(w, o, "flow"));
	flow_json(w, ou->flow, redact);
	o = mml_jw_run(w, RUN);
	o = mml_jwp_name(w, o, "transport", mml_transport_name(ou->transport));
	o = ou->dir == 0 ? mml_jwp_lit(w, o, "dir", "\"request\"") : mml_jwp_lit(w, o, "dir", "\"response\"");
	o = mml_jwp_name(w, o, "status", mml_status_name(m->status));
	mml_jw_run_end(w, mml_jwp_key(w, o, "detail"));
	mml_jw_cstr(w, m->detail);
	mml_jw_kv_cstr(w, "uri", m->uri);
	mml_jw_kv_cstr(w, "host", m->host);
	o = mml_jw_run(w, RUN);
	o = m->req_type >= 0 ? mml_jwp_i64(w, o, "req_type", m->req_type) : mml_jwp_null(w, o, "req_type");
	mml_jw_run_end(w, mml_jwp_key(w, o, "api"));
	mml_jw_cstr(w, m->api);
}

/* "inner", the outer record and the inner key. */
static void msg_keys(mml_jw *w, const mml_msg *m)
{
	const mml_outer *ou = m->outer;
	char *o = mml_jw_run(w, RUN);
	o = mml_jwp_name(w, o, "inner", mml_inner_name(m->inner));
	if (ou->transport != MML_TR_HTTP) {
		o = mml_jwp_obj_in(w, mml_jwp_key(w, o, "outer"));
		o = mml_jwp_name(w, o, "record", rec_type_name(ou->rec_type));
		o = mml_jwp_u64(w, o, "seq", ou->rec_seq);
		o = mml_jwp_name(w, o, "key", keysrc_name(ou->key_source));
		o = mml_jwp_obj_out(w, KEYLOG_LINE(w, o, ou->keylog_line));
	} else {
		o = mml_jwp_null(w, o, "outer");
	}
	if (m->inner != MML_INNER_NONE) {
		o = mml_jwp_obj_in(w, mml_jwp_key(w, o, "inner_key"));
		o = mml_jwp_name(w, o, "source", keysrc_name(m->inner_key_source));
		o = mml_jwp_obj_out(w, KEYLOG_LINE(w, o, m->inner_keylog_line));
	}
	mml_jw_run_end(w, o);
}

/* The HTTP head and a plain request's query. */
static void msg_http(mml_jw *w, const mml_outer *ou, bool redact)
{
	if (ou->transport != MML_TR_LONGLINK) {
		mml_jw_key(w, "http");
		mml_jw_obj(w);
		mml_jw_kv_cstr(w, "method", ou->http_method);
		mml_jw_kv_cstr(w, "path", ou->http_path && redact && strchr(ou->http_path, '?') ? "redacted" : ou->http_path);
		mml_jw_kv_cstr(w, "host", ou->http_host);
		char *o = mml_jw_run(w, RUN);
		o = ou->dir == 1 && ou->http_status ? mml_jwp_i64(w, o, "status", ou->http_status)
		                                    : mml_jwp_null(w, o, "status");
		mml_jw_run_end(w, mml_jwp_close(w, o));
	}
	if (ou->transport == MML_TR_HTTP && ou->http_path) {
		mml_jw_key(w, "query");
		query_json(w, ou->http_path, redact);
	}
}

/* The business header's fields (uin and cookie masked with redact). */
static void biz_header(mml_jw *w, const mml_bizhdr *h, bool redact)
{
	char *o = mml_jw_run(w, RUN);
	o = mml_jwp_obj(w, mml_jwp_key(w, o, "header"));
	o = mml_jwp_u64(w, o, "length", h->hdr_len);
	o = mml_jwp_u64(w, o, "compress", h->compress);
	o = mml_jwp_u64(w, o, "algo", h->algo);
	o = mml_jwp_u64(w, o, "client_version", h->client_version);
	o = redact ? mml_jwp_lit(w, o, "uin", "\"redacted\"") : mml_jwp_u64(w, o, "uin", h->uin);
	if (redact) {
		mml_jw_run_end(w, mml_jwp_lit(w, o, "cookie", "\"redacted\""));
	} else {
		mml_jw_run_end(w, mml_jwp_key(w, o, "cookie"));
		mml_jw_hex(w, h->cookie, h->cookie_len);
	}
	mml_jw_key(w, "varints");
	mml_jw_arr(w);
	for (unsigned i = 0; i < h->nvarints; i++)
		mml_jw_u64(w, h->varints[i]);
	mml_jw_close(w);
	if (redact)
		mml_jw_kv_lit(w, "raw", "\"redacted\"");
	else
		mml_jw_kv_hex(w, "raw", h->raw, h->hdr_len);
	mml_jw_close(w);
}

/* The longlink packet header, the business header, the envelope's lengths. */
static void msg_envelope(mml_jw *w, const mml_envelope *env, bool redact)
{
	if (!env)
		return;
	if (env->has_longlink) {
		char *o = mml_jw_run(w, RUN);
		o = mml_jwp_obj_in(w, mml_jwp_key(w, o, "longlink"));
		o = mml_jwp_u64(w, o, "cmd", env->ll_cmd);
		o = mml_jwp_u64(w, o, "seq", env->ll_seq);
		o = mml_jwp_u64(w, o, "version", env->ll_version);
		o = mml_jwp_u64(w, o, "length", env->ll_len);
		mml_jw_run_end(w, mml_jwp_obj_out(w, o));
	}
	if (!env->has_biz)
		return;
	biz_header(w, &env->biz, redact);
	if (env->has_prefix) {
		char *o = mml_jw_run(w, RUN);
		o = mml_jwp_obj_in(w, mml_jwp_key(w, o, "envelope"));
		o = mml_jwp_u64(w, o, "total_length", env->total_len);
		o = mml_jwp_u64(w, o, "rest_length", env->rest_len);
		mml_jw_run_end(w, mml_jwp_obj_out(w, o));
	}
}

/* The parts of a multi-part inner body (hex null with hide). */
static void msg_parts(mml_jw *w, const mml_msg *m, bool hide)
{
	mml_jw_key(w, "parts");
	mml_jw_arr(w);
	for (size_t i = 0; i < m->nparts; i++) {
		char *o = mml_jw_run(w, RUN);
		o = mml_jwp_obj(w, o);
		o = mml_jwp_u64(w, o, "field", m->parts[i].field);
		o = mml_jwp_u64(w, o, "keylog_line", m->parts[i].keylog_line);
		o = mml_jwp_u64(w, o, "length", m->parts[i].len);
		if (hide) {
			mml_jw_run_end(w, mml_jwp_null(w, o, "hex"));
		} else {
			mml_jw_run_end(w, mml_jwp_key(w, o, "hex"));
			mml_jw_hex(w, m->parts[i].data, m->parts[i].len);
		}
		mml_jw_close(w);
	}
	mml_jw_close(w);
}

/* From "device_id" to the end of the line: inflation, parts and the body
 * (hex written null with hide). */
static void msg_body(mml_jw *w, const mml_msg *m, bool hide)
{
	char *o = mml_jw_run(w, RUN);
	o = mml_jwp_null(w, o, "device_id");
	o = mml_jwp_bool(w, o, "compressed", m->compressed);
	mml_jw_run_end(w, mml_jwp_name(w, o, "inflate", inflate_name(m->inflate)));
	if (m->nparts)
		msg_parts(w, m, hide);
	o = mml_jw_run(w, RUN);
	o = mml_jwp_u64(w, o, "gap_bytes", m->outer->gap_bytes);
	o = m->body ? mml_jwp_u64(w, o, "body_len", m->body_len) : mml_jwp_null(w, o, "body_len");
	if (m->body && !hide) {
		mml_jw_run_end(w, mml_jwp_key(w, o, "body_hex"));
		mml_jw_hex(w, m->body, m->body_len);
	} else {
		mml_jw_run_end(w, mml_jwp_null(w, o, "body_hex"));
	}
	mml_jw_line_end(w);
}

/* One line per message (docs/SCHEMA.md "decrypt output"); the hot path of
 * `mmlens decrypt`: runs of members, the writer kept in registers. */
void mml_jsonl_message(FILE *f, const mml_msg *m, const mml_jsonl_opts *o)
{
	mml_lw lw;
	mml_jw w;
	mml_jw_begin(&w, &lw, f);
	msg_head(&w, m, o->redact);
	msg_keys(&w, m);
	msg_http(&w, m->outer, o->redact);
	msg_envelope(&w, m->env, o->redact);
	msg_body(&w, m, o->redact || o->no_bodies);
	mml_jw_end(&w);
}

void mml_jsonl_hello(FILE *f, const mml_flow *fl, int dir, mml_transport tr, uint64_t ts_us, uint64_t pkt,
                     const mml_hello *h, const mml_jsonl_opts *o_)
{
	mml_lw lw;
	mml_jw w;
	mml_jw_begin(&w, &lw, f);
	char *o = mml_jw_run(&w, RUN);
	o = mml_jwp_obj_in(&w, o);
	o = mml_jwp_lit(&w, o, "kind", "\"handshake\"");
	o = mml_jwp_ts(&w, o, "ts", ts_us);
	o = mml_jwp_u64(&w, o, "pkt", pkt);
	mml_jw_run_end(&w, mml_jwp_key(&w, o, "flow"));
	flow_json(&w, fl, o_->redact);
	o = mml_jw_run(&w, RUN);
	o = mml_jwp_name(&w, o, "transport", mml_transport_name(tr));
	o = dir == 0 ? mml_jwp_lit(&w, o, "dir", "\"request\"") : mml_jwp_lit(&w, o, "dir", "\"response\"");
	mml_jw_run_end(&w, o);
	mml_hello_write_jw(h, &w); /* the hello's members (src/mmtls/record.c) */
	mml_jw_line_end(&w);
	mml_jw_end(&w);
}
