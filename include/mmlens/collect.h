/*
 * mmlens/collect.h - stage 7 (analyze): from one message to what it says
 * and who received it (the inspector, src/analyze/inspect.c), and the
 * per-session collection of flows that `mmlens diff`, `audit`, `report`,
 * `answer` and `sessions --timeline` share (the collector,
 * src/analyze/collect.c). The commands only feed messages in.
 *
 * The one step from a message to its findings:
 *   mml_inspect_msg     classify the body (unreadable, empty, opaque,
 *                       decoded), decode it with its metadata joined
 *                       (`header.uin`, `query.*`), name its API (the
 *                       catalog's, else one a wrapper in the body names)
 *                       and attribute it (docs/ATTRIBUTION.md): party,
 *                       feature, or "API unknown"
 *   mml_inspect_detect  the detectors over that tree
 *
 * Contract: an inspector is one per thread and reuses its tree and
 * scratch for every message (memory bounded by the largest body); views
 * it hands out (tree, api) live until the next message. A collector runs
 * on one pipeline in input order (sessions need it); it holds the open
 * session's flow keys and at most one tentative session's, never the
 * messages.
 */
#ifndef MMLENS_COLLECT_H
#define MMLENS_COLLECT_H

#include <stdbool.h>
#include <stdint.h>

#include "mmlens/analyze.h"
#include "mmlens/attrib.h"
#include "mmlens/decode.h"
#include "mmlens/detect.h"
#include "mmlens/envelope.h"

/* ---- one message ---- */

typedef enum mml_body_kind {
	MML_BODY_UNREADABLE = 0, /* not opened: no key, authentication failed, truncated, ... */
	MML_BODY_EMPTY,          /* opened, and its body is empty */
	MML_BODY_OPAQUE,         /* a body that decodes to nothing but bytes (encrypted again, unknown format) */
	MML_BODY_DECODED,        /* a body read as protobuf, JSON, XML, ... */
} mml_body_kind;
const char *mml_body_kind_name(mml_body_kind k); /* "unreadable", "empty", "opaque", "decoded" */

/* A client-to-server message (captures know the direction; a log holds requests). */
bool mml_msg_is_request(const mml_msg *m);

/* mml_recv (who received a message) is in attrib.h. */


/*
 * What an input held, counted by the inspector (per thread, added up at
 * the end). Every message is in exactly one of unreadable, empty, opaque
 * and decoded. The request types behind empty and opaque bodies are kept
 * (the first MML_COUNT_TYPES, the rest summed), so a summary can say what
 * the input does not show and why.
 */
#define MML_COUNT_TYPES 24
typedef struct mml_type_count {
	int64_t req_type;
	char api[64];           /* its API when known ("" none; cut to 63 bytes) */
	bool auth;              /* an auth/registration request (its device fingerprint is in its body) */
	uint64_t empty, opaque;
} mml_type_count;

typedef struct mml_scan_counts {
	uint64_t messages;      /* messages seen */
	uint64_t decrypted;     /* ... opened by a key (MMTLS, the business layer) */
	uint64_t unreadable;    /* messages without a readable body (no key, ...) */
	uint64_t empty;         /* readable, with an empty body */
	uint64_t opaque;        /* readable, the body decodes to nothing but bytes */
	uint64_t bodies;        /* bodies decoded (empty ones included: their metadata is searched) */
	uint64_t body_bytes;
	uint64_t limit_hits;    /* bodies whose decode hit a limit */
	uint64_t findings;
	uint64_t unknown_api;   /* messages whose API no source names */
	uint64_t api_from_body; /* ... of which a body wrapper named it */
	uint64_t unattributed;  /* messages no attribution row matched */
	size_t ntypes;
	mml_type_count types[MML_COUNT_TYPES];
	uint64_t other_empty, other_opaque; /* beyond the table */
} mml_scan_counts;
void mml_scan_counts_add(mml_scan_counts *dst, const mml_scan_counts *src);

typedef struct mml_inspector {
	const mml_detect *det;       /* NULL: decode only */
	const mml_attrib *attrib;    /* NULL: every message is unattributed */
	mml_dtree tree;
	mml_detect_scratch *scr;
	mml_attrib_memo memo;
	mml_scan_counts counts;
	const mml_msg *m;            /* the message being inspected */
	bool has_tree;               /* its tree was built */
	bool split;                  /* sessions are followed (mml_inspector_sessions) */
	mml_sessions sess;
	mml_recv recv;
	char api_buf[96];            /* an API named by the body */
} mml_inspector;

mml_err mml_inspector_init(mml_inspector *in, const mml_detect *det, const mml_attrib *attrib);
void mml_inspector_free(mml_inspector *in);
/* Also follow the sessions (messages must then come in input order, one
 * pipeline): fn is told each as it closes; mml_inspector_finish closes
 * the last. */
void mml_inspector_sessions(mml_inspector *in, mml_session_fn fn, void *ctx);
void mml_inspector_finish(mml_inspector *in);
/*
 * Inspect m: classify, decode (readable messages only), attribute, count.
 * *tree gets the decoded tree (NULL for an unreadable message) and *r
 * the receiver (both valid until the next call). MML_E_NOMEM when the
 * tree could not be built (the message is then counted unreadable).
 */
mml_err mml_inspect_msg(mml_inspector *in, const mml_msg *m, const mml_dtree **tree, mml_recv *r,
                        mml_body_kind *kind);
/* The detectors over the tree of the last mml_inspect_msg (none when it had no tree). */
void mml_inspect_detect(mml_inspector *in, mml_finding_fn fn, void *ctx);

/* ---- the per-session collection ---- */

/* One finding, as the collection sees it. */
typedef struct mml_collect_finding {
	const mml_msg *m;
	const mml_finding *f;
	uint64_t session;   /* the session that will hold the message, 0: not decided yet
	                     * (the message follows a time jump the splitter has not confirmed) */
	bool has_ts;
	int64_t ts;         /* the message's time as its session sees it (capture time, else the body's) */
	const mml_recv *recv;
} mml_collect_finding;

/* One message, after its findings (tree NULL: no readable body). */
typedef struct mml_collect_message {
	const mml_msg *m;
	const mml_dtree *tree;
	mml_body_kind kind;
	uint64_t findings;
	bool has_ts;
	int64_t ts;
	const mml_recv *recv;
} mml_collect_message;

/* What one session held (the scalar counts of mml_scan_counts, from the
 * session's first message to its close). */
typedef struct mml_sess_counts {
	uint64_t messages, decrypted, unreadable, empty, opaque, unknown_api;
} mml_sess_counts;

typedef struct mml_collect_hook {
	void (*finding)(void *ctx, const mml_collect_finding *cf);  /* NULL: not wanted */
	void (*message)(void *ctx, const mml_collect_message *cm);  /* NULL: not wanted */
	void (*session)(void *ctx, const mml_session *s, const mml_flows *flows); /* as each closes */
	/* NULL: not wanted; else told just before session() what that session held */
	void (*session_counts)(void *ctx, const mml_session *s, const mml_sess_counts *c);
	void *ctx;
} mml_collect_hook;

typedef struct mml_collect_cfg {
	const mml_detect *det;
	const mml_attrib *attrib;
	uint64_t want;               /* the session merged into out: 0 every one, UINT64_MAX none */
	mml_flows *out;              /* NULL: nothing merged */
	const mml_collect_hook *hook;/* NULL: none */
	bool fixed;                  /* sessions only where mml_collect_cut says (series parts) */
} mml_collect_cfg;

typedef struct mml_collector mml_collector;

/* NULL when out of memory. */
mml_collector *mml_collect_new(const mml_collect_cfg *cfg);
void mml_collect_msg(mml_collector *c, const mml_msg *m);
/*
 * A boundary the caller knows: the next message starts a new session
 * (a series part, the next input). With cfg->fixed these are the only
 * boundaries and each closes one session, even one without a message
 * (mml_collect_finish closes the last); otherwise the splitter's own
 * come in addition and a cut before any message does nothing.
 */
void mml_collect_cut(mml_collector *c);
/* End of input: the last session closes. */
void mml_collect_finish(mml_collector *c);
uint64_t mml_collect_nsessions(const mml_collector *c);
bool mml_collect_nomem(const mml_collector *c);
const mml_scan_counts *mml_collect_counts(const mml_collector *c);
void mml_collect_free(mml_collector *c);

/*
 * Two sides compared (src/analyze/compare.c): a side is the flows of one
 * session (or several) with what is known of when and how it was
 * recorded; mml_compare reports each difference of mml_flows_diff with
 * its receivers on the side that sent it, the findings of that category
 * that reached Mini Program endpoints (party miniprogram, or WeChat's
 * Mini Program APIs), those whose API is unknown, and a caveat when the
 * sides were recorded days apart or by different app versions.
 */
typedef struct mml_side {
	const char *name;            /* "A", "B", or an input name */
	mml_flows flows;
	uint64_t nsessions, session; /* session: the one session, 0 when several */
	const mml_label *label;      /* the one session's label */
	uint64_t messages;
	bool has_ts;
	int64_t start_ts, end_ts;
	char app_version[16];
	bool versions_mixed;
	mml_scan_counts counts;      /* what the side's input held */
} mml_side;
void mml_side_init(mml_side *s, const char *name);
void mml_side_free(mml_side *s);
/* A session of the side closed (its times, app version, label). */
void mml_side_session(mml_side *s, const mml_session *ss, const mml_label *lb);
/* Findings of category cat (and its children) on the side; *mp of them at
 * Mini Program endpoints, *unknown_api with an unknown API. */
uint64_t mml_side_category(const mml_side *s, const char *cat, uint64_t *mp, uint64_t *unknown_api);

#define MML_DIFF_RECV 8
typedef struct mml_receiver {
	const char *api;             /* NULL: unknown, see req_type */
	int64_t req_type;
	mml_party party;
	mml_feature feature;
	bool attributed;
	uint64_t count;
} mml_receiver;
typedef struct mml_difference {
	const mml_diff_item *item;
	size_t nrecv;
	mml_receiver recv[MML_DIFF_RECV];
	bool more;
	uint64_t mp_endpoints;       /* findings of the category at Mini Program endpoints on that side */
	uint64_t unknown_api;        /* ... whose API is unknown (they could be anywhere) */
	const char *caveat;          /* NULL, or why this may not be an effect */
} mml_difference;
typedef struct mml_comparison {
	int64_t days_apart;          /* whole days between the sides' spans, -1 unknown */
	bool versions_differ;
	uint64_t differences;
} mml_comparison;
typedef void (*mml_difference_fn)(void *ctx, const mml_difference *d);
mml_err mml_compare(const mml_side *a, const mml_side *b, mml_difference_fn fn, void *ctx, mml_comparison *c);

/*
 * Messages several inputs share (src/analyze/overlap.c): feed each
 * input's messages after mml_overlap_input(o, i); mml_overlap_shared
 * counts the messages (request type and body, as multisets) inputs a and
 * b have in common. For commands given several inputs that are not a
 * cumulative series; 8 bytes per readable non-empty message.
 */
typedef struct mml_overlap mml_overlap;
mml_overlap *mml_overlap_new(void);
void mml_overlap_free(mml_overlap *o);
void mml_overlap_input(mml_overlap *o, size_t idx);
void mml_overlap_msg(mml_overlap *o, const mml_msg *m);
uint64_t mml_overlap_shared(mml_overlap *o, size_t a, size_t b);
bool mml_overlap_nomem(const mml_overlap *o);

#endif
