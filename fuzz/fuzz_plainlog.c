/*
 * fuzz_plainlog.c - libFuzzer harness: the instrumentation plaintext-log
 * reader (line splitting, JSON through jansson, hex, zlib with a cap).
 *
 * Checks beyond memory safety: message ids are line numbers, strictly
 * increasing; a body is never longer than the cap; every skipped line got
 * exactly one well-formed diagnostic.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static void diag(void *ctx, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n <= 0 || !strstr(msg, "fuzz.log:"))
		abort();
	(*(uint64_t *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size ? size : 1, "rb");
	if (!f)
		return 0;
	if (!size)
		fgetc(f); /* an empty stream */
	mml_catalog cat;
	mml_catalog_init(&cat);
	uint64_t ndiag = 0;
	const size_t cap = 1 << 16;
	mml_plainlog *l = mml_plainlog_open_stream(f, "fuzz.log", &cat, cap, diag, &ndiag);
	if (l) {
		mml_msg m;
		uint64_t last = 0;
		while (mml_plainlog_next(l, &m) == MML_OK) {
			if (m.id <= last || m.body_len > size + cap)
				abort();
			if (m.inflate != MML_INF_NONE && m.inflate != MML_INF_ERROR && m.body_len > cap)
				abort();
			last = m.id;
			for (size_t i = 0; i < m.body_len; i++)
				sink += m.body[i];
		}
		if (mml_plainlog_bad_lines(l) != ndiag)
			abort();
		mml_plainlog_close(l);
	}
	fclose(f);
	mml_catalog_free(&cat);
	return 0;
}
