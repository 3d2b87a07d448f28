/*
 * src/report/html_int.h - private to the HTML report (html.c: state,
 * streaming and page assembly; html_sec.c: the sections - timeline SVG,
 * party x category matrix, policy gaps, diff, timeline table, labels).
 */
#ifndef MMLENS_REPORT_HTML_INT_H
#define MMLENS_REPORT_HTML_INT_H

#include "mmlens/html.h"

/* One timeline mark: findings of `cat` in messages [bin, bin + width). */
typedef struct hmark {
	uint64_t bin;
	const char *cat;
	uint64_t count;
	unsigned parties;  /* bit per mml_party */
} hmark;

/* One group of judged flows for the policy-gap tables (html_gaps.c):
 * sessions with the same verdict, model, statement, receiver and category. */
#define MML_HTML_GAP_SESS 12
#define MML_HTML_GAP_EV 6
typedef struct hgap {
	mml_verdict v;
	const mml_policy *pol;
	const mml_policy_stmt *st;
	const char *category;        /* static */
	mml_party party;
	mml_feature feature;
	bool attributed, api_unknown;
	char dkey[128];              /* undetermined: the ids of the facts that decide it (judge.h) */
	char *note;                  /* undetermined: the judgement in words */
	uint64_t findings;
	uint64_t sess[MML_HTML_GAP_SESS];
	size_t nsess;
	uint64_t more_sess;
	size_t nev;
	struct {
		uint64_t msg;
		char *api, *path;
		const char *detector;
	} ev[MML_HTML_GAP_EV];
} hgap;

struct mml_html {
	mml_html_opts o;
	hgap *gaps;                  /* judged flows that are not plainly disclosed, grouped */
	size_t ngaps, agaps;
	uint64_t verdicts[MML_VERDICT__COUNT]; /* judged (session, flow) rows by verdict */
	FILE *t_sess, *t_diff, *t_find, *t_msgs, *scratch;
	mml_err err;                 /* sticky: first failure while streaming */
	/* counts */
	uint64_t nsess, nmsgs, nfind, msgs_with_findings;
	uint64_t find_rows, find_left;          /* findings table rows written / left out */
	uint64_t msgs_left, msgs_cut;           /* messages with findings not embedded; views cut */
	uint64_t sess_left, sess_binned;        /* sessions without a section; with binned timelines */
	/* embedded messages: ids in order */
	uint64_t *emb;
	size_t nemb;
	uint64_t cur_msg;
	bool cur_has, cur_embed;
	/* the open session's timeline marks */
	hmark *marks;
	size_t nmarks, amarks;
	uint64_t bin_w;
	char *tbuf;                  /* max_msg_text + 1 bytes: one message's text view */
	/* the previous session's flows (diff view without --compare) */
	mml_flows prev;
	bool has_prev;
	uint64_t prev_index;
};

/* Whether message id has an anchor in the page. */
bool mml_html_embedded(const mml_html *h, uint64_t id);
/* A message reference: a link when embedded, else the bare id. */
void mml_html_msgref(const mml_html *h, FILE *f, uint64_t id);
/* "YYYY-MM-DD HH:MM:SS" UTC into buf (32 bytes), "" when !has. */
const char *mml_html_time(char buf[32], bool has, int64_t ts);

/* html_sec.c */
void mml_html_sec_session(mml_html *h, FILE *f, const mml_session *s, const mml_label *label,
                          const mml_flows *flows);
void mml_html_sec_matrix(const mml_html *h, FILE *f, const mml_flows *all);
/* html_gaps.c: judge a closed session's flows into h->gaps; write the tables. */
void mml_html_gaps_add(mml_html *h, const mml_session *s, const mml_label *label, const mml_flows *flows);
void mml_html_gaps_free(mml_html *h);
mml_err mml_html_sec_gaps(const mml_html *h, FILE *f);
void mml_html_evidence(const mml_html *h, FILE *f, const mml_flow_evref *ev, size_t n, uint64_t count);
/* One diff of a against b; side names for 'A' and 'B'. */
mml_err mml_html_sec_diff(const mml_html *h, FILE *f, const mml_flows *a, const mml_flows *b, const char *name_a,
                          const char *name_b);
const char *mml_html_party_colour(unsigned parties);

#endif
