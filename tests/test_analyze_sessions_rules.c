/*
 * tests/test_analyze_sessions_rules.c - the session rules of docs/SESSIONS.md on
 * synthetic observations and messages: logged-out periods (before an
 * auto-login, leading into a manual login, neutral DNS lookups before an
 * app start, responses never opening), payload times that are not send
 * times (the comment pattern of a moments post's time), payload jumps
 * that still split, trusted capture-time jumps, the client version
 * (tree, table, formatting); and on real data: the shared log's five
 * sessions and its time-only split, and the client version of the log
 * and of the real capture (fed through the decrypt output).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/analyze.h"
#include "mmlens/cli.h"
#include "test.h"
#include "util.h"

#define V8023 0x28001737u /* 671094583: WeChat 8.0.23 for Android */

typedef struct got {
	mml_session s[64];
	size_t n;
} got;

static void collect(void *ctx, const mml_session *s)
{
	got *g = ctx;
	if (g->n < 64)
		g->s[g->n++] = *s;
}

/* One observation; ts 0: none. */
static void ob(mml_sessions *s, uint64_t id, int64_t req_type, mml_sess_body body, int64_t ts, bool trusted)
{
	mml_sess_obs o = {.id = id, .req_type = req_type, .body = body, .has_ts = ts != 0, .ts = ts, .ts_trusted = trusted};
	mml_sessions_observe(s, &o);
}

#define E MML_SESS_BODY_EMPTY
#define D MML_SESS_BODY_DATA
#define N MML_SESS_BODY_NEUTRAL

static void check_span(const mml_session *s, uint64_t first, uint64_t last)
{
	CHECK_EQ(s->first, first);
	CHECK_EQ(s->last, last);
	CHECK_EQ(s->messages, last - first + 1);
}

/* ---- logged-out periods ---- */

TEST(sessions_rules_logged_out_before_auto_login)
{
	got g = {0};
	mml_sessions s;
	mml_sessions_init(&s, collect, &g);
	ob(&s, 1, 763, E, 0, false); /* an app start */
	ob(&s, 2, 216, D, 0, false);
	ob(&s, 3, 522, D, 0, false);
	ob(&s, 4, 784, E, 0, false); /* logged out: three resource checks (a language changed twice) */
	ob(&s, 5, 784, E, 0, false);
	ob(&s, 6, 784, E, 0, false);
	ob(&s, 7, 763, E, 0, false); /* the app started again with stored credentials */
	ob(&s, 8, 216, D, 0, false);
	ob(&s, 9, 784, E, 0, false); /* one check, then an app start */
	ob(&s, 10, 763, E, 0, false);
	ob(&s, 11, 138, D, 0, false);
	ob(&s, 12, 784, E, 0, false); /* the input ends logged out */
	ob(&s, 13, 784, E, 0, false);
	mml_sessions_finish(&s);
	REQUIRE(g.n == 6);
	check_span(&g.s[0], 1, 3);
	CHECK(!g.s[0].logged_out);
	CHECK_EQ(g.s[0].login, 763);
	check_span(&g.s[1], 4, 6);
	CHECK(g.s[1].logged_out);
	CHECK(g.s[1].why == MML_SESS_OPENER);
	CHECK_EQ(g.s[1].opener, 784);
	CHECK_EQ(g.s[1].login, -1);
	check_span(&g.s[2], 7, 8);
	CHECK(!g.s[2].logged_out);
	CHECK_EQ(g.s[2].opener, 763);
	check_span(&g.s[3], 9, 9);
	CHECK(g.s[3].logged_out);
	check_span(&g.s[4], 10, 11);
	check_span(&g.s[5], 12, 13);
	CHECK(g.s[5].logged_out);
	CHECK_EQ(g.s[5].index, 6);
	mml_sessions_free(&s);
}

TEST(sessions_rules_logged_out_into_manual_login)
{
	got g = {0};
	mml_sessions s;
	mml_sessions_init(&s, collect, &g);
	/* the shared log's first lines: 784, 145 x9, 252, all empty, then logged-in traffic */
	ob(&s, 1, 784, E, 0, false);
	for (uint64_t i = 2; i <= 10; i++)
		ob(&s, i, 145, E, 0, false);
	ob(&s, 11, 252, E, 0, false);
	ob(&s, 12, 721, D, 0, false);
	ob(&s, 13, 138, D, 0, false);
	/* a login after logged-in traffic, without a pre-login check: a new session */
	ob(&s, 14, 145, E, 0, false);
	ob(&s, 15, 145, E, 0, false);
	ob(&s, 16, 252, E, 0, false);
	ob(&s, 17, 721, D, 0, false);
	/* an auto-login that failed, then the user logging in: one app start */
	ob(&s, 18, 763, E, 0, false);
	ob(&s, 19, 784, E, 0, false);
	ob(&s, 20, 252, E, 0, false);
	ob(&s, 21, 763, E, 0, false); /* an auto-login right after a login: the same burst */
	ob(&s, 22, 216, D, 0, false);
	mml_sessions_finish(&s);
	REQUIRE(g.n == 3);
	check_span(&g.s[0], 1, 13);
	CHECK_EQ(g.s[0].opener, 784);
	CHECK_EQ(g.s[0].login, 145);
	CHECK(!g.s[0].logged_out);
	check_span(&g.s[1], 14, 17);
	CHECK_EQ(g.s[1].opener, 145);
	check_span(&g.s[2], 18, 22);
	CHECK_EQ(g.s[2].opener, 763);
	CHECK(!g.s[2].logged_out);
	mml_sessions_free(&s);
}

/* A message as the decrypt pipeline hands it over. */
typedef struct fake {
	mml_msg m;
	mml_outer out;
} fake;

static void fake_msg(fake *f, uint64_t id, int dir, int64_t req_type, const char *api, size_t body_len, uint64_t ts_us)
{
	static const uint8_t bytes[64] = {0x08, 0x01};
	memset(f, 0, sizeof *f);
	f->out.dir = dir;
	f->out.ts_us = ts_us;
	f->out.status = MML_ST_DECRYPTED;
	f->m.id = id;
	f->m.outer = &f->out;
	f->m.status = api && strstr(api, "newgetdns") ? MML_ST_PLAINTEXT : MML_ST_DECRYPTED;
	f->m.req_type = req_type;
	f->m.api = api;
	f->m.uri = api;
	f->m.body = bytes;
	f->m.body_len = body_len;
}

TEST(sessions_rules_dns_and_responses_do_not_open)
{
	got g = {0};
	mml_sessions s;
	mml_sessions_init(&s, collect, &g);
	const uint64_t t = 1701738555000000ull;
	static const char dns[] = "/cgi-bin/micromsg-bin/newgetdns";
	fake f;
	fake_msg(&f, 1, 0, -1, dns, 0, t); /* the DNS lookup of an app start: a GET, and its answer */
	mml_sessions_feed(&s, &f.m, NULL);
	fake_msg(&f, 2, 1, -1, dns, 2876, t + 100000);
	mml_sessions_feed(&s, &f.m, NULL);
	fake_msg(&f, 3, 0, 763, "/cgi-bin/micromsg-bin/secautoauth", 40, t + 600000);
	mml_sessions_feed(&s, &f.m, NULL);
	fake_msg(&f, 4, 0, 379, "/cgi-bin/micromsg-bin/getcdndns", 53, t + 900000);
	mml_sessions_feed(&s, &f.m, NULL);
	fake_msg(&f, 5, 1, 763, "/cgi-bin/micromsg-bin/secautoauth", 40, t + 1000000); /* a late answer */
	mml_sessions_feed(&s, &f.m, NULL);
	fake_msg(&f, 6, 1, 379, "/cgi-bin/micromsg-bin/getcdndns", 0, t + 1100000);
	f.m.status = f.out.status = MML_ST_NO_KEY;
	mml_sessions_feed(&s, &f.m, NULL);
	mml_sessions_finish(&s);
	REQUIRE(g.n == 1);
	check_span(&g.s[0], 1, 6);
	CHECK(g.s[0].why == MML_SESS_FIRST);
	CHECK_EQ(g.s[0].opener, -1);
	CHECK_EQ(g.s[0].login, 763);
	CHECK(!g.s[0].logged_out);
	CHECK_EQ(g.s[0].start_ts, 1701738555);
	CHECK_EQ(g.s[0].end_ts, 1701738556);

	/* the same lookup answered with a body that is not DNS: logged-in
	 * traffic, so the auto-login starts a new session */
	memset(&g, 0, sizeof g);
	mml_sessions_init(&s, collect, &g);
	fake_msg(&f, 1, 1, -1, "/cgi-bin/micromsg-bin/getcdndns", 53, t);
	mml_sessions_feed(&s, &f.m, NULL);
	fake_msg(&f, 2, 0, 763, "/cgi-bin/micromsg-bin/secautoauth", 40, t + 1000000);
	mml_sessions_feed(&s, &f.m, NULL);
	mml_sessions_finish(&s);
	CHECK_EQ(g.n, 2);
	mml_sessions_free(&s);
}

/* ---- payload times ---- */

TEST(sessions_rules_payload_time_not_a_send_time)
{
	got g = {0};
	mml_sessions s;
	mml_sessions_init(&s, collect, &g);
	const int64_t t0 = 1681363022, post = 1681397456;
	/* lines 1058-1090 of the collection's cumulative log: the session's
	 * clock, then a post's time (twice) and a time 1001 s after it, then
	 * the comment back on the session's clock */
	ob(&s, 1, 763, E, 0, false);
	ob(&s, 2, 3930, D, t0, false);
	ob(&s, 3, 251, D, t0 + 2, false);
	ob(&s, 4, 3565, D, t0, false);
	ob(&s, 5, 138, D, 0, false);
	ob(&s, 6, 212, D, post, false);
	CHECK(s.pend.open);
	CHECK_EQ(s.pend.s.first, 6);
	ob(&s, 7, 6611, D, post + 1001, false);
	ob(&s, 8, 212, D, post, false); /* runs back 1001 s: not a clock */
	CHECK(s.pend.open);
	CHECK(s.msg_has_ts);
	ob(&s, 9, 213, D, t0 + 50, false);
	CHECK(!s.pend.open);
	CHECK(s.msg_has_ts);
	CHECK_EQ(s.msg_ts, t0 + 50);
	/* three clock-like times that return within the lookahead: noise too */
	ob(&s, 10, 212, D, post, false);
	ob(&s, 11, 6611, D, post + 10, false);
	ob(&s, 12, 212, D, post + 20, false);
	CHECK(s.pend.open);
	ob(&s, 13, 213, D, t0 + 60, false);
	CHECK(!s.pend.open);
	ob(&s, 14, 784, E, 0, false);
	mml_sessions_finish(&s);
	REQUIRE(g.n == 2);
	check_span(&g.s[0], 1, 13);
	CHECK_EQ(g.s[0].start_ts, t0);
	CHECK_EQ(g.s[0].end_ts, t0 + 60);
	check_span(&g.s[1], 14, 14);
	mml_sessions_free(&s);
}

TEST(sessions_rules_payload_jump_still_splits)
{
	got g = {0};
	mml_sessions s;
	mml_sessions_init(&s, collect, &g);
	const int64_t t0 = 1681400000, t1 = t0 + 10 * 86400;
	for (uint64_t i = 1; i <= 4; i++)
		ob(&s, i, -1, D, t0 + (int64_t)i, false);
	ob(&s, 5, -1, D, t1, false); /* another day, no opener */
	ob(&s, 6, -1, D, 0, false);
	ob(&s, 7, -1, D, t1 - 200, false); /* a little back: still a clock */
	ob(&s, 8, -1, D, t1 + 30, false);
	CHECK(s.pend.open); /* confirmed, waiting for the lookahead */
	CHECK_EQ(s.pend.s.first, 5);
	CHECK_EQ(g.n, 0);
	ob(&s, 9, -1, D, t1 - 3000, false); /* far back: not a send time, but not the old clock either */
	ob(&s, 10, -1, D, t1 + 40, false);
	CHECK(!s.pend.open);
	REQUIRE(g.n == 1);
	check_span(&g.s[0], 1, 4);
	CHECK_EQ(g.s[0].end_ts, t0 + 4);
	/* a confirmed jump whose lookahead the session's end cuts short stands */
	ob(&s, 11, -1, D, t1 + 4 * 86400, false);
	ob(&s, 12, -1, D, t1 + 4 * 86400 + 5, false);
	ob(&s, 13, -1, D, t1 + 4 * 86400 + 9, false);
	ob(&s, 14, 763, E, 0, false);
	ob(&s, 15, -1, D, t1 + 4 * 86400 + 9, false);
	mml_sessions_finish(&s);
	REQUIRE(g.n == 4);
	check_span(&g.s[1], 5, 10);
	CHECK(g.s[1].why == MML_SESS_JUMP);
	CHECK_EQ(g.s[1].start_ts, t1 - 200);
	CHECK_EQ(g.s[1].end_ts, t1 + 40);
	check_span(&g.s[2], 11, 13);
	CHECK(g.s[2].why == MML_SESS_JUMP);
	check_span(&g.s[3], 14, 15);
	mml_sessions_free(&s);
}

TEST(sessions_rules_trusted_capture_jumps)
{
	got g = {0};
	mml_sessions s;
	mml_sessions_init(&s, collect, &g);
	const int64_t t = 1701738555;
	ob(&s, 1, 784, E, t, true);
	ob(&s, 2, 138, D, t + 1, true);
	ob(&s, 3, 138, D, t + 3 * 3600, true); /* one trusted jump splits */
	ob(&s, 4, 784, E, t + 3 * 3600 + 10, true);
	ob(&s, 5, 145, E, t + 8 * 3600, true); /* a burst of openers does not bridge a jump */
	ob(&s, 6, 252, E, t + 8 * 3600 + 20, true);
	mml_sessions_finish(&s);
	REQUIRE(g.n == 4);
	check_span(&g.s[0], 1, 2);
	check_span(&g.s[1], 3, 3);
	CHECK(g.s[1].why == MML_SESS_JUMP);
	check_span(&g.s[2], 4, 4);
	CHECK(g.s[2].logged_out);
	check_span(&g.s[3], 5, 6);
	CHECK_EQ(g.s[3].opener, 145);
	CHECK_EQ(g.s[3].start_ts, t + 8 * 3600);
	mml_sessions_free(&s);
}

/* ---- the client version ---- */

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* 1 { 1: "\0", 2: uin, 3: device id, 4: version, [5: "android-32"] }, 2: 7 */
static size_t base_request(uint8_t *b, uint64_t version, bool devtype)
{
	uint8_t br[64];
	size_t n = 0;
	br[n++] = (1 << 3) | 2;
	br[n++] = 1;
	br[n++] = 0;
	br[n++] = 2 << 3;
	n += put_varint(br + n, 1505495844);
	br[n++] = (3 << 3) | 2;
	br[n++] = 16;
	memcpy(br + n, "A9543d226cb39f0", 16);
	n += 16;
	br[n++] = 4 << 3;
	n += put_varint(br + n, version);
	if (devtype) {
		br[n++] = (5 << 3) | 2;
		br[n++] = 10;
		memcpy(br + n, "android-32", 10);
		n += 10;
	}
	size_t m = 0;
	b[m++] = (1 << 3) | 2;
	b[m++] = (uint8_t)n;
	memcpy(b + m, br, n);
	m += n;
	b[m++] = 2 << 3;
	b[m++] = 7;
	return m;
}

TEST(sessions_rules_client_version)
{
	char v[16];
	CHECK(mml_client_version_str(V8023, v, sizeof v));
	CHECK_STR(v, "8.0.23");
	CHECK(mml_client_version_str(0x18002231u, v, sizeof v)); /* an iPhone's 8.0.34 */
	CHECK_STR(v, "8.0.34");
	CHECK(!mml_client_version_str(0, v, sizeof v));
	CHECK_STR(v, "");
	CHECK(!mml_client_version_str(0x00001737u, v, sizeof v));

	uint8_t b[128];
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	REQUIRE(mml_decode_body(&t, b, base_request(b, V8023, true)) == MML_OK);
	CHECK_EQ(mml_msg_client_version(&t), V8023);
	REQUIRE(mml_decode_body(&t, b, base_request(b, V8023, false)) == MML_OK);
	CHECK_EQ(mml_msg_client_version(&t), 0); /* no device type: not a BaseRequest */
	REQUIRE(mml_decode_body(&t, b, base_request(b, 42, true)) == MML_OK);
	CHECK_EQ(mml_msg_client_version(&t), 0);
	CHECK_EQ(mml_msg_client_version(NULL), 0);
	mml_dtree_free(&t);

	/* the value seen most, from a table of MML_SESS_NVER */
	got g = {0};
	mml_sessions s;
	mml_sessions_init(&s, collect, &g);
	static const uint32_t seen[] = {0x28001737, 0x28001737, 0x28003135, 0x28001737, 0x28001637,
	                                0x28001537, 0x28001437, 0x28001337, 0x28001737, 0};
	for (size_t i = 0; i < sizeof seen / sizeof seen[0]; i++) {
		mml_sess_obs o = {.id = i + 1, .req_type = 138, .client_version = seen[i]};
		mml_sessions_observe(&s, &o);
	}
	mml_sessions_finish(&s);
	REQUIRE(g.n == 1);
	CHECK_EQ(g.s[0].client_version, V8023);
	CHECK_STR(g.s[0].app_version, "8.0.23");
	/* none seen */
	memset(&g, 0, sizeof g);
	mml_sessions_init(&s, collect, &g);
	ob(&s, 1, 784, E, 0, false);
	mml_sessions_finish(&s);
	REQUIRE(g.n == 1);
	CHECK_EQ(g.s[0].client_version, 0);
	CHECK_STR(g.s[0].app_version, "");
	mml_sessions_free(&s);
}

/* ---- real data ---- */

/* Feed a plaintext log through the splitter; strip: every request type unknown. */
static size_t feed_log(const char *path, bool strip, got *g)
{
	mml_plainlog *l = mml_plainlog_open(path, NULL, 0, NULL, NULL);
	if (!l)
		return 0;
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	mml_sessions s;
	mml_sessions_init(&s, collect, g);
	mml_msg m;
	size_t n = 0;
	while (mml_plainlog_next(l, &m) == MML_OK) {
		const mml_dtree *tree = NULL;
		if (m.body && m.body_len && mml_decode_body(&t, m.body, m.body_len) == MML_OK)
			tree = &t;
		if (strip)
			m.req_type = -1;
		mml_sessions_feed(&s, &m, tree);
		n++;
	}
	mml_sessions_finish(&s);
	mml_sessions_free(&s);
	mml_dtree_free(&t);
	mml_plainlog_close(l);
	return n;
}

TEST(sessions_rules_real_log_sessions_and_version)
{
	const char *log = mml_test_data("wechat-logs/startup_permissions_on_2.log.jsonl");
	got g = {0};
	REQUIRE(feed_log(log, false, &g) == 304);
	static const uint64_t want[][3] = {
		{1, 115, 145}, {116, 141, 145}, {142, 180, 763}, {181, 271, 763}, {272, 304, 763},
	};
	REQUIRE(g.n == 5);
	for (size_t i = 0; i < 5; i++) {
		check_span(&g.s[i], want[i][0], want[i][1]);
		CHECK_EQ(g.s[i].login, want[i][2]);
		CHECK(!g.s[i].logged_out);
		CHECK_EQ(g.s[i].client_version, V8023);
		CHECK_STR(g.s[i].app_version, "8.0.23");
	}
	/* payload times alone find the three days, each a little late */
	memset(&g, 0, sizeof g);
	REQUIRE(feed_log(log, true, &g) == 304);
	REQUIRE(g.n == 3);
	check_span(&g.s[0], 1, 148);
	check_span(&g.s[1], 149, 276);
	check_span(&g.s[2], 277, 304);
	CHECK(g.s[1].why == MML_SESS_JUMP && g.s[2].why == MML_SESS_JUMP);
}

TEST(sessions_rules_real_capture_version)
{
	t_run r;
	t_decrypt(&r, mml_test_data("mmtls-capture/capture-logged-in-all-keys.pcapng"),
	          mml_test_data("mmtls-capture/frida-logged-in-all-keys.log"), NULL);
	REQUIRE(r.rc == MML_EXIT_OK);
	got g = {0};
	mml_sessions s;
	mml_sessions_init(&s, collect, &g);
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	uint8_t *body = NULL;
	size_t i, with_version = 0;
	json_t *o;
	json_array_foreach(r.messages, i, o)
	{
		const char *hex = t_str(o, "body_hex"), *st = t_str(o, "status"), *dir = t_str(o, "dir");
		size_t hn = hex ? strlen(hex) / 2 : 0;
		free(body);
		body = malloc(hn + 1);
		if (!body)
			break;
		size_t bn = 0;
		if (hn && (mml_hex_decode(hex, 2 * hn, body, hn, &bn) != MML_OK || bn != hn)) {
			mml_test_fail(__FILE__, __LINE__, "message %zu: body_hex is not hex", i);
			hn = 0;
		}
		mml_outer out = {.dir = dir && !strcmp(dir, "response"),
		                 .ts_us = (uint64_t)(json_number_value(json_object_get(o, "ts")) * 1e6)};
		mml_msg m = {.id = (uint64_t)t_int(o, "id"), .outer = &out, .req_type = t_int(o, "req_type"),
		             .api = t_str(o, "api"), .body = body, .body_len = hn};
		m.status = st && !strcmp(st, "decrypted") ? MML_ST_DECRYPTED
		           : st && !strcmp(st, "plaintext") ? MML_ST_PLAINTEXT
		                                             : MML_ST_NO_KEY;
		const mml_dtree *tree = NULL;
		if (hn && mml_decode_body(&t, body, hn) == MML_OK) {
			tree = &t;
			with_version += mml_msg_client_version(tree) != 0;
		}
		mml_sessions_feed(&s, &m, tree);
	}
	mml_sessions_finish(&s);
	mml_sessions_free(&s);
	free(body);
	mml_dtree_free(&t);
	size_t nmsg = json_array_size(r.messages);
	t_run_free(&r);
	/* one app start: DNS lookups, secautoauth, logged-in traffic. The
	 * data's README says WeChat 8.0.49; every BaseRequest announces
	 * 0x28001737, 8.0.23 (as the published analysis' own example does). */
	mml_test_note("%zu messages, %zu announcing a client version", nmsg, with_version);
	CHECK_EQ(nmsg, 54);
	CHECK(with_version >= 10);
	REQUIRE(g.n == 1);
	check_span(&g.s[0], 1, nmsg);
	CHECK(g.s[0].why == MML_SESS_FIRST);
	CHECK_EQ(g.s[0].login, 763);
	CHECK(!g.s[0].logged_out);
	CHECK_EQ(g.s[0].client_version, V8023);
	CHECK_STR(g.s[0].app_version, "8.0.23");
}
