/*
 * mmlens/analyze.h - stage 7: analyses over the stream of decoded
 * messages. This piece: session splitting.
 *
 * A session is a run of consecutive messages (in input order) from one
 * start of the app or one login. Two signals mark where one starts
 * (docs/SCHEMA.md, "`mmlens sessions` output"):
 *
 *  1. A session-opening request (login, auto-login, registration:
 *     mml_sess_opener()). A burst of openers is one boundary: an opener
 *     continues the current session when the message before it was an
 *     opener too, or when the session's last opener was at most
 *     MML_SESS_BURST_S seconds earlier (both times known).
 *  2. A jump in time of more than MML_SESS_GAP_S seconds from the
 *     session's clock (the time of the last message that agreed with it).
 *     A capture time is trusted: one jump splits. A payload time (found
 *     in the body by mml_msg_time) is noisy - bodies carry config
 *     versions, sync keys and forecasts from other days - so a jump
 *     splits only when MML_SESS_CONFIRM timed messages in a row agree
 *     with each other and not with the session; the split is then placed
 *     at the first of them. A disagreement that is not confirmed is an
 *     outlier: its messages stay in the session and their times are not
 *     used. A session's clock is itself only trusted after
 *     MML_SESS_CONFIRM agreeing times; before that a confirmed
 *     disagreement replaces the clock instead of splitting.
 *
 * Contract: streaming. The splitter holds O(1) state (the open session
 * and at most one tentative one); each session is reported through the
 * callback as soon as it is closed, and the last one by
 * mml_sessions_finish. Message ids are the input's (line numbers for
 * logs). The splitter must see messages in input order (one pipeline).
 */
#ifndef MMLENS_ANALYZE_H
#define MMLENS_ANALYZE_H

#include <stdbool.h>
#include <stdint.h>

#include "mmlens/attrib.h"
#include "mmlens/decode.h"
#include "mmlens/envelope.h"

#define MML_SESS_GAP_S (2 * 3600)  /* a time jump larger than this splits */
#define MML_SESS_BURST_S 60        /* openers this close belong to one session */
#define MML_SESS_CONFIRM 3         /* payload times in a row needed to trust a jump */

/* Plausible timestamps: [2015-01-01, 2035-01-01) UTC, in s or ms. */
#define MML_TIME_MIN 1420070400LL
#define MML_TIME_MAX 2051222400LL

/*
 * The time a message's body speaks of, from its decoded tree: the median
 * (lower middle) of the plausible timestamps in it - varint, fixed32 and
 * fixed64 fields, and numeric text of 10 (seconds) or 13 (milliseconds)
 * digits in strings, JSON, XML, URL parameters and delimited cells;
 * milliseconds are cut to seconds. The account number is not a time:
 * values equal to `uin` (when nonzero), to the BaseRequest uin (path
 * `1.2`: field 2 of the request's field-1 message, WeChat's
 * BaseRequest{1 session key, 2 uin, 3 device id, 4 version, ...}) or to
 * metadata nodes (`header.uin`) are skipped. At most 255 candidates are
 * used (the first in document order). Returns false when there are none.
 */
bool mml_msg_time(const mml_dtree *t, uint64_t uin, int64_t *ts);

/* Request types that open a session (login, auto-login, registration). */
bool mml_sess_opener(int64_t req_type);

typedef enum mml_sess_why {
	MML_SESS_FIRST = 0, /* the first message of the input */
	MML_SESS_OPENER,    /* a session-opening request */
	MML_SESS_JUMP,      /* a jump in time */
} mml_sess_why;
const char *mml_sess_why_name(mml_sess_why w);

/* One session, reported when closed. */
typedef struct mml_session {
	uint64_t index;           /* 1-based */
	uint64_t first, last;     /* message ids */
	uint64_t messages;
	bool has_ts;
	int64_t start_ts, end_ts; /* seconds: earliest and latest time that agreed with the session */
	mml_sess_why why;
	int64_t opener;           /* request type that opened it, -1 */
	bool logged_out;          /* only logged-out traffic (empty bodies, auth/registration/pre-login requests) */
	uint32_t client_version;  /* BaseRequest.4 seen most in the session, 0: none */
	char app_version[16];     /* client_version as "8.0.23", "" when unknown */
} mml_session;

typedef void (*mml_session_fn)(void *ctx, const mml_session *s);

/* One observation: what the splitter needs of a message. */
typedef struct mml_sess_obs {
	uint64_t id;
	int64_t req_type;  /* -1 unknown */
	bool has_ts;
	bool ts_trusted;   /* capture time (true) or payload time (false) */
	int64_t ts;        /* seconds */
} mml_sess_obs;

/* Private state; plain struct so callers can keep it on the stack. */
typedef struct mml_sess_run {
	bool open;
	mml_session s;
	uint64_t ntimed;   /* agreeing times seen */
	bool has_ref;
	int64_t ref;       /* the clock: last agreeing time */
} mml_sess_run;

typedef struct mml_sessions {
	mml_session_fn fn;
	void *ctx;
	uint64_t count;
	mml_sess_run cur, pend; /* open session, tentative session after a jump */
	bool prev_opener;
	bool has_opener_ts;
	int64_t opener_ts;
	uint64_t uin;           /* last BaseRequest.uin seen (not a time in later bodies either) */
	/* The time of the last message fed as its session sees it: its own
	 * time when that agreed with the session's clock, else the clock (the
	 * last agreeing time); msg_has_ts false when the session has none. */
	bool msg_has_ts;
	int64_t msg_ts;
} mml_sessions;

void mml_sessions_init(mml_sessions *s, mml_session_fn fn, void *ctx);
/*
 * One message, in input order; tree may be NULL (no body). Uses capture
 * time when m->outer has one, else mml_msg_time with the business
 * header's uin, or the last BaseRequest.uin seen, as the account number.
 */
void mml_sessions_feed(mml_sessions *s, const mml_msg *m, const mml_dtree *tree);
void mml_sessions_observe(mml_sessions *s, const mml_sess_obs *o);
/* End of input: report the open session. */
void mml_sessions_finish(mml_sessions *s);
void mml_sessions_free(mml_sessions *s);

/*
 * Flows (src/analyze/flows.c): what a session sent, as a set of keys
 * (category, api, party, feature) fed by the detectors' findings, each
 * with a count and the first MML_FLOWS_EVIDENCE findings as evidence
 * (message id, field path, detector). Memory is bounded by distinct keys
 * x the evidence cap, not by messages. A message without an attribution
 * row is kept with attributed = false, party WeChat and feature "any"
 * (every message of a capture or log of the app is received by one of
 * WeChat's front ends). Used by `mmlens diff` and `mmlens audit`
 * (docs/SCHEMA.md).
 *
 * Contract: the caller owns the set (mml_flows_init / mml_flows_free);
 * category ids and detector names are kept as pointers (static, or living
 * as long as the detector); api and path are copied.
 */
#define MML_FLOWS_EVIDENCE 20

typedef struct mml_flow_ev {
	uint64_t msg;
	char *path;
	const char *detector;
} mml_flow_ev;

typedef struct mml_flow_rec {
	const char *category;      /* taxonomy id (static) */
	char *api;                 /* NULL: unknown */
	bool attributed;           /* an attribution row matched */
	mml_party party;
	mml_feature feature;
	uint64_t count;            /* findings */
	uint64_t msgs;             /* distinct messages (fed in message order) */
	uint64_t first_msg, last_msg;
	bool has_ts;               /* first_ts/last_ts hold the earliest and latest known time */
	int64_t first_ts, last_ts; /* seconds */
	size_t nev;
	mml_flow_ev ev[MML_FLOWS_EVIDENCE]; /* the first findings, in message order */
} mml_flow_rec;

typedef struct mml_flows {
	mml_flow_rec *rec;
	size_t n, alloc;
	uint64_t first_msg;        /* smallest message id fed (0: none) */
} mml_flows;

void mml_flows_init(mml_flows *f);
void mml_flows_free(mml_flows *f);
/* Empty the set (keeps its memory). */
void mml_flows_clear(mml_flows *f);
/* One finding of message `msg`, sent at time ts (seconds) when has_ts. */
mml_err mml_flows_add(mml_flows *f, const char *category, const char *api, bool attributed, mml_party party,
                      mml_feature feature, uint64_t msg, bool has_ts, int64_t ts, const char *path,
                      const char *detector);
/* Add every key of src to dst (counts add; evidence kept in message
 * order up to the cap). src is unchanged. */
mml_err mml_flows_merge(mml_flows *dst, const mml_flows *src);
/* Move src into dst when dst is empty (else merge), leaving src empty. */
mml_err mml_flows_take(mml_flows *dst, mml_flows *src);

/* One evidence entry seen through mml_flows_evidence (views into the set). */
typedef struct mml_flow_evref {
	uint64_t msg;
	const char *api, *path, *detector;
} mml_flow_evref;
/*
 * The evidence of every record that `match` accepts, sorted by message,
 * the first `cap` into out; *count gets the records' total findings.
 * Returns the number written, or (size_t)-1 when out of memory.
 */
size_t mml_flows_evidence(const mml_flows *f, bool (*match)(const mml_flow_rec *r, void *ctx), void *ctx,
                          mml_flow_evref *out, size_t cap, uint64_t *count);

/*
 * Timeline (src/analyze/timeline.c): the flows of a session seen per
 * (category, party, feature), APIs merged - when each was first and last
 * sent and how often. Rows are sorted by first message, then category.
 * Returns the number of rows with *rows malloc'd (the caller frees; NULL
 * when 0), or (size_t)-1 when out of memory.
 */
typedef struct mml_tl_row {
	const char *category;      /* taxonomy id (static) */
	mml_party party;
	mml_feature feature;
	uint64_t findings, msgs;   /* msgs: sum over APIs of distinct messages */
	uint64_t first_msg, last_msg;
	bool has_ts;
	int64_t first_ts, last_ts;
} mml_tl_row;
size_t mml_flows_timeline(const mml_flows *f, mml_tl_row **rows);

/*
 * Diff (src/analyze/diff.c): what one set of flows has that the other
 * lacks, at three levels - a category only one side sent; for a category
 * both sent, an API or a receiving party only one side used. Each
 * difference is reported once (first all of A's, then B's; within a side
 * category level first), with the count of findings behind it and the
 * first MML_FLOWS_EVIDENCE of them in message order. Views passed to fn
 * live during the call only. Returns MML_OK or MML_E_NOMEM.
 */
typedef enum mml_diff_level { MML_DIFF_CATEGORY, MML_DIFF_API, MML_DIFF_PARTY } mml_diff_level;
const char *mml_diff_level_name(mml_diff_level l); /* "category", "category_api", "category_party" */

typedef struct mml_diff_item {
	char only_in;              /* 'A' or 'B' */
	mml_diff_level level;
	const char *category;
	const char *api;           /* level API; NULL otherwise (and for an unknown API) */
	bool has_party;            /* level PARTY */
	mml_party party;
	uint64_t count;            /* findings behind the difference */
	size_t nev;
	const mml_flow_evref *ev;  /* sorted by message */
} mml_diff_item;
typedef void (*mml_diff_fn)(void *ctx, const mml_diff_item *d);
mml_err mml_flows_diff(const mml_flows *a, const mml_flows *b, mml_diff_fn fn, void *ctx);

/*
 * Session labels (src/analyze/labels.c): what the person who made a
 * capture says about its sessions - scenario name, features used,
 * permissions granted, account region - from the command line
 * (`--label N:KEY=VALUE`) or a manifest file (JSON; docs/SCHEMA.md,
 * "Session labels"). Labels are reported with sessions and used to pick
 * sessions by scenario name (INPUT@NAME).
 *
 * Contract: the caller owns the set (mml_labels_init / mml_labels_free);
 * all strings are copied. A manifest is outside input: bad entries are
 * reported through diag ("name: sessions[i]: ...") and skipped, counts
 * and lengths are capped (MML_LABELS_MAX entries, MML_LABEL_MAXLEN bytes
 * per string, MML_LABEL_MAXLIST items per list).
 */
#define MML_LABELS_MAX 4096
#define MML_LABEL_MAXLEN 256
#define MML_LABEL_MAXLIST 32

typedef struct mml_label {
	uint64_t session;          /* 1-based */
	char *scenario;            /* NULL: not given */
	char *region;              /* account region, NULL: not given */
	char **features;           /* feature names as written */
	size_t nfeatures;
	char **permissions;        /* permissions granted */
	size_t npermissions;
	bool permissions_given;    /* an empty list means "none granted", not "unknown" */
} mml_label;

typedef struct mml_labels {
	mml_label *v;
	size_t n, alloc;
} mml_labels;

void mml_labels_init(mml_labels *l);
void mml_labels_free(mml_labels *l);
/*
 * One command-line label "N:KEY=VALUE" (KEY scenario, region, features,
 * permissions; list values comma-separated, added to what the session
 * has; "permissions=" alone means none granted). MML_E_ARG with a
 * reason in ebuf for a bad argument.
 */
mml_err mml_labels_arg(mml_labels *l, const char *arg, char *ebuf, size_t elen);
/*
 * A manifest's text. Entries naming an "input" apply only when it equals
 * `input` or its last path component; input NULL takes every entry.
 * Fails only on MML_E_NOMEM, or MML_E_MALFORMED when the text is not a
 * JSON object with a "sessions" array (reported through diag too).
 */
mml_err mml_labels_parse(mml_labels *l, const char *text, size_t n, const char *name, const char *input,
                         mml_diag_fn diag, void *dctx);
/* The same from a file (MML_E_IO when it cannot be read). */
mml_err mml_labels_load(mml_labels *l, const char *path, const char *input, mml_diag_fn diag, void *dctx);
/* The label of session `session`, or NULL. */
const mml_label *mml_labels_find(const mml_labels *l, uint64_t session);
/* The session whose scenario is `name` (exact); 0 when none, UINT64_MAX
 * when more than one session carries it. */
uint64_t mml_labels_by_scenario(const mml_labels *l, const char *name);
/* Whether the label grants permission p: 1 yes, 0 no, -1 unknown. */
int mml_label_permission(const mml_label *lb, const char *p);
/*
 * A policy condition (an mml_policy_cond_fn, include/mmlens/policy.h)
 * judged by a label (ctx: const mml_label *): 1 held, 0 did not, -1
 * unknown. permission=P: P granted; permission_not_granted=P: P not
 * granted; account_region=R: the label's region is R (case-insensitive;
 * "non_mainland": a region other than CN, "mainland": CN). Other keys
 * (authorization, legal_basis) are unknown.
 */
int mml_label_cond(void *ctx, const char *key, const char *value);

#endif
