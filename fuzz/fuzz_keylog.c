/*
 * fuzz_keylog.c - libFuzzer harness: the key log reader (JSON lines through
 * jansson, hex fields, size rules) and its tail/tag indexes.
 *
 * Checks, beyond memory safety: every stored entry is found again by its
 * own tail (and tag), the diagnostic callback gets a well-formed
 * message for each skipped line (bad_lines of them), and the strict
 * fast reader agrees with jansson on every line: the same entries and
 * the same skipped lines with the same reasons.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/keylog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

typedef struct diag_ctx {
	size_t calls;
	uint64_t hash; /* of every message, in order */
} diag_ctx;

static void diag(void *ctx, const char *fmt, ...)
{
	diag_ctx *d = ctx;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n <= 0)
		abort();
	d->calls++;
	for (int i = 0; i < n && i < (int)sizeof msg - 1; i++)
		d->hash = (d->hash ^ (unsigned char)msg[i]) * 1099511628211ull;
}

/* The fast reader and jansson alone read the same text the same way. */
static void check_same_as_jansson(const mml_keylog *fast, const diag_ctx *fd, const uint8_t *data, size_t size)
{
	mml_stats st;
	memset(&st, 0, sizeof st);
	diag_ctx dc = {0};
	mml_keylog kl;
	mml_keylog_init(&kl);
	kl.jansson_only = true;
	if (mml_keylog_parse(&kl, (const char *)data, size, diag, &dc, "fuzz.keylog", &st) == MML_OK) {
		if (kl.n != fast->n || kl.bad_lines != fast->bad_lines || dc.calls != fd->calls || dc.hash != fd->hash)
			abort();
		for (size_t i = 0; i < kl.n; i++)
			if (memcmp(&kl.ent[i], &fast->ent[i], sizeof kl.ent[i]))
				abort();
	}
	mml_keylog_free(&kl);
}

static void check_found(const mml_keylog *kl)
{
	for (size_t i = 0; i < kl->n; i++) {
		const mml_keyent *want = &kl->ent[i];
		if (want->tail_len < 8 || want->tail_len > sizeof want->tail)
			abort();
		size_t it = 0;
		const mml_keyent *e;
		int found = 0;
		while ((e = mml_keylog_find_tail(kl, (mml_layer)want->layer, want->tail + want->tail_len - 8, &it)))
			if (e == want)
				found = 1;
		if (!found)
			abort();
		if (!want->has_tag)
			continue;
		it = 0;
		found = 0;
		while ((e = mml_keylog_find_tag(kl, want->tag, &it)))
			if (e == want)
				found = 1;
		if (!found)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mml_stats st;
	memset(&st, 0, sizeof st);
	diag_ctx dc = {0};
	mml_keylog kl;
	mml_keylog_init(&kl);
	/* once with a diagnostic callback, once without */
	mml_err e = mml_keylog_parse(&kl, (const char *)data, size, diag, &dc, "fuzz.keylog", &st);
	if (e == MML_OK) {
		if (dc.calls != kl.bad_lines || st.keylog_bad_lines != kl.bad_lines)
			abort();
		if (st.keylog_outer + st.keylog_inner != kl.n)
			abort();
		check_found(&kl);
		check_same_as_jansson(&kl, &dc, data, size);
	}
	/* lookups keyed by input bytes (mostly misses; sometimes hits) */
	for (size_t off = 0; off + 16 <= size && off < 512; off += 5) {
		size_t it = 0;
		const mml_keyent *k;
		for (int layer = 0; layer < 2; layer++) {
			it = 0;
			while ((k = mml_keylog_find_tail(&kl, (mml_layer)layer, data + off, &it)))
				sink += k->line + k->keylen;
		}
		it = 0;
		while ((k = mml_keylog_find_tag(&kl, data + off, &it)))
			sink += k->line;
	}
	mml_keylog_free(&kl);

	mml_keylog_init(&kl);
	memset(&st, 0, sizeof st);
	(void)mml_keylog_parse(&kl, (const char *)data, size, NULL, NULL, NULL, &st);
	sink += kl.n + kl.bad_lines;
	mml_keylog_free(&kl);
	return 0;
}
