/*
 * tests/test_mmtls_keylog_merge.c - several key log files in one mml_keylog (the
 * instrumentation writes OUTER lines from the network process and INNER
 * lines from the main one): the real key log split by layer decrypts the
 * real capture exactly as the whole file does, in every representation
 * (two regular files: mapped; two pipes or buffers: resident; a pipe then
 * a file: promoted to mapped; a file then a pipe), with the used lines
 * accounted file by file; a file that matches nothing reports 0 used; a
 * bad line of the second file is reported with its name; the same file
 * twice gives repeats, not uses. Decryption is driven at the library
 * level (capture -> flow -> mmtls -> envelope), as tests/test_cli_real.c does.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmlens/capture.h"
#include "mmlens/envelope.h"
#include "mmlens/keylog.h"
#include "test.h"
#include "util.h"

#define CAP "mmtls-capture/capture-logged-in-all-keys.pcapng"
#define KEYS "mmtls-capture/frida-logged-in-all-keys.log"

/* ---- loading a file in each form ---- */

typedef enum { F_FILE, F_PIPE, F_BUF } form;
static const char *const form_name[] = {"file", "pipe", "buffer"};

/* Diagnostics: counted, the last kept, and hashed as (file number, text
 * after the file's name), so that forms naming a file differently agree. */
typedef struct dg {
	size_t n;
	char last[512];
	uint64_t hash;
	const char *names[2]; /* what the two loads call their file */
	unsigned cur;         /* the load under way */
} dg;

static void diag(void *ctx, const char *fmt, ...)
{
	dg *d = ctx;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->last, sizeof d->last, fmt, ap);
	va_end(ap);
	d->n++;
	const char *m = d->last;
	unsigned f = 9; /* the message names the file being loaded (two pipes may share a name) */
	size_t l = d->names[d->cur] ? strlen(d->names[d->cur]) : 0;
	if (l && !strncmp(m, d->names[d->cur], l) && m[l] == ':') {
		f = d->cur;
		m += l;
	}
	d->hash = (d->hash ^ f) * 1099511628211ull;
	for (; *m; m++)
		d->hash = (d->hash ^ (unsigned char)*m) * 1099511628211ull;
}

/* A child writes text into a pipe; *path names its read end. */
static pid_t pipe_feed(const char *text, size_t n, char *path, size_t pathsz, int *rfd)
{
	int fd[2];
	if (pipe(fd))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[0]);
		for (size_t off = 0; off < n;) {
			ssize_t w = write(fd[1], text + off, n - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		_exit(0);
	}
	close(fd[1]);
	*rfd = fd[0];
	snprintf(path, pathsz, "/proc/self/fd/%d", fd[0]);
	return pid;
}

/* One key log text, written to a file of the temp dir. */
typedef struct ktext {
	char *text;
	size_t n;
	char path[600];
} ktext;

static void ktext_set(ktext *k, const char *name, const char *text, size_t n)
{
	k->text = malloc(n + 1);
	if (k->text) {
		memcpy(k->text, text, n);
		k->text[n] = 0;
	}
	k->n = n;
	const char *p = t_write_tmp(name, text, n);
	snprintf(k->path, sizeof k->path, "%s", p ? p : "");
}

/* Add k to kl in form f; d->names[slot] gets the name it goes by. */
static mml_err load_as(mml_keylog *kl, form f, const ktext *k, dg *d, unsigned slot, mml_stats *st, char *name,
                       size_t namesz)
{
	d->cur = slot;
	if (f == F_BUF) {
		snprintf(name, namesz, "keys%u.log", slot + 1);
		d->names[slot] = name;
		return mml_keylog_parse(kl, k->text, k->n, diag, d, name, st);
	}
	if (f == F_FILE) {
		snprintf(name, namesz, "%s", k->path);
		d->names[slot] = name;
		return mml_keylog_load(kl, name, diag, d, st);
	}
	int rfd = -1;
	pid_t pid = pipe_feed(k->text, k->n, name, namesz, &rfd);
	if (pid <= 0)
		return MML_E_IO;
	d->names[slot] = name;
	mml_err e = mml_keylog_load(kl, name, diag, d, st);
	close(rfd);
	waitpid(pid, NULL, 0);
	return e;
}

/* ---- the real key log split by layer ---- */

/* Lines of `text` whose layer is `layer` (by their text); map[i] is the
 * original line of the split file's line i+1. */
static char *split_layer(const char *text, size_t n, const char *layer, size_t *outn, uint32_t *map, size_t mapcap)
{
	char *o = malloc(n + 1);
	size_t k = 0, nl = 0;
	uint32_t line = 0;
	char want[32];
	snprintf(want, sizeof want, "\"layer\":\"%s\"", layer);
	for (size_t p = 0; o && p < n;) {
		const char *e = memchr(text + p, '\n', n - p);
		size_t len = e ? (size_t)(e - (text + p)) : n - p;
		line++;
		if (len && memmem(text + p, len, want, strlen(want))) {
			memcpy(o + k, text + p, len);
			k += len;
			o[k++] = '\n';
			if (nl < mapcap)
				map[nl] = line;
			nl++;
		}
		p += len + 1;
	}
	*outn = k;
	return o;
}

/* ---- decrypting the capture at the library level ---- */

typedef struct dec {
	mml_buf log;              /* one text line per outer unit and message */
	mml_envproc *env;
	const uint32_t *map[2];   /* OUTER, INNER line -> line in the whole key log (NULL: as is) */
} dec;

static uint32_t orig(const dec *c, int layer, uint32_t line)
{
	return line && c->map[layer] ? c->map[layer][line - 1] : line;
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static void put(dec *c, const char *fmt, ...)
{
	char b[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	if (n > 0)
		mml_buf_append(&c->log, b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
}

static void on_msg(void *ctx, const mml_msg *m)
{
	dec *c = ctx;
	put(c, "msg %d st%d in%d src%d line%u body%zu:%016llx", m->outer ? m->outer->dir : -1, (int)m->status,
	    (int)m->inner, (int)m->inner_key_source, orig(c, 1, m->inner_keylog_line), m->body_len,
	    (unsigned long long)(m->body ? fnv(m->body, m->body_len) : 0));
	for (size_t i = 0; i < m->nparts; i++)
		put(c, " part%u:%u", m->parts[i].field, orig(c, 1, m->parts[i].keylog_line));
	put(c, "\n");
}

static void on_outer(void *ctx, const mml_outer *o)
{
	dec *c = ctx;
	put(c, "outer %d st%d src%d line%u seq%llu len%zu\n", o->dir, (int)o->status, (int)o->key_source,
	    orig(c, 0, o->keylog_line), (unsigned long long)o->rec_seq, o->len);
	mml_envproc_outer(c->env, o);
}

/* Decrypt the real capture with kl: the units and messages as text into
 * c->log, the accounting into *st. */
static void decrypt_real(const mml_keylog *kl, dec *c, mml_stats *st)
{
	memset(st, 0, sizeof *st);
	mml_buf_init(&c->log, 0);
	mml_catalog cat;
	mml_catalog_init(&cat);
	REQUIRE(mml_catalog_load_builtin(&cat) == MML_OK);
	mml_envproc_cfg ec = {0};
	c->env = mml_envproc_new(&ec, kl, &cat, st, on_msg, c);
	mml_conn_cbs cc = {.ctx = c, .on_outer = on_outer};
	mml_mmtls_ctx *mm = mml_mmtls_new(kl, &cc, st);
	mml_flow_cbs fc;
	mml_mmtls_flow_cbs(mm, &fc);
	mml_flowtab_cfg fcfg = {0};
	mml_flowtab *ft = mml_flowtab_new(&fcfg, &fc, st);
	mml_capture cap;
	memset(&cap, 0, sizeof cap);
	REQUIRE(c->env && mm && ft && mml_capture_open(&cap, mml_test_data(CAP), st) == MML_OK);
	mml_pkt pkt;
	while (mml_capture_next(&cap, &pkt) == MML_OK)
		mml_flowtab_packet(ft, &pkt);
	mml_flowtab_flush(ft);
	mml_flowtab_free(ft);
	mml_mmtls_free(mm);
	mml_envproc_free(c->env);
	mml_capture_close(&cap);
	mml_catalog_free(&cat);
	mml_buf_append(&c->log, "", 1); /* a C string */
}

/* Unused lines of every file of kl, as lines of the whole key log (sorted). */
static size_t unused_orig(const mml_keylog *kl, const dec *c, uint32_t *out, size_t cap, size_t *repeats)
{
	size_t k = 0;
	*repeats = 0;
	for (size_t f = 0; f < mml_keylog_nfiles(kl); f++) {
		uint32_t first[512];
		size_t rep, u = mml_keylog_unused_in(kl, f, first, 512, &rep);
		CHECK(u <= 512);
		for (size_t i = 0; i < u && i < 512 && k < cap; i++)
			out[k++] = c ? orig(c, (int)f, first[i]) : first[i];
		*repeats += rep;
	}
	for (size_t i = 1; i < k; i++) /* insertion sort: a few hundred lines */
		for (size_t j = i; j && out[j - 1] > out[j]; j--) {
			uint32_t t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return k;
}

TEST(keylog_merge_split_by_layer_decrypts_as_one_file)
{
	size_t n;
	char *text = t_slurp(mml_test_data(KEYS), &n);
	REQUIRE(text);
	static uint32_t omap[512], imap[512];
	size_t on, in;
	char *ot = split_layer(text, n, "OUTER", &on, omap, 512), *it = split_layer(text, n, "INNER", &in, imap, 512);
	REQUIRE(ot && it);
	ktext kt[2];
	ktext_set(&kt[0], "merge-outer.log", ot, on);
	ktext_set(&kt[1], "merge-inner.log", it, in);
	/* the whole file, as one */
	mml_keylog one;
	mml_keylog_init(&one);
	mml_stats s1, l1;
	memset(&l1, 0, sizeof l1);
	REQUIRE(mml_keylog_load(&one, mml_test_data(KEYS), NULL, NULL, &l1) == MML_OK);
	dec c1 = {0};
	decrypt_real(&one, &c1, &s1);
	mml_stats_add(&s1, &l1);
	uint32_t u1[512];
	size_t r1, nu1 = unused_orig(&one, NULL, u1, 512, &r1);
	size_t used1;
	mml_keylog_file_stats(&one, 0, NULL, NULL, &used1);
	CHECK(s1.keylog_outer_used > 0 && s1.keylog_inner_used > 0);
	static const form forms[][2] = {{F_FILE, F_FILE}, {F_PIPE, F_PIPE}, {F_BUF, F_BUF}, {F_PIPE, F_FILE},
	                                {F_FILE, F_PIPE}, {F_BUF, F_FILE}};
	for (size_t fi = 0; fi < sizeof forms / sizeof forms[0]; fi++) {
		mml_keylog two;
		mml_keylog_init(&two);
		mml_stats s2, l2;
		memset(&l2, 0, sizeof l2);
		dg d = {0};
		char names[2][600];
		CHECK_EQ(load_as(&two, forms[fi][0], &kt[0], &d, 0, &l2, names[0], sizeof names[0]), MML_OK);
		CHECK_EQ(load_as(&two, forms[fi][1], &kt[1], &d, 1, &l2, names[1], sizeof names[1]), MML_OK);
		CHECK_EQ(two.mapped, forms[fi][0] == F_FILE || forms[fi][1] == F_FILE);
		CHECK_EQ(mml_keylog_nfiles(&two), 2);
		CHECK_EQ(two.n, one.n);
		dec c2 = {.map = {omap, imap}};
		decrypt_real(&two, &c2, &s2);
		mml_stats_add(&s2, &l2);
		/* the same units, messages (lines mapped back), accounting */
		if (strcmp((char *)c1.log.p, (char *)c2.log.p))
			mml_test_fail(__FILE__, __LINE__, "%s + %s: the decryption differs from the whole key log's",
			              form_name[forms[fi][0]], form_name[forms[fi][1]]);
		CHECK(!memcmp(&s1, &s2, sizeof s1));
		/* per file: OUTER lines used = OUTER uses + repeats, the same for INNER */
		const char *nm[2];
		size_t lines[2], used[2], rep[2];
		for (int f = 0; f < 2; f++) {
			mml_keylog_file_stats(&two, (size_t)f, &nm[f], &lines[f], &used[f]);
			CHECK_STR(nm[f], names[f]);
			size_t u = mml_keylog_unused_in(&two, (size_t)f, NULL, 0, &rep[f]);
			CHECK_EQ(lines[f], used[f] + u);
		}
		CHECK_EQ(lines[0], s1.keylog_outer);
		CHECK_EQ(lines[1], s1.keylog_inner);
		CHECK_EQ(used[0], s2.keylog_outer_used + rep[0]);
		CHECK_EQ(used[1], s2.keylog_inner_used + rep[1]);
		CHECK_EQ(used[0] + used[1], used1);
		/* the unused lines are the whole file's, file by file */
		uint32_t u2[512];
		size_t r2, nu2 = unused_orig(&two, &c2, u2, 512, &r2);
		CHECK_EQ(nu2, nu1);
		CHECK_EQ(r2, r1);
		CHECK(nu1 == nu2 && !memcmp(u1, u2, nu1 * sizeof *u1));
		if (fi == 0)
			mml_test_note("%zu OUTER lines (%zu used), %zu INNER lines (%zu used), %zu unused, %zu repeats: the "
			              "same %zu bytes of units and messages as the whole file",
			              lines[0], used[0], lines[1], used[1], nu2, r2, c2.log.len);
		mml_buf_free(&c2.log);
		mml_keylog_free(&two);
	}
	mml_buf_free(&c1.log);
	mml_keylog_free(&one);
	for (int f = 0; f < 2; f++)
		free(kt[f].text);
	free(ot);
	free(it);
	free(text);
}

TEST(keylog_merge_file_matching_nothing_reports_zero_used)
{
	size_t n, sn;
	char *text = t_slurp(mml_test_data(KEYS), &n);
	char pcap[512], skeys[512], truth[512];
	REQUIRE(text && t_simulate("klmerge0", "--scenario all --seed 5", pcap, skeys, truth, sizeof pcap) == 0);
	char *stext = t_slurp(skeys, &sn);
	REQUIRE(stext);
	ktext kt[2];
	ktext_set(&kt[0], "merge-real.log", text, n);
	ktext_set(&kt[1], "merge-sim.log", stext, sn);
	mml_keylog one;
	mml_keylog_init(&one);
	mml_stats s1, l1;
	memset(&l1, 0, sizeof l1);
	REQUIRE(mml_keylog_load(&one, kt[0].path, NULL, NULL, &l1) == MML_OK);
	dec c1 = {0};
	decrypt_real(&one, &c1, &s1);
	size_t used1;
	mml_keylog_file_stats(&one, 0, NULL, NULL, &used1);
	for (int order = 0; order < 2; order++) {
		for (int fm = 0; fm < 2; fm++) { /* two files (mapped), two pipes (resident) */
			form f = fm ? F_PIPE : F_FILE;
			mml_keylog two;
			mml_keylog_init(&two);
			mml_stats s2, l2;
			memset(&l2, 0, sizeof l2);
			dg d = {0};
			char names[2][600];
			CHECK_EQ(load_as(&two, f, &kt[order], &d, 0, &l2, names[0], sizeof names[0]), MML_OK);
			CHECK_EQ(load_as(&two, f, &kt[!order], &d, 1, &l2, names[1], sizeof names[1]), MML_OK);
			dec c2 = {0}; /* the real key log keeps its line numbers, first or second */
			decrypt_real(&two, &c2, &s2);
			CHECK_STR((char *)c2.log.p, (char *)c1.log.p);
			CHECK_EQ(s2.keylog_outer_used, s1.keylog_outer_used);
			CHECK_EQ(s2.keylog_inner_used, s1.keylog_inner_used);
			size_t lines[2], used[2];
			for (int k = 0; k < 2; k++)
				mml_keylog_file_stats(&two, (size_t)k, NULL, &lines[k], &used[k]);
			size_t real = (size_t)order, sim = (size_t)!order;
			CHECK_EQ(lines[real], one.n);
			CHECK_EQ(used[real], used1);
			CHECK(lines[sim] > 100);
			CHECK_EQ(used[sim], 0);
			size_t rep;
			uint32_t first[4];
			CHECK_EQ(mml_keylog_unused_in(&two, sim, first, 4, &rep), lines[sim]);
			CHECK_EQ(rep, 0);
			CHECK_EQ(first[0], 1);
			if (!order && !fm)
				mml_test_note("real key log: %zu of %zu lines used; simulated one: %zu of %zu", used[real],
				              lines[real], used[sim], lines[sim]);
			mml_buf_free(&c2.log);
			mml_keylog_free(&two);
		}
	}
	mml_buf_free(&c1.log);
	mml_keylog_free(&one);
	for (int f = 0; f < 2; f++)
		free(kt[f].text);
	free(text);
	free(stext);
}

TEST(keylog_merge_same_file_twice_repeats_not_uses)
{
	size_t n;
	char *text = t_slurp(mml_test_data(KEYS), &n);
	REQUIRE(text);
	ktext kt;
	ktext_set(&kt, "merge-twice.log", text, n);
	mml_keylog one;
	mml_keylog_init(&one);
	mml_stats s1, l1;
	memset(&l1, 0, sizeof l1);
	REQUIRE(mml_keylog_load(&one, kt.path, NULL, NULL, &l1) == MML_OK);
	dec c1 = {0};
	decrypt_real(&one, &c1, &s1);
	size_t rep1, u1 = mml_keylog_unused_in(&one, 0, NULL, 0, &rep1), direct1 = one.n - u1 - rep1;
	CHECK_EQ(direct1, s1.keylog_outer_used + s1.keylog_inner_used);
	for (int fm = 0; fm < 3; fm++) {
		mml_keylog two;
		mml_keylog_init(&two);
		mml_stats s2, l2;
		memset(&l2, 0, sizeof l2);
		dg d = {0};
		char names[2][600];
		CHECK_EQ(load_as(&two, (form)fm, &kt, &d, 0, &l2, names[0], sizeof names[0]), MML_OK);
		CHECK_EQ(load_as(&two, (form)fm, &kt, &d, 1, &l2, names[1], sizeof names[1]), MML_OK);
		CHECK_EQ(two.n, 2 * one.n);
		CHECK_EQ(l2.keylog_lines, 2 * l1.keylog_lines);
		/* every line is found twice: first file first, then the second */
		size_t bad = 0;
		for (size_t i = 0; i < one.n; i++) {
			mml_keyent e;
			REQUIRE(mml_keylog_get(&one, i, &e));
			size_t it = 0, k = 0;
			const mml_keyent *x;
			uint32_t seen[8];
			while ((x = mml_keylog_find_tail(&two, (mml_layer)e.layer, e.tail + e.tail_len - 8, &it)) && k < 8)
				if (x->line == e.line)
					seen[k++] = x->file;
			bad += k != 2 || seen[0] != 0 || seen[1] != 1;
		}
		CHECK_EQ(bad, 0);
		dec c2 = {0};
		decrypt_real(&two, &c2, &s2);
		CHECK_STR((char *)c2.log.p, (char *)c1.log.p);
		CHECK(!memcmp(&s1, &s2, sizeof s1)); /* no use counted twice */
		size_t used[2], r[2], u[2];
		uint32_t f1[512], f2[512];
		for (int k = 0; k < 2; k++) {
			mml_keylog_file_stats(&two, (size_t)k, NULL, NULL, &used[k]);
			// cppcheck-suppress legacyUninitvar ; false positive: f1 and f2 are outputs, filled by the call
			u[k] = mml_keylog_unused_in(&two, (size_t)k, k ? f2 : f1, 512, &r[k]);
		}
		CHECK_EQ(u[0], u1);
		CHECK_EQ(r[0], rep1);
		CHECK_EQ(u[1], u1);            /* a line unused in the first copy is unused in the second */
		CHECK_EQ(r[1], direct1 + rep1); /* the rest repeat a used line */
		CHECK_EQ(used[0], one.n - u1);
		CHECK_EQ(used[1], one.n - u1);
		CHECK(!memcmp(f1, f2, u1 * sizeof *f1));
		if (!fm)
			mml_test_note("twice: %zu uses, %zu unused and %zu repeats in the second copy", direct1, u[1], r[1]);
		mml_buf_free(&c2.log);
		mml_keylog_free(&two);
	}
	mml_buf_free(&c1.log);
	mml_keylog_free(&one);
	free(kt.text);
	free(text);
}

TEST(keylog_merge_bad_lines_name_their_file)
{
	static const char good[] = "{\"layer\":\"OUTER\",\"encrypt\":true,\"nonce\":\"6df883161e0f1928d9bf8c4b\",\"key\":"
	                           "\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f%04x\"}\n";
	char t1[4096], t2[4096];
	size_t n1 = 0, n2 = 0;
	for (int i = 0; i < 3; i++)
		n1 += (size_t)snprintf(t1 + n1, sizeof t1 - n1, good, i);
	for (int i = 0; i < 16; i++)
		n2 += (size_t)snprintf(t2 + n2, sizeof t2 - n2, good, 100 + i);
	n2 += (size_t)snprintf(t2 + n2, sizeof t2 - n2, "not json\n");
	n2 += (size_t)snprintf(t2 + n2, sizeof t2 - n2, good, 200);
	ktext kt[2];
	ktext_set(&kt[0], "keys1.log", t1, n1);
	ktext_set(&kt[1], "keys2.log", t2, n2);
	for (int fm = 0; fm < 3; fm++) {
		mml_keylog kl;
		mml_keylog_init(&kl);
		mml_stats st;
		memset(&st, 0, sizeof st);
		dg d = {0};
		char names[2][600];
		CHECK_EQ(load_as(&kl, (form)fm, &kt[0], &d, 0, &st, names[0], sizeof names[0]), MML_OK);
		CHECK_EQ(d.n, 0);
		CHECK_EQ(load_as(&kl, (form)fm, &kt[1], &d, 1, &st, names[1], sizeof names[1]), MML_OK);
		CHECK_EQ(d.n, 1);
		char want[700];
		snprintf(want, sizeof want, "%s:17: key log line skipped: it is not valid JSON", names[1]);
		CHECK_STR(d.last, want);
		CHECK_EQ(kl.n, 20);
		CHECK_EQ(kl.bad_lines, 1);
		CHECK_EQ(st.keylog_lines, 21);
		CHECK_EQ(kl.files[0].bad_lines, 0);
		CHECK_EQ(kl.files[1].bad_lines, 1);
		size_t lines;
		mml_keylog_file_stats(&kl, 1, NULL, &lines, NULL);
		CHECK_EQ(lines, 17);
		/* line 18 of the second file is found as such */
		uint8_t t8[8] = {0x31, 0x71, 0x57, 0x3f, 0x3f, 0x0f, 0x00, 0xc8};
		size_t it = 0;
		const mml_keyent *e = mml_keylog_find_tail(&kl, MML_LAYER_OUTER, t8, &it);
		CHECK(e && e->file == 1 && e->line == 18);
		if (fm == 2)
			mml_test_note("%s", d.last);
		mml_keylog_free(&kl);
	}
	for (int f = 0; f < 2; f++)
		free(kt[f].text);
}

TEST(keylog_merge_limits_and_errors)
{
	mml_keylog kl;
	mml_keylog_init(&kl);
	mml_stats st;
	memset(&st, 0, sizeof st);
	char missing[600];
	snprintf(missing, sizeof missing, "%s/no-such-key.log", mml_test_tmpdir());
	CHECK_EQ(mml_keylog_load(&kl, missing, NULL, NULL, &st), MML_E_IO);
	CHECK_EQ(mml_keylog_nfiles(&kl), 0);
	const char *nm = "x";
	size_t lines = 9, used = 9;
	mml_keylog_file_stats(&kl, 0, &nm, &lines, &used);
	CHECK(!nm && !lines && !used);
	for (size_t i = 0; i < MML_KEYLOG_MAX_FILES; i++)
		if (mml_keylog_parse(&kl, "", 0, NULL, NULL, "empty", &st) != MML_OK)
			mml_test_fail(__FILE__, __LINE__, "file %zu refused", i);
	CHECK_EQ(mml_keylog_parse(&kl, "", 0, NULL, NULL, "one too many", &st), MML_E_LIMIT);
	CHECK_EQ(mml_keylog_nfiles(&kl), MML_KEYLOG_MAX_FILES);
	size_t rep;
	CHECK_EQ(mml_keylog_unused(&kl, NULL, 0, &rep), 0);
	mml_keylog_free(&kl);
}

/* ---- every form against two regular files: entries, lookups, accounting ---- */

static int by_file_line(const void *a, const void *b)
{
	const mml_keyent *x = a, *y = b;
	uint64_t kx = (uint64_t)x->file << 32 | x->line, ky = (uint64_t)y->file << 32 | y->line;
	return kx < ky ? -1 : kx > ky;
}

/* Every entry of kl, by (file, line), ids cleared (malloc'd). */
static mml_keyent *all_entries(const mml_keylog *kl)
{
	mml_keyent *v = calloc(kl->n + 1, sizeof *v);
	for (size_t i = 0; v && i < kl->n; i++) {
		if (!mml_keylog_get(kl, i, &v[i]))
			mml_test_fail(__FILE__, __LINE__, "entry %zu unreadable", i);
		v[i].id = 0;
	}
	if (v)
		qsort(v, kl->n, sizeof *v, by_file_line);
	return v;
}

/* What a lookup yields, in order, hashed entry by entry (ids left out). */
static uint64_t lookup_hash(const mml_keylog *kl, int by_tag, mml_layer layer, const uint8_t *key, size_t *hits)
{
	uint64_t h = 1469598103934665603ull;
	size_t it = 0;
	const mml_keyent *x;
	if (!by_tag && mml_keylog_has_tail(kl, layer, key) != (mml_keylog_find_tail(kl, layer, key, &it) != NULL))
		h ^= 0xbad;
	it = 0;
	while ((x = by_tag ? mml_keylog_find_tag(kl, key, &it) : mml_keylog_find_tail(kl, layer, key, &it))) {
		mml_keyent c = *x;
		c.id = 0;
		h = (h ^ fnv((const uint8_t *)&c, sizeof c)) * 1099511628211ull;
		(*hits)++;
	}
	return h;
}

/* Use the entry (file, line) of e, found by its tail (or tag). */
static bool use_entry(const mml_keylog *kl, const mml_keyent *e)
{
	size_t it = 0;
	const mml_keyent *x;
	while ((x = e->has_tag ? mml_keylog_find_tag(kl, e->tag, &it)
	                       : mml_keylog_find_tail(kl, (mml_layer)e->layer, e->tail + e->tail_len - 8, &it)))
		if (x->file == e->file && x->line == e->line)
			return mml_keylog_use(kl, x);
	return false;
}

/* Everything observable about kl, hashed: counts, files, entries, lookups, and the
 * accounting once every third entry is used. */
static uint64_t observe(mml_keylog *kl, const dg *d, const mml_stats *st, size_t *hits)
{
	uint64_t h = fnv((const uint8_t *)st, sizeof *st) ^ d->hash;
	h = (h ^ kl->n ^ (uint64_t)kl->bad_lines << 32 ^ (uint64_t)d->n << 48) * 1099511628211ull;
	for (size_t f = 0; f < mml_keylog_nfiles(kl); f++)
		h = (h ^ kl->files[f].lines ^ (uint64_t)kl->files[f].bad_lines << 32) * 1099511628211ull;
	mml_keyent *v = all_entries(kl);
	if (!v)
		return 0;
	h ^= fnv((const uint8_t *)v, kl->n * sizeof *v);
	for (size_t i = 0; i < kl->n; i++) {
		const uint8_t *t8 = v[i].tail + v[i].tail_len - 8;
		uint8_t miss[16];
		memcpy(miss, t8, 8);
		miss[i % 8] ^= 0x5a;
		for (int layer = 0; layer < 2; layer++)
			h = (h ^ lookup_hash(kl, 0, (mml_layer)layer, t8, hits) ^ lookup_hash(kl, 0, (mml_layer)layer, miss, hits)) *
			    1099511628211ull;
		if (v[i].has_tag) {
			memcpy(miss, v[i].tag, 16);
			miss[i % 16] ^= 0x5a;
			h = (h ^ lookup_hash(kl, 1, MML_LAYER_INNER, v[i].tag, hits) ^ lookup_hash(kl, 1, MML_LAYER_INNER, miss, hits)) *
			    1099511628211ull;
		}
	}
	for (size_t i = 0; i < kl->n; i += 3)
		if (!use_entry(kl, &v[i]))
			mml_test_fail(__FILE__, __LINE__, "entry %u:%u not used", v[i].file, v[i].line);
	for (size_t f = 0; f < mml_keylog_nfiles(kl); f++) {
		uint32_t first[16] = {0};
		size_t rep, lines, used, u = mml_keylog_unused_in(kl, f, first, 16, &rep);
		mml_keylog_file_stats(kl, f, NULL, &lines, &used);
		CHECK_EQ(lines, used + u);
		h = (h ^ u ^ (uint64_t)rep << 32 ^ fnv((const uint8_t *)first, sizeof first)) * 1099511628211ull;
	}
	free(v);
	return h;
}

static void forms_agree(const char *label, const ktext *a, const ktext *b)
{
	static const form forms[][2] = {{F_FILE, F_FILE}, {F_PIPE, F_PIPE}, {F_BUF, F_BUF},
	                                {F_PIPE, F_FILE}, {F_FILE, F_PIPE}, {F_BUF, F_PIPE}};
	uint64_t ref = 0;
	size_t ref_hits = 0, n = 0, bad = 0;
	for (size_t fi = 0; fi < sizeof forms / sizeof forms[0]; fi++) {
		mml_keylog kl;
		mml_keylog_init(&kl);
		mml_stats st;
		memset(&st, 0, sizeof st);
		dg d = {0};
		char names[2][600];
		CHECK_EQ(load_as(&kl, forms[fi][0], a, &d, 0, &st, names[0], sizeof names[0]), MML_OK);
		CHECK_EQ(load_as(&kl, forms[fi][1], b, &d, 1, &st, names[1], sizeof names[1]), MML_OK);
		size_t hits = 0;
		uint64_t h = observe(&kl, &d, &st, &hits);
		if (!fi) {
			ref = h;
			ref_hits = hits;
			n = kl.n;
			bad = kl.bad_lines;
		} else if (h != ref || hits != ref_hits) {
			mml_test_fail(__FILE__, __LINE__, "%s: %s + %s differs from file + file", label, form_name[forms[fi][0]],
			              form_name[forms[fi][1]]);
		}
		mml_keylog_free(&kl);
	}
	mml_test_note("%s: %zu entries, %zu bad lines, %zu lookup hits: the same in 6 forms", label, n, bad, ref_hits);
}

TEST(keylog_merge_every_form_agrees)
{
	size_t n, sn;
	char *text = t_slurp(mml_test_data(KEYS), &n);
	char pcap[512], skeys[512], truth[512];
	REQUIRE(text && t_simulate("klmerge1", "--scenario all --seed 11", pcap, skeys, truth, sizeof pcap) == 0);
	char *stext = t_slurp(skeys, &sn);
	REQUIRE(stext);
	static uint32_t map[512];
	size_t on, in;
	char *ot = split_layer(text, n, "OUTER", &on, map, 512), *it = split_layer(text, n, "INNER", &in, map, 512);
	if (!ot || !it) {
		free(ot);
		free(it);
		free(stext);
		free(text);
	}
	REQUIRE(ot && it);
	/* odd lines: blanks, CRLF, bad lines, a NUL, an over-long line, no final newline */
	static char odd[80000];
	size_t k = (size_t)snprintf(odd, sizeof odd, "\n  \r\n%.*s\r\nnot json\n{\"layer\":\"OUTER\"}\nab", (int)(n / 3), text);
	odd[k++] = 0;
	odd[k++] = '\n';
	memset(odd + k, 'x', 70000);
	k += 70000;
	odd[k++] = '\n';
	k += (size_t)snprintf(odd + k, sizeof odd - k, "%.*s", (int)(strchr(text, '\n') - text), text);
	ktext kt[7];
	ktext_set(&kt[0], "agree-outer.log", ot, on);
	ktext_set(&kt[1], "agree-inner.log", it, in);
	ktext_set(&kt[2], "agree-sim1.log", stext, sn / 2);
	ktext_set(&kt[3], "agree-sim2.log", stext + sn / 2, sn - sn / 2);
	ktext_set(&kt[4], "agree-odd.log", odd, k);
	ktext_set(&kt[5], "agree-real.log", text, n);
	ktext_set(&kt[6], "agree-empty.log", "", 0);
	forms_agree("OUTER + INNER", &kt[0], &kt[1]);
	forms_agree("simulated, cut in two", &kt[2], &kt[3]);
	forms_agree("odd lines + real", &kt[4], &kt[5]);
	forms_agree("real twice", &kt[5], &kt[5]);
	forms_agree("odd lines twice", &kt[4], &kt[4]);
	forms_agree("empty + real", &kt[6], &kt[5]);
	/* three files: the first two moved into the mapped form by the third */
	static const form three[][3] = {{F_FILE, F_FILE, F_FILE}, {F_PIPE, F_BUF, F_FILE}, {F_BUF, F_PIPE, F_PIPE},
	                                {F_FILE, F_PIPE, F_BUF}};
	uint64_t ref = 0;
	for (size_t fi = 0; fi < sizeof three / sizeof three[0]; fi++) {
		mml_keylog kl;
		mml_keylog_init(&kl);
		mml_stats st;
		memset(&st, 0, sizeof st);
		dg d = {0};
		char names[3][600];
		for (unsigned f = 0; f < 3; f++) {
			const ktext *t = f == 0 ? &kt[2] : f == 1 ? &kt[0] : &kt[3];
			CHECK_EQ(load_as(&kl, three[fi][f], t, &d, f % 2, &st, names[f], sizeof names[f]), MML_OK);
		}
		CHECK_EQ(kl.mapped, fi != 2);
		size_t hits = 0;
		uint64_t h = observe(&kl, &d, &st, &hits);
		if (!fi)
			ref = h;
		else if (h != ref)
			mml_test_fail(__FILE__, __LINE__, "three files: form %zu differs", fi);
		mml_keylog_free(&kl);
	}
	for (int f = 0; f < 7; f++)
		free(kt[f].text);
	free(ot);
	free(it);
	free(text);
	free(stext);
}
