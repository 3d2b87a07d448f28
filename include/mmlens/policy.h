/*
 * mmlens/policy.h - stage 7 (analyze): a privacy-policy model (JSON, read
 * with jansson) and the flow-to-policy verdict. Format, verdict rules and
 * their PoliCheck equivalents: docs/POLICY.md. The shipped model of
 * WeChat's policy for non-mainland accounts is data/policy/wechat.json,
 * built in under the name "wechat".
 *
 * Contract: an mml_policy is immutable after loading and may be shared by
 * threads for queries. The caller owns it (mml_policy_init/mml_policy_free).
 * Statements returned by a query live as long as the policy.
 */
#ifndef MMLENS_POLICY_H
#define MMLENS_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "mmlens/attrib.h"
#include "mmlens/err.h"

typedef enum mml_policy_action {
	MML_POLICY_COLLECTS = 0,
	MML_POLICY_DOES_NOT_COLLECT,
	MML_POLICY_SHARES_WITH,
} mml_policy_action;

#define MML_POLICY_COND_MAX 4

typedef struct mml_policy_stmt {
	char *id;
	mml_party party;
	mml_policy_action action;
	char *recipient;                 /* shares_with only, else NULL */
	char *category;                  /* taxonomy id */
	mml_feature context;             /* MML_FEAT_ANY for "any" */
	size_t ncond;                    /* condition pairs (0: null / no condition) */
	char *cond_key[MML_POLICY_COND_MAX];
	char *cond_val[MML_POLICY_COND_MAX];
	char *section;
	char *quote;
} mml_policy_stmt;

typedef struct mml_policy {
	char *name;                      /* the model's "policy" field */
	mml_policy_stmt *st;
	size_t n;
	size_t errors;                   /* problems found by the last load */
} mml_policy;

typedef enum mml_verdict {
	MML_VERDICT_DISCLOSED = 0,       /* PoliCheck: clear */
	MML_VERDICT_VAGUE,               /* PoliCheck: vague */
	MML_VERDICT_OMITTED,             /* PoliCheck: omitted */
	MML_VERDICT_CONTRADICTED,        /* PoliCheck: incorrect */
	MML_VERDICT_OTHER_PARTY,         /* PoliCheck: entity mismatch */
	MML_VERDICT_AMBIGUOUS,           /* PoliCheck: ambiguous (a positive and a negative statement both apply) */
	MML_VERDICT_UNDETERMINED,        /* not determinable from this data: the verdict depends on an unknown
	                                  * fact (a condition, the API's feature, the governing document) */
	MML_VERDICT__COUNT
} mml_verdict;

/*
 * What is known of the conditions during a capture (from session
 * labels): a function telling whether condition KEY=VALUE held: 1 yes,
 * 0 no, -1 unknown. Keys the shipped model uses (docs/POLICY.md):
 * permission, permission_not_granted, account_region, authorization,
 * legal_basis.
 */
typedef int (*mml_policy_cond_fn)(void *ctx, const char *key, const char *value);

/* A data flow: `party` receives `category` while serving `context`.
 * recipient NULL: collection; else sharing by `party` with `recipient`.
 * cond NULL: conditions are not evaluated (every statement applies). */
typedef struct mml_policy_flow {
	mml_party party;
	const char *category;
	mml_feature context;             /* MML_FEAT_ANY: matches statements of every context */
	const char *recipient;
	mml_policy_cond_fn cond;
	void *cond_ctx;
} mml_policy_flow;

/* Whether statement s's conditions held for flow f: 1 all held, 0 one
 * did not, -1 none failed but one is unknown (or f->cond is NULL and s
 * has conditions); 1 for a statement without conditions. */
int mml_policy_cond_state(const mml_policy_stmt *s, const mml_policy_flow *f);

const char *mml_verdict_name(mml_verdict v);
const char *mml_policy_action_name(mml_policy_action a);

void mml_policy_init(mml_policy *p);
void mml_policy_free(mml_policy *p);
/* Parse a model from a buffer. Every problem is reported via diag
 * (naming the statement id or index) and counted in p->errors; any
 * problem makes the load fail (MML_E_MALFORMED) and leaves p empty, so
 * that an audit never runs against half a policy. */
mml_err mml_policy_parse(mml_policy *p, const char *text, size_t n, const char *name, mml_diag_fn diag,
                         void *dctx);
/* `path_or_name`: a file, or a built-in name ("wechat"). */
mml_err mml_policy_load(mml_policy *p, const char *path_or_name, mml_diag_fn diag, void *dctx);

/* The verdict for a flow, and the statement that decided it (NULL for
 * omitted). Rules, first that applies (docs/POLICY.md):
 * ambiguous: a positive statement of this party covers the flow (this
 *   category or an ancestor) and a does_not_collect of this party names
 *   it too (best: the positive one);
 * disclosed: a positive statement names this party and this category;
 * contradicted: a does_not_collect for this party and this category or an
 *   ancestor (collection flows only);
 * vague: a positive statement names this party and an ancestor category;
 * other_party: a positive statement gives this category (or an ancestor)
 *   in this context to another party (that statement's conditions are not
 *   judged: they are about the other party);
 * omitted: nothing. Contexts match when equal or either is "any"; a flow
 * whose context is MML_FEAT_UNKNOWN matches only "any" statements.
 * A statement of this party whose condition is known not to have held
 * (f->cond says 0) is left out; one whose condition is unknown applies
 * as if it held: mml_policy_covers is one evaluation under given facts;
 * the three-valued judgement over unknown facts is mml_judge (judge.h),
 * which every command uses. Never returns MML_VERDICT_UNDETERMINED. */
mml_verdict mml_policy_covers(const mml_policy *p, const mml_policy_flow *f, const mml_policy_stmt **best);

#endif
