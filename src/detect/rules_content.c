/*
 * rules_content.c - detectors of delimited telemetry rows and of what a
 * body says it is about:
 *  - kv row layouts (kv.layout): the rows of kv telemetry keyed by their
 *    log id (fields.tsv selector kv:LOGID; newreportkvcomm {1: logid,
 *    2: row}, rtkvreport {7: logid, 8: row}): a column of a log id's rows
 *    holds the same thing in every row, whatever its value (log 555:
 *    logid 14313 "ts,1,<SSID>,<server ip>,..."; log 442/541: logid 11747
 *    "...,<SSID>,<BSSID>,<carrier>,...,lon,lat,..."). They run before the
 *    per-node rules and claim their cells like any layout;
 *  - media references in a record (csv.media): the cell just before a
 *    media MIME type cell ("mmsns/<file id>/0,image/wxam,276,283,..." of
 *    log 245), when it is a URL or a storage path with an opaque id;
 *  - the body's search query (rules_is_query), which a context rule must
 *    not read as anything else (ctx.place next to a fix).
 *
 * Contract: like rules.c; no allocation; a kv row is visited once (its
 * cells in one pass per rule of its log id, a handful).
 */
#include <string.h>

#include "detect_int.h"

#define NODE(i) (&r->t->n[(i)])
#define FOR_CHILD(c, p) for (uint32_t c = r->t->n[(p)].first_child; (c) != MML_DNONE; (c) = r->t->n[(c)].next)

void rules_kv(drun *r)
{
	mml_detect_scratch *s = r->s;
	const int dir = r->request ? 0 : 1;
	for (size_t k = 0; k < s->nkvrow; k++) {
		size_t n;
		const lay_kvrule *kr = lay_kv_find(r->d->lay, s->kvrow[k].logid, &n);
		for (size_t j = 0; kr && j < n; j++) {
			if (kr[j].dir != 2 && kr[j].dir != dir)
				continue;
			FOR_CHILD(c, s->kvrow[k].node)
			{
				if (NODE(c)->kind == MML_DK_CSV_CELL && NODE(c)->field == kr[j].col) {
					rules_layout(r, c, &kr[j].hit);
					break;
				}
			}
		}
	}
}

void rules_media_row(drun *r, uint32_t i)
{
	uint32_t prev = MML_DNONE;
	FOR_CHILD(c, i)
	{
		if ((r->s->shape[c] & SH_MIME) && prev != MML_DNONE &&
		    (NODE(prev)->first_child == MML_DNONE || (r->s->shape[prev] & SH_URL)) &&
		    !(r->s->nfl[prev] & (NF_CLAIMED | NF_SUPPRESS))) {
			vstr v = v_trim(node_text(r->t, prev));
			if (v_media_ref(v) == VAL_OK)
				dr_add(r, prev, cat_ix[C_MEDIA], "csv.media", 0.75, VAL_OK, v.p, v.n);
		}
		prev = c;
	}
}

/* The first 16 search queries of the body are kept apart (detect.c), so
 * this costs O(1) per call however many findings the body has. */
bool rules_is_query(const drun *r, vstr v)
{
	const mml_detect_scratch *s = r->s;
	v = v_trim(v);
	for (size_t k = 0; k < s->nq; k++) {
		const dfind *f = &s->f[s->qf[k]];
		if (f->vlen != v.n)
			continue;
		const char *fv = f->vp ? f->vp : s->vals + f->voff;
		if (!memcmp(fv, v.p, v.n))
			return true;
	}
	return false;
}
