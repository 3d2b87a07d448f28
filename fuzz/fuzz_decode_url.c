/*
 * fuzz_decode_url.c - libFuzzer harness: stage 5, URL-encoded pairs and
 * URLs with a query (repeated percent-decoding), and metadata queries. The
 * input is decoded with mml_decode_as() and mml_decode_body(), with
 * default and tiny limits; fuzz_decode_common.h says what is checked.
 */
#define FUZZ_DECODE_FMT MML_DF_URL
#define FUZZ_MAX_LEN 2048 /* one value per byte or two: more bytes make more of the same nodes */
#include "fuzz_decode_common.h"
