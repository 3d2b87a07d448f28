/*
 * words.c - the word lists behind some value checks: placeholder words,
 * WeChat system accounts, network types, Mini Program JS API names,
 * lifecycle events, and mobile operator brands.
 *
 * Contract: every list is looked up in O(length of the value): exact
 * words through one open-addressing hash of the case-folded value
 * (built once, pthread_once), operator brands through buckets by first
 * letter. Words marked case-sensitive must also match byte for byte.
 * No allocation; safe from any thread after words_init().
 */
#include <pthread.h>
#include <string.h>

#include "detect_int.h"

typedef struct word {
	const char *w;
	uint8_t tag;
	bool cs; /* case-sensitive */
} word;

static const word words[] = {
	/* what apps write for "no value" */
	{"unknown", W_PLACEHOLDER | W_NET_PH, 0}, {"null", W_PLACEHOLDER, 0}, {"none", W_PLACEHOLDER | W_NET_PH, 0},
	{"nil", W_PLACEHOLDER, 0}, {"undefined", W_PLACEHOLDER, 0}, {"n/a", W_PLACEHOLDER, 0}, {"0", W_PLACEHOLDER, 0},
	{"-1", W_PLACEHOLDER, 0}, {"-", W_PLACEHOLDER, 0}, {"(null)", W_PLACEHOLDER, 0}, {"default", W_PLACEHOLDER, 0},
	{"0.0.0.0", W_PLACEHOLDER, 0}, {"000000000000000", W_PLACEHOLDER, 0},
	{"00000000-0000-0000-0000-000000000000", W_PLACEHOLDER, 0}, {"offline", W_NET_PH, 0},
	/* WeChat's own accounts: not a person */
	{"weixin", W_SYS, 1}, {"filehelper", W_SYS, 1}, {"newsapp", W_SYS, 1}, {"fmessage", W_SYS, 1},
	{"medianote", W_SYS, 1}, {"floatbottle", W_SYS, 1}, {"qmessage", W_SYS, 1}, {"qqmail", W_SYS, 1},
	{"tmessage", W_SYS, 1}, {"qqsync", W_SYS, 1}, {"notifymessage", W_SYS, 1}, {"officialaccounts", W_SYS, 1},
	{"helper_entry", W_SYS, 1}, {"wxitil", W_SYS, 1}, {"feedsapp", W_SYS, 1},
	/* network types */
	{"wifi", W_NET, 0}, {"4g", W_NET, 0}, {"5g", W_NET, 0}, {"3g", W_NET, 0}, {"2g", W_NET, 0}, {"lte", W_NET, 0},
	{"wwan", W_NET, 0}, {"edge", W_NET, 0}, {"gprs", W_NET, 0}, {"nr", W_NET, 0}, {"hspa", W_NET, 0},
	{"umts", W_NET, 0}, {"mobile", W_NET, 0}, {"cellular", W_NET, 0}, {"ethernet", W_NET, 0}, {"wi-fi", W_NET, 0},
	/* Mini Program JS APIs (the calls the runtime logs and authorizes) */
	{"request", W_MPAPI, 1}, {"createRequestTask", W_MPAPI, 1}, {"uploadFile", W_MPAPI, 1},
	{"downloadFile", W_MPAPI, 1}, {"connectSocket", W_MPAPI, 1}, {"getLocation", W_MPAPI, 1},
	{"getFuzzyLocation", W_MPAPI, 1}, {"chooseLocation", W_MPAPI, 1}, {"openLocation", W_MPAPI, 1},
	{"startLocationUpdate", W_MPAPI, 1}, {"startLocationUpdateBackground", W_MPAPI, 1},
	{"onLocationChange", W_MPAPI, 1}, {"chooseAddress", W_MPAPI, 1}, {"getUserInfo", W_MPAPI, 1},
	{"getUserProfile", W_MPAPI, 1}, {"getPhoneNumber", W_MPAPI, 1}, {"getWeRunData", W_MPAPI, 1},
	{"chooseImage", W_MPAPI, 1}, {"chooseMedia", W_MPAPI, 1}, {"chooseVideo", W_MPAPI, 1},
	{"chooseMessageFile", W_MPAPI, 1}, {"scanCode", W_MPAPI, 1}, {"login", W_MPAPI, 1},
	{"checkSession", W_MPAPI, 1}, {"authorize", W_MPAPI, 1}, {"requestPayment", W_MPAPI, 1},
	{"requestSubscribeMessage", W_MPAPI, 1}, {"getSetting", W_MPAPI, 1}, {"openSetting", W_MPAPI, 1},
	{"makePhoneCall", W_MPAPI, 1}, {"addPhoneContact", W_MPAPI, 1}, {"chooseContact", W_MPAPI, 1},
	{"chooseInvoiceTitle", W_MPAPI, 1}, {"chooseInvoice", W_MPAPI, 1}, {"startRecord", W_MPAPI, 1},
	{"getRecorderManager", W_MPAPI, 1}, {"saveImageToPhotosAlbum", W_MPAPI, 1},
	{"saveVideoToPhotosAlbum", W_MPAPI, 1}, {"getClipboardData", W_MPAPI, 1}, {"setClipboardData", W_MPAPI, 1},
	{"getBluetoothDevices", W_MPAPI, 1}, {"openBluetoothAdapter", W_MPAPI, 1}, {"startWifi", W_MPAPI, 1},
	{"getWifiList", W_MPAPI, 1}, {"getConnectedWifi", W_MPAPI, 1}, {"getNetworkType", W_MPAPI, 1},
	{"getSystemInfo", W_MPAPI, 1}, {"navigateToMiniProgram", W_MPAPI, 1}, {"shareAppMessage", W_MPAPI, 1},
	{"openCard", W_MPAPI, 1}, {"addCard", W_MPAPI, 1}, {"getBackgroundFetchData", W_MPAPI, 1},
	{"operateWXData", W_MPAPI, 1},
	/* screen lifecycle events */
	{"resume", W_LIFE, 1}, {"pause", W_LIFE, 1}, {"foreground", W_LIFE, 1}, {"background", W_LIFE, 1},
	{"onResume", W_LIFE, 1}, {"onPause", W_LIFE, 1}, {"onStart", W_LIFE, 1}, {"onStop", W_LIFE, 1},
	{"onCreate", W_LIFE, 1}, {"onDestroy", W_LIFE, 1},
};

/* Mobile operators by brand: a value is an operator when it starts with a
 * brand (case-folded) followed by its end or a non-alphanumeric byte. */
static const char *const ops[] = {
	"T-Mobile", "Verizon", "AT&T", "Sprint", "US Cellular", "Google Fi", "Mint", "Cricket", "Metro",
	"China Mobile", "China Unicom", "China Telecom", "CMCC", "CHN-UNICOM", "CHN-CT", "China Broadnet",
	"Vodafone", "EE", "O2", "Three", "3 UK", "Telekom", "Telefonica", "1&1", "Orange", "SFR", "Bouygues",
	"Free", "TIM", "Wind", "Movistar", "Rogers", "Bell", "TELUS", "Fido", "Freedom", "Telstra", "Optus",
	"NTT DOCOMO", "docomo", "SoftBank", "KDDI", "au", "Rakuten", "SK Telecom", "SKT", "KT", "LG U+",
	"Chunghwa", "FarEasTone", "Taiwan Mobile", "CSL", "SmarTone", "HKT", "3HK", "Singtel", "StarHub", "M1",
	"Airtel", "Jio", "Vi", "BSNL", "Telkomsel", "Indosat", "XL", "Globe", "Smart", "AIS", "dtac", "TrueMove",
	"Viettel", "Mobifone", "Vinaphone", "Maxis", "Celcom", "Digi", "MTS", "MegaFon", "Beeline", "Tele2",
	"Android", /* the emulator's operator name: a placeholder */
};
#define NOPS (sizeof ops / sizeof ops[0])

#define WT 512
static int16_t wt[WT];
static uint32_t wh[WT];
static uint8_t wl[sizeof words / sizeof words[0]];
static uint8_t opl[NOPS];
static uint8_t opfirst[256][8]; /* per case-folded first byte: up to 7 operator indexes + 1 */
uint8_t words_wmax[256];        /* per case-folded first byte: the longest listed word */
uint8_t words_cfirst[256];      /* per byte (not folded): may an operator brand start with it? */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static inline int fold(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static uint32_t hash(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint32_t)fold((unsigned char)p[i])) * 16777619u;
	return h;
}

static void build(void)
{
	for (size_t i = 0; i < WT; i++)
		wt[i] = -1;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		size_t n = strlen(words[i].w);
		wl[i] = (uint8_t)n;
		uint32_t h = hash(words[i].w, n);
		size_t s = h & (WT - 1);
		while (wt[s] >= 0)
			s = (s + 1) & (WT - 1);
		wt[s] = (int16_t)i;
		wh[s] = h;
		uint8_t *m = &words_wmax[fold((unsigned char)words[i].w[0])];
		if (n > *m)
			*m = (uint8_t)n;
	}
	for (size_t i = 0; i < NOPS; i++) {
		opl[i] = (uint8_t)strlen(ops[i]);
		uint8_t *b = opfirst[fold((unsigned char)ops[i][0])];
		for (int k = 0; k < 7; k++)
			if (!b[k]) {
				b[k] = (uint8_t)(i + 1);
				break;
			}
	}
	for (int c = 0; c < 256; c++)
		words_cfirst[c] = opfirst[fold(c)][0] != 0;
}

void words_init(void) { pthread_once(&once, build); }

static int lookup(vstr v)
{
	if (!v.n || v.n > words_wmax[fold((unsigned char)v.p[0])])
		return 0;
	uint32_t h = hash(v.p, v.n);
	for (size_t s = h & (WT - 1);; s = (s + 1) & (WT - 1)) {
		int i = wt[s];
		if (i < 0)
			return 0;
		if (wh[s] != h || wl[i] != v.n)
			continue;
		const char *w = words[i].w;
		bool ok = true;
		for (size_t k = 0; k < v.n && ok; k++)
			ok = words[i].cs ? v.p[k] == w[k] : fold((unsigned char)v.p[k]) == fold((unsigned char)w[k]);
		if (ok)
			return words[i].tag;
	}
}

int words_tag(vstr v) { return lookup(v); }


bool v_is_placeholder_word(vstr v) { return lookup(v) & W_PLACEHOLDER; }

int v_sysaccount(vstr v) { return lookup(v_trim(v)) & W_SYS ? VAL_OK : VAL_NO; }

int v_nettype(vstr v)
{
	int t = lookup(v_trim(v));
	return t & W_NET ? VAL_OK : t & W_NET_PH ? VAL_PLACEHOLDER : VAL_NO;
}

int v_lifecycle(vstr v) { return lookup(v_trim(v)) & W_LIFE ? VAL_OK : VAL_NO; }

static bool word_chars(vstr v, size_t from, bool underscore)
{
	for (size_t i = from; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (underscore && c == '_')))
			return false;
	}
	return true;
}

int v_mpapi(vstr v)
{
	v = v_trim(v);
	if (v.n < 4 || v.n > 80)
		return VAL_NO;
	if (v.n > 7 && !memcmp(v.p, "scope.", 6))
		return word_chars(v, 6, false) ? VAL_OK : VAL_NO;
	if (v.n > 8 && !memcmp(v.p, "webapi_", 7))
		return word_chars(v, 7, true) ? VAL_OK : VAL_NO;
	return lookup(v) & W_MPAPI ? VAL_OK : VAL_NO;
}

int v_carrier_name(vstr v)
{
	v = v_trim(v);
	if (!v.n || v.n > 40)
		return VAL_NO;
	const uint8_t *b = opfirst[fold((unsigned char)v.p[0])];
	for (int k = 0; k < 8 && b[k]; k++) {
		size_t i = b[k] - 1u, n = opl[i];
		if (v.n < n)
			continue;
		bool ok = true;
		for (size_t j = 0; j < n && ok; j++)
			ok = fold((unsigned char)v.p[j]) == fold((unsigned char)ops[i][j]);
		if (!ok)
			continue;
		unsigned char next = v.n > n ? (unsigned char)v.p[n] : 0;
		bool alnum = (next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || (next >= '0' && next <= '9');
		if (v.n == n || !alnum || (next >= 'A' && next <= 'Z'))
			return i == NOPS - 1 ? VAL_PLACEHOLDER : VAL_OK;
	}
	return VAL_NO;
}
