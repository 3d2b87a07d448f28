/*
 * fuzz_keylog.c - libFuzzer harness: the key log reader (JSON lines through
 * jansson, hex fields, size rules) and its tail/tag indexes.
 *
 * Checks, beyond memory safety: every stored entry is found again by its
 * own tail (and tag), the diagnostic callback gets a well-formed
 * message for each skipped line (bad_lines of them), and the strict
 * fast reader agrees with jansson on every line: the same entries and
 * the same skipped lines with the same reasons. Every input for the first
 * 64 runs, then every 8th, also goes through mml_keylog_load twice: from
 * a memfd (a regular file: the mapped key log) and from a pipe (the
 * resident one); both must give the same counts, diagnostics, entries and
 * lookups.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mmlens/keylog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

typedef struct diag_ctx {
	size_t calls;
	uint64_t hash; /* of every message, in order */
	size_t skip;   /* leading bytes (the key log's name) left out of hash */
} diag_ctx;

static void diag(void *ctx, const char *fmt, ...)
{
	diag_ctx *d = ctx;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n <= 0)
		abort();
	d->calls++;
	for (int i = (int)d->skip; i < n && i < (int)sizeof msg - 1; i++)
		d->hash = (d->hash ^ (unsigned char)msg[i]) * 1099511628211ull;
}

/* The fast reader and jansson alone read the same text the same way. */
static void check_same_as_jansson(const mml_keylog *fast, const diag_ctx *fd, const uint8_t *data, size_t size)
{
	mml_stats st;
	memset(&st, 0, sizeof st);
	diag_ctx dc = {0};
	mml_keylog kl;
	mml_keylog_init(&kl);
	kl.jansson_only = true;
	if (mml_keylog_parse(&kl, (const char *)data, size, diag, &dc, "fuzz.keylog", &st) == MML_OK) {
		if (kl.n != fast->n || kl.bad_lines != fast->bad_lines || dc.calls != fd->calls || dc.hash != fd->hash)
			abort();
		for (size_t i = 0; i < kl.n; i++)
			if (memcmp(&kl.ent[i], &fast->ent[i], sizeof kl.ent[i]))
				abort();
	}
	mml_keylog_free(&kl);
}

static void check_found(const mml_keylog *kl)
{
	for (size_t i = 0; i < kl->n; i++) {
		const mml_keyent *want = &kl->ent[i];
		if (want->tail_len < 8 || want->tail_len > sizeof want->tail)
			abort();
		size_t it = 0;
		const mml_keyent *e;
		int found = 0;
		while ((e = mml_keylog_find_tail(kl, (mml_layer)want->layer, want->tail + want->tail_len - 8, &it)))
			if (e == want)
				found = 1;
		if (!found)
			abort();
		if (!want->has_tag)
			continue;
		it = 0;
		found = 0;
		while ((e = mml_keylog_find_tag(kl, want->tag, &it)))
			if (e == want)
				found = 1;
		if (!found)
			abort();
	}
}

static int by_line(const void *a, const void *b)
{
	uint32_t x = ((const mml_keyent *)a)->line, y = ((const mml_keyent *)b)->line;
	return x < y ? -1 : x > y;
}

static mml_keyent *entries(const mml_keylog *kl)
{
	mml_keyent *v = calloc(kl->n + 1, sizeof *v);
	if (!v)
		abort();
	for (size_t i = 0; i < kl->n; i++) {
		if (!mml_keylog_get(kl, i, &v[i]))
			abort();
		v[i].id = 0;
	}
	qsort(v, kl->n, sizeof *v, by_line);
	return v;
}

static size_t lookup_lines(const mml_keylog *kl, int by_tag, int layer, const uint8_t *key, uint32_t *lines, size_t cap)
{
	size_t it = 0, k = 0;
	const mml_keyent *e;
	while ((e = by_tag ? mml_keylog_find_tag(kl, key, &it) : mml_keylog_find_tail(kl, (mml_layer)layer, key, &it)))
		if (k < cap)
			lines[k++] = e->line;
	return k;
}

/* The mapped key log (memfd) and the resident one (pipe) read the input alike. */
static void check_mapped(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return; /* the pipe is filled before it is read */
	int mfd = memfd_create("fuzz.keylog", 0), pfd[2];
	if (mfd < 0 || pipe(pfd)) {
		if (mfd >= 0)
			close(mfd);
		return;
	}
	if (fcntl(pfd[1], F_SETPIPE_SZ, 65536) < 65536 || (size && write(pfd[1], data, size) != (ssize_t)size) ||
	    (size && write(mfd, data, size) != (ssize_t)size)) {
		close(mfd);
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	close(pfd[1]);
	char mpath[64], ppath[64];
	snprintf(mpath, sizeof mpath, "/proc/self/fd/%d", mfd);
	snprintf(ppath, sizeof ppath, "/proc/self/fd/%d", pfd[0]);
	mml_keylog m, r;
	mml_stats sm, sr;
	memset(&sm, 0, sizeof sm);
	memset(&sr, 0, sizeof sr);
	diag_ctx dm = {.skip = strlen(mpath)}, dr = {.skip = strlen(ppath)};
	mml_keylog_init(&m);
	mml_keylog_init(&r);
	mml_err em = mml_keylog_load(&m, mpath, diag, &dm, &sm), er = mml_keylog_load(&r, ppath, diag, &dr, &sr);
	close(mfd);
	close(pfd[0]);
	if (em != MML_OK || er != MML_OK)
		abort();
	if (!m.mapped || r.mapped || m.n != r.n || m.bad_lines != r.bad_lines || dm.calls != dr.calls ||
	    dm.hash != dr.hash || memcmp(&sm, &sr, sizeof sm))
		abort();
	mml_keyent *a = entries(&m), *b = entries(&r);
	if (m.n && memcmp(a, b, m.n * sizeof *a))
		abort();
	uint32_t la[64], lb[64];
	for (size_t i = 0; i < m.n; i++) {
		for (int layer = 0; layer < 2; layer++) {
			const uint8_t *k8 = a[i].tail + a[i].tail_len - 8;
			size_t na = lookup_lines(&m, 0, layer, k8, la, 64), nb = lookup_lines(&r, 0, layer, k8, lb, 64);
			if (na != nb || memcmp(la, lb, na * sizeof *la))
				abort();
		}
		if (a[i].has_tag) {
			size_t na = lookup_lines(&m, 1, 0, a[i].tag, la, 64), nb = lookup_lines(&r, 1, 0, a[i].tag, lb, 64);
			if (na != nb || memcmp(la, lb, na * sizeof *la))
				abort();
		}
	}
	free(a);
	free(b);
	mml_keylog_free(&m);
	mml_keylog_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mml_stats st;
	memset(&st, 0, sizeof st);
	diag_ctx dc = {0};
	mml_keylog kl;
	mml_keylog_init(&kl);
	/* once with a diagnostic callback, once without */
	mml_err e = mml_keylog_parse(&kl, (const char *)data, size, diag, &dc, "fuzz.keylog", &st);
	if (e == MML_OK) {
		if (dc.calls != kl.bad_lines || st.keylog_bad_lines != kl.bad_lines)
			abort();
		if (st.keylog_outer + st.keylog_inner != kl.n)
			abort();
		check_found(&kl);
		check_same_as_jansson(&kl, &dc, data, size);
	}
	/* lookups keyed by input bytes (mostly misses; sometimes hits) */
	for (size_t off = 0; off + 16 <= size && off < 512; off += 5) {
		size_t it = 0;
		const mml_keyent *k;
		for (int layer = 0; layer < 2; layer++) {
			it = 0;
			while ((k = mml_keylog_find_tail(&kl, (mml_layer)layer, data + off, &it)))
				sink += k->line + k->keylen;
		}
		it = 0;
		while ((k = mml_keylog_find_tag(&kl, data + off, &it)))
			sink += k->line;
	}
	mml_keylog_free(&kl);

	mml_keylog_init(&kl);
	memset(&st, 0, sizeof st);
	(void)mml_keylog_parse(&kl, (const char *)data, size, NULL, NULL, NULL, &st);
	sink += kl.n + kl.bad_lines;
	mml_keylog_free(&kl);

	static unsigned long runs;
	if (runs++ < 64 || runs % 8 == 0)
		check_mapped(data, size);
	return 0;
}
