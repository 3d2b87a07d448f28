/*
 * test_sim_content.c - the simulator's content layer: determinism, the
 * protobuf writer's canonical output, device
 * profiles (formats, Luhn, distinct identifiers), and for every kind and
 * direction: a valid protobuf, every ground-truth path resolving to its
 * value (protobuf fields with the [i] rule, then csv/url/json/xml inside,
 * XML with CDATA and indexed siblings), every value present in the
 * bytes, location on/off, sizes. Builds with tools/sim/content*.c and
 * the rest of tools/sim (all but main.c).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../tools/sim/sim.h"
#include "mmlens/cursor.h"
#include "test.h"

const char *sim_device_city(const sim_device *d);

/* ---- a small protobuf reader ---- */

typedef struct pbf {
	uint32_t field;
	int wt;
	uint64_t v;         /* varint, fixed32, fixed64 */
	const uint8_t *p;   /* length-delimited */
	size_t n;
} pbf;

static bool rd_varint(const uint8_t *p, size_t n, size_t *i, uint64_t *v)
{
	mml_cur c = mml_cur_make(p, n);
	c.off = *i <= n ? *i : n;
	if (mml_cur_varint(&c, v) != MML_OK || (c.off - *i == 10 && p[*i + 9] > 1))
		return false; /* past 10 bytes, or over 64 bits */
	*i = c.off;
	return true;
}

/* Next field of p[0..n) at *i; false at the end or on malformed input (*bad). */
static bool pb_next(const uint8_t *p, size_t n, size_t *i, pbf *f, bool *bad)
{
	*bad = false;
	memset(f, 0, sizeof *f);
	if (*i >= n)
		return false;
	uint64_t key;
	if (!rd_varint(p, n, i, &key) || (key >> 3) == 0 || (key >> 3) > 0x1fffffff) {
		*bad = true;
		return false;
	}
	f->field = (uint32_t)(key >> 3);
	f->wt = (int)(key & 7);
	switch (f->wt) {
	case 0:
		if (!rd_varint(p, n, i, &f->v))
			break;
		return true;
	case 1:
	case 5: {
		size_t w = f->wt == 1 ? 8 : 4;
		if (n - *i < w)
			break;
		f->v = 0;
		for (size_t k = 0; k < w; k++)
			f->v |= (uint64_t)p[*i + k] << (8 * k);
		*i += w;
		return true;
	}
	case 2: {
		uint64_t len;
		if (!rd_varint(p, n, i, &len) || len > n - *i)
			break;
		f->p = p + *i;
		f->n = (size_t)len;
		*i += (size_t)len;
		return true;
	}
	default:
		break;
	}
	*bad = true;
	return false;
}

/* Walks the whole message exactly; recurses into length-delimited
 * fields that themselves parse exactly (strings usually do not). */
static bool pb_valid(const uint8_t *p, size_t n, int depth, int *nfields)
{
	size_t i = 0;
	pbf f;
	bool bad;
	if (depth > 64)
		return false;
	while (pb_next(p, n, &i, &f, &bad)) {
		(*nfields)++;
		if (f.wt == 2 && f.n) {
			int sub = 0;
			(void)pb_valid(f.p, f.n, depth + 1, &sub); /* may be a string */
		}
	}
	return !bad && i == n;
}

static bool pb_exact(const uint8_t *p, size_t n)
{
	int k = 0;
	return pb_valid(p, n, 0, &k);
}

/* ---- text decoders ---- */


static void pct_decode(const char *s, size_t n, char *o, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < cap; i++) {
		if (s[i] == '%' && i + 2 < n && mml_hex_digit((unsigned char)s[i + 1]) >= 0 && mml_hex_digit((unsigned char)s[i + 2]) >= 0) {
			o[k++] = (char)(mml_hex_digit((unsigned char)s[i + 1]) * 16 + mml_hex_digit((unsigned char)s[i + 2]));
			i += 2;
		} else {
			o[k++] = s[i];
		}
	}
	o[k] = 0;
}

static void pct_encode(const char *s, char *o, size_t cap)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t k = 0;
	for (; *s && k + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			o[k++] = (char)c;
		} else {
			o[k++] = '%';
			o[k++] = hx[c >> 4];
			o[k++] = hx[c & 15];
		}
	}
	o[k] = 0;
}

static void xml_escape(const char *s, char *o, size_t cap)
{
	size_t k = 0;
	for (; *s && k + 7 < cap; s++) {
		const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '"' ? "&quot;" : NULL;
		if (e) {
			memcpy(o + k, e, strlen(e));
			k += strlen(e);
		} else {
			o[k++] = *s;
		}
	}
	o[k] = 0;
}

static void xml_unescape(const char *s, size_t n, char *o, size_t cap)
{
	static const char *const ent[][2] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}};
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < cap;) {
		bool done = false;
		for (int e = 0; e < 5 && !done; e++) {
			size_t l = strlen(ent[e][0]);
			if (n - i >= l && !memcmp(s + i, ent[e][0], l)) {
				o[k++] = ent[e][1][0];
				i += l;
				done = true;
			}
		}
		if (!done)
			o[k++] = s[i++];
	}
	o[k] = 0;
}

static bool mem_has(const uint8_t *p, size_t n, const void *needle, size_t k)
{
	if (!k)
		return true;
	for (size_t i = 0; i + k <= n; i++)
		if (p[i] == *(const uint8_t *)needle && !memcmp(p + i, needle, k))
			return true;
	return false;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* ---- resolving a truth path ---- */

static bool parse_latlon(const char *v, double *lat, double *lon)
{
	char *e1, *e2 = NULL;
	*lat = strtod(v, &e1);
	*lon = e1 != v && *e1 == ',' ? strtod(e1 + 1, &e2) : 0;
	return e2 && e2 != e1 + 1;
}

static bool same6(double a, const char *want)
{
	char t[48];
	snprintf(t, sizeof t, "%.6f", a);
	return !strcmp(t, want);
}

static bool pair_matches(double a, double b, const char *value)
{
	char lat[48], lon[48];
	const char *c = strchr(value, ',');
	if (!c || (size_t)(c - value) >= sizeof lat)
		return false;
	memcpy(lat, value, (size_t)(c - value));
	lat[c - value] = 0;
	snprintf(lon, sizeof lon, "%s", c + 1);
	return (same6(a, lat) && same6(b, lon)) || (same6(b, lat) && same6(a, lon));
}

/* A message holding a float32 or double coordinate pair. */
static bool pb_pair(const uint8_t *p, size_t n, const char *value)
{
	double f[2], dd[2];
	int nf = 0, nd = 0;
	size_t i = 0;
	pbf x;
	bool bad;
	while (pb_next(p, n, &i, &x, &bad)) {
		if (x.wt == 5 && nf < 2) {
			float v;
			uint32_t u = (uint32_t)x.v;
			memcpy(&v, &u, 4);
			f[nf++] = v;
		} else if (x.wt == 1 && nd < 2) {
			double v;
			memcpy(&v, &x.v, 8);
			dd[nd++] = v;
		}
	}
	return (nf == 2 && pair_matches(f[0], f[1], value)) || (nd == 2 && pair_matches(dd[0], dd[1], value));
}

/* Follow "1.2", "4[7].2" in a message: every step must name a field that
 * occurs (with an index exactly when it occurs more than once). */
static bool pb_follow(const uint8_t *p, size_t n, const char *path, pbf *out, char *why, size_t whyn)
{
	pbf cur = {0, 2, 0, p, n};
	const char *s = path;
	while (*s) {
		if (cur.wt != 2 || !pb_exact(cur.p, cur.n)) {
			snprintf(why, whyn, "'%s': parent is not a message", s);
			return false;
		}
		char *e;
		unsigned long fld = strtoul(s, &e, 10);
		long idx = -1;
		if (e == s) {
			snprintf(why, whyn, "bad path at '%s'", s);
			return false;
		}
		if (*e == '[') {
			idx = strtol(e + 1, &e, 10);
			if (*e != ']')
				return false;
			e++;
		}
		int count = 0;
		pbf f, hit = {0};
		size_t i = 0;
		bool bad;
		while (pb_next(cur.p, cur.n, &i, &f, &bad))
			if (f.field == fld) {
				if (count == (idx < 0 ? 0 : idx))
					hit = f;
				count++;
			}
		if (!count || (idx < 0 && count > 1) || (idx >= 0 && count == 1) || (idx >= 0 && idx >= count)) {
			snprintf(why, whyn, "field %lu occurs %d times, path index %ld", fld, count, idx);
			return false;
		}
		cur = hit;
		s = *e == '.' ? e + 1 : e;
		if (*e && *e != '.') {
			snprintf(why, whyn, "junk at '%s'", e);
			return false;
		}
	}
	*out = cur;
	return true;
}

/* url query: value of key in "a=1&b=2" or "https://h/p?a=1&b=2" */
static bool url_get(const char *text, const char *key, char *o, size_t cap)
{
	const char *q = strchr(text, '?');
	q = q ? q + 1 : text;
	size_t kl = strlen(key);
	while (*q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		if (len > kl && !strncmp(q, key, kl) && q[kl] == '=') {
			pct_decode(q + kl + 1, len - kl - 1, o, cap);
			return true;
		}
		if (!amp)
			break;
		q = amp + 1;
	}
	return false;
}

static bool xml_get(const char *text, const char *path, char *o, size_t cap)
{
	char p[96];
	snprintf(p, sizeof p, "%s", path);
	char *attr = strchr(p, '@');
	if (attr)
		*attr++ = 0;
	const char *pos = text, *tag = NULL, *last = p;
	for (char *t = strtok(p, "."); t; t = strtok(NULL, ".")) {
		char open[112];
		int nth = 0; /* "media[2]": the third <media> from here */
		char *br = strchr(t, '['), *end;
		if (br) {
			long v = strtol(br + 1, &end, 10);
			if (end == br + 1 || *end != ']' || v < 0 || v > 1000)
				return false;
			nth = (int)v;
			*br = 0;
		}
		snprintf(open, sizeof open, "<%s", t);
		for (;;) {
			pos = strstr(pos, open);
			if (!pos)
				return false;
			char c = pos[strlen(open)];
			if ((c == '>' || c == ' ') && nth-- == 0)
				break;
			pos++;
		}
		tag = pos;
		last = t;
		pos += strlen(open);
	}
	if (!tag)
		return false;
	const char *gt = strchr(tag, '>');
	if (!gt)
		return false;
	if (attr) {
		char a[48];
		snprintf(a, sizeof a, " %s=\"", attr);
		const char *v = strstr(tag, a);
		if (!v || v > gt)
			return false;
		v += strlen(a);
		const char *q = strchr(v, '"');
		if (!q)
			return false;
		xml_unescape(v, (size_t)(q - v), o, cap);
		return true;
	}
	char close[112];
	snprintf(close, sizeof close, "</%s>", last);
	const char *end = strstr(gt, close);
	if (!end)
		return false;
	const char *v = gt + 1;
	if (!strncmp(v, "<![CDATA[", 9) && end - v >= 12 && !strncmp(end - 3, "]]>", 3)) {
		size_t n = (size_t)(end - 3 - (v + 9));
		snprintf(o, cap, "%.*s", (int)n, v + 9);
		return true;
	}
	xml_unescape(v, (size_t)(end - v), o, cap);
	return true;
}

static bool json_check(const char *text, const char *path, const char *value, const char *cat)
{
	json_error_t err;
	json_t *root = json_loads(text, 0, &err), *j = root;
	if (!root)
		return false;
	char p[96];
	snprintf(p, sizeof p, "%s", path);
	for (char *t = strtok(p, "."); t && j; t = strtok(NULL, ".")) {
		char *br = strchr(t, '[');
		if (br)
			*br = 0;
		j = json_object_get(j, t);
		while (j && br) {
			j = json_array_get(j, (size_t)strtoul(br + 1, &br, 10));
			br = strchr(br, '[');
		}
	}
	bool ok = false;
	char t[64];
	if (j && !strcmp(cat, "location.coordinates")) {
		json_t *la = json_object_get(j, "latitude"), *lo = json_object_get(j, "longitude");
		ok = la && lo && pair_matches(json_number_value(la), json_number_value(lo), value);
	} else if (json_is_string(j)) {
		ok = !strcmp(json_string_value(j), value);
	} else if (json_is_integer(j)) {
		snprintf(t, sizeof t, "%lld", (long long)json_integer_value(j));
		ok = !strcmp(t, value);
	}
	json_decref(root);
	return ok;
}

/* Check one embedded-format path ("csv[4]:url.uid", "json.a.b", ...) on text. */
static bool embedded_check(const char *text, const char *path, const char *value, const char *cat, char *why,
                           size_t whyn)
{
	static char buf[8192];
	if (!strncmp(path, "csv[", 4)) {
		char *e;
		unsigned long c = strtoul(path + 4, &e, 10);
		if (*e != ']')
			return false;
		const char *s = text;
		for (unsigned long k = 0; k < c && s; k++) {
			s = strchr(s, ',');
			if (s)
				s++;
		}
		if (!s) {
			snprintf(why, whyn, "no csv column %lu", c);
			return false;
		}
		size_t len = strcspn(s, ",");
		pct_decode(s, len, buf, sizeof buf);
		if (e[1] == ':')
			return embedded_check(buf, e + 2, value, cat, why, whyn);
		if (!strcmp(cat, "location.coordinates")) {
			char *sl = strchr(buf, '/');
			if (sl)
				*sl = ',';
		}
		if (strcmp(buf, value)) {
			snprintf(why, whyn, "csv column is '%.80s'", buf);
			return false;
		}
		return true;
	}
	if (!strncmp(path, "url.", 4)) {
		if (!url_get(text, path + 4, buf, sizeof buf) || strcmp(buf, value)) {
			snprintf(why, whyn, "url key %s missing or different", path + 4);
			return false;
		}
		return true;
	}
	if (!strncmp(path, "xml.", 4)) {
		if (!xml_get(text, path + 4, buf, sizeof buf) || strcmp(buf, value)) {
			snprintf(why, whyn, "xml %s missing or different", path + 4);
			return false;
		}
		return true;
	}
	if (!strncmp(path, "json.", 5)) {
		if (!json_check(text, path + 5, value, cat)) {
			snprintf(why, whyn, "json %s missing or different", path + 5);
			return false;
		}
		return true;
	}
	snprintf(why, whyn, "unknown format in '%s'", path);
	return false;
}

static bool truth_resolves(const sim_body *b, const sim_truth *t, char *why, size_t whyn)
{
	char pbpath[96];
	const char *colon = strchr(t->path, ':');
	size_t pl = colon ? (size_t)(colon - t->path) : strlen(t->path);
	memcpy(pbpath, t->path, pl);
	pbpath[pl] = 0;
	pbf f;
	if (!pb_follow(b->pb.p, b->pb.len, pbpath, &f, why, whyn))
		return false;
	if (colon) {
		static char text[16384];
		if (f.wt != 2 || f.n >= sizeof text) {
			snprintf(why, whyn, "not a string");
			return false;
		}
		memcpy(text, f.p, f.n);
		text[f.n] = 0;
		return embedded_check(text, colon + 1, t->value, t->category, why, whyn);
	}
	if (!strcmp(t->category, "location.coordinates")) {
		if (f.wt != 2 || !pb_pair(f.p, f.n, t->value)) {
			snprintf(why, whyn, "no coordinate pair");
			return false;
		}
		return true;
	}
	if (f.wt == 0) {
		char v[24];
		snprintf(v, sizeof v, "%llu", (unsigned long long)f.v);
		if (strcmp(v, t->value)) {
			snprintf(why, whyn, "varint %s", v);
			return false;
		}
		return true;
	}
	if (f.wt != 2 || f.n != strlen(t->value) || memcmp(f.p, t->value, f.n)) {
		snprintf(why, whyn, "field holds '%.*s'", (int)(f.n < 60 ? f.n : 60), f.wt == 2 ? (const char *)f.p : "");
		return false;
	}
	return true;
}

/* Some float32 (stride 1, any alignment) in the body prints as `want` with
 * 6 decimals. (6 decimals can be finer than a float's step near 0, so
 * the text does not always map back to the same float.) */
static bool has_float6(const uint8_t *p, size_t n, const char *want)
{
	for (size_t i = 0; i + 4 <= n; i++) {
		float f;
		memcpy(&f, p + i, 4);
		if (f == f && f > -1e6f && f < 1e6f && same6(f, want))
			return true;
	}
	return false;
}

/* The value's bytes are in the body, raw or in the encoding of where it sits. */
static bool value_present(const sim_body *b, const sim_truth *t)
{
	const uint8_t *p = b->pb.p;
	size_t n = b->pb.len;
	if (!strcmp(t->category, "location.coordinates")) {
		double lat, lon;
		if (!parse_latlon(t->value, &lat, &lon))
			return false;
		char ta[48], to[48];
		snprintf(ta, sizeof ta, "%.6f", lat);
		snprintf(to, sizeof to, "%.6f", lon);
		return (has_float6(p, n, ta) && has_float6(p, n, to)) || (mem_has(p, n, &lat, 8) && mem_has(p, n, &lon, 8)) ||
		       (mem_has(p, n, ta, strlen(ta)) && mem_has(p, n, to, strlen(to)));
	}
	char enc[1024];
	if (mem_has(p, n, t->value, strlen(t->value)))
		return true;
	pct_encode(t->value, enc, sizeof enc);
	if (mem_has(p, n, enc, strlen(enc)))
		return true;
	xml_escape(t->value, enc, sizeof enc);
	if (mem_has(p, n, enc, strlen(enc)))
		return true;
	if (all_digits(t->value)) {
		uint8_t vb[10];
		size_t k = mml_varint_encode(vb, strtoull(t->value, NULL, 10));
		return mem_has(p, n, vb, k);
	}
	return false;
}

static const char *const taxonomy[] = {
	"identity.account", "identity.device", "identity.push_token", "identity.thirdparty", "device.info",
	"network.carrier", "network.ip", "network.wifi", "network.type", "location.coordinates", "location.place",
	"locale", "miniprogram.id", "miniprogram.activity", "miniprogram.requests", "search.query", "content.message",
	"content.post", "content.comment", "content.media", "profile.name", "contacts", "contacts.addressee",
	"telemetry.ui", "telemetry.app",
};

static bool in_taxonomy(const char *c)
{
	for (size_t i = 0; i < sizeof taxonomy / sizeof taxonomy[0]; i++)
		if (!strcmp(c, taxonomy[i]))
			return true;
	return false;
}

static bool luhn_ok(const char *s)
{
	int n = (int)strlen(s), sum = 0;
	for (int i = n - 1, k = 0; i >= 0; i--, k++) {
		int v = s[i] - '0';
		if (v < 0 || v > 9)
			return false;
		if (k & 1)
			v = v * 2 > 9 ? v * 2 - 9 : v * 2;
		sum += v;
	}
	return sum % 10 == 0;
}

static bool is_hex(const char *s, size_t n, bool lower_only)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (!lower_only && c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

/* ---- tests ---- */

TEST(sim_pbw_canonical)
{
	mml_buf b;
	mml_buf_init(&b, 0);
	pbw_varint(&b, 1, 150);
	static const uint8_t v150[] = {0x08, 0x96, 0x01};
	CHECK_EQ(b.len, 3);
	CHECK(!memcmp(b.p, v150, 3));
	mml_buf_reset(&b);
	pbw_string(&b, 2, "testing");
	static const uint8_t s7[] = {0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'};
	CHECK(b.len == sizeof s7 && !memcmp(b.p, s7, sizeof s7));
	mml_buf_reset(&b);
	pbw_fixed32(&b, 5, 0x01020304);
	pbw_float(&b, 1, 1.0f);
	pbw_double(&b, 16, -2.0);
	static const uint8_t fx[] = {0x2d, 4, 3, 2, 1, 0x0d, 0, 0, 0x80, 0x3f, 0x81, 0x01, 0, 0, 0, 0, 0, 0, 0, 0xc0};
	CHECK(b.len == sizeof fx && !memcmp(b.p, fx, sizeof fx));
	mml_buf_reset(&b);
	pbw_varint(&b, 536870911, UINT64_MAX);
	CHECK_EQ(b.len, 5 + 10);
	CHECK(pb_exact(b.p, b.len));

	/* nested lengths of every varint size end up minimal */
	static const size_t sizes[] = {0, 1, 127, 128, 300, 16383, 16384, 70000};
	for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
		mml_buf_reset(&b);
		size_t outer = pbw_begin(&b, 3);
		size_t m = pbw_begin(&b, 7);
		for (size_t i = 0; i < sizes[k]; i++)
			mml_buf_append(&b, "x", 1);
		pbw_end(&b, m);
		pbw_varint(&b, 1, 9);
		pbw_end(&b, outer);
		size_t i = 0;
		pbf f;
		bool bad;
		REQUIRE(pb_next(b.p, b.len, &i, &f, &bad));
		CHECK_EQ(i, b.len);
		CHECK_EQ(f.field, 3);
		size_t j = 0;
		pbf g;
		REQUIRE(pb_next(f.p, f.n, &j, &g, &bad));
		CHECK_EQ(g.n, sizes[k]);
		size_t vl = sizes[k] < 128 ? 1 : sizes[k] < 16384 ? 2 : 3;
		CHECK_EQ(j, 1 + vl + sizes[k]);
		CHECK(pb_exact(f.p, f.n));
		CHECK_EQ(f.n, 1 + vl + sizes[k] + 2);
	}
	mml_buf_free(&b);
}

TEST(sim_device_profiles)
{
	enum { N = 3000 };
	sim_rng r;
	sim_rng_seed(&r, 1234);
	static sim_device d[N];
	for (int i = 0; i < N; i++)
		sim_device_make(&r, i, &d[i]);
	int bad_fmt = 0, dup = 0;
	for (int i = 0; i < N; i++) {
		const sim_device *x = &d[i];
		bool ok = x->uin != 0 && !strncmp(x->wxid, "wxid_", 5) && strlen(x->wxid) == 19 &&
		          strspn(x->wxid + 5, "abcdefghijklmnopqrstuvwxyz0123456789") == 14 && x->device_id[0] == 'A' &&
		          is_hex(x->device_id + 1, 15, true) && strlen(x->imei) == 15 && luhn_ok(x->imei) &&
		          is_hex(x->android_id, 16, true) && strlen(x->mac) == 17 && strlen(x->oaid) == 36 &&
		          x->oaid[8] == '-' && x->oaid[14] == '4' && *x->model && *x->brand && *x->manufacturer &&
		          !strcmp(x->os_version, "14") && strstr(x->build_fingerprint, ":14/") &&
		          strstr(x->build_fingerprint, ":user/release-keys") && !strcmp(x->cpu_abi, "arm64-v8a") &&
		          x->screen_w >= 720 && x->screen_h > x->screen_w && *x->carrier && strlen(x->mccmnc) >= 5 &&
		          *x->apn && *x->ssid && strlen(x->bssid) == 17 && *x->net_type &&
		          (x->client_ip[0] == 10 || (x->client_ip[0] == 192 && x->client_ip[1] == 168)) &&
		          strlen(x->lang) == 2 && strlen(x->region) == 2 && strchr(x->timezone, '/') && *x->nickname &&
		          x->phone[0] == '+' && strlen(x->phone) >= 11 && strspn(x->phone + 1, "0123456789") == strlen(x->phone) - 1 &&
		          strchr(x->email, '@') && (x->client_version >> 24) == 0x28 && strlen(x->push_token) == 152 &&
		          strstr(x->push_token, ":APA91b") == x->push_token + 11 &&
		          strspn(x->push_token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_:-") == 152 &&
		          *sim_device_city(x);
		/* lang/region agree with the carrier's country */
		bool cn = !strncmp(x->mccmnc, "460", 3), us = !strncmp(x->mccmnc, "31", 2);
		ok &= !cn || (!strcmp(x->region, "CN") && !strcmp(x->lang, "zh") && !strncmp(x->phone, "+86", 3));
		ok &= !us || (!strcmp(x->region, "US") && !strncmp(x->phone, "+1", 2));
		if (!ok && bad_fmt++ < 3)
			mml_test_fail(__FILE__, __LINE__, "device %d: %s %s %s %s %s", i, x->wxid, x->imei, x->phone,
			              x->push_token, x->email);
		for (int j = i + 1; j < N && i < 600; j++) {
			const sim_device *y = &d[j];
			if (x->uin == y->uin || !strcmp(x->wxid, y->wxid) || !strcmp(x->device_id, y->device_id) ||
			    !strcmp(x->imei, y->imei) || !strcmp(x->android_id, y->android_id) || !strcmp(x->mac, y->mac) ||
			    !memcmp(x->client_ip, y->client_ip, 4))
				dup++;
		}
	}
	CHECK_EQ(bad_fmt, 0);
	CHECK_EQ(dup, 0);
	/* same seed, same people */
	sim_rng r2;
	sim_rng_seed(&r2, 1234);
	sim_device again;
	sim_device_make(&r2, 0, &again);
	// NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c): sim_device_make zeroes padding
	CHECK(!memcmp(&again, &d[0], sizeof again));
}

static sim_kind const all_kinds[] = {
	SIM_K_AUTH,        SIM_K_GETCDNDNS, SIM_K_BYPSYNC,   SIM_K_NEWSYNC,   SIM_K_STATUSNOTIFY,
	SIM_K_CHECKRESUPDATE, SIM_K_FCMREG, SIM_K_NETWORKINFO, SIM_K_SENDMSG, SIM_K_SEARCH,
	SIM_K_MP_LAUNCH,   SIM_K_MP_REPORT, SIM_K_LOCATION,  SIM_K_TELEMETRY, SIM_K_SNSPOST,
	SIM_K_SNSCOMMENT,  SIM_K_UPLOADIMG,
};
#define NKINDS ((int)(sizeof all_kinds / sizeof all_kinds[0]))

static void make_all(uint64_t seed, int rounds, void (*fn)(const sim_body *, const sim_device *, void *), void *ctx)
{
	sim_rng r;
	sim_rng_seed(&r, seed);
	sim_device devs[8];
	for (int i = 0; i < 8; i++)
		sim_device_make(&r, i, &devs[i]);
	sim_body b;
	sim_body_init(&b);
	for (int round = 0; round < rounds; round++)
		for (size_t k = 0; k < sizeof all_kinds / sizeof all_kinds[0]; k++)
			for (int dir = 0; dir < 2; dir++) {
				const sim_device *d = &devs[(round + k) % 8];
				sim_ctx_info ci = {round % 2 == 0, 1715000000000000ull + (uint64_t)round * 7919000, round};
				sim_content_make(&r, d, &ci, all_kinds[k], dir == 0, &b);
				fn(&b, d, ctx);
			}
	sim_body_free(&b);
}

typedef struct stats {
	int bodies, bad_pb, bad_path, missing, bad_cat, long_val, full, bad_hdr, too_big;
	int ntruth[SIM_K__COUNT][2];
	size_t minsz[SIM_K__COUNT][2], maxsz[SIM_K__COUNT][2];
	bool cats[SIM_K__COUNT][32];
} stats;

static void check_body(const sim_body *b, const sim_device *d, void *ctx)
{
	stats *s = ctx;
	int dir = b->request ? 0 : 1;
	(void)d;
	s->bodies++;
	if (!b->pb.len || !pb_exact(b->pb.p, b->pb.len)) {
		if (s->bad_pb++ < 3)
			mml_test_fail(__FILE__, __LINE__, "kind %d dir %d: not a protobuf (%zu bytes)", b->kind, dir, b->pb.len);
	}
	if (!b->api || !b->req_type || b->req_type != sim_kind_reqtype(b->kind) || strcmp(b->api, sim_kind_api(b->kind)))
		s->bad_hdr++;
	if (b->ntruth >= SIM_MAX_TRUTH)
		s->full++;
	size_t *mn = &s->minsz[b->kind][dir], *mx = &s->maxsz[b->kind][dir];
	if (!*mn || b->pb.len < *mn)
		*mn = b->pb.len;
	if (b->pb.len > *mx)
		*mx = b->pb.len;
	if (b->pb.len > 8192)
		s->too_big++;
	s->ntruth[b->kind][dir] += b->ntruth;
	for (int i = 0; i < b->ntruth; i++) {
		const sim_truth *t = &b->truth[i];
		char why[160] = "";
		if (!in_taxonomy(t->category) && s->bad_cat++ < 3)
			mml_test_fail(__FILE__, __LINE__, "category %s", t->category);
		for (size_t c = 0; c < sizeof taxonomy / sizeof taxonomy[0]; c++)
			if (!strcmp(t->category, taxonomy[c]))
				s->cats[b->kind][c] = true;
		if (strlen(t->value) >= sizeof t->value - 1 || strlen(t->path) >= sizeof t->path - 1 || !*t->value)
			s->long_val++;
		if (!truth_resolves(b, t, why, sizeof why) && s->bad_path++ < 6)
			mml_test_fail(__FILE__, __LINE__, "kind %d dir %d: %s %s = '%s': %s", b->kind, dir, t->category, t->path,
			              t->value, why);
		if (!value_present(b, t) && s->missing++ < 6)
			mml_test_fail(__FILE__, __LINE__, "kind %d dir %d: %s '%s' not in the bytes", b->kind, dir, t->category,
			              t->value);
	}
}

TEST(sim_content_valid_and_truth_resolves)
{
	static stats s;
	memset(&s, 0, sizeof s);
	make_all(99, 24, check_body, &s);
	CHECK_EQ(s.bodies, 24 * NKINDS * 2);
	CHECK_EQ(s.bad_pb, 0);
	CHECK_EQ(s.bad_path, 0);
	CHECK_EQ(s.missing, 0);
	CHECK_EQ(s.bad_cat, 0);
	CHECK_EQ(s.long_val, 0);
	CHECK_EQ(s.full, 0);
	CHECK_EQ(s.bad_hdr, 0);
	CHECK_EQ(s.too_big, 0);

	/* the big ones are 1-8 KB; the requests carry what they are about */
	CHECK(s.minsz[SIM_K_AUTH][0] >= 1024 && s.maxsz[SIM_K_AUTH][0] <= 8192);
	CHECK(s.minsz[SIM_K_MP_REPORT][0] >= 1024 && s.maxsz[SIM_K_MP_REPORT][0] <= 8192);
	for (int k = 0; k < SIM_K__COUNT; k++)
		if (k != SIM_K_CHECKRESUPDATE && k != SIM_K_FCMREG && k != SIM_K_STATUSNOTIFY && k != SIM_K_BYPSYNC &&
		    k != SIM_K_MP_REPORT && k != SIM_K_TELEMETRY)
			CHECK(s.maxsz[k][1] >= 20);
	static const struct {
		sim_kind k;
		const char *cat;
	} must[] = {
		{SIM_K_AUTH, "identity.device"},          {SIM_K_AUTH, "device.info"},
		{SIM_K_AUTH, "network.carrier"},          {SIM_K_AUTH, "locale"},
		{SIM_K_NETWORKINFO, "network.carrier"},   {SIM_K_NETWORKINFO, "network.ip"},
		{SIM_K_NETWORKINFO, "network.type"},      {SIM_K_FCMREG, "identity.push_token"},
		{SIM_K_SENDMSG, "content.message"},       {SIM_K_SENDMSG, "contacts.addressee"},
		{SIM_K_SNSPOST, "content.post"},          {SIM_K_SNSPOST, "content.media"},
		{SIM_K_SNSCOMMENT, "content.comment"},    {SIM_K_SNSCOMMENT, "contacts.addressee"},
		{SIM_K_UPLOADIMG, "content.media"},       {SIM_K_UPLOADIMG, "contacts.addressee"},
		{SIM_K_SEARCH, "search.query"},           {SIM_K_MP_LAUNCH, "miniprogram.id"},
		{SIM_K_MP_LAUNCH, "miniprogram.activity"}, {SIM_K_MP_REPORT, "identity.thirdparty"},
		{SIM_K_MP_REPORT, "miniprogram.requests"}, {SIM_K_MP_REPORT, "telemetry.ui"},
		{SIM_K_LOCATION, "location.coordinates"}, {SIM_K_LOCATION, "location.place"},
		{SIM_K_TELEMETRY, "telemetry.ui"},        {SIM_K_TELEMETRY, "telemetry.app"},
		{SIM_K_STATUSNOTIFY, "identity.account"}, {SIM_K_GETCDNDNS, "identity.account"},
	};
	for (size_t i = 0; i < sizeof must / sizeof must[0]; i++) {
		size_t c = 0;
		while (c < sizeof taxonomy / sizeof taxonomy[0] && strcmp(taxonomy[c], must[i].cat))
			c++;
		if (!s.cats[must[i].k][c])
			mml_test_fail(__FILE__, __LINE__, "kind %d never carries %s", must[i].k, must[i].cat);
	}
	for (size_t c = 0; c < sizeof taxonomy / sizeof taxonomy[0]; c++) {
		bool seen = false;
		for (int k = 0; k < SIM_K__COUNT; k++)
			seen |= s.cats[k][c];
		if (!seen)
			mml_test_fail(__FILE__, __LINE__, "no message carries %s", taxonomy[c]);
	}
	CHECK(s.ntruth[SIM_K_AUTH][1] > 0);     /* the login response names the user */
	CHECK(s.ntruth[SIM_K_SENDMSG][1] > 0);
	CHECK_EQ(s.ntruth[SIM_K_CHECKRESUPDATE][0], 0);
	CHECK_EQ(s.ntruth[SIM_K_NEWSYNC][0], 0);
}

typedef struct digest {
	uint64_t h;
	int n;
} digest;

static void fnv(uint64_t *h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		*h = (*h ^ ((const uint8_t *)p)[i]) * 0x100000001b3ull;
}

static void digest_body(const sim_body *b, const sim_device *d, void *ctx)
{
	digest *g = ctx;
	(void)d;
	fnv(&g->h, b->pb.p, b->pb.len);
	for (int i = 0; i < b->ntruth; i++)
		fnv(&g->h, &b->truth[i], sizeof b->truth[i]);
	fnv(&g->h, &b->compress, sizeof b->compress);
	g->n++;
}

TEST(sim_content_deterministic)
{
	digest a = {0xcbf29ce484222325ull, 0}, b = a, c = a;
	make_all(5, 6, digest_body, &a);
	make_all(5, 6, digest_body, &b);
	make_all(6, 6, digest_body, &c);
	CHECK_EQ(a.n, 6 * NKINDS * 2);
	CHECK_EQ(a.h, b.h);
	CHECK(a.h != c.h);

	/* a reused body gives the same bytes as a fresh one */
	sim_rng r1, r2;
	sim_rng_seed(&r1, 77);
	sim_device d;
	sim_device_make(&r1, 3, &d);
	sim_ctx_info ci = {true, 1715000000000000ull, 1};
	sim_body x, y;
	sim_body_init(&x);
	sim_body_init(&y);
	sim_content_make(&r1, &d, &ci, SIM_K_MP_REPORT, true, &x); /* dirty x */
	r2 = r1;
	sim_content_make(&r1, &d, &ci, SIM_K_NETWORKINFO, true, &x);
	sim_content_make(&r2, &d, &ci, SIM_K_NETWORKINFO, true, &y);
	CHECK(x.pb.len == y.pb.len && !memcmp(x.pb.p, y.pb.p, x.pb.len));
	CHECK_EQ(x.ntruth, y.ntruth);
	CHECK(!memcmp(x.truth, y.truth, sizeof x.truth[0] * (size_t)x.ntruth));
	sim_body_free(&x);
	sim_body_free(&y);
}

TEST(sim_content_location_on_off)
{
	sim_rng r;
	sim_rng_seed(&r, 31337);
	sim_body b;
	sim_body_init(&b);
	int on_pairs = 0, near = 0, off_bad = 0, off_placeholder = 0;
	for (int i = 0; i < 40; i++) {
		sim_device d;
		sim_device_make(&r, i, &d);
		sim_ctx_info on = {true, 1715000000000000ull, i}, off = {false, 1715000000000000ull, i};
		sim_content_make(&r, &d, &on, SIM_K_LOCATION, true, &b);
		for (int t = 0; t < b.ntruth; t++)
			if (!strcmp(b.truth[t].category, "location.coordinates")) {
				double lat = 0, lon = 0; /* read below also when the value does not parse */
				on_pairs++;
				if (parse_latlon(b.truth[t].value, &lat, &lon) && lat - d.home_lat < 0.05 &&
				    d.home_lat - lat < 0.05 && lon - d.home_lon < 0.05 && d.home_lon - lon < 0.05)
					near++;
				if (!strcmp(b.truth[t].path, "7")) { /* the float32 bytes are there */
					char la[48], lo[48];
					snprintf(la, sizeof la, "%.6f", lat);
					snprintf(lo, sizeof lo, "%.6f", lon);
					CHECK(has_float6(b.pb.p, b.pb.len, la) && has_float6(b.pb.p, b.pb.len, lo));
				}
			}
		sim_content_make(&r, &d, &off, SIM_K_LOCATION, true, &b);
		for (int t = 0; t < b.ntruth; t++)
			if (!strncmp(b.truth[t].category, "location.", 9))
				off_bad++;
		float m1000 = -1000.0f;
		static const char txt[] = "-1000.000000/-1000.000000";
		if (mem_has(b.pb.p, b.pb.len, &m1000, 4) && mem_has(b.pb.p, b.pb.len, "-1000.000000", 12)) {
			char enc[64];
			pct_encode(txt, enc, sizeof enc);
			if (mem_has(b.pb.p, b.pb.len, enc, strlen(enc)))
				off_placeholder++;
		}
	}
	CHECK_EQ(on_pairs, 40 * 4);
	CHECK_EQ(near, on_pairs);
	CHECK_EQ(off_bad, 0);
	CHECK_EQ(off_placeholder, 40);
	sim_body_free(&b);
}

static void collect_ids(const sim_body *b, const sim_device *d, void *ctx)
{
	int *bad = ctx;
	(void)d;
	for (int i = 0; i < b->ntruth; i++) {
		const char *v = b->truth[i].value;
		if (strcmp(b->truth[i].category, "miniprogram.id"))
			continue;
		if (!strncmp(v, "wx", 2)) { /* appid: wx + 16 hex */
			if (!is_hex(v + 2, 16, true))
				(*bad)++;
		} else { /* username: gh_ + 12 hex + @app */
			char h[13] = "";
			if (strlen(v) == 19 && !strncmp(v, "gh_", 3) && !strcmp(v + 15, "@app"))
				memcpy(h, v + 3, 12);
			if (!is_hex(h, 12, true))
				(*bad)++;
		}
	}
	if (b->kind == SIM_K_AUTH && b->request)
		for (int i = 0; i < b->ntruth; i++)
			if (!strcmp(b->truth[i].path, "2.4") && !luhn_ok(b->truth[i].value))
				(*bad)++;
}

TEST(sim_content_id_formats)
{
	int bad = 0;
	make_all(2024, 8, collect_ids, &bad);
	CHECK_EQ(bad, 0);
}

static void count_bytes(const sim_body *b, const sim_device *d, void *ctx)
{
	(void)d;
	*(size_t *)ctx += b->pb.len;
}

TEST(sim_content_many_bodies)
{
	/* many bodies of every kind (their speed is not measured here) */
	size_t bytes = 0;
	make_all(1, 150, count_bytes, &bytes);
	mml_test_note("%zu bytes of plaintext bodies, %d bodies", bytes, 150 * NKINDS * 2);
	CHECK(bytes > 0);
}
