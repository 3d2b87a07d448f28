/*
 * fuzz_envelope.c - libFuzzer harness: the business layer. The shortlink
 * request prefix, the longlink packet header and the 0xbf business header
 * (mml_envelope_parse, every kind), and the message processor (inner
 * AES-128-CBC / AES-192-GCM hybrid, session keys, zlib, the catalog) over
 * an outer unit made of the input, for every transport and direction.
 *
 * The key log and catalog are fixed; the seeds in corpus/fuzz_envelope are
 * encrypted under these keys (see make_seeds.py), so the decrypting and
 * inflating paths are reached from the start. The input is also parsed as
 * a catalog text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/conn.h"
#include "mmlens/envelope.h"
#include "mmlens/keylog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

/* Must stay in step with make_seeds.py (it warns when they differ). */
static const char keylog_text[] =
	"{\"layer\":\"INNER\",\"encrypt\":true,\"key\":\"6d6d6c656e732d6362632d6b65792121\","
	"\"nonce\":\"6d6d6c656e732d6362632d6b65792121\",\"metadata\":\"\",\"tail\":\"c492b68fc2444c39\"}\n"
	"{\"layer\":\"INNER\",\"encrypt\":false,\"key\":\"6d6d6c656e732d67636d2d3139322d6b6579212121212121\","
	"\"iv\":\"67636d2d69762d3132627974\","
	"\"metadata\":\"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f\","
	"\"tail\":\"67636d7461696c21\",\"tag\":\"2dee819a7e8cf8715c8b9a91e15c6e0c\"}\n";

static const char catalog_text[] = "379\t/cgi-bin/micromsg-bin/getcdndns\n"
                                   "# comment\n"
                                   "138\t/cgi-bin/micromsg-bin/newsync\n"
                                   "522,/cgi-bin/micromsg-bin/newsendmsg\n";

static mml_keylog kl;
static mml_catalog cat;
static int ready;

static void setup(void)
{
	mml_stats st;
	memset(&st, 0, sizeof st);
	mml_keylog_init(&kl);
	if (mml_keylog_parse(&kl, keylog_text, sizeof keylog_text - 1, NULL, NULL, "fuzz", &st) != MML_OK ||
	    kl.n != 2)
		abort();
	mml_catalog_init(&cat);
	if (mml_catalog_parse(&cat, catalog_text, sizeof catalog_text - 1, "fuzz", NULL, NULL) != MML_OK)
		abort();
	ready = 1;
}

static uint64_t sum_bytes(const uint8_t *p, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += p[i];
	return s;
}

static uint64_t sum_str(const char *s) { return s ? strlen(s) : 0; }

static void touch_env(const mml_envelope *env)
{
	uint64_t s = env->total_len + env->rest_len + env->ll_len + env->ll_cmd + env->payload_len;
	if (env->uri)
		s += sum_bytes((const uint8_t *)env->uri, env->uri_len);
	if (env->host)
		s += sum_bytes((const uint8_t *)env->host, env->host_len);
	if (env->has_biz) {
		s += sum_bytes(env->biz.raw, env->biz.hdr_len);
		if (env->biz.cookie)
			s += sum_bytes(env->biz.cookie, env->biz.cookie_len);
		for (unsigned i = 0; i < env->biz.nvarints; i++)
			s += env->biz.varints[i];
	}
	if (env->payload)
		s += sum_bytes(env->payload, env->payload_len);
	sink += s;
}

static void on_msg(void *ctx, const mml_msg *m)
{
	size_t *count = ctx;
	(*count)++;
	uint64_t s = m->id + (uint64_t)m->status + (uint64_t)m->req_type + m->inner + m->inflate + m->nparts;
	s += sum_str(m->detail) + sum_str(m->uri) + sum_str(m->host) + sum_str(m->api);
	s += sum_str(mml_status_name(m->status)) + sum_str(mml_inner_name(m->inner));
	if (m->body)
		s += sum_bytes(m->body, m->body_len);
	for (size_t i = 0; i < m->nparts && i < MML_MAX_PARTS; i++)
		if (m->parts[i].data)
			s += sum_bytes(m->parts[i].data, m->parts[i].len);
	if (m->env)
		touch_env(m->env);
	sink += s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready)
		setup();

	for (int k = MML_ENV_SHORT_REQ; k <= MML_ENV_LONGLINK; k++) {
		mml_envelope env;
		if (mml_envelope_parse(data, size, (mml_env_kind)k, &env) == MML_OK)
			touch_env(&env);
	}

	mml_stats st;
	memset(&st, 0, sizeof st);
	size_t nmsg = 0;
	mml_envproc_cfg cfg = {.max_body = (size_t)1 << 20};
	mml_envproc *p = mml_envproc_new(&cfg, &kl, &cat, &st, on_msg, &nmsg);
	if (!p)
		abort();
	static const mml_transport trs[] = {MML_TR_LONGLINK, MML_TR_SHORTLINK, MML_TR_HTTP};
	for (size_t ti = 0; ti < sizeof trs / sizeof trs[0]; ti++) {
		for (int dir = 0; dir < 2; dir++) {
			mml_outer o;
			memset(&o, 0, sizeof o);
			o.dir = dir;
			o.transport = trs[ti];
			o.status = MML_ST_DECRYPTED;
			o.rec_type = 0x17;
			o.key_source = MML_KEY_LOGGED;
			o.data = data;
			o.len = size;
			if (trs[ti] != MML_TR_LONGLINK) {
				o.http_method = "POST";
				o.http_path = trs[ti] == MML_TR_HTTP ? "/cgi-bin/micromsg-bin/getcdndns?uin=1" : "/mmtls/0011aabb";
				o.http_host = "sgshort.wechat.com";
				o.http_status = dir ? 200 : 0;
			}
			size_t before = nmsg;
			mml_envproc_outer(p, &o);
			if (nmsg == before) /* every outer unit yields at least one message */
				abort();
		}
	}
	/* an undecryptable unit: passed through with its status */
	mml_outer o;
	memset(&o, 0, sizeof o);
	o.transport = MML_TR_SHORTLINK;
	o.status = MML_ST_NO_KEY;
	o.detail = "no key";
	o.http_path = "/mmtls/00";
	mml_envproc_outer(p, &o);
	mml_envproc_free(p);
	sink += st.messages + nmsg;

	/* the input as a catalog */
	mml_catalog c2;
	mml_catalog_init(&c2);
	(void)mml_catalog_parse(&c2, (const char *)data, size, "fuzz.tsv", NULL, NULL);
	for (size_t i = 0; i < c2.n; i++)
		if (mml_catalog_lookup(&c2, c2.ent[i].id) == NULL)
			abort();
	sink += c2.n + sum_str(mml_catalog_lookup(&c2, 379));
	mml_catalog_free(&c2);
	return 0;
}
