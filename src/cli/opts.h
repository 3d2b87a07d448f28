/*
 * src/cli/opts.h - the option skeleton of the commands (private to the
 * cli module; opts.c): a command lists its options in a table and
 * mml_opts_parse runs getopt_long over it. The options several commands
 * share (-k/--keylog, -o/--output, --label, --manifest, -p/--policy,
 * --catalog, --attribution, --max-body, --redact, -h/--help) are table
 * entries defined here once, with their checks and messages; so are the
 * refusal of a single-valued option given twice and the message for an
 * unknown option. The usage lines the commands share are here too.
 *
 * Contract: options are handled in the order given; the first bad one
 * stops the parse after telling err why (naming the command). Nothing is
 * allocated: values are views into argv.
 */
#ifndef MMLENS_CLI_OPTS_H
#define MMLENS_CLI_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include "input.h"

typedef enum mml_opt_kind {
	MML_OPTK_FLAG,   /* no value: *(bool *)dst = true */
	MML_OPTK_SET,    /* a value: *(const char **)dst = it (a later one replaces it) */
	MML_OPTK_ONCE,   /* a value given once: a second is refused, unless the first was `unset` */
	MML_OPTK_CALL,   /* fn(dst, value or NULL, cmd, err): 0, or -1 after telling err why */
	MML_OPTK_REFUSE, /* taken (with its value, if any) and then refused as unknown: an option of
	                 * the command's other mode (decode refuses scan's and the reverse) */
	MML_OPTK_HELP,   /* the usage to stdout: the parse ends, the command exits 0 */
} mml_opt_kind;

typedef struct mml_opt {
	const char *name;       /* the long option, without "--" */
	char shortopt;          /* 0: long only */
	mml_opt_kind kind;
	bool arg;               /* it takes a value (MML_OPTK_CALL, MML_OPTK_REFUSE; SET and ONCE always do) */
	void *dst;
	int (*fn)(void *dst, const char *arg, const char *cmd, FILE *err);
	const char *unset;      /* MML_OPTK_ONCE: a first value that counts as not given, or NULL */
} mml_opt;

/*
 * Parse argv[1..) with the options opt[0..n) of command cmd ("mmlens
 * audit"). Returns 0 (optind: the first operand), 1 after --help (usage
 * written to stdout), or -1 on a usage error (err told why; an unknown
 * option is followed by the usage).
 */
int mml_opts_parse(const char *cmd, const char *usage, const mml_opt *opt, size_t n, int argc, char **argv,
                   FILE *err);

/* A single-valued option given twice is a usage error: -1 (told err) when prev is set. */
int mml_cli_opt_once(const char *cmd, const char *opt, const char *prev, FILE *err);

/* Handlers of the shared options (dst: the command's mml_cli_input, or as named). */
int mml_opt_keylog(void *in, const char *arg, const char *cmd, FILE *err);
/* A key log for in (per_side: one side of a diff, told so when there are too many). */
int mml_opt_keylog_to(mml_cli_input *in, const char *arg, const char *cmd, bool per_side, FILE *err);
/* A repeatable option of at most max values: they go to v[*n]; one more is
 * refused with "CMD: <full>". dst: a mml_optlist. */
typedef struct mml_optlist {
	const char **v;
	size_t *n, max;
	const char *full;
} mml_optlist;
int mml_opt_list(void *list, const char *arg, const char *cmd, FILE *err);
int mml_opt_catalog(void *in, const char *arg, const char *cmd, FILE *err);
int mml_opt_max_body(void *in, const char *arg, const char *cmd, FILE *err);
int mml_opt_label(void *in, const char *arg, const char *cmd, FILE *err);
/* -j/--jobs: 1 to 64 threads into *(int *)dst. */
int mml_opt_jobs(void *jobs, const char *arg, const char *cmd, FILE *err);
/* A number from lo to hi into *(uint64_t *)dst; false when it is not one. */
bool mml_opt_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v);

/* The shared options, as table entries. */
#define MML_OPT_KEYLOG(in) {"keylog", 'k', MML_OPTK_CALL, true, (in), mml_opt_keylog, NULL}
#define MML_OPT_CATALOG(in) {"catalog", 0, MML_OPTK_CALL, true, (in), mml_opt_catalog, NULL}
#define MML_OPT_MAX_BODY(in) {"max-body", 0, MML_OPTK_CALL, true, (in), mml_opt_max_body, NULL}
#define MML_OPT_LABEL(in) {"label", 0, MML_OPTK_CALL, true, (in), mml_opt_label, NULL}
#define MML_OPT_MANIFEST(in) {"manifest", 0, MML_OPTK_SET, true, &(in)->manifest, NULL, NULL}
#define MML_OPT_OUTPUT(p) {"output", 'o', MML_OPTK_ONCE, true, (p), NULL, NULL}
#define MML_OPT_OUTPUT_LAST(p) {"output", 'o', MML_OPTK_SET, true, (p), NULL, NULL}
#define MML_OPT_POLICY(p) {"policy", 'p', MML_OPTK_ONCE, true, (p), NULL, NULL}
#define MML_OPT_ATTRIBUTION(p) {"attribution", 0, MML_OPTK_ONCE, true, (p), NULL, NULL}
#define MML_OPT_REDACT(b) {"redact", 0, MML_OPTK_FLAG, false, (b), NULL, NULL}
#define MML_OPT_SERIES(b) {"series", 0, MML_OPTK_FLAG, false, (b), NULL, NULL}
#define MML_OPT_HELP {"help", 'h', MML_OPTK_HELP, false, NULL, NULL, NULL}
/* The options of the commands that read an input into sessions. */
#define MML_OPT_INPUT(in) MML_OPT_KEYLOG(in), MML_OPT_CATALOG(in), MML_OPT_MAX_BODY(in)
#define MML_OPT_LABELS(in) MML_OPT_LABEL(in), MML_OPT_MANIFEST(in)

/* Usage lines several commands share. */
#define MML_USAGE_KEYLOG_MERGED "  -k, --keylog FILE      instrumentation key log (captures); repeatable, merged\n"
#define MML_USAGE_KEYLOG "  -k, --keylog FILE      instrumentation key log (captures)\n"
#define MML_USAGE_OUTPUT "  -o, --output FILE      write here (mode 0600) instead of stdout\n"
#define MML_USAGE_CATALOG "      --catalog FILE     extra request-type catalog (id<TAB>api); repeatable\n"
#define MML_USAGE_ATTRIBUTION "      --attribution FILE extra attribution rows (docs/ATTRIBUTION.md)\n"
#define MML_USAGE_MAX_BODY "      --max-body BYTES   cap on an inflated body (default 16777216)\n"
#define MML_USAGE_SERIES "      --series           the INPUTs must be a cumulative series (else refused)\n"
#define MML_USAGE_HELP "  -h, --help             this help\n"
#define MML_USAGE_LABELS                                                                                           \
	"      --label N:KEY=VALUE  label session N (KEY scenario, features, permissions,\n"                          \
	"                         region; lists comma-separated; N all: every session); repeatable\n"                 \
	"      --manifest FILE    session labels from a JSON manifest (docs/SCHEMA.md)\n"
/* The options of the commands that analyse flows (audit, answer). */
#define MML_USAGE_FLOWS                                                                                            \
	MML_USAGE_KEYLOG_MERGED MML_USAGE_OUTPUT MML_USAGE_CATALOG MML_USAGE_ATTRIBUTION MML_USAGE_MAX_BODY         \
	MML_USAGE_SERIES MML_USAGE_LABELS MML_USAGE_HELP
#define MML_USAGE_EXIT_ERRORS                                                                                      \
	"Exit status: 0 ok, 1 usage, 2 unreadable input, 3 input had errors\n"                                    \
	"(reported on stderr; the rest was still analysed).\n"

#endif
