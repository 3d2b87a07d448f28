/*
 * record.c - MMTLS record header, plaintext ClientHello/ServerHello, and
 * HTTP/1.x heads for shortlink. Contract and format in
 * include/mmlens/mmtls.h; field layout in docs/FORMATS.md.
 */
#include <string.h>

#include "mmlens/mmtls.h"
#include "mmlens/util.h"

static bool type_ok(uint8_t t)
{
	return t == MML_REC_ALERT || t == MML_REC_HANDSHAKE || t == MML_REC_DATA || t == MML_REC_EARLY;
}

mml_err mml_rec_parse(mml_cur *c, mml_rec *r)
{
	mml_cur t = *c;
	uint8_t ty, v1 = 0, v2 = 0;
	uint16_t len;
	if (mml_cur_u8(&t, &ty))
		return MML_E_INCOMPLETE;
	if (!type_ok(ty))
		return MML_E_MALFORMED;
	if (mml_cur_u8(&t, &v1))
		return MML_E_INCOMPLETE;
	if (v1 != 0xf1)
		return MML_E_MALFORMED;
	if (mml_cur_u8(&t, &v2))
		return MML_E_INCOMPLETE;
	if (v2 < 0x01 || v2 > 0x04)
		return MML_E_MALFORMED;
	if (mml_cur_be16(&t, &len))
		return MML_E_INCOMPLETE;
	r->type = ty;
	r->version = (uint16_t)(v1 << 8 | v2);
	r->len = len;
	r->hdr = mml_cur_ptr(c);
	if (mml_cur_bytes(&t, len, &r->body))
		return MML_E_INCOMPLETE;
	*c = t;
	return MML_OK;
}

bool mml_rec_plausible(const uint8_t *p, size_t n)
{
	mml_cur c = mml_cur_make(p, n);
	uint8_t ty, v1, v2, nty, nv1;
	uint16_t len;
	if (mml_cur_u8(&c, &ty) || !type_ok(ty) || mml_cur_u8(&c, &v1) || v1 != 0xf1 || mml_cur_u8(&c, &v2) || v2 < 1 ||
	    v2 > 4 || mml_cur_be16(&c, &len))
		return false;
	if (ty == MML_REC_DATA && len < MML_REC_TAG)
		return false; /* short plaintext alerts and hellos do occur */
	/* when the next header is in view (3 of its bytes), it must look right too */
	if (mml_cur_skip(&c, len) == MML_OK && mml_cur_left(&c) >= 3 && mml_cur_u8(&c, &nty) == MML_OK &&
	    mml_cur_u8(&c, &nv1) == MML_OK)
		return type_ok(nty) && nv1 == 0xf1;
	return true;
}

static mml_err parse_psk(mml_cur *e, mml_hello *h)
{
	uint8_t count;
	MML_RETURN_IF_ERR(mml_cur_u8(e, &count));
	for (unsigned i = 0; i < count; i++) {
		uint32_t seclen;
		mml_cur s;
		MML_RETURN_IF_ERR(mml_cur_be32(e, &seclen));
		MML_RETURN_IF_ERR(mml_cur_sub(e, seclen, &s));
		mml_hello_ticket tk;
		memset(&tk, 0, sizeof tk);
		uint32_t inner;
		MML_RETURN_IF_ERR(mml_cur_u8(&s, &tk.type));
		MML_RETURN_IF_ERR(mml_cur_be32(&s, &tk.lifetime));
		MML_RETURN_IF_ERR(mml_cur_be16(&s, &tk.age_add));
		MML_RETURN_IF_ERR(mml_cur_be32(&s, &inner));
		MML_RETURN_IF_ERR(mml_cur_be16(&s, &tk.nonce_len));
		MML_RETURN_IF_ERR(mml_cur_bytes(&s, tk.nonce_len, &tk.nonce));
		MML_RETURN_IF_ERR(mml_cur_be16(&s, &tk.ticket_len));
		MML_RETURN_IF_ERR(mml_cur_bytes(&s, tk.ticket_len, &tk.ticket));
		if (h->ntickets < MML_HELLO_MAX_TICKETS)
			h->tickets[h->ntickets++] = tk;
	}
	return MML_OK;
}

/* One key share: index(4) | key_len(2) | key. */
static mml_err parse_key_body(mml_cur *s, mml_hello *h)
{
	mml_hello_key k;
	MML_RETURN_IF_ERR(mml_cur_be32(s, &k.index));
	MML_RETURN_IF_ERR(mml_cur_be16(s, &k.key_len));
	MML_RETURN_IF_ERR(mml_cur_bytes(s, k.key_len, &k.key));
	if (h->nkeys < MML_HELLO_MAX_KEYS)
		h->keys[h->nkeys++] = k;
	return MML_OK;
}

/* A client's key share: its section length, then the key share. */
static mml_err parse_key(mml_cur *e, mml_hello *h)
{
	uint32_t seclen;
	mml_cur s;
	MML_RETURN_IF_ERR(mml_cur_be32(e, &seclen));
	MML_RETURN_IF_ERR(mml_cur_sub(e, seclen, &s));
	return parse_key_body(&s, h);
}

static mml_err parse_ext(mml_cur *c, mml_hello *h)
{
	uint32_t seclen;
	uint8_t next;
	mml_cur sec;
	MML_RETURN_IF_ERR(mml_cur_be32(c, &seclen));
	MML_RETURN_IF_ERR(mml_cur_sub(c, seclen, &sec));
	MML_RETURN_IF_ERR(mml_cur_u8(&sec, &next));
	for (unsigned i = 0; i < next; i++) {
		uint32_t elen;
		uint16_t etype;
		mml_cur e;
		MML_RETURN_IF_ERR(mml_cur_be32(&sec, &elen));
		MML_RETURN_IF_ERR(mml_cur_sub(&sec, elen, &e));
		MML_RETURN_IF_ERR(mml_cur_be16(&e, &etype));
		if (h->next < MML_HELLO_MAX_EXT)
			h->ext_types[h->next++] = etype;
		if (etype == 0x000f) {
			MML_RETURN_IF_ERR(parse_psk(&e, h));
		} else if (etype == 0x0010) { /* client key shares: count, then keys */
			uint8_t nk;
			MML_RETURN_IF_ERR(mml_cur_u8(&e, &nk));
			for (unsigned k = 0; k < nk; k++)
				MML_RETURN_IF_ERR(parse_key(&e, h));
		} else if (etype == 0x0011) { /* server key share: one key, no section length */
			MML_RETURN_IF_ERR(parse_key_body(&e, h));
		}
	}
	return MML_OK;
}

mml_err mml_hello_parse(const uint8_t *body, size_t n, mml_hello *h)
{
	memset(h, 0, sizeof *h);
	mml_cur c = mml_cur_make(body, n), m;
	uint32_t len;
	MML_RETURN_IF_ERR(mml_cur_be32(&c, &len));
	MML_RETURN_IF_ERR(mml_cur_sub(&c, len, &m));
	MML_RETURN_IF_ERR(mml_cur_u8(&m, &h->msg_type));
	MML_RETURN_IF_ERR(mml_cur_be16(&m, &h->version));
	if (h->msg_type == 1) {
		MML_RETURN_IF_ERR(mml_cur_u8(&m, &h->nsuites));
		if (h->nsuites > MML_HELLO_MAX_SUITES)
			return MML_E_LIMIT;
		for (unsigned i = 0; i < h->nsuites; i++)
			MML_RETURN_IF_ERR(mml_cur_be16(&m, &h->suites[i]));
		MML_RETURN_IF_ERR(mml_cur_bytes(&m, 32, &h->random));
		MML_RETURN_IF_ERR(mml_cur_be32(&m, &h->timestamp));
		h->has_timestamp = true;
	} else if (h->msg_type == 2) {
		h->nsuites = 1;
		MML_RETURN_IF_ERR(mml_cur_be16(&m, &h->suites[0]));
		MML_RETURN_IF_ERR(mml_cur_bytes(&m, 32, &h->random));
	} else {
		return MML_E_MALFORMED;
	}
	h->ext_err = parse_ext(&m, h);
	return MML_OK;
}

static const char *suite_name(uint16_t s)
{
	switch (s) {
	case 0xc02b: return "ECDHE_ECDSA_AES_128_GCM_SHA256";
	case 0x00a8: return "PSK_WITH_AES_128_GCM_SHA256";
	default: return NULL;
	}
}

/* A 16-bit code as a quoted 4-digit hex string value at o (room: 7). */
static char *jwp_hex4(mml_jw *w, char *o, uint16_t v)
{
	o = mml_jwp_val(w, o);
	*o++ = '"';
	o = mml_put_hex4(o, v);
	*o++ = '"';
	return o;
}

/* The members are written in runs (one room check each) where their size
 * is bounded; hex of any length through the writer's checked calls. */
void mml_hello_write_jw(const mml_hello *h, mml_jw *w)
{
	char *o = mml_jw_run(w, 96);
	o = h->msg_type == 1 ? mml_jwp_lit(w, o, "hello", "\"client\"") : mml_jwp_lit(w, o, "hello", "\"server\"");
	o = jwp_hex4(w, mml_jwp_key(w, o, "hello_version"), h->version);
	o = mml_jwp_arr_in(w, mml_jwp_key(w, o, "cipher_suites"));
	mml_jw_run_end(w, o);
	for (unsigned i = 0; i < h->nsuites; i++) {
		o = mml_jw_run(w, 128); /* a suite's name: 64 bytes at most (suite_name) */
		o = mml_jwp_obj_in(w, o);
		o = jwp_hex4(w, mml_jwp_key(w, o, "id"), h->suites[i]);
		o = mml_jwp_name(w, o, "name", suite_name(h->suites[i]));
		mml_jw_run_end(w, mml_jwp_obj_out(w, o));
	}
	mml_jw_run_end(w, mml_jwp_arr_out(w, mml_jw_run(w, 1)));
	mml_jw_kv_hex(w, "random", h->random, 32);
	o = mml_jw_run(w, 64);
	if (h->has_timestamp)
		o = mml_jwp_u64(w, o, "timestamp", h->timestamp);
	o = mml_jwp_arr_in(w, mml_jwp_key(w, o, "extensions"));
	mml_jw_run_end(w, o);
	for (unsigned i = 0; i < h->next; i++)
		mml_jw_run_end(w, jwp_hex4(w, mml_jw_run(w, 8), h->ext_types[i]));
	o = mml_jwp_arr_out(w, mml_jw_run(w, 24));
	mml_jw_run_end(w, mml_jwp_arr_in(w, mml_jwp_key(w, o, "psk_tickets")));
	for (unsigned i = 0; i < h->ntickets; i++) {
		const mml_hello_ticket *t = &h->tickets[i];
		o = mml_jw_run(w, 96);
		o = mml_jwp_obj_in(w, o);
		o = mml_jwp_u64(w, o, "type", t->type);
		o = mml_jwp_u64(w, o, "lifetime", t->lifetime);
		o = mml_jwp_u64(w, o, "age_add", t->age_add);
		mml_jw_run_end(w, o);
		mml_jw_kv_hex(w, "nonce", t->nonce, t->nonce_len);
		mml_jw_kv_hex(w, "ticket", t->ticket, t->ticket_len);
		mml_jw_run_end(w, mml_jwp_obj_out(w, mml_jw_run(w, 1)));
	}
	o = mml_jwp_arr_out(w, mml_jw_run(w, 24));
	mml_jw_run_end(w, mml_jwp_arr_in(w, mml_jwp_key(w, o, "key_shares")));
	for (unsigned i = 0; i < h->nkeys; i++) {
		o = mml_jw_run(w, 40);
		o = mml_jwp_u64(w, mml_jwp_obj_in(w, o), "index", h->keys[i].index);
		mml_jw_run_end(w, o);
		mml_jw_kv_hex(w, "key", h->keys[i].key, h->keys[i].key_len);
		mml_jw_run_end(w, mml_jwp_obj_out(w, mml_jw_run(w, 1)));
	}
	mml_jw_run_end(w, mml_jwp_arr_out(w, mml_jw_run(w, 1)));
	if (h->ext_err != MML_OK)
		mml_jw_kv_name(w, "extensions_error", mml_strerror(h->ext_err));
}

void mml_hello_write_json(const mml_hello *h, FILE *f)
{
	mml_lw lw;
	mml_jw w;
	mml_jw_line(&w, &lw, f);
	mml_hello_write_jw(h, &w);
	mml_jw_line_close(&w);
}

/* ---- HTTP/1.x head (RFC 9112), enough for shortlink and newgetdns ---- */

#define IEQ(a, n, lit) mml_ascii_ieq((a), (n), (lit), sizeof(lit) - 1)

#define HTTP_HEAD_MAX (64 * 1024)

/* Where the head ends: just past its first CRLFCRLF (a CR with 3 bytes
 * after it in the view). False when the view holds none. */
static bool head_end(mml_cur c, size_t *end)
{
	size_t k;
	uint8_t b1, b2, b3;
	while (mml_cur_find(&c, '\r', &k) == MML_OK && k + 4 <= mml_cur_left(&c)) {
		(void)mml_cur_skip(&c, k);
		if (!mml_cur_peek(&c, 1, &b1) && !mml_cur_peek(&c, 2, &b2) && !mml_cur_peek(&c, 3, &b3) && b1 == '\n' &&
		    b2 == '\r' && b3 == '\n') {
			*end = c.off + 4;
			return true;
		}
		(void)mml_cur_skip(&c, 1);
	}
	return false;
}

/* "HTTP/1.x SSS ...": the status code, three digits after the first space. */
static mml_err status_line(mml_cur *line, mml_http_head *h)
{
	size_t sp;
	MML_RETURN_IF(mml_cur_find(line, ' ', &sp) || mml_cur_skip(line, sp + 1), MML_E_MALFORMED);
	int st = 0;
	for (int k = 0; k < 3; k++) {
		uint8_t d;
		MML_RETURN_IF(mml_cur_u8(line, &d) || d < '0' || d > '9', MML_E_MALFORMED);
		st = st * 10 + (d - '0');
	}
	h->status = st;
	return MML_OK;
}

/* "METHOD path HTTP/1.x": an upper-case method, the path as a view. */
static mml_err request_line(mml_cur *line, mml_http_head *h)
{
	size_t sp1, sp2;
	const uint8_t *m, *path, *ver;
	MML_RETURN_IF(mml_cur_find(line, ' ', &sp1) || !sp1 || mml_cur_bytes(line, sp1, &m) || mml_cur_skip(line, 1) ||
	                  mml_cur_find(line, ' ', &sp2) || mml_cur_bytes(line, sp2, &path) || mml_cur_skip(line, 1),
	              MML_E_MALFORMED);
	MML_RETURN_IF(mml_cur_left(line) < 8 || mml_cur_bytes(line, 7, &ver) || memcmp(ver, "HTTP/1.", 7),
	              MML_E_MALFORMED);
	mml_cur mc = mml_cur_make(m, sp1);
	uint8_t b;
	while (!mml_cur_u8(&mc, &b))
		MML_RETURN_IF(b < 'A' || b > 'Z', MML_E_MALFORMED);
	h->is_request = true;
	h->method = (const char *)m;
	h->method_len = sp1;
	h->path = (const char *)path;
	h->path_len = sp2;
	return MML_OK;
}

/* A decimal Content-Length: digits only, no overflow. */
static mml_err content_length(mml_cur v, uint64_t *out)
{
	uint64_t cl = 0;
	uint8_t d;
	MML_RETURN_IF(!mml_cur_left(&v), MML_E_MALFORMED);
	while (!mml_cur_u8(&v, &d)) {
		MML_RETURN_IF(d < '0' || d > '9' || cl > (UINT64_MAX - 9) / 10, MML_E_MALFORMED);
		cl = cl * 10 + (uint64_t)(d - '0');
	}
	*out = cl;
	return MML_OK;
}

/* One "name: value" line (the value without blanks around it); others are skipped. */
static mml_err header_line(mml_cur *line, mml_http_head *h)
{
	size_t colon;
	const uint8_t *k, *v;
	uint8_t b;
	if (mml_cur_find(line, ':', &colon))
		return MML_OK;
	MML_RETURN_IF(mml_cur_bytes(line, colon, &k) || mml_cur_skip(line, 1), MML_E_MALFORMED);
	while (!mml_cur_peek(line, 0, &b) && (b == ' ' || b == '\t'))
		(void)mml_cur_skip(line, 1);
	size_t vn = mml_cur_left(line);
	while (vn && !mml_cur_peek(line, vn - 1, &b) && (b == ' ' || b == '\t'))
		vn--;
	MML_RETURN_IF(mml_cur_bytes(line, vn, &v), MML_E_MALFORMED);
	const char *key = (const char *)k, *val = (const char *)v;
	if (IEQ(key, colon, "host")) {
		h->host = val;
		h->host_len = vn;
	} else if (IEQ(key, colon, "content-length")) {
		MML_RETURN_IF_ERR(content_length(mml_cur_make(v, vn), &h->content_length));
		h->has_length = true;
	} else if (IEQ(key, colon, "transfer-encoding")) {
		h->chunked = vn >= 7 && IEQ(val + vn - 7, 7, "chunked");
	} else if (IEQ(key, colon, "upgrade")) {
		h->upgrade_mmtls = IEQ(val, vn, "mmtls");
	}
	return MML_OK;
}

mml_err mml_http_head_parse(const uint8_t *p, size_t n, mml_http_head *h)
{
	memset(h, 0, sizeof *h);
	mml_cur c = mml_cur_make(p, n < HTTP_HEAD_MAX + 5 ? n : HTTP_HEAD_MAX + 5), head, line;
	size_t end, le;
	if (!head_end(c, &end))
		return n > HTTP_HEAD_MAX ? MML_E_MALFORMED : MML_E_INCOMPLETE;
	h->head_len = end;
	/* the head through the blank line: it holds a CR, the first line ends there */
	MML_RETURN_IF(mml_cur_sub(&c, end, &head) || mml_cur_find(&head, '\r', &le) || mml_cur_sub(&head, le, &line),
	              MML_E_MALFORMED);
	const uint8_t *v;
	mml_cur t = line;
	bool status = le >= 5 && !mml_cur_bytes(&t, 5, &v) && !memcmp(v, "HTTP/", 5);
	MML_RETURN_IF_ERR(status ? status_line(&line, h) : request_line(&line, h));
	/* header lines, each up to its CR, then past CRLF; the blank line ends them */
	MML_RETURN_IF(mml_cur_skip(&head, 2), MML_E_MALFORMED);
	while (mml_cur_left(&head) >= 4) {
		size_t e; /* the blank line's CR at the latest */
		MML_RETURN_IF(mml_cur_find(&head, '\r', &e) || mml_cur_sub(&head, e, &line), MML_E_MALFORMED);
		MML_RETURN_IF_ERR(header_line(&line, h));
		MML_RETURN_IF(mml_cur_skip(&head, 2), MML_E_MALFORMED);
	}
	return MML_OK;
}

/* ---- chunked transfer coding (RFC 9112 section 7.1) ---- */

enum { CK_SIZE, CK_EXT, CK_DATA, CK_DATA_CR, CK_DATA_LF, CK_TRL, CK_TRL_CR, CK_TRL_LINE, CK_DONE, CK_BAD };

void mml_http_chunked_init(mml_http_chunked *ch)
{
	memset(ch, 0, sizeof *ch);
	ch->state = CK_SIZE;
}

/* One more byte on a size or trailer line; false past the line cap. */
static bool line_byte(mml_http_chunked *ch) { return ++ch->line <= MML_HTTP_CHUNK_LINE_MAX; }

/* The LF of a size line: chunk-data next, or the trailers after the last chunk. */
static void size_line_end(mml_http_chunked *ch)
{
	ch->left = ch->size;
	ch->state = ch->size ? CK_DATA : CK_TRL;
	ch->size = 0;
	ch->digits = false;
	ch->line = 0;
}

/* A framing byte: take it (MML_OK) or refuse it (MML_E_MALFORMED). */
static mml_err chunk_frame_byte(mml_http_chunked *ch, uint8_t b)
{
	switch (ch->state) {
	case CK_SIZE: {
		int d = mml_hex_digit(b);
		if (d >= 0) {
			if (ch->size > UINT64_MAX >> 4)
				return MML_E_MALFORMED; /* more than 2^64 - 1 */
			ch->size = ch->size << 4 | (uint64_t)d;
			ch->digits = true;
			return line_byte(ch) ? MML_OK : MML_E_MALFORMED;
		}
		if (!ch->digits)
			return MML_E_MALFORMED;
		if (b == '\n') {
			size_line_end(ch);
			return MML_OK;
		}
		if (b != ';' && b != ' ' && b != '\t' && b != '\r')
			return MML_E_MALFORMED;
		ch->state = CK_EXT;
		return line_byte(ch) ? MML_OK : MML_E_MALFORMED;
	}
	case CK_EXT: /* a chunk extension, skipped to the end of the line */
		if (b == '\n') {
			size_line_end(ch);
			return MML_OK;
		}
		return line_byte(ch) ? MML_OK : MML_E_MALFORMED;
	case CK_DATA_CR: /* the CRLF after chunk-data */
		if (b == '\n') {
			ch->state = CK_SIZE;
			return MML_OK;
		}
		if (b != '\r')
			return MML_E_MALFORMED;
		ch->state = CK_DATA_LF;
		return MML_OK;
	case CK_DATA_LF:
		if (b != '\n')
			return MML_E_MALFORMED;
		ch->state = CK_SIZE;
		return MML_OK;
	case CK_TRL: /* a trailer field, or the blank line that ends the body */
		ch->line = 1;
		ch->state = b == '\n' ? CK_DONE : b == '\r' ? CK_TRL_CR : CK_TRL_LINE;
		return MML_OK;
	case CK_TRL_CR:
		if (b == '\n') {
			ch->state = CK_DONE;
			return MML_OK;
		}
		ch->state = CK_TRL_LINE;
		return line_byte(ch) ? MML_OK : MML_E_MALFORMED;
	case CK_TRL_LINE:
		if (b == '\n') {
			ch->state = CK_TRL;
			ch->line = 0;
			return MML_OK;
		}
		return line_byte(ch) ? MML_OK : MML_E_MALFORMED;
	default:
		return MML_E_MALFORMED;
	}
}

mml_err mml_http_chunked_next(mml_http_chunked *ch, mml_cur *c, const uint8_t **data, size_t *len)
{
	for (;;) {
		if (ch->state == CK_DONE)
			return MML_E_END;
		if (ch->state == CK_BAD)
			return MML_E_MALFORMED;
		if (ch->state == CK_DATA) {
			size_t take = mml_cur_left(c);
			if (!take)
				return MML_E_INCOMPLETE;
			if (take > ch->left)
				take = (size_t)ch->left;
			(void)mml_cur_bytes(c, take, data); /* take <= left */
			*len = take;
			ch->left -= take;
			if (!ch->left)
				ch->state = CK_DATA_CR;
			return MML_OK;
		}
		uint8_t b;
		if (mml_cur_peek(c, 0, &b) != MML_OK)
			return MML_E_INCOMPLETE;
		if (chunk_frame_byte(ch, b) != MML_OK) {
			ch->state = CK_BAD;
			return MML_E_MALFORMED;
		}
		(void)mml_cur_skip(c, 1);
	}
}

void mml_mmtls_nonce(const uint8_t base_iv[12], uint64_t seq, uint8_t nonce[12])
{
	memcpy(nonce, base_iv, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] ^= (uint8_t)(seq >> (8 * i));
}

void mml_mmtls_aad(uint64_t seq, const uint8_t hdr[5], uint8_t aad[13])
{
	for (int i = 0; i < 8; i++)
		aad[7 - i] = (uint8_t)(seq >> (8 * i));
	memcpy(aad + 8, hdr, 5);
}
