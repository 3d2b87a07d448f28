/*
 * src/mmtls/keylog_int.h - private to the key log reader (keylog.c: the
 * files, the entries and the lookups; keyidx.c: building the mapped
 * index; keyuse.c: the "used" accounting; keyline.c: one line).
 *
 * The lookup helpers are inline here so that the lookups in keylog.c
 * compile as they did in one file (no call per lookup).
 */
#ifndef MMLENS_MMTLS_KEYLOG_INT_H
#define MMLENS_MMTLS_KEYLOG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mmlens/keylog.h"

#define KL_LINE_MAX (64 * 1024)
#define KL_OFF_BITS 40 /* spool offsets: up to 1 TiB of spooled entries, all files together */

/* An index entry's w (include/mmlens/keylog.h, mml_keyidx). */
#define KL_W_OFF_SHIFT 24
#define KL_W_USED ((uint64_t)1 << 23)
#define KL_W_FILE_SHIFT 9
#define KL_W_FILE_MASK ((uint64_t)0x3fff) /* 14 bits: MML_KEYLOG_MAX_FILES fits */
#define KL_W_LEN_SHIFT 2
#define KL_W_LEN_MASK ((uint64_t)0x7f)    /* a spooled entry is at most 109 bytes */

/*
 * Read one key log line (len bytes, no newline) into *out (zeroed first,
 * out->line = lineno). Returns NULL, or why the line is skipped (the
 * diagnostic's wording: "is not valid JSON", ...). jansson_only reads
 * every line with jansson (the tests check both readers agree).
 */
const char *mml_keyline_decode(bool jansson_only, const char *line, size_t len, uint32_t lineno, mml_keyent *out);

static inline uint64_t kl_load8(const uint8_t *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x;
}

static inline uint64_t kl_h8(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static inline uint32_t kl_hash32(const uint8_t *k8) { return (uint32_t)(kl_h8(kl_load8(k8)) >> 32); }

/* An entry's w: read atomically (its used bit is set from other threads). */
static inline uint64_t kl_w(const mml_keyidx *x) { return __atomic_load_n(&x->w, __ATOMIC_RELAXED); }
static inline unsigned kl_w_file(uint64_t w) { return (unsigned)(w >> KL_W_FILE_SHIFT & KL_W_FILE_MASK); }
static inline unsigned kl_w_layer(uint64_t w) { return (unsigned)(w >> 1 & 1); }

static inline size_t kl_bucket(const mml_keyidx_tab *t, uint32_t h)
{
	return (size_t)((uint64_t)h >> (32 - t->bits));
}

/* The filter's 2 bits for hash h (keyidx.c builds it). */
static inline uint64_t kl_filt_mask(uint32_t h)
{
	return (uint64_t)1 << (h & 63) | (uint64_t)1 << (h >> 6 & 63);
}

static inline bool kl_filt_may_hold(const mml_keyidx_tab *t, uint32_t h)
{
	if (!t->filt)
		return true;
	uint64_t m = kl_filt_mask(h);
	return (t->filt[(uint64_t)h >> t->filt_shift] & m) == m;
}

/* The first entry of t with hash h (t->n if none). */
static inline size_t kl_tab_first(const mml_keyidx_tab *t, uint32_t h)
{
	if (!t->n)
		return 0;
	size_t b = kl_bucket(t, h), s = t->dir[b], e = t->dir[b + 1];
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
	if (!kl_filt_may_hold(t, h))
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

/* ---- keyidx.c: building a mapped index table ---- */

/* Move the entries into reserved address space (huge pages) with room
 * for `need`, committed as written; false when it cannot be had (the
 * table is as it was). Drops the directory and filter. */
bool mml_kltab_reserve(mml_keyidx_tab *t, size_t need);
/* Append an entry (growing the room as needed: a larger reservation when
 * the table has one and one can be had, else the heap). */
mml_err mml_kltab_push(mml_keyidx_tab *t, uint32_t h, uint32_t line, uint64_t w);
/* Sort the entries by (h, spool offset) and build the directory and filter. */
mml_err mml_kltab_build(mml_keyidx_tab *t);
/* Drop the directory and filter (before more entries are pushed). */
void mml_kltab_unbuild(mml_keyidx_tab *t);
void mml_kltab_free(mml_keyidx_tab *t);

/* ---- keylog.c, for keyuse.c ---- */

/* Entry x of a mapped key log, from the spool, into *out (file, line; id not set). */
bool mml_kl_read(const mml_keylog *kl, const mml_keyidx *x, mml_keyent *out);

#endif
