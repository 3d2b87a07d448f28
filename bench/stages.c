/*
 * bench/stages.c - the decrypt path measured stage by stage over one
 * capture, plus the raw AES-128-GCM ceiling over the same record sizes.
 *
 * usage: stages CAPTURE KEYLOG [REPEAT]
 * Each pass reads the whole capture again and stops after one more stage:
 *   read      capture read and link/IP/TCP decode (libpcap + ours)
 *   reasm     + TCP reassembly
 *   framing   + MMTLS/HTTP framing (no key log: records are only framed)
 *   outer     + outer AES-128-GCM (key log loaded, messages dropped)
 *   inner     + envelope, inner decryption, inflate (no output)
 *   full      + JSONL written to /dev/null (what `mmlens decrypt` does)
 * The AES ceiling opens buffers of every record size seen, one GCM open
 * per record, with OpenSSL directly. Output: one JSON object.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmlens/crypto.h"
#include "mmlens/report.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct ctx {
	int stage;
	mml_envproc *env;
	FILE *out;
	mml_jsonl_opts jo;
	uint64_t sink;
	uint64_t *hist;     /* encrypted record body sizes */
} ctx;

enum { ST_READ, ST_REASM, ST_FRAMING, ST_OUTER, ST_INNER, ST_FULL, ST__N };
static const char *const names[ST__N] = {"read", "reasm", "framing", "outer", "inner", "full"};

static void nop_data(void *c, mml_flow *f, int dir, const uint8_t *p, size_t n, uint64_t ts, uint64_t pkt)
{
	(void)f, (void)dir, (void)ts, (void)pkt;
	((ctx *)c)->sink += n ? p[0] + n : 0;
}

static void on_msg(void *c, const mml_msg *m)
{
	ctx *x = c;
	if (x->out)
		mml_jsonl_message(x->out, m, &x->jo);
	else
		x->sink += m->body_len;
}

static void on_outer(void *c, const mml_outer *o)
{
	ctx *x = c;
	if (x->hist && o->rec_type == MML_REC_DATA && o->len < 65536)
		x->hist[o->len + 16]++;
	if (x->stage >= ST_INNER)
		mml_envproc_outer(x->env, o);
	else
		x->sink += o->len;
}

static double run_stage(const char *cap, const mml_keylog *kl, const mml_catalog *cat, int stage, mml_stats *st,
                        uint64_t *hist)
{
	memset(st, 0, sizeof *st);
	ctx x;
	memset(&x, 0, sizeof x);
	x.stage = stage;
	x.hist = hist;
	if (stage == ST_FULL)
		x.out = fopen("/dev/null", "w");
	mml_keylog empty;
	mml_keylog_init(&empty);
	mml_envproc_cfg ec = {0};
	x.env = mml_envproc_new(&ec, kl, cat, st, on_msg, &x);
	mml_conn_cbs cc = {.ctx = &x, .on_outer = on_outer};
	mml_mmtls_ctx *mm = mml_mmtls_new(stage >= ST_OUTER ? kl : &empty, &cc, st);
	mml_flow_cbs fc = {.ctx = &x, .on_data = nop_data};
	if (stage >= ST_FRAMING)
		mml_mmtls_flow_cbs(mm, &fc);
	mml_flowtab_cfg cfg = {0};
	mml_flowtab *ft = mml_flowtab_new(&cfg, &fc, st);
	mml_capture c;
	double t0 = now();
	if (mml_capture_open(&c, cap, st) != MML_OK) {
		fprintf(stderr, "%s\n", c.errbuf);
		exit(2);
	}
	mml_pkt p;
	while (mml_capture_next(&c, &p) == MML_OK) {
		if (stage >= ST_REASM)
			mml_flowtab_packet(ft, &p);
		else
			x.sink += p.paylen;
	}
	mml_flowtab_flush(ft);
	if (x.out)
		fflush(x.out);
	double t = now() - t0;
	mml_capture_close(&c);
	mml_flowtab_free(ft);
	mml_mmtls_free(mm);
	mml_envproc_free(x.env);
	if (x.out)
		fclose(x.out);
	return t;
}

static double aes_ceiling(const uint64_t *hist, uint64_t *bytes_out, uint64_t *recs_out)
{
	mml_aead a;
	mml_aead_init(&a);
	uint8_t key[16] = {1, 2, 3}, nonce[12] = {4, 5, 6}, aad[13] = {0};
	uint8_t *buf = malloc(65536 + 32), *out = malloc(65536 + 32), tag[16];
	memset(buf, 0x5a, 65536);
	uint64_t bytes = 0, recs = 0;
	/* a valid tag per size, so every open does the full work */
	double t = 0;
	for (size_t sz = 17; sz < 65536; sz++) {
		if (!hist[sz])
			continue;
		size_t ct = sz - 16;
		mml_gcm_seal(&a, key, 16, nonce, 12, aad, 13, buf, ct, buf, tag);
		double t0 = now();
		for (uint64_t i = 0; i < hist[sz]; i++)
			mml_gcm_open(&a, key, 16, nonce, 12, aad, 13, buf, ct, tag, out);
		t += now() - t0;
		bytes += sz * hist[sz];
		recs += hist[sz];
		mml_gcm_seal(&a, key, 16, nonce, 12, aad, 13, out, ct, buf, tag); /* restore */
	}
	free(buf);
	free(out);
	mml_aead_free(&a);
	*bytes_out = bytes;
	*recs_out = recs;
	return t;
}

static double fixed_ceiling(size_t sz, uint64_t total)
{
	mml_aead a;
	mml_aead_init(&a);
	uint8_t key[16] = {9}, nonce[12] = {8}, tag[16];
	uint8_t *buf = calloc(1, sz), *out = malloc(sz);
	mml_gcm_seal(&a, key, 16, nonce, 12, NULL, 0, buf, sz, buf, tag);
	uint64_t n = total / sz;
	double t0 = now();
	for (uint64_t i = 0; i < n; i++)
		mml_gcm_open(&a, key, 16, nonce, 12, NULL, 0, buf, sz, tag, out);
	double t = now() - t0;
	free(buf);
	free(out);
	mml_aead_free(&a);
	return (double)(n * sz) / t / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: stages CAPTURE KEYLOG\n");
		return 1;
	}
	mml_stats st;
	memset(&st, 0, sizeof st);
	mml_keylog kl;
	mml_keylog_init(&kl);
	if (mml_keylog_load(&kl, argv[2], NULL, NULL, &st) != MML_OK) {
		fprintf(stderr, "%s: cannot read\n", argv[2]);
		return 2;
	}
	mml_catalog cat;
	mml_catalog_init(&cat);
	mml_catalog_load_builtin(&cat);
	uint64_t *hist = calloc(65536, sizeof *hist);
	double t[ST__N];
	mml_stats s[ST__N];
	/* a first read pass warms the page cache, so the read stage is not measured cold */
	(void)run_stage(argv[1], &kl, &cat, 0, &s[0], NULL);
	for (int i = 0; i < ST__N; i++)
		t[i] = run_stage(argv[1], &kl, &cat, i, &s[i], i == ST_OUTER ? hist : NULL);
	double mb = (double)s[0].bytes / 1e6;
	uint64_t cbytes, crecs;
	double tc = aes_ceiling(hist, &cbytes, &crecs);
	printf("{\"capture_mb\":%.1f,\"packets\":%llu,\"records\":%llu,\"messages\":%llu", mb,
	       (unsigned long long)s[0].packets, (unsigned long long)s[ST_FULL].records,
	       (unsigned long long)s[ST_FULL].messages);
	for (int i = 0; i < ST__N; i++)
		printf(",\"%s_s\":%.3f,\"%s_mbps\":%.1f", names[i], t[i], names[i], mb / t[i]);
	printf(",\"aes_records\":%llu,\"aes_record_mb\":%.1f,\"aes_s\":%.3f,\"aes_ceiling_mbps\":%.1f",
	       (unsigned long long)crecs, (double)cbytes / 1e6, tc, (double)cbytes / 1e6 / tc);
	printf(",\"aes_capture_equiv_mbps\":%.1f", mb / tc);
	printf(",\"aes_16k_mbps\":%.1f,\"aes_1k_mbps\":%.1f}\n", fixed_ceiling(16384, (uint64_t)1 << 31),
	       fixed_ceiling(1024, (uint64_t)1 << 30));
	free(hist);
	mml_keylog_free(&kl);
	mml_catalog_free(&cat);
	return 0;
}
