/*
 * text.c - number formatting into memory and the line writer (contracts
 * in include/mmlens/util.h). Output is byte for byte what the printf
 * formats named there give.
 */
#include <string.h>

#include "mmlens/util.h"

static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                     "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                     "8081828384858687888990919293949596979899";

char *mml_put_u64(char *o, uint64_t v)
{
	if (v < 10) {
		*o = (char)('0' + v);
		return o + 1;
	}
	/* digits from the right into a scratch, two at a time, then copied:
	 * no digit count first */
	char tmp[20], *q = tmp + sizeof tmp;
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		q -= 2;
		memcpy(q, digit_pairs + 2 * r, 2);
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, digit_pairs + 2 * v, 2);
	} else {
		*--q = (char)('0' + v);
	}
	size_t n = (size_t)(tmp + sizeof tmp - q);
	mml_copy_small(o, q, n); /* 2..20 bytes */
	return o + n;
}

char *mml_put_ts(char *o, uint64_t us)
{
	o = mml_put_u64(o, us / 1000000u);
	unsigned frac = (unsigned)(us % 1000000u);
	*o++ = '.';
	memcpy(o + 4, digit_pairs + 2 * (frac % 100), 2);
	frac /= 100;
	memcpy(o + 2, digit_pairs + 2 * (frac % 100), 2);
	memcpy(o, digit_pairs + 2 * (frac / 100), 2);
	return o + 6;
}

char *mml_put_hex4(char *o, unsigned v)
{
	static const char d[] = "0123456789abcdef";
	if (v > 0xffff) /* printf would print all digits */
		return o + sprintf(o, "%04x", v);
	o[0] = d[(v >> 12) & 15];
	o[1] = d[(v >> 8) & 15];
	o[2] = d[(v >> 4) & 15];
	o[3] = d[v & 15];
	return o + 4;
}

/* ---- line writer ---- */

static _Thread_local char lw_buf[MML_LW_SIZE];
/* Where a writer over memory goes on once its text did not fit: dropped. */
static _Thread_local char lw_drop[MML_LW_SIZE];

void mml_lw_begin(mml_lw *w, FILE *f)
{
	w->f = f;
	w->base = w->p = lw_buf;
	w->end = lw_buf + sizeof lw_buf;
	w->over = false;
}

void mml_lw_mem(mml_lw *w, char *p, size_t n)
{
	w->f = NULL;
	w->base = w->p = p;
	w->end = p + n;
	w->over = false;
}

void mml_lw_flush(mml_lw *w)
{
	if (!w->f)
		return; /* memory: the text stays */
	if (w->p > w->base)
		fwrite(w->base, 1, (size_t)(w->p - w->base), w->f);
	w->p = w->base;
}

__attribute__((noinline)) void mml_lw_short(mml_lw *w)
{
	if (w->f) {
		mml_lw_flush(w);
		return;
	}
	w->over = true;
	w->base = w->p = lw_drop;
	w->end = lw_drop + sizeof lw_drop;
}

void mml_lw_str(mml_lw *w, const char *s, size_t n)
{
	if (n <= (MML_LW_SIZE - 2) / 6) {
		char *o = mml_lw_room(w, MML_JSON_ESC_MAX(n) + 2);
		w->p = mml_json_esc(o, s, n);
		return;
	}
	if (!w->f) { /* memory: escaped in place when the caller made room */
		size_t need;
		if (!w->over && mml_mul_ok(n, 6, &need) && mml_add_ok(need, 2, &need) && (size_t)(w->end - w->p) >= need)
			w->p = mml_json_esc(w->p, s, n);
		else
			mml_lw_short(w);
		return;
	}
	mml_lw_flush(w);
	mml_json_str(w->f, s, n);
}

/* Hex digits in pieces as room allows (a writer over memory has the room it needs). */
void mml_lw_hex_digits(mml_lw *w, const uint8_t *p, size_t n)
{
	while (n) {
		size_t room = (size_t)(w->end - w->p) / 2;
		if (room < 64 && room < n) {
			mml_lw_short(w);
			room = (size_t)(w->end - w->p) / 2;
		}
		size_t k = n < room ? n : room;
		w->p = mml_put_hex(w->p, p, k);
		p += k;
		n -= k;
	}
}
