/*
 * questions.c - the question file of `mmlens answer` (include/mmlens/answer.h,
 * docs/ANSWERS.md), JSON read with jansson, at most 1 MiB:
 *   {"questions_version": 1, "source": STR?, "questions": [QUESTION, ...]}
 *   QUESTION = {"id": [A-Za-z0-9_.-]{1,64}, "question": STR, "kind": KIND,
 *     "categories": [TAXONOMY-ID], "parties": [PARTY], "endpoints": "miniprogram",
 *     "scope": [TAXONOMY-ID], "scope_apis": ["/api/prefix"], "scope_features": [FEATURE],
 *     "scope_text": STR,
 *     "permission": STR, "baseline": [TAXONOMY-ID],
 *     "needs": {FEATURE: [TAXONOMY-ID]}, "policy": STR}
 * KIND: received_by | permission_effect | beyond_need | governed_by, each
 * with the keys it needs (received_by: categories and parties or
 * endpoints; permission_effect: permission and categories; beyond_need:
 * needs; governed_by: policy). Unknown keys are errors; lists hold at most
 * MML_Q_MAXLIST items; strings 1..1024 bytes; at most 256 questions.
 *
 * Contract: every problem is reported through diag naming the question
 * (by id, else by index); any problem fails the load and leaves the set
 * as it was. A question whose id is already in the set replaces it.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/answer.h"
#include "mmlens/util.h"
#include "jload.h"

extern const unsigned char mml_questions_data[];
extern const size_t mml_questions_data_len;

#define Q_MAX_FILE ((size_t)1 << 20)
#define Q_MAX 256
#define Q_MAX_STR 1024

typedef mml_jl qctx;
#define QERR MML_JL_ERR

void mml_questions_init(mml_questions *qs) { memset(qs, 0, sizeof *qs); }

static void q_free(mml_question *q)
{
	free(q->id);
	free(q->question);
	free(q->scope_text);
	free(q->permission);
	free(q->policy);
	for (size_t i = 0; i < q->ncat; i++)
		free(q->cat[i]);
	for (size_t i = 0; i < q->nscope; i++)
		free(q->scope[i]);
	for (size_t i = 0; i < q->nscope_apis; i++)
		free(q->scope_apis[i]);
	for (size_t i = 0; i < q->nbase; i++)
		free(q->base[i]);
	for (size_t i = 0; i < q->nneeds; i++)
		for (size_t k = 0; k < q->needs[i].ncat; k++)
			free(q->needs[i].cat[k]);
	memset(q, 0, sizeof *q);
}

void mml_questions_free(mml_questions *qs)
{
	for (size_t i = 0; i < qs->n; i++)
		q_free(&qs->q[i]);
	free(qs->q);
	memset(qs, 0, sizeof *qs);
}

/* A string of 1..Q_MAX_STR bytes without NUL, or NULL. */
static const char *str_of(const json_t *v) { return mml_jl_str(v, Q_MAX_STR, NULL); }

static bool id_ok(const char *s) { return mml_jl_id_ok(s, strlen(s)); }

/*
 * Each string of the list v (at most MML_Q_MAXLIST of `items`) handed to
 * take(), which reports a bad one; false (reported) when anything was bad.
 */
typedef bool (*take_fn)(qctx *c, const char *key, const char *who, const char *s, void *out);
static bool each_str(qctx *c, const json_t *v, const char *key, const char *who, const char *items, take_fn take,
                     void *out)
{
	if (!v)
		return true;
	if (!json_is_array(v) || json_array_size(v) > MML_Q_MAXLIST) {
		QERR(c, "%s: question %s: \"%s\" must be a list of at most %d %s", c->name, who, key, MML_Q_MAXLIST, items);
		return false;
	}
	size_t i;
	json_t *e;
	bool ok = true;
	json_array_foreach((json_t *)v, i, e)
	{
		ok &= take(c, key, who, str_of(e), out);
	}
	return ok;
}

/* Where a list of strings goes: v[*n], v[*n + 1], ... */
typedef struct str_out {
	char **v;
	size_t *n;
} str_out;

static bool take_cat(qctx *c, const char *key, const char *who, const char *s, void *out)
{
	str_out *o = out;
	if (!s || !mml_taxonomy_parent(s)) {
		QERR(c, "%s: question %s: \"%s\": unknown category \"%.64s\"", c->name, who, key, s ? s : "?");
		return false;
	}
	o->v[(*o->n)++] = mml_jl_dup(c, s);
	return true;
}

static bool take_api(qctx *c, const char *key, const char *who, const char *s, void *out)
{
	str_out *o = out;
	if (!s || s[0] != '/') {
		QERR(c, "%s: question %s: \"%s\": \"%.64s\" is not an API path", c->name, who, key, s ? s : "?");
		return false;
	}
	o->v[(*o->n)++] = mml_jl_dup(c, s);
	return true;
}

/* A list of taxonomy ids into out; false (reported) when bad. */
static bool cat_list(qctx *c, const json_t *v, const char *key, const char *who, char **out, size_t *n)
{
	str_out o = {out, n};
	return each_str(c, v, key, who, "categories", take_cat, &o);
}

/* A list of API path prefixes ("/..."); false (reported) when bad. */
static bool api_list(qctx *c, const json_t *v, const char *who, char **out, size_t *n)
{
	str_out o = {out, n};
	return each_str(c, v, "scope_apis", who, "API paths", take_api, &o);
}

/* Names parsed by parse() into a bit set. */
typedef struct bits_out {
	bool (*parse)(const char *, size_t, int *);
	unsigned *bits;
} bits_out;

static bool take_name(qctx *c, const char *key, const char *who, const char *s, void *out)
{
	bits_out *o = out;
	int x;
	if (!s || !o->parse(s, strlen(s), &x)) {
		QERR(c, "%s: question %s: \"%s\": unknown name \"%.64s\"", c->name, who, key, s ? s : "?");
		return false;
	}
	*o->bits |= 1u << x;
	return true;
}

/* A list of names parsed by parse() into a bit set. */
static bool name_bits(qctx *c, const json_t *v, const char *key, const char *who, bool (*parse)(const char *, size_t, int *),
                      unsigned *bits)
{
	bits_out o = {parse, bits};
	return each_str(c, v, key, who, "names", take_name, &o);
}

static bool party_p(const char *s, size_t n, int *x)
{
	mml_party p;
	if (!mml_party_parse(s, n, &p))
		return false;
	*x = (int)p;
	return true;
}

static bool feature_p(const char *s, size_t n, int *x)
{
	mml_feature f;
	if (!mml_feature_parse(s, n, &f))
		return false;
	*x = (int)f;
	return true;
}

static const char *const q_keys[] = {"id",         "question",   "kind",       "categories",     "parties",
                                     "endpoints",  "scope",      "scope_apis", "scope_features", "scope_text",
                                     "permission", "baseline",   "needs",      "policy"};
static const char *const kinds[] = {"received_by", "permission_effect", "beyond_need", "governed_by"};

static bool parse_needs(qctx *c, const json_t *v, const char *who, mml_question *q)
{
	if (!v)
		return true;
	if (!json_is_object(v) || json_object_size(v) > MML_Q_MAXLIST) {
		QERR(c, "%s: question %s: \"needs\" must be an object of features to category lists", c->name, who);
		return false;
	}
	const char *k;
	json_t *e;
	bool ok = true;
	json_object_foreach((json_t *)v, k, e)
	{
		mml_qneed *nd = &q->needs[q->nneeds];
		if (!mml_feature_parse(k, strlen(k), &nd->feature)) {
			QERR(c, "%s: question %s: \"needs\": unknown feature \"%.64s\"", c->name, who, k);
			ok = false;
			continue;
		}
		q->nneeds++;
		ok &= cat_list(c, e, "needs", who, nd->cat, &nd->ncat);
	}
	return ok;
}

static void parse_q(qctx *c, const json_t *o, size_t index, mml_question *q)
{
	char who[96];
	snprintf(who, sizeof who, "#%zu", index);
	if (!json_is_object(o)) {
		QERR(c, "%s: question %s: not an object", c->name, who);
		return;
	}
	const char *id = str_of(json_object_get(o, "id"));
	if (id && id_ok(id)) {
		snprintf(who, sizeof who, "\"%s\"", id);
		q->id = mml_jl_dup(c, id);
	} else {
		QERR(c, "%s: question %s: \"id\" must be [A-Za-z0-9_.-]{1,64}", c->name, who);
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v)
	{
		bool known = false;
		for (size_t i = 0; i < sizeof q_keys / sizeof q_keys[0]; i++)
			known |= !strcmp(k, q_keys[i]);
		if (!known)
			QERR(c, "%s: question %s: unknown key \"%.64s\"", c->name, who, k);
		else if ((!strcmp(k, "question") || !strcmp(k, "scope_text") || !strcmp(k, "permission") ||
		          !strcmp(k, "policy") || !strcmp(k, "endpoints") || !strcmp(k, "kind")) &&
		         !str_of(v))
			QERR(c, "%s: question %s: \"%s\" must be a string of 1..%d bytes", c->name, who, k, Q_MAX_STR);
	}
	const char *text = str_of(json_object_get(o, "question"));
	if (!text)
		QERR(c, "%s: question %s: \"question\" (its text) is missing", c->name, who);
	else
		q->question = mml_jl_dup(c, text);
	const char *kind = str_of(json_object_get(o, "kind"));
	int kd = -1;
	for (int i = 0; kind && i < 4; i++)
		if (!strcmp(kind, kinds[i]))
			kd = i;
	if (kd < 0)
		QERR(c, "%s: question %s: \"kind\" must be received_by, permission_effect, beyond_need or governed_by",
		     c->name, who);
	q->kind = kd < 0 ? MML_Q_RECEIVED_BY : (mml_qkind)kd;
	cat_list(c, json_object_get(o, "categories"), "categories", who, q->cat, &q->ncat);
	cat_list(c, json_object_get(o, "scope"), "scope", who, q->scope, &q->nscope);
	cat_list(c, json_object_get(o, "baseline"), "baseline", who, q->base, &q->nbase);
	api_list(c, json_object_get(o, "scope_apis"), who, q->scope_apis, &q->nscope_apis);
	name_bits(c, json_object_get(o, "parties"), "parties", who, party_p, &q->parties);
	name_bits(c, json_object_get(o, "scope_features"), "scope_features", who, feature_p, &q->scope_features);
	parse_needs(c, json_object_get(o, "needs"), who, q);
	const char *ep = str_of(json_object_get(o, "endpoints"));
	if (ep && strcmp(ep, "miniprogram"))
		QERR(c, "%s: question %s: \"endpoints\" can only be \"miniprogram\"", c->name, who);
	q->mp_endpoints = ep != NULL;
	const char *s;
	if ((s = str_of(json_object_get(o, "scope_text"))))
		q->scope_text = mml_jl_dup(c, s);
	if ((s = str_of(json_object_get(o, "permission"))))
		q->permission = mml_jl_dup(c, s);
	if ((s = str_of(json_object_get(o, "policy"))))
		q->policy = mml_jl_dup(c, s);
	/* what each kind needs */
	if (kd == MML_Q_RECEIVED_BY && (!q->ncat || (!q->parties && !q->mp_endpoints)))
		QERR(c, "%s: question %s: received_by needs \"categories\" and \"parties\" or \"endpoints\"", c->name, who);
	if (kd == MML_Q_PERMISSION_EFFECT && (!q->permission || !q->ncat))
		QERR(c, "%s: question %s: permission_effect needs \"permission\" and \"categories\"", c->name, who);
	if (kd == MML_Q_BEYOND_NEED && !q->nneeds)
		QERR(c, "%s: question %s: beyond_need needs \"needs\"", c->name, who);
	if (kd == MML_Q_GOVERNED_BY && !q->policy)
		QERR(c, "%s: question %s: governed_by needs \"policy\"", c->name, who);
}

static const char *const top_keys[] = {"questions_version", "source", "questions"};

mml_err mml_questions_parse(mml_questions *qs, const char *text, size_t n, const char *name, mml_diag_fn diag,
                            void *dctx)
{
	qctx c = {.name = name ? name : "questions", .diag = diag, .dctx = dctx};
	mml_err e = MML_OK;
	json_t *root = mml_jl_parse(&c, text, n, Q_MAX_FILE, "", &e);
	if (!root) {
		qs->errors = c.errors;
		return e;
	}
	json_t *arr = json_is_object(root) ? json_object_get(root, "questions") : NULL;
	if (!json_is_object(root))
		QERR(&c, "%s: the file must be a JSON object", c.name);
	else
		mml_jl_top_keys(&c, root, top_keys, sizeof top_keys / sizeof top_keys[0]);
	if (!json_is_array(arr) || json_array_size(arr) > Q_MAX) {
		if (json_is_object(root))
			QERR(&c, "%s: \"questions\" must be an array of at most %d questions", c.name, Q_MAX);
		arr = NULL;
	}
	size_t nq = arr ? json_array_size(arr) : 0;
	mml_question *nv = nq ? calloc(nq, sizeof *nv) : NULL;
	if (nq && !nv)
		c.nomem = true;
	for (size_t i = 0; nv && i < nq; i++) {
		parse_q(&c, json_array_get(arr, i), i, &nv[i]);
		for (size_t j = 0; nv[i].id && j < i; j++)
			if (nv[j].id && !strcmp(nv[j].id, nv[i].id))
				QERR(&c, "%s: question \"%s\": duplicate id", c.name, nv[i].id);
	}
	json_decref(root);
	e = c.nomem ? MML_E_NOMEM : c.errors ? MML_E_MALFORMED : MML_OK;
	if (e == MML_OK && qs->n + nq > qs->alloc) {
		mml_question *g = realloc(qs->q, (qs->n + nq) * sizeof *g);
		if (!g)
			e = MML_E_NOMEM;
		else {
			qs->q = g;
			qs->alloc = qs->n + nq;
		}
	}
	for (size_t i = 0; i < nq; i++) {
		if (e != MML_OK) {
			q_free(&nv[i]);
			continue;
		}
		size_t k = 0;
		while (k < qs->n && strcmp(qs->q[k].id, nv[i].id))
			k++;
		if (k < qs->n)
			q_free(&qs->q[k]);
		else
			qs->n++;
		qs->q[k] = nv[i];
	}
	free(nv);
	qs->errors = c.errors;
	return e;
}

static mml_err parse_any(void *qs, const char *text, size_t n, const char *name, mml_diag_fn diag, void *dctx)
{
	return mml_questions_parse(qs, text, n, name, diag, dctx);
}

mml_err mml_questions_load(mml_questions *qs, const char *path_or_builtin, mml_diag_fn diag, void *dctx)
{
	if (!strcmp(path_or_builtin, "builtin"))
		return mml_questions_parse(qs, (const char *)mml_questions_data, mml_questions_data_len,
		                           "builtin:questions.json", diag, dctx);
	return mml_jl_load_file(path_or_builtin, Q_MAX_FILE, parse_any, qs, diag, dctx);
}
