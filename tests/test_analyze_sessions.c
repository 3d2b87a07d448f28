/*
 * tests/test_analyze_sessions.c - session splitting (stage 7): the per-message
 * time from a decoded body, the streaming splitter on synthetic messages
 * (time jumps, bursts of auth requests, payload-time outliers), and
 * `mmlens sessions` on the real log (the five sessions its README names)
 * and on a simulated capture (times from the capture).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/analyze.h"
#include "mmlens/cli.h"
#include "test.h"
#include "util.h"

/* ---- helpers ---- */

typedef struct got {
	mml_session s[32];
	size_t n;
} got;

static void collect(void *ctx, const mml_session *s)
{
	got *g = ctx;
	if (g->n < 32)
		g->s[g->n++] = *s;
}

static void obs(mml_sessions *s, uint64_t id, int64_t req_type, int64_t ts, bool trusted)
{
	mml_sess_obs o = {.id = id, .req_type = req_type, .has_ts = ts != 0, .ts = ts, .ts_trusted = trusted};
	mml_sessions_observe(s, &o);
}

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

/* Run `mmlens sessions` with -o into a temp file; the JSONL lines. */
static json_t *run_sessions(const char *tag, const char *keys, const char *input, int *rc)
{
	char out[512];
	snprintf(out, sizeof out, "%s/%s.sessions", mml_test_tmpdir(), tag);
	char *av[8];
	int ac = 0;
	av[ac++] = "sessions";
	if (keys) {
		av[ac++] = "-k";
		av[ac++] = (char *)keys;
	}
	av[ac++] = "-o";
	av[ac++] = out;
	av[ac++] = (char *)input;
	av[ac] = NULL;
	FILE *err = tmpfile();
	*rc = mml_cmd_sessions(ac, av, err);
	fclose(err);
	return t_load_jsonl(out);
}

static int64_t jint(json_t *o, const char *k) { return (int64_t)json_integer_value(json_object_get(o, k)); }

/* ---- the time in a body ---- */

TEST(sessions_msg_time_from_tree)
{
	uint8_t b[128];
	size_t n = 0;
	/* 1 { 2: uin } is BaseRequest.uin, which looks like a 2017 time */
	uint8_t br[16];
	size_t bn = 0;
	br[bn++] = 2 << 3;
	bn += put_varint(br + bn, 1505495844);
	b[n++] = (1 << 3) | 2;
	b[n++] = (uint8_t)bn;
	memcpy(b + n, br, bn);
	n += bn;
	b[n++] = 3 << 3; /* a time in seconds */
	n += put_varint(b + n, 1683146526);
	b[n++] = 5 << 3; /* a small number: not a time */
	n += put_varint(b + n, 42);
	const char *ms = "1683146530123"; /* milliseconds as text */
	b[n++] = (4 << 3) | 2;
	b[n++] = (uint8_t)strlen(ms);
	memcpy(b + n, ms, strlen(ms));
	n += strlen(ms);
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	REQUIRE(mml_decode_body(&t, b, n) == MML_OK);
	int64_t ts = 0;
	CHECK(mml_msg_time(&t, 0, &ts));
	CHECK_EQ(ts, 1683146530); /* the latest plausible time; the uin is skipped */
	/* the header uin is skipped too */
	CHECK(mml_msg_time(&t, 1683146530123ull, &ts));
	CHECK_EQ(ts, 1683146526);
	/* no plausible time */
	static const uint8_t none[] = {0x08, 0x2a, 0x12, 0x02, 'h', 'i'};
	REQUIRE(mml_decode_body(&t, none, sizeof none) == MML_OK);
	CHECK(!mml_msg_time(&t, 0, &ts));
	CHECK(!mml_msg_time(NULL, 0, &ts));
	mml_dtree_free(&t);
}

/* ---- the splitter ---- */

TEST(sessions_splitter_auth_bursts)
{
	got g = {0};
	mml_sessions s;
	mml_sessions_init(&s, collect, &g);
	obs(&s, 1, 784, 0, false); /* a burst of openers: one session */
	obs(&s, 2, 145, 0, false);
	obs(&s, 3, 145, 0, false);
	obs(&s, 4, 252, 0, false);
	obs(&s, 5, 721, 0, false);
	obs(&s, 6, 138, 0, false);
	obs(&s, 7, 763, 0, false); /* an opener after other traffic: a new session */
	obs(&s, 8, 216, 0, false);
	obs(&s, 9, 763, 1700000000, true); /* timed openers 30 s apart, traffic between: one session */
	obs(&s, 10, 138, 1700000010, true);
	obs(&s, 11, 763, 1700000030, true);
	obs(&s, 12, 138, 1700000040, true);
	obs(&s, 13, 702, 1700000400, true); /* 400 s after the last opener: a new session */
	mml_sessions_finish(&s);
	REQUIRE(g.n == 4);
	CHECK_EQ(g.s[0].first, 1);
	CHECK_EQ(g.s[0].last, 6);
	CHECK_EQ(g.s[0].messages, 6);
	CHECK(!g.s[0].has_ts);
	CHECK_EQ(g.s[0].opener, 784);
	CHECK_EQ(g.s[1].first, 7);
	CHECK_EQ(g.s[1].last, 8);
	CHECK_EQ(g.s[2].first, 9);
	CHECK_EQ(g.s[2].last, 12);
	CHECK(g.s[2].has_ts);
	CHECK_EQ(g.s[2].start_ts, 1700000000);
	CHECK_EQ(g.s[2].end_ts, 1700000040);
	CHECK_EQ(g.s[3].first, 13);
	CHECK_EQ(g.s[3].messages, 1);
	CHECK_EQ(g.s[3].index, 4);
	CHECK(g.s[3].why == MML_SESS_OPENER);
	mml_sessions_free(&s);
}

TEST(sessions_splitter_time_jumps)
{
	got g = {0};
	mml_sessions s;
	mml_sessions_init(&s, collect, &g);
	const int64_t t0 = 1681400000, day = 86400;
	/* capture times: one jump of 3 h splits */
	obs(&s, 1, -1, t0, true);
	obs(&s, 2, -1, t0 + 60, true);
	obs(&s, 3, -1, t0 + 3 * 3600, true);
	obs(&s, 4, -1, t0 + 3 * 3600 + 5, true);
	mml_sessions_finish(&s);
	REQUIRE(g.n == 2);
	CHECK_EQ(g.s[0].last, 2);
	CHECK_EQ(g.s[0].end_ts, t0 + 60);
	CHECK_EQ(g.s[1].first, 3);
	CHECK(g.s[1].why == MML_SESS_JUMP);
	CHECK_EQ(g.s[1].start_ts, t0 + 3 * 3600);

	/* payload times: lone outliers stay in the session, a confirmed jump splits at its first message */
	memset(&g, 0, sizeof g);
	mml_sessions_init(&s, collect, &g);
	for (uint64_t i = 1; i <= 4; i++)
		obs(&s, i, -1, t0 + (int64_t)i, false);
	obs(&s, 5, -1, t0 - 400 * day, false); /* an old config version */
	obs(&s, 6, -1, 0, false);
	obs(&s, 7, -1, t0 + 9, false);
	obs(&s, 8, -1, t0 + 10 * day, false); /* the new session */
	obs(&s, 9, -1, 0, false);
	obs(&s, 10, -1, t0 + 10 * day + 30, false);
	obs(&s, 11, -1, t0 + 10 * day + 60, false);
	obs(&s, 12, -1, t0 + 10 * day + 61, false);
	mml_sessions_finish(&s);
	REQUIRE(g.n == 2);
	CHECK_EQ(g.s[0].first, 1);
	CHECK_EQ(g.s[0].last, 7);
	CHECK_EQ(g.s[0].messages, 7);
	CHECK_EQ(g.s[0].start_ts, t0 + 1); /* the outlier's time is not used */
	CHECK_EQ(g.s[0].end_ts, t0 + 9);
	CHECK_EQ(g.s[1].first, 8);
	CHECK_EQ(g.s[1].last, 12);
	CHECK_EQ(g.s[1].messages, 5);
	CHECK_EQ(g.s[1].start_ts, t0 + 10 * day);
	CHECK_EQ(g.s[1].end_ts, t0 + 10 * day + 61);

	/* a session whose first payload time was an outlier takes the confirmed clock instead of splitting */
	memset(&g, 0, sizeof g);
	mml_sessions_init(&s, collect, &g);
	obs(&s, 1, 763, 0, false);
	obs(&s, 2, -1, t0 - 400 * day, false);
	for (uint64_t i = 3; i <= 6; i++)
		obs(&s, i, -1, t0 + (int64_t)i, false);
	mml_sessions_finish(&s);
	REQUIRE(g.n == 1);
	CHECK_EQ(g.s[0].messages, 6);
	CHECK_EQ(g.s[0].start_ts, t0 + 3);
	CHECK_EQ(g.s[0].end_ts, t0 + 6);
	mml_sessions_free(&s);

	/* nothing fed: nothing reported */
	memset(&g, 0, sizeof g);
	mml_sessions_init(&s, collect, &g);
	mml_sessions_finish(&s);
	CHECK_EQ(g.n, 0);
}

/* ---- the command ---- */

TEST(sessions_real_log_five_sessions)
{
	int rc;
	json_t *a = run_sessions("log", NULL, mml_test_data("wechat-logs/startup_permissions_on_2.log.jsonl"), &rc);
	CHECK_EQ(rc, MML_EXIT_OK);
	static const struct {
		uint64_t first, last;
		int64_t day; /* UTC midnight of the day the README names */
	} want[] = {
		{1, 115, 1683072000},   {116, 141, 1683072000}, {142, 180, 1681344000},
		{181, 271, 1681344000}, {272, 304, 1684368000},
	};
	REQUIRE(json_array_size(a) == 5);
	for (size_t i = 0; i < 5; i++) {
		json_t *o = json_array_get(a, i);
		CHECK_STR(json_string_value(json_object_get(o, "kind")), "session");
		CHECK_EQ(jint(o, "session"), i + 1);
		CHECK_EQ(jint(o, "first"), want[i].first);
		CHECK_EQ(jint(o, "last"), want[i].last);
		CHECK_EQ(jint(o, "messages"), want[i].last - want[i].first + 1);
		int64_t s = jint(o, "start_ts"), e = jint(o, "end_ts");
		CHECK(json_is_integer(json_object_get(o, "start_ts")) && json_is_integer(json_object_get(o, "end_ts")));
		CHECK(s >= want[i].day && s < want[i].day + 86400);
		CHECK(e >= s && e < want[i].day + 86400);
	}
	json_decref(a);
}

TEST(sessions_capture_times_from_the_capture)
{
	char pcap[512], keys[512], truth[512];
	CHECK_EQ(t_simulate("sess", "--scenario all --devices 1 --seed 5", pcap, keys, truth, sizeof pcap), 0);
	int rc;
	json_t *a = run_sessions("cap", keys, pcap, &rc);
	CHECK_EQ(rc, MML_EXIT_OK);
	REQUIRE(json_array_size(a) >= 1);
	/* the messages' capture times, from the decrypt JSONL */
	char dec[512];
	snprintf(dec, sizeof dec, "%s/sess.decrypt", mml_test_tmpdir());
	mml_decrypt_opts d;
	memset(&d, 0, sizeof d);
	d.capture = pcap;
	d.keylog = keys;
	d.out = dec;
	d.quiet = 1;
	mml_stats st;
	memset(&st, 0, sizeof st);
	FILE *err = tmpfile();
	CHECK_EQ(mml_decrypt_run(&d, &st, err), MML_EXIT_OK);
	fclose(err);
	json_t *msgs = t_load_jsonl(dec);
	size_t matched = 0, total = 0, i, j;
	json_t *o, *m;
	json_array_foreach(a, i, o)
	{
		int64_t first = jint(o, "first"), last = jint(o, "last"), lo = INT64_MAX, hi = INT64_MIN;
		json_array_foreach(msgs, j, m)
		{
			int64_t id = jint(m, "id");
			json_t *ts = json_object_get(m, "ts");
			if (id < first || id > last || !json_is_number(ts))
				continue;
			int64_t t = (int64_t)json_number_value(ts);
			lo = t < lo ? t : lo;
			hi = t > hi ? t : hi;
		}
		total += (size_t)jint(o, "messages");
		matched += lo == jint(o, "start_ts") && hi == jint(o, "end_ts");
	}
	CHECK(matched >= 1);
	CHECK_EQ(matched, json_array_size(a));
	CHECK_EQ(total, json_array_size(msgs));
	mml_test_note("%zu session(s) over %zu messages", json_array_size(a), total);
	json_decref(msgs);
	json_decref(a);
}

TEST(sessions_usage_and_bad_input)
{
	FILE *err = tmpfile();
	char *a1[] = {"sessions", NULL};
	CHECK_EQ(mml_cmd_sessions(1, a1, err), MML_EXIT_USAGE);
	char *a2[] = {"sessions", "--bogus", "x", NULL};
	CHECK_EQ(mml_cmd_sessions(3, a2, err), MML_EXIT_USAGE);
	char nope[512];
	snprintf(nope, sizeof nope, "%s/does-not-exist", mml_test_tmpdir());
	char *a3[] = {"sessions", nope, NULL};
	CHECK_EQ(mml_cmd_sessions(2, a3, err), MML_EXIT_INPUT);
	fclose(err);
}
