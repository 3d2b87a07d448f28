/*
 * src/cli/input.h - the input handling shared by the commands that read
 * "a capture or a plaintext log" (scan, decode, sessions). Private to
 * the cli module; defined in scan.c.
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

#include "mmlens/cli.h"

enum { MML_IN_CAPTURE, MML_IN_LOG, MML_IN_UNREADABLE };

int mml_cli_input_kind(const char *path);

typedef struct mml_cli_input {
	const char *input, *keylog, *out, *stats_json;
	const char *const *cats;  /* NULL-terminated, or NULL */
	size_t max_body;
	int redact, quiet, jobs;
} mml_cli_input;

int mml_cli_run_input(const mml_cli_input *in, const mml_msg_sink *sink, FILE *err);

/*
 * Option values shared by the commands (scan.c). Each returns 0, or -1
 * after telling err why, naming the command `cmd`.
 *  --catalog: adds the file to cats[0..32) (at most 32);
 *  --max-body: a byte count from 1 to 4 GiB.
 */
int mml_cli_opt_catalog(const char *cmd, const char *arg, const char **cats, size_t *ncat, FILE *err);
int mml_cli_opt_max_body(const char *cmd, const char *arg, size_t *max_body, FILE *err);

#endif
