/*
 * mmlens/analyze.h - stage 7: analyses over the stream of decoded
 * messages. This piece: session splitting (the reference, with the
 * reasons behind each rule: docs/SESSIONS.md).
 *
 * A session is a run of consecutive messages (in input order) from one
 * start of the app, one login, or one logged-out period. Two signals mark
 * where one starts:
 *
 *  1. Session-opening requests (mml_sess_req_class): pre-login requests
 *     (the logged-out screen), logins/registrations (the user logging
 *     in) and auto-logins (an app start with stored credentials). Only
 *     requests open sessions; responses never do. A message is logged-in
 *     traffic when its request type is not one of those and its body has
 *     content (mml_sess_body). An opener continues the open session when
 *       - pre-login or login: no logged-in traffic came since the
 *         session's last opener (or its start) - a burst of openers, or
 *         the user logging in from the logged-out screen - or the
 *         session's last opener was at most MML_SESS_BURST_S seconds
 *         earlier (both times known);
 *       - auto-login: the session holds nothing yet (no logged-in
 *         traffic, no session-opening request: only neutral or empty
 *         messages, such as the DNS lookups before an app start), or it
 *         already holds a login or auto-login and the pre-login/login
 *         condition above holds. After a logged-out period (pre-login
 *         requests only) an auto-login is a new app start: new session.
 *     and otherwise starts a new one. A trusted (capture) time that
 *     jumps (rule 2) always starts a new session, opener or not.
 *     A session that holds session-opening requests and no logged-in
 *     traffic is marked logged_out.
 *  2. A jump in time of more than MML_SESS_GAP_S seconds from the
 *     session's clock (the time of the last message that agreed with it).
 *     A capture time is trusted: one jump splits. A payload time (found
 *     in the body by mml_msg_time) is noisy - bodies carry config
 *     versions, sync keys, posts' and schedules' times - so a jump
 *     splits only when it behaves like a send time: MML_SESS_CONFIRM
 *     timed messages that advance like a clock (each within
 *     MML_SESS_GAP_S of the latest of them and at most MML_SESS_TOL_S
 *     before it; a time further back is not used), and then
 *     MML_SESS_LOOKAHEAD more timed messages (or the session's end) that
 *     do not return to the old clock. The split is placed at the first
 *     of them. A timed message that returns to the old clock before that
 *     makes the run an outlier: its messages stay in the session and
 *     their times are not used. A session's clock is itself only trusted
 *     after MML_SESS_CONFIRM agreeing times; before that a confirmed
 *     disagreement replaces the clock instead of splitting.
 *
 * Each session also carries the client version its requests announce
 * (BaseRequest field 4, mml_msg_client_version), the value seen most.
 *
 * Contract: streaming. The splitter holds O(1) state (the open session
 * and at most one tentative one) and allocates nothing; each session is
 * reported through the callback as soon as it is closed, and the last one
 * by mml_sessions_finish. Message ids are the input's (line numbers for
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
#define MML_SESS_CONFIRM 3         /* clock-like payload times needed to trust a jump */
#define MML_SESS_LOOKAHEAD 2       /* then timed messages that must not return to the old clock */
#define MML_SESS_TOL_S 300         /* a confirming payload time may lie this far before the latest */
#define MML_SESS_NVER 4            /* client versions counted per session (the most frequent wins) */

/* Plausible timestamps: [2015-01-01, 2035-01-01) UTC, in s or ms. */
#define MML_TIME_MIN 1420070400LL
#define MML_TIME_MAX 2051222400LL

/*
 * The time a message's body speaks of, from its decoded tree: the latest
 * (largest) of the plausible timestamps in it - varint, fixed32 and
 * fixed64 fields, and numeric text of 10 (seconds) or 13 (milliseconds)
 * digits in strings, JSON, XML, URL parameters and delimited cells;
 * milliseconds are cut to seconds. Bodies mostly speak of past events
 * (config versions, sync keys, last-seen times), so the latest is the one
 * closest to the moment of sending; times that lie ahead of it (a post's,
 * hours-ahead sync times) are noise the splitter's confirmation absorbs
 * (docs/SESSIONS.md measures latest against median). The account number is not a
 * time: values equal to `uin` (when nonzero), to the BaseRequest uin
 * (path `1.2`: field 2 of the request's field-1 message, WeChat's
 * BaseRequest{1 session key, 2 uin, 3 device id, 4 client version,
 * 5 device type, 6 scene}) or to metadata nodes (`header.uin`) are
 * skipped. At most 255 candidates are used (the first in document
 * order). Returns false when there are none.
 */
bool mml_msg_time(const mml_dtree *t, uint64_t uin, int64_t *ts);

/*
 * The client version a request announces: BaseRequest field 4 (path
 * `1.4`, a varint), accepted when its BaseRequest also holds a
 * length-delimited field 5 (the device type, "android-32") and the value
 * reads as a version: 0xPMmmpp.. with a nonzero platform nibble P (2
 * Android, 1 iOS) and major M. 0 when there is none.
 * 671094583 = 0x28001737 is 8.0.23.
 */
uint32_t mml_msg_client_version(const mml_dtree *t);
/* "major.minor.patch" of a client version into buf (at least 16 bytes);
 * "" and false for 0 or a value that does not read as one. */
bool mml_client_version_str(uint32_t v, char *buf, size_t n);

/* What a request type says about a session (docs/SESSIONS.md lists them). */
typedef enum mml_sess_req {
	MML_SESS_REQ_OTHER = 0, /* none of the below */
	MML_SESS_REQ_PRELOGIN,  /* the logged-out screen, not a login: 784 secencryptcheckresupdate, 722 */
	MML_SESS_REQ_LOGIN,     /* the user logging in or registering: 126, 145, 252, 701, 5888 */
	MML_SESS_REQ_AUTO,      /* an app start with stored credentials: 702 autoauth, 763 secautoauth, 3941 */
} mml_sess_req;
mml_sess_req mml_sess_req_class(int64_t req_type);
/* Request types that open a session: any class but OTHER. */
bool mml_sess_opener(int64_t req_type);

/* What a message's body says about the login state. */
typedef enum mml_sess_body {
	MML_SESS_BODY_DATA = 0, /* content (the default): logged-in traffic unless an opener's type */
	MML_SESS_BODY_EMPTY,    /* opened and empty: compatible with a logged-out app */
	MML_SESS_BODY_NEUTRAL,  /* says nothing: not opened (no key, ...) or a DNS lookup (newgetdns) */
} mml_sess_body;

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
	int64_t login;            /* its first login, registration or auto-login request type, -1 none */
	bool logged_out;          /* only logged-out traffic: session-opening requests, and no logged-in traffic */
	uint32_t client_version;  /* BaseRequest.4 seen most in the session (ties: the first seen), 0: none */
	char app_version[16];     /* client_version as "8.0.23", "" when unknown */
} mml_session;

typedef void (*mml_session_fn)(void *ctx, const mml_session *s);

/* One observation: what the splitter needs of a message. */
typedef struct mml_sess_obs {
	uint64_t id;
	int64_t req_type;         /* -1 unknown */
	bool has_ts;
	bool ts_trusted;          /* capture time (true) or payload time (false) */
	int64_t ts;               /* seconds */
	bool response;            /* server to client: never opens a session */
	mml_sess_body body;
	uint32_t client_version;  /* 0 none */
} mml_sess_obs;

/* Private state; plain struct so callers can keep it on the stack. */
typedef struct mml_sess_ver {
	uint32_t v, n;
} mml_sess_ver;

typedef struct mml_sess_run {
	bool open;
	mml_session s;
	uint64_t ntimed;   /* agreeing times seen (tentative run: clock-like times) */
	uint64_t nlook;    /* tentative run: timed messages after confirmation, none back on the old clock */
	bool has_ref;
	int64_t ref;       /* the clock: last agreeing time (tentative run: the latest clock-like time) */
	bool traffic;      /* logged-in traffic seen */
	bool auth;         /* a session-opening request (or its response) seen */
	mml_sess_ver ver[MML_SESS_NVER]; /* client versions and counts (space-saving: a new value replaces the rarest) */
} mml_sess_run;

typedef struct mml_sessions {
	mml_session_fn fn;
	void *ctx;
	uint64_t count;
	mml_sess_run cur, pend; /* open session, tentative session after a payload-time jump */
	bool quiet;             /* no logged-in traffic since the session's last opener (or its start) */
	bool has_opener_ts;     /* the session's last opener had a time */
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
 * One message, in input order; tree may be NULL (no body, or not
 * decoded: the client version then stays unknown). Uses capture time
 * when m->outer has one, else mml_msg_time with the business header's
 * uin, or the last BaseRequest.uin seen, as the account number. The body
 * class: NEUTRAL when the message was not opened (status other than
 * decrypted/plaintext) or its API is newgetdns, EMPTY when opened with no
 * bytes, else DATA; a response is outer->dir 1.
 */
void mml_sessions_feed(mml_sessions *s, const mml_msg *m, const mml_dtree *tree);
void mml_sessions_observe(mml_sessions *s, const mml_sess_obs *o);
/* End of input: report the open session. */
void mml_sessions_finish(mml_sessions *s);
void mml_sessions_free(mml_sessions *s);

/*
 * Flows (src/analyze/flows.c): what a session sent, as a set of keys
 * (category, receiver) fed by the detectors' findings, each with a count
 * and the first MML_FLOWS_EVIDENCE findings as evidence (message id,
 * field path, detector). The receiver is the message's mml_recv
 * (attrib.h): API, attributed, party, feature; a message whose API is
 * unknown or unattributed also keys on its request type and host, so
 * that a row can say which request types stayed unnamed. Memory is
 * bounded by distinct keys x the evidence cap, not by messages. Used by
 * `mmlens diff`, `audit`, `report` and `answer` (docs/SCHEMA.md).
 *
 * Contract: the caller owns the set (mml_flows_init / mml_flows_free);
 * category ids and detector names are kept as pointers (static, or living
 * as long as the detector); api, host and path are copied.
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
	bool attributed;           /* an attribution row matched the API */
	mml_party party;
	mml_feature feature;       /* MML_FEAT_UNKNOWN when not attributed */
	int64_t req_type;          /* unattributed: the request type (-1); attributed: -1 */
	char *host;                /* unattributed: the host, NULL when unknown; attributed: NULL */
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
/* One finding of message `msg` received by r, sent at time ts (seconds) when has_ts. */
mml_err mml_flows_add(mml_flows *f, const char *category, const mml_recv *r, uint64_t msg, bool has_ts, int64_t ts,
                      const char *path, const char *detector);
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
 * has; "permissions=" alone means none granted). N may be "all": every
 * session (session 0 here; not for scenario). MML_E_ARG with a
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
/* Add src's fields to the label of src->session (scenario and region
 * replaced, list items added): later sources refine earlier ones. */
mml_err mml_labels_merge(mml_labels *l, const mml_label *src);
/* After every source: fold the "all:" label (session 0) into each
 * session's own label where that lacks the field (region, permissions;
 * features added). */
mml_err mml_labels_finish(mml_labels *l);
/* The label of session `session`, else the "all:" label, else NULL. */
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
