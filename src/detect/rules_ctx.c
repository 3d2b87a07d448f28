/*
 * rules_ctx.c - the detectors that need a whole container (a protobuf
 * message, a JSON object, a URL query, an XML element, a delimited
 * record): coordinate pairs, carrier groups, places next to a fix (or
 * the body's search query repeated there), the {1: key, 2/3: value}
 * pairs of protobuf lists, official-account article rows of the kv
 * telemetry, and media files named next to their MIME type
 * (rules_content.c). A cell a layout gave a meaning (a kv row's) is
 * not read again as part of a carrier group.
 *
 * Contract: rules_struct() runs once per container, children before
 * parents (detect.c walks the nodes backwards), so a message sees the
 * coordinate findings of the messages inside it. A coordinate pair is
 * ONE finding at its holder ("lat,lon", 6 decimals): two float32/double
 * siblings of a message (float32 pairs longitude first when ambiguous,
 * as WeChat writes them; doubles latitude first), latitude/longitude
 * keys (scaled integers allowed), or two adjacent decimal cells of a
 * record (the single-cell "lat/lon" form is read in rules.c). Pairs that
 * are placeholders (0/0, -1000/-1000) are not positions and are not
 * reported; pairs that are positions but implausible (exact integers)
 * are reported only when they match a --known location.
 */
#include <math.h>
#include <string.h>

#include "detect_int.h"

void rules_pbkv(drun *r, uint32_t i);

#define NODE(i) (&r->t->n[(i)])
#define FOR_CHILD(c, p) for (uint32_t c = r->t->n[(p)].first_child; (c) != MML_DNONE; (c) = r->t->n[(c)].next)

static int cat(int c) { return cat_ix[c]; }

static void add_coord(drun *r, uint32_t holder, const coord *c, const char *det, double conf)
{
	if (c->placeholder || (r->s->nfl[holder] & NF_SUPPRESS) || dr_has(r, holder, cat(C_COORD)))
		return;
	int kn = known_near(r->d->known, c->lat, c->lon);
	if (!c->plausible && kn < 0)
		return;
	char buf[64];
	coord_format(buf, sizeof buf, c->lat, c->lon);
	uint32_t k = dr_addf(r, holder, cat(C_COORD), det, conf, VAL_OK, "%s", buf);
	if (k != MML_DNONE && kn >= 0) {
		r->s->f[k].known = (int16_t)kn;
		r->s->f[k].kform = KFORM_NEAR;
	}
}

static bool num_of(const drun *r, uint32_t i, double *v, int *frac)
{
	const mml_dnode *d = NODE(i);
	*frac = 0;
	if (d->kind == MML_DK_FIXED64) {
		*v = mml_dnode_f64(d);
		*frac = 6;
		return isfinite(*v);
	}
	if (d->kind == MML_DK_FIXED32) {
		*v = mml_dnode_f32(d);
		*frac = 6;
		return isfinite(*v);
	}
	if (d->kind == MML_DK_VARINT) {
		*v = (double)(int64_t)d->u;
		return true;
	}
	vstr t = v_trim(node_text(r->t, i));
	if (!t.n || !coord_num(t.p, t.n, v))
		return false;
	const char *dot = memchr(t.p, '.', t.n);
	*frac = dot ? (int)(t.n - (size_t)(dot - t.p) - 1) : 0;
	return true;
}

/* scaled integer degrees: 37422001 -> 37.422001 */
static double unscale(double v, double lim)
{
	static const double sc[] = {1e6, 1e7, 1e5};
	if (fabs(v) <= lim || v != floor(v))
		return v;
	for (size_t k = 0; k < 3; k++)
		if (fabs(v / sc[k]) <= lim && fabs(v / sc[k]) >= 0.5)
			return v / sc[k];
	return v;
}

/* latitude/longitude by name (JSON objects, URL queries, XML elements) */
static void named_pair(drun *r, uint32_t i)
{
	uint32_t la = MML_DNONE, lo = MML_DNONE;
	FOR_CHILD(c, i)
	{
		const mml_dnode *d = NODE(c);
		if (!d->name || !d->name_len)
			continue;
		const keyrule *k = keys_lookup(d->name, d->name_len);
		if (k && (k->flags & KF_LAT) && la == MML_DNONE)
			la = c;
		else if (k && (k->flags & KF_LON) && lo == MML_DNONE)
			lo = c;
	}
	if (la == MML_DNONE || lo == MML_DNONE)
		return;
	double a, b;
	int fa, fb;
	if (!num_of(r, la, &a, &fa) || !num_of(r, lo, &b, &fb))
		return;
	coord c = {0};
	a = unscale(a, 90);
	b = unscale(b, 180);
	if ((a <= -999 || a >= 999) && (b <= -999 || b >= 999))
		return;
	if (a == 0 && b == 0)
		return;
	if (a < -90 || a > 90 || b < -180 || b > 180)
		return;
	c.lat = a;
	c.lon = b;
	c.plausible = true;
	const char *det = NODE(i)->kind == MML_DK_JSON_OBJ ? "json.coord"
	                  : NODE(i)->kind == MML_DK_URL   ? "url.coord"
	                                                  : "xml.coord";
	add_coord(r, i, &c, det, 0.95);
}

static void pb_pair(drun *r, uint32_t i)
{
	int n = 0, kind = -1;
	double v[2] = {0, 0};
	FOR_CHILD(c, i)
	{
		const mml_dnode *d = NODE(c);
		if (d->kind == MML_DK_FIXED32 || d->kind == MML_DK_FIXED64) {
			if (n >= 2 || (kind >= 0 && kind != d->kind) || d->index >= 0)
				return;
			kind = d->kind;
			v[n++] = d->kind == MML_DK_FIXED32 ? (double)mml_dnode_f32(d) : mml_dnode_f64(d);
		}
	}
	coord c;
	if (n == 2 && coord_pair(v[0], v[1], kind == MML_DK_FIXED64, &c))
		add_coord(r, i, &c, "pb.coord", 0.9);
}

/* two adjacent decimal cells of a record */
static void csv_pair(drun *r, uint32_t i)
{
	uint32_t prev = MML_DNONE;
	double pv = 0;
	int pf = 0;
	FOR_CHILD(c, i)
	{
		double v = 0; /* num_of may fail before setting it; pv is copied from it below */
		int f;
		bool ok = num_of(r, c, &v, &f) && f >= 3;
		if (ok && prev != MML_DNONE) {
			coord co;
			if (coord_pair(pv, v, true, &co) && !co.placeholder) {
				add_coord(r, i, &co, "csv.coord", 0.75);
				return;
			}
		}
		prev = ok ? c : MML_DNONE;
		pv = v;
		pf = f;
	}
	(void)pf;
}

/* a layout (a kv row's) says this node is something other than a carrier */
static bool claimed_other(const drun *r, uint32_t c)
{
	return (r->s->nfl[c] & (NF_CLAIMED | NF_SUPPRESS)) && !dr_has(r, c, cat(C_CARRIER));
}

/* carrier name and MCC-MNC within three places of each other, and the APN after them
 * (not a cell a layout gave another meaning: log 555's "...,463735,87,0,AndroidWifi,310260,..."
 * is an SSID, not the emulator's operator name next to an MCC-MNC) */
static void carrier_group(drun *r, uint32_t i)
{
	uint32_t kids[256];
	int n = 0, mcc = -1, name = -1;
	FOR_CHILD(c, i)
	{
		if (n == 256)
			break;
		kids[n++] = c;
	}
	for (int k = 0; k < n; k++) {
		uint32_t sh = r->s->shape[kids[k]];
		if ((sh & SH_MCCMNC) && mcc < 0 && !claimed_other(r, kids[k])) {
			for (int j = k - 3 < 0 ? 0 : k - 3; j < n && j <= k + 3; j++)
				if (j != k && (r->s->shape[kids[j]] & SH_CARRIER) && !claimed_other(r, kids[j])) {
					mcc = k;
					name = j;
					break;
				}
		}
	}
	if (mcc < 0)
		return;
	for (int k = 0; k < 2; k++) {
		uint32_t c = kids[k ? name : mcc];
		if (r->s->nfl[c] & (NF_CLAIMED | NF_SUPPRESS))
			continue;
		vstr v = v_trim(node_text(r->t, c));
		int ok = k ? v_carrier_name(v) : VAL_OK;
		dr_add(r, c, cat(C_CARRIER), NODE(i)->kind == MML_DK_CSV ? "csv.carrier" : "pb.carrier", 0.85, ok, v.p,
		       v.n);
	}
	int last = mcc > name ? mcc : name;
	for (int j = last + 1; j < n && j <= last + 2; j++) {
		uint32_t c = kids[j];
		vstr v = v_trim(node_text(r->t, c));
		if (j == name || j == mcc || (r->s->shape[c] & (SH_NETTYPE | SH_MPAPI)) || !v.n)
			continue;
		if (v_apn(v) == VAL_OK) {
			dr_add(r, c, cat(C_CARRIER), NODE(i)->kind == MML_DK_CSV ? "csv.carrier" : "pb.carrier", 0.8, VAL_OK,
			       v.p, v.n);
			break;
		}
	}
}

static bool has_fix(const drun *r, uint32_t i)
{
	for (uint32_t k = r->s->first[i]; k != MML_DNONE; k = r->s->f[k].next)
		if (r->s->f[k].cat == cat(C_COORD) && !r->s->f[k].placeholder)
			return true;
	return false;
}

/* A text next to a fix, named by nothing but where it sits: the body's
 * search query when it repeats it (a query sent with the user's position
 * is no place: log 538), a place when it has the shape of one (Latin
 * capitalised words, CJK ending like a place name: v_place_ctx), else
 * nothing (log 523: the query "小程序示例" of a search suggestion). */
static void place_or_query(drun *r, uint32_t c)
{
	vstr v = v_trim(node_text(r->t, c));
	if (rules_is_query(r, v))
		dr_add(r, c, cat(C_SEARCH), "ctx.query", 0.8, VAL_OK, v.p, v.n);
	else if (v_place_ctx(v) == VAL_OK)
		dr_add(r, c, cat(C_PLACE), "ctx.place", 0.7, VAL_OK, v.p, v.n);
}

/* a place name next to a fix: a text sibling of the pair's message, or
 * the cell after a "lat/lon" cell */
static void place_near_fix(drun *r, uint32_t i)
{
	const mml_dnode *d = NODE(i);
	if (d->kind == MML_DK_CSV) {
		bool after = false;
		FOR_CHILD(c, i)
		{
			if (after && (r->s->shape[c] & SH_PLACE) && r->s->first[c] == MML_DNONE)
				place_or_query(r, c);
			after = has_fix(r, c);
		}
		return;
	}
	bool fix = has_fix(r, i);
	FOR_CHILD(c, i)
	{
		if (!fix && NODE(c)->kind == MML_DK_MSG && has_fix(r, c))
			fix = true;
	}
	if (!fix)
		return;
	FOR_CHILD(c, i)
	{
		const mml_dnode *x = NODE(c);
		if (x->kind == MML_DK_STRING && x->first_child == MML_DNONE && (r->s->shape[c] & SH_PLACE) &&
		    r->s->first[c] == MML_DNONE && !(r->s->nfl[c] & (NF_CLAIMED | NF_SUPPRESS)))
			place_or_query(r, c);
	}
}

/* kv telemetry: "ts,gh_<official account>,id,0,0,<article title>,..." */
static void article_row(drun *r, uint32_t i)
{
	uint32_t c1 = MML_DNONE;
	int k = 0;
	FOR_CHILD(c, i)
	{
		if (k == 1)
			c1 = c;
		if (++k > 1)
			break;
	}
	if (c1 == MML_DNONE || !(r->s->shape[c1] & SH_GHOA))
		return;
	bool past = false;
	FOR_CHILD(c, i)
	{
		if (c == c1) {
			past = true;
			continue;
		}
		if (!past || r->s->first[c] != MML_DNONE)
			continue;
		vstr v = v_trim(node_text(r->t, c));
		if (v.n < 2 || v_is_placeholder_word(v) || v_digits(v, 1, 40) || v_hexid(v))
			continue;
		bool letter = false;
		for (size_t j = 0; j < v.n && !letter; j++) {
			unsigned char ch = (unsigned char)v.p[j];
			letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch >= 0x80;
		}
		if (letter)
			dr_add(r, c, cat(C_TEL_APP), "csv.article", 0.7, VAL_OK, v.p, v.n);
	}
}

void rules_struct(drun *r, uint32_t i)
{
	const mml_dnode *d = NODE(i);
	uint32_t fl = r->s->nfl[i], kor = r->s->kor[i];
	if (fl & NF_SUPPRESS)
		return;
	bool carrier = (kor & SH_MCCMNC) && (kor & SH_CARRIER);
	switch ((mml_dkind)d->kind) {
	case MML_DK_MSG:
		if (fl & NF_HASFIXED)
			pb_pair(r, i);
		if (d->nchildren <= 4)
			rules_pbkv(r, i);
		if (carrier)
			carrier_group(r, i);
		if ((r->s->nfl[i] & (NF_FIX | NF_CHILDFIX)) && (kor & SH_PLACE))
			place_near_fix(r, i);
		break;
	case MML_DK_JSON_OBJ:
	case MML_DK_URL:
	case MML_DK_XML_ELEM:
		if (fl & NF_LATLON)
			named_pair(r, i);
		break;
	case MML_DK_CSV:
		if (kor & SH_DECIMAL)
			csv_pair(r, i);
		if (carrier)
			carrier_group(r, i);
		if ((r->s->nfl[i] & NF_CHILDFIX) && (kor & SH_PLACE))
			place_near_fix(r, i);
		if (kor & SH_GHOA)
			article_row(r, i);
		if (kor & SH_MIME)
			rules_media_row(r, i);
		break;
	default:
		break;
	}
}
