/*
 * src/decode/tree.c - the decoded tree: node array, arena, limits, repeat
 * indexes, field paths, metadata nodes (include/mmlens/decode.h).
 *
 * Contract: nodes live in one array that grows geometrically up to
 * lim.max_nodes; decoded bytes live in an arena of chained blocks (stable
 * addresses) capped at lim.max_arena bytes per body. Both are kept across
 * mml_dtree_reset, so a scanner that decodes one message after another
 * stops allocating once it has seen its largest body. A limit that is hit
 * is named in t->limit_hit (the first one wins) and never fails the call:
 * the caller keeps the tree built so far. Field paths follow
 * docs/FORMATS.md "Field paths": protobuf `1.2`, repeats `4[7].2`,
 * embedded formats `:json.a[3].b`, `:xml.a.b@c`, `:url.k`, `:csv[4]`,
 * decoding steps `:base64`, `:hex`, `:zlib`, `:gzip`, a message inside a
 * step `:pb.1`, packed elements `:packed[3]`, metadata `query.uin`.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "dec.h"

#define DA_BLOCK_MIN ((size_t)64 << 10)

static const mml_decode_limits defaults = {
	.max_depth = 32,
	.max_nodes = 262144,
	.max_arena = (size_t)16 << 20,
	.max_inflate = (size_t)1 << 20,
	.max_work = 0, /* 0: 64 x body + 1 MiB */
};

void mml_dtree_init(mml_dtree *t, const mml_decode_limits *lim)
{
	memset(t, 0, sizeof *t);
	t->lim = lim ? *lim : defaults;
	if (!t->lim.max_depth)
		t->lim.max_depth = defaults.max_depth;
	if (t->lim.max_depth > 255)
		t->lim.max_depth = 255;
	if (!t->lim.max_nodes)
		t->lim.max_nodes = defaults.max_nodes;
	if (t->lim.max_nodes >= MML_DNONE)
		t->lim.max_nodes = MML_DNONE - 1;
	if (!t->lim.max_arena)
		t->lim.max_arena = defaults.max_arena;
	if (!t->lim.max_inflate)
		t->lim.max_inflate = defaults.max_inflate;
	t->arena = calloc(1, sizeof *t->arena);
}

void mml_dtree_free(mml_dtree *t)
{
	struct mml_darena *a = t->arena;
	if (a) {
		for (dblk *b = a->head, *nb; b; b = nb) {
			nb = b->next;
			free(b);
		}
		free(a->last);
		free(a->rep);
		free(a->segs);
		free(a->pos);
		free(a->zbuf);
		if (a->z) {
			if (a->zmode)
				inflateEnd((z_stream *)a->z);
			free(a->z);
		}
		free(a);
	}
	free(t->n);
	memset(t, 0, sizeof *t);
}

void mml_dtree_reset(mml_dtree *t)
{
	t->count = 0;
	t->limit_hit = NULL;
	t->work = 0;
	struct mml_darena *a = t->arena;
	if (a) {
		for (dblk *b = a->head; b; b = b->next)
			b->used = 0;
		a->cur = a->head;
		a->total = 0;
		a->nomem = false;
		a->segs_used = 0;
		a->pos_used = 0;
		a->names_used = 0;
		a->work_cap = t->lim.max_work;
	}
}

/* Start a body: reset and set the work budget. */
void dt_begin(mml_dtree *t, size_t n)
{
	mml_dtree_reset(t);
	if (t->arena && !t->lim.max_work) {
		uint64_t w = (uint64_t)n * 64u + ((uint64_t)1 << 20);
		t->arena->work_cap = w;
	}
}

bool dt_nomem(const mml_dtree *t) { return !t->arena || t->arena->nomem; }

/* ---- limits ---- */

void dl_hit(mml_dtree *t, const char *limit)
{
	if (!t->limit_hit)
		t->limit_hit = limit;
}

bool dl_work_slow(mml_dtree *t, size_t n)
{
	uint64_t cap = t->arena ? t->arena->work_cap : 0;
	if (t->work + n > cap) {
		t->work = cap; /* nothing more is examined */
		dl_hit(t, "work");
		return false;
	}
	t->work += n;
	return true;
}

/* ---- nodes ---- */

static bool grow_nodes(mml_dtree *t)
{
	struct mml_darena *a = t->arena;
	uint32_t na = t->alloc ? t->alloc * 2 : 256;
	if (na > t->lim.max_nodes || na < t->alloc)
		na = t->lim.max_nodes;
	if (na <= t->alloc)
		return false;
	mml_dnode *nn = realloc(t->n, (size_t)na * sizeof *nn);
	if (!nn)
		goto nomem;
	t->n = nn;
	uint32_t *nl = realloc(a->last, (size_t)na * sizeof *nl);
	if (!nl)
		goto nomem;
	a->last = nl;
	t->alloc = na;
	return true;
nomem:
	a->nomem = true;
	return false;
}

bool dn_room(mml_dtree *t, uint32_t parent)
{
	struct mml_darena *a = t->arena;
	if (!a || a->nomem)
		return false;
	if (t->count >= t->lim.max_nodes) {
		dl_hit(t, "nodes");
		dn_cut(t, parent);
		return false;
	}
	return t->count < t->alloc || grow_nodes(t);
}

/* ---- repeat indexes ---- */

static uint32_t name_hash(const char *s, uint32_t n)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

static bool takes_part(const mml_dnode *d, int mode)
{
	if (d->flags & MML_DN_EMBED)
		return false;
	if (mode == DR_NAME_XML)
		return d->kind == MML_DK_XML_ELEM;
	if (mode == DR_NAME_URL)
		return d->kind == MML_DK_URL_PARAM;
	return true;
}

void dn_repeat_index(mml_dtree *t, uint32_t parent, int mode)
{
	if (parent >= t->count)
		return;
	mml_dnode *p = &t->n[parent];
	uint32_t n = p->nchildren;
	if (n < 2)
		return;
	if (mode == DR_FIELD) { /* fast paths: increasing field numbers; all below 64 */
		uint32_t prev = 0;
		bool inc = true, small = true;
		uint64_t once = 0, twice = 0;
		for (uint32_t c = p->first_child; c != MML_DNONE; c = t->n[c].next) {
			uint32_t f = t->n[c].field;
			if (f <= prev)
				inc = false;
			prev = f;
			if (f >= 64) {
				small = false;
				if (!inc)
					break;
				continue;
			}
			uint64_t bit = (uint64_t)1 << f;
			twice |= once & bit;
			once |= bit;
		}
		if (inc)
			return;
		if (small) {
			uint32_t next[64];
			for (uint64_t b = twice; b; b &= b - 1)
				next[__builtin_ctzll(b)] = 0;
			for (uint32_t c = p->first_child; c != MML_DNONE; c = t->n[c].next) {
				mml_dnode *d = &t->n[c];
				d->index = (twice >> d->field) & 1 ? (int32_t)next[d->field]++ : -1;
			}
			return;
		}
	}
	if (n <= 8) { /* few: compare each with the ones before it */
		uint32_t kids[8], k = 0, cnt[8];
		for (uint32_t c = p->first_child; c != MML_DNONE && k < 8; c = t->n[c].next)
			if (takes_part(&t->n[c], mode))
				kids[k++] = c;
		for (uint32_t x = 0; x < k; x++) {
			mml_dnode *d = &t->n[kids[x]];
			cnt[x] = 0;
			d->index = 0;
			for (uint32_t y = 0; y < k; y++) {
				const mml_dnode *e = &t->n[kids[y]];
				bool same = mode == DR_FIELD ? e->field == d->field
				                             : e->name_len == d->name_len && !memcmp(e->name, d->name, d->name_len);
				if (same) {
					cnt[x]++;
					if (y < x)
						d->index++;
				}
			}
			if (cnt[x] < 2)
				d->index = -1;
		}
		return;
	}
	struct mml_darena *a = t->arena;
	size_t cap = 16;
	while (cap < (size_t)n * 2)
		cap *= 2;
	if (cap > a->rep_cap) {
		rep_ent *r = realloc(a->rep, cap * sizeof *r);
		if (!r) {
			a->nomem = true;
			return;
		}
		a->rep = r;
		a->rep_cap = cap;
	}
	rep_ent *tab = a->rep;
	for (size_t k = 0; k < cap; k++)
		tab[k].first = MML_DNONE;
	size_t mask = cap - 1;
	/* pass 1: count; remember each child's slot in its index field */
	for (uint32_t c = p->first_child; c != MML_DNONE; c = t->n[c].next) {
		mml_dnode *d = &t->n[c];
		if (!takes_part(d, mode))
			continue;
		uint32_t key = mode == DR_FIELD ? d->field : name_hash(d->name, d->name_len);
		size_t k = (key * 2654435761u) & mask;
		for (;;) {
			rep_ent *e = &tab[k];
			if (e->first == MML_DNONE) {
				e->key = key;
				e->first = c;
				e->count = 1;
				e->next = 0;
				break;
			}
			if (e->key == key) {
				const mml_dnode *f = &t->n[e->first];
				if (mode == DR_FIELD ||
				    (f->name_len == d->name_len && (!d->name_len || !memcmp(f->name, d->name, d->name_len)))) {
					e->count++;
					break;
				}
			}
			k = (k + 1) & mask;
		}
		d->index = (int32_t)k;
	}
	/* pass 2: number the keys that occur more than once */
	for (uint32_t c = p->first_child; c != MML_DNONE; c = t->n[c].next) {
		mml_dnode *d = &t->n[c];
		if (!takes_part(d, mode))
			continue;
		rep_ent *e = &tab[(size_t)d->index];
		d->index = e->count > 1 ? (int32_t)e->next++ : -1;
	}
}

/* ---- arena ---- */

uint8_t *da_alloc(mml_dtree *t, size_t n)
{
	struct mml_darena *a = t->arena;
	if (!a || a->nomem)
		return NULL;
	size_t tot;
	if (!mml_add_ok(a->total, n, &tot) || tot > t->lim.max_arena) {
		dl_hit(t, "arena");
		return NULL;
	}
	if (!n)
		n = 1;
	dblk *b = a->cur;
	while (b && b->cap - b->used < n) {
		b = b->next;
		if (b)
			b->used = 0;
	}
	if (!b) {
		size_t cap = DA_BLOCK_MIN, hdr = sizeof(dblk), sz;
		dblk *tail = a->cur;
		if (tail) {
			while (tail->next)
				tail = tail->next;
			if (tail->cap <= SIZE_MAX / 2)
				cap = tail->cap * 2;
		}
		if (cap > ((size_t)8 << 20))
			cap = (size_t)8 << 20;
		if (cap < n)
			cap = n;
		if (!mml_add_ok(cap, hdr, &sz)) {
			dl_hit(t, "arena");
			return NULL;
		}
		b = malloc(sz);
		if (!b) {
			a->nomem = true;
			return NULL;
		}
		b->next = NULL;
		b->cap = cap;
		b->used = 0;
		if (tail)
			tail->next = b;
		else
			a->head = b;
	}
	a->cur = b;
	uint8_t *p = b->data + b->used;
	b->used += n;
	a->total = tot;
	return p;
}

void da_trim(mml_dtree *t, uint8_t *p, size_t n, size_t m)
{
	struct mml_darena *a = t->arena;
	dblk *b = a ? a->cur : NULL;
	if (!b || m > n || !n)
		return;
	if (p + n == b->data + b->used) {
		b->used -= n - m;
		a->total -= n - m;
	}
}

da_mark da_mark_get(const mml_dtree *t)
{
	da_mark m = {NULL, 0, 0};
	struct mml_darena *a = t->arena;
	if (a && a->cur) {
		m.blk = a->cur;
		m.used = a->cur->used;
		m.total = a->total;
	}
	return m;
}

void da_release(mml_dtree *t, da_mark m)
{
	struct mml_darena *a = t->arena;
	if (!a)
		return;
	if (!m.blk) { /* nothing was allocated at mark time */
		for (dblk *b = a->head; b; b = b->next)
			b->used = 0;
		a->cur = a->head;
		a->total = 0;
		return;
	}
	dblk *b = m.blk;
	b->used = m.used;
	for (dblk *x = b->next; x; x = x->next)
		x->used = 0;
	a->cur = b;
	a->total = m.total;
}

/* ---- scratch ---- */

dx_seg *dx_segs(mml_dtree *t, size_t need)
{
	struct mml_darena *a = t->arena;
	if (need <= a->segs_cap)
		return a->segs;
	size_t cap = a->segs_cap ? a->segs_cap : 64;
	while (cap < need)
		cap *= 2;
	dx_seg *s = realloc(a->segs, cap * sizeof *s);
	if (!s) {
		a->nomem = true;
		return NULL;
	}
	a->segs = s;
	a->segs_cap = cap;
	return s;
}

uint32_t *dx_pos(mml_dtree *t, size_t need)
{
	struct mml_darena *a = t->arena;
	if (need <= a->pos_cap)
		return a->pos;
	size_t cap = a->pos_cap ? a->pos_cap : 256;
	while (cap < need)
		cap *= 2;
	uint32_t *p = realloc(a->pos, cap * sizeof *p);
	if (!p) {
		a->nomem = true;
		return NULL;
	}
	a->pos = p;
	a->pos_cap = cap;
	return p;
}

dx_name *dx_names(mml_dtree *t) { return t->arena->names; }
size_t *dx_segs_used(mml_dtree *t) { return &t->arena->segs_used; }
unsigned *dx_names_used(mml_dtree *t) { return &t->arena->names_used; }

int dz_inflate(mml_dtree *t, const uint8_t *in, size_t n, bool gzip, size_t cap, const uint8_t **out,
               size_t *outlen, size_t *used_in)
{
	struct mml_darena *a = t->arena;
	int bits = gzip ? 31 : 15;
	if (!a->z) {
		a->z = calloc(1, sizeof(z_stream));
		if (!a->z) {
			a->nomem = true;
			return DZ_NOMEM;
		}
	}
	if (a->zmode != bits) {
		if (a->zmode)
			inflateEnd((z_stream *)a->z);
		a->zmode = 0;
		memset(a->z, 0, sizeof(z_stream));
		if (inflateInit2((z_stream *)a->z, bits) != Z_OK) {
			a->nomem = true;
			return DZ_NOMEM;
		}
		a->zmode = bits;
	} else if (inflateReset((z_stream *)a->z) != Z_OK) {
		return DZ_FAIL;
	}
	z_stream *z = a->z;
	z->next_in = (Bytef *)(uintptr_t)in;
	z->avail_in = n > UINT32_MAX ? UINT32_MAX : (uInt)n;
	size_t got = 0;
	for (;;) {
		if (got == a->zcap) {
			if (a->zcap >= cap)
				break; /* capped */
			size_t nc = a->zcap ? a->zcap * 2 : 16384;
			if (nc > cap)
				nc = cap;
			uint8_t *nb = realloc(a->zbuf, nc);
			if (!nb) {
				a->nomem = true;
				return DZ_NOMEM;
			}
			a->zbuf = nb;
			a->zcap = nc;
		}
		size_t room = (a->zcap < cap ? a->zcap : cap) - got;
		if (!room)
			break;
		z->next_out = a->zbuf + got;
		z->avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
		int r = inflate(z, Z_NO_FLUSH);
		got = (size_t)(z->next_out - a->zbuf);
		if (r == Z_STREAM_END) {
			*out = a->zbuf;
			*outlen = got;
			*used_in = n - z->avail_in;
			return DZ_OK;
		}
		if (r == Z_BUF_ERROR && z->avail_out) /* input ended early */
			return DZ_FAIL;
		if (r != Z_OK && r != Z_BUF_ERROR)
			return DZ_FAIL;
	}
	if (!got)
		return DZ_FAIL;
	*out = a->zbuf;
	*outlen = got;
	*used_in = n - z->avail_in;
	return DZ_CAPPED;
}

/* ---- names, readings ---- */

const char *mml_dkind_name(mml_dkind k)
{
	static const char *const names[] = {"root", "msg", "varint", "fixed32", "fixed64", "packed", "string",
	                                    "bytes", "json_obj", "json_arr", "json_str", "json_num", "json_lit",
	                                    "xml_elem", "xml_attr", "url", "url_param", "csv", "csv_cell", "wrap"};
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

const char *mml_dfmt_name(mml_dfmt f)
{
	static const char *const names[] = {"none", "pb", "json", "xml", "url", "csv", "base64", "hex", "zlib", "gzip"};
	return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "?";
}

float mml_dnode_f32(const mml_dnode *d)
{
	uint32_t u = (uint32_t)d->u;
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

double mml_dnode_f64(const mml_dnode *d)
{
	double f;
	uint64_t u = d->u;
	memcpy(&f, &u, sizeof f);
	return f;
}

/* ---- field paths ---- */

typedef struct pw {
	char *buf;
	size_t cap, len;
} pw;

static void pw_put(pw *w, const char *s, size_t n)
{
	if (w->len < w->cap) {
		size_t k = w->cap - w->len;
		memcpy(w->buf + w->len, s, n < k ? n : k);
	}
	w->len += n;
}

/* A key or element name: control bytes (NUL included) as %XX, so that a
 * path is one C string and two names differing only there print apart. */
static void pw_name(pw *w, const char *s, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t a = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != 0x7f)
			continue;
		pw_put(w, s + a, i - a);
		char e[3] = {'%', hx[c >> 4], hx[c & 15]};
		pw_put(w, e, 3);
		a = i + 1;
	}
	pw_put(w, s + a, n - a);
}

static void pw_num(pw *w, uint64_t v)
{
	char t[24];
	int i = 24;
	do
		t[--i] = (char)('0' + v % 10);
	while (v /= 10);
	pw_put(w, t + i, (size_t)(24 - i));
}

static void pw_index(pw *w, int64_t i)
{
	if (i < 0)
		return;
	pw_put(w, "[", 1);
	pw_num(w, (uint64_t)i);
	pw_put(w, "]", 1);
}

static void pw_sep(pw *w, char c)
{
	if (w->len)
		pw_put(w, &c, 1);
}

const char *mml_dnode_embed_name(const mml_dnode *d)
{
	switch ((mml_dkind)d->kind) {
	case MML_DK_JSON_OBJ:
	case MML_DK_JSON_ARR:
	case MML_DK_JSON_STR:
	case MML_DK_JSON_NUM:
	case MML_DK_JSON_LIT: return "json";
	case MML_DK_XML_ELEM: return "xml";
	case MML_DK_URL: return "url";
	case MML_DK_CSV: return "csv";
	case MML_DK_MSG: return "pb";
	default: return mml_dfmt_name((mml_dfmt)d->fmt);
	}
}

/* ":json", ":xml.name", ":url", ... (no ':' at the start of a path) */
static void seg_embed(pw *w, const mml_dnode *d)
{
	const char *f = mml_dnode_embed_name(d);
	pw_sep(w, ':');
	pw_put(w, f, strlen(f));
	if (d->kind == MML_DK_XML_ELEM) {
		pw_put(w, ".", 1);
		pw_name(w, d->name, d->name_len);
		pw_index(w, d->index);
	}
}

static void seg(pw *w, const mml_dtree *t, const mml_dnode *d)
{
	if (d->kind == MML_DK_ROOT)
		return;
	if (d->flags & MML_DN_META) {
		pw_sep(w, '.');
		pw_name(w, d->name, d->name_len);
		return;
	}
	if (d->flags & MML_DN_EMBED) {
		seg_embed(w, d);
		return;
	}
	if (d->parent == MML_DNONE)
		return;
	const mml_dnode *p = &t->n[d->parent];
	switch ((mml_dkind)p->kind) {
	case MML_DK_MSG:
		pw_sep(w, '.');
		pw_num(w, d->field);
		pw_index(w, d->index);
		break;
	case MML_DK_PACKED:
		pw_sep(w, ':');
		pw_put(w, "packed", 6);
		pw_index(w, d->field);
		break;
	case MML_DK_JSON_OBJ:
		pw_put(w, ".", 1);
		pw_name(w, d->name, d->name_len);
		pw_index(w, d->index);
		break;
	case MML_DK_JSON_ARR:
	case MML_DK_CSV:
		pw_index(w, d->field);
		break;
	case MML_DK_XML_ELEM:
		pw_put(w, d->kind == MML_DK_XML_ATTR ? "@" : ".", 1);
		pw_name(w, d->name, d->name_len);
		pw_index(w, d->index);
		break;
	case MML_DK_URL:
		pw_sep(w, '.');
		pw_name(w, d->name, d->name_len);
		pw_index(w, d->index);
		break;
	case MML_DK_WRAP:
		if (d->kind == MML_DK_MSG) {
			pw_sep(w, ':');
			pw_put(w, "pb", 2);
		}
		break;
	default:
		break;
	}
}

size_t mml_dtree_path(const mml_dtree *t, uint32_t i, char *buf, size_t cap)
{
	pw w = {buf, cap ? cap - 1 : 0, 0};
	uint32_t chain[257];
	int k = 0;
	for (uint32_t c = i; c != MML_DNONE && c < t->count && k < 257; c = t->n[c].parent)
		chain[k++] = c;
	while (k > 0)
		seg(&w, t, &t->n[chain[--k]]);
	if (cap)
		buf[w.len < cap ? w.len : cap - 1] = 0;
	return w.len;
}

/* ---- metadata ---- */

static uint32_t ensure_root(mml_dtree *t)
{
	if (!t->count) {
		dt_begin(t, 0);
		if (dn_add(t, MML_DNONE, MML_DK_ROOT) == MML_DNONE)
			return MML_DNONE;
	}
	return 0;
}

static const char *copy_name(mml_dtree *t, const char *a, const char *b, uint32_t *len)
{
	size_t la = strlen(a), lb = b ? strlen(b) + 1 : 0, n;
	if (!mml_add_ok(la, lb, &n) || n > UINT32_MAX)
		return NULL;
	uint8_t *p = da_alloc(t, n);
	if (!p)
		return NULL;
	memcpy(p, a, la);
	if (b) {
		p[la] = '.';
		memcpy(p + la + 1, b, lb - 1);
	}
	*len = (uint32_t)n;
	return (const char *)p;
}

mml_err mml_decode_meta_url(mml_dtree *t, const char *name, const char *q, size_t n)
{
	if (!t || !name || (!q && n))
		return MML_E_ARG;
	if (ensure_root(t) == MML_DNONE)
		return dt_nomem(t) ? MML_E_NOMEM : MML_OK;
	uint32_t len = 0;
	const char *nm = copy_name(t, name, NULL, &len);
	if (!nm)
		return dt_nomem(t) ? MML_E_NOMEM : MML_OK;
	uint32_t u = dn_add(t, 0, MML_DK_URL);
	if (u == MML_DNONE)
		return dt_nomem(t) ? MML_E_NOMEM : MML_OK;
	mml_dnode *d = dn(t, u);
	d->flags |= MML_DN_META;
	d->fmt = MML_DF_URL;
	d->name = nm;
	d->name_len = len;
	uint8_t *copy = n ? da_alloc(t, n) : NULL; /* the query's text need not outlive the call */
	if (copy && dl_work(t, n)) {
		memcpy(copy, q, n);
		dt_url_params(t, u, copy, n);
	}
	return dt_nomem(t) ? MML_E_NOMEM : MML_OK;
}

mml_err mml_decode_meta_uint(mml_dtree *t, const char *group, const char *name, uint64_t v)
{
	if (!t || !group || !name)
		return MML_E_ARG;
	if (ensure_root(t) == MML_DNONE)
		return dt_nomem(t) ? MML_E_NOMEM : MML_OK;
	uint32_t len = 0;
	const char *nm = copy_name(t, group, name, &len);
	if (!nm)
		return dt_nomem(t) ? MML_E_NOMEM : MML_OK;
	uint32_t i = dn_add(t, 0, MML_DK_VARINT);
	if (i == MML_DNONE)
		return dt_nomem(t) ? MML_E_NOMEM : MML_OK;
	mml_dnode *d = dn(t, i);
	d->flags |= MML_DN_META;
	d->name = nm;
	d->name_len = len;
	d->u = v;
	return MML_OK;
}

/* Code point cp as UTF-8 into o (room for 4 bytes); returns the length. */
size_t dt_put_utf8(uint8_t *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | cp >> 6);
		o[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | cp >> 12);
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (uint8_t)(0xf0 | cp >> 18);
	o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}
