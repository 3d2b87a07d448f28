/*
 * policy.c - privacy-policy models and the flow-to-policy verdict.
 *
 * Format (docs/POLICY.md), JSON read with jansson, at most 4 MiB:
 *   {"policy": NAME, "version": STR?, "source": STR?, "notes": STR?,
 *    "statements": [STATEMENT, ...]}
 *   STATEMENT = {"id": STR, "party": "wechat"|"weixin"|"miniprogram"|"thirdparty",
 *     "action": "collects"|"does_not_collect"|"shares_with",
 *     "recipient": STR (shares_with only), "category": TAXONOMY-ID,
 *     "context": FEATURE|"any", "condition": null|{KEY: STR, ...} (<= 4),
 *     "section": STR, "quote": STR}
 * Unknown keys are errors (they are usually typos of a known one). Ids are
 * unique, [A-Za-z0-9_.-]{1,64}; strings are 1..4096 bytes; at most 4096
 * statements. Every problem is reported via mml_diag_fn naming the
 * statement (by id when it has one, else by index); any problem fails the
 * whole load. Built-in models (embedded data/policy/<name>.json) are found
 * by name. The verdict rules are those of policy.h.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/detect.h"
#include "mmlens/policy.h"
#include "mmlens/util.h"
#include "jload.h"

extern const unsigned char mml_policy_wechat_data[];
extern const size_t mml_policy_wechat_data_len;
extern const unsigned char mml_policy_weixin_data[];
extern const size_t mml_policy_weixin_data_len;

#define POLICY_MAX_FILE ((size_t)4 << 20)
#define POLICY_MAX_STMTS 4096
#define POLICY_MAX_STR 4096
#define POLICY_MAX_ID 64

static const char *const verdict_names[MML_VERDICT__COUNT] = {
	[MML_VERDICT_DISCLOSED] = "disclosed",     [MML_VERDICT_VAGUE] = "vague",
	[MML_VERDICT_OMITTED] = "omitted",         [MML_VERDICT_CONTRADICTED] = "contradicted",
	[MML_VERDICT_OTHER_PARTY] = "other_party", [MML_VERDICT_AMBIGUOUS] = "ambiguous",
	[MML_VERDICT_UNDETERMINED] = "undetermined",
};

static const char *const action_names[] = {
	[MML_POLICY_COLLECTS] = "collects",
	[MML_POLICY_DOES_NOT_COLLECT] = "does_not_collect",
	[MML_POLICY_SHARES_WITH] = "shares_with",
};

const char *mml_verdict_name(mml_verdict v)
{
	return (unsigned)v < MML_VERDICT__COUNT ? verdict_names[v] : "?";
}

const char *mml_policy_action_name(mml_policy_action a)
{
	return (unsigned)a <= MML_POLICY_SHARES_WITH ? action_names[a] : "?";
}

void mml_policy_init(mml_policy *p) { memset(p, 0, sizeof *p); }

static void stmt_free(mml_policy_stmt *s)
{
	free(s->id);
	free(s->recipient);
	free(s->category);
	free(s->section);
	free(s->quote);
	for (size_t i = 0; i < s->ncond; i++) {
		free(s->cond_key[i]);
		free(s->cond_val[i]);
	}
	memset(s, 0, sizeof *s);
}

void mml_policy_free(mml_policy *p)
{
	for (size_t i = 0; i < p->n; i++)
		stmt_free(&p->st[i]);
	free(p->st);
	free(p->name);
	size_t errors = p->errors;
	memset(p, 0, sizeof *p);
	p->errors = errors;
}

typedef mml_jl pctx;
#define PERR MML_JL_ERR

/* A string of 1..POLICY_MAX_STR bytes without NUL, or NULL. */
static const char *str_of(const json_t *v, size_t *len) { return mml_jl_str(v, POLICY_MAX_STR, len); }

static const char *const stmt_keys[] = {"id",        "party",   "action",  "recipient", "category",
                                        "context",   "condition", "section", "quote"};

/* A required string field; reports and returns NULL when absent or bad. */
static const char *need_str(pctx *c, const json_t *o, const char *key, const char *who, size_t *len)
{
	const char *s = str_of(json_object_get(o, key), len);
	if (!s)
		PERR(c, "%s: statement %s: \"%s\" must be a string of 1..%d bytes", c->name, who, key, POLICY_MAX_STR);
	return s;
}

static bool parse_condition(pctx *c, const json_t *v, mml_policy_stmt *s, const char *who)
{
	if (!v || json_is_null(v))
		return true;
	if (!json_is_object(v) || json_object_size(v) > MML_POLICY_COND_MAX) {
		PERR(c, "%s: statement %s: \"condition\" must be null or an object of at most %d strings", c->name, who,
		     MML_POLICY_COND_MAX);
		return false;
	}
	const char *k;
	json_t *val;
	bool ok = true;
	json_object_foreach((json_t *)v, k, val)
	{
		size_t kn = strlen(k);
		const char *sv = str_of(val, NULL);
		if (!mml_jl_id_ok(k, kn) || !sv) {
			PERR(c, "%s: statement %s: condition key must be an identifier with a string value", c->name, who);
			ok = false;
			continue;
		}
		if (s->ncond >= MML_POLICY_COND_MAX)
			break;
		s->cond_key[s->ncond] = mml_jl_dup(c, k);
		s->cond_val[s->ncond] = mml_jl_dup(c, sv);
		s->ncond++;
	}
	return ok;
}

/* One statement into s; false when it has problems (all reported). */
static bool parse_stmt(pctx *c, const json_t *o, size_t index, mml_policy_stmt *s)
{
	char who[96];
	snprintf(who, sizeof who, "#%zu", index);
	if (!json_is_object(o)) {
		PERR(c, "%s: statement %s: not an object", c->name, who);
		return false;
	}
	size_t n0 = c->errors, len = 0;
	const char *id = str_of(json_object_get(o, "id"), &len);
	if (id && mml_jl_id_ok(id, len)) {
		snprintf(who, sizeof who, "\"%s\"", id);
		s->id = mml_jl_dup(c, id);
	} else {
		PERR(c, "%s: statement %s: \"id\" must be [A-Za-z0-9_.-]{1,%d}", c->name, who, POLICY_MAX_ID);
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v)
	{
		if (!mml_jl_known_key(k, stmt_keys, sizeof stmt_keys / sizeof stmt_keys[0]))
			PERR(c, "%s: statement %s: unknown key \"%.64s\"", c->name, who, k);
	}
	const char *party = need_str(c, o, "party", who, &len);
	if (party && !mml_party_parse(party, len, &s->party))
		PERR(c, "%s: statement %s: unknown party \"%.64s\"", c->name, who, party);
	const char *action = need_str(c, o, "action", who, NULL);
	bool act_ok = false;
	if (action) {
		for (int i = 0; i <= MML_POLICY_SHARES_WITH; i++)
			if (!strcmp(action, action_names[i])) {
				s->action = (mml_policy_action)i;
				act_ok = true;
			}
		if (!act_ok)
			PERR(c, "%s: statement %s: unknown action \"%.64s\"", c->name, who, action);
	}
	json_t *rv = json_object_get(o, "recipient");
	if (act_ok && s->action == MML_POLICY_SHARES_WITH) {
		const char *r = str_of(rv, &len);
		if (r && mml_jl_id_ok(r, len))
			s->recipient = mml_jl_dup(c, r);
		else
			PERR(c, "%s: statement %s: shares_with needs a \"recipient\" identifier", c->name, who);
	} else if (rv && !json_is_null(rv)) {
		PERR(c, "%s: statement %s: \"recipient\" is only for shares_with", c->name, who);
	}
	const char *cat = need_str(c, o, "category", who, NULL);
	if (cat) {
		if (!mml_taxonomy_parent(cat))
			PERR(c, "%s: statement %s: unknown category \"%.64s\"", c->name, who, cat);
		else
			s->category = mml_jl_dup(c, cat);
	}
	const char *ctx = need_str(c, o, "context", who, &len);
	if (ctx) {
		if (!strcmp(ctx, "any"))
			s->context = MML_FEAT_ANY;
		else if (!mml_feature_parse(ctx, len, &s->context))
			PERR(c, "%s: statement %s: unknown context \"%.64s\"", c->name, who, ctx);
	}
	parse_condition(c, json_object_get(o, "condition"), s, who);
	const char *sec = need_str(c, o, "section", who, NULL);
	if (sec)
		s->section = mml_jl_dup(c, sec);
	const char *q = need_str(c, o, "quote", who, NULL);
	if (q)
		s->quote = mml_jl_dup(c, q);
	return c->errors == n0 && !c->nomem;
}

static const char *const top_keys[] = {"policy", "version", "source", "notes", "statements"};

mml_err mml_policy_parse(mml_policy *p, const char *text, size_t n, const char *name, mml_diag_fn diag,
                         void *dctx)
{
	MML_RETURN_IF(!p || (!text && n), MML_E_ARG);
	mml_policy_free(p);
	p->errors = 0;
	pctx c = {.name = name ? name : "policy", .diag = diag, .dctx = dctx};
	mml_err e = MML_OK;
	json_t *root = mml_jl_parse(&c, text, n, POLICY_MAX_FILE, "model ", &e);
	if (!root) {
		p->errors = c.errors;
		return e;
	}
	json_t *arr = NULL;
	if (!json_is_object(root)) {
		PERR(&c, "%s: the model must be a JSON object", c.name);
	} else {
		const char *k;
		json_t *v;
		json_object_foreach(root, k, v)
		{
			if (!mml_jl_known_key(k, top_keys, sizeof top_keys / sizeof top_keys[0]))
				PERR(&c, "%s: unknown top-level key \"%.64s\"", c.name, k);
			else if (strcmp(k, "statements") && !str_of(v, NULL))
				PERR(&c, "%s: \"%s\" must be a string of 1..%d bytes", c.name, k, POLICY_MAX_STR);
		}
		const char *pn = str_of(json_object_get(root, "policy"), NULL);
		if (!pn)
			PERR(&c, "%s: \"policy\" (the model's name) is missing", c.name);
		else
			p->name = mml_jl_dup(&c, pn);
		arr = json_object_get(root, "statements");
		if (!json_is_array(arr) || json_array_size(arr) > POLICY_MAX_STMTS) {
			PERR(&c, "%s: \"statements\" must be an array of at most %d statements", c.name, POLICY_MAX_STMTS);
			arr = NULL;
		}
	}
	size_t ns = arr ? json_array_size(arr) : 0;
	if (ns) {
		p->st = calloc(ns, sizeof *p->st);
		if (!p->st)
			c.nomem = true;
	}
	for (size_t i = 0; i < ns && p->st && !c.nomem; i++) {
		mml_policy_stmt *s = &p->st[p->n++];
		parse_stmt(&c, json_array_get(arr, i), i, s);
		for (size_t j = 0; s->id && j + 1 < p->n; j++)
			if (p->st[j].id && !strcmp(p->st[j].id, s->id))
				PERR(&c, "%s: statement \"%s\": duplicate id", c.name, s->id);
	}
	json_decref(root);
	if (c.nomem)
		e = MML_E_NOMEM;
	else if (c.errors)
		e = MML_E_MALFORMED;
	if (e != MML_OK)
		mml_policy_free(p);
	p->errors = c.errors;
	return e;
}

static mml_err parse_any(void *p, const char *text, size_t n, const char *name, mml_diag_fn diag, void *dctx)
{
	return mml_policy_parse(p, text, n, name, diag, dctx);
}

mml_err mml_policy_load(mml_policy *p, const char *path_or_name, mml_diag_fn diag, void *dctx)
{
	MML_RETURN_IF(!p || !path_or_name, MML_E_ARG);
	if (!strcmp(path_or_name, "wechat"))
		return mml_policy_parse(p, (const char *)mml_policy_wechat_data, mml_policy_wechat_data_len,
		                        "builtin:policy/wechat.json", diag, dctx);
	if (!strcmp(path_or_name, "weixin"))
		return mml_policy_parse(p, (const char *)mml_policy_weixin_data, mml_policy_weixin_data_len,
		                        "builtin:policy/weixin.json", diag, dctx);
	return mml_jl_load_file(path_or_name, POLICY_MAX_FILE, parse_any, p, diag, dctx);
}

/* 0: cat == want; k > 0: want is cat's k-th ancestor; -1: unrelated. */
static int ancestor_depth(const char *cat, const char *want)
{
	int k = 0;
	for (const char *c = cat; c && *c && k < 32; k++) {
		if (!strcmp(c, want))
			return k;
		c = mml_taxonomy_parent(c);
	}
	return -1;
}

/* a: the statement's context, b: the flow's. An unknown flow context
 * matches only "any" (no feature-specific statement decides it). */
static bool ctx_match(mml_feature a, mml_feature b)
{
	if (b == MML_FEAT_UNKNOWN)
		return a == MML_FEAT_ANY;
	return a == MML_FEAT_ANY || b == MML_FEAT_ANY || a == b;
}

/* Does statement s speak of the flow's kind (collection, or sharing with f->recipient)? */
static bool positive_for(const mml_policy_stmt *s, const mml_policy_flow *f)
{
	if (f->recipient)
		return s->action == MML_POLICY_SHARES_WITH && s->recipient && !strcmp(s->recipient, f->recipient);
	return s->action == MML_POLICY_COLLECTS;
}

/* Prefer the closer category, then a specific context over "any", then the earlier statement. */
static bool better(const mml_policy_stmt *cand, int cd, const mml_policy_stmt *best, int bd)
{
	if (!best)
		return true;
	if (cd != bd)
		return cd < bd;
	return cand->context != MML_FEAT_ANY && best->context == MML_FEAT_ANY;
}

int mml_policy_cond_state(const mml_policy_stmt *s, const mml_policy_flow *f)
{
	int state = 1;
	for (size_t i = 0; i < s->ncond; i++) {
		int r = f->cond ? f->cond(f->cond_ctx, s->cond_key[i], s->cond_val[i]) : -1;
		if (r == 0)
			return 0;
		if (r < 0)
			state = -1;
	}
	return state;
}

mml_verdict mml_policy_covers(const mml_policy *p, const mml_policy_flow *f, const mml_policy_stmt **best)
{
	const mml_policy_stmt *exact = NULL, *neg = NULL, *parent = NULL, *other = NULL;
	int ed = 0, nd = 0, pd = 0, od = 0;
	if (best)
		*best = NULL;
	if (!p || !f || !f->category)
		return MML_VERDICT_OMITTED;
	for (size_t i = 0; i < p->n; i++) {
		const mml_policy_stmt *s = &p->st[i];
		if (!s->category || !ctx_match(s->context, f->context))
			continue;
		int d = ancestor_depth(f->category, s->category);
		if (d < 0 || (s->party == f->party && s->ncond && f->cond && mml_policy_cond_state(s, f) == 0))
			continue;
		if (s->party != f->party) {
			if (positive_for(s, f) && better(s, d, other, od)) {
				other = s;
				od = d;
			}
		} else if (s->action == MML_POLICY_DOES_NOT_COLLECT) {
			if (!f->recipient && better(s, d, neg, nd)) {
				neg = s;
				nd = d;
			}
		} else if (positive_for(s, f)) {
			if (d == 0 && better(s, d, exact, ed)) {
				exact = s;
				ed = d;
			} else if (d > 0 && better(s, d, parent, pd)) {
				parent = s;
				pd = d;
			}
		}
	}
	const mml_policy_stmt *b = NULL;
	mml_verdict v = MML_VERDICT_OMITTED;
	if ((exact || parent) && neg) {
		b = exact ? exact : parent;
		v = MML_VERDICT_AMBIGUOUS;
	} else if (exact) {
		b = exact;
		v = MML_VERDICT_DISCLOSED;
	} else if (neg) {
		b = neg;
		v = MML_VERDICT_CONTRADICTED;
	} else if (parent) {
		b = parent;
		v = MML_VERDICT_VAGUE;
	} else if (other) {
		b = other;
		v = MML_VERDICT_OTHER_PARTY;
	}
	if (best)
		*best = b;
	return v;
}
