/*
 * tools/sim/content.c - what a simulated WeChat message says, and the
 * ground truth of the personal data in it.
 *
 * Contract: sim_content_make() fills a sim_body (reset first) with the
 * protobuf plaintext of one request or response of a sim_kind, before
 * zlib (b->compress says whether the app would deflate it), and with one
 * sim_truth per personal value placed in it. The layouts follow the
 * request bodies of WeChat 8.0.x logged on Android (BaseRequest at field
 * 1 = {1: session key, 2: uin, 3: device id, 4: client version,
 * 5: "android-34", 6: scene}; XML device fingerprints; telemetry rows
 * that are comma-separated and URL-encoded; float32 coordinate pairs),
 * with made-up values from the sim_device. Same RNG state, device and
 * ctx give the same bytes and truth, with any compiler: no expression
 * draws from the RNG twice where C leaves the order open (arguments of
 * one call, operands of one operator). Kinds whose real bodies carry no
 * BaseRequest (newsync, checkresupdate, newsendmsg) have none here either.
 * Cost: no allocation but the growth of b->pb (reused across calls); text
 * is written straight into the protobuf buffer. The Mini Program, search,
 * location and telemetry kinds live in content_mp.c; the Moments post,
 * comment and image upload in content_core.c; secautoauth in
 * content_auth.c.
 *
 * Ground truth. category is a taxonomy id (identity.account, identity.device,
 * identity.push_token, identity.thirdparty, device.info, network.carrier,
 * network.ip, network.wifi, network.type, location.coordinates,
 * location.place, locale, miniprogram.id, miniprogram.activity,
 * miniprogram.requests, search.query, content.message, content.post,
 * content.comment, content.media, profile.name, contacts,
 * contacts.addressee, telemetry.ui, telemetry.app). value is the value as a
 * decoder would read it: decimal text for an integer (the uin as a
 * varint, say), the text after undoing URL-, XML- or JSON-escaping for a
 * string. path says where it is:
 *   - protobuf: field numbers from the top-level message joined by '.',
 *     e.g. "1.2" (the uin in BaseRequest). When a field number occurs
 *     more than once in its parent message, every occurrence carries its
 *     0-based index among them: "4[7].2". A field occurring once has no
 *     index, even if it is a "repeated" field in the schema.
 *   - inside a string field holding another format: ':' + format name +
 *     that format's own path, appended to the field's path:
 *       json  keys joined by '.', array indexes in brackets:
 *             "4:json.events[3].page_path"
 *       csv   one row per string, separated by ',' (or '|' or ';'),
 *             fields URL-encoded; a 0-based column: "3:csv[11]"
 *       url   key=value&... pairs (the query of a URL when the text is a
 *             URL); the key: "11:url.hash"
 *       xml   element names from the root joined by '.', then '@' and an
 *             attribute name for an attribute: "2.5:xml.softtype.k22",
 *             "2.10:xml.deviceinfo.MANUFACTURER.MODEL@name"
 *     and nested: a URL-encoded URL in a CSV column, its uid query key:
 *     "3[2].2:csv[4]:url.uid".
 *   - a coordinate pair is ONE item, category location.coordinates, value
 *     "lat,lon" with 6 decimals, at the path of what holds both numbers:
 *     the parent message of a float32 (or double) pair in sibling fields,
 *     whatever their order ("7" for {1: lon, 2: lat} as the app writes
 *     it), the JSON object holding latitude/longitude ("12:json.location"),
 *     or the CSV column holding "lat/lon" ("11:csv[7]"). For float32 the
 *     value is the float32 value printed with 6 decimals.
 * Without the location permission (ctx->location_on false) location
 * messages carry the app's placeholders (-1000/-1000, 0/0, empty city)
 * and no location.* truth.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "content_int.h"
#include "sim.h"


/* ---- kinds ---- */

static const struct {
	uint32_t req_type;
	const char *api;
	bool zreq, zresp; /* the app deflates the request / response */
} kinds[SIM_K__COUNT] = {
	[SIM_K_AUTH] = {763, "/cgi-bin/micromsg-bin/secautoauth", true, true},
	[SIM_K_GETCDNDNS] = {379, "/cgi-bin/micromsg-bin/getcdndns", false, true},
	[SIM_K_BYPSYNC] = {3673, "/cgi-bin/micromsg-bin/bypsync", true, true},
	[SIM_K_NEWSYNC] = {138, "/cgi-bin/micromsg-bin/newsync", false, true},
	[SIM_K_STATUSNOTIFY] = {251, "/cgi-bin/micromsg-bin/statusnotify", true, false},
	[SIM_K_CHECKRESUPDATE] = {721, "/cgi-bin/micromsg-bin/checkresupdate", false, true},
	[SIM_K_FCMREG] = {216, "/cgi-bin/micromsg-bin/androidfcmreg", false, false},
	[SIM_K_NETWORKINFO] = {6238, "/cgi-bin/micromsg-bin/getnetworkinfo", false, false},
	[SIM_K_SENDMSG] = {522, "/cgi-bin/micromsg-bin/newsendmsg", false, false},
	[SIM_K_SEARCH] = {719, "/cgi-bin/micromsg-bin/mmwebsearch", true, true},
	[SIM_K_MP_LAUNCH] = {1122, "/cgi-bin/mmbiz-bin/wxaattr/launchwxaapp", false, true},
	[SIM_K_MP_REPORT] = {1009, "/cgi-bin/mmbiz-bin/wxausrevent/wxaappidkeybatchreport", true, false},
	[SIM_K_LOCATION] = {1948, "/cgi-bin/mmsearch-bin/websearchconfig", false, false},
	[SIM_K_TELEMETRY] = {997, "/cgi-bin/micromsg-bin/newreportkvcomm", true, false},
	[SIM_K_SNSPOST] = {209, "/cgi-bin/micromsg-bin/mmsnspost", false, true},
	[SIM_K_SNSCOMMENT] = {213, "/cgi-bin/micromsg-bin/mmsnscomment", false, true},
	[SIM_K_UPLOADIMG] = {625, "/cgi-bin/micromsg-bin/uploadmsgimg", false, false},
};

const char *sim_kind_api(sim_kind k) { return (unsigned)k < SIM_K__COUNT ? kinds[k].api : NULL; }
uint32_t sim_kind_reqtype(sim_kind k) { return (unsigned)k < SIM_K__COUNT ? kinds[k].req_type : 0; }

void sim_body_init(sim_body *b)
{
	memset(b, 0, sizeof *b);
	mml_buf_init(&b->pb, 0);
}

void sim_body_free(sim_body *b)
{
	mml_buf_free(&b->pb);
	b->ntruth = 0;
}


/* ---- messages people write ---- */

static const char *const msg_en[] = {
	"Are we still on for dinner tonight?", "Running 10 min late, sorry!", "Can you send me the address?",
	"Happy birthday!! [Party]", "Did you see the game last night?", "I'll pick up the kids at 5",
	"Thanks, got it [ThumbsUp]", "Meeting moved to 3pm, room 4B", "Call me when you land",
	"The package arrived today", "Let's split the bill, I'll send you my half", "Good night, talk tomorrow",
};
static const char *const msg_zh[] = {
	"今晚一起吃饭吗？", "我到了，在门口等你", "收到，谢谢[抱拳]", "明天上午十点开会", "生日快乐！", "快递帮我收一下", "ok, see you at 7",
};
static const char *const msg_de[] = {
	"Bin in 10 Minuten da", "Kannst du Brot mitbringen?", "Alles Gute zum Geburtstag!",
	"Treffen wir uns um 18 Uhr am Bahnhof?", "Danke dir, bis morgen",
};
static const char *const msg_ja[] = {
	"今どこ？", "ありがとう！", "明日の会議は10時です", "see you soon",
};

static const char *message_text(sim_rng *r, const sim_device *d)
{
	if (!strcmp(d->lang, "zh"))
		return PICK(r, msg_zh);
	if (!strcmp(d->lang, "de"))
		return PICK(r, msg_de);
	if (!strcmp(d->lang, "ja"))
		return PICK(r, msg_ja);
	return PICK(r, msg_en);
}

/* ---- GETCDNDNS ---- */

static void cdn_info(sim_rng *r, sim_body *b, const sim_device *d, uint32_t field, const char *zone)
{
	mml_buf *o = &b->pb;
	size_t m = pbw_begin(o, field);
	pbw_varint(o, 1, 1 + sim_rng_below(r, 30));
	pbw_varint(o, 2, d->uin);
	simc_truthu(b, "identity.account", d->uin, "%u.2", field);
	pbw_varint(o, 3, sim_rng_below(r, 200));
	int nip = 2 + (int)sim_rng_below(r, 5);
	pbw_varint(o, 4, (uint64_t)nip);
	static const char *const nets[] = {"183.3.", "58.251.", "203.205.", "43.129.", "101.32.", "157.255."};
	for (int i = 0; i < nip; i++) {
		char ip[24];
		const char *net = PICK(r, nets);
		unsigned i3 = (unsigned)sim_rng_below(r, 256);
		unsigned i4 = 1 + (unsigned)sim_rng_below(r, 254);
		int n = snprintf(ip, sizeof ip, "%s%u.%u", net, i3, i4);
		size_t e = pbw_begin(o, 5);
		pbw_varint(o, 1, (uint64_t)n);
		pbw_string(o, 2, ip);
		pbw_end(o, e);
	}
	pbw_string(o, 6, zone);
	simc_keybuf(r, o, 7, 32);
	pbw_varint(o, 8, 1700000000 + sim_rng_below(r, 90000000));
	pbw_end(o, m);
}

/* ---- NEWSYNC response: commands, some of them incoming messages ---- */

static void newsync_response(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	pbw_varint(o, 1, 0);
	int nmsg = (int)sim_rng_below(r, 3), nother = 1 + (int)sim_rng_below(r, 2), n = nmsg + nother;
	size_t cl = pbw_begin(o, 2);
	pbw_varint(o, 1, (uint64_t)n);
	for (int i = 0; i < n; i++) {
		char P[32];
		if (n > 1)
			snprintf(P, sizeof P, "2.2[%d].2.2", i);
		else
			snprintf(P, sizeof P, "2.2.2.2");
		size_t it = pbw_begin(o, 2);
		if (i >= nmsg) { /* an opaque command (contact or settings sync) */
			pbw_varint(o, 1, i % 2 ? 44 : 2);
			simc_keybuf(r, o, 2, 16 + sim_rng_below(r, 64));
			pbw_end(o, it);
			continue;
		}
		pbw_varint(o, 1, 5);
		size_t kb = pbw_begin(o, 2);
		const char *text = message_text(r, d);
		char from[32], sig[9];
		simc_friend(d, sim_rng_below(r, 12), from);
		size_t am = pbw_begin(o, 2); /* the AddMsg */
		pbw_varint(o, 1, (uint32_t)sim_rng_next(r));
		size_t f = pbw_begin(o, 2);
		pbw_string(o, 1, from);
		pbw_end(o, f);
		size_t t = pbw_begin(o, 3);
		pbw_string(o, 1, d->wxid);
		pbw_end(o, t);
		pbw_varint(o, 4, 1);
		size_t c = pbw_begin(o, 5);
		pbw_string(o, 1, text);
		pbw_end(o, c);
		pbw_varint(o, 6, 3);
		pbw_varint(o, 9, simc_ts_s(ci) ? simc_ts_s(ci) - sim_rng_below(r, 600) : 0);
		size_t ms = pbw_begin(o, 10);
		simc_puts(o, "<msgsource><signature>v1_");
		simc_hex(r, sig, 8);
		simc_puts(o, sig);
		simc_puts(o, "</signature></msgsource>");
		pbw_end(o, ms);
		pbw_end(o, am);
		pbw_end(o, kb);
		pbw_end(o, it);
		simc_truth(b, "contacts", from, "%s.2.1", P);
		simc_truth(b, "identity.account", d->wxid, "%s.3.1", P);
		simc_truth(b, "content.message", text, "%s.5.1", P);
	}
	pbw_end(o, cl);
	pbw_varint(o, 3, 0);
	simc_keybuf(r, o, 4, 80 + sim_rng_below(r, 120));
	pbw_varint(o, 5, 0);
	pbw_varint(o, 6, 0x28000000 + sim_rng_below(r, 0x100000));
	pbw_varint(o, 7, simc_ts_s(ci));
}

/* ---- requests and responses ---- */

static void networkinfo_request(sim_rng *r, const sim_device *d, sim_body *b)
{
	mml_buf *o = &b->pb;
	simc_basereq(b, d, 1, 0, "1");
	char md5[33];
	simc_hex(r, md5, 32);
	pbw_string(o, 2, md5);
	/* an encrypted, base64 and URL-encoded blob */
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char blob[96];
	int n = 56 + (int)sim_rng_below(r, 8) * 4;
	for (int i = 0; i < n; i++)
		blob[i] = b64[sim_rng_below(r, 64)];
	blob[n] = '=';
	blob[n + 1] = 0;
	size_t m = pbw_begin(o, 3);
	simc_puturl(o, blob);
	pbw_end(o, m);
	char ip[16];
	snprintf(ip, sizeof ip, "%u.%u.%u.%u", d->client_ip[0], d->client_ip[1], d->client_ip[2], d->client_ip[3]);
	pbw_string(o, 4, ip);
	simc_truth(b, "network.ip", ip, "4");
	pbw_string(o, 5, d->net_type);
	simc_truth(b, "network.type", d->net_type, "5");
	size_t cell = pbw_begin(o, 6);
	pbw_string(o, 1, d->carrier);
	pbw_string(o, 2, d->mccmnc);
	pbw_string(o, 3, d->apn);
	pbw_varint(o, 4, 1 + sim_rng_below(r, 4));
	pbw_end(o, cell);
	simc_truth(b, "network.carrier", d->carrier, "6.1");
	simc_truth(b, "network.carrier", d->mccmnc, "6.2");
	simc_truth(b, "network.carrier", d->apn, "6.3");
	if (!strcmp(d->net_type, "wifi")) {
		size_t w = pbw_begin(o, 7);
		pbw_string(o, 1, d->ssid);
		pbw_string(o, 2, d->bssid);
		pbw_varint(o, 3, 1 + sim_rng_below(r, 4));
		pbw_end(o, w);
		simc_truth(b, "network.wifi", d->ssid, "7.1");
		simc_truth(b, "network.wifi", d->bssid, "7.2");
	}
}

static void statusnotify_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	simc_basereq(b, d, 1, 0, "1");
	pbw_varint(o, 2, 11);
	pbw_string(o, 3, d->wxid);
	pbw_string(o, 4, d->wxid);
	simc_truth(b, "identity.account", d->wxid, "3");
	simc_truth(b, "identity.account", d->wxid, "4");
	size_t m = pbw_begin(o, 5);
	simc_putu(o, simc_ts_ms(ci));
	pbw_end(o, m);
	pbw_varint(o, 6, 0);
	size_t h = pbw_begin(o, 8);
	pbw_string(o, 1, "HandOffMaster");
	char vid[33];
	simc_hex(r, vid, 32);
	size_t x = pbw_begin(o, 2);
	simc_puts(o, "<handofflist opcode=\"4\" seq=\"");
	simc_putu(o, 1 + sim_rng_below(r, 200));
	simc_puts(o, "\" devicevirtualid=\"");
	simc_puts(o, vid);
	simc_puts(o, "\" networkstatus=\"");
	simc_putxml(o, d->net_type);
	simc_puts(o, "\" availablecount=\"1000\">\n        \n        </handofflist>");
	pbw_end(o, x);
	pbw_end(o, h);
	simc_truth(b, "identity.device", vid, "8.2:xml.handofflist@devicevirtualid");
	simc_truth(b, "network.type", d->net_type, "8.2:xml.handofflist@networkstatus");
	pbw_varint(o, 9, 0);
}

static void checkresupdate_request(sim_rng *r, sim_body *b)
{
	mml_buf *o = &b->pb;
	int n = 1 + (int)sim_rng_below(r, 4);
	if (!sim_rng_below(r, 4)) /* now and then a full list */
		n *= 6;
	for (int i = 0; i < n; i++) {
		size_t m = pbw_begin(o, 1);
		pbw_varint(o, 1, 20 + sim_rng_below(r, 130));
		int ns = (int)sim_rng_below(r, 3);
		for (int j = 0; j < ns; j++) {
			size_t s = pbw_begin(o, 2);
			pbw_varint(o, 1, j ? 1 + sim_rng_below(r, 9) : (sim_rng_below(r, 4) ? 1 : 22001 + sim_rng_below(r, 20)));
			pbw_varint(o, 2, sim_rng_below(r, 4000));
			pbw_varint(o, 3, sim_rng_below(r, 2) ? UINT64_MAX : 0);
			pbw_varint(o, 4, 0);
			pbw_end(o, s);
		}
		pbw_end(o, m);
	}
}

static void checkresupdate_response(sim_rng *r, sim_body *b)
{
	mml_buf *o = &b->pb;
	simc_baseresp(b);
	int n = (int)sim_rng_below(r, 4);
	for (int i = 0; i < n; i++) {
		char md5[33], url[160];
		simc_hex(r, md5, 32);
		uint64_t type = 20 + sim_rng_below(r, 130), ver = sim_rng_below(r, 4000);
		snprintf(url, sizeof url, "https://dldir1v6.qq.com/weixin/checkresupdate/res_%llu_%llu_%.8s.zip",
		         (unsigned long long)type, (unsigned long long)ver, md5);
		size_t m = pbw_begin(o, 2);
		pbw_varint(o, 1, type);
		size_t s = pbw_begin(o, 2);
		pbw_varint(o, 1, 1);
		pbw_varint(o, 2, ver);
		pbw_string(o, 3, url);
		pbw_string(o, 4, md5);
		pbw_varint(o, 5, 2000 + sim_rng_below(r, 900000));
		pbw_varint(o, 6, 0);
		pbw_end(o, s);
		pbw_end(o, m);
	}
}

static void sendmsg_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	char to[32];
	simc_friend(d, sim_rng_below(r, 12), to);
	const char *text = message_text(r, d);
	pbw_varint(o, 1, 1);
	size_t m = pbw_begin(o, 2);
	size_t t = pbw_begin(o, 1);
	pbw_string(o, 1, to);
	pbw_end(o, t);
	pbw_string(o, 2, text);
	pbw_varint(o, 3, 1);
	pbw_varint(o, 4, simc_ts_s(ci));
	pbw_varint(o, 5, (uint32_t)sim_rng_next(r));
	pbw_string(o, 6, "<msgsource><alnode><fr>1</fr></alnode></msgsource>");
	pbw_end(o, m);
	simc_truth(b, "contacts.addressee", to, "2.1.1");
	simc_truth(b, "content.message", text, "2.2");
}

static void sendmsg_response(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	char to[32];
	simc_friend(d, sim_rng_below(r, 12), to);
	simc_baseresp(b);
	pbw_varint(o, 2, 1);
	size_t m = pbw_begin(o, 3);
	pbw_varint(o, 1, 0);
	size_t t = pbw_begin(o, 2);
	pbw_string(o, 1, to);
	pbw_end(o, t);
	pbw_varint(o, 3, (uint32_t)sim_rng_next(r));
	pbw_varint(o, 4, (uint32_t)sim_rng_next(r));
	pbw_varint(o, 5, simc_ts_s(ci));
	pbw_varint(o, 6, 1);
	pbw_varint(o, 7, sim_rng_next(r) >> 1);
	pbw_end(o, m);
	simc_truth(b, "contacts.addressee", to, "3.2.1");
}

static void make_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_kind k, sim_body *b)
{
	mml_buf *o = &b->pb;
	switch (k) {
	case SIM_K_AUTH:
		sim_auth_request(r, d, ci, b);
		break;
	case SIM_K_GETCDNDNS:
		simc_basereq(b, d, 1, 0, "1");
		pbw_string(o, 2, "");
		pbw_varint(o, 3, 1);
		break;
	case SIM_K_BYPSYNC: {
		simc_basereq(b, d, 1, 0, "1");
		pbw_varint(o, 2, 3);
		pbw_varint(o, 2, 4);
		size_t m = pbw_begin(o, 3);
		pbw_varint(o, 2, 0);
		pbw_end(o, m);
		pbw_varint(o, 4, 1);
		if (sim_rng_below(r, 2))
			simc_keybuf(r, o, 5, 40 + sim_rng_below(r, 24));
		break;
	}
	case SIM_K_NEWSYNC: {
		size_t m = pbw_begin(o, 1);
		pbw_varint(o, 1, 0);
		pbw_end(o, pbw_begin(o, 2));
		pbw_end(o, m);
		pbw_varint(o, 2, 262151);
		simc_keybuf(r, o, 3, 120 + sim_rng_below(r, 140));
		pbw_varint(o, 4, 3);
		pbw_string(o, 5, "android-34");
		pbw_varint(o, 6, 0);
		pbw_varint(o, 7, 1);
		break;
	}
	case SIM_K_STATUSNOTIFY:
		statusnotify_request(r, d, ci, b);
		break;
	case SIM_K_CHECKRESUPDATE:
		checkresupdate_request(r, b);
		break;
	case SIM_K_FCMREG:
		simc_basereq(b, d, 1, 0, "1");
		pbw_string(o, 2, d->push_token);
		simc_truth(b, "identity.push_token", d->push_token, "2");
		pbw_varint(o, 3, 1);
		break;
	case SIM_K_NETWORKINFO:
		networkinfo_request(r, d, b);
		break;
	case SIM_K_SENDMSG:
		sendmsg_request(r, d, ci, b);
		break;
	case SIM_K_SNSPOST:
	case SIM_K_SNSCOMMENT:
	case SIM_K_UPLOADIMG:
		sim_core_make(r, d, ci, k, true, b);
		break;
	default:
		sim_mp_make(r, d, ci, k, true, b);
		break;
	}
}

static void make_response(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_kind k, sim_body *b)
{
	mml_buf *o = &b->pb;
	switch (k) {
	case SIM_K_AUTH:
		sim_auth_response(r, d, b);
		break;
	case SIM_K_GETCDNDNS:
		simc_baseresp(b);
		cdn_info(r, b, d, 2, "szshort.weixin.qq.com");
		cdn_info(r, b, d, 3, "szminorshort.weixin.qq.com");
		cdn_info(r, b, d, 4, "szsnsshort.weixin.qq.com");
		pbw_varint(o, 5, 0);
		break;
	case SIM_K_BYPSYNC:
		simc_baseresp(b);
		simc_keybuf(r, o, 2, 40 + sim_rng_below(r, 40));
		pbw_varint(o, 3, 0);
		pbw_varint(o, 4, simc_ts_s(ci));
		break;
	case SIM_K_NEWSYNC:
		newsync_response(r, d, ci, b);
		break;
	case SIM_K_STATUSNOTIFY:
		simc_baseresp(b);
		pbw_varint(o, 2, (uint32_t)sim_rng_next(r));
		break;
	case SIM_K_CHECKRESUPDATE:
		checkresupdate_response(r, b);
		break;
	case SIM_K_FCMREG:
		simc_baseresp(b);
		break;
	case SIM_K_NETWORKINFO: {
		simc_baseresp(b);
		size_t m = pbw_begin(o, 2);
		pbw_varint(o, 1, 300);
		char md5[33];
		simc_hex(r, md5, 32);
		pbw_string(o, 2, md5);
		pbw_end(o, m);
		break;
	}
	case SIM_K_SENDMSG:
		sendmsg_response(r, d, ci, b);
		break;
	case SIM_K_SNSPOST:
	case SIM_K_SNSCOMMENT:
	case SIM_K_UPLOADIMG:
		sim_core_make(r, d, ci, k, false, b);
		break;
	default:
		sim_mp_make(r, d, ci, k, false, b);
		break;
	}
}

void sim_content_make(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_kind kind, bool request,
                      sim_body *b)
{
	static const sim_ctx_info none = {false, 0, 0};
	mml_buf_reset(&b->pb);
	b->ntruth = 0;
	b->kind = kind;
	b->request = request;
	if ((unsigned)kind >= SIM_K__COUNT) {
		b->req_type = 0;
		b->api = NULL;
		b->compress = false;
		return;
	}
	b->req_type = kinds[kind].req_type;
	b->api = kinds[kind].api;
	b->compress = request ? kinds[kind].zreq : kinds[kind].zresp;
	if (!ci)
		ci = &none;
	if (request)
		make_request(r, d, ci, kind, b);
	else
		make_response(r, d, ci, kind, b);
}
