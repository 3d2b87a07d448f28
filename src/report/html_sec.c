/*
 * src/report/html_sec.c - the sections of the HTML report (html.c holds
 * the state and assembles the page; docs/REPORT_HTML.md): a session's
 * header, labels, timeline (inline SVG: one row per category, one mark
 * per (message, category), or per bin of messages past the cap) and
 * timeline table (mml_flows_timeline); the party x category matrix; the
 * (the policy gaps are html_gaps.c's); the
 * diff (mml_flows_diff).
 *
 * Contract: every value from the input or the policy goes through
 * mml_html_esc; attributes hold only numbers, colours and fixed names.
 * Memory: a few arrays sized by distinct categories or flow keys.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "html_int.h"

static int str_cmp(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Distinct strings of v[0..n) sorted, in place; returns the count. */
static size_t sort_uniq(const char **v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, str_cmp);
	size_t k = 1;
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i], v[k - 1]))
			v[k++] = v[i];
	return k;
}

static size_t cat_index(const char *const *cats, size_t n, const char *c)
{
	const char *const *p = bsearch(&c, cats, n, sizeof *cats, str_cmp);
	return p ? (size_t)(p - cats) : 0;
}

static void label_list(FILE *f, const char *name, char *const *v, size_t n)
{
	fprintf(f, "<tr><th>%s</th><td>", name);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", f);
		mml_html_cstr(f, v[i]);
	}
	fputs("</td></tr>", f);
}

static void write_label(FILE *f, const mml_label *lb)
{
	fputs("<table class=\"kv label\"><caption>Session label</caption>", f);
	if (lb->scenario) {
		fputs("<tr><th>scenario</th><td>", f);
		mml_html_cstr(f, lb->scenario);
		fputs("</td></tr>", f);
	}
	if (lb->nfeatures)
		label_list(f, "features", lb->features, lb->nfeatures);
	if (lb->permissions_given) {
		if (lb->npermissions)
			label_list(f, "permissions", lb->permissions, lb->npermissions);
		else
			fputs("<tr><th>permissions</th><td>none granted</td></tr>", f);
	}
	if (lb->region) {
		fputs("<tr><th>region</th><td>", f);
		mml_html_cstr(f, lb->region);
		fputs("</td></tr>", f);
	}
	fputs("</table>\n", f);
}

/* The session's timeline marks as an SVG. */
static void write_svg(mml_html *h, FILE *f, const mml_session *s)
{
	if (!h->nmarks) {
		fputs("<p>No findings in this session.</p>\n", f);
		return;
	}
	/* the marks of this session: bins up to its last message (later ones wait for the next) */
	size_t nm = 0;
	while (nm < h->nmarks && h->marks[nm].bin <= s->last)
		nm++;
	if (!nm) {
		fputs("<p>No findings in this session.</p>\n", f);
		return;
	}
	const char **cats = malloc(nm * sizeof *cats);
	if (!cats) {
		h->err = MML_E_NOMEM;
		return;
	}
	for (size_t i = 0; i < nm; i++)
		cats[i] = h->marks[i].cat;
	size_t nc = sort_uniq(cats, nm);
	if (h->bin_w > 1)
		h->sess_binned++;
	const unsigned W = 1000, L = 200, R = 12, top = 8, rowh = 18;
	unsigned H = top + (unsigned)nc * rowh + 34;
	double plotw = W - L - R;
	uint64_t first = s->first, last = s->last < s->first ? s->first : s->last;
	double span = (double)(last - first) + 1;
	fprintf(f,
	        "<svg class=\"timeline\" viewBox=\"0 0 %u %u\" width=\"100%%\" role=\"img\" "
	        "aria-label=\"timeline of session %llu\">\n",
	        W, H, (unsigned long long)s->index);
	for (size_t c = 0; c < nc; c++) {
		unsigned y = top + (unsigned)c * rowh;
		fprintf(f, "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" stroke=\"#eee\"/>", L, y + rowh / 2, W - R,
		        y + rowh / 2);
		fprintf(f, "<text class=\"cat\" x=\"%u\" y=\"%u\" text-anchor=\"end\">", L - 6, y + 13);
		mml_html_cstr(f, cats[c]);
		fputs("</text>\n", f);
	}
	for (size_t i = 0; i < nm; i++) {
		const hmark *m = &h->marks[i];
		uint64_t lo = m->bin < first ? first : m->bin;
		uint64_t hi = m->bin + h->bin_w - 1 > last ? last : m->bin + h->bin_w - 1;
		double x = L + (double)(lo - first) * plotw / span;
		double w = (double)(hi - lo + 1) * plotw / span;
		if (h->bin_w == 1 && w > 10) { /* one message: a narrow mark at its place */
			x += (w - 10) / 2;
			w = 10;
		}
		if (w < 2)
			w = 2;
		unsigned y = top + (unsigned)cat_index(cats, nc, m->cat) * rowh + 3;
		bool link = h->bin_w == 1 && mml_html_embedded(h, m->bin);
		if (link)
			fprintf(f, "<a href=\"#m%llu\">", (unsigned long long)m->bin);
		fprintf(f, "<rect x=\"%.1f\" y=\"%u\" width=\"%.1f\" height=\"%u\" fill=\"%s\"><title>", x, y, w,
		        rowh - 6, mml_html_party_colour(m->parties));
		if (lo == hi)
			fprintf(f, "message %llu: ", (unsigned long long)lo);
		else
			fprintf(f, "messages %llu-%llu: ", (unsigned long long)lo, (unsigned long long)hi);
		mml_html_cstr(f, m->cat);
		fprintf(f, ", %llu finding(s), ", (unsigned long long)m->count);
		bool any = false;
		for (int p = 0; p < MML_PARTY__COUNT; p++)
			if (m->parties & (1u << p)) {
				fprintf(f, "%s%s", any ? "+" : "", mml_party_name((mml_party)p));
				any = true;
			}
		fputs("</title></rect>", f);
		fputs(link ? "</a>\n" : "\n", f);
	}
	unsigned ya = top + (unsigned)nc * rowh + 14;
	char t1[32], t2[32];
	fprintf(f, "<text x=\"%u\" y=\"%u\">message %llu %s</text>", L, ya, (unsigned long long)first,
	        mml_html_time(t1, s->has_ts, s->start_ts));
	fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">message %llu %s</text>", W - R, ya,
	        (unsigned long long)last, mml_html_time(t2, s->has_ts, s->end_ts));
	fprintf(f, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">x: message id%s</text>\n</svg>\n",
	        L + (unsigned)plotw / 2, ya + 14,
	        h->bin_w > 1 ? " (marks binned: the timeline had more marks than the cap)" : "");
	if (h->bin_w > 1)
		fprintf(f, "<p class=\"note\">Timeline binned: each mark covers %llu message ids.</p>\n",
		        (unsigned long long)h->bin_w);
	free(cats);
}

static void write_tl_table(mml_html *h, FILE *f, const mml_flows *flows)
{
	mml_tl_row *rows = NULL;
	size_t n = mml_flows_timeline(flows, &rows);
	if (n == (size_t)-1) {
		h->err = MML_E_NOMEM;
		return;
	}
	fprintf(f, "<details open><summary>Timeline table: %zu (category, party, context) row(s)</summary>\n", n);
	if (n) {
		fputs("<table class=\"tl\"><thead><tr><th>category</th><th>party</th><th>context</th><th>findings</th>"
		      "<th>messages</th><th>first msg</th><th>last msg</th><th>first time (UTC)</th>"
		      "<th>last time (UTC)</th></tr></thead><tbody>\n",
		      f);
		for (size_t i = 0; i < n; i++) {
			const mml_tl_row *r = &rows[i];
			char t1[32], t2[32];
			fputs("<tr><td>", f);
			mml_html_cstr(f, r->category);
			fprintf(f, "</td><td>%s</td><td>%s</td><td class=\"num\">%llu</td><td class=\"num\">%llu</td><td>",
			        mml_party_name(r->party), mml_feature_name(r->feature), (unsigned long long)r->findings,
			        (unsigned long long)r->msgs);
			mml_html_msgref(h, f, r->first_msg);
			fputs("</td><td>", f);
			mml_html_msgref(h, f, r->last_msg);
			fprintf(f, "</td><td>%s</td><td>%s</td></tr>\n", mml_html_time(t1, r->has_ts, r->first_ts),
			        mml_html_time(t2, r->has_ts, r->last_ts));
		}
		fputs("</tbody></table>\n", f);
	}
	fputs("</details>\n", f);
	free(rows);
}

void mml_html_sec_session(mml_html *h, FILE *f, const mml_session *s, const mml_label *label,
                          const mml_flows *flows)
{
	char t1[32], t2[32];
	fprintf(f, "<section class=\"session\" id=\"s%llu\"><h3>Session %llu", (unsigned long long)s->index,
	        (unsigned long long)s->index);
	if (label && label->scenario) {
		fputs(": ", f);
		mml_html_cstr(f, label->scenario);
	}
	fprintf(f, "</h3>\n<p>Messages %llu to %llu (%llu messages)", (unsigned long long)s->first,
	        (unsigned long long)s->last, (unsigned long long)s->messages);
	if (s->has_ts)
		fprintf(f, ", %s to %s UTC", mml_html_time(t1, true, s->start_ts), mml_html_time(t2, true, s->end_ts));
	fprintf(f, "; opened by: %s", mml_sess_why_name(s->why));
	if (s->opener >= 0)
		fprintf(f, " (request type %lld)", (long long)s->opener);
	fputs(".</p>\n", f);
	if (label)
		write_label(f, label);
	write_svg(h, f, s);
	write_tl_table(h, f, flows);
	fputs("</section>\n", f);
}

void mml_html_sec_matrix(const mml_html *h, FILE *f, const mml_flows *all)
{
	(void)h;
	fputs("<section id=\"matrix\"><h2>Party &times; category</h2>\n<p>Findings / messages per category and "
	      "receiving party, over every session; darker cells have more findings.</p>\n",
	      f);
	const char **cats = all->n ? malloc(all->n * sizeof *cats) : NULL;
	uint64_t(*cnt)[MML_PARTY__COUNT][2] = all->n ? calloc(all->n, sizeof *cnt) : NULL;
	if (!all->n || !cats || !cnt) {
		fputs(all->n ? "<p>Out of memory.</p>" : "<p>No findings.</p>", f);
		fputs("</section>\n", f);
		free(cats);
		free(cnt);
		return;
	}
	for (size_t i = 0; i < all->n; i++)
		cats[i] = all->rec[i].category;
	size_t nc = sort_uniq(cats, all->n);
	uint64_t max = 0;
	for (size_t i = 0; i < all->n; i++) {
		const mml_flow_rec *r = &all->rec[i];
		if ((unsigned)r->party >= MML_PARTY__COUNT)
			continue;
		uint64_t *c = cnt[cat_index(cats, nc, r->category)][r->party];
		c[0] += r->count;
		c[1] += r->msgs;
		if (c[0] > max)
			max = c[0];
	}
	fputs("<table id=\"matrix-table\"><thead><tr><th>category</th>", f);
	for (int p = 0; p < MML_PARTY__COUNT; p++)
		fprintf(f, "<th>%s</th>", mml_party_name((mml_party)p));
	fputs("</tr></thead><tbody>\n", f);
	for (size_t c = 0; c < nc; c++) {
		fputs("<tr><th>", f);
		mml_html_cstr(f, cats[c]);
		fputs("</th>", f);
		for (int p = 0; p < MML_PARTY__COUNT; p++) {
			uint64_t n = cnt[c][p][0];
			if (!n) {
				fputs("<td class=\"num\"></td>", f);
				continue;
			}
			double t = max > 1 ? log1p((double)n) / log1p((double)max) : 1.0;
			int r = 255 - (int)(t * (255 - 170)), g = 255 - (int)(t * 255), b = 255 - (int)(t * 235);
			fprintf(f, "<td class=\"num\" style=\"background:rgb(%d,%d,%d);color:%s\">%llu / %llu</td>", r, g, b,
			        t > 0.55 ? "#fff" : "#000", (unsigned long long)n, (unsigned long long)cnt[c][p][1]);
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n</section>\n", f);
	free(cats);
	free(cnt);
}

void mml_html_evidence(const mml_html *h, FILE *f, const mml_flow_evref *ev, size_t n, uint64_t count)
{
	fputs("<ul class=\"ev\">", f);
	for (size_t j = 0; j < n; j++) {
		fputs("<li>message ", f);
		mml_html_msgref(h, f, ev[j].msg);
		fputs(" <code>", f);
		mml_html_cstr(f, ev[j].path);
		fputs("</code> in ", f);
		mml_html_cstr(f, ev[j].api ? ev[j].api : "(unknown API)");
		fputs(" (", f);
		mml_html_cstr(f, ev[j].detector);
		fputs(")</li>", f);
	}
	if (count > n)
		fprintf(f, "<li>and %llu more finding(s)</li>", (unsigned long long)(count - n));
	fputs("</ul>", f);
}

typedef struct diff_ctx {
	const mml_html *h;
	FILE *f;
	const char *na, *nb;
	uint64_t n;
} diff_ctx;

static void diff_item(void *ctx, const mml_diff_item *d)
{
	diff_ctx *c = ctx;
	FILE *f = c->f;
	if (!c->n++)
		fputs("<table class=\"diff\"><thead><tr><th>only in</th><th>level</th><th>category</th><th>API / party</th>"
		      "<th>findings</th><th>evidence</th></tr></thead><tbody>\n",
		      f);
	fputs("<tr><td>", f);
	mml_html_cstr(f, d->only_in == 'A' ? c->na : c->nb);
	fprintf(f, "</td><td>%s</td><td>", mml_diff_level_name(d->level));
	mml_html_cstr(f, d->category);
	fputs("</td><td>", f);
	if (d->level == MML_DIFF_API)
		mml_html_cstr(f, d->api ? d->api : "(unknown API)");
	else if (d->has_party)
		fputs(mml_party_name(d->party), f);
	fprintf(f, "</td><td class=\"num\">%llu</td><td>", (unsigned long long)d->count);
	mml_html_evidence(c->h, f, d->ev, d->nev, d->count);
	fputs("</td></tr>\n", f);
}

mml_err mml_html_sec_diff(const mml_html *h, FILE *f, const mml_flows *a, const mml_flows *b, const char *name_a,
                          const char *name_b)
{
	diff_ctx c = {h, f, name_a, name_b, 0};
	mml_err e = mml_flows_diff(a, b, diff_item, &c);
	if (c.n)
		fputs("</tbody></table>\n", f);
	else
		fputs("<p>No difference.</p>\n", f);
	return e;
}
