/*
 * mmlens/answer.h - stage 7 (analyze): the study's questions answered
 * from the flows of every session (src/analyze/answer.c, questions.c;
 * docs/ANSWERS.md). Each answer is supported, not supported, or not
 * determinable from this data, with its evidence (sessions, messages,
 * APIs, field paths) and the caveats that limit it.
 *
 * Questions come from a file (data/questions.json is built in; a user
 * file adds questions or replaces them by id), each of one kind:
 *   received_by        does data of these categories reach these parties
 *                      (or Mini Program endpoints) in the sessions in scope?
 *   permission_effect  does granting a permission change which data of
 *                      these categories is sent, and to whom (sessions
 *                      labelled with and without it)?
 *   beyond_need        do the core features' APIs send categories beyond
 *                      what each feature needs?
 *   governed_by        which flows does a given policy model govern?
 *
 * Contract: the caller owns the question set (mml_questions_init/free)
 * and the sessions; answering allocates only the answer's text, freed
 * after the callback. A question file is outside input: bad entries are
 * reported through diag and fail the load (like a policy model).
 */
#ifndef MMLENS_ANSWER_H
#define MMLENS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmlens/analyze.h"
#include "mmlens/collect.h"
#include "mmlens/judge.h"

typedef enum mml_qkind {
	MML_Q_RECEIVED_BY = 0,
	MML_Q_PERMISSION_EFFECT,
	MML_Q_BEYOND_NEED,
	MML_Q_GOVERNED_BY,
} mml_qkind;

#define MML_Q_MAXLIST 16
typedef struct mml_qneed {
	mml_feature feature;
	size_t ncat;
	char *cat[MML_Q_MAXLIST];
} mml_qneed;

typedef struct mml_question {
	char *id, *question;
	mml_qkind kind;
	size_t ncat;
	char *cat[MML_Q_MAXLIST];          /* categories asked about (a parent covers its children) */
	unsigned parties;                  /* received_by: bit per mml_party */
	bool mp_endpoints;                 /* received_by: "endpoints": "miniprogram" */
	size_t nscope;
	char *scope[MML_Q_MAXLIST];        /* a session is in scope when it sent one of these categories, */
	size_t nscope_apis;
	char *scope_apis[MML_Q_MAXLIST];   /* ... or one of these APIs (a prefix) received something, */
	unsigned scope_features;           /* ... or its label names one of these features */
	char *scope_text;
	char *permission;                  /* permission_effect */
	size_t nbase;
	char *base[MML_Q_MAXLIST];         /* beyond_need: what every feature may send */
	size_t nneeds;
	mml_qneed needs[MML_Q_MAXLIST];    /* beyond_need: per feature */
	char *policy;                      /* governed_by: the model's name */
} mml_question;

typedef struct mml_questions {
	mml_question *q;
	size_t n, alloc;
	size_t errors;
} mml_questions;

void mml_questions_init(mml_questions *qs);
void mml_questions_free(mml_questions *qs);
/* Questions from a buffer: added, or replacing a question with the same
 * id. Every problem is reported through diag (naming the question) and
 * any problem fails the load (MML_E_MALFORMED) with qs unchanged. */
mml_err mml_questions_parse(mml_questions *qs, const char *text, size_t n, const char *name, mml_diag_fn diag,
                            void *dctx);
/* A file, or "builtin" (data/questions.json). */
mml_err mml_questions_load(mml_questions *qs, const char *path_or_builtin, mml_diag_fn diag, void *dctx);

/* One session as the answers see it. */
typedef struct mml_answer_sess {
	mml_session s;
	const mml_label *label;
	mml_flows flows;
} mml_answer_sess;

typedef struct mml_answer_in {
	const mml_answer_sess *sess;
	size_t nsess;
	const mml_scan_counts *counts;     /* what the input held (caveats) */
	const mml_policyset *ps;           /* governed_by */
	const mml_attrib *attrib;
} mml_answer_in;

typedef enum mml_answer_v { MML_ANS_SUPPORTED = 0, MML_ANS_NOT_SUPPORTED, MML_ANS_NOT_DETERMINABLE } mml_answer_v;
const char *mml_answer_name(mml_answer_v v); /* "supported", "not_supported", "not_determinable" */

#define MML_ANS_EVIDENCE 12
#define MML_ANS_CAVEATS 8
typedef struct mml_answer_ev {
	uint64_t session, msg;
	const char *category, *api, *path, *detector;
	int64_t req_type;                  /* when api is NULL */
	mml_party party;
	mml_feature feature;
} mml_answer_ev;

typedef struct mml_answer {
	const mml_question *q;
	mml_answer_v v;
	const char *summary;               /* one paragraph in plain words */
	size_t nev;
	mml_answer_ev ev[MML_ANS_EVIDENCE];
	uint64_t ev_total;                 /* findings behind the answer */
	size_t ncaveats;
	const char *caveat[MML_ANS_CAVEATS];
	size_t more_caveats;               /* beyond the cap, counted */
} mml_answer;

typedef void (*mml_answer_fn)(void *ctx, const mml_answer *a);
/* Every question answered in file order. MML_OK or MML_E_NOMEM. */
mml_err mml_answer_all(const mml_questions *qs, const mml_answer_in *in, mml_answer_fn fn, void *ctx);

#endif
