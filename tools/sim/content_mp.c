/*
 * tools/sim/content_mp.c - Mini Program and search content for
 * sim_content_make() (content.c dispatches here; the location and
 * telemetry requests are content_kv.c's).
 *
 * Contract: sim_mp_make() writes the body of one SIM_K_SEARCH,
 * SIM_K_MP_LAUNCH, SIM_K_MP_REPORT, SIM_K_LOCATION or SIM_K_TELEMETRY
 * request or response into b->pb (already reset, header fields set) and
 * adds its ground truth with the path syntax documented in content.c.
 * Layouts follow the logged 8.0.x bodies: mmwebsearch (query at 2, an
 * options list of {key, int, value}), launchwxaapp (appid, gh_...@app
 * username, "hash=<uin>&ts=..." string) and Mini Program report batches
 * (rows of URL-encoded, comma-separated fields: appid, the URL the Mini
 * Program requested with the user's id in its query, the page).
 * Every row is planned before it is written, so a field's repeat count,
 * and with it the [i] in paths, is known, and the truth never overflows.
 * The Mini Programs below are made up; their ids are not real ones.
 */
#include <stdio.h>
#include <string.h>

#include "content_int.h"
#include "sim.h"

/* ---- the Mini Programs (made up) ---- */

typedef struct miniprog {
	const char *name, *appid, *username, *host, *uidkey;
	const char *pages[4];
	const char *apis[3];
	unsigned ver;
} miniprog;

static const miniprog mps[] = {
	{"RideNow", "wx3f9a1c7e2b5d8046", "gh_8c41e2a7d9b3@app", "api.ridenow-mobility.cn", "uid",
	 {"pages/index/index", "pages/order/confirm", "pages/map/select", "pages/trip/detail"},
	 {"v2/trip/estimate", "v1/user/coupons", "v2/driver/nearby"}, 1566},
	{"FreshMart", "wx9b27e05c4fd1a386", "gh_2f6d0b9e51ca@app", "m.freshmart-shop.com", "user_id",
	 {"pages/home/home", "pages/goods/detail", "pages/cart/cart", "pages/order/list"},
	 {"api/goods/recommend", "api/cart/count", "api/order/unpaid"}, 2311},
	{"CityMetro", "wx51d8c3a09e7b2f64", "gh_a17e4c92d03b@app", "api.citymetro-pass.com", "openid",
	 {"pages/qrcode/qrcode", "pages/route/plan", "pages/index/index", "pages/card/recharge"},
	 {"pass/qrcode/refresh", "route/search", "card/balance"}, 480},
	{"QuickEats", "wxc604fa2b19d73e58", "gh_5be09d3f7a21@app", "api.quickeats-delivery.com", "member_id",
	 {"pages/index/index", "pages/shop/menu", "pages/checkout/pay", "pages/order/track"},
	 {"shop/list", "order/track", "member/points"}, 907},
	{"PetPal", "wx07e3b9d25a1cf486", "gh_d93a60e1b7f4@app", "svc.petpal-club.cn", "uid",
	 {"pages/index/index", "pages/clinic/book", "pages/pet/profile", "pages/mall/item"},
	 {"clinic/slots", "pet/list", "mall/feed"}, 133},
	{"CinemaGo", "wx8e61d4f0a3c2b957", "gh_46c1f8a2e09d@app", "api.cinemago-tickets.com", "cust_id",
	 {"pages/index/index", "pages/movie/detail", "pages/seat/select", "pages/order/result"},
	 {"movie/showing", "cinema/nearby", "order/lock_seat"}, 3020},
};
#define NMPS (sizeof mps / sizeof mps[0])

/* The user's Mini Program of the moment: mostly a favourite. */
static const miniprog *pick_mp(sim_rng *r, const sim_device *d)
{
	if (sim_rng_below(r, 10) < 7)
		return &mps[simc_hash(d->uin, 77) % NMPS];
	return &mps[sim_rng_below(r, NMPS)];
}

/* The user's id inside one Mini Program's own service: stable per user. */
static void thirdparty_id(const sim_device *d, const miniprog *mp, char out[40])
{
	uint64_t h = simc_hash(d->uin, (uint64_t)(mp - mps) + 1000);
	if (!strcmp(mp->uidkey, "openid")) {
		static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		out[0] = 'o';
		for (int i = 1; i < 28; i++) {
			if (i % 10 == 0)
				h = simc_hash(h, (uint64_t)i);
			out[i] = a[h & 63];
			h >>= 6;
		}
		out[28] = 0;
	} else {
		snprintf(out, 40, "%llu", (unsigned long long)(1000000000ull + h % 9000000000000ull));
	}
}

/* ---- SEARCH (mmwebsearch) ---- */

static const char *const queries_en[] = {
	"bike rental",  "coffee near me", "train tickets", "ride", "grocery delivery", "movie tickets tonight",
	"pet clinic",   "metro card",     "pizza",         "dentist appointment",
};
static const char *const queries_zh[] = {
	"打车", "外卖", "地铁乘车码", "电影票", "宠物医院", "生鲜超市",
};

static void user_agent(char *o, size_t n, const sim_device *d)
{
	char ver[32], build[32] = "";
	simc_version(ver, sizeof ver, d->client_version, true);
	const char *s = strstr(d->build_fingerprint, ":14/");
	if (s) {
		s += 4;
		size_t k = strcspn(s, "/");
		if (k > sizeof build - 1)
			k = sizeof build - 1;
		memcpy(build, s, k);
		build[k] = 0;
	}
	const char *net = !strcmp(d->net_type, "wifi") ? "WIFI" : !strcmp(d->net_type, "5g") ? "5G" : "4G";
	snprintf(o, n,
	         "Mozilla/5.0 (Linux; Android %s; %s Build/%s; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
	         "Chrome/116.0.5845.163 Mobile Safari/537.36 MicroMessenger/%s(0x%08x) WeChat/arm64 Weixin NetType/%s "
	         "Language/%s_%s ABI/arm64",
	         d->os_version, d->model, build, ver, (unsigned)d->client_version, net, d->lang, d->region);
}

/* one {1: key, 2: int, 3: value} option of the search request */
static void opt(mml_buf *o, const char *key, uint64_t iv, const char *sv)
{
	size_t m = pbw_begin(o, 17);
	pbw_string(o, 1, key);
	pbw_varint(o, 2, iv);
	pbw_string(o, 3, sv);
	pbw_end(o, m);
}

static void search_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	const char *q = !strcmp(d->lang, "zh") ? PICK(r, queries_zh) : PICK(r, queries_en);
	uint64_t sid = sim_rng_next(r) >> 1;
	char sids[24], ua[400], rid[40];
	snprintf(sids, sizeof sids, "%llu", (unsigned long long)sid);
	pbw_varint(o, 1, 0);
	pbw_string(o, 2, q);
	simc_truth(b, "search.query", q, "2");
	pbw_varint(o, 3, 0);
	pbw_varint(o, 4, 262208);
	pbw_varint(o, 5, 80010000 + sim_rng_below(r, 1000));
	pbw_varint(o, 8, 201);
	pbw_string(o, 9, "");
	pbw_varint(o, 10, 1);
	pbw_string(o, 11, sids);
	pbw_string(o, 12, "");
	pbw_varint(o, 13, 0);
	/* the search report string, URL-encoded key=value pairs */
	size_t m = pbw_begin(o, 14);
	simc_puts(o, "searchid=&parentsearchid=&parenttype=0&query=");
	simc_puturl(o, q);
	simc_puts(o, "&scene=201&sessionid=");
	simc_puts(o, sids);
	simc_puts(o, "&type=262208&subtype=0&wechatversion=");
	simc_putu(o, d->client_version);
	simc_puts(o, "&ishomepage=0&nettype=");
	simc_puturl(o, d->net_type);
	pbw_end(o, m);
	simc_truth(b, "search.query", q, "14:url.query");
	simc_truth(b, "network.type", d->net_type, "14:url.nettype");
	pbw_varint(o, 15, 2);
	/* the options list (field 17 occurs 6 times) */
	user_agent(ua, sizeof ua, d);
	simc_hex(r, rid, 32);
	opt(o, "netType", 0, d->net_type);
	simc_truth(b, "network.type", d->net_type, "17[0].3");
	opt(o, "subType", 0, "");
	opt(o, "AdPassThroughInfo", 0, ua);
	simc_truth(b, "device.info", ua, "17[2].3");
	opt(o, "requestId", 0, rid);
	opt(o, "currentPage", 1, "");
	opt(o, "windowWidth", (uint64_t)(d->screen_w * 10 / 27), "");
	pbw_string(o, 19, d->lang);
	simc_truth(b, "locale", d->lang, "19");
	pbw_string(o, 21, sids);
	size_t c = pbw_begin(o, 22);
	pbw_varint(o, 1, 0);
	size_t c2 = pbw_begin(o, 2);
	pbw_varint(o, 9, 1);
	pbw_varint(o, 15, (uint64_t)(d->screen_w * 10 / 27));
	pbw_end(o, c2);
	pbw_varint(o, 3, 852);
	pbw_end(o, c);
	pbw_varint(o, 26, 0);
	size_t z = pbw_begin(o, 27);
	for (uint32_t i = 1; i <= 4; i++)
		pbw_varint(o, i, 0);
	pbw_end(o, z);
	(void)ci;
}

static void search_response(sim_rng *r, const sim_device *d, sim_body *b)
{
	mml_buf *o = &b->pb;
	const char *q = !strcmp(d->lang, "zh") ? PICK(r, queries_zh) : PICK(r, queries_en);
	simc_baseresp(b);
	size_t m = pbw_begin(o, 2);
	simc_puts(o, "{\"query\":");
	simc_putjson(o, q);
	simc_puts(o, ",\"searchId\":\"");
	simc_putu(o, sim_rng_next(r) >> 1);
	simc_puts(o, "\",\"items\":[");
	int n = 2 + (int)sim_rng_below(r, 5);
	for (int i = 0; i < n; i++) {
		const miniprog *mp = &mps[sim_rng_below(r, NMPS)];
		simc_puts(o, i ? ",{\"type\":\"weapp\",\"title\":" : "{\"type\":\"weapp\",\"title\":");
		simc_putjson(o, mp->name);
		simc_puts(o, ",\"desc\":\"Official Mini Program\",\"score\":");
		simc_putu(o, 40 + sim_rng_below(r, 10));
		simc_puts(o, "}");
	}
	simc_puts(o, "],\"continueFlag\":0}");
	pbw_end(o, m);
	simc_truth(b, "search.query", q, "2:json.query");
	pbw_varint(o, 3, 0);
}

/* ---- MP_LAUNCH (launchwxaapp) ---- */

static void mp_launch_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	const miniprog *mp = pick_mp(r, d);
	static const unsigned scenes[] = {1001, 1005, 1006, 1089, 1037};
	unsigned scene = scenes[sim_rng_below(r, 5)];
	char page[128];
	const char *pg = mp->pages[sim_rng_below(r, 4)];
	unsigned cid = (unsigned)sim_rng_below(r, 100000);
	snprintf(page, sizeof page, "%s.html?scene=%u&cid=%u", pg, scene, cid);
	simc_basereq(b, d, 1, 0, "1");
	pbw_string(o, 2, mp->appid);
	simc_truth(b, "miniprogram.id", mp->appid, "2");
	size_t m = pbw_begin(o, 3);
	pbw_varint(o, 1, 0);
	pbw_varint(o, 2, 0);
	pbw_varint(o, 3, scene);
	pbw_string(o, 4, "");
	pbw_varint(o, 5, 0);
	pbw_varint(o, 6, 0);
	pbw_end(o, m);
	pbw_varint(o, 4, 1);
	pbw_string(o, 5, page);
	simc_truth(b, "miniprogram.activity", page, "5");
	size_t t = pbw_begin(o, 6);
	pbw_varint(o, 1, 852);
	pbw_varint(o, 2, simc_ts_s(ci));
	pbw_varint(o, 3, 1);
	pbw_end(o, t);
	size_t u = pbw_begin(o, 7);
	pbw_string(o, 1, mp->username);
	pbw_string(o, 2, "");
	pbw_end(o, u);
	simc_truth(b, "miniprogram.id", mp->username, "7.1");
	/* the system info the Mini Program runtime reports */
	char sys[24], w[12], h[12];
	snprintf(sys, sizeof sys, "Android %s", d->os_version);
	snprintf(w, sizeof w, "%d", d->screen_w);
	snprintf(h, sizeof h, "%d", d->screen_h);
	size_t j = pbw_begin(o, 9);
	simc_puts(o, "{\"brand\":");
	simc_putjson(o, d->brand);
	simc_puts(o, ",\"model\":");
	simc_putjson(o, d->model);
	simc_puts(o, ",\"system\":");
	simc_putjson(o, sys);
	simc_puts(o, ",\"platform\":\"android\",\"screenWidth\":");
	simc_puts(o, w);
	simc_puts(o, ",\"screenHeight\":");
	simc_puts(o, h);
	simc_puts(o, ",\"pixelRatio\":2.75,\"language\":");
	simc_putjson(o, d->lang);
	simc_puts(o, ",\"abi\":");
	simc_putjson(o, d->cpu_abi);
	simc_puts(o, ",\"SDKVersion\":\"2.24.7\"}");
	pbw_end(o, j);
	simc_truth(b, "device.info", d->brand, "9:json.brand");
	simc_truth(b, "device.info", d->model, "9:json.model");
	simc_truth(b, "device.info", sys, "9:json.system");
	simc_truth(b, "device.info", w, "9:json.screenWidth");
	simc_truth(b, "device.info", h, "9:json.screenHeight");
	simc_truth(b, "locale", d->lang, "9:json.language");
	simc_truth(b, "device.info", d->cpu_abi, "9:json.abi");
	pbw_varint(o, 10, UINT64_MAX);
	size_t k = pbw_begin(o, 11);
	simc_puts(o, "hash=");
	simc_putu(o, d->uin);
	simc_puts(o, "&ts=");
	simc_putu(o, simc_ts_ms(ci));
	simc_puts(o, "&host=&version=");
	simc_putu(o, d->client_version);
	simc_puts(o, "&device=2");
	pbw_end(o, k);
	simc_truthu(b, "identity.account", d->uin, "11:url.hash");
	pbw_string(o, 12, mp->username);
	simc_truth(b, "miniprogram.id", mp->username, "12");
	pbw_varint(o, 13, 1);
	pbw_varint(o, 14, 0);
	pbw_string(o, 15, "");
	size_t s = pbw_begin(o, 18);
	pbw_varint(o, 1, scene);
	pbw_varint(o, 2, 0);
	pbw_varint(o, 3, 101);
	pbw_varint(o, 4, 0);
	pbw_end(o, s);
	pbw_varint(o, 20, 0);
}

static void mp_launch_response(sim_rng *r, const sim_device *d, sim_body *b)
{
	mml_buf *o = &b->pb;
	const miniprog *mp = pick_mp(r, d);
	char md5[33], url[96];
	simc_hex(r, md5, 32);
	simc_baseresp(b);
	size_t m = pbw_begin(o, 2);
	pbw_string(o, 1, mp->appid);
	pbw_varint(o, 2, mp->ver);
	snprintf(url, sizeof url, "https://res.servicewechat.com/weapp/release/%u_%.12s.wxapkg", mp->ver, md5);
	pbw_string(o, 3, url);
	pbw_string(o, 4, md5);
	pbw_varint(o, 5, 300000 + sim_rng_below(r, 1700000));
	pbw_end(o, m);
	simc_truth(b, "miniprogram.id", mp->appid, "2.1");
	size_t c = pbw_begin(o, 3);
	simc_puts(o, "{\"nickname\":");
	simc_putjson(o, mp->name);
	simc_puts(o, ",\"entryPagePath\":");
	simc_putjson(o, mp->pages[0]);
	simc_puts(o, ",\"networkTimeout\":{\"request\":10000},\"permission\":{\"scope.userLocation\":{\"desc\":"
	             "\"Used to find services near you\"}}}");
	pbw_end(o, c);
	pbw_varint(o, 4, 1 + sim_rng_below(r, 3));
}

/* ---- MP_REPORT (a Mini Program telemetry batch) ---- */

enum { R_REQUEST, R_LAUNCH, R_PERF, R_RUNTIME };
#define MP_MAX_ROWS 12

/* The rows of a report batch, planned within the truth budget: the
 * launch row first, then requests, performance and runtime rows shuffled. */
static int report_plan(sim_rng *r, const sim_body *b, int ne, int plan[MP_MAX_ROWS])
{
	int nrow = 0;
	int need[] = {[R_REQUEST] = 6, [R_LAUNCH] = 4, [R_PERF] = 1, [R_RUNTIME] = 0};
	int budget = SIM_MAX_TRUTH - b->ntruth - 4 - 2 - 2 * ne;
	plan[nrow++] = R_LAUNCH;
	int nreq = 2 + (int)sim_rng_below(r, 4), nperf = 1 + (int)sim_rng_below(r, 3), nrt = (int)sim_rng_below(r, 2);
	budget -= need[R_LAUNCH];
	for (int i = 0; i < nreq && nrow < MP_MAX_ROWS && budget >= need[R_REQUEST]; i++, budget -= need[R_REQUEST])
		plan[nrow++] = R_REQUEST;
	for (int i = 0; i < nperf && nrow < MP_MAX_ROWS && budget >= need[R_PERF]; i++, budget -= need[R_PERF])
		plan[nrow++] = R_PERF;
	for (int i = 0; i < nrt && nrow < MP_MAX_ROWS; i++)
		plan[nrow++] = R_RUNTIME;
	for (int i = nrow - 1; i > 1; i--) { /* shuffle all but the launch row */
		int j = 1 + (int)sim_rng_below(r, (uint64_t)i), t = plan[i];
		plan[i] = plan[j], plan[j] = t;
	}
	return nrow;
}

/* What one row of the batch says about the user and the Mini Program. */
typedef struct report_ctx {
	const sim_device *d;
	const sim_ctx_info *ci;
	const miniprog *mp;
	const char *uid, *net;
} report_ctx;

/* Row `kind` (path 3<ri>.2) at time t0, on page. */
static void report_row(sim_rng *r, const report_ctx *x, sim_body *b, int kind, const char *ri, uint64_t t0,
                       const char *page)
{
	mml_buf *o = &b->pb;
	const sim_device *d = x->d;
	const sim_ctx_info *ci = x->ci;
	const miniprog *mp = x->mp;
	const char *uid = x->uid, *net = x->net;
	size_t rm, m;
	simc_row w = {o, 0};
	switch (kind) {
	case R_LAUNCH: {
		char hash[96], html[64];
		snprintf(hash, sizeof hash, "hash=%u&ts=%llu&host=&version=%u&device=2", (unsigned)d->uin,
		         (unsigned long long)t0, (unsigned)d->client_version);
		snprintf(html, sizeof html, "%s.html", page);
		m = simc_item_begin(o, 3, 16012, &rm);
		simc_col(&w, hash);
		simc_col(&w, mp->appid);
		simc_colu(&w, mp->ver);
		simc_colu(&w, 1);
		simc_colu(&w, 1000);
		simc_colu(&w, 200 + sim_rng_below(r, 7000));
		simc_colu(&w, 1001);
		simc_colu(&w, t0);
		simc_colu(&w, t0 + 300 + sim_rng_below(r, 900));
		simc_col(&w, "2.24.7");
		simc_col(&w, page);
		simc_col(&w, html);
		simc_colu(&w, 0);
		simc_colu(&w, 1);
		simc_item_end(o, m, rm, ci);
		simc_truthu(b, "identity.account", d->uin, "3%s.2:csv[0]:url.hash", ri);
		simc_truth(b, "miniprogram.id", mp->appid, "3%s.2:csv[1]", ri);
		simc_truth(b, "miniprogram.activity", page, "3%s.2:csv[10]", ri);
		simc_truth(b, "miniprogram.activity", html, "3%s.2:csv[11]", ri);
		break;
	}
	case R_REQUEST: {
		char url[200], sign[9];
		simc_hex(r, sign, 8);
		snprintf(url, sizeof url, "https://%s/%s?%s=%s&ts=%llu&sign=%s", mp->host,
		         mp->apis[sim_rng_below(r, 3)], mp->uidkey, uid, (unsigned long long)t0, sign);
		m = simc_item_begin(o, 3, 16244, &rm);
		simc_col(&w, mp->appid);
		simc_colu(&w, mp->ver);
		simc_colu(&w, 1);
		simc_col(&w, "request");
		simc_col(&w, url);
		simc_colu(&w, 1);
		simc_colu(&w, 80 + sim_rng_below(r, 900));
		simc_col(&w, "request:ok");
		simc_colu(&w, 1000);
		simc_colu(&w, 200);
		simc_colu(&w, 120 + sim_rng_below(r, 40000));
		simc_col(&w, net);
		simc_col(&w, page);
		simc_col(&w, "");
		simc_colu(&w, 0);
		simc_colu(&w, t0);
		simc_item_end(o, m, rm, ci);
		simc_truth(b, "miniprogram.id", mp->appid, "3%s.2:csv[0]", ri);
		simc_truth(b, "miniprogram.activity", "request", "3%s.2:csv[3]", ri);
		simc_truth(b, "miniprogram.requests", url, "3%s.2:csv[4]", ri);
		simc_truth(b, "identity.thirdparty", uid, "3%s.2:csv[4]:url.%s", ri, mp->uidkey);
		simc_truth(b, "network.type", net, "3%s.2:csv[11]", ri);
		simc_truth(b, "miniprogram.activity", page, "3%s.2:csv[12]", ri);
		break;
	}
	case R_PERF:
		m = simc_item_begin(o, 3, 16303, &rm);
		simc_col(&w, mp->appid);
		simc_colu(&w, mp->ver);
		simc_colu(&w, 1);
		simc_colu(&w, 1 + sim_rng_below(r, 12));
		simc_colu(&w, t0);
		simc_col(&w, "undefined");
		simc_col(&w, "undefined");
		simc_colu(&w, t0 + sim_rng_below(r, 3000));
		simc_colu(&w, 0);
		simc_colu(&w, 1000);
		simc_item_end(o, m, rm, ci);
		simc_truth(b, "miniprogram.id", mp->appid, "3%s.2:csv[0]", ri);
		break;
	default: { /* the runtime's own download: nothing personal */
		char url[160], h[9];
		simc_hex(r, h, 8);
		snprintf(url, sizeof url,
		         "https://dldir1v6.qq.com/weixin/android/wxweb/datafile/config/packagefile/runtime_%s_arm64.zip", h);
		m = simc_item_begin(o, 3, 15875, &rm);
		simc_colu(&w, 1);
		simc_colu(&w, 0);
		simc_colu(&w, 0);
		simc_colu(&w, 9);
		simc_col(&w, url);
		simc_colu(&w, 30004);
		simc_colu(&w, 0);
		simc_colu(&w, 0);
		simc_col(&w, "");
		simc_colu(&w, 0);
		simc_item_end(o, m, rm, ci);
		break;
	}
	}
}

/* Page-view and click events as JSON at field 4. */
static void report_events(sim_rng *r, const miniprog *mp, sim_body *b, int ne, uint64_t now)
{
	mml_buf *o = &b->pb;
	char sess[40];
	simc_hex(r, sess, 24);
	size_t j = pbw_begin(o, 4);
	simc_puts(o, "{\"appid\":");
	simc_putjson(o, mp->appid);
	simc_puts(o, ",\"session_id\":\"");
	simc_puts(o, sess);
	simc_puts(o, "\",\"events\":[");
	static const char *const targets[] = {"btn_confirm", "tab_order", "banner_0", "search_box", "item_card_2",
	                                      "btn_pay"};
	for (int i = 0; i < ne; i++) {
		const char *page = mp->pages[sim_rng_below(r, 4)];
		bool view = i == 0 || sim_rng_below(r, 3);
		simc_puts(o, i ? ",{\"page_path\":" : "{\"page_path\":");
		simc_putjson(o, page);
		simc_truth(b, "miniprogram.activity", page, "4:json.events[%d].page_path", i);
		if (view) {
			uint64_t dwell = 300 + sim_rng_below(r, 60000);
			simc_puts(o, ",\"event\":\"page_view\",\"dwell_ms\":");
			simc_putu(o, dwell);
			simc_truthu(b, "telemetry.ui", dwell, "4:json.events[%d].dwell_ms", i);
		} else {
			const char *t = PICK(r, targets);
			simc_puts(o, ",\"event\":\"click\",\"target\":");
			simc_putjson(o, t);
			simc_truth(b, "telemetry.ui", t, "4:json.events[%d].target", i);
		}
		simc_puts(o, ",\"ts\":");
		simc_putu(o, now ? now - 50000 + (uint64_t)i * 4000 : 0);
		simc_puts(o, "}");
	}
	simc_puts(o, "]}");
	pbw_end(o, j);
	simc_truth(b, "miniprogram.id", mp->appid, "4:json.appid");
	simc_truth(b, "miniprogram.activity", sess, "4:json.session_id");
}

static void mp_report_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	const miniprog *mp = pick_mp(r, d);
	char uid[40], net[8], ib[16];
	thirdparty_id(d, mp, uid);
	snprintf(net, sizeof net, "%s", d->net_type);
	uint64_t now = simc_ts_ms(ci);
	int plan[MP_MAX_ROWS], ne = 2 + (int)sim_rng_below(r, 4);
	int nrow = report_plan(r, b, ne, plan);
	simc_basereq(b, d, 1, 0, "1");
	pbw_string(o, 2, mp->appid);
	simc_truth(b, "miniprogram.id", mp->appid, "2");
	report_ctx x = {d, ci, mp, uid, net};
	for (int i = 0; i < nrow; i++) {
		const char *ri = simc_rep(ib, i, nrow);
		const char *page = mp->pages[sim_rng_below(r, 4)];
		uint64_t t0 = now ? now - 60000 + (uint64_t)i * 1500 + sim_rng_below(r, 1000) : 0;
		report_row(r, &x, b, plan[i], ri, t0, page);
	}
	report_events(r, mp, b, ne, now);
	pbw_varint(o, 5, now);
}

void sim_mp_make(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_kind k, bool request, sim_body *b)
{
	mml_buf *o = &b->pb;
	switch (k) {
	case SIM_K_SEARCH:
		if (request)
			search_request(r, d, ci, b);
		else
			search_response(r, d, b);
		break;
	case SIM_K_MP_LAUNCH:
		if (request)
			mp_launch_request(r, d, ci, b);
		else
			mp_launch_response(r, d, b);
		break;
	case SIM_K_MP_REPORT:
		if (request) {
			mp_report_request(r, d, ci, b);
		} else {
			simc_baseresp(b);
			pbw_varint(o, 2, 60 + sim_rng_below(r, 240));
		}
		break;
	case SIM_K_LOCATION:
		if (request) {
			sim_location_request(r, d, ci, b);
		} else {
			simc_baseresp(b);
			size_t m = pbw_begin(o, 2);
			simc_puts(o, "{\"h5Version\":");
			simc_putu(o, 80010000 + sim_rng_below(r, 1000));
			simc_puts(o, ",\"locationSwitch\":1,\"reportInterval\":");
			simc_putu(o, 300 + 60 * sim_rng_below(r, 10));
			simc_puts(o, "}");
			pbw_end(o, m);
			pbw_varint(o, 3, 86400);
		}
		break;
	case SIM_K_TELEMETRY:
		if (request) {
			sim_telemetry_request(r, d, ci, b);
		} else {
			pbw_varint(o, 1, 0);
			pbw_varint(o, 2, 1800);
			size_t m = pbw_begin(o, 3);
			pbw_varint(o, 1, 20 + sim_rng_below(r, 30));
			pbw_varint(o, 2, 1);
			pbw_end(o, m);
		}
		break;
	default:
		break;
	}
}
