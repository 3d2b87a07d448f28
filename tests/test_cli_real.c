#define _GNU_SOURCE
/*
 * test_cli_real.c - acceptance tests on the real published capture, key log
 * and reference output in ../shared/data (issue 2, items 1-4).
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/crypto.h"
#include "mmlens/envelope.h"
#include "test.h"
#include "util.h"

#define CAP "mmtls-capture/capture-logged-in-all-keys.pcapng"
#define KEYS "mmtls-capture/frida-logged-in-all-keys.log"
#define REF "mmtls-capture/reference-decrypt.jsonl"

static int has_body(json_t *msgs, const char *hex)
{
	size_t i;
	json_t *m;
	json_array_foreach(msgs, i, m)
	{
		const char *b = t_str(m, "body_hex");
		if (b && !strcmp(b, hex))
			return 1;
	}
	return 0;
}

static void check_invariant(const mml_stats *s)
{
	CHECK_EQ(s->records, s->records_decrypted + s->records_plaintext + s->records_no_key +
	                         s->records_auth_failed + s->records_truncated);
	CHECK_EQ(s->records_decrypted, s->records_key_logged + s->records_key_inferred);
	CHECK_EQ(s->messages, s->msg_requests + s->msg_responses);
	CHECK_EQ(s->messages, s->msg_decrypted + s->msg_plaintext + s->msg_no_key + s->msg_inner_no_key +
	                          s->msg_inner_failed + s->msg_truncated + s->msg_envelope_malformed);
}

/* Acceptance 1: every reference plaintext (inflated when 78..) is a body. */
TEST(real_reference_plaintexts_all_found)
{
	t_run r;
	t_decrypt(&r, mml_test_data(CAP), mml_test_data(KEYS), NULL);
	CHECK_EQ(r.rc, 0);
	size_t n;
	char *ref = t_slurp(mml_test_data(REF), &n);
	REQUIRE(ref);
	int total = 0, found = 0, inflated = 0;
	for (char *line = strtok(ref, "\n"); line; line = strtok(NULL, "\n")) {
		json_t *o = json_loads(line, 0, NULL);
		REQUIRE(o);
		const char *pt = t_str(o, "plaintext");
		REQUIRE(pt);
		mml_buf raw, body;
		mml_buf_init(&raw, 0);
		mml_buf_init(&body, 0);
		REQUIRE(mml_hexdump_decode(pt, strlen(pt), &raw) == MML_OK);
		const mml_buf *want = &raw;
		if (raw.len && raw.p[0] == 0x78) {
			CHECK(mml_inflate(raw.p, raw.len, 1 << 24, &body) == MML_OK);
			want = &body;
			inflated++;
		}
		char *hex = t_hex(want->p, want->len);
		total++;
		if (has_body(r.messages, hex))
			found++;
		else
			mml_test_fail(__FILE__, __LINE__, "reference line %d not found", total);
		free(hex);
		mml_buf_free(&raw);
		mml_buf_free(&body);
		json_decref(o);
	}
	free(ref);
	CHECK_EQ(total, 29);
	CHECK_EQ(found, 29);
	mml_test_note("%d/%d reference plaintexts found byte-identical (%d inflated)", found, total, inflated);
	t_run_free(&r);
}

/* Acceptance 2: more than the reference. */
TEST(real_more_than_reference)
{
	t_run r;
	t_decrypt(&r, mml_test_data(CAP), mml_test_data(KEYS), NULL);
	CHECK_EQ(r.rc, 0);
	const mml_stats *s = &r.st;
	check_invariant(s);
	/* every record of the capture, counted once (independently counted:
	 * 204 records in 34 TCP flows, 53 hellos + 1 plaintext alert) */
	CHECK_EQ(s->records, 204);
	CHECK_EQ(s->records_plaintext, 54);
	CHECK_EQ(s->handshakes, 53);
	CHECK_EQ(s->records_decrypted, 117);
	CHECK_EQ(s->records_no_key, 33);
	CHECK_EQ(s->records_auth_failed, 0);
	CHECK_EQ(s->records_truncated, 0);
	size_t i;
	json_t *m;
	int gcm = 0, cbc = 0, split = 0, auth_req = 0, decrypted = 0, http = 0, paired = 0;
	json_array_foreach(r.messages, i, m)
	{
		const char *st = t_str(m, "status"), *inner = t_str(m, "inner"), *body = t_str(m, "body_hex");
		if (st && (!strcmp(st, "decrypted") || !strcmp(st, "plaintext")))
			decrypted++;
		if (st && !strcmp(st, "plaintext"))
			http++;
		if (inner && !strcmp(inner, "gcm") && st && !strcmp(st, "decrypted"))
			gcm++;
		if (inner && !strcmp(inner, "cbc") && st && !strcmp(st, "decrypted"))
			cbc++;
		if (json_integer_value(json_object_get(m, "pkt")) != json_integer_value(json_object_get(m, "pkt_first")) &&
		    st && !strcmp(st, "decrypted"))
			split++;
		const char *api = t_str(m, "api");
		/* a response without a key still names its API: its request's */
		if (st && !strcmp(st, "no_key") && !strcmp(t_str(m, "dir"), "response") && api)
			paired++;
		if (api && strstr(api, "secautoauth") && !strcmp(t_str(m, "dir"), "request") && body &&
		    strstr(body, "636f6d2e74656e63656e742e6d6d") /* "com.tencent.mm" */)
			auth_req++;
	}
	CHECK_EQ(auth_req, 1);
	CHECK_EQ(paired, 6);
	CHECK_EQ(gcm, 6);
	CHECK(cbc >= 29);
	CHECK(split >= 5);
	CHECK_EQ(json_array_size(r.messages), s->messages);
	/* handshake objects carry the parsed hello fields */
	int hellos = 0, keyshares = 0, tickets = 0;
	json_array_foreach(r.lines, i, m)
	{
		const char *k = t_str(m, "kind");
		if (!k || strcmp(k, "handshake"))
			continue;
		hellos++;
		CHECK(json_is_array(json_object_get(m, "cipher_suites")));
		CHECK(t_str(m, "random") && strlen(t_str(m, "random")) == 64);
		keyshares += json_array_size(json_object_get(m, "key_shares")) > 0;
		tickets += json_array_size(json_object_get(m, "psk_tickets")) > 0;
	}
	CHECK_EQ(hellos, 53);
	CHECK(keyshares >= 2);
	CHECK(tickets >= 20);
	mml_test_note("%zu messages (%d readable: %d cbc, %d gcm, %d http); %d decrypted ones split across TCP "
	              "segments; records %llu = %llu decrypted + %llu plaintext + %llu no key; %d hellos",
	              json_array_size(r.messages), decrypted, cbc, gcm, http, split,
	              (unsigned long long)s->records, (unsigned long long)s->records_decrypted,
	              (unsigned long long)s->records_plaintext, (unsigned long long)s->records_no_key, hellos);
	t_run_free(&r);
}

/* Acceptance 3: one OUTER line per key and direction gives the same messages. */
TEST(real_cut_keylog_same_messages)
{
	size_t n;
	char *kl = t_slurp(mml_test_data(KEYS), &n);
	REQUIRE(kl);
	mml_buf cut;
	mml_buf_init(&cut, 0);
	char seen[256][40];
	int nseen = 0, kept_outer = 0, dropped = 0;
	for (char *line = strtok(kl, "\n"); line; line = strtok(NULL, "\n")) {
		json_t *o = json_loads(line, 0, NULL);
		REQUIRE(o);
		if (!strcmp(t_str(o, "layer"), "OUTER")) {
			char id[40];
			snprintf(id, sizeof id, "%.32s%d", t_str(o, "key"), json_is_true(json_object_get(o, "encrypt")));
			int dup = 0;
			for (int i = 0; i < nseen; i++)
				dup |= !strcmp(seen[i], id);
			if (dup) {
				dropped++;
				json_decref(o);
				continue;
			}
			REQUIRE(nseen < 256);
			memcpy(seen[nseen++], id, sizeof id);
			kept_outer++;
		}
		mml_buf_append(&cut, line, strlen(line));
		mml_buf_append(&cut, "\n", 1);
		json_decref(o);
	}
	free(kl);
	const char *cutpath = t_write_tmp("cut-keys.log", cut.p, cut.len);
	mml_buf_free(&cut);
	t_run a, b;
	t_decrypt(&a, mml_test_data(CAP), mml_test_data(KEYS), NULL);
	t_decrypt(&b, mml_test_data(CAP), cutpath, NULL);
	CHECK_EQ(json_array_size(a.messages), json_array_size(b.messages));
	size_t i;
	json_t *m;
	int same = 0;
	json_array_foreach(a.messages, i, m)
	{
		json_t *x = json_array_get(b.messages, i);
		const char *ba = t_str(m, "body_hex"), *bb = x ? t_str(x, "body_hex") : NULL;
		if (x && !strcmp(t_str(m, "status"), t_str(x, "status")) && ((!ba && !bb) || (ba && bb && !strcmp(ba, bb))))
			same++;
		else
			mml_test_fail(__FILE__, __LINE__, "message %zu differs with the cut key log", i + 1);
	}
	CHECK_EQ(a.st.records_decrypted, b.st.records_decrypted);
	CHECK(b.st.records_key_inferred > 0);
	check_invariant(&b.st);
	mml_test_note("%d OUTER lines kept, %d dropped; %d/%zu messages identical; %llu records opened by inferred "
	              "base IV",
	              kept_outer, dropped, same, json_array_size(a.messages), (unsigned long long)b.st.records_key_inferred);
	t_run_free(&a);
	t_run_free(&b);
}

/* Acceptance 4: the autoauth triples, stage by stage. */
typedef struct stage_ctx {
	mml_buf outer[2];
	mml_buf body[2];
	int nouter[2], nmsg[2];
	mml_envproc *env;
} stage_ctx;

static void st_msg(void *ctx, const mml_msg *m)
{
	stage_ctx *c = ctx;
	int d = m->outer->dir;
	c->nmsg[d]++;
	if (m->body)
		mml_buf_append(&c->body[d], m->body, m->body_len);
}

static void st_outer(void *ctx, const mml_outer *o)
{
	stage_ctx *c = ctx;
	c->nouter[o->dir]++;
	if (o->data)
		mml_buf_append(&c->outer[o->dir], o->data, o->len);
	mml_envproc_outer(c->env, o);
}

static void feed_http(mml_flowtab *ft, int dir, const char *head, const mml_buf *body, uint32_t *seq)
{
	/* one flow 10.0.2.16:40000 <-> 49.51.67.253:80, records split in 1400-byte segments */
	mml_buf all;
	mml_buf_init(&all, 0);
	mml_buf_append(&all, head, strlen(head));
	mml_buf_append(&all, body->p, body->len);
	for (size_t off = 0; off < all.len; off += 1400) {
		mml_pkt p;
		memset(&p, 0, sizeof p);
		p.src.ver = p.dst.ver = 4;
		uint8_t c[4] = {10, 0, 2, 16}, s[4] = {49, 51, 67, 253};
		memcpy(dir ? p.dst.ip : p.src.ip, c, 4);
		memcpy(dir ? p.src.ip : p.dst.ip, s, 4);
		p.src.port = dir ? 80 : 40000;
		p.dst.port = dir ? 40000 : 80;
		p.tcp_flags = MML_TCP_ACK | MML_TCP_PSH;
		p.seq = seq[dir];
		p.payload = all.p + off;
		p.paylen = all.len - off < 1400 ? all.len - off : 1400;
		p.index = off / 1400 + 1;
		seq[dir] += (uint32_t)p.paylen;
		mml_flowtab_packet(ft, &p);
	}
	mml_buf_free(&all);
}

TEST(real_autoauth_stage_by_stage)
{
	mml_stats st;
	memset(&st, 0, sizeof st);
	mml_keylog kl;
	mml_keylog_init(&kl);
	REQUIRE(mml_keylog_load(&kl, mml_test_data(KEYS), NULL, NULL, &st) == MML_OK);
	mml_catalog cat;
	mml_catalog_init(&cat);
	REQUIRE(mml_catalog_load_builtin(&cat) == MML_OK);
	mml_buf pkt[2], inner[2], plain[2];
	const char *names[2][3] = {
		{"mmtls-capture/autoauth-request-packet.hex", "mmtls-capture/autoauth-request-inner-ciphertext.hex",
		 "mmtls-capture/autoauth-request-packet-plaintext.hex"},
		{"mmtls-capture/autoauth-response-packet.hex", "mmtls-capture/autoauth-response-inner-ciphertext.hex",
		 "mmtls-capture/autoauth-response-packet-plaintext.hex"}};
	for (int d = 0; d < 2; d++) {
		mml_buf_init(&pkt[d], 0);
		mml_buf_init(&inner[d], 0);
		mml_buf_init(&plain[d], 0);
		REQUIRE(t_hexfile(mml_test_data(names[d][0]), &pkt[d]) == 0);
		REQUIRE(t_hexfile(mml_test_data(names[d][1]), &inner[d]) == 0);
		REQUIRE(t_hexfile(mml_test_data(names[d][2]), &plain[d]) == 0);
	}
	stage_ctx c;
	memset(&c, 0, sizeof c);
	for (int d = 0; d < 2; d++) {
		mml_buf_init(&c.outer[d], 0);
		mml_buf_init(&c.body[d], 0);
	}
	mml_envproc_cfg ec = {0};
	c.env = mml_envproc_new(&ec, &kl, &cat, &st, st_msg, &c);
	mml_conn_cbs cc = {.ctx = &c, .on_outer = st_outer};
	mml_mmtls_ctx *mm = mml_mmtls_new(&kl, &cc, &st);
	mml_flow_cbs fc;
	mml_mmtls_flow_cbs(mm, &fc);
	mml_flowtab_cfg fcfg = {0};
	mml_flowtab *ft = mml_flowtab_new(&fcfg, &fc, &st);
	char head[2][160];
	snprintf(head[0], sizeof head[0],
	         "POST /mmtls/2a9b1264 HTTP/1.1\r\nHost: sgshort.wechat.com\r\nContent-Length: %zu\r\n\r\n", pkt[0].len);
	snprintf(head[1], sizeof head[1], "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", pkt[1].len);
	uint32_t seq[2] = {1000, 5000};
	feed_http(ft, 0, head[0], &pkt[0], seq);
	feed_http(ft, 1, head[1], &pkt[1], seq);
	mml_flowtab_free(ft);
	mml_mmtls_free(mm);
	mml_envproc_free(c.env);
	/* stage 1: records -> inner ciphertext. The published files mask
	 * personal data with 'A' bytes, and the response file stops at the
	 * GCM tag, leaving out the empty protobuf field (22 00) after it. */
	for (int d = 0; d < 2; d++) {
		CHECK_EQ(c.nouter[d], 1);
		CHECK(c.outer[d].len >= inner[d].len && c.outer[d].len - inner[d].len <= 2);
		size_t diff = 0, masked = 0;
		for (size_t i = 0; i < inner[d].len && i < c.outer[d].len; i++) {
			if (c.outer[d].p[i] != inner[d].p[i]) {
				diff++;
				masked += inner[d].p[i] == 'A';
			}
		}
		CHECK_EQ(diff, masked);
		CHECK(diff <= 8);
		if (c.outer[d].len == inner[d].len + 2)
			CHECK(c.outer[d].p[inner[d].len] == 0x22 && c.outer[d].p[inner[d].len + 1] == 0x00);
		/* stage 2+3: inner ciphertext -> plaintext, inflated; byte-identical
		 * but for the file's 'A' masks */
		CHECK_EQ(c.nmsg[d], 1);
		CHECK_EQ(c.body[d].len, plain[d].len);
		size_t pdiff = 0, pmasked = 0;
		for (size_t i = 0; i < plain[d].len && i < c.body[d].len; i++) {
			if (c.body[d].p[i] != plain[d].p[i]) {
				pdiff++;
				pmasked += plain[d].p[i] == 'A';
			}
		}
		CHECK_EQ(pdiff, pmasked);
		CHECK(pdiff < 64);
		mml_test_note("%s: %zu record bytes -> %zu inner bytes (%zu masked in the file) -> %zu plaintext bytes "
		              "(%zu masked in the file)",
		              d ? "response" : "request", pkt[d].len, c.outer[d].len, masked, c.body[d].len, pmasked);
	}
	CHECK(memmem(c.body[1].p, c.body[1].len, "sgshort.wechat.com", 18) != NULL);
	CHECK(memmem(c.body[0].p, c.body[0].len, "com.tencent.mm", 14) != NULL);
	CHECK_EQ(st.records, 8);
	CHECK_EQ(st.records_plaintext, 2);
	CHECK_EQ(st.records_decrypted, 6);
	for (int d = 0; d < 2; d++) {
		mml_buf_free(&pkt[d]);
		mml_buf_free(&inner[d]);
		mml_buf_free(&plain[d]);
		mml_buf_free(&c.outer[d]);
		mml_buf_free(&c.body[d]);
	}
	mml_keylog_free(&kl);
	mml_catalog_free(&cat);
}

/* --jobs: the same messages and the same accounting, whatever the thread count. */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char **message_keys(json_t *msgs, size_t *n)
{
	*n = json_array_size(msgs);
	char **k = calloc(*n + 1, sizeof *k);
	size_t i;
	json_t *m;
	json_array_foreach(msgs, i, m)
	{
		const char *b = t_str(m, "body_hex");
		size_t l = strlen(t_str(m, "status")) + (b ? strlen(b) : 4) + strlen(t_str(m, "dir")) + 8;
		k[i] = malloc(l);
		snprintf(k[i], l, "%s %s %s", t_str(m, "status"), t_str(m, "dir"), b ? b : "null");
	}
	qsort(k, *n, sizeof *k, cmp_str);
	return k;
}

TEST(real_jobs_same_messages)
{
	mml_decrypt_opts o;
	memset(&o, 0, sizeof o);
	o.handshakes = 1;
	t_run a;
	t_decrypt(&a, mml_test_data(CAP), mml_test_data(KEYS), &o);
	size_t na;
	char **ka = message_keys(a.messages, &na);
	for (int jobs = 2; jobs <= 3; jobs++) {
		o.jobs = jobs;
		t_run b;
		t_decrypt(&b, mml_test_data(CAP), mml_test_data(KEYS), &o);
		size_t nb;
		char **kb = message_keys(b.messages, &nb);
		CHECK_EQ(na, nb);
		int same = 1;
		for (size_t i = 0; i < na && i < nb; i++)
			same &= !strcmp(ka[i], kb[i]);
		CHECK(same);
		CHECK(!memcmp(&a.st, &b.st, sizeof a.st));
		CHECK_EQ(json_array_size(a.lines), json_array_size(b.lines));
		for (size_t i = 0; i < nb; i++)
			free(kb[i]);
		free(kb);
		t_run_free(&b);
	}
	for (size_t i = 0; i < na; i++)
		free(ka[i]);
	free(ka);
	t_run_free(&a);
}
