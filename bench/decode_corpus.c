/*
 * bench/decode_corpus.c - the decoder's per-byte speed on hostile input
 * (the fuzz corpora) against its speed on real traffic (the bench mix).
 *
 * usage: decode_corpus CAPTURE KEYLOG [CORPUS_DIR [SECONDS]]
 *   CAPTURE, KEYLOG  a capture of the bench mix and its key log, e.g.
 *                    mmlens-sim --scenario bench --size 20M --devices 8
 *                    --keylog-sparse --seed 7 --pcap P --keylog K
 *   CORPUS_DIR       the fuzz corpora (default fuzz/corpus): every file of
 *                    every fuzz_decode_* directory
 *   SECONDS          time spent on each side (default 2)
 * The bench mix: every readable message body of the capture, decrypted
 * once into memory, then mml_decode_body() on each, as mmlens scan does.
 * The corpora: each file decoded as its harness decodes it
 * (fuzz/fuzz_decode_common.h) into a tree with the default limits:
 * mml_decode_as() with the harness's format (fuzz_decode_wrap: the first
 * byte picks the step), then mml_decode_body() and the metadata nodes.
 * Speeds are bytes handed to a decode call per second (a corpus file
 * counts twice: two calls). Output: one line per corpus, the slowest
 * files, then
 *   decode-corpus: bench mix X MB/s, fuzz corpora Y MB/s, ratio R (>= 0.10 wanted)
 * and exit status 0 when R >= 0.10, 1 when not.
 * Build: make build/bench-decode-corpus.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmlens/cli.h"
#include "mmlens/decode.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct body {
	uint8_t *p;
	size_t n;
	int fmt;       /* harness format; -1: the first byte picks (fuzz_decode_wrap); -2: a real body */
	int corpus;    /* index into corpora[] */
	char name[64];
	double s;      /* seconds spent on it, summed */
} body;

typedef struct bodies {
	body *b;
	size_t n, cap;
	uint64_t bytes;
} bodies;

static void add(bodies *bs, const uint8_t *p, size_t n, int fmt, int corpus, const char *name)
{
	if (bs->n == bs->cap) {
		size_t nc = bs->cap ? bs->cap * 2 : 1024;
		body *nb = realloc(bs->b, nc * sizeof *nb);
		if (!nb) {
			fprintf(stderr, "decode-corpus: out of memory\n");
			exit(2);
		}
		bs->b = nb;
		bs->cap = nc;
	}
	body *b = &bs->b[bs->n++];
	memset(b, 0, sizeof *b);
	b->p = malloc(n ? n : 1);
	if (!b->p) {
		fprintf(stderr, "decode-corpus: out of memory\n");
		exit(2);
	}
	if (n)
		memcpy(b->p, p, n);
	b->n = n;
	b->fmt = fmt;
	b->corpus = corpus;
	snprintf(b->name, sizeof b->name, "%s", name ? name : "");
	bs->bytes += n;
}

/* ---- the bench mix ---- */

static bodies real;

static void *mk(void *ctx, FILE **outp)
{
	(void)outp;
	return ctx;
}
static void on_msg(void *state, const mml_msg *m)
{
	if ((m->status == MML_ST_DECRYPTED || m->status == MML_ST_PLAINTEXT) && m->body)
		add(state, m->body, m->body_len, -2, -1, NULL);
}
static void done(void *ctx, void *state) { (void)ctx, (void)state; }
static void fin(void *ctx, FILE *out) { (void)ctx, (void)out; }

/* ---- the corpora ---- */

static const struct {
	const char *dir;
	int fmt;
} corpora[] = {
	{"fuzz_decode_csv", MML_DF_CSV}, {"fuzz_decode_json", MML_DF_JSON}, {"fuzz_decode_pb", MML_DF_PB},
	{"fuzz_decode_url", MML_DF_URL}, {"fuzz_decode_wrap", -1},          {"fuzz_decode_xml", MML_DF_XML},
};
#define NCORPORA (sizeof corpora / sizeof corpora[0])

static int load_dir(bodies *bs, const char *root, int ci)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", root, corpora[ci].dir);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	struct dirent *e;
	int k = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char fp[8192];
		snprintf(fp, sizeof fp, "%s/%s", path, e->d_name);
		FILE *f = fopen(fp, "rb");
		if (!f)
			continue;
		static uint8_t buf[(size_t)4 << 20];
		size_t n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		add(bs, buf, n, corpora[ci].fmt, ci, e->d_name);
		k++;
	}
	closedir(d);
	return k;
}

/* One corpus file as its harness decodes it (default limits); returns the bytes handed to decode calls. */
static size_t decode_as_harness(mml_dtree *t, const body *b)
{
	const uint8_t *p = b->p;
	size_t n = b->n;
	int fmt = b->fmt;
	if (fmt < 0) {
		static const int steps[4] = {MML_DF_BASE64, MML_DF_HEX, MML_DF_ZLIB, MML_DF_GZIP};
		if (!n)
			return 0;
		fmt = steps[p[0] & 3];
		p++;
		n--;
	}
	mml_decode_as(t, (mml_dfmt)fmt, p, n);
	mml_decode_body(t, p, n);
	size_t q = n < 200 ? n : 200;
	mml_decode_meta_url(t, "query", (const char *)p, q);
	mml_decode_meta_uint(t, "header", "uin", n);
	return 2 * n;
}

/* Decode every body again and again for `secs` seconds; bytes per second. */
static int passes;
static double run(bodies *bs, mml_dtree *t, double secs, bool per_body)
{
	uint64_t bytes = 0;
	passes = 0;
	double t0 = now(), el;
	do {
		for (size_t i = 0; i < bs->n; i++) {
			body *b = &bs->b[i];
			double a = per_body ? now() : 0;
			if (b->fmt == -2) {
				mml_decode_body(t, b->p, b->n);
				bytes += b->n;
			} else {
				bytes += decode_as_harness(t, b);
			}
			if (per_body)
				b->s += now() - a;
		}
		el = now() - t0;
		passes++;
	} while (el < secs);
	return (double)bytes / el;
}

static int by_speed(const void *a, const void *b)
{
	const body *x = a, *y = b;
	double sx = x->n ? x->s / (double)x->n : 0, sy = y->n ? y->s / (double)y->n : 0;
	return sx < sy ? 1 : sx > sy ? -1 : 0;
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
	if (argc < 3) {
		fprintf(stderr, "usage: decode_corpus CAPTURE KEYLOG [CORPUS_DIR [SECONDS]]\n");
		return 2;
	}
	const char *root = argc > 3 ? argv[3] : "fuzz/corpus";
	double secs = 2.0;
	if (argc > 4 && !arg_seconds(argv[4], &secs)) {
		fprintf(stderr, "decode_corpus: %s: SECONDS is not a number\n", argv[4]);
		return 2;
	}
	if (secs <= 0)
		secs = 2.0;
	mml_msg_sink sink = {mk, on_msg, done, fin, &real};
	mml_decrypt_opts d;
	memset(&d, 0, sizeof d);
	d.capture = argv[1];
	d.keylog = argv[2];
	d.quiet = 1;
	d.sink = &sink;
	mml_stats st;
	memset(&st, 0, sizeof st);
	if (mml_decrypt_run(&d, &st, stderr) != 0 || !real.n) {
		fprintf(stderr, "decode-corpus: no message bodies in %s\n", argv[1]);
		return 2;
	}
	bodies fz = {0};
	for (size_t c = 0; c < NCORPORA; c++)
		if (load_dir(&fz, root, (int)c) < 0) {
			fprintf(stderr, "decode-corpus: %s/%s: cannot read\n", root, corpora[c].dir);
			return 2;
		}
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	double rs = run(&real, &t, secs, false);
	double fs = run(&fz, &t, secs, false);
	run(&fz, &t, secs / 4, true); /* where the time goes, per file (timed one by one) */
	for (size_t i = 0; i < fz.n; i++)
		fz.b[i].s /= 2.0 * passes; /* per byte handed to one decode call */
	/* per corpus */
	for (size_t c = 0; c < NCORPORA; c++) {
		double s = 0;
		uint64_t n = 0;
		size_t files = 0;
		for (size_t i = 0; i < fz.n; i++)
			if (fz.b[i].corpus == (int)c)
				s += fz.b[i].s, n += fz.b[i].n, files++;
		printf("  %-18s %3zu files %8llu bytes  %8.1f ns/byte\n", corpora[c].dir, files, (unsigned long long)n,
		       n ? s * 1e9 / (double)n : 0.0);
	}
	qsort(fz.b, fz.n, sizeof *fz.b, by_speed);
	printf("  slowest per byte:");
	for (size_t i = 0; i < fz.n && i < 5; i++)
		printf(" %s/%s (%zu bytes)", corpora[fz.b[i].corpus].dir + 12, fz.b[i].name, fz.b[i].n);
	printf("\n");
	double ratio = fs / rs;
	printf("decode-corpus: bench mix %.1f MB/s (%zu bodies, %llu bytes), fuzz corpora %.1f MB/s (%zu files, %llu "
	       "bytes), ratio %.3f (>= 0.10 wanted)\n",
	       rs / 1e6, real.n, (unsigned long long)real.bytes, fs / 1e6, fz.n, (unsigned long long)fz.bytes, ratio);
	mml_dtree_free(&t);
	for (size_t i = 0; i < real.n; i++)
		free(real.b[i].p);
	for (size_t i = 0; i < fz.n; i++)
		free(fz.b[i].p);
	free(real.b);
	free(fz.b);
	return ratio >= 0.10 ? 0 : 1;
}
