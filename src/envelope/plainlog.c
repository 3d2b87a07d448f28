/*
 * plainlog.c - instrumentation plaintext logs, the published format of
 * ../shared/data/wechat-logs (docs/FORMATS.md "Plaintext logs"): one JSON
 * object per line, {"data": hex, "req_id": request type, "req_type": API
 * path or null}. `data` may be empty, and is a zlib stream when it starts
 * 78 with a valid zlib header (mml_zlib_magic; inflated here, capped).
 * Only 78 (a 32 KiB window, what the app writes): a body of another
 * first byte that happens to pass the header check (protobuf 08 1d, say)
 * stays a body.
 *
 * Contract: streams the file line by line through one reused buffer (a
 * line is capped at MML_PLAINLOG_MAX_LINE); jansson parses each line. A
 * message's body and strings are views valid until the next call. A bad
 * line is reported through diag with its number, counted, and skipped; an
 * empty line is skipped silently. The message id is the 1-based line
 * number, so ids stay stable when a log is cut into pieces.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/crypto.h"
#include "mmlens/envelope.h"

#define MML_PLAINLOG_MAX_LINE ((size_t)64 << 20)

struct mml_plainlog {
	FILE *f;
	bool own;
	const char *name;
	const mml_catalog *cat;
	size_t max_body;
	mml_diag_fn diag;
	void *dctx;
	uint32_t lineno;
	uint64_t bad;
	mml_buf line;     /* the current line */
	mml_buf raw;      /* hex-decoded data */
	mml_buf body;     /* inflated body */
	mml_inflater zi;
	json_t *cur;      /* the current line's JSON (owns api string) */
	char api[256];
	mml_outer outer;  /* a zeroed outer: no transport, flow or time */
};

static mml_plainlog *plainlog_new(FILE *f, bool own, const char *name, const mml_catalog *cat, size_t max_body,
                                  mml_diag_fn diag, void *dctx)
{
	mml_plainlog *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->f = f;
	l->own = own;
	l->name = name;
	l->cat = cat;
	l->max_body = max_body ? max_body : (size_t)16 << 20;
	l->diag = diag;
	l->dctx = dctx;
	mml_buf_init(&l->line, MML_PLAINLOG_MAX_LINE + 1);
	mml_buf_init(&l->raw, MML_PLAINLOG_MAX_LINE / 2 + 1);
	mml_buf_init(&l->body, l->max_body);
	if (mml_inflater_init(&l->zi) != MML_OK) {
		l->own = false;
		mml_plainlog_close(l);
		return NULL;
	}
	return l;
}

mml_plainlog *mml_plainlog_open(const char *path, const mml_catalog *cat, size_t max_body, mml_diag_fn diag,
                                void *dctx)
{
	if (!strcmp(path, "-"))
		return plainlog_new(stdin, false, "<stdin>", cat, max_body, diag, dctx);
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		if (diag)
			diag(dctx, "%s: cannot open: %s", path, strerror(e));
		errno = e;
		return NULL;
	}
	mml_plainlog *l = plainlog_new(f, true, path, cat, max_body, diag, dctx);
	if (!l) {
		fclose(f);
		errno = ENOMEM;
	}
	return l;
}

mml_plainlog *mml_plainlog_open_stream(FILE *f, const char *name, const mml_catalog *cat, size_t max_body,
                                       mml_diag_fn diag, void *dctx)
{
	return plainlog_new(f, false, name, cat, max_body, diag, dctx);
}

void mml_plainlog_close(mml_plainlog *l)
{
	if (!l)
		return;
	if (l->own && l->f)
		fclose(l->f);
	json_decref(l->cur);
	mml_buf_free(&l->line);
	mml_buf_free(&l->raw);
	mml_buf_free(&l->body);
	mml_inflater_free(&l->zi);
	free(l);
}

uint64_t mml_plainlog_bad_lines(const mml_plainlog *l) { return l ? l->bad : 0; }

static void bad_line(mml_plainlog *l, const char *why)
{
	l->bad++;
	if (l->diag)
		l->diag(l->dctx, "%s:%u: %s; line skipped", l->name, l->lineno, why);
}

/* Read one line into l->line (without the newline). 1 read, 0 end, -1 too long (rest skipped). */
static int read_line(mml_plainlog *l)
{
	mml_buf_reset(&l->line);
	int c, got = 0, toolong = 0;
	char chunk[4096];
	size_t k = 0;
	while ((c = getc_unlocked(l->f)) != EOF) {
		got = 1;
		if (c == '\n')
			break;
		if (toolong)
			continue;
		chunk[k++] = (char)c;
		if (k == sizeof chunk) {
			if (mml_buf_append(&l->line, chunk, k) != MML_OK)
				toolong = 1;
			k = 0;
		}
	}
	if (k && !toolong && mml_buf_append(&l->line, chunk, k) != MML_OK)
		toolong = 1;
	if (!got)
		return 0;
	l->lineno++;
	return toolong ? -1 : 1;
}

static bool blank(const mml_buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (b->p[i] != ' ' && b->p[i] != '\t' && b->p[i] != '\r')
			return false;
	return true;
}

mml_err mml_plainlog_next(mml_plainlog *l, mml_msg *m)
{
	for (;;) {
		int r = read_line(l);
		if (r == 0)
			return ferror(l->f) ? MML_E_IO : MML_E_END;
		if (r < 0) {
			bad_line(l, "line longer than 64 MiB");
			continue;
		}
		if (blank(&l->line))
			continue;
		json_decref(l->cur);
		json_error_t je;
		l->cur = json_loadb((const char *)l->line.p, l->line.len, JSON_DISABLE_EOF_CHECK, &je);
		if (!l->cur || !json_is_object(l->cur)) {
			char why[200];
			snprintf(why, sizeof why, "not a JSON object (%s)", l->cur ? "another JSON value" : je.text);
			bad_line(l, why);
			continue;
		}
		json_t *data = json_object_get(l->cur, "data");
		json_t *rid = json_object_get(l->cur, "req_id");
		json_t *rty = json_object_get(l->cur, "req_type");
		if (data && !json_is_string(data) && !json_is_null(data)) {
			bad_line(l, "\"data\" is not a string");
			continue;
		}
		memset(m, 0, sizeof *m);
		memset(&l->outer, 0, sizeof l->outer);
		l->outer.status = MML_ST_PLAINTEXT;
		m->id = l->lineno;
		m->outer = &l->outer;
		m->status = MML_ST_PLAINTEXT;
		m->req_type = -1;
		if (json_is_integer(rid) && json_integer_value(rid) >= 0)
			m->req_type = json_integer_value(rid);
		else if (json_is_string(rid)) {
			char *end;
			long long v = strtoll(json_string_value(rid), &end, 10);
			if (!*end && v >= 0)
				m->req_type = v;
		}
		if (json_is_string(rty) && json_string_length(rty) > 0) {
			snprintf(l->api, sizeof l->api, "%s", json_string_value(rty));
			m->api = l->api;
			m->uri = l->api;
		} else if (m->req_type >= 0 && l->cat) {
			m->api = mml_catalog_lookup(l->cat, (uint64_t)m->req_type);
		}
		const char *hex = data && json_is_string(data) ? json_string_value(data) : "";
		size_t hn = data && json_is_string(data) ? json_string_length(data) : 0;
		mml_buf_reset(&l->raw);
		if (hn % 2 || mml_buf_reserve(&l->raw, hn / 2 + 1) != MML_OK ||
		    mml_hex_decode(hex, hn, l->raw.p, l->raw.alloc, &l->raw.len) != MML_OK) {
			bad_line(l, "\"data\" is not hex");
			continue;
		}
		m->body = l->raw.p;
		m->body_len = l->raw.len;
		if (l->raw.len && l->raw.p[0] == 0x78 && mml_zlib_magic(l->raw.p, l->raw.len)) {
			m->compressed = true;
			mml_buf_reset(&l->body);
			mml_err e = mml_inflater_run(&l->zi, l->raw.p, l->raw.len, 0, l->max_body, &l->body);
			if (e == MML_OK || e == MML_E_LIMIT) {
				m->inflate = e == MML_OK ? MML_INF_OK : MML_INF_CAPPED;
				m->body = l->body.p;
				m->body_len = l->body.len;
				if (e != MML_OK)
					m->detail = "inflate: capped";
			} else {
				m->inflate = MML_INF_ERROR;
				m->detail = "inflate: not a zlib stream; body kept as logged";
			}
		}
		return MML_OK;
	}
}
