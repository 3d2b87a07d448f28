/*
 * src/mmtls/keylog_int.h - private to the key log reader (keylog.c: the
 * entries, the indexes and the mapped file; keyline.c: one line).
 */
#ifndef MMLENS_MMTLS_KEYLOG_INT_H
#define MMLENS_MMTLS_KEYLOG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mmlens/keylog.h"

/*
 * Read one key log line (len bytes, no newline) into *out (zeroed first,
 * out->line = lineno). Returns NULL, or why the line is skipped (the
 * diagnostic's wording: "is not valid JSON", ...). jansson_only reads
 * every line with jansson (the tests check both readers agree).
 */
const char *mml_keyline_decode(bool jansson_only, const char *line, size_t len, uint32_t lineno, mml_keyent *out);

#endif
