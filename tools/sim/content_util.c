/*
 * tools/sim/content_util.c - the content writers of content_int.h: text
 * straight into the protobuf buffer (URL, JSON and XML escaping, decimal
 * numbers), ground-truth items with printf-style paths, and the pieces
 * every message kind shares.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content_int.h"
#include "sim.h"

/* ---- text writers (straight into the buffer) ---- */

void simc_put(mml_buf *o, const void *p, size_t n)
{
	mml_wbuf w = mml_wbuf_make(o);
	mml_wbuf_bytes(&w, p, n);
	sim_wcheck(&w, "content");
}

void simc_puts(mml_buf *o, const char *s) { simc_put(o, s, strlen(s)); }

void simc_putu(mml_buf *o, uint64_t v)
{
	char t[24];
	int i = 24;
	do
		t[--i] = (char)('0' + v % 10);
	while (v /= 10);
	simc_put(o, t + i, (size_t)(24 - i));
}

void simc_putf6(mml_buf *o, double v)
{
	char t[48];
	int n = snprintf(t, sizeof t, "%.6f", v);
	simc_put(o, t, (size_t)n);
}

void simc_puturl(mml_buf *o, const char *s)
{
	static const char hx[] = "0123456789ABCDEF";
	char t[256];
	size_t k = 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (k > sizeof t - 4) {
			simc_put(o, t, k);
			k = 0;
		}
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~') {
			t[k++] = (char)c;
		} else {
			t[k++] = '%';
			t[k++] = hx[c >> 4];
			t[k++] = hx[c & 15];
		}
	}
	simc_put(o, t, k);
}

void simc_putjson(mml_buf *o, const char *s)
{
	simc_put(o, "\"", 1);
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\' || c < 0x20) {
			simc_put(o, run, (size_t)(s - run));
			char e[8];
			int n = c == '"' ? snprintf(e, sizeof e, "\\\"") : c == '\\' ? snprintf(e, sizeof e, "\\\\")
			                                                               : snprintf(e, sizeof e, "\\u%04x", c);
			simc_put(o, e, (size_t)n);
			run = s + 1;
		}
	}
	simc_put(o, run, (size_t)(s - run));
	simc_put(o, "\"", 1);
}

void simc_putxml(mml_buf *o, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		const char *e = *s == '&' ? "&amp;" : *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '"' ? "&quot;" : NULL;
		if (e) {
			simc_put(o, run, (size_t)(s - run));
			simc_puts(o, e);
			run = s + 1;
		}
	}
	simc_put(o, run, (size_t)(s - run));
}

/* ---- ground truth ---- */

bool simc_room(const sim_body *b, int n) { return b->ntruth + n <= SIM_MAX_TRUTH; }

/* strlcpy-like; cheaper than snprintf("%s") on this hot path */
static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

static void put_path(sim_truth *t, const char *fmt, va_list ap)
{
	if (!strchr(fmt, '%'))
		copy_str(t->path, sizeof t->path, fmt);
	else
		vsnprintf(t->path, sizeof t->path, fmt, ap);
}

static sim_truth *truth_slot(sim_body *b, const char *cat)
{
	if (b->ntruth >= SIM_MAX_TRUTH) {
		/* a generator placed more values than it checked room for: a bug */
		fprintf(stderr, "mmlens-sim: content: truth overflow (%s, kind %d)\n", cat, (int)b->kind);
		abort();
	}
	sim_truth *t = &b->truth[b->ntruth++];
	memset(t, 0, sizeof *t); /* whole structs compare equal for equal content */
	copy_str(t->category, sizeof t->category, cat);
	return t;
}

void simc_truth(sim_body *b, const char *cat, const char *value, const char *pathfmt, ...)
{
	sim_truth *t = truth_slot(b, cat);
	copy_str(t->value, sizeof t->value, value);
	va_list ap;
	va_start(ap, pathfmt);
	put_path(t, pathfmt, ap);
	va_end(ap);
}

void simc_truthu(sim_body *b, const char *cat, uint64_t value, const char *pathfmt, ...)
{
	sim_truth *t = truth_slot(b, cat);
	char d[24];
	int i = 24;
	d[--i] = 0;
	do
		d[--i] = (char)('0' + value % 10);
	while (value /= 10);
	copy_str(t->value, sizeof t->value, d + i);
	va_list ap;
	va_start(ap, pathfmt);
	put_path(t, pathfmt, ap);
	va_end(ap);
}

/* ---- small shared pieces ---- */

uint64_t simc_hash(uint64_t a, uint64_t b)
{
	uint64_t z = a * 0x9e3779b97f4a7c15ull + b + 0x632be59bd9b4e019ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void simc_hex(sim_rng *r, char *o, int n)
{
	static const char hx[] = "0123456789abcdef";
	uint64_t x = 0;
	for (int i = 0; i < n; i++, x >>= 4) {
		if (!(i & 15))
			x = sim_rng_next(r);
		o[i] = hx[x & 15];
	}
	o[n] = 0;
}

/* "8.0.23" (or "8.0.23.2160" with the build number) from 0x28001737. */
void simc_version(char *o, size_t n, uint32_t v, bool with_build)
{
	unsigned major = (v >> 24) & 0x0f, minor = (v >> 16) & 0xff, patch = (v >> 8) & 0xff;
	/* builds of the releases device.c hands out; a guess otherwise */
	unsigned build = 2000 + patch * 12;
	if (patch == 0x17 || patch == 0x18)
		build = patch == 0x17 ? 2160 : 2180;
	else if (patch == 0x21 || patch == 0x31)
		build = patch == 0x21 ? 2360 : 2600;
	if (with_build)
		snprintf(o, n, "%u.%u.%u.%u", major, minor, patch, build);
	else
		snprintf(o, n, "%u.%u.%u", major, minor, patch);
}

/* The k-th contact of the user: a stable wxid (or a chat room). */
void simc_friend(const sim_device *d, uint64_t k, char out[32])
{
	uint64_t h = simc_hash(d->uin, k);
	if (k % 7 == 6) {
		snprintf(out, 32, "%llu@chatroom", (unsigned long long)(10000000000ull + h % 90000000000ull));
		return;
	}
	memcpy(out, "wxid_", 5);
	for (int i = 0; i < 14; i++, h /= 36) {
		if (i == 12)
			h = simc_hash(h, k);
		out[5 + i] = "0123456789abcdefghijklmnopqrstuvwxyz"[h % 36];
	}
	out[19] = 0;
}

/* The BaseRequest: {1: session key, 2: uin, 3: device id, 4: version,
 * 5: "android-34", 6: scene}, at `path` (its own field path). */
void simc_basereq(sim_body *b, const sim_device *d, uint32_t field, uint32_t scene, const char *path)
{
	mml_buf *o = &b->pb;
	uint8_t key[16];
	uint64_t k0 = simc_hash(d->uin, 0x5e55), k1 = simc_hash(k0, d->uin);
	for (int i = 0; i < 8; i++)
		key[i] = (uint8_t)(k0 >> (8 * i)), key[8 + i] = (uint8_t)(k1 >> (8 * i));
	size_t m = pbw_begin(o, field);
	pbw_bytes(o, 1, key, sizeof key);
	pbw_varint(o, 2, d->uin);
	pbw_string(o, 3, d->device_id);
	pbw_varint(o, 4, d->client_version);
	pbw_string(o, 5, "android-34");
	pbw_varint(o, 6, scene);
	pbw_end(o, m);
	simc_truthu(b, "identity.account", d->uin, "%s.2", path);
	simc_truth(b, "identity.device", d->device_id, "%s.3", path);
	simc_truth(b, "device.info", "android-34", "%s.5", path);
}

void simc_rbytes(sim_rng *r, mml_buf *o, uint32_t field, size_t n)
{
	uint8_t t[512];
	if (n > sizeof t)
		n = sizeof t;
	sim_rng_bytes(r, t, n);
	pbw_bytes(o, field, t, n);
}

/* {1: n, 2: n random bytes}: the app's length-prefixed buffers */
void simc_keybuf(sim_rng *r, mml_buf *o, uint32_t field, size_t n)
{
	size_t m = pbw_begin(o, field);
	pbw_varint(o, 1, n);
	simc_rbytes(r, o, 2, n);
	pbw_end(o, m);
}

/* BaseResponse {1: 0, 2: {1: ""}} at field 1. */
void simc_baseresp(sim_body *b)
{
	size_t m = pbw_begin(&b->pb, 1);
	pbw_varint(&b->pb, 1, 0);
	size_t e = pbw_begin(&b->pb, 2);
	pbw_string(&b->pb, 1, "");
	pbw_end(&b->pb, e);
	pbw_end(&b->pb, m);
}

/* ---- comma-separated rows and kv items (content_mp.c, content_kv.c) ---- */

const char *simc_rep(char buf[16], int i, int n)
{
	if (n <= 1)
		return "";
	snprintf(buf, 16, "[%d]", i);
	return buf;
}

void simc_col(simc_row *w, const char *text)
{
	if (w->col++)
		simc_put(w->o, ",", 1);
	simc_puturl(w->o, text);
}

void simc_colu(simc_row *w, uint64_t v)
{
	if (w->col++)
		simc_put(w->o, ",", 1);
	simc_putu(w->o, v);
}

size_t simc_item_begin(mml_buf *o, uint32_t field, uint32_t logid, size_t *rowmark)
{
	size_t m = pbw_begin(o, field);
	pbw_varint(o, 1, logid);
	*rowmark = pbw_begin(o, 2);
	return m;
}

void simc_item_end(mml_buf *o, size_t m, size_t rowmark, const sim_ctx_info *ci)
{
	pbw_end(o, rowmark);
	pbw_varint(o, 3, simc_ts_s(ci));
	pbw_varint(o, 4, simc_ts_s(ci));
	pbw_varint(o, 5, 1);
	pbw_varint(o, 6, 0);
	pbw_end(o, m);
}
