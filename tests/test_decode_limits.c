/*
 * tests/test_decode_limits.c - stage 5: field paths and the path visitor
 * (mml_dpath_seg: every segment of the grammar), metadata nodes, the node-
 * kind table, limits on hostile input (depth, nodes, arena, work, the
 * work an inflate step produces), reuse of a tree across bodies, and the
 * two writers.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/crypto.h"
#include "mmlens/decode.h"
#include "test.h"
#include "test_decode.h"
#include "util.h"

TEST(decode_meta_and_paths)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	pbw w = {.n = 0};
	w_key(&w, 1, 0);
	w_varint(&w, 5);
	REQUIRE(mml_decode_body(&t, w.b, w.n) == MML_OK);
	const char *q = "uin=1505495844&clientversion=671094583&md5=%41%42";
	REQUIRE(mml_decode_meta_url(&t, "query", q, strlen(q)) == MML_OK);
	REQUIRE(mml_decode_meta_uint(&t, "header", "uin", 1505495844) == MML_OK);
	CHECK_STR(text_at(&t, "query.uin"), "1505495844");
	CHECK_STR(text_at(&t, "query.md5"), "AB");
	CHECK_STR(text_at(&t, "header.uin"), "1505495844");
	CHECK(at(&t, "header.uin") && (at(&t, "header.uin")->flags & MML_DN_META));
	CHECK_STR(text_at(&t, "1"), "5");
	/* meta on a tree that was only reset */
	mml_dtree_reset(&t);
	REQUIRE(mml_decode_meta_uint(&t, "header", "uin", 7) == MML_OK);
	CHECK_STR(text_at(&t, "header.uin"), "7");
	/* a cut path still reports its full length */
	char small[4];
	mml_decode_body(&t, w.b, w.n);
	mml_decode_meta_url(&t, "query", q, strlen(q));
	uint32_t i = find(&t, "query.clientversion");
	REQUIRE(i != MML_DNONE);
	CHECK_EQ(mml_dtree_path(&t, i, small, sizeof small), strlen("query.clientversion"));
	CHECK_STR(small, "que");
	CHECK_STR(mml_dkind_name(MML_DK_CSV_CELL), "csv_cell");
	CHECK_STR(mml_dfmt_name(MML_DF_GZIP), "gzip");
	mml_dtree_free(&t);
}

/* ---- the path visitor ---- */

typedef struct segx {
	const char *path; /* the node's printed path */
	const char *fmt;
	char sep;
	bool always;
	const char *name;
	long num;         /* -1: none */
	int ix;
	long index;
} segx;

static void check_segs(const mml_dtree *t, const segx *x, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		uint32_t i = find(t, x[k].path);
		if (i == MML_DNONE) {
			mml_test_fail(__FILE__, __LINE__, "no node at %s", x[k].path);
			continue;
		}
		mml_dseg g;
		mml_dpath_seg(t, &t->n[i], &g);
		bool ok = (!x[k].fmt ? !g.fmt : g.fmt && !strcmp(g.fmt, x[k].fmt)) && g.sep == x[k].sep &&
		          g.sep_always == x[k].always &&
		          (!x[k].name ? !g.name : g.name && g.name_len == strlen(x[k].name) &&
		                                      !memcmp(g.name, x[k].name, g.name_len)) &&
		          (x[k].num < 0 ? !g.has_num : g.has_num && g.num == (uint32_t)x[k].num) && g.ix == x[k].ix &&
		          g.index == x[k].index;
		if (!ok)
			mml_test_fail(__FILE__, __LINE__, "%s: segment fmt %s sep '%c'%s name %.*s num %u/%d ix %d index %lld",
			              x[k].path, g.fmt ? g.fmt : "-", g.sep ? g.sep : '-', g.sep_always ? " always" : "",
			              (int)g.name_len, g.name ? g.name : "-", g.num, g.has_num, g.ix, (long long)g.index);
	}
}

TEST(decode_path_visitor)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	pbw w = {.n = 0};
	w_key(&w, 1, 0);
	w_varint(&w, 5);
	w_str(&w, 2, "{\"a\":[1,{\"b\":2}],\"c\":{\"b\":3}}");
	w_str(&w, 3, "<r x=\"1\"><c>v</c><c>w</c></r>");
	w_str(&w, 4, "k=1&j=2&k=3");
	w_str(&w, 4, "x,y,z");
	uint8_t packed[] = {0x81, 0x01, 0x82, 0x01, 0x83, 0x01};
	w_bytes(&w, 5, packed, sizeof packed);
	REQUIRE(mml_decode_body(&t, w.b, w.n) == MML_OK);
	const char *q = "uin=7&lan=en";
	REQUIRE(mml_decode_meta_url(&t, "query", q, strlen(q)) == MML_OK);
	REQUIRE(mml_decode_meta_uint(&t, "header", "uin", 7) == MML_OK);
	const int R = MML_DSEG_IX_REPEAT, A = MML_DSEG_IX_ARRAY, P = MML_DSEG_IX_POS, N = MML_DSEG_IX_NONE;
	const segx x[] = {
		{"1", NULL, '.', false, NULL, 1, R, -1},
		{"2:json", "json", 0, false, NULL, -1, N, -1},
		{"2:json.a", NULL, '.', true, "a", -1, R, -1},
		{"2:json.a[1]", NULL, 0, false, NULL, -1, A, 1},
		{"2:json.a[1].b", NULL, '.', true, "b", -1, R, -1},
		{"3:xml.r", "xml", '.', true, "r", -1, R, -1},
		{"3:xml.r@x", NULL, '@', true, "x", -1, R, -1},
		{"3:xml.r.c[1]", NULL, '.', true, "c", -1, R, 1},
		{"4[0]:url", "url", 0, false, NULL, -1, N, -1},
		{"4[0]:url.k[1]", NULL, '.', false, "k", -1, R, 1},
		{"4[1]:csv[2]", NULL, 0, false, NULL, -1, P, 2},
		{"5:packed[2]", "packed", 0, false, NULL, -1, P, 2},
		{"query.lan", NULL, '.', false, "lan", -1, R, -1},
		{"header.uin", NULL, '.', false, "header.uin", -1, N, -1},
	};
	check_segs(&t, x, sizeof x / sizeof x[0]);
	mml_dseg g;
	mml_dpath_seg(&t, &t.n[0], &g);
	CHECK(!g.fmt && !g.sep && !g.name && !g.has_num && g.ix == N); /* the root: nothing */
	CHECK_EQ(check_composed(&t), 0);
	/* a message out of a decoding step, at the root: "zlib:pb.1" */
	pbw m = {.n = 0};
	w_str(&m, 1, "hello zlib");
	mml_buf z;
	mml_buf_init(&z, 0);
	REQUIRE(mml_deflate(m.b, m.n, &z) == MML_OK);
	REQUIRE(mml_decode_body(&t, z.p, z.len) == MML_OK);
	uint32_t pb = find(&t, "zlib:pb");
	REQUIRE(pb != MML_DNONE);
	mml_dpath_seg(&t, &t.n[pb], &g);
	CHECK(g.fmt && !strcmp(g.fmt, "pb") && !g.name && !g.has_num);
	CHECK_EQ(check_composed(&t), 0);
	mml_buf_free(&z);
	/* every node of a body with every format, and of names with control bytes */
	w.n = 0;
	w_str(&w, 1, "{\"a\\u0001b\":1,\"c\":\"x=1&y=2,3,4\"}");
	w_str(&w, 2, "<a><b>1,2,3</b><b/></a>");
	w_str(&w, 3, "a|b|c|https://h.example/p?q=1&r=%41");
	REQUIRE(mml_decode_body(&t, w.b, w.n) == MML_OK);
	CHECK_STR(text_at(&t, "1:json.a%01b"), "1");
	CHECK_EQ(check_composed(&t), 0);
	mml_dtree_free(&t);
}

TEST(decode_kind_table)
{
	/* the one table of node kinds: names, and the properties every predicate reads */
	for (unsigned k = 0; k < MML_DK_COUNT; k++)
		CHECK(mml_dkinds[k].name && !strcmp(mml_dkinds[k].name, mml_dkind_name((mml_dkind)k)));
	CHECK_STR(mml_dkind_name((mml_dkind)MML_DK_COUNT), "?");
	static const mml_dkind text[] = {MML_DK_STRING,   MML_DK_JSON_STR,  MML_DK_JSON_NUM, MML_DK_XML_ELEM,
	                                 MML_DK_XML_ATTR, MML_DK_URL_PARAM, MML_DK_CSV_CELL};
	unsigned ntext = 0;
	for (unsigned k = 0; k < MML_DK_COUNT; k++)
		ntext += mml_dkind_is(k, MML_DKP_TEXT);
	CHECK_EQ(ntext, sizeof text / sizeof text[0]);
	for (size_t i = 0; i < sizeof text / sizeof text[0]; i++) {
		mml_dnode d = {.kind = (uint8_t)text[i]};
		CHECK(mml_dnode_is_text(&d) && mml_dkind_is(text[i], MML_DKP_SHOWN));
	}
	CHECK(mml_dkind_is(MML_DK_JSON_LIT, MML_DKP_SHOWN) && !mml_dkind_is(MML_DK_JSON_LIT, MML_DKP_TEXT));
	CHECK(mml_dkind_is(MML_DK_URL, MML_DKP_SHOWN) && !mml_dkind_is(MML_DK_URL, MML_DKP_TEXT));
	CHECK(!mml_dkind_is(MML_DK_BYTES, MML_DKP_TEXT | MML_DKP_SHOWN | MML_DKP_NUMBER | MML_DKP_CONTAINER));
	CHECK(mml_dkind_is(MML_DK_VARINT, MML_DKP_NUMBER) && mml_dkind_is(MML_DK_JSON_NUM, MML_DKP_NUMBER));
	CHECK(mml_dkind_is(MML_DK_XML_ELEM, MML_DKP_TEXT) && mml_dkind_is(MML_DK_XML_ELEM, MML_DKP_CONTAINER));
	CHECK(mml_dkind_is(MML_DK_CSV, MML_DKP_RECORD) && !mml_dkind_is(MML_DK_JSON_ARR, MML_DKP_RECORD));
	CHECK(mml_dkind_is(MML_DK_WRAP, MML_DKP_STEP) && mml_dkind_is(MML_DK_ROOT, MML_DKP_STEP));
	CHECK(!mml_dkind_is(MML_DK_COUNT, ~0u));
	/* the format an embedded node opens: by kind, else its own fmt */
	mml_dnode e = {.kind = MML_DK_JSON_ARR, .fmt = MML_DF_NONE};
	CHECK_STR(mml_dnode_embed_name(&e), "json");
	e = (mml_dnode){.kind = MML_DK_MSG};
	CHECK_STR(mml_dnode_embed_name(&e), "pb");
	e = (mml_dnode){.kind = MML_DK_WRAP, .fmt = MML_DF_BASE64};
	CHECK_STR(mml_dnode_embed_name(&e), "base64");
}

/* ---- hostile input ---- */

/* m wrapped as field 1, n times (lengths grow outwards). */
static uint8_t *nest(size_t n, size_t *len)
{
	size_t cap = 16 * n + 16, at = cap;
	uint8_t *b = malloc(cap);
	if (!b)
		return NULL;
	b[--at] = 1;
	b[--at] = 0x08; /* {1: 1} */
	for (size_t i = 0; i < n; i++) {
		size_t l = cap - at;
		uint8_t v[10];
		int k = 0;
		do
			v[k++] = (uint8_t)((l & 0x7f) | (l >= 0x80 ? 0x80 : 0));
		while ((l >>= 7) && k < 10);
		while (k)
			b[--at] = v[--k];
		b[--at] = 0x0a;
	}
	memmove(b, b + at, cap - at);
	*len = cap - at;
	return b;
}

TEST(decode_limits)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	/* depth: 5000 nested messages */
	size_t n;
	uint8_t *deep = nest(5000, &n);
	REQUIRE(deep);
	REQUIRE(mml_decode_body(&t, deep, n) == MML_OK);
	CHECK_STR(t.limit_hit, "depth");
	CHECK(t.count <= 40);
	free(deep);
	/* a self-similar megabyte: nested messages, each holding many copies of the level below */
	mml_buf b;
	mml_buf_init(&b, 0);
	uint8_t seed[] = {0x08, 0x01, 0x12, 0x00};
	mml_buf_append(&b, seed, sizeof seed);
	while (b.len < (1u << 20)) {
		mml_buf nb;
		mml_buf_init(&nb, 0);
		for (int r = 0; r < 4; r++) {
			uint8_t hdr[12];
			size_t k = 0, l = b.len;
			hdr[k++] = 0x0a;
			do
				hdr[k++] = (uint8_t)((l & 0x7f) | (l >= 0x80 ? 0x80 : 0));
			while ((l >>= 7));
			mml_buf_append(&nb, hdr, k);
			mml_buf_append(&nb, b.p, b.len);
		}
		mml_buf_free(&b);
		b = nb;
	}
	REQUIRE(mml_decode_body(&t, b.p, b.len) == MML_OK); /* its time: bench/decode_speed.c */
	CHECK(t.work <= (uint64_t)b.len * 64 + (64u << 10));
	CHECK(t.limit_hit != NULL);
	mml_test_note("self-similar %zu bytes: %u nodes, work %.1fx, limit %s", b.len, t.count,
	              (double)t.work / (double)b.len, t.limit_hit ? t.limit_hit : "none");
	/* the same bytes as text inside text: a string holding JSON holding base64 of itself... */
	mml_buf_free(&b);
	/* nodes: a million tiny fields */
	mml_buf_init(&b, 0);
	for (int i = 0; i < 400000; i++)
		mml_buf_append(&b, "\x08\x01", 2);
	mml_decode_body(&t, b.p, b.len);
	CHECK_STR(t.limit_hit, "nodes");
	CHECK_EQ(t.count, 262144);
	CHECK(t.n[1].flags & MML_DN_CUT);
	mml_buf_free(&b);
	/* arena and work, with small limits */
	mml_decode_limits lim = {.max_arena = 64, .max_work = 1000};
	mml_dtree s;
	mml_dtree_init(&s, &lim);
	const char *pct = "a=%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41&b=%41";
	dec_str(&s, pct);
	CHECK_STR(s.limit_hit, "arena");
	CHECK(at(&s, "url.a") != NULL); /* kept, undecoded */
	char *text = malloc(5000);
	REQUIRE(text);
	for (int i = 0; i < 4999; i++)
		text[i] = i % 5 == 4 ? ',' : 'x';
	text[4999] = 0;
	dec_str(&s, text);
	CHECK_STR(s.limit_hit, "work");
	free(text);
	mml_dtree_free(&s);
	/* a zlib bomb: what it inflates to is work too, cut by the budget (64 x its size + 64 KiB) */
	uint8_t *zeros = calloc(1, (size_t)4 << 20);
	REQUIRE(zeros);
	mml_buf_init(&b, 0);
	REQUIRE(mml_deflate(zeros, (size_t)4 << 20, &b) == MML_OK);
	REQUIRE(mml_decode_as(&t, MML_DF_ZLIB, b.p, b.len) == MML_OK);
	CHECK_STR(t.limit_hit, "work");
	CHECK(t.work <= (uint64_t)b.len * 64 + (64u << 10));
	REQUIRE(t.count >= 2);
	CHECK_EQ(t.n[1].kind, MML_DK_WRAP);
	CHECK(t.n[1].flags & MML_DN_CUT);
	CHECK(t.n[1].val_len > 0 && t.n[1].val_len < (1u << 20));
	mml_test_note("zlib bomb %zu bytes: %u bytes inflated, work %llu", b.len, t.n[1].val_len,
	              (unsigned long long)t.work);
	mml_decode_limits big = {.max_work = (uint64_t)1 << 26};
	mml_dtree_init(&s, &big); /* a budget that allows it: the inflate limit (1 MiB) */
	REQUIRE(mml_decode_as(&s, MML_DF_ZLIB, b.p, b.len) == MML_OK);
	CHECK_STR(s.limit_hit, "inflate");
	CHECK_EQ(s.n[1].val_len, 1u << 20);
	mml_dtree_free(&s);
	mml_buf_free(&b);
	free(zeros);
	/* hostile lengths: a field declaring 2^60 bytes, a varint of 11 bytes */
	uint8_t huge[] = {0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0x41};
	REQUIRE(mml_decode_body(&t, huge, sizeof huge) == MML_OK);
	CHECK_EQ(t.n[1].kind, MML_DK_BYTES);
	uint8_t longv[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	REQUIRE(mml_decode_body(&t, longv, sizeof longv) == MML_OK);
	CHECK(t.n[1].kind != MML_DK_MSG);
	/* deep JSON and XML stop at the depth limit, as leaves */
	char *dj = malloc(20001);
	REQUIRE(dj);
	for (int i = 0; i < 10000; i++)
		dj[i] = '[', dj[19999 - i] = ']';
	dj[20000] = 0;
	dec_str(&t, dj);
	CHECK_STR(t.limit_hit, "depth");
	CHECK(t.count < 10);
	for (int i = 0; i < 5000; i++)
		memcpy(dj + 3 * i, "<a>", 3);
	dj[15000] = 0;
	dec_str(&t, dj);
	CHECK_STR(t.limit_hit, "depth");
	free(dj);
	mml_dtree_free(&t);
}

TEST(decode_reuse)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	pbw w = {.n = 0};
	for (int i = 0; i < 50; i++)
		w_str(&w, 4, "a=1&b=%41%42,x,y");
	mml_decode_body(&t, w.b, w.n);
	mml_dnode *n0 = t.n;
	uint32_t alloc = t.alloc, count = t.count;
	for (int i = 0; i < 100; i++)
		mml_decode_body(&t, w.b, w.n);
	CHECK(t.n == n0); /* no growth: nodes and arena are reused */
	CHECK_EQ(t.alloc, alloc);
	CHECK_EQ(t.count, count);
	mml_dtree_reset(&t);
	CHECK_EQ(t.count, 0);
	CHECK(!t.limit_hit);
	/* empty body, NULL body */
	CHECK(mml_decode_body(&t, NULL, 0) == MML_OK);
	CHECK_EQ(t.count, 1);
	CHECK(mml_decode_body(&t, NULL, 3) == MML_E_ARG);
	mml_dtree_free(&t);
	mml_dtree_free(&t); /* twice is harmless */
}

/* ---- writers ---- */

static char *capture(const mml_dtree *t, int json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	if (json)
		mml_dtree_write_json(t, f);
	else
		mml_dtree_write_text(t, f);
	fclose(f);
	return buf;
}

/* The JSON object of the node with this path, depth first. */
static json_t *jfind(json_t *o, const char *path)
{
	const char *p = json_string_value(json_object_get(o, "path"));
	if (p && !strcmp(p, path))
		return o;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(o, "children"), i, c)
	{
		json_t *r = jfind(c, path);
		if (r)
			return r;
	}
	return NULL;
}

TEST(decode_writers)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	pbw w = {.n = 0};
	w_key(&w, 1, 0);
	w_varint(&w, 3);
	w_float(&w, 2, -122.084068f);
	w_str(&w, 3, "今晚一起吃饭吗？\n\"q\"");
	uint8_t raw[] = {0xff, 0x00, 0x10};
	w_bytes(&w, 5, raw, 3);
	w_str(&w, 6, "a=1&b=2");
	w_key(&w, 7, 0);
	w_varint(&w, UINT64_MAX);
	w_double(&w, 8, 37.5);
	REQUIRE(mml_decode_body(&t, w.b, w.n) == MML_OK);
	char *js = capture(&t, 1);
	REQUIRE(js);
	json_error_t e;
	json_t *o = json_loads(js, 0, &e);
	REQUIRE(o);
	CHECK_STR(json_string_value(json_object_get(o, "type")), "root");
	json_t *n1 = jfind(o, "1");
	REQUIRE(n1);
	CHECK_EQ(json_integer_value(json_object_get(n1, "value")), 3);
	CHECK_EQ(json_integer_value(json_object_get(n1, "zigzag")), -2);
	json_t *n2 = jfind(o, "2");
	REQUIRE(n2);
	CHECK(json_real_value(json_object_get(n2, "float")) < -122.08 && json_real_value(json_object_get(n2, "float")) > -122.09);
	CHECK(json_integer_value(json_object_get(n2, "int32")) < 0);
	json_t *n3 = jfind(o, "3");
	REQUIRE(n3);
	CHECK_STR(json_string_value(json_object_get(n3, "value")), "今晚一起吃饭吗？\n\"q\"");
	CHECK(strstr(js, "今晚一起吃饭吗？") != NULL); /* UTF-8 as it is, not \u00XX per byte */
	CHECK_STR(json_string_value(json_object_get(jfind(o, "5"), "hex")), "ff0010");
	CHECK_STR(json_string_value(json_object_get(jfind(o, "6:url.b"), "value")), "2");
	CHECK_EQ(json_integer_value(json_object_get(jfind(o, "7"), "int64")), -1);
	CHECK(json_real_value(json_object_get(jfind(o, "8"), "double")) == 37.5);
	json_decref(o);
	free(js);
	char *tx = capture(&t, 0);
	REQUIRE(tx);
	CHECK(strstr(tx, "  3 string(") != NULL);
	CHECK(strstr(tx, "\"今晚一起吃饭吗？\\n\\\"q\\\"\"") != NULL);
	CHECK(strstr(tx, "2 fixed32 ") && strstr(tx, "float -122.08"));
	CHECK(strstr(tx, "6:url.a url_param \"1\"") != NULL);
	free(tx);
	mml_dtree_free(&t);
}
