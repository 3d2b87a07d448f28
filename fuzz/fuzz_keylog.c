/*
 * fuzz_keylog.c - libFuzzer harness: the key log reader (JSON lines through
 * jansson, hex fields, size rules) and its tail/tag indexes.
 *
 * Checks, beyond memory safety: every stored entry is found again by its
 * own tail (and tag), the diagnostic callback gets a well-formed
 * message for each skipped line (bad_lines of them), and the strict
 * fast reader agrees with jansson on every line: the same entries and
 * the same skipped lines with the same reasons. Every 8th input is also
 * parsed without a callback. Every input for the first 16 runs, then
 * every 64th (the loads map and fault in pages: they would set the pace),
 * also goes through mml_keylog_load twice: from a memfd (a regular file:
 * the mapped key log) and from a pipe (the resident one); both must give
 * the same counts, diagnostics, entries and lookups.
 *
 * Several files: every 4th input (and the first 16) is also cut in two
 * after a newline (where depends on its first byte) and the two pieces
 * parsed as two files of one key log; it must read as the whole input
 * does, the second piece's lines numbered from 1 in file 1 (the same
 * entries, skipped lines and reasons, stats and lookups, in the same
 * order). When the input also goes through mml_keylog_load, the two
 * pieces are loaded as two memfds (mapped), two pipes (resident), a pipe
 * then a memfd (resident entries moved into the mapped form) and a memfd
 * then a pipe, and all must agree with the two parsed pieces, also in the
 * unused and repeated lines of each file once every other entry is used.
 *
 * libFuzzer makes inputs of at most FUZZ_MAX_LEN bytes unless the command
 * line gives -max_len (without it, the largest seed, 7 KiB, would set the
 * limit and the pace: every check is linear in the input, and there are
 * several); a longer seed is cut to it when fuzzing, and read whole by the
 * regression replay (make test).
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

#include "fuzz_maxlen.h"
#include "mmlens/keylog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

typedef struct diag_ctx {
	size_t calls;
	uint64_t hash; /* of every message, in order */
	size_t skip;   /* leading bytes (the key log's name) left out of hash */
	int reasons;   /* hash only the reason: what follows "NAME:LINE:" */
	uint64_t rhash;
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
	/* the reason: after the second ':' (names here hold none) */
	const char *r = strchr(msg, ':');
	r = r ? strchr(r + 1, ':') : NULL;
	if (!r)
		abort();
	for (; *r; r++)
		d->rhash = (d->rhash ^ (unsigned char)*r) * 1099511628211ull;
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
			if (!mml_keyent_eq(&kl.ent[i], &fast->ent[i]))
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
	for (size_t i = 0; i < m.n; i++)
		if (!mml_keyent_eq(&a[i], &b[i]))
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

/* ---- the input cut in two, as two files ---- */

/* Where to cut: after the first newline at or past a point chosen by the
 * first byte (size when there is none). *k gets the lines before the cut. */
static size_t cut_point(const uint8_t *data, size_t size, uint32_t *k)
{
	size_t at = size ? (size_t)data[0] * size / 256 : 0;
	const uint8_t *nl = at < size ? memchr(data + at, '\n', size - at) : NULL;
	size_t cut = nl ? (size_t)(nl - data) + 1 : size;
	*k = 0;
	for (size_t i = 0; i < cut; i++)
		*k += data[i] == '\n';
	return cut;
}

static int by_file_line(const void *a, const void *b)
{
	const mml_keyent *x = a, *y = b;
	uint64_t kx = (uint64_t)x->file << 32 | x->line, ky = (uint64_t)y->file << 32 | y->line;
	return kx < ky ? -1 : kx > ky;
}

/* Every entry by (file, line), ids cleared; with k, as lines of the whole
 * input (file 1's line + k, file 0). */
static mml_keyent *entries2(const mml_keylog *kl, int renumber, uint32_t k)
{
	mml_keyent *v = calloc(kl->n + 1, sizeof *v);
	if (!v)
		abort();
	for (size_t i = 0; i < kl->n; i++)
		if (!mml_keylog_get(kl, i, &v[i]))
			abort();
	qsort(v, kl->n, sizeof *v, by_file_line);
	for (size_t i = 0; i < kl->n; i++) {
		v[i].id = 0;
		if (renumber && v[i].file) {
			v[i].line += k;
			v[i].file = 0;
		}
	}
	return v;
}

/* A lookup's matches as (file, line) pairs, renumbered as entries2 does. */
static size_t lookup2(const mml_keylog *kl, int by_tag, int layer, const uint8_t *key, uint64_t *out, size_t cap,
                      int renumber, uint32_t k)
{
	size_t it = 0, n = 0;
	const mml_keyent *e;
	while ((e = by_tag ? mml_keylog_find_tag(kl, key, &it) : mml_keylog_find_tail(kl, (mml_layer)layer, key, &it)))
		if (n < cap)
			out[n++] = renumber ? (uint64_t)(e->file ? e->line + k : e->line) : (uint64_t)e->file << 32 | e->line;
	return n;
}

/* a and b hold the same entries and answer every lookup alike (b renumbered when asked). */
static void same_keylog(const mml_keylog *a, const mml_keylog *b, int renumber, uint32_t k)
{
	if (a->n != b->n || a->bad_lines != b->bad_lines)
		abort();
	mml_keyent *x = entries2(a, 0, 0), *y = entries2(b, renumber, k);
	for (size_t i = 0; i < a->n; i++)
		if (!mml_keyent_eq(&x[i], &y[i]))
			abort();
	uint64_t la[64], lb[64];
	for (size_t i = 0; i < a->n; i++) {
		for (int layer = 0; layer < 2; layer++) {
			const uint8_t *k8 = x[i].tail + x[i].tail_len - 8;
			size_t na = lookup2(a, 0, layer, k8, la, 64, 0, 0), nb = lookup2(b, 0, layer, k8, lb, 64, renumber, k);
			if (na != nb || memcmp(la, lb, na * sizeof *la))
				abort();
		}
		if (x[i].has_tag) {
			size_t na = lookup2(a, 1, 0, x[i].tag, la, 64, 0, 0), nb = lookup2(b, 1, 0, x[i].tag, lb, 64, renumber, k);
			if (na != nb || memcmp(la, lb, na * sizeof *la))
				abort();
		}
	}
	free(x);
	free(y);
}

/* The whole input (parsed) against its two pieces parsed as two files. */
static void check_split(const uint8_t *data, size_t size, const mml_keylog *whole, const diag_ctx *dw,
                        const mml_stats *sw)
{
	uint32_t k;
	size_t cut = cut_point(data, size, &k);
	mml_keylog kl;
	mml_keylog_init(&kl);
	mml_stats st;
	memset(&st, 0, sizeof st);
	diag_ctx dc = {0};
	if (mml_keylog_parse(&kl, (const char *)data, cut, diag, &dc, "fuzz.a", &st) != MML_OK ||
	    mml_keylog_parse(&kl, (const char *)data + cut, size - cut, diag, &dc, "fuzz.b", &st) != MML_OK)
		abort();
	if (mml_keylog_nfiles(&kl) != 2 || dc.calls != dw->calls || dc.rhash != dw->rhash || memcmp(&st, sw, sizeof st) ||
	    kl.files[0].lines + kl.files[1].lines != kl.n || kl.files[0].bad_lines + kl.files[1].bad_lines != kl.bad_lines)
		abort();
	same_keylog(whole, &kl, 1, k);
	/* nothing used yet: every line is unused or a repeat, in its file */
	size_t rep, u = mml_keylog_unused(&kl, NULL, 0, &rep);
	if (u + rep != kl.n)
		abort();
	mml_keylog_free(&kl);
}

/* Fill a memfd (form 0) or a pipe (form 1) with bytes; its path in path. */
static int fd_with(int form, const uint8_t *p, size_t n, char *path, size_t pathsz)
{
	int fd;
	if (form == 0) {
		if ((fd = memfd_create("fuzz.keylog", 0)) < 0)
			return -1;
		if (n && write(fd, p, n) != (ssize_t)n) {
			close(fd);
			return -1;
		}
	} else {
		int pfd[2];
		if (pipe(pfd))
			return -1;
		if (fcntl(pfd[1], F_SETPIPE_SZ, 65536) < 65536 || (n && write(pfd[1], p, n) != (ssize_t)n)) {
			close(pfd[0]);
			close(pfd[1]);
			return -1;
		}
		close(pfd[1]);
		fd = pfd[0];
	}
	snprintf(path, pathsz, "/proc/self/fd/%d", fd);
	return fd;
}

/* Use every other entry, in (file, line) order, found as decryption finds it. */
static void use_half(const mml_keylog *kl)
{
	mml_keyent *v = entries2(kl, 0, 0);
	for (size_t i = 0; i < kl->n; i += 2) {
		size_t it = 0;
		const mml_keyent *e;
		while ((e = v[i].has_tag ? mml_keylog_find_tag(kl, v[i].tag, &it)
		                         : mml_keylog_find_tail(kl, (mml_layer)v[i].layer, v[i].tail + v[i].tail_len - 8, &it)))
			if (e->file == v[i].file && e->line == v[i].line)
				break;
		if (!e)
			abort();
		(void)mml_keylog_use(kl, e);
	}
	free(v);
}

/* The accounting, file by file, hashed (and checked against file_stats). */
static uint64_t accounting(const mml_keylog *kl)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t f = 0; f < mml_keylog_nfiles(kl); f++) {
		uint32_t first[8] = {0};
		size_t rep, lines, used, u = mml_keylog_unused_in(kl, f, first, 8, &rep);
		mml_keylog_file_stats(kl, f, NULL, &lines, &used);
		if (lines != used + u || rep > used)
			abort();
		uint64_t x[11] = {u, rep, used};
		for (int i = 0; i < 8; i++)
			x[3 + i] = first[i];
		for (int i = 0; i < 11; i++)
			h = (h ^ x[i]) * 1099511628211ull;
	}
	return h;
}

/* The two pieces loaded in each pair of forms agree with them parsed. */
static void check_split_loaded(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return;
	uint32_t k;
	size_t cut = cut_point(data, size, &k);
	mml_keylog ref;
	mml_keylog_init(&ref);
	mml_stats sr;
	memset(&sr, 0, sizeof sr);
	diag_ctx dr = {0};
	if (mml_keylog_parse(&ref, (const char *)data, cut, diag, &dr, "fuzz.a", &sr) != MML_OK ||
	    mml_keylog_parse(&ref, (const char *)data + cut, size - cut, diag, &dr, "fuzz.b", &sr) != MML_OK)
		abort();
	use_half(&ref);
	uint64_t acc = accounting(&ref);
	static const int forms[4][2] = {{0, 0}, {1, 1}, {1, 0}, {0, 1}};
	for (int f = 0; f < 4; f++) {
		char pa[64], pb[64];
		int fa = fd_with(forms[f][0], data, cut, pa, sizeof pa);
		int fb = fa < 0 ? -1 : fd_with(forms[f][1], data + cut, size - cut, pb, sizeof pb);
		if (fb < 0) {
			if (fa >= 0)
				close(fa);
			continue;
		}
		mml_keylog kl;
		mml_keylog_init(&kl);
		mml_stats st;
		memset(&st, 0, sizeof st);
		diag_ctx dc = {0};
		mml_err ea = mml_keylog_load(&kl, pa, diag, &dc, &st), eb = mml_keylog_load(&kl, pb, diag, &dc, &st);
		close(fa);
		close(fb);
		if (ea != MML_OK || eb != MML_OK || kl.mapped != (forms[f][0] == 0 || forms[f][1] == 0))
			abort();
		if (dc.calls != dr.calls || dc.rhash != dr.rhash || memcmp(&st, &sr, sizeof st))
			abort();
		same_keylog(&ref, &kl, 0, 0);
		use_half(&kl);
		if (accounting(&kl) != acc)
			abort();
		mml_keylog_free(&kl);
	}
	mml_keylog_free(&ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned long runs;
	runs++;
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
		if (runs <= 16 || runs % 4 == 0)
			check_split(data, size, &kl, &dc, &st);
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

	if (runs % 8 == 1) { /* without a callback */
		mml_keylog_init(&kl);
		memset(&st, 0, sizeof st);
		(void)mml_keylog_parse(&kl, (const char *)data, size, NULL, NULL, NULL, &st);
		sink += kl.n + kl.bad_lines;
		mml_keylog_free(&kl);
	}

	if (runs <= 16 || runs % 64 == 0) {
		check_mapped(data, size);
		check_split_loaded(data, size);
	}
	return 0;
}
