/*
 * jsonw.c - the JSON writer mml_jw over the line writer mml_lw (contract
 * in include/mmlens/util.h): the values that are not inline - strings,
 * names, hex, raw text, "%.*f" numbers - written to the line writer after
 * the pending ',' (sep).
 *
 * Contract: the text is byte for byte what the printf formats named in
 * util.h and mml_json_str / mml_json_hex give; nothing is allocated.
 */
#include <string.h>

#include "mmlens/util.h"

/* Room for the separator and n bytes; the ',' written when sep is 1. */
static inline char *sep_room(mml_lw *lw, unsigned sep, size_t n)
{
	char *o = mml_lw_room(lw, n + 1);
	*o = ',';
	return o + sep;
}

void mml_jwv_str(mml_lw *lw, unsigned sep, const char *s, size_t n)
{
	if (n <= (MML_LW_SIZE - 3) / 6) { /* one room check */
		lw->p = mml_json_esc(sep_room(lw, sep, MML_JSON_ESC_MAX(n) + 2), s, n);
		return;
	}
	lw->p = sep_room(lw, sep, 0);
	mml_lw_str(lw, s, n);
}

void mml_jwv_cstr(mml_lw *lw, unsigned sep, const char *s)
{
	if (s)
		mml_jwv_str(lw, sep, s, strlen(s));
	else
		lw->p = MML_PUTLIT(sep_room(lw, sep, 4), "null");
}

/* A name quoted as it is: n <= 64 bytes from a fixed table, nothing to escape. */
static char *put_name(char *o, const char *s, size_t n)
{
	*o++ = '"';
	mml_copy_small(o, s, n < 32 ? n : 32);
	if (n > 32)
		memcpy(o + 32, s + 32, n - 32);
	o += n;
	*o++ = '"';
	return o;
}

char *mml_put_name(char *o, const char *s)
{
	if (!s)
		return MML_PUTLIT(o, "null");
	size_t n = strlen(s);
	return put_name(o, s, n < 64 ? n : 64);
}

void mml_jwv_name(mml_lw *lw, unsigned sep, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > 64) { /* not a name: escaped like any string */
		mml_jwv_str(lw, sep, s, n);
		return;
	}
	lw->p = mml_put_name(sep_room(lw, sep, s ? n + 2 : 4), s);
}

void mml_jwv_key_str(mml_lw *lw, unsigned sep, const char *s, size_t n)
{
	mml_jwv_str(lw, sep, s, n);
	lw->p = MML_PUTLIT(mml_lw_room(lw, 1), ":");
}

void mml_jwv_key_name(mml_lw *lw, unsigned sep, const char *name)
{
	mml_jwv_name(lw, sep, name);
	lw->p = MML_PUTLIT(mml_lw_room(lw, 1), ":");
}

void mml_jwv_hex(mml_lw *lw, unsigned sep, const uint8_t *p, size_t n)
{
	char *o = sep_room(lw, sep, 1);
	*o++ = '"';
	if ((size_t)(lw->end - o) / 2 > n) { /* the digits and the '"' at once */
		o = mml_put_hex(o, p, n);
		*o++ = '"';
		lw->p = o;
		return;
	}
	lw->p = o;
	mml_lw_hex_digits(lw, p, n);
	lw->p = MML_PUTLIT(mml_lw_room(lw, 1), "\"");
}

void mml_jwv_raw(mml_lw *lw, unsigned sep, const char *s, size_t n)
{
	lw->p = sep_room(lw, sep, 0);
	while (n) {
		size_t k = n < MML_LW_FIXED ? n : MML_LW_FIXED;
		lw->p = mml_put(mml_lw_room(lw, k), s, k);
		s += k;
		n -= k;
	}
}

/*
 * "%.*f": numbers written this way (a finding's confidence) take a handful
 * of values, so the text printf makes is kept per thread, keyed by the
 * double's bits and the precision: the output of printf without its cost
 * on every line.
 */
typedef struct fixed_ent {
	uint64_t bits;
	int prec;
	uint8_t len;
	char txt[27];
} fixed_ent;
enum { FIXED_CACHE = 16 };
static _Thread_local fixed_ent fixed_cache[FIXED_CACHE];
static _Thread_local unsigned fixed_used, fixed_next;

char *mml_put_fixed(char *o, double v, int prec)
{
	uint64_t bits;
	memcpy(&bits, &v, sizeof bits);
	if (prec < 0)
		prec = 0;
	if (prec > 17)
		prec = 17;
	for (unsigned i = 0; i < fixed_used; i++)
		if (fixed_cache[i].bits == bits && fixed_cache[i].prec == prec)
			return mml_put(o, fixed_cache[i].txt, fixed_cache[i].len);
	char t[MML_PUT_FIXED_MAX];
	int k = snprintf(t, sizeof t, "%.*f", prec, v);
	size_t len = k < 0 ? 0 : (size_t)k < sizeof t ? (size_t)k : sizeof t - 1;
	if (len < sizeof fixed_cache[0].txt) { /* remembered; the oldest goes when full */
		fixed_ent *e = &fixed_cache[fixed_used < FIXED_CACHE ? fixed_used++ : fixed_next++ % FIXED_CACHE];
		e->bits = bits;
		e->prec = prec;
		e->len = (uint8_t)len;
		memcpy(e->txt, t, len);
	}
	return mml_put(o, t, len);
}

void mml_jwv_fixed(mml_lw *lw, unsigned sep, double v, int prec)
{
	lw->p = mml_put_fixed(sep_room(lw, sep, MML_PUT_FIXED_MAX), v, prec);
}
