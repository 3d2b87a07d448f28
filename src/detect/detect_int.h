/*
 * detect_int.h - internals shared by the files of the detect module
 * (stage 6). Not a public header: only src/detect/ includes it.
 *
 * Files: taxonomy.c (the category table), values.c and words.c (value
 * validators and word lists), checks.c (checks by name), keys.c (key-name
 * semantics), fields.c (field layouts, data/fields.tsv), known.c (--known
 * values and their forms), patterns.c (the Vectorscan database),
 * coords.c (coordinate pairs), walk.c (per-node tables, the text scan),
 * rules.c, rules_ctx.c and rules_content.c (the detectors),
 * values_content.c (checks of written content, media, places from
 * context), detect.c (entry points, the run, the output).
 * docs/TAXONOMY.md describes what they detect.
 */
#ifndef MMLENS_DETECT_INT_H
#define MMLENS_DETECT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmlens/detect.h"
#include "mmlens/util.h"

/* ---- taxonomy.c ---- */
#define TAX_MAX 64
/* Index of a taxonomy id, -1 when unknown. Thread-safe (parsed once). */
int tax_index(const char *id);
int tax_index_n(const char *id, size_t n);
const char *tax_id(int idx);
/* Index of a well-known category, resolved once (aborts the build of a
 * detector when the built-in taxonomy lacks it: see detect.c). */
enum {
	C_ACCOUNT, C_DEVICE_ID, C_PUSH, C_THIRDPARTY, C_DEVINFO, C_CARRIER, C_IP, C_WIFI, C_NETTYPE, C_COORD,
	C_PLACE, C_LOCALE, C_MP_ID, C_MP_ACT, C_MP_REQ, C_SEARCH, C_MESSAGE, C_POST, C_COMMENT, C_NAME, C_CONTACTS,
	C_TEL_UI, C_TEL_APP, C_IDENTITY, C_MEDIA, C_ADDRESSEE, C__COUNT
};
extern int cat_ix[C__COUNT];
bool tax_resolve_builtin(char *errbuf, size_t errcap);

/* ---- values.c: validators. Each returns VAL_NO, VAL_OK or VAL_PLACEHOLDER. ---- */
enum { VAL_NO = 0, VAL_OK = 1, VAL_PLACEHOLDER = 2 };
typedef struct vstr {
	const char *p;
	size_t n;
} vstr;

bool v_luhn(const char *s, size_t n);
int v_imei(vstr v);           /* 15 digits Luhn, 14-hex MEID, placeholders */
int v_mac(vstr v);            /* aa:bb:cc:dd:ee:ff (or '-'), unicast OUI; 02:00:00:00:00:00 placeholder */
int v_ipv4(vstr v);           /* dotted quad; 0.0.0.0 placeholder */
int v_ipv6(vstr v);
int v_ip(vstr v);
int v_phone(vstr v);          /* E.164 +CC..., or 7-15 digits with separators when keyed */
int v_email(vstr v);
int v_appid(vstr v);          /* wx + 16 hex */
int v_mpuser(vstr v);         /* gh_ + 12 hex + @app */
int v_wxid(vstr v);           /* wxid_..., or a custom WeChat id */
int v_chatroom(vstr v);       /* digits@chatroom */
int v_sysaccount(vstr v);     /* weixin, filehelper, ...: not personal */
int v_uin(vstr v);            /* decimal 5..10 digits, not 0 */
int v_uin_num(uint64_t u);
int v_devid(vstr v);          /* WeChat device id: A + 15 hex (optionally with trailing NULs), or 16 hex */
int v_androidid(vstr v);      /* 16 lowercase hex with a letter */
int v_hexid(vstr v);          /* an id of 8..64 hex digits (placeholders: all one char) */
int v_uuid(vstr v);
int v_pushtoken(vstr v);      /* FCM registration token */
int v_nettype(vstr v);        /* wifi, 4g, 5g, WIFI, ... */
int v_lang(vstr v);           /* en, zh_CN, zh-Hans, ... */
int v_region(vstr v);         /* US, CN, ... */
int v_timezone(vstr v);       /* Area/City, +08:00, -8.00, GMT+8 */
int v_devtype(vstr v);        /* android-34, iPhone, ... */
int v_useragent(vstr v);
int v_pagepath(vstr v);       /* Mini Program page or subpackage path */
int v_url(vstr v);            /* http(s)://host/... */
int v_text(vstr v);           /* non-empty, not a placeholder word */
int v_name(vstr v);           /* a display name: text, no markup, <= 64 bytes */
int v_place(vstr v);          /* a place name: capitalised words or CJK */
int v_mccmnc(vstr v);
int v_apn(vstr v);
int v_carrier_name(vstr v);   /* a known operator name */
int v_ssid(vstr v);
int v_uiclass(vstr v);        /* LauncherUI, ChattingUI, ... */
int v_viewpath(vstr v);       /* LinearLayout|FrameLayout|DecorView */
int v_mpapi(vstr v);          /* request, getLocation, webapi_..., scope.userLocation */
int v_lifecycle(vstr v);      /* resume, pause, foreground, background */
int v_digits(vstr v, size_t lo, size_t hi);
int v_osver(vstr v);          /* 14, 12.1, Android 14 */
int v_screen(vstr v);         /* 1080, 1080x2400 */
int v_fingerprint(vstr v);    /* brand/product/device:ver/id/inc:type/tags */
int v_cpu(vstr v);            /* arm64-v8a, fp asimd ..., qcom */
int v_tzoffset(vstr v);
bool v_is_placeholder_word(vstr v);
/* values_content.c */
int v_digest(vstr v);         /* 32, 40 or 64 hex: a media MD5/SHA-1/SHA-256 */
int v_fileid(vstr v);         /* a media or file id: aupimg_<hex>_<ms>, CDN hex ids, numeric media ids */
int v_mime_media(vstr v);     /* image/..., video/..., audio/... */
int v_media_ref(vstr v);      /* a URL or a storage path with a long opaque segment */
int v_content_text(vstr v);   /* message, post or comment text: not empty, not a <msg>/<sysmsg>/<?xml envelope */
int v_place_ctx(vstr v);      /* a place by shape alone: Latin v_place, CJK only with a place suffix */
/* Trim trailing NULs and surrounding spaces. */
/* v without trailing NULs and blanks (space, tab, CR, LF) and without leading blanks; inline: the per-node pass calls it */
static inline vstr v_trim(vstr v)
{
	while (v.n && (v.p[v.n - 1] == 0 || v.p[v.n - 1] == ' ' || v.p[v.n - 1] == '\t' || v.p[v.n - 1] == '\n' ||
	               v.p[v.n - 1] == '\r'))
		v.n--;
	while (v.n && (v.p[0] == ' ' || v.p[0] == '\t' || v.p[0] == '\n' || v.p[0] == '\r'))
		v.p++, v.n--;
	return v;
}

/* ---- checks by name (fields.tsv "check" column and key tables) ---- */
typedef enum vcheck {
	CK_ANY = 0, CK_TEXT, CK_NAME, CK_UIN, CK_WXID, CK_DEVID, CK_IMEI, CK_ANDROIDID, CK_MAC, CK_IP, CK_PHONE,
	CK_EMAIL, CK_APPID, CK_MPUSER, CK_MPID, CK_PUSH, CK_NETTYPE, CK_LANG, CK_REGION, CK_TZ, CK_DEVTYPE, CK_UA,
	CK_PAGE, CK_URL, CK_PLACE, CK_MCCMNC, CK_APN, CK_CARRIER, CK_SSID, CK_UUID, CK_HEXID, CK_DIGITS, CK_OSVER,
	CK_SCREEN, CK_FPRINT, CK_CPU, CK_CONTACT, CK_COORD_LATLON, CK_COORD_LONLAT, CK_MPAPI, CK_MESSAGE, CK_ID,
	CK_TZOFFSET, CK_USERID, CK_QUERY, CK_DEVIDTS, CK_CARRIERNAME, CK_BASEREQ, CK_DIGEST, CK_FILEID, CK__COUNT
} vcheck;
const char *ck_name(vcheck c);
int ck_parse(const char *s, size_t n); /* -1 unknown */
/* Run a check on a text value. */
int ck_text(vcheck c, vstr v);

/* ---- keys.c: key-name semantics ---- */
typedef struct keyrule {
	int8_t cat;      /* C_* */
	uint8_t check;   /* vcheck */
	uint8_t flags;   /* KF_* */
	uint8_t conf;    /* percent */
} keyrule;
enum {
	KF_REQUEST_ONLY = 1, /* names: only in what the client sends */
	KF_MP_CONTEXT = 2,   /* only next to a Mini Program appid */
	KF_LAT = 4,          /* a latitude key */
	KF_LON = 8,          /* a longitude key */
	KF_EVENT = 16,       /* a UI-event measure: only in an object with a page key */
	KF_PAGE = 32,        /* a page key */
};
void keys_init(void);
void words_init(void);
/* walk.c: its tables (after words_init, which it calls) */
void walk_init(void);
enum { W_PLACEHOLDER = 1, W_SYS = 2, W_NET = 4, W_NET_PH = 8, W_MPAPI = 16, W_LIFE = 32 };
int words_tag(vstr v); /* W_* bits of an exact (listed) word */
extern uint8_t words_wmax[256];   /* per case-folded first byte: the longest listed word (words_init) */
extern uint8_t words_cfirst[256]; /* per byte: may an operator brand start with it? (words_init) */
static inline bool words_carrier_first(int c) { return words_cfirst[(unsigned char)c] != 0; }
/* The rule of a key name (case- and separator-insensitive), or NULL. */
const keyrule *keys_lookup(const char *name, size_t n);

/* ---- fields.c: field layouts ---- */
typedef struct lay_table lay_table;
enum { LAY_SUPPRESS = -2 };
typedef struct lay_hit {
	int cat;          /* a taxonomy index, or LAY_SUPPRESS */
	uint8_t check;    /* vcheck */
	uint8_t conf;     /* percent */
	uint8_t guard_up; /* struct rules: levels up to the struct's root */
	uint8_t guard;    /* the struct's signature check (CK_BASEREQ), 0 none */
	const char *det;  /* detector name (interned in the table) */
} lay_hit;
lay_table *lay_new(void);
void lay_free(lay_table *t);
/* Parse fields.tsv text into t (later lines override); *bad counts bad lines. */
mml_err lay_parse(lay_table *t, const char *text, size_t n, const char *name, mml_diag_fn diag, void *dctx,
                  unsigned *bad);
/* Expand struct placements; call once after every lay_parse. */
mml_err lay_finish(lay_table *t);
/* kv row rules (selector kv:LOGID): a column of the rows with that log id. */
typedef struct lay_kvrule {
	uint64_t logid;
	uint32_t order;
	uint16_t col;   /* the column, csv[col] */
	uint8_t dir;    /* 0 req, 1 resp, 2 any */
	lay_hit hit;
} lay_kvrule;
bool lay_kv_any(const lay_table *t);
/* The rules of rows with this log id, sorted by column (*n of them), or NULL. */
const lay_kvrule *lay_kv_find(const lay_table *t, uint64_t logid, size_t *n);
/* The (selector, direction) keys of a message, and those with rules. */
typedef struct lay_sel {
	uint64_t k[6];
	uint8_t local[6]; /* 1: has full-path rules, 2: has local rules */
	int n;
} lay_sel;
void lay_selectors(const mml_detect_msg *m, lay_sel *s);
int lay_active(const lay_table *t, const lay_sel *in, lay_sel *out);
/* The rule for a node, by the hash of its normalised full path and of
 * its path from the last format boundary, or NULL. */
const lay_hit *lay_find(const lay_table *t, const lay_sel *s, uint64_t hfull, uint64_t hlocal, bool has_local);
uint64_t lay_hash_init(void);
/* The 65536-bit filter of rule path hashes (lay_find's first test). */
const uint64_t *lay_filter(const lay_table *t);
/* The same filter of every rule path's part before a '[': a node whose path
 * hashes pass no test of it has no child "[n]" (a record's cells) with a
 * rule (lay_maybe(pfilter, hash of the node) false). */
const uint64_t *lay_pfilter(const lay_table *t);
static inline bool lay_maybe(const uint64_t *filt, uint64_t hfull, uint64_t hlocal, bool has_local)
{
	return (filt[(hfull >> 6) & 1023] >> (hfull & 63) & 1) ||
	       (has_local && (filt[(hlocal >> 6) & 1023] >> (hlocal & 63) & 1));
}
/* path hashes: h = h * LAY_HB + byte + 1 (fields.c has the tables) */
#define LAY_HB 0x100000001b3ull
extern uint64_t lay_num_h[4096], lay_idx_h[4096], lay_pw[8];
extern uint8_t lay_num_len[4096];
uint64_t lay_hash_num_slow(uint64_t h, uint64_t v);
uint64_t lay_hash_idx_slow(uint64_t h, uint64_t v);
static inline uint64_t lay_hash_add(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = h * LAY_HB + b[i] + 1;
	return h;
}
/* append a number's decimal digits */
static inline uint64_t lay_hash_num(uint64_t h, uint64_t v)
{
	return v < 4096 ? h * lay_pw[lay_num_len[v]] + lay_num_h[v] : lay_hash_num_slow(h, v);
}
/* append "[v]" */
static inline uint64_t lay_hash_idx(uint64_t h, uint64_t v)
{
	return v < 4096 ? h * lay_pw[lay_num_len[v] + 2] + lay_idx_h[v] : lay_hash_idx_slow(h, v);
}
void lay_hash_setup(void);

/* ---- known.c ---- */
typedef struct known_set known_set;
typedef struct known_val {
	char *name, *value;
	int cat;          /* C_* of the name */
	bool coord;
	double lat, lon;
	bool isnum;       /* all digits: also matched against protobuf varints */
	uint64_t num;
} known_val;
known_set *known_new(void);
void known_free(known_set *k);
mml_err known_add(known_set *k, const char *name, const char *value);
size_t known_count(const known_set *k);
const known_val *known_get(const known_set *k, size_t i);
known_set *known_clone(const known_set *k);
/* The literal forms to add to the pattern database: form i of value j. */
typedef struct known_form {
	uint32_t val;      /* index of the known value */
	uint8_t form;      /* KFORM_* */
	bool caseless;
	uint8_t *lit;      /* literal bytes */
	size_t len;
} known_form;
enum {
	KFORM_PLAIN, KFORM_CASEFOLD, KFORM_HEX, KFORM_BASE64, KFORM_URL, KFORM_MD5, KFORM_SHA1, KFORM_SHA256,
	KFORM_NEAR, KFORM__COUNT
};
const char *kform_name(int f);
/* Build the forms (after every known_add). */
mml_err known_build(known_set *k);
size_t known_nforms(const known_set *k);
const known_form *known_form_at(const known_set *k, size_t i);
/* Raw digests of bytes leaves: the form matching p[0..n) exactly, or NULL. */
const known_form *known_binary(const known_set *k, const uint8_t *p, size_t n);
/* The first known coordinate within tol degrees, or -1. */
int known_near(const known_set *k, double lat, double lon);
/* The first known value equal to a varint, or -1 (known_nums: how many are numbers). */
int known_number(const known_set *k, uint64_t v);
size_t known_nums(const known_set *k);
int known_cat_for_name(const char *name);

/* ---- patterns.c ---- */
enum {
	P_WXID, P_CHATROOM, P_APPID, P_MPUSER, P_PHONE, P_EMAIL, P_PUSH, P_UA, P_UA2, P_NICK_KV, P__COUNT
};
typedef struct pat_db pat_db;
pat_db *pat_new(const known_set *k, char *errbuf, size_t errcap);
void pat_free(pat_db *d);
/* Scratch for one thread. */
void *pat_scratch_new(const pat_db *d);
void pat_scratch_free(void *s);
/* Scan buf; fn gets (pattern id, from, to); ids >= P__COUNT are known forms (id - P__COUNT). */
typedef int (*pat_fn)(unsigned id, unsigned long long from, unsigned long long to, void *ctx);
int pat_scan(const pat_db *d, void *scratch, const uint8_t *buf, size_t n, pat_fn fn, void *ctx);

/* ---- coords.c ---- */
typedef struct coord {
	double lat, lon;
	bool placeholder;
	bool plausible;
} coord;
/* Decide the order of a pair (a, b) read in field order: lat_first is the
 * convention of the container (double pairs, text, JSON: latitude first;
 * float32 pairs: longitude first, as WeChat writes them). Returns false
 * when neither order is a position. */
bool coord_pair(double a, double b, bool lat_first, coord *c);
/* "lat,lon", "lat/lon" text; false when not a pair of decimals. */
bool coord_text(const char *p, size_t n, double *a, double *b);
/* Parse a decimal number (the whole text). */
bool coord_num(const char *p, size_t n, double *v);
int coord_format(char *buf, size_t cap, double lat, double lon);


/* ---- the run (detect.c, walk.c, rules.c) ---- */

/* Per-node shape bits of a text leaf (walk.c classify()). */
enum {
	SH_APPID = 1u << 0,
	SH_MPUSER = 1u << 1,
	SH_WXID = 1u << 2,
	SH_CHATROOM = 1u << 3,
	SH_MAC = 1u << 4,
	SH_ANDROIDID = 1u << 5,
	SH_DEVID = 1u << 6,
	SH_IMEI_PH = 1u << 7,   /* an IMEI placeholder (1234567890ABCDEF) */
	SH_NETTYPE = 1u << 8,
	SH_UICLASS = 1u << 9,
	SH_VIEWPATH = 1u << 10,
	SH_UA = 1u << 11,
	SH_PAGE = 1u << 12,
	SH_URL = 1u << 13,
	SH_MPAPI = 1u << 14,
	SH_LIFECYCLE = 1u << 15,
	SH_MCCMNC = 1u << 16,
	SH_CARRIER = 1u << 17,
	SH_GHOA = 1u << 18,     /* an official account: gh_ + 12 hex */
	SH_PUSH = 1u << 19,
	SH_PHONE = 1u << 20,
	SH_EMAIL = 1u << 21,
	SH_COORDTXT = 1u << 22,
	SH_APN = 1u << 23,
	SH_TEXTY = 1u << 24,    /* free text: letters and spaces, not an id */
	SH_PLACE = 1u << 25,
	SH_MACPH = 1u << 26,    /* MAC placeholder */
	SH_DEVID_PH = 1u << 27,
	SH_DECIMAL = 1u << 28,  /* a decimal number with 3+ fraction digits */
	SH_MIME = 1u << 29,     /* a media MIME type: image/..., video/..., audio/... */
	SH_MPID = SH_APPID | SH_MPUSER,
};

/* Per-node flags. */
enum {
	NF_NONEMPTY = 1u << 0, /* the path up to and including this node is not empty */
	NF_LOCAL = 1u << 1,    /* there was a format boundary on the way */
	NF_TEXT = 1u << 2,     /* a text value (leaf or element text) */
	NF_LEAF = 1u << 3,     /* in the scan buffer */
	NF_SUPPRESS = 1u << 4, /* a layout says: nothing personal here */
	NF_CLAIMED = 1u << 5,  /* a layout decided this node */
	NF_USED = 1u << 6,     /* consumed by a structural detector (pair member) */
	NF_PAT = 1u << 7,      /* some substring pattern matched in it */
	NF_HASFIXED = 1u << 8, /* a message with float32/double children */
	NF_LATLON = 1u << 9,   /* a container with a latitude or longitude key among its children */
	NF_FIX = 1u << 10,     /* holds a coordinate finding */
	NF_CHILDFIX = 1u << 11,/* a child holds a coordinate finding */
	NF_LAYCAND = 1u << 12, /* a path hash passes the layout filter (lay_find may hit) */
	NF_BUSY = 1u << 13,    /* rules_node may do something here (walk_prepare, for mml_detect_run) */
	NF_STRUCT = 1u << 14,  /* a container rules_struct looks at */
};

typedef struct dfind {
	uint32_t node;
	int16_t cat;      /* taxonomy index */
	int16_t known;    /* known value index, -1 */
	uint8_t kform;
	bool placeholder;
	float conf;
	const char *det;
	const char *vp;   /* value view; NULL: in the scratch value buffer at voff */
	uint32_t voff, vlen;
	uint32_t next;    /* next finding of the same node, MML_DNONE */
} dfind;

typedef struct smatch {
	uint32_t id, leaf;
	uint32_t from, to; /* offsets in the leaf; from is exact for --known literals only */
} smatch;

struct mml_detect {
	lay_table *lay;
	known_set *known;
	pat_db *pat;
};

struct mml_detect_scratch {
	const mml_detect *d;
	void *hs;
	uint32_t ncap;
	uint64_t *hf, *hl;
	uint32_t *nfl;      /* NF_* */
	uint32_t *shape;    /* SH_* */
	uint32_t *kor;      /* OR of the children's SH_* */
	uint32_t *first;    /* first finding of a node */
	struct dleaf {
		uint32_t node, off;
	} *leaf;
	size_t nleaf, leafcap;
	uint8_t *text;
	size_t ntext, textcap;
	dfind *f;
	size_t nf, fcap;
	uint32_t qf[16];    /* the first search-query findings of the body (rules_is_query) */
	size_t nq;
	char *vals;
	size_t nvals, valcap;
	smatch *m;
	size_t nm, mcap;
	struct dkvrow {     /* records that are kv rows with rules (walk_prepare) */
		uint32_t node;
		uint64_t logid;
	} *kvrow;
	size_t nkvrow, kvrowcap;
	uint64_t *seen;     /* emitted (category, path) hashes */
	size_t seencap;
	bool nomem;
	bool all_hashes;    /* walk_prepare hashes every node's path (tests); else not a cell's no rule can have */
	char path[MML_PATH_MAX];
};

typedef struct drun {
	const mml_detect *d;
	mml_detect_scratch *s;
	const mml_dtree *t;
	const mml_detect_msg *m;
	lay_sel sel;
	bool request;
} drun;

/* detect.c */
uint32_t dr_add(drun *r, uint32_t node, int cat, const char *det, double conf, int val, const char *vp, size_t vlen);
uint32_t dr_addf(drun *r, uint32_t node, int cat, const char *det, double conf, int val, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
bool dr_has(const drun *r, uint32_t node, int cat);
/* walk.c */
bool walk_prepare(drun *r);
void walk_scan(drun *r);
uint32_t classify(vstr v);
/* The same, with the text's MML_TC_* classes when known (mml_dnode.tcls, 0 not known). */
uint32_t classify_k(vstr v, unsigned tcls);
vstr node_text(const mml_dtree *t, uint32_t i);
/* The log id of a kv row: the record csv sits in protobuf field F whose
 * sibling just before it is a varint field F-1 (walk.c). */
bool kv_row_logid(const mml_dtree *t, uint32_t csv, uint64_t *logid);
/* rules.c, rules_ctx.c, rules_content.c */
void rules_node(drun *r, uint32_t i);
/* Apply a layout rule to node i (fields.tsv semantics: '-' silences, a passing check claims). */
void rules_layout(drun *r, uint32_t i, const lay_hit *h);
/* kv row layouts (before the per-node rules: they claim their cells). */
void rules_kv(drun *r);
/* A record's media references: the cell before a media MIME type (csv.media). */
void rules_media_row(drun *r, uint32_t i);
/* Is v the value of a search.query finding of this body? */
bool rules_is_query(const drun *r, vstr v);
void rules_struct(drun *r, uint32_t i);
void rules_matches(drun *r);
bool mp_context(const drun *r, uint32_t i);

#endif
