/*
 * tests/test_decode.c - stage 5, the schemaless decoder (decode.h): wire
 * types and the reading chosen for a length-delimited value, repeat
 * indexes and field paths, every embedded format, limits on hostile
 * input, the two writers; then acceptance on real and simulated data:
 * every ground-truth path of every simulator scenario, the published
 * plaintext log (../shared/data/wechat-logs), and the published decode
 * of the two autoauth plaintexts, compared field by field.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmlens/crypto.h"
#include "mmlens/decode.h"
#include "test.h"
#include "util.h"

/* ---- helpers ---- */

/* Every node's path, in node order (malloc'd; free with free_paths). */
static char **all_paths(const mml_dtree *t)
{
	char **p = calloc(t->count ? t->count : 1, sizeof *p);
	for (uint32_t i = 0; p && i < t->count; i++) {
		size_t n = mml_dtree_path(t, i, NULL, 0);
		p[i] = malloc(n + 1);
		if (p[i])
			mml_dtree_path(t, i, p[i], n + 1);
	}
	return p;
}

static void free_paths(const mml_dtree *t, char **p)
{
	for (uint32_t i = 0; p && i < t->count; i++)
		free(p[i]);
	free(p);
}

/* The value of a node as text: decimal for numbers, the bytes otherwise. */
static void node_text(const mml_dnode *d, char *buf, size_t cap)
{
	switch ((mml_dkind)d->kind) {
	case MML_DK_VARINT:
	case MML_DK_FIXED64: snprintf(buf, cap, "%llu", (unsigned long long)d->u); return;
	case MML_DK_FIXED32: snprintf(buf, cap, "%u", (unsigned)d->u); return;
	default: break;
	}
	size_t n = d->val ? d->val_len : 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(buf, d->val, n);
	buf[n] = 0;
}

/* First node with this path, or MML_DNONE. */
static uint32_t find(const mml_dtree *t, const char *path)
{
	char buf[1024];
	for (uint32_t i = 0; i < t->count; i++) {
		mml_dtree_path(t, i, buf, sizeof buf);
		if (!strcmp(buf, path))
			return i;
	}
	return MML_DNONE;
}

static const mml_dnode *at(const mml_dtree *t, const char *path)
{
	uint32_t i = find(t, path);
	return i == MML_DNONE ? NULL : &t->n[i];
}

/* The text of the node at path ("" when missing). */
static const char *text_at(const mml_dtree *t, const char *path)
{
	static char buf[4][2048];
	static int k;
	char *b = buf[k++ & 3];
	const mml_dnode *d = at(t, path);
	b[0] = 0;
	if (d)
		node_text(d, b, sizeof buf[0]);
	return b;
}

static int kind_at(const mml_dtree *t, const char *path)
{
	const mml_dnode *d = at(t, path);
	return d ? d->kind : -1;
}

static mml_err dec_str(mml_dtree *t, const char *s) { return mml_decode_body(t, (const uint8_t *)s, strlen(s)); }

/* A tiny protobuf writer for hand-made bodies. */
typedef struct pbw {
	uint8_t b[4096];
	size_t n;
} pbw;

static void w_varint(pbw *w, uint64_t v)
{
	while (v >= 0x80 && w->n < sizeof w->b) {
		w->b[w->n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	if (w->n < sizeof w->b)
		w->b[w->n++] = (uint8_t)v;
}
static void w_key(pbw *w, uint32_t f, int wt) { w_varint(w, (uint64_t)f << 3 | (uint64_t)wt); }
static void w_bytes(pbw *w, uint32_t f, const void *p, size_t n)
{
	w_key(w, f, 2);
	w_varint(w, n);
	if (w->n + n <= sizeof w->b) {
		memcpy(w->b + w->n, p, n);
		w->n += n;
	}
}
static void w_str(pbw *w, uint32_t f, const char *s) { w_bytes(w, f, s, strlen(s)); }
static void w_fixed32(pbw *w, uint32_t f, uint32_t v)
{
	w_key(w, f, 5);
	for (int i = 0; i < 4 && w->n < sizeof w->b; i++)
		w->b[w->n++] = (uint8_t)(v >> (8 * i));
}
static void w_fixed64(pbw *w, uint32_t f, uint64_t v)
{
	w_key(w, f, 1);
	for (int i = 0; i < 8 && w->n < sizeof w->b; i++)
		w->b[w->n++] = (uint8_t)(v >> (8 * i));
}
static void w_float(pbw *w, uint32_t f, float x)
{
	uint32_t u;
	memcpy(&u, &x, 4);
	w_fixed32(w, f, u);
}
static void w_double(pbw *w, uint32_t f, double x)
{
	uint64_t u;
	memcpy(&u, &x, 8);
	w_fixed64(w, f, u);
}

/* ---- protobuf ---- */

TEST(decode_pb_wire_types)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	pbw w = {.n = 0};
	w_key(&w, 1, 0);
	w_varint(&w, 150);
	w_key(&w, 2, 0);
	w_varint(&w, UINT64_MAX); /* -1 as int64 */
	w_float(&w, 3, 37.422001f);
	w_double(&w, 4, -122.084068);
	w_str(&w, 5, "hello");
	w_key(&w, 6, 3); /* group 6 { 1: 7 } */
	w_key(&w, 1, 0);
	w_varint(&w, 7);
	w_key(&w, 6, 4);
	w_key(&w, 536870911, 0); /* the largest field number */
	w_varint(&w, 1);
	REQUIRE(mml_decode_body(&t, w.b, w.n) == MML_OK);
	CHECK(!t.limit_hit);
	CHECK_EQ(t.n[0].kind, MML_DK_ROOT);
	CHECK_EQ(t.n[0].fmt, MML_DF_PB);
	CHECK_EQ(t.n[1].kind, MML_DK_MSG);
	CHECK_EQ(kind_at(&t, "1"), MML_DK_VARINT);
	CHECK_STR(text_at(&t, "1"), "150");
	CHECK_EQ(mml_dnode_zigzag(at(&t, "1")), 75);
	CHECK_EQ((int64_t)at(&t, "2")->u, -1);
	CHECK_EQ(kind_at(&t, "3"), MML_DK_FIXED32);
	CHECK(mml_dnode_f32(at(&t, "3")) == 37.422001f);
	CHECK_EQ(kind_at(&t, "4"), MML_DK_FIXED64);
	CHECK(mml_dnode_f64(at(&t, "4")) == -122.084068);
	CHECK_EQ(kind_at(&t, "5"), MML_DK_STRING);
	CHECK_STR(text_at(&t, "5"), "hello");
	const mml_dnode *g = at(&t, "6");
	REQUIRE(g);
	CHECK_EQ(g->kind, MML_DK_MSG);
	CHECK(g->flags & MML_DN_GROUP);
	CHECK_EQ(g->wire, 3);
	CHECK_STR(text_at(&t, "6.1"), "7");
	CHECK_STR(text_at(&t, "536870911"), "1");
	CHECK_EQ(at(&t, "1")->index, -1);

	/* field number 0 and 2^29 are not fields: the body is not a message */
	uint8_t f0[] = {0x00, 0x01};
	mml_decode_body(&t, f0, sizeof f0);
	CHECK_EQ(t.n[1].kind, MML_DK_BYTES);
	pbw w2 = {.n = 0};
	w_key(&w2, 536870912, 0);
	w_varint(&w2, 1);
	mml_decode_body(&t, w2.b, w2.n);
	CHECK(t.n[1].kind != MML_DK_MSG);
	/* an unmatched end group, a start group never closed, wire type 7 */
	uint8_t eg[] = {0x0c}, sg[] = {0x0b, 0x08, 0x01}, w7[] = {0x0f, 0x01};
	mml_decode_body(&t, eg, sizeof eg);
	CHECK(t.n[1].kind != MML_DK_MSG);
	mml_decode_body(&t, sg, sizeof sg);
	CHECK(t.n[1].kind != MML_DK_MSG);
	mml_decode_body(&t, w7, sizeof w7);
	CHECK(t.n[1].kind != MML_DK_MSG);
	mml_dtree_free(&t);
}

TEST(decode_pb_repeat_index)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	pbw inner = {.n = 0};
	w_str(&inner, 2, "row");
	pbw w = {.n = 0};
	w_key(&w, 1, 0);
	w_varint(&w, 9);
	for (int i = 0; i < 8; i++)
		w_bytes(&w, 4, inner.b, inner.n);
	w_key(&w, 3, 0); /* out of order: 3 after 4 */
	w_varint(&w, 1);
	w_key(&w, 1, 0); /* field 1 a second time */
	w_varint(&w, 10);
	REQUIRE(mml_decode_body(&t, w.b, w.n) == MML_OK);
	CHECK_STR(text_at(&t, "1[0]"), "9");
	CHECK_STR(text_at(&t, "1[1]"), "10");
	CHECK_STR(text_at(&t, "4[7].2"), "row");
	CHECK_STR(text_at(&t, "4[0].2"), "row");
	CHECK(at(&t, "3") && at(&t, "3")->index == -1);
	CHECK(!at(&t, "4"));
	/* many repeats (the hashed path) and field numbers above 64 */
	pbw big = {.n = 0};
	for (int i = 0; i < 100; i++) {
		w_key(&big, 70 + (uint32_t)(i % 3), 0);
		w_varint(&big, (uint64_t)i);
	}
	w_key(&big, 5000, 0);
	w_varint(&big, 1);
	REQUIRE(mml_decode_body(&t, big.b, big.n) == MML_OK);
	CHECK_STR(text_at(&t, "70[0]"), "0");
	CHECK_STR(text_at(&t, "71[32]"), "97");
	CHECK_STR(text_at(&t, "70[33]"), "99");
	CHECK_STR(text_at(&t, "5000"), "1");
	mml_dtree_free(&t);
}

TEST(decode_pb_readings)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	/* "-8.00" parses as {5: fixed32}, but printable text stays a string */
	pbw w = {.n = 0};
	w_str(&w, 12, "-8.00");
	mml_decode_body(&t, w.b, w.n);
	const mml_dnode *d = at(&t, "12");
	REQUIRE(d);
	CHECK_EQ(d->kind, MML_DK_STRING);
	CHECK(d->flags & MML_DN_ALT_MSG);
	CHECK(!at(&t, "12.5"));
	/* a message {1: 32 hex chars} is "\n <32 chars>" as text: a message (leading control char) */
	pbw m = {.n = 0};
	w_str(&m, 1, "0123456789abcdef0123456789abcdef");
	w.n = 0;
	w_bytes(&w, 3, m.b, m.n);
	mml_decode_body(&t, w.b, w.n);
	d = at(&t, "3");
	REQUIRE(d);
	CHECK_EQ(d->kind, MML_DK_MSG);
	CHECK(d->flags & MML_DN_ALT_STRING);
	CHECK_STR(text_at(&t, "3.1"), "0123456789abcdef0123456789abcdef");
	CHECK_EQ(kind_at(&t, "3.1"), MML_DK_STRING); /* an md5 in hex stays a string leaf */
	CHECK_EQ(at(&t, "3.1")->nchildren, 0);
	/* empty value: empty string, also the empty message; a NUL-padded device id */
	w.n = 0;
	w_bytes(&w, 4, "", 0);
	w_bytes(&w, 3, "A9543d226cb39f0\0", 16);
	w_bytes(&w, 5, "43.156.86.25\0\0\0\0\0\0\0\0", 20);
	mml_decode_body(&t, w.b, w.n);
	d = at(&t, "4");
	REQUIRE(d);
	CHECK_EQ(d->kind, MML_DK_STRING);
	CHECK_EQ(d->val_len, 0);
	CHECK(d->flags & MML_DN_ALT_MSG);
	d = at(&t, "3");
	REQUIRE(d);
	CHECK_EQ(d->kind, MML_DK_STRING);
	CHECK_STR(text_at(&t, "3"), "A9543d226cb39f0");
	CHECK(d->flags & MML_DN_NUL_PAD);
	CHECK_EQ(d->u, 1);
	CHECK_STR(text_at(&t, "5"), "43.156.86.25");
	CHECK_EQ(at(&t, "5")->u, 8);
	/* packed: varints of one length, floats, doubles */
	uint8_t pv[] = {0xe4, 0x96, 0xf0, 0xcd, 0x05, 0xa4, 0x96, 0xf0, 0xcd, 0x05, 0xb4, 0x96, 0xf0, 0xcd, 0x05};
	float pf[4] = {37.5f, -122.25f, 1.5f, 1000.0f};
	double pd[2] = {37.422001, -122.084068};
	w.n = 0;
	w_bytes(&w, 5, pv, sizeof pv);
	w_bytes(&w, 6, pf, sizeof pf);
	w_bytes(&w, 7, pd, sizeof pd);
	uint8_t small[] = {1, 2, 3, 5, 8};
	w_bytes(&w, 8, small, sizeof small);
	mml_decode_body(&t, w.b, w.n);
	CHECK_EQ(kind_at(&t, "5"), MML_DK_PACKED);
	CHECK_EQ(at(&t, "5")->nchildren, 3);
	CHECK_STR(text_at(&t, "5:packed[1]"), "1505495844");
	CHECK_EQ(kind_at(&t, "6"), MML_DK_PACKED);
	CHECK(at(&t, "6") && (at(&t, "6")->flags & MML_DN_PACKED_F32));
	CHECK(at(&t, "6:packed[1]") && mml_dnode_f32(at(&t, "6:packed[1]")) == -122.25f);
	CHECK_EQ(kind_at(&t, "7"), MML_DK_PACKED);
	CHECK(at(&t, "7") && (at(&t, "7")->flags & MML_DN_PACKED_F64));
	CHECK(at(&t, "7:packed[0]") && mml_dnode_f64(at(&t, "7:packed[0]")) == 37.422001);
	CHECK_EQ(kind_at(&t, "8"), MML_DK_PACKED);
	CHECK_STR(text_at(&t, "8:packed[4]"), "8");
	/* random bytes (a key) stay bytes */
	uint8_t key[32];
	uint32_t x = 12345;
	int bytes = 0, total = 0;
	for (int r = 0; r < 500; r++) {
		for (int i = 0; i < 32; i++)
			key[i] = (uint8_t)((x = x * 1103515245u + 12345u) >> 16);
		w.n = 0;
		w_bytes(&w, 2, key, sizeof key);
		mml_decode_body(&t, w.b, w.n);
		total++;
		bytes += kind_at(&t, "2") == MML_DK_BYTES;
	}
	CHECK(bytes >= total - 5);
	mml_test_note("%d/%d random 32-byte values read as bytes", bytes, total);
	mml_dtree_free(&t);
}

/* ---- embedded formats ---- */

TEST(decode_json)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	pbw w = {.n = 0};
	w_str(&w, 4,
	      "{\"appid\":\"wx1\",\"events\":[{\"page_path\":\"pages/a\",\"dwell_ms\":300},{\"page_path\":\"p\\u00e9\\ud83d\\ude00\","
	      "\"target\":\"btn\"}],\"ok\":true,\"n\":null,\"f\":-2.5e3,\"u\":\"https://x.cn/a?uid=7&b=1\"}");
	w_str(&w, 2, "{\"tabId\":2;\"redDot\":1;\"x\":{\"tab_type\":0;\"object_id\":\"0\"}}");
	w_str(&w, 3, "{\"bad\":1,}");
	w_str(&w, 5, "[1,2");
	REQUIRE(mml_decode_body(&t, w.b, w.n) == MML_OK);
	CHECK_EQ(kind_at(&t, "4:json"), MML_DK_JSON_OBJ);
	CHECK_STR(text_at(&t, "4:json.appid"), "wx1");
	CHECK_STR(text_at(&t, "4:json.events[0].page_path"), "pages/a");
	CHECK_EQ(kind_at(&t, "4:json.events[0].dwell_ms"), MML_DK_JSON_NUM);
	CHECK_STR(text_at(&t, "4:json.events[0].dwell_ms"), "300");
	CHECK_STR(text_at(&t, "4:json.events[1].page_path"), "p\xc3\xa9\xf0\x9f\x98\x80");
	CHECK_EQ(kind_at(&t, "4:json.ok"), MML_DK_JSON_LIT);
	CHECK_STR(text_at(&t, "4:json.f"), "-2.5e3");
	CHECK_STR(text_at(&t, "4:json.u:url.uid"), "7");
	CHECK_STR(text_at(&t, "2:json.redDot"), "1"); /* WeChat's ';' variant */
	CHECK_STR(text_at(&t, "2:json.x.object_id"), "0");
	CHECK_EQ(at(&t, "3")->nchildren, 0); /* not JSON: a trailing separator */
	CHECK_EQ(at(&t, "5")->nchildren, 0); /* not JSON: cut short */
	CHECK(!t.limit_hit);
	/* forced: a scalar at the root */
	const char *s = "\"a\\\"b\"";
	mml_decode_as(&t, MML_DF_JSON, (const uint8_t *)s, strlen(s));
	CHECK_STR(text_at(&t, "json"), "a\"b");
	mml_dtree_free(&t);
}

TEST(decode_xml)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	pbw w = {.n = 0};
	w_str(&w, 10,
	      "<deviceinfo><MANUFACTURER name=\"Google\"><MODEL name=\"Pixel &amp; 8\">"
	      "<VERSION_RELEASE name='14'></VERSION_RELEASE></MODEL></MANUFACTURER></deviceinfo>");
	w_str(&w, 5,
	      "<?xml version=\"1.0\"?><!-- c --><softtype><k21><![CDATA[My <Wi-Fi>]]></k21><k22>T-Mobile</k22>"
	      "<k3>14</k3><k9> a &lt;b&gt; &#x4e2d;&#25991; </k9><r>1</r><r>2</r></softtype>0\x01:trailing");
	w_str(&w, 8, "<handofflist opcode=\"4\" networkstatus=\"wifi\">\n  \n</handofflist>");
	w_str(&w, 3, "<a><b>x</a><c>y</c>");
	w_str(&w, 4, "<3 you");
	REQUIRE(mml_decode_body(&t, w.b, w.n) == MML_OK);
	CHECK_STR(text_at(&t, "10:xml.deviceinfo.MANUFACTURER@name"), "Google");
	CHECK_STR(text_at(&t, "10:xml.deviceinfo.MANUFACTURER.MODEL@name"), "Pixel & 8");
	CHECK_STR(text_at(&t, "10:xml.deviceinfo.MANUFACTURER.MODEL.VERSION_RELEASE@name"), "14");
	CHECK_STR(text_at(&t, "5:xml.softtype.k22"), "T-Mobile");
	CHECK_STR(text_at(&t, "5:xml.softtype.k21"), "My <Wi-Fi>");
	CHECK_STR(text_at(&t, "5:xml.softtype.k9"), "a <b> \xe4\xb8\xad\xe6\x96\x87");
	CHECK_STR(text_at(&t, "5:xml.softtype.r[1]"), "2");
	CHECK(at(&t, "5:xml.softtype") && (at(&t, "5:xml.softtype")->flags & MML_DN_TRAILING));
	CHECK_STR(text_at(&t, "8:xml.handofflist@networkstatus"), "wifi");
	CHECK_STR(text_at(&t, "8:xml.handofflist"), "");
	CHECK_STR(text_at(&t, "3:xml.a.b"), "x"); /* </a> closes b too */
	CHECK_EQ(at(&t, "4")->nchildren, 0);
	mml_dtree_free(&t);
}

TEST(decode_url)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	pbw w = {.n = 0};
	w_str(&w, 11, "hash=1505495844&ts=1701738555123&host=&version=671094583&device=2");
	w_str(&w, 3, "https://m.example.cn/api/v1?uid=12345&tag=a&tag=b&keys=x%252Cy#frag");
	w_str(&w, 5, "pages/index/index.html?scene=1001&cid=42");
	w_str(&w, 6, "query=%E6%89%93%E8%BD%A6&sid=1");
	w_str(&w, 7, "eyJtdWx0aV91c2VybmFtZXMiOltdfQ==");
	w_str(&w, 8, "a = b is prose");
	w_str(&w, 9, "x=1,y=2,z=3");
	REQUIRE(mml_decode_body(&t, w.b, w.n) == MML_OK);
	CHECK_STR(text_at(&t, "11:url.hash"), "1505495844");
	CHECK_STR(text_at(&t, "11:url.host"), "");
	CHECK_STR(text_at(&t, "3:url"), "https://m.example.cn/api/v1");
	CHECK_STR(text_at(&t, "3:url.uid"), "12345");
	CHECK_STR(text_at(&t, "3:url.tag[0]"), "a");
	CHECK_STR(text_at(&t, "3:url.tag[1]"), "b");
	CHECK_STR(text_at(&t, "3:url.keys"), "x,y"); /* %252C -> %2C -> , */
	CHECK_STR(text_at(&t, "5:url.scene"), "1001");
	CHECK_STR(text_at(&t, "5:url"), "pages/index/index.html");
	CHECK_STR(text_at(&t, "6:url.query"), "\xe6\x89\x93\xe8\xbd\xa6");
	CHECK(!at(&t, "7:url")); /* base64 with padding is not a pair */
	CHECK_EQ(kind_at(&t, "7:base64"), MML_DK_WRAP);
	CHECK_EQ(at(&t, "8")->nchildren, 0);
	CHECK_STR(text_at(&t, "9:csv[1]:url.y"), "2"); /* a record of pairs */
	mml_dtree_free(&t);
}

TEST(decode_csv)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	pbw row = {.n = 0};
	w_str(&row, 2,
	      "wx9b27e05c4fd1a386,2311,1,request,https%3A%2F%2Fm.freshmart-shop.com%2Fapi%2Fcart%3Fcust_id%3D123456789%26ts%3D1,"
	      "1,200,request%3Aok,1000,200,300,wifi,pages%2Fhome%2Fhome,,0,1");
	pbw launch = {.n = 0};
	w_str(&launch, 2, "hash%3D1505495844%26ts%3D17%26device%3D2,wx1,1566,1");
	pbw w = {.n = 0};
	w_bytes(&w, 3, launch.b, launch.n);
	w_bytes(&w, 3, row.b, row.n);
	w_bytes(&w, 3, row.b, row.n);
	w_str(&w, 11, "5,0,0,0,1681405419941,0,0,-1000.000000%2F-1000.000000,San%20Jose,0,null,1234567890ABCDEF");
	w_str(&w, 4,
	      "4,2,123,,{\"tabId\":2;\"redDot\":1},{\"a\":{\"b\":0;\"c\":\"0\"}},123_1681405117378#$2_1681405116238#,0");
	w_str(&w, 5, "LinearLayout|WxRecyclerView|FrameLayout|DecorView");
	w_str(&w, 6, "Sorry, I'm late, see you at 7");
	w_str(&w, 7, "Let's split the bill, I'll send you my half");
	REQUIRE(mml_decode_body(&t, w.b, w.n) == MML_OK);
	CHECK_STR(text_at(&t, "3[0].2:csv[0]:url.hash"), "1505495844");
	CHECK_STR(text_at(&t, "3[2].2:csv[4]"), "https://m.freshmart-shop.com/api/cart?cust_id=123456789&ts=1");
	CHECK_STR(text_at(&t, "3[2].2:csv[4]:url.cust_id"), "123456789");
	CHECK_STR(text_at(&t, "3[1].2:csv[12]"), "pages/home/home");
	CHECK_STR(text_at(&t, "3[1].2:csv[13]"), "");
	CHECK_STR(text_at(&t, "11:csv[7]"), "-1000.000000/-1000.000000");
	CHECK_STR(text_at(&t, "11:csv[8]"), "San Jose");
	CHECK_STR(text_at(&t, "11:csv[11]"), "1234567890ABCDEF");
	CHECK_STR(text_at(&t, "4:csv[4]:json.redDot"), "1"); /* ';' inside braces does not split */
	CHECK_STR(text_at(&t, "4:csv[5]:json.a.c"), "0");
	CHECK_STR(text_at(&t, "4:csv[7]"), "0");
	CHECK_STR(text_at(&t, "5:csv[3]"), "DecorView");
	CHECK(at(&t, "5:csv") && at(&t, "5:csv")->u == '|');
	CHECK_EQ(at(&t, "6")->nchildren, 0); /* prose */
	CHECK_EQ(at(&t, "7")->nchildren, 0);
	mml_dtree_free(&t);
}

static size_t zlib_of(const char *s, mml_buf *out)
{
	mml_buf_init(out, 0);
	return mml_deflate((const uint8_t *)s, strlen(s), out) == MML_OK ? out->len : 0;
}

TEST(decode_wrap)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	/* base64 of a protobuf message, of JSON; hex of a message; an md5 */
	pbw m = {.n = 0};
	w_str(&m, 14, "1682604300");
	w_str(&m, 15, "weixin");
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char enc[256];
	size_t k = 0;
	for (size_t i = 0; i < m.n; i += 3) {
		uint32_t v = (uint32_t)m.b[i] << 16 | (i + 1 < m.n ? (uint32_t)m.b[i + 1] << 8 : 0) | (i + 2 < m.n ? m.b[i + 2] : 0);
		enc[k++] = b64[v >> 18];
		enc[k++] = b64[(v >> 12) & 63];
		enc[k++] = i + 1 < m.n ? b64[(v >> 6) & 63] : '=';
		enc[k++] = i + 2 < m.n ? b64[v & 63] : '=';
	}
	enc[k] = 0;
	char hex[256];
	mml_hex_encode(m.b, m.n, hex);
	pbw w = {.n = 0};
	w_str(&w, 3, enc);
	w_str(&w, 4, "eyJtdWx0aV91c2VybmFtZXMiOltdfQ==");
	w_str(&w, 5, hex);
	w_str(&w, 6, "18c867f0717aa67b2ab7347505ba07ed");
	w_str(&w, 7, "AdPassThroughInfoXyz");
	w_str(&w, 8, "20230412168140511");
	mml_buf z;
	zlib_of("{\"city\":\"Shenzhen\",\"lat\":22.54}", &z);
	w_bytes(&w, 9, z.p, z.len);
	REQUIRE(mml_decode_body(&t, w.b, w.n) == MML_OK);
	CHECK_STR(text_at(&t, "3:base64:pb.15"), "weixin");
	CHECK_STR(text_at(&t, "4:base64:json"), "");
	CHECK_EQ(kind_at(&t, "4:base64:json.multi_usernames"), MML_DK_JSON_ARR);
	CHECK_STR(text_at(&t, "5:hex:pb.14"), "1682604300");
	CHECK_EQ(at(&t, "6")->nchildren, 0);
	CHECK_EQ(at(&t, "7")->nchildren, 0);
	CHECK_EQ(at(&t, "8")->nchildren, 0);
	CHECK_EQ(kind_at(&t, "9"), MML_DK_BYTES);
	CHECK_STR(text_at(&t, "9:zlib:json.city"), "Shenzhen");
	/* a zlib body at the root, and gzip forced */
	mml_buf_free(&z);
	pbw body = {.n = 0};
	w_str(&body, 1, "hello zlib");
	mml_buf_init(&z, 0);
	REQUIRE(mml_deflate(body.b, body.n, &z) == MML_OK);
	mml_decode_body(&t, z.p, z.len);
	CHECK_EQ(t.n[0].fmt, MML_DF_ZLIB);
	CHECK_STR(text_at(&t, "zlib:pb.1"), "hello zlib");
	static const uint8_t gz[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xcb, 0x48, 0xcd,
	                             0xc9, 0xc9, 0x07, 0x00, 0x86, 0xa6, 0x10, 0x36, 0x05, 0x00, 0x00, 0x00};
	mml_decode_as(&t, MML_DF_GZIP, gz, sizeof gz);
	CHECK_STR(text_at(&t, "gzip"), "hello");
	/* the inflate cap */
	mml_decode_limits lim = {.max_inflate = 1000};
	mml_dtree small;
	mml_dtree_init(&small, &lim);
	char *big = malloc(100001);
	REQUIRE(big);
	memset(big, 'a', 100000);
	big[100000] = 0;
	mml_buf_free(&z);
	zlib_of(big, &z);
	mml_decode_body(&small, z.p, z.len);
	CHECK_STR(small.limit_hit, "inflate");
	CHECK(at(&small, "zlib") && at(&small, "zlib")->val_len == 1000 && (at(&small, "zlib")->flags & MML_DN_CUT));
	free(big);
	mml_buf_free(&z);
	mml_dtree_free(&small);
	mml_dtree_free(&t);
}

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

/* ---- hostile input ---- */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

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
	double t0 = now_s();
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
	t0 = now_s();
	REQUIRE(mml_decode_body(&t, b.p, b.len) == MML_OK);
	double dt = now_s() - t0;
	CHECK(t.work <= (uint64_t)b.len * 64 + (1u << 20));
	mml_test_note("self-similar %zu bytes: %.0f ms, %u nodes, work %.1fx, limit %s", b.len, dt * 1e3, t.count,
	              (double)t.work / (double)b.len, t.limit_hit ? t.limit_hit : "none");
	CHECK(dt < 5.0);
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

/* ---- acceptance: the simulator's ground truth ---- */

static int hexbody(const char *hex, mml_buf *raw, mml_buf *body)
{
	mml_buf_init(raw, 0);
	mml_buf_init(body, 0);
	if (mml_hexdump_decode(hex, strlen(hex), raw) != MML_OK)
		return -1;
	if (raw->len && raw->p[0] == 0x78 && mml_inflate(raw->p, raw->len, 1 << 26, body) == MML_OK)
		return 1;
	return 0;
}

typedef struct sim_res {
	int msgs, pii, paths, values, pairs;
} sim_res;

static void sim_truth(const char *scenario, const char *loc, sim_res *r)
{
	char pcap[512], keys[512], truth[512], tag[64], args[128];
	snprintf(tag, sizeof tag, "dec_%s_%s", scenario, loc);
	snprintf(args, sizeof args, "--scenario %s --location %s --seed 11", scenario, loc);
	REQUIRE(t_simulate(tag, args, pcap, keys, truth, sizeof pcap) == 0);
	json_t *tr = t_load_jsonl(truth);
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	size_t i;
	json_t *m;
	int fails = 0;
	json_array_foreach(tr, i, m)
	{
		const char *hex = t_str(m, "body_hex");
		json_t *pii = json_object_get(m, "pii");
		if (!hex)
			continue;
		mml_buf raw, body;
		int z = hexbody(hex, &raw, &body);
		CHECK(z >= 0);
		const mml_buf *b = z == 1 ? &body : &raw;
		REQUIRE(mml_decode_body(&t, b->p, b->len) == MML_OK);
		CHECK(!t.limit_hit);
		r->msgs++;
		/* what scan.c adds next to the body: the HTTP query, the business header's uin */
		const char *uri = t_str(m, "uri");
		const char *q = uri ? strchr(uri, '?') : NULL;
		if (q && q[1]) {
			CHECK(mml_decode_meta_url(&t, "query", q + 1, strlen(q + 1)) == MML_OK);
		} else { /* no request target in the truth line: the query from its own query.* items */
			char qs[1024] = "";
			size_t k, ql = 0;
			json_t *p;
			json_array_foreach(pii, k, p)
			{
				const char *path = t_str(p, "path"), *val = t_str(p, "value");
				if (path && val && !strncmp(path, "query.", 6) && ql < sizeof qs - 1)
					ql += (size_t)snprintf(qs + ql, sizeof qs - ql, "%s%s=%s", ql ? "&" : "", path + 6, val);
			}
			if (ql && ql < sizeof qs)
				CHECK(mml_decode_meta_url(&t, "query", qs, ql) == MML_OK);
		}
		json_t *uin = json_object_get(m, "uin");
		if (json_is_integer(uin) && json_integer_value(uin))
			CHECK(mml_decode_meta_uint(&t, "header", "uin", (uint64_t)json_integer_value(uin)) == MML_OK);
		size_t k;
		json_t *p;
		char **paths = all_paths(&t);
		json_array_foreach(pii, k, p)
		{
			const char *path = t_str(p, "path"), *val = t_str(p, "value"), *cat = t_str(p, "category");
			if (!path || !val || !cat)
				continue;
			r->pii++;
			bool pair = !strcmp(cat, "location.coordinates");
			bool found = false, same = false;
			for (uint32_t j = 0; j < t.count; j++) {
				if (!paths[j] || strcmp(paths[j], path))
					continue;
				found = true;
				char txt[2048];
				node_text(&t.n[j], txt, sizeof txt);
				if (!strcmp(txt, val))
					same = true;
			}
			r->paths += found;
			if (pair)
				r->pairs += found;
			else
				r->values += same;
			if ((!found || (!pair && !same)) && fails++ < 8)
				mml_test_fail(__FILE__, __LINE__, "%s/%s msg %zu (%s): %s path %s value \"%s\": %s", scenario, loc,
				              i + 1, t_str(m, "api") ? t_str(m, "api") : "-", cat, path, val,
				              found ? "value differs" : "path missing");
		}
		free_paths(&t, paths);
		mml_buf_free(&raw);
		mml_buf_free(&body);
	}
	mml_dtree_free(&t);
	json_decref(tr);
}

TEST(decode_sim_truth_paths)
{
	static const char *const sc[] = {"startup", "messaging", "miniprogram", "all"};
	sim_res r = {0, 0, 0, 0, 0};
	for (int s = 0; s < 4; s++)
		for (int l = 0; l < 2; l++)
			sim_truth(sc[s], l ? "on" : "off", &r);
	CHECK(r.msgs > 200);
	CHECK_EQ(r.paths, r.pii);
	CHECK_EQ(r.values + r.pairs, r.pii);
	CHECK(r.pairs > 0);
	mml_test_note("8 runs, %d bodies: %d/%d truth paths found, %d values equal, %d coordinate holders", r.msgs,
	              r.paths, r.pii, r.values, r.pairs);
}

/* ---- acceptance: the published plaintext log ---- */

#define LOG "wechat-logs/startup_permissions_on_2.log.jsonl"

typedef struct logbody {
	mml_buf raw, body;
	const mml_buf *b;
} logbody;

/* Every line's body (inflated when it is zlib), NULL when the log is missing. */
static logbody *load_log(int *n)
{
	size_t len;
	char *text = t_slurp(mml_test_data(LOG), &len);
	if (!text)
		return NULL;
	logbody *lb = calloc(400, sizeof *lb);
	int k = 0;
	for (char *line = strtok(text, "\n"); lb && line && k < 400; line = strtok(NULL, "\n")) {
		json_t *o = json_loads(line, 0, NULL);
		const char *hex = o ? t_str(o, "data") : NULL;
		int z = hex ? hexbody(hex, &lb[k].raw, &lb[k].body) : -1;
		if (z < 0)
			mml_buf_init(&lb[k].raw, 0), mml_buf_init(&lb[k].body, 0);
		lb[k].b = z == 1 ? &lb[k].body : &lb[k].raw;
		k++;
		json_decref(o);
	}
	free(text);
	*n = k;
	return lb;
}

static void free_log(logbody *lb, int n)
{
	for (int i = 0; lb && i < n; i++) {
		mml_buf_free(&lb[i].raw);
		mml_buf_free(&lb[i].body);
	}
	free(lb);
}

static bool near(double a, double b) { return a - b < 1e-5 && b - a < 1e-5; }

TEST(decode_real_log)
{
	int n = 0;
	logbody *lb = load_log(&n);
	REQUIRE(lb);
	CHECK_EQ(n, 304);
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	int decoded = 0, msgs = 0, limits = 0;
	uint64_t nodes = 0, bytes = 0;
	for (int i = 0; i < n; i++) {
		REQUIRE(mml_decode_body(&t, lb[i].b->p, lb[i].b->len) == MML_OK);
		decoded++;
		nodes += t.count;
		bytes += lb[i].b->len;
		msgs += t.n[0].fmt == MML_DF_PB;
		if (t.limit_hit) {
			limits++;
			mml_test_fail(__FILE__, __LINE__, "line %d: limit %s", i + 1, t.limit_hit);
		}
		/* BaseRequest: {1: bytes, 2: uin, 3: device id + NUL, 4: version, 5: "android-32", 6: scene} */
		const mml_dnode *dev = at(&t, "1.3");
		if (dev && dev->kind == MML_DK_STRING && !strcmp(text_at(&t, "1.5"), "android-32")) {
			CHECK_STR(text_at(&t, "1.3"), "A9543d226cb39f0");
			CHECK(dev->flags & MML_DN_NUL_PAD);
			CHECK_STR(text_at(&t, "1.2"), "1505495844");
			CHECK_STR(text_at(&t, "1.4"), "671094583");
			CHECK_EQ(kind_at(&t, "1.1"), MML_DK_BYTES);
		}
		if (i + 1 == 296 || i + 1 == 304) { /* float32 coordinates in fields 1 and 2 of field 7 / 3 */
			const char *f = i + 1 == 296 ? "7" : "3";
			char p1[8], p2[8];
			snprintf(p1, sizeof p1, "%s.1", f);
			snprintf(p2, sizeof p2, "%s.2", f);
			CHECK_EQ(kind_at(&t, f), MML_DK_MSG);
			REQUIRE(at(&t, p1) && at(&t, p2));
			CHECK_EQ(kind_at(&t, p1), MML_DK_FIXED32);
			CHECK(near(mml_dnode_f32(at(&t, p1)), -122.084068));
			CHECK(near(mml_dnode_f32(at(&t, p2)), 37.422001));
		}
		if (i + 1 == 245) { /* 94 KB of telemetry: rows of URL-encoded cells */
			int pdd = 0, thousand = 0, rows = 0;
			char **paths = all_paths(&t);
			for (uint32_t j = 0; j < t.count; j++) {
				const mml_dnode *d = &t.n[j];
				char txt[256];
				node_text(d, txt, sizeof txt);
				if (d->kind == MML_DK_CSV)
					rows++;
				if (d->kind == MML_DK_URL_PARAM && !strcmp(txt, "2166950396834") && strstr(paths[j], ":csv[") &&
				    strstr(paths[j], ":url.pdduid") && !strncmp(paths[j], "4[", 2))
					pdd++;
				if (d->kind == MML_DK_CSV_CELL && !strcmp(txt, "-1000.000000/-1000.000000"))
					thousand++;
			}
			CHECK(pdd >= 10);
			CHECK_EQ(thousand, 2);
			CHECK(rows > 450);
			CHECK_EQ(find(&t, "4[1].4[8].2:csv[7]") != MML_DNONE, 1);
			CHECK_STR(text_at(&t, "4[1].4[8].2:csv[7]"), "-1000.000000/-1000.000000");
			CHECK_STR(text_at(&t, "4[4].4[0].2:csv[4]:url.pdduid"), "2166950396834");
			mml_test_note("line 245: %u nodes, %d records, %d pdduid params", t.count, rows, pdd);
			free_paths(&t, paths);
		}
	}
	CHECK_EQ(limits, 0);
	mml_test_note("%d/%d lines decoded (%d as protobuf), %llu bytes, %llu nodes, %d limit hits", decoded, n, msgs,
	              (unsigned long long)bytes, (unsigned long long)nodes, limits);
	mml_dtree_free(&t);
	free_log(lb, n);
}

TEST(decode_speed)
{
	int n = 0;
	logbody *lb = load_log(&n);
	REQUIRE(lb);
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	uint64_t bytes = 0;
	double t0 = now_s(), dt;
	int reps = 0;
	do {
		for (int i = 0; i < n; i++) {
			mml_decode_body(&t, lb[i].b->p, lb[i].b->len);
			bytes += lb[i].b->len;
		}
		reps++;
		dt = now_s() - t0;
	} while (dt < 0.5);
	mml_test_note("%.0f MB/s over the real log's bodies (%d passes, %llu bytes)", (double)bytes / dt / 1e6, reps,
	              (unsigned long long)bytes);
	CHECK(bytes > 0);
	mml_dtree_free(&t);
	free_log(lb, n);
}

/* ---- acceptance: the published decode of the autoauth plaintexts ---- */

/*
 * Bytes as the published tool prints them: Python's
 * bytes.decode("utf-8", "backslashreplace") (valid UTF-8 as it is, other
 * bytes as \xNN).
 */
static char *py_render(const uint8_t *p, size_t n)
{
	char *o = malloc(4 * n + 1), *w = o;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t k = p[i] < 0x80 ? 1 : mml_utf8_seq(p + i, n - i);
		if (k) {
			memcpy(w, p + i, k);
			w += k;
			i += k;
		} else {
			w += sprintf(w, "\\x%02x", p[i]);
			i++;
		}
	}
	*w = 0;
	return o;
}

/* Our value of a node, rendered as the published tool would print it. */
static char *our_render(const mml_dnode *d)
{
	char num[32];
	switch ((mml_dkind)d->kind) {
	case MML_DK_VARINT:
	case MML_DK_FIXED32:
	case MML_DK_FIXED64: node_text(d, num, sizeof num); return strdup(num);
	case MML_DK_STRING: /* the NUL padding is part of the field's bytes */
		return py_render(d->val, d->val_len + ((d->flags & MML_DN_NUL_PAD) ? d->u : 0));
	default: return py_render(d->val, d->val ? d->val_len : 0);
	}
}

/* The published files mask personal data with 'A': an 'A' there matches any character. */
static bool masked_eq(const char *pub, const char *ours)
{
	if (!*pub && *ours && strspn(ours, "A") == strlen(ours)) /* masked to nothing there */
		return true;
	if (!strstr(pub, "AAAA") || strlen(pub) != strlen(ours))
		return false;
	for (; *pub; pub++, ours++)
		if (*pub != 'A' && *pub != *ours)
			return false;
	return true;
}

typedef struct cmp {
	const mml_dtree *t;
	char **paths;
	int total, agree, masked, empty, text, field0, field0_values, other;
	char text_at[8][32], field0_at[64];
} cmp;

static uint32_t path_ix(const cmp *c, const char *path)
{
	for (uint32_t i = 0; i < c->t->count; i++)
		if (c->paths[i] && !strcmp(c->paths[i], path))
			return i;
	return MML_DNONE;
}

/* Where the published reading went deeper than ours: the longest path of ours above it. */
static uint32_t our_prefix(const cmp *c, const char *path, char *pre, size_t cap)
{
	snprintf(pre, cap, "%s", path);
	for (char *dot; (dot = strrchr(pre, '.')) != NULL;) {
		*dot = 0;
		char *br = strrchr(pre, '[');
		uint32_t i = path_ix(c, pre);
		if (i == MML_DNONE && br && !strchr(br, '.')) { /* "5.0[3]" -> "5.0" */
			*br = 0;
			i = path_ix(c, pre);
		}
		if (i != MML_DNONE)
			return i;
	}
	return MML_DNONE;
}

static void cmp_leaf(cmp *c, const char *path, const char *pub, bool empty_msg, bool field0)
{
	c->total++;
	uint32_t i = path_ix(c, path);
	if (i != MML_DNONE) {
		const mml_dnode *d = &c->t->n[i];
		if (empty_msg) { /* {}: ours is the empty string, flagged as the empty message too */
			if ((d->kind == MML_DK_STRING && !d->val_len && (d->flags & MML_DN_ALT_MSG)) ||
			    (d->kind == MML_DK_MSG && !d->nchildren))
				c->empty++;
			else
				c->other++, mml_test_fail(__FILE__, __LINE__, "%s: published {}, ours %s", path,
				                          mml_dkind_name((mml_dkind)d->kind));
			return;
		}
		char *ours = our_render(d);
		if (ours && !strcmp(ours, pub))
			c->agree++;
		else if (ours && masked_eq(pub, ours))
			c->masked++;
		else {
			c->other++;
			mml_test_fail(__FILE__, __LINE__, "%s: published \"%.60s\", ours (%s) \"%.60s\"", path, pub,
			              mml_dkind_name((mml_dkind)d->kind), ours ? ours : "");
		}
		free(ours);
		return;
	}
	char pre[512];
	uint32_t p = our_prefix(c, path, pre, sizeof pre);
	const mml_dnode *d = p == MML_DNONE ? NULL : &c->t->n[p];
	if (d && d->kind == MML_DK_STRING && (d->flags & MML_DN_ALT_MSG)) {
		/* printable text the published tool read as a message: a string here, ALT_MSG kept */
		c->text++;
		for (int k = 0; k < 8; k++)
			if (!c->text_at[k][0] || !strcmp(c->text_at[k], pre)) {
				snprintf(c->text_at[k], sizeof c->text_at[k], "%.24s", pre);
				break;
			}
	} else if (d && d->kind == MML_DK_BYTES && field0) {
		/* under a reading with field number 0, which protobuf forbids */
		c->field0++;
		if (!c->field0_at[0])
			snprintf(c->field0_at, sizeof c->field0_at, "%.40s", pre);
		static uint32_t last = MML_DNONE;
		if (p != last) /* leaves of one value come together */
			c->field0_values++;
		last = p;
	} else {
		c->other++;
		mml_test_fail(__FILE__, __LINE__, "%s: missing in ours (above it: %s)", path, d ? pre : "-");
	}
}

static void cmp_walk(cmp *c, json_t *v, const char *path, bool field0)
{
	if (json_is_string(v)) {
		/* the text up to a NUL is compared; jansson keeps NULs (JSON_ALLOW_NUL), C strings stop */
		size_t n = json_string_length(v);
		char *s = malloc(n + 1);
		if (!s)
			return;
		memcpy(s, json_string_value(v), n);
		s[n] = 0;
		cmp_leaf(c, path, s, false, field0);
		free(s);
		return;
	}
	if (!json_is_object(v))
		return;
	if (!json_object_size(v)) {
		cmp_leaf(c, path, "", true, field0);
		return;
	}
	field0 = field0 || json_object_get(v, "0");
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x)
	{
		char sub[512];
		if (json_is_array(x)) {
			size_t i;
			json_t *e;
			json_array_foreach(x, i, e)
			{
				snprintf(sub, sizeof sub, "%s%s%s[%zu]", path, *path ? "." : "", k, i);
				cmp_walk(c, e, sub, field0);
			}
		} else {
			snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", k);
			cmp_walk(c, x, sub, field0);
		}
	}
}

/* Decode a plaintext into t (its bytes stay in raw/body: the tree points into them) and compare. */
static void autoauth(const char *hexfile, const char *jsonfile, cmp *c, mml_dtree *t, mml_buf *rawb, mml_buf *bodyb)
{
	memset(c, 0, sizeof *c);
	mml_buf_free(rawb);
	mml_buf_free(bodyb);
	mml_buf_init(rawb, 0);
	mml_buf_init(bodyb, 0);
	REQUIRE(t_hexfile(mml_test_data(hexfile), rawb) == 0);
	const mml_buf *b = rawb;
	if (rawb->len && rawb->p[0] == 0x78) { /* the response plaintext is a zlib stream */
		REQUIRE(mml_inflate(rawb->p, rawb->len, 1 << 24, bodyb) == MML_OK);
		b = bodyb;
	}
	REQUIRE(mml_decode_body(t, b->p, b->len) == MML_OK);
	CHECK(!t->limit_hit);
	json_error_t e;
	json_t *pub = json_load_file(mml_test_data(jsonfile), JSON_ALLOW_NUL, &e);
	if (!pub)
		mml_test_fail(__FILE__, __LINE__, "%s: %s (line %d)", jsonfile, e.text, e.line);
	REQUIRE(pub);
	c->t = t;
	c->paths = all_paths(t);
	cmp_walk(c, pub, "", false);
	free_paths(t, c->paths);
	json_decref(pub);
}

TEST(decode_real_autoauth_vs_published)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	cmp rq, rs;
	mml_buf raw, body;
	mml_buf_init(&raw, 0);
	mml_buf_init(&body, 0);
	autoauth("mmtls-capture/autoauth-request-packet-plaintext.hex", "mmtls-capture/autoauth-request.json", &rq, &t,
	         &raw, &body);
	/*
	 * Request 2.12 is the 5 bytes "-8.00" (printable text). The published
	 * tool reads them as a message {5: 808463928}: '-' (0x2d) taken as the
	 * key of field 5, wire type 5, and "8.00" as its little-endian fixed32.
	 * A one-field message whose value bytes spell "8.00" is not plausible;
	 * ours is the string, with the message reading kept as ALT_MSG.
	 */
	const mml_dnode *d = at(&t, "2.12");
	REQUIRE(d);
	CHECK_EQ(d->kind, MML_DK_STRING);
	CHECK_STR(text_at(&t, "2.12"), "-8.00");
	CHECK(d->flags & MML_DN_ALT_MSG);
	/* what the published tool also reads right, and what it leaves unopened */
	CHECK_STR(text_at(&t, "2.1.3"), "AAAAAAAAAAAAAAA");
	CHECK(at(&t, "2.1.3")->flags & MML_DN_NUL_PAD);
	CHECK_STR(text_at(&t, "2.5:xml.softtype.k22"), "T-Mobile");
	CHECK_STR(text_at(&t, "2.10:xml.deviceinfo.MANUFACTURER.MODEL@name"), "sdk_gphone64_arm64");
	CHECK_STR(text_at(&t, "2.10:xml.deviceinfo.MANUFACTURER@name"), "Google");
	CHECK_EQ(rq.other, 0);
	CHECK(rq.agree + rq.masked > 45);
	CHECK_EQ(rq.text, 1);
	CHECK_STR(rq.text_at[0], "2.12");

	autoauth("mmtls-capture/autoauth-response-packet-plaintext.hex", "mmtls-capture/autoauth-response.json", &rs,
	         &t, &raw, &body);
	/*
	 * Response 5.3.{3,4}[i].5 are 128-byte socket-address buffers
	 * ("::ffff:101.32.118.25", two stray bytes, zeros). The published
	 * tool reads them as {7: ..., 0: [0 x 34]}: 34 fields with field
	 * number 0, which the wire format forbids (field numbers start at 1),
	 * so no message reading exists; ours is bytes.
	 */
	d = at(&t, "5.3.4[6].5");
	REQUIRE(d);
	CHECK_EQ(d->kind, MML_DK_BYTES);
	CHECK_EQ(d->val_len, 128);
	CHECK(!memcmp(d->val, "::ffff:43.156.86.25", 19));
	CHECK_STR(text_at(&t, "5.3.4[6].3"), "43.156.86.25"); /* NUL padded to 128 */
	CHECK_STR(text_at(&t, "3.20:url.keytype"), "2");
	CHECK_STR(text_at(&t, "4.20.2[3].2"), "usaction.wechat.com");
	CHECK_STR(text_at(&t, "4.20.2[303].2"), "Sorry, this feature is currently not available.");
	CHECK_EQ(rs.other, 0);
	CHECK(rs.agree + rs.masked > 1000);
	CHECK(rs.field0 > 0);
	CHECK_STR(rs.field0_at, "5.3.3[0].5");
	mml_test_note("request: %d published leaves, %d agree, %d agree under the 'A' mask, %d empty ({} = our empty "
	              "string + ALT_MSG), %d justified (text, not a message), %d unexplained",
	              rq.total, rq.agree, rq.masked, rq.empty, rq.text, rq.other);
	mml_test_note("response: %d leaves, %d agree, %d masked, %d empty, %d justified (under field number 0 in %d "
	              "sockaddr buffers like %s), %d unexplained",
	              rs.total, rs.agree, rs.masked, rs.empty, rs.field0, rs.field0_values, rs.field0_at, rs.other);
	mml_dtree_free(&t);
	mml_buf_free(&raw);
	mml_buf_free(&body);
}
