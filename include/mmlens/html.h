/*
 * mmlens/html.h - output (stage 8): the self-contained HTML report of
 * `mmlens report --html FILE` (docs/REPORT_HTML.md).
 *
 * Contract: one page, no external reference of any kind (no URL, font,
 * image or script from elsewhere; a Content-Security-Policy forbids
 * every load), readable without JavaScript (inline JS only filters the
 * findings table and counts its own errors). Every value from the input
 * is HTML-escaped; with redact finding values are written "redacted" (as
 * in the JSONL and database outputs) and no decoded message is embedded.
 *
 * Streaming: findings rows, decoded messages and the per-session
 * sections go to temporary files (tmpfile()) as the collection reports
 * them; memory holds only the current session's timeline marks (capped,
 * binned beyond the cap), the previous session's flows (for the diff)
 * and the ids of embedded messages (capped). mml_html_write assembles
 * the page: summary sections first (computed from the merged flows of
 * the input), then the temporary content copied in. What a cap left out
 * is counted and said in the page.
 *
 * Calls, in input order: mml_html_finding for every finding (its message
 * before the session holding it closes), mml_html_message for every
 * message after its findings, mml_html_session as each session closes.
 */
#ifndef MMLENS_HTML_H
#define MMLENS_HTML_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mmlens/analyze.h"
#include "mmlens/detect.h"
#include "mmlens/judge.h"
#include "mmlens/policy.h"

/* Default caps (0 in the options means these). */
#define MML_HTML_MAX_FINDINGS 20000      /* rows of the findings table */
#define MML_HTML_MAX_MESSAGES 2000       /* decoded messages embedded */
#define MML_HTML_MAX_MSG_TEXT 65536      /* bytes of one message's text view */
#define MML_HTML_MAX_MARKS 3000          /* timeline marks per session before binning */
#define MML_HTML_MAX_SESSIONS 1000       /* sessions with a section of their own */

typedef struct mml_html_opts {
	const char *input;       /* the input as given (shown escaped) */
	const char *kind;        /* "capture" or "log" */
	const mml_policyset *ps; /* NULL: no policy section */
	const mml_attrib *attrib;/* the attribution map the flows were attributed with */
	bool redact;
	bool compare;            /* a diff against another input follows (no per-session diffs) */
	size_t max_findings, max_messages, max_msg_text, max_marks, max_sessions;
} mml_html_opts;

typedef struct mml_html mml_html;

/* NULL when out of memory or a temporary file cannot be made. */
mml_html *mml_html_new(const mml_html_opts *o);
void mml_html_free(mml_html *h);

typedef struct mml_html_finding {
	const mml_msg *m;
	const mml_finding *f;
	bool has_ts;
	int64_t ts;              /* seconds */
	bool attributed;
	mml_party party;
	mml_feature feature;
} mml_html_finding;
void mml_html_add_finding(mml_html *h, const mml_html_finding *hf);

/* A message after its findings; tree NULL when it had no readable body. */
void mml_html_add_message(mml_html *h, const mml_msg *m, const mml_dtree *tree, uint64_t findings, bool has_ts,
                          int64_t ts);

/* A closed session with its flows and its label (NULL: none). */
void mml_html_add_session(mml_html *h, const mml_session *s, const mml_label *label, const mml_flows *flows);

/*
 * Assemble the page into out. all: the flows of every session merged
 * (matrix); the policy gaps are each session's flows judged under its own
 * label as it closed. cmp: with --compare, the flows of the other
 * input (side B, named cmp_name): the diff view is all against cmp;
 * NULL: each session against the one before it. Returns MML_OK, or
 * MML_E_NOMEM / MML_E_IO (also for a failure while streaming).
 */
mml_err mml_html_write(mml_html *h, FILE *out, const mml_flows *all, const char *cmp_name, const mml_flows *cmp);

/* HTML-escaped text of s[0..n) (& < > " ' as entities, control bytes as U+FFFD). */
void mml_html_esc(FILE *f, const char *s, size_t n);
void mml_html_cstr(FILE *f, const char *s); /* NULL writes nothing */

#endif
