/*
 * inspect.c - the one step from a message to what it says and who
 * received it (include/mmlens/collect.h): classify the body, decode it
 * with its metadata, name and attribute its API, count, and run the
 * detectors. `mmlens scan`, `decode` and every collection go through it.
 *
 * Contract: reads the message and the decoded tree only (no outside
 * bytes of its own: decoding is stage 5's, behind the cursor). One
 * inspector per thread; its tree, scratch and attribution memo are
 * reused for every message, so memory is bounded by the largest body.
 * Every message lands in exactly one of the counts unreadable, empty,
 * opaque, decoded (docs/SCHEMA.md, "accounting").
 *
 * An API named inside a body: some request types are generic carriers
 * whose body names the CGI it is for (a JSON wrapper
 * {"cgiName": "GetRegionList", "data": ...}). When no catalog or URI
 * names the message's API, the first such name within the top levels of
 * the body is taken (keys cgiName, cgi_name, cgi, case-insensitive; the
 * value 1-63 characters of [A-Za-z0-9_./-]). It names the API; it does
 * not attribute it (no attribution row is keyed on such names).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mmlens/collect.h"

#define BODY_NAME_DEPTH 4

const char *mml_body_kind_name(mml_body_kind k)
{
	static const char *const n[] = {"unreadable", "empty", "opaque", "decoded"};
	return (unsigned)k < 4 ? n[k] : "?";
}

bool mml_msg_is_request(const mml_msg *m) { return !m->outer || !m->outer->flow || m->outer->dir == 0; }

static void type_add(mml_scan_counts *c, int64_t req_type, const char *api, bool auth, uint64_t empty,
                     uint64_t opaque)
{
	/* Without a request type (plaintext HTTP, a longlink command), the API
	 * name is the key: messages of different or unknown APIs stay apart. */
	for (size_t i = 0; i < c->ntypes; i++)
		if (c->types[i].req_type == req_type && (req_type >= 0 || !strcmp(c->types[i].api, api ? api : ""))) {
			c->types[i].empty += empty;
			c->types[i].opaque += opaque;
			if (!c->types[i].api[0] && api)
				snprintf(c->types[i].api, sizeof c->types[i].api, "%s", api);
			c->types[i].auth |= auth;
			return;
		}
	if (c->ntypes < MML_COUNT_TYPES) {
		mml_type_count *t = &c->types[c->ntypes++];
		*t = (mml_type_count){.req_type = req_type, .auth = auth, .empty = empty, .opaque = opaque};
		if (api)
			snprintf(t->api, sizeof t->api, "%s", api);
		return;
	}
	c->other_empty += empty;
	c->other_opaque += opaque;
}

void mml_scan_counts_add(mml_scan_counts *d, const mml_scan_counts *s)
{
	d->messages += s->messages;
	d->decrypted += s->decrypted;
	d->unreadable += s->unreadable;
	d->empty += s->empty;
	d->opaque += s->opaque;
	d->bodies += s->bodies;
	d->body_bytes += s->body_bytes;
	d->limit_hits += s->limit_hits;
	d->findings += s->findings;
	d->unknown_api += s->unknown_api;
	d->api_from_body += s->api_from_body;
	d->unattributed += s->unattributed;
	for (size_t i = 0; i < s->ntypes; i++)
		type_add(d, s->types[i].req_type, s->types[i].api[0] ? s->types[i].api : NULL, s->types[i].auth, s->types[i].empty, s->types[i].opaque);
	d->other_empty += s->other_empty;
	d->other_opaque += s->other_opaque;
}

mml_err mml_inspector_init(mml_inspector *in, const mml_detect *det, const mml_attrib *attrib)
{
	memset(in, 0, sizeof *in);
	in->det = det;
	in->attrib = attrib;
	mml_dtree_init(&in->tree, NULL);
	mml_attrib_memo_init(&in->memo);
	if (det && !(in->scr = mml_detect_scratch_new(det))) {
		mml_dtree_free(&in->tree);
		return MML_E_NOMEM;
	}
	return MML_OK;
}

void mml_inspector_sessions(mml_inspector *in, mml_session_fn fn, void *ctx)
{
	mml_sessions_init(&in->sess, fn, ctx);
	in->split = true;
}

void mml_inspector_finish(mml_inspector *in)
{
	if (in->split)
		mml_sessions_finish(&in->sess);
}

void mml_inspector_free(mml_inspector *in)
{
	if (in->split)
		mml_sessions_free(&in->sess);
	mml_detect_scratch_free(in->scr);
	mml_dtree_free(&in->tree);
	memset(in, 0, sizeof *in);
}

/* The body and its metadata: business-header uin, plain-HTTP query (docs/FORMATS.md). */
static mml_err decode_msg(mml_dtree *t, const mml_msg *m)
{
	static const uint8_t empty[1];
	MML_RETURN_IF_ERR(mml_decode_body(t, m->body ? m->body : empty, m->body ? m->body_len : 0));
	if (m->env && m->env->has_biz && m->env->biz.uin)
		(void)mml_decode_meta_uint(t, "header", "uin", m->env->biz.uin);
	const mml_outer *o = m->outer;
	if (o && o->transport == MML_TR_HTTP && o->dir == 0 && o->http_path) {
		const char *q = strchr(o->http_path, '?');
		if (q && q[1])
			(void)mml_decode_meta_url(t, "query", q + 1, strlen(q + 1));
	}
	return MML_OK;
}

/* What the body was read as: nothing but bytes is opaque. */
static mml_body_kind body_kind(const mml_dtree *t, const mml_msg *m)
{
	if (!m->body || !m->body_len)
		return MML_BODY_EMPTY;
	uint32_t c = t->count ? t->n[0].first_child : MML_DNONE;
	if (c == MML_DNONE || c >= t->count)
		return MML_BODY_OPAQUE;
	return t->n[c].kind == MML_DK_BYTES ? MML_BODY_OPAQUE : MML_BODY_DECODED;
}

static bool cgi_key(const char *name)
{
	return name && (!strcasecmp(name, "cgiName") || !strcasecmp(name, "cgi_name") || !strcasecmp(name, "cgi"));
}

static bool api_name_ok(const uint8_t *v, size_t n)
{
	if (!n || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = v[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '/' || c == '-'))
			return false;
	}
	return true;
}

/* An API a wrapper in the body names, copied into buf; false when none. */
static bool body_api(const mml_dtree *t, char *buf, size_t cap)
{
	for (uint32_t i = 1; i < t->count; i++) {
		const mml_dnode *d = &t->n[i];
		if (d->depth > BODY_NAME_DEPTH + 2 || (d->flags & MML_DN_META) || !cgi_key(d->name) ||
		    !mml_dnode_is_text(d) || !d->val || !api_name_ok(d->val, d->val_len) || d->val_len >= cap)
			continue;
		memcpy(buf, d->val, d->val_len);
		buf[d->val_len] = 0;
		return true;
	}
	return false;
}

mml_err mml_inspect_msg(mml_inspector *in, const mml_msg *m, const mml_dtree **tree, mml_recv *r,
                        mml_body_kind *kind)
{
	mml_scan_counts *c = &in->counts;
	in->m = m;
	in->has_tree = false;
	*tree = NULL;
	*kind = MML_BODY_UNREADABLE;
	c->messages++;
	c->decrypted += m->status == MML_ST_DECRYPTED;
	mml_attrib_recv(in->attrib, &in->memo, m->api, m->host, m->req_type, &in->recv);
	mml_err e = MML_OK;
	bool readable = m->status == MML_ST_DECRYPTED || m->status == MML_ST_PLAINTEXT;
	if (readable && (e = decode_msg(&in->tree, m)) == MML_OK) {
		*tree = &in->tree;
		in->has_tree = true;
		*kind = body_kind(&in->tree, m);
		c->bodies++;
		c->body_bytes += m->body_len;
		if (in->tree.limit_hit)
			c->limit_hits++;
		if (!in->recv.api && body_api(&in->tree, in->api_buf, sizeof in->api_buf)) {
			in->recv.api = in->api_buf;
			in->recv.api_from_body = true;
		}
	}
	switch (*kind) {
	case MML_BODY_UNREADABLE: c->unreadable++; break;
	case MML_BODY_EMPTY: c->empty++; break;
	case MML_BODY_OPAQUE: c->opaque++; break;
	case MML_BODY_DECODED: break;
	}
	if (*kind == MML_BODY_EMPTY || *kind == MML_BODY_OPAQUE)
		type_add(c, m->req_type, m->api, in->recv.attributed && in->recv.feature == MML_FEAT_AUTH,
		         *kind == MML_BODY_EMPTY, *kind == MML_BODY_OPAQUE);
	if (!in->recv.api)
		c->unknown_api++;
	else if (in->recv.api_from_body)
		c->api_from_body++;
	if (!in->recv.attributed)
		c->unattributed++;
	if (in->split)
		mml_sessions_feed(&in->sess, m, *tree);
	*r = in->recv;
	return e;
}

typedef struct count_fn {
	mml_inspector *in;
	mml_finding_fn fn;
	void *ctx;
} count_fn;

static void on_finding(void *ctx, const mml_finding *f)
{
	count_fn *k = ctx;
	k->in->counts.findings++;
	k->fn(k->ctx, f);
}

void mml_inspect_detect(mml_inspector *in, mml_finding_fn fn, void *ctx)
{
	const mml_msg *m = in->m;
	if (!m || !in->has_tree || !in->det || !in->scr)
		return;
	mml_detect_msg dm = {.req_type = m->req_type, .api = m->api, .request = mml_msg_is_request(m)};
	count_fn k = {in, fn, ctx};
	mml_detect_run(in->det, in->scr, &in->tree, &dm, on_finding, &k);
}
