/*
 * sessions.c - session splitting (stage 7): the per-message time found in
 * a decoded body (mml_msg_time) and the streaming splitter
 * (mml_sessions_*). The rule is documented in include/mmlens/analyze.h
 * and docs/SCHEMA.md ("`mmlens sessions` output").
 *
 * Contract: parses no outside bytes (it reads a decoded tree and message
 * metadata). State is O(1): the open session and at most one tentative
 * session after a payload-time jump; sessions are reported in order as
 * they close. No allocation.
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/analyze.h"

/* ---- the time in a body ---- */

#define MAX_CAND 255

static bool digits(const uint8_t *p, uint32_t n, uint64_t *v)
{
	if (n != 10 && n != 13)
		return false;
	uint64_t x = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	*v = x;
	return true;
}

/* The raw number a node holds, when it can be a time at all. */
static bool node_number(const mml_dnode *d, uint64_t *v)
{
	switch ((mml_dkind)d->kind) {
	case MML_DK_VARINT:
	case MML_DK_FIXED32:
	case MML_DK_FIXED64: *v = d->u; return true;
	default: return mml_dnode_is_text(d) && d->val && digits(d->val, d->val_len, v);
	}
}

/* Child of node i with this protobuf field number and kind, or MML_DNONE. */
static uint32_t child_field(const mml_dtree *t, uint32_t i, uint32_t field, mml_dkind kind)
{
	for (uint32_t c = t->n[i].first_child; c != MML_DNONE && c < t->count; c = t->n[c].next)
		if (t->n[c].field == field && t->n[c].kind == kind && !(t->n[c].flags & MML_DN_META))
			return c;
	return MML_DNONE;
}

/* BaseRequest.uin (path 1.2), 0 when absent. */
static uint64_t base_uin(const mml_dtree *t)
{
	if (!t->count)
		return 0;
	uint32_t body = t->n[0].first_child;
	if (body == MML_DNONE || body >= t->count || t->n[body].kind != MML_DK_MSG)
		return 0;
	uint32_t br = child_field(t, body, 1, MML_DK_MSG);
	if (br == MML_DNONE)
		return 0;
	uint32_t u = child_field(t, br, 2, MML_DK_VARINT);
	return u == MML_DNONE ? 0 : t->n[u].u;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

bool mml_msg_time(const mml_dtree *t, uint64_t uin, int64_t *ts)
{
	if (!t || !t->count)
		return false;
	uint64_t buin = base_uin(t);
	uint32_t cand[MAX_CAND];
	size_t n = 0;
	for (uint32_t i = 1; i < t->count && n < MAX_CAND; i++) {
		const mml_dnode *d = &t->n[i];
		uint64_t v;
		if ((d->flags & MML_DN_META) || !node_number(d, &v))
			continue;
		if (v == 0 || (uin && v == uin) || (buin && v == buin))
			continue;
		if (v >= (uint64_t)MML_TIME_MIN && v < (uint64_t)MML_TIME_MAX)
			cand[n++] = (uint32_t)v;
		else if (v >= (uint64_t)MML_TIME_MIN * 1000 && v < (uint64_t)MML_TIME_MAX * 1000)
			cand[n++] = (uint32_t)(v / 1000);
	}
	if (!n)
		return false;
	qsort(cand, n, sizeof cand[0], cmp_u32);
	*ts = cand[n - 1];
	return true;
}

/* ---- openers ---- */

bool mml_sess_opener(int64_t req_type)
{
	switch (req_type) {
	case 126:  /* newreg */
	case 145:  /* bindopmobileforreg */
	case 252:  /* secmanualauth */
	case 701:  /* manualauth */
	case 702:  /* autoauth */
	case 763:  /* secautoauth */
	case 784:  /* secencryptcheckresupdate: the check that precedes a login */
	case 3941: /* disasterauth */
	case 5888: /* extreg */
		return true;
	default: return false;
	}
}

const char *mml_sess_why_name(mml_sess_why w)
{
	switch (w) {
	case MML_SESS_FIRST: return "first";
	case MML_SESS_OPENER: return "opener";
	case MML_SESS_JUMP: return "time_jump";
	}
	return "?";
}

/* ---- the splitter ---- */

void mml_sessions_init(mml_sessions *s, mml_session_fn fn, void *ctx)
{
	memset(s, 0, sizeof *s);
	s->fn = fn;
	s->ctx = ctx;
}

void mml_sessions_free(mml_sessions *s)
{
	memset(s, 0, sizeof *s);
}

static void run_open(mml_sess_run *r, uint64_t id, mml_sess_why why, int64_t opener)
{
	memset(r, 0, sizeof *r);
	r->open = true;
	r->s.first = r->s.last = id;
	r->s.why = why;
	r->s.opener = opener;
}

static void run_add(mml_sess_run *r, uint64_t id)
{
	r->s.last = id;
	r->s.messages++;
}

static void run_time(mml_sess_run *r, int64_t t)
{
	if (!r->s.has_ts || t < r->s.start_ts)
		r->s.start_ts = t;
	if (!r->s.has_ts || t > r->s.end_ts)
		r->s.end_ts = t;
	r->s.has_ts = true;
	r->has_ref = true;
	r->ref = t;
	r->ntimed++;
}

static bool near(int64_t a, int64_t b, int64_t lim)
{
	return (a > b ? a - b : b - a) <= lim;
}

static void emit(mml_sessions *s)
{
	if (!s->cur.open)
		return;
	s->cur.s.index = ++s->count;
	if (s->fn)
		s->fn(s->ctx, &s->cur.s);
	s->cur.open = false;
}

/* An unconfirmed jump was noise: its messages stay in the session, its times are dropped. */
static void pend_merge(mml_sessions *s)
{
	if (!s->pend.open)
		return;
	s->cur.s.last = s->pend.s.last;
	s->cur.s.messages += s->pend.s.messages;
	s->pend.open = false;
}

static void start(mml_sessions *s, uint64_t id, mml_sess_why why, int64_t opener)
{
	pend_merge(s);
	emit(s);
	run_open(&s->cur, id, why, opener);
}

/* A payload time that disagrees with the session's clock. */
static void payload_jump(mml_sessions *s, const mml_sess_obs *o)
{
	if (s->pend.open && near(o->ts, s->pend.ref, MML_SESS_GAP_S)) {
		run_add(&s->pend, o->id);
		run_time(&s->pend, o->ts);
	} else {
		pend_merge(s);
		run_open(&s->pend, o->id, MML_SESS_JUMP, -1);
		run_add(&s->pend, o->id);
		run_time(&s->pend, o->ts);
	}
	if (s->pend.ntimed < MML_SESS_CONFIRM)
		return;
	if (s->cur.ntimed >= MML_SESS_CONFIRM) {
		emit(s);
		s->cur = s->pend;
	} else { /* the session's clock was never trusted: the new one replaces it */
		s->cur.s.last = s->pend.s.last;
		s->cur.s.messages += s->pend.s.messages;
		s->cur.s.has_ts = true;
		s->cur.s.start_ts = s->pend.s.start_ts;
		s->cur.s.end_ts = s->pend.s.end_ts;
		s->cur.has_ref = true;
		s->cur.ref = s->pend.ref;
		s->cur.ntimed = s->pend.ntimed;
	}
	s->pend.open = false;
}

static void observe(mml_sessions *s, const mml_sess_obs *o)
{
	if (mml_sess_opener(o->req_type)) {
		bool burst = s->cur.open &&
		             (s->prev_opener || (s->has_opener_ts && o->has_ts && near(o->ts, s->opener_ts, MML_SESS_BURST_S)));
		if (!burst) {
			start(s, o->id, MML_SESS_OPENER, o->req_type);
			s->has_opener_ts = false;
		}
		pend_merge(s);
		run_add(&s->cur, o->id);
		if (o->has_ts) {
			s->has_opener_ts = true;
			s->opener_ts = o->ts;
			if (!s->cur.has_ref || near(o->ts, s->cur.ref, MML_SESS_GAP_S))
				run_time(&s->cur, o->ts);
		}
		s->prev_opener = true;
		return;
	}
	s->prev_opener = false;
	if (!s->cur.open)
		start(s, o->id, MML_SESS_FIRST, -1);
	if (!o->has_ts) {
		run_add(s->pend.open ? &s->pend : &s->cur, o->id);
		return;
	}
	if (!s->cur.has_ref || near(o->ts, s->cur.ref, MML_SESS_GAP_S)) {
		pend_merge(s);
		run_add(&s->cur, o->id);
		run_time(&s->cur, o->ts);
		return;
	}
	if (o->ts_trusted) {
		start(s, o->id, MML_SESS_JUMP, -1);
		run_add(&s->cur, o->id);
		run_time(&s->cur, o->ts);
		return;
	}
	payload_jump(s, o);
}

void mml_sessions_observe(mml_sessions *s, const mml_sess_obs *o)
{
	observe(s, o);
	/* the message's time as its session sees it: the clock of the run now holding it */
	const mml_sess_run *r = s->pend.open && o->id >= s->pend.s.first ? &s->pend : &s->cur;
	s->msg_has_ts = r->open && r->has_ref;
	s->msg_ts = s->msg_has_ts ? r->ref : 0;
}

void mml_sessions_feed(mml_sessions *s, const mml_msg *m, const mml_dtree *tree)
{
	mml_sess_obs o = {.id = m->id, .req_type = m->req_type};
	if (m->outer && m->outer->ts_us) {
		o.has_ts = true;
		o.ts_trusted = true;
		o.ts = (int64_t)(m->outer->ts_us / 1000000);
	} else {
		/* the account number: this message's header, else the last BaseRequest.uin seen */
		uint64_t buin = tree ? base_uin(tree) : 0;
		if (buin)
			s->uin = buin;
		uint64_t uin = m->env && m->env->has_biz && m->env->biz.uin ? m->env->biz.uin : s->uin;
		o.has_ts = mml_msg_time(tree, uin, &o.ts);
	}
	mml_sessions_observe(s, &o);
}

void mml_sessions_finish(mml_sessions *s)
{
	pend_merge(s);
	emit(s);
}
