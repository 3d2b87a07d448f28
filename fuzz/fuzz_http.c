/*
 * fuzz_http.c - libFuzzer harness: the chunked-body decoder
 * (mml_http_chunked_next) and HTTP/1.x heads (mml_http_head_parse), both
 * in src/mmtls/record.c.
 *
 * Input: the first byte picks a cut point, the rest is a chunked body.
 * It is decoded three ways: whole, in two reads cut at (first byte / 256)
 * of its length, and (up to 4 KiB) one byte a read. Checks beyond memory
 * safety (abort on failure): the three agree on the data, on how decoding
 * stopped (end, incomplete, malformed) and on the byte where it stopped;
 * "incomplete" only after every byte was taken; every data piece is a
 * non-empty view inside the bytes given. Then the whole input is parsed
 * as an HTTP head, and the bytes after a chunked head as its body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/mmtls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

typedef struct run {
	mml_http_chunked ch;
	uint64_t hash;   /* of the data, in order */
	size_t n;        /* data bytes */
	size_t used;     /* input bytes taken */
	mml_err last;
} run;

static void feed(run *r, const uint8_t *p, size_t n)
{
	mml_cur c = mml_cur_make(p, n);
	for (;;) {
		const uint8_t *d;
		size_t len;
		mml_err e = mml_http_chunked_next(&r->ch, &c, &d, &len);
		if (e != MML_OK) {
			if (e == MML_E_INCOMPLETE && mml_cur_left(&c))
				abort(); /* incomplete with bytes not taken */
			if (e != MML_E_INCOMPLETE && e != MML_E_END && e != MML_E_MALFORMED)
				abort();
			r->used += c.off;
			r->last = e;
			return;
		}
		if (!len || d < p || d + len > p + n || d != mml_cur_ptr(&c) - len)
			abort();
		for (size_t i = 0; i < len; i++)
			r->hash = (r->hash ^ d[i]) * 1099511628211ull;
		r->n += len;
	}
}

static void run_init(run *r)
{
	memset(r, 0, sizeof *r);
	r->hash = 1469598103934665603ull;
	mml_http_chunked_init(&r->ch);
}

static void same(const run *a, const run *b)
{
	if (a->hash != b->hash || a->n != b->n || a->used != b->used || a->last != b->last)
		abort();
}

static void chunked_three_ways(const uint8_t *p, size_t n, uint8_t pick)
{
	run whole, two, bytes;
	run_init(&whole);
	feed(&whole, p, n);
	size_t cut = (size_t)pick * n / 256;
	run_init(&two);
	feed(&two, p, cut);
	feed(&two, p + cut, n - cut);
	same(&whole, &two);
	if (n <= 4096) {
		run_init(&bytes);
		for (size_t i = 0; i < n; i++)
			feed(&bytes, p + i, 1);
		if (!n)
			feed(&bytes, p, 0);
		same(&whole, &bytes);
	}
	sink += whole.hash + whole.used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 1)
		chunked_three_ways(data + 1, size - 1, data[0]);
	mml_http_head h;
	if (mml_http_head_parse(data, size, &h) == MML_OK) {
		if (h.head_len > size)
			abort();
		sink += h.method_len + h.path_len + h.host_len + h.content_length + (uint64_t)h.status;
		if (h.chunked) {
			run r;
			run_init(&r);
			feed(&r, data + h.head_len, size - h.head_len);
			sink += r.hash;
		}
	}
	return 0;
}
