/*
 * sessions.c - session splitting (stage 7): the per-message time and
 * client version found in a decoded body (mml_msg_time,
 * mml_msg_client_version), the request classes, and the streaming
 * splitter (mml_sessions_*). The rules are stated in
 * include/mmlens/analyze.h and explained in docs/SESSIONS.md.
 *
 * Contract: parses no outside bytes (it reads a decoded tree and message
 * metadata). State is O(1): the open session and at most one tentative
 * session after a payload-time jump, each with a fixed table of
 * MML_SESS_NVER client versions; sessions are reported in order as they
 * close. No allocation.
 */
#include <stdio.h>
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

/* The BaseRequest: the body's field-1 message (path 1), or MML_DNONE. */
static uint32_t base_req(const mml_dtree *t)
{
	if (!t->count)
		return MML_DNONE;
	uint32_t body = t->n[0].first_child;
	if (body == MML_DNONE || body >= t->count || t->n[body].kind != MML_DK_MSG)
		return MML_DNONE;
	return child_field(t, body, 1, MML_DK_MSG);
}

/* BaseRequest.uin (path 1.2), 0 when absent. */
static uint64_t base_uin(const mml_dtree *t)
{
	uint32_t br = base_req(t);
	if (br == MML_DNONE)
		return 0;
	uint32_t u = child_field(t, br, 2, MML_DK_VARINT);
	return u == MML_DNONE ? 0 : t->n[u].u;
}

bool mml_msg_time(const mml_dtree *t, uint64_t uin, int64_t *ts)
{
	if (!t || !t->count)
		return false;
	uint64_t buin = base_uin(t);
	uint32_t best = 0;
	size_t n = 0;
	for (uint32_t i = 1; i < t->count && n < MAX_CAND; i++) {
		const mml_dnode *d = &t->n[i];
		uint64_t v;
		if ((d->flags & MML_DN_META) || !node_number(d, &v))
			continue;
		if (v == 0 || (uin && v == uin) || (buin && v == buin))
			continue;
		uint32_t c;
		if (v >= (uint64_t)MML_TIME_MIN && v < (uint64_t)MML_TIME_MAX)
			c = (uint32_t)v;
		else if (v >= (uint64_t)MML_TIME_MIN * 1000 && v < (uint64_t)MML_TIME_MAX * 1000)
			c = (uint32_t)(v / 1000);
		else
			continue;
		n++;
		best = c > best ? c : best; /* the latest: see analyze.h and docs/SESSIONS.md */
	}
	if (!n)
		return false;
	*ts = best;
	return true;
}

/* ---- the client version ---- */

/* 0xPMmmpp.. : platform nibble P and major M nonzero. */
static bool version_ok(uint64_t v)
{
	return v <= 0xffffffffu && (v >> 28) != 0 && ((v >> 24) & 0xf) != 0;
}

uint32_t mml_msg_client_version(const mml_dtree *t)
{
	if (!t)
		return 0;
	uint32_t br = base_req(t);
	if (br == MML_DNONE)
		return 0;
	uint32_t v = child_field(t, br, 4, MML_DK_VARINT), dev = MML_DNONE;
	for (uint32_t c = t->n[br].first_child; c != MML_DNONE && c < t->count; c = t->n[c].next)
		if (t->n[c].field == 5 && t->n[c].wire == 2 && !(t->n[c].flags & MML_DN_META))
			dev = c;
	if (v == MML_DNONE || dev == MML_DNONE || !version_ok(t->n[v].u))
		return 0;
	return (uint32_t)t->n[v].u;
}

bool mml_client_version_str(uint32_t v, char *buf, size_t n)
{
	if (!n)
		return false;
	buf[0] = 0;
	if (!version_ok(v))
		return false;
	int w = snprintf(buf, n, "%u.%u.%u", (unsigned)((v >> 24) & 0xf), (unsigned)((v >> 16) & 0xff),
	                 (unsigned)((v >> 8) & 0xff));
	if (w < 0 || (size_t)w >= n) {
		buf[0] = 0;
		return false;
	}
	return true;
}

/* ---- request classes ---- */

mml_sess_req mml_sess_req_class(int64_t req_type)
{
	switch (req_type) {
	case 722:  /* encryptcheckresupdate: the RSA-era form of 784 */
	case 784:  /* secencryptcheckresupdate: the logged-out app's resource check */
		return MML_SESS_REQ_PRELOGIN;
	case 126:  /* newreg */
	case 145:  /* bindopmobileforreg: phone number entry of a login or registration */
	case 252:  /* secmanualauth */
	case 701:  /* manualauth */
	case 5888: /* extreg */
		return MML_SESS_REQ_LOGIN;
	case 702:  /* autoauth */
	case 763:  /* secautoauth */
	case 3941: /* disasterauth */
		return MML_SESS_REQ_AUTO;
	default: return MML_SESS_REQ_OTHER;
	}
}

bool mml_sess_opener(int64_t req_type)
{
	return mml_sess_req_class(req_type) != MML_SESS_REQ_OTHER;
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
	s->quiet = true;
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
	r->s.login = -1;
}

/* Count n sightings of version v (space-saving: when the table is full a
 * new value takes the place of the rarest, inheriting its count). */
static void ver_count(mml_sess_run *r, uint32_t v, uint32_t n)
{
	size_t low = 0;
	for (size_t i = 0; i < MML_SESS_NVER; i++) {
		if (r->ver[i].v == v) {
			r->ver[i].n += n;
			return;
		}
		if (!r->ver[i].n) {
			r->ver[i].v = v;
			r->ver[i].n = n;
			return;
		}
		if (r->ver[i].n < r->ver[low].n)
			low = i;
	}
	r->ver[low].v = v;
	r->ver[low].n += n;
}

static bool is_traffic(const mml_sess_obs *o)
{
	return o->body == MML_SESS_BODY_DATA && mml_sess_req_class(o->req_type) == MML_SESS_REQ_OTHER;
}

static void run_add(mml_sess_run *r, const mml_sess_obs *o)
{
	r->s.last = o->id;
	r->s.messages++;
	if (is_traffic(o))
		r->traffic = true;
	else if (mml_sess_opener(o->req_type))
		r->auth = true;
	if (o->client_version)
		ver_count(r, o->client_version, 1);
}

/* Fold run b's messages (not its times) into a. */
static void run_fold(mml_sess_run *a, const mml_sess_run *b)
{
	a->s.last = b->s.last;
	a->s.messages += b->s.messages;
	a->traffic |= b->traffic;
	a->auth |= b->auth;
	for (size_t i = 0; i < MML_SESS_NVER; i++)
		if (b->ver[i].n)
			ver_count(a, b->ver[i].v, b->ver[i].n);
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
	mml_sess_run *r = &s->cur;
	if (!r->open)
		return;
	r->s.index = ++s->count;
	r->s.logged_out = r->auth && !r->traffic;
	size_t best = 0;
	for (size_t i = 1; i < MML_SESS_NVER; i++)
		if (r->ver[i].n > r->ver[best].n)
			best = i;
	r->s.client_version = r->ver[best].n ? r->ver[best].v : 0;
	mml_client_version_str(r->s.client_version, r->s.app_version, sizeof r->s.app_version);
	if (s->fn)
		s->fn(s->ctx, &r->s);
	r->open = false;
}

/* A tentative jump that was not confirmed: its messages stay in the session, its times are dropped. */
static void pend_merge(mml_sessions *s)
{
	if (!s->pend.open)
		return;
	run_fold(&s->cur, &s->pend);
	s->pend.open = false;
}

/* A confirmed jump: the session closes before it, or, when the session's
 * own clock was never trusted, the new clock replaces it. */
static void pend_promote(mml_sessions *s)
{
	if (s->cur.ntimed >= MML_SESS_CONFIRM) {
		emit(s);
		s->cur = s->pend;
	} else {
		mml_sess_run *c = &s->cur;
		const mml_sess_run *p = &s->pend;
		run_fold(c, p);
		c->s.has_ts = true;
		c->s.start_ts = p->s.start_ts;
		c->s.end_ts = p->s.end_ts;
		c->has_ref = true;
		c->ref = p->ref;
		c->ntimed = p->ntimed;
	}
	s->pend.open = false;
}

/* The session ends (an opener, a trusted jump, the input's end): a
 * confirmed jump stands (its lookahead ends here), else it was noise. */
static void pend_settle(mml_sessions *s)
{
	if (s->pend.open && s->pend.ntimed >= MML_SESS_CONFIRM)
		pend_promote(s);
	else
		pend_merge(s);
}

static void start(mml_sessions *s, uint64_t id, mml_sess_why why, int64_t opener)
{
	pend_settle(s);
	emit(s);
	run_open(&s->cur, id, why, opener);
	s->quiet = true; /* "since the session's last opener, or its start" */
	s->has_opener_ts = false;
}

/* A payload time that disagrees with the session's clock. */
static void payload_jump(mml_sessions *s, const mml_sess_obs *o)
{
	mml_sess_run *p = &s->pend;
	bool confirmed = p->open && p->ntimed >= MML_SESS_CONFIRM;
	bool agrees = p->open && near(o->ts, p->ref, MML_SESS_GAP_S);
	if (agrees && o->ts >= p->ref - MML_SESS_TOL_S) { /* advances like a clock */
		int64_t ref = p->ref > o->ts ? p->ref : o->ts;
		run_add(p, o);
		run_time(p, o->ts);
		p->ref = ref;
		p->nlook += confirmed;
	} else if (agrees || confirmed) { /* not a send time; after confirmation it still did not return */
		run_add(p, o);
		p->nlook += confirmed;
	} else { /* a new candidate clock; the old one was noise */
		pend_merge(s);
		run_open(p, o->id, MML_SESS_JUMP, -1);
		run_add(p, o);
		run_time(p, o->ts);
	}
	if (p->ntimed >= MML_SESS_CONFIRM && p->nlook >= MML_SESS_LOOKAHEAD)
		pend_promote(s);
}

/* Whether an opener of class cls continues the open session. */
static bool opener_joins(const mml_sessions *s, const mml_sess_obs *o, mml_sess_req cls)
{
	const mml_sess_run *c = &s->cur;
	if (!c->open)
		return false;
	if (o->has_ts && o->ts_trusted && c->has_ref && !near(o->ts, c->ref, MML_SESS_GAP_S))
		return false;
	bool burst = s->has_opener_ts && o->has_ts && near(o->ts, s->opener_ts, MML_SESS_BURST_S);
	bool cont = s->quiet || burst;
	if (cls != MML_SESS_REQ_AUTO)
		return cont;
	bool blank = !c->traffic && !c->auth && !(s->pend.open && s->pend.traffic);
	return blank || (c->s.login >= 0 && cont);
}

static void opener(mml_sessions *s, const mml_sess_obs *o, mml_sess_req cls)
{
	if (opener_joins(s, o, cls))
		pend_settle(s);
	else
		start(s, o->id, MML_SESS_OPENER, o->req_type);
	run_add(&s->cur, o);
	if (cls != MML_SESS_REQ_PRELOGIN && s->cur.s.login < 0)
		s->cur.s.login = o->req_type;
	if (o->has_ts) {
		s->has_opener_ts = true;
		s->opener_ts = o->ts;
		if (!s->cur.has_ref || near(o->ts, s->cur.ref, MML_SESS_GAP_S))
			run_time(&s->cur, o->ts);
	}
	s->quiet = true;
}

/* A message that opens nothing: into the session, or the tentative one. */
static void place(mml_sessions *s, const mml_sess_obs *o)
{
	if (!s->cur.open)
		start(s, o->id, MML_SESS_FIRST, -1);
	if (!o->has_ts) {
		run_add(s->pend.open ? &s->pend : &s->cur, o);
		return;
	}
	if (!s->cur.has_ref || near(o->ts, s->cur.ref, MML_SESS_GAP_S)) {
		pend_merge(s); /* back on the session's clock: a tentative jump was noise */
		run_add(&s->cur, o);
		run_time(&s->cur, o->ts);
		return;
	}
	if (o->ts_trusted) {
		start(s, o->id, MML_SESS_JUMP, -1);
		run_add(&s->cur, o);
		run_time(&s->cur, o->ts);
		return;
	}
	payload_jump(s, o);
}

static void observe(mml_sessions *s, const mml_sess_obs *o)
{
	mml_sess_req cls = mml_sess_req_class(o->req_type);
	if (cls != MML_SESS_REQ_OTHER && !o->response) {
		opener(s, o, cls);
		return;
	}
	place(s, o);
	if (is_traffic(o))
		s->quiet = false;
}

void mml_sessions_observe(mml_sessions *s, const mml_sess_obs *o)
{
	observe(s, o);
	/* the message's time as its session sees it: the clock of the run now holding it */
	const mml_sess_run *r = s->pend.open && o->id >= s->pend.s.first ? &s->pend : &s->cur;
	s->msg_has_ts = r->open && r->has_ref;
	s->msg_ts = s->msg_has_ts ? r->ref : 0;
}

/* A DNS lookup (plain-HTTP newgetdns): sent logged in or out. */
static bool is_dns(const char *p)
{
	if (!p)
		return false;
	size_t n = strcspn(p, "?");
	static const char k[] = "/newgetdns";
	return n >= sizeof k - 1 && !memcmp(p + n - (sizeof k - 1), k, sizeof k - 1);
}

static mml_sess_body body_class(const mml_msg *m)
{
	if ((m->status != MML_ST_DECRYPTED && m->status != MML_ST_PLAINTEXT) || is_dns(m->api) || is_dns(m->uri))
		return MML_SESS_BODY_NEUTRAL;
	return m->body && m->body_len ? MML_SESS_BODY_DATA : MML_SESS_BODY_EMPTY;
}

void mml_sessions_feed(mml_sessions *s, const mml_msg *m, const mml_dtree *tree)
{
	mml_sess_obs o = {.id = m->id, .req_type = m->req_type};
	o.response = m->outer && m->outer->dir == 1;
	o.body = body_class(m);
	o.client_version = mml_msg_client_version(tree);
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
	pend_settle(s);
	emit(s);
}
