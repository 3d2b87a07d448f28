/*
 * jload.c - reading the analysis' JSON files (src/analyze/jload.h): the
 * checks and the load steps policy models and question files share.
 *
 * Contract: jansson parses (duplicate keys refused); sizes are checked
 * before parsing; every problem is reported through the context's diag.
 */
#include <stdlib.h>
#include <string.h>

#include "jload.h"

const char *mml_jl_str(const json_t *v, size_t max, size_t *len)
{
	if (!json_is_string(v))
		return NULL;
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (!n || n > max || memchr(s, 0, n))
		return NULL;
	if (len)
		*len = n;
	return s;
}

char *mml_jl_dup(mml_jl *c, const char *s)
{
	char *d = strdup(s);
	if (!d)
		c->nomem = true;
	return d;
}

bool mml_jl_id_ok(const char *s, size_t n)
{
	if (!n || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

bool mml_jl_known_key(const char *k, const char *const *keys, size_t nkeys)
{
	for (size_t i = 0; i < nkeys; i++)
		if (!strcmp(k, keys[i]))
			return true;
	return false;
}

void mml_jl_top_keys(mml_jl *c, const json_t *root, const char *const *keys, size_t nkeys)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)root, k, v)
	{
		if (!mml_jl_known_key(k, keys, nkeys))
			MML_JL_ERR(c, "%s: unknown top-level key \"%.64s\"", c->name, k);
	}
}

json_t *mml_jl_parse(mml_jl *c, const char *text, size_t n, size_t max, const char *what, mml_err *e)
{
	if (n > max) {
		MML_JL_ERR(c, "%s: %sover %zu bytes", c->name, what, max);
		*e = MML_E_LIMIT;
		return NULL;
	}
	json_error_t je;
	json_t *root = json_loadb(text ? text : "", n, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		MML_JL_ERR(c, "%s:%d: not JSON: %s", c->name, je.line, je.text);
		*e = MML_E_MALFORMED;
	}
	return root;
}

/* The parser, and whether it ran (then the error is its own, reported). */
typedef struct jl_run {
	mml_text_fn parse;
	void *obj;
	bool parsed;
} jl_run;

static mml_err jl_run_parse(void *r_, const char *text, size_t n, const char *name, mml_diag_fn diag, void *dctx)
{
	jl_run *r = r_;
	r->parsed = true;
	return r->parse(r->obj, text, n, name, diag, dctx);
}

mml_err mml_jl_load_file(const char *path, size_t max, mml_text_fn parse, void *obj, mml_diag_fn diag,
                         void *dctx)
{
	jl_run r = {parse, obj, false};
	mml_err e = mml_load_text(path, max, jl_run_parse, &r, diag, dctx);
	if (e != MML_OK && !r.parsed && diag) /* the file's own error, not the parser's */
		diag(dctx, "%s: cannot read: %s", path, mml_err_why(e));
	return e;
}
