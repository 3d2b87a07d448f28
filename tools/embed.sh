#!/bin/sh
# Usage: embed.sh SYMBOL FILE > out.c -- a data file as a C byte array.
set -eu
sym=$1; file=$2
echo "/* generated from $file by tools/embed.sh; do not edit */"
echo "#include <stddef.h>"
echo "const unsigned char ${sym}[] = {"
od -An -v -tx1 "$file" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
echo "0x00};"
echo "const size_t ${sym}_len = sizeof ${sym} - 1;"
