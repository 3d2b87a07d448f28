/*
 * fuzz_policy.c - libFuzzer harness: the policy-model parser (JSON through
 * jansson, field validation) and the attribution-map parser (TSV), from
 * the same input through their buffer APIs.
 *
 * Checks, beyond memory safety: a model that loads has no errors, only
 * known categories and a recipient exactly on shares_with statements, and
 * every query returns a statement unless the verdict is omitted; a failed
 * load leaves the policy empty with at least one reported error. For the
 * map, the diagnostic callback fires once per skipped line and every
 * stored row is found again by its own api/host.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/attrib.h"
#include "mmlens/detect.h"
#include "mmlens/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static void diag(void *ctx, const char *fmt, ...)
{
	size_t *calls = ctx;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n <= 0)
		abort();
	(*calls)++;
}

static void fuzz_policy(const char *text, size_t size)
{
	size_t calls = 0;
	mml_policy p;
	mml_policy_init(&p);
	mml_err e = mml_policy_parse(&p, text, size, "fuzz.json", diag, &calls);
	if (e == MML_OK) {
		if (p.errors || calls || !p.name)
			abort();
		for (size_t i = 0; i < p.n; i++) {
			const mml_policy_stmt *s = &p.st[i];
			if (!s->id || !s->category || !mml_taxonomy_parent(s->category) || !s->section || !s->quote)
				abort();
			if ((s->action == MML_POLICY_SHARES_WITH) != (s->recipient != NULL))
				abort();
		}
		for (size_t c = 0; c < mml_taxonomy_count(); c++)
			for (int party = 0; party < MML_PARTY__COUNT; party++)
				for (int ctx = MML_FEAT_ANY; ctx < MML_FEAT__COUNT; ctx += 5) {
					mml_policy_flow f = {(mml_party)party, mml_taxonomy_id(c), (mml_feature)ctx,
					              (c & 1) ? "authorities" : NULL, NULL, NULL};
					const mml_policy_stmt *b;
					mml_verdict v = mml_policy_covers(&p, &f, &b);
					if ((v == MML_VERDICT_OMITTED) != (b == NULL) || v >= MML_VERDICT__COUNT)
						abort();
					sink += (uint64_t)v;
				}
	} else if (e != MML_E_NOMEM) {
		if (p.n || p.st || !p.errors || calls != p.errors)
			abort();
	}
	mml_policy_free(&p);
}

static void fuzz_attrib(const char *text, size_t size)
{
	size_t calls = 0;
	mml_attrib a;
	mml_attrib_init(&a);
	mml_err e = mml_attrib_parse(&a, text, size, "fuzz.tsv", diag, &calls);
	if (e == MML_OK) {
		if (calls != a.bad_lines)
			abort();
		for (size_t i = 0; i < a.n && i < 256; i++) {
			const mml_attrib_row *r = &a.row[i];
			if (!r->api && !r->host)
				abort();
			mml_party p = MML_PARTY_WECHAT;
			mml_feature f = MML_FEAT_OTHER;
			if (!r->api_prefix && !r->host_suffix && !mml_attrib_lookup(&a, r->api, r->host, &p, &f))
				abort();
			sink += (uint64_t)p + (uint64_t)f;
		}
	}
	mml_attrib_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_policy((const char *)data, size);
	fuzz_attrib((const char *)data, size);
	return 0;
}
