/*
 * tools/sim/content_auth.c - the secautoauth (763) request and response
 * for sim_content_make() (content.c dispatches here), with their truth.
 *
 * Contract: sim_auth_request() writes the login request: a key exchange
 * (P-256 share, ticket), the BaseRequest, the IMEI, the <softtype> device
 * fingerprint XML (kNN elements: OS, IMEI, Android ID, MAC, CPU, Wi-Fi,
 * carrier, build fields, device id, OAID), the <deviceinfo> Build
 * attributes, manufacturer-model, language; sim_auth_response() the
 * login response: keys, ticket, then the account (wxid, nickname, phone,
 * email) and the domain list. Layout and truth paths as in content.c
 * (cap 3 and 4 of the real capture). Same RNG state, device and ctx give
 * the same bytes and truth; nothing is allocated but b->pb's growth.
 */
#include <stdio.h>
#include <string.h>

#include "content_int.h"
#include "sim.h"

static size_t vsize(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80)
		v >>= 7, n++;
	return n;
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
	simc_keybuf(r, o, 1, 32);
	size_t s = pbw_begin(o, 2);
	pbw_varint(o, 1, inner);
	size_t in = pbw_begin(o, 2);
	pbw_varint(o, 1, 10007);
	simc_rbytes(r, o, 2, n);
	pbw_varint(o, 3, crc);
	pbw_end(o, in);
	pbw_end(o, s);
	pbw_end(o, t);
	pbw_end(o, m);
}

void sim_auth_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	fp_parts fp;
	fp_split(d->build_fingerprint, &fp);
	size_t m = pbw_begin(o, 1);
	simc_keybuf(r, o, 2, 32);
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
	snprintf(seq + 16, sizeof seq - 16, "_%llu", (unsigned long long)(ci->ts_us / 1000));
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
	simc_rbytes(r, o, 3, 48 + sim_rng_below(r, 32));
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

void sim_auth_response(sim_rng *r, const sim_device *d, sim_body *b)
{
	mml_buf *o = &b->pb;
	simc_baseresp(b);
	pbw_varint(o, 2, 15);
	size_t s = pbw_begin(o, 3);
	simc_rbytes(r, o, 1, 10);
	ec_share(r, o, 2);
	simc_keybuf(r, o, 3, 32);
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
	simc_keybuf(r, o, 23, 24);
	simc_keybuf(r, o, 24, 24);
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
