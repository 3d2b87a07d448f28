/*
 * fuzz_decode_common.h - the body shared by the fuzz_decode_* harnesses
 * (stage 5, include/mmlens/decode.h). Each harness defines FUZZ_DECODE_FMT
 * (a mml_dfmt, or -1 for "the first byte picks") and includes this file.
 *
 * For every input (at most FUZZ_DECODE_MAX bytes of it: every seed fits;
 * libFuzzer makes inputs of at most FUZZ_MAX_LEN bytes unless the command
 * line gives -max_len, which keeps it fast): mml_decode_as() with the harness's
 * format and mml_decode_body(), each into a tree with the default limits
 * (reused across inputs, as a scanner does) and into one with tiny limits
 * (so the limit paths run); metadata nodes. Beyond memory safety it
 * checks the tree's invariants and aborts on a violation: node 0 is the
 * root, a parent comes before its children, depths and child counts are
 * consistent, the work stays within its budget, every limit named is one
 * of the five. The checks stay linear in the tree: every node's value is
 * touched at both ends (ASan sees a view that leaves its buffer), the
 * paths of a sample of nodes are printed (every node of a small tree),
 * and both writers run on the body in the tiny tree (at most
 * FUZZ_WRITE_NODES nodes).
 */
#ifndef FUZZ_DECODE_COMMON_H
#define FUZZ_DECODE_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_maxlen.h"
#include "mmlens/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef FUZZ_DECODE_MAX
#define FUZZ_DECODE_MAX 32768 /* bytes used of an input: every seed whole */
#endif
#define FUZZ_WRITE_NODES 128
#define FUZZ_PATHS 8

static volatile uint64_t sink;
static FILE *devnull;
static mml_dtree big, tiny;
static int ready;

static void setup(void)
{
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	mml_dtree_init(&big, NULL);
	mml_decode_limits lim = {.max_depth = 5, .max_nodes = 200, .max_arena = 512, .max_inflate = 300, .max_work = 20000};
	mml_dtree_init(&tiny, &lim);
	ready = 1;
}

static void check(const mml_dtree *t, size_t size, bool write)
{
	if (!t->count || t->n[0].kind != MML_DK_ROOT || t->n[0].parent != MML_DNONE)
		abort();
	uint64_t cap = t->lim.max_work ? t->lim.max_work : (uint64_t)size * 64 + ((uint64_t)64 << 10);
	if (t->work > cap || t->count > t->lim.max_nodes)
		abort();
	if (t->limit_hit && strcmp(t->limit_hit, "depth") && strcmp(t->limit_hit, "nodes") &&
	    strcmp(t->limit_hit, "arena") && strcmp(t->limit_hit, "work") && strcmp(t->limit_hit, "inflate"))
		abort();
	char small[64];
	uint32_t stride = t->count > FUZZ_PATHS ? t->count / FUZZ_PATHS : 1;
	for (uint32_t i = 0; i < t->count; i++) {
		const mml_dnode *d = &t->n[i];
		if (i && (d->parent >= i || d->depth != (uint8_t)(t->n[d->parent].depth + 1 > 255 ? 255 : t->n[d->parent].depth + 1)))
			abort();
		if (d->kind > MML_DK_WRAP || d->fmt > MML_DF_GZIP)
			abort();
		uint32_t k = 0, prev = i;
		for (uint32_t c = d->first_child; c != MML_DNONE; c = t->n[c].next, k++)
			if (c <= prev || c >= t->count || t->n[c].parent != i)
				abort();
			else
				prev = c;
		if (k != d->nchildren)
			abort();
		if (i % stride == 0 || i + 1 == t->count) {
			size_t n = mml_dtree_path(t, i, small, sizeof small);
			if (n >= sizeof small) {
				char *p = malloc(n + 1);
				if (!p || mml_dtree_path(t, i, p, n + 1) != n || p[n] || small[sizeof small - 1])
					abort();
				free(p);
			} else if (small[n]) { /* names may hold any byte, NUL too: the length is what counts */
				abort();
			}
		}
		uint64_t s = d->u + d->field + (uint64_t)d->index;
		if (d->val_len && !d->val)
			abort();
		if (d->val_len) /* a view lies in one buffer: its two ends */
			s += d->val[0] + d->val[d->val_len - 1];
		if (d->name_len)
			s += (uint8_t)d->name[0] + (uint8_t)d->name[d->name_len - 1];
		if (d->kind == MML_DK_FIXED32)
			s += mml_dnode_f32(d) > 0.0f;
		if (d->kind == MML_DK_FIXED64)
			s += mml_dnode_f64(d) > 0.0;
		s += (uint64_t)mml_dnode_zigzag(d);
		s += strlen(mml_dkind_name((mml_dkind)d->kind)) + strlen(mml_dfmt_name((mml_dfmt)d->fmt));
		sink += s;
	}
	if (write && t->count <= FUZZ_WRITE_NODES) {
		mml_dtree_write_json(t, devnull);
		mml_dtree_write_text(t, devnull);
	}
}

static void run(mml_dtree *t, int fmt, const uint8_t *data, size_t size, bool write)
{
	if (mml_decode_as(t, (mml_dfmt)fmt, data, size) != MML_OK)
		abort();
	check(t, size, false);
	if (mml_decode_body(t, data, size) != MML_OK)
		abort();
	/* metadata next to the body, as mmlens scan adds it */
	size_t q = size < 200 ? size : 200;
	if (mml_decode_meta_url(t, "query", (const char *)data, q) != MML_OK ||
	    mml_decode_meta_uint(t, "header", "uin", size) != MML_OK)
		abort();
	check(t, size, write);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready)
		setup();
	if (size > FUZZ_DECODE_MAX)
		size = FUZZ_DECODE_MAX;
	int fmt = FUZZ_DECODE_FMT;
	if (fmt < 0) { /* the first byte picks the decoding step */
		static const int steps[4] = {MML_DF_BASE64, MML_DF_HEX, MML_DF_ZLIB, MML_DF_GZIP};
		if (!size)
			return 0;
		fmt = steps[data[0] & 3];
		data++;
		size--;
	}
	run(&big, fmt, data, size, false);
	run(&tiny, fmt, data, size, true);
	return 0;
}

#endif
