/*
 * envelope.c - parse the shortlink request prefix, the longlink packet
 * header and the 0xbf business header. Format and contract in
 * include/mmlens/envelope.h and docs/FORMATS.md.
 *
 * The business header's own length (byte 1, top 6 bits) says where the
 * ciphertext starts; fields inside it are read through the cursor and
 * may not run past that length.
 */
#include <string.h>

#include "mmlens/envelope.h"

mml_err mml_bizhdr_parse(mml_cur *c, mml_bizhdr *h)
{
	memset(h, 0, sizeof *h);
	uint8_t magic, b1, b2;
	h->raw = mml_cur_ptr(c);
	MML_RETURN_IF_ERR(mml_cur_u8(c, &magic));
	MML_RETURN_IF(magic != 0xbf, MML_E_MALFORMED);
	MML_RETURN_IF_ERR(mml_cur_u8(c, &b1));
	MML_RETURN_IF_ERR(mml_cur_u8(c, &b2));
	h->hdr_len = b1 >> 2;
	h->compress = b1 & 3;
	h->algo = b2 >> 4;
	h->cookie_len = b2 & 15;
	/* the header must at least hold what its fixed part needs */
	MML_RETURN_IF((size_t)h->hdr_len < 3u + 8u + h->cookie_len, MML_E_MALFORMED);
	mml_cur rest;
	MML_RETURN_IF_ERR(mml_cur_sub(c, (size_t)h->hdr_len - 3, &rest));
	MML_RETURN_IF_ERR(mml_cur_be32(&rest, &h->client_version));
	MML_RETURN_IF_ERR(mml_cur_be32(&rest, &h->uin));
	MML_RETURN_IF_ERR(mml_cur_bytes(&rest, h->cookie_len, &h->cookie));
	while (mml_cur_left(&rest) && h->nvarints < MML_ENV_MAX_VARINTS) {
		uint64_t v;
		if (mml_cur_varint(&rest, &v) != MML_OK)
			break; /* the tail is not all varints; it stays in raw */
		h->varints[h->nvarints++] = v;
	}
	return MML_OK;
}

mml_err mml_envelope_parse(const uint8_t *p, size_t n, mml_env_kind kind, mml_envelope *env)
{
	memset(env, 0, sizeof *env);
	mml_cur c = mml_cur_make(p, n);
	if (kind == MML_ENV_LONGLINK) {
		mml_cur t = c;
		uint32_t len;
		uint16_t hl;
		MML_RETURN_IF_ERR(mml_cur_be32(&t, &len));
		MML_RETURN_IF_ERR(mml_cur_be16(&t, &hl));
		MML_RETURN_IF(hl < 16 || len < hl, MML_E_MALFORMED);
		env->has_longlink = true;
		env->ll_len = len;
		env->ll_hdr_len = hl;
		MML_RETURN_IF_ERR(mml_cur_be16(&t, &env->ll_version));
		MML_RETURN_IF_ERR(mml_cur_be32(&t, &env->ll_cmd));
		MML_RETURN_IF_ERR(mml_cur_be32(&t, &env->ll_seq));
		MML_RETURN_IF_ERR(mml_cur_skip(&t, (size_t)hl - 16));
		/* the packet's own length bounds the body */
		size_t body = len - hl;
		if (body > mml_cur_left(&t))
			return MML_E_TRUNCATED;
		c = mml_cur_make(mml_cur_ptr(&t), body);
	} else if (kind == MML_ENV_SHORT_REQ) {
		uint16_t ul, hl;
		const uint8_t *u, *h;
		uint8_t first;
		/* prefix present when the first byte is not the header magic */
		if (mml_cur_peek(&c, 0, &first) == MML_OK && first != 0xbf) {
			MML_RETURN_IF_ERR(mml_cur_be32(&c, &env->total_len));
			MML_RETURN_IF_ERR(mml_cur_be16(&c, &ul));
			MML_RETURN_IF_ERR(mml_cur_bytes(&c, ul, &u));
			MML_RETURN_IF_ERR(mml_cur_be16(&c, &hl));
			MML_RETURN_IF_ERR(mml_cur_bytes(&c, hl, &h));
			MML_RETURN_IF_ERR(mml_cur_be32(&c, &env->rest_len));
			env->has_prefix = true;
			env->uri = (const char *)u;
			env->uri_len = ul;
			env->host = (const char *)h;
			env->host_len = hl;
			if (env->rest_len > mml_cur_left(&c))
				return MML_E_TRUNCATED;
			c = mml_cur_make(mml_cur_ptr(&c), env->rest_len);
		}
	}
	uint8_t first;
	if (mml_cur_peek(&c, 0, &first) == MML_OK && first == 0xbf) {
		mml_cur t = c;
		if (mml_bizhdr_parse(&t, &env->biz) == MML_OK) {
			env->has_biz = true;
			c = t;
		} else if (kind != MML_ENV_LONGLINK) {
			return MML_E_MALFORMED;
		}
	} else if (kind != MML_ENV_LONGLINK) {
		return MML_E_MALFORMED;
	}
	env->payload = mml_cur_ptr(&c);
	env->payload_len = mml_cur_left(&c);
	return MML_OK;
}
