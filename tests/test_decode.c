/*
 * tests/test_decode.c - stage 5, the schemaless decoder (decode.h): wire
 * types and the reading chosen for a length-delimited value, repeat
 * indexes, and every embedded format (JSON, XML, URL pairs, delimited
 * records, base64, hex, zlib). test_decode_limits.c has paths, limits and
 * the writers; test_decode_real.c the acceptance on real and simulated
 * data. Speed is measured in bench/decode_speed.c, not here.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/crypto.h"
#include "mmlens/decode.h"
#include "test.h"
#include "test_decode.h"
#include "util.h"

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
