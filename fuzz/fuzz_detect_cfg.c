/*
 * fuzz_detect_cfg.c - libFuzzer harness: the user-supplied detector
 * configuration, i.e. the --known-file parser (NAME=VALUE lines, every
 * value expanded into its encoded and hashed forms) and the --fields
 * parser (data/fields.tsv layouts, docs/TAXONOMY.md).
 *
 * The input is split at its first NUL byte: the part before it is a
 * known-values file, the part after it a field-layouts file (no NUL: the
 * whole input is tried as both). Checks beyond memory safety: every
 * diagnostic is well-formed and names the file, and a configuration the
 * parsers accepted can be freed cleanly.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void diag(void *ctx, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n <= 0 || (strncmp(msg, "known.txt", 9) && strncmp(msg, "fields.tsv", 10)))
		abort();
	(*(size_t *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const uint8_t *nul = memchr(data, 0, size);
	size_t kn = nul ? (size_t)(nul - data) : size;
	const char *ftext = nul ? text + kn + 1 : text;
	size_t fn = nul ? size - kn - 1 : size;
	mml_detect_cfg *c = mml_detect_cfg_new();
	if (!c)
		return 0;
	size_t ndiag = 0;
	mml_err e = mml_detect_cfg_known_text(c, text, kn, "known.txt", diag, &ndiag);
	if (e != MML_OK && e != MML_E_NOMEM)
		abort();
	e = mml_detect_cfg_fields_text(c, ftext, fn, "fields.tsv", diag, &ndiag);
	(void)e; /* a malformed layout file is refused as a whole; the diagnostics said why */
	mml_detect_cfg_free(c);
	return 0;
}
