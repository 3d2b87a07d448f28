/*
 * tests/test_mmtls_keylog.c - the key log reader's two paths: the strict
 * scanner for canonical lines and jansson for everything else must read
 * every line identically (entries and skipped lines), on the real key log,
 * a simulated one, and hand-made lines that stray from the canonical form
 * in each way the scanner hands over to jansson. (Its speed:
 * bench/keylog_reader.c.)
 */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mmlens/keylog.h"
#include "test.h"
#include "util.h"

typedef struct dg {
	size_t n;
	char last[256];
	uint64_t hash; /* of every message, in order */
	const char *name; /* replaced by "K" in the hash */
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
	size_t nl = d->name ? strlen(d->name) : 0;
	if (nl && !strncmp(m, d->name, nl))
		m += nl;
	for (; *m; m++)
		d->hash = (d->hash ^ (unsigned char)*m) * 1099511628211ull;
}

/* Load path both ways; check they agree; return the entry count. */
static size_t both_ways(const char *path)
{
	mml_keylog a, b;
	mml_stats sa, sb;
	dg da = {0}, db = {0};
	memset(&sa, 0, sizeof sa);
	memset(&sb, 0, sizeof sb);
	mml_keylog_init(&a);
	mml_keylog_init(&b);
	b.jansson_only = true;
	CHECK_EQ(mml_keylog_load(&a, path, diag, &da, &sa), MML_OK);
	CHECK_EQ(mml_keylog_load(&b, path, diag, &db, &sb), MML_OK);
	CHECK_EQ(a.n, b.n);
	CHECK_EQ(a.bad_lines, b.bad_lines);
	CHECK_EQ(da.n, db.n);
	CHECK_STR(da.last, db.last);
	size_t same = 0;
	for (size_t i = 0; i < a.n && i < b.n; i++) {
		mml_keyent x, y;
		memset(&x, 0, sizeof x);
		memset(&y, 0, sizeof y);
		same += mml_keylog_get(&a, i, &x) && mml_keylog_get(&b, i, &y) && mml_keyent_eq(&x, &y);
	}
	CHECK_EQ(same, a.n);
	size_t n = a.n;
	mml_keylog_free(&a);
	mml_keylog_free(&b);
	return n;
}

TEST(keylog_fast_reader_agrees_on_real_and_simulated)
{
	size_t n = both_ways(mml_test_data("mmtls-capture/frida-logged-in-all-keys.log"));
	CHECK_EQ(n, 162);
	char pcap[512], keys[512], truth[512];
	REQUIRE(t_simulate("klfast", "--scenario all --seed 5", pcap, keys, truth, sizeof pcap) == 0);
	size_t m = both_ways(keys);
	CHECK(m > 100);
	mml_test_note("real %zu entries, simulated %zu", n, m);
}

TEST(keylog_fast_reader_hands_odd_lines_to_jansson)
{
	static const char *const lines[] = {
		"{\"layer\":\"OUTER\",\"encrypt\":false,\"nonce\":\"6df883161e0f1928d9bf8c4b\",\"key\":\"59d8e521c84392617baedab64a1478ff\",\"metadata\":\"000000000000000116f104005f\",\"tail\":\"3171573f3f0f240f\"}",
		/* whitespace, escapes, unknown and repeated keys, numbers, nesting, case */
		"{ \"layer\":\"OUTER\",\"encrypt\":false,\"nonce\":\"6df883161e0f1928d9bf8c4b\",\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}",
		"{\"layer\":\"OUT\\u0045R\",\"encrypt\":true,\"nonce\":\"6df883161e0f1928d9bf8c4b\",\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}",
		"{\"layer\":\"OUTER\",\"encrypt\":true,\"x\":1,\"nonce\":\"6df883161e0f1928d9bf8c4b\",\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}",
		"{\"layer\":\"OUTER\",\"layer\":\"INNER\",\"encrypt\":true,\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}",
		"{\"layer\":\"OUTER\",\"encrypt\":1,\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}",
		"{\"layer\":\"INNER\",\"encrypt\":true,\"key\":{\"a\":1},\"tail\":\"3171573f3f0f240f\"}",
		"{\"Layer\":\"INNER\",\"encrypt\":true,\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}",
		"{\"layer\":\"INNER\",\"encrypt\":true,\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}}",
		"{\"layer\":\"INNER\",\"encrypt\":true,\"key\":\"59d8e521c84392617baedab64a1478fg\",\"tail\":\"3171573f3f0f240f\"}\r",
		"{\"layer\":\"INNER\",\"encrypt\":true,\"key\":\"59D8E521C84392617BAEDAB64A1478FF\",\"tail\":\"3171573F3F0F240F\"}",
		"{\"layer\":\"INNER\",\"encrypt\":true,\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\",}",
		"{\"layer\":\"OUTER\",\"encrypt\":true,\"key\":\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"\"}",
		"{}", "[]", "{", "", "null", "{\"layer\":\"INNER\"", "{\"layer\":\"INNER\",\"encrypt\":tru}",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		mml_keylog a, b;
		mml_stats sa, sb;
		dg da = {0}, db = {0};
		memset(&sa, 0, sizeof sa);
		memset(&sb, 0, sizeof sb);
		mml_keylog_init(&a);
		mml_keylog_init(&b);
		b.jansson_only = true;
		size_t n = strlen(lines[i]);
		CHECK_EQ(mml_keylog_parse(&a, lines[i], n, diag, &da, "t", &sa), MML_OK);
		CHECK_EQ(mml_keylog_parse(&b, lines[i], n, diag, &db, "t", &sb), MML_OK);
		if (a.n != b.n || a.bad_lines != b.bad_lines || strcmp(da.last, db.last) ||
		    (a.n && !mml_keyent_eq(a.ent, b.ent)))
			mml_test_fail(__FILE__, __LINE__, "line %zu read differently: \"%s\" vs \"%s\"", i, da.last, db.last);
		mml_keylog_free(&a);
		mml_keylog_free(&b);
	}
}

TEST(keylog_fast_reader_many_lines)
{
	/* 20,000 canonical lines, read both ways: the same entries (the
	 * speed of the two is bench/keylog_reader.c's) */
	size_t lines = 20000, cap = lines * 200;
	char *text = malloc(cap);
	REQUIRE(text);
	size_t n = 0;
	for (size_t i = 0; i < lines; i++)
		n += (size_t)snprintf(text + n, cap - n,
		                      "{\"layer\":\"OUTER\",\"encrypt\":%s,\"nonce\":\"6df883161e0f1928d9bf%04zx\",\"key\":"
		                      "\"59d8e521c84392617baedab64a1478ff\",\"metadata\":\"000000000000000116f104005f\","
		                      "\"tail\":\"3171573f3f0f%04zx\"}\n",
		                      i & 1 ? "true" : "false", i & 0xffff, i & 0xffff);
	mml_keylog kl[2];
	for (int slow = 0; slow < 2; slow++) {
		mml_stats st;
		memset(&st, 0, sizeof st);
		mml_keylog_init(&kl[slow]);
		kl[slow].jansson_only = slow;
		CHECK_EQ(mml_keylog_parse(&kl[slow], text, n, NULL, NULL, "t", &st), MML_OK);
		CHECK_EQ(kl[slow].n, lines);
		CHECK_EQ(kl[slow].bad_lines, 0);
	}
	CHECK(kl[0].n == kl[1].n && !memcmp(kl[0].ent, kl[1].ent, kl[0].n * sizeof *kl[0].ent));
	mml_keylog_free(&kl[0]);
	mml_keylog_free(&kl[1]);
	free(text);
}

/* ---- the mapped key log (regular file) against the resident one ---- */

/* The path of a pipe that a child process fills with text: mml_keylog_load
 * reads it as a non-regular file, into the resident representation. */
static pid_t pipe_feed(const char *text, size_t n, char *path, size_t pathsz, int *rfd)
{
	int fd[2];
	if (pipe(fd))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(fd[0]);
		size_t off = 0;
		while (off < n) {
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

static void pipe_done(pid_t pid, int rfd)
{
	close(rfd);
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static int by_entry_line(const void *a, const void *b)
{
	uint32_t x = ((const mml_keyent *)a)->line, y = ((const mml_keyent *)b)->line;
	return x < y ? -1 : x > y;
}

/* Every entry of kl, in line order, ids cleared (malloc'd). */
static mml_keyent *all_entries(const mml_keylog *kl)
{
	mml_keyent *v = calloc(kl->n + 1, sizeof *v);
	for (size_t i = 0; v && i < kl->n; i++) {
		if (!mml_keylog_get(kl, i, &v[i]))
			mml_test_fail(__FILE__, __LINE__, "entry %zu unreadable", i);
		v[i].id = 0;
	}
	if (v)
		qsort(v, kl->n, sizeof *v, by_entry_line);
	return v;
}

/* The lines a lookup yields, in order, with each entry's content; 0 if they differ. */
static int same_lookup(const mml_keylog *a, const mml_keylog *b, int by_tag, mml_layer layer, const uint8_t *key,
                       size_t *hits)
{
	size_t ia = 0, ib = 0;
	if (!by_tag) { /* has_tail (the filter first, mapped) answers as find_tail does, on both */
		size_t ja = 0, jb = 0;
		if (mml_keylog_has_tail(a, layer, key) != (mml_keylog_find_tail(a, layer, key, &ja) != NULL) ||
		    mml_keylog_has_tail(b, layer, key) != (mml_keylog_find_tail(b, layer, key, &jb) != NULL))
			return 0;
		mml_keylog_prefetch_tail(a, key, true); /* a hint: no effect but must be safe */
		mml_keylog_prefetch_tail(b, key, false);
	}
	for (;;) {
		const mml_keyent *x = by_tag ? mml_keylog_find_tag(a, key, &ia) : mml_keylog_find_tail(a, layer, key, &ia);
		mml_keyent xc;
		if (x) {
			xc = *x;
			xc.id = 0;
		}
		const mml_keyent *y = by_tag ? mml_keylog_find_tag(b, key, &ib) : mml_keylog_find_tail(b, layer, key, &ib);
		if (!x || !y)
			return !x && !y;
		mml_keyent yc = *y;
		yc.id = 0;
		if (!mml_keyent_eq(&xc, &yc))
			return 0;
		(*hits)++;
	}
}

/* Load text from file (mapped) and through a pipe (resident) and parse it
 * from memory (resident): the same counts, diagnostics, entries, lookups,
 * and unused-line report. Returns the entry count. */
static size_t mapped_vs_resident(const char *label, const char *text, size_t n, int check_parse)
{
	const char *file = t_write_tmp(label, text, n);
	if (!file) {
		mml_test_fail(__FILE__, __LINE__, "cannot write %s", label);
		return 0;
	}
	char ppath[64];
	int rfd = -1;
	pid_t pid = pipe_feed(text, n, ppath, sizeof ppath, &rfd);
	if (pid <= 0) {
		mml_test_fail(__FILE__, __LINE__, "cannot fork a pipe writer");
		return 0;
	}
	mml_keylog m, r, q;
	mml_stats sm, sr, sq;
	dg dm = {.name = file}, dr = {.name = ppath}, dq = {.name = "mem"};
	memset(&sm, 0, sizeof sm);
	memset(&sr, 0, sizeof sr);
	memset(&sq, 0, sizeof sq);
	mml_keylog_init(&m);
	mml_keylog_init(&r);
	mml_keylog_init(&q);
	CHECK_EQ(mml_keylog_load(&m, file, diag, &dm, &sm), MML_OK);
	CHECK_EQ(mml_keylog_load(&r, ppath, diag, &dr, &sr), MML_OK);
	pipe_done(pid, rfd);
	CHECK_EQ(mml_keylog_parse(&q, text, n, diag, &dq, "mem", &sq), MML_OK);
	CHECK(m.mapped);
	CHECK(!r.mapped && !q.mapped);
	CHECK_EQ(m.n, r.n);
	CHECK_EQ(m.bad_lines, r.bad_lines);
	CHECK(!memcmp(&sm, &sr, sizeof sm));
	CHECK_EQ(dm.n, dr.n);
	CHECK_EQ(dm.hash, dr.hash);
	if (check_parse) {
		CHECK_EQ(m.n, q.n);
		CHECK(!memcmp(&sm, &sq, sizeof sm));
		CHECK_EQ(dm.hash, dq.hash);
	}
	mml_keyent *em = all_entries(&m), *er = all_entries(&r);
	if (!em || !er) {
		mml_test_fail(__FILE__, __LINE__, "out of memory");
		return 0;
	}
	size_t same = 0;
	for (size_t i = 0; i < m.n && i < r.n; i++)
		same += mml_keyent_eq(&em[i], &er[i]);
	CHECK_EQ(same, m.n);
	/* every lookup: each line's tail under both layers, its tag, and near misses */
	size_t hits = 0, bad = 0;
	for (size_t i = 0; i < r.n; i++) {
		const mml_keyent *e = &er[i];
		const uint8_t *t8 = e->tail + e->tail_len - 8;
		uint8_t miss[16];
		memcpy(miss, t8, 8);
		miss[i % 8] ^= 0x5a;
		for (int layer = 0; layer < 2; layer++) {
			bad += !same_lookup(&m, &r, 0, (mml_layer)layer, t8, &hits);
			bad += !same_lookup(&m, &r, 0, (mml_layer)layer, miss, &hits);
		}
		if (e->has_tag) {
			bad += !same_lookup(&m, &r, 1, MML_LAYER_INNER, e->tag, &hits);
			memcpy(miss, e->tag, 16);
			miss[i % 16] ^= 0x5a;
			bad += !same_lookup(&m, &r, 1, MML_LAYER_INNER, miss, &hits);
		}
	}
	/* random tails: almost all miss, most answered by the filter alone */
	for (int i = 0; i < 20000; i++) {
		uint8_t t8[8];
		for (int k = 0; k < 8; k++)
			t8[k] = (uint8_t)((uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull >> (8 * k));
		bad += !same_lookup(&m, &r, 0, (mml_layer)(i & 1), t8, &hits);
	}
	CHECK_EQ(bad, 0);
	CHECK(hits >= m.n);
	/* use every third line found by its tail (by tag when it has one) on both; same report */
	for (size_t i = 0; i < r.n; i += 3) {
		const mml_keyent *e = &er[i];
		mml_keylog *kls[2] = {&m, &r};
		for (int k = 0; k < 2; k++) {
			size_t it = 0;
			const mml_keyent *x;
			if (e->has_tag) {
				while ((x = mml_keylog_find_tag(kls[k], e->tag, &it)) && x->line != e->line)
					;
			} else {
				while ((x = mml_keylog_find_tail(kls[k], (mml_layer)e->layer, e->tail + e->tail_len - 8, &it)) &&
				       x->line != e->line)
					;
			}
			CHECK(x != NULL);
			if (x) {
				CHECK(mml_keylog_use(kls[k], x));
				CHECK(!mml_keylog_use(kls[k], x));
			}
		}
	}
	uint32_t fm[16], fr[16];
	size_t rm, rr;
	size_t um = mml_keylog_unused(&m, fm, 16, &rm), ur = mml_keylog_unused(&r, fr, 16, &rr);
	CHECK_EQ(um, ur);
	CHECK_EQ(rm, rr);
	CHECK(!memcmp(fm, fr, (um < 16 ? um : 16) * sizeof *fm));
	mml_test_note("%s: %zu entries, %zu bad lines, %zu lookup hits, %zu unused, %zu repeats: mapped = resident",
	              label, m.n, m.bad_lines, hits, um, rm);
	size_t cnt = m.n;
	free(em);
	free(er);
	mml_keylog_free(&m);
	mml_keylog_free(&r);
	mml_keylog_free(&q);
	return cnt;
}

TEST(keylog_mapped_equals_resident_real_and_simulated)
{
	size_t n;
	char *text = t_slurp(mml_test_data("mmtls-capture/frida-logged-in-all-keys.log"), &n);
	REQUIRE(text);
	CHECK_EQ(mapped_vs_resident("kl-real.log", text, n, 1), 162);
	free(text);
	char pcap[512], keys[512], truth[512];
	REQUIRE(t_simulate("klmap", "--scenario all --seed 11", pcap, keys, truth, sizeof pcap) == 0);
	text = t_slurp(keys, &n);
	REQUIRE(text);
	CHECK(mapped_vs_resident("kl-sim.log", text, n, 1) > 100);
	/* the same with every line twice: repeats, and lookups with several matches */
	char *twice = malloc(2 * n + 1);
	REQUIRE(twice);
	memcpy(twice, text, n);
	memcpy(twice + n, text, n);
	CHECK(mapped_vs_resident("kl-sim2.log", twice, 2 * n, 1) > 200);
	free(twice);
	free(text);
}

TEST(keylog_mapped_equals_resident_odd_lines)
{
	/* blank and blank-only lines, CRLF, bad lines, NULs, over-long lines,
	 * a line of exactly the cap, no final newline */
	static const char good[] = "{\"layer\":\"OUTER\",\"encrypt\":true,\"nonce\":\"6df883161e0f1928d9bf8c4b\",\"key\":"
	                           "\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}";
	static const char tagged[] =
		"{\"layer\":\"INNER\",\"encrypt\":false,\"key\":\"000102030405060708090a0b0c0d0e0f1011121314151617\","
		"\"iv\":\"0102030405060708090a0b0c\",\"metadata\":\"aabb\",\"tail\":\"1122334455667788\","
		"\"tag\":\"00112233445566778899aabbccddeeff\"}";
	size_t cap = 600000, n = 0;
	char *t = malloc(cap);
	REQUIRE(t);
#define PUT(s, len) (memcpy(t + n, (s), (len)), n += (len))
#define PUTS(s) PUT(s, strlen(s))
	PUTS(good);
	PUTS("\n\n   \n\t\r\n");
	PUTS("  ");
	PUTS(good);
	PUTS(" \r\n");
	PUTS(tagged);
	PUTS("\n{\"layer\":\"OUTER\"}\nnot json\n");
	PUT("ab\0cd\n", 6);
	PUT("\0", 1);
	PUTS(good);
	PUTS("\n");
	PUTS(good); /* a repeat */
	PUTS("\n");
	/* over-long: plain, with a NUL early (fgets pieces), with a NUL late */
	for (int k = 0; k < 3; k++) {
		size_t at = n;
		memset(t + n, 'x', 70000);
		n += 70000;
		if (k == 1)
			t[at + 10] = 0;
		if (k == 2)
			t[at + 66000] = 0;
		PUTS("\n");
		PUTS(tagged);
		PUTS("\n");
	}
	/* exactly 65536 bytes of line, then 65537 */
	for (size_t len = 65536; len <= 65537; len++) {
		t[n++] = '{';
		memset(t + n, ' ', len - 2);
		n += len - 2;
		t[n++] = '}';
		PUTS("\n");
	}
	PUTS(good);
	PUTS("\r\n");
	PUTS(tagged); /* no final newline */
#undef PUT
#undef PUTS
	CHECK(mapped_vs_resident("kl-odd.log", t, n, 0) >= 8);
	/* the last line ending exactly at the cap, with no newline */
	memcpy(t, good, strlen(good));
	n = strlen(good);
	t[n++] = '\n';
	memset(t + n, ' ', 65537);
	n += 65537;
	mapped_vs_resident("kl-odd2.log", t, n, 0);
	mapped_vs_resident("kl-empty.log", t, 0, 1);
	free(t);
}

/* decrypt with the key log as a file (mapped) and through a pipe (resident): the same bytes */
static void decrypt_both(const char *cap, const char *keys, int jobs, int nobodies)
{
	size_t kn;
	char *ktext = t_slurp(keys, &kn);
	REQUIRE(ktext);
	char out[2][600], errp[2][600];
	mml_stats st[2];
	for (int k = 0; k < 2; k++) {
		char ppath[64];
		int rfd = -1;
		pid_t pid = -1;
		if (k) {
			pid = pipe_feed(ktext, kn, ppath, sizeof ppath, &rfd);
			REQUIRE(pid > 0);
		}
		snprintf(out[k], sizeof out[k], "%s/kl-dec%d-%d.jsonl", mml_test_tmpdir(), jobs, k);
		snprintf(errp[k], sizeof errp[k], "%s/kl-dec%d-%d.err", mml_test_tmpdir(), jobs, k);
		mml_decrypt_opts o;
		memset(&o, 0, sizeof o);
		o.capture = cap;
		o.keylog = k ? ppath : keys;
		o.out = out[k];
		o.handshakes = 1;
		o.jobs = jobs;
		o.no_bodies = nobodies;
		memset(&st[k], 0, sizeof st[k]);
		FILE *ef = fopen(errp[k], "w");
		REQUIRE(ef);
		mml_decrypt_run(&o, &st[k], ef);
		fclose(ef);
		if (k)
			pipe_done(pid, rfd);
	}
	size_t n0, n1, e0, e1;
	char *a = t_slurp(out[0], &n0), *b = t_slurp(out[1], &n1);
	char *ea = t_slurp(errp[0], &e0), *eb = t_slurp(errp[1], &e1);
	REQUIRE(a && b && ea && eb);
	if (jobs == 1) {
		CHECK_EQ(n0, n1);
		CHECK(n0 == n1 && !memcmp(a, b, n0));
	}
	CHECK(!memcmp(&st[0], &st[1], sizeof st[0]));
	/* diagnostics name the key log: compare what follows the name */
	size_t same = 0, lines = 0;
	char *p = ea, *q = eb;
	while (*p && *q) {
		char *pe = strchr(p, '\n'), *qe = strchr(q, '\n');
		if (!pe || !qe)
			break;
		const char *pk = strstr(p, keys), *qk = strstr(q, "/proc/self/fd/");
		const char *ps = pk && pk < pe ? pk + strlen(keys) : p, *qs = qk && qk < qe ? strchr(qk + 14, ':') : q;
		if (!qs || qs > qe)
			qs = q;
		same += (size_t)(pe - ps) == (size_t)(qe - qs) && !memcmp(ps, qs, (size_t)(pe - ps));
		lines++;
		p = pe + 1;
		q = qe + 1;
	}
	CHECK(lines > 0);
	CHECK_EQ(same, lines);
	CHECK(!*p && !*q);
	mml_test_note("decrypt -j %d%s: %zu bytes of JSONL and %zu lines of diagnostics, the same both ways", jobs,
	              nobodies ? " --no-bodies" : "", n0, lines);
	free(a);
	free(b);
	free(ea);
	free(eb);
	free(ktext);
}

TEST(keylog_mapped_decrypt_identical)
{
	const char *cap = mml_test_data("mmtls-capture/capture-logged-in-all-keys.pcapng");
	const char *keys = mml_test_data("mmtls-capture/frida-logged-in-all-keys.log");
	decrypt_both(cap, keys, 1, 0);
	decrypt_both(cap, keys, 2, 0);
	char pcap[512], skeys[512], truth[512];
	REQUIRE(t_simulate("klmapdec", "--scenario all --seed 12", pcap, skeys, truth, sizeof pcap) == 0);
	decrypt_both(pcap, skeys, 1, 1);
}

TEST(keylog_nul_lines_reported)
{
	/* a NUL anywhere in a line makes it a bad line, in every reader */
	static const char text[] =
		"\0{\"layer\":\"OUTER\",\"encrypt\":false,\"nonce\":\"6df883161e0f1928d9bf8c4b\",\"key\":"
		"\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240f\"}\n"
		"{\"layer\":\"OUTER\",\"encrypt\":false,\"nonce\":\"6df883161e0f1928d9bf8c4b\",\"key\":"
		"\"59d8e521c84392617baedab64a1478ff\",\"tail\":\"3171573f3f0f240e\"}\0junk\n";
	char path[512];
	snprintf(path, sizeof path, "%s/nul.keys", mml_test_tmpdir());
	FILE *f = fopen(path, "wb");
	REQUIRE(f);
	fwrite(text, 1, sizeof text - 1, f);
	fclose(f);
	for (int how = 0; how < 2; how++) {
		mml_keylog kl;
		mml_stats st;
		dg d = {0};
		memset(&st, 0, sizeof st);
		mml_keylog_init(&kl);
		if (how == 0)
			CHECK_EQ(mml_keylog_load(&kl, path, diag, &d, &st), MML_OK);
		else
			CHECK_EQ(mml_keylog_parse(&kl, text, sizeof text - 1, diag, &d, path, &st), MML_OK);
		CHECK_EQ(kl.n, 0);
		CHECK_EQ(kl.bad_lines, 2);
		CHECK_EQ(st.keylog_lines, 2);
		CHECK(strstr(d.last, ":2: key log line skipped: it contains a NUL byte") != NULL);
		mml_keylog_free(&kl);
	}
}
