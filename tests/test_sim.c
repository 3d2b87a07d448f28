/*
 * test_sim.c - the simulator against mmlens decrypt (issue 3):
 *  - round trip: for every scenario and network pathology, decrypt
 *    recovers exactly the ground-truth bodies, except those behind a
 *    capture loss, which are accounted as such;
 *  - fidelity: the simulator's hellos, record framing and business headers
 *    match the real capture's field by field, through the same parsers.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "mmlens/flow.h"
#include "mmlens/mmtls.h"
#include "test.h"
#include "util.h"

static const char *jflow(json_t *o, const char *k)
{
	return t_str(json_object_get(o, "flow"), k);
}

typedef struct rt_result {
	int truth, lost, matched, readable, extra;
} rt_result;

static void round_trip(const char *tag, const char *args, rt_result *res)
{
	char pcap[512], keys[512], truth[512];
	memset(res, 0, sizeof *res);
	int rc = t_simulate(tag, args, pcap, keys, truth, sizeof pcap);
	if (rc != 0) {
		mml_test_fail(__FILE__, __LINE__, "%s: simulator exited %d", tag, rc);
		return;
	}
	t_run r;
	t_decrypt(&r, pcap, keys, NULL);
	CHECK(r.rc == 0 || r.rc == 3);
	json_t *tr = t_load_jsonl(truth);
	size_t nm = json_array_size(r.messages);
	char *used = calloc(nm + 1, 1);
	size_t i;
	json_t *t;
	json_array_foreach(tr, i, t)
	{
		res->truth++;
		if (json_is_true(json_object_get(t, "lost"))) {
			res->lost++;
			continue;
		}
		const char *body = t_str(t, "body_hex"), *dir = t_str(t, "dir");
		int found = 0;
		for (size_t k = 0; k < nm && !found; k++) {
			json_t *m = json_array_get(r.messages, k);
			const char *mb = t_str(m, "body_hex");
			if (used[k] || !mb || strcmp(mb, body) || strcmp(t_str(m, "dir"), dir) ||
			    strcmp(jflow(m, "client"), jflow(t, "client")) || strcmp(jflow(m, "server"), jflow(t, "server")))
				continue;
			used[k] = 1;
			found = 1;
		}
		if (found)
			res->matched++;
		else if (res->truth - res->lost - res->matched < 4)
			mml_test_fail(__FILE__, __LINE__, "%s: truth message %zu (%s %s %s) not recovered", tag, i + 1,
			              t_str(t, "transport"), dir, t_str(t, "api") ? t_str(t, "api") : "-");
	}
	for (size_t k = 0; k < nm; k++) {
		json_t *m = json_array_get(r.messages, k);
		const char *st = t_str(m, "status");
		if (!strcmp(st, "decrypted") || !strcmp(st, "plaintext")) {
			res->readable++;
			res->extra += !used[k];
		}
	}
	CHECK_EQ(res->matched, res->truth - res->lost);
	CHECK_EQ(res->extra, 0);
	/* the lost ones are accounted: the capture's gaps were seen */
	if (res->lost)
		CHECK(r.st.tcp_gaps > 0 && r.st.tcp_gap_bytes > 0);
	CHECK_EQ(r.st.records, r.st.records_decrypted + r.st.records_plaintext + r.st.records_no_key +
	                           r.st.records_auth_failed + r.st.records_truncated);
	CHECK_EQ(r.st.records_auth_failed, 0);
	free(used);
	json_decref(tr);
	t_run_free(&r);
}

#define RT(name, args)                                                                                        \
	TEST(sim_roundtrip_##name)                                                                                \
	{                                                                                                         \
		rt_result x;                                                                                          \
		round_trip(#name, args, &x);                                                                          \
		mml_test_note("%d truth messages, %d behind capture loss, %d recovered exactly", x.truth, x.lost,    \
		              x.matched);                                                                             \
		CHECK(x.truth > 10);                                                                                  \
	}

RT(startup, "--scenario startup --seed 11")
RT(messaging, "--scenario messaging --seed 12")
RT(miniprogram_location_on, "--scenario miniprogram --location on --seed 13")
RT(miniprogram_location_off, "--scenario miniprogram --location off --seed 14")
RT(all_pcapng, "--scenario all --pcapng --seed 15")
RT(small_mss, "--scenario all --mss 200 --seed 16")
RT(out_of_order, "--scenario all --ooo 0.3 --seed 17")
RT(retransmission, "--scenario all --retrans 0.3 --seed 18")
RT(ipv6_vlan, "--scenario all --ipv6 --vlan --seed 19")
RT(devices, "--scenario all --devices 6 --seed 20")
RT(sparse_keylog, "--scenario all --keylog-sparse --devices 2 --seed 21")
RT(everything, "--scenario all --devices 3 --mss 536 --ooo 0.1 --retrans 0.1 --ipv6 --vlan --seed 22")
RT(bench, "--scenario bench --size 1M --devices 4 --keylog-sparse --seed 24")
RT(bench_ipv6_vlan_ooo, "--scenario bench --size 512K --devices 2 --ipv6 --vlan --ooo 0.1 --seed 25")
RT(bench_heavy, "--scenario bench-heavy --size 1M --devices 4 --keylog-sparse --seed 26")
/* a longlink idle past the flow table's 10-minute timeout, then going on
 * on the same connection: with a sparse key log only the connection's
 * keys, carried to the new flow (conn.c, "parked"), open its records */
RT(sparse_longlink_idle, "--scenario all --devices 2 --idle 700 --keylog-sparse --seed 29")

/* a sparse key log with every pathology: records tried with the
 * connection's key while the log is asked (conn.c) across gaps and resyncs */
RT(sparse_pathologies, "--scenario all --keylog-sparse --devices 3 --mss 300 --ooo 0.2 --retrans 0.2 --ipv6 --seed 27")

/*
 * Records whose connection key is known are tried with it while the key
 * log is asked whether they have a line of their own (conn.c, inner.c).
 * A dense key log (a line for every record) must still credit every
 * record to its line, and a sparse one give the same bodies.
 */
static void key_sources(const char *tag, const char *args, t_run *r)
{
	char pcap[512], keys[512], truth[512];
	memset(r, 0, sizeof *r); /* the caller checks and frees r, also when the simulator fails */
	r->rc = -1;
	REQUIRE(t_simulate(tag, args, pcap, keys, truth, sizeof pcap) == 0);
	t_decrypt(r, pcap, keys, NULL);
}

static uint64_t bodies_hash(json_t *msgs)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;
	json_t *m;
	json_array_foreach(msgs, i, m)
	{
		const char *b = t_str(m, "body_hex");
		for (const char *p = b ? b : "-"; *p; p++)
			h = (h ^ (uint8_t)*p) * 1099511628211ull;
		h = (h ^ '\n') * 1099511628211ull;
	}
	return h;
}

TEST(sim_longlink_keys_survive_idle_timeout)
{
	t_run r;
	key_sources("idle", "--scenario all --devices 3 --idle 900 --keylog-sparse --seed 30", &r);
	CHECK_EQ(r.rc, 0);
	CHECK_EQ(r.st.streams_resumed, 3); /* each device's longlink, after the gap */
	CHECK_EQ(r.st.records_no_key, 0);
	CHECK_EQ(r.st.msg_no_key, 0);
	/* the flows the table ended at the timeout and the ones that went on */
	CHECK(r.st.tcp_flows > 3);
	mml_test_note("%llu longlinks went on after 900 s idle with their keys; %llu records, %llu without a key",
	              (unsigned long long)r.st.streams_resumed, (unsigned long long)r.st.records,
	              (unsigned long long)r.st.records_no_key);
	t_run_free(&r);
}

TEST(sim_dense_keylog_credits_every_record_to_its_line)
{
	t_run d, s;
	key_sources("dense", "--scenario all --devices 3 --seed 31", &d);
	key_sources("sparse", "--scenario all --devices 3 --keylog-sparse --seed 31", &s);
	CHECK_EQ(d.rc, 0);
	CHECK_EQ(s.rc, 0);
	/* dense: every encrypted record and CBC message opened by its own line, no line left over */
	CHECK(d.st.records_key_logged > 100);
	CHECK_EQ(d.st.records_key_inferred, 0);
	CHECK_EQ(d.st.inner_key_inferred, 0);
	CHECK_EQ(d.st.keylog_outer_used + d.st.keylog_inner_used, d.st.keylog_lines);
	/* sparse: most by the connection's key, the same bodies */
	CHECK(s.st.records_key_inferred > s.st.records_key_logged);
	CHECK(s.st.inner_key_inferred > 0);
	CHECK_EQ(s.st.records_decrypted, d.st.records_decrypted);
	CHECK_EQ(json_array_size(s.messages), json_array_size(d.messages));
	CHECK_EQ(bodies_hash(s.messages), bodies_hash(d.messages));
	mml_test_note("dense: %llu records by their line, %llu lines; sparse: %llu by line, %llu by the known key",
	              (unsigned long long)d.st.records_key_logged, (unsigned long long)d.st.keylog_lines,
	              (unsigned long long)s.st.records_key_logged, (unsigned long long)s.st.records_key_inferred);
	t_run_free(&d);
	t_run_free(&s);
}

TEST(sim_roundtrip_loss)
{
	rt_result x;
	round_trip("loss", "--scenario all --devices 4 --mss 300 --loss 0.02 --seed 23", &x);
	CHECK(x.lost > 0);
	mml_test_note("%d truth messages, %d behind capture loss (accounted as gaps), %d others recovered exactly",
	              x.truth, x.lost, x.matched);
}

TEST(sim_deterministic_and_bad_args)
{
	char p1[512], k1[512], t1[512], p2[512], k2[512], t2[512];
	REQUIRE(t_simulate("det1", "--scenario all --seed 5", p1, k1, t1, sizeof p1) == 0);
	REQUIRE(t_simulate("det2", "--scenario all --seed 5", p2, k2, t2, sizeof p2) == 0);
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "cmp -s %s %s && cmp -s %s %s && cmp -s %s %s", p1, p2, k1, k2, t1, t2);
	CHECK_EQ(system(cmd), 0);
	REQUIRE(t_simulate("det3", "--scenario all --seed 6", p2, k2, t2, sizeof p2) == 0);
	snprintf(cmd, sizeof cmd, "cmp -s %s %s", p1, p2);
	CHECK(system(cmd) != 0);
	const char *badargs[] = {"--scenario nope", "--loss 2", "--devices 0", "--mss 10", "--size -1", "--idle 0",
	                         "--idle 1x", "--bogus", ""};
	for (size_t i = 0; i < sizeof badargs / sizeof *badargs; i++) {
		snprintf(cmd, sizeof cmd, "%s %s %s 2>/dev/null >/dev/null", t_sim_bin(), badargs[i],
		         i + 1 < sizeof badargs / sizeof *badargs ? "--pcap /dev/null" : "");
		int r = system(cmd);
		CHECK(WIFEXITED(r) && WEXITSTATUS(r) == 1);
	}
}

/* ---- fidelity: the same parsers over the real and the simulated capture ---- */

typedef struct shape {
	char seq[64][64];   /* record shapes per direction-flight, e.g. "19:161" */
	int n;
	char hellos[16][200];
	int nh;
	int algos[16];
	int nalgo;
	int cookie15, bad_cookie;
} shape;

typedef struct walker {
	shape *sh;
} walker;

/* per flow: the two directions' bytes */
static void w_open(void *ctx, mml_flow *f)
{
	(void)ctx;
	mml_buf *b = calloc(2, sizeof *b);
	if (b) {
		mml_buf_init(&b[0], 0);
		mml_buf_init(&b[1], 0);
	}
	f->user = b;
}

static void add_seq(shape *sh, const char *s)
{
	for (int i = 0; i < sh->n; i++)
		if (!strcmp(sh->seq[i], s))
			return;
	if (sh->n < 64)
		snprintf(sh->seq[sh->n++], sizeof sh->seq[0], "%s", s);
}

/* Record shape of one flight: types and lengths of encrypted records. */
static void flight(shape *sh, const uint8_t *p, size_t n, int dir)
{
	if (!p || n < 5)
		return;
	const uint8_t *q = memmem(p, n, "\r\n\r\n", 4);
	if (q && (!memcmp(p, "POST", 4) || !memcmp(p, "HTTP", 4))) {
		n -= (size_t)(q + 4 - p);
		p = q + 4;
	} else if (q) {
		return; /* plain HTTP */
	}
	mml_cur c = mml_cur_make(p, n);
	mml_rec r;
	char s[64];
	size_t k = 0;
	int idx = 0;
	k += (size_t)snprintf(s + k, sizeof s - k, "%c", dir ? 'S' : 'C');
	while (mml_rec_parse(&c, &r) == MML_OK && idx < 4) {
		/* data records vary in size: keep only their type */
		if (r.type == 0x17)
			k += (size_t)snprintf(s + k, sizeof s - k, " 17");
		else if (idx == 0)
			k += (size_t)snprintf(s + k, sizeof s - k, " %02x:hello", r.type);
		else
			k += (size_t)snprintf(s + k, sizeof s - k, " %02x:%u", r.type, r.len);
		if (idx == 0 && (r.type == 0x16 || r.type == 0x19)) {
			mml_hello h;
			if (mml_hello_parse(r.body, r.len, &h) == MML_OK && h.ext_err == MML_OK) {
				char hs[200];
				size_t hk = (size_t)snprintf(hs, sizeof hs, "%02x t%u v%04x suites", r.type, h.msg_type, h.version);
				for (int i = 0; i < h.nsuites; i++)
					hk += (size_t)snprintf(hs + hk, sizeof hs - hk, " %04x", h.suites[i]);
				hk += (size_t)snprintf(hs + hk, sizeof hs - hk, " ext");
				for (int i = 0; i < h.next; i++)
					hk += (size_t)snprintf(hs + hk, sizeof hs - hk, " %04x", h.ext_types[i]);
				for (int i = 0; i < h.ntickets; i++)
					hk += (size_t)snprintf(hs + hk, sizeof hs - hk, " ticket(type %u life %u nonce %u len %u)",
					                       h.tickets[i].type, h.tickets[i].lifetime, h.tickets[i].nonce_len,
					                       h.tickets[i].ticket_len);
				hk += (size_t)snprintf(hs + hk, sizeof hs - hk, " keys %u", h.nkeys);
				for (int i = 0; i < h.nkeys; i++)
					hk += (size_t)snprintf(hs + hk, sizeof hs - hk, " %u", h.keys[i].key_len);
				int dup = 0;
				for (int i = 0; i < sh->nh; i++)
					dup |= !strcmp(sh->hellos[i], hs);
				if (!dup && sh->nh < 16)
					snprintf(sh->hellos[sh->nh++], sizeof sh->hellos[0], "%s", hs);
			}
		}
		idx++;
	}
	if (idx)
		add_seq(sh, s);
}

static void w_data(void *ctx, mml_flow *f, int dir, const uint8_t *p, size_t n, uint64_t ts, uint64_t pkt)
{
	(void)ctx, (void)ts, (void)pkt;
	mml_buf *b = f->user;
	if (b)
		mml_buf_append(&b[dir], p, n);
}

static void w_close(void *ctx, mml_flow *f)
{
	walker *w = ctx;
	mml_buf *b = f->user;
	if (!b)
		return;
	for (int d = 0; d < 2; d++) {
		flight(w->sh, b[d].p, b[d].len, d);
		mml_buf_free(&b[d]);
	}
	free(b);
	f->user = NULL;
}

static void walk_capture(const char *path, shape *sh)
{
	memset(sh, 0, sizeof *sh);
	walker w = {.sh = sh};
	mml_stats st;
	memset(&st, 0, sizeof st);
	mml_flow_cbs cb = {.ctx = &w, .on_open = w_open, .on_data = w_data, .on_close = w_close};
	mml_flowtab_cfg cfg = {0};
	mml_flowtab *ft = mml_flowtab_new(&cfg, &cb, &st);
	mml_capture cap;
	if (mml_capture_open(&cap, path, &st) == MML_OK) {
		mml_pkt p;
		while (mml_capture_next(&cap, &p) == MML_OK)
			mml_flowtab_packet(ft, &p);
		mml_capture_close(&cap);
	}
	mml_flowtab_free(ft);
}

static int has(char (*list)[64], int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

TEST(sim_fidelity_records_and_hellos_match_real)
{
	char pcap[512], keys[512], truth[512];
	REQUIRE(t_simulate("fid", "--scenario all --seed 3", pcap, keys, truth, sizeof pcap) == 0);
	shape real, sim;
	walk_capture(mml_test_data("mmtls-capture/capture-logged-in-all-keys.pcapng"), &real);
	walk_capture(pcap, &sim);
	/* every flight shape of the real capture that carries data or a
	 * handshake is produced by the simulator, and nothing else */
	int shared = 0;
	for (int i = 0; i < real.n; i++) {
		if (!strncmp(real.seq[i], "S 15", 4)) /* a refused longlink: not simulated */
			continue;
		if (has(sim.seq, sim.n, real.seq[i]))
			shared++;
		else
			mml_test_fail(__FILE__, __LINE__, "real flight shape \"%s\" not simulated", real.seq[i]);
	}
	for (int i = 0; i < sim.n; i++)
		if (!has(real.seq, real.n, sim.seq[i]))
			mml_test_fail(__FILE__, __LINE__, "simulated flight shape \"%s\" not in the real capture", sim.seq[i]);
	if (getenv("MMLENS_TEST_VERBOSE"))
		for (int i = 0; i < sim.n || i < real.n; i++)
			printf("    real: %-40s sim: %s\n", i < real.n ? real.seq[i] : "", i < sim.n ? sim.seq[i] : "");
	/* hellos: same suites, extensions, ticket types/lifetimes/sizes, key shares */
	int hshared = 0;
	for (int i = 0; i < real.nh; i++) {
		int found = 0;
		for (int k = 0; k < sim.nh; k++)
			found |= !strcmp(real.hellos[i], sim.hellos[k]);
		if (found)
			hshared++;
		else
			mml_test_fail(__FILE__, __LINE__, "real hello \"%s\" not simulated", real.hellos[i]);
	}
	mml_test_note("%d flight shapes and %d hello layouts of the real capture reproduced field by field", shared,
	              hshared);
}

TEST(sim_fidelity_business_headers_match_real)
{
	char pcap[512], keys[512], truth[512];
	REQUIRE(t_simulate("fidb", "--scenario all --seed 4", pcap, keys, truth, sizeof pcap) == 0);
	t_run a, b;
	t_decrypt(&a, mml_test_data("mmtls-capture/capture-logged-in-all-keys.pcapng"),
	          mml_test_data("mmtls-capture/frida-logged-in-all-keys.log"), NULL);
	t_decrypt(&b, pcap, keys, NULL);
	/* (transport, dir, inner, algo, compress values, cookie len, #varints>=3) sets */
	char real[32][96], simu[32][96];
	int nr = 0, ns = 0;
	for (int pass = 0; pass < 2; pass++) {
		json_t *msgs = pass ? b.messages : a.messages;
		size_t i;
		json_t *m;
		json_array_foreach(msgs, i, m)
		{
			json_t *h = json_object_get(m, "header");
			if (!h)
				continue;
			char s[96];
			snprintf(s, sizeof s, "%s %s %s algo %lld cookie %zu varints>=3 %d", t_str(m, "transport"),
			         t_str(m, "dir"), t_str(m, "inner"), (long long)json_integer_value(json_object_get(h, "algo")),
			         strlen(t_str(h, "cookie")) / 2, json_array_size(json_object_get(h, "varints")) >= 3);
			// cppcheck-suppress legacyUninitvar ; false positive: list[k] is read only for k < *n, the rows written
			char(*list)[96] = pass ? simu : real;
			int *n = pass ? &ns : &nr;
			int dup = 0;
			for (int k = 0; k < *n; k++)
				dup |= !strcmp(list[k], s);
			if (!dup && *n < 32)
				snprintf(list[(*n)++], 96, "%s", s);
		}
	}
	for (int i = 0; i < nr; i++) {
		int found = 0;
		for (int k = 0; k < ns; k++)
			found |= !strcmp(real[i], simu[k]);
		if (!found)
			mml_test_fail(__FILE__, __LINE__, "real header shape \"%s\" not simulated", real[i]);
	}
	CHECK(nr >= 5);
	mml_test_note("%d business-header shapes of the real capture, all simulated (%d simulated shapes)", nr, ns);
	t_run_free(&a);
	t_run_free(&b);
}

/*
 * The bench mix against the real capture (docs/SIMULATOR.md, "The bench
 * mix"): what decrypt reads per capture byte. Measured through decrypt on
 * both, so that a drift of the simulator's content or of its weights shows.
 */
typedef struct mix {
	double cap;           /* capture file bytes */
	double body;          /* inflated body bytes (decrypt's body_bytes) */
	int readable;         /* messages with a body */
	int compressed;       /* of those, zlib-compressed */
	int small;            /* of those, under 256 bytes */
	double big_bytes;     /* body bytes of bodies of 4 KiB and more */
	double z_in, z_wire;  /* compressed bodies: inflated, on the wire */
} mix;

static void measure_mix(const char *pcap, const char *keys, mix *m)
{
	memset(m, 0, sizeof *m);
	size_t n = 0;
	char *p = t_slurp(pcap, &n);
	free(p);
	m->cap = (double)n;
	mml_decrypt_opts o;
	memset(&o, 0, sizeof o);
	o.no_bodies = 1;
	t_run r;
	t_decrypt(&r, pcap, keys, &o);
	CHECK(r.rc == 0 || r.rc == 3);
	m->body = (double)r.st.body_bytes;
	m->z_wire = (double)r.st.body_bytes_compressed;
	size_t i;
	json_t *msg;
	json_array_foreach(r.messages, i, msg)
	{
		long long bl = t_int(msg, "body_len");
		if (bl <= 0)
			continue;
		m->readable++;
		m->small += bl < 256;
		if (bl >= 4096)
			m->big_bytes += (double)bl;
		if (json_is_true(json_object_get(msg, "compressed"))) {
			m->compressed++;
			m->z_in += (double)bl;
		}
	}
	t_run_free(&r);
}

static void note_mix(const char *name, const mix *m)
{
	mml_test_note("%s: %.0f capture bytes, %d bodies (%.0f per MB), body/capture %.3f, compressed %.3f, "
	              "under 256 B %.3f, bytes in bodies >= 4 KiB %.3f, zlib ratio %.2f",
	              name, m->cap, m->readable, m->readable / (m->cap / 1e6), m->body / m->cap,
	              (double)m->compressed / m->readable, (double)m->small / m->readable, m->big_bytes / m->body,
	              m->z_wire > 0 ? m->z_in / m->z_wire : 0.0);
}

TEST(sim_bench_mix_matches_real_capture)
{
	mix real, b, h;
	measure_mix(mml_test_data("mmtls-capture/capture-logged-in-all-keys.pcapng"),
	            mml_test_data("mmtls-capture/frida-logged-in-all-keys.log"), &real);
	REQUIRE(real.readable > 0);
	note_mix("real", &real);
	/* the real figures the bench is calibrated on: 42 bodies, 60,777 bytes, 15 compressed */
	CHECK_EQ(real.readable, 42);
	CHECK_EQ(real.compressed, 15);
	CHECK(real.body / real.cap > 0.5 && real.body / real.cap < 0.7);

	char pcap[512], keys[512], truth[512];
	REQUIRE(t_simulate("benchmix", "--scenario bench --size 20M --devices 32 --keylog-sparse --seed 7", pcap, keys,
	                   truth, sizeof pcap) == 0);
	measure_mix(pcap, keys, &b);
	REQUIRE(b.readable > 1000);
	note_mix("bench", &b);
	double rs = (double)real.compressed / real.readable, bs = (double)b.compressed / b.readable;
	/* inflated bodies per capture byte as in the real capture (0.57) */
	CHECK(b.body / b.cap >= 0.5 && b.body / b.cap <= 0.7);
	/* the compressed share within 0.1 of the real one (15 of 42, 0.36) */
	CHECK(bs >= rs - 0.1 && bs <= rs + 0.1);
	/* many small bodies (real 0.64 under 256 B), most bytes in a few
	 * multi-KB ones (real 0.82), compressed about 3:1 overall (real 2.95) */
	CHECK((double)b.small / b.readable >= 0.5);
	CHECK(b.big_bytes / b.body >= 0.6);
	CHECK(b.z_in / b.z_wire >= 2.0 && b.z_in / b.z_wire <= 4.0);

	/* the earlier mix, kept as bench-heavy: 2x the capture in bodies */
	REQUIRE(t_simulate("benchheavy", "--scenario bench-heavy --size 10M --devices 32 --keylog-sparse --seed 7", pcap,
	                   keys, truth, sizeof pcap) == 0);
	measure_mix(pcap, keys, &h);
	REQUIRE(h.readable > 0);
	note_mix("bench-heavy", &h);
	CHECK(h.body / h.cap > 1.5);
}
