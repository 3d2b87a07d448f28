/*
 * fuzz_decode_json.c - libFuzzer harness: stage 5, JSON text (RFC 8259 and
 * the ';' variant) and the formats inside its strings. The input is
 * decoded with mml_decode_as() and mml_decode_body(), with default and
 * tiny limits; fuzz_decode_common.h says what is checked.
 */
#define FUZZ_DECODE_FMT MML_DF_JSON
#include "fuzz_decode_common.h"
