/*
 * fuzz_decode_xml.c - libFuzzer harness: stage 5, XML text (elements,
 * attributes, CDATA, entities, lenient closing) and the formats inside it.
 * The input is decoded with mml_decode_as() and mml_decode_body(), with
 * default and tiny limits; fuzz_decode_common.h says what is checked.
 */
#define FUZZ_DECODE_FMT MML_DF_XML
#include "fuzz_decode_common.h"
