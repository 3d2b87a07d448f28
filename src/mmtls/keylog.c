/*
 * keylog.c - read the published key log, one file or several into one
 * set of entries, and answer lookups. Contract in include/mmlens/keylog.h;
 * the format is described in docs/FORMATS.md. A line is read by
 * keyline.c, the mapped index built by keyidx.c, the "used" accounting
 * is keyuse.c.
 *
 * Each load or parse adds a file: the file is listed first (its name
 * kept for diagnostics and stats), then its lines are read into the key
 * log's representation, then the indexes are rebuilt over every file's
 * entries. The first regular file makes the key log mapped; the entries
 * of the files read before it (pipes, buffers) are spooled then, so one
 * key log never mixes the two representations.
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

void mml_keylog_init(mml_keylog *kl) { memset(kl, 0, sizeof *kl); }

static void free_resident(mml_keylog *kl)
{
	free(kl->ent);
	free(kl->idx);
	free(kl->tagidx);
	free(kl->used);
	kl->ent = NULL;
	kl->idx = kl->tagidx = NULL;
	kl->used = NULL;
	kl->alloc = kl->idx_size = kl->tagidx_size = kl->used_n = 0;
}

void mml_keylog_free(mml_keylog *kl)
{
	free_resident(kl);
	mml_kltab_free(&kl->tails);
	mml_kltab_free(&kl->tags);
	if (kl->spool)
		fclose(kl->spool);
	if (kl->recs)
		munmap((void *)kl->recs, kl->recs_len);
	for (size_t i = 0; i < kl->nfiles; i++)
		free(kl->files[i].name);
	free(kl->files);
	memset(kl, 0, sizeof *kl);
}

/* List a new file; its lines follow. */
static mml_err file_begin(mml_keylog *kl, const char *name)
{
	if (kl->nfiles >= MML_KEYLOG_MAX_FILES)
		return MML_E_LIMIT;
	MML_RETURN_IF(!mml_grow((void **)&kl->files, &kl->files_alloc, kl->nfiles + 1, sizeof *kl->files, 4),
	              MML_E_NOMEM);
	char *nm = strdup(name ? name : "-");
	if (!nm)
		return MML_E_NOMEM;
	kl->files[kl->nfiles++] = (mml_keylog_file){.name = nm, .first = kl->n};
	return MML_OK;
}

/* The file being read. */
static mml_keylog_file *cur_file(mml_keylog *kl) { return &kl->files[kl->nfiles - 1]; }

static mml_err add_entry(mml_keylog *kl, const mml_keyent *e)
{
	MML_RETURN_IF(!mml_grow((void **)&kl->ent, &kl->alloc, kl->n + 1, sizeof *kl->ent, 64), MML_E_NOMEM);
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
		uint64_t key = kl_load8(kp);
		size_t pos = kl_h8(key) & (sz - 1);
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
	cur_file(kl)->bad_lines++;
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
		e.file = (uint16_t)(kl->nfiles - 1);
		if (add_entry(kl, &e) == MML_OK) {
			cur_file(kl)->lines++;
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

/* The used bits grow with the entries; those of the entries before keep their value. */
static mml_err alloc_used(mml_keylog *kl)
{
	size_t words = kl->n / 64 + 1, had = kl->used ? kl->used_n : 0;
	uint64_t *u = realloc(kl->used, words * sizeof *u);
	if (!u)
		return MML_E_NOMEM;
	if (had % 64)
		u[had / 64] &= ((uint64_t)1 << (had % 64)) - 1;
	size_t from = (had + 63) / 64;
	memset(u + from, 0, (words - from) * sizeof *u);
	kl->used = u;
	kl->used_n = kl->n;
	return MML_OK;
}

/* After a file, resident: the indexes again over every entry. */
static mml_err resident_close(mml_keylog *kl)
{
	/* entries grew geometrically: give back the slack */
	if (kl->alloc > kl->n && kl->n) {
		mml_keyent *p = realloc(kl->ent, kl->n * sizeof *p);
		if (p) {
			kl->ent = p;
			kl->alloc = kl->n;
		}
	}
	MML_RETURN_IF_ERR(build_index(&kl->idx, &kl->idx_size, kl, 0));
	MML_RETURN_IF_ERR(build_index(&kl->tagidx, &kl->tagidx_size, kl, 1));
	return alloc_used(kl);
}

static void mapped_line(mml_keylog *kl, const char *line, size_t len, uint32_t lineno,
                        mml_diag_fn diag, void *dctx, const char *name, mml_stats *st);
static void mapped_open(mml_keylog *kl);
static mml_err mapped_close(mml_keylog *kl);

mml_err mml_keylog_parse(mml_keylog *kl, const char *text, size_t n, mml_diag_fn diag, void *dctx,
                         const char *name, mml_stats *st)
{
	MML_RETURN_IF_ERR(file_begin(kl, name));
	if (kl->mapped)
		mapped_open(kl);
	uint32_t lineno = 0;
	size_t pos = 0, len;
	const char *line;
	while (mml_line_next(text, n, &pos, &lineno, &line, &len)) {
		if (kl->mapped)
			mapped_line(kl, line, len, lineno, diag, dctx, name, st);
		else
			feed_line(kl, line, len, lineno, diag, dctx, name, st);
	}
	return kl->mapped ? mapped_close(kl) : resident_close(kl);
}

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

/* ---- mapped key log ---- */

/*
 * A spooled entry, compact (an OUTER line: 54 bytes; the struct: 124):
 * flags (1 layer INNER, 2 client, 4 tag), keylen, nonce_len, meta_len,
 * tail_len, then key, nonce, meta, tail and the tag if any. Its line
 * number is in the index entry, whose w holds its offset, length and
 * file. The files' entries follow each other in the one spool.
 */
#define SPOOL_HDR 5
#define SPOOL_REC_MAX (SPOOL_HDR + 24 + 16 + 32 + 16 + 16)
_Static_assert(SPOOL_REC_MAX <= KL_W_LEN_MASK, "a spooled entry's length fits in w");
_Static_assert(MML_KEYLOG_MAX_FILES - 1 <= KL_W_FILE_MASK, "a file number fits in w");

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

/*
 * Entry e of file `file` into the spool and the indexes (used: its used
 * bit already set). MML_E_IO when the spool cannot be written,
 * MML_E_LIMIT when it is full, MML_E_NOMEM; the indexes are then as
 * before (the spool may hold the unindexed bytes).
 */
static mml_err spool_add(mml_keylog *kl, const mml_keyent *e, unsigned file, bool used)
{
	uint8_t rec[SPOOL_REC_MAX + 64];
	size_t rn = spool_encode(e, rec);
	if ((uint64_t)kl->spool_len + rn >= (uint64_t)1 << KL_OFF_BITS)
		return MML_E_LIMIT;
	if (fwrite(rec, 1, rn, kl->spool) != rn)
		return MML_E_IO;
	uint64_t w = (uint64_t)kl->spool_len << KL_W_OFF_SHIFT | (used ? KL_W_USED : 0) |
	             (uint64_t)file << KL_W_FILE_SHIFT | (uint64_t)rn << KL_W_LEN_SHIFT |
	             (uint64_t)(e->layer & 1) << 1 | (e->client ? 1u : 0u);
	kl->spool_len += rn;
	size_t tn = kl->tails.n;
	mml_err r = mml_kltab_push(&kl->tails, kl_hash32(e->tail + e->tail_len - 8), e->line, w);
	if (r == MML_OK && e->has_tag && (r = mml_kltab_push(&kl->tags, kl_hash32(e->tag + 8), e->line, w)) != MML_OK)
		kl->tails.n = tn; /* undo a half-stored line */
	if (r == MML_OK)
		kl->n++;
	return r;
}

static void mapped_line(mml_keylog *kl, const char *line, size_t len, uint32_t lineno,
                        mml_diag_fn diag, void *dctx, const char *name, mml_stats *st)
{
	if (!line_usable(kl, line, len, lineno, diag, dctx, name, st))
		return;
	mml_keyent e;
	const char *why = mml_keyline_decode(kl->jansson_only, line, len, lineno, &e);
	if (!why) {
		mml_err r = spool_add(kl, &e, (unsigned)(kl->nfiles - 1), false);
		if (r == MML_OK) {
			cur_file(kl)->lines++;
			count_layer(&e, st);
			return;
		}
		why = r == MML_E_IO      ? "could not be stored (cannot write the key spool)"
		      : r == MML_E_LIMIT ? "could not be stored (the key spool is full)"
		                         : "could not be stored (out of memory)";
	}
	bad_line(kl, lineno, why, diag, dctx, name, st);
}

/* Before a file's lines go to a mapped key log: the spool unmapped, the
 * indexes open for more entries. */
static void mapped_open(mml_keylog *kl)
{
	if (kl->recs)
		munmap((void *)kl->recs, kl->recs_len);
	kl->recs = NULL;
	kl->recs_len = 0;
	mml_kltab_unbuild(&kl->tails);
	mml_kltab_unbuild(&kl->tags);
}

/* After a file: the indexes sorted over every file's entries, the spool mapped. */
static mml_err mapped_close(mml_keylog *kl)
{
	mml_err e = mml_kltab_build(&kl->tails), e2 = mml_kltab_build(&kl->tags);
	if (e == MML_OK)
		e = e2;
	if (fflush(kl->spool) != 0)
		return e == MML_OK ? MML_E_IO : e;
	if (kl->spool_len) {
		void *m = mmap(NULL, kl->spool_len, PROT_READ, MAP_SHARED, fileno(kl->spool), 0);
		if (m == MAP_FAILED)
			return e == MML_OK ? MML_E_IO : e;
		kl->recs = m;
		kl->recs_len = kl->spool_len;
	}
	return e;
}

/*
 * The key log becomes mapped: a spool of our own (an unlinked temp file,
 * mode 0600; no one else can cut it short), and the resident entries
 * (files read before, from pipes or buffers) moved into it with their
 * used bits. MML_E_IO (no temp file) or MML_E_NOMEM leave it resident.
 */
static mml_err to_mapped(mml_keylog *kl)
{
	if (!(kl->spool = tmpfile()))
		return MML_E_IO;
	size_t n = kl->n;
	kl->n = 0;
	for (size_t i = 0; i < n; i++) {
		bool used = i < kl->used_n && kl->used[i / 64] >> (i % 64) & 1;
		mml_err e = spool_add(kl, &kl->ent[i], kl->ent[i].file, used);
		if (e != MML_OK) {
			mml_kltab_free(&kl->tails);
			mml_kltab_free(&kl->tags);
			fclose(kl->spool);
			kl->spool = NULL;
			kl->spool_len = 0;
			kl->n = n;
			return e;
		}
	}
	free_resident(kl);
	kl->mapped = true;
	return MML_OK;
}

mml_err mml_keylog_load(mml_keylog *kl, const char *path, mml_diag_fn diag, void *dctx, mml_stats *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return MML_E_IO;
	mml_err e = file_begin(kl, path);
	if (e != MML_OK) {
		close(fd);
		return e;
	}
	struct stat sb;
	bool reg = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size < ((uint64_t)1 << KL_OFF_BITS);
	/* the first regular file makes the key log mapped (without a temp
	 * file it stays resident: the entries held in memory) */
	if (reg && !kl->mapped)
		(void)to_mapped(kl);
	if (kl->mapped) {
		mapped_open(kl);
		/* a valid line holds at least 48 hex digits (key and tail) and its
		 * JSON: fewer than size / 32 lines (tags: few, on the heap) */
		if (reg)
			(void)mml_kltab_reserve(&kl->tails, kl->tails.n + (size_t)sb.st_size / 32 + 1);
	}
	e = read_lines(kl, fd, kl->mapped, path, diag, dctx, st);
	close(fd);
	mml_err c = kl->mapped ? mapped_close(kl) : resident_close(kl);
	return e != MML_OK ? e : c;
}

/*
 * Entry `x` of an indexed key log into *out, from the spool. The pages a
 * thread touched are dropped from the process (MADV_DONTNEED; the page
 * cache keeps them) every KL_DROP_EVERY new 64 KiB windows, so lookups
 * leave at most a few MiB mapped whatever the log's size.
 */
#define KL_DROP_EVERY 64
bool mml_kl_read(const mml_keylog *kl, const mml_keyidx *x, mml_keyent *out)
{
	static _Thread_local uint64_t win;
	uint64_t w = kl_w(x), k = w >> KL_W_OFF_SHIFT, len = w >> KL_W_LEN_SHIFT & KL_W_LEN_MASK;
	if (k > kl->recs_len || len > kl->recs_len - k)
		return false;
	uint64_t wn = (k >> 16) + 1;
	if (wn != win) {
		win = wn;
		if (!(__atomic_add_fetch((unsigned long *)&kl->touched, 1, __ATOMIC_RELAXED) % KL_DROP_EVERY))
			madvise((void *)kl->recs, kl->recs_len, MADV_DONTNEED);
	}
	if (!spool_decode(kl->recs + k, (size_t)len, x->line, out))
		return false;
	out->file = (uint16_t)kl_w_file(w);
	return true;
}

static _Thread_local mml_keyent scratch;

/* Position in tails of the entry at spool offset `off` (found by its tag). */
static size_t tail_id(const mml_keylog *kl, const mml_keyent *e, uint64_t off)
{
	const mml_keyidx_tab *t = &kl->tails;
	uint32_t h = kl_hash32(e->tail + e->tail_len - 8);
	for (size_t i = kl_tab_first(t, h); i < t->n && t->e[i].h == h; i++)
		if (kl_w(&t->e[i]) >> KL_W_OFF_SHIFT == off)
			return i;
	return 0; /* not reached: every entry is in tails */
}

static const mml_keyent *find_mapped(const mml_keylog *kl, const mml_keyidx_tab *t, const uint8_t *k8, size_t *it,
                                     int by_tag, mml_layer layer, const uint8_t *tag16)
{
	uint32_t h = kl_hash32(k8);
	size_t i = *it ? *it - 1 : kl_tab_first(t, h);
	for (; i < t->n && t->e[i].h == h; i++) {
		const mml_keyidx *x = &t->e[i];
		if (!by_tag && (mml_layer)kl_w_layer(kl_w(x)) != layer)
			continue;
		mml_keyent *e = &scratch;
		if (!mml_kl_read(kl, x, e))
			continue;
		if (by_tag ? !e->has_tag || memcmp(e->tag, tag16, 16) : memcmp(e->tail + e->tail_len - 8, k8, 8))
			continue;
		e->id = (uint32_t)(by_tag ? tail_id(kl, e, kl_w(x) >> KL_W_OFF_SHIFT) : i);
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
	uint64_t key = kl_load8(k8);
	size_t pos = kl_h8(key) & (sz - 1);
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
	if (kl->mapped && !kl_filt_may_hold(&kl->tails, kl_hash32(tail8)))
		return false;
	return mml_keylog_find_tail(kl, layer, tail8, &it) != NULL;
}

void mml_keylog_prefetch_tail(const mml_keylog *kl, const uint8_t tail8[8], bool entries)
{
	const mml_keyidx_tab *t = &kl->tails;
	if (!kl->mapped) {
		if (kl->idx)
			__builtin_prefetch(&kl->idx[kl_h8(kl_load8(tail8)) & (kl->idx_size - 1)]);
		return;
	}
	if (!t->n)
		return;
	uint32_t h = kl_hash32(tail8);
	if (t->filt)
		__builtin_prefetch(&t->filt[(uint64_t)h >> t->filt_shift]);
	if (entries) { /* where kl_tab_first will start (the directory is small: cached) */
		size_t b = kl_bucket(t, h), s = t->dir[b], e = t->dir[b + 1];
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

bool mml_keyent_eq(const mml_keyent *a, const mml_keyent *b)
{
	return a->line == b->line && a->layer == b->layer && a->client == b->client && a->keylen == b->keylen &&
	       !memcmp(a->key, b->key, sizeof a->key) && a->nonce_len == b->nonce_len &&
	       !memcmp(a->nonce, b->nonce, sizeof a->nonce) && a->meta_len == b->meta_len &&
	       !memcmp(a->meta, b->meta, sizeof a->meta) && a->tail_len == b->tail_len &&
	       !memcmp(a->tail, b->tail, sizeof a->tail) && a->has_tag == b->has_tag &&
	       !memcmp(a->tag, b->tag, sizeof a->tag) && a->file == b->file && a->id == b->id;
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
	if (!mml_kl_read(kl, &kl->tails.e[id], out))
		return false;
	out->id = (uint32_t)id;
	return true;
}
