/*
 * bench/decode_speed.c - the speed figures of the decode and detect
 * modules, measured here rather than in the unit tests:
 *   decode   mml_decode_body over the bodies of the published plaintext
 *            log (inflated as the log reader does), MB/s of body
 *   detect   mml_detect_run alone over the same bodies (each decoded
 *            first, untimed), MB/s of body, as mmlens scan runs it
 *   hostile  one self-similar megabyte (nested messages, each holding
 *            four copies of the level below) and a zlib bomb (4 MiB of
 *            zeros deflated), ms per decode: bounded by the limits
 * usage: decode_speed [DATA_DIR [SECONDS]]
 *   DATA_DIR  the shared real data (default $MMLENS_DATA, else
 *             ../shared/data); its wechat-logs/startup_permissions_on_2.log.jsonl
 *   SECONDS   time per figure (default 1)
 * Output: one JSON object. Build: make build/bench-decode-speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmlens/crypto.h"
#include "mmlens/decode.h"
#include "mmlens/detect.h"
#include "mmlens/envelope.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct body {
	uint8_t *p;
	size_t n;
	int64_t req_type;
} body;

/* The log's bodies, as mmlens scan reads them (mml_plainlog). */
static body *load_log(const char *path, int *nb, size_t *bytes)
{
	mml_catalog cat;
	mml_catalog_init(&cat);
	mml_catalog_load_builtin(&cat);
	mml_plainlog *l = mml_plainlog_open(path, &cat, 1 << 24, NULL, NULL);
	if (!l) {
		mml_catalog_free(&cat);
		return NULL;
	}
	size_t cap = 512;
	body *b = calloc(cap, sizeof *b);
	int n = 0;
	mml_msg m;
	*bytes = 0;
	if (!b) {
		mml_plainlog_close(l);
		mml_catalog_free(&cat);
		return NULL;
	}
	while (mml_plainlog_next(l, &m) == MML_OK) {
		if ((size_t)n == cap) {
			body *nb2 = realloc(b, 2 * cap * sizeof *b);
			if (!nb2)
				break;
			b = nb2;
			cap *= 2;
		}
		b[n].p = malloc(m.body_len + 1);
		if (!b[n].p)
			break;
		if (m.body_len)
			memcpy(b[n].p, m.body, m.body_len);
		b[n].n = m.body_len;
		b[n].req_type = m.req_type;
		*bytes += m.body_len;
		n++;
	}
	mml_plainlog_close(l);
	mml_catalog_free(&cat);
	*nb = n;
	return b;
}

static void free_bodies(body *b, int n)
{
	for (int i = 0; i < n; i++)
		free(b[i].p);
	free(b);
}

static void count_find(void *ctx, const mml_finding *f)
{
	(void)f;
	(*(size_t *)ctx)++;
}

/* m wrapped as field 1 four times per level, up to a megabyte. */
static void self_similar(mml_buf *b)
{
	mml_buf_init(b, 0);
	static const uint8_t seed[] = {0x08, 0x01, 0x12, 0x00};
	mml_buf_append(b, seed, sizeof seed);
	while (b->len < (1u << 20)) {
		mml_buf nb;
		mml_buf_init(&nb, 0);
		for (int r = 0; r < 4; r++) {
			uint8_t hdr[12];
			size_t k = 0, l = b->len;
			hdr[k++] = 0x0a;
			do
				hdr[k++] = (uint8_t)((l & 0x7f) | (l >= 0x80 ? 0x80 : 0));
			while ((l >>= 7));
			mml_buf_append(&nb, hdr, k);
			mml_buf_append(&nb, b->p, b->len);
		}
		mml_buf_free(b);
		*b = nb;
	}
}

/* ms per decode of p[0..n) (as fmt, or as a body when fmt is 0), best of a few. */
static double hostile_ms(mml_dtree *t, int fmt, const uint8_t *p, size_t n, double secs)
{
	double best = 1e9, t0 = now();
	int reps = 0;
	do {
		double a = now();
		if (fmt)
			mml_decode_as(t, (mml_dfmt)fmt, p, n);
		else
			mml_decode_body(t, p, n);
		double e = now() - a;
		if (e < best)
			best = e;
		reps++;
	} while (now() - t0 < secs && reps < 1000);
	return best * 1e3;
}

/* A number of seconds into *v: false when the whole argument is not a number. */
static bool arg_seconds(const char *s, double *v)
{
	char *end;
	*v = strtod(s, &end);
	return end != s && !*end;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : getenv("MMLENS_DATA");
	if (!dir)
		dir = "../shared/data";
	double secs = 1.0;
	if (argc > 2 && !arg_seconds(argv[2], &secs)) {
		fprintf(stderr, "decode-speed: %s: SECONDS is not a number\n", argv[2]);
		return 2;
	}
	if (secs <= 0)
		secs = 1.0;
	char path[4096];
	snprintf(path, sizeof path, "%s/wechat-logs/startup_permissions_on_2.log.jsonl", dir);
	int n = 0;
	size_t bytes = 0;
	body *b = load_log(path, &n, &bytes);
	if (!b || !n) {
		fprintf(stderr, "decode-speed: %s: cannot read the log\n", path);
		free(b);
		return 2;
	}
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	/* decode */
	uint64_t dbytes = 0;
	int reps = 0;
	double t0 = now(), el;
	do {
		for (int i = 0; i < n; i++) {
			mml_decode_body(&t, b[i].p, b[i].n);
			dbytes += b[i].n;
		}
		reps++;
		el = now() - t0;
	} while (el < secs);
	double dec_mbs = (double)dbytes / el / 1e6;
	/* detect alone */
	mml_detect_cfg *cfg = mml_detect_cfg_new();
	char err[256];
	mml_detect *det = mml_detect_new(cfg, err, sizeof err);
	mml_detect_cfg_free(cfg);
	if (!det) {
		fprintf(stderr, "decode-speed: detect: %s\n", err);
		mml_dtree_free(&t);
		free_bodies(b, n);
		return 2;
	}
	mml_detect_scratch *scr = mml_detect_scratch_new(det);
	size_t findings = 0;
	int dreps = 0;
	double del = 0;
	do {
		for (int i = 0; i < n; i++) {
			mml_decode_body(&t, b[i].p, b[i].n);
			mml_detect_msg dm = {.req_type = b[i].req_type, .api = NULL, .request = true};
			double a = now();
			mml_detect_run(det, scr, &t, &dm, count_find, &findings);
			del += now() - a;
		}
		dreps++;
	} while (del < secs && dreps < 2000);
	double det_mbs = (double)bytes * dreps / del / 1e6;
	/* hostile */
	mml_buf ss;
	self_similar(&ss);
	double ss_ms = hostile_ms(&t, 0, ss.p, ss.len, secs);
	uint32_t ss_nodes = t.count;
	const char *ss_limit = t.limit_hit ? t.limit_hit : "none";
	uint8_t *zeros = calloc(1, (size_t)4 << 20);
	mml_buf bomb;
	mml_buf_init(&bomb, 0);
	mml_err ze = zeros ? mml_deflate(zeros, (size_t)4 << 20, &bomb) : MML_E_NOMEM;
	free(zeros);
	int rc = 0;
	if (ze != MML_OK) {
		fprintf(stderr, "decode-speed: out of memory\n");
		rc = 2;
		goto done;
	}
	double bomb_ms = hostile_ms(&t, MML_DF_ZLIB, bomb.p, bomb.len, secs);
	const char *bomb_limit = t.limit_hit ? t.limit_hit : "none";
	printf("{\"log_bodies\":%d,\"log_bytes\":%zu,\"decode_mbs\":%.1f,\"decode_passes\":%d,\"detect_mbs\":%.1f,"
	       "\"detect_passes\":%d,\"findings_per_pass\":%zu,\"self_similar_bytes\":%zu,\"self_similar_ms\":%.2f,"
	       "\"self_similar_nodes\":%u,\"self_similar_limit\":\"%s\",\"zlib_bomb_bytes\":%zu,\"zlib_bomb_ms\":%.3f,"
	       "\"zlib_bomb_limit\":\"%s\"}\n",
	       n, bytes, dec_mbs, reps, det_mbs, dreps, dreps ? findings / (size_t)dreps : 0, ss.len, ss_ms, ss_nodes,
	       ss_limit, bomb.len, bomb_ms, bomb_limit);
done:
	mml_buf_free(&ss);
	mml_buf_free(&bomb);
	mml_detect_scratch_free(scr);
	mml_detect_free(det);
	mml_dtree_free(&t);
	free_bodies(b, n);
	return rc;
}
