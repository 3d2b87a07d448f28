/*
 * src/analyze/jload.h - what the JSON files of the analysis (policy
 * models, policy.c; the question file, questions.c) are read with, on top
 * of jansson: the load context and its diagnostics, the checked string,
 * identifier and key tests, the size-checked parse of the whole text and
 * the read of a file. Private to the analyze module.
 *
 * Contract: every problem is reported through the context's diag (and
 * counted); nothing here keeps a pointer into the JSON after the call.
 */
#ifndef MMLENS_ANALYZE_JLOAD_H
#define MMLENS_ANALYZE_JLOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "mmlens/analyze.h"

/* Load context: where diagnostics go, how many problems, memory ran out. */
typedef struct mml_jl {
	const char *name;
	mml_diag_fn diag;
	void *dctx;
	size_t errors;
	bool nomem;
} mml_jl;

#define MML_JL_ERR(c, ...)                                                                                         \
	do {                                                                                                       \
		(c)->errors++;                                                                                     \
		if ((c)->diag)                                                                                     \
			(c)->diag((c)->dctx, __VA_ARGS__);                                                         \
	} while (0)

/* A JSON string of 1..max bytes without NUL (its length in *len), or NULL. */
const char *mml_jl_str(const json_t *v, size_t max, size_t *len);
/* A copy of s; NULL (and c->nomem) when memory runs out. */
char *mml_jl_dup(mml_jl *c, const char *s);
/* s[0..n) is [A-Za-z0-9_.-]{1,64}. */
bool mml_jl_id_ok(const char *s, size_t n);
bool mml_jl_known_key(const char *k, const char *const *keys, size_t nkeys);
/* Report each top-level key of object root not in keys ("unknown top-level key"). */
void mml_jl_top_keys(mml_jl *c, const json_t *root, const char *const *keys, size_t nkeys);
/*
 * The JSON value of text[0..n): NULL after reporting a text over max bytes
 * ("NAME: <what>over MAX bytes", *e = MML_E_LIMIT) or one that is not
 * JSON (*e = MML_E_MALFORMED). Duplicate keys are refused.
 */
json_t *mml_jl_parse(mml_jl *c, const char *text, size_t n, size_t max, const char *what, mml_err *e);
/* Read the file path (at most max bytes) and hand it to parse(obj, text,
 * n, path, diag, dctx); a file that cannot be read is reported. */
mml_err mml_jl_load_file(const char *path, size_t max, mml_text_fn parse, void *obj, mml_diag_fn diag,
                         void *dctx);

#endif
