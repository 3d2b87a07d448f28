/*
 * mmlens/judge.h - stage 7 (analyze): the three-valued judgement of a
 * flow against the policy models (src/analyze/judge.c, docs/POLICY.md,
 * "Judging what is not known").
 *
 * A verdict is only as certain as the facts behind it. A policy
 * statement's condition (a permission, the account region), the feature
 * a message served (its API may be unknown) and the document that
 * governs the flow (`--policy auto`: Weixin's guidelines for Weixin's
 * features and mainland accounts, WeChat's policy otherwise) are each
 * held, not held, or unknown. mml_judge evaluates the flow under every
 * combination of the unknown facts: when all give one verdict, that is
 * the verdict; otherwise it is MML_VERDICT_UNDETERMINED, with the facts
 * that decide it and what each answer gives. An unknown fact therefore
 * never yields `disclosed` or `contradicted` on its own.
 *
 * Contract: pure computation over immutable models, the attribution map
 * and a label; no allocation; the judgement holds pointers into the
 * models (statements, names) that live as long as they do.
 */
#ifndef MMLENS_JUDGE_H
#define MMLENS_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmlens/analyze.h"
#include "mmlens/attrib.h"
#include "mmlens/policy.h"

/* The models a verdict may come from. fixed != NULL: that one model for
 * every flow (--policy FILE|wechat|weixin); else auto (the default):
 * Weixin's guidelines for flows Weixin receives and for mainland (CN)
 * accounts, WeChat's policy for the rest. */
typedef struct mml_policyset {
	const mml_policy *fixed;
	const mml_policy *wechat, *weixin; /* auto */
} mml_policyset;

/* Facts a verdict can depend on, besides the feature (at most
 * MML_JUDGE_FACTS are enumerated; any more are taken as held). */
#define MML_JUDGE_FACTS 6
typedef enum mml_fact_kind {
	MML_FACT_PERMISSION = 0,  /* permission P granted (conditions permission / permission_not_granted) */
	MML_FACT_REGION,          /* the account is registered in mainland China (CN) */
	MML_FACT_OTHER,           /* any other condition KEY=VALUE (authorization, legal_basis, ...) */
} mml_fact_kind;
typedef struct mml_fact {
	mml_fact_kind kind;
	const char *key, *value;  /* as in the statement (views into a model) */
} mml_fact;

/* One verdict among those the unknown facts allow. */
typedef struct mml_outcome {
	mml_verdict v;
	const mml_policy *pol;        /* the model that gave it */
	const mml_policy_stmt *st;    /* the statement that decided it (NULL: omitted) */
	uint32_t contexts;            /* bit f: given under feature f (when the feature was unknown) */
	uint8_t held[MML_JUDGE_FACTS];/* per unknown fact: bit 0 seen not held, bit 1 seen held */
	mml_party party;              /* the receiver under that feature */
} mml_outcome;

typedef struct mml_judgement {
	mml_verdict v;                /* UNDETERMINED when the outcomes disagree */
	const mml_policy *pol;        /* the model that governs (determined verdicts; else the first outcome's) */
	const char *policy_why;       /* why that model governs (static text) */
	const mml_policy_stmt *st;    /* the deciding statement (NULL: omitted, or undetermined) */
	int cond_held;                /* st's conditions: 1 held by the labels, 0 st has none, -1 not known
	                               * (the verdict is the same whether or not they held) */
	bool feature_unknown;         /* the feature was enumerated (API unknown or unattributed) */
	bool overflow;                /* more than MML_JUDGE_FACTS unknown facts: undetermined whatever the rest */
	size_t nfacts;                /* unknown facts that were enumerated */
	mml_fact fact[MML_JUDGE_FACTS];
	uint8_t deciding;             /* bit i: fact i changes the verdict; bit 7: the feature does */
	size_t nout;                  /* distinct verdicts (1 when determined) */
	mml_outcome out[MML_VERDICT__COUNT];
	/* auto with the account region not labelled: WeChat's policy governs by
	 * default; this is the verdict Weixin's guidelines would give a mainland
	 * (CN) account (alt_v == v when the same or not applicable) */
	mml_verdict alt_v;
	const mml_policy *alt_pol;
	const mml_policy_stmt *alt_st;
} mml_judgement;

/* A flow to judge: a category received by a party for a feature, in a
 * session with this label (NULL: nothing labelled). */
typedef struct mml_judge_flow {
	const char *category;
	mml_party party;
	mml_feature feature;          /* MML_FEAT_UNKNOWN: enumerated over every feature */
	bool attributed;              /* false: the party too follows the feature (mml_attrib_feature_party)
	                               * unless it is a non-WeChat host's */
	const mml_label *label;
} mml_judge_flow;

void mml_judge(const mml_policyset *ps, const mml_attrib *attrib, const mml_judge_flow *f, mml_judgement *j);

/*
 * The judgement in words, into buf (always terminated): for a determined
 * verdict why the model governs; for an undetermined one each verdict
 * with the facts that give it and what would decide it, e.g.
 * "disclosed if the location permission was granted; contradicted if it
 * was not. To decide: label session 9's permissions (--label
 * 9:permissions=...)". session 0: "the session".
 */
void mml_judgement_text(const mml_judgement *j, uint64_t session, char *buf, size_t cap);
/* What would decide an undetermined verdict, in words (same style). */
void mml_judgement_decide(const mml_judgement *j, uint64_t session, char *buf, size_t cap);
/* A fact as a short id: "permission:location", "account_region", "authorization:user_info". */
void mml_fact_id(const mml_fact *f, char *buf, size_t cap);

/*
 * A session's flows, judged (src/analyze/audit.c): one row per (category,
 * attributed, party, feature, host), its receiving APIs (or, for an API
 * that stayed unknown, its request types), its evidence, and its
 * judgement under the session's label. `mmlens audit`, the HTML report,
 * the database and `mmlens answer` all take their verdicts from here.
 */
#define MML_AUDIT_APIS 8
typedef struct mml_audit_row {
	uint64_t session;             /* 0: flows not of one session */
	const mml_label *label;
	const char *category;
	mml_party party;
	mml_feature feature;          /* MML_FEAT_UNKNOWN: the API is unknown or unattributed */
	bool attributed;
	const char *host;             /* unattributed rows: the host when known */
	size_t napis;                 /* named receiving APIs (views into the flows) */
	const char *apis[MML_AUDIT_APIS];
	size_t ntypes;                /* request types of messages whose API no source names */
	int64_t req_types[MML_AUDIT_APIS];
	bool more;                    /* more APIs or request types than listed */
	uint64_t count;               /* findings */
	uint64_t msgs;                /* messages */
	size_t nev;
	const mml_flow_evref *ev;     /* the first findings, by message */
	mml_judgement j;
} mml_audit_row;
typedef void (*mml_audit_fn)(void *ctx, const mml_audit_row *r);
/* MML_OK or MML_E_NOMEM. Rows in the flows' first-seen order. */
mml_err mml_audit_flows(const mml_policyset *ps, const mml_attrib *attrib, const mml_flows *f, uint64_t session,
                        const mml_label *lb, mml_audit_fn fn, void *ctx);

#endif
