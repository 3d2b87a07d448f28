/*
 * labels.c - session labels (include/mmlens/analyze.h): scenario name,
 * features used, permissions granted and account region of a session,
 * from `--label N:KEY=VALUE` or a manifest (docs/SCHEMA.md, "Session
 * labels"):
 *
 *   {"sessions": [{"session": 5, "input": "run.log", "scenario": "location on",
 *                  "features": ["people_nearby"], "permissions": ["location"],
 *                  "region": "US"}]}
 *
 * Contract: the manifest is outside input, read with jansson (depth and
 * size are jansson's; the file is read whole and capped at 1 MiB).
 * Every string is copied and capped at MML_LABEL_MAXLEN bytes, lists at
 * MML_LABEL_MAXLIST items and the set at MML_LABELS_MAX sessions; what
 * goes past a cap, or does not have the documented type, is reported
 * through diag and skipped, never silently dropped. Labels given twice
 * for one session merge: a later scalar replaces, list items add.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mmlens/analyze.h"

#define MANIFEST_MAX (1u << 20)

void mml_labels_init(mml_labels *l) { memset(l, 0, sizeof *l); }

static void label_release(mml_label *lb)
{
	free(lb->scenario);
	free(lb->region);
	for (size_t i = 0; i < lb->nfeatures; i++)
		free(lb->features[i]);
	for (size_t i = 0; i < lb->npermissions; i++)
		free(lb->permissions[i]);
	free(lb->features);
	free(lb->permissions);
}

void mml_labels_free(mml_labels *l)
{
	for (size_t i = 0; i < l->n; i++)
		label_release(&l->v[i]);
	free(l->v);
	mml_labels_init(l);
}

const mml_label *mml_labels_find(const mml_labels *l, uint64_t session)
{
	const mml_label *all = NULL;
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].session == session)
			return &l->v[i];
		if (!l->v[i].session)
			all = &l->v[i];
	}
	return all; /* "all:" labels every session that has none of its own */
}

uint64_t mml_labels_by_scenario(const mml_labels *l, const char *name)
{
	uint64_t found = 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].scenario && !strcmp(l->v[i].scenario, name)) {
			if (found)
				return UINT64_MAX; /* two sessions carry the name */
			found = l->v[i].session;
		}
	return found;
}

int mml_label_permission(const mml_label *lb, const char *p)
{
	if (!lb || !lb->permissions_given)
		return -1;
	for (size_t i = 0; i < lb->npermissions; i++)
		if (!strcmp(lb->permissions[i], p))
			return 1;
	return 0;
}

/* The label of `session`, added when missing; NULL: no memory or the set is full. */
static mml_label *label_get(mml_labels *l, uint64_t session, mml_err *e)
{
	*e = MML_OK;
	for (size_t i = 0; i < l->n; i++) /* this session's own label, never the "all:" one */
		if (l->v[i].session == session)
			return &l->v[i];
	mml_label *lb;
	if (l->n >= MML_LABELS_MAX) {
		*e = MML_E_LIMIT;
		return NULL;
	}
	if (!mml_grow((void **)&l->v, &l->alloc, l->n + 1, sizeof *l->v, 8)) {
		*e = MML_E_NOMEM;
		return NULL;
	}
	lb = &l->v[l->n++];
	memset(lb, 0, sizeof *lb);
	lb->session = session;
	return lb;
}

/* A copy of s[0..n) with control characters refused; NULL and *why set. */
static char *text_copy(const char *s, size_t n, const char **why)
{
	if (!n) {
		*why = "empty value";
		return NULL;
	}
	if (n > MML_LABEL_MAXLEN) {
		*why = "value longer than 256 bytes";
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			*why = "control character in value";
			return NULL;
		}
	char *c = strndup(s, n);
	if (!c)
		*why = "out of memory";
	return c;
}

static mml_err set_scalar(char **slot, const char *s, size_t n, const char **why)
{
	char *c = text_copy(s, n, why);
	if (!c)
		return strcmp(*why, "out of memory") ? MML_E_ARG : MML_E_NOMEM;
	free(*slot);
	*slot = c;
	return MML_OK;
}

static mml_err list_add(char ***v, size_t *nv, const char *s, size_t n, const char **why)
{
	for (size_t i = 0; i < *nv; i++)
		if (strlen((*v)[i]) == n && !memcmp((*v)[i], s, n))
			return MML_OK; /* already there */
	if (*nv >= MML_LABEL_MAXLIST) {
		*why = "more than 32 items";
		return MML_E_LIMIT;
	}
	char *c = text_copy(s, n, why);
	if (!c)
		return strcmp(*why, "out of memory") ? MML_E_ARG : MML_E_NOMEM;
	char **nvv = realloc(*v, (*nv + 1) * sizeof *nvv);
	if (!nvv) {
		free(c);
		*why = "out of memory";
		return MML_E_NOMEM;
	}
	nvv[(*nv)++] = c;
	*v = nvv;
	return MML_OK;
}

/* Comma-separated items of s[0..n) added to a list (blank items skipped). */
static mml_err list_add_csv(char ***v, size_t *nv, const char *s, size_t n, const char **why)
{
	size_t i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != ',')
			j++;
		size_t a = i, b = j;
		while (a < b && s[a] == ' ')
			a++;
		while (b > a && s[b - 1] == ' ')
			b--;
		if (b > a)
			MML_RETURN_IF_ERR(list_add(v, nv, s + a, b - a, why));
		i = j + 1;
	}
	return MML_OK;
}

enum { K_SCENARIO, K_REGION, K_FEATURES, K_PERMISSIONS, K_NONE };

static int key_of(const char *k, size_t n)
{
	static const char *const names[] = {"scenario", "region", "features", "permissions"};
	for (int i = 0; i < K_NONE; i++)
		if (strlen(names[i]) == n && !memcmp(names[i], k, n))
			return i;
	return K_NONE;
}

/* One KEY=VALUE for a label (value text, lists comma-separated). */
static mml_err label_set(mml_label *lb, int key, const char *s, size_t n, const char **why)
{
	switch (key) {
	case K_SCENARIO: return set_scalar(&lb->scenario, s, n, why);
	case K_REGION: return set_scalar(&lb->region, s, n, why);
	case K_FEATURES: return list_add_csv(&lb->features, &lb->nfeatures, s, n, why);
	default:
		lb->permissions_given = true;
		return list_add_csv(&lb->permissions, &lb->npermissions, s, n, why);
	}
}

mml_err mml_labels_arg(mml_labels *l, const char *arg, char *ebuf, size_t elen)
{
	const char *colon = strchr(arg, ':'), *eq = colon ? strchr(colon, '=') : NULL;
	char *end;
	errno = 0;
	bool all = colon && (size_t)(colon - arg) == 3 && !strncmp(arg, "all", 3);
	unsigned long long sess = colon && !all ? strtoull(arg, &end, 10) : 0;
	if (!colon || !eq || (!all && (arg[0] < '0' || arg[0] > '9' || end != colon || errno || sess == 0))) {
		snprintf(ebuf, elen, "'%.80s': expected N:KEY=VALUE with N a session number from 1, or all", arg);
		return MML_E_ARG;
	}
	if (all && key_of(colon + 1, (size_t)(eq - colon - 1)) == K_SCENARIO) {
		snprintf(ebuf, elen, "'%.80s': a scenario names one session, not all", arg);
		return MML_E_ARG;
	}
	int key = key_of(colon + 1, (size_t)(eq - colon - 1));
	if (key == K_NONE) {
		snprintf(ebuf, elen, "'%.80s': KEY is scenario, features, permissions or region", arg);
		return MML_E_ARG;
	}
	const char *val = eq + 1;
	size_t vn = strlen(val);
	if (!vn && key != K_PERMISSIONS) {
		snprintf(ebuf, elen, "'%.80s': empty value", arg);
		return MML_E_ARG;
	}
	mml_err e;
	mml_label *lb = label_get(l, sess, &e);
	if (!lb) {
		snprintf(ebuf, elen, "'%.80s': %s", arg, e == MML_E_LIMIT ? "too many labelled sessions" : "out of memory");
		return e;
	}
	const char *why = "";
	if (key == K_PERMISSIONS && !vn) {
		lb->permissions_given = true;
		return MML_OK;
	}
	e = label_set(lb, key, val, vn, &why);
	if (e != MML_OK)
		snprintf(ebuf, elen, "'%.80s': %s", arg, why);
	return e;
}

/* Whether a manifest entry's "input" names this input. */
static bool input_matches(const char *want, const char *input)
{
	if (!input || !strcmp(want, input))
		return true;
	const char *base = strrchr(input, '/');
	return base && !strcmp(want, base + 1);
}

static mml_err entry_field(mml_label *lb, int key, json_t *v, const char **why)
{
	if (json_is_string(v))
		return label_set(lb, key, json_string_value(v), json_string_length(v), why);
	if (key >= K_FEATURES && json_is_array(v)) {
		if (key == K_PERMISSIONS)
			lb->permissions_given = true;
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it) {
			if (!json_is_string(it)) {
				*why = "list items must be strings";
				return MML_E_ARG;
			}
			const char *s = json_string_value(it);
			size_t n = json_string_length(it);
			mml_err e = key == K_FEATURES ? list_add(&lb->features, &lb->nfeatures, s, n, why)
			                              : list_add(&lb->permissions, &lb->npermissions, s, n, why);
			if (e != MML_OK)
				return e;
		}
		return MML_OK;
	}
	*why = key >= K_FEATURES ? "expected a string or a list of strings" : "expected a string";
	return MML_E_ARG;
}

mml_err mml_labels_parse(mml_labels *l, const char *text, size_t n, const char *name, const char *input,
                         mml_diag_fn diag, void *dctx)
{
	json_error_t je;
	json_t *root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
	json_t *arr = root && json_is_object(root) ? json_object_get(root, "sessions") : NULL;
	if (!root || !json_is_array(arr)) {
		if (diag) {
			if (!root)
				diag(dctx, "%s:%d: %s", name, je.line, je.text);
			else
				diag(dctx, "%s: expected an object with a \"sessions\" list", name);
		}
		json_decref(root);
		return MML_E_MALFORMED;
	}
	mml_err ret = MML_OK;
	size_t i;
	json_t *ent;
	json_array_foreach(arr, i, ent) {
		json_t *js = json_is_object(ent) ? json_object_get(ent, "session") : NULL;
		if (!json_is_integer(js) || json_integer_value(js) < 1) {
			if (diag)
				diag(dctx, "%s: sessions[%zu]: needs \"session\", a number from 1", name, i);
			continue;
		}
		json_t *jin = json_object_get(ent, "input");
		if (jin && !json_is_string(jin)) {
			if (diag)
				diag(dctx, "%s: sessions[%zu]: \"input\" must be a string", name, i);
			continue;
		}
		if (jin && !input_matches(json_string_value(jin), input))
			continue;
		mml_err e;
		bool fresh = true;
		for (size_t k = 0; k < l->n; k++)
			fresh &= l->v[k].session != (uint64_t)json_integer_value(js);
		mml_label *lb = label_get(l, (uint64_t)json_integer_value(js), &e);
		if (!lb) {
			if (e == MML_E_NOMEM) {
				ret = e;
				break;
			}
			if (diag)
				diag(dctx, "%s: sessions[%zu]: more than %d labelled sessions; the rest are skipped", name, i,
				     MML_LABELS_MAX);
			break;
		}
		const char *k;
		json_t *v;
		json_object_foreach(ent, k, v) {
			if (!strcmp(k, "session") || !strcmp(k, "input"))
				continue;
			int key = key_of(k, strlen(k));
			const char *why = "";
			if (key == K_NONE) {
				if (diag) {
					char safe[64];
					size_t j = 0;
					for (const char *c = k; *c && j + 1 < sizeof safe; c++)
						safe[j++] = (unsigned char)*c < 0x20 || *c == 0x7f ? '?' : *c;
					safe[j] = 0;
					diag(dctx, "%s: sessions[%zu]: unknown key \"%s\" skipped", name, i, safe);
				}
				continue;
			}
			e = entry_field(lb, key, v, &why);
			if (e == MML_E_NOMEM) {
				ret = e;
				break;
			}
			if (e != MML_OK && diag)
				diag(dctx, "%s: sessions[%zu].%s: %s; skipped", name, i, k, why);
		}
		if (ret != MML_OK)
			break;
		/* an entry that gave nothing valid leaves no label behind */
		if (fresh && !lb->scenario && !lb->region && !lb->nfeatures && !lb->permissions_given) {
			label_release(lb);
			l->n--;
		}
	}
	json_decref(root);
	return ret;
}

mml_err mml_labels_load(mml_labels *l, const char *path, const char *input, mml_diag_fn diag, void *dctx)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return MML_E_IO;
	char *buf = malloc(MANIFEST_MAX + 1);
	size_t n = buf ? fread(buf, 1, MANIFEST_MAX + 1, f) : 0;
	bool bad = ferror(f);
	fclose(f);
	if (!buf)
		return MML_E_NOMEM;
	if (bad) {
		free(buf);
		return MML_E_IO;
	}
	if (n > MANIFEST_MAX) {
		if (diag)
			diag(dctx, "%s: larger than 1 MiB", path);
		free(buf);
		return MML_E_LIMIT;
	}
	mml_err e = mml_labels_parse(l, buf, n, path, input, diag, dctx);
	free(buf);
	return e;
}

int mml_label_cond(void *ctx, const char *key, const char *value)
{
	const mml_label *lb = ctx;
	if (!strcmp(key, "permission"))
		return mml_label_permission(lb, value);
	if (!strcmp(key, "permission_not_granted")) {
		int r = mml_label_permission(lb, value);
		return r < 0 ? -1 : !r;
	}
	if (!strcmp(key, "account_region")) {
		if (!lb || !lb->region)
			return -1;
		bool cn = !strcasecmp(lb->region, "CN") || !strcasecmp(lb->region, "mainland");
		if (!strcasecmp(value, "non_mainland"))
			return !cn;
		if (!strcasecmp(value, "mainland"))
			return cn;
		return !strcasecmp(value, lb->region);
	}
	return -1;
}

mml_err mml_labels_merge(mml_labels *l, const mml_label *src)
{
	mml_err e;
	mml_label *lb = label_get(l, src->session, &e);
	if (!lb)
		return e;
	const char *why;
	if (src->scenario)
		MML_RETURN_IF_ERR(set_scalar(&lb->scenario, src->scenario, strlen(src->scenario), &why));
	if (src->region)
		MML_RETURN_IF_ERR(set_scalar(&lb->region, src->region, strlen(src->region), &why));
	for (size_t i = 0; i < src->nfeatures; i++)
		MML_RETURN_IF_ERR(list_add(&lb->features, &lb->nfeatures, src->features[i], strlen(src->features[i]), &why));
	if (src->permissions_given)
		lb->permissions_given = true;
	for (size_t i = 0; i < src->npermissions; i++)
		MML_RETURN_IF_ERR(
		        list_add(&lb->permissions, &lb->npermissions, src->permissions[i], strlen(src->permissions[i]), &why));
	return MML_OK;
}

mml_err mml_labels_finish(mml_labels *l)
{
	const mml_label *all = NULL;
	for (size_t i = 0; i < l->n; i++)
		if (!l->v[i].session)
			all = &l->v[i];
	if (!all)
		return MML_OK;
	mml_label d = *all; /* v may move while it is merged in: a copy of the pointers */
	for (size_t i = 0; i < l->n; i++) {
		mml_label *lb = &l->v[i];
		if (!lb->session)
			continue;
		const char *why;
		if (!lb->region && d.region)
			MML_RETURN_IF_ERR(set_scalar(&lb->region, d.region, strlen(d.region), &why));
		if (!lb->permissions_given && d.permissions_given) {
			lb->permissions_given = true;
			for (size_t k = 0; k < d.npermissions; k++)
				MML_RETURN_IF_ERR(
				        list_add(&lb->permissions, &lb->npermissions, d.permissions[k], strlen(d.permissions[k]), &why));
		}
		for (size_t k = 0; k < d.nfeatures; k++)
			MML_RETURN_IF_ERR(list_add(&lb->features, &lb->nfeatures, d.features[k], strlen(d.features[k]), &why));
	}
	return MML_OK;
}
