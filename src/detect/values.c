/*
 * values.c - value validators: is this text a plausible value of a kind
 * of personal data, a placeholder for "no value", or neither?
 *
 * Contract: every v_*() takes a view (no NUL needed), never allocates,
 * and returns VAL_NO, VAL_OK or VAL_PLACEHOLDER. They check shape and
 * checksums only (Luhn for IMEI, the unicast bit of a MAC's OUI, IPv4/
 * IPv6 grammar, E.164 lengths, appid/username shapes); what a value
 * means comes from where it sits (keys.c, fields.c, detect.c).
 * Placeholders are the values apps send when the real one is denied:
 * IMEI "1234567890ABCDEF" or all zeros, MAC 02:00:00:00:00:00, Android
 * ID/serial "unknown", all-zero or all-one ids.
 */
#include <string.h>

#include "detect_int.h"

static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static bool is_lhex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
static bool is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_lower(int c) { return c >= 'a' && c <= 'z'; }
static bool is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static bool is_alnum(int c) { return is_alpha(c) || is_digit(c); }

static bool eq(vstr v, const char *s) { return v.n == strlen(s) && !memcmp(v.p, s, v.n); }
static bool eqi(vstr v, const char *s)
{
	size_t n = strlen(s);
	if (v.n != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int a = (unsigned char)v.p[i], b = (unsigned char)s[i];
		if (a >= 'A' && a <= 'Z')
			a += 32;
		if (b >= 'A' && b <= 'Z')
			b += 32;
		if (a != b)
			return false;
	}
	return true;
}
static bool prefix(vstr v, const char *s) { return v.n >= strlen(s) && !memcmp(v.p, s, strlen(s)); }
static bool prefixi(vstr v, const char *s)
{
	size_t n = strlen(s);
	return v.n >= n && eqi((vstr){v.p, n}, s);
}
static bool all(vstr v, bool (*f)(int))
{
	if (!v.n)
		return false;
	for (size_t i = 0; i < v.n; i++)
		if (!f((unsigned char)v.p[i]))
			return false;
	return true;
}
static bool same_char(vstr v)
{
	for (size_t i = 1; i < v.n; i++)
		if (v.p[i] != v.p[0])
			return false;
	return v.n > 0;
}



bool v_luhn(const char *s, size_t n)
{
	int sum = 0;
	bool dbl = false;
	for (size_t i = n; i-- > 0;) {
		if (!is_digit((unsigned char)s[i]))
			return false;
		int d = s[i] - '0';
		if (dbl && (d *= 2) > 9)
			d -= 9;
		sum += d;
		dbl = !dbl;
	}
	return n > 0 && sum % 10 == 0;
}

int v_imei(vstr v)
{
	v = v_trim(v);
	/* the placeholders Android apps send without READ_PHONE_STATE */
	if (eqi(v, "1234567890ABCDEF") || eqi(v, "123456789ABCDEF") || eq(v, "000000000000000") ||
	    eq(v, "00000000000000") || eq(v, "0000000000000000") || eqi(v, "unknown") || eq(v, "null"))
		return VAL_PLACEHOLDER;
	if (v.n == 15 && all(v, is_digit)) {
		if (same_char(v))
			return VAL_PLACEHOLDER;
		return v_luhn(v.p, 15) && !(v.p[0] == '0' && v.p[1] == '0') ? VAL_OK : VAL_NO;
	}
	if (v.n == 14 && all(v, is_hex)) /* MEID */
		return same_char(v) ? VAL_PLACEHOLDER : VAL_OK;
	return VAL_NO;
}

int v_mac(vstr v)
{
	v = v_trim(v);
	if (v.n != 17)
		return VAL_NO;
	uint8_t b[6];
	char sep = v.p[2];
	if (sep != ':' && sep != '-')
		return VAL_NO;
	for (int i = 0; i < 6; i++) {
		const char *p = v.p + 3 * i;
		if (!is_hex((unsigned char)p[0]) || !is_hex((unsigned char)p[1]) || (i < 5 && p[2] != sep))
			return VAL_NO;
		int hi = is_digit(p[0]) ? p[0] - '0' : (p[0] | 32) - 'a' + 10;
		int lo = is_digit(p[1]) ? p[1] - '0' : (p[1] | 32) - 'a' + 10;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	static const uint8_t android[6] = {2, 0, 0, 0, 0, 0}, zero[6] = {0};
	if (!memcmp(b, android, 6) || !memcmp(b, zero, 6))
		return VAL_PLACEHOLDER;
	if (b[0] & 1) /* a group address (broadcast, multicast) is no device */
		return VAL_NO;
	return VAL_OK;
}

static int ipv4_parse(vstr v, uint8_t out[4])
{
	size_t i = 0;
	for (int k = 0; k < 4; k++) {
		if (k) {
			if (i >= v.n || v.p[i] != '.')
				return 0;
			i++;
		}
		size_t s = i;
		unsigned x = 0;
		while (i < v.n && is_digit((unsigned char)v.p[i]) && i - s < 3)
			x = x * 10 + (unsigned)(v.p[i++] - '0');
		if (i == s || x > 255 || (i - s > 1 && v.p[s] == '0'))
			return 0;
		out[k] = (uint8_t)x;
	}
	return i == v.n;
}

int v_ipv4(vstr v)
{
	v = v_trim(v);
	uint8_t a[4];
	if (v.n < 7 || v.n > 15 || !ipv4_parse(v, a))
		return VAL_NO;
	if (!a[0] && !a[1] && !a[2] && !a[3])
		return VAL_PLACEHOLDER;
	if (a[0] == 127 || a[0] >= 224 || (a[0] == 255))
		return VAL_NO;
	return VAL_OK;
}

int v_ipv6(vstr v)
{
	v = v_trim(v);
	if (v.n > 2 && v.p[0] == '[' && v.p[v.n - 1] == ']')
		v.p++, v.n -= 2;
	if (v.n < 2 || v.n > 45)
		return VAL_NO;
	int groups = 0, dbl = 0;
	size_t i = 0;
	while (i < v.n) {
		if (v.p[i] == ':') {
			if (i + 1 < v.n && v.p[i + 1] == ':') {
				if (dbl++)
					return VAL_NO;
				i += 2;
				continue;
			}
			if (i == 0)
				return VAL_NO;
			i++;
			continue;
		}
		size_t s = i;
		while (i < v.n && is_hex((unsigned char)v.p[i]) && i - s < 4)
			i++;
		if (i < v.n && v.p[i] == '.') { /* embedded IPv4 tail */
			uint8_t a[4];
			if (!ipv4_parse((vstr){v.p + s, v.n - s}, a))
				return VAL_NO;
			groups += 2;
			break; /* the IPv4 tail ends the address */
		}
		if (i == s)
			return VAL_NO;
		groups++;
		if (i < v.n && v.p[i] != ':')
			return VAL_NO;
	}
	if (groups > 8 || (!dbl && groups != 8) || (dbl && groups > 7))
		return VAL_NO;
	if (eq(v, "::") || eq(v, "::1"))
		return VAL_PLACEHOLDER;
	return VAL_OK;
}

int v_ip(vstr v)
{
	int r = v_ipv4(v);
	return r != VAL_NO ? r : v_ipv6(v);
}

/* E.164: +, a country code, 7-15 digits in all; spaces or dashes allowed. */
int v_phone(vstr v)
{
	v = v_trim(v);
	if (v.n < 8 || v.n > 20)
		return VAL_NO;
	size_t i = 0, nd = 0;
	bool plus = v.p[0] == '+';
	if (plus)
		i++;
	else if (v.n > 2 && v.p[0] == '0' && v.p[1] == '0')
		i += 2, plus = true; /* 00 international prefix */
	for (; i < v.n; i++) {
		int c = (unsigned char)v.p[i];
		if (is_digit(c))
			nd++;
		else if (!(c == ' ' || c == '-') || !nd)
			return VAL_NO;
	}
	if (!plus)
		return nd >= 7 && nd <= 15 ? VAL_OK : VAL_NO;
	if (nd < 8 || nd > 15)
		return VAL_NO;
	size_t first = v.p[0] == '+' ? 1 : 2;
	if (v.p[first] == '0')
		return VAL_NO;
	return VAL_OK;
}

int v_email(vstr v)
{
	v = v_trim(v);
	if (v.n < 6 || v.n > 254)
		return VAL_NO;
	const char *at = memchr(v.p, '@', v.n);
	if (!at || at == v.p || memchr(at + 1, '@', v.n - (size_t)(at + 1 - v.p)))
		return VAL_NO;
	for (const char *p = v.p; p < at; p++)
		if (!is_alnum((unsigned char)*p) && !strchr("._%+-", *p))
			return VAL_NO;
	const char *d = at + 1, *end = v.p + v.n;
	const char *dot = NULL;
	for (const char *p = d; p < end; p++) {
		if (*p == '.')
			dot = p;
		else if (!is_alnum((unsigned char)*p) && *p != '-')
			return VAL_NO;
	}
	if (!dot || dot == d || end - dot < 3 || !is_alpha((unsigned char)end[-1]))
		return VAL_NO;
	return VAL_OK;
}

int v_appid(vstr v)
{
	v = v_trim(v);
	if (v.n != 18 || v.p[0] != 'w' || v.p[1] != 'x')
		return VAL_NO;
	for (size_t i = 2; i < 18; i++)
		if (!is_lhex((unsigned char)v.p[i]))
			return VAL_NO;
	return VAL_OK;
}

int v_mpuser(vstr v)
{
	v = v_trim(v);
	if (v.n != 19 || !prefix(v, "gh_") || memcmp(v.p + 15, "@app", 4))
		return VAL_NO;
	for (size_t i = 3; i < 15; i++)
		if (!is_lhex((unsigned char)v.p[i]))
			return VAL_NO;
	return VAL_OK;
}


/* wxid_ + 6..32 [a-z0-9], or a custom WeChat id: a letter, then 5-19 of
 * [A-Za-z0-9_-]. */
int v_wxid(vstr v)
{
	v = v_trim(v);
	if (prefix(v, "wxid_")) {
		if (v.n < 11 || v.n > 37)
			return VAL_NO;
		for (size_t i = 5; i < v.n; i++)
			if (!is_lower((unsigned char)v.p[i]) && !is_digit((unsigned char)v.p[i]))
				return VAL_NO;
		return VAL_OK;
	}
	if (v.n < 6 || v.n > 20 || !is_alpha((unsigned char)v.p[0]) || v_sysaccount(v))
		return VAL_NO;
	for (size_t i = 1; i < v.n; i++)
		if (!is_alnum((unsigned char)v.p[i]) && v.p[i] != '_' && v.p[i] != '-')
			return VAL_NO;
	return VAL_OK;
}

int v_chatroom(vstr v)
{
	v = v_trim(v);
	if (v.n < 14 || v.n > 30 || memcmp(v.p + v.n - 9, "@chatroom", 9))
		return VAL_NO;
	return all((vstr){v.p, v.n - 9}, is_digit) ? VAL_OK : VAL_NO;
}

int v_uin_num(uint64_t u)
{
	return u >= 10000 && u <= 0xffffffffull ? VAL_OK : VAL_NO;
}

int v_uin(vstr v)
{
	v = v_trim(v);
	if (v.n < 5 || v.n > 10 || !all(v, is_digit) || v.p[0] == '0')
		return VAL_NO;
	uint64_t u = 0;
	for (size_t i = 0; i < v.n; i++)
		u = u * 10 + (uint64_t)(v.p[i] - '0');
	return v_uin_num(u);
}

int v_devid(vstr v)
{
	v = v_trim(v);
	if (v.n >= 15 && v.n <= 16 && v.p[0] == 'A') {
		for (size_t i = 1; i < v.n; i++)
			if (!is_lhex((unsigned char)v.p[i]))
				return VAL_NO;
		vstr r = {v.p + 1, v.n - 1};
		return same_char(r) && r.p[0] == '0' ? VAL_PLACEHOLDER : VAL_OK;
	}
	if (v.n == 16 && all(v, is_hex))
		return same_char(v) ? VAL_PLACEHOLDER : VAL_OK;
	if (v.n == 16 && same_char(v) && v.p[0] == 'A')
		return VAL_PLACEHOLDER;
	return VAL_NO;
}

int v_androidid(vstr v)
{
	v = v_trim(v);
	if (eqi(v, "unknown") || eq(v, "0000000000000000") || eqi(v, "9774d56d682e549c"))
		return VAL_PLACEHOLDER; /* the last: the Android 2.2 emulator/bug id */
	if (v.n != 16)
		return VAL_NO;
	bool letter = false;
	for (size_t i = 0; i < 16; i++) {
		if (!is_lhex((unsigned char)v.p[i]))
			return VAL_NO;
		letter |= !is_digit((unsigned char)v.p[i]);
	}
	return letter ? VAL_OK : VAL_NO;
}

int v_hexid(vstr v)
{
	v = v_trim(v);
	if (v.n < 8 || v.n > 64 || !all(v, is_hex))
		return VAL_NO;
	return same_char(v) ? VAL_PLACEHOLDER : VAL_OK;
}

int v_uuid(vstr v)
{
	v = v_trim(v);
	if (v.n != 36)
		return VAL_NO;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? v.p[i] != '-' : !is_hex((unsigned char)v.p[i]))
			return VAL_NO;
	}
	static const char zero[] = "00000000-0000-0000-0000-000000000000";
	return !memcmp(v.p, zero, 36) ? VAL_PLACEHOLDER : VAL_OK;
}

/* FCM registration token: <11 chars>:APA91b<100+ chars> ([A-Za-z0-9_-]). */
int v_pushtoken(vstr v)
{
	v = v_trim(v);
	if (v.n < 100 || v.n > 4096)
		return VAL_NO;
	const char *c = memchr(v.p, ':', v.n);
	if (!c || c - v.p < 8 || c - v.p > 40 || (size_t)(v.p + v.n - c) < 60 || memcmp(c + 1, "APA91b", 6))
		return VAL_NO;
	for (const char *p = v.p; p < v.p + v.n; p++)
		if (p != c && !is_alnum((unsigned char)*p) && *p != '_' && *p != '-')
			return VAL_NO;
	return VAL_OK;
}


/* en, zh, zh_CN, zh-Hans, zh_TW, en-US */
int v_lang(vstr v)
{
	v = v_trim(v);
	if (v.n < 2 || v.n > 10 || !is_lower((unsigned char)v.p[0]) || !is_lower((unsigned char)v.p[1]))
		return VAL_NO;
	size_t i = 2;
	if (i < v.n && is_lower((unsigned char)v.p[i]))
		i++; /* 3-letter codes */
	if (i == v.n)
		return VAL_OK;
	if (v.p[i] != '_' && v.p[i] != '-')
		return VAL_NO;
	i++;
	size_t s = i;
	while (i < v.n && is_alpha((unsigned char)v.p[i]))
		i++;
	return i == v.n && i - s >= 2 && i - s <= 4 ? VAL_OK : VAL_NO;
}

int v_region(vstr v)
{
	v = v_trim(v);
	if (v.n == 2 && is_upper((unsigned char)v.p[0]) && is_upper((unsigned char)v.p[1]))
		return VAL_OK;
	return v_lang(v);
}

int v_tzoffset(vstr v)
{
	v = v_trim(v);
	/* -8.00, +08:00, 8 */
	size_t i = 0;
	if (i < v.n && (v.p[i] == '+' || v.p[i] == '-'))
		i++;
	size_t s = i;
	while (i < v.n && is_digit((unsigned char)v.p[i]))
		i++;
	if (i == s || i - s > 2)
		return VAL_NO;
	if (i < v.n && (v.p[i] == '.' || v.p[i] == ':')) {
		i++;
		size_t f = i;
		while (i < v.n && is_digit((unsigned char)v.p[i]))
			i++;
		if (i - f != 2)
			return VAL_NO;
	} else if (s == 0)
		return VAL_NO; /* a bare number is no offset */
	return i == v.n ? VAL_OK : VAL_NO;
}

int v_timezone(vstr v)
{
	v = v_trim(v);
	if (v_tzoffset(v) == VAL_OK)
		return VAL_OK;
	if (prefixi(v, "GMT") || prefixi(v, "UTC"))
		return v.n <= 9 ? VAL_OK : VAL_NO;
	/* Area/Location */
	const char *sl = memchr(v.p, '/', v.n);
	if (!sl || v.n > 40)
		return VAL_NO;
	static const char *const areas[] = {"Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/",
	                                    "Australia/", "Europe/", "Indian/", "Pacific/", "Etc/"};
	for (size_t i = 0; i < sizeof areas / sizeof areas[0]; i++)
		if (prefix(v, areas[i]) && v.n > strlen(areas[i]))
			return VAL_OK;
	return VAL_NO;
}

/* The BaseRequest device type: android-NN, or an iOS/other platform word. */
int v_devtype(vstr v)
{
	v = v_trim(v);
	if (prefix(v, "android-") && v.n > 8 && v.n <= 40) {
		for (size_t i = 8; i < v.n; i++)
			if (!is_alnum((unsigned char)v.p[i]) && v.p[i] != '_' && v.p[i] != '-' && v.p[i] != ' ')
				return VAL_NO;
		return VAL_OK;
	}
	if (prefix(v, "iPhone") || prefix(v, "iPad") || prefix(v, "iMac") || eq(v, "pad-android") ||
	    prefix(v, "UnifiedPCWindows") || prefix(v, "UnifiedPCMac"))
		return v.n <= 40 ? VAL_OK : VAL_NO;
	return VAL_NO;
}

int v_useragent(vstr v)
{
	v = v_trim(v);
	if (v.n < 20 || v.n > 2048)
		return VAL_NO;
	if (prefix(v, "Mozilla/5.0 (") || prefix(v, "Dalvik/") || prefix(v, "okhttp/") || prefix(v, "Mozilla/4.0 ("))
		return VAL_OK;
	return VAL_NO;
}

/* A Mini Program page or subpackage path: pages/index/index,
 * pages/a/b.html?x=1, /map/, home/pages/index. Segments of [A-Za-z0-9_-.]
 * (no scheme, no host, no spaces), at least two segments or a leading
 * slash; the first segment is not a MIME type family. */
int v_pagepath(vstr v)
{
	v = v_trim(v);
	if (v.n < 3 || v.n > 512)
		return VAL_NO;
	size_t end = v.n;
	const char *q = memchr(v.p, '?', v.n);
	if (q)
		end = (size_t)(q - v.p);
	if (end < 3)
		return VAL_NO;
	static const char *const mime[] = {"application/", "image/", "text/", "audio/", "video/", "multipart/",
	                                   "font/", "model/", "message/", "http/", "HTTP/", "h2/", "spdy/"};
	for (size_t i = 0; i < sizeof mime / sizeof mime[0]; i++)
		if (prefix(v, mime[i]))
			return VAL_NO;
	size_t segs = 0, seglen = 0;
	bool lead = v.p[0] == '/', letter = false;
	for (size_t i = lead; i < end; i++) {
		int c = (unsigned char)v.p[i];
		if (c == '/') {
			if (!seglen)
				return VAL_NO; /* "//" or a scheme */
			segs++;
			seglen = 0;
			continue;
		}
		if (!is_alnum(c) && c != '_' && c != '-' && c != '.')
			return VAL_NO;
		letter |= is_alpha(c);
		seglen++;
	}
	if (seglen)
		segs++;
	if (!letter || !segs || (!lead && segs < 2))
		return VAL_NO;
	/* a host name as first segment is a URL without scheme, not a page */
	const char *slash = memchr(v.p + lead, '/', end - lead);
	if (slash && !lead) {
		const char *dot = memchr(v.p, '.', (size_t)(slash - v.p));
		if (dot)
			return VAL_NO;
	}
	return VAL_OK;
}

int v_url(vstr v)
{
	v = v_trim(v);
	if (!(prefixi(v, "http://") || prefixi(v, "https://") || prefixi(v, "wss://") || prefixi(v, "ws://")))
		return VAL_NO;
	const char *h = memchr(v.p, '/', v.n);
	h += 2;
	size_t hn = 0;
	while (h + hn < v.p + v.n && h[hn] != '/' && h[hn] != '?' && h[hn] != '#')
		hn++;
	if (hn < 3)
		return VAL_NO;
	for (size_t i = 0; i < v.n; i++)
		if ((unsigned char)v.p[i] <= ' ')
			return VAL_NO;
	return VAL_OK;
}

int v_text(vstr v)
{
	v = v_trim(v);
	if (!v.n)
		return VAL_NO;
	if (v_is_placeholder_word(v))
		return VAL_PLACEHOLDER;
	return VAL_OK;
}

int v_name(vstr v)
{
	v = v_trim(v);
	if (!v.n || v.n > 96)
		return VAL_NO;
	if (v_is_placeholder_word(v))
		return VAL_PLACEHOLDER;
	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c < 0x20 || c == '<' || c == '{' || c == '[')
			return VAL_NO;
	}
	return VAL_OK;
}

/* A place name: starts with an uppercase letter or a non-ASCII letter,
 * letters, spaces, digits and a little punctuation, not all uppercase
 * 2-letter codes. */
int v_place(vstr v)
{
	v = v_trim(v);
	if (v.n < 2 || v.n > 96)
		return VAL_NO;
	unsigned char c0 = (unsigned char)v.p[0];
	if (!(is_upper(c0) || c0 >= 0xc0))
		return VAL_NO;
	if (v.n == 2 && is_upper((unsigned char)v.p[1]))
		return VAL_NO; /* a region code */
	bool lower = c0 >= 0xc0;
	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c < 0x80 && !is_alnum(c) && !strchr(" -'.,()", c))
			return VAL_NO;
		lower |= is_lower(c) || c >= 0x80;
	}
	if (!lower)
		return VAL_NO;
	if (v_uiclass(v) || v_useragent(v))
		return VAL_NO;
	return VAL_OK;
}

/* MCC (3 digits, 2xx-7xx) and MNC (2-3 digits). */
int v_mccmnc(vstr v)
{
	v = v_trim(v);
	if ((v.n != 5 && v.n != 6) || !all(v, is_digit))
		return VAL_NO;
	if (v.p[0] < '2' || v.p[0] > '7')
		return VAL_NO;
	return VAL_OK;
}

/* An access point name: a lowercase word or domain. */
int v_apn(vstr v)
{
	v = v_trim(v);
	if (v.n < 3 || v.n > 63 || !is_alnum((unsigned char)v.p[0]))
		return VAL_NO;
	for (size_t i = 0; i < v.n; i++) {
		int c = (unsigned char)v.p[i];
		if (!is_lower(c) && !is_digit(c) && c != '.' && c != '-' && c != '_')
			return VAL_NO;
	}
	return VAL_OK;
}


int v_ssid(vstr v)
{
	v = v_trim(v);
	if (v.n > 2 && v.p[0] == '"' && v.p[v.n - 1] == '"')
		v.p++, v.n -= 2;
	if (!v.n || v.n > 32)
		return VAL_NO;
	if (eq(v, "<unknown ssid>") || v_is_placeholder_word(v))
		return VAL_PLACEHOLDER;
	for (size_t i = 0; i < v.n; i++)
		if ((unsigned char)v.p[i] < 0x20)
			return VAL_NO;
	return VAL_OK;
}

/* A WeChat screen class: CamelCase ending in UI (LauncherUI, SnsTimeLineUI). */
int v_uiclass(vstr v)
{
	v = v_trim(v);
	if (v.n < 4 || v.n > 64 || !is_upper((unsigned char)v.p[0]) || memcmp(v.p + v.n - 2, "UI", 2))
		return VAL_NO;
	bool lower = false;
	for (size_t i = 0; i < v.n - 2; i++) {
		if (!is_alnum((unsigned char)v.p[i]))
			return VAL_NO;
		lower |= is_lower((unsigned char)v.p[i]);
	}
	return lower ? VAL_OK : VAL_NO;
}

/* A view hierarchy path: >= 3 Java class names joined by '|', one of them
 * a *Layout or *View. */
int v_viewpath(vstr v)
{
	v = v_trim(v);
	if (v.n < 10 || v.n > 1024)
		return VAL_NO;
	size_t parts = 0, i = 0;
	bool view = false;
	while (i <= v.n) {
		size_t s = i;
		while (i < v.n && v.p[i] != '|')
			i++;
		vstr p = {v.p + s, i - s};
		if (!p.n || !is_upper((unsigned char)p.p[0]))
			return VAL_NO;
		for (size_t k = 0; k < p.n; k++)
			if (!is_alnum((unsigned char)p.p[k]))
				return VAL_NO;
		if ((p.n > 6 && !memcmp(p.p + p.n - 6, "Layout", 6)) || (p.n > 4 && !memcmp(p.p + p.n - 4, "View", 4)))
			view = true;
		parts++;
		i++;
	}
	return parts >= 3 && view ? VAL_OK : VAL_NO;
}



int v_digits(vstr v, size_t lo, size_t hi)
{
	v = v_trim(v);
	return v.n >= lo && v.n <= hi && all(v, is_digit) ? VAL_OK : VAL_NO;
}

int v_osver(vstr v)
{
	v = v_trim(v);
	if (prefix(v, "Android ") || prefix(v, "iOS ") || prefix(v, "HarmonyOS "))
		return v.n <= 32 ? VAL_OK : VAL_NO;
	if (!v.n || v.n > 12 || !is_digit((unsigned char)v.p[0]))
		return VAL_NO;
	for (size_t i = 0; i < v.n; i++)
		if (!is_digit((unsigned char)v.p[i]) && v.p[i] != '.')
			return VAL_NO;
	return VAL_OK;
}

int v_screen(vstr v)
{
	v = v_trim(v);
	const char *x = memchr(v.p, 'x', v.n);
	if (x)
		return v_digits((vstr){v.p, (size_t)(x - v.p)}, 2, 5) && v_digits((vstr){x + 1, v.n - (size_t)(x - v.p) - 1}, 2, 5)
		           ? VAL_OK
		           : VAL_NO;
	if (v_digits(v, 3, 5)) {
		unsigned n = 0;
		for (size_t i = 0; i < v.n; i++)
			n = n * 10 + (unsigned)(v.p[i] - '0');
		return n >= 240 && n <= 8192 ? VAL_OK : VAL_NO;
	}
	return VAL_NO;
}

/* Android build fingerprint: brand/product/device:release/id/incremental:type/tags */
int v_fingerprint(vstr v)
{
	v = v_trim(v);
	if (v.n < 20 || v.n > 256)
		return VAL_NO;
	int slashes = 0, colons = 0;
	for (size_t i = 0; i < v.n; i++) {
		if (v.p[i] == '/')
			slashes++;
		else if (v.p[i] == ':')
			colons++;
		else if ((unsigned char)v.p[i] <= ' ')
			return VAL_NO;
	}
	return slashes == 5 && colons == 2 ? VAL_OK : VAL_NO;
}

int v_cpu(vstr v)
{
	v = v_trim(v);
	if (!v.n || v.n > 1024)
		return VAL_NO;
	if (v_is_placeholder_word(v))
		return VAL_PLACEHOLDER;
	return VAL_OK;
}

