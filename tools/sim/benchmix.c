/*
 * tools/sim/benchmix.c - the `bench` scenario's message mix (main.c runs
 * it): which exchange comes next, the pool of bodies per size class, and
 * the DNS lookups before a connection.
 *
 * Contract: sim_bench_draw() draws one exchange with the real capture's
 * weights; sim_bench_pool() makes the pool (BENCH_VARIANTS requests and
 * responses per size class, each with its zlib form when compressed);
 * sim_bench_dns() writes an A and an AAAA lookup with their answers. All
 * draw from the simulation RNG in a fixed order, so a seed gives the same
 * bytes (the bench captures are compared byte for byte across changes).
 */
#include <stdlib.h>
#include <string.h>

#include "benchmix.h"
#include "mmlens/crypto.h"

/*
 * ---- the bench mix ----
 *
 * `bench` follows the real capture's message mix (docs/SIMULATOR.md): most
 * exchanges carry small plain bodies (checkresupdate, androidfcmreg,
 * getnetworkinfo, ...); a few responses are multi-KB and zlib-compressed
 * 3-6x (getcdndns, the Finder-sized syncs, one login-sized sync), and the
 * small syncs compress about 1.6x. Bodies come from a pool of size classes
 * made at the start; the padding of a class (field 99: feed-like text with
 * random base64 mixed in) is sized to reach the real body sizes and
 * compression ratios. `bench-heavy` is the earlier mix (2-16 KiB sync
 * responses at 3:1 on every longlink packet), kept for comparison.
 */

/*
 * Weights per 50 exchanges: the real capture's 25 exchanges after login,
 * doubled, except that the exchanges with a multi-KB response (getcdndns,
 * findersync/finderinit as class-1 syncs, secautoauth's 22 KB response as
 * the class-2 sync) keep their real count: the simulator makes no
 * un-keyed exchanges, MDNS or ICMP, which the real capture's size also
 * holds, so at the real frequency its bodies would add up to 0.9x the
 * capture instead of 0.57x.
 */
static const bench_ex BENCH_MIX[] = {
	{BX_SHORT, SIM_K_CHECKRESUPDATE, 0, 16}, {BX_SHORT, SIM_K_GETCDNDNS, 0, 2}, {BX_SHORT, SIM_K_FCMREG, 0, 4},
	{BX_SHORT, SIM_K_NEWSYNC, 1, 3},         {BX_SHORT, SIM_K_BYPSYNC, 0, 4},   {BX_SHORT, SIM_K_STATUSNOTIFY, 0, 2},
	{BX_SHORT, SIM_K_NETWORKINFO, 0, 2},     {BX_SHORT, SIM_K_NEWSYNC, 0, 2},   {BX_SHORT, SIM_K_NEWSYNC, 2, 1},
	{BX_LONG, SIM_K_NEWSYNC, 0, 2},          {BX_HEARTBEAT, SIM_K__COUNT, 0, 2}, {BX_DNS, SIM_K__COUNT, 0, 4},
};

/* A size class: the body's size (at most max bytes as made, then padded
 * to [lo, hi]) and its compression (ratio x10 of the padded body under
 * zlib, as the real capture's bodies of that size show). */
typedef struct bench_pad {
	uint16_t max;      /* remake the content until it is at most this (0: any) */
	uint16_t lo, hi;   /* total body bytes after padding (0: no padding) */
	uint8_t ratio10;   /* zlib ratio x10 the padding aims at */
	int8_t compress;   /* -1 as the content says, 0 plain, 1 zlib */
} bench_pad;

typedef struct bench_class {
	sim_kind kind;
	uint8_t cls;
	bench_pad req, resp;
} bench_class;

/* real: checkresupdate 4-25 B / 12 B plain; getcdndns 53 B / 5,447 B at
 * 3.5x; newsync 411 B at 1.6x / 430-831 B at 1.6x; findersync and finderinit
 * 771 B at 1.7x / 7.8-8.7 KB at 3.2-3.3x; secautoauth's response 22 KB at 5.5x */
static const bench_class BENCH_CLASSES[] = {
	{SIM_K_CHECKRESUPDATE, 0, {32, 0, 0, 0, -1}, {16, 0, 0, 0, 0}},
	{SIM_K_GETCDNDNS, 0, {0, 0, 0, 0, -1}, {0, 5000, 5900, 35, 1}},
	{SIM_K_FCMREG, 0, {0, 0, 0, 0, -1}, {0, 0, 0, 0, -1}},
	{SIM_K_BYPSYNC, 0, {0, 0, 0, 0, -1}, {0, 0, 0, 0, -1}},
	{SIM_K_STATUSNOTIFY, 0, {0, 0, 0, 0, -1}, {0, 0, 0, 0, -1}},
	{SIM_K_NETWORKINFO, 0, {0, 0, 0, 0, -1}, {0, 0, 0, 0, -1}},
	{SIM_K_NEWSYNC, 0, {0, 380, 440, 16, 1}, {0, 420, 850, 16, 1}},
	{SIM_K_NEWSYNC, 1, {0, 700, 800, 17, 1}, {0, 7500, 9000, 32, 1}},
	{SIM_K_NEWSYNC, 2, {0, 700, 800, 17, 1}, {0, 18000, 24000, 55, 1}},
};

enum { BENCH_VARIANTS = 8 };

/* Field 99 padding of n bytes: feed-like keys and values with rnd_pct
 * percent random base64 (no personal data). */
static void bench_padding(sim_rng *r, mml_buf *pb, size_t n, unsigned rnd_pct)
{
	static const char *const vocab[] = {
		"{\"objectId\":\"", "\",\"objectNonceId\":\"", "\",\"mediaType\":4,", "\"width\":1080,\"height\":1920,",
		"\"likeCount\":", "\"commentCount\":", "\"forwardCount\":", "\"createtime\":1701",
		"\"status\":0,",  "\"favFlag\":0,",  "\"description\":\"\",", "\"mediaList\":[{",
		"\"fileSize\":",  "\"videoPlayLen\":", "\"spec\":[{\"fileFormat\":\"xWT111\"}],", "},\n"};
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t m = pbw_begin(pb, 99), done = 0, rnd = 0;
	while (done < n) {
		char w[48];
		size_t wl;
		uint64_t x = sim_rng_next(r);
		if (rnd * 100 < (uint64_t)rnd_pct * (done + 1)) {
			wl = 8 + (x & 31);
			for (size_t i = 0; i < wl; i++)
				w[i] = b64[sim_rng_below(r, 64)];
			rnd += wl;
		} else {
			const char *v = vocab[(x >> 8) % (sizeof vocab / sizeof *vocab)];
			wl = strlen(v);
			memcpy(w, v, wl);
			if (x & 0x10000) { /* a number after a key */
				int k = snprintf(w + wl, sizeof w - wl, "%u,", (unsigned)(x >> 20) % 100000u);
				wl += (size_t)k;
			}
		}
		if (wl > n - done)
			wl = n - done;
		mml_buf_append(pb, w, wl);
		done += wl;
	}
	pbw_end(pb, m);
}

/* zlib ratio x10 of a body */
static unsigned ratio10(const mml_buf *pb, mml_buf *z)
{
	mml_buf_reset(z);
	if (mml_deflate(pb->p, pb->len, z) != MML_OK || !z->len)
		return 10;
	return (unsigned)(pb->len * 10 / z->len);
}

/*
 * Make one pooled body of a size class: the content (remade while larger
 * than p->max), then padding to a size in [lo, hi] with the largest random
 * share (found by bisection) at which the whole body still deflates at
 * p->ratio10 or more (content already larger than lo is not padded).
 * Every trial restarts from the same generator state: the result depends
 * on the seed only.
 */
static void bench_body(sim_rng *rng, const sim_device *d, bool location_on, uint64_t now_us, const bench_class *c,
                       bool req, int seq, sim_body *b, mml_buf *z)
{
	const bench_pad *p = req ? &c->req : &c->resp;
	sim_ctx_info ci = {.location_on = location_on, .ts_us = now_us, .seq = seq};
	for (int t = 0; t < 64; t++) {
		sim_content_make(rng, d, &ci, c->kind, req, b);
		if (!p->max || b->pb.len <= p->max)
			break;
	}
	if (p->hi && b->pb.len + 4 < p->lo) {
		size_t base = b->pb.len;
		size_t total = p->lo + (size_t)sim_rng_below(rng, (uint64_t)(p->hi - p->lo) + 1);
		size_t n = total > base + 4 ? total - base - 4 : 0;
		sim_rng r0 = *rng;
		unsigned lo = 0, hi = 100;
		while (lo < hi) { /* the largest random share still reaching the ratio */
			unsigned mid = (lo + hi + 1) / 2;
			*rng = r0;
			b->pb.len = base;
			bench_padding(rng, &b->pb, n, mid);
			if (ratio10(&b->pb, z) >= p->ratio10)
				lo = mid;
			else
				hi = mid - 1;
		}
		*rng = r0;
		b->pb.len = base;
		bench_padding(rng, &b->pb, n, lo);
	}
	if (p->compress >= 0)
		b->compress = p->compress;
}

int sim_bench_pool(sim_rng *rng, const sim_device *d, bool location_on, uint64_t now_us, sim_body **pool,
                   mml_buf **poolz, uint8_t **poolcls)
{
	int nc = (int)(sizeof BENCH_CLASSES / sizeof *BENCH_CLASSES);
	int npool = nc * 2 * BENCH_VARIANTS;
	*pool = calloc((size_t)npool, sizeof **pool);
	*poolz = calloc((size_t)npool, sizeof **poolz);
	*poolcls = calloc((size_t)npool, 1);
	if (!*pool || !*poolz || !*poolcls) {
		free(*pool);
		free(*poolz);
		free(*poolcls);
		*pool = NULL;
		*poolz = NULL;
		*poolcls = NULL;
		return 0;
	}
	for (int i = 0; i < npool; i++) {
		const bench_class *c = &BENCH_CLASSES[i / (2 * BENCH_VARIANTS)];
		bool req = i % 2 == 0;
		sim_body *b = &(*pool)[i];
		sim_body_init(b);
		mml_buf_init(&(*poolz)[i], 0);
		bench_body(rng, d, location_on, now_us, c, req, i, b, &(*poolz)[i]);
		mml_buf_reset(&(*poolz)[i]);
		(*poolcls)[i] = c->cls;
		if (b->compress)
			mml_deflate(b->pb.p, b->pb.len, &(*poolz)[i]);
	}
	return npool;
}

/*
 * The name lookups before a connection, as the real capture has them (112
 * DNS packets for its 34 connections): an A and an AAAA query for host,
 * each answered. Plain UDP that mmlens reads past.
 */
void sim_bench_dns(sim_net *net, sim_rng *rng, const uint8_t client_ip[4], const char *host)
{
	static const uint8_t RESOLVER[4] = {8, 8, 8, 8};
	mml_buf m;
	mml_buf_init(&m, 512);
	for (int q = 0; q < 2; q++) {
		mml_buf_reset(&m);
		mml_wbuf w = mml_wbuf_make(&m);
		uint16_t id = (uint16_t)sim_rng_next(rng), port = (uint16_t)(40000 + sim_rng_below(rng, 20000));
		/* header: id, flags (recursion desired), one question, no answers */
		mml_wbuf_be16(&w, id);
		mml_wbuf_be16(&w, 0x0100);
		mml_wbuf_be16(&w, 1);
		mml_wbuf_fill(&w, 0, 6);
		for (const char *h = host; *h;) {
			const char *dot = strchr(h, '.');
			size_t l = dot ? (size_t)(dot - h) : strlen(h);
			mml_wbuf_u8(&w, (uint8_t)l);
			mml_wbuf_bytes(&w, h, l);
			h += l + (dot != NULL);
		}
		mml_wbuf_u8(&w, 0);
		uint16_t type = q ? 28 : 1;
		mml_wbuf_be16(&w, type);
		mml_wbuf_be16(&w, 1); /* class IN */
		sim_wcheck(&w, "DNS query");
		sim_udp_send(net, client_ip, port, RESOLVER, 53, 0, m.p, m.len);
		sim_net_wait(net, 8000 + sim_rng_below(rng, 30000));
		/* the answer: the question, then 2-4 addresses */
		int na = 2 + (int)sim_rng_below(rng, 3);
		mml_wbuf_set_be16(&w, 2, 0x8180);
		mml_wbuf_set_be16(&w, 6, (uint16_t)na);
		for (int i = 0; i < na; i++) {
			size_t rl = q ? 16 : 4;
			mml_wbuf_be16(&w, 0xc00c); /* the name: a pointer to the question's */
			mml_wbuf_be16(&w, type);
			mml_wbuf_be16(&w, 1);
			mml_wbuf_be32(&w, (uint8_t)(30 + sim_rng_below(rng, 570))); /* TTL (one byte of it, as always) */
			mml_wbuf_be16(&w, (uint16_t)rl);
			uint8_t *addr = mml_wbuf_room(&w, rl);
			if (addr)
				sim_rng_bytes(rng, addr, rl);
		}
		sim_wcheck(&w, "DNS answer");
		sim_udp_send(net, client_ip, port, RESOLVER, 53, 1, m.p, m.len);
	}
	mml_buf_free(&m);
}

const bench_ex *sim_bench_draw(sim_rng *rng)
{
	unsigned tot = 0;
	for (size_t i = 0; i < sizeof BENCH_MIX / sizeof *BENCH_MIX; i++)
		tot += BENCH_MIX[i].w;
	unsigned u = (unsigned)sim_rng_below(rng, tot);
	const bench_ex *e = BENCH_MIX;
	while (u >= e->w)
		u -= e++->w;
	return e;
}
