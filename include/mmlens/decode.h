/*
 * mmlens/decode.h - stage 5: schemaless decoding of a message body into a
 * tree of fields, with every embedded format opened, recursively.
 *
 * Formats parsed (docs/FORMATS.md, "Decoded bodies"):
 *  - protobuf wire format, all wire types (varint, fixed64, length-
 *    delimited, groups, fixed32): https://protobuf.dev/programming-guides/encoding/
 *    A length-delimited field is tried as a message, then packed, then
 *    string, then bytes, chosen by whole consumption and plausibility
 *    (printable UTF-8 text is a STRING unless it starts with a tab/LF/CR
 *    key byte and parses as a message; an empty value is an empty STRING
 *    with ALT_MSG; text followed by NULs is a STRING without them, flag
 *    NUL_PAD); the readings that were also possible are kept in `flags`.
 *  - inside string/bytes: JSON (RFC 8259, and WeChat's variant with ';'
 *    between members), XML (elements, attributes, CDATA), URL-encoded
 *    pairs and URLs with a query (percent-decoding repeated), delimiter-
 *    separated records (',', '|', ';'), base64 (RFC 4648, std and url
 *    alphabets), hex, zlib (RFC 1950) and gzip (RFC 1952).
 *
 * Contract:
 *  - The tree is a flat array of nodes in document order (pre-order: a
 *    parent comes before its children, a subtree is contiguous). Node
 *    0 is the root; its first child is what the body was read as (MSG,
 *    STRING, BYTES, or a WRAP for a zlib/gzip body), then any metadata
 *    nodes. A STRING/BYTES/text node may have one child with flag EMBED:
 *    the format found inside its value. Node values are views: into the
 *    caller's body, or into the tree's arena for bytes the decoder
 *    produced (unescaped, percent-decoded, base64-decoded, inflated;
 *    metadata queries are copied there too). The body and the tree
 *    must outlive any use of a node; `mml_dtree_reset` invalidates all
 *    nodes but keeps the memory for the next message.
 *  - No allocation per field: nodes and arena grow geometrically and are
 *    reused across messages.
 *  - Limits (depth, nodes, arena bytes, work, inflate) are checked
 *    everywhere; when one is hit the tree so far is kept, `limit_hit`
 *    names the first limit hit and the node whose children were cut has
 *    flag CUT. The work limit bounds the time a body takes by its size:
 *    every pass over bytes, and every byte an inflate step produces, is
 *    charged to a budget proportional to the body.
 *    Decoding never fails on bad input: what does not parse is a BYTES or
 *    STRING leaf.
 *
 * Field paths (`mml_dtree_path`), docs/FORMATS.md "Field paths":
 *   protobuf `1.2`, repeated `4[7].2`; packed element `5:packed[3]`;
 *   JSON `2:json.events[3].page_path`; XML `2.5:xml.softtype.k22`,
 *   attribute `...MODEL@name`; URL pairs `11:url.hash`; delimited
 *   record `3:csv[11]`; decoding steps `:base64`, `:hex`, `:zlib`,
 *   `:gzip`, followed by what they hold (`:pb.1.2` for a protobuf
 *   message found inside a wrapper); a body that is not protobuf starts
 *   with its format's name, without ':' (`json.a`, `zlib:pb.1`);
 *   metadata roots `query.uin`, `header.uin`.
 */
#ifndef MMLENS_DECODE_H
#define MMLENS_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmlens/err.h"

#define MML_DNONE UINT32_MAX

typedef enum mml_dkind {
	MML_DK_ROOT = 0,  /* the body; its children are what it was read as */
	MML_DK_MSG,       /* protobuf message (a field read as one, or a root/wrapped message) */
	MML_DK_VARINT,    /* u = value; zigzag reading = (u >> 1) ^ -(u & 1) */
	MML_DK_FIXED32,   /* u = the 32 bits (little-endian); float reading: mml_dnode_f32 */
	MML_DK_FIXED64,   /* u = the 64 bits; double reading: mml_dnode_f64 */
	MML_DK_PACKED,    /* length-delimited read as packed scalars; children are elements */
	MML_DK_STRING,    /* text: valid UTF-8, printable */
	MML_DK_BYTES,     /* anything else */
	MML_DK_JSON_OBJ,
	MML_DK_JSON_ARR,
	MML_DK_JSON_STR,  /* val = unescaped text */
	MML_DK_JSON_NUM,  /* val = the number's text */
	MML_DK_JSON_LIT,  /* true/false/null; val = the literal */
	MML_DK_XML_ELEM,  /* val = the element's own text (CDATA included), trimmed */
	MML_DK_XML_ATTR,  /* val = the attribute value, entities decoded */
	MML_DK_URL,       /* key=value&... (or a URL; val = the URL up to '?') */
	MML_DK_URL_PARAM, /* name = key, val = value percent-decoded */
	MML_DK_CSV,       /* a delimited record; u = the delimiter character */
	MML_DK_CSV_CELL,  /* val = the cell, percent-decoded when it was encoded */
	MML_DK_WRAP,      /* a decoding step (fmt says which); val = decoded bytes; one child */
} mml_dkind;

/* The format a node's children are in, for WRAP/ROOT nodes: what the step was. */
typedef enum mml_dfmt {
	MML_DF_NONE = 0,
	MML_DF_PB,
	MML_DF_JSON,
	MML_DF_XML,
	MML_DF_URL,
	MML_DF_CSV,
	MML_DF_BASE64,
	MML_DF_HEX,
	MML_DF_ZLIB,
	MML_DF_GZIP,
} mml_dfmt;

/* Byte classes of a node's text (mml_dnode.tcls), for detection: what
 * the decoder found in a CSV cell's bytes when it looked at them. */
enum {
	MML_TC_KNOWN = 1u << 0, /* the bits below are known; the text has no space, tab, CR, LF, NUL or control byte */
	MML_TC_DIGIT = 1u << 1, /* 0-9 */
	MML_TC_ALPHA = 1u << 2, /* A-Z a-z */
	MML_TC_SLASH = 1u << 3, /* '/' */
	MML_TC_AT = 1u << 4,    /* '@' */
	MML_TC_PIPE = 1u << 5,  /* '|' */
	MML_TC_COMMA = 1u << 6, /* ',' */
	MML_TC_DOT = 1u << 7,   /* '.' */
	MML_TC_OTHER = 1u << 8, /* any other byte */
};

/* Node flags: other readings that were possible, and states. */
enum {
	MML_DN_ALT_STRING = 1u << 0, /* a MSG/PACKED whose bytes are also plausible text */
	MML_DN_ALT_MSG = 1u << 1,    /* a STRING/BYTES that also parses as a message */
	MML_DN_ALT_PACKED = 1u << 2, /* also parses as packed varints */
	MML_DN_PACKED_F32 = 1u << 3, /* PACKED elements are fixed32 */
	MML_DN_PACKED_F64 = 1u << 4, /* PACKED elements are fixed64 */
	MML_DN_GROUP = 1u << 5,      /* a MSG from a start/end group pair (wire types 3/4) */
	MML_DN_CUT = 1u << 6,        /* children cut short by a limit */
	MML_DN_META = 1u << 7,       /* a metadata node (query/header), not from the body */
	MML_DN_NUL_PAD = 1u << 8,    /* STRING: text followed by NUL padding; val excludes the NULs, u = their count */
	MML_DN_EMBED = 1u << 9,      /* first node of a format embedded in its parent's value (path ":json", ...) */
	MML_DN_TRAILING = 1u << 10,  /* the format ended before the value did; the rest was ignored */
};

typedef struct mml_dnode {
	uint32_t parent;       /* MML_DNONE for the root */
	uint32_t first_child;  /* MML_DNONE for a leaf */
	uint32_t next;         /* next sibling, MML_DNONE at the end */
	uint32_t nchildren;
	uint8_t kind;          /* mml_dkind */
	uint8_t fmt;           /* mml_dfmt: WRAP/ROOT step, or the format a leaf belongs to */
	uint8_t wire;          /* protobuf wire type of a protobuf field */
	uint8_t depth;         /* 0 at the root */
	uint16_t flags;        /* MML_DN_* */
	uint16_t tcls;         /* MML_TC_*: byte classes of the text, when the decoder saw them (CSV cells); 0 unknown */
	uint32_t field;        /* protobuf field number; array/column/element index */
	int32_t index;         /* repeat index among same-keyed siblings; -1 when the key occurs once */
	const char *name;      /* JSON key, XML element/attribute name, URL key, meta name; else NULL */
	uint32_t name_len;
	uint32_t val_len;
	const uint8_t *val;    /* value bytes: raw field bytes for length-delimited pb fields, text for text formats */
	uint64_t u;            /* varint/fixed bits; CSV delimiter */
} mml_dnode;

typedef struct mml_decode_limits {
	uint32_t max_depth;    /* nesting, all formats together (default 32) */
	uint32_t max_nodes;    /* nodes per body (default 262144) */
	size_t max_arena;      /* decoded bytes per body (default 16 MiB) */
	size_t max_inflate;    /* output of one zlib/gzip step (default 1 MiB) */
	uint64_t max_work;     /* bytes examined (and inflated) per body, all attempts counted (default 64 x body + 64 KiB) */
} mml_decode_limits;

/* One decoded body. Plain struct; init/free own the arrays. */
typedef struct mml_dtree {
	mml_dnode *n;
	uint32_t count, alloc;
	struct mml_darena *arena;  /* private: chained blocks, stable addresses */
	mml_decode_limits lim;
	const char *limit_hit;     /* NULL, or the limit that cut the tree ("depth", "nodes", "arena", "work", "inflate") */
	uint64_t work;
} mml_dtree;

/* lim NULL: defaults. */
void mml_dtree_init(mml_dtree *t, const mml_decode_limits *lim);
void mml_dtree_free(mml_dtree *t);
void mml_dtree_reset(mml_dtree *t);

/*
 * Decode one body into t (reset first). The root is node 0 (kind ROOT);
 * its child is the body read as protobuf, or as the embedded format it
 * is, or a BYTES/STRING leaf. Returns MML_OK, or MML_E_NOMEM.
 */
mml_err mml_decode_body(mml_dtree *t, const uint8_t *p, size_t n);

/*
 * Decode p[0..n) as one given format at the root (MML_DF_PB, _JSON, _XML,
 * _URL, _CSV, _BASE64, _HEX, _ZLIB, _GZIP), with everything inside it
 * decoded as usual. For the fuzz harnesses and tests of one format.
 */
mml_err mml_decode_as(mml_dtree *t, mml_dfmt fmt, const uint8_t *p, size_t n);

/*
 * Metadata next to the body, added as extra children of the root (flag
 * META), so detectors see them like body fields:
 *  - mml_decode_meta_url(t, "query", q, n): a URL query, path `query.uin`
 *    (q is copied: it need not outlive the call);
 *  - mml_decode_meta_uint(t, "header", "uin", v): path `header.uin`.
 */
mml_err mml_decode_meta_url(mml_dtree *t, const char *name, const char *q, size_t n);
mml_err mml_decode_meta_uint(mml_dtree *t, const char *group, const char *name, uint64_t v);

/* Field path of node i into buf (NUL-terminated, cut at cap); returns the full length. */
size_t mml_dtree_path(const mml_dtree *t, uint32_t i, char *buf, size_t cap);

/*
 * The path visitor: node d's own segment of its field path (the grammar
 * above, in this one place). mml_dtree_path prints the segments of a
 * node and its ancestors, root first; detect hashes them, normalised
 * (without repeat indexes and JSON array positions). A segment is, in
 * this order:
 *   fmt    a format boundary, printed ":fmt" (no ':' at the start of a
 *          path): an embedded format (":json", ":xml", ":url", ":csv",
 *          ":base64", ":zlib"...), ":packed", a message inside a step ":pb"
 *   sep    '.' or '@' before the name or number: printed only when the
 *          path so far is not empty, unless sep_always (the '.' of JSON
 *          keys and XML names, the '@' of attributes)
 *   name   a key, element, attribute or metadata name (name_len bytes, any
 *          byte; printed with control bytes as %XX), or NULL
 *   num    a protobuf field number, when has_num
 *   index  "[index]" when ix is not MML_DSEG_IX_NONE and index >= 0: a
 *          repeat index (IX_REPEAT; -1 when the key occurs once) or a
 *          JSON array position (IX_ARRAY), which normalised paths leave
 *          out, or the position of a packed element or a record cell
 *          (IX_POS), which they keep
 * The root, and a node whose parent's kind has no members, have an
 * empty segment.
 */
enum { MML_DSEG_IX_NONE, MML_DSEG_IX_REPEAT, MML_DSEG_IX_ARRAY, MML_DSEG_IX_POS };
typedef struct mml_dseg {
	const char *fmt;
	const char *name;
	uint32_t name_len;
	uint32_t num;
	int64_t index;
	char sep;
	bool sep_always;
	bool has_num;
	uint8_t ix;
} mml_dseg;
/* The format name a node found inside its parent's value (flag EMBED) shows in paths: "json", "xml", "pb", "base64"... */
const char *mml_dnode_embed_name(const mml_dnode *d);

static inline void mml_dpath_seg(const mml_dtree *t, const mml_dnode *d, mml_dseg *s)
{
	*s = (mml_dseg){.index = -1};
	if (d->kind == MML_DK_ROOT)
		return;
	if (d->flags & MML_DN_META) {
		s->sep = '.';
		s->name = d->name;
		s->name_len = d->name_len;
		return;
	}
	if (d->flags & MML_DN_EMBED) {
		s->fmt = mml_dnode_embed_name(d);
		if (d->kind == MML_DK_XML_ELEM) {
			s->sep = '.';
			s->sep_always = true;
			s->name = d->name;
			s->name_len = d->name_len;
			s->ix = MML_DSEG_IX_REPEAT;
			s->index = d->index;
		}
		return;
	}
	if (d->parent == MML_DNONE)
		return;
	switch ((mml_dkind)t->n[d->parent].kind) {
	case MML_DK_MSG:
		s->sep = '.';
		s->has_num = true;
		s->num = d->field;
		s->ix = MML_DSEG_IX_REPEAT;
		s->index = d->index;
		break;
	case MML_DK_PACKED:
		s->fmt = "packed";
		s->ix = MML_DSEG_IX_POS;
		s->index = d->field;
		break;
	case MML_DK_JSON_OBJ: /* ".key" */
	case MML_DK_XML_ELEM: /* ".child", "@attribute" */
	case MML_DK_URL:      /* "key", ".key" */
		s->sep = d->kind == MML_DK_XML_ATTR ? '@' : '.';
		s->sep_always = t->n[d->parent].kind != MML_DK_URL;
		s->name = d->name;
		s->name_len = d->name_len;
		s->ix = MML_DSEG_IX_REPEAT;
		s->index = d->index;
		break;
	case MML_DK_JSON_ARR:
		s->ix = MML_DSEG_IX_ARRAY;
		s->index = d->field;
		break;
	case MML_DK_CSV:
		s->ix = MML_DSEG_IX_POS;
		s->index = d->field;
		break;
	case MML_DK_WRAP:
		if (d->kind == MML_DK_MSG)
			s->fmt = "pb";
		break;
	default:
		break;
	}
}

static inline const mml_dnode *mml_dtree_node(const mml_dtree *t, uint32_t i)
{
	return i < t->count ? &t->n[i] : NULL;
}
float mml_dnode_f32(const mml_dnode *d);
double mml_dnode_f64(const mml_dnode *d);
static inline int64_t mml_dnode_zigzag(const mml_dnode *d)
{
	return (int64_t)(d->u >> 1) ^ -(int64_t)(d->u & 1);
}
/*
 * What each node kind is: the one table every predicate on node kinds
 * reads (decode's views and builders, detect's walk), mml_dkinds[kind]
 * for kind < MML_DK_COUNT.
 */
#define MML_DK_COUNT ((unsigned)MML_DK_WRAP + 1)
enum {
	MML_DKP_TEXT = 1u << 0,      /* val is text: STRING, JSON_STR, JSON_NUM, XML_ELEM, XML_ATTR, URL_PARAM, CSV_CELL */
	MML_DKP_SHOWN = 1u << 1,     /* the views print val as text: the TEXT kinds, JSON_LIT, URL (the part before '?') */
	MML_DKP_NUMBER = 1u << 2,    /* a number: VARINT, FIXED32, FIXED64, JSON_NUM */
	MML_DKP_CONTAINER = 1u << 3, /* its children are its parts (ROOT, MSG, PACKED, JSON_OBJ, JSON_ARR, XML_ELEM,
	                              * URL, CSV, WRAP); a text node's one child is what its value holds (flag EMBED) */
	MML_DKP_RECORD = 1u << 4,    /* members by name or number: MSG, JSON_OBJ, XML_ELEM, URL, CSV */
	MML_DKP_KEYED = 1u << 5,     /* a value its key name says the meaning of: JSON_STR, JSON_NUM, XML_ELEM,
	                              * XML_ATTR, URL_PARAM */
	MML_DKP_STEP = 1u << 6,      /* fmt says what its children were read as: ROOT, WRAP */
};
typedef struct mml_dkind_info {
	const char *name; /* mml_dkind_name */
	uint8_t props;    /* MML_DKP_* */
	uint8_t fmt;      /* the format a node of this kind opens when it is embedded (its path ":json", ":pb"...);
	                   * MML_DF_NONE: the node's own fmt says */
} mml_dkind_info;
extern const mml_dkind_info mml_dkinds[MML_DK_COUNT];

static inline bool mml_dkind_is(unsigned kind, unsigned props)
{
	return kind < MML_DK_COUNT && (mml_dkinds[kind].props & props);
}
/* Whether the node's value is text (val/val_len): strings, JSON strings
 * and numbers, XML text and attributes, URL parameters, delimited cells. */
static inline bool mml_dnode_is_text(const mml_dnode *d) { return mml_dkind_is(d->kind, MML_DKP_TEXT); }
const char *mml_dkind_name(mml_dkind k);
const char *mml_dfmt_name(mml_dfmt f);

/* Write the tree as JSON (one object, nested) or as an indented text view. */
#include <stdio.h>

#include "mmlens/util.h"
void mml_dtree_write_json(const mml_dtree *t, FILE *f);
/* The JSON as one value into the writer w (util.h), e.g. a member's. */
void mml_dtree_write_jw(const mml_dtree *t, mml_jw *w);
void mml_dtree_write_text(const mml_dtree *t, FILE *f);

#endif
