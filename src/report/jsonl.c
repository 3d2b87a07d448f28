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

static void ts_json(FILE *f, uint64_t us)
{
	fprintf(f, "%llu.%06llu", (unsigned long long)(us / 1000000u), (unsigned long long)(us % 1000000u));
}

static void flow_json(FILE *f, const mml_flow *fl, bool redact)
{
	char c[80], s[80];
	mml_addr_format(&fl->client, c, sizeof c);
	mml_addr_format(&fl->server, s, sizeof s);
	fprintf(f, "{\"id\":%llu,\"client\":", (unsigned long long)fl->id);
	mml_json_cstr(f, redact ? "redacted" : c);
	fputs(",\"server\":", f);
	mml_json_cstr(f, s);
	fputc('}', f);
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

static void query_json(FILE *f, const char *path, bool redact)
{
	const char *q = strchr(path, '?');
	fputs("{", f);
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
				fputs(first ? "" : ",", f);
				first = 0;
				mml_json_str(f, k, kl);
				fputc(':', f);
				if (redact)
					mml_json_cstr(f, "redacted");
				else
					mml_json_str(f, v, vl);
			}
			q += n;
			if (*q == '&')
				q++;
		}
	}
	fputs("}", f);
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

void mml_jsonl_message(FILE *f, const mml_msg *m, const mml_jsonl_opts *o)
{
	const mml_outer *ou = m->outer;
	fprintf(f, "{\"kind\":\"message\",\"id\":%llu,\"ts\":", (unsigned long long)m->id);
	ts_json(f, ou->ts_us);
	fprintf(f, ",\"pkt\":%llu,\"pkt_first\":%llu,\"flow\":", (unsigned long long)ou->pkt,
	        (unsigned long long)ou->pkt_first);
	flow_json(f, ou->flow, o->redact);
	fprintf(f, ",\"transport\":\"%s\",\"dir\":\"%s\",\"status\":\"%s\",\"detail\":",
	        mml_transport_name(ou->transport), ou->dir == 0 ? "request" : "response", mml_status_name(m->status));
	mml_json_cstr(f, m->detail);
	fputs(",\"uri\":", f);
	mml_json_cstr(f, m->uri);
	fputs(",\"host\":", f);
	mml_json_cstr(f, m->host);
	if (m->req_type >= 0)
		fprintf(f, ",\"req_type\":%lld", (long long)m->req_type);
	else
		fputs(",\"req_type\":null", f);
	fputs(",\"api\":", f);
	mml_json_cstr(f, m->api);
	fprintf(f, ",\"inner\":\"%s\"", mml_inner_name(m->inner));
	/* outer record */
	if (ou->transport != MML_TR_HTTP) {
		fputs(",\"outer\":{\"record\":", f);
		mml_json_cstr(f, rec_type_name(ou->rec_type));
		fprintf(f, ",\"seq\":%llu,\"key\":", (unsigned long long)ou->rec_seq);
		mml_json_cstr(f, keysrc_name(ou->key_source));
		if (ou->keylog_line)
			fprintf(f, ",\"keylog_line\":%u}", ou->keylog_line);
		else
			fputs(",\"keylog_line\":null}", f);
	} else {
		fputs(",\"outer\":null", f);
	}
	if (m->inner != MML_INNER_NONE) {
		fputs(",\"inner_key\":{\"source\":", f);
		mml_json_cstr(f, keysrc_name(m->inner_key_source));
		if (m->inner_keylog_line)
			fprintf(f, ",\"keylog_line\":%u}", m->inner_keylog_line);
		else
			fputs(",\"keylog_line\":null}", f);
	}
	if (ou->transport != MML_TR_LONGLINK) {
		fputs(",\"http\":{\"method\":", f);
		mml_json_cstr(f, ou->http_method);
		fputs(",\"path\":", f);
		mml_json_cstr(f, ou->http_path && o->redact && strchr(ou->http_path, '?') ? "redacted" : ou->http_path);
		fputs(",\"host\":", f);
		mml_json_cstr(f, ou->http_host);
		if (ou->dir == 1 && ou->http_status)
			fprintf(f, ",\"status\":%d}", ou->http_status);
		else
			fputs(",\"status\":null}", f);
	}
	if (ou->transport == MML_TR_HTTP && ou->http_path) {
		fputs(",\"query\":", f);
		query_json(f, ou->http_path, o->redact);
	}
	const mml_envelope *env = m->env;
	if (env && env->has_longlink)
		fprintf(f, ",\"longlink\":{\"cmd\":%u,\"seq\":%u,\"version\":%u,\"length\":%u}", env->ll_cmd, env->ll_seq,
		        env->ll_version, env->ll_len);
	if (env && env->has_biz) {
		const mml_bizhdr *h = &env->biz;
		fprintf(f, ",\"header\":{\"length\":%u,\"compress\":%u,\"algo\":%u,\"client_version\":%u,\"uin\":", h->hdr_len,
		        h->compress, h->algo, h->client_version);
		if (o->redact)
			fputs("\"redacted\"", f);
		else
			fprintf(f, "%u", h->uin);
		fputs(",\"cookie\":", f);
		if (o->redact)
			fputs("\"redacted\"", f);
		else
			mml_json_hex(f, h->cookie, h->cookie_len);
		fputs(",\"varints\":[", f);
		for (unsigned i = 0; i < h->nvarints; i++)
			fprintf(f, "%s%llu", i ? "," : "", (unsigned long long)h->varints[i]);
		fputs("],\"raw\":", f);
		if (o->redact)
			fputs("\"redacted\"", f);
		else
			mml_json_hex(f, h->raw, h->hdr_len);
		fputc('}', f);
		if (env->has_prefix)
			fprintf(f, ",\"envelope\":{\"total_length\":%u,\"rest_length\":%u}", env->total_len, env->rest_len);
	}
	fputs(",\"device_id\":null", f);
	fprintf(f, ",\"compressed\":%s,\"inflate\":", m->compressed ? "true" : "false");
	mml_json_cstr(f, m->inflate == MML_INF_OK ? "ok" : m->inflate == MML_INF_CAPPED ? "capped"
	                 : m->inflate == MML_INF_ERROR ? "error" : NULL);
	if (m->nparts) {
		fputs(",\"parts\":[", f);
		for (size_t i = 0; i < m->nparts; i++) {
			fprintf(f, "%s{\"field\":%u,\"keylog_line\":%u,\"length\":%zu,\"hex\":", i ? "," : "", m->parts[i].field,
			        m->parts[i].keylog_line, m->parts[i].len);
			if (o->redact || o->no_bodies)
				fputs("null", f);
			else
				mml_json_hex(f, m->parts[i].data, m->parts[i].len);
			fputc('}', f);
		}
		fputc(']', f);
	}
	fprintf(f, ",\"gap_bytes\":%llu,\"body_len\":", (unsigned long long)ou->gap_bytes);
	if (m->body)
		fprintf(f, "%zu,\"body_hex\":", m->body_len);
	else
		fputs("null,\"body_hex\":", f);
	if (m->body && !o->redact && !o->no_bodies)
		mml_json_hex(f, m->body, m->body_len);
	else
		fputs("null", f);
	fputs("}\n", f);
}

void mml_jsonl_hello(FILE *f, const mml_flow *fl, int dir, mml_transport tr, uint64_t ts_us, uint64_t pkt,
                     const mml_hello *h, const mml_jsonl_opts *o)
{
	fputs("{\"kind\":\"handshake\",\"ts\":", f);
	ts_json(f, ts_us);
	fprintf(f, ",\"pkt\":%llu,\"flow\":", (unsigned long long)pkt);
	flow_json(f, fl, o->redact);
	fprintf(f, ",\"transport\":\"%s\",\"dir\":\"%s\",", mml_transport_name(tr), dir == 0 ? "request" : "response");
	mml_hello_write_json(h, f);
	fputs("}\n", f);
}
