/*
 * tools/sim/content_kv.c - the location config request and the kv
 * telemetry report for sim_content_make() (content_mp.c dispatches here;
 * path syntax in content.c).
 *
 * Layouts follow the logged 8.0.x bodies: the location config request
 * (float32 {1: lon, 2: lat} pair, -1000 when the permission is off, a
 * double pair, a kv row and a JSON copy) and the kv report (groups of
 * uin, device and rows of URL-encoded, comma-separated fields: app
 * lifecycle, page dwell, clicks with their view path, article reads).
 */
#include <stdio.h>
#include <string.h>

#include "content_int.h"
#include "sim.h"

/* ---- LOCATION ---- */

void sim_location_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	bool on = ci->location_on;
	/* a fix near home (within ~1 km) */
	double lat = d->home_lat + (sim_rng_unit(r) - 0.5) * 0.018, lon = d->home_lon + (sim_rng_unit(r) - 0.5) * 0.018;
	unsigned acc = 15 + (unsigned)sim_rng_below(r, 200);
	const char *city = on ? sim_device_city(d) : "";
	if (!on)
		lat = lon = -1000;
	char pair[64];
	simc_basereq(b, d, 1, 0, "1");
	pbw_varint(o, 2, 80010000 + sim_rng_below(r, 1000));
	pbw_string(o, 3, d->lang);
	simc_truth(b, "locale", d->lang, "3");
	pbw_varint(o, 4, 20);
	pbw_varint(o, 5, 0);
	pbw_string(o, 6, d->net_type);
	simc_truth(b, "network.type", d->net_type, "6");

	/* float32 {1: lon, 2: lat} as the app writes it */
	float flat = (float)lat, flon = (float)lon;
	size_t m = pbw_begin(o, 7);
	pbw_float(o, 1, flon);
	pbw_float(o, 2, flat);
	pbw_varint(o, 3, on ? acc : 0);
	pbw_varint(o, 6, on ? 1 : 0);
	pbw_end(o, m);
	if (on) {
		snprintf(pair, sizeof pair, "%.6f,%.6f", (double)flat, (double)flon);
		simc_truth(b, "location.coordinates", pair, "7");
	}
	/* double {1: lat, 2: lon}; 0/0 without the permission */
	size_t g = pbw_begin(o, 8);
	pbw_double(o, 1, on ? lat : 0);
	pbw_double(o, 2, on ? lon : 0);
	pbw_end(o, g);
	snprintf(pair, sizeof pair, "%.6f,%.6f", lat, lon);
	if (on)
		simc_truth(b, "location.coordinates", pair, "8");
	size_t z = pbw_begin(o, 9);
	for (uint32_t i = 1; i <= 4; i++)
		pbw_varint(o, i, 0);
	pbw_end(o, z);
	pbw_string(o, 10, city);
	if (on)
		simc_truth(b, "location.place", city, "10");

	/* a kv row: "lat/lon" text, the city, the Android ID */
	char ll[64];
	snprintf(ll, sizeof ll, "%.6f/%.6f", lat, lon);
	size_t c = pbw_begin(o, 11);
	simc_row w = {o, 0};
	simc_colu(&w, 5);
	simc_colu(&w, 0);
	simc_colu(&w, 0);
	simc_colu(&w, 0);
	simc_colu(&w, simc_ts_ms(ci));
	simc_colu(&w, 0);
	simc_colu(&w, 0);
	simc_col(&w, ll);
	simc_col(&w, city);
	simc_colu(&w, 0);
	simc_col(&w, "null");
	simc_col(&w, d->android_id);
	pbw_end(o, c);
	if (on) {
		simc_truth(b, "location.coordinates", pair, "11:csv[7]");
		simc_truth(b, "location.place", city, "11:csv[8]");
	}
	simc_truth(b, "identity.device", d->android_id, "11:csv[11]");

	/* JSON: decimal text pair, city, region, time zone */
	size_t j = pbw_begin(o, 12);
	simc_puts(o, "{\"location\":{\"latitude\":");
	simc_putf6(o, lat);
	simc_puts(o, ",\"longitude\":");
	simc_putf6(o, lon);
	simc_puts(o, ",\"accuracy\":");
	simc_putu(o, on ? acc : 0);
	simc_puts(o, "},\"city\":");
	simc_putjson(o, city);
	simc_puts(o, ",\"region\":");
	simc_putjson(o, d->region);
	simc_puts(o, ",\"timezone\":");
	simc_putjson(o, d->timezone);
	simc_puts(o, ",\"provider\":\"network\"}");
	pbw_end(o, j);
	if (on) {
		simc_truth(b, "location.coordinates", pair, "12:json.location");
		simc_truth(b, "location.place", city, "12:json.city");
	}
	simc_truth(b, "locale", d->region, "12:json.region");
	simc_truth(b, "locale", d->timezone, "12:json.timezone");
}

/* ---- TELEMETRY (kv report) ---- */

static const char *const activities[] = {"LauncherUI", "ChattingUI", "SnsTimeLineUI", "WebViewUI", "AppBrandUI",
                                         "SettingsUI", "ContactInfoUI", "FinderHomeUI", "WalletIndexUI", "BaseScanUI"};
static const char *const ui_pages[] = {"MainUI", "FindMoreFriendUI", "MoreTabUI", "AddressUI", "ChattingUI",
                                       "SnsUserUI"};
static const char *const view_paths[] = {
	"LinearLayout|WxRecyclerView|FrameLayout|LinearLayout|DecorView",
	"FrameLayout|MMWeUIBounceView|CustomViewPager|FrameLayout|DecorView",
	"RelativeLayout|ListView|ChattingContent|FrameLayout|DecorView",
};
static const char *const fragments[] = {"MvvmAddressUIFragment", "MainUIFragment", "FindMoreFriendsUIFragment",
                                        "MoreTabUIFragment"};
static const char *const titles_en[] = {"Weekend weather: rain & wind", "10 tips for better sleep",
                                        "City marathon: road closures", "New metro line opens Monday",
                                        "Recipe: 15-minute noodles"};
static const char *const titles_zh[] = {
	"周末天气：有雨", "地铁新线路开通", "好睡眠的10个习惯",
};

static void kv_row(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b, const char *path,
                   int kind, uint64_t t0)
{
	mml_buf *o = &b->pb;
	size_t rm, m;
	simc_row w = {o, 0};
	switch (kind) {
	case 0: { /* app lifecycle */
		static const char *const ev[] = {"resume", "pause", "foreground", "background"};
		const char *a = PICK(r, activities);
		m = simc_item_begin(o, 4, 13970, &rm);
		simc_colu(&w, t0);
		simc_col(&w, a);
		simc_col(&w, PICK(r, ev));
		simc_colu(&w, 100 + sim_rng_below(r, 120000));
		const char *prev = PICK(r, activities);
		simc_col(&w, prev);
		simc_col(&w, d->net_type);
		simc_item_end(o, m, rm, ci);
		simc_truth(b, "telemetry.app", a, "%s.2:csv[1]", path);
		simc_truth(b, "telemetry.app", prev, "%s.2:csv[4]", path);
		simc_truth(b, "network.type", d->net_type, "%s.2:csv[5]", path);
		break;
	}
	case 1: { /* page dwell */
		const char *p = PICK(r, ui_pages);
		m = simc_item_begin(o, 4, 21831, &rm);
		simc_colu(&w, t0);
		simc_col(&w, p);
		simc_colu(&w, 500 + sim_rng_below(r, 90000));
		simc_colu(&w, sim_rng_below(r, 20));
		simc_colu(&w, sim_rng_below(r, 101));
		simc_item_end(o, m, rm, ci);
		simc_truth(b, "telemetry.ui", p, "%s.2:csv[1]", path);
		break;
	}
	case 2: { /* a click, with the view path */
		const char *v = PICK(r, view_paths);
		m = simc_item_begin(o, 4, 20955, &rm);
		simc_col(&w, v);
		simc_col(&w, PICK(r, fragments));
		simc_col(&w, "LinearLayout");
		simc_colu(&w, 1 + sim_rng_below(r, 5));
		simc_item_end(o, m, rm, ci);
		simc_truth(b, "telemetry.ui", v, "%s.2:csv[0]", path);
		break;
	}
	case 3: { /* an official-account article read */
		const char *t = !strcmp(d->lang, "zh") ? PICK(r, titles_zh) : PICK(r, titles_en);
		char gh[20];
		memcpy(gh, "gh_", 3);
		simc_hex(r, gh + 3, 12);
		m = simc_item_begin(o, 4, 18218, &rm);
		simc_colu(&w, t0 / 1000);
		simc_col(&w, gh);
		simc_colu(&w, (uint32_t)sim_rng_next(r));
		simc_colu(&w, 0);
		simc_colu(&w, 0);
		simc_col(&w, t);
		simc_colu(&w, 63);
		simc_colu(&w, 0);
		simc_colu(&w, t0);
		simc_colu(&w, t0 + sim_rng_below(r, 60000));
		simc_colu(&w, 0);
		simc_colu(&w, 1);
		simc_item_end(o, m, rm, ci);
		simc_truth(b, "telemetry.app", t, "%s.2:csv[5]", path);
		break;
	}
	default: /* resource check: nothing personal */
		m = simc_item_begin(o, 4, 15875, &rm);
		simc_colu(&w, 1);
		simc_colu(&w, sim_rng_below(r, 3));
		simc_colu(&w, 5023);
		simc_colu(&w, 20220505);
		simc_colu(&w, 9);
		simc_colu(&w, 1);
		simc_colu(&w, 0);
		simc_colu(&w, 520240);
		simc_item_end(o, m, rm, ci);
		break;
	}
}

void sim_telemetry_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	int ng = 1 + (int)sim_rng_below(r, 2);
	char gi[16], ri[16], path[48], dev[40], mabi[64];
	snprintf(dev, sizeof dev, "android-%s", d->manufacturer);
	snprintf(mabi, sizeof mabi, "%s%s", d->model, d->cpu_abi);
	uint64_t now = simc_ts_ms(ci);
	pbw_varint(o, 1, 100);
	pbw_varint(o, 2, 28);
	pbw_varint(o, 3, 3);
	for (int g = 0; g < ng; g++) {
		const char *G = simc_rep(gi, g, ng);
		/* each group: 6 header truths + up to 12 rows of at most three truths each */
		int nrow = 3 + (int)sim_rng_below(r, 10);
		size_t m = pbw_begin(o, 4);
		pbw_varint(o, 1, d->uin);
		pbw_string(o, 7, dev);
		pbw_varint(o, 2, d->client_version);
		pbw_varint(o, 3, 1);
		simc_truthu(b, "identity.account", d->uin, "4%s.1", G);
		simc_truth(b, "device.info", dev, "4%s.7", G);
		for (int i = 0; i < nrow; i++) {
			snprintf(path, sizeof path, "4%s.4%s", G, simc_rep(ri, i, nrow));
			int kind = (int)sim_rng_below(r, 9);
			kv_row(r, d, ci, b, path, kind > 4 ? kind % 4 : kind, now ? now - 120000 + (uint64_t)i * 7000 : 0);
		}
		pbw_string(o, 5, mabi);
		pbw_string(o, 6, d->brand);
		pbw_string(o, 8, "34");
		pbw_string(o, 9, d->lang);
		pbw_varint(o, 10, 0);
		pbw_end(o, m);
		simc_truth(b, "device.info", mabi, "4%s.5", G);
		simc_truth(b, "device.info", d->brand, "4%s.6", G);
		simc_truth(b, "device.info", "34", "4%s.8", G);
		simc_truth(b, "locale", d->lang, "4%s.9", G);
	}
}
