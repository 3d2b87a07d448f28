/*
 * mmlens/report.h - output (stage 8): every JSON line mmlens writes (the
 * decrypt JSONL contract, findings, verdicts, answers, sessions, diffs,
 * decoded trees), stats, and output files created 0600. All JSON goes
 * through the writer mml_jw (util.h).
 *
 * Contract: one JSON object per line; the schema is docs/SCHEMA.md
 * ("decrypt output", "scan output"). Writers never fail silently: a write error is
 * reported by mml_out_close().
 */
#ifndef MMLENS_REPORT_H
#define MMLENS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "mmlens/analyze.h"
#include "mmlens/answer.h"
#include "mmlens/collect.h"
#include "mmlens/decode.h"
#include "mmlens/detect.h"
#include "mmlens/envelope.h"
#include "mmlens/judge.h"
#include "mmlens/policy.h"
#include "mmlens/stats.h"
#include "mmlens/util.h"

typedef struct mml_jsonl_opts {
	bool redact;        /* mask uin, cookie, client address, query values; omit bodies */
	bool handshakes;    /* write "handshake" objects too */
	bool no_bodies;     /* body_hex and part hex written as null (metadata only) */
} mml_jsonl_opts;

void mml_jsonl_message(FILE *f, const mml_msg *m, const mml_jsonl_opts *o);
void mml_jsonl_hello(FILE *f, const mml_flow *fl, int dir, mml_transport tr, uint64_t ts_us, uint64_t pkt,
                     const mml_hello *h, const mml_jsonl_opts *o);

/* Create (truncate) an output file with mode 0600; "-" is stdout. */
FILE *mml_out_open(const char *path);
/* Flush and close; MML_E_IO on any write error. */
mml_err mml_out_close(FILE *f);

/*
 * Scan findings (docs/SCHEMA.md "scan output"): one JSON object per
 * (message, category, path), or one aligned text row (--format table).
 * With redact the value is masked (kind and length kept).
 */
void mml_jsonl_finding(FILE *f, const mml_msg *m, const mml_finding *fd, bool redact);
/* The same line appended to b (MML_E_LIMIT / MML_E_NOMEM: b unchanged). */
mml_err mml_jsonl_finding_buf(mml_buf *b, const mml_msg *m, const mml_finding *fd, bool redact);
/*
 * The same line in two parts, for many findings of one message: _head
 * appends the part that depends only on the message (to a buffer of its
 * own, once per message); _tail appends that head and then the finding.
 */
mml_err mml_jsonl_finding_head(mml_buf *b, const mml_msg *m);
mml_err mml_jsonl_finding_tail(mml_buf *b, const void *head, size_t head_len, const mml_finding *fd, bool redact);
void mml_table_finding_head(FILE *f);
void mml_table_finding(FILE *f, const mml_msg *m, const mml_finding *fd, bool redact);

/*
 * Per-run summary: findings and distinct messages per (category, API).
 * Messages must arrive in one id order per summary (a worker's order);
 * summaries of workers that saw disjoint messages are merged by adding.
 */
typedef struct mml_summary mml_summary;
mml_summary *mml_summary_new(void);
void mml_summary_free(mml_summary *s);
mml_err mml_summary_add(mml_summary *s, const char *category, const char *api, uint64_t msg);
/* n findings of one category in message msg at once (n >= 1): same as n calls of mml_summary_add. */
mml_err mml_summary_add_n(mml_summary *s, const char *category, const char *api, uint64_t msg, uint64_t n);
mml_err mml_summary_merge(mml_summary *dst, const mml_summary *src);
/*
 * Judged flows as JSON (src/report/verdicts.c, docs/SCHEMA.md "`mmlens
 * audit` output"): mml_judgement_json writes the members of a judgement
 * ("verdict":...,"policy":...,...,"note":...) into the open object;
 * mml_audit_row_json one whole {"kind":"flow",...} line;
 * mml_audit_summary_json the {"kind":"audit_summary",...} line.
 */
void mml_judgement_json(mml_jw *w, const mml_judgement *j, uint64_t session);
void mml_audit_row_json(FILE *out, const mml_audit_row *r);
typedef struct mml_audit_summary {
	const char *policy;          /* the model's name, or "auto" */
	uint64_t session;            /* the one session audited, 0: all */
	const mml_label *label;      /* its label (NULL: null) */
	uint64_t sessions;           /* sessions judged */
	uint64_t counts[MML_VERDICT__COUNT];
	uint64_t api_unknown_rows;
	const mml_scan_counts *input; /* what the input held */
} mml_audit_summary;
void mml_audit_summary_json(FILE *out, const mml_audit_summary *a);

/* The members of a receiver: "api", "request_type" (when the API is not
 * known), "party", "feature" (src/report/lines.c). */
void mml_receiver_json(mml_jw *w, const char *api, int64_t req_type, mml_party party, mml_feature feature);
/* A session label as a JSON value (src/report/lines.c; NULL: null). */
void mml_label_json(mml_jw *w, const mml_label *lb);
/* `mmlens sessions` (docs/SCHEMA.md): a {"kind":"session",...} line, and a
 * {"kind":"timeline",...} line per row of the session's timeline. */
void mml_session_json(FILE *out, const mml_session *s, const mml_label *label);
void mml_timeline_json(FILE *out, uint64_t session, const mml_tl_row *r);
/* `mmlens diff` (docs/SCHEMA.md): a {"kind":"difference",...} line (with
 * the difference in words), and the {"kind":"diff_summary",...} line. */
void mml_difference_json(FILE *out, const mml_difference *d, const mml_side *a, const mml_side *b);
void mml_diff_summary_json(FILE *out, const mml_side *a, const char *input_a, const mml_side *b, const char *input_b,
                           const mml_comparison *c);
/* `mmlens decode`: a {"kind":"decoded",...} line, or the text view. */
void mml_decoded_json(FILE *out, const mml_msg *m, const mml_dtree *tree);
void mml_decoded_text(FILE *out, const mml_msg *m, const mml_dtree *tree);

/* The accounting counters (stats.h): as one JSON object (the --stats-json
 * contract) and as a short human summary (stderr). */
void mml_stats_write_json(const mml_stats *s, FILE *f);
void mml_stats_write_summary(const mml_stats *s, FILE *f);

/* `mmlens answer` (src/report/answers.c): one {"kind":"answer",...} line,
 * or the answer in words. */
void mml_answer_json(FILE *out, const mml_answer *a);
void mml_answer_text(FILE *out, const mml_answer *a);

/* Counters kept next to the matrix (mml_scan_counts: collect.h). */
void mml_summary_counts_add(mml_summary *s, const mml_scan_counts *c);
/* {"kind":"summary",...} as one JSONL line: the accounting (docs/SCHEMA.md,
 * "scan output") and the matrix. */
void mml_summary_write_json(const mml_summary *s, FILE *f);
/* The accounting in words, then the category x API matrix as a table. */
void mml_summary_write_table(const mml_summary *s, FILE *f);
/* The accounting alone, in words: what was read, and what the input does
 * not show (empty, opaque and unreadable bodies by request type, unknown APIs). */
void mml_counts_write_text(const mml_scan_counts *c, FILE *f);
/* The same as JSON members of the open object: "messages":N,... (the
 * FILE form writes them without braces). */
void mml_counts_json(mml_jw *w, const mml_scan_counts *c);
void mml_counts_write_json(const mml_scan_counts *c, FILE *f);

/*
 * The report database (src/report/sqlite.c, docs/REPORT_DB.md): sessions,
 * flows, policy verdicts and findings of many runs in one SQLite file.
 * A run: mml_db_open (creates the file 0600 and the schema IF NOT EXISTS),
 * mml_db_begin (one transaction; inserts the `inputs` row), findings and
 * sessions as the collection reports them (a finding before its session),
 * mml_db_commit, mml_db_close (rolls back what was not committed).
 * Statements are prepared once per open. Every call returns MML_OK,
 * MML_E_IO or MML_E_NOMEM (the reason: mml_db_errmsg).
 */
#define MML_DB_SCHEMA_VERSION 3 /* 2: session labels; 3: judged verdicts, app versions */
typedef struct mml_db mml_db;
mml_db *mml_db_open(const char *path, char *ebuf, size_t ebuf_len);
const char *mml_db_errmsg(const mml_db *db);
/* kind: "capture" or "log"; policy: the model's name or NULL; with redact
 * every finding value is stored as "redacted". */
mml_err mml_db_begin(mml_db *db, const char *input_path, const char *kind, const char *policy, bool redact);
int64_t mml_db_input_id(const mml_db *db);
typedef struct mml_db_finding {
	uint64_t msg;
	uint64_t session;       /* the session that will hold msg when known (it is then
	                         * linked as it is stored), 0: not known yet (linked when
	                         * the session is added) */
	bool has_ts;
	int64_t ts;             /* seconds */
	const char *api;        /* NULL unknown */
	bool attributed;
	mml_party party;
	mml_feature feature;
	const mml_finding *f;
} mml_db_finding;
mml_err mml_db_add_finding(mml_db *db, const mml_db_finding *df);
/* A closed session and its flows; with ps, one judged verdict per
 * (party, attributed, category, context, host) row (mml_audit_flows,
 * judge.h: the session's label decides its conditions). Its findings
 * (ids first..last of this input) are linked to it. */
mml_err mml_db_add_session(mml_db *db, const mml_session *s, const mml_label *label, const mml_flows *flows,
                           const mml_policyset *ps, const mml_attrib *attrib);
mml_err mml_db_commit(mml_db *db);
void mml_db_close(mml_db *db);

#endif
