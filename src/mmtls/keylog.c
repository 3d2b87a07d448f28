/*
 * keylog.c - read the published key log. Contract in include/mmlens/keylog.h;
 * the format is described in docs/FORMATS.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keylog_int.h"
#include "mmlens/keylog.h"
#include "mmlens/util.h"

#define KL_LINE_MAX (64 * 1024)
#define KL_OFF_BITS 40                 /* mapped offsets: files up to 1 TiB */
#ifndef KL_BUCKET
#define KL_BUCKET 256                  /* mapped index: entries a directory bucket */
#endif

void mml_keylog_init(mml_keylog *kl) { memset(kl, 0, sizeof *kl); }

void mml_keylog_free(mml_keylog *kl)
{
	free(kl->ent);
	free(kl->idx);
	free(kl->tagidx);
	free(kl->used);
	mml_keyidx_tab *t[2] = {&kl->tails, &kl->tags};
	for (int i = 0; i < 2; i++) {
		if (!t[i]->dir_inline)
			free(t[i]->dir);
		free(t[i]->filt);
		if (t[i]->mem)
			munmap(t[i]->mem, t[i]->mem_len);
		else
			free(t[i]->e);
	}
	if (kl->spool)
		fclose(kl->spool);
	if (kl->recs)
		munmap((void *)kl->recs, kl->spool_len);
	memset(kl, 0, sizeof *kl);
}

static uint64_t load8(const uint8_t *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

static uint64_t h8(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static mml_err add_entry(mml_keylog *kl, const mml_keyent *e)
{
	if (kl->n == kl->alloc) {
		size_t na = kl->alloc ? kl->alloc * 2 : 64;
		mml_keyent *p = realloc(kl->ent, na * sizeof *p);
		if (!p)
			return MML_E_NOMEM;
		kl->ent = p;
		kl->alloc = na;
	}
	kl->ent[kl->n++] = *e;
	return MML_OK;
}

static mml_err build_index(mml_keyslot **idx, size_t *size, const mml_keylog *kl, int by_tag)
{
	size_t cnt = 0;
	for (size_t i = 0; i < kl->n; i++)
		cnt += by_tag ? kl->ent[i].has_tag : kl->ent[i].tail_len >= 8;
	size_t sz = 16; /* a power of two (slots by mask), loaded at most 2/3 */
	while (sz < cnt + cnt / 2 + 16)
		sz *= 2;
	mml_keyslot *t = calloc(sz, sizeof *t);
	if (!t)
		return MML_E_NOMEM;
	for (size_t i = 0; i < kl->n; i++) {
		const mml_keyent *e = &kl->ent[i];
		const uint8_t *kp;
		if (by_tag) {
			if (!e->has_tag)
				continue;
			kp = e->tag + 8;
		} else {
			if (e->tail_len < 8)
				continue;
			kp = e->tail + e->tail_len - 8;
		}
		uint64_t key = load8(kp);
		size_t pos = h8(key) & (sz - 1);
		while (t[pos].v)
			pos = (pos + 1) & (sz - 1);
		t[pos].k = key;
		t[pos].v = (uint32_t)i + 1;
	}
	free(*idx);
	*idx = t;
	*size = sz;
	return MML_OK;
}

static void bad_line(mml_keylog *kl, uint32_t lineno, const char *why, mml_diag_fn diag, void *dctx,
                     const char *name, mml_stats *st)
{
	kl->bad_lines++;
	st->keylog_bad_lines++;
	if (diag)
		diag(dctx, "%s:%u: key log line skipped: it %s", name, lineno, why);
}

/* Counts a line and says whether it goes on to be read: not blank (blank
 * lines are not records), no NUL byte, not longer than KL_LINE_MAX. */
static bool line_usable(mml_keylog *kl, const char *line, size_t len, uint32_t lineno, mml_diag_fn diag, void *dctx,
                        const char *name, mml_stats *st)
{
	if (!len)
		return false;
	st->keylog_lines++;
	if (memchr(line, 0, len)) {
		bad_line(kl, lineno, "contains a NUL byte", diag, dctx, name, st);
		return false;
	}
	if (len > KL_LINE_MAX) {
		bad_line(kl, lineno, "is longer than 65536 bytes", diag, dctx, name, st);
		return false;
	}
	return true;
}

static void count_layer(const mml_keyent *e, mml_stats *st)
{
	if (e->layer == MML_LAYER_OUTER)
		st->keylog_outer++;
	else
		st->keylog_inner++;
}

static void parse_line(mml_keylog *kl, const char *line, size_t len, uint32_t lineno, mml_diag_fn diag,
                       void *dctx, const char *name, mml_stats *st)
{
	mml_keyent e;
	const char *why = mml_keyline_decode(kl->jansson_only, line, len, lineno, &e);
	if (!why) {
		e.id = (uint32_t)kl->n;
		if (add_entry(kl, &e) == MML_OK) {
			count_layer(&e, st);
			return;
		}
		why = "could not be stored (out of memory)";
	}
	bad_line(kl, lineno, why, diag, dctx, name, st);
}

static void feed_line(mml_keylog *kl, const char *line, size_t len, uint32_t lineno, mml_diag_fn diag, void *dctx,
                      const char *name, mml_stats *st)
{
	if (line_usable(kl, line, len, lineno, diag, dctx, name, st))
		parse_line(kl, line, len, lineno, diag, dctx, name, st);
}

static mml_err alloc_used(mml_keylog *kl)
{
	free(kl->used);
	kl->used = calloc(kl->n / 64 + 1, sizeof *kl->used);
	return kl->used ? MML_OK : MML_E_NOMEM;
}

static mml_err finish(mml_keylog *kl)
{
	MML_RETURN_IF_ERR(build_index(&kl->idx, &kl->idx_size, kl, 0));
	MML_RETURN_IF_ERR(build_index(&kl->tagidx, &kl->tagidx_size, kl, 1));
	return alloc_used(kl);
}

mml_err mml_keylog_parse(mml_keylog *kl, const char *text, size_t n, mml_diag_fn diag, void *dctx,
                         const char *name, mml_stats *st)
{
	uint32_t lineno = 0;
	size_t pos = 0, len;
	const char *line;
	while (mml_line_next(text, n, &pos, &lineno, &line, &len))
		feed_line(kl, line, len, lineno, diag, dctx, name, st);
	return finish(kl);
}

static void mapped_line(mml_keylog *kl, const char *line, size_t len, uint32_t lineno,
                        mml_diag_fn diag, void *dctx, const char *name, mml_stats *st);

/*
 * Read fd to its end a line at a time, through one fixed buffer: a line
 * is the bytes before '\n' (or the end of the file), blanks trimmed as
 * mml_line_next does; one longer than KL_LINE_MAX is reported and skipped
 * through its '\n', never held whole. Each line goes to feed_line
 * (resident) or to mapped_line (indexed).
 * MML_E_IO on a read error, MML_E_NOMEM when the buffer cannot be had.
 */
static mml_err read_lines(mml_keylog *kl, int fd, bool indexed, const char *path, mml_diag_fn diag, void *dctx,
                          mml_stats *st)
{
	const size_t chunk = (size_t)1 << 20, cap = chunk + KL_LINE_MAX + 1;
	char *buf = malloc(cap);
	if (!buf)
		return MML_E_NOMEM;
	size_t have = 0;
	uint32_t lineno = 0;
	bool skipping = false, eof = false;
	mml_err e = MML_OK;
	while (!eof) {
		ssize_t n = read(fd, buf + have, cap - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = MML_E_IO;
			break;
		}
		eof = n == 0;
		have += (size_t)n;
		size_t start = 0;
		for (;;) {
			char *nl = memchr(buf + start, '\n', have - start);
			size_t end = nl ? (size_t)(nl - buf) : have;
			if (!nl && !(eof && end > start))
				break;
			if (skipping) {
				skipping = false;
			} else {
				/* the line without the blanks around it (as mml_line_next) */
				const char *line = buf + start, *le = buf + end;
				while (line < le && (*line == ' ' || *line == '\t' || *line == '\r'))
					line++;
				while (le > line && (le[-1] == ' ' || le[-1] == '\t' || le[-1] == '\r'))
					le--;
				size_t len = (size_t)(le - line);
				lineno++;
				if (indexed)
					mapped_line(kl, line, len, lineno, diag, dctx, path, st);
				else
					feed_line(kl, line, len, lineno, diag, dctx, path, st);
			}
			start = end + 1 > have ? have : end + 1;
		}
		if (!skipping && have - start > KL_LINE_MAX) { /* no '\n' within the cap */
			lineno++;
			st->keylog_lines++;
			bad_line(kl, lineno, "is longer than 65536 bytes", diag, dctx, path, st);
			skipping = true;
		}
		if (skipping)
			start = have; /* the over-long line's bytes are not kept */
		memmove(buf, buf + start, have - start);
		have -= start;
	}
	free(buf);
	return e;
}

/* Resident: a pipe or other non-regular file. */
static mml_err load_stream(mml_keylog *kl, int fd, const char *path, mml_diag_fn diag, void *dctx, mml_stats *st)
{
	mml_err e = read_lines(kl, fd, false, path, diag, dctx, st);
	close(fd);
	MML_RETURN_IF_ERR(e);
	/* entries grew geometrically: give back the slack */
	if (kl->alloc > kl->n && kl->n) {
		mml_keyent *p = realloc(kl->ent, kl->n * sizeof *p);
		if (p) {
			kl->ent = p;
			kl->alloc = kl->n;
		}
	}
	return finish(kl);
}

/* ---- mapped key log ---- */

static uint32_t hash32(const uint8_t *k8) { return (uint32_t)(h8(load8(k8)) >> 32); }

static size_t bucket_of(const mml_keyidx_tab *t, uint32_t h) { return (size_t)((uint64_t)h >> (32 - t->bits)); }

/*
 * Reserve room for up to maxn entries as address space only (pages are
 * committed as they are written), aligned for huge pages: lookups land
 * anywhere in the index, and 4 KiB pages would miss the TLB on most.
 * Falls back to malloc growth if the reservation fails.
 */
static void tab_reserve(mml_keyidx_tab *t, size_t maxn)
{
	const size_t huge = (size_t)2 << 20;
	if (maxn > SIZE_MAX / sizeof *t->e / 2)
		return;
	size_t len = (maxn * sizeof *t->e + huge - 1) / huge * huge + huge;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return;
	uintptr_t a = ((uintptr_t)m + huge - 1) / huge * huge;
#ifdef MADV_HUGEPAGE
	madvise((void *)a, len - (a - (uintptr_t)m), MADV_HUGEPAGE);
#endif
	t->mem = m;
	t->mem_len = len;
	t->e = (mml_keyidx *)a;
	t->alloc = (len - (a - (uintptr_t)m)) / sizeof *t->e;
}

static mml_err tab_push(mml_keyidx_tab *t, uint32_t h, uint32_t line, uint64_t w)
{
	if (t->n == t->alloc) {
		if (t->mem)
			return MML_E_NOMEM; /* not reached: the reservation holds every line the file can have */
		size_t na = t->alloc ? t->alloc * 2 : 1024;
		mml_keyidx *p = realloc(t->e, na * sizeof *p);
		if (!p)
			return MML_E_NOMEM;
		t->e = p;
		t->alloc = na;
	}
	t->e[t->n++] = (mml_keyidx){h, line, w};
	return MML_OK;
}

static int by_h_line(const void *a, const void *b)
{
	const mml_keyidx *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * Sort by (h, line) in place: American flag passes on 8 bits of h at a
 * time (each pass writes to 256 places, so it stays in cache), then
 * insertion sort for the small groups left.
 */
static void sort_idx(mml_keyidx *e, size_t n, int shift)
{
	if (n <= 32) {
		for (size_t i = 1; i < n; i++) {
			mml_keyidx x = e[i];
			size_t j = i;
			while (j && by_h_line(&e[j - 1], &x) > 0) {
				e[j] = e[j - 1];
				j--;
			}
			e[j] = x;
		}
		return;
	}
	if (shift < 0) {
		qsort(e, n, sizeof *e, by_h_line); /* one h: by line */
		return;
	}
	size_t start[257] = {0}, next[256];
	for (size_t i = 0; i < n; i++)
		start[(e[i].h >> shift & 255) + 1]++;
	for (int b = 0; b < 256; b++) {
		start[b + 1] += start[b];
		next[b] = start[b];
	}
	for (int b = 0; b < 256; b++) {
		while (next[b] < start[b + 1]) {
			mml_keyidx x = e[next[b]];
			unsigned tb = x.h >> shift & 255;
			while (tb != (unsigned)b) {
				mml_keyidx y = e[next[tb]];
				e[next[tb]++] = x;
				x = y;
				tb = x.h >> shift & 255;
			}
			e[next[b]++] = x;
		}
	}
	for (int b = 0; b < 256; b++)
		sort_idx(e + start[b], start[b + 1] - start[b], shift - 8);
}

/*
 * Most lookups miss (a sparse key log has no line for a record whose key
 * the connection already knows), and a miss in an index of millions of
 * entries is a cache miss. The filter answers most of them from a table
 * of about 8 bits per entry (a word per 8 entries, 2 bits each: about 2%
 * false positives), which stays in cache. Without memory for it, every
 * lookup goes to the index, as before.
 */
static uint64_t filt_mask(uint32_t h) { return (uint64_t)1 << (h & 63) | (uint64_t)1 << (h >> 6 & 63); }

static void filt_build(mml_keyidx_tab *t)
{
	free(t->filt);
	t->filt = NULL;
	unsigned wb = 0; /* 2^wb words, at least n/8 */
	while (wb < 20 && ((size_t)8 << wb) < t->n)
		wb++;
	if (t->n < 64)
		return;
	size_t bytes = ((size_t)1 << wb) * sizeof *t->filt, huge = (size_t)2 << 20;
	if (bytes >= huge / 2) { /* a huge page: lookups land anywhere in it */
		bytes = (bytes + huge - 1) / huge * huge;
		if ((t->filt = aligned_alloc(huge, bytes))) {
#ifdef MADV_HUGEPAGE
			madvise(t->filt, bytes, MADV_HUGEPAGE);
#endif
			memset(t->filt, 0, bytes);
		}
	} else {
		t->filt = calloc(1, bytes);
	}
	if (!t->filt)
		return;
	t->filt_shift = 32 - wb; /* the word from the top bits, the 2 bits from the low 12 */
	for (size_t i = 0; i < t->n; i++)
		t->filt[t->e[i].h >> t->filt_shift] |= filt_mask(t->e[i].h);
}

static bool filt_may_hold(const mml_keyidx_tab *t, uint32_t h)
{
	if (!t->filt)
		return true;
	uint64_t m = filt_mask(h);
	return (t->filt[(uint64_t)h >> t->filt_shift] & m) == m;
}

/* The loaded entries (in line order) sorted, and their directory. */
static mml_err tab_build(mml_keyidx_tab *t)
{
	size_t n = t->n;
	if (!t->mem && t->alloc > n) {
		mml_keyidx *p = realloc(t->e, (n ? n : 1) * sizeof *p);
		if (p) {
			t->e = p;
			t->alloc = n;
		}
	}
	sort_idx(t->e, n, 24);
	unsigned bits = 0;
	while (bits < 31 && ((size_t)KL_BUCKET << bits) < n)
		bits++;
	t->bits = bits;
	size_t nb = (size_t)1 << bits;
	/* the directory goes right after the entries when they have room
	 * reserved (its huge pages too), else on the heap */
	size_t room = t->mem ? (t->alloc - n) * sizeof *t->e : 0;
	if (room >= (nb + 1) * sizeof *t->dir) {
		t->dir = (uint32_t *)(void *)(t->e + n);
		memset(t->dir, 0, (nb + 1) * sizeof *t->dir);
		t->dir_inline = true;
	} else {
		t->dir = calloc(nb + 1, sizeof *t->dir);
		if (!t->dir)
			return MML_E_NOMEM;
	}
	for (size_t i = 0; i < n; i++)
		t->dir[bucket_of(t, t->e[i].h) + 1]++;
	for (size_t b = 0; b < nb; b++)
		t->dir[b + 1] += t->dir[b];
	filt_build(t);
	return MML_OK;
}

/* The first entry of t with hash h (t->n if none). */
static size_t tab_first(const mml_keyidx_tab *t, uint32_t h)
{
	if (!t->n)
		return 0;
	size_t b = bucket_of(t, h), s = t->dir[b], e = t->dir[b + 1];
	if (s == e)
		return t->n;
	/* h is uniform inside the bucket: start where it would sit */
	unsigned sh = 32 - t->bits;
	uint64_t off = (uint64_t)h - ((uint64_t)b << sh);
	size_t p = s + (size_t)((off * (e - s)) >> sh);
	/* the entries the scan below may need, fetched while the filter is
	 * read (both miss the cache: in parallel, not one after the other) */
	__builtin_prefetch(&t->e[p]);
	__builtin_prefetch(&t->e[p > s + 3 ? p - 3 : s]);
	__builtin_prefetch(&t->e[p + 3 < e ? p + 3 : e - 1]);
	if (!filt_may_hold(t, h))
		return t->n;
	if (t->e[p].h < h) {
		do
			p++;
		while (p < e && t->e[p].h < h);
	} else {
		while (p > s && t->e[p - 1].h >= h)
			p--;
	}
	return p < e && t->e[p].h == h ? p : t->n;
}

/*
 * A spooled entry, compact (an OUTER line: 54 bytes; the struct: 120):
 * flags (1 layer INNER, 2 client, 4 tag), keylen, nonce_len, meta_len,
 * tail_len, then key, nonce, meta, tail and the tag if any. Its line
 * number is in the index entry, whose w holds its offset and length.
 */
#define SPOOL_HDR 5
#define SPOOL_REC_MAX (SPOOL_HDR + 24 + 16 + 32 + 16 + 16)

/* r has room for SPOOL_REC_MAX + 64: each field is copied whole (fixed
 * sizes, no branches) and the next one overwrites what is past its length */
static size_t spool_encode(const mml_keyent *e, uint8_t *r)
{
	r[0] = (uint8_t)((e->layer == MML_LAYER_INNER ? 1 : 0) | (e->client ? 2 : 0) | (e->has_tag ? 4 : 0));
	r[1] = e->keylen;
	r[2] = e->nonce_len;
	r[3] = e->meta_len;
	r[4] = e->tail_len;
	size_t n = SPOOL_HDR;
	memcpy(r + n, e->key, sizeof e->key), n += e->keylen;
	memcpy(r + n, e->nonce, sizeof e->nonce), n += e->nonce_len;
	memcpy(r + n, e->meta, sizeof e->meta), n += e->meta_len;
	memcpy(r + n, e->tail, sizeof e->tail), n += e->tail_len;
	memcpy(r + n, e->tag, sizeof e->tag), n += e->has_tag ? 16 : 0;
	return n;
}

/* The spool is our own file, but its lengths are checked all the same. */
static bool spool_decode(const uint8_t *r, size_t len, uint32_t line, mml_keyent *e)
{
	memset(e, 0, sizeof *e);
	if (len < SPOOL_HDR || r[1] > sizeof e->key || r[2] > sizeof e->nonce || r[3] > sizeof e->meta ||
	    r[4] > sizeof e->tail)
		return false;
	e->line = line;
	e->layer = r[0] & 1 ? MML_LAYER_INNER : MML_LAYER_OUTER;
	e->client = r[0] & 2;
	e->has_tag = r[0] & 4;
	e->keylen = r[1];
	e->nonce_len = r[2];
	e->meta_len = r[3];
	e->tail_len = r[4];
	if (len != SPOOL_HDR + (size_t)e->keylen + e->nonce_len + e->meta_len + e->tail_len + (e->has_tag ? 16u : 0u))
		return false;
	size_t n = SPOOL_HDR;
	mml_copy_small(e->key, r + n, e->keylen), n += e->keylen;
	mml_copy_small(e->nonce, r + n, e->nonce_len), n += e->nonce_len;
	mml_copy_small(e->meta, r + n, e->meta_len), n += e->meta_len;
	mml_copy_small(e->tail, r + n, e->tail_len), n += e->tail_len;
	if (e->has_tag)
		memcpy(e->tag, r + n, 16);
	return true;
}

static uint64_t idx_w(size_t off, size_t len, const mml_keyent *e)
{
	return (uint64_t)off << 24 | (uint64_t)len << 2 | (uint64_t)(e->layer & 1) << 1 | (e->client ? 1u : 0u);
}

static void mapped_line(mml_keylog *kl, const char *line, size_t len, uint32_t lineno,
                        mml_diag_fn diag, void *dctx, const char *name, mml_stats *st)
{
	if (!line_usable(kl, line, len, lineno, diag, dctx, name, st))
		return;
	mml_keyent e;
	const char *why = mml_keyline_decode(kl->jansson_only, line, len, lineno, &e);
	if (!why) {
		uint8_t rec[SPOOL_REC_MAX + 64];
		size_t rn = spool_encode(&e, rec);
		if (fwrite(rec, 1, rn, kl->spool) != rn) {
			bad_line(kl, lineno, "could not be stored (cannot write the key spool)", diag, dctx, name, st);
			return;
		}
		uint64_t w = idx_w(kl->spool_len, rn, &e);
		kl->spool_len += rn;
		size_t tn = kl->tags.n;
		if (tab_push(&kl->tails, hash32(e.tail + e.tail_len - 8), lineno, w) == MML_OK &&
		    (!e.has_tag || tab_push(&kl->tags, hash32(e.tag + 8), lineno, w) == MML_OK)) {
			kl->n++;
			count_layer(&e, st);
			return;
		}
		kl->tails.n = kl->n; /* undo a half-stored line */
		kl->tags.n = tn;
		why = "could not be stored (out of memory)";
	}
	bad_line(kl, lineno, why, diag, dctx, name, st);
}

mml_err mml_keylog_load(mml_keylog *kl, const char *path, mml_diag_fn diag, void *dctx, mml_stats *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return MML_E_IO;
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size >= ((uint64_t)1 << KL_OFF_BITS))
		return load_stream(kl, fd, path, diag, dctx, st);
	/*
	 * Indexed: each valid line's entry goes to a spool, an unlinked temp
	 * file of our own (mode 0600; no one else can cut it short), mapped
	 * read-only once the log is read; lookups read entries from it.
	 */
	if (!(kl->spool = tmpfile())) /* no room for a temp file: hold the entries in memory */
		return load_stream(kl, fd, path, diag, dctx, st);
	kl->mapped = true;
	/* a valid line holds at least 48 hex digits (key and tail) and its JSON: fewer than size / 32 lines */
	tab_reserve(&kl->tails, (size_t)sb.st_size / 32 + 1); /* tags: few, malloc'd */
	mml_err e = read_lines(kl, fd, true, path, diag, dctx, st);
	close(fd);
	MML_RETURN_IF_ERR(e);
	if (fflush(kl->spool) != 0)
		return MML_E_IO;
	if (kl->spool_len) {
		void *m = mmap(NULL, kl->spool_len, PROT_READ, MAP_SHARED, fileno(kl->spool), 0);
		if (m == MAP_FAILED)
			return MML_E_IO;
		kl->recs = m;
	}
	MML_RETURN_IF_ERR(tab_build(&kl->tails));
	return tab_build(&kl->tags);
}

#define W_USED ((uint64_t)1 << 23)

/* An entry's w: read atomically (its used bit is set from other threads). */
static uint64_t w_of(const mml_keyidx *x) { return __atomic_load_n(&x->w, __ATOMIC_RELAXED); }

/*
 * Entry `x` of an indexed key log into *out, from the spool. The pages a
 * thread touched are dropped from the process (MADV_DONTNEED; the page
 * cache keeps them) every KL_DROP_EVERY new 64 KiB windows, so lookups
 * leave at most a few MiB mapped whatever the log's size.
 */
#define KL_DROP_EVERY 64
static bool reparse(const mml_keylog *kl, const mml_keyidx *x, mml_keyent *out)
{
	static _Thread_local uint64_t win;
	uint64_t w = w_of(x), k = w >> 24, len = w >> 2 & ((W_USED >> 2) - 1);
	if (k > kl->spool_len || len > kl->spool_len - k)
		return false;
	uint64_t wn = (k >> 16) + 1;
	if (wn != win) {
		win = wn;
		if (!(__atomic_add_fetch((unsigned long *)&kl->touched, 1, __ATOMIC_RELAXED) % KL_DROP_EVERY))
			madvise((void *)kl->recs, kl->spool_len, MADV_DONTNEED);
	}
	return spool_decode(kl->recs + k, (size_t)len, x->line, out);
}

static _Thread_local mml_keyent scratch;

/* Position in tails of the line e (found by its tag). */
static size_t tail_id(const mml_keylog *kl, const mml_keyent *e)
{
	const mml_keyidx_tab *t = &kl->tails;
	uint32_t h = hash32(e->tail + e->tail_len - 8);
	for (size_t i = tab_first(t, h); i < t->n && t->e[i].h == h; i++)
		if (t->e[i].line == e->line)
			return i;
	return 0; /* not reached: every line is in tails */
}

static const mml_keyent *find_mapped(const mml_keylog *kl, const mml_keyidx_tab *t, const uint8_t *k8, size_t *it,
                                     int by_tag, mml_layer layer, const uint8_t *tag16)
{
	uint32_t h = hash32(k8);
	size_t i = *it ? *it - 1 : tab_first(t, h);
	for (; i < t->n && t->e[i].h == h; i++) {
		const mml_keyidx *x = &t->e[i];
		if (!by_tag && (mml_layer)((w_of(x) >> 1) & 1) != layer)
			continue;
		mml_keyent *e = &scratch;
		if (!reparse(kl, x, e))
			continue;
		if (by_tag ? !e->has_tag || memcmp(e->tag, tag16, 16) : memcmp(e->tail + e->tail_len - 8, k8, 8))
			continue;
		e->id = (uint32_t)(by_tag ? tail_id(kl, e) : i);
		*it = i + 2;
		return e;
	}
	*it = i + 1;
	return NULL;
}

static const mml_keyent *find(const mml_keylog *kl, const mml_keyslot *idx, size_t sz, const uint8_t *k8,
                              size_t *it, int by_tag, mml_layer layer, const uint8_t *tag16)
{
	if (!idx)
		return NULL;
	uint64_t key = load8(k8);
	size_t pos = h8(key) & (sz - 1);
	for (size_t step = *it; step < sz; step++) {
		const mml_keyslot *s = &idx[(pos + step) & (sz - 1)];
		if (!s->v)
			return NULL;
		if (s->k != key)
			continue;
		const mml_keyent *e = &kl->ent[s->v - 1];
		if (by_tag ? !memcmp(e->tag, tag16, 16) : e->layer == layer) {
			*it = step + 1;
			return e;
		}
	}
	return NULL;
}

const mml_keyent *mml_keylog_find_tail(const mml_keylog *kl, mml_layer layer, const uint8_t tail8[8], size_t *it)
{
	if (kl->mapped)
		return find_mapped(kl, &kl->tails, tail8, it, 0, layer, NULL);
	return find(kl, kl->idx, kl->idx_size, tail8, it, 0, layer, NULL);
}

bool mml_keylog_has_tail(const mml_keylog *kl, mml_layer layer, const uint8_t tail8[8])
{
	size_t it = 0;
	if (kl->mapped && !filt_may_hold(&kl->tails, hash32(tail8)))
		return false;
	return mml_keylog_find_tail(kl, layer, tail8, &it) != NULL;
}

void mml_keylog_prefetch_tail(const mml_keylog *kl, const uint8_t tail8[8], bool entries)
{
	const mml_keyidx_tab *t = &kl->tails;
	if (!kl->mapped) {
		if (kl->idx)
			__builtin_prefetch(&kl->idx[h8(load8(tail8)) & (kl->idx_size - 1)]);
		return;
	}
	if (!t->n)
		return;
	uint32_t h = hash32(tail8);
	if (t->filt)
		__builtin_prefetch(&t->filt[(uint64_t)h >> t->filt_shift]);
	if (entries) { /* where tab_first will start (the directory is small: cached) */
		size_t b = bucket_of(t, h), s = t->dir[b], e = t->dir[b + 1];
		if (s < e)
			__builtin_prefetch(&t->e[s + (size_t)((((uint64_t)h - ((uint64_t)b << (32 - t->bits))) * (e - s)) >>
			                                      (32 - t->bits))]);
	}
}

const mml_keyent *mml_keylog_find_tag(const mml_keylog *kl, const uint8_t tag[16], size_t *it)
{
	if (kl->mapped)
		return find_mapped(kl, &kl->tags, tag + 8, it, 1, MML_LAYER_INNER, tag);
	return find(kl, kl->tagidx, kl->tagidx_size, tag + 8, it, 1, MML_LAYER_INNER, tag);
}

static bool is_used(const mml_keylog *kl, size_t id)
{
	if (kl->mapped)
		return w_of(&kl->tails.e[id]) & W_USED;
	return kl->used[id / 64] >> (id % 64) & 1;
}

bool mml_keylog_use(const mml_keylog *kl, const mml_keyent *e)
{
	if (e->id >= kl->n)
		return false;
	uint64_t bit = (uint64_t)1 << (e->id % 64), *wd;
	if (kl->mapped) {
		bit = W_USED;
		wd = &kl->tails.e[e->id].w;
	} else {
		wd = &kl->used[e->id / 64];
	}
	if (__atomic_load_n(wd, __ATOMIC_RELAXED) & bit)
		return false; /* used before: no locked write */
	return !(__atomic_fetch_or(wd, bit, __ATOMIC_RELAXED) & bit);
}

bool mml_keylog_get(const mml_keylog *kl, size_t id, mml_keyent *out)
{
	if (id >= kl->n)
		return false;
	if (!kl->mapped) {
		*out = kl->ent[id];
		return true;
	}
	memset(out, 0, sizeof *out);
	if (!reparse(kl, &kl->tails.e[id], out))
		return false;
	out->id = (uint32_t)id;
	return true;
}

/* A repeat of a used line: same layer, key and tail. */
static bool same_line(const mml_keyent *x, const mml_keyent *e)
{
	return x->keylen == e->keylen && !memcmp(x->key, e->key, e->keylen) && x->tail_len == e->tail_len &&
	       !memcmp(x->tail, e->tail, e->tail_len);
}

static bool used_repeat(const mml_keylog *kl, const mml_keyent *e)
{
	const uint8_t *k8 = e->tail + e->tail_len - 8;
	if (!kl->mapped) {
		size_t it = 0;
		const mml_keyent *x;
		while ((x = find(kl, kl->idx, kl->idx_size, k8, &it, 0, (mml_layer)e->layer, NULL)))
			if (is_used(kl, x->id) && same_line(x, e))
				return true;
		return false;
	}
	const mml_keyidx_tab *t = &kl->tails;
	uint32_t h = hash32(k8);
	for (size_t i = tab_first(t, h); i < t->n && t->e[i].h == h; i++) {
		const mml_keyidx *y = &t->e[i];
		mml_keyent x;
		if (is_used(kl, i) && (w_of(y) >> 1 & 1) == e->layer && reparse(kl, y, &x) &&
		    !memcmp(x.tail + x.tail_len - 8, k8, 8) && same_line(&x, e))
			return true;
	}
	return false;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

size_t mml_keylog_unused(const mml_keylog *kl, uint32_t *first, size_t nfirst, size_t *repeats)
{
	size_t unused = 0, nf = 0, cnt = 0;
	*repeats = 0;
	for (size_t i = 0; i < kl->n; i++)
		cnt += !is_used(kl, i);
	if (!cnt)
		return 0;
	/* a mapped key log's index is in hash order: visit its unused lines in
	 * line order, so that re-reading them walks the file front to back */
	uint64_t *order = NULL;
	if (kl->mapped && (order = malloc(cnt * sizeof *order))) {
		size_t k = 0;
		for (size_t i = 0; i < kl->n; i++)
			if (!is_used(kl, i))
				order[k++] = (uint64_t)kl->tails.e[i].line << 32 | i;
		qsort(order, cnt, sizeof *order, cmp_u64);
	}
	for (size_t j = 0; j < (order ? cnt : kl->n); j++) {
		size_t i = order ? (size_t)(order[j] & 0xffffffffu) : j;
		if (is_used(kl, i))
			continue;
		mml_keyent e;
		if (!mml_keylog_get(kl, i, &e))
			continue;
		if (used_repeat(kl, &e)) {
			(*repeats)++;
			continue;
		}
		unused++;
		/* keep the lowest nfirst line numbers, ascending */
		size_t p = nf < nfirst ? nf++ : nfirst;
		if (p == nfirst && (!nfirst || first[nfirst - 1] < e.line))
			continue;
		if (p == nfirst)
			p--;
		while (p && first[p - 1] > e.line) {
			first[p] = first[p - 1];
			p--;
		}
		first[p] = e.line;
	}
	free(order);
	return unused;
}
