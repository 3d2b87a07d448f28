/*
 * diff.c - what one set of flows has that another lacks
 * (include/mmlens/analyze.h, mml_flows_diff), at three levels: category;
 * (category, API) and (category, party) for categories both sides sent.
 * Used by `mmlens diff` and the HTML report's diff view.
 *
 * Contract: reads both sets only; each difference is reported once per
 * key, with evidence gathered by mml_flows_evidence (sorted by message,
 * capped at MML_FLOWS_EVIDENCE). O(keys^2) per side; keys are a
 * session's distinct flow keys (tens).
 */
#include <string.h>

#include "mmlens/analyze.h"

const char *mml_diff_level_name(mml_diff_level l)
{
	static const char *const n[] = {"category", "category_api", "category_party"};
	return (unsigned)l < 3 ? n[l] : "?";
}

typedef struct dkey {
	mml_diff_level level;
	const char *category, *api;
	mml_party party;
} dkey;

static bool str_same(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

static bool key_match(const mml_flow_rec *r, void *ctx)
{
	const dkey *k = ctx;
	if (strcmp(r->category, k->category))
		return false;
	if (k->level == MML_DIFF_API)
		return str_same(r->api, k->api);
	if (k->level == MML_DIFF_PARTY)
		return r->party == k->party;
	return true;
}

static bool has_key(const mml_flows *f, const dkey *k)
{
	for (size_t i = 0; i < f->n; i++)
		if (key_match(&f->rec[i], (void *)k))
			return true;
	return false;
}

static bool has_category(const mml_flows *f, const char *cat)
{
	dkey k = {.level = MML_DIFF_CATEGORY, .category = cat};
	return has_key(f, &k);
}

/* Whether record i is the first of f with this key (each key once). */
static bool first_of_key(const mml_flows *f, size_t i, const dkey *k)
{
	for (size_t j = 0; j < i; j++)
		if (key_match(&f->rec[j], (void *)k))
			return false;
	return true;
}

static mml_err side(char name, const mml_flows *a, const mml_flows *b, mml_diff_fn fn, void *ctx)
{
	mml_flow_evref ev[MML_FLOWS_EVIDENCE];
	for (int level = MML_DIFF_CATEGORY; level <= MML_DIFF_PARTY; level++) {
		for (size_t i = 0; i < a->n; i++) {
			const mml_flow_rec *r = &a->rec[i];
			dkey k = {.level = (mml_diff_level)level, .category = r->category, .api = r->api, .party = r->party};
			if (!first_of_key(a, i, &k))
				continue;
			if (level == MML_DIFF_CATEGORY ? has_category(b, r->category)
			                               : (!has_category(b, r->category) || has_key(b, &k)))
				continue;
			uint64_t count;
			size_t n = mml_flows_evidence(a, key_match, &k, ev, MML_FLOWS_EVIDENCE, &count);
			if (n == (size_t)-1)
				return MML_E_NOMEM;
			mml_diff_item d = {.only_in = name, .level = (mml_diff_level)level, .category = r->category,
			                   .api = level == MML_DIFF_API ? r->api : NULL,
			                   .has_party = level == MML_DIFF_PARTY, .party = r->party, .count = count,
			                   .nev = n, .ev = ev};
			fn(ctx, &d);
		}
	}
	return MML_OK;
}

mml_err mml_flows_diff(const mml_flows *a, const mml_flows *b, mml_diff_fn fn, void *ctx)
{
	MML_RETURN_IF_ERR(side('A', a, b, fn, ctx));
	return side('B', b, a, fn, ctx);
}
