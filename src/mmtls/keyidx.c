/*
 * keyidx.c - build the mapped key log's index tables (src/mmtls/keylog_int.h,
 * include/mmlens/keylog.h: mml_keyidx_tab): the room for the entries,
 * their sort by (hash, spool offset), the bucket directory and the filter.
 * The lookups that read a table are inline in keylog_int.h.
 *
 * Contract: entries are only ever appended between mml_kltab_unbuild and
 * mml_kltab_build; a table is read (kl_tab_first) only once built. Room
 * grows geometrically, in reserved address space (committed as written)
 * when the table has it, else on the heap; failures are MML_E_NOMEM with
 * the table as it was. Reads no outside bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "keylog_int.h"
#include "mmlens/util.h"

#ifndef KL_BUCKET
#define KL_BUCKET 256 /* entries a directory bucket */
#endif

void mml_kltab_unbuild(mml_keyidx_tab *t)
{
	if (!t->dir_inline)
		free(t->dir);
	t->dir = NULL;
	t->dir_inline = false;
	t->bits = 0;
	free(t->filt);
	t->filt = NULL;
}

void mml_kltab_free(mml_keyidx_tab *t)
{
	mml_kltab_unbuild(t);
	if (t->mem)
		munmap(t->mem, t->mem_len);
	else
		free(t->e);
	memset(t, 0, sizeof *t);
}

/* The table's entries now live in e (alloc of room; mem/mem_len its
 * mapping or NULL): the old room is given back. */
static void tab_move(mml_keyidx_tab *t, mml_keyidx *e, size_t alloc, void *mem, size_t mem_len)
{
	if (t->n)
		memcpy(e, t->e, t->n * sizeof *e);
	mml_kltab_unbuild(t);
	if (t->mem)
		munmap(t->mem, t->mem_len);
	else
		free(t->e);
	t->e = e;
	t->alloc = alloc;
	t->mem = mem;
	t->mem_len = mem_len;
}

/*
 * Reserve room for `need` entries as address space only (pages are
 * committed as they are written), aligned for huge pages: lookups land
 * anywhere in the index, and 4 KiB pages would miss the TLB on most.
 */
bool mml_kltab_reserve(mml_keyidx_tab *t, size_t need)
{
	const size_t huge = (size_t)2 << 20;
	if (need <= t->alloc && t->mem)
		return true;
	if (need < t->n || need > SIZE_MAX / sizeof *t->e / 2)
		return false;
	size_t len = (need * sizeof *t->e + huge - 1) / huge * huge + huge;
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return false;
	uintptr_t a = ((uintptr_t)m + huge - 1) / huge * huge;
#ifdef MADV_HUGEPAGE
	madvise((void *)a, len - (a - (uintptr_t)m), MADV_HUGEPAGE);
#endif
	tab_move(t, (mml_keyidx *)a, (len - (a - (uintptr_t)m)) / sizeof *t->e, m, len);
	return true;
}

static mml_err tab_grow(mml_keyidx_tab *t)
{
	size_t na = t->alloc ? t->alloc * 2 : 1024;
	if (na <= t->alloc || na > SIZE_MAX / sizeof *t->e)
		return MML_E_NOMEM;
	if (t->mem && mml_kltab_reserve(t, na))
		return MML_OK;
	if (t->mem) { /* no larger reservation: the heap */
		mml_keyidx *p = malloc(na * sizeof *p);
		if (!p)
			return MML_E_NOMEM;
		tab_move(t, p, na, NULL, 0);
		return MML_OK;
	}
	return mml_grow((void **)&t->e, &t->alloc, na, sizeof *t->e, 1024) ? MML_OK : MML_E_NOMEM;
}

mml_err mml_kltab_push(mml_keyidx_tab *t, uint32_t h, uint32_t line, uint64_t w)
{
	if (t->n == t->alloc)
		MML_RETURN_IF_ERR(tab_grow(t));
	t->e[t->n++] = (mml_keyidx){h, line, w};
	return MML_OK;
}

/* (h, spool offset): the offset orders the entries as they were loaded,
 * file by file and line by line (the used bit below it never decides). */
static int by_h_off(const void *a, const void *b)
{
	const mml_keyidx *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	uint64_t ox = x->w >> KL_W_OFF_SHIFT, oy = y->w >> KL_W_OFF_SHIFT;
	return ox < oy ? -1 : ox > oy;
}

/*
 * Sort by (h, offset) in place: American flag passes on 8 bits of h at a
 * time (each pass writes to 256 places, so it stays in cache), then
 * insertion sort for the small groups left.
 */
static void sort_idx(mml_keyidx *e, size_t n, int shift)
{
	if (n <= 32) {
		for (size_t i = 1; i < n; i++) {
			mml_keyidx x = e[i];
			size_t j = i;
			while (j && by_h_off(&e[j - 1], &x) > 0) {
				e[j] = e[j - 1];
				j--;
			}
			e[j] = x;
		}
		return;
	}
	if (shift < 0) {
		qsort(e, n, sizeof *e, by_h_off); /* one h: by offset */
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
		t->filt[t->e[i].h >> t->filt_shift] |= kl_filt_mask(t->e[i].h);
}

mml_err mml_kltab_build(mml_keyidx_tab *t)
{
	mml_kltab_unbuild(t);
	size_t n = t->n;
	if (!t->mem && t->alloc > n) {
		mml_keyidx *p = realloc(t->e, (n ? n : 1) * sizeof *p);
		if (p) {
			t->e = p;
			t->alloc = n ? n : 1;
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
		t->dir[kl_bucket(t, t->e[i].h) + 1]++;
	for (size_t b = 0; b < nb; b++)
		t->dir[b + 1] += t->dir[b];
	filt_build(t);
	return MML_OK;
}
