/*
 * inner.c - the message processor: envelope -> inner decryption -> zlib.
 * Contract in include/mmlens/envelope.h.
 *
 * Inner keys: AES-128-CBC lines are found by the last 8 bytes of the
 * ciphertext; hybrid AES-192-GCM blobs by their 16-byte tag. CBC session
 * keys are reused across messages, so a message without a line of its own
 * is tried against the session keys already seen, accepted only when the
 * padding is right and the plaintext length matches the length the
 * business header declares.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/crypto.h"
#include "mmlens/envelope.h"

#define MAX_SESSION_KEYS 8
#define UIN_SLOTS 4096 /* session keys remembered by account (uin) */
#define EXCH_SLOTS 4096 /* the last request of a flow, for its response */

struct mml_envproc {
	mml_envproc_cfg cfg;
	const mml_keylog *kl;
	const mml_catalog *cat;
	mml_stats *st;
	mml_msg_fn fn;
	void *ctx;
	mml_aead aead;
	mml_inflater zi;
	mml_buf plain;  /* inner plaintext (CBC) or hybrid parts */
	mml_buf out;    /* inflated body */
	uint64_t next_id;
	struct cbc_key { uint8_t key[16]; uint32_t line; } cbc[MAX_SESSION_KEYS]; /* most recent first */
	int ncbc;
	struct uin_key { uint32_t uin; uint32_t line; uint8_t key[16]; } *by_uin; /* UIN_SLOTS, direct-mapped */
	mml_uinkeys *shared_uin; /* the same table shared by --jobs workers, or NULL */
	/* CBC messages (of any account) whose account key was known: with a
	 * line of their own (a dense key log) or without (a sparse one); they
	 * only choose the order of tries */
	uint64_t known_lined, known_unlined;
	struct exch { uint64_t flow; int64_t req_type; char uri[120]; } *exch;  /* EXCH_SLOTS, by flow id */
	char exch_uri[120];
	char uri[1024], host[256];
};

/* Session keys by account, shared by the pipelines of --jobs (one lock). */
struct mml_uinkeys {
	pthread_mutex_t mu;
	struct uin_key slot[UIN_SLOTS];
};

mml_uinkeys *mml_uinkeys_new(void)
{
	mml_uinkeys *u = calloc(1, sizeof *u);
	if (u)
		pthread_mutex_init(&u->mu, NULL);
	return u;
}

void mml_uinkeys_free(mml_uinkeys *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->mu);
	free(u);
}

const char *mml_inner_name(mml_inner i) { return i == MML_INNER_CBC ? "cbc" : i == MML_INNER_GCM ? "gcm" : "none"; }

mml_envproc *mml_envproc_new(const mml_envproc_cfg *cfg, const mml_keylog *kl, const mml_catalog *cat,
                             mml_stats *st, mml_msg_fn fn, void *ctx)
{
	mml_envproc *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->cfg = *cfg;
	if (!p->cfg.max_body)
		p->cfg.max_body = (size_t)16 << 20;
	p->kl = kl;
	p->cat = cat;
	p->st = st;
	p->fn = fn;
	p->ctx = ctx;
	mml_buf_init(&p->plain, (size_t)1 << 20);
	p->shared_uin = cfg->shared_uin;
	p->by_uin = calloc(UIN_SLOTS, sizeof *p->by_uin);
	p->exch = calloc(EXCH_SLOTS, sizeof *p->exch);
	mml_buf_init(&p->out, p->cfg.max_body + 1);
	if (!p->by_uin || !p->exch || mml_aead_init(&p->aead) != MML_OK || mml_inflater_init(&p->zi) != MML_OK) {
		mml_aead_free(&p->aead);
		free(p->by_uin);
		free(p->exch);
		free(p);
		return NULL;
	}
	return p;
}

void mml_envproc_free(mml_envproc *p)
{
	if (!p)
		return;
	mml_aead_free(&p->aead);
	mml_inflater_free(&p->zi);
	mml_buf_free(&p->plain);
	mml_buf_free(&p->out);
	free(p->by_uin);
	free(p->exch);
	free(p);
}

static size_t uin_index(uint32_t uin) { return (uin * 2654435761u) >> 20 & (UIN_SLOTS - 1); }

/* The account's key (the newest, whichever --jobs worker learned it) into
 * *out, which may be the worker's own slot; whether there is one. */
static bool uin_peek(mml_envproc *p, uint32_t uin, struct uin_key *out)
{
	const struct uin_key *mine = &p->by_uin[uin_index(uin)];
	if (out != mine)
		*out = *mine;
	if (p->shared_uin) {
		pthread_mutex_lock(&p->shared_uin->mu);
		const struct uin_key *g = &p->shared_uin->slot[uin_index(uin)];
		if (g->uin == uin)
			*out = *g;
		pthread_mutex_unlock(&p->shared_uin->mu);
	}
	return out->uin == uin;
}

/* The worker's slot for the account, refreshed from the shared table. */
static struct uin_key *uin_slot(mml_envproc *p, uint32_t uin)
{
	struct uin_key *u = &p->by_uin[uin_index(uin)];
	(void)uin_peek(p, uin, u);
	return u;
}

static void cbc_remember(mml_envproc *p, const uint8_t key[16], uint32_t line, uint32_t uin)
{
	if (uin) {
		struct uin_key *u = &p->by_uin[uin_index(uin)];
		bool changed = u->uin != uin || memcmp(u->key, key, 16);
		u->uin = uin;
		u->line = line;
		memcpy(u->key, key, 16);
		if (changed && p->shared_uin) {
			pthread_mutex_lock(&p->shared_uin->mu);
			p->shared_uin->slot[uin_index(uin)] = *u;
			pthread_mutex_unlock(&p->shared_uin->mu);
		}
	}
	struct cbc_key k = {.line = line};
	memcpy(k.key, key, 16); /* key may point into p->cbc */
	mml_keys_front(p->cbc, sizeof p->cbc[0], &p->ncbc, MAX_SESSION_KEYS, &k);
}

/* Length the header says the plaintext has: raw (uncompressed) or compressed. */
static int64_t expected_len(const mml_bizhdr *h)
{
	if (h->nvarints < 3)
		return -1;
	return (int64_t)(h->compress == 1 ? h->varints[2] : h->varints[1]);
}

/* A known session key (IV = key) opens the message: right padding, the
 * declared length, and a zlib header when the header says compressed. */
static bool cbc_try_known(mml_envproc *p, const mml_envelope *env, const uint8_t key[16], size_t *outlen)
{
	int64_t want = expected_len(&env->biz);
	if (mml_cbc_open(&p->aead, key, key, env->payload, env->payload_len, p->plain.p, outlen) != MML_OK)
		return false;
	if (want >= 0 && (int64_t)*outlen != want)
		return false;
	return env->biz.compress != 1 || mml_zlib_magic(p->plain.p, *outlen);
}

static mml_err cbc_took_known(mml_envproc *p, const mml_envelope *env, mml_msg *m, const uint8_t *k,
                              uint32_t line, size_t outlen)
{
	p->plain.len = outlen;
	m->inner_key_source = MML_KEY_INFERRED;
	m->inner_keylog_line = line;
	p->st->inner_key_inferred++;
	uint8_t kk[16];
	memcpy(kk, k, 16);
	cbc_remember(p, kk, line, env->biz.uin);
	return MML_OK;
}

static mml_err inner_cbc(mml_envproc *p, const mml_envelope *env, mml_msg *m)
{
	const uint8_t *ct = env->payload;
	size_t n = env->payload_len;
	m->inner = MML_INNER_CBC;
	if (!n || n % 16)
		return MML_E_MALFORMED;
	mml_buf_reset(&p->plain);
	MML_RETURN_IF_ERR(mml_buf_reserve(&p->plain, n));
	size_t outlen = 0;
	size_t it = 0;
	const mml_keyent *e;
	int tail_seen = 0;
	/* As for outer records (conn.c): with a sparse key log, the account's
	 * key is tried while the key log's answer is fetched, and stands when
	 * the log has no line for the message. */
	struct uin_key cur; /* a copy: the worker's slot is refreshed only where it was before (below) */
	const int known = env->biz.uin && uin_peek(p, env->biz.uin, &cur);
	if (known && p->known_unlined >= p->known_lined) {
		mml_keylog_prefetch_tail(p->kl, ct + n - 8, false);
		if (cbc_try_known(p, env, cur.key, &outlen) && !mml_keylog_has_tail(p->kl, MML_LAYER_INNER, ct + n - 8)) {
			p->known_unlined++;
			uin_slot(p, env->biz.uin); /* as the path below would, before taking the key */
			return cbc_took_known(p, env, m, cur.key, cur.line, outlen);
		}
	}
	int lined = 0;
	while ((e = mml_keylog_find_tail(p->kl, MML_LAYER_INNER, ct + n - 8, &it))) {
		lined = 1;
		if (e->keylen != 16)
			continue;
		tail_seen = 1;
		const uint8_t *iv = e->nonce_len == 16 ? e->nonce : e->key;
		if (mml_cbc_open(&p->aead, e->key, iv, ct, n, p->plain.p, &outlen) == MML_OK) {
			if (mml_keylog_use(p->kl, e))
				p->st->keylog_inner_used++;
			cbc_remember(p, e->key, e->line, env->biz.uin);
			p->plain.len = outlen;
			p->known_lined += known;
			m->inner_key_source = MML_KEY_LOGGED;
			m->inner_keylog_line = e->line;
			return MML_OK;
		}
	}
	if (known)
		*(lined ? &p->known_lined : &p->known_unlined) += 1;
	/* No line of its own: the account's session key first, then the
	 * recent ones. */
	struct uin_key *u = env->biz.uin ? uin_slot(p, env->biz.uin) : NULL;
	int nk = p->ncbc + 1;
	for (int i = 0; i < nk; i++) {
		const uint8_t *k;
		uint32_t line;
		if (i == 0) {
			if (!u || u->uin != env->biz.uin)
				continue;
			k = u->key, line = u->line;
		} else {
			k = p->cbc[i - 1].key, line = p->cbc[i - 1].line;
			if (u && u->uin == env->biz.uin && !memcmp(k, u->key, 16))
				continue; /* tried first */
		}
		if (cbc_try_known(p, env, k, &outlen))
			return cbc_took_known(p, env, m, k, line, outlen);
	}
	return tail_seen ? MML_E_AUTH : MML_E_NOKEY;
}

/*
 * Open one blob ct | iv(12) | tag(16) with a key-log line found by its tag;
 * appends the plaintext to p->plain and records it as part `field`.
 * Returns 1 opened, 0 no line, -1 lines found but none verified.
 */
static int open_blob(mml_envproc *p, mml_msg *m, const uint8_t *blob, size_t v, uint32_t field, size_t *offs)
{
	if (v < 28 + 1 || m->nparts >= MML_MAX_PARTS)
		return 0;
	size_t ctlen = v - 28, it = 0;
	int tagged = 0;
	const mml_keyent *e;
	while ((e = mml_keylog_find_tag(p->kl, blob + v - 16, &it))) {
		tagged = 1;
		uint8_t *dst = p->plain.p + p->plain.len;
		if (mml_gcm_open(&p->aead, e->key, e->keylen, blob + ctlen, 12, e->meta, e->meta_len, blob, ctlen,
		                 blob + v - 16, dst) != MML_OK)
			continue;
		if (mml_keylog_use(p->kl, e))
			p->st->keylog_inner_used++;
		offs[m->nparts] = p->plain.len;
		m->parts[m->nparts].field = field;
		m->parts[m->nparts].keylog_line = e->line;
		m->parts[m->nparts].len = ctlen;
		m->nparts++;
		p->plain.len += ctlen;
		return 1;
	}
	return tagged ? -1 : 0;
}

/*
 * Hybrid: either the payload itself is one blob ct | iv(12) | tag(16)
 * (longlink), or its top-level protobuf fields hold such blobs (the
 * ECDH auth requests and responses; field 0 in the output means the
 * payload itself).
 */
static mml_err inner_gcm(mml_envproc *p, const mml_envelope *env, mml_msg *m)
{
	mml_cur c = mml_cur_make(env->payload, env->payload_len);
	mml_buf_reset(&p->plain);
	MML_RETURN_IF_ERR(mml_buf_reserve(&p->plain, env->payload_len));
	int tagged = 0, failed = 0;
	size_t offs[MML_MAX_PARTS];
	m->inner = MML_INNER_GCM;
	int r = open_blob(p, m, env->payload, env->payload_len, 0, offs);
	if (r < 0)
		tagged = failed = 1;
	while (r <= 0 && mml_cur_left(&c)) {
		uint64_t key, v;
		if (mml_cur_varint(&c, &key) != MML_OK)
			break;
		unsigned wt = (unsigned)(key & 7);
		if (wt == 0) {
			if (mml_cur_varint(&c, &v) != MML_OK)
				break;
			continue;
		}
		if (wt == 1 || wt == 5) {
			if (mml_cur_skip(&c, wt == 1 ? 8 : 4) != MML_OK)
				break;
			continue;
		}
		if (wt != 2 || mml_cur_varint(&c, &v) != MML_OK || v > mml_cur_left(&c))
			break;
		const uint8_t *blob;
		(void)mml_cur_bytes(&c, (size_t)v, &blob);
		int br = open_blob(p, m, blob, (size_t)v, (uint32_t)(key >> 3), offs);
		if (br < 0)
			tagged = failed = 1;
	}
	if (!m->nparts)
		return tagged && failed ? MML_E_AUTH : MML_E_NOKEY;
	size_t best = 0;
	for (size_t i = 0; i < m->nparts; i++) {
		m->parts[i].data = p->plain.p + offs[i];
		if (m->parts[i].len > m->parts[best].len)
			best = i;
	}
	m->inner_key_source = MML_KEY_LOGGED;
	m->inner_keylog_line = m->parts[best].keylog_line;
	/* the main part is the body: move it to the front view */
	m->body = m->parts[best].data;
	m->body_len = m->parts[best].len;
	return MML_OK;
}

static void maybe_inflate(mml_envproc *p, mml_msg *m, int declared, size_t hint)
{
	if (!m->body || !(declared || mml_zlib_magic(m->body, m->body_len)))
		return;
	mml_buf_reset(&p->out);
	mml_err e = mml_inflater_run(&p->zi, m->body, m->body_len, hint, p->cfg.max_body, &p->out);
	if (e == MML_OK || e == MML_E_LIMIT) {
		m->compressed = true;
		p->st->body_bytes_compressed += m->body_len;
		m->inflate = e == MML_OK ? MML_INF_OK : MML_INF_CAPPED;
		m->body = p->out.p;
		m->body_len = p->out.len;
		if (e == MML_E_LIMIT)
			p->st->msg_inflate_capped++;
	} else if (declared) {
		m->compressed = true;
		m->inflate = MML_INF_ERROR;
		p->st->msg_inflate_error++;
	}
}

static void copy_str(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

static void emit(mml_envproc *p, mml_msg *m)
{
	mml_stats *st = p->st;
	st->body_bytes += m->body ? m->body_len : 0;
	m->id = p->cfg.shared_ids ? __atomic_add_fetch(p->cfg.shared_ids, 1, __ATOMIC_RELAXED) : ++p->next_id;
	st->messages++;
	if (m->outer->dir == 0)
		st->msg_requests++;
	else
		st->msg_responses++;
	switch (m->status) {
	case MML_ST_DECRYPTED: st->msg_decrypted++; break;
	case MML_ST_PLAINTEXT: st->msg_plaintext++; break;
	case MML_ST_INNER_NO_KEY: st->msg_inner_no_key++; break;
	case MML_ST_INNER_FAILED: st->msg_inner_failed++; break;
	case MML_ST_TRUNCATED: st->msg_truncated++; break;
	case MML_ST_MALFORMED: st->msg_envelope_malformed++; break;
	default: st->msg_no_key++; break;
	}
	if (m->status == MML_ST_DECRYPTED || m->status == MML_ST_PLAINTEXT) {
		if (m->inner == MML_INNER_CBC)
			st->inner_cbc++;
		else if (m->inner == MML_INNER_GCM)
			st->inner_gcm++;
		else
			st->inner_none++;
	}
	p->fn(p->ctx, m);
}

/*
 * A shortlink response answers the request of its connection: remember
 * each request's type and URI by flow, and give them to a response that
 * lacks them (no key, or a type the catalog does not know).
 */
static void pair_exchange(mml_envproc *p, mml_msg *m)
{
	const mml_outer *o = m->outer;
	if (o->transport != MML_TR_SHORTLINK || !o->flow)
		return;
	struct exch *x = &p->exch[o->flow->id % EXCH_SLOTS];
	if (o->dir == 0) {
		x->flow = o->flow->id;
		x->req_type = m->req_type;
		copy_str(x->uri, sizeof x->uri, m->uri ? m->uri : "", m->uri ? strlen(m->uri) : 0);
		return;
	}
	if (x->flow != o->flow->id || (m->req_type >= 0 && x->req_type >= 0 && m->req_type != x->req_type))
		return;
	if (m->req_type < 0)
		m->req_type = x->req_type;
	if (!m->uri && x->uri[0]) {
		copy_str(p->exch_uri, sizeof p->exch_uri, x->uri, strlen(x->uri));
		m->uri = p->exch_uri;
	}
}

static void set_api(mml_envproc *p, mml_msg *m)
{
	pair_exchange(p, m);
	if (m->req_type >= 0)
		m->api = mml_catalog_lookup(p->cat, (uint64_t)m->req_type);
	if (m->uri && strstr(m->uri, "/cgi-bin/")) {
		m->api = m->uri; /* the envelope's own URI wins */
		if (m->req_type < 0)
			m->req_type = mml_catalog_id_of(p->cat, m->uri);
	}
}

static void process_business(mml_envproc *p, mml_msg *m, const mml_envelope *env)
{
	m->env = env;
	if (env->has_biz && env->biz.nvarints)
		m->req_type = (int64_t)env->biz.varints[0];
	if (!env->has_biz) {
		m->inner = MML_INNER_NONE;
		m->body = env->payload;
		m->body_len = env->payload_len;
		maybe_inflate(p, m, 0, 0);
		return;
	}
	mml_err e;
	if (env->biz.algo == 5)
		e = inner_cbc(p, env, m);
	else
		e = inner_gcm(p, env, m);
	if (e == MML_E_NOKEY && env->biz.algo != 5 && env->payload_len && env->payload_len % 16 == 0) {
		size_t it = 0;
		if (mml_keylog_find_tail(p->kl, MML_LAYER_INNER, env->payload + env->payload_len - 8, &it))
			e = inner_cbc(p, env, m);
	}
	if (e == MML_OK) {
		if (m->inner == MML_INNER_CBC) {
			m->body = p->plain.p;
			m->body_len = p->plain.len;
		}
		maybe_inflate(p, m, env->biz.compress == 1, env->biz.nvarints >= 2 ? (size_t)env->biz.varints[1] : 0);
		return;
	}
	m->body = NULL;
	m->body_len = 0;
	m->status = e == MML_E_NOKEY ? MML_ST_INNER_NO_KEY : MML_ST_INNER_FAILED;
	m->detail = e == MML_E_NOKEY ? "no inner key line matches this ciphertext"
	          : e == MML_E_AUTH ? "the inner key did not verify (tag or padding)"
	                            : "the inner ciphertext is malformed";
}

void mml_envproc_outer(mml_envproc *p, const mml_outer *o)
{
	mml_msg m;
	memset(&m, 0, sizeof m);
	m.outer = o;
	m.status = o->status;
	m.detail = o->detail;
	m.req_type = -1;
	m.host = o->http_host;
	if (o->transport == MML_TR_HTTP && o->http_path) {
		size_t n = strcspn(o->http_path, "?");
		copy_str(p->uri, sizeof p->uri, o->http_path, n);
		m.uri = p->uri;
	}
	if (o->status != MML_ST_DECRYPTED && o->status != MML_ST_PLAINTEXT) {
		set_api(p, &m);
		emit(p, &m);
		return;
	}
	if (o->transport == MML_TR_HTTP) {
		m.inner = MML_INNER_NONE;
		m.body = o->data ? o->data : (const uint8_t *)""; /* an empty body is a body */
		m.body_len = o->len;
		maybe_inflate(p, &m, 0, 0);
		set_api(p, &m);
		emit(p, &m);
		return;
	}
	mml_envelope env;
	if (o->transport == MML_TR_LONGLINK) {
		/* a record may carry several longlink packets */
		size_t off = 0;
		do {
			mml_err e = mml_envelope_parse(o->data + off, o->len - off, MML_ENV_LONGLINK, &env);
			memset(&m, 0, sizeof m);
			m.outer = o;
			m.status = o->status;
			m.req_type = -1;
			if (e != MML_OK) {
				m.status = e == MML_E_TRUNCATED ? MML_ST_TRUNCATED : MML_ST_MALFORMED;
				m.detail = e == MML_E_TRUNCATED ? "longlink packet longer than its record"
				                                : "not a longlink packet";
				m.body = o->data + off;
				m.body_len = o->len - off;
				emit(p, &m);
				return;
			}
			process_business(p, &m, &env);
			set_api(p, &m);
			emit(p, &m);
			off += env.ll_len;
		} while (o->len - off >= 16);
		return;
	}
	mml_err e = mml_envelope_parse(o->data, o->len, o->dir == 0 ? MML_ENV_SHORT_REQ : MML_ENV_SHORT_RESP, &env);
	if (e != MML_OK) {
		m.status = MML_ST_MALFORMED;
		m.detail = "the inner envelope does not parse";
		m.body = o->data;
		m.body_len = o->len;
		emit(p, &m);
		return;
	}
	if (env.has_prefix) {
		copy_str(p->uri, sizeof p->uri, env.uri, env.uri_len);
		copy_str(p->host, sizeof p->host, env.host, env.host_len);
		m.uri = p->uri;
		m.host = p->host;
	}
	process_business(p, &m, &env);
	set_api(p, &m);
	emit(p, &m);
}
