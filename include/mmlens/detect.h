/*
 * mmlens/detect.h - stage 6: personal data in a decoded body, by category
 * of the taxonomy (docs/TAXONOMY.md, data/taxonomy.tsv), with the field
 * path as evidence.
 *
 * Detectors combine field semantics (key names in JSON/XML/URL pairs,
 * neighbouring fields, known field layouts per API from data/fields.tsv)
 * with value validation (Luhn for IMEI, MAC shape, coordinate ranges and
 * pairs, phone-number rules). Text scans use one Vectorscan database
 * compiled at mml_detect_new. Values the user supplies (`--known`) are
 * matched in plain, case-folded, hex, base64, URL-encoded and
 * MD5/SHA-1/SHA-256 forms, and coordinates to a tolerance.
 *
 * Contract: a detector (mml_detect) is immutable after mml_detect_new and
 * shared by threads; each thread owns a scratch (mml_detect_scratch).
 * mml_detect_run reports each (category, path) of a body at most once,
 * through the callback, in document order; the finding's strings are
 * views valid during the call (category ids are static, detector names
 * live as long as the detector). Nothing is allocated per field. A
 * placeholder ("no value" marker) is reported only for identifiers
 * (identity.*); coordinates that are placeholders (0/0, -1000/-1000) are
 * never reported. docs/TAXONOMY.md lists the detectors, the fields.tsv
 * format, the known-value forms and what confidence means.
 */
#ifndef MMLENS_DETECT_H
#define MMLENS_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmlens/decode.h"
#include "mmlens/err.h"

#define MML_PATH_MAX 512

typedef struct mml_finding {
	uint32_t node;          /* the node the value sits at (for a pair: the holder) */
	const char *category;   /* taxonomy id, e.g. "location.coordinates" (static) */
	const char *detector;   /* detector name, e.g. "pb.coord_pair" (static) */
	double confidence;      /* 0..1 */
	bool placeholder;       /* a "no value" marker (all-zero ids, 02:00:00:00:00:00, ...) */
	const char *path;       /* field path */
	const char *value;      /* the value as text (coordinates "lat,lon", 6 decimals) */
	size_t value_len;
	const char *known;      /* name of the --known value it matched, or NULL */
	const char *known_form; /* how it matched: "plain", "casefold", "hex", "base64", "url", "md5", "sha1", "sha256", "near" */
} mml_finding;

/* What the detectors may know of the message besides its body. */
typedef struct mml_detect_msg {
	int64_t req_type;       /* -1 unknown */
	const char *api;        /* NULL unknown */
	bool request;           /* client to server */
} mml_detect_msg;

typedef struct mml_detect_cfg mml_detect_cfg;
typedef struct mml_detect mml_detect;
typedef struct mml_detect_scratch mml_detect_scratch;
typedef void (*mml_finding_fn)(void *ctx, const mml_finding *f);

mml_detect_cfg *mml_detect_cfg_new(void);
void mml_detect_cfg_free(mml_detect_cfg *c);
/* `name=value` from --known. Coordinates "lat,lon" are matched to a tolerance. */
mml_err mml_detect_cfg_known(mml_detect_cfg *c, const char *name, const char *value);
/* A file of `name=value` lines ('#' comments); bad lines reported via diag with their number. */
mml_err mml_detect_cfg_known_file(mml_detect_cfg *c, const char *path, mml_diag_fn diag, void *dctx);
/* Known values and field layouts from text in memory, as the *_file functions read them; `name` names it in diagnostics. */
mml_err mml_detect_cfg_known_text(mml_detect_cfg *c, const char *text, size_t n, const char *name,
                                  mml_diag_fn diag, void *dctx);
mml_err mml_detect_cfg_fields_text(mml_detect_cfg *c, const char *text, size_t n, const char *name,
                                   mml_diag_fn diag, void *dctx);
/* Extra field layouts (data/fields.tsv format) that extend or override the built-in ones. */
mml_err mml_detect_cfg_fields_file(mml_detect_cfg *c, const char *path, mml_diag_fn diag, void *dctx);

/* Build the detector (compiles the pattern database). errbuf gets a message on failure. */
mml_detect *mml_detect_new(const mml_detect_cfg *c, char *errbuf, size_t errcap);
void mml_detect_free(mml_detect *d);
mml_detect_scratch *mml_detect_scratch_new(const mml_detect *d);
void mml_detect_scratch_free(mml_detect_scratch *s);

void mml_detect_run(const mml_detect *d, mml_detect_scratch *s, const mml_dtree *t, const mml_detect_msg *m,
                    mml_finding_fn fn, void *ctx);

/* The taxonomy: ids in a stable order, and each id's parent ("" for a root). */
size_t mml_taxonomy_count(void);
const char *mml_taxonomy_id(size_t i);
const char *mml_taxonomy_parent(const char *id);
const char *mml_taxonomy_label(const char *id);

#endif
