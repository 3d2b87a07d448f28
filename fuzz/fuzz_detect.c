/*
 * fuzz_detect.c - libFuzzer harness: stage 6, decode + detect on arbitrary
 * bodies (include/mmlens/detect.h).
 *
 * The first input byte picks the message context (a request type that has
 * field layouts, or none: bits 0-2 and 7; request or response; whether a
 * header uin and a query are added); the rest is the body. The detector is built once with
 * known values of every kind set (phone, IMEI, a coordinate, a name), so
 * the known-value and near-coordinate paths run. Each input is decoded
 * with the default limits and with tiny ones, and detected in both trees
 * with one scratch reused across inputs, as a scanner thread does.
 * Beyond memory safety it checks the output contract and aborts on a
 * violation: every finding has a taxonomy category, a detector name, a
 * path, a confidence in (0, 1], a value, and no (category, path) twice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlens/decode.h"
#include "mmlens/detect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mml_detect *det;
static mml_detect_scratch *scr;
static mml_dtree big, tiny;
static int ready;
static volatile uint64_t sink;

static void setup(void)
{
	mml_detect_cfg *c = mml_detect_cfg_new();
	if (!c || mml_detect_cfg_known(c, "phone", "+1 415-555-0133") || mml_detect_cfg_known(c, "imei", "355708110123451") ||
	    mml_detect_cfg_known(c, "home", "37.4220,-122.0841") || mml_detect_cfg_known(c, "nickname", "Jamie Doe") ||
	    mml_detect_cfg_known(c, "wxid", "wxid_abcdefghij1234"))
		abort();
	char err[256];
	det = mml_detect_new(c, err, sizeof err);
	mml_detect_cfg_free(c);
	if (!det) {
		fprintf(stderr, "fuzz_detect: %s\n", err);
		abort();
	}
	scr = mml_detect_scratch_new(det);
	if (!scr)
		abort();
	mml_dtree_init(&big, NULL);
	mml_decode_limits lim = {.max_depth = 6, .max_nodes = 300, .max_arena = 1024, .max_inflate = 512, .max_work = 40000};
	mml_dtree_init(&tiny, &lim);
	ready = 1;
}

typedef struct seen {
	char path[64][MML_PATH_MAX + 40];
	int n;
} seen;

static void on_finding(void *ctx, const mml_finding *f)
{
	seen *s = ctx;
	if (!f->category || !mml_taxonomy_parent(f->category) || !f->detector || !*f->detector || !f->path ||
	    !f->value || f->confidence <= 0 || f->confidence > 1 || (f->known && !f->known_form))
		abort();
	for (size_t i = 0; i < f->value_len; i++)
		sink += (uint8_t)f->value[i];
	char key[MML_PATH_MAX + 40];
	snprintf(key, sizeof key, "%s|%s", f->category, f->path);
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->path[i], key))
			abort(); /* (category, path) reported twice */
	if (s->n < 64)
		snprintf(s->path[s->n++], sizeof s->path[0], "%s", key);
}

/* bit 7 of the first byte picks the second row: the core features' layouts (Moments post,
 * comment, image upload), the kv row reporter, the search suggestions, and two request types
 * that share their field numbers but have no layout (mmsnsuserpage, 6611) */
static const int64_t req_types[16] = {-1, 763, 379, 138, 1948, 6238, 522, 996,
                                      209, 213, 625, 716, 1076, 4591, 212, 6611};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready)
		setup();
	uint8_t sel = size ? data[0] : 0;
	const uint8_t *body = size ? data + 1 : data;
	size_t n = size ? size - 1 : 0;
	mml_detect_msg m = {.req_type = req_types[(sel & 7) | (sel & 128 ? 8 : 0)],
	                    .api = (sel & 64) ? "/cgi-bin/micromsg-bin/newreportkvcomm" : NULL,
	                    .request = !(sel & 8)};
	for (int pass = 0; pass < 2; pass++) {
		mml_dtree *t = pass ? &tiny : &big;
		if (mml_decode_body(t, body, n) != MML_OK)
			continue;
		if (sel & 16)
			mml_decode_meta_uint(t, "header", "uin", 1505495844u);
		if (sel & 32) {
			size_t q = n < 96 ? n : 96;
			mml_decode_meta_url(t, "query", (const char *)body, q);
		}
		seen s;
		s.n = 0;
		mml_detect_run(det, scr, t, &m, on_finding, &s);
		sink += (uint64_t)s.n;
	}
	return 0;
}
