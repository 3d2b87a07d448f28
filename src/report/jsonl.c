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
	char txt[48 + 2 * MML_JSON_ESC_MAX(80)];
} flow_cache;

static void flow_json(mml_lw *w, const mml_flow *fl, bool redact)
{
	if (flow_cache.valid && flow_cache.id == fl->id && flow_cache.redact == redact &&
	    mml_addr_eq(&flow_cache.client, &fl->client) && mml_addr_eq(&flow_cache.server, &fl->server)) {
		char *o = mml_lw_room(w, flow_cache.len);
		w->p = mml_put(o, flow_cache.txt, flow_cache.len);
		return;
	}
	char c[80], sv[80];
	mml_addr_format(&fl->client, c, sizeof c);
	mml_addr_format(&fl->server, sv, sizeof sv);
	char *o = flow_cache.txt;
	o = MML_PUTLIT(o, "{\"id\":");
	o = mml_put_u64(o, fl->id);
	o = MML_PUTLIT(o, ",\"client\":");
	o = redact ? MML_PUTLIT(o, "\"redacted\"") : mml_json_esc(o, c, strlen(c));
	o = MML_PUTLIT(o, ",\"server\":");
	o = mml_json_esc(o, sv, strlen(sv));
	*o++ = '}';
	flow_cache.len = (size_t)(o - flow_cache.txt);
	flow_cache.valid = true;
	flow_cache.redact = redact;
	flow_cache.id = fl->id;
	flow_cache.client = fl->client;
	flow_cache.server = fl->server;
	o = mml_lw_room(w, flow_cache.len);
	w->p = mml_put(o, flow_cache.txt, flow_cache.len);
}

static int hexv(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decode s[0..n) into out (cap bytes); '+' is a space. */
static size_t pct_decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < cap; i++) {
		if (s[i] == '%' && i + 2 < n + 0 && hexv((unsigned char)s[i + 1]) >= 0 && hexv((unsigned char)s[i + 2]) >= 0) {
			out[k++] = (char)(hexv((unsigned char)s[i + 1]) << 4 | hexv((unsigned char)s[i + 2]));
			i += 2;
		} else {
			out[k++] = s[i] == '+' ? ' ' : s[i];
		}
	}
	return k;
}

static void query_json(mml_lw *w, const char *path, bool redact)
{
	const char *q = strchr(path, '?');
	mml_lw_lit(w, "{");
	if (q) {
		q++;
		int first = 1;
		while (*q) {
			size_t n = strcspn(q, "&");
			size_t kn = strcspn(q, "=");
			if (kn > n)
				kn = n;
			char k[256], v[2048];
			size_t kl = pct_decode(q, kn, k, sizeof k);
			size_t vl = kn < n ? pct_decode(q + kn + 1, n - kn - 1, v, sizeof v) : 0;
			if (kl) {
				if (!first)
					mml_lw_lit(w, ",");
				first = 0;
				mml_lw_str(w, k, kl);
				mml_lw_lit(w, ":");
				if (redact)
					mml_lw_lit(w, "\"redacted\"");
				else
					mml_lw_str(w, v, vl);
			}
			q += n;
			if (*q == '&')
				q++;
		}
	}
	mml_lw_lit(w, "}");
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

/* A name from a fixed table, quoted; NULL gives null. */
static char *put_name(char *o, const char *s)
{
	if (!s)
		return MML_PUTLIT(o, "null");
	*o++ = '"';
	o = mml_put(o, s, strlen(s));
	*o++ = '"';
	return o;
}

/* ",\"keylog_line\":N}" or ",\"keylog_line\":null}" */
static char *put_keylog_line(char *o, uint32_t line)
{
	o = MML_PUTLIT(o, ",\"keylog_line\":");
	o = line ? mml_put_u64(o, line) : MML_PUTLIT(o, "null");
	*o++ = '}';
	return o;
}

void mml_jsonl_message(FILE *f, const mml_msg *m, const mml_jsonl_opts *o_)
{
	const mml_outer *ou = m->outer;
	const bool redact = o_->redact, hide = o_->redact || o_->no_bodies;
	mml_lw w;
	mml_lw_begin(&w, f);
	char *o = mml_lw_room(&w, MML_LW_FIXED);
	o = MML_PUTLIT(o, "{\"kind\":\"message\",\"id\":");
	o = mml_put_u64(o, m->id);
	o = MML_PUTLIT(o, ",\"ts\":");
	o = mml_put_ts(o, ou->ts_us);
	o = MML_PUTLIT(o, ",\"pkt\":");
	o = mml_put_u64(o, ou->pkt);
	o = MML_PUTLIT(o, ",\"pkt_first\":");
	o = mml_put_u64(o, ou->pkt_first);
	o = MML_PUTLIT(o, ",\"flow\":");
	w.p = o;
	flow_json(&w, ou->flow, redact);
	o = mml_lw_room(&w, MML_LW_FIXED);
	o = MML_PUTLIT(o, ",\"transport\":");
	o = put_name(o, mml_transport_name(ou->transport));
	o = ou->dir == 0 ? MML_PUTLIT(o, ",\"dir\":\"request\"") : MML_PUTLIT(o, ",\"dir\":\"response\"");
	o = MML_PUTLIT(o, ",\"status\":");
	o = put_name(o, mml_status_name(m->status));
	o = MML_PUTLIT(o, ",\"detail\":");
	w.p = o;
	mml_lw_cstr(&w, m->detail);
	mml_lw_lit(&w, ",\"uri\":");
	mml_lw_cstr(&w, m->uri);
	mml_lw_lit(&w, ",\"host\":");
	mml_lw_cstr(&w, m->host);
	o = mml_lw_room(&w, MML_LW_FIXED);
	o = MML_PUTLIT(o, ",\"req_type\":");
	o = m->req_type >= 0 ? mml_put_i64(o, m->req_type) : MML_PUTLIT(o, "null");
	o = MML_PUTLIT(o, ",\"api\":");
	w.p = o;
	mml_lw_cstr(&w, m->api);
	o = mml_lw_room(&w, MML_LW_FIXED);
	o = MML_PUTLIT(o, ",\"inner\":");
	o = put_name(o, mml_inner_name(m->inner));
	/* outer record */
	if (ou->transport != MML_TR_HTTP) {
		o = MML_PUTLIT(o, ",\"outer\":{\"record\":");
		o = put_name(o, rec_type_name(ou->rec_type));
		o = MML_PUTLIT(o, ",\"seq\":");
		o = mml_put_u64(o, ou->rec_seq);
		o = MML_PUTLIT(o, ",\"key\":");
		o = put_name(o, keysrc_name(ou->key_source));
		o = put_keylog_line(o, ou->keylog_line);
	} else {
		o = MML_PUTLIT(o, ",\"outer\":null");
	}
	if (m->inner != MML_INNER_NONE) {
		o = MML_PUTLIT(o, ",\"inner_key\":{\"source\":");
		o = put_name(o, keysrc_name(m->inner_key_source));
		o = put_keylog_line(o, m->inner_keylog_line);
	}
	w.p = o;
	if (ou->transport != MML_TR_LONGLINK) {
		mml_lw_lit(&w, ",\"http\":{\"method\":");
		mml_lw_cstr(&w, ou->http_method);
		mml_lw_lit(&w, ",\"path\":");
		mml_lw_cstr(&w, ou->http_path && redact && strchr(ou->http_path, '?') ? "redacted" : ou->http_path);
		mml_lw_lit(&w, ",\"host\":");
		mml_lw_cstr(&w, ou->http_host);
		o = mml_lw_room(&w, 64);
		o = MML_PUTLIT(o, ",\"status\":");
		o = ou->dir == 1 && ou->http_status ? mml_put_i64(o, ou->http_status) : MML_PUTLIT(o, "null");
		*o++ = '}';
		w.p = o;
	}
	if (ou->transport == MML_TR_HTTP && ou->http_path) {
		mml_lw_lit(&w, ",\"query\":");
		query_json(&w, ou->http_path, redact);
	}
	const mml_envelope *env = m->env;
	o = mml_lw_room(&w, MML_LW_FIXED);
	if (env && env->has_longlink) {
		o = MML_PUTLIT(o, ",\"longlink\":{\"cmd\":");
		o = mml_put_u64(o, env->ll_cmd);
		o = MML_PUTLIT(o, ",\"seq\":");
		o = mml_put_u64(o, env->ll_seq);
		o = MML_PUTLIT(o, ",\"version\":");
		o = mml_put_u64(o, env->ll_version);
		o = MML_PUTLIT(o, ",\"length\":");
		o = mml_put_u64(o, env->ll_len);
		*o++ = '}';
	}
	if (env && env->has_biz) {
		const mml_bizhdr *h = &env->biz;
		o = MML_PUTLIT(o, ",\"header\":{\"length\":");
		o = mml_put_u64(o, h->hdr_len);
		o = MML_PUTLIT(o, ",\"compress\":");
		o = mml_put_u64(o, h->compress);
		o = MML_PUTLIT(o, ",\"algo\":");
		o = mml_put_u64(o, h->algo);
		o = MML_PUTLIT(o, ",\"client_version\":");
		o = mml_put_u64(o, h->client_version);
		o = MML_PUTLIT(o, ",\"uin\":");
		o = redact ? MML_PUTLIT(o, "\"redacted\"") : mml_put_u64(o, h->uin);
		o = MML_PUTLIT(o, ",\"cookie\":");
		w.p = o;
		if (redact)
			mml_lw_lit(&w, "\"redacted\"");
		else
			mml_lw_hex(&w, h->cookie, h->cookie_len);
		mml_lw_lit(&w, ",\"varints\":[");
		for (unsigned i = 0; i < h->nvarints; i++) {
			o = mml_lw_room(&w, 24);
			if (i)
				*o++ = ',';
			w.p = mml_put_u64(o, h->varints[i]);
		}
		mml_lw_lit(&w, "],\"raw\":");
		if (redact)
			mml_lw_lit(&w, "\"redacted\"");
		else
			mml_lw_hex(&w, h->raw, h->hdr_len);
		o = mml_lw_room(&w, MML_LW_FIXED);
		*o++ = '}';
		if (env->has_prefix) {
			o = MML_PUTLIT(o, ",\"envelope\":{\"total_length\":");
			o = mml_put_u64(o, env->total_len);
			o = MML_PUTLIT(o, ",\"rest_length\":");
			o = mml_put_u64(o, env->rest_len);
			*o++ = '}';
		}
	}
	o = MML_PUTLIT(o, ",\"device_id\":null");
	o = m->compressed ? MML_PUTLIT(o, ",\"compressed\":true,\"inflate\":")
	                  : MML_PUTLIT(o, ",\"compressed\":false,\"inflate\":");
	o = m->inflate == MML_INF_OK       ? MML_PUTLIT(o, "\"ok\"")
	    : m->inflate == MML_INF_CAPPED ? MML_PUTLIT(o, "\"capped\"")
	    : m->inflate == MML_INF_ERROR  ? MML_PUTLIT(o, "\"error\"")
	                                   : MML_PUTLIT(o, "null");
	w.p = o;
	if (m->nparts) {
		mml_lw_lit(&w, ",\"parts\":[");
		for (size_t i = 0; i < m->nparts; i++) {
			o = mml_lw_room(&w, 128);
			if (i)
				*o++ = ',';
			o = MML_PUTLIT(o, "{\"field\":");
			o = mml_put_u64(o, m->parts[i].field);
			o = MML_PUTLIT(o, ",\"keylog_line\":");
			o = mml_put_u64(o, m->parts[i].keylog_line);
			o = MML_PUTLIT(o, ",\"length\":");
			o = mml_put_u64(o, m->parts[i].len);
			o = MML_PUTLIT(o, ",\"hex\":");
			w.p = o;
			if (hide)
				mml_lw_lit(&w, "null");
			else
				mml_lw_hex(&w, m->parts[i].data, m->parts[i].len);
			mml_lw_lit(&w, "}");
		}
		mml_lw_lit(&w, "]");
	}
	o = mml_lw_room(&w, 128);
	o = MML_PUTLIT(o, ",\"gap_bytes\":");
	o = mml_put_u64(o, ou->gap_bytes);
	o = MML_PUTLIT(o, ",\"body_len\":");
	o = m->body ? mml_put_u64(o, m->body_len) : MML_PUTLIT(o, "null");
	o = MML_PUTLIT(o, ",\"body_hex\":");
	w.p = o;
	if (m->body && !hide)
		mml_lw_hex(&w, m->body, m->body_len);
	else
		mml_lw_lit(&w, "null");
	mml_lw_lit(&w, "}\n");
	mml_lw_end(&w);
}

void mml_jsonl_hello(FILE *f, const mml_flow *fl, int dir, mml_transport tr, uint64_t ts_us, uint64_t pkt,
                     const mml_hello *h, const mml_jsonl_opts *o_)
{
	mml_lw w;
	mml_lw_begin(&w, f);
	char *o = mml_lw_room(&w, 128);
	o = MML_PUTLIT(o, "{\"kind\":\"handshake\",\"ts\":");
	o = mml_put_ts(o, ts_us);
	o = MML_PUTLIT(o, ",\"pkt\":");
	o = mml_put_u64(o, pkt);
	o = MML_PUTLIT(o, ",\"flow\":");
	w.p = o;
	flow_json(&w, fl, o_->redact);
	o = mml_lw_room(&w, 128);
	o = MML_PUTLIT(o, ",\"transport\":");
	o = put_name(o, mml_transport_name(tr));
	o = dir == 0 ? MML_PUTLIT(o, ",\"dir\":\"request\",") : MML_PUTLIT(o, ",\"dir\":\"response\",");
	w.p = o;
	mml_hello_write_lw(h, &w);
	mml_lw_lit(&w, "}\n");
	mml_lw_end(&w);
}
