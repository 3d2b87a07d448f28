/*
 * answer.c - the study's questions answered (include/mmlens/answer.h,
 * docs/ANSWERS.md): supported, not supported, or not determinable from
 * this data, from the flows of every session, with evidence and caveats.
 *
 * The rules (docs/ANSWERS.md has them in full):
 *  - an answer never rests on what the data cannot show: no session in
 *    scope, no labelled sessions on one side of a comparison, or data of
 *    the asked categories whose receiver is unknown, make it not
 *    determinable;
 *  - "not supported" says what was seen instead (where the data went);
 *  - caveats name what was not seen (unreadable, empty and opaque
 *    bodies, unknown APIs), sessions recorded days apart or by different
 *    app versions, and sessions that did different things.
 *
 * Contract: reads the sessions' flows only; the answer's texts are built
 * in memory streams and freed after the callback. Work is O(sessions x
 * flow keys) per question.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/answer.h"

const char *mml_answer_name(mml_answer_v v)
{
	static const char *const n[] = {"supported", "not_supported", "not_determinable"};
	return (unsigned)v < 3 ? n[v] : "?";
}

/* Whether category cat is want or one of its children. */
static bool covers(const char *want, const char *cat)
{
	size_t n = strlen(want);
	return !strncmp(cat, want, n) && (!cat[n] || cat[n] == '.');
}

static bool covered(char *const *list, size_t n, const char *cat)
{
	for (size_t i = 0; i < n; i++)
		if (covers(list[i], cat))
			return true;
	return false;
}

static bool mp_endpoint(const mml_flow_rec *r)
{
	return r->party == MML_PARTY_MINIPROGRAM || (r->attributed && r->feature == MML_FEAT_MINIPROGRAMS);
}

/* ---- the answer being built ---- */

typedef struct ab {
	mml_answer a;
	char *sum;
	size_t sumlen;
	FILE *s;                     /* the summary's stream */
	char cav[MML_ANS_CAVEATS][360];
} ab;

static void ab_init(ab *b, const mml_question *q)
{
	memset(b, 0, sizeof *b);
	b->a.q = q;
	b->s = open_memstream(&b->sum, &b->sumlen);
}

static void caveat(ab *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void caveat(ab *b, const char *fmt, ...)
{
	if (b->a.ncaveats >= MML_ANS_CAVEATS) {
		b->a.more_caveats++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->cav[b->a.ncaveats], sizeof b->cav[0], fmt, ap);
	va_end(ap);
	b->a.caveat[b->a.ncaveats] = b->cav[b->a.ncaveats];
	b->a.ncaveats++;
}

static void evidence(ab *b, const mml_answer_sess *s, const mml_flow_rec *r)
{
	b->a.ev_total += r->count;
	for (size_t i = 0; i < r->nev && b->a.nev < MML_ANS_EVIDENCE; i++)
		b->a.ev[b->a.nev++] = (mml_answer_ev){s->s.index, r->ev[i].msg,   r->category, r->api, r->ev[i].path,
		                                      r->ev[i].detector, r->req_type, r->party, r->feature};
}

static mml_err ab_emit(ab *b, mml_answer_fn fn, void *ctx)
{
	if (!b->s)
		return MML_E_NOMEM;
	fclose(b->s);
	b->s = NULL;
	b->a.summary = b->sum ? b->sum : "";
	fn(ctx, &b->a);
	free(b->sum);
	return MML_OK;
}

/* What the input did not show, as caveats. */
static void input_caveats(ab *b, const mml_answer_in *in)
{
	const mml_scan_counts *c = in->counts;
	if (!c)
		return;
	if (c->unreadable)
		caveat(b, "%llu message(s) could not be decrypted: what they carried is not seen",
		       (unsigned long long)c->unreadable);
	if (c->empty || c->opaque)
		caveat(b, "%llu bod%s empty and %llu opaque (not protobuf or any known format): what they carried is not "
		       "seen", (unsigned long long)c->empty, c->empty == 1 ? "y is" : "ies are", (unsigned long long)c->opaque);
}

/* Empty or opaque bodies (what they carried is not seen) of the APIs the
 * question asks about: a "no" holds only for the bodies that were read. */
static uint64_t unseen_at_target(const mml_question *q, const mml_answer_in *in)
{
	const mml_scan_counts *c = in->counts;
	uint64_t n = 0;
	for (size_t i = 0; c && i < c->ntypes; i++) {
		const mml_type_count *t = &c->types[i];
		mml_party p;
		mml_feature f;
		if (!(t->empty + t->opaque) || !t->api[0] || !mml_attrib_lookup(in->attrib, t->api, NULL, &p, &f))
			continue;
		if (q->mp_endpoints ? p == MML_PARTY_MINIPROGRAM || f == MML_FEAT_MINIPROGRAMS : (q->parties >> p & 1))
			n += t->empty + t->opaque;
	}
	return n;
}

/* ---- small sets ---- */

#define RSET 16
typedef struct rset {
	size_t n;
	bool more;
	struct {
		const char *api;
		int64_t req_type;
		mml_party party;
		mml_feature feature;
		uint64_t count;
	} r[RSET];
} rset;

static void rset_add(rset *s, const mml_flow_rec *r)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].party == r->party && s->r[i].feature == r->feature &&
		    (r->api ? s->r[i].api && !strcmp(s->r[i].api, r->api) : !s->r[i].api && s->r[i].req_type == r->req_type)) {
			s->r[i].count += r->count;
			return;
		}
	if (s->n == RSET) {
		s->more = true;
		return;
	}
	s->r[s->n].api = r->api;
	s->r[s->n].req_type = r->req_type;
	s->r[s->n].party = r->party;
	s->r[s->n].feature = r->feature;
	s->r[s->n].count = r->count;
	s->n++;
}

static void rset_words(FILE *f, const rset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			fputs(", ", f);
		if (s->r[i].api)
			fprintf(f, "%s", s->r[i].api);
		else
			fprintf(f, "request type %lld (API unknown)", (long long)s->r[i].req_type);
		fprintf(f, " (%s, %s)", mml_party_name(s->r[i].party), mml_feature_name(s->r[i].feature));
	}
	if (s->more)
		fputs(", ...", f);
}

#define SSET 64
typedef struct sset {
	size_t n;
	bool more;
	uint64_t v[SSET];
} sset;

static void sset_add(sset *s, uint64_t x)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i] == x)
			return;
	if (s->n < SSET)
		s->v[s->n++] = x;
	else
		s->more = true;
}

static void sset_words(FILE *f, const sset *s)
{
	for (size_t i = 0; i < s->n && i < 12; i++)
		fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)s->v[i]);
	if (s->n > 12 || s->more)
		fputs(", ...", f);
}

static void cats_words(FILE *f, char *const *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? (i + 1 == n ? " or " : ", ") : "", c[i]);
}

/* "in session(s) 1, 2 (SCOPE), CATEGORIES": where a question looked, and for what. */
static void in_scope_words(FILE *f, const sset *scope, const mml_question *q)
{
	fputs(scope->n > 1 ? "in sessions " : "in session ", f);
	sset_words(f, scope);
	fprintf(f, " (%s), ", q->scope_text ? q->scope_text : "the sessions in scope");
	cats_words(f, q->cat, q->ncat);
}

/* ---- received_by ---- */

static bool label_has_feature(const mml_label *lb, unsigned feats)
{
	for (size_t i = 0; lb && i < lb->nfeatures; i++) {
		mml_feature f;
		if (mml_feature_parse(lb->features[i], strlen(lb->features[i]), &f) && (feats >> f & 1))
			return true;
	}
	return false;
}

/* In scope: the session sent one of the scope categories, or one of the
 * scope APIs received something, or its label names a scope feature. */
static bool in_scope(const mml_question *q, const mml_answer_sess *s)
{
	if (!q->nscope && !q->nscope_apis && !q->scope_features)
		return true;
	if (label_has_feature(s->label, q->scope_features))
		return true;
	for (size_t i = 0; i < s->flows.n; i++) {
		const mml_flow_rec *r = &s->flows.rec[i];
		if (covered(q->scope, q->nscope, r->category))
			return true;
		for (size_t k = 0; r->api && k < q->nscope_apis; k++)
			if (!strncmp(r->api, q->scope_apis[k], strlen(q->scope_apis[k])))
				return true;
	}
	return false;
}

static mml_err received_by(const mml_question *q, const mml_answer_in *in, mml_answer_fn fn, void *ctx)
{
	ab b;
	ab_init(&b, q);
	if (!b.s)
		return MML_E_NOMEM;
	sset scope = {0}, hit_s = {0}, out_s = {0};
	rset hits = {0}, others = {0}, elsewhere = {0};
	uint64_t nhit = 0, nother = 0, unknown = 0, nelse = 0;
	for (size_t k = 0; k < in->nsess; k++) {
		const mml_answer_sess *s = &in->sess[k];
		if (!in_scope(q, s)) { /* what the asked categories did outside the scope, for the record */
			for (size_t i = 0; i < s->flows.n; i++)
				if (covered(q->cat, q->ncat, s->flows.rec[i].category)) {
					nelse += s->flows.rec[i].count;
					rset_add(&elsewhere, &s->flows.rec[i]);
					sset_add(&out_s, s->s.index);
				}
			continue;
		}
		sset_add(&scope, s->s.index);
		for (size_t i = 0; i < s->flows.n; i++) {
			const mml_flow_rec *r = &s->flows.rec[i];
			if (!covered(q->cat, q->ncat, r->category))
				continue;
			/* an unattributed message at WeChat's front ends went to WeChat or
			 * Weixin, whichever runs its unknown feature */
			const unsigned front = 1u << MML_PARTY_WECHAT | 1u << MML_PARTY_WEIXIN;
			bool front_end = !r->attributed && r->party == MML_PARTY_WECHAT;
			bool match = q->mp_endpoints ? mp_endpoint(r)
			           : front_end      ? (q->parties & front) == front
			                            : (q->parties >> r->party & 1);
			bool maybe = !match && front_end && (q->mp_endpoints || (q->parties & front));
			if (match) {
				nhit += r->count;
				rset_add(&hits, r);
				sset_add(&hit_s, s->s.index);
				evidence(&b, s, r);
			} else if (maybe) {
				unknown += r->count; /* a WeChat API whose feature is unknown could be the one asked about */
				rset_add(&others, r);
			} else {
				nother += r->count;
				rset_add(&others, r);
			}
		}
	}
	const char *target = q->mp_endpoints ? "Mini Program endpoints" : "the receivers asked about";
	if (!scope.n) {
		b.a.v = MML_ANS_NOT_DETERMINABLE;
		fprintf(b.s, "Not determinable: this data holds none of the %s, so it cannot show whether ",
		        q->scope_text ? q->scope_text : "sessions in scope");
		cats_words(b.s, q->cat, q->ncat);
		fprintf(b.s, " reaches %s.", target);
	} else if (nhit) {
		b.a.v = MML_ANS_SUPPORTED;
		fputs("Yes: ", b.s);
		cats_words(b.s, q->cat, q->ncat);
		fprintf(b.s, " reached %s in %zu session(s) (", q->mp_endpoints ? "Mini Program endpoints" : "them", hit_s.n);
		sset_words(b.s, &hit_s);
		fprintf(b.s, "): %llu finding(s), received by ", (unsigned long long)nhit);
		rset_words(b.s, &hits);
		fputc('.', b.s);
	} else if (unknown) {
		b.a.v = MML_ANS_NOT_DETERMINABLE;
		fputs("Not determinable: ", b.s);
		in_scope_words(b.s, &scope, q);
		fprintf(b.s, " went %llu time(s) to APIs of WeChat's front ends whose feature is unknown (",
		        (unsigned long long)unknown);
		rset_words(b.s, &others);
		fprintf(b.s, "); they could be %s. Naming those request types (--catalog) would decide it.",
		        q->mp_endpoints ? "Mini Program endpoints" : "the receivers asked about");
	} else {
		b.a.v = MML_ANS_NOT_SUPPORTED;
		fputs("No: ", b.s);
		in_scope_words(b.s, &scope, q);
		if (nother) {
			fprintf(b.s, " was sent %llu time(s), to ", (unsigned long long)nother);
			rset_words(b.s, &others);
			fprintf(b.s, "; none of it reached %s.", target);
		} else {
			fputs(" was not sent at all.", b.s);
		}
		uint64_t unseen = unseen_at_target(q, in);
		if (unseen)
			fprintf(b.s, " %llu bod%s of %s could not be read (empty or opaque): this holds for the bodies that "
			        "were read, and does not rule out more in them.", (unsigned long long)unseen,
			        unseen == 1 ? "y" : "ies", target);
		if (nelse) {
			fputs(" In the other session", b.s);
			fputs(out_s.n > 1 ? "s (" : " (", b.s);
			sset_words(b.s, &out_s);
			fprintf(b.s, ") it went to ");
			rset_words(b.s, &elsewhere);
			fputc('.', b.s);
		}
	}
	input_caveats(&b, in);
	return ab_emit(&b, fn, ctx);
}

/* ---- permission_effect ---- */

#define CSET 32
typedef struct cstat {
	const char *cat;
	uint64_t n[2];               /* findings without / with the permission */
	rset r[2];
	uint64_t mp[2];
} cstat;

typedef struct group {
	sset s;
	unsigned features;           /* features of its attributed flows: what its sessions did */
	bool has_ts;
	int64_t lo, hi;
	const char *version;
	bool versions_differ;
	const char *scenario;
	bool scenarios_differ;
} group;

static void group_add(group *g, const mml_answer_sess *s)
{
	sset_add(&g->s, s->s.index);
	if (s->s.has_ts) {
		if (!g->has_ts || s->s.start_ts < g->lo)
			g->lo = s->s.start_ts;
		if (!g->has_ts || s->s.end_ts > g->hi)
			g->hi = s->s.end_ts;
		g->has_ts = true;
	}
	if (s->label && s->label->scenario) {
		if (!g->scenario)
			g->scenario = s->label->scenario;
		else if (strcmp(g->scenario, s->label->scenario))
			g->scenarios_differ = true;
	}
	if (s->s.app_version[0]) {
		if (!g->version)
			g->version = s->s.app_version;
		else if (strcmp(g->version, s->s.app_version))
			g->versions_differ = true;
	}
}

static cstat *cstat_get(cstat *c, size_t *n, const char *cat)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(c[i].cat, cat))
			return &c[i];
	if (*n == CSET)
		return NULL;
	memset(&c[*n], 0, sizeof c[0]);
	c[*n].cat = cat;
	return &c[(*n)++];
}

static void perm_caveats(ab *b, const group *g, const mml_answer_in *in)
{
	if (g[0].has_ts && g[1].has_ts) {
		int64_t d = g[0].lo > g[1].hi ? g[0].lo - g[1].hi : g[1].lo > g[0].hi ? g[1].lo - g[0].hi : 0;
		if (d >= 86400)
			caveat(b, "the sessions with and without the permission were recorded %lld day(s) apart: differences in "
			       "network, push token, locale and telemetry data are expected anyway", (long long)(d / 86400));
	}
	if (g[0].version && g[1].version && strcmp(g[0].version, g[1].version))
		caveat(b, "the two groups come from different app versions (%s, %s)", g[0].version, g[1].version);
	for (int k = 0; k < 2; k++)
		if (g[k].versions_differ)
			caveat(b, "the sessions %s the permission come from several app versions", k ? "with" : "without");
	if (g[0].scenario && g[1].scenario && strcmp(g[0].scenario, g[1].scenario))
		caveat(b, "the sessions compared did different things (with the permission: \"%s\"%s; without: \"%s\"%s)",
		       g[1].scenario, g[1].scenarios_differ ? ", ..." : "", g[0].scenario, g[0].scenarios_differ ? ", ..." : "");
	(void)in;
}

static mml_err permission_effect(const mml_question *q, const mml_answer_in *in, mml_answer_fn fn, void *ctx)
{
	ab b;
	ab_init(&b, q);
	if (!b.s)
		return MML_E_NOMEM;
	group g[2];
	memset(g, 0, sizeof g);
	cstat cs[CSET];
	size_t ncs = 0;
	uint64_t unlabelled = 0, unknown_api = 0;
	for (size_t k = 0; k < in->nsess; k++) {
		const mml_answer_sess *s = &in->sess[k];
		int held = mml_label_permission(s->label, q->permission);
		if (held < 0) {
			unlabelled++;
			continue;
		}
		group_add(&g[held], s);
		for (size_t i = 0; i < s->flows.n; i++) {
			const mml_flow_rec *r = &s->flows.rec[i];
			if (r->attributed && r->feature >= 0)
				g[held].features |= 1u << r->feature;
			if (!covered(q->cat, q->ncat, r->category))
				continue;
			cstat *c = cstat_get(cs, &ncs, r->category);
			if (!c)
				continue;
			c->n[held] += r->count;
			rset_add(&c->r[held], r);
			if (mp_endpoint(r))
				c->mp[held] += r->count;
			if (!r->api)
				unknown_api += r->count;
			if (held)
				evidence(&b, s, r);
		}
	}
	if (!g[0].s.n || !g[1].s.n) {
		b.a.v = MML_ANS_NOT_DETERMINABLE;
		fprintf(b.s, "Not determinable: comparing needs sessions labelled with the %s permission granted and "
		        "sessions labelled without it (--label N:permissions=...); this data has %zu and %zu, and %llu "
		        "session(s) whose permissions are not labelled.", q->permission, g[1].s.n, g[0].s.n,
		        (unsigned long long)unlabelled);
		return ab_emit(&b, fn, ctx);
	}
	bool differ = false;
	for (size_t i = 0; i < ncs; i++) {
		cstat *c = &cs[i];
		bool only_with = c->n[1] && !c->n[0], only_without = c->n[0] && !c->n[1];
		if (!only_with && !only_without) {
			/* both: to different receivers? */
			for (int k = 0; k < 2; k++)
				for (size_t j = 0; j < c->r[k].n; j++) {
					bool seen = false;
					for (size_t m = 0; m < c->r[!k].n; m++)
						seen |= c->r[!k].r[m].party == c->r[k].r[j].party &&
						        c->r[!k].r[m].feature == c->r[k].r[j].feature;
					if (!seen) {
						fprintf(b.s, "%s%s goes to %s (%s) only %s the permission.", differ ? " " : "Yes: ",
						        c->cat, mml_party_name(c->r[k].r[j].party), mml_feature_name(c->r[k].r[j].feature),
						        k ? "with" : "without");
						differ = true;
					}
				}
			continue;
		}
		int k = only_with ? 1 : 0;
		fprintf(b.s, "%s%s is sent only %s the %s permission granted (session%s ", differ ? " " : "Yes: ", c->cat,
		        k ? "with" : "without", q->permission, g[k].s.n > 1 ? "s" : "");
		sset_words(b.s, &g[k].s);
		fprintf(b.s, "): %llu finding(s), received by ", (unsigned long long)c->n[k]);
		rset_words(b.s, &c->r[k]);
		fputs("; Mini Program endpoints: ", b.s);
		if (c->mp[k])
			fprintf(b.s, "%llu finding(s)", (unsigned long long)c->mp[k]);
		else
			fputs("none", b.s);
		fprintf(b.s, ". %s the permission (session%s ", k ? "Without" : "With", g[!k].s.n > 1 ? "s" : "");
		sset_words(b.s, &g[!k].s);
		fputs("): none.", b.s);
		differ = true;
		/* did the other side even use the features that received it? */
		for (size_t j = 0; j < c->r[k].n; j++) {
			mml_feature f = c->r[k].r[j].feature;
			if (f >= 0 && !(g[!k].features >> f & 1))
				caveat(&b, "%s the permission no session used %s, the feature that received %s: the difference may "
				       "come from what was done, not from the permission", k ? "without" : "with",
				       mml_feature_name(f), c->cat);
		}
	}
	if (differ) {
		b.a.v = MML_ANS_SUPPORTED;
	} else {
		b.a.v = MML_ANS_NOT_SUPPORTED;
		fputs("No: ", b.s);
		if (!ncs) {
			cats_words(b.s, q->cat, q->ncat);
			fputs(" was sent neither with nor without the permission", b.s);
		} else {
			fputs("the same ", b.s);
			cats_words(b.s, q->cat, q->ncat);
			fputs(" data went to the same parties and features with the permission and without it", b.s);
		}
		fputs(" (with: sessions ", b.s);
		sset_words(b.s, &g[1].s);
		fputs("; without: sessions ", b.s);
		sset_words(b.s, &g[0].s);
		fputs(").", b.s);
	}
	perm_caveats(&b, g, in);
	if (unlabelled)
		caveat(&b, "%llu session(s) have no permissions label and were left out", (unsigned long long)unlabelled);
	if (unknown_api)
		caveat(&b, "%llu finding(s) of these categories went to APIs no source names", (unsigned long long)unknown_api);
	input_caveats(&b, in);
	return ab_emit(&b, fn, ctx);
}

/* ---- beyond_need ---- */

static mml_err beyond_need(const mml_question *q, const mml_answer_in *in, mml_answer_fn fn, void *ctx)
{
	ab b;
	ab_init(&b, q);
	if (!b.s)
		return MML_E_NOMEM;
	unsigned used = 0;
	size_t nextra = 0;
	rset within[MML_Q_MAXLIST];
	memset(within, 0, sizeof within);
	for (size_t n = 0; n < q->nneeds; n++) {
		const mml_qneed *nd = &q->needs[n];
		for (size_t k = 0; k < in->nsess; k++) {
			const mml_answer_sess *s = &in->sess[k];
			for (size_t i = 0; i < s->flows.n; i++) {
				const mml_flow_rec *r = &s->flows.rec[i];
				if (!r->attributed || r->feature != nd->feature)
					continue;
				used |= 1u << n;
				if (covered(nd->cat, nd->ncat, r->category) || covered(q->base, q->nbase, r->category))
					continue;
				fprintf(b.s, "%s%s APIs also sent %s (session %llu, %s, %llu finding(s)).", nextra ? " " : "Yes: ",
				        mml_feature_name(nd->feature), r->category, (unsigned long long)s->s.index,
				        r->api ? r->api : "API unknown", (unsigned long long)r->count);
				evidence(&b, s, r);
				nextra++;
			}
		}
	}
	/* bodies of these features that could not be read: a "no" says it
	 * holds only for what was read */
	const mml_scan_counts *c = in->counts;
	uint64_t unseen = 0;
	for (size_t i = 0; c && i < c->ntypes; i++) {
		const mml_type_count *t = &c->types[i];
		if (!t->opaque || !t->api[0])
			continue;
		mml_party p;
		mml_feature f;
		if (!mml_attrib_lookup(in->attrib, t->api, NULL, &p, &f))
			continue;
		for (size_t n = 0; n < q->nneeds; n++)
			if (q->needs[n].feature == f) {
				caveat(&b, "%llu body(ies) of %s (%s) are opaque: what they carried is not seen",
				       (unsigned long long)t->opaque, t->api, mml_feature_name(f));
				unseen += t->opaque;
			}
	}
	if (!used) {
		b.a.v = MML_ANS_NOT_DETERMINABLE;
		fputs("Not determinable: none of the core features asked about (", b.s);
		for (size_t n = 0; n < q->nneeds; n++)
			fprintf(b.s, "%s%s", n ? ", " : "", mml_feature_name(q->needs[n].feature));
		fputs(") sent anything this data shows.", b.s);
	} else if (nextra) {
		b.a.v = MML_ANS_SUPPORTED;
	} else {
		b.a.v = MML_ANS_NOT_SUPPORTED;
		fputs("No: what ", b.s);
		size_t k = 0;
		for (size_t n = 0; n < q->nneeds; n++)
			if (used >> n & 1)
				fprintf(b.s, "%s%s", k++ ? ", " : "", mml_feature_name(q->needs[n].feature));
		fprintf(b.s, " sent%s stays within what each needs (its content, the people it addresses) and the "
		        "identifiers and device data every request carries.", unseen ? " in the bodies that could be read" : "");
		if (unseen)
			fprintf(b.s, " %llu of their bodies could not be read (opaque): this does not rule out more in them.",
			        (unsigned long long)unseen);
	}
	if (c && c->unknown_api)
		caveat(&b, "%llu message(s) have an unknown API: a core feature's traffic among them is not counted",
		       (unsigned long long)c->unknown_api);
	return ab_emit(&b, fn, ctx);
}

/* ---- governed_by ---- */

typedef struct gov {
	const mml_question *q;
	ab *b;
	const mml_answer_sess *s;
	uint64_t rows, alt, unattributed;
	rset recv;
	sset sess;
	char cats[1024];
	size_t catlen;
} gov;

static void gov_row(void *ctx, const mml_audit_row *r)
{
	gov *g = ctx;
	const mml_judgement *j = &r->j;
	bool by = j->pol && j->pol->name && !strcmp(j->pol->name, g->q->policy);
	bool alt = j->alt_pol && j->alt_pol->name && !strcmp(j->alt_pol->name, g->q->policy) && j->alt_v != j->v;
	if (!r->attributed)
		g->unattributed++;
	if (alt && !by)
		g->alt++;
	if (!by)
		return;
	g->rows++;
	sset_add(&g->sess, g->s->s.index);
	char one[128];
	snprintf(one, sizeof one, "%s to %s (%s)", r->category, mml_party_name(r->party), mml_feature_name(r->feature));
	if (!strstr(g->cats, one) && g->catlen + strlen(one) + 3 < sizeof g->cats)
		g->catlen += (size_t)snprintf(g->cats + g->catlen, sizeof g->cats - g->catlen, "%s%s", g->catlen ? "; " : "",
		                              one);
	for (size_t i = 0; i < r->nev && g->b->a.nev < MML_ANS_EVIDENCE; i++)
		g->b->a.ev[g->b->a.nev++] = (mml_answer_ev){g->s->s.index, r->ev[i].msg, r->category, r->ev[i].api,
		                                            r->ev[i].path, r->ev[i].detector, -1, r->party, r->feature};
	g->b->a.ev_total += r->count;
}

static mml_err governed_by(const mml_question *q, const mml_answer_in *in, mml_answer_fn fn, void *ctx)
{
	ab b;
	ab_init(&b, q);
	if (!b.s)
		return MML_E_NOMEM;
	gov g = {.q = q, .b = &b};
	for (size_t k = 0; in->ps && k < in->nsess; k++) {
		g.s = &in->sess[k];
		MML_RETURN_IF_ERR(mml_audit_flows(in->ps, in->attrib, &g.s->flows, g.s->s.index, g.s->label, gov_row, &g));
	}
	if (!in->ps) {
		b.a.v = MML_ANS_NOT_DETERMINABLE;
		fputs("Not determinable: no policy models were loaded.", b.s);
	} else if (!in->nsess) {
		b.a.v = MML_ANS_NOT_DETERMINABLE;
		fputs("Not determinable: this data holds no session.", b.s);
	} else if (g.rows) {
		b.a.v = MML_ANS_SUPPORTED;
		fprintf(b.s, "%llu flow(s) in %zu session(s) (", (unsigned long long)g.rows, g.sess.n);
		sset_words(b.s, &g.sess);
		fprintf(b.s, ") fall under the %s model: %s.", q->policy, g.cats);
	} else if (g.unattributed) {
		b.a.v = MML_ANS_NOT_DETERMINABLE;
		fprintf(b.s, "Not determinable: no flow is governed by the %s model as far as the APIs are known, but %llu "
		        "flow(s) went to APIs whose feature is unknown; they could be features it governs.", q->policy,
		        (unsigned long long)g.unattributed);
	} else {
		b.a.v = MML_ANS_NOT_SUPPORTED;
		fprintf(b.s, "None: no flow of this data falls under the %s model.", q->policy);
	}
	if (g.alt)
		caveat(&b, "the account region is not labelled (--label all:region=...): if the account is registered in "
		       "mainland China, Weixin's guidelines govern every flow, and %llu verdict(s) would change",
		       (unsigned long long)g.alt);
	if (g.rows && g.unattributed)
		caveat(&b, "%llu flow(s) went to APIs whose feature is unknown: some may fall under it too",
		       (unsigned long long)g.unattributed);
	if (g.catlen + 130 >= sizeof g.cats)
		caveat(&b, "the list of flows above is cut short");
	return ab_emit(&b, fn, ctx);
}

mml_err mml_answer_all(const mml_questions *qs, const mml_answer_in *in, mml_answer_fn fn, void *ctx)
{
	for (size_t i = 0; i < qs->n; i++) {
		const mml_question *q = &qs->q[i];
		switch (q->kind) {
		case MML_Q_RECEIVED_BY: MML_RETURN_IF_ERR(received_by(q, in, fn, ctx)); break;
		case MML_Q_PERMISSION_EFFECT: MML_RETURN_IF_ERR(permission_effect(q, in, fn, ctx)); break;
		case MML_Q_BEYOND_NEED: MML_RETURN_IF_ERR(beyond_need(q, in, fn, ctx)); break;
		case MML_Q_GOVERNED_BY: MML_RETURN_IF_ERR(governed_by(q, in, fn, ctx)); break;
		}
	}
	return MML_OK;
}
