/*
 * keyline.c - what one key log line means (src/mmtls/keylog_int.h): the
 * fields of the line's JSON object, read by a strict scanner when the
 * line is in the log's canonical form and by jansson otherwise, then
 * checked (layer, direction, hex sizes) into an mml_keyent. The format:
 * docs/FORMATS.md, "Key log"; include/mmlens/keylog.h.
 *
 * Contract: pure; the line is read in place (at most its len bytes), no
 * allocation except jansson's for non-canonical lines.
 */
#include <jansson.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <string.h>

#include "keylog_int.h"
#include "mmlens/util.h"

/*
 * A line's fields, from either reader below: its value kind and, for a
 * string, its bytes (a view into the line or into jansson's object).
 */
enum { F_LAYER, F_ENCRYPT, F_KEY, F_NONCE, F_IV, F_META, F_TAIL, F_TAG, F__N };
static const char *const field_name[F__N] = {"layer", "encrypt", "key", "nonce", "iv", "metadata", "tail", "tag"};
static const size_t field_len[F__N] = {5, 7, 3, 5, 2, 8, 4, 3};
typedef enum { V_ABSENT = 0, V_STRING, V_TRUE, V_FALSE, V_OTHER } vkind;
typedef struct kl_val {
	vkind kind;
	const char *s;
	size_t n;
} kl_val;

/* 1 for the ASCII letters and digits */
static const uint8_t alnum_tab[256] = {
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,1,1,1,1,1,1,1,1,1,0,0,0,0,0,0,
	0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,0,0,0,0,
	0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,0,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
};

/* The end of the run of ASCII letters and digits from p[i] (before end):
 * 16 bytes at a time where SSE2 is there (key log values are long hex). */
static size_t plain_run(const char *p, size_t i, size_t end)
{
#ifdef __SSE2__
	const __m128i d0 = _mm_set1_epi8('0' - 1), d9 = _mm_set1_epi8('9' + 1), a0 = _mm_set1_epi8('a' - 1),
	              z = _mm_set1_epi8('z' + 1), up = _mm_set1_epi8(0x20);
	while (i + 16 <= end) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i lo = _mm_or_si128(x, up); /* letters to lower case (and other bytes moved, checked below) */
		__m128i dig = _mm_and_si128(_mm_cmpgt_epi8(x, d0), _mm_cmplt_epi8(x, d9));
		__m128i let = _mm_and_si128(_mm_cmpgt_epi8(lo, a0), _mm_cmplt_epi8(lo, z));
		unsigned bad = ~(unsigned)_mm_movemask_epi8(_mm_or_si128(dig, let)) & 0xffffu;
		if (bad)
			return i + (size_t)__builtin_ctz(bad);
		i += 16;
	}
#endif
	while (i < end && alnum_tab[(unsigned char)p[i]])
		i++;
	return i;
}

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
			if (field_len[j] == i - k && !memcmp(field_name[j], p + k, i - k))
				f = j;
		if (f < 0 || v[f].kind != V_ABSENT)
			return false; /* unknown or repeated key: jansson decides */
		i += 2;
		if (i < end && p[i] == '"') {
			size_t s = ++i;
			i = plain_run(p, i, end);
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

/* Read one line into *out (zeroed first); NULL, or why it is skipped. */
const char *mml_keyline_decode(bool jansson_only, const char *line, size_t len, uint32_t lineno, mml_keyent *out)
{
	const char *why = NULL;
	mml_keyent e;
	memset(&e, 0, sizeof e);
	e.line = lineno;
	kl_val v[F__N];
	memset(v, 0, sizeof v);
	json_t *o = NULL;
	size_t l;
	if (jansson_only || !fast_fields(line, len, v)) {
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
	json_decref(o);
	*out = e;
	return NULL;
bad:
	json_decref(o);
	return why;
}

/* A bad line: counted and reported. */
