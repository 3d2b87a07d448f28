/*
 * fuzz_catalog.c - libFuzzer harness: the request-type catalog parser
 * (src/envelope/catalog.c; "#source" declarations, TSV entries with
 * provenance, the CSV form, overrides).
 *
 * Checks, beyond memory safety: the diagnostic callback gets one
 * well-formed "fuzz.tsv:LINE: catalog line skipped: reason" message per
 * bad line; the entries come out sorted with unique ids, each with an api
 * of printable bytes, a source that names a declared key (its description
 * attached) or none, and a confidence in range, and each is found again by
 * mml_catalog_entry and mml_catalog_lookup. Parsed after the built-in
 * catalog (the first 16 inputs, then every 256th: loading its 865 entries
 * would set the pace), the input only adds and
 * replaces entries. Cut in two after a newline (where depends on the
 * first byte) and parsed as two texts, it reads as the whole input does:
 * the same entries, sources and bad lines.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

typedef struct diag_ctx {
	size_t calls;
	uint64_t rhash; /* of the reasons, in order */
} diag_ctx;

static void diag(void *ctx, const char *fmt, ...)
{
	diag_ctx *d = ctx;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n <= 0 || strncmp(msg, "fuzz.", 5))
		abort();
	const char *r = strchr(msg, ':');
	r = r ? strchr(r + 1, ':') : NULL;
	if (!r || strncmp(r, ": catalog line skipped: ", 24))
		abort();
	d->calls++;
	for (; *r; r++)
		d->rhash = (d->rhash ^ (unsigned char)*r) * 1099511628211ull;
}

static void check_catalog(const mml_catalog *c)
{
	for (size_t i = 0; i < c->n; i++) {
		const mml_cat_ent *e = &c->ent[i];
		if (i && e->id <= c->ent[i - 1].id)
			abort();
		if (!e->api || !*e->api || strlen(e->api) > 1024)
			abort();
		for (const char *p = e->api; *p; p++)
			if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
				abort();
		if ((e->source == NULL) != (e->source_desc == NULL) || (unsigned)e->confidence > MML_CAT_CONF_HIGH)
			abort();
		if (e->source) {
			char first[64];
			snprintf(first, sizeof first, "%.*s", (int)strcspn(e->source, ","), e->source);
			if (mml_catalog_source_desc(c, first) != e->source_desc)
				abort();
		}
		if (mml_catalog_entry(c, e->id) != e || mml_catalog_lookup(c, e->id) != e->api)
			abort();
		sink += strlen(mml_cat_conf_name(e->confidence));
	}
}

static int same_entries(const mml_catalog *a, const mml_catalog *b)
{
	if (a->n != b->n || a->nsrc != b->nsrc || a->bad_lines != b->bad_lines)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const mml_cat_ent *x = &a->ent[i], *y = &b->ent[i];
		if (x->id != y->id || strcmp(x->api, y->api) || x->confidence != y->confidence ||
		    (x->source == NULL) != (y->source == NULL) || (x->source && strcmp(x->source, y->source)) ||
		    (x->source_desc && strcmp(x->source_desc, y->source_desc)))
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	diag_ctx dw = {0};
	mml_catalog whole;
	mml_catalog_init(&whole);
	if (mml_catalog_parse(&whole, text, size, "fuzz.tsv", diag, &dw) == MML_OK) {
		if (dw.calls != whole.bad_lines)
			abort();
		check_catalog(&whole);
		/* the same text in two pieces, cut after a newline */
		size_t at = size ? (size_t)data[0] * size / 256 : 0;
		const uint8_t *nl = at < size ? memchr(data + at, '\n', size - at) : NULL;
		size_t cut = nl ? (size_t)(nl - data) + 1 : size;
		diag_ctx d2 = {0};
		mml_catalog two;
		mml_catalog_init(&two);
		if (mml_catalog_parse(&two, text, cut, "fuzz.a", diag, &d2) != MML_OK ||
		    mml_catalog_parse(&two, text + cut, size - cut, "fuzz.b", diag, &d2) != MML_OK)
			abort();
		if (!same_entries(&whole, &two) || d2.calls != dw.calls || d2.rhash != dw.rhash)
			abort();
		mml_catalog_free(&two);
	}
	/* after the built-in catalog (the first 16 inputs, then every 256th):
	 * only additions and replacements (its keys may make more lines
	 * valid, or a declaration a repeat) */
	static mml_catalog ref;
	static int have_ref;
	static unsigned long runs;
	if (!have_ref) {
		mml_catalog_init(&ref);
		if (mml_catalog_load_builtin(&ref) != MML_OK || ref.bad_lines)
			abort();
		have_ref = 1;
	}
	if (runs++ < 16 || runs % 256 == 0) {
		mml_catalog b;
		mml_catalog_init(&b);
		if (mml_catalog_load_builtin(&b) != MML_OK)
			abort();
		diag_ctx db = {0};
		if (mml_catalog_parse(&b, text, size, "fuzz.tsv", diag, &db) == MML_OK) {
			check_catalog(&b);
			if (b.n < ref.n || db.calls != b.bad_lines)
				abort();
			for (size_t i = 0; i < ref.n; i++)
				if (!mml_catalog_entry(&b, ref.ent[i].id))
					abort();
		}
		mml_catalog_free(&b);
	}
	/* and without a callback (every 8th input: the parses set the pace) */
	if (runs % 8 == 1) {
		mml_catalog q;
		mml_catalog_init(&q);
		(void)mml_catalog_parse(&q, text, size, NULL, NULL, NULL);
		sink += q.n + q.bad_lines;
		mml_catalog_free(&q);
	}
	mml_catalog_free(&whole);
	return 0;
}
