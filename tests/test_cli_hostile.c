/*
 * test_cli_hostile.c - hostile input (issue 2, item 5), streaming from stdin
 * (item 6), and the command line contract: exit codes, 0600 outputs,
 * bad key-log lines reported by line number. (A zlib bomb behind the
 * inner layer: test_envelope.c.)
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "mmlens/envelope.h"
#include "test.h"
#include "util.h"

#define CAP "mmtls-capture/capture-logged-in-all-keys.pcapng"
#define KEYS "mmtls-capture/frida-logged-in-all-keys.log"

static int quiet_run(const char *cap, const char *keys, mml_stats *st)
{
	mml_decrypt_opts o;
	memset(&o, 0, sizeof o);
	o.capture = cap;
	o.keylog = keys;
	o.out = "/dev/null";
	o.quiet = 1;
	o.handshakes = 1;
	memset(st, 0, sizeof *st);
	FILE *dn = fopen("/dev/null", "w");
	int rc = mml_decrypt_run(&o, st, dn);
	fclose(dn);
	return rc;
}

static int invariant(const mml_stats *s)
{
	return s->records == s->records_decrypted + s->records_plaintext + s->records_no_key + s->records_auth_failed +
	                         s->records_truncated;
}

TEST(hostile_truncated_capture_every_region)
{
	size_t n;
	char *cap = t_slurp(mml_test_data(CAP), &n);
	REQUIRE(cap);
	int runs = 0, bad_rc = 0, bad_inv = 0;
	/* every offset of the file header and first packet, then a stride
	 * that lands in every packet's header and payload */
	for (size_t cut = 0; cut < n; cut += cut < 128 ? 1 : 211) {
		const char *p = t_write_tmp("trunc.pcap", cap, cut);
		mml_stats st;
		int rc = quiet_run(p, mml_test_data(KEYS), &st);
		runs++;
		if (rc != 0 && rc != 2 && rc != 3)
			bad_rc++;
		if (!invariant(&st))
			bad_inv++;
	}
	CHECK_EQ(bad_rc, 0);
	CHECK_EQ(bad_inv, 0);
	mml_test_note("%d truncation points, none crashed, record accounting held in all", runs);
	free(cap);
}

TEST(hostile_random_byte_flips)
{
	size_t n;
	char *cap = t_slurp(mml_test_data(CAP), &n);
	REQUIRE(cap);
	char *mut = malloc(n);
	REQUIRE(mut);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int runs = 0, bad = 0;
	for (int r = 0; r < 120; r++) {
		memcpy(mut, cap, n);
		int flips = 1 + r % 24;
		for (int k = 0; k < flips; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t at = 24 + (size_t)(x % (n - 24)); /* keep the file header */
			mut[at] ^= (char)(1 + (x >> 32) % 255);
		}
		const char *p = t_write_tmp("flip.pcap", mut, n);
		mml_stats st;
		int rc = quiet_run(p, mml_test_data(KEYS), &st);
		runs++;
		bad += (rc != 0 && rc != 3) || !invariant(&st);
	}
	CHECK_EQ(bad, 0);
	mml_test_note("%d mutated captures (1-24 flipped bytes each) analysed without a crash", runs);
	free(mut);
	free(cap);
}

/* Feed one TCP direction as segments into a fresh pipeline. */
typedef struct col {
	int n, truncated;
	mml_status last;
	size_t last_len;
} col;

static void col_outer(void *ctx, const mml_outer *o)
{
	col *c = ctx;
	c->n++;
	c->last = o->status;
	c->last_len = o->len;
	c->truncated += o->status == MML_ST_TRUNCATED;
}

static void send_seg(mml_flowtab *ft, int dir, const void *p, size_t n, uint32_t *seq, uint8_t flags)
{
	mml_pkt k;
	memset(&k, 0, sizeof k);
	k.src.ver = k.dst.ver = 4;
	k.src.ip[0] = dir ? 2 : 1;
	k.dst.ip[0] = dir ? 1 : 2;
	k.src.port = dir ? 80 : 40000;
	k.dst.port = dir ? 40000 : 80;
	k.tcp_flags = flags;
	k.seq = seq[dir];
	k.payload = p;
	k.paylen = n;
	seq[dir] += (uint32_t)n + ((flags & MML_TCP_FIN) ? 1 : 0);
	mml_flowtab_packet(ft, &k);
}

TEST(hostile_record_length_past_end_is_truncated)
{
	mml_stats st;
	memset(&st, 0, sizeof st);
	mml_keylog kl;
	mml_keylog_init(&kl);
	col c;
	memset(&c, 0, sizeof c);
	mml_conn_cbs cc = {.ctx = &c, .on_outer = col_outer};
	mml_mmtls_ctx *mm = mml_mmtls_new(&kl, &cc, &st);
	mml_flow_cbs fc;
	mml_mmtls_flow_cbs(mm, &fc);
	mml_flowtab_cfg cfg = {0};
	mml_flowtab *ft = mml_flowtab_new(&cfg, &fc, &st);
	/* a shortlink body whose data record declares 0x4000 bytes but the
	 * body (Content-Length) holds only 40 of them */
	uint8_t body[5 + 40];
	memset(body, 0xab, sizeof body);
	body[0] = 0x17, body[1] = 0xf1, body[2] = 0x04, body[3] = 0x40, body[4] = 0x00;
	char head[128];
	int hl = snprintf(head, sizeof head, "POST /mmtls/00aa11bb HTTP/1.1\r\nContent-Length: %zu\r\n\r\n", sizeof body);
	uint32_t seq[2] = {100, 900};
	send_seg(ft, 0, head, (size_t)hl, seq, MML_TCP_ACK);
	send_seg(ft, 0, body, sizeof body, seq, MML_TCP_ACK | MML_TCP_FIN);
	/* the same in a longlink stream that simply ends */
	mml_flowtab_flush(ft);
	CHECK_EQ(st.records, 1);
	CHECK_EQ(st.records_truncated, 1);
	CHECK_EQ(c.truncated, 1);
	CHECK(invariant(&st));
	mml_flowtab_free(ft);
	mml_mmtls_free(mm);
	mml_keylog_free(&kl);
}

/* ---- the command line ---- */

static const char *bin(void)
{
	const char *b = getenv("MMLENS_BIN");
	return b && *b ? b : "build/mmlens";
}

static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

TEST(cli_exit_codes_and_help)
{
	const char *t = mml_test_tmpdir();
	CHECK_EQ(sh("%s --help >/dev/null", bin()), 0);
	CHECK_EQ(sh("%s decrypt --help | grep -q -- --keylog", bin()), 0);
	CHECK_EQ(sh("%s >/dev/null 2>&1", bin()), 1);
	CHECK_EQ(sh("%s frobnicate 2>/dev/null", bin()), 1);
	CHECK_EQ(sh("%s decrypt --bogus x 2>/dev/null", bin()), 1);
	CHECK_EQ(sh("%s decrypt 2>/dev/null", bin()), 1);
	CHECK_EQ(sh("%s decrypt %s/missing.pcap 2>/dev/null", bin(), t), 2);
	CHECK_EQ(sh("echo 'not a capture' > %s/junk.pcap && %s decrypt %s/junk.pcap 2>%s/err", t, bin(), t, t), 2);
	CHECK_EQ(sh("grep -q 'junk.pcap: not a pcap' %s/err", t), 0);
	CHECK_EQ(sh("%s decrypt -k %s/missing.log %s 2>/dev/null >/dev/null", bin(), t, mml_test_data(CAP)), 2);
	/* truncated capture: the packets before the cut are still analysed, exit 3 */
	CHECK_EQ(sh("head -c 60000 %s > %s/cut.pcap && %s decrypt -q -k %s %s/cut.pcap > %s/cut.jsonl 2>%s/err", mml_test_data(CAP),
	            t, bin(), mml_test_data(KEYS), t, t, t),
	         3);
	CHECK_EQ(sh("grep -q 'cut.pcap' %s/err && grep -q '\"status\":\"decrypted\"' %s/cut.jsonl", t, t), 0);
}

TEST(cli_outputs_are_0600_and_stdin_streams)
{
	const char *t = mml_test_tmpdir();
	char out[600], stats[600];
	snprintf(out, sizeof out, "%s/o.jsonl", t);
	snprintf(stats, sizeof stats, "%s/s.json", t);
	/* a pre-existing world-readable file is narrowed to 0600 too */
	CHECK_EQ(sh("touch %s && chmod 644 %s", out, out), 0);
	CHECK_EQ(sh("cat %s | %s decrypt -q -k %s -o %s --stats-json %s - 2>/dev/null", mml_test_data(CAP), bin(),
	            mml_test_data(KEYS), out, stats),
	         0);
	struct stat sb;
	REQUIRE(stat(out, &sb) == 0);
	CHECK_EQ(sb.st_mode & 0777, 0600);
	REQUIRE(stat(stats, &sb) == 0);
	CHECK_EQ(sb.st_mode & 0777, 0600);
	size_t n;
	char *s = t_slurp(stats, &n);
	REQUIRE(s);
	json_t *o = json_loads(s, 0, NULL);
	free(s);
	REQUIRE(o);
	const char *need[] = {"records", "records_decrypted", "records_plaintext", "records_no_key",
	                      "records_auth_failed", "records_truncated", "messages"};
	for (size_t i = 0; i < sizeof need / sizeof *need; i++)
		CHECK(json_is_integer(json_object_get(o, need[i])));
	json_int_t sum = 0;
	for (size_t i = 1; i < 6; i++)
		sum += json_integer_value(json_object_get(o, need[i]));
	CHECK_EQ(sum, json_integer_value(json_object_get(o, "records")));
	CHECK_EQ(json_integer_value(json_object_get(o, "messages")), 54);
	json_decref(o);
	/* stdin and file give the same messages */
	CHECK_EQ(sh("%s decrypt -q -k %s %s 2>/dev/null | cmp -s - %s", bin(), mml_test_data(KEYS), mml_test_data(CAP), out),
	         0);
	/* --redact leaves no body, uin or client address */
	CHECK_EQ(sh("%s decrypt -q --redact -k %s %s 2>/dev/null | grep -c '\"body_hex\":\"' | grep -qx 0", bin(),
	            mml_test_data(KEYS), mml_test_data(CAP)),
	         0);
	CHECK_EQ(sh("%s decrypt -q --redact -k %s %s 2>/dev/null | grep -q -e 1505495844 -e 10.0.2.16", bin(),
	            mml_test_data(KEYS), mml_test_data(CAP)),
	         1);
}

TEST(cli_bad_keylog_lines_reported_rest_used)
{
	const char *t = mml_test_tmpdir();
	/* the real key log with three broken lines inserted at lines 2, 5 and 9 */
	CHECK_EQ(sh("awk 'NR==2{print \"{not json\"} NR==4{print \"{\\\"layer\\\":\\\"OUTER\\\",\\\"encrypt\\\":true,"
	            "\\\"key\\\":\\\"zz\\\",\\\"nonce\\\":\\\"00\\\",\\\"tail\\\":\\\"00\\\"}\"} NR==7{print \"[1,2]\"} {print}' "
	            "%s > %s/bad.log",
	            mml_test_data(KEYS), t),
	         0);
	CHECK_EQ(sh("%s decrypt -q -k %s/bad.log %s > %s/bad.jsonl 2>%s/bad.err", bin(), t, mml_test_data(CAP), t, t), 3);
	CHECK_EQ(sh("grep -q 'bad.log:2: key log line skipped' %s/bad.err", t), 0);
	CHECK_EQ(sh("grep -q 'bad.log:5: key log line skipped' %s/bad.err", t), 0);
	CHECK_EQ(sh("grep -q 'bad.log:9: key log line skipped' %s/bad.err", t), 0);
	CHECK_EQ(sh("grep -c '\"status\":\"decrypted\"' %s/bad.jsonl | grep -qx 40", t), 0);
}

/* IPv4 fragments that disagree about the datagram's end are dropped, and
 * a datagram is delivered only when every byte arrived (found by fuzzing:
 * bytes never received used to reach the TCP decoder). */
static size_t frag(uint8_t *b, uint16_t off8, int more, const char *payload, size_t n)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	b[2] = (uint8_t)((20 + n) >> 8), b[3] = (uint8_t)(20 + n);
	b[4] = 0x12, b[5] = 0x34;
	uint16_t fo = (uint16_t)(off8 | (more ? 0x2000 : 0));
	b[6] = (uint8_t)(fo >> 8), b[7] = (uint8_t)fo;
	b[8] = 64, b[9] = 6;
	b[12] = 10, b[15] = 1, b[16] = 10, b[19] = 2;
	memcpy(b + 20, payload, n);
	return 20 + n;
}

TEST(hostile_ipfrag_conflicting_ends_dropped)
{
	mml_stats st;
	memset(&st, 0, sizeof st);
	mml_ipfrag *t = mml_ipfrag_new();
	REQUIRE(t);
	uint8_t b[64];
	const uint8_t *out;
	size_t outlen;
	size_t n = frag(b, 1, 0, "abcd", 4); /* bytes 8..11, last */
	CHECK_EQ(mml_ipfrag_add(t, b, n, 1, &out, &outlen, &st), MML_E_INCOMPLETE);
	n = frag(b, 2, 0, "efghijkl", 8); /* another end at 24: conflicting */
	CHECK_EQ(mml_ipfrag_add(t, b, n, 2, &out, &outlen, &st), MML_E_MALFORMED);
	n = frag(b, 0, 1, "01234567", 8);
	CHECK_EQ(mml_ipfrag_add(t, b, n, 3, &out, &outlen, &st), MML_E_INCOMPLETE);
	CHECK(st.pkt_ipv4_frag_dropped >= 1);
	CHECK_EQ(st.pkt_ipv4_frag_reassembled, 0);
	/* a clean 3-part datagram still reassembles */
	mml_ipfrag_free(t);
	t = mml_ipfrag_new();
	n = frag(b, 2, 0, "QRST", 4);
	CHECK_EQ(mml_ipfrag_add(t, b, n, 1, &out, &outlen, &st), MML_E_INCOMPLETE);
	n = frag(b, 0, 1, "ABCDEFGH", 8);
	CHECK_EQ(mml_ipfrag_add(t, b, n, 2, &out, &outlen, &st), MML_E_INCOMPLETE);
	n = frag(b, 1, 1, "IJKLMNOP", 8);
	REQUIRE(mml_ipfrag_add(t, b, n, 3, &out, &outlen, &st) == MML_OK);
	CHECK_EQ(outlen, 20 + 20);
	CHECK(!memcmp(out + 20, "ABCDEFGHIJKLMNOPQRST", 20));
	mml_ipfrag_free(t);
}

/* --catalog extends and overrides the built-in catalog; bad lines are
 * reported with their line number and skipped. */
TEST(cli_catalog_extends_and_overrides)
{
	const char *t = mml_test_tmpdir();
	CHECK_EQ(sh("printf '# mine\\n138\\t/my/sync\\nnot a line\\n99999,/my/new\\n' > %s/cat.tsv", t), 0);
	CHECK_EQ(sh("%s decrypt -q --catalog %s/cat.tsv -k %s %s > %s/cat.jsonl 2>%s/cat.err", bin(), t,
	            mml_test_data(KEYS), mml_test_data(CAP), t, t),
	         3);
	CHECK_EQ(sh("grep -q 'cat.tsv:3: catalog line skipped' %s/cat.err", t), 0);
	/* longlink newsync (138) carries no URI: the user's path names it */
	CHECK_EQ(sh("grep '\"transport\":\"longlink\"' %s/cat.jsonl | grep '\"req_type\":138' | grep -c '\"api\":\"/my/sync\"' | grep -qx 2", t), 0);
	/* a shortlink keeps the URI its envelope carries */
	CHECK_EQ(sh("grep '\"transport\":\"shortlink\"' %s/cat.jsonl | grep '\"req_type\":138' | grep -q '/cgi-bin/micromsg-bin/newsync'", t), 0);
	CHECK_EQ(sh("%s decrypt -q --catalog %s/nope.tsv %s 2>/dev/null >/dev/null", bin(), t, mml_test_data(CAP)), 2);
}

/* Every "cannot read" says the system's reason (strerror), never an
 * internal error name such as "io_error" (issue 13, terminal). */
TEST(cli_cannot_read_gives_the_system_reason)
{
	const char *t = mml_test_tmpdir();
	const char *cap = mml_test_data(CAP);
	CHECK_EQ(sh("mkdir -p %s/adir", t), 0);
	static const struct {
		const char *args, *want;
	} cases[] = {
		{"decrypt -q -k %s/missing.log %s", "missing.log: cannot read key log: No such file or directory"},
		{"decrypt -q -k %s/adir %s", "adir: cannot read key log: Is a directory"},
		{"decrypt -q --catalog %s/missing.tsv %s", "missing.tsv: cannot read catalog: No such file or directory"},
		{"scan -q --known-file %s/missing.txt %s", "missing.txt: cannot read known values: No such file or directory"},
		{"scan -q --fields %s/adir %s", "adir: cannot read field layouts: Is a directory"},
		{"audit --attrib %s/missing.tsv %s", "missing.tsv: cannot read attribution rows: No such file or directory"},
		{"audit --policy %s/missing.json %s", "missing.json: cannot read: No such file or directory"},
		{"sessions --manifest %s/missing.json %s", "missing.json: cannot read the manifest: No such file or directory"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char args[1024];
		snprintf(args, sizeof args, cases[i].args, t, cap);
		CHECK_EQ(sh("%s %s > /dev/null 2> %s/why.err", bin(), args, t), 2);
		CHECK_EQ(sh("grep -qF '%s' %s/why.err", cases[i].want, t), 0);
		CHECK_EQ(sh("grep -q 'io_error' %s/why.err", t), 1);
	}
}
