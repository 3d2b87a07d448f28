/*
 * checks.c - value checks by name: the "check" column of data/fields.tsv
 * and the checks of the key-name table (keys.c), mapped to the
 * validators of values.c and words.c.
 *
 * Contract: ck_parse() maps a name to a vcheck (-1 unknown); ck_text()
 * runs it on a text value and returns VAL_NO, VAL_OK or VAL_PLACEHOLDER.
 * The names are documented in docs/TAXONOMY.md ("Checks").
 */
#include <string.h>

#include "detect_int.h"

static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_alnum(int c) { return is_alpha(c) || (c >= '0' && c <= '9'); }
static bool same_char(vstr v)
{
	for (size_t i = 1; i < v.n; i++)
		if (v.p[i] != v.p[0])
			return false;
	return v.n > 0;
}

static const char *const ck_names[CK__COUNT] = {
	[CK_ANY] = "any",         [CK_TEXT] = "text",         [CK_NAME] = "name",        [CK_UIN] = "uin",
	[CK_WXID] = "wxid",       [CK_DEVID] = "devid",       [CK_IMEI] = "imei",        [CK_ANDROIDID] = "androidid",
	[CK_MAC] = "mac",         [CK_IP] = "ip",             [CK_PHONE] = "phone",      [CK_EMAIL] = "email",
	[CK_APPID] = "appid",     [CK_MPUSER] = "mpuser",     [CK_MPID] = "mpid",        [CK_PUSH] = "pushtoken",
	[CK_NETTYPE] = "nettype", [CK_LANG] = "lang",         [CK_REGION] = "region",    [CK_TZ] = "timezone",
	[CK_DEVTYPE] = "devtype", [CK_UA] = "useragent",      [CK_PAGE] = "page",        [CK_URL] = "url",
	[CK_PLACE] = "place",     [CK_MCCMNC] = "mccmnc",     [CK_APN] = "apn",          [CK_CARRIER] = "carrier",
	[CK_SSID] = "ssid",       [CK_UUID] = "uuid",         [CK_HEXID] = "hexid",      [CK_DIGITS] = "digits",
	[CK_OSVER] = "osver",     [CK_SCREEN] = "screen",     [CK_FPRINT] = "fingerprint", [CK_CPU] = "cpu",
	[CK_CONTACT] = "contact", [CK_COORD_LATLON] = "latlon", [CK_COORD_LONLAT] = "lonlat", [CK_MPAPI] = "mpapi",
	[CK_MESSAGE] = "message", [CK_ID] = "id",             [CK_TZOFFSET] = "tzoffset", [CK_USERID] = "userid",
	[CK_QUERY] = "query",     [CK_DEVIDTS] = "devid_ts",  [CK_CARRIERNAME] = "carriername", [CK_BASEREQ] = "baserequest",
	[CK_DIGEST] = "digest",   [CK_FILEID] = "fileid",
};

const char *ck_name(vcheck c) { return (unsigned)c < CK__COUNT ? ck_names[c] : "?"; }

int ck_parse(const char *s, size_t n)
{
	for (int i = 0; i < CK__COUNT; i++)
		if (ck_names[i] && strlen(ck_names[i]) == n && !memcmp(ck_names[i], s, n))
			return i;
	return -1;
}

int ck_text(vcheck c, vstr v)
{
	switch (c) {
	case CK_ANY: return v_trim(v).n ? VAL_OK : VAL_NO;
	case CK_TEXT: return v_text(v);
	case CK_NAME: return v_name(v);
	case CK_UIN: return v_uin(v);
	case CK_WXID: {
		int r = v_wxid(v);
		return r ? r : v_chatroom(v);
	}
	case CK_DEVID: return v_devid(v);
	case CK_IMEI: return v_imei(v);
	case CK_ANDROIDID: {
		int r = v_androidid(v);
		return r ? r : v_hexid(v);
	}
	case CK_MAC: return v_mac(v);
	case CK_IP: return v_ip(v);
	case CK_PHONE: return v_phone(v);
	case CK_EMAIL: return v_email(v);
	case CK_APPID: return v_appid(v);
	case CK_MPUSER: return v_mpuser(v);
	case CK_MPID: {
		int r = v_appid(v);
		return r ? r : v_mpuser(v);
	}
	case CK_PUSH: return v_pushtoken(v);
	case CK_NETTYPE: return v_nettype(v);
	case CK_LANG: return v_lang(v);
	case CK_REGION: return v_region(v);
	case CK_TZ: return v_timezone(v);
	case CK_DEVTYPE: return v_devtype(v);
	case CK_UA: return v_useragent(v);
	case CK_PAGE: return v_pagepath(v);
	case CK_URL: return v_url(v);
	case CK_PLACE: {
		vstr t = v_trim(v);
		if (!t.n || v_is_placeholder_word(t))
			return VAL_NO;
		bool letter = false;
		for (size_t i = 0; i < t.n && !letter; i++)
			letter = is_alpha((unsigned char)t.p[i]) || (unsigned char)t.p[i] >= 0x80;
		return letter ? v_name(t) : VAL_NO;
	}
	case CK_MCCMNC: return v_mccmnc(v);
	case CK_APN: return v_apn(v);
	case CK_CARRIER: return v_name(v);
	case CK_SSID: return v_ssid(v);
	case CK_UUID: return v_uuid(v);
	case CK_HEXID: return v_hexid(v);
	case CK_DIGITS: return v_digits(v, 1, 20);
	case CK_OSVER: return v_osver(v);
	case CK_SCREEN: return v_screen(v);
	case CK_FPRINT: return v_fingerprint(v);
	case CK_CPU: return v_cpu(v);
	case CK_CONTACT: {
		int r;
		if ((r = v_phone(v)) || (r = v_email(v)) || (r = v_chatroom(v)))
			return r;
		if (v_sysaccount(v))
			return VAL_NO;
		return v_wxid(v);
	}
	case CK_MPAPI: return v_mpapi(v);
	case CK_MESSAGE: return v_content_text(v);
	case CK_DIGEST: return v_digest(v);
	case CK_FILEID: return v_fileid(v);
	case CK_ID: {
		vstr t = v_trim(v);
		if (!t.n)
			return VAL_NO;
		if (v_is_placeholder_word(t) || (t.n >= 4 && same_char(t)))
			return VAL_PLACEHOLDER;
		return t.n <= 128 ? VAL_OK : VAL_NO;
	}
	case CK_USERID: {
		vstr t = v_trim(v);
		if (t.n < 4 || t.n > 128)
			return VAL_NO;
		if (v_is_placeholder_word(t) || same_char(t))
			return VAL_PLACEHOLDER;
		for (size_t i = 0; i < t.n; i++)
			if (!is_alnum((unsigned char)t.p[i]) && !strchr("_-=.@", t.p[i]))
				return VAL_NO;
		return VAL_OK;
	}
	case CK_TZOFFSET: return v_tzoffset(v);
	case CK_QUERY: {
		vstr t = v_trim(v);
		if (!t.n || t.p[0] == '{' || t.p[0] == '[' || memchr(t.p, '=', t.n) || t.n > 512)
			return VAL_NO;
		return VAL_OK;
	}
	case CK_DEVIDTS: {
		vstr t = v_trim(v);
		const char *u = memchr(t.p, '_', t.n);
		if (!u || t.p[0] != 'A' || v_digits((vstr){u + 1, t.n - (size_t)(u + 1 - t.p)}, 10, 13) != VAL_OK)
			return VAL_NO;
		return v_devid((vstr){t.p, (size_t)(u - t.p)});
	}
	case CK_CARRIERNAME: {
		int r = v_carrier_name(v);
		return r ? r : v_name(v);
	}
	case CK_BASEREQ:
	case CK_COORD_LATLON:
	case CK_COORD_LONLAT:
	case CK__COUNT: break;
	}
	return VAL_NO;
}
