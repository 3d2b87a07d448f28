/*
 * src/decode/path.c - field paths (docs/FORMATS.md "Field paths"):
 * mml_dtree_path prints the segments mml_dpath_seg (decode.h) gives for
 * a node and its ancestors, root first, and mml_dnode_embed_name names
 * the format an embedded node opens.
 *
 * Contract: protobuf `1.2`, repeats `4[7].2`, embedded formats
 * `:json.a[3].b`, `:xml.a.b@c`, `:url.k`, `:csv[4]`, decoding steps
 * `:base64`, `:hex`, `:zlib`, `:gzip`, a message inside a step `:pb.1`,
 * packed elements `:packed[3]`, metadata `query.uin`; a path never
 * starts with ':' or a separator that is printed only between segments.
 * Names are printed with control bytes (NUL included) as %XX, so that a
 * path is one C string. The path is cut at the caller's buffer; the full
 * length is returned. No allocation.
 */
#include <string.h>

#include "dec.h"

const char *mml_dnode_embed_name(const mml_dnode *d)
{
	unsigned f = d->kind < MML_DK_COUNT ? mml_dkinds[d->kind].fmt : MML_DF_NONE;
	return mml_dfmt_name((mml_dfmt)(f ? f : d->fmt));
}

/* ---- field paths ---- */

typedef struct pw {
	char *buf;
	size_t cap, len;
} pw;

static void pw_put(pw *w, const char *s, size_t n)
{
	if (w->len < w->cap) {
		size_t k = w->cap - w->len;
		memcpy(w->buf + w->len, s, n < k ? n : k);
	}
	w->len += n;
}

/* A key or element name: control bytes (NUL included) as %XX, so that a
 * path is one C string and two names differing only there print apart. */
static void pw_name(pw *w, const char *s, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t a = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f)
			continue;
		pw_put(w, s + a, i - a);
		char e[3] = {'%', hx[c >> 4], hx[c & 15]};
		pw_put(w, e, 3);
		a = i + 1;
	}
	pw_put(w, s + a, n - a);
}

static void pw_num(pw *w, uint64_t v)
{
	char t[24];
	int i = 24;
	do
		t[--i] = (char)('0' + v % 10);
	while (v /= 10);
	pw_put(w, t + i, (size_t)(24 - i));
}

static void pw_index(pw *w, int64_t i)
{
	if (i < 0)
		return;
	pw_put(w, "[", 1);
	pw_num(w, (uint64_t)i);
	pw_put(w, "]", 1);
}

static void pw_sep(pw *w, char c)
{
	if (w->len)
		pw_put(w, &c, 1);
}
/* Print one segment (mml_dpath_seg). */
static void seg(pw *w, const mml_dseg *s)
{
	if (s->fmt) {
		pw_sep(w, ':');
		pw_put(w, s->fmt, strlen(s->fmt));
	}
	if (s->sep) {
		if (s->sep_always)
			pw_put(w, &s->sep, 1);
		else
			pw_sep(w, s->sep);
	}
	if (s->name)
		pw_name(w, s->name, s->name_len);
	else if (s->has_num)
		pw_num(w, s->num);
	if (s->ix != MML_DSEG_IX_NONE)
		pw_index(w, s->index);
}

size_t mml_dtree_path(const mml_dtree *t, uint32_t i, char *buf, size_t cap)
{
	pw w = {buf, cap ? cap - 1 : 0, 0};
	uint32_t chain[257];
	int k = 0;
	for (uint32_t c = i; c != MML_DNONE && c < t->count && k < 257; c = t->n[c].parent)
		chain[k++] = c;
	while (k > 0) {
		mml_dseg s;
		mml_dpath_seg(t, &t->n[chain[--k]], &s);
		seg(&w, &s);
	}
	if (cap)
		buf[w.len < cap ? w.len : cap - 1] = 0;
	return w.len;
}
