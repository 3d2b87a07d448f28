/*
 * test_envelope.c - the business layer (src/envelope, stage 4): the
 * shortlink request prefix, the longlink packet header and the 0xbf
 * business header (fields, bounds, every prefix refused), the message
 * processor's framing of longlink records and its zlib sniffing
 * (mml_zlib_magic), a zlib bomb behind a valid inner layer, and the
 * instrumentation plaintext log reader (zlib bodies, bad lines, the clean
 * end). Envelopes are built with mml_wbuf.
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/crypto.h"
#include "mmlens/cursor.h"
#include "mmlens/envelope.h"
#include "test.h"

static void wcheck(const mml_wbuf *w)
{
	if (mml_wbuf_err(w) != MML_OK)
		abort();
}

/* A business header: compress (1 yes, 2 no), algo, uin, a 15-byte
 * cookie, then the varints: request type, raw and compressed lengths. */
static void biz_header(mml_wbuf *w, uint8_t compress, uint8_t algo, uint32_t uin, uint64_t type, uint64_t raw,
                       uint64_t zlen)
{
	size_t h0 = mml_wbuf_len(w);
	mml_wbuf_u8(w, 0xbf);
	mml_wbuf_u8(w, 0); /* hdr_len << 2 | compress, set below */
	mml_wbuf_u8(w, (uint8_t)(algo << 4 | 15));
	mml_wbuf_be32(w, 0x28001737u);
	mml_wbuf_be32(w, uin);
	mml_wbuf_fill(w, 0x22, 15);
	mml_wbuf_varint(w, type);
	mml_wbuf_varint(w, raw);
	mml_wbuf_varint(w, zlen);
	uint8_t b1 = (uint8_t)((mml_wbuf_len(w) - h0) << 2 | compress);
	mml_wbuf_set(w, h0 + 1, &b1, 1);
}

/* A shortlink request: prefix (uri, host), business header, payload. */
static void short_request(mml_buf *b, const char *uri, const char *host, const void *payload, size_t n)
{
	mml_wbuf w = mml_wbuf_make(b);
	mml_wbuf_be32(&w, 0); /* total, set below */
	mml_wbuf_be16(&w, (uint16_t)strlen(uri));
	mml_wbuf_bytes(&w, uri, strlen(uri));
	mml_wbuf_be16(&w, (uint16_t)strlen(host));
	mml_wbuf_bytes(&w, host, strlen(host));
	size_t rest = mml_wbuf_len(&w);
	mml_wbuf_be32(&w, 0);
	biz_header(&w, 2, 5, 0x01020304u, 379, n, n);
	mml_wbuf_bytes(&w, payload, n);
	mml_wbuf_set_be32(&w, 0, (uint32_t)(mml_wbuf_len(&w) - 4));
	mml_wbuf_set_be32(&w, rest, (uint32_t)(mml_wbuf_len(&w) - rest - 4));
	wcheck(&w);
}

/* A longlink packet: len(4) | 16(2) | version 1 | cmd | seq | body. */
static void longlink_packet(mml_buf *b, uint32_t cmd, uint32_t seq, const void *body, size_t n)
{
	mml_wbuf w = mml_wbuf_make(b);
	mml_wbuf_be32(&w, (uint32_t)(16 + n));
	mml_wbuf_be16(&w, 16);
	mml_wbuf_be16(&w, 1);
	mml_wbuf_be32(&w, cmd);
	mml_wbuf_be32(&w, seq);
	mml_wbuf_bytes(&w, body, n);
	wcheck(&w);
}

TEST(envelope_shortlink_request_fields)
{
	mml_buf b = {0};
	short_request(&b, "/cgi-bin/micromsg-bin/getcdndns", "short.weixin.qq.com", "0123456789abcdef", 16);
	mml_envelope env;
	REQUIRE(mml_envelope_parse(b.p, b.len, MML_ENV_SHORT_REQ, &env) == MML_OK);
	CHECK(env.has_prefix && env.has_biz && !env.has_longlink);
	CHECK(env.uri_len == 31 && !memcmp(env.uri, "/cgi-bin/micromsg-bin/getcdndns", 31));
	CHECK(env.host_len == 19 && !memcmp(env.host, "short.weixin.qq.com", 19));
	CHECK_EQ(env.total_len, b.len - 4);
	CHECK_EQ(env.biz.compress, 2);
	CHECK_EQ(env.biz.algo, 5);
	CHECK_EQ(env.biz.cookie_len, 15);
	CHECK_EQ(env.biz.uin, 0x01020304u);
	CHECK_EQ(env.biz.client_version, 0x28001737u);
	CHECK(env.biz.nvarints == 3 && env.biz.varints[0] == 379 && env.biz.varints[1] == 16);
	CHECK(env.payload_len == 16 && !memcmp(env.payload, "0123456789abcdef", 16));
	/* the response form: the header alone */
	mml_buf r = {0};
	mml_wbuf w = mml_wbuf_make(&r);
	biz_header(&w, 1, 12, 7, 763, 100, 3);
	mml_wbuf_bytes(&w, "xyz", 3);
	wcheck(&w);
	REQUIRE(mml_envelope_parse(r.p, r.len, MML_ENV_SHORT_RESP, &env) == MML_OK);
	CHECK(!env.has_prefix && env.has_biz && env.biz.compress == 1 && env.biz.algo == 12 && env.payload_len == 3);
	/* a response without the header magic is not an envelope */
	CHECK_EQ(mml_envelope_parse((const uint8_t *)"xyz", 3, MML_ENV_SHORT_RESP, &env), MML_E_MALFORMED);
	mml_buf_free(&b);
	mml_buf_free(&r);
}

/* Every proper prefix of a request or packet is refused (never a shorter parse). */
TEST(envelope_every_prefix_refused)
{
	mml_buf rq = {0}, ll = {0}, inner = {0};
	short_request(&rq, "/cgi-bin/x", "h", "ab", 2);
	mml_wbuf w = mml_wbuf_make(&inner);
	biz_header(&w, 2, 13, 9, 138, 4, 4);
	mml_wbuf_bytes(&w, "data", 4);
	wcheck(&w);
	longlink_packet(&ll, 237, 5, inner.p, inner.len);
	mml_envelope env;
	for (size_t n = 0; n < rq.len; n++) {
		uint8_t *p = malloc(n ? n : 1); /* exactly sized: ASan sees a read past it */
		REQUIRE(p);
		memcpy(p, rq.p, n);
		mml_err e = mml_envelope_parse(p, n, MML_ENV_SHORT_REQ, &env);
		if (e == MML_OK)
			mml_test_fail(__FILE__, __LINE__, "request prefix of %zu bytes parsed", n);
		free(p);
	}
	for (size_t n = 0; n < ll.len; n++) {
		uint8_t *p = malloc(n ? n : 1);
		REQUIRE(p);
		memcpy(p, ll.p, n);
		mml_err e = mml_envelope_parse(p, n, MML_ENV_LONGLINK, &env);
		if (e != MML_E_TRUNCATED)
			mml_test_fail(__FILE__, __LINE__, "longlink prefix of %zu bytes: %s", n, mml_strerror(e));
		free(p);
	}
	REQUIRE(mml_envelope_parse(ll.p, ll.len, MML_ENV_LONGLINK, &env) == MML_OK);
	CHECK(env.has_longlink && env.ll_len == ll.len && env.ll_cmd == 237 && env.ll_seq == 5 && env.has_biz);
	CHECK(env.payload_len == 4 && !memcmp(env.payload, "data", 4));
	mml_buf_free(&rq);
	mml_buf_free(&ll);
	mml_buf_free(&inner);
}

TEST(envelope_business_header_bounds)
{
	mml_bizhdr h;
	/* the header's own length must hold its fixed part and cookie */
	static const uint8_t small[] = {0xbf, 10 << 2 | 2, 0x50, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9};
	mml_cur c = mml_cur_make(small, sizeof small);
	CHECK_EQ(mml_bizhdr_parse(&c, &h), MML_E_MALFORMED);
	/* a length past the bytes there */
	static const uint8_t longer[] = {0xbf, 30 << 2 | 2, 0x50, 1, 2, 3, 4, 5, 6, 7, 8};
	c = mml_cur_make(longer, sizeof longer);
	CHECK_EQ(mml_bizhdr_parse(&c, &h), MML_E_TRUNCATED);
	/* not the magic */
	static const uint8_t magic[] = {0xbe, 11 << 2 | 2, 0x50, 1, 2, 3, 4, 5, 6, 7, 8};
	c = mml_cur_make(magic, sizeof magic);
	CHECK_EQ(mml_bizhdr_parse(&c, &h), MML_E_MALFORMED);
	/* varints stop at a tail that is not one (an unfinished varint); the cursor ends at the header's end */
	static const uint8_t tail[] = {0xbf, 16 << 2 | 1, 0x50, 1, 2, 3, 4, 5, 6, 7, 8, 0x7b, 0x05, 0x03, 0xff, 0xff, 0xaa};
	c = mml_cur_make(tail, sizeof tail);
	REQUIRE(mml_bizhdr_parse(&c, &h) == MML_OK);
	CHECK(h.nvarints == 3 && h.varints[0] == 123 && h.varints[2] == 3 && c.off == 16 && h.raw == tail);
}

TEST(envelope_longlink_header_checks)
{
	mml_envelope env;
	static const uint8_t short_hl[] = {0, 0, 0, 20, 0, 15, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0};
	CHECK_EQ(mml_envelope_parse(short_hl, sizeof short_hl, MML_ENV_LONGLINK, &env), MML_E_MALFORMED);
	static const uint8_t len_lt_hl[] = {0, 0, 0, 10, 0, 16, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
	CHECK_EQ(mml_envelope_parse(len_lt_hl, sizeof len_lt_hl, MML_ENV_LONGLINK, &env), MML_E_MALFORMED);
	static const uint8_t past[] = {0, 0, 0, 40, 0, 16, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 'a'};
	CHECK_EQ(mml_envelope_parse(past, sizeof past, MML_ENV_LONGLINK, &env), MML_E_TRUNCATED);
	/* a plain body (no business header) is a payload, and the packet's length bounds it */
	static const uint8_t plain[] = {0, 0, 0, 19, 0, 16, 0, 1, 0, 0, 0, 6, 0, 0, 0, 2, 'a', 'b', 'c', 'z', 'z'};
	REQUIRE(mml_envelope_parse(plain, sizeof plain, MML_ENV_LONGLINK, &env) == MML_OK);
	CHECK(!env.has_biz && env.payload_len == 3 && !memcmp(env.payload, "abc", 3) && env.ll_cmd == 6);
}

/* ---- the message processor ---- */

typedef struct got {
	int n;
	struct {
		mml_status st;
		mml_inflate_state inf;
		bool compressed;
		size_t len;
		uint8_t head[8];
	} m[8];
} got;

static void got_msg(void *ctx, const mml_msg *m)
{
	got *g = ctx;
	if (g->n >= 8)
		return;
	g->m[g->n].st = m->status;
	g->m[g->n].inf = m->inflate;
	g->m[g->n].compressed = m->compressed;
	g->m[g->n].len = m->body_len;
	memcpy(g->m[g->n].head, m->body, m->body_len < 8 ? m->body_len : 8);
	g->n++;
}

/* Hand one decrypted (or plain) outer unit to a processor without keys. */
static void process(mml_transport tr, const uint8_t *p, size_t n, got *g, mml_stats *st)
{
	mml_keylog kl;
	mml_keylog_init(&kl);
	mml_catalog cat;
	mml_catalog_init(&cat);
	memset(g, 0, sizeof *g);
	memset(st, 0, sizeof *st);
	mml_envproc_cfg cfg = {0};
	mml_envproc *ep = mml_envproc_new(&cfg, &kl, &cat, st, got_msg, g);
	if (!ep)
		abort();
	mml_outer o;
	memset(&o, 0, sizeof o);
	o.transport = tr;
	o.status = tr == MML_TR_HTTP ? MML_ST_PLAINTEXT : MML_ST_DECRYPTED;
	o.data = p;
	o.len = n;
	mml_envproc_outer(ep, &o);
	mml_envproc_free(ep);
	mml_catalog_free(&cat);
	mml_keylog_free(&kl);
}

TEST(envelope_longlink_record_packets_and_zlib_sniffing)
{
	/* one record, three packets: a zlib body, a protobuf that passes the
	 * zlib header check (08 1d: field 1 = 29), and a preset-dictionary one */
	static const char text[] = "hello hello hello hello hello";
	mml_buf z = {0}, rec = {0};
	mml_buf_init(&z, 0);
	REQUIRE(mml_deflate((const uint8_t *)text, sizeof text - 1, &z) == MML_OK);
	REQUIRE(mml_zlib_magic(z.p, z.len));
	static const uint8_t pb[] = {0x08, 0x1d, 0x12, 0x01, 'x'};
	static const uint8_t fdict[] = {0x78, 0xbb, 0x00, 0x00, 0x00, 0x01, 0x02};
	CHECK(mml_zlib_magic(pb, sizeof pb) && !mml_zlib_magic(fdict, sizeof fdict));
	longlink_packet(&rec, 1, 1, z.p, z.len);
	longlink_packet(&rec, 1, 2, pb, sizeof pb);
	longlink_packet(&rec, 1, 3, fdict, sizeof fdict);
	got g;
	mml_stats st;
	process(MML_TR_LONGLINK, rec.p, rec.len, &g, &st);
	REQUIRE(g.n == 3);
	CHECK(g.m[0].compressed && g.m[0].inf == MML_INF_OK && g.m[0].len == sizeof text - 1 &&
	      !memcmp(g.m[0].head, "hello he", 8));
	/* the sniff is only a guess: a body it misjudged stays as it was */
	CHECK(!g.m[1].compressed && g.m[1].inf == MML_INF_NONE && g.m[1].len == sizeof pb);
	CHECK(!g.m[2].compressed && g.m[2].inf == MML_INF_NONE && g.m[2].len == sizeof fdict);
	CHECK_EQ(st.messages, 3);
	/* a record that ends inside a packet: the rest is reported, truncated */
	process(MML_TR_LONGLINK, rec.p, rec.len - 2, &g, &st);
	REQUIRE(g.n == 3);
	CHECK(g.m[2].st == MML_ST_TRUNCATED && st.msg_truncated == 1);
	/* a plain HTTP body is sniffed the same way */
	process(MML_TR_HTTP, z.p, z.len, &g, &st);
	CHECK(g.n == 1 && g.m[0].compressed && g.m[0].len == sizeof text - 1);
	mml_buf_free(&z);
	mml_buf_free(&rec);
}

/* A zlib bomb behind a valid CBC layer hits the inflate cap. */
TEST(envelope_zlib_bomb_hits_cap)
{
	const size_t big = (size_t)32 << 20, cap = (size_t)1 << 20;
	uint8_t *zeros = calloc(1, big);
	REQUIRE(zeros);
	mml_buf z;
	mml_buf_init(&z, 0);
	mml_err ze = mml_deflate(zeros, big, &z);
	free(zeros);
	REQUIRE(ze == MML_OK);
	uint8_t key[16];
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(0x30 + i);
	mml_aead a;
	REQUIRE(mml_aead_init(&a) == MML_OK);
	/* business header (compressed, CBC), then the ciphertext */
	mml_buf env = {0};
	mml_wbuf w = mml_wbuf_make(&env);
	biz_header(&w, 1, 5, 0x11111111u, 379, big, z.len);
	size_t at = mml_wbuf_len(&w), ctlen = 0;
	uint8_t *ct = mml_wbuf_room(&w, z.len + 16);
	REQUIRE(ct && mml_cbc_seal(&a, key, key, z.p, z.len, ct, &ctlen) == MML_OK);
	mml_wbuf_drop(&w, at + ctlen, z.len + 16 - ctlen);
	wcheck(&w);
	char keyhex[33], tailhex[17], line[256];
	mml_hex_encode(key, 16, keyhex);
	mml_hex_encode(env.p + env.len - 8, 8, tailhex);
	int ll = snprintf(line, sizeof line,
	                  "{\"layer\":\"INNER\",\"encrypt\":false,\"key\":\"%s\",\"nonce\":\"%s\",\"metadata\":\"\","
	                  "\"tail\":\"%s\"}\n",
	                  keyhex, keyhex, tailhex);
	mml_stats st;
	memset(&st, 0, sizeof st);
	mml_keylog kl;
	mml_keylog_init(&kl);
	REQUIRE(mml_keylog_parse(&kl, line, (size_t)ll, NULL, NULL, "t", &st) == MML_OK);
	mml_catalog cat;
	mml_catalog_init(&cat);
	got g;
	memset(&g, 0, sizeof g);
	mml_envproc_cfg cfg = {.max_body = cap};
	mml_envproc *p = mml_envproc_new(&cfg, &kl, &cat, &st, got_msg, &g);
	REQUIRE(p);
	mml_flow fl;
	memset(&fl, 0, sizeof fl);
	mml_outer o;
	memset(&o, 0, sizeof o);
	o.flow = &fl;
	o.dir = 1;
	o.transport = MML_TR_SHORTLINK;
	o.status = MML_ST_DECRYPTED;
	o.data = env.p;
	o.len = env.len;
	mml_envproc_outer(p, &o);
	CHECK_EQ(g.n, 1);
	CHECK_EQ(g.m[0].st, MML_ST_DECRYPTED);
	CHECK_EQ(g.m[0].inf, MML_INF_CAPPED);
	CHECK_EQ(g.m[0].len, cap);
	CHECK_EQ(st.msg_inflate_capped, 1);
	mml_test_note("%zu compressed bytes claiming %zu MiB stopped at the %zu MiB cap", z.len, big >> 20, cap >> 20);
	mml_envproc_free(p);
	mml_catalog_free(&cat);
	mml_keylog_free(&kl);
	mml_aead_free(&a);
	mml_buf_free(&env);
	mml_buf_free(&z);
}

/* ---- instrumentation plaintext logs ---- */

static void count_diag(void *ctx, const char *fmt, ...)
{
	(void)fmt;
	++*(int *)ctx;
}

TEST(envelope_plainlog_zlib_bad_lines_and_the_end)
{
	static const char text[] = "a plain log body, a plain log body";
	mml_buf z = {0};
	mml_buf_init(&z, 0);
	REQUIRE(mml_deflate((const uint8_t *)text, sizeof text - 1, &z) == MML_OK);
	char *hex = malloc(2 * z.len + 1);
	REQUIRE(hex);
	mml_hex_encode(z.p, z.len, hex);
	char path[600];
	snprintf(path, sizeof path, "%s/plain.jsonl", mml_test_tmpdir());
	FILE *f = fopen(path, "w");
	REQUIRE(f);
	fprintf(f, "{\"data\":\"%s\",\"req_id\":139,\"req_type\":\"/cgi-bin/micromsg-bin/newsync\"}\n", hex);
	fprintf(f, "{\"data\":\"081d12017a\",\"req_id\":\"138\",\"req_type\":null}\n"); /* not 78: stays */
	fprintf(f, "\n   \n");                                                        /* blank: skipped */
	fprintf(f, "{\"data\":\"78bb0000\",\"req_id\":1}\n");                          /* FDICT: stays */
	fprintf(f, "{\"data\":\"abc\",\"req_id\":1}\n");                               /* odd hex: bad */
	fprintf(f, "[1,2]\n");                                                        /* not an object: bad */
	fprintf(f, "{\"data\":\"\"}");                                                /* empty body, no newline */
	fclose(f);
	free(hex);
	int diags = 0;
	mml_plainlog *l = mml_plainlog_open(path, NULL, 0, count_diag, &diags);
	REQUIRE(l);
	mml_msg m;
	REQUIRE(mml_plainlog_next(l, &m) == MML_OK);
	CHECK(m.id == 1 && m.compressed && m.inflate == MML_INF_OK && m.body_len == sizeof text - 1 &&
	      !memcmp(m.body, text, m.body_len) && m.req_type == 139);
	CHECK_STR(m.api, "/cgi-bin/micromsg-bin/newsync");
	REQUIRE(mml_plainlog_next(l, &m) == MML_OK);
	CHECK(m.id == 2 && !m.compressed && m.inflate == MML_INF_NONE && m.body_len == 5 && m.req_type == 138);
	REQUIRE(mml_plainlog_next(l, &m) == MML_OK);
	CHECK(m.id == 5 && !m.compressed && m.body_len == 4);
	REQUIRE(mml_plainlog_next(l, &m) == MML_OK);
	CHECK(m.id == 8 && m.body_len == 0 && m.body != NULL);
	/* the end is the end, every time: not "more bytes" */
	CHECK_EQ(mml_plainlog_next(l, &m), MML_E_END);
	CHECK_EQ(mml_plainlog_next(l, &m), MML_E_END);
	CHECK_EQ(mml_plainlog_bad_lines(l), 2);
	CHECK_EQ(diags, 2);
	mml_plainlog_close(l);
	mml_buf_free(&z);
}
