/*
 * mmlens/report.h - output (stage 8): the decrypt JSONL contract, stats,
 * and output files created 0600.
 *
 * Contract: one JSON object per line; the schema is docs/SCHEMA.md
 * ("decrypt output"). Writers never fail silently: a write error is
 * reported by mml_out_close().
 */
#ifndef MMLENS_REPORT_H
#define MMLENS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "mmlens/envelope.h"

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

#endif
