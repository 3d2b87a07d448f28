/*
 * src/cli/input.h - the input handling shared by the commands that read
 * "a capture or a plaintext log" (scan, decode, sessions). Private to
 * the cli module; defined in scan.c (flow collection: diff.c).
 *
 * Contract: the input kind is told by its first bytes (pcap/pcapng
 * magic, or a JSONL log otherwise), not by its name; "-" is stdin.
 * mml_cli_run_input sends every message of the input to the sink (for a
 * capture through the decrypt pipeline, with `jobs` threads) and returns
 * an MML_EXIT_* code; diagnostics go to err.
 */
#ifndef MMLENS_CLI_INPUT_H
#define MMLENS_CLI_INPUT_H

#include <stdio.h>

#include <stdbool.h>
#include <stdint.h>

#include "mmlens/analyze.h"
#include "mmlens/attrib.h"
#include "mmlens/cli.h"
#include "mmlens/decode.h"
#include "mmlens/detect.h"

enum { MML_IN_CAPTURE, MML_IN_LOG, MML_IN_UNREADABLE };

int mml_cli_input_kind(const char *path);

#define MML_CLI_MAX_LABELS 64

typedef struct mml_cli_input {
	const char *input, *keylog, *out, *stats_json;
	const char *const *cats;  /* NULL-terminated, or NULL */
	size_t max_body;
	int redact, quiet, jobs;
	const char *label_args[MML_CLI_MAX_LABELS]; /* --label N:KEY=VALUE, checked when given */
	size_t nlabel_args;
	const char *manifest;     /* --manifest FILE, or NULL */
} mml_cli_input;

int mml_cli_run_input(const mml_cli_input *in, const mml_msg_sink *sink, FILE *err);

/*
 * Diagnostics about bad input lines (an mml_diag_fn): each is printed as
 * "mmlens: <prefix><message>" to err, up to `max` of them (0: 20), and
 * counted in n; errors is set. mml_cli_diag_done tells how many were not
 * shown.
 */
typedef struct mml_cli_diag {
	FILE *err;
	const char *prefix;     /* NULL: none */
	size_t n, max;
	int errors;
} mml_cli_diag;
void mml_cli_diag_fn(void *ctx, const char *fmt, ...);
void mml_cli_diag_done(const mml_cli_diag *d);

/* Load a policy model (a path, or a shipped name such as "wechat") into *pol;
 * 0, or -1 after reporting each problem and freeing *pol. */
struct mml_policy;
int mml_cli_policy_load(const char *cmd, const char *model, struct mml_policy *pol, FILE *err);

/*
 * Option values shared by the commands (scan.c). Each returns 0, or -1
 * after telling err why, naming the command `cmd`.
 *  --catalog: adds the file to cats[0..32) (at most 32);
 *  --max-body: a byte count from 1 to 4 GiB.
 */
int mml_cli_opt_catalog(const char *cmd, const char *arg, const char **cats, size_t *ncat, FILE *err);
int mml_cli_opt_max_body(const char *cmd, const char *arg, size_t *max_body, FILE *err);
/*
 * The options every command reading an input shares: -k/--keylog ('k'),
 * --catalog ('C'), --max-body ('M'), and for the commands that report
 * sessions --label (MML_OPT_LABEL) and --manifest (MML_OPT_MANIFEST).
 * Returns 1 when c was one of them (handled), 0 when it was not, -1 on a
 * bad value (err told why).
 */
enum { MML_OPT_LABEL = 0x101, MML_OPT_MANIFEST = 0x102 };
#define MML_CLI_LABEL_OPTIONS                                                                                      \
	{"label", required_argument, 0, MML_OPT_LABEL}, { "manifest", required_argument, 0, MML_OPT_MANIFEST }
#define MML_CLI_LABEL_USAGE                                                                                        \
	"      --label N:KEY=VALUE  label session N (KEY scenario, features, permissions,\n"                          \
	"                         region; lists comma-separated); repeatable\n"                                       \
	"      --manifest FILE    session labels from a JSON manifest (docs/SCHEMA.md)\n"
/*
 * The labels of input `input` (src/cli/labels.c): the manifest's entries
 * for it, then the --label arguments (which apply to every input). An
 * MML_EXIT_* code: MML_EXIT_INPUT for a manifest that cannot be read,
 * after telling err (naming cmd) why; *out is then freed.
 */
int mml_cli_labels(const char *cmd, const mml_cli_input *in, const char *input, mml_labels *out, FILE *err);
/* A label as the JSON value of a "label" member (null when lb is NULL). */
void mml_cli_label_json(FILE *f, const mml_label *lb);
int mml_cli_opt_input(const char *cmd, int c, const char *arg, mml_cli_input *in, const char **cats, size_t *ncat,
                      FILE *err);

/* Message helpers (scan.c): a body that can be decoded; a client-to-server
 * message; the body decoded into t with the metadata joined as
 * `header.uin` and `query.*` (what the detectors see, as in `scan`). */
bool mml_cli_readable(const mml_msg *m);
bool mml_cli_request(const mml_msg *m);
mml_err mml_cli_decode_msg(mml_dtree *t, const mml_msg *m);

/*
 * Flows per session (diff.c), for `mmlens diff` and `mmlens audit`:
 * every message of the input decoded, searched by `det`, attributed by
 * `attrib` and split into sessions (src/analyze); the flows of session
 * `session` (1-based; 0 = all sessions) are merged into *out and the
 * number of sessions into *nsessions. Runs on one pipeline (sessions
 * need input order); in->out is ignored. Returns an MML_EXIT_* code.
 */
int mml_cli_collect_flows(const mml_cli_input *in, const mml_detect *det, const mml_attrib *attrib,
                          uint64_t session, mml_flows *out, uint64_t *nsessions, FILE *err);

/*
 * The same collection, also telling `hook` (for `mmlens report`): every
 * finding as it is found, with its message, the message's time (capture
 * time, else the body's, mml_msg_time) and attribution; and every
 * session as it closes, with the flows of exactly that session. A
 * finding is reported before the session holding its message closes;
 * sessions are message id ranges [first, last].
 */
typedef struct mml_cli_coll_finding {
	const mml_msg *m;
	const mml_finding *f;
	uint64_t session;   /* the session that will hold the message, 0: not decided yet
	                     * (the message follows a time jump the splitter has not confirmed) */
	bool has_ts;
	int64_t ts;
	bool attributed;
	mml_party party;
	mml_feature feature;
} mml_cli_coll_finding;
/* One message, after its findings (tree NULL: no readable body). */
typedef struct mml_cli_coll_msg {
	const mml_msg *m;
	const mml_dtree *tree;
	uint64_t findings;
	bool has_ts;
	int64_t ts;
	bool attributed;
	mml_party party;
	mml_feature feature;
} mml_cli_coll_msg;
typedef struct mml_cli_coll_hook {
	void (*finding)(void *ctx, const mml_cli_coll_finding *cf);
	void (*message)(void *ctx, const mml_cli_coll_msg *cm); /* NULL: not wanted */
	void (*session)(void *ctx, const mml_session *s, const mml_flows *flows);
	void *ctx;
} mml_cli_coll_hook;
int mml_cli_collect_hooked(const mml_cli_input *in, const mml_detect *det, const mml_attrib *attrib,
                           uint64_t session, mml_flows *out, uint64_t *nsessions, const mml_cli_coll_hook *hook,
                           FILE *err);

/*
 * An input argument "PATH", "PATH@N" (session N) or "PATH@NAME" (the
 * session labelled with scenario NAME): *path gets a malloc'd copy of
 * the path, *session N or 0, *name a malloc'd NAME or NULL (name may be
 * NULL: then only numbers are taken). The suffix is taken only when
 * PATH@... is not itself an existing file. Returns 0, or -1 (told err,
 * naming cmd) on a bad session number or no memory.
 */
int mml_cli_input_spec(const char *cmd, const char *arg, char **path, uint64_t *session, char **name, FILE *err);

/* The detectors (default configuration) and the attribution map (built
 * in, plus attrib_file when not NULL) for the flow commands (diff.c).
 * Returns an MML_EXIT_* code; on MML_EXIT_OK the caller frees both. */
int mml_cli_flows_setup(const char *cmd, const char *attrib_file, mml_detect **det, mml_attrib *attrib, FILE *err);
/* The flows of the input argument `spec` (PATH, PATH@N or PATH@NAME;
 * options of base) merged into *out, and into *session (when not NULL)
 * the session picked (0: all); a session past the input's last is a
 * usage error. With labels not NULL the input's labels (mml_cli_labels,
 * loaded once, also for @NAME) are left there for the caller to free;
 * it is initialised whatever the outcome. Returns an MML_EXIT_* code. */
int mml_cli_flows_of(const char *cmd, const mml_cli_input *base, const char *spec, const mml_detect *det,
                     const mml_attrib *attrib, mml_flows *out, uint64_t *session, mml_labels *labels, FILE *err);
/* The exit code that matters more: usage, unreadable input, errors, ok. */
int mml_cli_exit_worst(int a, int b);

#endif
