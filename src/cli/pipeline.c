/*
 * pipeline.c - one decrypt pipeline, and the worker pool for --jobs.
 * Contract in src/cli/pipeline.h.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

#define FLUSH_AT (1u << 20)
#define BATCH_BYTES (256u << 10)
#define BATCH_PKTS 2048
#define QUEUE_DEPTH 8

/* ---- one pipeline ---- */

static void flush_worker_out(mml_pipe *p)
{
	if (!p->final_out)
		return;
	fflush(p->out);
	if (p->memlen) {
		pthread_mutex_lock(p->out_lock);
		fwrite(p->membuf, 1, p->memlen, p->final_out);
		pthread_mutex_unlock(p->out_lock);
	}
	rewind(p->out);
	fflush(p->out);
}

static void on_msg(void *ctx, const mml_msg *m)
{
	mml_pipe *p = ctx;
	if (p->sink)
		p->sh->sink->msg(p->sink, m);
	else if (p->out)
		mml_jsonl_message(p->out, m, &p->jo);
	else
		return;
	if (p->final_out && ftell(p->out) > (long)FLUSH_AT)
		flush_worker_out(p);
}

static void on_outer(void *ctx, const mml_outer *o)
{
	mml_pipe *p = ctx;
	mml_envproc_outer(p->env, o);
}

static void on_hello(void *ctx, const mml_flow *f, int dir, mml_transport tr, uint64_t ts, uint64_t pkt,
                     const mml_hello *h, mml_err e)
{
	mml_pipe *p = ctx;
	(void)e;
	if (p->out && p->jo.handshakes)
		mml_jsonl_hello(p->out, f, dir, tr, ts, pkt, h, &p->jo);
}

mml_err mml_pipe_init(mml_pipe *p, mml_pipe_shared *sh, FILE *out)
{
	memset(p, 0, sizeof *p);
	p->out = out;
	p->jo = sh->jo;
	p->sh = sh;
	if (sh->sink && !(p->sink = sh->sink->make(sh->sink->ctx, &p->out)))
		return MML_E_NOMEM;
	mml_envproc_cfg ec = {.max_body = sh->max_body, .shared_ids = &sh->msg_ids, .shared_uin = sh->uinkeys};
	p->env = mml_envproc_new(&ec, sh->kl, sh->cat, &p->st, on_msg, p);
	mml_conn_cbs cc = {.ctx = p, .on_outer = on_outer, .on_hello = on_hello};
	p->mm = mml_mmtls_new(sh->kl, &cc, &p->st);
	if (!p->env || !p->mm)
		return MML_E_NOMEM;
	mml_flow_cbs fc;
	mml_mmtls_flow_cbs(p->mm, &fc);
	mml_flowtab_cfg fcfg = {0};
	p->ft = mml_flowtab_new(&fcfg, &fc, &p->st);
	if (!p->ft)
		return MML_E_NOMEM;
	mml_flowtab_share_ids(p->ft, &sh->flow_ids);
	return MML_OK;
}

void mml_pipe_packet(mml_pipe *p, const mml_pkt *pkt) { mml_flowtab_packet(p->ft, pkt); }

void mml_pipe_finish(mml_pipe *p)
{
	mml_flowtab_flush(p->ft);
	if (p->final_out)
		flush_worker_out(p);
}

void mml_pipe_free(mml_pipe *p)
{
	if (p->sink)
		p->sh->sink->done(p->sh->sink->ctx, p->sink);
	mml_flowtab_free(p->ft);
	mml_mmtls_free(p->mm);
	mml_envproc_free(p->env);
	if (p->final_out && p->out)
		fclose(p->out);
	free(p->membuf);
	memset(p, 0, sizeof *p);
}

/* ---- worker pool ---- */

typedef struct batch {
	size_t n, used;
	mml_pkt pkts[BATCH_PKTS];
	uint8_t data[BATCH_BYTES];
} batch;

typedef struct worker {
	mml_pipe pipe;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv_full, cv_free;
	batch *queue[QUEUE_DEPTH]; /* ring of filled batches; NULL = end */
	int head, count;
	batch *spare[QUEUE_DEPTH + 2];
	int nspare;
	batch *filling;
	int done_sent;
} worker;

static batch *get_spare(worker *w)
{
	pthread_mutex_lock(&w->mu);
	while (!w->nspare && w->count == QUEUE_DEPTH)
		pthread_cond_wait(&w->cv_free, &w->mu);
	batch *b = w->nspare ? w->spare[--w->nspare] : NULL;
	pthread_mutex_unlock(&w->mu);
	if (!b)
		b = malloc(sizeof *b);
	if (b)
		b->n = b->used = 0;
	return b;
}

static void push(worker *w, batch *b)
{
	pthread_mutex_lock(&w->mu);
	while (w->count == QUEUE_DEPTH)
		pthread_cond_wait(&w->cv_free, &w->mu);
	w->queue[(w->head + w->count) % QUEUE_DEPTH] = b;
	w->count++;
	pthread_cond_signal(&w->cv_full);
	pthread_mutex_unlock(&w->mu);
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (!w->count)
			pthread_cond_wait(&w->cv_full, &w->mu);
		batch *b = w->queue[w->head];
		w->head = (w->head + 1) % QUEUE_DEPTH;
		w->count--;
		pthread_cond_signal(&w->cv_free);
		pthread_mutex_unlock(&w->mu);
		if (!b)
			break;
		for (size_t i = 0; i < b->n; i++)
			mml_pipe_packet(&w->pipe, &b->pkts[i]);
		pthread_mutex_lock(&w->mu);
		if (w->nspare < QUEUE_DEPTH + 2)
			w->spare[w->nspare++] = b, b = NULL;
		pthread_cond_signal(&w->cv_free);
		pthread_mutex_unlock(&w->mu);
		free(b);
	}
	mml_pipe_finish(&w->pipe);
	return NULL;
}

mml_err mml_pipe_run_parallel(mml_capture *cap, mml_pipe_shared *sh, int jobs, FILE *out, mml_stats *st)
{
	worker *w = calloc((size_t)jobs, sizeof *w);
	if (!w)
		return MML_E_NOMEM;
	pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
	mml_err rc = MML_E_END;
	sh->uinkeys = mml_uinkeys_new();
	if (!sh->uinkeys) {
		free(w);
		return MML_E_NOMEM;
	}
	int started = 0;
	for (int i = 0; i < jobs; i++) {
		if (mml_pipe_init(&w[i].pipe, sh, NULL) != MML_OK) {
			rc = MML_E_NOMEM;
			break;
		}
		if (out) {
			mml_pipe *pp = &w[i].pipe;
			pp->out = open_memstream(&pp->membuf, &pp->memlen);
			if (!pp->out) {
				rc = MML_E_NOMEM;
				break;
			}
			pp->final_out = out;
			pp->out_lock = &out_lock;
		}
		pthread_mutex_init(&w[i].mu, NULL);
		pthread_cond_init(&w[i].cv_full, NULL);
		pthread_cond_init(&w[i].cv_free, NULL);
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i])) {
			rc = MML_E_NOMEM;
			break;
		}
		started++;
	}
	if (started == jobs) {
		mml_pkt pkt;
		mml_err e;
		while ((e = mml_capture_next(cap, &pkt)) == MML_OK) {
			worker *x = &w[(mml_addr_pair_hash(&pkt.src, &pkt.dst) >> 24) % (uint32_t)jobs]; /* bits the workers' flow tables do not bucket by */
			batch *b = x->filling;
			if (b && (b->n == BATCH_PKTS || b->used + pkt.paylen > BATCH_BYTES)) {
				push(x, b);
				b = x->filling = NULL;
			}
			if (!b && !(b = x->filling = get_spare(x))) {
				e = MML_E_NOMEM;
				break;
			}
			memcpy(b->data + b->used, pkt.payload, pkt.paylen);
			pkt.payload = b->data + b->used;
			b->used += pkt.paylen;
			b->pkts[b->n++] = pkt;
		}
		rc = e;
	}
	for (int i = 0; i < started; i++) {
		if (w[i].filling)
			push(&w[i], w[i].filling);
		push(&w[i], NULL);
	}
	for (int i = 0; i < started; i++) {
		pthread_join(w[i].th, NULL);
		mml_stats_add(st, &w[i].pipe.st);
		for (int k = 0; k < w[i].nspare; k++)
			free(w[i].spare[k]);
		pthread_mutex_destroy(&w[i].mu);
		pthread_cond_destroy(&w[i].cv_full);
		pthread_cond_destroy(&w[i].cv_free);
	}
	for (int i = 0; i < jobs; i++)
		mml_pipe_free(&w[i].pipe);
	free(w);
	mml_uinkeys_free(sh->uinkeys);
	sh->uinkeys = NULL;
	return rc;
}
