/*
 * src/decode/dec.h - private interface shared by the files of the decode
 * module (stage 5). Not installed, not used outside src/decode/.
 *
 * Files and their prefixes (a private name's prefix says its file):
 *   tree.c   dt_  the tree: nodes, limits and the work budget, repeat indexes
 *   arena.c  da_  decoded bytes (arena), scratch stacks, the zlib stream
 *   embed.c  de_  the one dispatcher: what a value holds (and the entry points)
 *   pb.c     pb_  protobuf wire format
 *   text.c   tx_  byte classes, percent-decoding, URL pairs, delimited records
 *   json.c   dj_  JSON
 *   xml.c    dx_  XML
 *   wrap.c   dw_  base64, hex, zlib/gzip steps
 *   path.c   (public only) field paths; write.c (public only) the views
 *
 * Contract: every builder appends nodes to the tree in document order
 * (dt_add), so the array is the tree in pre-order and a node's subtree
 * is contiguous. Nothing is built before the format is known to parse
 * (each format validates first), so no node is ever taken back. Node
 * pointers are re-fetched after every dt_add (the array may move). Every
 * pass over input bytes is charged to the work budget first (dt_work);
 * a refused charge leaves the value as a leaf. Bytes the decoder makes
 * (unescaped, percent-decoded, base64/hex-decoded, inflated) live in the
 * tree's arena (da_alloc), whose addresses are stable until reset. What
 * a value holds is decided in embed.c only: the format parsers hand it
 * every value whose content they do not know (de_text, de_field, de_blob).
 */
#ifndef MMLENS_DECODE_DEC_H
#define MMLENS_DECODE_DEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mmlens/cursor.h"
#include "mmlens/decode.h"
#include "mmlens/util.h"

/* ---- the private part of a tree (struct mml_darena; arena.c and tree.c) ---- */

/* An XML text piece (xml.c's scratch stack). */
typedef struct da_seg {
	const uint8_t *p;
	uint32_t len;
	uint8_t cdata, ent;
} da_seg;
/* An open XML element's name (xml.c's scratch stack). */
typedef struct da_name {
	const uint8_t *p;
	size_t len;
} da_name;
#define DA_MAX_NAMES 256

typedef struct da_blk {
	struct da_blk *next;
	size_t cap, used;
	uint8_t data[];
} da_blk;

/* A repeat-index hash table entry (tree.c). */
typedef struct dt_rep {
	uint32_t key;   /* field number, or name hash */
	uint32_t first; /* first node with this key (names are compared through it) */
	uint32_t count, next;
} dt_rep;

struct mml_darena {
	da_blk *head, *cur;
	size_t total;      /* bytes handed out for this body */
	uint32_t *last;    /* last child of each node (tree.c; capacity last_cap) */
	size_t last_cap;
	dt_rep *rep;       /* tree.c */
	size_t rep_cap;
	da_seg *segs;
	size_t segs_cap;
	da_name names[DA_MAX_NAMES];
	size_t segs_used;
	unsigned names_used;
	uint32_t *pos;     /* delimiter positions of records being split (a stack) */
	size_t pos_cap, pos_used;
	void *z;           /* z_stream */
	int zmode;         /* window bits the stream was set up with; 0 none */
	uint8_t *zbuf;
	size_t zcap;
	uint64_t work_cap; /* effective work budget of this body */
	bool nomem;
};

/* ---- tree.c: the tree, limits, nodes, repeat indexes ---- */

/* Start a body: reset the tree and set the work budget for n body bytes. */
void dt_begin(mml_dtree *t, size_t n);
/* An allocation failed since the last reset. */
bool dt_nomem(const mml_dtree *t);
void dt_hit(mml_dtree *t, const char *limit);
/* Charge n examined bytes to the work budget; false (limit "work") when over. */
bool dt_work_slow(mml_dtree *t, size_t n);
static inline bool dt_work(mml_dtree *t, size_t n)
{
	if (t->arena && t->work + n <= t->arena->work_cap) {
		t->work += n;
		return true;
	}
	return dt_work_slow(t, n);
}
/* The work budget left (bytes that may still be examined). */
static inline uint64_t dt_work_left(const mml_dtree *t)
{
	return t->arena && t->work < t->arena->work_cap ? t->arena->work_cap - t->work : 0;
}
/* May a node at `depth` have children? false (limit "depth") when not. */
static inline bool dt_depth(mml_dtree *t, unsigned depth)
{
	if (depth <= t->lim.max_depth)
		return true;
	dt_hit(t, "depth");
	return false;
}
/* true once a limit that stops all further decoding (nodes, memory) was hit */
static inline bool dt_stopped(mml_dtree *t)
{
	if (!t->arena || t->arena->nomem)
		return true;
	if (t->count < t->lim.max_nodes)
		return false;
	dt_hit(t, "nodes"); /* asked with input left: something is cut */
	return true;
}

static inline mml_dnode *dt_node(mml_dtree *t, uint32_t i) { return &t->n[i]; }
/* Mark a node's children as cut short by a limit. */
static inline void dt_cut(mml_dtree *t, uint32_t i)
{
	if (i != MML_DNONE && i < t->count)
		t->n[i].flags |= MML_DN_CUT;
}
/* Room for one more node (grows the arrays); false on a limit or no memory. */
bool dt_room(mml_dtree *t, uint32_t parent);

/* Append a node under parent (MML_DNONE: the root). MML_DNONE on a limit. */
static inline uint32_t dt_add(mml_dtree *t, uint32_t parent, mml_dkind kind)
{
	struct mml_darena *a = t->arena;
	if ((t->count >= t->alloc || !a || a->nomem || t->count >= t->lim.max_nodes) && !dt_room(t, parent))
		return MML_DNONE;
	uint32_t i = t->count++;
	mml_dnode *d = &t->n[i];
	memset(d, 0, sizeof *d);
	d->parent = parent;
	d->first_child = MML_DNONE;
	d->next = MML_DNONE;
	d->kind = (uint8_t)kind;
	d->index = -1;
	a->last[i] = MML_DNONE; // NOLINT(clang-analyzer-core.NullDereference): dt_room() is false without an arena
	if (parent != MML_DNONE) {
		mml_dnode *p = &t->n[parent];
		d->depth = p->depth < 255 ? (uint8_t)(p->depth + 1) : 255;
		if (a->last[parent] == MML_DNONE)
			p->first_child = i;
		else
			t->n[a->last[parent]].next = i;
		a->last[parent] = i;
		p->nchildren++;
	}
	return i;
}

/* dt_add, and the node's format and field (number, index, column). */
static inline uint32_t dt_add_at(mml_dtree *t, uint32_t parent, mml_dkind kind, mml_dfmt fmt, uint32_t field)
{
	uint32_t i = dt_add(t, parent, kind);
	if (i != MML_DNONE) {
		t->n[i].fmt = (uint8_t)fmt;
		t->n[i].field = field;
	}
	return i;
}

/* Repeat indexes among the children of `parent` that share a key. */
enum { DT_REP_FIELD, DT_REP_XML, DT_REP_URL };
void dt_repeat_index(mml_dtree *t, uint32_t parent, int mode);

/* ---- arena.c: decoded bytes, scratch, zlib ---- */

/* Bump allocation in chained blocks, stable addresses; NULL (limit "arena") when over. */
uint8_t *da_alloc(mml_dtree *t, size_t n);
/* Give back the tail of the latest allocation p (alloc'd n, used m <= n). */
void da_trim(mml_dtree *t, uint8_t *p, size_t n, size_t m);
typedef struct da_mark {
	void *blk;
	size_t used, total;
} da_mark;
da_mark da_mark_get(const mml_dtree *t);
void da_release(mml_dtree *t, da_mark m);
/* Forget everything allocated (mml_dtree_reset); free it all (mml_dtree_free). */
void da_reset(struct mml_darena *a);
void da_free(struct mml_darena *a);

/* Scratch owned by the tree (reused): XML stacks and record delimiter positions. */
da_seg *da_segs(mml_dtree *t, size_t need); /* room for `need` segments, NULL on failure */
size_t *da_segs_used(mml_dtree *t);          /* segments in use (nested XML parses stack up) */
uint32_t *da_pos(mml_dtree *t, size_t need); /* room for `need` record delimiter positions */
da_name *da_names(mml_dtree *t);             /* DA_MAX_NAMES entries */
unsigned *da_names_used(mml_dtree *t);
/* zlib: a z_stream kept across bodies; output into scratch, capped. */
int da_inflate(mml_dtree *t, const uint8_t *in, size_t n, bool gzip, size_t cap, const uint8_t **out,
               size_t *outlen, size_t *used_in);
enum { DA_Z_FAIL = 0, DA_Z_OK = 1, DA_Z_CAPPED = 2, DA_Z_NOMEM = 3 };

/* ---- text.c: byte classes, text summary, percent-decoding, URL, records ---- */

/* Bits 1-7 are MML_TC_DIGIT ... MML_TC_DOT (decode.h), for de_cell (embed.c). */
enum {
	TC_LOWER = 1u << 0,
	TC_DIGIT = 1u << 1,
	TC_ALPHA = 1u << 2,  /* A-Z a-z (with TC_LOWER or TC_UPPER) */
	TC_SLASH = 1u << 3,
	TC_AT = 1u << 4,     /* '@' (in no set of the decoder's: for detection, mml_dnode.tcls) */
	TC_PIPE = 1u << 5,
	TC_COMMA = 1u << 6,
	TC_DOT = 1u << 7,
	TC_UPPER = 1u << 8,
	TC_HEXL = 1u << 9,   /* a-f A-F */
	TC_NHLET = 1u << 10, /* g-z G-Z */
	TC_PLUS = 1u << 11,
	TC_MINUS = 1u << 12,
	TC_USCORE = 1u << 13,
	TC_EQ = 1u << 14,
	TC_AMP = 1u << 15,
	TC_PCT = 1u << 16,
	TC_SPACE = 1u << 17,
	TC_WS = 1u << 18,    /* \t \n \r */
	TC_CTRL = 1u << 19,  /* other C0, DEL */
	TC_NUL = 1u << 20,
	TC_HIGH = 1u << 21,  /* >= 0x80 */
	TC_SEMI = 1u << 22,
	TC_QMARK = 1u << 23,
	TC_COLON = 1u << 24,
	TC_BRACE = 1u << 25, /* { } [ ] */
	TC_LT = 1u << 26,
	TC_QUOTE = 1u << 27, /* " ' */
	TC_OTHER = 1u << 28, /* other punctuation */
};
_Static_assert((unsigned)TC_DIGIT == MML_TC_DIGIT && (unsigned)TC_ALPHA == MML_TC_ALPHA &&
                   (unsigned)TC_SLASH == MML_TC_SLASH && (unsigned)TC_AT == MML_TC_AT && (unsigned)TC_PIPE == MML_TC_PIPE &&
                   (unsigned)TC_COMMA == MML_TC_COMMA && (unsigned)TC_DOT == MML_TC_DOT,
               "TC_* bits 1-7 are the MML_TC_* bits");
#define TC_B64 \
	(TC_LOWER | TC_UPPER | TC_ALPHA | TC_DIGIT | TC_HEXL | TC_NHLET | TC_PLUS | TC_SLASH | TC_MINUS | TC_USCORE | TC_EQ)
#define TC_HEX (TC_LOWER | TC_UPPER | TC_ALPHA | TC_DIGIT | TC_HEXL)
extern const uint32_t tx_cls[256];

/* What a byte string is as text. */
typedef struct tsum {
	uint32_t cls;     /* OR of tx_cls of every byte (up to `len`) */
	size_t len;       /* text length, trailing NULs excluded */
	size_t nulpad;    /* trailing NULs */
	uint8_t text;     /* TS_* */
} tsum;
enum { TS_NO = 0, TS_TEXT = 1, TS_WEAK = 2 /* printable, but starts with \t \n \r */ };
void tx_summary(const uint8_t *p, size_t n, tsum *s);

/* Percent-decode s once (rounds = 1) or until it stops changing (rounds > 1). */
bool tx_pct(mml_dtree *t, const uint8_t *s, size_t n, int rounds, const uint8_t **out, size_t *outlen);

/* URL pairs and delimited records: the node under holder when s[0..n) is one (or forced). */
bool tx_url(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, const tsum *sum, bool force);
void tx_url_params(mml_dtree *t, uint32_t url, const uint8_t *q, size_t n); /* the pairs of q[0..n) under url */
bool tx_csv(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, const tsum *sum, bool force);

/* Code point cp as UTF-8 into o (room for 4 bytes); returns the length (JSON and XML escapes). */
size_t tx_put_utf8(uint8_t *o, uint32_t cp);

/* ---- json.c, xml.c ---- */
bool dj_try(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, bool force);
bool dx_try(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, bool force);

/* ---- wrap.c: base64, hex, zlib, gzip ---- */
bool dw_base64(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, const tsum *sum, bool force);
bool dw_hex(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, const tsum *sum, bool force);
/* zlib or gzip by magic; fmt 0 = either. */
bool dw_inflate(mml_dtree *t, uint32_t holder, const uint8_t *p, size_t n, int fmt, bool force);
bool dw_zmagic(const uint8_t *p, size_t n, int *fmt);

/* ---- pb.c: protobuf ---- */
typedef struct pb_scan {
	uint32_t nfields;
	uint32_t max_field;
	uint32_t nld; /* length-delimited fields */
	bool groups;
} pb_scan;
/* Flat check: p[0..n) is a whole protobuf message (groups matched). */
bool pb_check(const uint8_t *p, size_t n, pb_scan *s);
/* Plausible as a message on its own (not an accident of random bytes). */
bool pb_strong(const pb_scan *s);
/* Plausible as the content of an encoding (base64, hex): stricter. */
bool pb_meaningful(const pb_scan *s);
/* Packed scalars: the plausible reading of p[0..n) (PB_PK_*; elen: the varints' encoded length). */
enum { PB_PK_NONE, PB_PK_VARINT, PB_PK_F32, PB_PK_F64 };
int pb_packed_kind(const uint8_t *p, size_t n, size_t *elen);
/* Build: the elements of a packed reading; the fields of a checked message under `node`. */
void pb_packed_build(mml_dtree *t, uint32_t node, const uint8_t *p, size_t n, int pk);
void pb_msg_build(mml_dtree *t, uint32_t node, const uint8_t *p, size_t n);

/* ---- embed.c: the one dispatcher ---- */

/*
 * The value s[0..n) of node `holder` is text: open the format it holds
 * (JSON, XML, URL, delimited record, base64, hex), adding one child with
 * flag EMBED. `sum` may be NULL. force: a MML_DF_* to try regardless of
 * plausibility (0: detect).
 */
void de_text(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, const tsum *sum, int force);
/* A length-delimited protobuf value p[0..n) of `node`: string, message, packed or bytes. */
void de_field(mml_dtree *t, uint32_t node, const uint8_t *p, size_t n);
/* Bytes p[0..n) read as what they most plausibly are, as one new child of parent
 * (a body, or what a decoding step produced; root: a body, which is a message more readily). */
void de_blob(mml_dtree *t, uint32_t parent, const uint8_t *p, size_t n, bool root);
/* Decoded bytes plausibly what an encoding (base64, hex) was made for. */
bool de_plausible(mml_dtree *t, const uint8_t *p, size_t n);

/* The dispatcher's fast path for a record cell inside text the summary
 * covered whole (tx_csv, once per cell: inline), also setting the cell's
 * tcls; what needs a look goes to de_text. */
/* The MML_TC_* of text with byte classes cls: the TC_* bits 1-7 are the
 * MML_TC_* bits 1-7 (dec.h) */
static inline uint16_t tc_pack(uint32_t cls)
{
	const uint32_t named = TC_DIGIT | TC_LOWER | TC_UPPER | TC_ALPHA | TC_HEXL | TC_NHLET | TC_SLASH | TC_AT |
	                       TC_PIPE | TC_COMMA | TC_DOT;
	return (uint16_t)(MML_TC_KNOWN | (cls & 0xfe) | (cls & ~named ? MML_TC_OTHER : 0));
}

/* de_text(t, cell, v, n, NULL, 0) for a cell of text (see tx_csv): the
 * same charge, the same summary without tx_summary's checks. */
static inline void de_cell(mml_dtree *t, uint32_t cell, const uint8_t *v, size_t n)
{
	if (n < 2)
		return;
	if (dt_stopped(t)) {
		dt_cut(t, cell);
		return;
	}
	if (!dt_work(t, n))
		return;
	/* one accumulator: tx_csv keeps more of them in no register (a chain
	 * through memory) */
	uint32_t cls = 0;
	if (n >= 4) { /* four at a time, the last four overlapping the ones before */
		size_t i = 0;
		for (; i + 4 <= n; i += 4)
			cls |= (tx_cls[v[i]] | tx_cls[v[i + 1]]) | (tx_cls[v[i + 2]] | tx_cls[v[i + 3]]);
		const uint8_t *e = v + n - 4;
		cls |= (tx_cls[e[0]] | tx_cls[e[1]]) | (tx_cls[e[2]] | tx_cls[e[3]]);
	} else {
		for (size_t i = 0; i < n; i++)
			cls |= tx_cls[v[i]];
	}
	if (!(cls & (TC_SPACE | TC_WS | TC_NUL | TC_CTRL))) /* for detection (its shapes), free here */
		dt_node(t, cell)->tcls = tc_pack(cls);
	/* what de_text would surely leave alone: no '=' or delimiter, no JSON or
	 * XML start, and either spaces or a byte that is no base64 (nor hex) with
	 * not all of a URL's ':' '/' '?' */
	if (!(cls & (TC_EQ | TC_COMMA | TC_PIPE | TC_SEMI)) && v[0] != '{' && v[0] != '[' && v[0] != '<' &&
	    !(tx_cls[v[0]] & (TC_SPACE | TC_WS)) &&
	    ((cls & (TC_SPACE | TC_WS)) || ((cls & ~(uint32_t)TC_B64) && (cls & (TC_COLON | TC_SLASH | TC_QMARK)) !=
	                                                                   (TC_COLON | TC_SLASH | TC_QMARK))))
		return;
	tsum loc = {.cls = cls, .len = n, .nulpad = 0, .text = (tx_cls[v[0]] & TC_WS) ? TS_WEAK : TS_TEXT};
	de_text(t, cell, v, n, &loc, 0);
}

#endif
