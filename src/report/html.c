/*
 * src/report/html.c - the self-contained HTML report (mmlens/html.h,
 * docs/REPORT_HTML.md): state, the streamed parts (findings rows,
 * decoded messages, per-session sections and diffs, each in a tmpfile()
 * of its own) and the assembly of the page. The sections themselves are
 * written by html_sec.c.
 *
 * Contract: nothing from the input reaches the page unescaped
 * (mml_html_esc); no attribute holds input text (only numeric anchors
 * "#m<id>" and "#s<n>"); the page references nothing outside itself and
 * its Content-Security-Policy forbids every load. With redact, finding
 * values are written "redacted" - the mask of the JSONL and database
 * writers (findings.c, sqlite.c) - and no decoded message is embedded.
 * Caps (mml_html_opts) bound the page; every cap that cut something is
 * counted and said at the top of the page. Memory: the open session's
 * marks (at most max_marks, binned by doubling widths beyond), the
 * previous session's flows, the ids of embedded messages, one buffer of
 * max_msg_text bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html_int.h"
#include "mmlens/report.h"

#define REDACTED "redacted" /* the mask findings.c and sqlite.c write */

void mml_html_esc(FILE *f, const char *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = NULL;
		switch (c) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default:
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				e = "&#xFFFD;";
		}
		if (!e) {
			run++;
			continue;
		}
		if (run)
			fwrite(s + i - run, 1, run, f);
		run = 0;
		fputs(e, f);
	}
	if (run)
		fwrite(s + n - run, 1, run, f);
}

void mml_html_cstr(FILE *f, const char *s)
{
	if (s)
		mml_html_esc(f, s, strlen(s));
}

const char *mml_html_time(char buf[32], bool has, int64_t ts)
{
	struct tm tm;
	time_t t = (time_t)ts;
	buf[0] = 0;
	if (has && gmtime_r(&t, &tm))
		strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

static int id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

bool mml_html_embedded(const mml_html *h, uint64_t id)
{
	return h->nemb && bsearch(&id, h->emb, h->nemb, sizeof *h->emb, id_cmp);
}

void mml_html_msgref(const mml_html *h, FILE *f, uint64_t id)
{
	if (mml_html_embedded(h, id))
		fprintf(f, "<a href=\"#m%llu\">%llu</a>", (unsigned long long)id, (unsigned long long)id);
	else
		fprintf(f, "%llu", (unsigned long long)id);
}

const char *mml_html_party_colour(unsigned parties)
{
	static const char *const col[MML_PARTY__COUNT] = {"#1f77b4", "#2ca02c", "#ff7f0e", "#d62728"};
	for (int p = 0; p < MML_PARTY__COUNT; p++)
		if (parties == 1u << p)
			return col[p];
	return "#7f7f7f"; /* several parties in one binned mark */
}

mml_html *mml_html_new(const mml_html_opts *o)
{
	mml_html *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->o = *o;
	if (!h->o.max_findings)
		h->o.max_findings = MML_HTML_MAX_FINDINGS;
	if (!h->o.max_messages)
		h->o.max_messages = MML_HTML_MAX_MESSAGES;
	if (!h->o.max_msg_text)
		h->o.max_msg_text = MML_HTML_MAX_MSG_TEXT;
	if (!h->o.max_marks)
		h->o.max_marks = MML_HTML_MAX_MARKS;
	if (h->o.max_marks < 8)
		h->o.max_marks = 8;
	if (!h->o.max_sessions)
		h->o.max_sessions = MML_HTML_MAX_SESSIONS;
	h->bin_w = 1;
	mml_flows_init(&h->prev);
	h->t_sess = tmpfile();
	h->t_diff = tmpfile();
	h->t_find = tmpfile();
	h->t_msgs = tmpfile();
	h->scratch = tmpfile();
	h->emb = malloc(h->o.max_messages * sizeof *h->emb);
	h->marks = malloc(h->o.max_marks * sizeof *h->marks);
	h->tbuf = malloc(h->o.max_msg_text + 1);
	h->amarks = h->o.max_marks;
	if (!h->t_sess || !h->t_diff || !h->t_find || !h->t_msgs || !h->scratch || !h->emb || !h->marks || !h->tbuf) {
		mml_html_free(h);
		return NULL;
	}
	return h;
}

void mml_html_free(mml_html *h)
{
	if (!h)
		return;
	FILE *fs[] = {h->t_sess, h->t_diff, h->t_find, h->t_msgs, h->scratch};
	for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
		if (fs[i])
			fclose(fs[i]);
	free(h->emb);
	free(h->marks);
	free(h->tbuf);
	mml_flows_free(&h->prev);
	mml_html_gaps_free(h);
	free(h);
}

/* Coarsen the marks: double the bin width until they fit in half the cap. */
static void marks_coarsen(mml_html *h)
{
	while (h->nmarks > h->amarks / 2) {
		h->bin_w *= 2;
		size_t out = 0;
		for (size_t i = 0; i < h->nmarks; i++) {
			hmark m = h->marks[i];
			m.bin = m.bin / h->bin_w * h->bin_w;
			size_t k = out;
			while (k > 0 && h->marks[k - 1].bin == m.bin && strcmp(h->marks[k - 1].cat, m.cat))
				k--;
			if (k > 0 && h->marks[k - 1].bin == m.bin) {
				h->marks[k - 1].count += m.count;
				h->marks[k - 1].parties |= m.parties;
			} else {
				h->marks[out++] = m;
			}
		}
		h->nmarks = out;
	}
}

static void add_mark(mml_html *h, uint64_t msg, const char *cat, mml_party party)
{
	uint64_t bin = msg / h->bin_w * h->bin_w;
	unsigned bit = (unsigned)party < MML_PARTY__COUNT ? 1u << party : 0;
	for (size_t k = h->nmarks; k > 0 && h->marks[k - 1].bin == bin; k--) {
		if (!strcmp(h->marks[k - 1].cat, cat)) {
			h->marks[k - 1].count++;
			h->marks[k - 1].parties |= bit;
			return;
		}
	}
	if (h->nmarks == h->amarks) {
		marks_coarsen(h);
		bin = msg / h->bin_w * h->bin_w;
		for (size_t k = h->nmarks; k > 0 && h->marks[k - 1].bin == bin; k--) {
			if (!strcmp(h->marks[k - 1].cat, cat)) {
				h->marks[k - 1].count++;
				h->marks[k - 1].parties |= bit;
				return;
			}
		}
	}
	h->marks[h->nmarks++] = (hmark){.bin = bin, .cat = cat, .count = 1, .parties = bit};
}

void mml_html_add_finding(mml_html *h, const mml_html_finding *hf)
{
	const mml_finding *f = hf->f;
	uint64_t id = hf->m->id;
	h->nfind++;
	if (!h->cur_has || h->cur_msg != id) {
		h->cur_has = true;
		h->cur_msg = id;
		h->msgs_with_findings++;
		h->cur_embed = !h->o.redact && h->nemb < h->o.max_messages &&
		               (!h->nemb || h->emb[h->nemb - 1] < id); /* ids kept sorted for bsearch */
		if (h->cur_embed)
			h->emb[h->nemb++] = id;
		else if (!h->o.redact)
			h->msgs_left++;
	}
	add_mark(h, id, f->category ? f->category : "?", hf->party);
	if (h->find_rows >= h->o.max_findings) {
		h->find_left++;
		return;
	}
	h->find_rows++;
	FILE *o = h->t_find;
	char tb[32];
	fputs("<tr><td>", o);
	mml_html_msgref(h, o, id);
	fprintf(o, "</td><td>%s</td><td>%s%s</td><td>%s</td><td>", mml_html_time(tb, hf->has_ts, hf->ts),
	        mml_party_name(hf->party), hf->attributed ? "" : " (unattributed)", mml_feature_name(hf->feature));
	mml_html_cstr(o, hf->m->api);
	fputs("</td><td>", o);
	mml_html_cstr(o, f->category);
	fputs("</td><td class=\"path\">", o);
	mml_html_cstr(o, f->path);
	fputs("</td><td class=\"val\">", o);
	if (h->o.redact)
		fputs(REDACTED, o);
	else if (f->value)
		mml_html_esc(o, f->value, f->value_len);
	if (f->placeholder)
		fputs(" <small>(placeholder)</small>", o);
	fputs("</td><td>", o);
	mml_html_cstr(o, f->detector);
	fprintf(o, "</td><td>%.2f</td></tr>\n", f->confidence);
}

/* The text view of tree, cut at max_msg_text bytes (on a UTF-8 boundary). */
static void write_tree(mml_html *h, FILE *o, const mml_dtree *tree)
{
	FILE *s = h->scratch;
	rewind(s);
	mml_dtree_write_text(tree, s);
	long end = ftell(s);
	if (fflush(s) != 0 || ferror(s) || end < 0) {
		h->err = MML_E_IO;
		return;
	}
	size_t total = (size_t)end, cap = h->o.max_msg_text;
	size_t want = total > cap ? cap + 1 : total; /* one byte past a cut: is it inside a character? */
	rewind(s);
	size_t got = fread(h->tbuf, 1, want, s), n = got < cap ? got : cap;
	if (got > cap)
		while (n > 0 && ((unsigned char)h->tbuf[n] & 0xC0) == 0x80)
			n--;
	mml_html_esc(o, h->tbuf, n);
	if (total > n) {
		h->msgs_cut++;
		fprintf(o, "\n<span class=\"cut\">... %zu more bytes of this view left out (cap %zu bytes)</span>",
		        total - n, cap);
	}
}

void mml_html_add_message(mml_html *h, const mml_msg *m, const mml_dtree *tree, uint64_t findings, bool has_ts,
                          int64_t ts)
{
	h->nmsgs++;
	if (!(h->cur_has && h->cur_msg == m->id && h->cur_embed))
		return;
	h->cur_embed = false;
	FILE *o = h->t_msgs;
	char tb[32];
	fprintf(o, "<section class=\"msg\" id=\"m%llu\"><h3>Message %llu</h3><p>", (unsigned long long)m->id,
	        (unsigned long long)m->id);
	mml_html_cstr(o, m->api ? m->api : "(unknown API)");
	fprintf(o, " &middot; %llu finding(s)", (unsigned long long)findings);
	if (has_ts)
		fprintf(o, " &middot; %s UTC", mml_html_time(tb, has_ts, ts));
	fputs("</p>", o);
	if (!tree) {
		fputs("<p>No readable body.</p></section>\n", o);
		return;
	}
	fputs("<pre>", o);
	write_tree(h, o, tree);
	fputs("</pre></section>\n", o);
}

void mml_html_add_session(mml_html *h, const mml_session *s, const mml_label *label, const mml_flows *flows)
{
	h->nsess++;
	mml_html_gaps_add(h, s, label, flows);
	if (h->nsess <= h->o.max_sessions) {
		mml_html_sec_session(h, h->t_sess, s, label, flows);
		if (!h->o.compare && h->has_prev) {
			char na[48], nb[48];
			snprintf(na, sizeof na, "session %llu", (unsigned long long)s->index);
			snprintf(nb, sizeof nb, "session %llu", (unsigned long long)h->prev_index);
			fprintf(h->t_diff, "<h3>Session %llu (A) against session %llu (B)</h3>\n",
			        (unsigned long long)s->index, (unsigned long long)h->prev_index);
			mml_err e = mml_html_sec_diff(h, h->t_diff, flows, &h->prev, na, nb);
			if (e != MML_OK && h->err == MML_OK)
				h->err = e;
		}
	} else {
		h->sess_left++;
	}
	if (!h->o.compare) {
		mml_flows_clear(&h->prev);
		mml_err e = mml_flows_merge(&h->prev, flows);
		if (e != MML_OK && h->err == MML_OK)
			h->err = e;
		h->has_prev = true;
		h->prev_index = s->index;
	}
	/* Marks of messages past this session (fed while the splitter held a
	 * tentative split) stay for the next one. */
	size_t keep = 0;
	for (size_t i = 0; i < h->nmarks; i++)
		if (h->marks[i].bin > s->last)
			h->marks[keep++] = h->marks[i];
	h->nmarks = keep;
	if (!keep)
		h->bin_w = 1;
}

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em;color:#222;background:#fff}\n"
	"h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;margin-top:2em}\n"
	"table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 6px;"
	"vertical-align:top;text-align:left}\n"
	"th{background:#f3f3f3}td.num{text-align:right}td.path,td.val,pre{font-family:monospace}\n"
	"td.val{max-width:28em;overflow-wrap:anywhere}pre{background:#f8f8f8;padding:.5em;overflow:auto;"
	"max-height:40em;white-space:pre}\n"
	".note{background:#fff6d5;border:1px solid #e6c200;padding:.5em 1em}\n"
	".v-omitted,.v-other_party,.v-contradicted{color:#b00000;font-weight:bold}.v-vague{color:#a05a00}\n"
	"svg.timeline{max-width:1100px;border:1px solid #eee}svg text{font:11px sans-serif;fill:#333}\n"
	".legend span{display:inline-block;width:1em;height:1em;margin:0 .3em 0 1em;vertical-align:middle}\n"
	"nav a{margin-right:1em}.cut{color:#b00000}\n";

static const char js_head[] =
	"window.mmlErrors=0;window.onerror=function(){window.mmlErrors++;"
	"var e=document.getElementById('jserr');if(e)e.textContent=String(window.mmlErrors);};";

static const char js_main[] =
	"(function(){var q=document.getElementById('q'),tb=document.getElementById('ftbody'),"
	"c=document.getElementById('fcount'),p=document.getElementById('search');\n"
	"if(q&&tb&&p){p.hidden=false;var rows=tb.rows;\n"
	"q.addEventListener('input',function(){var s=q.value.toLowerCase(),n=0;\n"
	"for(var i=0;i<rows.length;i++){var r=rows[i],ok=!s||r.textContent.toLowerCase().indexOf(s)>=0;"
	"r.style.display=ok?'':'none';if(ok)n++;}\n"
	"if(c)c.textContent=n+' of '+rows.length+' rows shown';});}\n"
	"document.body.setAttribute('data-js','ran');var st=document.getElementById('jsstatus');"
	"if(st)st.textContent='ran';var e=document.getElementById('jserr');"
	"if(e)e.textContent=String(window.mmlErrors);})();";

/* Append the whole content of tmp to out. */
static mml_err copy_tmp(FILE *tmp, FILE *out)
{
	if (fflush(tmp) != 0 || ferror(tmp))
		return MML_E_IO;
	rewind(tmp);
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, tmp)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			return MML_E_IO;
	return ferror(tmp) ? MML_E_IO : MML_OK;
}

static long tmp_size(FILE *tmp)
{
	fflush(tmp);
	fseek(tmp, 0, SEEK_END);
	return ftell(tmp);
}

static void write_left_out(const mml_html *h, FILE *out)
{
	fputs("<section id=\"left-out\"><h2>What this page leaves out</h2><div class=\"note\"><ul>\n", out);
	if (h->find_left)
		fprintf(out, "<li>%llu finding(s) are not in the findings table (cap: %zu rows).</li>\n",
		        (unsigned long long)h->find_left, h->o.max_findings);
	if (h->o.redact)
		fputs("<li>Redacted report (--redact): finding values are shown as &quot;" REDACTED
		      "&quot; and no decoded message is embedded.</li>\n",
		      out);
	else if (h->msgs_left)
		fprintf(out, "<li>%llu message(s) with findings are not embedded (cap: %zu decoded messages).</li>\n",
		        (unsigned long long)h->msgs_left, h->o.max_messages);
	if (h->msgs_cut)
		fprintf(out, "<li>%llu decoded message view(s) are cut at %zu bytes.</li>\n",
		        (unsigned long long)h->msgs_cut, h->o.max_msg_text);
	if (h->sess_binned)
		fprintf(out,
		        "<li>The timelines of %llu session(s) had more than %zu marks: their marks are binned into "
		        "ranges of messages (the mark's tooltip says which).</li>\n",
		        (unsigned long long)h->sess_binned, h->o.max_marks);
	if (h->sess_left)
		fprintf(out, "<li>%llu session(s) have no section of their own (cap: %zu sessions); they are counted "
		        "in the matrix and the policy gaps.</li>\n",
		        (unsigned long long)h->sess_left, h->o.max_sessions);
	if (!h->find_left && !h->msgs_left && !h->msgs_cut && !h->sess_binned && !h->sess_left)
		fputs("<li>Nothing was left out by the page's caps.</li>\n", out);
	fputs("<li>Only messages with findings are embedded. Everything, uncapped: <code>mmlens report --db</code> "
	      "(SQLite) and <code>mmlens scan</code> (JSONL).</li>\n</ul></div></section>\n",
	      out);
}

mml_err mml_html_write(mml_html *h, FILE *out, const mml_flows *all, const char *cmp_name, const mml_flows *cmp)
{
	if (h->err != MML_OK)
		return h->err;
	char tb[32];
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
	      "script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
	      "<meta name=\"referrer\" content=\"no-referrer\">\n<title>mmlens report: ",
	      out);
	mml_html_cstr(out, h->o.input);
	fprintf(out, "</title>\n<style>\n%s</style>\n<script>%s</script>\n</head>\n<body>\n", css, js_head);
	fputs("<h1>mmlens report</h1>\n<table class=\"kv\"><tr><th>input</th><td>", out);
	mml_html_cstr(out, h->o.input);
	fputs("</td></tr><tr><th>kind</th><td>", out);
	mml_html_cstr(out, h->o.kind);
	fputs("</td></tr><tr><th>policy model</th><td>", out);
	mml_html_cstr(out, !h->o.ps ? "none (--policy not given)"
	                   : h->o.ps->fixed ? h->o.ps->fixed->name
	                                    : "auto (Weixin's guidelines for Weixin's features and mainland accounts, "
	                                      "WeChat's policy for the rest)");
	time_t now = time(NULL);
	fprintf(out,
	        "</td></tr><tr><th>generated</th><td>%s UTC</td></tr><tr><th>sessions</th><td>%llu</td></tr>"
	        "<tr><th>messages</th><td>%llu (%llu with findings)</td></tr><tr><th>findings</th><td>%llu</td></tr>"
	        "<tr><th>redacted</th><td>%s</td></tr></table>\n",
	        mml_html_time(tb, true, (int64_t)now), (unsigned long long)h->nsess, (unsigned long long)h->nmsgs,
	        (unsigned long long)h->msgs_with_findings, (unsigned long long)h->nfind, h->o.redact ? "yes" : "no");
	fputs("<nav><a href=\"#left-out\">left out</a><a href=\"#matrix\">party &times; category</a>"
	      "<a href=\"#gaps\">policy gaps</a><a href=\"#diff\">diff</a><a href=\"#sessions\">sessions</a>"
	      "<a href=\"#findings\">findings</a><a href=\"#messages\">messages</a></nav>\n",
	      out);
	write_left_out(h, out);
	mml_html_sec_matrix(h, out, all);
	mml_err e = mml_html_sec_gaps(h, out);
	if (e != MML_OK)
		return e;
	fputs("<section id=\"diff\"><h2>Diff</h2>\n", out);
	if (cmp) {
		fputs("<p>What this input (A) sent that ", out);
		mml_html_cstr(out, cmp_name);
		fputs(" (B) did not, and the reverse: by category, API and receiving party.</p>\n", out);
		e = mml_html_sec_diff(h, out, all, cmp, "A (this input)", "B (--compare)");
		if (e != MML_OK)
			return e;
	} else if (h->nsess <= 1) {
		fputs("<p>Only one session: nothing to compare it with (give another input with "
		      "<code>--compare</code>).</p>\n",
		      out);
	} else {
		fputs("<p>Each session against the session before it, by category, API and receiving party.</p>\n", out);
		if ((e = copy_tmp(h->t_diff, out)) != MML_OK)
			return e;
	}
	fputs("</section>\n<section id=\"sessions\"><h2>Sessions</h2>\n<p class=\"legend\">Timeline marks: one per "
	      "(message, category) with findings, coloured by the receiving party:",
	      out);
	for (int p = 0; p < MML_PARTY__COUNT; p++)
		fprintf(out, "<span style=\"background:%s\"></span>%s", mml_html_party_colour(1u << p),
		        mml_party_name((mml_party)p));
	fprintf(out, "<span style=\"background:%s\"></span>several</p>\n", mml_html_party_colour(0));
	if ((e = copy_tmp(h->t_sess, out)) != MML_OK)
		return e;
	fprintf(out,
	        "</section>\n<section id=\"findings\"><h2>Findings</h2>\n<p>%llu row(s)%s. Each message id links to "
	        "its decoded message when it is embedded.</p>\n"
	        "<p id=\"search\" hidden><label>Filter rows: <input id=\"q\" type=\"search\" autocomplete=\"off\">"
	        "</label> <span id=\"fcount\"></span></p>\n"
	        "<table id=\"ftable\"><thead><tr><th>msg</th><th>time (UTC)</th><th>party</th>"
	        "<th>context</th><th>API</th><th>category</th><th>path</th><th>value</th><th>detector</th>"
	        "<th>conf.</th></tr></thead><tbody id=\"ftbody\">\n",
	        (unsigned long long)h->find_rows, h->find_left ? " (the table is capped: see above)" : "");
	if ((e = copy_tmp(h->t_find, out)) != MML_OK)
		return e;
	fputs("</tbody></table>\n</section>\n<section id=\"messages\"><h2>Decoded messages</h2>\n", out);
	if (h->o.redact)
		fputs("<p class=\"note\">Not embedded: this report is redacted (--redact).</p>\n", out);
	else if (!tmp_size(h->t_msgs))
		fputs("<p>No message with findings.</p>\n", out);
	else if ((e = copy_tmp(h->t_msgs, out)) != MML_OK)
		return e;
	fprintf(out,
	        "</section>\n<footer><p>Made by mmlens from local files; this page loads nothing from anywhere. "
	        "Script: <span id=\"jsstatus\">not run</span>, errors: <span id=\"jserr\">0</span>.</p></footer>\n"
	        "<script>%s</script>\n</body></html>\n",
	        js_main);
	return ferror(out) ? MML_E_IO : MML_OK;
}
