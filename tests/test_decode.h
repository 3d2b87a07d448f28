/*
 * tests/test_decode.h - helpers shared by the decoder's tests
 * (test_decode.c, test_decode_limits.c, test_decode_real.c): every
 * node's path, a node's value as text, the node at a path, a small
 * protobuf writer for hand-made bodies, a hex body inflated when it is
 * zlib, and the check that every path is its segments (mml_dpath_seg). All static inline: each test file uses some of them.
 */
#ifndef MMLENS_TEST_DECODE_H
#define MMLENS_TEST_DECODE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/crypto.h"
#include "mmlens/decode.h"
#include "mmlens/util.h"

/* Every node's path, in node order (malloc'd; free with free_paths). */
static inline char **all_paths(const mml_dtree *t)
{
	char **p = calloc(t->count ? t->count : 1, sizeof *p);
	for (uint32_t i = 0; p && i < t->count; i++) {
		size_t n = mml_dtree_path(t, i, NULL, 0);
		p[i] = malloc(n + 1);
		if (p[i])
			mml_dtree_path(t, i, p[i], n + 1);
	}
	return p;
}

static inline void free_paths(const mml_dtree *t, char **p)
{
	for (uint32_t i = 0; p && i < t->count; i++)
		free(p[i]);
	free(p);
}

/* The value of a node as text: decimal for numbers, the bytes otherwise. */
static inline void node_text(const mml_dnode *d, char *buf, size_t cap)
{
	switch ((mml_dkind)d->kind) {
	case MML_DK_VARINT:
	case MML_DK_FIXED64: snprintf(buf, cap, "%llu", (unsigned long long)d->u); return;
	case MML_DK_FIXED32: snprintf(buf, cap, "%u", (unsigned)d->u); return;
	default: break;
	}
	size_t n = d->val ? d->val_len : 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(buf, d->val, n);
	buf[n] = 0;
}

/* First node with this path, or MML_DNONE. */
static inline uint32_t find(const mml_dtree *t, const char *path)
{
	char buf[1024];
	for (uint32_t i = 0; i < t->count; i++) {
		mml_dtree_path(t, i, buf, sizeof buf);
		if (!strcmp(buf, path))
			return i;
	}
	return MML_DNONE;
}

static inline const mml_dnode *at(const mml_dtree *t, const char *path)
{
	uint32_t i = find(t, path);
	return i == MML_DNONE ? NULL : &t->n[i];
}

/* The text of the node at path ("" when missing). */
static inline const char *text_at(const mml_dtree *t, const char *path)
{
	static char buf[4][2048];
	static int k;
	char *b = buf[k++ & 3];
	const mml_dnode *d = at(t, path);
	b[0] = 0;
	if (d)
		node_text(d, b, sizeof buf[0]);
	return b;
}

static inline int kind_at(const mml_dtree *t, const char *path)
{
	const mml_dnode *d = at(t, path);
	return d ? d->kind : -1;
}

static inline mml_err dec_str(mml_dtree *t, const char *s) { return mml_decode_body(t, (const uint8_t *)s, strlen(s)); }

/* A tiny protobuf writer for hand-made bodies. */
typedef struct pbw {
	uint8_t b[4096];
	size_t n;
} pbw;

static inline void w_varint(pbw *w, uint64_t v)
{
	while (v >= 0x80 && w->n < sizeof w->b) {
		w->b[w->n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	if (w->n < sizeof w->b)
		w->b[w->n++] = (uint8_t)v;
}
static inline void w_key(pbw *w, uint32_t f, int wt) { w_varint(w, (uint64_t)f << 3 | (uint64_t)wt); }
static inline void w_bytes(pbw *w, uint32_t f, const void *p, size_t n)
{
	w_key(w, f, 2);
	w_varint(w, n);
	if (w->n + n <= sizeof w->b) {
		memcpy(w->b + w->n, p, n);
		w->n += n;
	}
}
static inline void w_str(pbw *w, uint32_t f, const char *s) { w_bytes(w, f, s, strlen(s)); }
static inline void w_fixed32(pbw *w, uint32_t f, uint32_t v)
{
	w_key(w, f, 5);
	for (int i = 0; i < 4 && w->n < sizeof w->b; i++)
		w->b[w->n++] = (uint8_t)(v >> (8 * i));
}
static inline void w_fixed64(pbw *w, uint32_t f, uint64_t v)
{
	w_key(w, f, 1);
	for (int i = 0; i < 8 && w->n < sizeof w->b; i++)
		w->b[w->n++] = (uint8_t)(v >> (8 * i));
}
static inline void w_float(pbw *w, uint32_t f, float x)
{
	uint32_t u;
	memcpy(&u, &x, 4);
	w_fixed32(w, f, u);
}
static inline void w_double(pbw *w, uint32_t f, double x)
{
	uint64_t u;
	memcpy(&u, &x, 8);
	w_fixed64(w, f, u);
}

/* A hex dump as bytes (raw), inflated into body when it is a zlib stream (1); 0 not zlib, -1 not hex. */
static inline int hexbody(const char *hex, mml_buf *raw, mml_buf *body)
{
	mml_buf_init(raw, 0);
	mml_buf_init(body, 0);
	if (mml_hexdump_decode(hex, strlen(hex), raw) != MML_OK)
		return -1;
	if (raw->len && raw->p[0] == 0x78 && mml_inflate(raw->p, raw->len, 1 << 26, body) == MML_OK)
		return 1;
	return 0;
}

/* A path from segments alone: what mml_dtree_path must print. */
static inline void seg_render(const mml_dseg *g, char *b, size_t cap, size_t *len)
{
	char tmp[512];
	size_t k = 0;
	if (g->fmt)
		k += (size_t)snprintf(tmp + k, sizeof tmp - k, "%s%s", *len ? ":" : "", g->fmt);
	if (g->sep && (g->sep_always || *len + k))
		tmp[k++] = g->sep;
	if (g->name)
		for (uint32_t i = 0; i < g->name_len && k + 4 < sizeof tmp; i++) {
			unsigned char c = (unsigned char)g->name[i];
			k += c >= 0x20 && c != 0x7f ? (tmp[k] = (char)c, 1) : (size_t)snprintf(tmp + k, 4, "%%%02X", c);
		}
	else if (g->has_num)
		k += (size_t)snprintf(tmp + k, sizeof tmp - k, "%u", g->num);
	if (g->ix != MML_DSEG_IX_NONE && g->index >= 0)
		k += (size_t)snprintf(tmp + k, sizeof tmp - k, "[%lld]", (long long)g->index);
	if (*len + k < cap) {
		memcpy(b + *len, tmp, k);
		b[*len + k] = 0;
	}
	*len += k;
}

/* Every node's path is its parent's and its own segment, printed. */
static inline long check_composed(const mml_dtree *t)
{
	long bad = 0;
	char (*pp)[512] = calloc(t->count ? t->count : 1, sizeof *pp);
	size_t *pl = calloc(t->count ? t->count : 1, sizeof *pl);
	for (uint32_t i = 0; pp && pl && i < t->count; i++) {
		const mml_dnode *d = &t->n[i];
		size_t len = 0;
		if (d->parent != MML_DNONE) {
			len = pl[d->parent];
			memcpy(pp[i], pp[d->parent], sizeof pp[i]);
		}
		mml_dseg g;
		mml_dpath_seg(t, d, &g);
		seg_render(&g, pp[i], sizeof pp[i], &len);
		pl[i] = len;
		char got[512];
		size_t n = mml_dtree_path(t, i, got, sizeof got);
		if (n < sizeof got && (n != len || strcmp(got, pp[i])) && bad++ < 5)
			mml_test_fail(__FILE__, __LINE__, "node %u: path %s, segments %s", i, got, pp[i]);
	}
	free(pp);
	free(pl);
	return bad;
}

#endif
