/*
 * tests/test_sim_core.c - the simulator's core-feature scenarios
 * (docs/SIMULATOR.md): messaging (texts and an image to contacts), post
 * (Moments posts), comment (comments on friends' posts, some replies),
 * image (images sent to contacts).
 *  - each runs, mmlens decrypt recovers exactly its truth bodies, and its
 *    truth carries what the scenario is about (content.*, the addressee);
 *  - the new kinds' requests have the real bodies' layout: the field
 *    numbers of the published log's requests (login_permissions_on_1
 *    lines 477 mmsnspost, 1090 mmsnscomment, 382/414 uploadmsgimg, 751
 *    newsendmsg), written down here because tests may not read that log,
 *    checked through mmlens' own decoder;
 *  - a seed gives the same files; unknown scenario names are refused;
 *  - the RNG every scenario draws from gives its reference sequence.
 */
#include <stdlib.h>
#include <string.h>

#include "../tools/sim/sim.h"
#include "mmlens/decode.h"
#include "test.h"
#include "util.h"

/* ---- scenarios end to end ---- */

typedef struct scen {
	const char *name;
	const char *apis[3];       /* requests the scenario must make */
	const char *cats[5];       /* categories its truth must carry */
} scen;

static const scen scens[] = {
	{"messaging", {"/cgi-bin/micromsg-bin/newsendmsg", "/cgi-bin/micromsg-bin/uploadmsgimg", NULL},
	 {"content.message", "contacts.addressee", "content.media", NULL}},
	{"post", {"/cgi-bin/micromsg-bin/mmsnspost", NULL}, {"content.post", "content.media", "identity.account", NULL}},
	{"comment", {"/cgi-bin/micromsg-bin/mmsnscomment", NULL},
	 {"content.comment", "contacts.addressee", "profile.name", "content.post", NULL}},
	{"image", {"/cgi-bin/micromsg-bin/uploadmsgimg", "/cgi-bin/micromsg-bin/newsendmsg", NULL},
	 {"content.media", "contacts.addressee", "content.message", NULL}},
};

static bool truth_has(json_t *tr, const char *api, const char *cat)
{
	size_t i, k;
	json_t *m, *p;
	json_array_foreach(tr, i, m)
	{
		if (api && (!t_str(m, "api") || strcmp(t_str(m, "api"), api)))
			continue;
		if (!cat)
			return true;
		json_array_foreach(json_object_get(m, "pii"), k, p)
		{
			if (!strcmp(t_str(p, "category"), cat))
				return true;
		}
	}
	return false;
}

TEST(sim_core_scenarios_roundtrip)
{
	for (size_t s = 0; s < sizeof scens / sizeof *scens; s++) {
		char tag[64], args[128], pcap[512], keys[512], truth[512];
		snprintf(tag, sizeof tag, "core_%s", scens[s].name);
		snprintf(args, sizeof args, "--scenario %s --devices 2 --seed %zu", scens[s].name, 40 + s);
		if (t_simulate(tag, args, pcap, keys, truth, sizeof pcap) != 0) {
			mml_test_fail(__FILE__, __LINE__, "%s: the simulator failed", args);
			continue;
		}
		json_t *tr = t_load_jsonl(truth);
		for (int a = 0; a < 3 && scens[s].apis[a]; a++)
			if (!truth_has(tr, scens[s].apis[a], NULL))
				mml_test_fail(__FILE__, __LINE__, "%s: no %s", scens[s].name, scens[s].apis[a]);
		for (int c = 0; c < 5 && scens[s].cats[c]; c++)
			if (!truth_has(tr, NULL, scens[s].cats[c]))
				mml_test_fail(__FILE__, __LINE__, "%s: no %s in the truth", scens[s].name, scens[s].cats[c]);
		/* decrypt gives back every body, byte for byte */
		t_run r;
		t_decrypt(&r, pcap, keys, NULL);
		CHECK_EQ(r.rc, 0);
		size_t nm = json_array_size(r.messages), i;
		char *used = calloc(nm + 1, 1);
		json_t *t;
		int missing = 0, n = 0;
		json_array_foreach(tr, i, t)
		{
			const char *body = t_str(t, "body_hex");
			bool found = false;
			n++;
			for (size_t k = 0; k < nm && !found && body; k++) {
				json_t *m = json_array_get(r.messages, k);
				const char *mb = t_str(m, "body_hex");
				if (!used[k] && mb && !strcmp(mb, body) && !strcmp(t_str(m, "dir"), t_str(t, "dir")))
					used[k] = 1, found = true;
			}
			missing += !found;
		}
		CHECK_EQ(missing, 0);
		CHECK(n > 20);
		free(used);
		t_run_free(&r);
		json_decref(tr);
		remove(pcap);
		remove(keys);
		remove(truth);
	}
}

TEST(sim_core_seed_gives_the_same_files_and_names_are_checked)
{
	char pa[512], ka[512], ta[512], pb[512], kb[512], tb[512];
	REQUIRE(t_simulate("core_det_a", "--scenario comment --seed 9", pa, ka, ta, sizeof pa) == 0);
	REQUIRE(t_simulate("core_det_b", "--scenario comment --seed 9", pb, kb, tb, sizeof pb) == 0);
	size_t na, nb;
	char *a = t_slurp(pa, &na), *b = t_slurp(pb, &nb);
	CHECK(a && b && na == nb && !memcmp(a, b, na));
	free(a);
	free(b);
	a = t_slurp(ta, &na);
	b = t_slurp(tb, &nb);
	CHECK(a && b && na == nb && !memcmp(a, b, na));
	free(a);
	free(b);
	char p[512], k[512], t[512];
	CHECK(t_simulate("core_bad", "--scenario moments", p, k, t, sizeof p) != 0);
	CHECK(t_simulate("core_img", "--scenario image --location on", p, k, t, sizeof p) == 0);
}

/* ---- the real requests' layouts ---- */

/* The node at a path of protobuf field numbers ("2.3") under the body's top message, or MML_DNONE. */
static uint32_t at(const mml_dtree *t, const char *path)
{
	uint32_t cur = MML_DNONE;
	for (uint32_t i = 0; i < t->count; i++)
		if (t->n[i].kind == MML_DK_MSG) {
			cur = i;
			break;
		}
	for (const char *s = path; *s && cur != MML_DNONE;) {
		char *e;
		unsigned long f = strtoul(s, &e, 10);
		uint32_t hit = MML_DNONE;
		for (uint32_t c = t->n[cur].first_child; c != MML_DNONE; c = t->n[c].next)
			if (t->n[c].field == f && hit == MML_DNONE)
				hit = c;
		cur = hit;
		s = *e == '.' ? e + 1 : e;
	}
	return cur;
}

/* The node at a path, or an empty node when there is none. */
static const mml_dnode *node(const mml_dtree *t, const char *path)
{
	static const mml_dnode none = {.parent = MML_DNONE, .first_child = MML_DNONE, .next = MML_DNONE};
	uint32_t i = at(t, path);
	return i == MML_DNONE ? &none : &t->n[i];
}

/* The field numbers under a node, as a bit set (fields 1-63). */
static uint64_t fields(const mml_dtree *t, uint32_t n)
{
	uint64_t set = 0;
	for (uint32_t c = n == MML_DNONE ? MML_DNONE : t->n[n].first_child; c != MML_DNONE; c = t->n[c].next)
		if (t->n[c].field < 64)
			set |= 1ull << t->n[c].field;
	return set;
}

static uint64_t bits(const int *f)
{
	uint64_t s = 0;
	for (; *f; f++)
		s |= 1ull << *f;
	return s;
}

static bool hex_n(const mml_dnode *d, size_t n)
{
	if (!d || d->val_len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", d->val[i]))
			return false;
	return true;
}

TEST(sim_core_requests_have_the_real_layouts)
{
	/* log 477, mmsnspost: every top-level field the real request has (the sim adds 4 when it tags friends) */
	static const int post_top[] = {1, 2, 3, 5, 6, 7, 8, 9, 11, 12, 13, 16, 19, 22, 24, 25, 28, 29, 32, 34, 0};
	/* log 1090, mmsnscomment: {1, 2: {1, 2, 3: SnsAction, 4}, 3} */
	static const int cm_top[] = {1, 2, 3, 0}, cm_group[] = {1, 2, 3, 4, 0};
	static const int cm_action[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 18, 0};
	/* log 382, uploadmsgimg */
	static const int up_top[] = {1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 0};
	/* log 751, newsendmsg: {1, 2: {1: {1}, 2, 3, 4, 5}} */
	static const int sm_top[] = {1, 2, 0}, sm_msg[] = {1, 2, 3, 4, 5, 0};
	sim_rng r;
	sim_rng_seed(&r, 4242);
	sim_device d;
	sim_device_make(&r, 0, &d);
	sim_body b;
	sim_body_init(&b);
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	int bad = 0;
	for (int round = 0; round < 20; round++) {
		sim_ctx_info ci = {false, 1681405423000000ull + (uint64_t)round * 1000000, round};
		sim_content_make(&r, &d, &ci, SIM_K_SNSPOST, true, &b);
		REQUIRE(mml_decode_body(&t, b.pb.p, b.pb.len) == MML_OK);
		uint64_t top = fields(&t, at(&t, ""));
		bad += (top & ~(1ull << 4)) != bits(post_top);
		bad += fields(&t, at(&t, "2")) != bits((const int[]){1, 2, 0});
		static const char head[] = "<TimelineObject><id><![CDATA[0]]></id><username>";
		uint32_t x = at(&t, "2.2");
		bad += x == MML_DNONE || t.n[x].val_len < sizeof head || memcmp(t.n[x].val, head, sizeof head - 1);
		uint32_t len = at(&t, "2.1");
		bad += len == MML_DNONE || t.n[len].u != t.n[x].val_len;
		bad += !hex_n(node(&t, "7"), 32);
		bad += node(&t, "11")->u != 11 || node(&t, "24")->u != 1;

		sim_content_make(&r, &d, &ci, SIM_K_SNSCOMMENT, true, &b);
		REQUIRE(mml_decode_body(&t, b.pb.p, b.pb.len) == MML_OK);
		bad += fields(&t, at(&t, "")) != bits(cm_top);
		bad += fields(&t, at(&t, "2")) != bits(cm_group);
		bad += fields(&t, at(&t, "2.3")) != bits(cm_action);
		bad += node(&t, "2.3.5")->u != 2 || !hex_n(node(&t, "3"), 32);
		bad += node(&t, "2.1")->kind != MML_DK_VARINT;

		sim_content_make(&r, &d, &ci, SIM_K_UPLOADIMG, true, &b);
		REQUIRE(mml_decode_body(&t, b.pb.p, b.pb.len) == MML_OK);
		bad += fields(&t, at(&t, "")) != bits(up_top);
		const mml_dnode *id = node(&t, "1");
		bad += id->val_len != 37 || memcmp(id->val, "aupimg_", 7) || id->val[23] != '_';
		bad += !hex_n(node(&t, "16"), 32) || node(&t, "9")->kind != MML_DK_FIXED32;

		sim_content_make(&r, &d, &ci, SIM_K_SENDMSG, true, &b);
		REQUIRE(mml_decode_body(&t, b.pb.p, b.pb.len) == MML_OK);
		bad += fields(&t, at(&t, "")) != bits(sm_top);
		bad += (fields(&t, at(&t, "2")) & bits(sm_msg)) != bits(sm_msg);
		bad += fields(&t, at(&t, "2.1")) != bits((const int[]){1, 0});
		if (bad && round < 2)
			mml_test_fail(__FILE__, __LINE__, "round %d: %d layout differences", round, bad);
	}
	CHECK_EQ(bad, 0);
	mml_dtree_free(&t);
	sim_body_free(&b);
}

/* ---- the RNG under every scenario ---- */

TEST(sim_rng_known_answers)
{
	/* splitmix64-seeded xoshiro256**: the reference sequence */
	sim_rng r;
	sim_rng_seed(&r, 0);
	CHECK_EQ(sim_rng_next(&r), 0x99ec5f36cb75f2b4ull);
	CHECK_EQ(sim_rng_next(&r), 0xbf6e1f784956452aull);
	CHECK_EQ(sim_rng_next(&r), 0x1a5f849d4933e6e0ull);
	sim_rng_seed(&r, 42);
	CHECK_EQ(sim_rng_next(&r), 0x15780b2e0c2ec716ull);
	CHECK_EQ(sim_rng_next(&r), 0x6104d9866d113a7eull);
	CHECK_EQ(sim_rng_next(&r), 0xae17533239e499a1ull);

	int hist[7] = {0};
	bool unit_ok = true;
	for (int i = 0; i < 70000; i++) {
		uint64_t x = sim_rng_below(&r, 7);
		if (x < 7)
			hist[x]++;
		double u = sim_rng_unit(&r);
		unit_ok &= u >= 0 && u < 1;
	}
	CHECK(unit_ok);
	for (int i = 0; i < 7; i++)
		CHECK(hist[i] > 9300 && hist[i] < 10700);
	CHECK_EQ(sim_rng_below(&r, 1), 0);
	uint64_t big = 0;
	for (int i = 0; i < 100; i++) {
		uint64_t x = sim_rng_below(&r, (1ull << 63) + 1);
		CHECK(x <= (1ull << 63));
		big |= x;
	}
	CHECK(big >> 62);
	uint8_t a[13], b2[13];
	sim_rng_seed(&r, 7);
	sim_rng_bytes(&r, a, sizeof a);
	sim_rng_seed(&r, 7);
	uint64_t w0 = sim_rng_next(&r), w1 = sim_rng_next(&r);
	for (int i = 0; i < 8; i++)
		b2[i] = (uint8_t)(w0 >> (8 * i));
	for (int i = 0; i < 5; i++)
		b2[8 + i] = (uint8_t)(w1 >> (8 * i));
	CHECK(!memcmp(a, b2, sizeof a));
}
