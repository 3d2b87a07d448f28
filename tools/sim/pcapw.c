/*
 * pcapw.c - the capture writer of the simulator and the tests: file
 * headers and packet records into a buffer (sim_cap_header,
 * sim_cap_packet), and a capture file written record by record
 * (sim_pcapw). Contract and formats in tools/sim/net.h. Every field is
 * written through mml_wbuf in the file's byte order.
 */
#include <stdlib.h>
#include <string.h>

#include "net.h"

#define SNAPLEN_DEFAULT 262144u

static void u16(mml_wbuf *w, const sim_capfmt *f, uint16_t v)
{
	if (f->big_endian)
		mml_wbuf_be16(w, v);
	else
		mml_wbuf_le16(w, v);
}

static void u32(mml_wbuf *w, const sim_capfmt *f, uint32_t v)
{
	if (f->big_endian)
		mml_wbuf_be32(w, v);
	else
		mml_wbuf_le32(w, v);
}

void sim_cap_header(mml_wbuf *w, const sim_capfmt *f)
{
	uint32_t snap = f->snaplen ? f->snaplen : SNAPLEN_DEFAULT;
	if (!f->pcapng) {
		u32(w, f, f->nano ? 0xa1b23c4du : 0xa1b2c3d4u);
		u16(w, f, 2); /* version 2.4 */
		u16(w, f, 4);
		u32(w, f, 0); /* thiszone */
		u32(w, f, 0); /* sigfigs */
		u32(w, f, snap);
		u32(w, f, (uint32_t)f->linktype);
		return;
	}
	/* Section Header Block: version 1.0, section length -1 (unknown) */
	u32(w, f, 0x0a0d0d0au);
	u32(w, f, 28);
	u32(w, f, 0x1a2b3c4du);
	u16(w, f, 1);
	u16(w, f, 0);
	u32(w, f, 0xffffffffu);
	u32(w, f, 0xffffffffu);
	u32(w, f, 28);
	/* Interface Description Block, with if_tsresol 9 for nanoseconds */
	uint32_t idb_len = 20 + (f->nano ? 12 : 0);
	u32(w, f, 1);
	u32(w, f, idb_len);
	u16(w, f, (uint16_t)f->linktype);
	u16(w, f, 0);
	u32(w, f, snap);
	if (f->nano) {
		u16(w, f, 9); /* if_tsresol */
		u16(w, f, 1);
		mml_wbuf_u8(w, 9); /* 10^-9 */
		mml_wbuf_fill(w, 0, 3); /* the option value padded to 4 bytes */
		u16(w, f, 0); /* opt_endofopt */
		u16(w, f, 0);
	}
	u32(w, f, idb_len);
}

void sim_cap_packet(mml_wbuf *w, const sim_capfmt *f, uint64_t ts_ns, const uint8_t *frame, size_t len)
{
	uint64_t ts = f->nano ? ts_ns : ts_ns / 1000;
	if (!f->pcapng) {
		uint64_t div = f->nano ? 1000000000ull : 1000000ull;
		u32(w, f, (uint32_t)(ts / div));
		u32(w, f, (uint32_t)(ts % div));
		u32(w, f, (uint32_t)len);
		u32(w, f, (uint32_t)len);
		mml_wbuf_bytes(w, frame, len);
		return;
	}
	/* Enhanced Packet Block: interface 0, the frame padded to 4 bytes */
	uint32_t blen = (uint32_t)(32 + ((len + 3) & ~(size_t)3));
	u32(w, f, 6);
	u32(w, f, blen);
	u32(w, f, 0);
	u32(w, f, (uint32_t)(ts >> 32));
	u32(w, f, (uint32_t)ts);
	u32(w, f, (uint32_t)len);
	u32(w, f, (uint32_t)len);
	mml_wbuf_bytes(w, frame, len);
	mml_wbuf_fill(w, 0, (4 - len % 4) % 4);
	u32(w, f, blen);
}

/* Write the record buffer to the file and empty it. */
static void flush_rec(sim_pcapw *w, const mml_wbuf *wb)
{
	sim_wcheck(wb, "capture writer");
	fwrite(w->rec.p, 1, w->rec.len, w->f);
	w->bytes += w->rec.len;
	mml_buf_reset(&w->rec);
}

int sim_pcapw_open(sim_pcapw *w, const char *path, bool pcapng, int linktype)
{
	memset(w, 0, sizeof *w);
	w->f = fopen(path, "wb");
	if (!w->f)
		return -1;
	w->vbuf = malloc(1 << 20);
	if (w->vbuf)
		setvbuf(w->f, w->vbuf, _IOFBF, 1 << 20);
	w->fmt = (sim_capfmt){.pcapng = pcapng, .linktype = linktype};
	mml_buf_init(&w->rec, 0);
	mml_wbuf wb = mml_wbuf_make(&w->rec);
	sim_cap_header(&wb, &w->fmt);
	flush_rec(w, &wb);
	return 0;
}

void sim_pcapw_packet(sim_pcapw *w, uint64_t ts_us, const uint8_t *frame, size_t len)
{
	w->packets++;
	mml_wbuf wb = mml_wbuf_make(&w->rec);
	sim_cap_packet(&wb, &w->fmt, ts_us * 1000, frame, len);
	flush_rec(w, &wb);
}

int sim_pcapw_close(sim_pcapw *w)
{
	int r = 0;
	if (w->f) {
		r = fclose(w->f) ? -1 : 0;
		w->f = NULL;
	}
	free(w->vbuf);
	w->vbuf = NULL;
	mml_buf_free(&w->rec);
	return r;
}
