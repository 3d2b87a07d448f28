/*
 * fuzz_decode_pb.c - libFuzzer harness: stage 5, schemaless protobuf (all
 * wire types, groups, the reading chosen for each length-delimited value)
 * and everything found inside it. The input is decoded with
 * mml_decode_as() and mml_decode_body(), with default and tiny limits;
 * fuzz_decode_common.h says what is checked.
 */
#define FUZZ_DECODE_FMT MML_DF_PB
#include "fuzz_decode_common.h"
