/*
 * rules.c - the detectors that look at one node (and its siblings):
 * field layouts (fields.c), key-name semantics (keys.c), value shapes
 * (classify() in walk.c, validators in values.c), and the substring and
 * --known matches of the text scan.
 *
 * Contract: rules_node() runs once per node in document order. A layout
 * rule decides its node: '-' silences every detector there, a category
 * with a passing check claims the node, so generic value shapes do not
 * add a second reading (a wxid the AddMsg layout calls a contact is not
 * also the account). Key rules apply their conditions (requests only,
 * next to a Mini Program appid, in a UI event object, in the query of a
 * non-WeChat URL). Value shapes report only what the shape alone
 * proves (appid, wxid, MAC, user agent, FCM token, placeholders) or what
 * its neighbours prove (a page path next to an appid, a screen class in
 * a lifecycle row, a MAC next to an SSID). rules_matches() turns the
 * text scan's substring hits and --known hits into findings.
 */
#include <stdio.h>
#include <string.h>

#include "detect_int.h"

#define NODE(i) (&r->t->n[(i)])
#define FOR_CHILD(c, p) for (uint32_t c = r->t->n[(p)].first_child; (c) != MML_DNONE; (c) = r->t->n[(c)].next)

static int cat(int c) { return cat_ix[c]; }

static bool is_text_kind(const mml_dnode *d)
{
	return d->kind == MML_DK_STRING || d->kind == MML_DK_JSON_STR || d->kind == MML_DK_XML_ELEM ||
	       d->kind == MML_DK_XML_ATTR || d->kind == MML_DK_URL_PARAM || d->kind == MML_DK_CSV_CELL ||
	       d->kind == MML_DK_BYTES || d->kind == MML_DK_JSON_NUM;
}

static vstr text_of(const drun *r, uint32_t i)
{
	const mml_dnode *d = NODE(i);
	if (d->kind == MML_DK_BYTES || d->kind == MML_DK_STRING)
		return (vstr){(const char *)d->val, d->val ? d->val_len : 0};
	return node_text(r->t, i);
}

/* Is there a Mini Program appid or username among the neighbours of i,
 * up to the first enclosing protobuf message? */
bool mp_context(const drun *r, uint32_t i)
{
	uint32_t cur = i;
	for (int lvl = 0; lvl < 6; lvl++) {
		uint32_t p = NODE(cur)->parent;
		if (p == MML_DNONE || NODE(p)->kind == MML_DK_ROOT)
			return false;
		FOR_CHILD(c, p)
		{
			if (c != cur && (r->s->shape[c] & SH_MPID))
				return true;
		}
		if (NODE(p)->kind == MML_DK_MSG)
			return false;
		cur = p;
	}
	return false;
}

/* The struct root's signature (fields.tsv guard). */
static bool guard_ok(const drun *r, uint32_t i, const lay_hit *h)
{
	if (!h->guard_up)
		return true;
	uint32_t root = i;
	for (int k = 0; k < h->guard_up && root != MML_DNONE; k++)
		root = NODE(root)->parent;
	if (root == MML_DNONE || NODE(root)->kind != MML_DK_MSG)
		return false;
	if (h->guard != CK_BASEREQ)
		return true;
	bool devtype = false, uin = false;
	FOR_CHILD(c, root)
	{
		const mml_dnode *d = NODE(c);
		if (d->field == 5 && (d->kind == MML_DK_STRING || d->kind == MML_DK_BYTES) &&
		    v_devtype((vstr){(const char *)d->val, d->val_len}) == VAL_OK)
			devtype = true;
		if (d->field == 2 && d->kind == MML_DK_VARINT)
			uin = true;
	}
	return devtype && uin;
}

/* Two sibling floats of a message, in field order; false when not exactly a pair. */
static bool msg_pair(const drun *r, uint32_t i, double *a, double *b, bool *dbl)
{
	int n = 0;
	double v[2] = {0, 0};
	int kind = -1;
	FOR_CHILD(c, i)
	{
		const mml_dnode *d = NODE(c);
		if (d->kind == MML_DK_FIXED32 || d->kind == MML_DK_FIXED64) {
			if (n >= 2 || (kind >= 0 && kind != d->kind) || d->index >= 0)
				return false;
			kind = d->kind;
			v[n++] = d->kind == MML_DK_FIXED32 ? (double)mml_dnode_f32(d) : mml_dnode_f64(d);
		}
	}
	if (n != 2)
		return false;
	*a = v[0];
	*b = v[1];
	*dbl = kind == MML_DK_FIXED64;
	return true;
}

void rules_layout(drun *r, uint32_t i, const lay_hit *h)
{
	mml_detect_scratch *s = r->s;
	const mml_dnode *d = NODE(i);
	if (h->cat == LAY_SUPPRESS) {
		s->nfl[i] |= NF_SUPPRESS;
		return;
	}
	if (!guard_ok(r, i, h))
		return;
	double conf = h->conf / 100.0;
	if (h->check == CK_COORD_LATLON || h->check == CK_COORD_LONLAT) {
		double a, b;
		bool dbl;
		coord c;
		if (d->kind != MML_DK_MSG || !msg_pair(r, i, &a, &b, &dbl) ||
		    !coord_pair(a, b, h->check == CK_COORD_LATLON, &c))
			return;
		s->nfl[i] |= NF_CLAIMED;
		if (c.placeholder)
			return;
		char buf[64];
		coord_format(buf, sizeof buf, c.lat, c.lon);
		uint32_t k = dr_addf(r, i, h->cat, h->det, conf, VAL_OK, "%s", buf);
		int kn = known_near(r->d->known, c.lat, c.lon);
		if (k != MML_DNONE && kn >= 0) {
			s->f[k].known = (int16_t)kn;
			s->f[k].kform = KFORM_NEAR;
		}
		return;
	}
	if (d->kind == MML_DK_VARINT) {
		int ok = h->check == CK_UIN ? v_uin_num(d->u) : (h->check == CK_ANY || h->check == CK_DIGITS) ? VAL_OK : VAL_NO;
		if (ok) {
			s->nfl[i] |= NF_CLAIMED;
			dr_addf(r, i, h->cat, h->det, conf, ok, "%llu", (unsigned long long)d->u);
		}
		return;
	}
	if (!is_text_kind(d))
		return;
	vstr v = text_of(r, i);
	int ok = ck_text((vcheck)h->check, v);
	if (!ok)
		return;
	s->nfl[i] |= NF_CLAIMED;
	dr_add(r, i, h->cat, h->det, conf, ok, v.p, v.n);
}

/* ---- key names ---- */

static bool is_wechat_host(const char *p, size_t n)
{
	/* the host of "scheme://host/..." (or of a bare host) */
	const char *s = memchr(p, ':', n);
	if (s && (size_t)(s - p) + 3 <= n && s[1] == '/' && s[2] == '/') {
		n -= (size_t)(s + 3 - p);
		p = s + 3;
	}
	size_t hn = 0;
	while (hn < n && p[hn] != '/' && p[hn] != '?' && p[hn] != ':')
		hn++;
	static const char *const own[] = {"qq.com", "wechat.com", "weixin.com", "servicewechat.com", "tencent.com",
	                                  "qpic.cn", "qlogo.cn", "weixinbridge.com", "wechatpay.com"};
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
		size_t on = strlen(own[i]);
		if (hn >= on && !memcmp(p + hn - on, own[i], on) && (hn == on || p[hn - on - 1] == '.'))
			return true;
	}
	return false;
}

static bool event_object(const drun *r, uint32_t i)
{
	uint32_t p = NODE(i)->parent;
	if (p == MML_DNONE)
		return false;
	FOR_CHILD(c, p)
	{
		const mml_dnode *d = NODE(c);
		if (c == i || !d->name)
			continue;
		const keyrule *k = keys_lookup(d->name, d->name_len);
		if ((k && (k->flags & KF_PAGE)) || (d->name_len == 5 && !memcmp(d->name, "event", 5)))
			return true;
	}
	return false;
}

static const char *key_det(const mml_dnode *d)
{
	switch ((mml_dkind)d->kind) {
	case MML_DK_XML_ELEM:
	case MML_DK_XML_ATTR: return "xml.key";
	case MML_DK_URL_PARAM: return "url.key";
	default: return "json.key";
	}
}

/* Apply a key rule to the value node v (named node or pb kv value). */
static void key_apply(drun *r, uint32_t v, const keyrule *k, const char *det)
{
	const mml_dnode *d = NODE(v);
	if (k->flags & (KF_LAT | KF_LON))
		return; /* pairs: rules_ctx.c */
	if ((k->flags & KF_REQUEST_ONLY) && !r->request)
		return;
	if ((k->flags & KF_MP_CONTEXT) && !mp_context(r, v))
		return;
	if ((k->flags & KF_EVENT) && !event_object(r, v))
		return;
	if (k->cat == C_THIRDPARTY) {
		uint32_t p = d->parent;
		if (d->kind != MML_DK_URL_PARAM || p == MML_DNONE || (NODE(p)->flags & MML_DN_META) ||
		    !NODE(p)->val_len || is_wechat_host((const char *)NODE(p)->val, NODE(p)->val_len))
			return;
	}
	if (d->kind == MML_DK_VARINT) {
		int ok = k->check == CK_UIN ? v_uin_num(d->u) : k->check == CK_ANY || k->check == CK_DIGITS ? VAL_OK : VAL_NO;
		if (ok)
			dr_addf(r, v, cat(k->cat), det, k->conf / 100.0, ok, "%llu", (unsigned long long)d->u);
		return;
	}
	if (!is_text_kind(d))
		return;
	vstr t = text_of(r, v);
	int ok = ck_text((vcheck)k->check, t);
	if (ok)
		dr_add(r, v, cat(k->cat), det, k->conf / 100.0, ok, t.p, t.n);
}

/* <deviceinfo><MANUFACTURER name=".."><MODEL name=".."> ...: Android Build fields */
static void deviceinfo_attr(drun *r, uint32_t i)
{
	const mml_dnode *d = NODE(i);
	uint32_t e = d->parent;
	if (e == MML_DNONE || NODE(e)->kind != MML_DK_XML_ELEM)
		return;
	static const char *const build[] = {"MANUFACTURER", "MODEL", "BRAND", "DEVICE", "PRODUCT", "BOARD", "HARDWARE",
	                                    "FINGERPRINT", "DISPLAY", "VERSION_RELEASE", "VERSION_INCREMENTAL",
	                                    "VERSION_SDK", "VERSION_SDK_INT", "VERSION_CODENAME", "ID", "TAGS", "TYPE",
	                                    "CPU_ABI", "CPU_ABI2", "BOOTLOADER", "RADIO", "HOST"};
	const mml_dnode *el = NODE(e);
	bool known = false;
	for (size_t k = 0; k < sizeof build / sizeof build[0] && !known; k++)
		known = el->name_len == strlen(build[k]) && !memcmp(el->name, build[k], el->name_len);
	if (!known)
		return;
	for (uint32_t a = el->parent; a != MML_DNONE && NODE(a)->kind == MML_DK_XML_ELEM; a = NODE(a)->parent)
		if (NODE(a)->name_len == 10 && !strncasecmp(NODE(a)->name, "deviceinfo", 10)) {
			vstr v = text_of(r, i);
			int ok = v_text(v);
			if (ok)
				dr_add(r, i, cat(C_DEVINFO), "xml.deviceinfo", 0.95, ok, v.p, v.n);
			return;
		}
}

/* ---- value shapes ---- */

static bool record_has(const drun *r, uint32_t i, uint32_t shape)
{
	uint32_t p = NODE(i)->parent;
	if (p == MML_DNONE)
		return false;
	FOR_CHILD(c, p)
	{
		if (c != i && (r->s->shape[c] & shape))
			return true;
	}
	return false;
}

/* the SSID next to a BSSID: the sibling just before, when it is text */
static bool wifi_pair(const drun *r, uint32_t i)
{
	uint32_t p = NODE(i)->parent, prev = MML_DNONE;
	if (p == MML_DNONE)
		return false;
	FOR_CHILD(c, p)
	{
		if (c == i)
			break;
		prev = c;
	}
	if (prev == MML_DNONE || !(r->s->nfl[prev] & NF_TEXT) ||
	    (r->s->shape[prev] & (SH_MAC | SH_MACPH | SH_URL | SH_UA | SH_NETTYPE | SH_MPID | SH_WXID | SH_PAGE)) ||
	    NODE(prev)->first_child != MML_DNONE)
		return false;
	vstr v = node_text(r->t, prev);
	return v_ssid(v) == VAL_OK && v.n >= 1;
}

static void shapes(drun *r, uint32_t i)
{
	uint32_t sh = r->s->shape[i];
	if (!sh)
		return;
	vstr v = v_trim(text_of(r, i));
	const char *p = v.p;
	size_t n = v.n;
	if (sh & SH_APPID)
		dr_add(r, i, cat(C_MP_ID), "re.appid", 0.95, VAL_OK, p, n);
	if (sh & SH_MPUSER)
		dr_add(r, i, cat(C_MP_ID), "re.mpuser", 0.95, VAL_OK, p, n);
	if (sh & SH_WXID)
		dr_add(r, i, cat(C_ACCOUNT), "re.wxid", 0.8, VAL_OK, p, n);
	if (sh & SH_CHATROOM)
		dr_add(r, i, cat(C_CONTACTS), "re.chatroom", 0.85, VAL_OK, p, n);
	if (sh & (SH_MAC | SH_MACPH)) {
		if ((sh & SH_MAC) && wifi_pair(r, i)) {
			uint32_t par = NODE(i)->parent, prev = MML_DNONE;
			FOR_CHILD(c, par)
			{
				if (c == i)
					break;
				prev = c;
			}
			vstr sv = node_text(r->t, prev);
			dr_add(r, prev, cat(C_WIFI), "ctx.wifi", 0.8, VAL_OK, sv.p, sv.n);
			dr_add(r, i, cat(C_WIFI), "ctx.wifi", 0.85, VAL_OK, p, n);
		} else
			dr_add(r, i, cat(C_DEVICE_ID), "re.mac", 0.8, sh & SH_MAC ? VAL_OK : VAL_PLACEHOLDER, p, n);
	}
	if (sh & SH_ANDROIDID)
		dr_add(r, i, cat(C_DEVICE_ID), "re.androidid", 0.6, VAL_OK, p, n);
	if (sh & (SH_DEVID | SH_DEVID_PH))
		dr_add(r, i, cat(C_DEVICE_ID), "re.devid", 0.8, sh & SH_DEVID ? VAL_OK : VAL_PLACEHOLDER, p, n);
	if (sh & SH_IMEI_PH)
		dr_add(r, i, cat(C_DEVICE_ID), "re.imei", 0.9, VAL_PLACEHOLDER, p, n);
	if (sh & SH_UA)
		dr_add(r, i, cat(C_DEVINFO), "re.ua", 0.9, VAL_OK, p, n);
	if (sh & SH_PUSH)
		dr_add(r, i, cat(C_PUSH), "re.pushtoken", 0.95, VAL_OK, p, n);
	if (sh & SH_PHONE)
		dr_add(r, i, cat(C_CONTACTS), "re.phone", 0.8, VAL_OK, p, n);
	if (sh & SH_EMAIL)
		dr_add(r, i, cat(C_CONTACTS), "re.email", 0.85, VAL_OK, p, n);
	if (sh & SH_NETTYPE)
		dr_add(r, i, cat(C_NETTYPE), "re.nettype", 0.7, VAL_OK, p, n);
	if (sh & SH_VIEWPATH)
		dr_add(r, i, cat(C_TEL_UI), "re.viewpath", 0.8, VAL_OK, p, n);
	if (sh & SH_UICLASS) {
		bool life = NODE(NODE(i)->parent)->kind == MML_DK_CSV && record_has(r, i, SH_LIFECYCLE);
		dr_add(r, i, cat(life ? C_TEL_APP : C_TEL_UI), life ? "csv.lifecycle" : "re.ui", 0.75, VAL_OK, p, n);
	}
	if (sh & (SH_PAGE | SH_MPAPI | SH_URL)) {
		uint32_t par = NODE(i)->parent;
		bool csv = par != MML_DNONE && NODE(par)->kind == MML_DK_CSV;
		if ((sh & SH_URL) && csv && record_has(r, i, SH_MPID))
			dr_add(r, i, cat(C_MP_REQ), "mp.request", 0.85, VAL_OK, p, n);
		else if ((sh & (SH_PAGE | SH_MPAPI)) && NODE(i)->kind != MML_DK_URL_PARAM && mp_context(r, i))
			dr_add(r, i, cat(C_MP_ACT), sh & SH_PAGE ? "mp.page" : "mp.api", 0.8, VAL_OK, p, n);
	}
	if (sh & SH_COORDTXT) {
		double a, b;
		coord c;
		if (coord_text(p, n, &a, &b) && coord_pair(a, b, true, &c) && !c.placeholder) {
			int kn = known_near(r->d->known, c.lat, c.lon);
			if (c.plausible || kn >= 0) {
				char buf[64];
				coord_format(buf, sizeof buf, c.lat, c.lon);
				bool csv = NODE(NODE(i)->parent)->kind == MML_DK_CSV;
				uint32_t k = dr_addf(r, i, cat(C_COORD), csv ? "csv.coord" : "text.coord", 0.85, VAL_OK, "%s", buf);
				if (k != MML_DNONE && kn >= 0) {
					r->s->f[k].known = (int16_t)kn;
					r->s->f[k].kform = KFORM_NEAR;
				}
			}
		}
	}
}

void rules_node(drun *r, uint32_t i)
{
	mml_detect_scratch *s = r->s;
	const mml_dnode *d = NODE(i);
	if (r->sel.n && (s->nfl[i] & NF_LAYCAND)) {
		const lay_hit *h =
			lay_find(r->d->lay, &r->sel, s->hf[i], s->hl[i], (s->nfl[i] & NF_LOCAL) != 0);
		if (h)
			rules_layout(r, i, h);
	}
	if (d->kind == MML_DK_VARINT && known_nums(r->d->known)) {
		int kn = known_number(r->d->known, d->u);
		if (kn >= 0) {
			const known_val *kv = known_get(r->d->known, (size_t)kn);
			int c = cat(kv->cat);
			if (kv->cat == C_IDENTITY && s->first[i] != MML_DNONE)
				c = s->f[s->first[i]].cat;
			uint32_t f = dr_addf(r, i, c, "known.plain", 0.99, VAL_OK, "%llu", (unsigned long long)d->u);
			for (uint32_t e = s->first[i]; f == MML_DNONE && e != MML_DNONE; e = s->f[e].next)
				if (s->f[e].cat == c)
					f = e;
			if (f != MML_DNONE && s->f[f].known < 0) {
				s->f[f].known = (int16_t)kn;
				s->f[f].kform = KFORM_PLAIN;
			}
		}
	}
	if (s->nfl[i] & (NF_SUPPRESS | NF_CLAIMED))
		return;
	if (d->kind == MML_DK_BYTES && r->d->known && d->val) {
		const known_form *kf = known_binary(r->d->known, d->val, d->val_len);
		if (kf) {
			const known_val *kv = known_get(r->d->known, kf->val);
			char hex[65];
			size_t hn = d->val_len > 32 ? 32 : d->val_len;
			for (size_t k = 0; k < hn; k++)
				snprintf(hex + 2 * k, 3, "%02x", d->val[k]);
			uint32_t f = dr_addf(r, i, cat(kv->cat), "known.binary", 0.95, VAL_OK, "%s", hex);
			if (f != MML_DNONE) {
				s->f[f].known = (int16_t)kf->val;
				s->f[f].kform = (uint8_t)(kf->form & 0x7f);
			}
		}
	}
	/* metadata: header.uin (a number), query.* (URL params, below) */
	if ((d->flags & MML_DN_META) && d->kind == MML_DK_VARINT && d->name) {
		const char *dot = memchr(d->name, '.', d->name_len);
		const char *nm = dot ? dot + 1 : d->name;
		size_t nl = d->name_len - (size_t)(nm - d->name);
		const keyrule *k = keys_lookup(nm, nl);
		if (k)
			key_apply(r, i, k, "meta.key");
		return;
	}
	if (d->name && d->name_len &&
	    (d->kind == MML_DK_JSON_STR || d->kind == MML_DK_JSON_NUM || d->kind == MML_DK_XML_ATTR ||
	     d->kind == MML_DK_URL_PARAM || (d->kind == MML_DK_XML_ELEM && d->val_len))) {
		if (d->kind == MML_DK_XML_ATTR && d->name_len == 4 && !memcmp(d->name, "name", 4))
			deviceinfo_attr(r, i);
		const keyrule *k = keys_lookup(d->name, d->name_len);
		if (k && (k->flags & (KF_LAT | KF_LON)) && d->parent != MML_DNONE)
			s->nfl[d->parent] |= NF_LATLON;
		if (k)
			key_apply(r, i, k, key_det(d));
	}
	if (s->nfl[i] & NF_TEXT)
		shapes(r, i);
}

/* pb {1: key, 2 or 3: value} pairs (prconfig, the search options list) */
void rules_pbkv(drun *r, uint32_t i)
{
	uint32_t key = MML_DNONE, v2 = MML_DNONE, v3 = MML_DNONE;
	int nchild = 0;
	FOR_CHILD(c, i)
	{
		const mml_dnode *d = NODE(c);
		if (++nchild > 4 || d->index >= 0)
			return;
		if (d->field == 1 && d->kind == MML_DK_STRING)
			key = c;
		else if (d->field == 2)
			v2 = c;
		else if (d->field == 3)
			v3 = c;
	}
	if (key == MML_DNONE || (v2 == MML_DNONE && v3 == MML_DNONE))
		return;
	vstr kn = node_text(r->t, key);
	if (kn.n < 2 || kn.n > 40)
		return;
	for (size_t k = 0; k < kn.n; k++) {
		char c = kn.p[k];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return;
	}
	const keyrule *k = keys_lookup(kn.p, kn.n);
	if (!k)
		return;
	uint32_t v = v3 != MML_DNONE && NODE(v3)->val_len ? v3 : v2 != MML_DNONE ? v2 : v3;
	if (r->s->nfl[v] & (NF_SUPPRESS | NF_CLAIMED))
		return;
	key_apply(r, v, k, "pb.kv");
}

/* ---- substring and known matches of the text scan ---- */

static bool alnum(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

/* A value found as written inside what the decoder unwrapped: the form is the unwrapping step. */
static int unwrapped_form(const drun *r, uint32_t node, int form)
{
	if (form != KFORM_PLAIN && form != KFORM_CASEFOLD)
		return form;
	for (uint32_t a = NODE(node)->parent, k = 0; a != MML_DNONE && k < 4; a = NODE(a)->parent, k++)
		if (NODE(a)->kind == MML_DK_WRAP) {
			if (NODE(a)->fmt == MML_DF_HEX)
				return KFORM_HEX;
			if (NODE(a)->fmt == MML_DF_BASE64)
				return KFORM_BASE64;
			return form;
		}
	return form;
}

/* A --known literal matched at p[0..n) of node's text. */
static void match_known(drun *r, const smatch *m, uint32_t node, const char *p, size_t n)
{
	mml_detect_scratch *s = r->s;
	const known_form *kf = known_form_at(r->d->known, m->id - P__COUNT);
	if (!kf)
		return;
	const known_val *kv = known_get(r->d->known, kf->val);
	int form = unwrapped_form(r, node, kf->form & 0x7f);
	int c = cat(kv->cat);
	if (kv->cat == C_IDENTITY && s->first[node] != MML_DNONE)
		c = s->f[s->first[node]].cat;
	static const char *const dn[KFORM__COUNT] = {"known.plain", "known.casefold", "known.hex",
	                                             "known.base64", "known.url", "known.md5",
	                                             "known.sha1", "known.sha256", "known.near"};
	uint32_t f = dr_add(r, node, c, dn[form], 0.99, VAL_OK, p, n);
	if (f == MML_DNONE)
		for (uint32_t e = s->first[node]; e != MML_DNONE; e = s->f[e].next)
			if (s->f[e].cat == c && s->f[e].known < 0) {
				f = e;
				break;
			}
	if (f != MML_DNONE && (s->f[f].known < 0 || form < s->f[f].kform)) {
		s->f[f].known = (int16_t)kf->val;
		s->f[f].kform = (uint8_t)form;
	}
}

/* A shape matched in lt[0..ln), node's text, ending at m->to (the shapes
 * carry no start: walk back over them from their end). */
static void match_shape(drun *r, const smatch *m, uint32_t node, const char *lt, size_t ln)
{
	size_t to = m->to, a;
	switch (m->id) {
	case P_WXID: /* "wxid_" [a-z0-9]+ then one boundary byte */
		to--;
		for (a = to; a > 0 && (alnum((unsigned char)lt[a - 1]) && !(lt[a - 1] >= 'A' && lt[a - 1] <= 'Z'));)
			a--;
		if (a < 5 || memcmp(lt + a - 5, "wxid_", 5) || (a > 5 && alnum((unsigned char)lt[a - 6])))
			break;
		a -= 5;
		if (v_wxid((vstr){lt + a, to - a}))
			dr_add(r, node, cat(C_ACCOUNT), "re.wxid", 0.8, VAL_OK, lt + a, to - a);
		break;
	case P_CHATROOM:
		for (a = to - 9; a > 0 && lt[a - 1] >= '0' && lt[a - 1] <= '9';)
			a--;
		if ((a == 0 || !alnum((unsigned char)lt[a - 1])) && (to == ln || !alnum((unsigned char)lt[to])))
			dr_add(r, node, cat(C_CONTACTS), "re.chatroom", 0.85, VAL_OK, lt + a, to - a);
		break;
	case P_APPID:
		a = to - 18;
		if ((a == 0 || !alnum((unsigned char)lt[a - 1]) || lt[a - 1] == '_') &&
		    (to == ln || !alnum((unsigned char)lt[to])))
			dr_add(r, node, cat(C_MP_ID), "re.appid", 0.9, VAL_OK, lt + a, 18);
		break;
	case P_MPUSER:
		a = to - 19;
		if (a == 0 || !alnum((unsigned char)lt[a - 1]))
			dr_add(r, node, cat(C_MP_ID), "re.mpuser", 0.9, VAL_OK, lt + a, 19);
		break;
	case P_PHONE: /* '+' digits, then one boundary byte */
		to--;
		for (a = to; a > 0 && lt[a - 1] != '+';)
			a--;
		if (a == 0 || lt[to] == '.')
			break;
		a--;
		if ((a == 0 || !alnum((unsigned char)lt[a - 1])) && v_phone((vstr){lt + a, to - a}))
			dr_add(r, node, cat(C_CONTACTS), "re.phone", 0.75, VAL_OK, lt + a, to - a);
		break;
	case P_EMAIL: { /* "@domain" then one boundary byte; the local part before the '@' */
		to--;
		size_t at = to;
		while (at > 0 && lt[at] != '@')
			at--;
		for (a = at; a > 0 && (alnum((unsigned char)lt[a - 1]) || strchr("._%+-", lt[a - 1]));)
			a--;
		if (a < at && v_email((vstr){lt + a, to - a}))
			dr_add(r, node, cat(C_CONTACTS), "re.email", 0.85, VAL_OK, lt + a, to - a);
		break;
	}
	case P_PUSH: { /* widen to the whole token */
		size_t b = to;
		for (a = to - 27; a > 0 && (alnum((unsigned char)lt[a - 1]) || lt[a - 1] == '_' || lt[a - 1] == '-');)
			a--;
		while (b < ln && (alnum((unsigned char)lt[b]) || lt[b] == '_' || lt[b] == '-'))
			b++;
		if (v_pushtoken((vstr){lt + a, b - a}))
			dr_add(r, node, cat(C_PUSH), "re.pushtoken", 0.95, VAL_OK, lt + a, b - a);
		break;
	}
	case P_UA:
	case P_UA2: {
		a = to - (m->id == P_UA ? 13 : 8);
		size_t b = a;
		while (b < ln && lt[b] != '"' && lt[b] != '\n')
			b++;
		if (v_useragent((vstr){lt + a, b - a}))
			dr_add(r, node, cat(C_DEVINFO), "re.ua", 0.85, VAL_OK, lt + a, b - a);
		break;
	}
	case P_NICK_KV: {
		if (!r->request)
			break;
		size_t b = to;
		while (b < ln && lt[b] != '"' && b - to < 96)
			b++;
		if (b < ln && lt[b] == '"' && v_name((vstr){lt + to, b - to}) == VAL_OK)
			dr_add(r, node, cat(C_NAME), "re.nickname", 0.8, VAL_OK, lt + to, b - to);
		break;
	}
	default:
		break;
	}
}

void rules_matches(drun *r)
{
	mml_detect_scratch *s = r->s;
	for (size_t k = 0; k < s->nm; k++) {
		const smatch *m = &s->m[k];
		uint32_t node = s->leaf[m->leaf].node;
		if (s->nfl[node] & (NF_SUPPRESS | NF_CLAIMED) && m->id < P__COUNT)
			continue;
		const char *lt = (const char *)s->text + s->leaf[m->leaf].off;
		size_t end = m->leaf + 1 < s->nleaf ? s->leaf[m->leaf + 1].off : s->ntext;
		size_t ln = end - s->leaf[m->leaf].off - 1; /* each leaf is followed by a NUL */
		if (m->to > ln)
			continue;
		if (m->id >= P__COUNT)
			match_known(r, m, node, lt + m->from, m->to - m->from);
		else
			match_shape(r, m, node, lt, ln);
	}
}
