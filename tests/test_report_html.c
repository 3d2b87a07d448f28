/*
 * test_report_html.c - `mmlens report --html` (src/report/html.c,
 * html_sec.c, src/cli/report.c): the page of the demo session (the
 * simulator's miniprogram scenario with the location permission on)
 * holds the timeline SVG with one row per category of each session, the
 * party x category matrix, the policy gaps (Mini Program activity
 * received by WeChat is other_party or omitted), the per-session
 * timeline tables and links that all resolve inside the page; nothing
 * refers outside the page; hostile values come out escaped; --redact
 * masks values and embeds no message; files are 0600; the diff view
 * with --compare and session labels; the caps say what they left out
 * (through the writer's API with tiny caps); usage errors. Then headless
 * Chromium, with networking disabled, renders the page: the DOM after
 * the script ran has the sections, a screenshot is made, and no console
 * message or script error is reported. Chromium missing is a failure.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "mmlens/decode.h"
#include "mmlens/html.h"
#include "test.h"
#include "util.h"

#define HOSTILE "</script><img src=x onerror=alert(1)>"
#define HOSTILE_ESC "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"

static int run_report(char **argv) { return t_cmd_quiet(mml_cmd_report, argv); }

static int count_of(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* The demo capture (scripts/demo.sh): simulated once per run. */
static bool demo_capture(char *pcap, char *keys, size_t n)
{
	char truth[512];
	return t_simulate("html-demo", "--scenario miniprogram --location on --seed 1", pcap, keys, truth, n) == 0;
}

/* Every href/src points inside the page, and every #mN / #sN target exists. */
static void check_links_local(const char *html)
{
	CHECK(!strstr(html, "src=\""));
	CHECK(!strstr(html, "url("));
	CHECK(!strstr(html, "@import"));
	CHECK(!strstr(html, "srcset"));
	int bad = 0, dangling = 0, n = 0;
	for (const char *p = html; (p = strstr(p, "href=\"")); p++) {
		const char *v = p + 6;
		n++;
		if (*v != '#') {
			bad++;
			continue;
		}
		const char *q = strchr(v, '"');
		if (!q || q - v > 60)
			continue;
		char id[80];
		snprintf(id, sizeof id, "id=\"%.*s\"", (int)(q - v - 1), v + 1);
		if (!strstr(html, id))
			dangling++;
	}
	CHECK(n > 0);
	CHECK_EQ(bad, 0);
	CHECK_EQ(dangling, 0);
	/* URLs only as escaped text: never inside a tag, a script or a style */
	const char *scr = strstr(html, "<script>"), *style = strstr(html, "<style>");
	const char *scr_end = scr ? strstr(scr, "</script>") : NULL;
	const char *style_end = style ? strstr(style, "</style>") : NULL;
	int in_tag = 0, in_code = 0;
	for (const char *p = html; (p = strstr(p, "http")); p++) {
		if (strncmp(p, "http://", 7) && strncmp(p, "https://", 8))
			continue;
		const char *k = p;
		while (k > html && k[-1] != '<' && k[-1] != '>')
			k--;
		if (k == html || k[-1] == '<')
			in_tag++;
		if ((scr && p > scr && scr_end && p < scr_end) || (style && p > style && style_end && p < style_end))
			in_code++;
	}
	CHECK_EQ(in_tag, 0);
	CHECK_EQ(in_code, 0);
	CHECK(!strstr(html, "http-equiv=\"refresh\""));
}

/* The session sections: the SVG of each has one row per category of its timeline table. */
static void check_session_rows(const char *html, int *sessions)
{
	*sessions = 0;
	for (const char *s = html; (s = strstr(s, "<section class=\"session\"")); s++) {
		const char *end = strstr(s, "</section>");
		REQUIRE(end);
		(*sessions)++;
		const char *tl = strstr(s, "<table class=\"tl\">");
		if (!tl || tl > end) {
			CHECK(strstr(s, "No findings in this session.") && strstr(s, "No findings in this session.") < end);
			continue;
		}
		char cats[64][64];
		int nc = 0;
		for (const char *r = tl; (r = strstr(r, "<tr><td>")) && r < end; r++) {
			const char *c = r + 8, *ce = strstr(c, "</td>");
			if (!ce || ce - c >= 64)
				continue;
			int dup = 0;
			for (int i = 0; i < nc; i++)
				dup |= (int)strlen(cats[i]) == (int)(ce - c) && !strncmp(cats[i], c, (size_t)(ce - c));
			if (!dup && nc < 64) {
				memcpy(cats[nc], c, (size_t)(ce - c));
				cats[nc++][ce - c] = 0;
			}
		}
		const char *svg = strstr(s, "<svg class=\"timeline\"");
		REQUIRE(svg && svg < end);
		const char *svg_end = strstr(svg, "</svg>");
		int rows = 0;
		for (const char *t = svg; (t = strstr(t, "<text class=\"cat\"")) && t < svg_end; t++)
			rows++;
		CHECK_EQ(rows, nc);
		for (int i = 0; i < nc; i++) {
			char want[160];
			snprintf(want, sizeof want, "text-anchor=\"end\">%.63s</text>", cats[i]);
			const char *w = strstr(svg, want);
			if (!w || w > svg_end)
				mml_test_fail(__FILE__, __LINE__, "session timeline lacks a row for %s", cats[i]);
		}
		CHECK(strstr(svg, "<rect ") && strstr(svg, "<rect ") < svg_end);
	}
}

TEST(report_html_demo_page)
{
	char pcap[512], keys[512], out[600];
	REQUIRE(demo_capture(pcap, keys, sizeof pcap));
	snprintf(out, sizeof out, "%s/demo.html", mml_test_tmpdir());
	char *a[] = {"report", "--policy", "wechat", "-k", keys, "--html", out, pcap, NULL};
	CHECK_EQ(run_report(a), 0);
	struct stat sb;
	REQUIRE(stat(out, &sb) == 0);
	CHECK_EQ(sb.st_mode & 0777, 0600);
	size_t len;
	char *html = t_slurp(out, &len);
	REQUIRE(html);
	mml_test_note("demo page %zu bytes", len);
	CHECK(!strncmp(html, "<!DOCTYPE html>", 15));
	CHECK(strstr(html, "Content-Security-Policy") && strstr(html, "default-src 'none'"));
	int sessions;
	check_session_rows(html, &sessions);
	CHECK(sessions >= 1);
	CHECK_EQ(count_of(html, "<svg class=\"timeline\""), sessions);
	CHECK_EQ(count_of(html, "Timeline table:"), sessions);
	/* matrix */
	const char *mx = strstr(html, "<table id=\"matrix-table\">");
	REQUIRE(mx);
	const char *mx_end = strstr(mx, "</table>");
	const char *act = strstr(mx, "<tr><th>miniprogram.activity</th>");
	CHECK(act && act < mx_end);
	const char *coord = strstr(mx, "<tr><th>location.coordinates</th>");
	CHECK(coord && coord < mx_end);
	CHECK(strstr(mx, "style=\"background:rgb(") && strstr(mx, "style=\"background:rgb(") < mx_end);
	/* gaps: Mini Program activity received by WeChat */
	const char *gp = strstr(html, "<table id=\"gaps-table\">");
	REQUIRE(gp);
	CHECK(strstr(gp, "<td class=\"v-other_party\">other_party</td><td>wechat</td><td>miniprogram.activity</td>") ||
	      strstr(gp, "<td class=\"v-omitted\">omitted</td><td>wechat</td><td>miniprogram.activity</td>"));
	CHECK(!strstr(gp, "<td class=\"v-disclosed\">"));
	CHECK(strstr(gp, "<ul class=\"ev\"><li>message <a href=\"#m") != NULL);
	/* findings: every finding has a row, each message id links to its decoded message */
	const char *ft = strstr(html, "<tbody id=\"ftbody\">");
	REQUIRE(ft);
	const char *ft_end = strstr(ft, "</tbody>");
	int rows = 0;
	for (const char *r = ft; (r = strstr(r, "<tr>")) && r < ft_end; r++)
		rows++;
	CHECK(rows > 100);
	char want[80];
	snprintf(want, sizeof want, "<th>findings</th><td>%d</td>", rows);
	CHECK(strstr(html, want) != NULL);
	CHECK(strstr(html, "Nothing was left out by the page's caps.") != NULL);
	CHECK(count_of(html, "<section class=\"msg\" id=\"m") > 10);
	CHECK(strstr(html, "<pre>- root pb") != NULL);
	/* the demo has more than one session: each against the one before */
	if (sessions > 1)
		CHECK(strstr(html, "(A) against session ") != NULL);
	check_links_local(html);
	CHECK_EQ(count_of(html, "<script>"), 2);
	free(html);
}

static const char *hostile_log(void)
{
	const char *body = "{\"model\":\"" HOSTILE " https://evil.example/a.png\",\"brand\":\"Pixel\"}";
	char hex[600], text[2048];
	size_t n = strlen(body), k = 0;
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(hex + k, sizeof hex - k, "%02x", (unsigned char)body[i]);
	snprintf(text, sizeof text,
	         "{\"data\": \"%s\", \"req_id\": 1060, \"req_type\": \"/cgi-bin/micromsg-bin/getprofile\"}\n"
	         "{\"data\": \"%s\", \"req_id\": 1061, \"req_type\": \"/cgi-bin/<\\/script><img src=x onerror=alert(2)>\"}\n",
	         hex, hex);
	return t_write_tmp("hostile.log.jsonl", text, strlen(text));
}

TEST(report_html_hostile_values_escaped)
{
	char log[600], out[600];
	snprintf(log, sizeof log, "%s", hostile_log());
	snprintf(out, sizeof out, "%s/hostile.html", mml_test_tmpdir());
	/* "1:scenario=" HOSTILE is one argument */
	// NOLINTNEXTLINE(bugprone-suspicious-missing-comma)
	char *a[] = {"report", "--policy", "wechat", "--label", "1:scenario=" HOSTILE, "--label",
	             "1:permissions=location,<b>camera</b>", "--html", out, log, NULL};
	CHECK_EQ(run_report(a), 0);
	char *html = t_slurp(out, NULL);
	REQUIRE(html);
	CHECK(!strstr(html, HOSTILE));
	CHECK(!strstr(html, "<img"));
	CHECK(!strstr(html, "<b>camera"));
	CHECK(!strstr(html, "onerror=alert(2)>"));
	CHECK(count_of(html, HOSTILE_ESC) >= 3); /* value in the table, decoded message, label */
	CHECK(strstr(html, "<th>scenario</th><td>" HOSTILE_ESC "</td>") != NULL);
	CHECK(strstr(html, "&lt;b&gt;camera&lt;/b&gt;") != NULL);
	CHECK(strstr(html, "/cgi-bin/&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;") != NULL);
	CHECK_EQ(count_of(html, "<script>"), 2);
	CHECK_EQ(count_of(html, "</script>"), 2);
	check_links_local(html);
	free(html);
}

TEST(report_html_redact)
{
	char log[600], out[600], dbp[600];
	snprintf(log, sizeof log, "%s", hostile_log());
	snprintf(out, sizeof out, "%s/redacted.html", mml_test_tmpdir());
	snprintf(dbp, sizeof dbp, "%s/redacted.db", mml_test_tmpdir());
	char *a[] = {"report", "--redact", "--db", dbp, "--html", out, log, NULL};
	CHECK_EQ(run_report(a), 0);
	struct stat sb;
	REQUIRE(stat(out, &sb) == 0);
	CHECK_EQ(sb.st_mode & 0777, 0600);
	REQUIRE(stat(dbp, &sb) == 0);
	CHECK_EQ(sb.st_mode & 0777, 0600);
	char *html = t_slurp(out, NULL);
	REQUIRE(html);
	CHECK(!strstr(html, "onerror=alert(1)"));
	CHECK(!strstr(html, "evil.example"));
	CHECK(!strstr(html, "Pixel"));
	CHECK(strstr(html, "<td class=\"val\">redacted</td>") != NULL);
	CHECK(!strstr(html, "<section class=\"msg\""));
	CHECK(strstr(html, "Not embedded: this report is redacted (--redact).") != NULL);
	CHECK(strstr(html, "Redacted report (--redact)") != NULL);
	free(html);
}

TEST(report_html_compare_labels_usage)
{
	char pa[512], ka[512], pb[512], kb[512], truth[512], out[600];
	REQUIRE(demo_capture(pa, ka, sizeof pa));
	REQUIRE(t_simulate("html-off", "--scenario miniprogram --location off --seed 1", pb, kb, truth, sizeof pb) == 0);
	/* one key log for both captures, as scripts/demo.sh does */
	char both[600];
	snprintf(both, sizeof both, "%s/both.keys", mml_test_tmpdir());
	size_t na, nb;
	char *ta = t_slurp(ka, &na), *tb = t_slurp(kb, &nb);
	REQUIRE(ta && tb);
	FILE *f = fopen(both, "w");
	REQUIRE(f);
	fwrite(ta, 1, na, f);
	fwrite(tb, 1, nb, f);
	fclose(f);
	free(ta);
	free(tb);
	snprintf(out, sizeof out, "%s/compare.html", mml_test_tmpdir());
	char *a[] = {"report", "-k", both, "--html", out, "--compare", pb, "--label", "1:scenario=location-on",
	             "--label", "1:permissions=location", "--label", "1:region=SG", "--policy", "none", pa, NULL};
	CHECK_EQ(run_report(a), 0);
	char *html = t_slurp(out, NULL);
	REQUIRE(html);
	const char *d = strstr(html, "<section id=\"diff\">");
	REQUIRE(d);
	const char *d_end = strstr(d, "</section>");
	const char *c = strstr(d, "<tr><td>A (this input)</td><td>category</td><td>location.coordinates</td>");
	CHECK(c && c < d_end);
	CHECK(!strstr(d, "<td>B (--compare)</td><td>category</td><td>location.coordinates</td>"));
	CHECK(strstr(html, "<h3>Session 1: location-on</h3>") != NULL);
	CHECK(strstr(html, "<th>permissions</th><td>location</td>") != NULL);
	CHECK(strstr(html, "<th>region</th><td>SG</td>") != NULL);
	CHECK(strstr(html, "No policy model given") != NULL);
	free(html);
	/* the same input against itself: no difference */
	char *s[] = {"report", "-k", both, "--html", out, "--compare", pa, pa, NULL};
	CHECK_EQ(run_report(s), 0);
	html = t_slurp(out, NULL);
	REQUIRE(html);
	d = strstr(html, "<section id=\"diff\">");
	CHECK(d && strstr(d, "<p>No difference.</p>"));
	free(html);
	/* usage */
	char *u1[] = {"report", pa, NULL};
	CHECK_EQ(run_report(u1), 1);
	char *u2[] = {"report", "--db", out, "--compare", pb, pa, NULL};
	CHECK_EQ(run_report(u2), 1);
	char *u3[] = {"report", "--html", out, "--label", "x:scenario=a", pa, NULL};
	CHECK_EQ(run_report(u3), 1);
	char *u4[] = {"report", "--html", out, "--manifest", "/nonexistent/manifest.json", pa, NULL};
	CHECK_EQ(run_report(u4), 2);
	char *u5[] = {"report", "-k", both, "--html", "/nonexistent/dir/x.html", pa, NULL};
	CHECK_EQ(run_report(u5), 2);
	char *u6[] = {"report", "-k", both, "--html", out, "--compare", pb, "/nonexistent/input", NULL};
	CHECK_EQ(run_report(u6), 2);
}

/* The writer's caps, through its API with tiny caps: nothing dropped silently. */
TEST(report_html_caps_said)
{
	mml_html_opts o = {.input = "synthetic", .kind = "log", .max_findings = 5, .max_messages = 2,
	                   .max_msg_text = 100, .max_marks = 8, .max_sessions = 1};
	mml_html *h = mml_html_new(&o);
	REQUIRE(h);
	mml_dtree t;
	mml_dtree_init(&t, NULL);
	char body[1200];
	size_t k = (size_t)snprintf(body, sizeof body, "{");
	for (int i = 0; i < 40; i++)
		k += (size_t)snprintf(body + k, sizeof body - k, "%s\"k%d\":\"\xe4\xb8\xad\xe6\x96\x87%d\"", i ? "," : "", i, i);
	snprintf(body + k, sizeof body - k, "}");
	REQUIRE(mml_decode_body(&t, (const uint8_t *)body, strlen(body)) == MML_OK);
	static const char *const cats[] = {"device.info", "locale", "network.type"};
	mml_flows all;
	mml_flows_init(&all);
	for (uint64_t id = 1; id <= 40; id++) {
		mml_msg m;
		memset(&m, 0, sizeof m);
		m.id = id;
		m.req_type = -1;
		m.api = "/cgi-bin/test";
		for (int c = 0; c < 3; c++) {
			mml_finding fd = {.category = cats[c], .detector = "json.key", .confidence = 0.9, .path = "json.k",
			                  .value = "v", .value_len = 1};
			mml_html_finding hf = {.m = &m, .f = &fd, .party = (mml_party)(c % 2)};
			mml_html_add_finding(h, &hf);
			mml_recv rv = {.api = m.api, .attributed = true, .party = (mml_party)(c % 2), .feature = MML_FEAT_OTHER,
			               .req_type = -1};
			CHECK(mml_flows_add(&all, cats[c], &rv, id, false, 0, "json.k", "json.key") == MML_OK);
		}
		mml_html_add_message(h, &m, &t, 3, false, 0);
		if (id == 30 || id == 40) {
			mml_session s = {.index = id == 30 ? 1 : 2, .first = id == 30 ? 1 : 31, .last = id, .messages = 30,
			                 .opener = -1};
			mml_html_add_session(h, &s, NULL, &all);
		}
	}
	FILE *f = tmpfile();
	REQUIRE(f);
	CHECK(mml_html_write(h, f, &all, NULL, NULL) == MML_OK);
	long n = ftell(f);
	REQUIRE(n > 0);
	char *html = malloc((size_t)n + 1);
	REQUIRE(html);
	rewind(f);
	CHECK_EQ(fread(html, 1, (size_t)n, f), (size_t)n);
	html[n] = 0;
	fclose(f);
	CHECK(strstr(html, "<li>115 finding(s) are not in the findings table (cap: 5 rows).</li>") != NULL);
	CHECK(strstr(html, "<li>38 message(s) with findings are not embedded (cap: 2 decoded messages).</li>") != NULL);
	CHECK(strstr(html, "<li>2 decoded message view(s) are cut at 100 bytes.</li>") != NULL);
	CHECK(strstr(html, "more than 8 marks: their marks are binned") != NULL);
	CHECK(strstr(html, "<li>1 session(s) have no section of their own (cap: 1 sessions)") != NULL);
	CHECK(strstr(html, "Timeline binned: each mark covers") != NULL);
	CHECK(strstr(html, "more bytes of this view left out (cap 100 bytes)") != NULL);
	CHECK_EQ(count_of(html, "<section class=\"msg\""), 2);
	CHECK(strstr(html, "mmlens report --db") != NULL);
	/* the binned timeline keeps at most the cap, with a mark per category */
	const char *svg = strstr(html, "<svg class=\"timeline\"");
	REQUIRE(svg);
	const char *svg_end = strstr(svg, "</svg>");
	int marks = 0;
	for (const char *r = svg; (r = strstr(r, "<rect ")) && r < svg_end; r++)
		marks++;
	CHECK(marks >= 3 && marks <= 8);
	/* a cut never splits a UTF-8 character: the cut view is valid UTF-8 up to the note */
	const char *pre = strstr(html, "<pre>"), *cut = pre ? strstr(pre, "<span class=\"cut\">") : NULL;
	REQUIRE(pre && cut);
	for (const unsigned char *p = (const unsigned char *)pre; p < (const unsigned char *)cut;) {
		int need = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 : (*p & 0xF8) == 0xF0 ? 3 : -1;
		REQUIRE(need >= 0);
		p++;
		for (int i = 0; i < need; i++, p++)
			REQUIRE((*p & 0xC0) == 0x80 && p < (const unsigned char *)cut);
	}
	free(html);
	mml_flows_free(&all);
	mml_dtree_free(&t);
	mml_html_free(h);
}


static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(report_html_chromium)
{
	const char *bin = getenv("MMLENS_CHROMIUM");
	if (!bin || !*bin)
		bin = "chromium";
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "command -v '%s' >/dev/null 2>&1", bin);
	if (system(cmd) != 0) {
		mml_test_fail(__FILE__, __LINE__, "%s not found: `make test` installs it (scripts/packages.txt [test])",
		              bin);
		return;
	}
	char pa[512], ka[512], out[600], ud[600], dom[600], log[600];
	REQUIRE(demo_capture(pa, ka, sizeof pa));
	snprintf(out, sizeof out, "%s/chromium.html", mml_test_tmpdir());
	char *a[] = {"report", "--policy", "wechat", "-k", ka, "--html", out, pa, NULL};
	CHECK_EQ(run_report(a), 0);
	char *page = t_slurp(out, NULL);
	REQUIRE(page);
	check_links_local(page); /* nothing to fetch, and the network is off anyway */
	free(page);
	snprintf(ud, sizeof ud, "%s/chromium-profile", mml_test_tmpdir());
	snprintf(dom, sizeof dom, "%s/dom.html", mml_test_tmpdir());
	snprintf(log, sizeof log, "%s/chromium.log", mml_test_tmpdir());
	const char *flags = "--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions "
	                    "--disable-background-networking --disable-sync --disable-component-update "
	                    "--proxy-server=127.0.0.1:9 --host-resolver-rules=\"MAP * ~NOTFOUND\" "
	                    "--enable-logging=stderr --v=0";
	/* 1: the DOM after the page's script ran */
	snprintf(cmd, sizeof cmd, "timeout 60 '%s' %s --user-data-dir='%s' --dump-dom 'file://%s' >'%s' 2>'%s'", bin,
	         flags, ud, out, dom, log);
	double t0 = now_s();
	int rc = system(cmd);
	double dt = now_s() - t0;
	CHECK_EQ(rc, 0);
	mml_test_note("chromium dump-dom %.2f s", dt);
	char *d = t_slurp(dom, NULL);
	REQUIRE(d);
	CHECK(strstr(d, "data-js=\"ran\"") != NULL);
	CHECK(strstr(d, "<span id=\"jserr\">0</span>") != NULL);
	CHECK(strstr(d, "<span id=\"jsstatus\">ran</span>") != NULL);
	CHECK(strstr(d, "<svg class=\"timeline\"") != NULL);
	CHECK(strstr(d, ">miniprogram.activity</text>") != NULL);
	CHECK(strstr(d, "<table id=\"matrix-table\">") != NULL);
	CHECK(strstr(d, "<tr><th>miniprogram.activity</th>") != NULL);
	CHECK(strstr(d, ">other_party</td><td>wechat</td><td>miniprogram.activity</td>") ||
	      strstr(d, ">omitted</td><td>wechat</td><td>miniprogram.activity</td>"));
	CHECK(strstr(d, "<p id=\"search\">") != NULL); /* the script showed the filter box */
	CHECK(!strstr(d, "<p id=\"search\" hidden"));
	free(d);
	char *l = t_slurp(log, NULL);
	REQUIRE(l);
	const char *cl = strstr(l, "CONSOLE");
	if (cl)
		mml_test_fail(__FILE__, __LINE__, "console message: %.200s", cl);
	CHECK(!strstr(l, "ERR_PROXY") && !strstr(l, "ERR_NAME_NOT_RESOLVED")); /* nothing tried the network */
	free(l);
	/* 2: a screenshot */
	if (system("mkdir -p build/test-out") != 0)
		mml_test_fail(__FILE__, __LINE__, "cannot create build/test-out");
	remove("build/test-out/report.png");
	snprintf(cmd, sizeof cmd,
	         "timeout 60 '%s' %s --user-data-dir='%s' --screenshot=build/test-out/report.png --window-size=1280,2000 "
	         "--hide-scrollbars 'file://%s' >/dev/null 2>'%s'",
	         bin, flags, ud, out, log);
	CHECK_EQ(system(cmd), 0);
	size_t n = 0;
	char *png = t_slurp("build/test-out/report.png", &n);
	REQUIRE(png);
	CHECK(n > 20000);
	CHECK(n > 24 && !memcmp(png, "\x89PNG\r\n\x1a\n", 8));
	if (n > 24) {
		const unsigned char *u = (const unsigned char *)png + 16;
		uint32_t w = (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
		uint32_t hgt = (uint32_t)u[4] << 24 | (uint32_t)u[5] << 16 | (uint32_t)u[6] << 8 | u[7];
		CHECK_EQ(w, 1280);
		CHECK_EQ(hgt, 2000);
	}
	free(png);
	l = t_slurp(log, NULL);
	REQUIRE(l);
	CHECK(!strstr(l, "CONSOLE"));
	free(l);
}

TEST(report_html_failed_run_keeps_old_page)
{
	/* the page is written beside its path and renamed only when whole */
	char out[600];
	snprintf(out, sizeof out, "%s/keep.html", mml_test_tmpdir());
	FILE *f = fopen(out, "w");
	REQUIRE(f);
	fputs("<p>an older report</p>\n", f);
	fclose(f);
	char missing[600];
	snprintf(missing, sizeof missing, "%s/no-such.log", mml_test_tmpdir());
	char *a[] = {"report", "--html", out, missing, NULL};
	CHECK_EQ(run_report(a), MML_EXIT_INPUT);
	char *page = t_slurp(out, NULL);
	REQUIRE(page);
	CHECK_STR(page, "<p>an older report</p>\n");
	free(page);
	char *b[] = {"report", "--html", out, (char *)mml_test_data("wechat-logs/startup_permissions_on_2.log.jsonl"), NULL};
	CHECK_EQ(run_report(b), 0);
	page = t_slurp(out, NULL);
	REQUIRE(page);
	CHECK(strstr(page, "<svg class=\"timeline\"") != NULL);
	free(page);
	struct stat sb;
	REQUIRE(stat(out, &sb) == 0);
	CHECK_EQ(sb.st_mode & 0777, 0600);
}

/* report ends with one line saying what it read and what it wrote
 * (issue 13, terminal): sessions, messages, findings, flows, the files. */
TEST(report_closing_summary_line)
{
	char html[600], db[600];
	snprintf(html, sizeof html, "%s/summary.html", mml_test_tmpdir());
	snprintf(db, sizeof db, "%s/summary.db", mml_test_tmpdir());
	remove(db);
	char log[600];
	snprintf(log, sizeof log, "%s", mml_test_data("wechat-logs/startup_permissions_on_2.log.jsonl"));
	char *argv[] = {"report", "--html", html, "--db", db, log, NULL};
	char *text = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&text, &len);
	REQUIRE(err);
	int rc = mml_cmd_report(6, argv, err);
	fclose(err);
	CHECK_EQ(rc, 0);
	REQUIRE(text);
	const char *line = strstr(text, "mmlens report: 5 sessions, 304 messages, ");
	CHECK(line != NULL);
	if (line) {
		const char *nl = strchr(line, '\n');
		CHECK(nl && !nl[1]); /* the last line */
		CHECK(strstr(line, " findings in ") && strstr(line, " flows; wrote "));
		char want[1300];
		snprintf(want, sizeof want, "wrote %s and %s\n", html, db);
		CHECK(strstr(line, want) != NULL);
	}
	free(text);
}
