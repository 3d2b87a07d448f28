/*
 * ipfrag.c - IPv4 fragment reassembly (RFC 791 section 3.2, RFC 815 style
 * hole tracking with a bitmap of 8-byte units).
 *
 * Contract: at most MML_FRAG_SLOTS datagrams are pending at once, each at
 * most 65535 bytes; a slot idle for more than 30 s of capture time, or the
 * oldest slot when all are taken, is dropped and counted. Overlapping
 * fragments keep the first bytes received. The fragment's header is read
 * through mml_cur: one that is not IPv4, or whose header length (20 to
 * 60 bytes) passes the bytes given, is refused (MML_E_MALFORMED) and
 * counted as dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "mmlens/capture.h"
#include "mmlens/cursor.h"

#define MML_FRAG_SLOTS 16
#define FRAG_MAX 65535u
#define FRAG_TIMEOUT_US (30ull * 1000000ull)

typedef struct frag_slot {
	int used;
	uint8_t src[4], dst[4], proto;
	uint16_t id;
	uint64_t last_us;
	size_t total;        /* payload length once the last fragment is seen; 0 before */
	uint8_t hdr[60];
	size_t hdrlen;
	uint8_t have[FRAG_MAX / 8 / 8 + 1]; /* bitmap of 8-byte units */
	uint8_t *data;       /* FRAG_MAX bytes, allocated when used */
} frag_slot;

struct mml_ipfrag {
	frag_slot slot[MML_FRAG_SLOTS];
	uint8_t out[FRAG_MAX + 60];
};

mml_ipfrag *mml_ipfrag_new(void) { return calloc(1, sizeof(mml_ipfrag)); }

void mml_ipfrag_free(mml_ipfrag *t)
{
	if (!t)
		return;
	for (int i = 0; i < MML_FRAG_SLOTS; i++)
		free(t->slot[i].data);
	free(t);
}

static void slot_drop(frag_slot *s, mml_stats *st)
{
	if (s->used)
		st->pkt_ipv4_frag_dropped++;
	s->used = 0;
}

/* The fields reassembly needs from one fragment (a whole IPv4 datagram). */
typedef struct frag_in {
	const uint8_t *hdr, *addrs, *payload; /* header (ihl bytes), src and dst (8), payload */
	size_t ihl, plen, off;
	uint16_t id;
	uint8_t proto;
	int more;
} frag_in;

/* Read the IPv4 header of ip[0..len) through the cursor. */
static mml_err frag_read(const uint8_t *ip, size_t len, frag_in *f)
{
	mml_cur c = mml_cur_make(ip, len), h = c;
	uint8_t vihl;
	uint16_t fo;
	if (mml_cur_u8(&h, &vihl) || mml_cur_skip(&h, 3) || mml_cur_be16(&h, &f->id) || mml_cur_be16(&h, &fo) ||
	    mml_cur_skip(&h, 1) || mml_cur_u8(&h, &f->proto) || mml_cur_skip(&h, 2) || mml_cur_bytes(&h, 8, &f->addrs))
		return MML_E_TRUNCATED;
	f->ihl = (size_t)(vihl & 15) * 4;
	if ((vihl >> 4) != 4 || f->ihl < 20 || mml_cur_bytes(&c, f->ihl, &f->hdr))
		return MML_E_MALFORMED;
	f->plen = mml_cur_left(&c);
	f->payload = mml_cur_ptr(&c);
	f->off = (size_t)(fo & 0x1fff) * 8;
	f->more = (fo & 0x2000) != 0;
	return MML_OK;
}

mml_err mml_ipfrag_add(mml_ipfrag *t, const uint8_t *ip, size_t len, uint64_t ts_us,
                       const uint8_t **out, size_t *outlen, mml_stats *st)
{
	frag_in f;
	if (frag_read(ip, len, &f) != MML_OK || f.off + f.plen > FRAG_MAX || (f.more && f.plen % 8)) {
		st->pkt_ipv4_frag_dropped++;
		return MML_E_MALFORMED;
	}
	const size_t off = f.off, plen = f.plen, ihl = f.ihl;
	const int more = f.more;
	frag_slot *s = NULL, *oldest = NULL, *freeslot = NULL;
	for (int i = 0; i < MML_FRAG_SLOTS; i++) {
		frag_slot *x = &t->slot[i];
		if (x->used && ts_us > x->last_us && ts_us - x->last_us > FRAG_TIMEOUT_US)
			slot_drop(x, st);
		if (!x->used) {
			if (!freeslot)
				freeslot = x;
			continue;
		}
		if (x->id == f.id && x->proto == f.proto && !memcmp(x->src, f.addrs, 4) && !memcmp(x->dst, f.addrs + 4, 4))
			s = x;
		if (!oldest || x->last_us < oldest->last_us)
			oldest = x;
	}
	if (!s) {
		s = freeslot;
		if (!s) {
			slot_drop(oldest, st);
			s = oldest;
		}
		if (!s->data && !(s->data = malloc(FRAG_MAX)))
			return MML_E_NOMEM;
		s->used = 1;
		s->id = f.id;
		s->proto = f.proto;
		memcpy(s->src, f.addrs, 4);
		memcpy(s->dst, f.addrs + 4, 4);
		s->total = 0;
		s->hdrlen = 0;
		memset(s->have, 0, sizeof s->have);
		memset(s->data, 0, FRAG_MAX); /* never hand out bytes of an older datagram */
	}
	s->last_us = ts_us;
	/* a second, different end, or bytes past the known end: not one datagram */
	if ((!more && s->total && s->total != off + plen) || (s->total && off + plen > s->total)) {
		slot_drop(s, st);
		return MML_E_MALFORMED;
	}
	if (off == 0) {
		memcpy(s->hdr, f.hdr, ihl);
		s->hdrlen = ihl;
	}
	if (!more)
		s->total = off + plen;
	/* copy units not yet present (first wins); a unit counts as present
	 * only when all its bytes arrived, or it ends the datagram */
	for (size_t u = off / 8; u * 8 < off + plen; u++) {
		if (s->have[u / 8] & (1u << (u % 8)))
			continue;
		size_t a = u * 8, b = a + 8 > off + plen ? off + plen : a + 8;
		if (b - a < 8 && !(!more && b == off + plen))
			continue;
		memcpy(s->data + a, f.payload + (a - off), b - a);
		s->have[u / 8] |= (uint8_t)(1u << (u % 8));
	}
	if (!s->total || !s->hdrlen)
		return MML_E_INCOMPLETE;
	for (size_t u = 0; u * 8 < s->total; u++)
		if (!(s->have[u / 8] & (1u << (u % 8))))
			return MML_E_INCOMPLETE;
	/* complete: header with fixed length/offset, then payload */
	if (s->hdrlen + s->total > 65535) {
		slot_drop(s, st);
		return MML_E_MALFORMED;
	}
	memcpy(t->out, s->hdr, s->hdrlen);
	size_t tot = s->hdrlen + s->total;
	t->out[2] = (uint8_t)(tot >> 8);
	t->out[3] = (uint8_t)tot;
	t->out[6] = t->out[7] = 0;
	memcpy(t->out + s->hdrlen, s->data, s->total);
	s->used = 0;
	st->pkt_ipv4_frag_reassembled++;
	*out = t->out;
	*outlen = tot;
	return MML_OK;
}
