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
 * location and telemetry kinds live in content_mp.c.
 *
 * Ground truth. category is a taxonomy id (identity.account, identity.device,
 * identity.push_token, identity.thirdparty, device.info, network.carrier,
 * network.ip, network.wifi, network.type, location.coordinates,
 * location.place, locale, miniprogram.id, miniprogram.activity,
 * miniprogram.requests, search.query, content.message, profile.name,
 * contacts, telemetry.ui, telemetry.app). value is the value as a
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

static void rbytes(sim_rng *r, mml_buf *o, uint32_t field, size_t n)
{
	uint8_t t[512];
	if (n > sizeof t)
		n = sizeof t;
	sim_rng_bytes(r, t, n);
	pbw_bytes(o, field, t, n);
}

/* {1: n, 2: n random bytes}: the app's length-prefixed buffers */
static void keybuf(sim_rng *r, mml_buf *o, uint32_t field, size_t n)
{
	size_t m = pbw_begin(o, field);
	pbw_varint(o, 1, n);
	rbytes(r, o, 2, n);
	pbw_end(o, m);
}

static size_t vsize(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80)
		v >>= 7, n++;
	return n;
}

static const char *pick(sim_rng *r, const char *const *tab, size_t n) { return tab[sim_rng_below(r, n)]; }
#define PICK(r, tab) pick((r), (tab), sizeof(tab) / sizeof((tab)[0]))

static uint64_t ts_ms(const sim_ctx_info *ci) { return ci->ts_us / 1000; }
static uint64_t ts_s(const sim_ctx_info *ci) { return ci->ts_us / 1000000; }

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

/* ---- AUTH (secautoauth): key exchange + device fingerprint XML ---- */

/* the fields of "brand/product/device:14/BUILD_ID/INCREMENTAL:user/release-keys" */
typedef struct fp_parts {
	char product[32], device[32], build_id[32], incremental[32];
} fp_parts;

/* copy up to `stop` (or the end) into dst[32]; returns the stop or NULL */
static const char *copy_until(const char *s, char stop, char *dst)
{
	size_t n = 0;
	while (s[n] && s[n] != stop)
		n++;
	size_t k = n < 31 ? n : 31;
	memcpy(dst, s, k);
	dst[k] = 0;
	return s[n] ? s + n : NULL;
}

static void fp_split(const char *fp, fp_parts *p)
{
	memset(p, 0, sizeof *p);
	const char *s = strchr(fp, '/');
	if (s)
		s = copy_until(s + 1, '/', p->product);
	if (s)
		s = copy_until(s + 1, ':', p->device);
	if (s)
		s = strchr(s, '/');
	if (s)
		s = copy_until(s + 1, '/', p->build_id);
	if (s)
		copy_until(s + 1, ':', p->incremental);
}

/* <tag>text</tag>, with a truth item when cat is set and text is not empty */
static void xel(sim_body *b, const char *path, const char *tag, const char *text, const char *cat)
{
	mml_buf *o = &b->pb;
	simc_put(o, "<", 1);
	simc_puts(o, tag);
	simc_put(o, ">", 1);
	simc_putxml(o, text);
	simc_put(o, "</", 2);
	simc_puts(o, tag);
	simc_put(o, ">", 1);
	if (cat && *text)
		simc_truth(b, cat, text, "%s:xml.softtype.%s", path, tag);
}

static void auth_softtype(sim_rng *r, sim_body *b, const sim_device *d, const fp_parts *fp)
{
	mml_buf *o = &b->pb;
	const char *P = "2.5";
	bool wifi = !strcmp(d->net_type, "wifi");
	char h1[33], h2[9], h3[9], md5[33], ip[16], build[16], ver[24], ncpu[4];
	simc_hex(r, h1, 32);
	simc_hex(r, h2, 8);
	simc_hex(r, h3, 8);
	simc_hex(r, md5, 32);
	unsigned i3 = 128 + (unsigned)sim_rng_below(r, 120);
	unsigned i4 = 2 + (unsigned)sim_rng_below(r, 250);
	snprintf(ip, sizeof ip, "203.205.%u.%u", i3, i4);
	simc_version(ver, sizeof ver, d->client_version, true);
	snprintf(build, sizeof build, "%s", strrchr(ver, '.') + 1);
	snprintf(ncpu, sizeof ncpu, "%d", 8);
	simc_puts(o, "<softtype>");
	xel(b, P, "lctmoc", "0", NULL);
	xel(b, P, "level", "1", NULL);
	xel(b, P, "k25", h1, NULL);
	xel(b, P, "k28", h2, NULL);
	xel(b, P, "k29", h3, NULL);
	xel(b, P, "k32", ip, NULL);
	xel(b, P, "k1", "0", NULL);
	xel(b, P, "k2", "1.0.0.0", NULL);
	xel(b, P, "k3", d->os_version, "device.info");
	xel(b, P, "k4", d->imei, "identity.device");
	xel(b, P, "k5", "", NULL);
	xel(b, P, "k6", "", NULL);
	xel(b, P, "k7", d->android_id, "identity.device");
	xel(b, P, "k8", "unknown", NULL);
	xel(b, P, "k9", d->model, "device.info");
	xel(b, P, "k10", ncpu, "device.info");
	xel(b, P, "k11", "", NULL);
	xel(b, P, "k12", "", NULL);
	xel(b, P, "k13", "", NULL);
	xel(b, P, "k14", d->mac, "identity.device");
	xel(b, P, "k15", "", NULL);
	xel(b, P, "k16",
	    "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma lrcpc dcpop "
	    "sha3 sm3 sm4 asimddp sha512 asimdfhm dit uscat ilrcpc flagm ssbs sb paca pacg dcpodp flagm2 frint i8mm bf16",
	    "device.info");
	xel(b, P, "k18", md5, NULL);
	xel(b, P, "k21", wifi ? d->ssid : "", "network.wifi");
	xel(b, P, "k22", d->carrier, "network.carrier");
	xel(b, P, "k24", wifi ? d->bssid : "", "network.wifi");
	xel(b, P, "k26", "0", NULL);
	xel(b, P, "k30", "", NULL);
	xel(b, P, "k33", "com.tencent.mm", NULL);
	xel(b, P, "k34", d->build_fingerprint, "device.info");
	xel(b, P, "k35", fp->device, "device.info");
	xel(b, P, "k36", "unknown", NULL);
	xel(b, P, "k37", d->brand, "device.info");
	xel(b, P, "k38", fp->device, "device.info");
	xel(b, P, "k39", "qcom", "device.info");
	xel(b, P, "k40", fp->product, "device.info");
	xel(b, P, "k41", "0", NULL);
	xel(b, P, "k42", d->manufacturer, "device.info");
	xel(b, P, "k43", "null", NULL);
	xel(b, P, "k44", "0", NULL);
	xel(b, P, "k45", "", NULL);
	xel(b, P, "k46", "1", NULL);
	xel(b, P, "k47", d->net_type, "network.type");
	xel(b, P, "k48", d->imei, "identity.device");
	xel(b, P, "k49", "/data/user/0/com.tencent.mm/", NULL);
	xel(b, P, "k52", "0", NULL);
	xel(b, P, "k53", "0", NULL);
	xel(b, P, "k57", build, NULL);
	xel(b, P, "k58", "", NULL);
	xel(b, P, "k59", "0", NULL);
	xel(b, P, "k60", "", NULL);
	xel(b, P, "k61", "true", NULL);
	xel(b, P, "k62", "", NULL);
	xel(b, P, "k63", d->device_id, "identity.device");
	xel(b, P, "k64", d->oaid, "identity.device");
	xel(b, P, "k65", "", NULL);
	simc_puts(o, "</softtype>");
}

/* <deviceinfo><MANUFACTURER name=".."><MODEL name=".."><VERSION_RELEASE ...> */
static void auth_deviceinfo(sim_body *b, const sim_device *d, const fp_parts *fp)
{
	mml_buf *o = &b->pb;
	static const char *const tags[5] = {"MANUFACTURER", "MODEL", "VERSION_RELEASE", "VERSION_INCREMENTAL", "DISPLAY"};
	char display[160];
	snprintf(display, sizeof display, "%s-user %s %s %s release-keys", fp->product, d->os_version, fp->build_id,
	         fp->incremental);
	const char *vals[5] = {d->manufacturer, d->model, d->os_version, fp->incremental, display};
	char path[96] = "deviceinfo";
	simc_puts(o, "<deviceinfo>");
	for (int i = 0; i < 5; i++) {
		simc_put(o, "<", 1);
		simc_puts(o, tags[i]);
		simc_puts(o, " name=\"");
		simc_putxml(o, vals[i]);
		simc_puts(o, "\">");
		size_t pl = strlen(path);
		snprintf(path + pl, sizeof path - pl, ".%s", tags[i]);
		simc_truth(b, "device.info", vals[i], "2.10:xml.%s@name", path);
	}
	for (int i = 4; i >= 0; i--) {
		simc_puts(o, "</");
		simc_puts(o, tags[i]);
		simc_put(o, ">", 1);
	}
	simc_puts(o, "</deviceinfo>");
}

static void ec_share(sim_rng *r, mml_buf *o, uint32_t field)
{
	uint8_t pt[57];
	pt[0] = 4;
	sim_rng_bytes(r, pt + 1, 56);
	size_t m = pbw_begin(o, field);
	pbw_varint(o, 1, 713);
	size_t e = pbw_begin(o, 2);
	pbw_varint(o, 1, sizeof pt);
	pbw_bytes(o, 2, pt, sizeof pt);
	pbw_end(o, e);
	pbw_end(o, m);
}

/* the auto-auth ticket: {1: size of 2, 2: {1: {1: 32, 2: key}, 2: {1: n, 2: {1: 10007, 2: blob, 3: crc}}}} */
static void auth_ticket(sim_rng *r, mml_buf *o, uint32_t field)
{
	size_t n = 190 + sim_rng_below(r, 60);
	uint32_t crc = (uint32_t)sim_rng_next(r);
	size_t inner = 3 + 1 + vsize(n) + n + 1 + vsize(crc);
	size_t sub = 1 + vsize(inner) + 1 + vsize(inner) + inner;
	size_t total = 2 + 36 + 1 + vsize(sub) + sub;
	size_t m = pbw_begin(o, field);
	pbw_varint(o, 1, total);
	size_t t = pbw_begin(o, 2);
	keybuf(r, o, 1, 32);
	size_t s = pbw_begin(o, 2);
	pbw_varint(o, 1, inner);
	size_t in = pbw_begin(o, 2);
	pbw_varint(o, 1, 10007);
	rbytes(r, o, 2, n);
	pbw_varint(o, 3, crc);
	pbw_end(o, in);
	pbw_end(o, s);
	pbw_end(o, t);
	pbw_end(o, m);
}

static void auth_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	fp_parts fp;
	fp_split(d->build_fingerprint, &fp);
	size_t m = pbw_begin(o, 1);
	keybuf(r, o, 2, 32);
	ec_share(r, o, 3);
	pbw_end(o, m);

	size_t req = pbw_begin(o, 2);
	simc_basereq(b, d, 1, 2, "2.1");
	size_t z = pbw_begin(o, 2); /* empty optional blocks */
	size_t a = pbw_begin(o, 1);
	pbw_varint(o, 1, 0);
	pbw_end(o, pbw_begin(o, 2));
	pbw_end(o, a);
	pbw_varint(o, 6, 0);
	pbw_end(o, z);
	auth_ticket(r, o, 3);
	pbw_string(o, 4, d->imei);
	simc_truth(b, "identity.device", d->imei, "2.4");
	size_t st = pbw_begin(o, 5);
	auth_softtype(r, b, d, &fp);
	pbw_end(o, st);
	pbw_varint(o, 6, 0);
	char seq[48], md5[33];
	simc_hex(r, seq, 16);
	snprintf(seq + 16, sizeof seq - 16, "_%llu", (unsigned long long)ts_ms(ci));
	pbw_string(o, 7, seq);
	simc_hex(r, md5, 32);
	pbw_string(o, 8, md5);
	char bm[64];
	snprintf(bm, sizeof bm, "%s-%s", d->manufacturer, d->model);
	pbw_string(o, 9, bm);
	simc_truth(b, "device.info", bm, "2.9");
	size_t di = pbw_begin(o, 10);
	auth_deviceinfo(b, d, &fp);
	pbw_end(o, di);
	pbw_string(o, 11, d->lang);
	simc_truth(b, "locale", d->lang, "2.11");
	size_t f12 = pbw_begin(o, 12);
	pbw_varint(o, 5, (uint32_t)sim_rng_next(r));
	pbw_end(o, f12);
	pbw_varint(o, 13, 0);
	size_t f15 = pbw_begin(o, 15); /* a second, device-bound credential */
	size_t c = pbw_begin(o, 2);
	size_t c3 = pbw_begin(o, 3);
	size_t c32 = pbw_begin(o, 2);
	pbw_string(o, 1, "00000001");
	pbw_varint(o, 2, 2);
	rbytes(r, o, 3, 48 + sim_rng_below(r, 32));
	pbw_varint(o, 5, 5);
	pbw_varint(o, 6, 0);
	pbw_end(o, c32);
	pbw_end(o, c3);
	pbw_end(o, c);
	pbw_end(o, f15);
	pbw_string(o, 17, "com.tencent.mm");
	size_t f18 = pbw_begin(o, 18);
	pbw_varint(o, 1, 0);
	size_t f182 = pbw_begin(o, 2);
	pbw_varint(o, 1, 0);
	pbw_end(o, f182);
	pbw_end(o, f18);
	pbw_end(o, req);
}

static const char *const dns_services[] = {"action", "api", "as", "developers", "dns", "game", "hksupport", "hw",
                                           "long", "mp", "open", "pay", "short", "support", "szshort", "weixin"};

static void auth_response(sim_rng *r, const sim_device *d, sim_body *b)
{
	mml_buf *o = &b->pb;
	simc_baseresp(b);
	pbw_varint(o, 2, 15);
	size_t s = pbw_begin(o, 3);
	rbytes(r, o, 1, 10);
	ec_share(r, o, 2);
	keybuf(r, o, 3, 32);
	auth_ticket(r, o, 4);
	pbw_varint(o, 5, 0);
	size_t f6 = pbw_begin(o, 6);
	pbw_varint(o, 1, 0);
	pbw_end(o, f6);
	size_t f15 = pbw_begin(o, 15);
	pbw_varint(o, 1, 3);
	static const unsigned flags[3] = {11, 18, 32};
	for (int i = 0; i < 3; i++) {
		size_t e = pbw_begin(o, 2);
		pbw_varint(o, 1, flags[i]);
		pbw_varint(o, 2, 0);
		pbw_end(o, e);
	}
	pbw_end(o, f15);
	pbw_varint(o, 19, 12);
	keybuf(r, o, 23, 24);
	keybuf(r, o, 24, 24);
	pbw_varint(o, 25, 1);
	pbw_end(o, s);

	/* the account the server logged in */
	size_t a = pbw_begin(o, 4);
	pbw_string(o, 1, d->wxid);
	simc_truth(b, "identity.account", d->wxid, "4.1");
	pbw_string(o, 2, d->nickname);
	simc_truth(b, "profile.name", d->nickname, "4.2");
	pbw_varint(o, 3, 0);
	pbw_string(o, 5, d->phone);
	simc_truth(b, "contacts", d->phone, "4.5");
	pbw_string(o, 6, d->email);
	simc_truth(b, "contacts", d->email, "4.6");
	pbw_varint(o, 8, 200000 + sim_rng_below(r, 100000));
	pbw_varint(o, 9, 2000000 + sim_rng_below(r, 1000000));
	pbw_varint(o, 10, 2);
	pbw_varint(o, 12, 0);
	pbw_string(o, 13, "weixin");
	pbw_string(o, 14, "WeChat Team");
	size_t dl = pbw_begin(o, 20); /* the domain list of the client's region */
	int nsvc = 6 + (int)sim_rng_below(r, 8);
	pbw_varint(o, 1, 60 + sim_rng_below(r, 400));
	static const char *const suf[4][2] = {
		{"weixin.qq.com", ""}, {"weixin.qq.com", ""}, {"wechat.com", ""}, {"wechat.com", "us"}};
	for (int i = 0; i < nsvc; i++)
		for (int v = 0; v < 4; v++) {
			char from[64], to[64];
			snprintf(from, sizeof from, "%s.brand.qbrand.com", dns_services[i]);
			snprintf(to, sizeof to, "%s%s.%s", suf[v][1], dns_services[i], suf[v][0]);
			size_t e = pbw_begin(o, 2);
			pbw_string(o, 1, from);
			pbw_string(o, 2, to);
			pbw_varint(o, 3, (uint64_t)v);
			pbw_end(o, e);
		}
	pbw_end(o, dl);
	pbw_end(o, a);
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
	keybuf(r, o, 7, 32);
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
			keybuf(r, o, 2, 16 + sim_rng_below(r, 64));
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
		pbw_varint(o, 9, ts_s(ci) ? ts_s(ci) - sim_rng_below(r, 600) : 0);
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
	keybuf(r, o, 4, 80 + sim_rng_below(r, 120));
	pbw_varint(o, 5, 0);
	pbw_varint(o, 6, 0x28000000 + sim_rng_below(r, 0x100000));
	pbw_varint(o, 7, ts_s(ci));
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
	simc_putu(o, ts_ms(ci));
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
	pbw_varint(o, 4, ts_s(ci));
	pbw_varint(o, 5, (uint32_t)sim_rng_next(r));
	pbw_string(o, 6, "<msgsource><alnode><fr>1</fr></alnode></msgsource>");
	pbw_end(o, m);
	simc_truth(b, "contacts", to, "2.1.1");
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
	pbw_varint(o, 5, ts_s(ci));
	pbw_varint(o, 6, 1);
	pbw_varint(o, 7, sim_rng_next(r) >> 1);
	pbw_end(o, m);
	simc_truth(b, "contacts", to, "3.2.1");
}

static void make_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_kind k, sim_body *b)
{
	mml_buf *o = &b->pb;
	switch (k) {
	case SIM_K_AUTH:
		auth_request(r, d, ci, b);
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
			keybuf(r, o, 5, 40 + sim_rng_below(r, 24));
		break;
	}
	case SIM_K_NEWSYNC: {
		size_t m = pbw_begin(o, 1);
		pbw_varint(o, 1, 0);
		pbw_end(o, pbw_begin(o, 2));
		pbw_end(o, m);
		pbw_varint(o, 2, 262151);
		keybuf(r, o, 3, 120 + sim_rng_below(r, 140));
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
		auth_response(r, d, b);
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
		keybuf(r, o, 2, 40 + sim_rng_below(r, 40));
		pbw_varint(o, 3, 0);
		pbw_varint(o, 4, ts_s(ci));
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
