/*
 * keyuse.c - the key log's "used" accounting (include/mmlens/keylog.h):
 * a use bit per entry, set by the lookups' callers, and what is left
 * unused afterwards, file by file.
 *
 * Contract: mml_keylog_use is thread-safe (one atomic OR, none when the
 * bit is already set). The reports run after the lookups: they read every
 * entry's bit once (a resident file's entries are a contiguous id range;
 * a mapped index is scanned in place, its entries tagged with their
 * file) and read an entry back from the spool only to tell a repeat of a
 * used line from an unused line (both in one hash group of the index).
 * Repeats are judged across files: a line of one file that another
 * file's used line repeats is a repeat, not unused. Reads no outside
 * bytes (the spool is our own and is read through mml_kl_read).
 */
#include <string.h>

#include "keylog_int.h"

static bool is_used(const mml_keylog *kl, size_t id)
{
	if (kl->mapped)
		return kl_w(&kl->tails.e[id]) & KL_W_USED;
	return kl->used[id / 64] >> (id % 64) & 1;
}

bool mml_keylog_use(const mml_keylog *kl, const mml_keyent *e)
{
	if (e->id >= kl->n)
		return false;
	uint64_t bit = (uint64_t)1 << (e->id % 64), *wd;
	if (kl->mapped) {
		bit = KL_W_USED;
		wd = &kl->tails.e[e->id].w;
	} else {
		wd = &kl->used[e->id / 64];
	}
	if (__atomic_load_n(wd, __ATOMIC_RELAXED) & bit)
		return false; /* used before: no locked write */
	return !(__atomic_fetch_or(wd, bit, __ATOMIC_RELAXED) & bit);
}

/* A repeat of a used line: same layer, key and tail. */
static bool same_line(const mml_keyent *x, const mml_keyent *e)
{
	return x->layer == e->layer && x->keylen == e->keylen && !memcmp(x->key, e->key, e->keylen) &&
	       x->tail_len == e->tail_len && !memcmp(x->tail, e->tail, e->tail_len);
}

/* Resident entry e (unused) repeats a used line. */
static bool resident_repeat(const mml_keylog *kl, const mml_keyent *e)
{
	size_t it = 0;
	const mml_keyent *x;
	while ((x = mml_keylog_find_tail(kl, (mml_layer)e->layer, e->tail + e->tail_len - 8, &it)))
		if (x != e && is_used(kl, x->id) && same_line(x, e))
			return true;
	return false;
}

/* Mapped entry i (unused) repeats a used line: the used entries of its
 * layer among those with its hash (next to it in the index) are read
 * from the spool, and it with them; most entries have none. */
static bool mapped_repeat(const mml_keylog *kl, size_t i)
{
	const mml_keyidx_tab *t = &kl->tails;
	uint32_t h = t->e[i].h;
	unsigned layer = kl_w_layer(kl_w(&t->e[i]));
	size_t s = i;
	while (s && t->e[s - 1].h == h)
		s--;
	mml_keyent e, x;
	bool have = false;
	for (size_t j = s; j < t->n && t->e[j].h == h; j++) {
		uint64_t w = kl_w(&t->e[j]);
		if (j == i || !(w & KL_W_USED) || kl_w_layer(w) != layer)
			continue;
		if (!have && !(have = mml_kl_read(kl, &t->e[i], &e)))
			return false;
		if (mml_kl_read(kl, &t->e[j], &x) && same_line(&x, &e))
			return true;
	}
	return false;
}

/* Keep the lowest nfirst line numbers seen, ascending, in first[0 .. *nf). */
static void keep_lowest(uint32_t *first, size_t nfirst, size_t *nf, uint32_t line)
{
	size_t p = *nf < nfirst ? (*nf)++ : nfirst;
	if (p == nfirst && (!nfirst || first[nfirst - 1] < line))
		return;
	if (p == nfirst)
		p--;
	while (p && first[p - 1] > line) {
		first[p] = first[p - 1];
		p--;
	}
	first[p] = line;
}

size_t mml_keylog_unused_in(const mml_keylog *kl, size_t f, uint32_t *first, size_t nfirst, size_t *repeats)
{
	size_t unused = 0, rep = 0, nf = 0;
	if (f < kl->nfiles && !kl->mapped) { /* its entries in line order */
		const mml_keylog_file *fl = &kl->files[f];
		for (size_t i = fl->first; i < fl->first + fl->lines && i < kl->n; i++) {
			if (is_used(kl, i))
				continue;
			if (resident_repeat(kl, &kl->ent[i])) {
				rep++;
				continue;
			}
			if (unused++ < nfirst)
				first[nf++] = kl->ent[i].line;
		}
	} else if (f < kl->nfiles) { /* in hash order: the lowest lines kept */
		const mml_keyidx_tab *t = &kl->tails;
		for (size_t i = 0; i < t->n; i++) {
			uint64_t w = kl_w(&t->e[i]);
			if ((w & KL_W_USED) || kl_w_file(w) != f)
				continue;
			if (mapped_repeat(kl, i)) {
				rep++;
				continue;
			}
			unused++;
			keep_lowest(first, nfirst, &nf, t->e[i].line);
		}
	}
	if (repeats)
		*repeats = rep;
	return unused;
}

size_t mml_keylog_unused(const mml_keylog *kl, uint32_t *first, size_t nfirst, size_t *repeats)
{
	size_t unused = 0, rep = 0, nf = 0;
	for (size_t f = 0; f < kl->nfiles; f++) {
		size_t r, u = mml_keylog_unused_in(kl, f, first ? first + nf : NULL, nfirst - nf, &r);
		nf += u < nfirst - nf ? u : nfirst - nf;
		unused += u;
		rep += r;
	}
	if (repeats)
		*repeats = rep;
	return unused;
}

size_t mml_keylog_nfiles(const mml_keylog *kl) { return kl->nfiles; }

void mml_keylog_file_stats(const mml_keylog *kl, size_t i, const char **name, size_t *lines, size_t *used)
{
	const char *nm = NULL;
	size_t ln = 0, u = 0;
	if (i < kl->nfiles) {
		nm = kl->files[i].name;
		ln = kl->files[i].lines;
		size_t unused = mml_keylog_unused_in(kl, i, NULL, 0, NULL);
		u = ln > unused ? ln - unused : 0;
	}
	if (name)
		*name = nm;
	if (lines)
		*lines = ln;
	if (used)
		*used = u;
}
