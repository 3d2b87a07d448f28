/*
 * mmlens/attrib.h - stage 7 (analyze): who receives a message, and for
 * which feature. Maps an API path (exact or prefix) and/or a host to a
 * (party, feature) pair; data/attribution.tsv is built into the binary and
 * a user file extends it. Format and reasoning: docs/ATTRIBUTION.md.
 *
 * Contract: an mml_attrib is immutable after loading and may be shared by
 * threads for lookups. Party and feature names handed out are static.
 * The caller owns the struct (mml_attrib_init / mml_attrib_free).
 */
#ifndef MMLENS_ATTRIB_H
#define MMLENS_ATTRIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmlens/err.h"

/* Who receives the data (docs/ATTRIBUTION.md). */
typedef enum mml_party {
	MML_PARTY_WECHAT = 0,   /* WeChat, the service for non-mainland accounts */
	MML_PARTY_WEIXIN,       /* features the policy says Weixin operates (Search, Channels) */
	MML_PARTY_MINIPROGRAM,  /* a Mini Program's developer (third party, by appid) */
	MML_PARTY_THIRDPARTY,   /* anyone else */
	MML_PARTY__COUNT
} mml_party;

/* The feature a message serves; also a policy statement's context. */
typedef enum mml_feature {
	MML_FEAT_UNKNOWN = -2,  /* a message whose API is unknown or unattributed: never a statement's context */
	MML_FEAT_ANY = -1,      /* policy context "any" */
	MML_FEAT_MESSAGING = 0,
	MML_FEAT_MOMENTS,
	MML_FEAT_SEARCH,
	MML_FEAT_MINIPROGRAMS,
	MML_FEAT_PEOPLE_NEARBY,
	MML_FEAT_TELEMETRY,
	MML_FEAT_AUTH,
	MML_FEAT_CONFIGURATION,
	MML_FEAT_CONTACTS,
	MML_FEAT_PAYMENTS,
	MML_FEAT_CHANNELS,
	MML_FEAT_LOCATION,
	MML_FEAT_PUSH,
	MML_FEAT_OTHER,
	MML_FEAT__COUNT
} mml_feature;

/* Names <-> values. *_name never returns NULL ("?" when out of range;
 * MML_FEAT_ANY is "any", MML_FEAT_UNKNOWN "unknown"). *_parse returns
 * false for an unknown name, and for "any" and "unknown". */
const char *mml_party_name(mml_party p);
bool mml_party_parse(const char *s, size_t n, mml_party *out);
const char *mml_feature_name(mml_feature f);
bool mml_feature_parse(const char *s, size_t n, mml_feature *out);

/* Who received a message, and for which feature (docs/ATTRIBUTION.md). */
typedef struct mml_recv {
	const char *api;        /* the catalog's or the URI's API, else one a body wrapper names; NULL: unknown */
	bool api_from_body;     /* api was named inside the body ({"cgiName": ...}) */
	bool attributed;        /* the API is known and an attribution row matched it */
	mml_party party;        /* the row's party; for an unattributed message the host's row, else WeChat */
	mml_feature feature;    /* the row's feature; MML_FEAT_UNKNOWN when not attributed */
	int64_t req_type;       /* the request type, -1 */
	const char *host;       /* NULL: not known (plaintext logs) */
} mml_recv;

typedef struct mml_attrib_row {
	char *api;              /* NULL: any API */
	char *host;             /* NULL: any host; lowercase */
	bool api_prefix;        /* api ended with '*' (stored without it) */
	bool host_suffix;       /* host started with "*." (stored as ".suffix") */
	mml_party party;
	mml_feature feature;
	uint32_t order;         /* load order: a later row wins a tie */
} mml_attrib_row;

typedef struct mml_attrib {
	mml_attrib_row *row;
	size_t n, alloc;
	size_t bad_lines;       /* lines skipped by every parse so far */
} mml_attrib;

void mml_attrib_init(mml_attrib *a);
void mml_attrib_free(mml_attrib *a);
/* Rows from text (`name` labels diagnostics). Bad lines are reported via
 * diag ("name:LINE: ...") and skipped; only MML_E_NOMEM/MML_E_LIMIT fail. */
mml_err mml_attrib_parse(mml_attrib *a, const char *text, size_t n, const char *name, mml_diag_fn diag,
                         void *dctx);
mml_err mml_attrib_load(mml_attrib *a, const char *path, mml_diag_fn diag, void *dctx);
/* The built-in data/attribution.tsv. */
mml_err mml_attrib_load_builtin(mml_attrib *a);

/* The most specific row matching (api, host); either may be NULL. Exact
 * API beats a longer prefix beats a shorter prefix beats host-only; then
 * an exact host beats a suffix beats any; on a tie the later row wins.
 * Returns false (party/feature untouched) when nothing matches. */
bool mml_attrib_lookup(const mml_attrib *a, const char *api, const char *host, mml_party *party,
                       mml_feature *feature);

/*
 * A caller-owned memo in front of mml_attrib_lookup, for a stream of
 * messages that mostly repeat a few (api, host) pairs: a direct-mapped
 * table of copies of the strings (pairs longer than the slots are looked
 * up every time). Same answers as mml_attrib_lookup. One memo per
 * thread; zero it (or mml_attrib_memo_init) before use and after the map
 * changes.
 */
#define MML_ATTRIB_MEMO 64
typedef struct mml_attrib_memo_ent {
	bool valid, found;
	mml_party party;
	mml_feature feature;
	char api[112];
	char host[64];
} mml_attrib_memo_ent;
typedef struct mml_attrib_memo {
	mml_attrib_memo_ent e[MML_ATTRIB_MEMO];
} mml_attrib_memo;
void mml_attrib_memo_init(mml_attrib_memo *m);
bool mml_attrib_lookup_memo(const mml_attrib *a, mml_attrib_memo *m, const char *api, const char *host,
                            mml_party *party, mml_feature *feature);

/*
 * The receiver of a message (docs/ATTRIBUTION.md, "Unknown APIs"): with
 * a known API and a matching row, that row's party and feature
 * (attributed); otherwise unattributed, the feature unknown, and the
 * party the host's row gives (WeChat when there is none: every message of
 * the app reaches one of WeChat's front ends). a and m may be NULL.
 */
void mml_attrib_recv(const mml_attrib *a, mml_attrib_memo *m, const char *api, const char *host, int64_t req_type,
                     mml_recv *r);
/* The party the map's API rows give feature f most often (WeChat when none):
 * who receives f at WeChat's front ends, for a message whose API is unknown. */
mml_party mml_attrib_feature_party(const mml_attrib *a, mml_feature f);

#endif
