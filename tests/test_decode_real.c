/*
 * tests/test_decode_real.c - stage 5, acceptance on real and simulated
 * data: every ground-truth path of every simulator scenario, the
 * published plaintext log (../shared/data/wechat-logs), and the published
 * decode of the two autoauth plaintexts, compared field by field.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/crypto.h"
#include "mmlens/decode.h"
#include "test.h"
#include "test_decode.h"
#include "util.h"

/* ---- acceptance: the simulator's ground truth ---- */


typedef struct sim_res {
	int msgs, pii, paths, values, pairs;
} sim_res;

static void sim_truth(const char *scenario, const char *loc, sim_res *r)
{
	char pcap[512], keys[512], truth[512], tag[64], args[128];
	snprintf(tag, sizeof tag, "dec_%s_%s", scenario, loc);
	snprintf(args, sizeof args, "--scenario %s --location %s --seed 11", scenario, loc);
	REQUIRE(t_simulate(tag, args, pcap, keys, truth, sizeof pcap) == 0);
	json_t *tr = t_load_jsonl(truth);
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	size_t i;
	json_t *m;
	int fails = 0;
	json_array_foreach(tr, i, m)
	{
		const char *hex = t_str(m, "body_hex");
		json_t *pii = json_object_get(m, "pii");
		if (!hex)
			continue;
		mml_buf raw, body;
		int z = hexbody(hex, &raw, &body);
		CHECK(z >= 0);
		const mml_buf *b = z == 1 ? &body : &raw;
		REQUIRE(mml_decode_body(&t, b->p, b->len) == MML_OK);
		CHECK(!t.limit_hit);
		r->msgs++;
		/* what scan.c adds next to the body: the HTTP query, the business header's uin */
		const char *uri = t_str(m, "uri");
		const char *q = uri ? strchr(uri, '?') : NULL;
		if (q && q[1]) {
			CHECK(mml_decode_meta_url(&t, "query", q + 1, strlen(q + 1)) == MML_OK);
		} else { /* no request target in the truth line: the query from its own query.* items */
			char qs[1024] = "";
			size_t k, ql = 0;
			json_t *p;
			json_array_foreach(pii, k, p)
			{
				const char *path = t_str(p, "path"), *val = t_str(p, "value");
				if (path && val && !strncmp(path, "query.", 6) && ql < sizeof qs - 1)
					ql += (size_t)snprintf(qs + ql, sizeof qs - ql, "%s%s=%s", ql ? "&" : "", path + 6, val);
			}
			if (ql && ql < sizeof qs)
				CHECK(mml_decode_meta_url(&t, "query", qs, ql) == MML_OK);
		}
		json_t *uin = json_object_get(m, "uin");
		if (json_is_integer(uin) && json_integer_value(uin))
			CHECK(mml_decode_meta_uint(&t, "header", "uin", (uint64_t)json_integer_value(uin)) == MML_OK);
		size_t k;
		json_t *p;
		char **paths = all_paths(&t);
		json_array_foreach(pii, k, p)
		{
			const char *path = t_str(p, "path"), *val = t_str(p, "value"), *cat = t_str(p, "category");
			if (!path || !val || !cat)
				continue;
			r->pii++;
			bool pair = !strcmp(cat, "location.coordinates");
			bool found = false, same = false;
			for (uint32_t j = 0; j < t.count; j++) {
				if (!paths[j] || strcmp(paths[j], path))
					continue;
				found = true;
				char txt[2048];
				node_text(&t.n[j], txt, sizeof txt);
				if (!strcmp(txt, val))
					same = true;
			}
			r->paths += found;
			if (pair)
				r->pairs += found;
			else
				r->values += same;
			if ((!found || (!pair && !same)) && fails++ < 8)
				mml_test_fail(__FILE__, __LINE__, "%s/%s msg %zu (%s): %s path %s value \"%s\": %s", scenario, loc,
				              i + 1, t_str(m, "api") ? t_str(m, "api") : "-", cat, path, val,
				              found ? "value differs" : "path missing");
		}
		free_paths(&t, paths);
		mml_buf_free(&raw);
		mml_buf_free(&body);
	}
	mml_dtree_free(&t);
	json_decref(tr);
}

TEST(decode_sim_truth_paths)
{
	static const char *const sc[] = {"startup", "messaging", "miniprogram", "all"};
	sim_res r = {0, 0, 0, 0, 0};
	for (int s = 0; s < 4; s++)
		for (int l = 0; l < 2; l++)
			sim_truth(sc[s], l ? "on" : "off", &r);
	CHECK(r.msgs > 200);
	CHECK_EQ(r.paths, r.pii);
	CHECK_EQ(r.values + r.pairs, r.pii);
	CHECK(r.pairs > 0);
	mml_test_note("8 runs, %d bodies: %d/%d truth paths found, %d values equal, %d coordinate holders", r.msgs,
	              r.paths, r.pii, r.values, r.pairs);
}

/* ---- acceptance: the published plaintext log ---- */

#define LOG "wechat-logs/startup_permissions_on_2.log.jsonl"

typedef struct logbody {
	mml_buf raw, body;
	const mml_buf *b;
} logbody;

/* Every line's body (inflated when it is zlib), NULL when the log is missing. */
static logbody *load_log(int *n)
{
	size_t len;
	char *text = t_slurp(mml_test_data(LOG), &len);
	if (!text)
		return NULL;
	logbody *lb = calloc(400, sizeof *lb);
	int k = 0;
	for (char *line = strtok(text, "\n"); lb && line && k < 400; line = strtok(NULL, "\n")) {
		json_t *o = json_loads(line, 0, NULL);
		const char *hex = o ? t_str(o, "data") : NULL;
		int z = hex ? hexbody(hex, &lb[k].raw, &lb[k].body) : -1;
		if (z < 0)
			mml_buf_init(&lb[k].raw, 0), mml_buf_init(&lb[k].body, 0);
		lb[k].b = z == 1 ? &lb[k].body : &lb[k].raw;
		k++;
		json_decref(o);
	}
	free(text);
	*n = k;
	return lb;
}

static void free_log(logbody *lb, int n)
{
	for (int i = 0; lb && i < n; i++) {
		mml_buf_free(&lb[i].raw);
		mml_buf_free(&lb[i].body);
	}
	free(lb);
}

static bool near(double a, double b) { return a - b < 1e-5 && b - a < 1e-5; }

TEST(decode_real_log)
{
	int n = 0;
	logbody *lb = load_log(&n);
	REQUIRE(lb);
	CHECK_EQ(n, 304);
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	int decoded = 0, msgs = 0, limits = 0;
	uint64_t nodes = 0, bytes = 0;
	for (int i = 0; i < n; i++) {
		REQUIRE(mml_decode_body(&t, lb[i].b->p, lb[i].b->len) == MML_OK);
		CHECK_EQ(check_composed(&t), 0); /* every path is its segments */
		decoded++;
		nodes += t.count;
		bytes += lb[i].b->len;
		msgs += t.n[0].fmt == MML_DF_PB;
		if (t.limit_hit) {
			limits++;
			mml_test_fail(__FILE__, __LINE__, "line %d: limit %s", i + 1, t.limit_hit);
		}
		/* BaseRequest: {1: bytes, 2: uin, 3: device id + NUL, 4: version, 5: "android-32", 6: scene} */
		const mml_dnode *dev = at(&t, "1.3");
		if (dev && dev->kind == MML_DK_STRING && !strcmp(text_at(&t, "1.5"), "android-32")) {
			CHECK_STR(text_at(&t, "1.3"), "A9543d226cb39f0");
			CHECK(dev->flags & MML_DN_NUL_PAD);
			CHECK_STR(text_at(&t, "1.2"), "1505495844");
			CHECK_STR(text_at(&t, "1.4"), "671094583");
			CHECK_EQ(kind_at(&t, "1.1"), MML_DK_BYTES);
		}
		if (i + 1 == 296 || i + 1 == 304) { /* float32 coordinates in fields 1 and 2 of field 7 / 3 */
			const char *f = i + 1 == 296 ? "7" : "3";
			char p1[8], p2[8];
			snprintf(p1, sizeof p1, "%s.1", f);
			snprintf(p2, sizeof p2, "%s.2", f);
			CHECK_EQ(kind_at(&t, f), MML_DK_MSG);
			REQUIRE(at(&t, p1) && at(&t, p2));
			CHECK_EQ(kind_at(&t, p1), MML_DK_FIXED32);
			CHECK(near(mml_dnode_f32(at(&t, p1)), -122.084068));
			CHECK(near(mml_dnode_f32(at(&t, p2)), 37.422001));
		}
		if (i + 1 == 245) { /* 94 KB of telemetry: rows of URL-encoded cells */
			int pdd = 0, thousand = 0, rows = 0;
			char **paths = all_paths(&t);
			for (uint32_t j = 0; j < t.count; j++) {
				const mml_dnode *d = &t.n[j];
				char txt[256];
				node_text(d, txt, sizeof txt);
				if (d->kind == MML_DK_CSV)
					rows++;
				if (d->kind == MML_DK_URL_PARAM && !strcmp(txt, "2166950396834") && strstr(paths[j], ":csv[") &&
				    strstr(paths[j], ":url.pdduid") && !strncmp(paths[j], "4[", 2))
					pdd++;
				if (d->kind == MML_DK_CSV_CELL && !strcmp(txt, "-1000.000000/-1000.000000"))
					thousand++;
			}
			CHECK(pdd >= 10);
			CHECK_EQ(thousand, 2);
			CHECK(rows > 450);
			CHECK_EQ(find(&t, "4[1].4[8].2:csv[7]") != MML_DNONE, 1);
			CHECK_STR(text_at(&t, "4[1].4[8].2:csv[7]"), "-1000.000000/-1000.000000");
			CHECK_STR(text_at(&t, "4[4].4[0].2:csv[4]:url.pdduid"), "2166950396834");
			mml_test_note("line 245: %u nodes, %d records, %d pdduid params", t.count, rows, pdd);
			free_paths(&t, paths);
		}
	}
	CHECK_EQ(limits, 0);
	mml_test_note("%d/%d lines decoded (%d as protobuf), %llu bytes, %llu nodes, %d limit hits", decoded, n, msgs,
	              (unsigned long long)bytes, (unsigned long long)nodes, limits);
	mml_dtree_free(&t);
	free_log(lb, n);
}

/* ---- acceptance: the published decode of the autoauth plaintexts ---- */

/*
 * Bytes as the published tool prints them: Python's
 * bytes.decode("utf-8", "backslashreplace") (valid UTF-8 as it is, other
 * bytes as \xNN).
 */
static char *py_render(const uint8_t *p, size_t n)
{
	char *o = malloc(4 * n + 1), *w = o;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t k = p[i] < 0x80 ? 1 : mml_utf8_seq(p + i, n - i);
		if (k) {
			memcpy(w, p + i, k);
			w += k;
			i += k;
		} else {
			w += sprintf(w, "\\x%02x", p[i]);
			i++;
		}
	}
	*w = 0;
	return o;
}

/* Our value of a node, rendered as the published tool would print it. */
static char *our_render(const mml_dnode *d)
{
	char num[32];
	switch ((mml_dkind)d->kind) {
	case MML_DK_VARINT:
	case MML_DK_FIXED32:
	case MML_DK_FIXED64: node_text(d, num, sizeof num); return strdup(num);
	case MML_DK_STRING: /* the NUL padding is part of the field's bytes */
		return py_render(d->val, d->val_len + ((d->flags & MML_DN_NUL_PAD) ? d->u : 0));
	default: return py_render(d->val, d->val ? d->val_len : 0);
	}
}

/* The published files mask personal data with 'A': an 'A' there matches any character. */
static bool masked_eq(const char *pub, const char *ours)
{
	if (!*pub && *ours && strspn(ours, "A") == strlen(ours)) /* masked to nothing there */
		return true;
	if (!strstr(pub, "AAAA") || strlen(pub) != strlen(ours))
		return false;
	for (; *pub; pub++, ours++)
		if (*pub != 'A' && *pub != *ours)
			return false;
	return true;
}

typedef struct cmp {
	const mml_dtree *t;
	char **paths;
	int total, agree, masked, empty, text, field0, field0_values, other;
	char text_at[8][32], field0_at[64];
} cmp;

static uint32_t path_ix(const cmp *c, const char *path)
{
	for (uint32_t i = 0; i < c->t->count; i++)
		if (c->paths[i] && !strcmp(c->paths[i], path))
			return i;
	return MML_DNONE;
}

/* Where the published reading went deeper than ours: the longest path of ours above it. */
static uint32_t our_prefix(const cmp *c, const char *path, char *pre, size_t cap)
{
	snprintf(pre, cap, "%s", path);
	for (char *dot; (dot = strrchr(pre, '.')) != NULL;) {
		*dot = 0;
		char *br = strrchr(pre, '[');
		uint32_t i = path_ix(c, pre);
		if (i == MML_DNONE && br && !strchr(br, '.')) { /* "5.0[3]" -> "5.0" */
			*br = 0;
			i = path_ix(c, pre);
		}
		if (i != MML_DNONE)
			return i;
	}
	return MML_DNONE;
}

static void cmp_leaf(cmp *c, const char *path, const char *pub, bool empty_msg, bool field0)
{
	c->total++;
	uint32_t i = path_ix(c, path);
	if (i != MML_DNONE) {
		const mml_dnode *d = &c->t->n[i];
		if (empty_msg) { /* {}: ours is the empty string, flagged as the empty message too */
			if ((d->kind == MML_DK_STRING && !d->val_len && (d->flags & MML_DN_ALT_MSG)) ||
			    (d->kind == MML_DK_MSG && !d->nchildren))
				c->empty++;
			else
				c->other++, mml_test_fail(__FILE__, __LINE__, "%s: published {}, ours %s", path,
				                          mml_dkind_name((mml_dkind)d->kind));
			return;
		}
		char *ours = our_render(d);
		if (ours && !strcmp(ours, pub))
			c->agree++;
		else if (ours && masked_eq(pub, ours))
			c->masked++;
		else {
			c->other++;
			mml_test_fail(__FILE__, __LINE__, "%s: published \"%.60s\", ours (%s) \"%.60s\"", path, pub,
			              mml_dkind_name((mml_dkind)d->kind), ours ? ours : "");
		}
		free(ours);
		return;
	}
	char pre[512];
	uint32_t p = our_prefix(c, path, pre, sizeof pre);
	const mml_dnode *d = p == MML_DNONE ? NULL : &c->t->n[p];
	if (d && d->kind == MML_DK_STRING && (d->flags & MML_DN_ALT_MSG)) {
		/* printable text the published tool read as a message: a string here, ALT_MSG kept */
		c->text++;
		for (int k = 0; k < 8; k++)
			if (!c->text_at[k][0] || !strcmp(c->text_at[k], pre)) {
				snprintf(c->text_at[k], sizeof c->text_at[k], "%.24s", pre);
				break;
			}
	} else if (d && d->kind == MML_DK_BYTES && field0) {
		/* under a reading with field number 0, which protobuf forbids */
		c->field0++;
		if (!c->field0_at[0])
			snprintf(c->field0_at, sizeof c->field0_at, "%.40s", pre);
		static uint32_t last = MML_DNONE;
		if (p != last) /* leaves of one value come together */
			c->field0_values++;
		last = p;
	} else {
		c->other++;
		mml_test_fail(__FILE__, __LINE__, "%s: missing in ours (above it: %s)", path, d ? pre : "-");
	}
}

static void cmp_walk(cmp *c, json_t *v, const char *path, bool field0)
{
	if (json_is_string(v)) {
		/* the text up to a NUL is compared; jansson keeps NULs (JSON_ALLOW_NUL), C strings stop */
		size_t n = json_string_length(v);
		char *s = malloc(n + 1);
		if (!s)
			return;
		memcpy(s, json_string_value(v), n);
		s[n] = 0;
		cmp_leaf(c, path, s, false, field0);
		free(s);
		return;
	}
	if (!json_is_object(v))
		return;
	if (!json_object_size(v)) {
		cmp_leaf(c, path, "", true, field0);
		return;
	}
	field0 = field0 || json_object_get(v, "0");
	const char *k;
	json_t *x;
	json_object_foreach(v, k, x)
	{
		char sub[512];
		if (json_is_array(x)) {
			size_t i;
			json_t *e;
			json_array_foreach(x, i, e)
			{
				snprintf(sub, sizeof sub, "%s%s%s[%zu]", path, *path ? "." : "", k, i);
				cmp_walk(c, e, sub, field0);
			}
		} else {
			snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", k);
			cmp_walk(c, x, sub, field0);
		}
	}
}

/* Decode a plaintext into t (its bytes stay in raw/body: the tree points into them) and compare. */
static void autoauth(const char *hexfile, const char *jsonfile, cmp *c, mml_dtree *t, mml_buf *rawb, mml_buf *bodyb)
{
	memset(c, 0, sizeof *c);
	mml_buf_free(rawb);
	mml_buf_free(bodyb);
	mml_buf_init(rawb, 0);
	mml_buf_init(bodyb, 0);
	REQUIRE(t_hexfile(mml_test_data(hexfile), rawb) == 0);
	const mml_buf *b = rawb;
	if (rawb->len && rawb->p[0] == 0x78) { /* the response plaintext is a zlib stream */
		REQUIRE(mml_inflate(rawb->p, rawb->len, 1 << 24, bodyb) == MML_OK);
		b = bodyb;
	}
	REQUIRE(mml_decode_body(t, b->p, b->len) == MML_OK);
	CHECK(!t->limit_hit);
	json_error_t e;
	json_t *pub = json_load_file(mml_test_data(jsonfile), JSON_ALLOW_NUL, &e);
	if (!pub)
		mml_test_fail(__FILE__, __LINE__, "%s: %s (line %d)", jsonfile, e.text, e.line);
	REQUIRE(pub);
	c->t = t;
	c->paths = all_paths(t);
	cmp_walk(c, pub, "", false);
	free_paths(t, c->paths);
	json_decref(pub);
}

TEST(decode_real_autoauth_vs_published)
{
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	cmp rq, rs;
	mml_buf raw, body;
	mml_buf_init(&raw, 0);
	mml_buf_init(&body, 0);
	autoauth("mmtls-capture/autoauth-request-packet-plaintext.hex", "mmtls-capture/autoauth-request.json", &rq, &t,
	         &raw, &body);
	/*
	 * Request 2.12 is the 5 bytes "-8.00" (printable text). The published
	 * tool reads them as a message {5: 808463928}: '-' (0x2d) taken as the
	 * key of field 5, wire type 5, and "8.00" as its little-endian fixed32.
	 * A one-field message whose value bytes spell "8.00" is not plausible;
	 * ours is the string, with the message reading kept as ALT_MSG.
	 */
	const mml_dnode *d = at(&t, "2.12");
	REQUIRE(d);
	CHECK_EQ(d->kind, MML_DK_STRING);
	CHECK_STR(text_at(&t, "2.12"), "-8.00");
	CHECK(d->flags & MML_DN_ALT_MSG);
	/* what the published tool also reads right, and what it leaves unopened */
	CHECK_STR(text_at(&t, "2.1.3"), "AAAAAAAAAAAAAAA");
	CHECK(at(&t, "2.1.3")->flags & MML_DN_NUL_PAD);
	CHECK_STR(text_at(&t, "2.5:xml.softtype.k22"), "T-Mobile");
	CHECK_STR(text_at(&t, "2.10:xml.deviceinfo.MANUFACTURER.MODEL@name"), "sdk_gphone64_arm64");
	CHECK_STR(text_at(&t, "2.10:xml.deviceinfo.MANUFACTURER@name"), "Google");
	CHECK_EQ(rq.other, 0);
	CHECK(rq.agree + rq.masked > 45);
	CHECK_EQ(rq.text, 1);
	CHECK_STR(rq.text_at[0], "2.12");

	autoauth("mmtls-capture/autoauth-response-packet-plaintext.hex", "mmtls-capture/autoauth-response.json", &rs,
	         &t, &raw, &body);
	/*
	 * Response 5.3.{3,4}[i].5 are 128-byte socket-address buffers
	 * ("::ffff:101.32.118.25", two stray bytes, zeros). The published
	 * tool reads them as {7: ..., 0: [0 x 34]}: 34 fields with field
	 * number 0, which the wire format forbids (field numbers start at 1),
	 * so no message reading exists; ours is bytes.
	 */
	d = at(&t, "5.3.4[6].5");
	REQUIRE(d);
	CHECK_EQ(d->kind, MML_DK_BYTES);
	CHECK_EQ(d->val_len, 128);
	CHECK(!memcmp(d->val, "::ffff:43.156.86.25", 19));
	CHECK_STR(text_at(&t, "5.3.4[6].3"), "43.156.86.25"); /* NUL padded to 128 */
	CHECK_STR(text_at(&t, "3.20:url.keytype"), "2");
	CHECK_STR(text_at(&t, "4.20.2[3].2"), "usaction.wechat.com");
	CHECK_STR(text_at(&t, "4.20.2[303].2"), "Sorry, this feature is currently not available.");
	CHECK_EQ(rs.other, 0);
	CHECK(rs.agree + rs.masked > 1000);
	CHECK(rs.field0 > 0);
	CHECK_STR(rs.field0_at, "5.3.3[0].5");
	mml_test_note("request: %d published leaves, %d agree, %d agree under the 'A' mask, %d empty ({} = our empty "
	              "string + ALT_MSG), %d justified (text, not a message), %d unexplained",
	              rq.total, rq.agree, rq.masked, rq.empty, rq.text, rq.other);
	mml_test_note("response: %d leaves, %d agree, %d masked, %d empty, %d justified (under field number 0 in %d "
	              "sockaddr buffers like %s), %d unexplained",
	              rs.total, rs.agree, rs.masked, rs.empty, rs.field0, rs.field0_values, rs.field0_at, rs.other);
	mml_dtree_free(&t);
	mml_buf_free(&raw);
	mml_buf_free(&body);
}
