/*
 * capture.c - open a pcap/pcapng file or stdin with libpcap, after telling
 * the format apart by its magic; hand each frame to the link decoder.
 *
 * Formats: pcap (https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04)
 * and pcapng (draft-ietf-opsawg-pcapng). The first four bytes are peeked
 * and replayed through a fopencookie() stream, so stdin works too.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/capture.h"
#include "mmlens/util.h"

#define READ_BUF ((size_t)1 << 20)

typedef struct peek_stream {
	FILE *under;
	char *buf;            /* the cookie stream's buffer (glibc ignores a size without one) */
	uint8_t head[4];
	size_t head_len, head_off;
	int close_under;
} peek_stream;

static ssize_t peek_read(void *c, char *buf, size_t n)
{
	peek_stream *ps = c;
	size_t done = 0;
	while (done < n && ps->head_off < ps->head_len)
		buf[done++] = (char)ps->head[ps->head_off++];
	if (done < n)
		done += fread(buf + done, 1, n - done, ps->under);
	return (ssize_t)done;
}

static int peek_close(void *c)
{
	peek_stream *ps = c;
	if (ps->close_under)
		fclose(ps->under);
	free(ps->buf);
	free(ps);
	return 0;
}

mml_err mml_capture_open(mml_capture *cap, const char *path, mml_stats *stats)
{
	memset(cap, 0, sizeof *cap);
	cap->stats = stats;
	cap->name = path;
	int is_stdin = strcmp(path, "-") == 0;
	FILE *under = is_stdin ? stdin : fopen(path, "rb");
	if (!under) {
		snprintf(cap->errbuf, sizeof cap->errbuf, "%s: cannot open: %m", path);
		return MML_E_IO;
	}
	/* One copy into the cookie stream's large buffer (below), none in between;
	 * not for stdin, which a caller may already have read from (peeked). */
	if (!is_stdin)
		setvbuf(under, NULL, _IONBF, 0);
	peek_stream *ps = calloc(1, sizeof *ps);
	if (!ps) {
		if (!is_stdin)
			fclose(under);
		return MML_E_NOMEM;
	}
	ps->under = under;
	ps->close_under = !is_stdin;
	ps->head_len = fread(ps->head, 1, 4, under);
	uint32_t m = ps->head_len == 4 ? ((uint32_t)ps->head[0] << 24 | (uint32_t)ps->head[1] << 16 |
	                                  (uint32_t)ps->head[2] << 8 | ps->head[3])
	                               : 0;
	if (m == 0x0a0d0d0a) {
		cap->fmt = MML_CAP_PCAPNG;
	} else if (m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1) {
		cap->fmt = MML_CAP_PCAP;
	} else {
		snprintf(cap->errbuf, sizeof cap->errbuf,
		         "%s: not a pcap or pcapng capture (first bytes %02x%02x%02x%02x)", path,
		         ps->head[0], ps->head[1], ps->head[2], ps->head[3]);
		mml_err e = ps->head_len == 0 ? MML_E_IO : MML_E_MALFORMED;
		if (ps->head_len == 0)
			snprintf(cap->errbuf, sizeof cap->errbuf, "%s: empty input", path);
		peek_close(ps);
		return e;
	}
	cookie_io_functions_t io = {.read = peek_read, .close = peek_close};
	FILE *fp = fopencookie(ps, "rb", io);
	if (!fp) {
		peek_close(ps);
		return MML_E_NOMEM;
	}
	if ((ps->buf = malloc(READ_BUF)))
		setvbuf(fp, ps->buf, _IOFBF, READ_BUF); /* few large reads */
	/* one thread reads it: libpcap's two freads a packet need no lock */
	__fsetlocking(fp, FSETLOCKING_BYCALLER);
	char eb[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, eb);
	if (!p) {
		snprintf(cap->errbuf, sizeof cap->errbuf, "%s: %s", path, eb);
		fclose(fp);
		return MML_E_MALFORMED;
	}
	cap->pcap = p;
	cap->fp = fp; /* closed by pcap_close */
	cap->linktype = pcap_datalink(p);
	cap->frag = mml_ipfrag_new();
	if (!cap->frag) {
		pcap_close(p);
		cap->pcap = NULL;
		return MML_E_NOMEM;
	}
	return MML_OK;
}

mml_err mml_capture_next(mml_capture *cap, mml_pkt *pkt)
{
	pcap_t *p = cap->pcap;
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		int r = pcap_next_ex(p, &h, &data);
		if (r == PCAP_ERROR_BREAK)
			return MML_E_END;
		if (r != 1) {
			snprintf(cap->errbuf, sizeof cap->errbuf, "%s: after packet %llu: %s", cap->name,
			         (unsigned long long)cap->index, pcap_geterr(p));
			return strstr(cap->errbuf, "truncated") ? MML_E_TRUNCATED : MML_E_MALFORMED;
		}
		cap->index++;
		mml_stats *st = cap->stats;
		st->packets++;
		st->bytes += h->caplen;
		if (h->caplen < h->len)
			st->pkt_snaplen_cut++;
		pkt->index = cap->index;
		pkt->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
		mml_err e = mml_decode_frame(cap->linktype, data, h->caplen, pkt, st, cap->frag);
		if (e == MML_OK)
			return MML_OK;
	}
}

void mml_capture_close(mml_capture *cap)
{
	if (cap->pcap)
		pcap_close(cap->pcap);
	cap->pcap = NULL;
	mml_ipfrag_free(cap->frag);
	cap->frag = NULL;
}

static uint32_t addr_hash(const mml_addr *a)
{
	uint64_t x, y;
	memcpy(&x, a->ip, 8);
	memcpy(&y, a->ip + 8, 8);
	uint64_t h = (x ^ (uint64_t)a->port << 48) * 0x9e3779b97f4a7c15ull ^ y * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 31;
	h *= 0xff51afd7ed558ccdull;
	return (uint32_t)(h >> 32);
}

uint32_t mml_addr_pair_hash(const mml_addr *a, const mml_addr *b)
{
	uint32_t x = addr_hash(a), y = addr_hash(b);
	return (x ^ y) * 0x9e3779b1u + (x + y); /* symmetric */
}

void mml_addr_format(const mml_addr *a, char *buf, size_t n)
{
	if (a->ver == 6) {
		char tmp[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, a->ip, tmp, sizeof tmp);
		snprintf(buf, n, "[%s]:%u", tmp, a->port);
	} else if (n) { /* "%u.%u.%u.%u:%u", truncated as snprintf would */
		char tmp[24], *o = tmp;
		for (int i = 0; i < 4; i++) {
			o = mml_put_u64(o, a->ip[i]);
			*o++ = i < 3 ? '.' : ':';
		}
		o = mml_put_u64(o, a->port);
		size_t len = (size_t)(o - tmp);
		if (len >= n)
			len = n - 1;
		memcpy(buf, tmp, len);
		buf[len] = 0;
	}
}
