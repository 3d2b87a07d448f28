/*
 * mmlens/cli.h - the commands (top of the pipeline), callable from tests.
 *
 * Exit codes (docs/mmlens.1): 0 ok; 1 usage; 2 unreadable input;
 * 3 input parsed with errors (the rest was still analysed).
 */
#ifndef MMLENS_CLI_H
#define MMLENS_CLI_H

#include <stdio.h>

#include "mmlens/envelope.h"
#include "mmlens/stats.h"

enum { MML_EXIT_OK = 0, MML_EXIT_USAGE = 1, MML_EXIT_INPUT = 2, MML_EXIT_ERRORS = 3 };

/* `mmlens decrypt ...`; argv[0] is "decrypt". Diagnostics go to `err`. */
int mml_cmd_decrypt(int argc, char **argv, FILE *err);

/* `mmlens scan ...` and `mmlens decode ...`; argv[0] is the command name. */
int mml_cmd_scan(int argc, char **argv, FILE *err);
int mml_cmd_decode(int argc, char **argv, FILE *err);

/* `mmlens sessions ...` (stage 7: session splitting); argv[0] is "sessions". */
int mml_cmd_sessions(int argc, char **argv, FILE *err);

/* `mmlens diff A B`: the personal data one session or input sent and the
 * other did not (docs/SCHEMA.md, "`mmlens diff` output"); argv[0] is "diff". */
int mml_cmd_diff(int argc, char **argv, FILE *err);

/* `mmlens audit --policy MODEL INPUT`: every (party, category, context)
 * flow with its policy verdict (docs/SCHEMA.md, "`mmlens audit` output");
 * argv[0] is "audit". */
int mml_cmd_audit(int argc, char **argv, FILE *err);

/* `mmlens answer INPUT...`: the study's questions answered (docs/ANSWERS.md). */
int mml_cmd_answer(int argc, char **argv, FILE *err);

/* `mmlens report --db FILE [--policy MODEL] INPUT`: appends the input's
 * sessions, flows, verdicts and findings to an SQLite database
 * (docs/REPORT_DB.md); argv[0] is "report". */
int mml_cmd_report(int argc, char **argv, FILE *err);

/*
 * Where decrypted messages go instead of the decrypt JSONL: `make` builds
 * one state per pipeline (thread), writing to *outp; `msg` takes each
 * message; `done` merges a state into ctx and frees it; `finish` writes
 * what comes after all messages (before the output is closed).
 */
typedef struct mml_msg_sink {
	void *(*make)(void *ctx, FILE **outp);
	void (*msg)(void *state, const mml_msg *m);
	void (*done)(void *ctx, void *state);
	void (*finish)(void *ctx, FILE *out);
	void *ctx;
} mml_msg_sink;

/* Library entry for tests and benchmarks. */
typedef struct mml_decrypt_opts {
	const char *capture;      /* path or "-" */
	const char *keylog;       /* path or NULL */
	const char *const *keylogs; /* more key logs, NULL-terminated, or NULL: all are merged (one
	                             * per instrumented process is usual) */
	const char *const *catalogs; /* extra catalog files, NULL-terminated, or NULL */
	const char *out;          /* path, "-" for stdout, NULL for no JSONL */
	const char *stats_json;   /* path or NULL */
	size_t max_body;          /* inflate cap; 0 = default 16 MiB */
	int redact;
	int handshakes;
	int no_bodies;            /* metadata only: body_hex null */
	int quiet;                /* no human summary */
	int jobs;                 /* worker threads; 0 or 1 = single-threaded */
	size_t max_diag;          /* diagnostics printed per kind; 0 = 20 */
	const mml_msg_sink *sink; /* NULL: decrypt JSONL */
} mml_decrypt_opts;

int mml_decrypt_run(const mml_decrypt_opts *o, mml_stats *st, FILE *err);

#endif
