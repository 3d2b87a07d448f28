/*
 * attrib.c - the attribution map: API path and/or host -> (party, feature).
 *
 * Format (data/attribution.tsv, docs/ATTRIBUTION.md): one row per line,
 *   api<TAB>host<TAB>party<TAB>feature[<TAB>note]
 * '#' comments and blank lines ignored. `api` is an exact path, a prefix
 * ending in '*', or '-' (any); `host` is an exact name, "*.suffix", or '-'
 * (any); not both '-'. party and feature are names from attrib.h. A bad
 * line is reported with its number via mml_diag_fn and skipped. Rows from
 * every parse accumulate; the lookup picks the most specific match, and a
 * later row wins a tie, so a user file loaded after the built-in one
 * overrides it row by row. Lines over 2048 bytes are bad lines; at most
 * 65536 rows (MML_E_LIMIT).
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/attrib.h"
#include "mmlens/util.h"

extern const unsigned char mml_attrib_builtin_data[];
extern const size_t mml_attrib_builtin_data_len;

#define ATTRIB_MAX_ROWS 65536
#define ATTRIB_MAX_LINE 2048
#define ATTRIB_MAX_FILE ((size_t)16 << 20)

static const char *const party_names[MML_PARTY__COUNT] = {
	[MML_PARTY_WECHAT] = "wechat",
	[MML_PARTY_WEIXIN] = "weixin",
	[MML_PARTY_MINIPROGRAM] = "miniprogram",
	[MML_PARTY_THIRDPARTY] = "thirdparty",
};

static const char *const feature_names[MML_FEAT__COUNT] = {
	[MML_FEAT_MESSAGING] = "messaging",         [MML_FEAT_MOMENTS] = "moments",
	[MML_FEAT_SEARCH] = "search",               [MML_FEAT_MINIPROGRAMS] = "miniprograms",
	[MML_FEAT_PEOPLE_NEARBY] = "people_nearby", [MML_FEAT_TELEMETRY] = "telemetry",
	[MML_FEAT_AUTH] = "auth",                   [MML_FEAT_CONFIGURATION] = "configuration",
	[MML_FEAT_CONTACTS] = "contacts",           [MML_FEAT_PAYMENTS] = "payments",
	[MML_FEAT_CHANNELS] = "channels",           [MML_FEAT_LOCATION] = "location",
	[MML_FEAT_PUSH] = "push",                   [MML_FEAT_OTHER] = "other",
};

static bool name_eq(const char *name, const char *s, size_t n)
{
	return strlen(name) == n && !memcmp(name, s, n);
}

const char *mml_party_name(mml_party p)
{
	return (unsigned)p < MML_PARTY__COUNT ? party_names[p] : "?";
}

bool mml_party_parse(const char *s, size_t n, mml_party *out)
{
	for (int i = 0; i < MML_PARTY__COUNT; i++)
		if (name_eq(party_names[i], s, n)) {
			*out = (mml_party)i;
			return true;
		}
	return false;
}

const char *mml_feature_name(mml_feature f)
{
	if (f == MML_FEAT_ANY)
		return "any";
	if (f == MML_FEAT_UNKNOWN)
		return "unknown";
	return (f >= 0 && f < MML_FEAT__COUNT) ? feature_names[f] : "?";
}

bool mml_feature_parse(const char *s, size_t n, mml_feature *out)
{
	for (int i = 0; i < MML_FEAT__COUNT; i++)
		if (name_eq(feature_names[i], s, n)) {
			*out = (mml_feature)i;
			return true;
		}
	return false;
}

void mml_attrib_init(mml_attrib *a) { memset(a, 0, sizeof *a); }

void mml_attrib_free(mml_attrib *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->row[i].api);
		free(a->row[i].host);
	}
	free(a->row);
	memset(a, 0, sizeof *a);
}

static char *dup_n(const char *s, size_t n, bool lower)
{
	char *d = malloc(n + 1);
	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = (lower && s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
	d[n] = 0;
	return d;
}

/* Printable ASCII without spaces: what a path or host may contain here. */
static bool token_ok(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* Split a line at TABs into at most `max` fields; returns the count. */
static size_t split_tabs(const char *t, size_t len, const char **f, size_t *fl, size_t max)
{
	size_t nf = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || t[i] == '\t') {
			if (nf == max)
				return max + 1;
			f[nf] = t + start;
			fl[nf] = i - start;
			nf++;
			start = i + 1;
		}
	}
	return nf;
}

static mml_err add_row(mml_attrib *a, const mml_attrib_row *r)
{
	MML_RETURN_IF(a->n >= ATTRIB_MAX_ROWS, MML_E_LIMIT);
	if (!mml_grow((void **)&a->row, &a->alloc, a->n + 1, sizeof *a->row, 64))
		return MML_E_NOMEM;
	a->row[a->n] = *r;
	a->row[a->n].order = (uint32_t)a->n;
	a->n++;
	return MML_OK;
}

/* Parse one data line into r (strings allocated); returns a reason on a bad line. */
static const char *parse_line(const char *t, size_t len, mml_attrib_row *r, bool *nomem)
{
	const char *f[5];
	size_t fl[5];
	memset(r, 0, sizeof *r);
	if (len > ATTRIB_MAX_LINE)
		return "line too long";
	size_t nf = split_tabs(t, len, f, fl, 5);
	if (nf < 4 || nf > 5)
		return "expected api<TAB>host<TAB>party<TAB>feature[<TAB>note]";
	if (!mml_party_parse(f[2], fl[2], &r->party))
		return "unknown party (wechat, weixin, miniprogram, thirdparty)";
	if (!mml_feature_parse(f[3], fl[3], &r->feature))
		return "unknown feature";
	bool any_api = fl[0] == 1 && f[0][0] == '-';
	bool any_host = fl[1] == 1 && f[1][0] == '-';
	if (any_api && any_host)
		return "api and host are both '-'";
	if (!any_api) {
		size_t n = fl[0];
		if (!token_ok(f[0], n) || f[0][0] != '/')
			return "api must start with '/' and contain no spaces";
		if (f[0][n - 1] == '*') {
			r->api_prefix = true;
			n--;
		}
		if (!n || memchr(f[0], '*', n))
			return "'*' is allowed only at the end of an api";
		if (!(r->api = dup_n(f[0], n, false))) {
			*nomem = true;
			return "out of memory";
		}
	}
	if (!any_host) {
		const char *h = f[1];
		size_t n = fl[1];
		if (!token_ok(h, n))
			return "bad host";
		if (n > 2 && h[0] == '*' && h[1] == '.') {
			r->host_suffix = true;
			h++;
			n--;
		}
		if (memchr(h, '*', n) || memchr(h, '/', n))
			return "host: a name, \"*.suffix\" or '-'";
		if (!(r->host = dup_n(h, n, true))) {
			*nomem = true;
			return "out of memory";
		}
	}
	return NULL;
}

mml_err mml_attrib_parse(mml_attrib *a, const char *text, size_t n, const char *name, mml_diag_fn diag,
                         void *dctx)
{
	size_t pos = 0, len;
	uint32_t line = 0;
	const char *t;
	if (!name)
		name = "attribution";
	while (mml_line_next(text, n, &pos, &line, &t, &len)) {
		if (len && t[len - 1] == '\r')
			len--;
		if (!len || t[0] == '#')
			continue;
		mml_attrib_row r;
		bool nomem = false;
		const char *why = parse_line(t, len, &r, &nomem);
		if (why) {
			free(r.api);
			free(r.host);
			if (nomem)
				return MML_E_NOMEM;
			a->bad_lines++;
			if (diag)
				diag(dctx, "%s:%u: attribution line skipped: %s", name, line, why);
			continue;
		}
		mml_err e = add_row(a, &r);
		if (e != MML_OK) {
			free(r.api);
			free(r.host);
			return e;
		}
	}
	return MML_OK;
}

static mml_err attrib_text(void *a, const char *text, size_t n, const char *name, mml_diag_fn diag, void *dctx)
{
	return mml_attrib_parse(a, text, n, name, diag, dctx);
}

mml_err mml_attrib_load(mml_attrib *a, const char *path, mml_diag_fn diag, void *dctx)
{
	MML_RETURN_IF(!a || !path, MML_E_ARG);
	return mml_load_text(path, ATTRIB_MAX_FILE, attrib_text, a, diag, dctx);
}

mml_err mml_attrib_load_builtin(mml_attrib *a)
{
	return mml_attrib_parse(a, (const char *)mml_attrib_builtin_data, mml_attrib_builtin_data_len,
	                        "builtin:attribution.tsv", NULL, NULL);
}

/* Specificity of a row for (api, host), or -1 when it does not match. */
static int64_t score(const mml_attrib_row *r, const char *api, const char *host)
{
	int64_t s = 0;
	if (r->api) {
		if (!api)
			return -1;
		size_t n = strlen(r->api);
		if (r->api_prefix) {
			if (strncmp(api, r->api, n))
				return -1;
			s += ((int64_t)1 << 40) + ((int64_t)n << 4);
		} else {
			if (strcmp(api, r->api))
				return -1;
			s += (int64_t)2 << 40;
		}
	}
	if (r->host) {
		if (!host)
			return -1;
		size_t hn = strlen(host), n = strlen(r->host);
		if (r->host_suffix) {
			/* ".wechat.com" matches "x.wechat.com" and "wechat.com" */
			if (hn + 1 == n ? !mml_ascii_ieq(host, hn, r->host + 1, n - 1)
			                : (hn < n || !mml_ascii_ieq(host + hn - n, n, r->host, n)))
				return -1;
			s += 1;
		} else {
			if (!mml_ascii_ieq(host, hn, r->host, n))
				return -1;
			s += 2;
		}
	}
	return s;
}

bool mml_attrib_lookup(const mml_attrib *a, const char *api, const char *host, mml_party *party,
                       mml_feature *feature)
{
	if (!a)
		return false;
	if (api && !*api)
		api = NULL;
	if (host && !*host)
		host = NULL;
	const mml_attrib_row *best = NULL;
	int64_t bs = -1;
	for (size_t i = 0; i < a->n; i++) {
		int64_t s = score(&a->row[i], api, host);
		if (s >= 0 && s >= bs) { /* ">=": rows are in load order, a later one wins a tie */
			bs = s;
			best = &a->row[i];
		}
	}
	if (!best)
		return false;
	if (party)
		*party = best->party;
	if (feature)
		*feature = best->feature;
	return true;
}

void mml_attrib_memo_init(mml_attrib_memo *m) { memset(m, 0, sizeof *m); }

bool mml_attrib_lookup_memo(const mml_attrib *a, mml_attrib_memo *m, const char *api, const char *host,
                            mml_party *party, mml_feature *feature)
{
	const char *ap = api ? api : "", *hp = host ? host : "";
	size_t an = strlen(ap), hn = strlen(hp);
	mml_attrib_memo_ent *e = NULL;
	if (an < sizeof e->api && hn < sizeof e->host) {
		uint64_t h = 1469598103934665603ull; /* FNV-1a over api NUL host */
		for (size_t i = 0; i < an; i++)
			h = (h ^ (unsigned char)ap[i]) * 1099511628211ull;
		h *= 1099511628211ull;
		for (size_t i = 0; i < hn; i++)
			h = (h ^ (unsigned char)hp[i]) * 1099511628211ull;
		e = &m->e[(h ^ h >> 32) % MML_ATTRIB_MEMO];
		if (e->valid && !strcmp(e->api, ap) && !strcmp(e->host, hp)) {
			if (e->found) {
				*party = e->party;
				*feature = e->feature;
			}
			return e->found;
		}
	}
	mml_party p = *party;
	mml_feature f = *feature;
	bool found = mml_attrib_lookup(a, api, host, &p, &f);
	if (e) {
		e->valid = true;
		e->found = found;
		e->party = p;
		e->feature = f;
		memcpy(e->api, ap, an + 1);
		memcpy(e->host, hp, hn + 1);
	}
	if (found) {
		*party = p;
		*feature = f;
	}
	return found;
}

void mml_attrib_recv(const mml_attrib *a, mml_attrib_memo *m, const char *api, const char *host, int64_t req_type,
                     mml_recv *r)
{
	memset(r, 0, sizeof *r);
	r->api = api && *api ? api : NULL;
	r->host = host && *host ? host : NULL;
	r->req_type = req_type;
	r->party = MML_PARTY_WECHAT;
	r->feature = MML_FEAT_UNKNOWN;
	if (!a)
		return;
	mml_party p = MML_PARTY_WECHAT;
	mml_feature f = MML_FEAT_OTHER;
	mml_attrib_memo scratch;
	if (!m) {
		mml_attrib_memo_init(&scratch);
		m = &scratch;
	}
	if (r->api && mml_attrib_lookup_memo(a, m, r->api, r->host, &p, &f)) {
		r->party = p;
		r->feature = f;
		r->attributed = true;
	} else if (r->host && mml_attrib_lookup_memo(a, m, NULL, r->host, &p, &f)) {
		r->party = p;
	}
}

mml_party mml_attrib_feature_party(const mml_attrib *a, mml_feature f)
{
	size_t n[MML_PARTY__COUNT] = {0};
	for (size_t i = 0; a && i < a->n; i++)
		if (a->row[i].api && a->row[i].feature == f && (unsigned)a->row[i].party < MML_PARTY__COUNT)
			n[a->row[i].party]++;
	mml_party best = MML_PARTY_WECHAT;
	for (int p = 0; p < MML_PARTY__COUNT; p++)
		if (n[p] > n[best])
			best = (mml_party)p;
	return best;
}
