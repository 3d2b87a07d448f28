/*
 * tests/test_detect_pat_chat.c - the text scan finds chat room ids by hand when
 * there are no --known values (patterns.c): the matches it reports, and
 * their order among the other shapes, must be those of the database that
 * holds the chat room pattern too (the one built when --known values exist).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/detect.h"
#include "test.h"

#include "../src/detect/detect_int.h"

typedef struct mlist {
	unsigned id[4096];
	unsigned long long to[4096];
	size_t n;
} mlist;

static int collect(unsigned id, unsigned long long from, unsigned long long to, void *ctx)
{
	(void)from;
	mlist *m = ctx;
	if (id < P__COUNT && m->n < 4096) { /* the known literal never occurs; skip it anyway */
		m->id[m->n] = id;
		m->to[m->n] = to;
		m->n++;
	}
	return 0;
}

static mml_detect *det_with(const char *known_value)
{
	char err[256] = "";
	mml_detect_cfg *c = mml_detect_cfg_new();
	if (!c)
		return NULL;
	if (known_value && mml_detect_cfg_known(c, "nickname", known_value) != MML_OK) {
		mml_detect_cfg_free(c);
		return NULL;
	}
	mml_detect *d = mml_detect_new(c, err, sizeof err);
	mml_detect_cfg_free(c);
	if (!d)
		mml_test_fail(__FILE__, __LINE__, "mml_detect_new: %s", err);
	return d;
}

static size_t build_text(uint8_t *b, size_t cap, unsigned seed)
{
	static const char *const parts[] = {
		"12345@chatroom", "1234@chatroom", "9876543210123456789012@chatroom", "@chatroom", "@chatroo",
		"wxid_abcdef12 ", "wxid_", "+8613800138000 ", "+86138@chatroom", "a@b.com ", "x@chatroom.com;",
		"wx0123456789abcdef", "gh_0123456789ab@app", "Mozilla/5.0 (", "Dalvik/2", "\"nickName\":\"",
		"12", "345", "67", "@", "chatroom", " ", ",", "|", ":APA91bABCDEFGHIJKLMNOPQRSTUVWX",
	};
	size_t n = 0;
	uint32_t x = seed * 2654435761u + 1;
	while (n + 64 < cap) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		if (x % 11 == 0) {
			b[n++] = 0; /* a leaf boundary */
			continue;
		}
		const char *p = parts[x % (sizeof parts / sizeof parts[0])];
		size_t l = strlen(p);
		memcpy(b + n, p, l);
		n += l;
	}
	return n;
}

TEST(pat_chatroom_by_hand_matches_database_order)
{
	mml_detect *plain = det_with(NULL);
	mml_detect *withk = det_with("qzqzqzqzqzqz-never-there");
	REQUIRE(plain && withk);
	void *s1 = pat_scratch_new(plain->pat), *s2 = pat_scratch_new(withk->pat);
	REQUIRE(s1 && s2);
	static uint8_t buf[20000];
	static mlist a, b;
	size_t chats = 0;
	for (unsigned seed = 1; seed <= 40; seed++) {
		size_t n = build_text(buf, 200 + seed * 450 > sizeof buf ? sizeof buf : 200 + seed * 450, seed);
		a.n = b.n = 0;
		CHECK_EQ(pat_scan(plain->pat, s1, buf, n, collect, &a), 0);
		CHECK_EQ(pat_scan(withk->pat, s2, buf, n, collect, &b), 0);
		CHECK_EQ(a.n, b.n);
		size_t m = a.n < b.n ? a.n : b.n;
		for (size_t i = 0; i < m; i++) {
			if (a.id[i] != b.id[i] || a.to[i] != b.to[i]) {
				mml_test_fail(__FILE__, __LINE__, "seed %u match %zu: %u@%llu vs %u@%llu", seed, i, a.id[i], a.to[i],
				              b.id[i], b.to[i]);
				break;
			}
			chats += a.id[i] == P_CHATROOM;
		}
	}
	CHECK(chats > 50);
	/* the edges: at the very start, digits cut by a NUL, a match ending the buffer
	 * ("\0" "2345@chatroom" is one string on purpose: a NUL before the digits) */
	// NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
	static const char *const edges[] = {"12345@chatroom", "1234@chatroom", "x12345@chatroom", "\0" "2345@chatroom",
	                                    "99999@chatroo", "00000@chatroom@chatroom"};
	static const size_t elen[] = {14, 13, 15, 14, 13, 23};
	static const size_t want[] = {1, 0, 1, 0, 0, 1};
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
		a.n = b.n = 0;
		CHECK_EQ(pat_scan(plain->pat, s1, (const uint8_t *)edges[i], elen[i], collect, &a), 0);
		CHECK_EQ(pat_scan(withk->pat, s2, (const uint8_t *)edges[i], elen[i], collect, &b), 0);
		CHECK_EQ(a.n, want[i]);
		CHECK_EQ(b.n, want[i]);
		if (a.n && b.n)
			CHECK_EQ(a.to[0], b.to[0]);
	}
	pat_scratch_free(s1);
	pat_scratch_free(s2);
	mml_detect_free(plain);
	mml_detect_free(withk);
}
