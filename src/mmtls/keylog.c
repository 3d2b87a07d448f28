/*
 * keylog.c - read the published key log. Contract in include/mmlens/keylog.h;
 * the format is described in docs/FORMATS.md.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/keylog.h"
#include "mmlens/util.h"

#define KL_LINE_MAX (64 * 1024)

void mml_keylog_init(mml_keylog *kl) { memset(kl, 0, sizeof *kl); }

void mml_keylog_free(mml_keylog *kl)
{
	free(kl->ent);
	free(kl->idx);
	free(kl->tagidx);
	memset(kl, 0, sizeof *kl);
}

static uint64_t load8(const uint8_t *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

static uint64_t h8(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

/* Get a hex string field into out (exact size in [minlen,maxlen]). */
static int get_hex(json_t *o, const char *k, uint8_t *out, size_t minlen, size_t maxlen, size_t *len,
                   const char **why)
{
	json_t *v = json_object_get(o, k);
	if (!v) {
		*len = 0;
		return 0; /* absent */
	}
	if (!json_is_string(v)) {
		*why = "is not a string";
		return -1;
	}
	const char *s = json_string_value(v);
	size_t sl = json_string_length(v);
	if (sl % 2 || sl / 2 > maxlen || sl / 2 < minlen) {
		*why = "has the wrong length";
		return -1;
	}
	if (mml_hex_decode(s, sl, out, maxlen, len) != MML_OK) {
		*why = "is not hex";
		return -1;
	}
	return 1;
}

static mml_err add_entry(mml_keylog *kl, const mml_keyent *e)
{
	if (kl->n == kl->alloc) {
		size_t na = kl->alloc ? kl->alloc * 2 : 64;
		mml_keyent *p = realloc(kl->ent, na * sizeof *p);
		if (!p)
			return MML_E_NOMEM;
		kl->ent = p;
		kl->alloc = na;
	}
	kl->ent[kl->n++] = *e;
	return MML_OK;
}

static mml_err build_index(mml_keyslot **idx, size_t *size, const mml_keylog *kl, int by_tag)
{
	size_t cnt = 0;
	for (size_t i = 0; i < kl->n; i++)
		cnt += by_tag ? kl->ent[i].has_tag : kl->ent[i].tail_len >= 8;
	size_t sz = 16; /* a power of two (slots by mask), loaded at most 2/3 */
	while (sz < cnt + cnt / 2 + 16)
		sz *= 2;
	mml_keyslot *t = calloc(sz, sizeof *t);
	if (!t)
		return MML_E_NOMEM;
	for (size_t i = 0; i < kl->n; i++) {
		const mml_keyent *e = &kl->ent[i];
		const uint8_t *kp;
		if (by_tag) {
			if (!e->has_tag)
				continue;
			kp = e->tag + 8;
		} else {
			if (e->tail_len < 8)
				continue;
			kp = e->tail + e->tail_len - 8;
		}
		uint64_t key = load8(kp);
		size_t pos = h8(key) & (sz - 1);
		while (t[pos].v)
			pos = (pos + 1) & (sz - 1);
		t[pos].k = key;
		t[pos].v = (uint32_t)i + 1;
	}
	free(*idx);
	*idx = t;
	*size = sz;
	return MML_OK;
}

static void parse_line(mml_keylog *kl, const char *line, size_t len, uint32_t lineno, mml_diag_fn diag,
                       void *dctx, const char *name, mml_stats *st)
{
	const char *why = NULL;
	mml_keyent e;
	memset(&e, 0, sizeof e);
	e.line = lineno;
	json_error_t jerr;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	size_t l;
	if (!o || !json_is_object(o)) {
		why = o ? "is not a JSON object" : "is not valid JSON";
		goto bad;
	}
	json_t *layer = json_object_get(o, "layer"), *enc = json_object_get(o, "encrypt");
	if (!json_is_string(layer)) {
		why = "has no \"layer\"";
		goto bad;
	}
	if (!strcmp(json_string_value(layer), "OUTER"))
		e.layer = MML_LAYER_OUTER;
	else if (!strcmp(json_string_value(layer), "INNER"))
		e.layer = MML_LAYER_INNER;
	else {
		why = "has a \"layer\" other than OUTER or INNER";
		goto bad;
	}
	if (!json_is_boolean(enc)) {
		why = "has no boolean \"encrypt\"";
		goto bad;
	}
	e.client = json_is_true(enc);
	const char *fwhy = NULL;
	int r = get_hex(o, "key", e.key, 16, 24, &l, &fwhy);
	if (r <= 0 || (l != 16 && l != 24)) {
		why = r == 0 ? "has no \"key\"" : "has a \"key\" that is not 16 or 24 bytes of hex";
		goto bad;
	}
	e.keylen = (uint8_t)l;
	r = get_hex(o, "nonce", e.nonce, 12, 16, &l, &fwhy);
	if (r == 0)
		r = get_hex(o, "iv", e.nonce, 12, 16, &l, &fwhy);
	if (r < 0) {
		why = "has a bad \"nonce\"/\"iv\"";
		goto bad;
	}
	e.nonce_len = (uint8_t)l;
	if (get_hex(o, "metadata", e.meta, 0, sizeof e.meta, &l, &fwhy) < 0) {
		why = "has a bad \"metadata\"";
		goto bad;
	}
	e.meta_len = (uint8_t)l;
	r = get_hex(o, "tail", e.tail, 8, 16, &l, &fwhy);
	if (r <= 0) {
		why = r == 0 ? "has no \"tail\"" : "has a bad \"tail\" (8 to 16 bytes of hex)";
		goto bad;
	}
	e.tail_len = (uint8_t)l;
	r = get_hex(o, "tag", e.tag, 16, 16, &l, &fwhy);
	if (r < 0) {
		why = "has a bad \"tag\"";
		goto bad;
	}
	e.has_tag = r > 0;
	if (e.layer == MML_LAYER_OUTER && (e.keylen != 16 || e.nonce_len != 12)) {
		why = "is OUTER but not a 16-byte key with a 12-byte nonce";
		goto bad;
	}
	if (e.layer == MML_LAYER_INNER && e.keylen == 24 && (e.nonce_len != 12 || !e.has_tag)) {
		why = "is INNER AES-192-GCM without a 12-byte iv and a tag";
		goto bad;
	}
	if (add_entry(kl, &e) != MML_OK) {
		why = "could not be stored (out of memory)";
		goto bad;
	}
	if (e.layer == MML_LAYER_OUTER)
		st->keylog_outer++;
	else
		st->keylog_inner++;
	json_decref(o);
	return;
bad:
	json_decref(o);
	kl->bad_lines++;
	st->keylog_bad_lines++;
	if (diag)
		diag(dctx, "%s:%u: key log line skipped: it %s", name, lineno, why);
}

static void feed_line(mml_keylog *kl, const char *line, size_t len, uint32_t lineno, mml_diag_fn diag, void *dctx,
                      const char *name, mml_stats *st)
{
	if (!len)
		return; /* blank lines are not records */
	st->keylog_lines++;
	if (len > KL_LINE_MAX) {
		kl->bad_lines++;
		st->keylog_bad_lines++;
		if (diag)
			diag(dctx, "%s:%u: key log line skipped: it is longer than %d bytes", name, lineno, KL_LINE_MAX);
		return;
	}
	parse_line(kl, line, len, lineno, diag, dctx, name, st);
}

static mml_err finish(mml_keylog *kl)
{
	MML_RETURN_IF_ERR(build_index(&kl->idx, &kl->idx_size, kl, 0));
	return build_index(&kl->tagidx, &kl->tagidx_size, kl, 1);
}

mml_err mml_keylog_parse(mml_keylog *kl, const char *text, size_t n, mml_diag_fn diag, void *dctx,
                         const char *name, mml_stats *st)
{
	uint32_t lineno = 0;
	size_t pos = 0, len;
	const char *line;
	while (mml_line_next(text, n, &pos, &lineno, &line, &len))
		feed_line(kl, line, len, lineno, diag, dctx, name, st);
	return finish(kl);
}

mml_err mml_keylog_load(mml_keylog *kl, const char *path, mml_diag_fn diag, void *dctx, mml_stats *st)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return MML_E_IO;
	/* fixed buffer: a line longer than the cap is skipped, never allocated */
	char *buf = malloc(KL_LINE_MAX + 2);
	if (!buf) {
		fclose(f);
		return MML_E_NOMEM;
	}
	uint32_t lineno = 0;
	while (fgets(buf, KL_LINE_MAX + 2, f)) {
		size_t got = strlen(buf);
		lineno++;
		if (got > KL_LINE_MAX && buf[got - 1] != '\n') {
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			st->keylog_lines++;
			kl->bad_lines++;
			st->keylog_bad_lines++;
			if (diag)
				diag(dctx, "%s:%u: key log line skipped: it is longer than %d bytes", path, lineno, KL_LINE_MAX);
			continue;
		}
		size_t pos = 0, len;
		const char *line;
		uint32_t one = 0;
		mml_line_next(buf, got, &pos, &one, &line, &len);
		feed_line(kl, line, len, lineno, diag, dctx, path, st);
	}
	int err = ferror(f);
	free(buf);
	fclose(f);
	if (err)
		return MML_E_IO;
	/* entries grew geometrically: give back the slack */
	if (kl->alloc > kl->n && kl->n) {
		mml_keyent *p = realloc(kl->ent, kl->n * sizeof *p);
		if (p) {
			kl->ent = p;
			kl->alloc = kl->n;
		}
	}
	return finish(kl);
}

static mml_keyent *find(const mml_keylog *kl, const mml_keyslot *idx, size_t sz, const uint8_t *k8, size_t *it,
                        int by_tag, mml_layer layer, const uint8_t *tag16)
{
	if (!idx)
		return NULL;
	uint64_t key = load8(k8);
	size_t pos = h8(key) & (sz - 1);
	for (size_t step = *it; step < sz; step++) {
		const mml_keyslot *s = &idx[(pos + step) & (sz - 1)];
		if (!s->v)
			return NULL;
		if (s->k != key)
			continue;
		mml_keyent *e = &kl->ent[s->v - 1];
		if (by_tag ? !memcmp(e->tag, tag16, 16) : e->layer == layer) {
			*it = step + 1;
			return e;
		}
	}
	return NULL;
}

mml_keyent *mml_keylog_find_tail(const mml_keylog *kl, mml_layer layer, const uint8_t tail8[8], size_t *it)
{
	return find(kl, kl->idx, kl->idx_size, tail8, it, 0, layer, NULL);
}

mml_keyent *mml_keylog_find_tag(const mml_keylog *kl, const uint8_t tag[16], size_t *it)
{
	return find(kl, kl->tagidx, kl->tagidx_size, tag + 8, it, 1, MML_LAYER_INNER, tag);
}
