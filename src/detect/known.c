/*
 * known.c - values the user supplies (--known NAME=VALUE, --known-file):
 * the forms to look for, and the category a hit belongs to.
 *
 * Contract: known_add() keeps a copy of name and value; known_build()
 * derives, once, every literal form of every value:
 *  - normalisations: as given, lowercase, and for phone numbers the
 *    digits only, with '+' and the country code, and without the
 *    country code (ITU-T E.164 calling codes, table below);
 *  - forms of each normalisation: plain (case-sensitive), case-folded
 *    (caseless), hex (lower and upper case), base64 (standard and URL
 *    alphabet, padded and not), URL-encoded (when it differs), and the
 *    hex of its MD5, SHA-1 and SHA-256 (OpenSSL EVP), lower and upper
 *    case; the raw digests are matched against bytes leaves exactly.
 * Coordinates ("lat,lon" or "lat/lon", or a name like home/location)
 * are matched to KNOWN_TOL degrees against every coordinate pair the
 * detectors read (coords in detect.c), with form "near".
 * patterns.c compiles the literal forms into the one Vectorscan
 * database. Nothing here runs per message except known_binary() and
 * known_near(), which do not allocate.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

#define KNOWN_TOL 0.01

struct known_set {
	known_val *v;
	size_t n, cap, nnum;
	known_form *f;
	size_t nf, fcap;
};

static const char *const form_names[KFORM__COUNT] = {"plain", "casefold", "hex", "base64", "url",
                                                     "md5",   "sha1",     "sha256", "near"};
const char *kform_name(int f) { return f >= 0 && f < KFORM__COUNT ? form_names[f] : "?"; }

known_set *known_new(void) { return calloc(1, sizeof(known_set)); }

static void free_forms(known_set *k)
{
	for (size_t i = 0; i < k->nf; i++)
		free(k->f[i].lit);
	free(k->f);
	k->f = NULL;
	k->nf = k->fcap = 0;
}

void known_free(known_set *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++) {
		free(k->v[i].name);
		free(k->v[i].value);
	}
	free(k->v);
	free_forms(k);
	free(k);
}

size_t known_count(const known_set *k) { return k ? k->n : 0; }
const known_val *known_get(const known_set *k, size_t i) { return k && i < k->n ? &k->v[i] : NULL; }
size_t known_nforms(const known_set *k) { return k ? k->nf : 0; }
const known_form *known_form_at(const known_set *k, size_t i) { return k && i < k->nf ? &k->f[i] : NULL; }

static bool has(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* The category a value's name implies (docs/TAXONOMY.md, "Known values"). */
int known_cat_for_name(const char *name)
{
	char n[64];
	size_t k = 0;
	for (const char *p = name; *p && k < sizeof n - 1; p++)
		n[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	n[k] = 0;
	static const struct {
		const char *sub;
		int cat;
	} map[] = {
		{"phone", C_CONTACTS},       {"mobile", C_CONTACTS},     {"tel", C_CONTACTS},
		{"mail", C_CONTACTS},        {"contact", C_CONTACTS},    {"friend", C_CONTACTS},
		{"imei", C_DEVICE_ID},       {"meid", C_DEVICE_ID},      {"android", C_DEVICE_ID},
		{"serial", C_DEVICE_ID},     {"mac", C_DEVICE_ID},       {"oaid", C_DEVICE_ID},
		{"idfa", C_DEVICE_ID},       {"gaid", C_DEVICE_ID},      {"adid", C_DEVICE_ID},
		{"deviceid", C_DEVICE_ID},   {"device_id", C_DEVICE_ID}, {"devid", C_DEVICE_ID},
		{"imsi", C_DEVICE_ID},       {"bssid", C_WIFI},          {"ssid", C_WIFI},
		{"wifi", C_WIFI},            {"push", C_PUSH},           {"fcm", C_PUSH},
		{"token", C_PUSH},           {"uin", C_ACCOUNT},         {"wxid", C_ACCOUNT},
		{"account", C_ACCOUNT},      {"wechat", C_ACCOUNT},      {"openid", C_THIRDPARTY},
		{"uid", C_THIRDPARTY},       {"pdd", C_THIRDPARTY},      {"carrier", C_CARRIER},
		{"mccmnc", C_CARRIER},       {"apn", C_CARRIER},         {"operator", C_CARRIER},
		{"lat", C_COORD},            {"lon", C_COORD},           {"location", C_COORD},
		{"home", C_COORD},           {"coord", C_COORD},         {"gps", C_COORD},
		{"geo", C_COORD},            {"city", C_PLACE},          {"address", C_PLACE},
		{"street", C_PLACE},         {"poi", C_PLACE},           {"place", C_PLACE},
		{"lang", C_LOCALE},          {"locale", C_LOCALE},       {"timezone", C_LOCALE},
		{"region", C_LOCALE},        {"model", C_DEVINFO},       {"brand", C_DEVINFO},
		{"agent", C_DEVINFO},        {"device", C_DEVINFO},      {"appid", C_MP_ID},
		{"miniprogram", C_MP_ID},    {"query", C_SEARCH},        {"search", C_SEARCH},
		{"nick", C_NAME},            {"name", C_NAME},           {"user", C_ACCOUNT},
		{"ip", C_IP},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (has(n, map[i].sub))
			return map[i].cat;
	return C_IDENTITY;
}

static char *dup(const char *s)
{
	size_t n = strlen(s);
	char *c = malloc(n + 1);
	if (c)
		memcpy(c, s, n + 1);
	return c;
}

mml_err known_add(known_set *k, const char *name, const char *value)
{
	MML_RETURN_IF(!k || !name || !value || !*name, MML_E_ARG);
	vstr v = v_trim((vstr){value, strlen(value)});
	MML_RETURN_IF(v.n < 3 || v.n > 1024, MML_E_ARG);
	MML_RETURN_IF(!mml_grow((void **)&k->v, &k->cap, k->n + 1, sizeof *k->v, 8), MML_E_NOMEM);
	known_val *kv = &k->v[k->n];
	memset(kv, 0, sizeof *kv);
	kv->name = dup(name);
	kv->value = malloc(v.n + 1);
	if (!kv->name || !kv->value) {
		free(kv->name);
		free(kv->value);
		return MML_E_NOMEM;
	}
	memcpy(kv->value, v.p, v.n);
	kv->value[v.n] = 0;
	kv->cat = known_cat_for_name(name);
	if (v.n <= 19 && v.p[0] != '0') {
		uint64_t num = 0;
		size_t i = 0;
		while (i < v.n && v.p[i] >= '0' && v.p[i] <= '9')
			num = num * 10 + (uint64_t)(v.p[i++] - '0');
		if (i == v.n) {
			kv->isnum = true;
			kv->num = num;
			k->nnum++;
		}
	}
	double a, b;
	if (coord_text(v.p, v.n, &a, &b) && a >= -90 && a <= 90 && b >= -180 && b <= 180 && !(a == 0 && b == 0)) {
		kv->coord = true;
		kv->lat = a;
		kv->lon = b;
		kv->cat = C_COORD;
	}
	k->n++;
	return MML_OK;
}

known_set *known_clone(const known_set *k)
{
	known_set *c = known_new();
	if (!c || !k)
		return c;
	for (size_t i = 0; i < k->n; i++)
		if (known_add(c, k->v[i].name, k->v[i].value) != MML_OK) {
			known_free(c);
			return NULL;
		}
	return c;
}

static mml_err add_form(known_set *k, uint32_t val, int form, bool caseless, const void *p, size_t n)
{
	if (!n)
		return MML_OK;
	for (size_t i = 0; i < k->nf; i++) /* the same literal once (first form wins) */
		if (k->f[i].val == val && k->f[i].len == n && k->f[i].caseless == caseless && !memcmp(k->f[i].lit, p, n))
			return MML_OK;
	MML_RETURN_IF(!mml_grow((void **)&k->f, &k->fcap, k->nf + 1, sizeof *k->f, 32), MML_E_NOMEM);
	uint8_t *c = malloc(n);
	MML_RETURN_IF(!c, MML_E_NOMEM);
	memcpy(c, p, n);
	k->f[k->nf++] = (known_form){val, (uint8_t)form, caseless, c, n};
	return MML_OK;
}

static void hexs(const uint8_t *p, size_t n, char *out, bool upper)
{
	const char *d = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
}

static size_t b64(const uint8_t *p, size_t n, char *out, bool url, bool pad)
{
	const char *a = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	                    : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t k = 0, i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t x = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[k++] = a[x >> 18], out[k++] = a[(x >> 12) & 63], out[k++] = a[(x >> 6) & 63], out[k++] = a[x & 63];
	}
	if (n - i == 1) {
		uint32_t x = (uint32_t)p[i] << 16;
		out[k++] = a[x >> 18], out[k++] = a[(x >> 12) & 63];
		if (pad)
			out[k++] = '=', out[k++] = '=';
	} else if (n - i == 2) {
		uint32_t x = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[k++] = a[x >> 18], out[k++] = a[(x >> 12) & 63], out[k++] = a[(x >> 6) & 63];
		if (pad)
			out[k++] = '=';
	}
	return k;
}

/* ITU-T E.164 country calling codes: the length of the code a number starts with. */
static size_t cc_len(const char *d, size_t n)
{
	if (n < 1)
		return 0;
	if (d[0] == '1' || d[0] == '7')
		return 1;
	if (n < 2)
		return 0;
	static const char *const two[] = {"20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44",
	                                  "45", "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58",
	                                  "60", "61", "62", "63", "64", "65", "66", "81", "82", "84", "86", "90", "91",
	                                  "92", "93", "94", "95", "98"};
	for (size_t i = 0; i < sizeof two / sizeof two[0]; i++)
		if (!memcmp(d, two[i], 2))
			return 2;
	return n >= 3 ? 3 : 0;
}

/* every form of one normalisation s; plain: the form an exact match of s counts as */
static mml_err forms_of(known_set *k, uint32_t vi, const char *s, size_t n, int plain)
{
	if (n < 3)
		return MML_OK;
	MML_RETURN_IF_ERR(add_form(k, vi, plain, false, s, n));
	MML_RETURN_IF_ERR(add_form(k, vi, KFORM_CASEFOLD, true, s, n));
	char *buf = malloc(4 * n + 256);
	MML_RETURN_IF(!buf, MML_E_NOMEM);
	mml_err e = MML_OK;
	hexs((const uint8_t *)s, n, buf, false);
	if ((e = add_form(k, vi, KFORM_HEX, false, buf, 2 * n)))
		goto out;
	hexs((const uint8_t *)s, n, buf, true);
	if ((e = add_form(k, vi, KFORM_HEX, false, buf, 2 * n)))
		goto out;
	if (n >= 4)
		for (int url = 0; url < 2; url++)
			for (int pad = 0; pad < 2; pad++) {
				size_t bn = b64((const uint8_t *)s, n, buf, url, pad);
				if ((e = add_form(k, vi, KFORM_BASE64, false, buf, bn)))
					goto out;
			}
	size_t un = 0;
	bool differs = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-_.~", c))
			buf[un++] = (char)c;
		else {
			static const char hx[] = "0123456789ABCDEF";
			buf[un++] = '%', buf[un++] = hx[c >> 4], buf[un++] = hx[c & 15];
			differs = true;
		}
	}
	if (differs && (e = add_form(k, vi, KFORM_URL, true, buf, un)))
		goto out;
	static const int mforms[3] = {KFORM_MD5, KFORM_SHA1, KFORM_SHA256};
	for (int m = 0; m < 3; m++) {
		const EVP_MD *md = m == 0 ? EVP_md5() : m == 1 ? EVP_sha1() : EVP_sha256();
		unsigned char dg[EVP_MAX_MD_SIZE];
		unsigned int dl = 0;
		if (!EVP_Digest(s, n, dg, &dl, md, NULL)) {
			e = MML_E_CRYPTO;
			goto out;
		}
		hexs(dg, dl, buf, false);
		if ((e = add_form(k, vi, mforms[m], false, buf, 2 * dl)))
			goto out;
		hexs(dg, dl, buf, true);
		if ((e = add_form(k, vi, mforms[m], false, buf, 2 * dl)))
			goto out;
		/* the raw digest, for bytes leaves (known_binary; not in the text database) */
		if ((e = add_form(k, vi, mforms[m] | 0x80, false, dg, dl)))
			goto out;
	}
out:
	free(buf);
	return e;
}

mml_err known_build(known_set *k)
{
	if (!k)
		return MML_OK;
	free_forms(k);
	for (size_t i = 0; i < k->n; i++) {
		known_val *v = &k->v[i];
		if (v->coord)
			continue;
		size_t n = strlen(v->value);
		MML_RETURN_IF_ERR(forms_of(k, (uint32_t)i, v->value, n, KFORM_PLAIN));
		char *low = malloc(n + 1);
		MML_RETURN_IF(!low, MML_E_NOMEM);
		for (size_t j = 0; j <= n; j++)
			low[j] = (char)(v->value[j] >= 'A' && v->value[j] <= 'Z' ? v->value[j] + 32 : v->value[j]);
		mml_err e = strcmp(low, v->value) ? forms_of(k, (uint32_t)i, low, n, KFORM_CASEFOLD) : MML_OK;
		free(low);
		MML_RETURN_IF_ERR(e);
		/* phone numbers: digits only, with +CC, without the country code */
		if (v_phone((vstr){v->value, n}) || v->cat == C_CONTACTS) {
			char d[40];
			size_t nd = 0;
			for (size_t j = 0; j < n && nd < sizeof d - 2; j++)
				if (v->value[j] >= '0' && v->value[j] <= '9')
					d[nd++] = v->value[j];
			bool intl = v->value[0] == '+' || (n > 2 && v->value[0] == '0' && v->value[1] == '0');
			const char *dd = d;
			if (n > 2 && v->value[0] == '0' && v->value[1] == '0')
				dd += 2, nd -= 2;
			if (nd >= 7) {
				MML_RETURN_IF_ERR(forms_of(k, (uint32_t)i, dd, nd, KFORM_PLAIN));
				char p[42];
				p[0] = '+';
				memcpy(p + 1, dd, nd);
				MML_RETURN_IF_ERR(forms_of(k, (uint32_t)i, p, nd + 1, KFORM_PLAIN));
				size_t cc = intl ? cc_len(dd, nd) : 0;
				if (cc && nd - cc >= 6)
					MML_RETURN_IF_ERR(forms_of(k, (uint32_t)i, dd + cc, nd - cc, KFORM_PLAIN));
			}
		}
	}
	return MML_OK;
}

const known_form *known_binary(const known_set *k, const uint8_t *p, size_t n)
{
	if (!k || (n != 16 && n != 20 && n != 32))
		return NULL;
	for (size_t i = 0; i < k->nf; i++)
		if ((k->f[i].form & 0x80) && k->f[i].len == n && !memcmp(k->f[i].lit, p, n))
			return &k->f[i];
	return NULL;
}

size_t known_nums(const known_set *k) { return k ? k->nnum : 0; }

int known_number(const known_set *k, uint64_t v)
{
	for (size_t i = 0; k && i < k->n; i++)
		if (k->v[i].isnum && k->v[i].num == v)
			return (int)i;
	return -1;
}

int known_near(const known_set *k, double lat, double lon)
{
	if (!k)
		return -1;
	for (size_t i = 0; i < k->n; i++) {
		const known_val *v = &k->v[i];
		if (!v->coord)
			continue;
		double dl = v->lat - lat, dn = v->lon - lon;
		if (dl < 0)
			dl = -dl;
		if (dn < 0)
			dn = -dn;
		if (dl <= KNOWN_TOL && dn <= KNOWN_TOL)
			return (int)i;
	}
	return -1;
}
