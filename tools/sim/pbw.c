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
 * pbw_end before outer). The writer assumes the buffer can grow: a failed
 * growth (out of memory, or the buffer's cap) aborts the process, because
 * a silently short message would corrupt the simulated traffic and its
 * ground truth. No allocation beyond the buffer's own growth.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define PBW_LENROOM 5 /* a varint of up to 2^35 - 1 */

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

static void put(mml_buf *b, const void *p, size_t n)
{
	if (mml_buf_append(b, p, n) != MML_OK) {
		fprintf(stderr, "mmlens-sim: protobuf writer: buffer growth failed at %zu bytes\n", b->len);
		abort();
	}
}

static size_t varint_enc(uint8_t *o, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		o[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	o[n++] = (uint8_t)v;
	return n;
}

static void key(mml_buf *b, uint32_t field, int wt)
{
	uint8_t t[10];
	put(b, t, varint_enc(t, ((uint64_t)field << 3) | (uint64_t)wt));
}

void pbw_varint(mml_buf *b, uint32_t field, uint64_t v)
{
	uint8_t t[20];
	size_t n = varint_enc(t, ((uint64_t)field << 3) | WT_VARINT);
	n += varint_enc(t + n, v);
	put(b, t, n);
}

void pbw_fixed32(mml_buf *b, uint32_t field, uint32_t v)
{
	uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	key(b, field, WT_I32);
	put(b, t, 4);
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
	uint8_t t[8];
	for (int i = 0; i < 8; i++)
		t[i] = (uint8_t)(u >> (8 * i));
	key(b, field, WT_I64);
	put(b, t, 8);
}

void pbw_bytes(mml_buf *b, uint32_t field, const void *p, size_t n)
{
	uint8_t t[10];
	key(b, field, WT_LEN);
	put(b, t, varint_enc(t, n));
	if (n)
		put(b, p, n);
}

void pbw_string(mml_buf *b, uint32_t field, const char *s) { pbw_bytes(b, field, s, strlen(s)); }

size_t pbw_begin(mml_buf *b, uint32_t field)
{
	static const uint8_t room[PBW_LENROOM];
	key(b, field, WT_LEN);
	size_t mark = b->len;
	put(b, room, sizeof room);
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
	size_t vl = varint_enc(t, n);
	if (vl > PBW_LENROOM) {
		fprintf(stderr, "mmlens-sim: protobuf writer: nested field of %zu bytes\n", n);
		abort();
	}
	memcpy(b->p + mark, t, vl);
	if (vl < PBW_LENROOM) {
		memmove(b->p + mark + vl, b->p + start, n);
		b->len -= PBW_LENROOM - vl;
	}
}
