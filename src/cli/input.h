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
#include "mmlens/collect.h"
#include "mmlens/decode.h"
#include "mmlens/detect.h"
#include "mmlens/judge.h"

enum { MML_IN_CAPTURE, MML_IN_LOG, MML_IN_UNREADABLE };

int mml_cli_input_kind(const char *path);

#define MML_CLI_MAX_LABELS 64
#define MML_CLI_MAX_KEYLOGS 16
#define MML_CLI_MAX_CATALOGS 32

typedef struct mml_cli_input {
	const char *input, *out, *stats_json;
	const char *keylogs[MML_CLI_MAX_KEYLOGS + 1]; /* -k, repeatable (merged); NULL-terminated */
	size_t nkeylogs;
	const char *const *cats;  /* NULL-terminated, or NULL */
	const char *cat_v[MML_CLI_MAX_CATALOGS + 1]; /* --catalog, repeatable (cats points here) */
	size_t ncat;
	size_t max_body;
	bool redact, quiet;
	int jobs;
	const char *label_args[MML_CLI_MAX_LABELS]; /* --label N:KEY=VALUE, checked when given */
	size_t nlabel_args;
	const char *manifest;     /* --manifest FILE, or NULL */
	mml_overlap *ov;          /* not NULL: count this input's messages in it as input ov_index (a diff's sides) */
	size_t ov_index;
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

/*
 * The policy models of --policy MODEL (inputs.c): "auto" or NULL (both
 * shipped models, judged per flow: mml_policyset, judge.h), "wechat",
 * "weixin", or a file. 0, or -1 after reporting each problem.
 */
typedef struct mml_cli_policies {
	const char *name;       /* "auto", or the model's name */
	mml_policy a, b;
	mml_policyset set;
} mml_cli_policies;
int mml_cli_policies_load(const char *cmd, const char *model, mml_cli_policies *p, FILE *err);
void mml_cli_policies_free(mml_cli_policies *p);
/* Copy a spool (tmpfile) to out from its start; 0, or -1 on a read error. */
int mml_cli_copy_spool(FILE *spool, FILE *out);

/*
 * The labels of input `input` (src/cli/labels.c): the manifest's entries
 * for it, then the --label arguments (which apply to every input). An
 * MML_EXIT_* code: MML_EXIT_INPUT for a manifest that cannot be read,
 * after telling err (naming cmd) why; *out is then freed.
 */
int mml_cli_labels(const char *cmd, const mml_cli_input *in, const char *input, mml_labels *out, FILE *err);

/*
 * A set of input files (inputs.c): ordered by size; when each is a byte
 * prefix of the next they are a cumulative series, read as the longest
 * file once with each file's own part one session (parts: where each
 * starts; identical files fold into one part with aliases).
 */
#define MML_CLI_MAX_FILES 256
typedef struct mml_cli_part {
	char *name;             /* the file's base name ("input K" with --redact) */
	const char *path;
	uint64_t first;         /* logs: the part's first message id (line) */
	uint64_t after_us;      /* captures: the part holds messages after this time */
	size_t naliases;
	char *alias[4];         /* identical files */
} mml_cli_part;
typedef struct mml_cli_set {
	bool series, capture;
	size_t nfiles;
	const char *files[MML_CLI_MAX_FILES];
	int64_t size[MML_CLI_MAX_FILES];
	size_t nparts;
	mml_cli_part part[MML_CLI_MAX_FILES];
} mml_cli_set;
/* want_series: --series was given (a set that is not a series is refused). An MML_EXIT_* code. */
int mml_cli_set_open(const char *cmd, const char *const *files, size_t n, bool want_series, bool redact,
                     mml_cli_set *s, FILE *err);
void mml_cli_set_free(mml_cli_set *s);
/* The part (1-based session of a series) named NAME, its alias, or NAME without extensions; 0 none. */
uint64_t mml_cli_set_find(const mml_cli_set *s, const char *name);
/* A series' parts as scenario labels of their sessions. */
mml_err mml_cli_set_labels(const mml_cli_set *s, mml_labels *lb);

/* What a collection read. */
typedef struct mml_cli_collected {
	uint64_t nsessions;
	mml_scan_counts counts;
} mml_cli_collected;
/*
 * Read a set into the collection of src/analyze/collect.c (decoded,
 * searched by det, attributed by attrib, split into sessions; a series
 * cut at its parts): the flows of session `want` (0: all) merged into
 * out (NULL: none), `hook` (NULL: none) told every finding, message and
 * session. One pipeline (sessions need input order). Shared messages of
 * inputs that are not a series are counted and warned about. Returns an
 * MML_EXIT_* code.
 */
int mml_cli_collect_set(const char *cmd, const mml_cli_set *s, const mml_cli_input *base, const mml_detect *det,
                        const mml_attrib *attrib, uint64_t want, mml_flows *out, mml_cli_collected *res,
                        const mml_collect_hook *hook, FILE *err);
/* Warn about the messages each pair of inputs (names[i] read as input i) shares. */
void mml_cli_overlap_report(const char *cmd, mml_overlap *ov, const char *const *names, size_t n, FILE *err);
/* One input (in->input) the same way; *nsessions: sessions read. */
int mml_cli_collect_flows(const mml_cli_input *in, const mml_detect *det, const mml_attrib *attrib,
                          uint64_t session, mml_flows *out, uint64_t *nsessions, FILE *err);
int mml_cli_collect_hooked(const mml_cli_input *in, const mml_detect *det, const mml_attrib *attrib,
                           uint64_t session, mml_flows *out, uint64_t *nsessions, const mml_collect_hook *hook,
                           FILE *err);

/*
 * What a command analyses (inputs.c): the positional arguments - input
 * files (one may carry @N or @NAME: PATH@N), and at most one selector
 * "@N" / "@NAME" of a session of them all - opened as a set, with its
 * labels: the series' scenario names, then the manifest's, then --label.
 * @NAME is a series part's file name (with or without its extensions) or
 * a labelled scenario.
 */
typedef struct mml_cli_target {
	mml_cli_set set;
	uint64_t session;       /* 0: every session */
	mml_labels labels;
	char *path;             /* storage for a PATH@... argument */
} mml_cli_target;
int mml_cli_target_open(const char *cmd, const mml_cli_input *base, const char *const *args, size_t nargs,
                        bool want_series, mml_cli_target *t, FILE *err);
void mml_cli_target_free(mml_cli_target *t);
/* Set t->session from "N" or "NAME" (without the '@'); an MML_EXIT_* code. */
int mml_cli_target_pick(const char *cmd, mml_cli_target *t, const char *sel, FILE *err);
/* mml_cli_collect_set of the target's session; a session past the last is a usage error. */
int mml_cli_target_collect(const char *cmd, const mml_cli_target *t, const mml_cli_input *base,
                           const mml_detect *det, const mml_attrib *attrib, mml_flows *out, mml_cli_collected *res,
                           const mml_collect_hook *hook, FILE *err);

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
/* The exit code that matters more: usage, unreadable input, errors, ok. */
int mml_cli_exit_worst(int a, int b);

#endif
