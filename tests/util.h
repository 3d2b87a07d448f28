/*
 * tests/util.h - helpers shared by the tests: run decrypt into a temp
 * file and read its JSONL back with jansson; read hex fixtures.
 */
#ifndef MMLENS_TEST_UTIL_H
#define MMLENS_TEST_UTIL_H

#include <jansson.h>

#include "mmlens/cli.h"
#include "mmlens/util.h"

typedef struct t_run {
	int rc;
	mml_stats st;
	json_t *lines;     /* array of every JSONL object */
	json_t *messages;  /* the "message" objects (borrowed from lines) */
	char out[512];
} t_run;

/* Run mml_decrypt_run on capture + keylog (keylog may be NULL). */
void t_decrypt(t_run *r, const char *capture, const char *keylog, const mml_decrypt_opts *extra);
void t_run_free(t_run *r);
/* A message's string field, or NULL. */
const char *t_str(json_t *o, const char *k);
/* An integer member, or -1 when missing or not an integer. */
long long t_int(json_t *o, const char *k);
/* Read a whole file into a NUL-terminated malloc'd buffer (NULL on error). */
char *t_slurp(const char *path, size_t *len);
/* Write bytes to a new file in the test temp dir; returns its path (static x4). */
const char *t_write_tmp(const char *name, const void *p, size_t n);
/* Decode a published hex dump file into b. */
int t_hexfile(const char *path, mml_buf *b);
/* Hex of bytes into a malloc'd string. */
char *t_hex(const uint8_t *p, size_t n);

/* The simulator binary ($MMLENS_SIM, else build/mmlens-sim). */
const char *t_sim_bin(void);
/* Run the simulator with extra args into <tmp>/<tag>.{pcap,keys,truth}; its exit status. */
int t_simulate(const char *tag, const char *args, char *pcap, char *keys, char *truth, size_t n);
/* Every JSON object of a JSONL file, as a new array (empty when unreadable). */
json_t *t_load_jsonl(const char *path);

/* A cli command run in-process: argv (NULL-terminated, argv[0] the
 * command's name) plus "-o TMP/tag.out"; the output's JSON lines, the
 * exit code and what it wrote to err. Free lines with json_decref. */
typedef struct t_cmd {
	int rc;
	json_t *lines;
	char err[8192];
	char out[512];   /* the output file */
} t_cmd;
void t_cmd_run(t_cmd *r, int (*cmd)(int, char **, FILE *), const char *tag, const char **argv);
/* A cli command run in-process on argv (NULL-terminated) with its
 * diagnostics discarded; its exit code. */
int t_cmd_quiet(int (*cmd)(int, char **, FILE *), char **argv);

#endif
