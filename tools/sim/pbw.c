/*
 * tools/sim/pbw.c - protobuf wire-format writer for the simulator.
 *
 * Contract: every call appends one field to `b`: the key varint
 * (field << 3 | wire type), then the value. Varints are minimal
 * (LEB128), fixed32/float/fixed64/double are little-endian. A nested
 * message or a string built in place is written as
 *     size_t m = pbw_begin(b, field);  ...append its bytes...;  pbw_end(b, m);
 * pbw_begin writes the key and reserves PBW_LENROOM bytes for the length;
 * pbw_end writes the minimal varint length there and moves the content
 * down over the unused room, so the result is canonical. Marks nest (inner
 * pbw_end before outer). Bytes go through mml_wbuf; a failed write aborts
 * (sim_wcheck). No allocation beyond the buffer's own growth.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define PBW_LENROOM 5 /* a varint of up to 2^35 - 1 */

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

void sim_wcheck(const mml_wbuf *w, const char *what)
{
	if (mml_wbuf_err(w) == MML_OK)
		return;
	fprintf(stderr, "mmlens-sim: %s: %s at %zu bytes\n", what, mml_strerror(mml_wbuf_err(w)), mml_wbuf_len(w));
	abort();
}

static void key(mml_wbuf *w, uint32_t field, int wt) { mml_wbuf_varint(w, ((uint64_t)field << 3) | (uint64_t)wt); }

void pbw_varint(mml_buf *b, uint32_t field, uint64_t v)
{
	mml_wbuf w = mml_wbuf_make(b);
	key(&w, field, WT_VARINT);
	mml_wbuf_varint(&w, v);
	sim_wcheck(&w, "protobuf writer");
}

void pbw_fixed32(mml_buf *b, uint32_t field, uint32_t v)
{
	mml_wbuf w = mml_wbuf_make(b);
	key(&w, field, WT_I32);
	mml_wbuf_le32(&w, v);
	sim_wcheck(&w, "protobuf writer");
}

void pbw_float(mml_buf *b, uint32_t field, float v)
{
	uint32_t u;
	memcpy(&u, &v, 4);
	pbw_fixed32(b, field, u);
}

void pbw_double(mml_buf *b, uint32_t field, double v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	mml_wbuf w = mml_wbuf_make(b);
	key(&w, field, WT_I64);
	mml_wbuf_le64(&w, u);
	sim_wcheck(&w, "protobuf writer");
}

void pbw_bytes(mml_buf *b, uint32_t field, const void *p, size_t n)
{
	mml_wbuf w = mml_wbuf_make(b);
	key(&w, field, WT_LEN);
	mml_wbuf_varint(&w, n);
	mml_wbuf_bytes(&w, p, n);
	sim_wcheck(&w, "protobuf writer");
}

void pbw_string(mml_buf *b, uint32_t field, const char *s) { pbw_bytes(b, field, s, strlen(s)); }

size_t pbw_begin(mml_buf *b, uint32_t field)
{
	mml_wbuf w = mml_wbuf_make(b);
	key(&w, field, WT_LEN);
	size_t mark = mml_wbuf_len(&w);
	mml_wbuf_fill(&w, 0, PBW_LENROOM);
	sim_wcheck(&w, "protobuf writer");
	return mark;
}

void pbw_end(mml_buf *b, size_t mark)
{
	size_t start = mark + PBW_LENROOM;
	if (mark > b->len || start > b->len) {
		fprintf(stderr, "mmlens-sim: protobuf writer: bad mark %zu (len %zu)\n", mark, b->len);
		abort();
	}
	size_t n = b->len - start;
	uint8_t t[10];
	size_t vl = mml_varint_encode(t, n);
	if (vl > PBW_LENROOM) {
		fprintf(stderr, "mmlens-sim: protobuf writer: nested field of %zu bytes\n", n);
		abort();
	}
	mml_wbuf w = mml_wbuf_make(b);
	mml_wbuf_set(&w, mark, t, vl);
	mml_wbuf_drop(&w, mark + vl, PBW_LENROOM - vl);
	sim_wcheck(&w, "protobuf writer");
}
