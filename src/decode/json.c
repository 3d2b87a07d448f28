/*
 * src/decode/json.c - JSON text inside a decoded value (RFC 8259), and
 * WeChat's variant that separates members with ';' instead of ','
 * (`{"tabId":2;"redDot":1}`, seen inside comma-separated telemetry).
 *
 * Contract: dj_try() first validates the whole text without building
 * anything (one pass, nesting bounded by lim.max_depth), then builds:
 * an object or array is a JSON_OBJ / JSON_ARR node (the first one with
 * flag EMBED, path ":json"), a member is named by its key (path ".key"),
 * an element by its index (field, path "[i]"); strings are JSON_STR with
 * escapes undone (\uXXXX and surrogate pairs to UTF-8, a lone surrogate to
 * U+FFFD), numbers JSON_NUM with their text, true/false/null JSON_LIT.
 * String values are themselves opened as text (a URL or JSON inside a
 * JSON string). Unless forced, the text must be an object or array, with
 * nothing but whitespace after it. Lenient in two ways only: ';' works as
 * ',' and raw control characters inside strings are kept. Duplicate keys
 * keep index -1 (they share a path). The text is read through one
 * mml_cur (its offset is the parse position; a saved copy is the start
 * the build pass goes back to).
 */
#include <string.h>

#include "dec.h"

typedef struct jp {
	mml_dtree *t;
	mml_cur c; /* the text; c.off is where the parser is */
	bool build;
} jp;

/* The next byte, or -1 at the end. */
static inline int peek(const jp *p)
{
	uint8_t c;
	return mml_cur_peek(&p->c, 0, &c) == MML_OK ? c : -1;
}

static inline void ws(jp *p)
{
	for (int c; (c = peek(p)) == ' ' || c == '\t' || c == '\n' || c == '\r';)
		(void)mml_cur_skip(&p->c, 1);
}

/* Move past `lit` when the text goes on with it. */
static inline bool eat(jp *p, const char *lit, size_t n)
{
	if (mml_cur_left(&p->c) < n || memcmp(mml_cur_ptr(&p->c), lit, n))
		return false;
	(void)mml_cur_skip(&p->c, n);
	return true;
}

static int hex4(const uint8_t *s)
{
	int v = 0;
	for (int k = 0; k < 4; k++) {
		int d = mml_hex_digit(s[k]);
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* Undo the escapes of s[0..n) into o (at most n bytes); returns the length. */
static size_t unescape(const uint8_t *s, size_t n, uint8_t *o)
{
	size_t j = 0;
	for (size_t i = 0; i < n;) {
		if (s[i] != '\\' || i + 1 >= n) {
			o[j++] = s[i++];
			continue;
		}
		uint8_t c = s[i + 1];
		i += 2;
		switch (c) {
		case 'b': o[j++] = '\b'; break;
		case 'f': o[j++] = '\f'; break;
		case 'n': o[j++] = '\n'; break;
		case 'r': o[j++] = '\r'; break;
		case 't': o[j++] = '\t'; break;
		case 'u': {
			int v = i + 4 <= n ? hex4(s + i) : -1;
			if (v < 0) { /* not an escape after all: keep "\u" */
				o[j++] = '\\';
				o[j++] = 'u';
				break;
			}
			i += 4;
			uint32_t cp = (uint32_t)v;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				int lo = i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u' ? hex4(s + i + 2) : -1;
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
					i += 6;
				} else {
					cp = 0xfffd;
				}
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				cp = 0xfffd;
			}
			j += tx_put_utf8(o + j, cp);
			break;
		}
		default: o[j++] = c; break; /* \" \\ \/ and unknown escapes: the character */
		}
	}
	return j;
}

/* A string at the cursor (the quote); its content, escapes undone when building. */
static bool j_string(jp *p, const uint8_t **out, size_t *outlen)
{
	(void)mml_cur_skip(&p->c, 1);
	const uint8_t *a = mml_cur_ptr(&p->c);
	bool esc = false;
	for (;;) {
		const uint8_t *at = mml_cur_ptr(&p->c);
		size_t left = mml_cur_left(&p->c);
		const uint8_t *q = left ? memchr(at, '"', left) : NULL;
		if (!q)
			return false;
		size_t bs = 0; /* backslashes right before the quote (the content so far) */
		while (q - bs > a && q[-(ptrdiff_t)bs - 1] == '\\')
			bs++;
		if (!esc && memchr(at, '\\', (size_t)(q - at)))
			esc = true;
		(void)mml_cur_skip(&p->c, (size_t)(q - at) + 1);
		if (bs % 2 == 0) {
			*out = a;
			*outlen = (size_t)(q - a);
			break;
		}
	}
	if (esc && p->build) {
		uint8_t *o = da_alloc(p->t, *outlen);
		if (o) {
			size_t m = unescape(*out, *outlen, o);
			da_trim(p->t, o, *outlen, m);
			*out = o;
			*outlen = m;
		}
	}
	return true;
}

static bool j_number(jp *p)
{
	const uint8_t *s = mml_cur_ptr(&p->c);
	size_t i = 0, n = mml_cur_left(&p->c), d;
	if (i < n && s[i] == '-')
		i++;
	for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (i == d)
		return false;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return false;
	}
	(void)mml_cur_skip(&p->c, i);
	return true;
}

static uint32_t j_node(jp *p, uint32_t parent, mml_dkind kind, const uint8_t *key, size_t klen, uint32_t idx,
                       bool embed)
{
	uint32_t i = dt_add_at(p->t, parent, kind, MML_DF_JSON, idx);
	if (i == MML_DNONE)
		return i;
	mml_dnode *d = dt_node(p->t, i);
	if (embed)
		d->flags |= MML_DN_EMBED;
	if (key) {
		d->name = (const char *)key;
		d->name_len = klen > UINT32_MAX ? UINT32_MAX : (uint32_t)klen;
	}
	return i;
}

static bool j_value(jp *p, uint32_t parent, unsigned depth, const uint8_t *key, size_t klen, uint32_t idx,
                    bool embed);

/* An object or array at the cursor ('{' or '['). */
static bool j_container(jp *p, uint32_t parent, unsigned depth, const uint8_t *key, size_t klen, uint32_t idx,
                        bool embed)
{
	bool obj = peek(p) == '{';
	uint32_t me = MML_DNONE;
	if (p->build) {
		me = j_node(p, parent, obj ? MML_DK_JSON_OBJ : MML_DK_JSON_ARR, key, klen, idx, embed);
		if (me == MML_DNONE)
			return false;
	}
	(void)mml_cur_skip(&p->c, 1);
	ws(p);
	const int close = obj ? '}' : ']';
	if (peek(p) == close) {
		(void)mml_cur_skip(&p->c, 1);
		return true;
	}
	for (uint32_t k = 0;; k++) {
		const uint8_t *mk = NULL;
		size_t ml = 0;
		if (obj) {
			if (peek(p) != '"' || !j_string(p, &mk, &ml))
				return false;
			ws(p);
			if (!eat(p, ":", 1))
				return false;
			ws(p);
		}
		if (!j_value(p, me, depth + 1, mk, ml, k, false))
			return false;
		ws(p);
		int c = peek(p);
		if (c < 0)
			return false;
		(void)mml_cur_skip(&p->c, 1);
		if (c == close)
			return true;
		if (c != ',' && c != ';')
			return false;
		ws(p);
	}
}

/*
 * One value at the cursor, at tree depth `depth`. Building: a node under
 * parent (key/idx name it). MML_DNONE parent with build only on a limit.
 */
static bool j_value(jp *p, uint32_t parent, unsigned depth, const uint8_t *key, size_t klen, uint32_t idx, bool embed)
{
	int c = peek(p);
	if (c < 0 || !dt_depth(p->t, depth))
		return false;
	if (c == '{' || c == '[')
		return j_container(p, parent, depth, key, klen, idx, embed);
	mml_dkind kind;
	const uint8_t *v = mml_cur_ptr(&p->c);
	size_t vl;
	if (c == '"') {
		if (!j_string(p, &v, &vl))
			return false;
		kind = MML_DK_JSON_STR;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		if (!j_number(p))
			return false;
		kind = MML_DK_JSON_NUM;
		vl = (size_t)(mml_cur_ptr(&p->c) - v);
	} else {
		if (!eat(p, "true", 4) && !eat(p, "false", 5) && !eat(p, "null", 4))
			return false;
		kind = MML_DK_JSON_LIT;
		vl = (size_t)(mml_cur_ptr(&p->c) - v);
	}
	if (p->build) {
		uint32_t me = j_node(p, parent, kind, key, klen, idx, embed);
		if (me == MML_DNONE)
			return false;
		mml_dnode *d = dt_node(p->t, me);
		d->val = v;
		d->val_len = vl > UINT32_MAX ? UINT32_MAX : (uint32_t)vl;
		if (kind == MML_DK_JSON_STR)
			de_text(p->t, me, v, vl, NULL, 0);
	}
	return true;
}

bool dj_try(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, bool force)
{
	jp p = {t, mml_cur_make(s, n), false};
	ws(&p);
	int c0 = peek(&p);
	if (c0 < 0 || (!force && c0 != '{' && c0 != '['))
		return false;
	const mml_cur start = p.c;
	unsigned depth = dt_node(t, holder)->depth + 1u;
	if (!dt_work(t, n) || !j_value(&p, MML_DNONE, depth, NULL, 0, 0, true))
		return false;
	ws(&p);
	if (mml_cur_left(&p.c))
		return false;
	if (!dt_work(t, n))
		return false;
	p.c = start;
	p.build = true;
	(void)j_value(&p, holder, depth, NULL, 0, 0, true); /* false only on a node limit: the tree so far stays */
	return true;
}
