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
	const uint8_t *s;
	size_t n, i;
	bool build;
	unsigned names0; /* first name slot of this parse */
} xp;

static bool name_start(uint8_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z' ? true : c == '_' || c == ':' || c >= 0x80; }
static bool name_char(uint8_t c) { return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }
static bool is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static bool has(const xp *p, const char *lit)
{
	size_t l = strlen(lit);
	return p->n - p->i >= l && !memcmp(p->s + p->i, lit, l);
}

/* Move past the next `end` (or to the end of the text). */
static void skip_past(xp *p, const char *end)
{
	size_t l = strlen(end);
	for (size_t i = p->i; i + l <= p->n; i++) {
		const uint8_t *q = memchr(p->s + i, end[0], p->n - i);
		if (!q)
			break;
		i = (size_t)(q - p->s);
		if (i + l <= p->n && !memcmp(q, end, l)) {
			p->i = i + l;
			return;
		}
	}
	p->i = p->n;
}

/* Comments, processing instructions, DOCTYPE at p->i. */
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
				int v = c >= '0' && c <= '9' ? c - '0'
				        : hx && (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
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
	size_t a = p->i;
	if (p->i < p->n && name_start(p->s[p->i]))
		while (p->i < p->n && name_char(p->s[p->i]))
			p->i++;
	return p->i - a;
}

/* Attributes up to '>' or '/>'; *empty set for '/>'. */
static bool x_attrs(xp *p, uint32_t me, bool *empty)
{
	for (;;) {
		while (p->i < p->n && is_ws(p->s[p->i]))
			p->i++;
		if (p->i >= p->n)
			return false;
		uint8_t c = p->s[p->i];
		if (c == '>') {
			p->i++;
			*empty = false;
			return true;
		}
		if (c == '/' && p->i + 1 < p->n && p->s[p->i + 1] == '>') {
			p->i += 2;
			*empty = true;
			return true;
		}
		const uint8_t *an = p->s + p->i;
		size_t al = read_name(p);
		if (!al)
			return false;
		while (p->i < p->n && is_ws(p->s[p->i]))
			p->i++;
		const uint8_t *v = p->s + p->i;
		size_t vl = 0;
		if (p->i < p->n && p->s[p->i] == '=') {
			p->i++;
			while (p->i < p->n && is_ws(p->s[p->i]))
				p->i++;
			if (p->i >= p->n)
				return false;
			uint8_t q = p->s[p->i];
			if (q == '"' || q == '\'') {
				const uint8_t *e = memchr(p->s + p->i + 1, q, p->n - p->i - 1);
				if (!e)
					return false;
				v = p->s + p->i + 1;
				vl = (size_t)(e - v);
				p->i = (size_t)(e - p->s) + 1;
			} else { /* unquoted */
				v = p->s + p->i;
				while (p->i < p->n && !is_ws(p->s[p->i]) && p->s[p->i] != '>')
					p->i++;
				vl = (size_t)(p->s + p->i - v);
			}
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

/* One element at p->i ('<' + name), at tree depth `depth`. */
static int x_elem(xp *p, uint32_t parent, unsigned depth, bool embed)
{
	unsigned *nused = da_names_used(p->t);
	if (!dt_depth(p->t, depth) || *nused >= DA_MAX_NAMES)
		return X_FAIL;
	p->i++;
	const uint8_t *name = p->s + p->i;
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
	int r = X_EOF;
	while (p->i < p->n) {
		const uint8_t *lt = memchr(p->s + p->i, '<', p->n - p->i);
		size_t e = lt ? (size_t)(lt - p->s) : p->n;
		push_seg(p, p->s + p->i, e - p->i, false);
		p->i = e;
		if (!lt)
			break;
		if (has(p, "<![CDATA[")) {
			size_t a = p->i + 9;
			p->i = a;
			skip_past(p, "]]>");
			size_t b = p->i >= a + 3 && p->i <= p->n && !memcmp(p->s + p->i - 3, "]]>", 3) ? p->i - 3 : p->i;
			push_seg(p, p->s + a, b - a, true);
			continue;
		}
		if (skip_misc(p))
			continue;
		if (has(p, "</")) {
			size_t at = p->i;
			p->i += 2;
			const uint8_t *cn = p->s + p->i;
			size_t cl = read_name(p);
			const uint8_t *gt = memchr(p->s + p->i, '>', p->n - p->i);
			if (cl == nl && !memcmp(cn, name, nl)) {
				p->i = gt ? (size_t)(gt - p->s) + 1 : p->n;
				r = X_CLOSED;
				break;
			}
			if (cl && open_above(p, cn, cl)) {
				p->i = at;
				r = X_UP;
				break;
			}
			p->i = gt ? (size_t)(gt - p->s) + 1 : p->n; /* stray */
			continue;
		}
		if (p->i + 1 < p->n && name_start(p->s[p->i + 1])) {
			int cr = x_elem(p, me, depth + 1, false);
			if (cr == X_FAIL) {
				r = X_FAIL;
				break;
			}
			if (cr == X_EOF)
				break;
			continue;
		}
		push_seg(p, p->s + p->i, 1, true); /* a lone '<' is text */
		p->i++;
	}
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
		while (p->i < p->n && is_ws(p->s[p->i]))
			p->i++;
		if (p->i >= p->n || p->s[p->i] != '<')
			return X_FAIL;
		if (!skip_misc(p))
			break;
	}
	if (p->i + 1 >= p->n || !name_start(p->s[p->i + 1]))
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
	xp p = {t, s, n, 0, false, 0};
	unsigned depth = dt_node(t, holder)->depth + 1u;
	if (!dt_work(t, n))
		return false;
	int r = x_doc(&p, MML_DNONE, depth);
	if (r == X_FAIL || r == X_UP)
		return false;
	if (!dt_work(t, n))
		return false;
	size_t end = p.i;
	p.i = 0;
	p.build = true;
	uint32_t first = t->count;
	r = x_doc(&p, holder, depth);
	if (r != X_FAIL && first < t->count) {
		while (end < n && (is_ws(s[end]) || !s[end]))
			end++;
		if (end < n)
			dt_node(t, first)->flags |= MML_DN_TRAILING;
	}
	return true;
}
