/*
 * keys.c - key-name semantics: what a value means by the name it is
 * filed under (a JSON key, an XML element or attribute, a URL query key,
 * the key of a protobuf {1: key, 2/3: value} pair).
 *
 * Contract: keys_lookup() maps a name to a rule (category, value check,
 * conditions), ignoring case and the separators '_', '-', '.', ' '.
 * The table is a fixed open-addressing hash built once (pthread_once);
 * a lookup hashes the name in one pass and compares at most a few
 * entries: no allocation, no locale. Names are those WeChat and its Mini
 * Program runtime use in the published logs and captures (uin, hash,
 * devicetype, lan, nettype, networkstatus, api_name, ...) and the field
 * names of documented APIs (wx.getSystemInfo: brand, model, system,
 * screenWidth, language; wx.getLocation: latitude, longitude).
 */
#include <pthread.h>
#include <string.h>

#include "detect_int.h"

typedef struct kdef {
	const char *name; /* normalised: lowercase, no separators */
	int8_t cat;
	uint8_t check;
	uint8_t flags;
	uint8_t conf;
} kdef;

#define R KF_REQUEST_ONLY
#define M KF_MP_CONTEXT
static const kdef defs[] = {
	/* identity.account */
	{"uin", C_ACCOUNT, CK_UIN, 0, 95},
	{"hash", C_ACCOUNT, CK_UIN, 0, 80}, /* "hash=<uin>&ts=..." of Mini Program launches */
	{"wxid", C_ACCOUNT, CK_WXID, 0, 90},
	{"username", C_ACCOUNT, CK_WXID, 0, 70},
	{"wxusername", C_ACCOUNT, CK_WXID, 0, 80},
	/* identity.device */
	{"imei", C_DEVICE_ID, CK_IMEI, 0, 95},
	{"meid", C_DEVICE_ID, CK_IMEI, 0, 95},
	{"imsi", C_DEVICE_ID, CK_DIGITS, 0, 90},
	{"iccid", C_DEVICE_ID, CK_DIGITS, 0, 90},
	{"androidid", C_DEVICE_ID, CK_ANDROIDID, 0, 95},
	{"oaid", C_DEVICE_ID, CK_ID, 0, 90},
	{"idfa", C_DEVICE_ID, CK_ID, 0, 90},
	{"idfv", C_DEVICE_ID, CK_ID, 0, 90},
	{"gaid", C_DEVICE_ID, CK_ID, 0, 90},
	{"adid", C_DEVICE_ID, CK_ID, 0, 80},
	{"advertisingid", C_DEVICE_ID, CK_ID, 0, 90},
	{"mac", C_DEVICE_ID, CK_MAC, 0, 90},
	{"macaddress", C_DEVICE_ID, CK_MAC, 0, 90},
	{"macaddr", C_DEVICE_ID, CK_MAC, 0, 90},
	{"wifimac", C_DEVICE_ID, CK_MAC, 0, 85},
	{"serial", C_DEVICE_ID, CK_ID, 0, 85},
	{"serialno", C_DEVICE_ID, CK_ID, 0, 85},
	{"serialnumber", C_DEVICE_ID, CK_ID, 0, 85},
	{"deviceid", C_DEVICE_ID, CK_ID, 0, 85},
	{"devid", C_DEVICE_ID, CK_ID, 0, 80},
	{"devicevirtualid", C_DEVICE_ID, CK_HEXID, 0, 85},
	{"uuid", C_DEVICE_ID, CK_UUID, 0, 60},
	/* identity.push_token */
	{"pushtoken", C_PUSH, CK_ID, 0, 90},
	{"fcmtoken", C_PUSH, CK_ID, 0, 90},
	{"devicetoken", C_PUSH, CK_ID, 0, 85},
	{"registrationid", C_PUSH, CK_ID, 0, 80},
	/* identity.thirdparty: only in the query of a URL that is not WeChat's (detect.c) */
	{"uid", C_THIRDPARTY, CK_USERID, 0, 80},
	{"userid", C_THIRDPARTY, CK_USERID, 0, 80},
	{"openid", C_THIRDPARTY, CK_USERID, 0, 85},
	{"unionid", C_THIRDPARTY, CK_USERID, 0, 85},
	{"memberid", C_THIRDPARTY, CK_USERID, 0, 80},
	{"custid", C_THIRDPARTY, CK_USERID, 0, 80},
	{"customerid", C_THIRDPARTY, CK_USERID, 0, 80},
	{"accountid", C_THIRDPARTY, CK_USERID, 0, 75},
	{"pdduid", C_THIRDPARTY, CK_USERID, 0, 95},
	/* device.info */
	{"model", C_DEVINFO, CK_TEXT, 0, 90},
	{"devicemodel", C_DEVINFO, CK_TEXT, 0, 90},
	{"brand", C_DEVINFO, CK_TEXT, 0, 90},
	{"devicebrand", C_DEVINFO, CK_TEXT, 0, 90},
	{"manufacturer", C_DEVINFO, CK_TEXT, 0, 90},
	{"devicename", C_DEVINFO, CK_TEXT, 0, 85},
	{"osname", C_DEVINFO, CK_TEXT, 0, 80},
	{"system", C_DEVINFO, CK_OSVER, 0, 85},
	{"osversion", C_DEVINFO, CK_OSVER, 0, 90},
	{"systemversion", C_DEVINFO, CK_OSVER, 0, 90},
	{"sdk", C_DEVINFO, CK_DIGITS, 0, 70},
	{"sdkint", C_DEVINFO, CK_DIGITS, 0, 80},
	{"abi", C_DEVINFO, CK_TEXT, 0, 85},
	{"cpuabi", C_DEVINFO, CK_TEXT, 0, 85},
	{"screenwidth", C_DEVINFO, CK_SCREEN, 0, 85},
	{"screenheight", C_DEVINFO, CK_SCREEN, 0, 85},
	{"resolution", C_DEVINFO, CK_SCREEN, 0, 85},
	{"useragent", C_DEVINFO, CK_TEXT, 0, 90},
	{"ua", C_DEVINFO, CK_UA, 0, 90},
	{"fingerprint", C_DEVINFO, CK_FPRINT, 0, 90},
	{"buildfingerprint", C_DEVINFO, CK_FPRINT, 0, 90},
	{"devicetype", C_DEVINFO, CK_DEVTYPE, 0, 90},
	{"hardware", C_DEVINFO, CK_TEXT, 0, 80},
	/* network */
	{"carrier", C_CARRIER, CK_CARRIERNAME, 0, 90},
	{"carriername", C_CARRIER, CK_CARRIERNAME, 0, 90},
	{"operator", C_CARRIER, CK_CARRIERNAME, 0, 80},
	{"operatorname", C_CARRIER, CK_CARRIERNAME, 0, 85},
	{"simoperator", C_CARRIER, CK_CARRIERNAME, 0, 85},
	{"simoperatorname", C_CARRIER, CK_CARRIERNAME, 0, 90},
	{"networkoperator", C_CARRIER, CK_CARRIERNAME, 0, 85},
	{"isp", C_CARRIER, CK_CARRIERNAME, 0, 75},
	{"mccmnc", C_CARRIER, CK_MCCMNC, 0, 90},
	{"apn", C_CARRIER, CK_APN, 0, 85},
	{"ip", C_IP, CK_IP, 0, 85},
	{"clientip", C_IP, CK_IP, 0, 90},
	{"localip", C_IP, CK_IP, 0, 90},
	{"userip", C_IP, CK_IP, 0, 90},
	{"ipaddr", C_IP, CK_IP, 0, 85},
	{"ipaddress", C_IP, CK_IP, 0, 85},
	{"wanip", C_IP, CK_IP, 0, 90},
	{"publicip", C_IP, CK_IP, 0, 90},
	{"ssid", C_WIFI, CK_SSID, 0, 90},
	{"wifissid", C_WIFI, CK_SSID, 0, 90},
	{"wifiname", C_WIFI, CK_SSID, 0, 90},
	{"bssid", C_WIFI, CK_MAC, 0, 90},
	{"wifibssid", C_WIFI, CK_MAC, 0, 90},
	{"nettype", C_NETTYPE, CK_NETTYPE, 0, 90},
	{"networktype", C_NETTYPE, CK_NETTYPE, 0, 90},
	{"networkstatus", C_NETTYPE, CK_NETTYPE, 0, 90},
	{"connectiontype", C_NETTYPE, CK_NETTYPE, 0, 85},
	{"net", C_NETTYPE, CK_NETTYPE, 0, 80},
	{"network", C_NETTYPE, CK_NETTYPE, 0, 80},
	/* location: coordinates are pairs (coords in detect.c), places are named */
	{"latitude", C_COORD, CK_ANY, KF_LAT, 95},
	{"lat", C_COORD, CK_ANY, KF_LAT, 90},
	{"longitude", C_COORD, CK_ANY, KF_LON, 95},
	{"lon", C_COORD, CK_ANY, KF_LON, 90},
	{"lng", C_COORD, CK_ANY, KF_LON, 90},
	{"city", C_PLACE, CK_PLACE, 0, 90},
	{"cityname", C_PLACE, CK_PLACE, 0, 90},
	{"province", C_PLACE, CK_PLACE, 0, 85},
	{"district", C_PLACE, CK_PLACE, 0, 85},
	{"street", C_PLACE, CK_PLACE, 0, 85},
	{"address", C_PLACE, CK_PLACE, 0, 85},
	{"poi", C_PLACE, CK_PLACE, 0, 85},
	{"poiname", C_PLACE, CK_PLACE, 0, 85},
	/* locale */
	{"language", C_LOCALE, CK_LANG, 0, 90},
	{"lang", C_LOCALE, CK_LANG, 0, 90},
	{"lan", C_LOCALE, CK_LANG, 0, 85},
	{"locale", C_LOCALE, CK_LANG, 0, 90},
	{"region", C_LOCALE, CK_REGION, 0, 85},
	{"timezone", C_LOCALE, CK_TZ, 0, 90},
	{"tz", C_LOCALE, CK_TZ, 0, 85},
	{"timezoneid", C_LOCALE, CK_TZ, 0, 90},
	/* Mini Programs */
	{"appid", C_MP_ID, CK_MPID, 0, 95},
	{"pagepath", C_MP_ACT, CK_PAGE, M | KF_PAGE, 90},
	{"page", C_MP_ACT, CK_PAGE, M | KF_PAGE, 85},
	{"path", C_MP_ACT, CK_PAGE, M, 75},
	{"apiname", C_MP_ACT, CK_ID, M, 85},
	{"jsapi", C_MP_ACT, CK_ID, M, 85},
	{"sessionid", C_MP_ACT, CK_ID, M, 75},
	{"scope", C_MP_ACT, CK_MPAPI, M, 85},
	/* search */
	{"query", C_SEARCH, CK_QUERY, 0, 85},
	{"keyword", C_SEARCH, CK_QUERY, 0, 85},
	{"searchquery", C_SEARCH, CK_QUERY, 0, 90},
	{"searchword", C_SEARCH, CK_QUERY, 0, 90},
	/* profile and contacts */
	{"nickname", C_NAME, CK_NAME, R, 85},
	{"nick", C_NAME, CK_NAME, R, 75},
	{"displayname", C_NAME, CK_NAME, R, 80},
	{"realname", C_NAME, CK_NAME, R, 90},
	{"phone", C_CONTACTS, CK_PHONE, 0, 90},
	{"phonenumber", C_CONTACTS, CK_PHONE, 0, 90},
	{"mobile", C_CONTACTS, CK_PHONE, 0, 85},
	{"tel", C_CONTACTS, CK_PHONE, 0, 85},
	{"telephone", C_CONTACTS, CK_PHONE, 0, 90},
	{"email", C_CONTACTS, CK_EMAIL, 0, 90},
	{"mail", C_CONTACTS, CK_EMAIL, 0, 85},
	/* UI events: only in an object that names a page (KF_EVENT) */
	{"dwell", C_TEL_UI, CK_ANY, KF_EVENT, 80},
	{"dwellms", C_TEL_UI, CK_ANY, KF_EVENT, 80},
	{"dwelltime", C_TEL_UI, CK_ANY, KF_EVENT, 80},
	{"staytime", C_TEL_UI, CK_ANY, KF_EVENT, 80},
	{"staytimems", C_TEL_UI, CK_ANY, KF_EVENT, 80},
	{"target", C_TEL_UI, CK_ANY, KF_EVENT, 75},
};
#undef R
#undef M

#define KT_SIZE 512 /* power of two, > 2 x entries */
static struct {
	uint32_t h;
	int16_t def; /* -1 empty */
} kt[KT_SIZE];
static keyrule rules[sizeof defs / sizeof defs[0]];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static inline int norm(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c == '_' || c == '-' || c == '.' || c == ' ')
		return -1;
	return c;
}

static uint32_t khash(const char *p, size_t n, char *out, size_t *outn, size_t cap)
{
	uint32_t h = 2166136261u;
	size_t k = 0;
	*outn = 0;
	for (size_t i = 0; i < n; i++) {
		int c = norm((unsigned char)p[i]);
		if (c < 0)
			continue;
		if (k >= cap)
			return 0;
		out[k++] = (char)c;
		h = (h ^ (uint32_t)c) * 16777619u;
	}
	*outn = k;
	return h;
}

static void build(void)
{
	for (size_t i = 0; i < KT_SIZE; i++)
		kt[i].def = -1;
	for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
		char tmp[40];
		size_t n;
		uint32_t h = khash(defs[i].name, strlen(defs[i].name), tmp, &n, sizeof tmp);
		rules[i] = (keyrule){defs[i].cat, defs[i].check, defs[i].flags, defs[i].conf};
		size_t s = h & (KT_SIZE - 1);
		while (kt[s].def >= 0)
			s = (s + 1) & (KT_SIZE - 1);
		kt[s].h = h;
		kt[s].def = (int16_t)i;
	}
}

void keys_init(void) { pthread_once(&once, build); }

const keyrule *keys_lookup(const char *name, size_t n)
{
	if (!name || !n || n > 40)
		return NULL;
	char tmp[40];
	size_t k;
	uint32_t h = khash(name, n, tmp, &k, sizeof tmp);
	if (!k)
		return NULL;
	for (size_t s = h & (KT_SIZE - 1);; s = (s + 1) & (KT_SIZE - 1)) {
		int d = kt[s].def;
		if (d < 0)
			return NULL;
		if (kt[s].h == h && strlen(defs[d].name) == k && !memcmp(defs[d].name, tmp, k))
			return &rules[d];
	}
}
