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
/* One finding of message `msg`. */
mml_err mml_flows_add(mml_flows *f, const char *category, const char *api, bool attributed, mml_party party,
                      mml_feature feature, uint64_t msg, const char *path, const char *detector);
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

#endif
