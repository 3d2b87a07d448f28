/*
 * bench/keylog_reader.c - the key log reader's two paths timed: the strict
 * scanner for canonical lines against jansson for every line
 * (jansson_only), over the same text (what tests/test_mmtls_keylog.c checks
 * for equality, measured here instead).
 *
 * usage: keylog_reader [LINES] [REPEAT]   (defaults 200000 and 5)
 * The text is LINES canonical OUTER lines; each reader parses it REPEAT
 * times and the fastest run counts. Output: one JSON object,
 *   {"lines":N,"mb":X,"scanner_mb_s":A,"jansson_mb_s":B,"ratio":B/A time}
 * Exit status 1 when a reader does not read every line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmlens/keylog.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Seconds of the fastest of `repeat` parses, or -1 when a parse lost lines. */
static double time_parse(const char *text, size_t n, size_t lines, bool jansson_only, int repeat)
{
	double best = -1;
	for (int r = 0; r < repeat; r++) {
		mml_keylog kl;
		mml_stats st;
		memset(&st, 0, sizeof st);
		mml_keylog_init(&kl);
		kl.jansson_only = jansson_only;
		double t0 = now();
		mml_err e = mml_keylog_parse(&kl, text, n, NULL, NULL, "bench", &st);
		double t = now() - t0;
		size_t got = kl.n;
		mml_keylog_free(&kl);
		if (e != MML_OK || got != lines)
			return -1;
		if (best < 0 || t < best)
			best = t;
	}
	return best;
}

/* A positive decimal int (the whole argument), else 0. */
static int arg_count(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	return end == s || *end || v < 1 || v > 1000000 ? 0 : (int)v;
}

int main(int argc, char **argv)
{
	size_t lines = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
	int repeat = argc > 2 ? arg_count(argv[2]) : 5;
	if (!lines || lines > 50000000 || repeat < 1) {
		fprintf(stderr, "usage: keylog_reader [LINES] [REPEAT]\n");
		return 2;
	}
	size_t cap = lines * 200;
	char *text = malloc(cap);
	if (!text)
		return 2;
	size_t n = 0;
	for (size_t i = 0; i < lines; i++)
		n += (size_t)snprintf(text + n, cap - n,
		                      "{\"layer\":\"OUTER\",\"encrypt\":%s,\"nonce\":\"6df883161e0f1928d9bf%04zx\",\"key\":"
		                      "\"59d8e521c84392617baedab64a1478ff\",\"metadata\":\"000000000000000116f104005f\","
		                      "\"tail\":\"3171573f3f0f%04zx\"}\n",
		                      i & 1 ? "true" : "false", i & 0xffff, i & 0xffff);
	double fast = time_parse(text, n, lines, false, repeat), slow = time_parse(text, n, lines, true, repeat);
	free(text);
	if (fast <= 0 || slow <= 0) {
		fprintf(stderr, "keylog_reader: a reader did not read every line\n");
		return 1;
	}
	double mb = (double)n / 1e6;
	printf("{\"lines\":%zu,\"mb\":%.1f,\"scanner_mb_s\":%.0f,\"jansson_mb_s\":%.0f,\"ratio\":%.1f}\n", lines, mb,
	       mb / fast, mb / slow, slow / fast);
	return 0;
}
