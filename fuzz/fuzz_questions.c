/*
 * fuzz_questions.c - libFuzzer harness: the question file of `mmlens
 * answer` (JSON through jansson, field validation; src/analyze/questions.c)
 * and the answers to whatever it asks (src/analyze/answer.c), over a
 * small fixed set of sessions and flows, judged by the shipped models.
 *
 * Checks, beyond memory safety: a file that loads has no errors and only
 * questions with what their kind needs; a failed load leaves the set as
 * it was with every problem reported; every question gets exactly one
 * answer, with a summary and at most the capped evidence and caveats.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void diag(void *ctx, const char *fmt, ...)
{
	size_t *calls = ctx;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n <= 0)
		abort();
	(*calls)++;
}

typedef struct actx {
	size_t n;
} actx;

static void on_answer(void *ctx, const mml_answer *a)
{
	actx *c = ctx;
	if (!a->q || !a->summary || a->v > MML_ANS_NOT_DETERMINABLE || a->nev > MML_ANS_EVIDENCE ||
	    a->ncaveats > MML_ANS_CAVEATS || strlen(a->summary) > (1u << 20))
		abort();
	c->n++;
}

static mml_policy wechat, weixin;
static mml_attrib attrib;
static mml_answer_sess sess[3];
static char *granted[] = {"location"};
static mml_label labels[3] = {
	{.session = 1, .permissions = granted, .npermissions = 1, .permissions_given = true},
	{.session = 2, .permissions_given = true, .region = "CN"},
	{.session = 3},
};

static void setup(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	mml_policy_init(&wechat);
	mml_policy_init(&weixin);
	mml_attrib_init(&attrib);
	if (mml_policy_load(&wechat, "wechat", NULL, NULL) || mml_policy_load(&weixin, "weixin", NULL, NULL) ||
	    mml_attrib_load_builtin(&attrib))
		abort();
	static const struct {
		const char *cat, *api;
		int64_t req_type;
		bool attributed;
		mml_party party;
		mml_feature feature;
	} f[] = {
		{"location.coordinates", "/cgi-bin/mmsearch-bin/websearchconfig", -1, true, MML_PARTY_WEIXIN, MML_FEAT_SEARCH},
		{"miniprogram.activity", "/cgi-bin/mmbiz-bin/js-operatewxdata", -1, true, MML_PARTY_WECHAT,
		 MML_FEAT_MINIPROGRAMS},
		{"content.message", "/cgi-bin/micromsg-bin/newsendmsg", -1, true, MML_PARTY_WECHAT, MML_FEAT_MESSAGING},
		{"location.place", NULL, 1948, false, MML_PARTY_WECHAT, MML_FEAT_UNKNOWN},
		{"device.info", "/cgi-bin/micromsg-bin/newsendmsg", -1, true, MML_PARTY_WECHAT, MML_FEAT_MESSAGING},
	};
	for (int s = 0; s < 3; s++) {
		sess[s].s = (mml_session){.index = (uint64_t)s + 1, .first = (uint64_t)s * 10 + 1,
		                          .last = (uint64_t)s * 10 + 10, .messages = 10, .has_ts = true,
		                          .start_ts = 1681400000 + s * 86400 * 3, .end_ts = 1681400100 + s * 86400 * 3,
		                          .opener = -1, .login = -1};
		sess[s].label = &labels[s];
		mml_flows_init(&sess[s].flows);
		for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
			if ((k + (size_t)s) % 3 == 0)
				continue;
			mml_recv r = {.api = f[k].api, .attributed = f[k].attributed, .party = f[k].party,
			              .feature = f[k].feature, .req_type = f[k].req_type};
			if (mml_flows_add(&sess[s].flows, f[k].cat, &r, (uint64_t)s * 10 + k + 1, true, 1681400000, "1.2",
			                  "pb.test") != MML_OK)
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	size_t calls = 0;
	mml_questions qs;
	mml_questions_init(&qs);
	mml_err e = mml_questions_parse(&qs, (const char *)data, size, "fuzz.json", diag, &calls);
	if (e == MML_OK) {
		if (qs.errors || calls)
			abort();
		for (size_t i = 0; i < qs.n; i++) {
			const mml_question *q = &qs.q[i];
			if (!q->id || !q->question)
				abort();
			if ((q->kind == MML_Q_PERMISSION_EFFECT && !q->permission) || (q->kind == MML_Q_GOVERNED_BY && !q->policy))
				abort();
		}
		mml_scan_counts counts = {.messages = 30, .empty = 2, .opaque = 1, .unknown_api = 3};
		mml_policyset ps = {.wechat = &wechat, .weixin = &weixin};
		mml_answer_in in = {.sess = sess, .nsess = 3, .counts = &counts, .ps = &ps, .attrib = &attrib};
		actx c = {0};
		if (mml_answer_all(&qs, &in, on_answer, &c) == MML_OK && c.n != qs.n)
			abort();
	} else if (e != MML_E_NOMEM) {
		if (qs.n || !qs.errors || calls != qs.errors)
			abort();
	}
	mml_questions_free(&qs);
	return 0;
}
