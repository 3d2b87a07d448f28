/*
 * src/decode/tree.c - the decoded tree (include/mmlens/decode.h): init,
 * reset and free, the limits and the work budget, the node array, repeat
 * indexes, metadata nodes, and the node-kind table (dec.h, prefix dt_).
 *
 * Contract: nodes live in one array that grows geometrically up to
 * lim.max_nodes (decoded bytes live in the arena, arena.c). Both are kept
 * across mml_dtree_reset, so a scanner that decodes one message after
 * another stops allocating once it has seen its largest body. A limit
 * that is hit is named in t->limit_hit (the first one wins) and never
 * fails the call: the caller keeps the tree built so far. The work
 * budget of a body of n bytes is lim.max_work, or by default 64 x n +
 * 64 KiB: every pass over bytes is charged to it (dt_work), the output
 * of an inflate step too, so the time a body takes is bounded by its
 * size. Repeat indexes
 * number the children of one parent that share a key (field number, XML
 * element name, URL key) when it occurs more than once. Metadata nodes
 * (`query.uin`, `header.uin`) are extra children of the root, flag META.
 * mml_dkinds[] is the one table of what each node kind is (decode.h).
 */
#include <stdlib.h>
#include <string.h>

#include "dec.h"

/* The default work budget of a body of n bytes: DT_WORK_PER_BYTE x n +
 * DT_WORK_BASE (the base: metadata next to an empty body). Real bodies
 * use at most about 12 x n. */
#define DT_WORK_PER_BYTE 64u
#define DT_WORK_BASE ((uint64_t)64 << 10)

static const mml_decode_limits defaults = {
	.max_depth = 32,
	.max_nodes = 262144,
	.max_arena = (size_t)16 << 20,
	.max_inflate = (size_t)1 << 20,
	.max_work = 0, /* 0: 64 x body + 64 KiB */
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
	if (t->arena)
		da_free(t->arena);
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
		da_reset(a);
		a->work_cap = t->lim.max_work;
	}
}

/* Start a body: reset and set the work budget. */
void dt_begin(mml_dtree *t, size_t n)
{
	mml_dtree_reset(t);
	if (t->arena && !t->lim.max_work) {
		uint64_t w = (uint64_t)n * DT_WORK_PER_BYTE + DT_WORK_BASE;
		t->arena->work_cap = w;
	}
}

bool dt_nomem(const mml_dtree *t) { return !t->arena || t->arena->nomem; }

/* ---- limits ---- */

void dt_hit(mml_dtree *t, const char *limit)
{
	if (!t->limit_hit)
		t->limit_hit = limit;
}

bool dt_work_slow(mml_dtree *t, size_t n)
{
	uint64_t cap = t->arena ? t->arena->work_cap : 0;
	if (t->work + n > cap) {
		t->work = cap; /* nothing more is examined */
		dt_hit(t, "work");
		return false;
	}
	t->work += n;
	return true;
}

/* ---- nodes ---- */

static bool grow_nodes(mml_dtree *t)
{
	struct mml_darena *a = t->arena;
	size_t need = (size_t)t->count + 1, cn = t->alloc;
	if (need > t->lim.max_nodes)
		return false;
	if (!mml_grow((void **)&t->n, &cn, need, sizeof *t->n, 256) ||
	    !mml_grow((void **)&a->last, &a->last_cap, need, sizeof *a->last, 256)) {
		a->nomem = true;
		return false;
	}
	size_t al = cn < a->last_cap ? cn : a->last_cap;
	t->alloc = al > UINT32_MAX ? UINT32_MAX : (uint32_t)al;
	return true;
}

bool dt_room(mml_dtree *t, uint32_t parent)
{
	struct mml_darena *a = t->arena;
	if (!a || a->nomem)
		return false;
	if (t->count >= t->lim.max_nodes) {
		dt_hit(t, "nodes");
		dt_cut(t, parent);
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
	if (mode == DT_REP_XML)
		return d->kind == MML_DK_XML_ELEM;
	if (mode == DT_REP_URL)
		return d->kind == MML_DK_URL_PARAM;
	return true;
}

/* Protobuf fields: nothing to do when the numbers increase (true); all
 * below 64: numbered with two bitmaps (true); else false. */
static bool rep_fields(mml_dtree *t, const mml_dnode *p)
{
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
		return true;
	if (!small)
		return false;
	uint32_t next[64];
	for (uint64_t b = twice; b; b &= b - 1)
		next[__builtin_ctzll(b)] = 0;
	for (uint32_t c = p->first_child; c != MML_DNONE; c = t->n[c].next) {
		mml_dnode *d = &t->n[c];
		d->index = (twice >> d->field) & 1 ? (int32_t)next[d->field]++ : -1;
	}
	return true;
}

/* Few children (at most 8): each compared with the ones before it. */
static void rep_few(mml_dtree *t, const mml_dnode *p, int mode)
{
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
			bool same = mode == DT_REP_FIELD ? e->field == d->field
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
}

/* Many children: a hash table of keys (at least twice as many slots). */
static void rep_hash(mml_dtree *t, const mml_dnode *p, int mode)
{
	struct mml_darena *a = t->arena;
	size_t cap = 16;
	while (cap < (size_t)p->nchildren * 2)
		cap *= 2;
	if (!mml_grow((void **)&a->rep, &a->rep_cap, cap, sizeof *a->rep, 16)) {
		a->nomem = true;
		return;
	}
	dt_rep *tab = a->rep;
	for (size_t k = 0; k < cap; k++)
		tab[k].first = MML_DNONE;
	size_t mask = cap - 1;
	/* pass 1: count; remember each child's slot in its index field */
	for (uint32_t c = p->first_child; c != MML_DNONE; c = t->n[c].next) {
		mml_dnode *d = &t->n[c];
		if (!takes_part(d, mode))
			continue;
		uint32_t key = mode == DT_REP_FIELD ? d->field : name_hash(d->name, d->name_len);
		size_t k = (key * 2654435761u) & mask;
		for (;;) {
			dt_rep *e = &tab[k];
			if (e->first == MML_DNONE) {
				e->key = key;
				e->first = c;
				e->count = 1;
				e->next = 0;
				break;
			}
			if (e->key == key) {
				const mml_dnode *f = &t->n[e->first];
				if (mode == DT_REP_FIELD ||
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
		dt_rep *e = &tab[(size_t)d->index];
		d->index = e->count > 1 ? (int32_t)e->next++ : -1;
	}
}

void dt_repeat_index(mml_dtree *t, uint32_t parent, int mode)
{
	if (parent >= t->count)
		return;
	const mml_dnode *p = &t->n[parent];
	if (p->nchildren < 2)
		return;
	if (mode == DT_REP_FIELD && rep_fields(t, p)) /* fast paths: increasing field numbers; all below 64 */
		return;
	if (p->nchildren <= 8)
		rep_few(t, p, mode);
	else
		rep_hash(t, p, mode);
}

/* ---- names, readings ---- */

#define TX MML_DKP_TEXT
#define SH MML_DKP_SHOWN
#define NU MML_DKP_NUMBER
#define CO MML_DKP_CONTAINER
#define RE MML_DKP_RECORD
#define KE MML_DKP_KEYED
#define ST MML_DKP_STEP
const mml_dkind_info mml_dkinds[MML_DK_COUNT] = {
	[MML_DK_ROOT] = {"root", CO | ST, MML_DF_NONE},
	[MML_DK_MSG] = {"msg", CO | RE, MML_DF_PB},
	[MML_DK_VARINT] = {"varint", NU, MML_DF_NONE},
	[MML_DK_FIXED32] = {"fixed32", NU, MML_DF_NONE},
	[MML_DK_FIXED64] = {"fixed64", NU, MML_DF_NONE},
	[MML_DK_PACKED] = {"packed", CO, MML_DF_NONE},
	[MML_DK_STRING] = {"string", TX | SH, MML_DF_NONE},
	[MML_DK_BYTES] = {"bytes", 0, MML_DF_NONE},
	[MML_DK_JSON_OBJ] = {"json_obj", CO | RE, MML_DF_JSON},
	[MML_DK_JSON_ARR] = {"json_arr", CO, MML_DF_JSON},
	[MML_DK_JSON_STR] = {"json_str", TX | SH | KE, MML_DF_JSON},
	[MML_DK_JSON_NUM] = {"json_num", TX | SH | NU | KE, MML_DF_JSON},
	[MML_DK_JSON_LIT] = {"json_lit", SH, MML_DF_JSON},
	[MML_DK_XML_ELEM] = {"xml_elem", TX | SH | CO | RE | KE, MML_DF_XML},
	[MML_DK_XML_ATTR] = {"xml_attr", TX | SH | KE, MML_DF_NONE},
	[MML_DK_URL] = {"url", SH | CO | RE, MML_DF_URL},
	[MML_DK_URL_PARAM] = {"url_param", TX | SH | KE, MML_DF_NONE},
	[MML_DK_CSV] = {"csv", CO | RE, MML_DF_CSV},
	[MML_DK_CSV_CELL] = {"csv_cell", TX | SH, MML_DF_NONE},
	[MML_DK_WRAP] = {"wrap", CO | ST, MML_DF_NONE},
};
#undef TX
#undef SH
#undef NU
#undef CO
#undef RE
#undef KE
#undef ST

const char *mml_dkind_name(mml_dkind k) { return (unsigned)k < MML_DK_COUNT ? mml_dkinds[k].name : "?"; }

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

/* ---- metadata ---- */

static uint32_t ensure_root(mml_dtree *t)
{
	if (!t->count) {
		dt_begin(t, 0);
		if (dt_add(t, MML_DNONE, MML_DK_ROOT) == MML_DNONE)
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

/* A metadata node of `kind` under the root, named a (or "a.b"); MML_DNONE when none was made. */
static uint32_t meta_node(mml_dtree *t, mml_dkind kind, const char *a, const char *b)
{
	if (ensure_root(t) == MML_DNONE)
		return MML_DNONE;
	uint32_t len = 0;
	const char *nm = copy_name(t, a, b, &len);
	if (!nm)
		return MML_DNONE;
	uint32_t i = dt_add(t, 0, kind);
	if (i == MML_DNONE)
		return i;
	mml_dnode *d = dt_node(t, i);
	d->flags |= MML_DN_META;
	d->name = nm;
	d->name_len = len;
	return i;
}

mml_err mml_decode_meta_url(mml_dtree *t, const char *name, const char *q, size_t n)
{
	if (!t || !name || (!q && n))
		return MML_E_ARG;
	uint32_t u = meta_node(t, MML_DK_URL, name, NULL);
	if (u != MML_DNONE) {
		dt_node(t, u)->fmt = MML_DF_URL;
		uint8_t *copy = n ? da_alloc(t, n) : NULL; /* the query's text need not outlive the call */
		if (copy && dt_work(t, n)) {
			memcpy(copy, q, n);
			tx_url_params(t, u, copy, n);
		}
	}
	return dt_nomem(t) ? MML_E_NOMEM : MML_OK;
}

mml_err mml_decode_meta_uint(mml_dtree *t, const char *group, const char *name, uint64_t v)
{
	if (!t || !group || !name)
		return MML_E_ARG;
	uint32_t i = meta_node(t, MML_DK_VARINT, group, name);
	if (i != MML_DNONE)
		dt_node(t, i)->u = v;
	return dt_nomem(t) ? MML_E_NOMEM : MML_OK;
}
