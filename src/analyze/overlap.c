/*
 * overlap.c - messages several inputs share (include/mmlens/collect.h,
 * mml_overlap_*): each readable, non-empty message's request type and
 * body hashed (64-bit FNV-1a), kept per input, and compared as
 * multisets, so a message repeated inside one input is not mistaken for
 * one shared with another.
 *
 * Contract: 8 bytes per such message per input, only when a command has
 * several inputs that are not a series (a series is recognised by its
 * bytes before any message is read); no outside bytes are parsed.
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/collect.h"

typedef struct ov_input {
	uint64_t *h;
	size_t n, alloc;
	bool sorted;
} ov_input;

struct mml_overlap {
	ov_input *in;
	size_t nin;
	size_t cur;
	bool nomem;
};

mml_overlap *mml_overlap_new(void) { return calloc(1, sizeof(mml_overlap)); }

void mml_overlap_free(mml_overlap *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nin; i++)
		free(o->in[i].h);
	free(o->in);
	free(o);
}

bool mml_overlap_nomem(const mml_overlap *o) { return o && o->nomem; }

void mml_overlap_input(mml_overlap *o, size_t idx)
{
	if (idx >= o->nin) {
		ov_input *n = realloc(o->in, (idx + 1) * sizeof *n);
		if (!n) {
			o->nomem = true;
			return;
		}
		memset(n + o->nin, 0, (idx + 1 - o->nin) * sizeof *n);
		o->in = n;
		o->nin = idx + 1;
	}
	o->cur = idx;
}

void mml_overlap_msg(mml_overlap *o, const mml_msg *m)
{
	if (o->cur >= o->nin || !m->body || !m->body_len ||
	    !(m->status == MML_ST_DECRYPTED || m->status == MML_ST_PLAINTEXT))
		return;
	uint64_t h = 1469598103934665603ull;
	uint64_t rt = (uint64_t)m->req_type;
	for (int i = 0; i < 8; i++)
		h = (h ^ ((rt >> (8 * i)) & 0xff)) * 1099511628211ull;
	for (size_t i = 0; i < m->body_len; i++)
		h = (h ^ m->body[i]) * 1099511628211ull;
	ov_input *in = &o->in[o->cur];
	if (!mml_grow((void **)&in->h, &in->alloc, in->n + 1, sizeof *in->h, 256)) {
		o->nomem = true;
		return;
	}
	in->h[in->n++] = h;
	in->sorted = false;
}

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void sort_in(ov_input *in)
{
	if (!in->sorted && in->n)
		qsort(in->h, in->n, sizeof *in->h, u64_cmp);
	in->sorted = true;
}

uint64_t mml_overlap_shared(mml_overlap *o, size_t a, size_t b)
{
	if (a >= o->nin || b >= o->nin)
		return 0;
	ov_input *x = &o->in[a], *y = &o->in[b];
	sort_in(x);
	sort_in(y);
	uint64_t k = 0;
	for (size_t i = 0, j = 0; i < x->n && j < y->n;) {
		if (x->h[i] == y->h[j]) {
			k++;
			i++;
			j++;
		} else if (x->h[i] < y->h[j]) {
			i++;
		} else {
			j++;
		}
	}
	return k;
}
