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

#endif
