/*
 * main.c - mmlens-sim: writes a realistic WeChat capture, the key log the
 * instrumentation would have recorded, and a ground-truth JSONL.
 *
 * A session per device: newgetdns over plain HTTP, a full-handshake
 * shortlink, the hybrid-ECDH auth (secautoauth) over 0-RTT shortlink, a
 * longlink with a full handshake carrying newsync and heartbeats, then the
 * scenario's logged-in shortlink requests (AES-128-CBC). With --size the
 * logged-in activity repeats until the capture reaches that size; bodies
 * then come from a pool made at the start, so generation stays fast and
 * memory stays flat. Devices interleave step by step. Deterministic for a
 * seed. Writes nothing but the files named on the command line. The
 * `bench` mix (which exchange next, its body pool, DNS lookups) lives in
 * benchmix.c; what each message says in content*.c; the command line in
 * opts.c.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "benchmix.h"
#include "net.h"
#include "opts.h"
#include "proto.h"

/* both bench mixes run their longlink on the session key (one key line per device) */
#define IS_BENCH(s) ((s)->o.scenario == SC_BENCH || (s)->o.scenario == SC_BENCH_HEAVY)

typedef struct dev_state {
	sim_device d;
	int index;
	uint8_t session_key[16];
	uint8_t cookie[15];
	int step;
	uint16_t next_port;
	sim_tcp ll;          /* the longlink connection */
	sim_mm llmm;
	uint32_t ll_seq;
	bool ll_open;
	const sim_kind *plan;
	int nplan;
	int done;
} dev_state;

typedef struct sim {
	sim_opts o;
	sim_rng rng;
	sim_pcapw w;
	sim_net net;
	sim_proto proto;
	FILE *truth;
	uint64_t nmsg, nlost;
	mml_buf req, resp, inner, tmp;
	sim_body body;
	/* pool of bodies for --size activity, with their zlib forms */
	sim_body *pool;
	mml_buf *poolz;
	uint8_t *poolcls;    /* bench: each pooled body's size class (NULL otherwise) */
	int npool;
	int want_cls;        /* bench: the size class content() picks from the pool */
	bool idle_done;      /* --idle: the jump was made */
	const mml_buf *lastz; /* zlib form of the body content() returned last */
} sim;

static const uint8_t IP_SHORT[4] = {49, 51, 67, 253}, IP_LONG[4] = {101, 32, 104, 4}, IP_DNS[4] = {43, 130, 30, 240};
static const char HOST_SHORT[] = "sgshort.wechat.com";

static const sim_kind PLAN_STARTUP[] = {SIM_K_GETCDNDNS, SIM_K_FCMREG, SIM_K_CHECKRESUPDATE, SIM_K_BYPSYNC,
                                        SIM_K_STATUSNOTIFY, SIM_K_NETWORKINFO, SIM_K_CHECKRESUPDATE, SIM_K_TELEMETRY};
static const sim_kind PLAN_MESSAGING[] = {SIM_K_GETCDNDNS, SIM_K_BYPSYNC,  SIM_K_SENDMSG,   SIM_K_SENDMSG,
                                          SIM_K_STATUSNOTIFY, SIM_K_SENDMSG, SIM_K_TELEMETRY, SIM_K_SENDMSG,
                                          SIM_K_UPLOADIMG,    SIM_K_SENDMSG};
static const sim_kind PLAN_MINIPROGRAM[] = {SIM_K_GETCDNDNS, SIM_K_NETWORKINFO, SIM_K_SEARCH,  SIM_K_MP_LAUNCH,
                                            SIM_K_LOCATION,  SIM_K_MP_REPORT,   SIM_K_MP_REPORT, SIM_K_TELEMETRY,
                                            SIM_K_LOCATION,  SIM_K_MP_REPORT};
/* the session plan of both bench mixes (and of `all` before the core features): kept as it is,
 * so that the bench captures stay byte for byte the same */
static const sim_kind PLAN_BENCH[] = {SIM_K_GETCDNDNS, SIM_K_FCMREG,   SIM_K_CHECKRESUPDATE, SIM_K_BYPSYNC,
                                      SIM_K_STATUSNOTIFY, SIM_K_NETWORKINFO, SIM_K_SENDMSG, SIM_K_SEARCH,
                                      SIM_K_MP_LAUNCH, SIM_K_LOCATION, SIM_K_MP_REPORT, SIM_K_TELEMETRY};
static const sim_kind PLAN_ALL[] = {SIM_K_GETCDNDNS, SIM_K_FCMREG,   SIM_K_CHECKRESUPDATE, SIM_K_BYPSYNC,
                                    SIM_K_STATUSNOTIFY, SIM_K_NETWORKINFO, SIM_K_SENDMSG, SIM_K_SEARCH,
                                    SIM_K_MP_LAUNCH, SIM_K_LOCATION, SIM_K_MP_REPORT, SIM_K_TELEMETRY,
                                    SIM_K_UPLOADIMG, SIM_K_SNSPOST, SIM_K_SNSCOMMENT};
/* the core features: a Moments post, comments on friends' posts, images sent in chats */
static const sim_kind PLAN_POST[] = {SIM_K_GETCDNDNS, SIM_K_BYPSYNC, SIM_K_SNSPOST, SIM_K_STATUSNOTIFY,
                                     SIM_K_SNSPOST, SIM_K_TELEMETRY, SIM_K_SNSPOST};
static const sim_kind PLAN_COMMENT[] = {SIM_K_GETCDNDNS, SIM_K_BYPSYNC, SIM_K_SNSCOMMENT, SIM_K_SNSCOMMENT,
                                        SIM_K_STATUSNOTIFY, SIM_K_SNSCOMMENT, SIM_K_SNSCOMMENT};
static const sim_kind PLAN_IMAGE[] = {SIM_K_GETCDNDNS, SIM_K_BYPSYNC, SIM_K_UPLOADIMG, SIM_K_SENDMSG,
                                      SIM_K_STATUSNOTIFY, SIM_K_UPLOADIMG, SIM_K_UPLOADIMG};

/* ---- ground truth ---- */

static void jstr(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void addr(char *b, size_t n, const sim_net *net, const uint8_t ip4[4], uint16_t port)
{
	if (net->cfg.ipv6)
		snprintf(b, n, "[2001:db8::%x:%x]:%u", ip4[0] << 8 | ip4[1], ip4[2] << 8 | ip4[3], port);
	else
		snprintf(b, n, "%u.%u.%u.%u:%u", ip4[0], ip4[1], ip4[2], ip4[3], port);
}

/*
 * One truth line. uin: the uin of the message's business header (0: the
 * message has none); it is personal data the capture carries next to the
 * body, labelled "header.uin" as mmlens scan adds it to the decoded tree.
 * uri: the HTTP request target of a plain HTTP message (NULL otherwise).
 */
static void truth_msg(sim *s, const dev_state *ds, const uint8_t sip[4], uint16_t cport, uint16_t sport,
                      const char *transport, int dir, const sim_body *b, const char *inner, const uint8_t *body,
                      size_t blen, bool lost, uint32_t uin, const char *uri)
{
	s->nmsg++;
	s->nlost += lost;
	if (!s->truth)
		return;
	FILE *f = s->truth;
	char c[64], sv[64];
	addr(c, sizeof c, &s->net, ds->d.client_ip, cport);
	addr(sv, sizeof sv, &s->net, sip, sport);
	fprintf(f, "{\"kind\":\"message\",\"device\":%d,\"ts\":%llu.%06llu,\"flow\":{\"client\":\"%s\",\"server\":\"%s\"},"
	           "\"transport\":\"%s\",\"dir\":\"%s\",\"req_type\":",
	        ds->index, (unsigned long long)(s->net.now_us / 1000000), (unsigned long long)(s->net.now_us % 1000000), c,
	        sv, transport, dir ? "response" : "request");
	if (b && b->req_type)
		fprintf(f, "%u,\"api\":", b->req_type);
	else
		fputs("null,\"api\":", f);
	if (b && b->api)
		jstr(f, b->api);
	else
		fputs("null", f);
	fprintf(f, ",\"inner\":\"%s\",\"lost\":%s", inner, lost ? "true" : "false");
	if (uin)
		fprintf(f, ",\"uin\":%u", uin);
	if (uri) {
		fputs(",\"uri\":", f);
		jstr(f, uri);
	}
	fputs(",\"body_hex\":\"", f);
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < blen; i++) {
		fputc(d[body[i] >> 4], f);
		fputc(d[body[i] & 15], f);
	}
	fputs("\",\"pii\":[", f);
	for (int i = 0; b && i < b->ntruth; i++) {
		fputs(i ? ",{\"category\":" : "{\"category\":", f);
		jstr(f, b->truth[i].category);
		fputs(",\"path\":", f);
		jstr(f, b->truth[i].path);
		fputs(",\"value\":", f);
		jstr(f, b->truth[i].value);
		fputc('}', f);
	}
	if (uin)
		fprintf(f, "%s{\"category\":\"identity.account\",\"path\":\"header.uin\",\"value\":\"%u\"}",
		        b && b->ntruth ? "," : "", uin);
	fputs("]}\n", f);
}

static bool hit(const sim_range *lost, int n, size_t lo, size_t hi)
{
	for (int i = 0; i < n; i++)
		if (lost[i].lo < hi && lost[i].hi > lo)
			return true;
	return false;
}

/* ---- exchanges ---- */

static const sim_body *content(sim *s, dev_state *ds, sim_kind k, bool request)
{
	s->lastz = NULL;
	if (s->npool && k != SIM_K_AUTH) {
		/* pooled: pick a body of this kind and direction */
		int base = (int)sim_rng_below(&s->rng, (uint64_t)s->npool);
		for (int i = 0; i < s->npool; i++) {
			int j = (base + i) % s->npool;
			if (s->pool[j].kind == k && s->pool[j].request == request &&
			    (!s->poolcls || s->poolcls[j] == s->want_cls)) {
				s->lastz = &s->poolz[j];
				return &s->pool[j];
			}
		}
	}
	sim_ctx_info ci = {.location_on = s->o.location_on, .ts_us = s->net.now_us, .seq = ds->step};
	sim_content_make(&s->rng, &ds->d, &ci, k, request, &s->body);
	return &s->body;
}

/* The Android API level of the device's OS version ("14": 34), as devicetype carries it. */
static int api_level(const sim_device *d)
{
	char *end;
	long v = strtol(d->os_version, &end, 10);
	if (end == d->os_version || v < 1 || v > 99) {
		/* device.c writes the version: a bug */
		fprintf(stderr, "mmlens-sim: device OS version \"%s\" is not a number\n", d->os_version);
		abort();
	}
	return 20 + (int)v;
}

static void http_newgetdns(sim *s, dev_state *ds)
{
	sim_tcp t;
	uint16_t port = ds->next_port++;
	sim_tcp_open(&s->net, &t, ds->d.client_ip, port, IP_DNS, 8080);
	char q[512];
	/* devicetype carries the SDK level (Android 14 = API 34), as in the real capture. */
	int n = snprintf(q, sizeof q,
	                 "GET /cgi-bin/micromsg-bin/newgetdns?uin=%u&clientversion=%u&scene=0&net=1&md5=%016llx%016llx"
	                 "&devicetype=android-%d&lan=%s&sigver=2 HTTP/1.0\r\nAccept: */*\r\nAccept-Encoding: deflate\r\n"
	                 "Cache-Control: no-cache\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n"
	                 "Host: dns.weixin.qq.com\r\nUser-Agent: MicroMessenger Client\r\n\r\n",
	                 ds->d.uin, ds->d.client_version, (unsigned long long)sim_rng_next(&s->rng),
	                 (unsigned long long)sim_rng_next(&s->rng), api_level(&ds->d), ds->d.lang);
	sim_range lost[SIM_MAX_LOST];
	int nl;
	sim_tcp_send(&s->net, &t, 0, (const uint8_t *)q, (size_t)n, lost, &nl);
	sim_body b;
	sim_body_init(&b);
	b.req_type = 0;
	b.api = "/cgi-bin/micromsg-bin/newgetdns";
	b.request = true;
	/* the query's personal data: the uin, the device type, the language */
	static const struct {
		const char *cat, *key;
	} qt[3] = {{"identity.account", "uin"}, {"device.info", "devicetype"}, {"locale", "lan"}};
	char uri[400];
	const char *u0 = q + 4; /* after "GET " */
	const char *ue = memchr(u0, ' ', (size_t)n - 4);
	snprintf(uri, sizeof uri, "%.*s", ue && ue > u0 ? (int)(ue - u0) : 0, u0);
	for (int i = 0; i < 3; i++) {
		snprintf(b.truth[i].category, sizeof b.truth[i].category, "%s", qt[i].cat);
		snprintf(b.truth[i].path, sizeof b.truth[i].path, "query.%s", qt[i].key);
	}
	snprintf(b.truth[0].value, sizeof b.truth[0].value, "%u", ds->d.uin);
	snprintf(b.truth[1].value, sizeof b.truth[1].value, "android-%d", api_level(&ds->d));
	snprintf(b.truth[2].value, sizeof b.truth[2].value, "%s", ds->d.lang);
	b.ntruth = 3;
	truth_msg(s, ds, IP_DNS, port, 8080, "http", 0, &b, "none", NULL, 0, false, 0, uri);
	sim_net_wait(&s->net, 150000);
	mml_buf_reset(&s->resp);
	const char *h = "HTTP/1.0 200 OK\r\nCache-Control: no-cache\r\nConnection: close\r\n"
	                "Content-Type: application/octet-stream\r\n\r\n";
	mml_buf_append(&s->resp, h, strlen(h));
	size_t hl = s->resp.len, bl = 1500 + sim_rng_below(&s->rng, 1500);
	mml_buf_reserve(&s->resp, bl);
	sim_rng_bytes(&s->rng, s->resp.p + s->resp.len, bl);
	s->resp.len += bl;
	sim_tcp_send(&s->net, &t, 1, s->resp.p, s->resp.len, lost, &nl);
	b.request = false;
	b.ntruth = 0;
	truth_msg(s, ds, IP_DNS, port, 8080, "http", 1, &b, "none", s->resp.p + hl, bl, hit(lost, nl, hl, s->resp.len), 0,
	          NULL);
	sim_tcp_close(&s->net, &t);
	sim_body_free(&b);
}

static void http_wrap_req(mml_buf *out, const char *host, size_t bodylen, uint32_t tag)
{
	char h[400];
	int n = snprintf(h, sizeof h,
	                 "POST /mmtls/%08x HTTP/1.1\r\nAccept: */*\r\nCache-Control: no-cache\r\nConnection: close\r\n"
	                 "Content-Length: %zu\r\nContent-Type: application/octet-stream\r\nHost: %s\r\nUpgrade: mmtls\r\n"
	                 "User-Agent: MicroMessenger Client\r\n\r\n",
	                 tag, bodylen, host);
	mml_buf_append(out, h, (size_t)n);
}

static void http_wrap_resp(mml_buf *out, size_t bodylen)
{
	char h[200];
	int n = snprintf(h, sizeof h,
	                 "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/octet-stream\r\n"
	                 "Content-Length: %zu\r\n\r\n",
	                 bodylen);
	mml_buf_append(out, h, (size_t)n);
}

/* The first shortlink of a session: a full ECDHE handshake, no data. */
static void shortlink_full(sim *s, dev_state *ds)
{
	sim_tcp t;
	uint16_t port = ds->next_port++;
	sim_tcp_open(&s->net, &t, ds->d.client_ip, port, IP_DNS, 8080);
	sim_mm m;
	sim_mm_init(&m, &s->proto);
	mml_buf_reset(&s->inner);
	mml_buf_reset(&s->tmp);
	sim_hs_full(&s->proto, &m, &s->inner, &s->tmp, NULL, 79);
	mml_buf_reset(&s->req);
	http_wrap_req(&s->req, "dns.weixin.qq.com", s->inner.len, (uint32_t)sim_rng_next(&s->rng));
	mml_buf_append(&s->req, s->inner.p, s->inner.len);
	sim_range lost[SIM_MAX_LOST];
	int nl;
	sim_tcp_send(&s->net, &t, 0, s->req.p, s->req.len, lost, &nl);
	sim_net_wait(&s->net, 9000);
	mml_buf_reset(&s->resp);
	http_wrap_resp(&s->resp, s->tmp.len);
	mml_buf_append(&s->resp, s->tmp.p, s->tmp.len);
	sim_tcp_send(&s->net, &t, 1, s->resp.p, s->resp.len, lost, &nl);
	sim_tcp_close(&s->net, &t);
}

/* A 0-RTT shortlink exchange carrying one request and its response. */
static void shortlink(sim *s, dev_state *ds, sim_kind k, sim_inner inner)
{
	sim_tcp t;
	uint16_t port = ds->next_port++;
	if (ds->next_port < 32768)
		ds->next_port = 32768;
	sim_tcp_open(&s->net, &t, ds->d.client_ip, port, IP_SHORT, 80);
	sim_mm m;
	sim_mm_init(&m, &s->proto);
	sim_bizcfg bc = {.dev = &ds->d, .session_key = ds->session_key};
	memcpy(bc.cookie, ds->cookie, 15);
	const char *inner_name = inner == SIM_INNER_CBC ? "cbc" : "gcm";
	/* request flight: hello, extensions, early data, alert */
	mml_buf_reset(&s->tmp);
	sim_hs_0rtt_client(&s->proto, &m, &s->tmp);
	const sim_body *b = content(s, ds, k, true);
	mml_buf_reset(&s->inner);
	sim_biz_build(&s->proto, &bc, b, s->lastz, inner, true, HOST_SHORT, &s->inner);
	size_t rec_lo = s->tmp.len;
	sim_mm_record(&m, 0, 0x17, s->inner.p, s->inner.len, &s->tmp);
	size_t rec_hi = s->tmp.len;
	sim_mm_alert(&m, 0, &s->tmp);
	mml_buf_reset(&s->req);
	http_wrap_req(&s->req, HOST_SHORT, s->tmp.len, (uint32_t)sim_rng_next(&s->rng));
	size_t hl = s->req.len;
	mml_buf_append(&s->req, s->tmp.p, s->tmp.len);
	sim_range lost[SIM_MAX_LOST];
	int nl;
	sim_tcp_send(&s->net, &t, 0, s->req.p, s->req.len, lost, &nl);
	truth_msg(s, ds, IP_SHORT, port, 80, "shortlink", 0, b, inner_name, b->pb.p, b->pb.len,
	          hit(lost, nl, hl + rec_lo, hl + rec_hi), ds->d.uin, NULL);
	sim_net_wait(&s->net, 20000 + sim_rng_below(&s->rng, 180000));
	/* response flight */
	mml_buf_reset(&s->tmp);
	sim_hs_0rtt_server(&s->proto, &m, &s->tmp);
	b = content(s, ds, k, false);
	mml_buf_reset(&s->inner);
	sim_biz_build(&s->proto, &bc, b, s->lastz, inner, false, HOST_SHORT, &s->inner);
	rec_lo = s->tmp.len;
	sim_mm_record(&m, 1, 0x17, s->inner.p, s->inner.len, &s->tmp);
	rec_hi = s->tmp.len;
	sim_mm_alert(&m, 1, &s->tmp);
	mml_buf_reset(&s->resp);
	http_wrap_resp(&s->resp, s->tmp.len);
	hl = s->resp.len;
	mml_buf_append(&s->resp, s->tmp.p, s->tmp.len);
	sim_tcp_send(&s->net, &t, 1, s->resp.p, s->resp.len, lost, &nl);
	truth_msg(s, ds, IP_SHORT, port, 80, "shortlink", 1, b, inner_name, b->pb.p, b->pb.len,
	          hit(lost, nl, hl + rec_lo, hl + rec_hi), ds->d.uin, NULL);
	sim_tcp_close(&s->net, &t);
}

static void longlink_open(sim *s, dev_state *ds, bool resume)
{
	ds->ll_open = true;
	uint16_t port = ds->next_port++;
	sim_tcp_open(&s->net, &ds->ll, ds->d.client_ip, port, IP_LONG, 8080);
	sim_mm_init(&ds->llmm, &s->proto);
	mml_buf_reset(&s->req);
	mml_buf_reset(&s->resp);
	mml_buf_reset(&s->tmp);
	if (resume)
		sim_hs_psk(&s->proto, &ds->llmm, &s->req, &s->resp, &s->tmp);
	else
		sim_hs_full(&s->proto, &ds->llmm, &s->req, &s->resp, &s->tmp, 78);
	sim_range lost[SIM_MAX_LOST];
	int nl;
	sim_tcp_send(&s->net, &ds->ll, 0, s->req.p, s->req.len, lost, &nl);
	sim_net_wait(&s->net, 8000);
	sim_tcp_send(&s->net, &ds->ll, 1, s->resp.p, s->resp.len, lost, &nl);
	sim_tcp_send(&s->net, &ds->ll, 0, s->tmp.p, s->tmp.len, lost, &nl);
}

/* One longlink message (and its answer): newsync (GCM raw) or a plain cmd 205. */
static void longlink_msg(sim *s, dev_state *ds, bool heartbeat)
{
	sim_range lost[SIM_MAX_LOST];
	int nl;
	for (int dir = 0; dir < 2; dir++) {
		mml_buf_reset(&s->inner);
		mml_buf_reset(&s->tmp);
		const sim_body *b = NULL;
		const uint8_t *body;
		size_t blen;
		if (heartbeat) {
			uint8_t hb[64];
			size_t n = 16 + sim_rng_below(&s->rng, 48);
			sim_rng_bytes(&s->rng, hb, n);
			sim_longlink_wrap(dir ? 1000000205u : 205u, 0xfffffffeu, hb, n, &s->inner);
			body = s->inner.p + 16;
			blen = n;
		} else {
			b = content(s, ds, SIM_K_NEWSYNC, dir == 0);
			sim_bizcfg bc = {.dev = &ds->d, .session_key = ds->session_key};
			memcpy(bc.cookie, ds->cookie, 15);
			/* the bench runs its longlink on the session key (one key line per device) */
			sim_biz_build(&s->proto, &bc, b, s->lastz, IS_BENCH(s) ? SIM_INNER_CBC : SIM_INNER_GCM_RAW,
			              false, NULL, &s->tmp);
			sim_longlink_wrap(dir ? 1000000121u : 121u, ds->ll_seq, s->tmp.p, s->tmp.len, &s->inner);
			body = b->pb.p;
			blen = b->pb.len;
		}
		mml_buf_reset(&s->req);
		sim_mm_record(&ds->llmm, dir, 0x17, s->inner.p, s->inner.len, &s->req);
		sim_tcp_send(&s->net, &ds->ll, dir, s->req.p, s->req.len, lost, &nl);
		truth_msg(s, ds, IP_LONG, ds->ll.cport, 8080, "longlink", dir, b,
		          heartbeat ? "none" : IS_BENCH(s) ? "cbc" : "gcm", body, blen, nl > 0,
		          heartbeat ? 0 : ds->d.uin, NULL);
		sim_net_wait(&s->net, 5000 + sim_rng_below(&s->rng, 60000));
	}
	ds->ll_seq++;
}

/* One bench activity step (benchmix.c, docs/SIMULATOR.md "The bench mix"): an
 * exchange drawn with the real capture's weights, its DNS lookups first. */
static void bench_step(sim *s, dev_state *ds)
{
	const bench_ex *e = sim_bench_draw(&s->rng);
	s->want_cls = e->cls;
	if (e->what == BX_SHORT || e->what == BX_DNS)
		sim_bench_dns(&s->net, &s->rng, ds->d.client_ip, e->what == BX_SHORT ? HOST_SHORT : "dns.weixin.qq.com");
	switch (e->what) {
	case BX_SHORT: shortlink(s, ds, e->kind, SIM_INNER_CBC); break;
	case BX_LONG: longlink_msg(s, ds, false); break;
	case BX_HEARTBEAT: longlink_msg(s, ds, true); break;
	default: http_newgetdns(s, ds); break;
	}
	s->want_cls = 0;
}

/* One step of a device's session; returns false when the device is done. */
static bool device_step(sim *s, dev_state *ds)
{
	int st = ds->step++;
	switch (st) {
	case 0: http_newgetdns(s, ds); return true;
	case 1: shortlink_full(s, ds); return true;
	case 2: shortlink(s, ds, SIM_K_AUTH, SIM_INNER_HYBRID_AUTH); return true;
	case 3: longlink_open(s, ds, false); longlink_msg(s, ds, true); return true;
	case 4: longlink_msg(s, ds, false); return true;
	case 5: shortlink(s, ds, SIM_K_NEWSYNC, SIM_INNER_GCM_RAW); return true; /* sync over shortlink, as seen */
	default: break;
	}
	int i = st - 6;
	if (i < ds->nplan) {
		if (i == 1 && s->o.idle_us && !s->idle_done) {
			/* the phone goes to the background: nothing is sent for a while,
			 * then the longlinks go on (the same connections) */
			sim_net_wait(&s->net, s->o.idle_us);
			s->idle_done = true;
		}
		shortlink(s, ds, ds->plan[i], SIM_INNER_CBC);
		if (i % 3 == 2)
			longlink_msg(s, ds, i % 2);
		if (i == ds->nplan / 2) {
			/* the longlink drops and reconnects with its PSK ticket */
			sim_tcp_close(&s->net, &ds->ll);
			longlink_open(s, ds, true);
			longlink_msg(s, ds, false);
		}
		return true;
	}
	if (s->o.size && s->w.bytes < s->o.size && s->o.scenario == SC_BENCH) {
		bench_step(s, ds);
		return true;
	}
	if (s->o.size && s->w.bytes < s->o.size) {
		/* activity: one shortlink, two longlink messages, from the pool */
		shortlink(s, ds, ds->plan[sim_rng_below(&s->rng, (uint64_t)ds->nplan)], SIM_INNER_CBC);
		longlink_msg(s, ds, false);
		longlink_msg(s, ds, false);
		return true;
	}
	if (ds->ll_open) {
		sim_tcp_close(&s->net, &ds->ll);
		ds->ll_open = false;
	}
	return false;
}

/*
 * The body pool for --size: made once, with each body's zlib form. In the
 * bench scenario newsync responses also carry a sync buffer of 2-16 KiB
 * (field 99: text with ids and binary keys, about 3:1 under zlib), so that the
 * byte mix is not all small control messages.
 */
static void make_pool(sim *s, dev_state *ds)
{
	s->npool = 96;
	s->pool = calloc((size_t)s->npool, sizeof *s->pool);
	s->poolz = calloc((size_t)s->npool, sizeof *s->poolz);
	if (!s->pool || !s->poolz) {
		free(s->pool);
		free(s->poolz);
		s->pool = NULL;
		s->poolz = NULL;
		s->npool = 0;
		return;
	}
	sim_kind kinds[64]; /* a plan (at most 63 steps) and newsync */
	int nk = 0;
	for (int i = 0; i < ds->nplan; i++)
		kinds[nk++] = ds->plan[i];
	kinds[nk++] = SIM_K_NEWSYNC;
	for (int i = 0; i < s->npool; i++) {
		sim_body *b = &s->pool[i];
		sim_body_init(b);
		mml_buf_init(&s->poolz[i], 0);
		sim_ctx_info ci = {.location_on = s->o.location_on, .ts_us = s->net.now_us, .seq = i};
		sim_kind k = i >= s->npool / 2 ? SIM_K_NEWSYNC : kinds[(i / 2) % nk];
		sim_content_make(&s->rng, &ds->d, &ci, k, i % 2 == 0, b);
		if (s->o.scenario == SC_BENCH_HEAVY && k == SIM_K_NEWSYNC && !b->request) {
			size_t n = 2048 + sim_rng_below(&s->rng, 14336);
			size_t m = pbw_begin(&b->pb, 99);
			/* text from a small vocabulary with ids and binary keys mixed
			 * in: about 3:1 under zlib, like the real sync bodies */
			while (n) {
				char w[24];
				size_t wl;
				uint64_t r = sim_rng_next(&s->rng);
				if (r % 16 == 0) {
					for (wl = 0; wl < 12; wl++)
						w[wl] = (char)(r >> (wl * 5));
				} else {
					static const char *const vocab[] = {"sync ", "chat ", "room ", "message ", "member ", "update ",
					                                    "contact ", "<msg>", "</msg>", "image ", "voice ", "link ",
					                                    "wxid_", "@chatroom ", "1701738", "ok "};
					const char *v = vocab[(r >> 8) % 16];
					wl = strlen(v);
					memcpy(w, v, wl);
				}
				if (wl > n)
					wl = n;
				mml_buf_append(&b->pb, w, wl);
				n -= wl;
			}
			pbw_end(&b->pb, m);
			b->compress = true;
		}
		if (b->compress)
			mml_deflate(b->pb.p, b->pb.len, &s->poolz[i]);
	}
}

static int run(sim *s)
{
	int nd = s->o.devices;
	dev_state *ds = calloc((size_t)nd, sizeof *ds);
	if (!ds)
		return 1;
	for (int i = 0; i < nd; i++) {
		ds[i].index = i;
		sim_device_make(&s->rng, i, &ds[i].d);
		sim_rng_bytes(&s->rng, ds[i].session_key, 16);
		sim_rng_bytes(&s->rng, ds[i].cookie, 15);
		ds[i].next_port = (uint16_t)(33000 + 1000 * (i % 30));
#define PLAN(p) (ds[i].plan = (p), ds[i].nplan = (int)(sizeof(p) / sizeof(sim_kind)))
		switch (s->o.scenario) {
		case SC_MESSAGING: PLAN(PLAN_MESSAGING); break;
		case SC_MINIPROGRAM: PLAN(PLAN_MINIPROGRAM); break;
		case SC_ALL: PLAN(PLAN_ALL); break;
		case SC_BENCH:
		case SC_BENCH_HEAVY: PLAN(PLAN_BENCH); break;
		case SC_POST: PLAN(PLAN_POST); break;
		case SC_COMMENT: PLAN(PLAN_COMMENT); break;
		case SC_IMAGE: PLAN(PLAN_IMAGE); break;
		default: PLAN(PLAN_STARTUP); break;
		}
#undef PLAN
	}
	if (s->o.size && s->o.scenario == SC_BENCH)
		s->npool = sim_bench_pool(&s->rng, &ds[0].d, s->o.location_on, s->net.now_us, &s->pool, &s->poolz, &s->poolcls);
	else if (s->o.size)
		make_pool(s, &ds[0]);
	int live = nd;
	while (live) {
		live = 0;
		for (int i = 0; i < nd; i++) {
			if (ds[i].done)
				continue;
			if (device_step(s, &ds[i]))
				live++;
			else
				ds[i].done = 1;
			sim_net_wait(&s->net, 1000 + sim_rng_below(&s->rng, 20000));
		}
	}
	free(ds);
	return 0;
}

int main(int argc, char **argv)
{
	sim s;
	memset(&s, 0, sizeof s);
	int bad_args = sim_parse_opts(argc, argv, &s.o);
	if (bad_args)
		return bad_args < 0 ? 0 : bad_args;
	sim_rng_seed(&s.rng, s.o.seed);
	/* zlib and the record buffers allocate per message: keep those in the heap */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	if (sim_pcapw_open(&s.w, s.o.pcap, s.o.pcapng, 1)) {
		fprintf(stderr, "mmlens-sim: %s: cannot create: %m\n", s.o.pcap);
		return 2;
	}
	FILE *kl = NULL;
	if (s.o.keylog && !(kl = fopen(s.o.keylog, "w"))) {
		fprintf(stderr, "mmlens-sim: %s: cannot create: %m\n", s.o.keylog);
		sim_pcapw_close(&s.w);
		return 2;
	}
	if (s.o.truth && !(s.truth = fopen(s.o.truth, "w"))) {
		fprintf(stderr, "mmlens-sim: %s: cannot create: %m\n", s.o.truth);
		if (kl)
			fclose(kl);
		sim_pcapw_close(&s.w);
		return 2;
	}
	sim_net_init(&s.net, &s.o.net, &s.w, &s.rng, 1701738555000000ull);
	sim_proto_init(&s.proto, &s.rng, kl, s.o.sparse);
	mml_buf_init(&s.req, 0);
	mml_buf_init(&s.resp, 0);
	mml_buf_init(&s.inner, 0);
	mml_buf_init(&s.tmp, 0);
	sim_body_init(&s.body);
	int rc = run(&s);
	sim_proto_free(&s.proto);
	sim_net_free(&s.net);
	sim_body_free(&s.body);
	for (int i = 0; i < s.npool; i++) {
		sim_body_free(&s.pool[i]);
		mml_buf_free(&s.poolz[i]);
	}
	free(s.pool);
	free(s.poolz);
	free(s.poolcls);
	mml_buf_free(&s.req);
	mml_buf_free(&s.resp);
	mml_buf_free(&s.inner);
	mml_buf_free(&s.tmp);
	if (sim_pcapw_close(&s.w))
		rc = 2;
	if (kl && fclose(kl))
		rc = 2;
	if (s.truth && fclose(s.truth))
		rc = 2;
	fprintf(stderr, "mmlens-sim: %llu packets, %llu bytes, %llu messages (%llu behind capture loss), %llu key lines\n",
	        (unsigned long long)s.w.packets, (unsigned long long)s.w.bytes, (unsigned long long)s.nmsg,
	        (unsigned long long)s.nlost, (unsigned long long)s.proto.kl.lines);
	return rc;
}
