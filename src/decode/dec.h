/*
 * src/decode/dec.h - private interface shared by the files of the decode
 * module (stage 5). Not installed, not used outside src/decode/.
 *
 * Contract: every builder appends nodes to the tree in document order
 * (dn_add), so the array is the tree in pre-order and a node's subtree
 * is contiguous. Nothing is built before the format is known to parse
 * (each format validates first), so no node is ever taken back. Node
 * pointers are re-fetched after every dn_add (the array may move). Every
 * pass over input bytes is charged to the work budget first (dl_work);
 * a refused charge leaves the value as a leaf. Bytes the decoder makes
 * (unescaped, percent-decoded, base64/hex-decoded, inflated) live in the
 * tree's arena (da_alloc), whose addresses are stable until reset.
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

/* ---- tree.c: limits, nodes, arena, repeat indexes ---- */

typedef struct dx_seg {
	const uint8_t *p;
	uint32_t len;
	uint8_t cdata, ent;
} dx_seg;
typedef struct dx_name {
	const uint8_t *p;
	size_t len;
} dx_name;
#define DX_MAX_NAMES 256

/* The private part of a tree (tree.c owns it). */
typedef struct dblk {
	struct dblk *next;
	size_t cap, used;
	uint8_t data[];
} dblk;

typedef struct rep_ent {
	uint32_t key;   /* field number, or name hash */
	uint32_t first; /* first node with this key (names are compared through it) */
	uint32_t count, next;
} rep_ent;

struct mml_darena {
	dblk *head, *cur;
	size_t total;      /* bytes handed out for this body */
	uint32_t *last;    /* last child of each node (alloc = tree alloc) */
	rep_ent *rep;
	size_t rep_cap;
	dx_seg *segs;
	size_t segs_cap;
	dx_name names[DX_MAX_NAMES];
	size_t segs_used;
	unsigned names_used;
	uint32_t *pos;     /* delimiter positions of records being split (a stack) */
	size_t pos_cap, pos_used;
	void *z;          /* z_stream */
	int zmode;         /* window bits the stream was set up with; 0 none */
	uint8_t *zbuf;
	size_t zcap;
	uint64_t work_cap; /* effective work budget of this body */
	bool nomem;
};


/* Start a body: reset the tree and set the work budget for n body bytes. */
void dt_begin(mml_dtree *t, size_t n);
/* An allocation failed since the last reset. */
bool dt_nomem(const mml_dtree *t);
void dl_hit(mml_dtree *t, const char *limit);
/* Charge n examined bytes to the work budget; false (limit "work") when over. */
bool dl_work_slow(mml_dtree *t, size_t n);
static inline bool dl_work(mml_dtree *t, size_t n)
{
	if (t->arena && t->work + n <= t->arena->work_cap) {
		t->work += n;
		return true;
	}
	return dl_work_slow(t, n);
}
/* May a node at `depth` have children? false (limit "depth") when not. */
static inline bool dl_depth(mml_dtree *t, unsigned depth)
{
	if (depth <= t->lim.max_depth)
		return true;
	dl_hit(t, "depth");
	return false;
}
/* true once a limit that stops all further decoding (nodes, memory) was hit */
static inline bool dl_stopped(mml_dtree *t)
{
	if (!t->arena || t->arena->nomem)
		return true;
	if (t->count < t->lim.max_nodes)
		return false;
	dl_hit(t, "nodes"); /* asked with input left: something is cut */
	return true;
}

static inline mml_dnode *dn(mml_dtree *t, uint32_t i) { return &t->n[i]; }
/* Mark a node's children as cut short by a limit. */
static inline void dn_cut(mml_dtree *t, uint32_t i)
{
	if (i != MML_DNONE && i < t->count)
		t->n[i].flags |= MML_DN_CUT;
}
/* Room for one more node (grows the arrays); false on a limit or no memory. */
bool dn_room(mml_dtree *t, uint32_t parent);

/* Append a node under parent (MML_DNONE: the root). MML_DNONE on a limit. */
static inline uint32_t dn_add(mml_dtree *t, uint32_t parent, mml_dkind kind)
{
	struct mml_darena *a = t->arena;
	if ((t->count >= t->alloc || !a || a->nomem || t->count >= t->lim.max_nodes) && !dn_room(t, parent))
		return MML_DNONE;
	uint32_t i = t->count++;
	mml_dnode *d = &t->n[i];
	memset(d, 0, sizeof *d);
	d->parent = parent;
	d->first_child = MML_DNONE;
	d->next = MML_DNONE;
	d->kind = (uint8_t)kind;
	d->index = -1;
	a->last[i] = MML_DNONE;
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

/* Repeat indexes among the children of `parent` that share a key. */
enum { DR_FIELD, DR_NAME_XML, DR_NAME_URL };
void dn_repeat_index(mml_dtree *t, uint32_t parent, int mode);

/* Arena: bump allocation in chained blocks, stable addresses. */
uint8_t *da_alloc(mml_dtree *t, size_t n);
/* Give back the tail of the latest allocation p (alloc'd n, used m <= n). */
void da_trim(mml_dtree *t, uint8_t *p, size_t n, size_t m);
typedef struct da_mark {
	void *blk;
	size_t used, total;
} da_mark;
da_mark da_mark_get(const mml_dtree *t);
void da_release(mml_dtree *t, da_mark m);

/* Scratch owned by the tree (reused): a growable byte buffer and XML stacks. */
dx_seg *dx_segs(mml_dtree *t, size_t need); /* room for `need` segments, NULL on failure */
size_t *dx_segs_used(mml_dtree *t);          /* segments in use (nested XML parses stack up) */
uint32_t *dx_pos(mml_dtree *t, size_t need); /* room for `need` record delimiter positions */
dx_name *dx_names(mml_dtree *t); /* DX_MAX_NAMES entries */
unsigned *dx_names_used(mml_dtree *t);
/* zlib: a z_stream kept across bodies; output into scratch, capped. */
int dz_inflate(mml_dtree *t, const uint8_t *in, size_t n, bool gzip, size_t cap, const uint8_t **out,
               size_t *outlen, size_t *used_in);
enum { DZ_FAIL = 0, DZ_OK = 1, DZ_CAPPED = 2, DZ_NOMEM = 3 };

/* ---- text.c: byte classes, text summary, the embedded-format dispatch ---- */

/* Bits 1-7 are MML_TC_DIGIT ... MML_TC_DOT (decode.h), for tc_pack (text.c). */
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
extern const uint32_t dt_cls[256];

/* What a byte string is as text. */
typedef struct tsum {
	uint32_t cls;     /* OR of dt_cls of every byte (up to `len`) */
	size_t len;       /* text length, trailing NULs excluded */
	size_t nulpad;    /* trailing NULs */
	uint8_t text;     /* TS_* */
} tsum;
enum { TS_NO = 0, TS_TEXT = 1, TS_WEAK = 2 /* printable, but starts with \t \n \r */ };
void dt_summary(const uint8_t *p, size_t n, tsum *s);

/*
 * The value s[0..n) of node `holder` is text: open the format it holds
 * (JSON, XML, URL, delimited record, base64, hex), adding one child with
 * flag EMBED. `sum` may be NULL. force: a MML_DF_* to try regardless of
 * plausibility (0: detect).
 */
void dt_embed(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, const tsum *sum, int force);

/* Percent-decode s once (rounds = 1) or until it stops changing (rounds > 1). */
bool dt_pct(mml_dtree *t, const uint8_t *s, size_t n, int rounds, const uint8_t **out, size_t *outlen);

/* URL and delimited records (text.c). */
bool dt_url(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, const tsum *sum, bool force);
uint32_t dt_url_params(mml_dtree *t, uint32_t url, const uint8_t *q, size_t n);
bool dt_csv(mml_dtree *t, uint32_t holder, const uint8_t *s, size_t n, const tsum *sum, bool force);

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
/* Read p[0..n) as what it most plausibly is, as one new child of parent. */
void pb_blob(mml_dtree *t, uint32_t parent, const uint8_t *p, size_t n, bool root);

/* Code point cp as UTF-8 into o (room for 4 bytes); returns the length (JSON and XML escapes). */
size_t dt_put_utf8(uint8_t *o, uint32_t cp);

#endif
