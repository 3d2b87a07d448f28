/*
 * src/decode/write.c - the two views of a decoded tree that
 * `mmlens decode` prints: nested JSON (mml_dtree_write_json) and an
 * indented text view (mml_dtree_write_text).
 *
 * Contract: JSON is one object per node, children nested in "children":
 * "path", "type" (mml_dkind_name), "fmt" where it says something, "name",
 * "index", "flags" (names of MML_DN_*), and the value in every reading:
 * varint "value" plus "zigzag" (when it differs) and "int64" (two's
 * complement, when negative); fixed32 "value", "int32", "float"; fixed64
 * "value", "int64", "double" (the shortest decimal that reads back the
 * same; non-finite as strings); integers beyond 2^53 as decimal strings
 * (as protobuf's JSON mapping does, so no reader loses digits); text as a
 * JSON string (valid UTF-8 passes through, other bytes as \u00XX, see
 * mml_json_str); bytes as "hex"; written with the JSON writer mml_jw
 * (util.h), a member's value through mml_dtree_write_jw. The text view is one line per node,
 * indented by depth: `path kind(len) value [flags]`, long values cut
 * with the number of bytes left out. Writing never allocates for paths
 * under 1 KiB and never fails (FILE errors are the caller's to check).
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dec.h"

static const char *const flag_names[] = {"alt_string", "alt_msg", "alt_packed", "packed_f32", "packed_f64", "group",
                                         "cut",        "meta",    "nul_pad",    "embed",      "trailing"};
#define NFLAGS (sizeof flag_names / sizeof flag_names[0])

/* The path of node i: into sb when it fits, else into a heap buffer the caller frees. */
static const char *path_of(const mml_dtree *t, uint32_t i, char *sb, size_t cap, char **heap)
{
	size_t n = mml_dtree_path(t, i, sb, cap);
	if (n < cap)
		return sb;
	char *h = malloc(n + 1);
	if (!h)
		return sb; /* cut */
	mml_dtree_path(t, i, h, n + 1);
	*heap = h;
	return h;
}

/* The shortest decimal that reads back as the same float / double. */
static void fmt_f32(char *b, size_t n, float v)
{
	for (int p = 6; p <= 9; p++) {
		snprintf(b, n, "%.*g", p, (double)v);
		if (strtof(b, NULL) == v)
			return;
	}
}

static void fmt_f64(char *b, size_t n, double v)
{
	for (int p = 15; p <= 17; p++) {
		snprintf(b, n, "%.*g", p, v);
		if (strtod(b, NULL) == v)
			return;
	}
}

/* A number as JSON text: the shortest decimal; non-finite as strings. */
static void jw_double(mml_jw *w, double v)
{
	char b[40];
	if (isnan(v)) {
		mml_jw_lit(w, "\"NaN\"");
	} else if (isinf(v)) {
		if (v < 0)
			mml_jw_lit(w, "\"-Infinity\"");
		else
			mml_jw_lit(w, "\"Infinity\"");
	} else {
		fmt_f64(b, sizeof b, v);
		mml_jw_text_(w, b, strlen(b));
	}
}

static void jw_float(mml_jw *w, float v)
{
	char b[40];
	if (isnan(v) || isinf(v)) {
		jw_double(w, (double)v);
	} else {
		fmt_f32(b, sizeof b, v);
		mml_jw_text_(w, b, strlen(b));
	}
}

/* Integers beyond 2^53 (where JSON readers lose digits) as strings, as protobuf's JSON mapping does. */
#define JSON_SAFE ((uint64_t)1 << 53)
static void jw_u64(mml_jw *w, uint64_t v)
{
	if (v <= JSON_SAFE) {
		mml_jw_u64(w, v);
		return;
	}
	char *o = mml_jwp_val(w, mml_jw_run(w, 24));
	*o++ = '"';
	o = mml_put_u64(o, v);
	*o++ = '"';
	mml_jw_run_end(w, o);
}

static void jw_i64(mml_jw *w, int64_t v)
{
	if (v >= -(int64_t)JSON_SAFE && v <= (int64_t)JSON_SAFE) {
		mml_jw_i64(w, v);
		return;
	}
	char *o = mml_jwp_val(w, mml_jw_run(w, 24));
	*o++ = '"';
	o = mml_put_i64(o, v);
	*o++ = '"';
	mml_jw_run_end(w, o);
}

/* The value is printed as text (mml_dkinds). */
static bool has_text(const mml_dnode *d) { return mml_dkind_is(d->kind, MML_DKP_SHOWN); }

/* The node's value members by kind. */
static void wj_value(const mml_dnode *d, mml_jw *w)
{
	switch ((mml_dkind)d->kind) {
	case MML_DK_VARINT:
		mml_jw_key(w, "value");
		jw_u64(w, d->u);
		if (d->u) {
			mml_jw_key(w, "zigzag");
			jw_i64(w, mml_dnode_zigzag(d));
		}
		if (d->u > INT64_MAX) {
			mml_jw_key(w, "int64");
			jw_i64(w, (int64_t)d->u);
		}
		break;
	case MML_DK_FIXED32:
		mml_jw_kv_u64(w, "value", (uint32_t)d->u);
		if ((uint32_t)d->u > INT32_MAX)
			mml_jw_kv_i64(w, "int32", (int32_t)(uint32_t)d->u);
		mml_jw_key(w, "float");
		jw_float(w, mml_dnode_f32(d));
		break;
	case MML_DK_FIXED64:
		mml_jw_key(w, "value");
		jw_u64(w, d->u);
		if (d->u > INT64_MAX) {
			mml_jw_key(w, "int64");
			jw_i64(w, (int64_t)d->u);
		}
		mml_jw_key(w, "double");
		jw_double(w, mml_dnode_f64(d));
		break;
	case MML_DK_BYTES:
	case MML_DK_MSG:
	case MML_DK_PACKED:
		mml_jw_kv_u64(w, "len", d->val_len);
		if (d->kind == MML_DK_BYTES)
			mml_jw_kv_hex(w, "hex", d->val ? d->val : (const uint8_t *)"", d->val ? d->val_len : 0);
		break;
	case MML_DK_WRAP: mml_jw_kv_u64(w, "len", d->val_len); break;
	case MML_DK_CSV: {
		char c = (char)d->u;
		mml_jw_kv_str(w, "delim", &c, 1);
		break;
	}
	default: break;
	}
	if (has_text(d) && (d->val || d->kind != MML_DK_URL)) {
		mml_jw_kv_str(w, "value", d->val ? (const char *)d->val : "", d->val ? d->val_len : 0);
		if (d->kind == MML_DK_STRING)
			mml_jw_kv_u64(w, "len", d->val_len);
		if (d->flags & MML_DN_NUL_PAD)
			mml_jw_kv_u64(w, "nul_pad", d->u);
	}
}

static void wj(const mml_dtree *t, uint32_t i, mml_jw *w)
{
	const mml_dnode *d = &t->n[i];
	char sb[1024], *heap = NULL;
	mml_jw_obj(w);
	const char *path = path_of(t, i, sb, sizeof sb, &heap);
	mml_jw_kv_str(w, "path", path, strlen(path));
	free(heap);
	mml_jw_kv_name(w, "type", mml_dkind_name((mml_dkind)d->kind));
	if (mml_dkind_is(d->kind, MML_DKP_STEP) || (d->flags & MML_DN_EMBED))
		mml_jw_kv_name(w, "fmt", mml_dfmt_name((mml_dfmt)d->fmt));
	if (d->name && d->name_len)
		mml_jw_kv_str(w, "name", d->name, d->name_len);
	if (d->fmt == MML_DF_PB && d->kind != MML_DK_ROOT && d->parent != MML_DNONE &&
	    (t->n[d->parent].kind == MML_DK_MSG))
		mml_jw_kv_u64(w, "field", d->field);
	if (d->index >= 0)
		mml_jw_kv_i64(w, "index", d->index);
	if (d->flags) {
		mml_jw_key(w, "flags");
		mml_jw_arr(w);
		for (unsigned k = 0; k < NFLAGS; k++)
			if (d->flags & (1u << k))
				mml_jw_name(w, flag_names[k]);
		mml_jw_close(w);
	}
	wj_value(d, w);
	if (d->first_child != MML_DNONE) {
		mml_jw_key(w, "children");
		mml_jw_arr(w);
		for (uint32_t c = d->first_child; c != MML_DNONE; c = t->n[c].next)
			wj(t, c, w);
		mml_jw_close(w);
	}
	mml_jw_close(w);
}

void mml_dtree_write_jw(const mml_dtree *t, mml_jw *w)
{
	if (!t || !t->count) {
		mml_jw_null(w);
		return;
	}
	wj(t, 0, w);
}

void mml_dtree_write_json(const mml_dtree *t, FILE *f)
{
	mml_lw lw;
	mml_jw w;
	mml_jw_begin(&w, &lw, f);
	mml_dtree_write_jw(t, &w);
	mml_jw_end(&w);
}

/* ---- text view ---- */

#define TEXT_MAX 240
#define HEX_MAX 64

/* Text quoted, C escapes for what is not printable UTF-8, cut at TEXT_MAX bytes. */
static void text_str(FILE *f, const uint8_t *p, size_t n)
{
	size_t m = n > TEXT_MAX ? TEXT_MAX : n;
	fputc('"', f);
	for (size_t i = 0; i < m;) {
		uint8_t c = p[i];
		size_t k;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			fputc(c, f);
			i++;
		} else if (c >= 0x80 && (k = mml_utf8_seq(p + i, n - i)) > 0) {
			fwrite(p + i, 1, k, f);
			i += k;
		} else {
			if (c == '\n')
				fputs("\\n", f);
			else if (c == '\t')
				fputs("\\t", f);
			else if (c == '\r')
				fputs("\\r", f);
			else if (c == '"' || c == '\\')
				fprintf(f, "\\%c", c);
			else
				fprintf(f, "\\x%02x", c);
			i++;
		}
	}
	fputc('"', f);
	if (m < n)
		fprintf(f, "...(+%zu)", n - m);
}

static void text_hex(FILE *f, const uint8_t *p, size_t n)
{
	size_t m = n > HEX_MAX ? HEX_MAX : n;
	for (size_t i = 0; i < m; i++)
		fprintf(f, "%02x", p[i]);
	if (m < n)
		fprintf(f, "...(+%zu)", n - m);
}

void mml_dtree_write_text(const mml_dtree *t, FILE *f)
{
	if (!t)
		return;
	char sb[1024], num[40];
	for (uint32_t i = 0; i < t->count; i++) { /* the array is in document order */
		const mml_dnode *d = &t->n[i];
		char *heap = NULL;
		for (unsigned k = 0; k < d->depth; k++)
			fputs("  ", f);
		const char *path = path_of(t, i, sb, sizeof sb, &heap);
		fputs(*path ? path : "-", f);
		free(heap);
		fprintf(f, " %s", mml_dkind_name((mml_dkind)d->kind));
		switch ((mml_dkind)d->kind) {
		case MML_DK_ROOT: fprintf(f, " %s", mml_dfmt_name((mml_dfmt)d->fmt)); break;
		case MML_DK_VARINT:
			fprintf(f, " %" PRIu64, d->u);
			if (d->u)
				fprintf(f, " (zigzag %" PRId64 ")", mml_dnode_zigzag(d));
			if (d->u > INT64_MAX)
				fprintf(f, " (int64 %" PRId64 ")", (int64_t)d->u);
			break;
		case MML_DK_FIXED32:
			fmt_f32(num, sizeof num, mml_dnode_f32(d));
			fprintf(f, " %" PRIu32 " float %s", (uint32_t)d->u, num);
			break;
		case MML_DK_FIXED64:
			fmt_f64(num, sizeof num, mml_dnode_f64(d));
			fprintf(f, " %" PRIu64 " double %s", d->u, num);
			break;
		case MML_DK_MSG:
		case MML_DK_PACKED: fprintf(f, "(%" PRIu32 ")", d->val_len); break;
		case MML_DK_BYTES:
			fprintf(f, "(%" PRIu32 ") ", d->val_len);
			text_hex(f, d->val, d->val_len);
			break;
		case MML_DK_WRAP: fprintf(f, " %s(%" PRIu32 ")", mml_dfmt_name((mml_dfmt)d->fmt), d->val_len); break;
		case MML_DK_CSV: fprintf(f, " '%c'", (char)d->u); break;
		case MML_DK_STRING: fprintf(f, "(%" PRIu32 ")", d->val_len); break;
		default: break;
		}
		if (has_text(d) && d->val) {
			fputc(' ', f);
			text_str(f, d->val, d->val_len);
		}
		if (d->flags) {
			fputs(" [", f);
			bool first = true;
			for (unsigned k = 0; k < NFLAGS; k++)
				if (d->flags & (1u << k)) {
					fprintf(f, "%s%s", first ? "" : ",", flag_names[k]);
					first = false;
				}
			if (d->flags & MML_DN_NUL_PAD)
				fprintf(f, " %" PRIu64, d->u);
			fputc(']', f);
		}
		fputc('\n', f);
	}
}
