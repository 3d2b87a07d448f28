/*
 * collect.c - the per-session collection of flows (include/mmlens/collect.h):
 * every message inspected (decode, attribute, detect), the splitter fed,
 * and the findings gathered per session as (category, receiver) flow
 * keys. `mmlens diff`, `audit`, `report`, `answer` and `sessions
 * --timeline` all read an input through it.
 *
 * Contract: one collector per input stream, fed in input order. Memory
 * is bounded by the largest body plus the distinct flow keys x the
 * evidence cap of the open session (and of at most one tentative one),
 * never by the number of messages. A session's flows are collected per
 * message id range: findings of messages the splitter holds tentatively
 * (after a time jump it has not confirmed yet) are kept apart until it
 * decides, so sessions split by a confirmed jump get exactly their own
 * messages. Comparing sessions, not files, makes the answer the same for
 * a cumulative log and for one cut into pieces.
 *
 * Boundaries the caller knows (mml_collect_cut: the next input, a part
 * of a cumulative series) close the open session. With cfg.fixed they
 * are the only boundaries: each part is one session, whatever the
 * splitter would say inside it (a fresh splitter per part still gives
 * the part its times, app version and logged-out state), and a part
 * without a message is still a session (of 0 messages), so part k is
 * always session k.
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/collect.h"

struct mml_collector {
	mml_collect_cfg cfg;
	mml_inspector in;
	mml_sessions split;
	mml_flows cur, pend, msg; /* open session, tentative session, current message */
	uint64_t pend_first;      /* first message of the tentative session, 0 none */
	const mml_msg *m;
	mml_recv recv;
	bool has_ts;              /* the current message's time */
	int64_t ts;
	uint64_t nfind;           /* its findings */
	uint64_t nsessions;       /* sessions closed */
	bool nomem;
	bool started;             /* a message was fed since the last cut */
	/* fixed mode: the part being built from what its own splitter reports */
	bool part_open;
	mml_session part;
	uint32_t part_votes;      /* messages behind part.client_version */
	mml_sess_counts at_open;  /* the inspector's counts when the open session began */
	mml_sess_counts before;   /* ... before the message being fed (it opens the next session) */
	bool feeding;
};

static mml_sess_counts counts_now(const mml_collector *c)
{
	const mml_scan_counts *k = &c->in.counts;
	return (mml_sess_counts){k->messages, k->decrypted, k->unreadable, k->empty, k->opaque, k->unknown_api};
}

static void nomem_if(mml_collector *c, mml_err e)
{
	if (e != MML_OK)
		c->nomem = true;
}

/* A session is closed: hook, merge, and the flows of the next one take over. */
static void close_session(mml_collector *c, const mml_session *s0)
{
	mml_session s = *s0;
	s.index = ++c->nsessions;
	/* Times from before the session's clock was trusted are noise: keep
	 * every flow's times inside the session's span. */
	for (size_t i = 0; i < c->cur.n; i++) {
		mml_flow_rec *r = &c->cur.rec[i];
		if (!r->has_ts || !s.has_ts)
			continue;
		r->first_ts = r->first_ts < s.start_ts ? s.start_ts : r->first_ts > s.end_ts ? s.end_ts : r->first_ts;
		r->last_ts = r->last_ts > s.end_ts ? s.end_ts : r->last_ts < s.start_ts ? s.start_ts : r->last_ts;
	}
	const mml_collect_hook *h = c->cfg.hook;
	/* the messages since the last close (a tentative run counts with the session it lands in) */
	mml_sess_counts now = c->feeding ? c->before : counts_now(c), d = {now.messages - c->at_open.messages,
	                                          now.decrypted - c->at_open.decrypted,
	                                          now.unreadable - c->at_open.unreadable, now.empty - c->at_open.empty,
	                                          now.opaque - c->at_open.opaque,
	                                          now.unknown_api - c->at_open.unknown_api};
	c->at_open = now;
	if (h && h->session_counts)
		h->session_counts(h->ctx, &s, &d);
	if (h && h->session)
		h->session(h->ctx, &s, &c->cur);
	if (c->cfg.out && (!c->cfg.want || c->cfg.want == s.index))
		nomem_if(c, mml_flows_merge(c->cfg.out, &c->cur));
	mml_flows_clear(&c->cur);
}

/* The splitter closed a session (normal mode). */
static void on_split(void *ctx, const mml_session *s)
{
	mml_collector *c = ctx;
	if (c->pend_first && c->pend_first <= s->last) {
		nomem_if(c, mml_flows_take(&c->cur, &c->pend));
		c->pend_first = 0;
	}
	close_session(c, s);
	if (c->pend_first) { /* the tentative session is now the open one */
		nomem_if(c, mml_flows_take(&c->cur, &c->pend));
		c->pend_first = 0;
	}
}

/* The part's splitter closed a stretch of it (fixed mode): one session per part. */
static void on_part(void *ctx, const mml_session *s)
{
	mml_collector *c = ctx;
	mml_session *p = &c->part;
	if (!c->part_open) {
		*p = *s;
		c->part_open = true;
		c->part_votes = s->client_version ? (uint32_t)s->messages : 0;
		return;
	}
	p->last = s->last > p->last ? s->last : p->last;
	p->first = s->first < p->first ? s->first : p->first;
	p->messages += s->messages;
	if (s->has_ts) {
		if (!p->has_ts || s->start_ts < p->start_ts)
			p->start_ts = s->start_ts;
		if (!p->has_ts || s->end_ts > p->end_ts)
			p->end_ts = s->end_ts;
		p->has_ts = true;
	}
	p->logged_out = p->logged_out && s->logged_out;
	if (s->client_version && s->messages > c->part_votes) {
		p->client_version = s->client_version;
		memcpy(p->app_version, s->app_version, sizeof p->app_version);
		c->part_votes = (uint32_t)s->messages;
	}
}

static void split_start(mml_collector *c)
{
	mml_sessions_init(&c->split, c->cfg.fixed ? on_part : on_split, c);
}

mml_collector *mml_collect_new(const mml_collect_cfg *cfg)
{
	mml_collector *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->cfg = *cfg;
	if (mml_inspector_init(&c->in, cfg->det, cfg->attrib) != MML_OK) {
		free(c);
		return NULL;
	}
	split_start(c);
	mml_flows_init(&c->cur);
	mml_flows_init(&c->pend);
	mml_flows_init(&c->msg);
	return c;
}

static void on_finding(void *ctx, const mml_finding *f)
{
	mml_collector *c = ctx;
	nomem_if(c, mml_flows_add(&c->msg, f->category, &c->recv, c->m->id, c->has_ts, c->ts, f->path, f->detector));
	c->nfind++;
	const mml_collect_hook *h = c->cfg.hook;
	if (h && h->finding) {
		const mml_sess_run *p = &c->split.pend;
		uint64_t sess = !c->cfg.fixed && p->open && c->m->id >= p->s.first ? 0 : c->nsessions + 1;
		mml_collect_finding cf = {.m = c->m, .f = f, .session = sess, .has_ts = c->has_ts, .ts = c->ts,
		                          .recv = &c->recv};
		h->finding(h->ctx, &cf);
	}
}

void mml_collect_msg(mml_collector *c, const mml_msg *m)
{
	const mml_dtree *tree = NULL;
	mml_body_kind kind;
	c->started = true;
	mml_flows_clear(&c->msg);
	c->nfind = 0;
	c->before = counts_now(c);
	if (mml_inspect_msg(&c->in, m, &tree, &c->recv, &kind) != MML_OK)
		c->nomem = true;
	/* The splitter first (it may close the sessions before this message),
	 * then the message's time as its session sees it (capture time, else
	 * a payload time that agreed with the session's clock, else the clock),
	 * then its findings with that time. */
	c->feeding = true;
	mml_sessions_feed(&c->split, m, tree);
	c->feeding = false;
	if (m->outer && m->outer->ts_us) {
		c->has_ts = true;
		c->ts = (int64_t)(m->outer->ts_us / 1000000);
	} else {
		c->has_ts = c->split.msg_has_ts;
		c->ts = c->split.msg_ts;
	}
	if (tree) {
		c->m = m;
		mml_inspect_detect(&c->in, on_finding, c);
		c->m = NULL;
	}
	const mml_collect_hook *h = c->cfg.hook;
	if (h && h->message) {
		mml_collect_message cm = {.m = m, .tree = tree, .kind = kind, .findings = c->nfind, .has_ts = c->has_ts,
		                          .ts = c->ts, .recv = &c->recv};
		h->message(h->ctx, &cm);
	}
	if (c->cfg.fixed) {
		nomem_if(c, mml_flows_take(&c->cur, &c->msg));
		return;
	}
	const mml_sess_run *p = &c->split.pend;
	if (c->pend_first && (!p->open || p->s.first != c->pend_first)) { /* the jump was an outlier */
		nomem_if(c, mml_flows_take(&c->cur, &c->pend));
		c->pend_first = 0;
	}
	if (p->open && m->id >= p->s.first) {
		if (!c->pend_first)
			c->pend_first = p->s.first;
		nomem_if(c, mml_flows_take(&c->pend, &c->msg));
	} else {
		nomem_if(c, mml_flows_take(&c->cur, &c->msg));
	}
}

void mml_collect_cut(mml_collector *c)
{
	if (!c->started && !c->cfg.fixed)
		return;
	mml_sessions_finish(&c->split);
	mml_sessions_free(&c->split);
	if (c->cfg.fixed) {
		/* one session per part, even a part without a message (a file that
		 * adds nothing to the one before it): the parts keep their numbers */
		if (!c->part_open)
			c->part = (mml_session){.opener = -1, .login = -1, .why = MML_SESS_FIRST};
		close_session(c, &c->part);
		c->part_open = false;
	}
	split_start(c);
	c->started = false;
}

void mml_collect_finish(mml_collector *c) { mml_collect_cut(c); }

uint64_t mml_collect_nsessions(const mml_collector *c) { return c->nsessions; }

bool mml_collect_nomem(const mml_collector *c) { return c->nomem; }

const mml_scan_counts *mml_collect_counts(const mml_collector *c) { return &c->in.counts; }

void mml_collect_free(mml_collector *c)
{
	if (!c)
		return;
	mml_sessions_free(&c->split);
	mml_flows_free(&c->cur);
	mml_flows_free(&c->pend);
	mml_flows_free(&c->msg);
	mml_inspector_free(&c->in);
	free(c);
}
