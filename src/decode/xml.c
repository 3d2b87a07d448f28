/*
 * src/decode/xml.c - XML inside a decoded value (XML 1.0, read leniently
 * as found in WeChat bodies): elements, attributes, text, CDATA sections,
 * the five named entities and numeric character references; comments,
 * processing instructions and DOCTYPE are skipped.
 *
 * Contract: dx_try() validates first (no nodes), then builds. The root
 * element is an XML_ELEM with flag EMBED (path ":xml.root"), child
 * elements ".name" (repeated sibling names get [i]), attributes XML_ATTR
 * ("@name", value with entities decoded). An element's value is its own
 * text: its text pieces and CDATA sections joined, entities decoded,
 * trimmed. Element text and attribute values are opened as text in turn.
 * Lenient on purpose: an unclosed element closes at the end of the text;
 * a close tag that matches an open ancestor closes everything up to it; a
 * stray close tag is ignored; bytes after the root element are ignored
 * (flag TRAILING), as in the real auth request whose XML is followed by
 * other bytes. A '<' not followed by a name is text. Nesting is bounded
 * by lim.max_depth; the name and text-piece stacks live in the tree's
 * scratch (nested parses stack on top of each other).
 */
#include <string.h>

#include "dec.h"

enum { X_FAIL, X_CLOSED, X_UP, X_EOF };

typedef struct xp {
	mml_dtree *t;
	mml_cur c;       /* the text; c.off is where the parser is */
	bool build;
	unsigned names0; /* first name slot of this parse */
} xp;

static bool name_start(int c) { return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' || c == ':' || c >= 0x80; }
static bool name_char(int c) { return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }
static bool is_ws(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The byte k ahead of the cursor, or -1 past the end. */
static inline int peek(const xp *p, size_t k)
{
	uint8_t c;
	return mml_cur_peek(&p->c, k, &c) == MML_OK ? c : -1;
}
static inline const uint8_t *at(const xp *p) { return mml_cur_ptr(&p->c); }
static inline size_t left(const xp *p) { return mml_cur_left(&p->c); }
static inline void skip(xp *p, size_t n) { (void)mml_cur_skip(&p->c, n); }
/* Move to q, a position in the text at or after the cursor. */
static inline void skip_to(xp *p, const uint8_t *q) { skip(p, (size_t)(q - at(p))); }
static inline void skip_ws(xp *p)
{
	const uint8_t *s = at(p);
	size_t n = left(p), i = 0;
	while (i < n && is_ws(s[i]))
		i++;
	skip(p, i);
}

static bool has(const xp *p, const char *lit)
{
	size_t l = strlen(lit);
	return left(p) >= l && !memcmp(at(p), lit, l);
}

/* Move past the next `end` (or to the end of the text). */
static void skip_past(xp *p, const char *end)
{
	const uint8_t *s = at(p);
	size_t l = strlen(end), n = left(p);
	for (size_t i = 0; i + l <= n; i++) {
		const uint8_t *q = memchr(s + i, end[0], n - i);
		if (!q)
			break;
		i = (size_t)(q - s);
		if (i + l <= n && !memcmp(q, end, l)) {
			skip(p, i + l);
			return;
		}
	}
	skip(p, n);
}

/* Comments, processing instructions, DOCTYPE at the cursor. */
static bool skip_misc(xp *p)
{
	if (has(p, "<!--"))
		skip_past(p, "-->");
	else if (has(p, "<?"))
		skip_past(p, "?>");
	else if (has(p, "<!") && !has(p, "<![CDATA["))
		skip_past(p, ">");
	else
		return false;
	return true;
}

/* Entities of s[0..n) decoded into o (never longer than n). */
static size_t unent(const uint8_t *s, size_t n, uint8_t *o)
{
	static const struct {
		const char *e;
		uint8_t c;
	} named[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}};
	size_t j = 0;
	for (size_t i = 0; i < n;) {
		if (s[i] != '&') {
			o[j++] = s[i++];
			continue;
		}
		size_t k = 0;
		for (; k < 5; k++) {
			size_t l = strlen(named[k].e);
			if (n - i - 1 >= l && !memcmp(s + i + 1, named[k].e, l)) {
				o[j++] = named[k].c;
				i += 1 + l;
				break;
			}
		}
		if (k < 5)
			continue;
		if (i + 3 < n && s[i + 1] == '#') { /* &#NNN; &#xHHH; */
			bool hx = s[i + 2] == 'x' || s[i + 2] == 'X';
			size_t d = i + 2 + hx, e = d;
			uint32_t cp = 0;
			for (; e < n && e - d < 8; e++) {
				uint8_t c = s[e];
				int v = hx ? mml_hex_digit(c) : c >= '0' && c <= '9' ? c - '0' : -1;
				if (v < 0)
					break;
				cp = cp * (hx ? 16u : 10u) + (uint32_t)v;
			}
			if (e > d && e < n && s[e] == ';' && cp && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff)) {
				j += tx_put_utf8(o + j, cp);
				i = e + 1;
				continue;
			}
		}
		o[j++] = s[i++];
	}
	return j;
}

/* A value, entities decoded when there are any (building only). */
static void set_val(xp *p, uint32_t node, const uint8_t *v, size_t n)
{
	if (memchr(v, '&', n)) {
		uint8_t *o = da_alloc(p->t, n);
		if (o) {
			size_t m = unent(v, n, o);
			da_trim(p->t, o, n, m);
			v = o;
			n = m;
		}
	}
	mml_dnode *d = dt_node(p->t, node);
	d->val = v;
	d->val_len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static uint32_t x_node(xp *p, uint32_t parent, mml_dkind kind, const uint8_t *name, size_t nl)
{
	uint32_t i = dt_add(p->t, parent, kind);
	if (i != MML_DNONE) {
		mml_dnode *d = dt_node(p->t, i);
		d->fmt = MML_DF_XML;
		d->name = (const char *)name;
		d->name_len = nl > 255 ? 255 : (uint32_t)nl;
	}
	return i;
}

static void push_seg(xp *p, const uint8_t *s, size_t n, bool cdata)
{
	if (!p->build || !n)
		return;
	if (!cdata) {
		size_t k = 0;
		while (k < n && is_ws(s[k]))
			k++;
		if (k == n)
			return;
	}
	size_t *used = da_segs_used(p->t);
	da_seg *sg = da_segs(p->t, *used + 1);
	if (!sg)
		return;
	da_seg *e = &sg[(*used)++];
	e->p = s;
	e->len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	e->cdata = cdata;
	e->ent = !cdata && memchr(s, '&', n) != NULL;
}

/* The element's own text from its pieces segs[base..used). */
static void own_text(xp *p, uint32_t node, size_t base)
{
	size_t *used = da_segs_used(p->t);
	size_t k = *used - base, total = 0;
	da_seg *sg = da_segs(p->t, *used);
	*used = base;
	if (!k || !sg)
		return;
	const uint8_t *v;
	size_t n;
	if (k == 1 && !sg[base].ent) {
		v = sg[base].p;
		n = sg[base].len;
	} else {
		for (size_t j = base; j < base + k; j++)
			total += sg[j].len;
		uint8_t *o = da_alloc(p->t, total);
		if (!o)
			return;
		n = 0;
		for (size_t j = base; j < base + k; j++) {
			if (sg[j].ent)
				n += unent(sg[j].p, sg[j].len, o + n);
			else
				memcpy(o + n, sg[j].p, sg[j].len), n += sg[j].len;
		}
		da_trim(p->t, o, total, n);
		v = o;
	}
	while (n && is_ws(v[0]))
		v++, n--;
	while (n && is_ws(v[n - 1]))
		n--;
	mml_dnode *d = dt_node(p->t, node);
	d->val = v;
	d->val_len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

static size_t read_name(xp *p)
{
	const uint8_t *s = at(p);
	size_t n = left(p), i = 0;
	if (n && name_start(s[0]))
		while (i < n && name_char(s[i]))
			i++;
	skip(p, i);
	return i;
}

/* An attribute's value after '=' (quoted, or up to a blank or '>'); false when a quote is not closed. */
static bool x_attr_value(xp *p, const uint8_t **v, size_t *vl)
{
	skip_ws(p);
	int q = peek(p, 0);
	if (q < 0)
		return false;
	if (q == '"' || q == '\'') {
		const uint8_t *e = memchr(at(p) + 1, q, left(p) - 1);
		if (!e)
			return false;
		*v = at(p) + 1;
		*vl = (size_t)(e - *v);
		skip_to(p, e + 1);
		return true;
	}
	const uint8_t *s = at(p); /* unquoted */
	size_t n = left(p), i = 0;
	while (i < n && !is_ws(s[i]) && s[i] != '>')
		i++;
	skip(p, i);
	*v = s;
	*vl = i;
	return true;
}

/* Attributes up to '>' or '/>'; *empty set for '/>'. */
static bool x_attrs(xp *p, uint32_t me, bool *empty)
{
	for (;;) {
		skip_ws(p);
		int c = peek(p, 0);
		if (c < 0)
			return false;
		if (c == '>') {
			skip(p, 1);
			*empty = false;
			return true;
		}
		if (c == '/' && peek(p, 1) == '>') {
			skip(p, 2);
			*empty = true;
			return true;
		}
		const uint8_t *an = at(p);
		size_t al = read_name(p);
		if (!al)
			return false;
		skip_ws(p);
		const uint8_t *v = at(p);
		size_t vl = 0;
		if (peek(p, 0) == '=') {
			skip(p, 1);
			if (!x_attr_value(p, &v, &vl))
				return false;
		}
		if (p->build && me != MML_DNONE) {
			uint32_t a = x_node(p, me, MML_DK_XML_ATTR, an, al);
			if (a != MML_DNONE) {
				set_val(p, a, v, vl);
				mml_dnode *d = dt_node(p->t, a);
				de_text(p->t, a, d->val, d->val_len, NULL, 0);
			}
		}
	}
}

/* Is name s[0..l) open above the current element? */
static bool open_above(xp *p, const uint8_t *s, size_t l)
{
	unsigned used = *da_names_used(p->t);
	da_name *nm = da_names(p->t);
	for (unsigned k = used - 1; k-- > p->names0;)
		if (nm[k].len == l && !memcmp(nm[k].p, s, l))
			return true;
	return false;
}

static int x_elem(xp *p, uint32_t parent, unsigned depth, bool embed);

/*
 * The content of element `name` (its start tag read) up to its close tag
 * (X_CLOSED), the close tag of an ancestor (X_UP: the cursor stays on
 * it), the end of the text (X_EOF) or a failure (X_FAIL).
 */
static int x_content(xp *p, uint32_t me, unsigned depth, const uint8_t *name, size_t nl)
{
	while (left(p)) {
		const uint8_t *s = at(p), *lt = memchr(s, '<', left(p));
		size_t e = lt ? (size_t)(lt - s) : left(p);
		push_seg(p, s, e, false);
		skip(p, e);
		if (!lt)
			break;
		if (has(p, "<![CDATA[")) {
			skip(p, 9);
			const uint8_t *a = at(p);
			skip_past(p, "]]>");
			const uint8_t *z = at(p), *b = z >= a + 3 && !memcmp(z - 3, "]]>", 3) ? z - 3 : z;
			push_seg(p, a, (size_t)(b - a), true);
			continue;
		}
		if (skip_misc(p))
			continue;
		if (has(p, "</")) {
			const mml_cur close = p->c;
			skip(p, 2);
			const uint8_t *cn = at(p);
			size_t cl = read_name(p);
			const uint8_t *gt = memchr(at(p), '>', left(p));
			if (cl == nl && !memcmp(cn, name, nl)) {
				skip_to(p, gt ? gt + 1 : at(p) + left(p));
				return X_CLOSED;
			}
			if (cl && open_above(p, cn, cl)) {
				p->c = close;
				return X_UP;
			}
			skip_to(p, gt ? gt + 1 : at(p) + left(p)); /* stray */
			continue;
		}
		int c1 = peek(p, 1);
		if (c1 >= 0 && name_start(c1)) {
			int cr = x_elem(p, me, depth + 1, false);
			if (cr == X_FAIL)
				return X_FAIL;
			if (cr == X_EOF)
				break;
			continue;
		}
		push_seg(p, at(p), 1, true); /* a lone '<' is text */
		skip(p, 1);
	}
	return X_EOF;
}

/* One element at the cursor ('<' + name), at tree depth `depth`. */
static int x_elem(xp *p, uint32_t parent, unsigned depth, bool embed)
{
	unsigned *nused = da_names_used(p->t);
	if (!dt_depth(p->t, depth) || *nused >= DA_MAX_NAMES)
		return X_FAIL;
	skip(p, 1);
	const uint8_t *name = at(p);
	size_t nl = read_name(p);
	if (!nl || nl > 255)
		return X_FAIL;
	uint32_t me = MML_DNONE;
	if (p->build) {
		me = x_node(p, parent, MML_DK_XML_ELEM, name, nl);
		if (me == MML_DNONE)
			return X_FAIL;
		if (embed)
			dt_node(p->t, me)->flags |= MML_DN_EMBED;
	}
	bool empty;
	if (!x_attrs(p, me, &empty))
		return X_FAIL;
	if (empty)
		return X_CLOSED;
	da_name *nm = da_names(p->t);
	nm[*nused].p = name;
	nm[*nused].len = nl;
	(*nused)++;
	size_t seg0 = *da_segs_used(p->t);
	int r = x_content(p, me, depth, name, nl);
	(*nused)--;
	if (p->build && me != MML_DNONE && r != X_FAIL) {
		own_text(p, me, seg0);
		dt_repeat_index(p->t, me, DT_REP_XML);
		mml_dnode *d = dt_node(p->t, me);
		de_text(p->t, me, d->val, d->val_len, NULL, 0);
	} else {
		*da_segs_used(p->t) = seg0;
	}
	return r;
}

/* Prolog, then the root element; X_FAIL when there is none. */
static int x_doc(xp *p, uint32_t holder, unsigned depth)
{
	for (;;) {
		skip_ws(p);
		if (peek(p, 0) != '<')
			return X_FAIL;
		if (!skip_misc(p))
			break;
	}
	int c1 = peek(p, 1);
	if (c1 < 0 || !name_start(c1))
		return X_FAIL;
	unsigned *nused = da_names_used(p->t);
	unsigned saved = *nused;
	p->names0 = saved;
	int r = x_elem(p, holder, depth, true);
	*nused = saved;
	return r;
}

bool dx_try(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, bool force)
{
	(void)force; /* the same rules either way: there must be a root element */
	xp p = {t, mml_cur_make(s, n), false, 0};
	unsigned depth = dt_node(t, holder)->depth + 1u;
	if (!dt_work(t, n))
		return false;
	int r = x_doc(&p, MML_DNONE, depth);
	if (r == X_FAIL || r == X_UP)
		return false;
	if (!dt_work(t, n))
		return false;
	mml_cur rest = p.c; /* what follows the root element */
	p.c = mml_cur_make(s, n);
	p.build = true;
	uint32_t first = t->count;
	r = x_doc(&p, holder, depth);
	if (r != X_FAIL && first < t->count) {
		uint8_t c;
		while (mml_cur_peek(&rest, 0, &c) == MML_OK && (is_ws(c) || !c))
			(void)mml_cur_skip(&rest, 1);
		if (mml_cur_left(&rest))
			dt_node(t, first)->flags |= MML_DN_TRAILING;
	}
	return true;
}
