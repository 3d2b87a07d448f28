/*
 * catalog.c - request type -> API path catalog. Format: one
 * "id<TAB>path" (or "id,path") per line, '#' comments, blank lines
 * ignored; see data/request_types.tsv. Kept sorted for binary search;
 * a later entry for an id replaces the earlier one (user files extend and
 * override the built-in catalog).
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/envelope.h"

extern const unsigned char mml_catalog_builtin_data[];
extern const size_t mml_catalog_builtin_data_len;

void mml_catalog_init(mml_catalog *c) { memset(c, 0, sizeof *c); }

void mml_catalog_free(mml_catalog *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->ent[i].api);
	free(c->ent);
	memset(c, 0, sizeof *c);
}

static size_t lower_bound(const mml_catalog *c, uint64_t id)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->ent[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static mml_err cat_put(mml_catalog *c, uint32_t id, const char *api, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		return MML_E_NOMEM;
	memcpy(s, api, n);
	s[n] = 0;
	size_t i = lower_bound(c, id);
	if (i < c->n && c->ent[i].id == id) {
		free(c->ent[i].api);
		c->ent[i].api = s;
		return MML_OK;
	}
	if (c->n == c->alloc) {
		size_t na = c->alloc ? c->alloc * 2 : 128;
		struct mml_cat_ent *e = realloc(c->ent, na * sizeof *e);
		if (!e) {
			free(s);
			return MML_E_NOMEM;
		}
		c->ent = e;
		c->alloc = na;
	}
	memmove(&c->ent[i + 1], &c->ent[i], (c->n - i) * sizeof c->ent[0]);
	c->ent[i].id = id;
	c->ent[i].api = s;
	c->n++;
	return MML_OK;
}

mml_err mml_catalog_parse(mml_catalog *c, const char *text, size_t n, const char *name, mml_diag_fn diag,
                          void *dctx)
{
	size_t pos = 0, len;
	uint32_t line = 0;
	const char *t;
	while (mml_line_next(text, n, &pos, &line, &t, &len)) {
		if (!len || t[0] == '#')
			continue;
		size_t b = len, k = 0, digits = 0;
		uint64_t id = 0;
		while (k < b && t[k] >= '0' && t[k] <= '9' && id <= UINT32_MAX) {
			id = id * 10 + (uint64_t)(t[k++] - '0');
			digits++;
		}
		if (!digits || id > UINT32_MAX || k >= b || (t[k] != '\t' && t[k] != ',')) {
			if (diag)
				diag(dctx, "%s:%u: catalog line skipped: expected <id><TAB><api path>", name, line);
			continue;
		}
		k++;
		while (k < b && (t[k] == ' ' || t[k] == '\t'))
			k++;
		if (k == b || b - k > 1024) {
			if (diag)
				diag(dctx, "%s:%u: catalog line skipped: empty or over-long api path", name, line);
			continue;
		}
		MML_RETURN_IF_ERR(cat_put(c, (uint32_t)id, t + k, b - k));
	}
	return MML_OK;
}

mml_err mml_catalog_load(mml_catalog *c, const char *path, mml_diag_fn diag, void *dctx)
{
	mml_buf b;
	mml_buf_init(&b, (size_t)16 << 20);
	mml_err e = mml_read_file(path, (size_t)16 << 20, &b);
	if (e == MML_OK)
		e = mml_catalog_parse(c, (const char *)b.p, b.len, path, diag, dctx);
	mml_buf_free(&b);
	return e;
}

mml_err mml_catalog_load_builtin(mml_catalog *c)
{
	return mml_catalog_parse(c, (const char *)mml_catalog_builtin_data, mml_catalog_builtin_data_len,
	                         "builtin:request_types.tsv", NULL, NULL);
}

const char *mml_catalog_lookup(const mml_catalog *c, uint64_t id)
{
	size_t i = lower_bound(c, id);
	return i < c->n && c->ent[i].id == id ? c->ent[i].api : NULL;
}
