/*
 * bench/scanstages.c - the scan path after decryption, stage by stage:
 * every readable message of a capture is decrypted once into memory,
 * then replayed REPEAT times through
 *   decode   mml_decode_body (+ header.uin / query.* metadata)
 *   detect   + mml_detect_run, findings dropped
 *   write    + findings JSONL, as src/cli/scan.c writes it, to OUT (default /dev/null)
 *   hot      decode alone again, each body decoded twice and the second
 *            timed: its bytes in cache, as right after inflate in a scan
 * usage: scanstages CAPTURE KEYLOG [REPEAT [OUT [STAGES]]]
 * STAGES (default 3) = 1 runs decode only, 2 decode and detect (profiling).
 * Output: one JSON object with seconds per stage (best of REPEAT).
 * Build: make build/bench-scanstages. It holds every body in memory: run
 * it on a capture of a few hundred MB (e.g. mmlens-sim --size 200M).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmlens/cli.h"
#include "mmlens/decode.h"
#include "mmlens/detect.h"
#include "mmlens/report.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct rec {
	mml_msg m;
	mml_outer o;
	mml_envelope env;
	uint8_t *body;
	char *api, *path;
} rec;

typedef struct coll {
	rec *r;
	size_t n, alloc;
	uint64_t bytes;
} coll;

static coll C;
static const int fake_flow;

static void *mk(void *ctx, FILE **outp)
{
	(void)outp;
	return ctx;
}
static void on_msg(void *state, const mml_msg *m)
{
	coll *c = state;
	if (m->status != MML_ST_DECRYPTED && m->status != MML_ST_PLAINTEXT)
		return;
	if (c->n == c->alloc) {
		c->alloc = c->alloc ? c->alloc * 2 : 4096;
		c->r = realloc(c->r, c->alloc * sizeof *c->r);
	}
	rec *r = &c->r[c->n++];
	memset(r, 0, sizeof *r);
	r->m.id = m->id;
	r->m.status = m->status;
	r->m.req_type = m->req_type;
	r->api = m->api ? strdup(m->api) : NULL;
	r->m.api = r->api;
	r->body = malloc(m->body_len + 1);
	if (m->body)
		memcpy(r->body, m->body, m->body_len);
	r->m.body = m->body ? r->body : NULL;
	r->m.body_len = m->body_len;
	c->bytes += m->body_len;
	if (m->env) {
		r->env.has_biz = m->env->has_biz;
		r->env.biz.uin = m->env->biz.uin;
		r->m.env = &r->env;
	}
	if (m->outer) {
		r->o.flow = m->outer->flow ? (const mml_flow *)(const void *)&fake_flow : NULL;
		r->o.dir = m->outer->dir;
		r->o.transport = m->outer->transport;
		r->o.ts_us = m->outer->ts_us;
		r->path = m->outer->http_path ? strdup(m->outer->http_path) : NULL;
		r->o.http_path = r->path;
		r->m.outer = &r->o;
	}
}
static void done(void *ctx, void *state) { (void)ctx, (void)state; }
static void fin(void *ctx, FILE *out) { (void)ctx, (void)out; }

typedef struct wctx {
	FILE *out;
	const mml_msg *m;
	uint64_t n;
	mml_buf b, head;
} wctx;

/* As src/cli/scan.c: a message's lines in memory, one write per message. */
static void on_find(void *ctx, const mml_finding *f)
{
	wctx *w = ctx;
	w->n++;
	if (!w->out)
		return;
	if (!w->head.len && mml_jsonl_finding_head(&w->head, w->m) != MML_OK)
		mml_buf_reset(&w->head);
	if (!w->head.len || mml_jsonl_finding_tail(&w->b, w->head.p, w->head.len, f, false) != MML_OK)
		mml_jsonl_finding(w->out, w->m, f, false);
}

/* A decimal int (the whole argument) in [0, 1000000], else -1. */
static int arg_count(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	return end == s || *end || v < 0 || v > 1000000 ? -1 : (int)v;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: scanstages CAPTURE KEYLOG [REPEAT [OUT]]\n");
		return 1;
	}
	int rep = argc > 3 ? arg_count(argv[3]) : 3;
	const char *outp = argc > 4 ? argv[4] : "/dev/null";
	int nst = argc > 5 ? arg_count(argv[5]) : 3;
	if (rep < 0 || nst < 0) {
		fprintf(stderr, "usage: scanstages CAPTURE KEYLOG [REPEAT [OUT [STAGES]]]\n");
		return 1;
	}
	if (nst < 1 || nst > 3)
		nst = 3;
	mml_msg_sink sink = {mk, on_msg, done, fin, &C};
	mml_decrypt_opts d;
	memset(&d, 0, sizeof d);
	d.capture = argv[1];
	d.keylog = argv[2];
	d.quiet = 1;
	d.sink = &sink;
	mml_stats st;
	memset(&st, 0, sizeof st);
	double t0 = now();
	mml_decrypt_run(&d, &st, stderr);
	double tdec = now() - t0;
	for (size_t i = 0; i < C.n; i++) { /* the array moved while it grew */
		rec *r = &C.r[i];
		if (r->m.env)
			r->m.env = &r->env;
		if (r->m.outer)
			r->m.outer = &r->o;
	}
	mml_detect_cfg *cfg = mml_detect_cfg_new();
	char eb[256];
	mml_detect *det = mml_detect_new(cfg, eb, sizeof eb);
	mml_detect_cfg_free(cfg);
	if (!det) {
		fprintf(stderr, "detect: %s\n", eb);
		return 1;
	}
	mml_detect_scratch *scr = mml_detect_scratch_new(det);
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	double best[3] = {1e9, 1e9, 1e9}, hot = 1e9;
	uint64_t nodes = 0, finds = 0;
	for (int r = 0; r < rep; r++)
		for (int stage = 0; stage < nst; stage++) {
			FILE *out = stage == 2 ? mml_out_open(outp) : NULL;
			wctx w = {out, NULL, 0, {0}, {0}};
			mml_buf_init(&w.b, 0);
			mml_buf_init(&w.head, 0);
			nodes = 0;
			double a = now();
			for (size_t i = 0; i < C.n; i++) {
				const mml_msg *m = &C.r[i].m;
				static const uint8_t empty[1];
				mml_decode_body(&t, m->body ? m->body : empty, m->body ? m->body_len : 0);
				if (m->env && m->env->has_biz && m->env->biz.uin)
					(void)mml_decode_meta_uint(&t, "header", "uin", m->env->biz.uin);
				const mml_outer *o = m->outer;
				if (o && o->transport == MML_TR_HTTP && o->dir == 0 && o->http_path) {
					const char *q = strchr(o->http_path, '?');
					if (q && q[1])
						(void)mml_decode_meta_url(&t, "query", q + 1, strlen(q + 1));
				}
				nodes += t.count;
				if (stage == 0)
					continue;
				mml_detect_msg dm = {.req_type = m->req_type, .api = m->api,
				                     .request = !o || !o->flow || o->dir == 0};
				w.m = m;
				mml_detect_run(det, scr, &t, &dm, on_find, &w);
				if (w.b.len)
					fwrite(w.b.p, 1, w.b.len, out);
				mml_buf_reset(&w.b);
				mml_buf_reset(&w.head);
			}
			mml_buf_free(&w.b);
			mml_buf_free(&w.head);
			if (out)
				mml_out_close(out);
			double e = now() - a;
			if (e < best[stage])
				best[stage] = e;
			if (stage)
				finds = w.n;
		}
	for (int r = 0; r < rep; r++) {
		double sum = 0;
		for (size_t i = 0; i < C.n; i++) {
			const mml_msg *m = &C.r[i].m;
			static const uint8_t empty[1];
			mml_decode_body(&t, m->body ? m->body : empty, m->body ? m->body_len : 0);
			double a = now();
			mml_decode_body(&t, m->body ? m->body : empty, m->body ? m->body_len : 0);
			sum += now() - a;
		}
		if (sum < hot)
			hot = sum;
	}
	printf("{\"decrypt_collect_s\":%.3f,\"messages\":%zu,\"body_bytes\":%llu,\"nodes\":%llu,\"findings\":%llu,"
	       "\"decode_s\":%.3f,\"detect_s\":%.3f,\"write_s\":%.3f,\"decode_hot_s\":%.3f}\n",
	       tdec, C.n, (unsigned long long)C.bytes, (unsigned long long)nodes, (unsigned long long)finds, best[0],
	       best[1] - best[0], best[2] - best[1], hot);
	mml_dtree_free(&t);
	mml_detect_scratch_free(scr);
	mml_detect_free(det);
	return 0;
}
