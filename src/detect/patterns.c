/*
 * patterns.c - the one Vectorscan database of the text scans: the shapes
 * of identifiers that hide inside longer text (wxid, chat room ids,
 * Mini Program appids and usernames, E.164 phone numbers, emails, FCM
 * tokens, user agents, "nickName":"..." in text no decoder could open)
 * and the literal forms of the --known values (known.c).
 *
 * Contract: pat_new() compiles everything with hs_compile_multi in
 * HS_MODE_BLOCK once (the detector is then immutable and shared); each
 * thread owns an hs_scratch (pat_scratch_new). Only the final byte of a
 * match may be a NUL, so detect.c scans all string leaves of a body in
 * one call, joined by NULs, and maps each match back to its leaf by its
 * last byte. No pattern asks for its start of match (SOM costs Vectorscan
 * a factor of 20 here): variable-length shapes end in a boundary class
 * (which the NUL after a leaf satisfies), so each occurrence matches
 * once, and rules.c finds the start by walking back over the shape.
 */
#include <hs.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

struct pat_db {
	hs_database_t *db;
	bool chat; /* P_CHATROOM is found by find_chat, not by the database */
};

typedef struct pdef {
	int id;
	const char *re;
	unsigned flags;
} pdef;

static const pdef defs[] = {
	{P_WXID, "wxid_[a-z0-9]{6,32}[^a-z0-9]", 0},
	{P_CHATROOM, "[0-9]{5,20}@chatroom", 0},
	{P_APPID, "wx[0-9a-f]{16}", 0},
	{P_MPUSER, "gh_[0-9a-f]{12}@app", 0},
	{P_PHONE, "\\+[1-9][0-9]{6,14}[^0-9]", 0},
	{P_EMAIL, "@[A-Za-z0-9-]+\\.[A-Za-z0-9.-]*[A-Za-z][^A-Za-z0-9.-]", 0},
	{P_PUSH, ":APA91b[A-Za-z0-9_-]{20}", 0},
	{P_UA, "Mozilla/[45]\\.0 \\(", 0},
	{P_UA2, "Dalvik/[0-9]", 0},
	{P_NICK_KV, "\"nick_?name\" ?[:=] ?\"", HS_FLAG_CASELESS},
};
#define NDEFS (sizeof defs / sizeof defs[0])

pat_db *pat_new(const known_set *k, char *errbuf, size_t errcap)
{
	size_t nk = known_nforms(k), cap = NDEFS + nk;
	const char **exprs = calloc(cap, sizeof *exprs);
	unsigned *flags = calloc(cap, sizeof *flags), *ids = calloc(cap, sizeof *ids);
	char **owned = calloc(cap, sizeof *owned);
	pat_db *d = calloc(1, sizeof *d);
	size_t n = 0;
	if (!exprs || !flags || !ids || !owned || !d) {
		snprintf(errbuf, errcap, "out of memory");
		goto fail;
	}
	/* Without --known literals the chat room shape is found by hand (find_chat):
	 * it costs Vectorscan's compiler 4/5 of its time next to the others (105 ->
	 * 22 ms), and its matches end where no other shape's can, so merging them by
	 * end offset gives the database's own order. */
	d->chat = nk == 0;
	for (size_t i = 0; i < NDEFS; i++) {
		if (d->chat && defs[i].id == P_CHATROOM)
			continue;
		exprs[n] = defs[i].re;
		flags[n] = defs[i].flags;
		ids[n] = (unsigned)defs[i].id;
		n++;
	}
	for (size_t i = 0; i < nk; i++) {
		const known_form *f = known_form_at(k, i);
		if (f->form & 0x80)
			continue; /* raw digests: matched on bytes leaves, not here */
		char *re = malloc(4 * f->len + 1);
		if (!re) {
			snprintf(errbuf, errcap, "out of memory");
			goto fail;
		}
		for (size_t j = 0; j < f->len; j++)
			snprintf(re + 4 * j, 5, "\\x%02x", f->lit[j]);
		owned[n] = re;
		exprs[n] = re;
		flags[n] = f->caseless ? HS_FLAG_CASELESS : 0;
		ids[n] = (unsigned)(P__COUNT + i);
		n++;
	}
	hs_compile_error_t *ce = NULL;
	if (hs_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL, &d->db, &ce) != HS_SUCCESS) {
		snprintf(errbuf, errcap, "pattern database: %s", ce && ce->message ? ce->message : "compile failed");
		hs_free_compile_error(ce);
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		free(owned[i]);
	free(owned);
	free(exprs);
	free(flags);
	free(ids);
	return d;
fail:
	for (size_t i = 0; owned && i < n; i++)
		free(owned[i]);
	free(owned);
	free(exprs);
	free(flags);
	free(ids);
	free(d);
	return NULL;
}

void pat_free(pat_db *d)
{
	if (!d)
		return;
	hs_free_database(d->db);
	free(d);
}

void *pat_scratch_new(const pat_db *d)
{
	hs_scratch_t *s = NULL;
	if (hs_alloc_scratch(d->db, &s) != HS_SUCCESS)
		return NULL;
	return s;
}

void pat_scratch_free(void *s)
{
	if (s)
		hs_free_scratch(s);
}

typedef struct bridge {
	pat_fn fn;
	void *ctx;
	const uint8_t *buf;
	size_t n, next;          /* where find_chat looks next */
	unsigned long long chat; /* end offset of the next chat room match; ULLONG_MAX: none */
} bridge;

/* The next end of "[0-9]{5,20}@chatroom" at or after b->next, as Vectorscan
 * reports it (no start of match, so once per end): every "@chatroom" with at
 * least 5 digits right before it. */
static void find_chat(bridge *b)
{
	static const char tail[] = "chatroom";
	b->chat = ULLONG_MAX;
	while (b->next < b->n) {
		const uint8_t *at = memchr(b->buf + b->next, '@', b->n - b->next);
		if (!at)
			break;
		size_t i = (size_t)(at - b->buf);
		b->next = i + 1;
		if (b->n - i - 1 < sizeof tail - 1 || memcmp(at + 1, tail, sizeof tail - 1) || i < 5)
			continue;
		bool digits = true;
		for (size_t k = i - 5; k < i; k++)
			digits &= b->buf[k] >= '0' && b->buf[k] <= '9';
		if (digits) {
			b->chat = i + sizeof tail; /* one past the 'm' */
			return;
		}
	}
}

/* Report the chat room matches that end before `to`. */
static int chat_upto(bridge *b, unsigned long long to)
{
	while (b->chat < to) {
		unsigned long long e = b->chat;
		find_chat(b);
		int rc = b->fn(P_CHATROOM, 0, e, b->ctx);
		if (rc)
			return rc;
	}
	return 0;
}

static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx)
{
	(void)flags;
	bridge *b = ctx;
	int rc = chat_upto(b, to);
	return rc ? rc : b->fn(id, from, to, b->ctx);
}

int pat_scan(const pat_db *d, void *scratch, const uint8_t *buf, size_t n, pat_fn fn, void *ctx)
{
	if (!n)
		return 0;
	bridge b = {fn, ctx, buf, n, 0, ULLONG_MAX};
	if (d->chat)
		find_chat(&b);
	hs_error_t e = hs_scan(d->db, (const char *)buf, (unsigned)n, 0, scratch, on_match, &b);
	if (e == HS_SUCCESS)
		chat_upto(&b, ULLONG_MAX);
	return e == HS_SUCCESS || e == HS_SCAN_TERMINATED ? 0 : -1;
}
