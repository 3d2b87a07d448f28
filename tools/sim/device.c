/*
 * tools/sim/device.c - simulated phones and their users.
 *
 * Contract: sim_device_make(r, index, d) fills every field of *d from the
 * RNG, so one seed gives the same population. Values are plausible for
 * WeChat 8.0.x on Android 14: a real phone model (and its vendor's MAC
 * OUI and a TAC-like IMEI prefix), a carrier of one country, and locale,
 * time zone, home (within ~5 km of a real city), phone number and email
 * that agree with that country. The identifiers (uin, wxid, device id,
 * IMEI, Android ID, MAC, client IP) are distinct for distinct indexes
 * below 64000: each is a bijection of the index (mixed with random high
 * bits where the field is wide enough), never a bare random draw.
 * All the values here are made up; none comes from a real person. The
 * RNG is drawn at most once per full expression (C leaves the order of
 * arguments open), so every compiler makes the same devices.
 *
 * sim_device_city() names the table city nearest to d->home_lat/lon
 * (the "location.place" a location message reports); content.c uses it.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"

const char *sim_device_city(const sim_device *d);

/* ---- tables ---- */

typedef struct phone {
	const char *brand, *manufacturer, *model, *product, *device, *build_id, *incremental;
	int w, h;
	const char *tac[2]; /* 8-digit type allocation codes (made up, vendor-like) */
	const char *oui[2]; /* the vendor's IEEE OUIs */
	bool cn;            /* sold mostly in China */
} phone;

static const phone phones[] = {
	{"google", "Google", "Pixel 7", "panther", "panther", "UP1A.231005.007", "10817346", 1080, 2400,
	 {"35570811", "35570812"}, {"3c:5a:b4", "f4:f5:d8"}, false},
	{"google", "Google", "Pixel 8", "shiba", "shiba", "UQ1A.240205.002", "11224170", 1080, 2400,
	 {"35883614", "35883615"}, {"44:07:0b", "3c:5a:b4"}, false},
	{"samsung", "samsung", "SM-S911B", "dm1qxxx", "dm1q", "UP1A.231005.007", "S911BXXS3BWK5", 1080, 2340,
	 {"35096273", "35096274"}, {"8c:71:f8", "00:16:32"}, false},
	{"samsung", "samsung", "SM-A546B", "a54xnsxx", "a54x", "UP1A.231005.007", "A546BXXU7BWL1", 1080, 2340,
	 {"35210967", "35210968"}, {"5c:0a:5b", "8c:71:f8"}, false},
	{"Xiaomi", "Xiaomi", "2211133G", "fuxi_global", "fuxi", "UKQ1.230804.001", "V816.0.3.0.UMCMIXM", 1080, 2400,
	 {"86814306", "86814307"}, {"64:09:80", "f8:a4:5f"}, true},
	{"Redmi", "Xiaomi", "23090RA98G", "garnet_global", "garnet", "UKQ1.231003.002", "V816.0.6.0.UNFMIXM", 1220,
	 2712, {"86402507", "86402508"}, {"28:6c:07", "64:09:80"}, true},
	{"OnePlus", "OnePlus", "CPH2449", "CPH2449", "OP594DL1", "UKQ1.230924.001", "R.1690a5e-1-2b3c", 1440, 3216,
	 {"86937206", "86937207"}, {"94:65:2d", "c0:ee:fb"}, true},
	{"HONOR", "HONOR", "PGT-N19", "PGT-N19", "HNPGT", "HONORPGT-N19", "8.0.0.132C432E4R1P2", 1312, 2848,
	 {"86155806", "86155807"}, {"04:79:75", "08:84:fb"}, true},
};
#define NPHONES (sizeof phones / sizeof phones[0])

typedef struct carrier {
	const char *name, *mccmnc, *apn;
	const char *phone; /* mobile number prefix when it follows the carrier */
	int rest;          /* digits after it */
} carrier;

typedef struct city {
	const char *name;
	double lat, lon;
	const char *tz;
	const char *phone; /* mobile/area prefix when it follows the city */
	int rest;
} city;

typedef struct country {
	const char *lang, *region;
	int weight;
	int ncar;
	carrier car[3];
	int ncity;
	city cities[5];
	struct {
		const char *fmt; /* takes one unsigned, below mod */
		unsigned mod;
	} ssid[4];
	const char *mail[4];
	int names;           /* index into name_sets */
} country;

static const country countries[] = {
	{"en", "US", 30, 3,
	 {{"T-Mobile", "310260", "fast.t-mobile.com", NULL, 0},
	  {"Verizon", "311480", "vzwinternet", NULL, 0},
	  {"AT&T", "310410", "nxtgenphone", NULL, 0}},
	 5,
	 {{"San Francisco", 37.7749, -122.4194, "America/Los_Angeles", "+1415", 7},
	  {"Seattle", 47.6062, -122.3321, "America/Los_Angeles", "+1206", 7},
	  {"New York", 40.7128, -74.0060, "America/New_York", "+1917", 7},
	  {"Chicago", 41.8781, -87.6298, "America/Chicago", "+1312", 7},
	  {"Boston", 42.3601, -71.0589, "America/New_York", "+1617", 7}},
	 {{"NETGEAR%02u", 100}, {"TP-Link_%04X", 0x10000}, {"MySpectrumWiFi%02X-5G", 0x100}, {"Linksys%05u", 100000}},
	 {"gmail.com", "outlook.com", "yahoo.com", "icloud.com"}, 0},
	{"zh", "CN", 25, 3,
	 {{"China Mobile", "46000", "cmnet", "+86139", 8},
	  {"China Unicom", "46001", "3gnet", "+86186", 8},
	  {"China Telecom", "46011", "ctnet", "+86189", 8}},
	 5,
	 {{"Beijing", 39.9042, 116.4074, "Asia/Shanghai", NULL, 0},
	  {"Shanghai", 31.2304, 121.4737, "Asia/Shanghai", NULL, 0},
	  {"Shenzhen", 22.5431, 114.0579, "Asia/Shanghai", NULL, 0},
	  {"Guangzhou", 23.1291, 113.2644, "Asia/Shanghai", NULL, 0},
	  {"Chengdu", 30.5728, 104.0668, "Asia/Shanghai", NULL, 0}},
	 {{"ChinaNet-%04x", 0x10000}, {"CMCC-%04X", 0x10000}, {"TP-LINK_%04X", 0x10000}, {"HUAWEI-%04X", 0x10000}},
	 {"qq.com", "163.com", "126.com", "qq.com"}, 1},
	{"en", "GB", 12, 3,
	 {{"Vodafone UK", "23415", "pp.vodafone.co.uk", NULL, 0},
	  {"EE", "23430", "everywhere", NULL, 0},
	  {"O2 - UK", "23410", "mobile.o2.co.uk", NULL, 0}},
	 4,
	 {{"London", 51.5074, -0.1278, "Europe/London", "+447", 9},
	  {"Manchester", 53.4808, -2.2426, "Europe/London", "+447", 9},
	  {"Birmingham", 52.4862, -1.8904, "Europe/London", "+447", 9},
	  {"Edinburgh", 55.9533, -3.1883, "Europe/London", "+447", 9}},
	 {{"BT-%06X", 0x1000000}, {"VM%07u", 10000000}, {"SKY%05X", 0x100000}, {"TP-Link_%04X", 0x10000}},
	 {"gmail.com", "outlook.com", "btinternet.com", "yahoo.co.uk"}, 0},
	{"de", "DE", 10, 3,
	 {{"Telekom.de", "26201", "internet.telekom", "+49151", 8},
	  {"Vodafone.de", "26202", "web.vodafone.de", "+49152", 8},
	  {"o2 - de", "26203", "internet", "+49176", 8}},
	 3,
	 {{"Berlin", 52.5200, 13.4050, "Europe/Berlin", NULL, 0},
	  {"Munich", 48.1351, 11.5820, "Europe/Berlin", NULL, 0},
	  {"Hamburg", 53.5511, 9.9937, "Europe/Berlin", NULL, 0}},
	 {{"FRITZ!Box 7590 %02X", 0x100}, {"Vodafone-%04X", 0x10000}, {"WLAN-%06u", 1000000}, {"o2-WLAN%02u", 100}},
	 {"gmx.de", "web.de", "gmail.com", "t-online.de"}, 2},
	{"en", "CA", 8, 3,
	 {{"Rogers", "302720", "ltemobile.apn", NULL, 0},
	  {"Bell", "302610", "pda.bell.ca", NULL, 0},
	  {"TELUS", "302220", "isp.telus.com", NULL, 0}},
	 3,
	 {{"Toronto", 43.6532, -79.3832, "America/Toronto", "+1416", 7},
	  {"Vancouver", 49.2827, -123.1207, "America/Vancouver", "+1604", 7},
	  {"Montreal", 45.5019, -73.5674, "America/Toronto", "+1514", 7}},
	 {{"BELL%03u", 1000}, {"Rogers%04X", 0x10000}, {"TELUS%04X", 0x10000}, {"NETGEAR%02u", 100}},
	 {"gmail.com", "outlook.com", "hotmail.com", "yahoo.ca"}, 0},
	{"en", "AU", 8, 3,
	 {{"Telstra", "50501", "telstra.internet", NULL, 0},
	  {"Optus", "50502", "yesinternet", NULL, 0},
	  {"Vodafone AU", "50503", "live.vodafone.com", NULL, 0}},
	 3,
	 {{"Sydney", -33.8688, 151.2093, "Australia/Sydney", "+614", 8},
	  {"Melbourne", -37.8136, 144.9631, "Australia/Melbourne", "+614", 8},
	  {"Brisbane", -27.4698, 153.0251, "Australia/Brisbane", "+614", 8}},
	 {{"Telstra%04X", 0x10000}, {"Optus_%06X", 0x1000000}, {"TP-Link_%04X", 0x10000}, {"NETGEAR%02u", 100}},
	 {"gmail.com", "outlook.com", "bigpond.com", "yahoo.com.au"}, 0},
	{"ja", "JP", 7, 3,
	 {{"NTT DOCOMO", "44010", "spmode.ne.jp", NULL, 0},
	  {"SoftBank", "44020", "plus.acs.jp", NULL, 0},
	  {"KDDI", "44050", "uno.au-net.ne.jp", NULL, 0}},
	 2,
	 {{"Tokyo", 35.6762, 139.6503, "Asia/Tokyo", "+8190", 8},
	  {"Osaka", 34.6937, 135.5023, "Asia/Tokyo", "+8180", 8}},
	 {{"aterm-%06x-g", 0x1000000}, {"Buffalo-G-%04X", 0x10000}, {"elecom-%06x", 0x1000000}, {"TP-Link_%04X", 0x10000}},
	 {"gmail.com", "yahoo.co.jp", "docomo.ne.jp", "icloud.com"}, 3},
};
#define NCOUNTRIES (sizeof countries / sizeof countries[0])

typedef struct name {
	const char *display, *ascii;
} name;

static const name names_en[] = {
	{"Emma", "emma"}, {"Liam", "liam"}, {"Olivia", "olivia"}, {"Noah", "noah"}, {"Ava", "ava"},
	{"Ethan", "ethan"}, {"Mia", "mia"}, {"Lucas", "lucas"}, {"Chloe", "chloe"}, {"Ryan", "ryan"},
	{"Grace", "grace"}, {"Daniel", "daniel"}, {"Kevin Li", "kevinli"}, {"Jess W", "jessw"},
};
static const name names_zh[] = {
	{"小雨", "xiaoyu"}, {"阿杰", "ajie"},       {"晓明", "xiaoming"}, {"王磊", "wanglei"},
	{"陈静", "chenjing"}, {"李娜", "lina"},     {"张伟", "zhangwei"}, {"刘洋", "liuyang"},
	{"杨帆", "yangfan"},  {"赵敏", "zhaomin"}, {"Sunny阳光", "sunny"},
};
static const name names_de[] = {
	{"Lukas", "lukas"}, {"Anna", "anna"}, {"Jonas", "jonas"}, {"Lea", "lea"},
	{"Felix", "felix"}, {"Sophie", "sophie"}, {"Max M.", "maxm"}, {"Jürgen", "juergen"},
};
static const name names_ja[] = {
	{"さくら", "sakura"}, {"ゆうと", "yuto"}, {"はると", "haruto"}, {"あおい", "aoi"}, {"Ken", "ken"},
};
static const struct {
	const name *v;
	size_t n;
} name_sets[] = {
	{names_en, sizeof names_en / sizeof names_en[0]},
	{names_zh, sizeof names_zh / sizeof names_zh[0]},
	{names_de, sizeof names_de / sizeof names_de[0]},
	{names_ja, sizeof names_ja / sizeof names_ja[0]},
};

static const char *const router_ouis[] = {"50:c7:bf", "b0:95:75", "e8:48:b8", "a0:40:a0", "00:e0:fc", "d4:6e:0e"};

/* client versions seen in the field (8.0.23 is the logged one) */
static const uint32_t versions[] = {0x28001737, 0x28001737, 0x28001737, 0x28001853, 0x28002151, 0x28003133};

/* ---- helpers ---- */

#define PICK(r, arr) (arr)[sim_rng_below((r), sizeof(arr) / sizeof((arr)[0]))]

/* A bijection on [0, 2^bits): additions, xorshifts and odd multiplications
 * mod 2^bits, each of them invertible. */
static uint64_t perm(uint64_t x, int bits)
{
	static const uint64_t mul[3] = {0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull};
	uint64_t m = bits >= 64 ? ~0ull : ((1ull << bits) - 1);
	int s = bits / 2 > 0 ? bits / 2 : 1;
	static const uint64_t add[3] = {0x2545f4914f6cdd1dull, 0x632be59bd9b4e019ull, 0x85ebca6bc2b2ae35ull};
	x &= m;
	for (int i = 0; i < 3; i++) {
		x = (x + add[i]) & m;
		x ^= x >> s;
		x = (x * mul[i]) & m;
	}
	x ^= x >> s;
	return x;
}

/* A bijection on [0, n) by cycle walking perm() (n <= 2^bits). */
static uint64_t perm_below(uint64_t x, uint64_t n, int bits)
{
	x %= n;
	do
		x = perm(x, bits);
	while (x >= n);
	return x;
}

static void hexs(char *o, uint64_t v, int ndig)
{
	static const char hx[] = "0123456789abcdef";
	for (int i = ndig - 1; i >= 0; i--, v >>= 4)
		o[i] = hx[v & 15];
	o[ndig] = 0;
}

static void rand_chars(sim_rng *r, char *o, int n, const char *alphabet)
{
	size_t k = strlen(alphabet);
	for (int i = 0; i < n; i++)
		o[i] = alphabet[sim_rng_below(r, k)];
	o[n] = 0;
}

static void rand_digits(sim_rng *r, char *o, int n, bool first_nonlow)
{
	for (int i = 0; i < n; i++)
		o[i] = (char)('0' + (i == 0 && first_nonlow ? 2 + sim_rng_below(r, 8) : sim_rng_below(r, 10)));
	o[n] = 0;
}

/*
 * cos() of an angle in degrees, |deg| <= 90, by its Taylor series: plain
 * + and *, so the result is the same everywhere (libm's cos() may differ
 * in the last bit between platforms) and no -lm is needed.
 */
static double cos_deg(double deg)
{
	double x = deg * 0.017453292519943295, x2 = x * x, term = 1, sum = 1;
	for (int k = 1; k <= 12; k++) {
		term *= -x2 / ((2 * k - 1) * (2 * k));
		sum += term;
	}
	return sum;
}

/* Luhn check digit for the digits in s. */
static char luhn_digit(const char *s)
{
	int n = (int)strlen(s), sum = 0;
	bool dbl = true; /* the digit next to the check digit is doubled */
	for (int i = n - 1; i >= 0; i--, dbl = !dbl) {
		int v = s[i] - '0';
		if (dbl && (v *= 2) > 9)
			v -= 9;
		sum += v;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

static const country *pick_country(sim_rng *r)
{
	int total = 0;
	for (size_t i = 0; i < NCOUNTRIES; i++)
		total += countries[i].weight;
	int x = (int)sim_rng_below(r, (uint64_t)total);
	for (size_t i = 0; i < NCOUNTRIES; i++) {
		if (x < countries[i].weight)
			return &countries[i];
		x -= countries[i].weight;
	}
	return &countries[0];
}

static const phone *pick_phone(sim_rng *r, bool cn)
{
	/* Chinese users mostly carry domestic brands; elsewhere any model. */
	if (cn && sim_rng_below(r, 10) < 8) {
		const phone *p;
		do
			p = &phones[sim_rng_below(r, NPHONES)];
		while (!p->cn);
		return p;
	}
	return &phones[sim_rng_below(r, NPHONES)];
}

/* ---- the device ---- */

void sim_device_make(sim_rng *r, int index, sim_device *d)
{
	memset(d, 0, sizeof *d);
	uint64_t ix = (uint64_t)(uint32_t)index;
	const country *c = pick_country(r);
	const carrier *ca = &c->car[sim_rng_below(r, (uint64_t)c->ncar)];
	const city *ci = &c->cities[sim_rng_below(r, (uint64_t)c->ncity)];
	const phone *ph = pick_phone(r, !strcmp(c->region, "CN"));

	/* account: uin in [1e9, 1e9 + 2^31), low 16 input bits are the index */
	uint64_t rnd = sim_rng_next(r);
	d->uin = (uint32_t)(1000000000u + perm(((rnd & 0x7fff) << 16) | (ix & 0xffff), 31));
	memcpy(d->wxid, "wxid_", 5);
	rand_chars(r, d->wxid + 5, 1, "abcdefghijklmnopqrstuvwxyz0123456789");
	uint64_t w = perm((sim_rng_next(r) << 20) | (ix & 0xfffff), 64);
	for (int i = 0; i < 13; i++, w /= 36) /* 36^13 > 2^64: injective */
		d->wxid[18 - i] = "0123456789abcdefghijklmnopqrstuvwxyz"[w % 36];
	d->wxid[19] = 0;

	/* device identifiers */
	d->device_id[0] = 'A';
	hexs(d->device_id + 1, perm((sim_rng_next(r) << 20) | (ix & 0xfffff), 60), 15);
	char imei[16];
	memcpy(imei, ph->tac[sim_rng_below(r, 2)], 8);
	snprintf(imei + 8, 7, "%06u", (unsigned)perm_below(ix, 1000000, 20));
	imei[14] = luhn_digit(imei);
	imei[15] = 0;
	memcpy(d->imei, imei, 16);
	hexs(d->android_id, perm((sim_rng_next(r) << 20) | (ix & 0xfffff), 64), 16);
	const char *oui = ph->oui[sim_rng_below(r, 2)];
	uint64_t mac = perm(((sim_rng_next(r) & 0xf) << 20) | (ix & 0xfffff), 24);
	snprintf(d->mac, sizeof d->mac, "%s:%02x:%02x:%02x", oui, (unsigned)(mac >> 16) & 0xff,
	         (unsigned)(mac >> 8) & 0xff, (unsigned)mac & 0xff);
	uint64_t o1 = sim_rng_next(r), o2 = sim_rng_next(r);
	snprintf(d->oaid, sizeof d->oaid, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(o1 >> 32),
	         (unsigned)(o1 >> 16) & 0xffff, (unsigned)o1 & 0xfff, (unsigned)(0x8000 | ((o2 >> 48) & 0x3fff)),
	         (unsigned long long)(o2 & 0xffffffffffffull));

	/* hardware and build */
	snprintf(d->model, sizeof d->model, "%s", ph->model);
	snprintf(d->brand, sizeof d->brand, "%s", ph->brand);
	snprintf(d->manufacturer, sizeof d->manufacturer, "%s", ph->manufacturer);
	snprintf(d->os_version, sizeof d->os_version, "14");
	snprintf(d->build_fingerprint, sizeof d->build_fingerprint, "%s/%s/%s:14/%s/%s:user/release-keys", ph->brand,
	         ph->product, ph->device, ph->build_id, ph->incremental);
	snprintf(d->cpu_abi, sizeof d->cpu_abi, "arm64-v8a");
	d->screen_w = ph->w;
	d->screen_h = ph->h;

	/* network */
	snprintf(d->carrier, sizeof d->carrier, "%s", ca->name);
	snprintf(d->mccmnc, sizeof d->mccmnc, "%s", ca->mccmnc);
	snprintf(d->apn, sizeof d->apn, "%s", ca->apn);
	unsigned si = (unsigned)sim_rng_below(r, 4);
	snprintf(d->ssid, sizeof d->ssid, c->ssid[si].fmt, (unsigned)sim_rng_below(r, c->ssid[si].mod));
	/* one RNG draw per statement: argument order is unspecified in C */
	const char *rou = PICK(r, router_ouis);
	unsigned bs = (unsigned)sim_rng_below(r, 1u << 24);
	snprintf(d->bssid, sizeof d->bssid, "%s:%02x:%02x:%02x", rou, bs >> 16, (bs >> 8) & 0xff, bs & 0xff);
	unsigned nt = (unsigned)sim_rng_below(r, 10);
	snprintf(d->net_type, sizeof d->net_type, "%s", nt < 7 ? "wifi" : nt < 9 ? "4g" : "5g");
	if (nt < 7) {
		/* home Wi-Fi: 192.168.a.b, b in [2, 251], distinct per index */
		uint64_t k = perm_below(ix, 256 * 250, 16);
		d->client_ip[0] = 192, d->client_ip[1] = 168;
		d->client_ip[2] = (uint8_t)(k / 250), d->client_ip[3] = (uint8_t)(2 + k % 250);
	} else {
		/* carrier-grade NAT: 10.x.y.z */
		uint64_t k = perm(((sim_rng_next(r) & 0xff) << 16) | (ix & 0xffff), 24);
		d->client_ip[0] = 10, d->client_ip[1] = (uint8_t)(k >> 16);
		d->client_ip[2] = (uint8_t)(k >> 8), d->client_ip[3] = (uint8_t)k;
	}

	/* locale and home */
	snprintf(d->lang, sizeof d->lang, "%s", c->lang);
	snprintf(d->region, sizeof d->region, "%s", c->region);
	snprintf(d->timezone, sizeof d->timezone, "%s", ci->tz);
	double dx, dy; /* uniform in the unit disc */
	do {
		dx = 2 * sim_rng_unit(r) - 1;
		dy = 2 * sim_rng_unit(r) - 1;
	} while (dx * dx + dy * dy > 1);
	d->home_lat = ci->lat + 5.0 * dy / 111.32;
	d->home_lon = ci->lon + 5.0 * dx / (111.32 * cos_deg(ci->lat));

	/* the user */
	const name *nm = &name_sets[c->names].v[sim_rng_below(r, name_sets[c->names].n)];
	snprintf(d->nickname, sizeof d->nickname, "%s", nm->display);
	const char *pp = ca->phone ? ca->phone : ci->phone;
	int rest = ca->phone ? ca->rest : ci->rest;
	char digits[16];
	rand_digits(r, digits, rest, true);
	snprintf(d->phone, sizeof d->phone, "%s%s", pp, digits);
	const char *dom = c->mail[sim_rng_below(r, 4)];
	if (!strcmp(dom, "qq.com")) {
		char qq[12];
		rand_digits(r, qq, 9 + (int)sim_rng_below(r, 2), true);
		snprintf(d->email, sizeof d->email, "%s@%s", qq, dom);
	} else {
		static const char *const sep[] = {"", ".", "_"};
		const char *sp = PICK(r, sep);
		unsigned num = (unsigned)(70 + sim_rng_below(r, 9930));
		snprintf(d->email, sizeof d->email, "%s%s%u@%s", nm->ascii, sp, num, dom);
	}

	/* the app */
	d->client_version = index == 0 ? versions[0] : PICK(r, versions);
	static const char tok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
	rand_chars(r, d->push_token, 11, tok);
	memcpy(d->push_token + 11, ":APA91b", 7);
	rand_chars(r, d->push_token + 18, 134, tok);
}

const char *sim_device_city(const sim_device *d)
{
	const char *best = "";
	double bd = 1e30;
	for (size_t i = 0; i < NCOUNTRIES; i++)
		for (int j = 0; j < countries[i].ncity; j++) {
			const city *c = &countries[i].cities[j];
			double dl = c->lat - d->home_lat, dn = (c->lon - d->home_lon) * cos_deg(c->lat);
			double e = dl * dl + dn * dn;
			if (e < bd)
				bd = e, best = c->name;
		}
	return best;
}
