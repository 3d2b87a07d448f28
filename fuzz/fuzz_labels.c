/*
 * fuzz_labels.c - libFuzzer harness: the session-label manifest parser
 * (JSON through jansson, src/analyze/labels.c) and the --label argument
 * parser, from the same input.
 *
 * Checks, beyond memory safety: every stored label has a session from 1,
 * strings within MML_LABEL_MAXLEN without control characters, lists
 * within MML_LABEL_MAXLIST, no session twice, and at most
 * MML_LABELS_MAX labels; a refused manifest stores nothing and says why
 * once; a refused argument gives a reason.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/analyze.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void diag(void *ctx, const char *fmt, ...)
{
	(void)fmt;
	(*(size_t *)ctx)++;
}

static void check_str(const char *s)
{
	if (!s)
		return;
	size_t n = strlen(s);
	if (!n || n > MML_LABEL_MAXLEN)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static void check(const mml_labels *l)
{
	if (l->n > MML_LABELS_MAX)
		abort();
	for (size_t i = 0; i < l->n; i++) {
		const mml_label *b = &l->v[i];
		/* session 0 is the "all:" label: it labels every session without one, never a scenario */
		if (mml_labels_find(l, b->session) != b || (!b->session && b->scenario))
			abort();
		check_str(b->scenario);
		check_str(b->region);
		if (b->nfeatures > MML_LABEL_MAXLIST || b->npermissions > MML_LABEL_MAXLIST)
			abort();
		for (size_t k = 0; k < b->nfeatures; k++)
			check_str(b->features[k]);
		for (size_t k = 0; k < b->npermissions; k++) {
			check_str(b->permissions[k]);
			if (mml_label_permission(b, b->permissions[k]) != 1)
				abort();
		}
		if (b->scenario && !mml_labels_by_scenario(l, b->scenario))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mml_labels l;
	size_t calls = 0;
	mml_labels_init(&l);
	mml_err e = mml_labels_parse(&l, (const char *)data, size, "fuzz.json", "run.log", diag, &calls);
	if (e == MML_E_MALFORMED && (l.n || calls != 1))
		abort();
	check(&l);
	mml_labels_free(&l);

	if (size > 4096)
		return 0;
	char *arg = malloc(size + 1);
	if (!arg)
		return 0;
	memcpy(arg, data, size);
	arg[size] = 0;
	char ebuf[320] = "";
	mml_labels_init(&l);
	e = mml_labels_arg(&l, arg, ebuf, sizeof ebuf);
	if (e != MML_OK && e != MML_E_NOMEM && !ebuf[0])
		abort();
	check(&l);
	/* a session's own label next to an "all:" one: folded in, then still consistent */
	char ebuf2[320];
	if (mml_labels_arg(&l, "7:features=x", ebuf2, sizeof ebuf2) == MML_OK && mml_labels_finish(&l) == MML_OK)
		check(&l);
	mml_labels_free(&l);
	free(arg);
	return 0;
}
