/*
 * fuzz_decode_wrap.c - libFuzzer harness: stage 5, decoding steps: the
 * first byte picks base64, hex, zlib or gzip; the rest is the input. The
 * input is decoded with mml_decode_as() and mml_decode_body(), with
 * default and tiny limits; fuzz_decode_common.h says what is checked.
 */
#define FUZZ_DECODE_FMT (-1)
#include "fuzz_decode_common.h"
