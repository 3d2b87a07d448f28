/*
 * values_content.c - value validators for what people write and send
 * (content.*, contacts.addressee) and for the context rules that must
 * not mistake such text for something else (a place next to a fix).
 *
 * Contract: like values.c, every v_*() takes a view (no NUL needed),
 * never allocates, and returns VAL_NO, VAL_OK or VAL_PLACEHOLDER; they
 * check shape only, what a value means comes from where it sits
 * (fields.tsv layouts, the kv row layouts, the record's neighbours):
 *  - v_digest: a media hash as WeChat writes it, 32, 40 or 64 hex digits
 *    (MD5, SHA-1, SHA-256; all one digit is a placeholder);
 *  - v_fileid: a media or file id (a client image id
 *    "aupimg_<hex>_<ms>", a CDN file id of hex, a numeric media id):
 *    6-512 bytes of [A-Za-z0-9_-.=+/:@] with a digit;
 *  - v_mime_media: an image/, video/ or audio/ MIME type;
 *  - v_media_ref: what a record names next to such a MIME type: a URL,
 *    or a storage path with a long opaque segment ("mmsns/<id>/0");
 *  - v_content_text: a message, post or comment text: not empty, not a
 *    message envelope of markup (<msg>, <sysmsg>, <?xml ...>);
 *  - v_place_ctx: a place name read from context alone (ctx.place): the
 *    Latin shape of v_place, or CJK (or Hangul) text that ends like a
 *    place name (市, 区, 路, 站, 广场, 駅, 시, ...); other CJK text (a
 *    query, a title) is not taken for a place.
 */
#include <string.h>

#include "detect_int.h"

static bool is_digit(int c) { return c >= '0' && c <= '9'; }
static bool is_hex(int c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static bool is_alnum(int c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static bool same_char(vstr v)
{
	for (size_t i = 1; i < v.n; i++)
		if (v.p[i] != v.p[0])
			return false;
	return v.n > 0;
}

static bool starts(vstr v, const char *s)
{
	size_t n = strlen(s);
	return v.n >= n && !memcmp(v.p, s, n);
}

int v_digest(vstr v)
{
	v = v_trim(v);
	if (v.n != 32 && v.n != 40 && v.n != 64)
		return VAL_NO;
	bool lower = false, upper = false;
	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (!is_hex(c))
			return VAL_NO;
		lower |= c >= 'a' && c <= 'f';
		upper |= c >= 'A' && c <= 'F';
	}
	if (lower && upper)
		return VAL_NO; /* a digest is printed in one case */
	return same_char(v) ? VAL_PLACEHOLDER : VAL_OK;
}

int v_fileid(vstr v)
{
	v = v_trim(v);
	if (v.n < 6 || v.n > 512)
		return VAL_NO;
	if (v_is_placeholder_word(v) || same_char(v))
		return VAL_PLACEHOLDER;
	bool digit = false;
	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (!is_alnum(c) && !strchr("_-.=+/:@", c))
			return VAL_NO;
		digit |= is_digit(c);
	}
	return digit ? VAL_OK : VAL_NO;
}

int v_mime_media(vstr v)
{
	v = v_trim(v);
	size_t k;
	if (starts(v, "image/"))
		k = 6;
	else if (starts(v, "video/") || starts(v, "audio/"))
		k = 6;
	else
		return VAL_NO;
	if (v.n == k || v.n - k > 40)
		return VAL_NO;
	for (size_t i = k; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (!is_alnum(c) && !strchr(".+-", c))
			return VAL_NO;
	}
	return VAL_OK;
}

int v_media_ref(vstr v)
{
	v = v_trim(v);
	if (v.n < 16 || v.n > 1024)
		return VAL_NO;
	if (v_url(v) == VAL_OK)
		return VAL_OK;
	/* a storage path: segments of [A-Za-z0-9_-.=], one of them an opaque id of 16+ */
	size_t seg = 0, longest = 0, slashes = 0;
	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c == '/') {
			slashes++;
			seg = 0;
			continue;
		}
		if (!is_alnum(c) && !strchr("_-.=", c))
			return VAL_NO;
		if (++seg > longest)
			longest = seg;
	}
	return slashes && longest >= 16 ? VAL_OK : VAL_NO;
}

int v_content_text(vstr v)
{
	vstr t = v_trim(v);
	if (!t.n)
		return VAL_NO;
	/* a message envelope (an image, voice, system or app message), not text someone wrote */
	if (t.p[0] == '<' && (starts(t, "<msg>") || starts(t, "<msg ") || starts(t, "<sysmsg") || starts(t, "<?xml")))
		return VAL_NO;
	return VAL_OK;
}

/* The last UTF-8 character of v (at most 4 bytes), or an empty view. */
static vstr last_char(vstr v)
{
	size_t i = v.n;
	while (i > 0 && v.n - i < 4) {
		i--;
		if (((unsigned char)v.p[i] & 0xc0) != 0x80)
			return (vstr){v.p + i, v.n - i};
	}
	return (vstr){v.p, 0};
}

/* CJK place names end with what kind of place they are: an administrative
 * unit, a street, a building or a site. */
static bool cjk_place_suffix(vstr v)
{
	static const char *const one[] = {"省", "市", "区", "县", "镇", "乡", "村", "州", "路", "街", "道", "巷",
	                                  "弄", "号", "站", "港", "场", "园", "馆", "店", "厦", "楼", "城", "湾",
	                                  "岛", "山", "湖", "桥", "寺", "院", "苑", "庄", "屯", "里", "都", "府",
	                                  "町", "駅", "県", "島", "橋", "시", "구", "동", "로", "길", "역"};
	static const char *const two[] = {"广场", "中心", "大学", "公园", "机场", "商场", "小区", "医院", "酒店", "大厦"};
	vstr c = last_char(v);
	if (!c.n)
		return false;
	for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
		if (c.n == strlen(one[i]) && !memcmp(c.p, one[i], c.n))
			return true;
	for (size_t i = 0; i < sizeof two / sizeof two[0]; i++) {
		size_t n = strlen(two[i]);
		if (v.n >= n && !memcmp(v.p + v.n - n, two[i], n))
			return true;
	}
	return false;
}

int v_place_ctx(vstr v)
{
	v = v_trim(v);
	if (v_place(v) != VAL_OK)
		return VAL_NO;
	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];
		if (c >= 0xe3 && c <= 0xed) /* CJK or Hangul: it must say it is a place */
			return cjk_place_suffix(v) ? VAL_OK : VAL_NO;
	}
	return VAL_OK;
}
