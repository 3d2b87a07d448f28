/*
 * judge.c - the three-valued judgement of a flow (include/mmlens/judge.h,
 * docs/POLICY.md "Judging what is not known"): every combination of the
 * unknown facts (conditions the labels do not settle, the feature of a
 * message whose API is unknown, the account region that picks the
 * governing document) is evaluated with mml_policy_covers; one verdict
 * for all is the verdict, several make it undetermined.
 *
 * Contract: no allocation, no outside input. Work is bounded: at most
 * MML_FEAT__COUNT features x 2^MML_JUDGE_FACTS assignments, each one pass
 * over a model's statements; flows are judged once per (session, flow
 * key), not per message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mmlens/detect.h"
#include "mmlens/judge.h"

#define MAX_ASSIGN (1u << MML_JUDGE_FACTS)

/* ---- facts ---- */

static mml_fact fact_of(const char *key, const char *value)
{
	if (!strcmp(key, "permission") || !strcmp(key, "permission_not_granted"))
		return (mml_fact){MML_FACT_PERMISSION, "permission", value};
	if (!strcmp(key, "account_region") &&
	    (!strcasecmp(value, "mainland") || !strcasecmp(value, "non_mainland") || !strcasecmp(value, "CN")))
		return (mml_fact){MML_FACT_REGION, "account_region", NULL};
	return (mml_fact){MML_FACT_OTHER, key, value};
}

static bool fact_eq(const mml_fact *a, const mml_fact *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == MML_FACT_REGION)
		return true;
	return !strcmp(a->key, b->key) && !strcmp(a->value, b->value);
}

static bool region_cn(const mml_label *lb)
{
	return !strcasecmp(lb->region, "CN") || !strcasecmp(lb->region, "mainland");
}

/* What the labels say of a fact: 1 held, 0 not, -1 unknown. */
static int fact_known(const mml_fact *f, const mml_label *lb)
{
	switch (f->kind) {
	case MML_FACT_PERMISSION: return mml_label_permission(lb, f->value);
	case MML_FACT_REGION: return lb && lb->region ? region_cn(lb) : -1;
	case MML_FACT_OTHER: return lb ? mml_label_cond((void *)lb, f->key, f->value) : -1;
	}
	return -1;
}

void mml_fact_id(const mml_fact *f, char *buf, size_t cap)
{
	if (f->kind == MML_FACT_REGION)
		snprintf(buf, cap, "account_region");
	else
		snprintf(buf, cap, "%s:%s", f->key, f->value);
}

/* ---- evaluation under one assignment ---- */

typedef struct jctx {
	const mml_label *lb;
	const mml_fact *facts;
	size_t nfacts;
	unsigned assign;   /* bit i: unknown fact i held */
} jctx;

static int jcond(void *ctx, const char *key, const char *value)
{
	const jctx *c = ctx;
	mml_fact f = fact_of(key, value);
	int held = -1;
	for (size_t i = 0; i < c->nfacts; i++)
		if (fact_eq(&f, &c->facts[i])) {
			held = (int)((c->assign >> i) & 1);
			break;
		}
	if (held < 0) /* settled by the labels (or beyond the enumerated facts: taken as held) */
		return c->lb ? mml_label_cond((void *)c->lb, key, value) : -1;
	if (!strcmp(key, "permission_not_granted"))
		return !held;
	if (f.kind == MML_FACT_REGION)
		return !strcasecmp(value, "non_mainland") ? !held : held;
	return held;
}

/* Does the statement speak of this category (or an ancestor of it)? */
static bool relevant(const mml_policy_stmt *s, const char *category)
{
	for (const char *c = category; c && *c; c = mml_taxonomy_parent(c))
		if (s->category && !strcmp(c, s->category))
			return true;
	return false;
}

typedef struct cand {
	mml_party party;
	mml_feature feature;
} cand;

static size_t candidates(const mml_attrib *attrib, const mml_judge_flow *f, cand *out)
{
	if (f->feature != MML_FEAT_UNKNOWN) {
		out[0] = (cand){f->party, f->feature};
		return 1;
	}
	size_t n = 0;
	for (int k = 0; k < MML_FEAT__COUNT; k++) {
		mml_party p = f->party;
		if (!f->attributed && p == MML_PARTY_WECHAT) /* a WeChat front end: the feature says who */
			p = mml_attrib_feature_party(attrib, (mml_feature)k);
		out[n++] = (cand){p, (mml_feature)k};
	}
	return n;
}

static void add_fact(mml_judgement *j, const mml_fact *f, const mml_label *lb)
{
	if (fact_known(f, lb) >= 0)
		return;
	for (size_t i = 0; i < j->nfacts; i++)
		if (fact_eq(&j->fact[i], f))
			return;
	if (j->nfacts < MML_JUDGE_FACTS)
		j->fact[j->nfacts++] = *f;
	else
		j->overflow = true; /* not enumerated: the verdict is then never taken as settled */
}

/* Under Weixin's guidelines the service itself is Weixin's: what WeChat's
 * front ends receive, Weixin receives. */
static mml_party party_under(const mml_policy *pol, mml_party p)
{
	return p == MML_PARTY_WECHAT && pol && pol->name && !strcmp(pol->name, "weixin") ? MML_PARTY_WEIXIN : p;
}

static void facts_of_model(mml_judgement *j, const mml_policy *p, const mml_judge_flow *f, const cand *c, size_t nc)
{
	for (size_t i = 0; p && i < p->n; i++) {
		const mml_policy_stmt *s = &p->st[i];
		if (!s->ncond || s->action == MML_POLICY_SHARES_WITH || !relevant(s, f->category))
			continue;
		bool party = false;
		for (size_t k = 0; k < nc && !party; k++)
			party = party_under(p, c[k].party) == s->party;
		if (!party) /* another party's conditions never decide (docs/POLICY.md) */
			continue;
		for (size_t k = 0; k < s->ncond; k++) {
			mml_fact fa = fact_of(s->cond_key[k], s->cond_val[k]);
			add_fact(j, &fa, f->label);
		}
	}
}

/* The model for a receiver under an assignment, and why. */
static const mml_policy *model_for(const mml_policyset *ps, mml_party party, int cn, const char **why)
{
	if (ps->fixed) {
		*why = "the model given with --policy";
		return ps->fixed;
	}
	if (party == MML_PARTY_WEIXIN && ps->weixin) {
		*why = "a feature Weixin operates for every user (Search, Channels): Weixin's Privacy Protection "
		       "Guidelines govern it";
		return ps->weixin;
	}
	if (cn == 1 && ps->weixin) {
		*why = "the account is registered in mainland China (region CN): Weixin's Privacy Protection Guidelines "
		       "govern it";
		return ps->weixin;
	}
	if (cn == 0) {
		*why = "the account is registered outside mainland China: WeChat's Privacy Policy governs it";
		return ps->wechat;
	}
	*why = "the account region is not labelled: WeChat's Privacy Policy, which governs accounts registered outside "
	       "mainland China (label region=CN for a mainland account: Weixin's guidelines then govern)";
	return ps->wechat;
}

/* 1: all of st's conditions held by the labels; 0: st has none; -1: one is not known. */
static int cond_certainty(const mml_policy_stmt *st, const mml_label *lb)
{
	if (!st || !st->ncond)
		return 0;
	for (size_t i = 0; i < st->ncond; i++)
		if (!lb || mml_label_cond((void *)lb, st->cond_key[i], st->cond_val[i]) != 1)
			return -1;
	return 1;
}

/* cn: the account region (1 mainland, 0 not, -1 unknown: WeChat's policy governs by default). */
static void judge_core(const mml_policyset *ps, const mml_attrib *attrib, const mml_judge_flow *f, int cn,
                       mml_judgement *j)
{
	memset(j, 0, sizeof *j);
	cand c[MML_FEAT__COUNT];
	size_t nc = candidates(attrib, f, c);
	j->feature_unknown = f->feature == MML_FEAT_UNKNOWN;
	const mml_label *lb = f->label;
	if (ps->fixed) {
		facts_of_model(j, ps->fixed, f, c, nc);
	} else {
		facts_of_model(j, ps->wechat, f, c, nc);
		facts_of_model(j, ps->weixin, f, c, nc);
	}
	unsigned na = 1u << j->nfacts;
	uint8_t vs[MML_FEAT__COUNT][MAX_ASSIGN];
	int best_cert[MML_VERDICT__COUNT];
	const char *why_of[MML_VERDICT__COUNT] = {0};
	for (size_t k = 0; k < nc; k++)
		for (unsigned a = 0; a < na; a++) {
			/* the governing model follows the labelled region only (unknown: WeChat's
			 * by default, and mml_judge adds what a mainland account's would say);
			 * a region fact enumerated here feeds statements' conditions */
			const char *why;
			const mml_policy *pol = model_for(ps, c[k].party, cn, &why);
			jctx x = {lb, j->fact, j->nfacts, a};
			mml_policy_flow fl = {.party = party_under(pol, c[k].party), .category = f->category,
			                      .context = c[k].feature, .cond = jcond, .cond_ctx = &x};
			const mml_policy_stmt *st = NULL;
			mml_verdict v = pol ? mml_policy_covers(pol, &fl, &st) : MML_VERDICT_OMITTED;
			vs[k][a] = (uint8_t)v;
			size_t o = 0;
			while (o < j->nout && j->out[o].v != v)
				o++;
			int cert = cond_certainty(st, lb) >= 0 ? 1 : 0;
			/* best_cert[o] is set with out[o] (the analyser, suppressed below, forgets
			 * j->nout once x, which points into j, goes to mml_policy_covers) */
			if (o == j->nout) {
				j->out[j->nout++] = (mml_outcome){.v = v, .pol = pol, .st = st, .party = c[k].party};
				best_cert[o] = cert;
				why_of[o] = why;
			} else if (cert > best_cert[o]) { // NOLINT(clang-analyzer-core.UndefinedBinaryOperatorResult)
				j->out[o].pol = pol;
				j->out[o].st = st;
				j->out[o].party = c[k].party;
				best_cert[o] = cert;
				why_of[o] = why;
			}
			mml_outcome *oc = &j->out[o];
			if (j->feature_unknown)
				oc->contexts |= 1u << c[k].feature;
			for (size_t i = 0; i < j->nfacts; i++)
				oc->held[i] |= (uint8_t)(1u << ((a >> i) & 1));
		}
	for (size_t i = 0; i < j->nfacts; i++)
		for (size_t k = 0; k < nc; k++)
			for (unsigned a = 0; a < na; a++)
				if (vs[k][a] != vs[k][a ^ (1u << i)])
					j->deciding |= (uint8_t)(1u << i);
	for (size_t k = 1; k < nc; k++)
		for (unsigned a = 0; a < na; a++)
			if (vs[k][a] != vs[0][a])
				j->deciding |= 0x80;
	j->pol = j->out[0].pol;
	j->policy_why = why_of[0];
	if (j->nout == 1 && !j->overflow) {
		j->v = j->out[0].v;
		j->st = j->out[0].st;
		j->cond_held = cond_certainty(j->st, lb);
	} else {
		j->v = MML_VERDICT_UNDETERMINED;
	}
}

void mml_judge(const mml_policyset *ps, const mml_attrib *attrib, const mml_judge_flow *f, mml_judgement *j)
{
	const mml_label *lb = f->label;
	int cn = lb && lb->region ? region_cn(lb) : -1;
	judge_core(ps, attrib, f, cn, j);
	j->alt_v = j->v;
	if (ps->fixed || cn >= 0 || !ps->weixin || j->pol == ps->weixin)
		return;
	/* The region is not labelled: what a mainland account's document would say. */
	mml_judgement alt;
	judge_core(ps, attrib, f, 1, &alt);
	j->alt_v = alt.v;
	j->alt_pol = alt.pol;
	j->alt_st = alt.v == MML_VERDICT_UNDETERMINED ? NULL : alt.st;
}

/* ---- in words ---- */

typedef struct sbuf {
	char *p;
	size_t cap, n;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sbuf *b, const char *fmt, ...)
{
	if (b->n + 1 >= b->cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		b->n = b->n + (size_t)k < b->cap ? b->n + (size_t)k : b->cap - 1;
}

static void fact_words(sbuf *b, const mml_fact *f, bool held)
{
	switch (f->kind) {
	case MML_FACT_PERMISSION:
		put(b, "the %s permission was %s", f->value, held ? "granted" : "not granted");
		break;
	case MML_FACT_REGION:
		put(b, "the account is registered %s", held ? "in mainland China" : "outside mainland China");
		break;
	case MML_FACT_OTHER: put(b, "%s %s %s", f->key, f->value, held ? "held" : "did not hold"); break;
	}
}

static void outcome_words(sbuf *b, const mml_judgement *j, const mml_outcome *o)
{
	put(b, "%s", mml_verdict_name(o->v));
	if (o->st)
		put(b, " (%s, %s)", o->pol && o->pol->name ? o->pol->name : "?", o->st->id);
	bool first = true;
	for (size_t i = 0; i < j->nfacts; i++) {
		if (!(j->deciding & (1u << i)) || o->held[i] == 3 || !o->held[i])
			continue;
		put(b, first ? " if " : " and ");
		fact_words(b, &j->fact[i], o->held[i] == 2);
		first = false;
	}
	if (j->feature_unknown && (j->deciding & 0x80)) {
		unsigned nf = 0;
		for (int k = 0; k < MML_FEAT__COUNT; k++)
			nf += (o->contexts >> k) & 1;
		if (nf && nf < MML_FEAT__COUNT) {
			put(b, first ? " if the message served " : " and the message served ");
			unsigned shown = 0;
			for (int k = 0; k < MML_FEAT__COUNT && shown < 4; k++)
				if ((o->contexts >> k) & 1)
					put(b, "%s%s", shown++ ? ", " : "", mml_feature_name((mml_feature)k));
			if (nf > shown)
				put(b, " or %u other feature(s)", nf - shown);
		}
	}
}

void mml_judgement_decide(const mml_judgement *j, uint64_t session, char *buf, size_t cap)
{
	sbuf b = {buf, cap, 0};
	if (cap)
		buf[0] = 0;
	char sess[32], num[24];
	if (session)
		snprintf(sess, sizeof sess, "session %llu's", (unsigned long long)session);
	else
		snprintf(sess, sizeof sess, "the sessions'");
	if (session)
		snprintf(num, sizeof num, "%llu", (unsigned long long)session);
	else
		snprintf(num, sizeof num, "N");
	const char *sep = "";
	for (size_t i = 0; i < j->nfacts; i++) {
		if (!(j->deciding & (1u << i)))
			continue;
		const mml_fact *f = &j->fact[i];
		if (f->kind == MML_FACT_PERMISSION)
			put(&b, "%slabel %s permissions (--label %s:permissions=...)", sep, sess, num);
		else if (f->kind == MML_FACT_REGION)
			put(&b, "%slabel the account region (--label %s:region=..., or all:region=...)", sep, num);
		else
			put(&b, "%sknow whether %s %s held (the traffic cannot show it)", sep, f->key, f->value);
		sep = "; ";
	}
	if (j->feature_unknown && (j->deciding & 0x80))
		put(&b, "%sname the API (--catalog FILE with the request type)", sep);
}

void mml_judgement_text(const mml_judgement *j, uint64_t session, char *buf, size_t cap)
{
	sbuf b = {buf, cap, 0};
	if (cap)
		buf[0] = 0;
	if (j->v != MML_VERDICT_UNDETERMINED) {
		put(&b, "%s", mml_verdict_name(j->v));
		if (j->st)
			put(&b, " by %s (%s)", j->st->id, j->st->section);
		if (j->cond_held < 0)
			put(&b, ", whether or not its condition held");
		if (j->feature_unknown)
			put(&b, ", whatever feature the message served");
		if (j->policy_why)
			put(&b, "; %s", j->policy_why);
		if (j->alt_v != j->v)
			put(&b, "; for a mainland (CN) account Weixin's guidelines would give %s%s%s", mml_verdict_name(j->alt_v),
			    j->alt_st ? " by " : "", j->alt_st ? j->alt_st->id : "");
		return;
	}
	put(&b, "undetermined: ");
	if (j->overflow)
		put(&b, "more than %d of the policy's conditions are unknown for this flow, too many to try every case; ",
		    MML_JUDGE_FACTS);
	for (size_t o = 0; o < j->nout; o++) {
		if (o)
			put(&b, "; ");
		outcome_words(&b, j, &j->out[o]);
	}
	char d[512];
	mml_judgement_decide(j, session, d, sizeof d);
	if (d[0])
		put(&b, ". To decide: %s", d);
}
