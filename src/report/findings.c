/*
 * findings.c - the scan output: one JSONL object per finding (schema:
 * docs/SCHEMA.md "scan output"), an aligned text table for --format
 * table, and the per-run summary matrix of categories x APIs.
 *
 * Contract: writers only format; they never fail silently (a write error
 * shows at mml_out_close). The summary is a small open-addressing table
 * keyed by (category, API); it owns copies of its keys. Its size grows
 * with distinct (category, API) pairs, never with the number of findings.
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/report.h"

/* ---- one finding line ---- */

static size_t slen(const char *s) { return s ? strlen(s) : 0; }

/*
 * Room for the fixed text of a line: keys, the longest numbers, a
 * confidence printf'd at full length, "null" and "redacted".
 */
#define LINE_FIXED 1000

static size_t esc_room(size_t n, size_t *sum)
{
	size_t r;
	if (!mml_mul_ok(n, 6, &r) || !mml_add_ok(r, 3, &r) || !mml_add_ok(*sum, r, sum))
		return 0;
	return 1;
}

/* Bytes the message part of a line may take (0: too long for a size_t). */
static size_t head_room(const mml_msg *m, size_t *apilen)
{
	*apilen = slen(m->api);
	size_t sum = LINE_FIXED;
	return esc_room(*apilen, &sum) ? sum : 0;
}

/* Bytes the finding part of a line may take (0: too long for a size_t). */
static size_t rest_room(const mml_finding *fd, bool redact, size_t lens[5])
{
	lens[0] = slen(fd->category);
	lens[1] = slen(fd->path);
	lens[2] = slen(fd->detector);
	lens[3] = slen(fd->known);
	lens[4] = fd->known ? slen(fd->known_form) : 0;
	size_t sum = LINE_FIXED;
	for (int i = 0; i < 5; i++)
		if (!esc_room(lens[i], &sum))
			return 0;
	if (!redact && fd->value && !esc_room(fd->value_len, &sum))
		return 0;
	return sum;
}

/* A string of known length, or null (room: esc_room). */
static char *put_str(mml_jw *w, char *o, const char *s, size_t n)
{
	o = mml_jwp_val(w, o);
	return s ? mml_json_esc(o, s, n) : MML_PUTLIT(o, "null");
}

/*
 * The message part of a line: the members from "kind" to "dir", written
 * through the cursor o into room made for them (head_room).
 */
static char *head_put(mml_jw *w, char *o, const mml_msg *m, size_t apilen)
{
	o = mml_jwp_lit(w, o, "kind", "\"finding\"");
	o = mml_jwp_u64(w, o, "msg", m->id);
	uint64_t us = m->outer ? m->outer->ts_us : 0;
	o = us ? mml_jwp_ts(w, o, "ts", us) : mml_jwp_null(w, o, "ts");
	o = m->req_type >= 0 ? mml_jwp_i64(w, o, "req_type", m->req_type) : mml_jwp_null(w, o, "req_type");
	o = put_str(w, mml_jwp_key(w, o, "api"), m->api, apilen);
	if (!m->outer || !m->outer->flow) /* a log line: requests only, but the log does not say */
		return mml_jwp_null(w, o, "dir");
	return m->outer->dir == 0 ? mml_jwp_lit(w, o, "dir", "\"request\"") : mml_jwp_lit(w, o, "dir", "\"response\"");
}

/* The finding part: the members from "category" to "known_form" (room: rest_room). */
static char *rest_put(mml_jw *w, char *o, const mml_finding *fd, bool redact, const size_t lens[5])
{
	o = put_str(w, mml_jwp_key(w, o, "category"), fd->category, lens[0]);
	o = put_str(w, mml_jwp_key(w, o, "path"), fd->path, lens[1]);
	if (redact)
		o = mml_jwp_lit(w, o, "value", "\"redacted\"");
	else
		o = mml_jwp_str(w, o, "value", fd->value ? fd->value : "", fd->value ? fd->value_len : 0);
	o = put_str(w, mml_jwp_key(w, o, "detector"), fd->detector, lens[2]);
	o = mml_jwp_fixed(w, o, "confidence", fd->confidence, 2);
	o = mml_jwp_bool(w, o, "placeholder", fd->placeholder);
	o = put_str(w, mml_jwp_key(w, o, "known"), fd->known, lens[3]);
	return put_str(w, mml_jwp_key(w, o, "known_form"), fd->known ? fd->known_form : NULL, lens[4]);
}

/* One line into b: the message part (head, or from m), the finding, "}\n". */
static mml_err buf_line(mml_buf *b, size_t room, const void *head, size_t head_len, const mml_msg *m, size_t apilen,
                        const mml_finding *fd, bool redact, const size_t lens[5])
{
	MML_RETURN_IF_ERR(mml_buf_reserve(b, room));
	mml_jw w;
	mml_jw_on(&w, NULL); /* cursor forms only: the room is b's */
	char *o = mml_jwp_obj_in(&w, (char *)b->p + b->len);
	o = m ? head_put(&w, o, m, apilen) : mml_jwp_raw(&w, o, head, head_len);
	o = rest_put(&w, o, fd, redact, lens);
	o = MML_PUTLIT(o, "}\n");
	b->len = (size_t)((uint8_t *)o - b->p);
	return MML_OK;
}

mml_err mml_jsonl_finding_head(mml_buf *b, const mml_msg *m)
{
	size_t apilen, room = head_room(m, &apilen);
	if (!room)
		return MML_E_LIMIT;
	MML_RETURN_IF_ERR(mml_buf_reserve(b, room));
	mml_jw w;
	mml_jw_on(&w, NULL);
	char *o = head_put(&w, (char *)b->p + b->len, m, apilen);
	b->len = (size_t)((uint8_t *)o - b->p);
	return MML_OK;
}

mml_err mml_jsonl_finding_tail(mml_buf *b, const void *head, size_t head_len, const mml_finding *fd, bool redact)
{
	MML_RETURN_IF(!head || !head_len, MML_E_ARG); /* a head from mml_jsonl_finding_head */
	size_t lens[5], room = rest_room(fd, redact, lens);
	if (!room || !mml_add_ok(room, head_len, &room))
		return MML_E_LIMIT;
	return buf_line(b, room, head, head_len, NULL, 0, fd, redact, lens);
}

mml_err mml_jsonl_finding_buf(mml_buf *b, const mml_msg *m, const mml_finding *fd, bool redact)
{
	size_t apilen, lens[5];
	size_t hr = head_room(m, &apilen), rr = rest_room(fd, redact, lens), room;
	if (!hr || !rr || !mml_add_ok(hr, rr, &room))
		return MML_E_LIMIT;
	return buf_line(b, room, NULL, 0, m, apilen, fd, redact, lens);
}

/* The same members through the writer's checked calls: a line of any length. */
static void finding_stream(mml_jw *w, const mml_msg *m, const mml_finding *fd, bool redact)
{
	mml_jw_kv_lit(w, "kind", "\"finding\"");
	mml_jw_kv_u64(w, "msg", m->id);
	uint64_t us = m->outer ? m->outer->ts_us : 0;
	if (us)
		mml_jw_kv_ts(w, "ts", us);
	else
		mml_jw_kv_null(w, "ts");
	if (m->req_type >= 0)
		mml_jw_kv_i64(w, "req_type", m->req_type);
	else
		mml_jw_kv_null(w, "req_type");
	mml_jw_kv_cstr(w, "api", m->api);
	mml_jw_kv_name(w, "dir", !m->outer || !m->outer->flow ? NULL : m->outer->dir == 0 ? "request" : "response");
	mml_jw_kv_cstr(w, "category", fd->category);
	mml_jw_kv_cstr(w, "path", fd->path);
	if (redact)
		mml_jw_kv_lit(w, "value", "\"redacted\"");
	else
		mml_jw_kv_str(w, "value", fd->value ? fd->value : "", fd->value ? fd->value_len : 0);
	mml_jw_kv_cstr(w, "detector", fd->detector);
	mml_jw_kv_fixed(w, "confidence", fd->confidence, 2);
	mml_jw_kv_bool(w, "placeholder", fd->placeholder);
	mml_jw_kv_cstr(w, "known", fd->known);
	mml_jw_kv_cstr(w, "known_form", fd->known ? fd->known_form : NULL);
}

void mml_jsonl_finding(FILE *f, const mml_msg *m, const mml_finding *fd, bool redact)
{
	mml_lw lw;
	mml_jw w;
	mml_jw_line(&w, &lw, f);
	finding_stream(&w, m, fd, redact);
	mml_jw_line_close(&w);
}

void mml_table_finding_head(FILE *f)
{
	fprintf(f, "%-7s %-24s %-22s %-36s %-4s %s\n", "msg", "api", "category", "path", "conf", "value");
}

/* Printable text of at most `max` columns: control bytes and bad UTF-8 shown as '.'. */
static void text_cell(FILE *f, const char *s, size_t n, size_t max)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t cols = 0;
	for (size_t i = 0; i < n && cols < max;) {
		size_t k = u[i] >= 0x80 ? mml_utf8_seq(u + i, n - i) : 0;
		if (k) {
			fwrite(u + i, 1, k, f);
			i += k;
		} else {
			fputc(u[i] >= 0x20 && u[i] < 0x7f ? u[i] : '.', f);
			i++;
		}
		cols++;
		if (cols == max && i < n)
			fputs("...", f);
	}
}

void mml_table_finding(FILE *f, const mml_msg *m, const mml_finding *fd, bool redact)
{
	const char *api = m->api ? m->api : "-";
	const char *slash = strrchr(api, '/');
	if (slash && slash[1])
		api = slash + 1;
	fprintf(f, "%-7llu %-24.24s %-22s %-36s %.2f ", (unsigned long long)m->id, api, fd->category, fd->path,
	        fd->confidence);
	if (redact)
		fputs("redacted", f);
	else
		text_cell(f, fd->value ? fd->value : "", fd->value ? fd->value_len : 0, 60);
	if (fd->placeholder)
		fputs(" (placeholder)", f);
	if (fd->known)
		fprintf(f, " [known %s, %s]", fd->known, fd->known_form ? fd->known_form : "");
	fputc('\n', f);
}

/* ---- summary ---- */

typedef struct cell {
	char *cat, *api;      /* api "" when unknown */
	uint64_t hash;        /* hash2(cat, api) */
	uint64_t findings, messages, last_msg;
} cell;

struct mml_summary {
	cell *c;
	size_t n, alloc;      /* alloc is a power of two */
	mml_scan_counts counts;
};

mml_summary *mml_summary_new(void) { return calloc(1, sizeof(mml_summary)); }

void mml_summary_free(mml_summary *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->alloc; i++) {
		free(s->c[i].cat);
		free(s->c[i].api);
	}
	free(s->c);
	free(s);
}

/* A string's hash, 8 bytes at a time (the table only needs a good spread). */
static uint64_t hash_str(uint64_t h, const char *s, size_t n)
{
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
	}
	uint64_t w = 0;
	memcpy(&w, s + i, n - i);
	h = (h ^ w ^ (uint64_t)n << 56) * 0x9e3779b97f4a7c15ull;
	return h ^ h >> 29;
}

static uint64_t hash2(const char *a, const char *b)
{
	return hash_str(hash_str(1469598103934665603ull, a, strlen(a)), b, strlen(b));
}

static cell *find(mml_summary *s, const char *cat, const char *api, bool *fresh)
{
	if (s->n * 2 >= s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 64;
		cell *nc = calloc(na, sizeof *nc);
		if (!nc)
			return NULL;
		for (size_t i = 0; i < s->alloc; i++) {
			if (!s->c[i].cat)
				continue;
			size_t j = s->c[i].hash & (na - 1);
			while (nc[j].cat)
				j = (j + 1) & (na - 1);
			nc[j] = s->c[i];
		}
		free(s->c);
		s->c = nc;
		s->alloc = na;
	}
	uint64_t h = hash2(cat, api);
	size_t j = h & (s->alloc - 1);
	while (s->c[j].cat) {
		if (s->c[j].hash == h && !strcmp(s->c[j].cat, cat) && !strcmp(s->c[j].api, api)) {
			*fresh = false;
			return &s->c[j];
		}
		j = (j + 1) & (s->alloc - 1);
	}
	char *a = strdup(cat), *b = strdup(api);
	if (!a || !b) {
		free(a);
		free(b);
		return NULL;
	}
	s->c[j].cat = a;
	s->c[j].api = b;
	s->c[j].hash = h;
	s->n++;
	*fresh = true;
	return &s->c[j];
}

mml_err mml_summary_add(mml_summary *s, const char *category, const char *api, uint64_t msg)
{
	return mml_summary_add_n(s, category, api, msg, 1);
}

mml_err mml_summary_add_n(mml_summary *s, const char *category, const char *api, uint64_t msg, uint64_t n)
{
	bool fresh;
	cell *c = find(s, category, api ? api : "", &fresh);
	if (!c)
		return MML_E_NOMEM;
	c->findings += n;
	if (fresh || c->last_msg != msg)
		c->messages++;
	c->last_msg = msg;
	return MML_OK;
}

mml_err mml_summary_merge(mml_summary *dst, const mml_summary *src)
{
	for (size_t i = 0; i < src->alloc; i++) {
		const cell *x = &src->c[i];
		if (!x->cat)
			continue;
		bool fresh;
		cell *c = find(dst, x->cat, x->api, &fresh);
		if (!c)
			return MML_E_NOMEM;
		c->findings += x->findings;
		c->messages += x->messages;
	}
	mml_summary_counts_add(dst, &src->counts);
	return MML_OK;
}

void mml_summary_counts_add(mml_summary *s, const mml_scan_counts *c) { mml_scan_counts_add(&s->counts, c); }

static int type_cmp(const void *a, const void *b)
{
	const mml_type_count *x = a, *y = b;
	uint64_t nx = x->empty + x->opaque, ny = y->empty + y->opaque;
	if (nx != ny)
		return nx > ny ? -1 : 1;
	if (x->req_type != y->req_type)
		return (x->req_type > y->req_type) - (x->req_type < y->req_type);
	return strcmp(x->api, y->api);
}

/* The request types behind empty (want_empty) or opaque bodies, most first. */
static size_t types_of(const mml_scan_counts *c, bool want_empty, mml_type_count *out)
{
	size_t n = 0;
	for (size_t i = 0; i < c->ntypes; i++)
		if (want_empty ? c->types[i].empty : c->types[i].opaque)
			out[n++] = c->types[i];
	qsort(out, n, sizeof *out, type_cmp);
	return n;
}

void mml_counts_json(mml_jw *w, const mml_scan_counts *c)
{
	mml_jw_kv_u64(w, "messages", c->messages);
	mml_jw_kv_u64(w, "decrypted", c->decrypted);
	mml_jw_kv_u64(w, "bodies", c->bodies);
	mml_jw_kv_u64(w, "body_bytes", c->body_bytes);
	mml_jw_kv_u64(w, "unreadable", c->unreadable);
	mml_jw_kv_u64(w, "empty", c->empty);
	mml_jw_kv_u64(w, "opaque", c->opaque);
	mml_jw_kv_u64(w, "unknown_api", c->unknown_api);
	mml_jw_kv_u64(w, "api_from_body", c->api_from_body);
	mml_jw_kv_u64(w, "unattributed", c->unattributed);
	mml_jw_kv_u64(w, "limit_hits", c->limit_hits);
	mml_jw_kv_u64(w, "findings", c->findings);
	mml_type_count v[MML_COUNT_TYPES];
	for (int k = 0; k < 2; k++) {
		size_t n = types_of(c, k == 0, v);
		if (k == 0)
			mml_jw_key(w, "empty_by_type");
		else
			mml_jw_key(w, "opaque_by_type");
		mml_jw_arr(w);
		for (size_t i = 0; i < n; i++) {
			mml_jw_obj(w);
			if (v[i].req_type >= 0)
				mml_jw_kv_i64(w, "req_type", v[i].req_type);
			else
				mml_jw_kv_null(w, "req_type");
			mml_jw_kv_cstr(w, "api", v[i].api[0] ? v[i].api : NULL);
			mml_jw_kv_bool(w, "auth", v[i].auth);
			mml_jw_kv_u64(w, "messages", k == 0 ? v[i].empty : v[i].opaque);
			mml_jw_close(w);
		}
		uint64_t other = k == 0 ? c->other_empty : c->other_opaque;
		if (other) {
			mml_jw_obj(w);
			mml_jw_kv_null(w, "req_type");
			mml_jw_kv_lit(w, "api", "\"(other types)\"");
			mml_jw_kv_bool(w, "auth", false);
			mml_jw_kv_u64(w, "messages", other);
			mml_jw_close(w);
		}
		mml_jw_close(w);
	}
}

void mml_counts_write_json(const mml_scan_counts *c, FILE *f)
{
	mml_lw lw;
	mml_jw w;
	mml_jw_begin(&w, &lw, f);
	mml_counts_json(&w, c);
	mml_jw_end(&w);
}

static void types_text(const mml_scan_counts *c, bool empty, FILE *f)
{
	mml_type_count v[MML_COUNT_TYPES];
	size_t n = types_of(c, empty, v);
	for (size_t i = 0; i < n && i < 8; i++) {
		const char *api = v[i].api[0] ? strrchr(v[i].api, '/') : NULL;
		fputs(i ? ", " : " (", f);
		if (v[i].req_type >= 0)
			fprintf(f, "type %lld%s", (long long)v[i].req_type, api ? " " : "");
		fprintf(f, "%s x%llu", api ? api + 1 : v[i].req_type >= 0 ? "" : "API unknown",
		        (unsigned long long)(empty ? v[i].empty : v[i].opaque));
	}
	if (n > 8 || (empty ? c->other_empty : c->other_opaque))
		fputs(", ...", f);
	if (n)
		fputc(')', f);
}

void mml_counts_write_text(const mml_scan_counts *c, FILE *f)
{
	fprintf(f, "mmlens scan: %llu messages, %llu bodies decoded (%llu bytes), %llu unreadable, %llu empty, "
	        "%llu opaque, %llu findings\n",
	        (unsigned long long)c->messages, (unsigned long long)(c->bodies - c->empty - c->opaque),
	        (unsigned long long)c->body_bytes, (unsigned long long)c->unreadable, (unsigned long long)c->empty,
	        (unsigned long long)c->opaque, (unsigned long long)c->findings);
	if (c->unreadable)
		fprintf(f, "  %llu message(s) could not be opened (no key, authentication failed, cut): what they carried "
		        "is not seen\n", (unsigned long long)c->unreadable);
	if (c->empty) {
		fprintf(f, "  %llu empty bod%s", (unsigned long long)c->empty, c->empty == 1 ? "y" : "ies");
		types_text(c, true, f);
		fputs(": nothing of theirs is seen\n", f);
		bool auth = false;
		for (size_t i = 0; i < c->ntypes; i++)
			auth |= c->types[i].auth && c->types[i].empty;
		if (auth)
			fputs("  the login/registration requests among them are empty: the device fingerprint and credentials "
			      "they carry are not in this input\n", f);
	}
	if (c->opaque) {
		fprintf(f, "  %llu opaque bod%s", (unsigned long long)c->opaque, c->opaque == 1 ? "y" : "ies");
		types_text(c, false, f);
		fputs(": not protobuf or any known format (encrypted again or compressed otherwise); not searched\n", f);
	}
	if (c->unknown_api)
		fprintf(f, "  %llu message(s) with an unknown API (no catalog entry%s): receiver and feature unknown\n",
		        (unsigned long long)c->unknown_api, c->api_from_body ? "" : ", no name in the body");
	if (c->api_from_body)
		fprintf(f, "  %llu message(s) named their API inside the body\n", (unsigned long long)c->api_from_body);
	if (c->limit_hits)
		fprintf(f, "  %llu bodies hit a decode limit (decoded as far as the limit)\n",
		        (unsigned long long)c->limit_hits);
}

static int cell_cmp(const void *a, const void *b)
{
	const cell *x = *(const cell *const *)a, *y = *(const cell *const *)b;
	int r = strcmp(x->cat, y->cat);
	return r ? r : strcmp(x->api, y->api);
}

/* Cells sorted by category then API; caller frees the array. */
static const cell **sorted(const mml_summary *s)
{
	const cell **v = malloc((s->n + 1) * sizeof *v);
	if (!v)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < s->alloc; i++)
		if (s->c[i].cat)
			v[k++] = &s->c[i];
	qsort(v, k, sizeof *v, cell_cmp);
	return v;
}

void mml_summary_write_json(const mml_summary *s, FILE *f)
{
	mml_lw lw;
	mml_jw w;
	mml_jw_line(&w, &lw, f);
	mml_jw_kv_lit(&w, "kind", "\"summary\"");
	mml_counts_json(&w, &s->counts);
	mml_jw_key(&w, "matrix");
	mml_jw_arr(&w);
	const cell **v = sorted(s);
	for (size_t i = 0; v && i < s->n; i++) {
		mml_jw_obj(&w);
		mml_jw_kv_cstr(&w, "category", v[i]->cat);
		mml_jw_kv_cstr(&w, "api", v[i]->api[0] ? v[i]->api : NULL);
		mml_jw_kv_u64(&w, "messages", v[i]->messages);
		mml_jw_kv_u64(&w, "findings", v[i]->findings);
		mml_jw_close(&w);
	}
	mml_jw_close(&w);
	mml_jw_line_close(&w);
	free(v);
}

void mml_summary_write_table(const mml_summary *s, FILE *f)
{
	mml_counts_write_text(&s->counts, f);
	if (!s->n)
		return;
	fprintf(f, "\n%-24s %-44s %8s %8s\n", "category", "api", "messages", "findings");
	const cell **v = sorted(s);
	const char *prev = "";
	for (size_t i = 0; v && i < s->n; i++) {
		const char *api = v[i]->api[0] ? v[i]->api : "(unknown)";
		size_t al = strlen(api);
		fprintf(f, "%-24s %-44s %8llu %8llu\n", strcmp(prev, v[i]->cat) ? v[i]->cat : "",
		        al > 44 ? api + al - 44 : api, (unsigned long long)v[i]->messages,
		        (unsigned long long)v[i]->findings);
		prev = v[i]->cat;
	}
	free(v);
}
