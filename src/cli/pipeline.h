/*
 * src/cli/pipeline.h - one decrypt pipeline (flow table -> MMTLS ->
 * envelope -> JSONL) and the worker pool that runs several in threads.
 * Private to the cli module.
 *
 * Contract: a pipeline owns its flow table, MMTLS context, envelope
 * processor and stats; the key log and catalog are shared read-only (the
 * key-log use counters are atomic). With N workers the reader thread
 * sends each packet to the worker chosen by a symmetric hash of its
 * 4-tuple, so a flow's packets stay in order on one worker; workers write
 * whole JSONL lines to their own buffer and hand full buffers to the
 * output under a lock. Memory: N x (flows + 8 batches of 256 KiB).
 */
#ifndef MMLENS_CLI_PIPELINE_H
#define MMLENS_CLI_PIPELINE_H

#include <pthread.h>
#include <stdio.h>

#include "mmlens/cli.h"
#include "mmlens/report.h"

typedef struct mml_pipe {
	mml_stats st;
	mml_flowtab *ft;
	mml_mmtls_ctx *mm;
	mml_envproc *env;
	FILE *out;              /* final output, or this worker's memory stream */
	FILE *final_out;        /* workers: where full buffers go */
	pthread_mutex_t *out_lock;
	char *membuf;
	size_t memlen;
	mml_jsonl_opts jo;
	void *sink;             /* the shared sink's per-pipeline state, or NULL */
	const struct mml_pipe_shared *sh;
} mml_pipe;

typedef struct mml_pipe_shared {
	const mml_keylog *kl;
	const mml_catalog *cat;
	size_t max_body;
	uint64_t flow_ids, msg_ids;
	mml_uinkeys *uinkeys;     /* --jobs: session keys shared by the workers */
	mml_jsonl_opts jo;
	const mml_msg_sink *sink; /* NULL: decrypt JSONL (see cli.h) */
} mml_pipe_shared;

/* Set up a pipeline writing to `out` (NULL: no JSONL). */
mml_err mml_pipe_init(mml_pipe *p, mml_pipe_shared *sh, FILE *out);
void mml_pipe_packet(mml_pipe *p, const mml_pkt *pkt);
/* End of input: close all flows, flush output. */
void mml_pipe_finish(mml_pipe *p);
void mml_pipe_free(mml_pipe *p);

/*
 * Run `jobs` worker pipelines over a capture. Returns the capture's final
 * status (MML_E_END at a clean end). Stats are summed into *st.
 */
mml_err mml_pipe_run_parallel(mml_capture *cap, mml_pipe_shared *sh, int jobs, FILE *out, mml_stats *st);

#endif
