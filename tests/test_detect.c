/*
 * tests/test_detect.c - the detect module (stage 6): taxonomy, value
 * checks, field layouts, known values, and the acceptance tests:
 *  1. the simulator's ground truth, every scenario, location on and off:
 *     precision and recall >= 0.99 per category, every placed value at
 *     its exact path (a note prints the per-category figures);
 *  2. the real plaintext log (coordinates, the -1000/-1000 placeholder,
 *     the Didi Mini Program session, the BaseRequest, carrier, IP,
 *     Pinduoduo user id) and counts per category;
 *  3. the real capture's secautoauth device fingerprint (placeholders).
 * Throughput is measured in bench/decode_speed.c, not here.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mmlens/crypto.h"
#include "mmlens/decode.h"
#include "mmlens/detect.h"
#include "mmlens/envelope.h"
#include "test.h"
#include "util.h"
/* white box: the path hashes (detect_path_hashes_normalised), the cell classes */
#include "../src/detect/detect_int.h"

#define LOG "wechat-logs/startup_permissions_on_2.log.jsonl"
#define CAP "mmtls-capture/capture-logged-in-all-keys.pcapng"
#define KEYS "mmtls-capture/frida-logged-in-all-keys.log"

/* ---- collecting findings ---- */

typedef struct tfind {
	char cat[40], det[32], path[MML_PATH_MAX], known[64], form[16];
	char value[512];
	bool placeholder;
	double conf;
} tfind;

typedef struct tcoll {
	tfind *f;
	size_t n, cap;
} tcoll;

static void on_find(void *ctx, const mml_finding *f)
{
	tcoll *c = ctx;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->f = realloc(c->f, c->cap * sizeof *c->f);
	}
	tfind *t = &c->f[c->n++];
	memset(t, 0, sizeof *t);
	snprintf(t->cat, sizeof t->cat, "%s", f->category);
	snprintf(t->det, sizeof t->det, "%s", f->detector);
	snprintf(t->path, sizeof t->path, "%s", f->path);
	size_t vn = f->value_len < sizeof t->value - 1 ? f->value_len : sizeof t->value - 1;
	memcpy(t->value, f->value, vn);
	t->placeholder = f->placeholder;
	t->conf = f->confidence;
	if (f->known)
		snprintf(t->known, sizeof t->known, "%s", f->known);
	if (f->known_form)
		snprintf(t->form, sizeof t->form, "%s", f->known_form);
}

static const tfind *find(const tcoll *c, const char *cat, const char *path)
{
	for (size_t i = 0; i < c->n; i++)
		if ((!cat || !strcmp(c->f[i].cat, cat)) && (!path || !strcmp(c->f[i].path, path)))
			return &c->f[i];
	return NULL;
}

static const tfind *find_value(const tcoll *c, const char *cat, const char *value)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->f[i].cat, cat) && strstr(c->f[i].value, value))
			return &c->f[i];
	return NULL;
}

/* Decode a body (with the metadata scan adds) and detect into c (reset first). */
typedef struct tdet {
	mml_detect *d;
	mml_detect_scratch *s;
	mml_dtree t;
} tdet;

static bool tdet_init(tdet *x, mml_detect_cfg *cfg)
{
	char err[256] = "";
	mml_detect_cfg *own = cfg ? NULL : mml_detect_cfg_new();
	x->d = mml_detect_new(cfg ? cfg : own, err, sizeof err);
	mml_detect_cfg_free(own);
	if (!x->d) {
		mml_test_fail(__FILE__, __LINE__, "mml_detect_new: %s", err);
		return false;
	}
	x->s = mml_detect_scratch_new(x->d);
	mml_dtree_init(&x->t, NULL);
	return x->s != NULL;
}

static void tdet_free(tdet *x)
{
	mml_detect_scratch_free(x->s);
	mml_detect_free(x->d);
	mml_dtree_free(&x->t);
}

static void run_body(tdet *x, const uint8_t *p, size_t n, uint32_t uin, const char *query, int64_t req_type,
                     const char *api, bool request, tcoll *c)
{
	static const uint8_t empty[1];
	c->n = 0;
	mml_decode_body(&x->t, p ? p : empty, p ? n : 0);
	if (uin)
		mml_decode_meta_uint(&x->t, "header", "uin", uin);
	if (query && *query)
		mml_decode_meta_url(&x->t, "query", query, strlen(query));
	mml_detect_msg m = {.req_type = req_type, .api = api, .request = request};
	mml_detect_run(x->d, x->s, &x->t, &m, on_find, c);
}

/* ---- taxonomy and checks ---- */

TEST(detect_taxonomy_hierarchy)
{
	size_t n = mml_taxonomy_count();
	CHECK(n >= 32);
	static const char *const need[] = {
		"identity", "identity.account", "identity.device", "identity.push_token", "identity.thirdparty", "device",
		"device.info", "network", "network.carrier", "network.ip", "network.wifi", "network.type", "location",
		"location.coordinates", "location.place", "locale", "miniprogram", "miniprogram.id",
		"miniprogram.activity", "miniprogram.requests", "search", "search.query", "content", "content.message",
		"content.post", "content.comment", "profile", "profile.name", "contacts", "telemetry", "telemetry.ui",
		"telemetry.app",
	};
	for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
		if (!mml_taxonomy_parent(need[i]))
			mml_test_fail(__FILE__, __LINE__, "category %s missing", need[i]);
	for (size_t i = 0; i < n; i++) {
		const char *id = mml_taxonomy_id(i), *p = mml_taxonomy_parent(id);
		REQUIRE(id && p);
		CHECK(mml_taxonomy_label(id) && *mml_taxonomy_label(id));
		if (*p) { /* a parent is a prefix, and comes first */
			CHECK(!strncmp(id, p, strlen(p)) && id[strlen(p)] == '.');
			bool before = false;
			for (size_t k = 0; k < i; k++)
				before |= !strcmp(mml_taxonomy_id(k), p);
			CHECK(before);
		}
	}
	CHECK_STR(mml_taxonomy_parent("location.coordinates"), "location");
	CHECK_STR(mml_taxonomy_parent("contacts"), "");
	CHECK(mml_taxonomy_parent("no.such") == NULL);
	mml_test_note("%zu categories", n);
}

/* The module's value checks through small bodies (JSON and protobuf). */
static size_t pb_str(uint8_t *o, unsigned field, const char *s)
{
	size_t n = strlen(s), k = 0;
	o[k++] = (uint8_t)(field << 3 | 2);
	o[k++] = (uint8_t)n; /* n < 128 here */
	memcpy(o + k, s, n);
	return k + n;
}

static size_t pb_f32(uint8_t *o, unsigned field, float v)
{
	o[0] = (uint8_t)(field << 3 | 5);
	memcpy(o + 1, &v, 4); /* little-endian host */
	return 5;
}

static size_t pb_f64(uint8_t *o, unsigned field, double v)
{
	o[0] = (uint8_t)(field << 3 | 1);
	memcpy(o + 1, &v, 8);
	return 9;
}

static size_t pb_msg(uint8_t *o, unsigned field, const uint8_t *in, size_t n)
{
	o[0] = (uint8_t)(field << 3 | 2);
	o[1] = (uint8_t)n;
	memcpy(o + 2, in, n);
	return n + 2;
}

TEST(detect_value_checks)
{
	tdet x;
	REQUIRE(tdet_init(&x, NULL));
	tcoll c = {0};
	/* JSON key semantics with validation: a Luhn-valid IMEI is found, a bad one is not;
	 * MACs by shape, placeholders flagged */
	static const char js[] =
		"{\"imei\":\"355708110123451\",\"meid\":\"123\",\"mac\":\"3c:5a:b4:01:02:03\",\"android_id\":\"unknown\","
		"\"bssid\":\"ff:ff:ff:ff:ff:ff\",\"ip\":\"10.1.2.3\",\"clientip\":\"300.1.2.3\",\"phone\":\"+14155550100\","
		"\"email\":\"a.b@example.org\",\"lang\":\"zh_CN\",\"timezone\":\"Asia/Shanghai\",\"appid\":\"wx0123456789abcdef\","
		"\"x\":\"02:00:00:00:00:00\"}";
	run_body(&x, (const uint8_t *)js, strlen(js), 0, NULL, -1, NULL, true, &c);
	CHECK(find(&c, "identity.device", "json.imei") != NULL);
	CHECK(find(&c, "identity.device", "json.meid") == NULL);
	CHECK(find(&c, "identity.device", "json.mac") != NULL);
	const tfind *a = find(&c, "identity.device", "json.android_id");
	CHECK(a && a->placeholder);
	CHECK(find(&c, "network.wifi", "json.bssid") == NULL); /* broadcast is no device */
	CHECK(find(&c, "network.ip", "json.ip") != NULL);
	CHECK(find(&c, "network.ip", "json.clientip") == NULL);
	CHECK(find(&c, "contacts", "json.phone") != NULL);
	CHECK(find(&c, "contacts", "json.email") != NULL);
	CHECK(find(&c, "locale", "json.lang") != NULL && find(&c, "locale", "json.timezone") != NULL);
	CHECK(find(&c, "miniprogram.id", "json.appid") != NULL);
	const tfind *ph = find(&c, "identity.device", "json.x");
	CHECK(ph && ph->placeholder && !strcmp(ph->value, "02:00:00:00:00:00"));

	/* coordinates: one finding at the holder, ranges, pair order, placeholders */
	uint8_t inner[64], body[256];
	size_t k = 0, b = 0;
	k += pb_f32(inner + k, 1, -122.084068f);
	k += pb_f32(inner + k, 2, 37.422001f);
	b += pb_msg(body + b, 7, inner, k);
	k = 0; /* ambiguous doubles: latitude first */
	k += pb_f64(inner + k, 1, 52.520008);
	k += pb_f64(inner + k, 2, 13.404954);
	b += pb_msg(body + b, 8, inner, k);
	k = 0; /* -1000/-1000: no fix */
	k += pb_f32(inner + k, 1, -1000.0f);
	k += pb_f32(inner + k, 2, -1000.0f);
	b += pb_msg(body + b, 9, inner, k);
	k = 0; /* out of range: no position */
	k += pb_f64(inner + k, 1, 200.5);
	k += pb_f64(inner + k, 2, 300.25);
	b += pb_msg(body + b, 10, inner, k);
	b += pb_str(body + b, 11, "48.856613/2.352222");
	b += pb_str(body + b, 12, "-1000.000000/-1000.000000");
	run_body(&x, body, b, 0, NULL, -1, NULL, true, &c);
	const tfind *p7 = find(&c, "location.coordinates", "7"), *p8 = find(&c, "location.coordinates", "8");
	CHECK(p7 && !strcmp(p7->value, "37.422001,-122.084068"));
	CHECK(p8 && !strcmp(p8->value, "52.520008,13.404954"));
	CHECK(!find(&c, "location.coordinates", "9") && !find(&c, "location.coordinates", "10"));
	const tfind *p11 = find(&c, "location.coordinates", "11");
	CHECK(p11 && !strcmp(p11->value, "48.856613,2.352222"));
	CHECK(!find(&c, "location.coordinates", "12"));
	size_t ncoord = 0;
	for (size_t i = 0; i < c.n; i++)
		ncoord += !strcmp(c.f[i].cat, "location.coordinates");
	CHECK_EQ(ncoord, 3);

	/* JSON latitude/longitude, scaled integers; 0/0 is no fix */
	static const char j2[] = "{\"loc\":{\"latitude\":31230416,\"longitude\":121473701},"
	                         "\"home\":{\"lat\":0,\"lng\":0}}";
	run_body(&x, (const uint8_t *)j2, strlen(j2), 0, NULL, -1, NULL, true, &c);
	const tfind *jl = find(&c, "location.coordinates", "json.loc");
	CHECK(jl && !strcmp(jl->value, "31.230416,121.473701"));
	CHECK(!find(&c, "location.coordinates", "json.home"));
	free(c.f);
	tdet_free(&x);
}

static const char *write_text(const char *name, const char *text) { return t_write_tmp(name, text, strlen(text)); }

TEST(detect_fields_file_extends_and_overrides)
{
	const char *good = write_text("fields_good.tsv",
	                               "# user layouts\n"
	                               "4242\treq\t3.1\tprofile.name\tname\tuser.layout\n"
	                               "4242\treq\t3.2\t-\t-\n"
	                               "4242\treq\t:json.secret\tcontacts\tany\n");
	REQUIRE(good);
	mml_detect_cfg *cfg = mml_detect_cfg_new();
	REQUIRE(cfg);
	CHECK(mml_detect_cfg_fields_file(cfg, good, NULL, NULL) == MML_OK);
	CHECK(mml_detect_cfg_fields_file(cfg, "/nonexistent/fields.tsv", NULL, NULL) != MML_OK);
	tdet x;
	REQUIRE(tdet_init(&x, cfg));
	mml_detect_cfg_free(cfg);
	uint8_t inner[128], body[256];
	size_t k = 0, b = 0;
	k += pb_str(inner + k, 1, "Jamie Doe");
	k += pb_str(inner + k, 2, "wx0123456789abcdef"); /* silenced by '-' */
	b += pb_msg(body + b, 3, inner, k);
	b += pb_str(body + b, 4, "{\"secret\":\"x-17\"}");
	tcoll c = {0};
	run_body(&x, body, b, 0, NULL, 4242, NULL, true, &c);
	const tfind *nm = find(&c, "profile.name", "3.1");
	CHECK(nm && !strcmp(nm->det, "user.layout") && !strcmp(nm->value, "Jamie Doe"));
	CHECK(!find(&c, NULL, "3.2"));
	CHECK(find(&c, "contacts", "4:json.secret") != NULL);
	/* the same body under another request type: only the generic detectors */
	run_body(&x, body, b, 0, NULL, 4243, NULL, true, &c);
	CHECK(!find(&c, "profile.name", "3.1"));
	CHECK(find(&c, "miniprogram.id", "3.2") != NULL);
	free(c.f);
	tdet_free(&x);
}

static int diag_count;
static void count_diag(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
	diag_count++;
}

TEST(detect_fields_and_known_bad_lines_reported)
{
	const char *bad = write_text("fields_bad.tsv",
	                              "1\treq\t2\tno.such.category\tany\n"
	                              "1\tsideways\t2\tcontacts\tany\n"
	                              "1\treq\t2\tcontacts\tnosuchcheck\n"
	                              "x\treq\t2\tcontacts\tany\n"
	                              "only\ttwo\n"
	                              "1\treq\t2\tcontacts\tany\n");
	mml_detect_cfg *cfg = mml_detect_cfg_new();
	REQUIRE(cfg && bad);
	diag_count = 0;
	CHECK(mml_detect_cfg_fields_file(cfg, bad, count_diag, NULL) == MML_OK);
	CHECK_EQ(diag_count, 5);
	diag_count = 0;
	const char *kf = write_text("known_bad.txt", "# c\nphone=+14155550100\nnoequals\n=x\nname=ab\n");
	CHECK(mml_detect_cfg_known_file(cfg, kf, count_diag, NULL) == MML_OK);
	CHECK_EQ(diag_count, 3);
	char err[128];
	mml_detect *d = mml_detect_new(cfg, err, sizeof err);
	CHECK(d != NULL); /* the good lines are used */
	mml_detect_free(d);
	mml_detect_cfg_free(cfg);
}

/* ---- known values ---- */

TEST(detect_known_values_in_every_form)
{
	mml_detect_cfg *cfg = mml_detect_cfg_new();
	REQUIRE(cfg);
	CHECK(mml_detect_cfg_known(cfg, "phone", "+1 415-555-0133") == MML_OK);
	CHECK(mml_detect_cfg_known(cfg, "imei", "355708110123451") == MML_OK);
	CHECK(mml_detect_cfg_known(cfg, "home", "37.4220,-122.0841") == MML_OK);
	CHECK(mml_detect_cfg_known(cfg, "secret", "Hunter2Pass") == MML_OK);
	CHECK(mml_detect_cfg_known(cfg, "uin", "1505495844") == MML_OK);
	CHECK(mml_detect_cfg_known(cfg, "x", "ab") != MML_OK);
	tdet x;
	REQUIRE(tdet_init(&x, cfg));
	mml_detect_cfg_free(cfg);
	/* md5 of the national number, SHA-256 (upper case) of the digits with the country code */
	char md5hex[33], shahex[65], js[1024];
	unsigned char dg[64];
	unsigned int dl = 0;
	EVP_Digest("4155550133", 10, dg, &dl, EVP_md5(), NULL);
	for (unsigned i = 0; i < dl; i++)
		snprintf(md5hex + 2 * i, 3, "%02x", dg[i]);
	EVP_Digest("14155550133", 11, dg, &dl, EVP_sha256(), NULL);
	for (unsigned i = 0; i < dl; i++)
		snprintf(shahex + 2 * i, 3, "%02X", dg[i]);
	snprintf(js, sizeof js,
	         "{\"a\":\"call 4155550133 now\",\"b\":\"333535373038313130313233343531\","
	         "\"c\":\"MzU1NzA4MTEwMTIzNDUx\",\"d\":\"hunter2pass\",\"e\":\"tel:%%2B1%%20415-555-0133\","
	         "\"g\":\"37.4219/-122.0840\",\"h\":\"%s\",\"i\":\"%s\",\"j\":{\"x\":\"37\",\"y\":\"-122\"}}",
	         md5hex, shahex);
	tcoll c = {0};
	run_body(&x, (const uint8_t *)js, strlen(js), 0, NULL, -1, NULL, true, &c);
	const tfind *a = find(&c, "contacts", "json.a");
	CHECK(a && !strcmp(a->known, "phone") && !strcmp(a->form, "plain"));
	/* the decoder unwraps hex and base64: the value is found inside, the form says how it was written */
	const tfind *b = find(&c, "identity.device", "json.b:hex");
	if (!b)
		b = find(&c, "identity.device", "json.b");
	CHECK(b && !strcmp(b->known, "imei") && !strcmp(b->form, "hex"));
	const tfind *cc = find(&c, "identity.device", "json.c:base64");
	CHECK(cc && !strcmp(cc->form, "base64"));
	const tfind *d = find(&c, NULL, "json.d");
	CHECK(d && !strcmp(d->known, "secret") && !strcmp(d->form, "casefold"));
	const tfind *e = find(&c, "contacts", "json.e");
	CHECK(e && !strcmp(e->known, "phone"));
	const tfind *g = find(&c, "location.coordinates", "json.g");
	CHECK(g && !strcmp(g->known, "home") && !strcmp(g->form, "near") && !strcmp(g->value, "37.421900,-122.084000"));
	const tfind *h = find(&c, "contacts", "json.h"), *i = find(&c, "contacts", "json.i");
	CHECK(h && !strcmp(h->form, "md5"));
	CHECK(i && !strcmp(i->form, "sha256"));
	/* a number is also found as a protobuf varint */
	static const uint8_t pb[] = {0x10, 0xa4, 0x96, 0xf0, 0xcd, 0x05, 0x18, 0x07};
	run_body(&x, pb, sizeof pb, 0, NULL, -1, NULL, true, &c);
	const tfind *u = find(&c, "identity.account", "2");
	CHECK(u && !strcmp(u->known, "uin") && !strcmp(u->value, "1505495844"));
	free(c.f);
	tdet_free(&x);
}

/* ---- acceptance 1: the simulator's ground truth ---- */

#define NCAT 64
typedef struct prc {
	char cat[40];
	long tp, fp, fn, badval;
} prc;

static prc *prc_get(prc *t, int *n, const char *cat)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(t[i].cat, cat))
			return &t[i];
	if (*n >= NCAT)
		return &t[NCAT - 1];
	prc *p = &t[(*n)++];
	memset(p, 0, sizeof *p);
	snprintf(p->cat, sizeof p->cat, "%s", cat);
	return p;
}

static int shown_fp, shown_fn;

static void sim_compare(tdet *x, json_t *msgs, prc *t, int *nt, long *nmsg)
{
	size_t i;
	json_t *m;
	mml_buf body, inf;
	mml_buf_init(&body, 0);
	mml_buf_init(&inf, 0);
	tcoll c = {0};
	json_array_foreach(msgs, i, m)
	{
		const char *hex = t_str(m, "body_hex");
		if (!hex)
			continue;
		mml_buf_reset(&body);
		mml_hexdump_decode(hex, strlen(hex), &body);
		const mml_buf *b = &body;
		if (body.len > 2 && body.p[0] == 0x78) {
			mml_buf_reset(&inf);
			if (mml_inflate(body.p, body.len, 1 << 24, &inf) == MML_OK)
				b = &inf;
		}
		const char *uri = t_str(m, "uri");
		const char *q = uri ? strchr(uri, '?') : NULL;
		json_t *rt = json_object_get(m, "req_type");
		run_body(x, b->p, b->len, (uint32_t)json_integer_value(json_object_get(m, "uin")), q ? q + 1 : NULL,
		         json_is_integer(rt) ? json_integer_value(rt) : -1, t_str(m, "api"),
		         !strcmp(t_str(m, "dir"), "request"), &c);
		(*nmsg)++;
		json_t *pii = json_object_get(m, "pii");
		char *used = calloc(c.n + 1, 1);
		size_t k;
		json_t *p;
		json_array_foreach(pii, k, p)
		{
			const char *cat = t_str(p, "category"), *path = t_str(p, "path"), *val = t_str(p, "value");
			prc *e = prc_get(t, nt, cat);
			size_t j = 0;
			for (; j < c.n; j++)
				if (!strcmp(c.f[j].cat, cat) && !strcmp(c.f[j].path, path))
					break;
			if (j == c.n) {
				e->fn++;
				if (shown_fn++ < 12)
					printf("    FN %s %s %s = '%.80s'\n", t_str(m, "api"), cat, path, val);
				continue;
			}
			if (used[j])
				continue; /* the truth lists it twice */
			used[j] = 1;
			e->tp++;
			if (strcmp(c.f[j].value, val)) {
				e->badval++;
				if (shown_fn++ < 12)
					printf("    VALUE %s %s %s = '%.60s', found '%.60s'\n", t_str(m, "api"), cat, path, val,
					       c.f[j].value);
			}
		}
		for (size_t j = 0; j < c.n; j++)
			if (!used[j]) {
				prc_get(t, nt, c.f[j].cat)->fp++;
				if (shown_fp++ < 12)
					printf("    FP %s %s %s %s = '%.80s'\n", t_str(m, "api"), c.f[j].det, c.f[j].cat, c.f[j].path,
					       c.f[j].value);
			}
		free(used);
	}
	free(c.f);
	mml_buf_free(&body);
	mml_buf_free(&inf);
}

TEST(detect_sim_truth_precision_recall)
{
	tdet x;
	REQUIRE(tdet_init(&x, NULL));
	static prc t[NCAT];
	int nt = 0;
	long nmsg = 0;
	shown_fp = shown_fn = 0;
	static const char *const sc[] = {"startup", "messaging", "miniprogram", "all"};
	/* seeds and device counts per (scenario, location); MMLENS_DETECT_SIM_RUNS for more */
	const char *nv_env = getenv("MMLENS_DETECT_SIM_RUNS");
	char *nv_end = NULL;
	long nvl = nv_env ? strtol(nv_env, &nv_end, 10) : 4;
	if (nv_env && (nv_end == nv_env || *nv_end || nvl > 100000)) {
		mml_test_fail(__FILE__, __LINE__, "MMLENS_DETECT_SIM_RUNS=%s: not a number up to 100000", nv_env);
		nvl = 4;
	}
	int nv = nvl < 1 ? 1 : (int)nvl;
	int runs = 0;
	for (size_t s = 0; s < 4; s++)
		for (int loc = 0; loc < 2; loc++)
			for (int v = 0; v < nv; v++) {
				char tag[64], args[160], pcap[512], keys[512], truth[512];
				snprintf(tag, sizeof tag, "det_%s_%d_%d", sc[s], loc, v);
				snprintf(args, sizeof args, "--scenario %s --location %s --seed %d --devices %d", sc[s],
				         loc ? "on" : "off", 11 + v + 97 * (int)s, 1 + v % 4 + (v % 5 == 4 ? 4 : 0));
				if (t_simulate(tag, args, pcap, keys, truth, sizeof pcap) != 0) {
					mml_test_fail(__FILE__, __LINE__, "simulator failed: %s", args);
					continue;
				}
				json_t *msgs = t_load_jsonl(truth);
				sim_compare(&x, msgs, t, &nt, &nmsg);
				json_decref(msgs);
				remove(pcap);
				remove(keys);
				remove(truth);
				runs++;
			}
	CHECK_EQ(runs, 8 * nv);
	long tp = 0, fp = 0, fn = 0, bad = 0;
	char line[2048] = "";
	size_t ll = 0;
	for (int i = 0; i < nt; i++) {
		double p = t[i].tp + t[i].fp ? (double)t[i].tp / (double)(t[i].tp + t[i].fp) : 1;
		double r = t[i].tp + t[i].fn ? (double)t[i].tp / (double)(t[i].tp + t[i].fn) : 1;
		printf("    %-22s tp %6ld fp %4ld fn %4ld value mismatch %3ld  precision %.4f recall %.4f\n", t[i].cat,
		       t[i].tp, t[i].fp, t[i].fn, t[i].badval, p, r);
		if (p < 0.99 || r < 0.99)
			mml_test_fail(__FILE__, __LINE__, "%s: precision %.4f recall %.4f", t[i].cat, p, r);
		if (ll < sizeof line - 64)
			ll += (size_t)snprintf(line + ll, sizeof line - ll, "%s%s %.3f/%.3f", i ? ", " : "", t[i].cat, p, r);
		tp += t[i].tp, fp += t[i].fp, fn += t[i].fn, bad += t[i].badval;
	}
	CHECK_EQ(bad, 0);
	CHECK(nt >= 21);
	mml_test_note("%ld messages, %ld truth items; precision/recall per category: %s", nmsg, tp + fn, line);
	tdet_free(&x);
}

/* ---- acceptance 2: the real plaintext log ---- */

typedef struct logrun {
	tcoll line[320]; /* findings per line (1-based) */
	size_t nbodies, body_bytes;
} logrun;

static void scan_log(tdet *x, logrun *lr)
{
	memset(lr, 0, sizeof *lr);
	mml_catalog cat;
	mml_catalog_init(&cat);
	mml_catalog_load_builtin(&cat);
	mml_plainlog *l = mml_plainlog_open(mml_test_data(LOG), &cat, 1 << 24, NULL, NULL);
	if (!l) {
		mml_test_fail(__FILE__, __LINE__, "cannot open %s", mml_test_data(LOG));
		mml_catalog_free(&cat);
		return;
	}
	mml_msg m;
	while (mml_plainlog_next(l, &m) == MML_OK) {
		if (m.id >= 320)
			continue;
		run_body(x, m.body, m.body_len, 0, NULL, m.req_type, m.api, true, &lr->line[m.id]);
		lr->nbodies++;
		lr->body_bytes += m.body_len;
	}
	mml_plainlog_close(l);
	mml_catalog_free(&cat);
}

static void logrun_free(logrun *lr)
{
	for (int i = 0; i < 320; i++)
		free(lr->line[i].f);
}

TEST(detect_real_log_acceptance)
{
	tdet x;
	REQUIRE(tdet_init(&x, NULL));
	static logrun lr;
	scan_log(&x, &lr);
	REQUIRE(lr.nbodies == 304);
	/* coordinates at 296 (field 7) and 304 (field 3), float32 {1: lon, 2: lat}; line 297 (request
	 * type 1417) sends the same fix at field 1 */
	const tfind *c296 = find(&lr.line[296], "location.coordinates", "7");
	const tfind *c304 = find(&lr.line[304], "location.coordinates", "3");
	CHECK(c296 && !strcmp(c296->value, "37.422001,-122.084068"));
	CHECK(c304 && !strcmp(c304->value, "37.422001,-122.084068"));
	const tfind *c297 = find(&lr.line[297], "location.coordinates", "1");
	CHECK(c297 && !strcmp(c297->value, "37.422001,-122.084068"));
	/* exactly those three (and no coordinates with the permission off, lines 181-271) */
	int ncoord = 0;
	for (int i = 1; i <= 304; i++)
		for (size_t k = 0; k < lr.line[i].n; k++)
			if (!strcmp(lr.line[i].f[k].cat, "location.coordinates")) {
				ncoord++;
				CHECK(i == 296 || i == 297 || i == 304);
			}
	CHECK_EQ(ncoord, 3);
	/* line 245: -1000.000000/-1000.000000 in a cell is no location; the IMEI placeholder next to it is */
	const tcoll *l245 = &lr.line[245];
	CHECK(!find(l245, "location.coordinates", NULL));
	CHECK(!find(l245, "location.place", NULL));
	const tfind *imei = find_value(l245, "identity.device", "1234567890ABCDEF");
	CHECK(imei && imei->placeholder);
	/* the Didi Mini Program: search (226), appid and username (235, 236, 249, 250), activity */
	CHECK(find_value(&lr.line[226], "search.query", "滴滴打车程序"));
	CHECK(find_value(&lr.line[235], "miniprogram.id", "gh_7a5c4141778f@app"));
	CHECK(find_value(&lr.line[236], "miniprogram.id", "gh_7a5c4141778f@app"));
	CHECK(find_value(&lr.line[249], "miniprogram.id", "wxaf35009675aa0b2a"));
	CHECK(find_value(&lr.line[250], "miniprogram.id", "wxaf35009675aa0b2a"));
	CHECK(find_value(&lr.line[249], "miniprogram.activity", "webapi_getwxabusinessconfig"));
	/* subpackage paths next to the appid (252: /map/, 253: /webx-mp-next/, 260..270) */
	CHECK(find(&lr.line[252], "miniprogram.activity", "2[0].1.3") &&
	      !strcmp(find(&lr.line[252], "miniprogram.activity", "2[0].1.3")->value, "/map/"));
	CHECK(find_value(&lr.line[253], "miniprogram.activity", "/webx-mp-next/"));
	int subpkg = 0;
	for (int i = 252; i <= 270; i++)
		subpkg += find(&lr.line[i], "miniprogram.activity", "2[0].1.3") != NULL;
	CHECK(subpkg >= 10);
	/* the permission request: js-authorize's scope, the JS API getLocation (254) */
	const tfind *perm = find(&lr.line[254], "miniprogram.activity", "6");
	CHECK(perm && !strcmp(perm->value, "getLocation"));
	/* page paths in the telemetry batch (pages%2Findex%2Findex cells) and the Pinduoduo user id */
	int pages = 0, pdd = 0, reqs = 0;
	for (size_t k = 0; k < l245->n; k++) {
		const tfind *f = &l245->f[k];
		pages += !strcmp(f->cat, "miniprogram.activity") && !strncmp(f->value, "pages/index/index", 17);
		pdd += !strcmp(f->cat, "identity.thirdparty") && !strcmp(f->value, "2166950396834") && strstr(f->path, "url.pdduid");
		reqs += !strcmp(f->cat, "miniprogram.requests") && strstr(f->value, "pinduoduo.com");
	}
	CHECK(pages >= 5);
	CHECK(pdd >= 5);
	CHECK(reqs >= 5);
	/* the BaseRequest of nearly every request */
	const tfind *uin = find(&lr.line[14], "identity.account", "1.2");
	const tfind *dev = find(&lr.line[14], "identity.device", "1.3");
	const tfind *dt = find(&lr.line[14], "device.info", "1.5");
	CHECK(uin && !strcmp(uin->value, "1505495844"));
	CHECK(dev && !strcmp(dev->value, "A9543d226cb39f0"));
	CHECK(dt && !strcmp(dt->value, "android-32"));
	int baseq = 0;
	for (int i = 1; i <= 304; i++)
		baseq += find(&lr.line[i], "identity.account", "1.2") != NULL;
	CHECK(baseq >= 150);
	/* the carrier (name and MCC-MNC next to each other in the kv batch) and the client IP (173) */
	CHECK(find_value(l245, "network.carrier", "T-Mobile"));
	CHECK(find_value(l245, "network.carrier", "310260"));
	const tfind *ip = find(&lr.line[173], "network.ip", "4");
	CHECK(ip && !strcmp(ip->value, "128.100.127.10"));
	/* counts per category (the hand review of docs/TAXONOMY.md is against these) */
	prc t[NCAT];
	int nt = 0;
	long total = 0;
	for (int i = 1; i <= 304; i++)
		for (size_t k = 0; k < lr.line[i].n; k++, total++)
			prc_get(t, &nt, lr.line[i].f[k].cat)->tp++;
	char line[1536] = "";
	size_t ll = 0;
	for (int i = 0; i < nt && ll < sizeof line - 48; i++)
		// cppcheck-suppress uninitvar ; false positive: prc_get clears each entry it adds; i < nt
		ll += (size_t)snprintf(line + ll, sizeof line - ll, "%s%s %ld", i ? ", " : "", t[i].cat, t[i].tp);
	mml_test_note("%ld findings on the real log: %s", total, line);
	if (getenv("MMLENS_TEST_VERBOSE"))
		for (int i = 1; i <= 304; i++)
			for (size_t k = 0; k < lr.line[i].n; k++) {
				const tfind *f = &lr.line[i].f[k];
				printf("    %d %s %s %s '%.100s'%s\n", i, f->cat, f->det, f->path, f->value,
				       f->placeholder ? " placeholder" : "");
			}
	logrun_free(&lr);
	tdet_free(&x);
}

/* ---- acceptance 3: the real capture's secautoauth device fingerprint ---- */

TEST(detect_real_capture_auth_fingerprint)
{
	t_run r;
	t_decrypt(&r, mml_test_data(CAP), mml_test_data(KEYS), NULL);
	tdet x;
	REQUIRE(tdet_init(&x, NULL));
	size_t i;
	json_t *m;
	int seen = 0;
	tcoll c = {0};
	mml_buf body;
	mml_buf_init(&body, 0);
	json_array_foreach(r.messages, i, m)
	{
		const char *api = t_str(m, "api"), *hex = t_str(m, "body_hex"), *dir = t_str(m, "dir");
		if (!api || !hex || strcmp(api, "/cgi-bin/micromsg-bin/secautoauth") || strcmp(dir, "request"))
			continue;
		seen++;
		mml_buf_reset(&body);
		REQUIRE(mml_hexdump_decode(hex, strlen(hex), &body) == MML_OK);
		json_t *h = json_object_get(m, "header");
		run_body(&x, body.p, body.len, (uint32_t)json_integer_value(json_object_get(h, "uin")), NULL, 763, api, true,
		         &c);
		const tfind *k4 = find(&c, "identity.device", "2.5:xml.softtype.k4");
		const tfind *k48 = find(&c, "identity.device", "2.5:xml.softtype.k48");
		const tfind *k14 = find(&c, "identity.device", "2.5:xml.softtype.k14");
		const tfind *k22 = find(&c, "network.carrier", "2.5:xml.softtype.k22");
		const tfind *k7 = find(&c, "identity.device", "2.5:xml.softtype.k7");
		const tfind *man = find(&c, "device.info", "2.10:xml.deviceinfo.MANUFACTURER@name");
		const tfind *mod = find(&c, "device.info", "2.10:xml.deviceinfo.MANUFACTURER.MODEL@name");
		const tfind *imei = find(&c, "identity.device", "2.4");
		CHECK(k4 && k4->placeholder && !strcmp(k4->value, "1234567890ABCDEF"));
		CHECK(k48 && k48->placeholder);
		CHECK(k14 && k14->placeholder && !strcmp(k14->value, "02:00:00:00:00:00"));
		CHECK(k22 && !k22->placeholder && !strcmp(k22->value, "T-Mobile"));
		CHECK(k7 && !k7->placeholder && !strcmp(k7->value, "59564b17e0d4d98a"));
		CHECK(man && !strcmp(man->value, "Google"));
		CHECK(mod && !strcmp(mod->value, "sdk_gphone64_arm64"));
		CHECK(imei && imei->placeholder);
		CHECK(find(&c, "identity.account", "2.1.2") && find(&c, "identity.account", "header.uin"));
		CHECK(find(&c, "identity.device", "2.1.3") && find(&c, "device.info", "2.1.5"));
		CHECK(find(&c, "device.info", "2.5:xml.softtype.k34") && find(&c, "network.type", "2.5:xml.softtype.k47"));
		CHECK(find(&c, "locale", "2.11") && find(&c, "identity.device", "2.5:xml.softtype.k63"));
		CHECK(!find(&c, NULL, "2.5:xml.softtype.k32")); /* a server address */
		/* nothing else is called a location */
		CHECK(!find(&c, "location.coordinates", NULL));
		mml_test_note("%zu findings in the secautoauth request", c.n);
	}
	CHECK_EQ(seen, 1);
	/* the login response names the account, and getnetworkinfo's response the address the server saw */
	json_array_foreach(r.messages, i, m)
	{
		const char *api = t_str(m, "api"), *hex = t_str(m, "body_hex"), *dir = t_str(m, "dir");
		if (!api || !hex || !*hex)
			continue;
		mml_buf_reset(&body);
		REQUIRE(mml_hexdump_decode(hex, strlen(hex), &body) == MML_OK);
		json_t *rt = json_object_get(m, "req_type");
		json_t *h = json_object_get(m, "header");
		run_body(&x, body.p, body.len, (uint32_t)json_integer_value(json_object_get(h, "uin")), NULL,
		         json_is_integer(rt) ? json_integer_value(rt) : -1, api, !strcmp(dir, "request"), &c);
		if (!strcmp(api, "/cgi-bin/micromsg-bin/secautoauth") && !strcmp(dir, "response")) {
			CHECK(find_value(&c, "identity.account", "wxid_26p3vbxxl9tu22"));
			CHECK(find_value(&c, "profile.name", "Lena Xu"));
			CHECK(find_value(&c, "contacts", "+14158496021"));
		}
		if (!strcmp(api, "/cgi-bin/micromsg-bin/getnetworkinfo") && !strcmp(dir, "response"))
			CHECK(find_value(&c, "network.ip", "170.39.171.155"));
	}
	mml_buf_free(&body);
	free(c.f);
	tdet_free(&x);
	t_run_free(&r);
}

/* ---- white box: the path hashes of walk.c ---- */

/* The node printed at path (MML_DNONE when none). */
static uint32_t node_at(const mml_dtree *t, const char *path)
{
	char buf[MML_PATH_MAX];
	for (uint32_t i = 0; i < t->count; i++)
		if (mml_dtree_path(t, i, buf, sizeof buf) < sizeof buf && !strcmp(buf, path))
			return i;
	return MML_DNONE;
}

TEST(detect_path_hashes_normalised)
{
	/* walk.c hashes decode's path segments (mml_dpath_seg) without repeat
	 * indexes and JSON array positions, keeping record columns and packed
	 * elements: the paths of data/fields.tsv; the local hash is the part
	 * after the last format boundary */
	tdet x;
	REQUIRE(tdet_init(&x, NULL));
	uint8_t body[256];
	size_t n = 0;
	static const char *const vals[] = {"{\"a\":[1,{\"b\":2}]}", "x,y,z"};
	for (int i = 0; i < 2; i++) {
		size_t l = strlen(vals[i]);
		body[n++] = 0x22; /* field 4, length-delimited */
		body[n++] = (uint8_t)l;
		memcpy(body + n, vals[i], l);
		n += l;
	}
	static const uint8_t packed[] = {0x2a, 6, 0x81, 0x01, 0x82, 0x01, 0x83, 0x01}; /* field 5 */
	memcpy(body + n, packed, sizeof packed);
	n += sizeof packed;
	mml_decode_body(&x.t, body, n);
	mml_decode_meta_url(&x.t, "query", "uin=1&uin=2", 11);
	mml_detect_msg dm = {.req_type = -1, .request = true};
	drun r = {.d = x.d, .s = x.s, .t = &x.t, .m = &dm, .request = true};
	x.s->all_hashes = true;
	REQUIRE(walk_prepare(&r));
	static const struct {
		const char *path, *full, *local;
	} want[] = {
		{"4[0]:json.a[1].b", "4:json.a.b", "json.a.b"},
		{"4[1]:csv[2]", "4:csv[2]", "csv[2]"},
		{"5:packed[2]", "5:packed[2]", "packed[2]"},
		{"query.uin[1]", "query.uin", NULL},
		{"4[0]", "4", NULL},
	};
	for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
		uint32_t i = node_at(&x.t, want[k].path);
		if (i == MML_DNONE) {
			mml_test_fail(__FILE__, __LINE__, "no node at %s", want[k].path);
			continue;
		}
		CHECK_EQ(x.s->hf[i], lay_hash_add(lay_hash_init(), want[k].full, strlen(want[k].full)));
		CHECK_EQ(!!(x.s->nfl[i] & NF_LOCAL), want[k].local != NULL);
		if (want[k].local)
			CHECK_EQ(x.s->hl[i], lay_hash_add(lay_hash_init(), want[k].local, strlen(want[k].local)));
	}
	tdet_free(&x);
}

/* ---- white box: the byte classes the decoder leaves on record cells ---- */

/* MML_TC_* of p[0..n), 0 when it holds a byte trimming or the decoder's text check would take */
static unsigned tc_of(const uint8_t *p, size_t n)
{
	unsigned k = MML_TC_KNOWN;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c <= ' ' || c == 0x7f)
			return 0;
		k |= c >= '0' && c <= '9'                           ? MML_TC_DIGIT
		     : (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ? MML_TC_ALPHA
		     : c == '/'                                        ? MML_TC_SLASH
		     : c == '@'                                        ? MML_TC_AT
		     : c == '|'                                        ? MML_TC_PIPE
		     : c == ','                                        ? MML_TC_COMMA
		     : c == '.'                                        ? MML_TC_DOT
		                                                       : MML_TC_OTHER;
	}
	return k;
}

/* every cell's tcls: its bytes' classes, and the shapes found with them those found without */
static long check_cells(const mml_dtree *t, long *bad)
{
	long known = 0;
	for (uint32_t i = 0; i < t->count; i++) {
		const mml_dnode *d = &t->n[i];
		if (!d->tcls)
			continue;
		known++;
		vstr v = {(const char *)d->val, d->val ? d->val_len : 0};
		if ((d->kind != MML_DK_CSV_CELL || d->tcls != tc_of(d->val, v.n) ||
		     classify_k(v, d->tcls) != classify(v)) &&
		    (*bad)++ < 5)
			mml_test_fail(__FILE__, __LINE__, "node %u (%.*s): tcls %#x, bytes say %#x", i, (int)v.n, v.p,
			              d->tcls, tc_of(d->val, v.n));
	}
	return known;
}

TEST(detect_cell_classes_match_bytes)
{
	tdet x;
	REQUIRE(tdet_init(&x, NULL));
	static const char rec[] =
		"wxid_abcdefgh1234,a@b.example.com,00:11:22:33:44:55,ab|cd|ef,h\xc3\xa9llo w,x.y/z,12345,46000,"
		"gh_0123456789ab,A0123456789ABCDE,wx0123456789abcdef,+8613800138000,39.9042,116.4074/39.9,"
		"12345678@chatroom,sp ace,com.tencent.mm.ui.LauncherUI,pages/index/index,WIFI,\"k\":1,a,,7";
	uint8_t body[512];
	size_t rn = sizeof rec - 1;
	body[0] = 0x0a;
	body[1] = (uint8_t)(0x80 | (rn & 0x7f));
	body[2] = (uint8_t)(rn >> 7);
	memcpy(body + 3, rec, rn);
	long bad = 0, known = 0;
	mml_decode_body(&x.t, body, rn + 3);
	long k0 = check_cells(&x.t, &bad);
	CHECK(k0 >= 15);
	known += k0;
	mml_catalog cat;
	mml_catalog_init(&cat);
	mml_catalog_load_builtin(&cat);
	mml_plainlog *l = mml_plainlog_open(mml_test_data(LOG), &cat, 1 << 24, NULL, NULL);
	REQUIRE(l);
	mml_msg m;
	while (mml_plainlog_next(l, &m) == MML_OK) {
		mml_decode_body(&x.t, m.body, m.body_len);
		known += check_cells(&x.t, &bad);
	}
	mml_plainlog_close(l);
	mml_catalog_free(&cat);
	CHECK_EQ(bad, 0);
	mml_test_note("%ld cells with known byte classes", known);
	tdet_free(&x);
}
