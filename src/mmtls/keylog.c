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

/*
 * A line's fields, from either reader below: its value kind and, for a
 * string, its bytes (a view into the line or into jansson's object).
 */
enum { F_LAYER, F_ENCRYPT, F_KEY, F_NONCE, F_IV, F_META, F_TAIL, F_TAG, F__N };
static const char *const field_name[F__N] = {"layer", "encrypt", "key", "nonce", "iv", "metadata", "tail", "tag"};
typedef enum { V_ABSENT = 0, V_STRING, V_TRUE, V_FALSE, V_OTHER } vkind;
typedef struct kl_val {
	vkind kind;
	const char *s;
	size_t n;
} kl_val;

/*
 * The fast reader: the key log's canonical form only - one object of
 * known keys whose values are plain alphanumeric strings or true/false,
 * with no whitespace, escapes, numbers, nesting or repeated keys. It
 * returns false for anything else and the line goes to jansson, so a
 * line it accepts reads exactly as jansson would read it (checked by
 * tests and fuzz/fuzz_keylog.c against mml_keylog_jansson_only).
 */
static bool fast_fields(const char *p, size_t n, kl_val v[F__N])
{
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	if (n < 2 || p[0] != '{' || p[n - 1] != '}')
		return false;
	size_t i = 1, end = n - 1;
	if (i == end)
		return true; /* {} */
	for (;;) {
		if (i >= end || p[i] != '"')
			return false;
		size_t k = ++i;
		while (i < end && p[i] >= 'a' && p[i] <= 'z')
			i++;
		if (i + 1 >= end || p[i] != '"' || p[i + 1] != ':')
			return false;
		int f = -1;
		for (int j = 0; j < F__N; j++)
			if (strlen(field_name[j]) == i - k && !memcmp(field_name[j], p + k, i - k))
				f = j;
		if (f < 0 || v[f].kind != V_ABSENT)
			return false; /* unknown or repeated key: jansson decides */
		i += 2;
		if (i < end && p[i] == '"') {
			size_t s = ++i;
			while (i < end && ((p[i] >= '0' && p[i] <= '9') || ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z')))
				i++;
			if (i >= end || p[i] != '"')
				return false;
			v[f] = (kl_val){V_STRING, p + s, i - s};
			i++;
		} else if (end - i >= 4 && !memcmp(p + i, "true", 4)) {
			v[f].kind = V_TRUE;
			i += 4;
		} else if (end - i >= 5 && !memcmp(p + i, "false", 5)) {
			v[f].kind = V_FALSE;
			i += 5;
		} else {
			return false;
		}
		if (i == end)
			return true;
		if (p[i] != ',')
			return false;
		i++;
	}
}

/* The same fields through jansson (o an object). Strings are views into o. */
static void json_fields(json_t *o, kl_val v[F__N])
{
	for (int f = 0; f < F__N; f++) {
		json_t *j = json_object_get(o, field_name[f]);
		if (!j)
			v[f].kind = V_ABSENT;
		else if (json_is_string(j))
			v[f] = (kl_val){V_STRING, json_string_value(j),
			                f == F_LAYER ? strlen(json_string_value(j)) : json_string_length(j)};
		else
			v[f].kind = json_is_true(j) ? V_TRUE : json_is_false(j) ? V_FALSE : V_OTHER;
	}
}

/* A hex string field into out (exact size in [minlen,maxlen]): 1, 0 absent, -1 bad. */
static int get_hex(const kl_val *v, uint8_t *out, size_t minlen, size_t maxlen, size_t *len, const char **why)
{
	if (v->kind == V_ABSENT) {
		*len = 0;
		return 0;
	}
	if (v->kind != V_STRING) {
		*why = "is not a string";
		return -1;
	}
	if (v->n % 2 || v->n / 2 > maxlen || v->n / 2 < minlen) {
		*why = "has the wrong length";
		return -1;
	}
	if (mml_hex_decode(v->s, v->n, out, maxlen, len) != MML_OK) {
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
	kl_val v[F__N];
	memset(v, 0, sizeof v);
	json_t *o = NULL;
	size_t l;
	if (kl->jansson_only || !fast_fields(line, len, v)) {
		json_error_t jerr;
		memset(v, 0, sizeof v);
		o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!o || !json_is_object(o)) {
			why = o ? "is not a JSON object" : "is not valid JSON";
			goto bad;
		}
		json_fields(o, v);
	}
	if (v[F_LAYER].kind != V_STRING) {
		why = "has no \"layer\"";
		goto bad;
	}
	if (v[F_LAYER].n == 5 && !memcmp(v[F_LAYER].s, "OUTER", 5))
		e.layer = MML_LAYER_OUTER;
	else if (v[F_LAYER].n == 5 && !memcmp(v[F_LAYER].s, "INNER", 5))
		e.layer = MML_LAYER_INNER;
	else {
		why = "has a \"layer\" other than OUTER or INNER";
		goto bad;
	}
	if (v[F_ENCRYPT].kind != V_TRUE && v[F_ENCRYPT].kind != V_FALSE) {
		why = "has no boolean \"encrypt\"";
		goto bad;
	}
	e.client = v[F_ENCRYPT].kind == V_TRUE;
	const char *fwhy = NULL;
	int r = get_hex(&v[F_KEY], e.key, 16, 24, &l, &fwhy);
	if (r <= 0 || (l != 16 && l != 24)) {
		why = r == 0 ? "has no \"key\"" : "has a \"key\" that is not 16 or 24 bytes of hex";
		goto bad;
	}
	e.keylen = (uint8_t)l;
	r = get_hex(&v[F_NONCE], e.nonce, 12, 16, &l, &fwhy);
	if (r == 0)
		r = get_hex(&v[F_IV], e.nonce, 12, 16, &l, &fwhy);
	if (r < 0) {
		why = "has a bad \"nonce\"/\"iv\"";
		goto bad;
	}
	e.nonce_len = (uint8_t)l;
	if (get_hex(&v[F_META], e.meta, 0, sizeof e.meta, &l, &fwhy) < 0) {
		why = "has a bad \"metadata\"";
		goto bad;
	}
	e.meta_len = (uint8_t)l;
	r = get_hex(&v[F_TAIL], e.tail, 8, 16, &l, &fwhy);
	if (r <= 0) {
		why = r == 0 ? "has no \"tail\"" : "has a bad \"tail\" (8 to 16 bytes of hex)";
		goto bad;
	}
	e.tail_len = (uint8_t)l;
	r = get_hex(&v[F_TAG], e.tag, 16, 16, &l, &fwhy);
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
