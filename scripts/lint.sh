#!/bin/sh
# lint.sh [FILE.c...] - static analysis of the tree (`make lint`): cppcheck
# (warning, portability and performance checks; flags below) and
# clang-tidy (the checks of .clang-tidy: bugprone, CERT C rules, the clang
# static analyser). Default files: src/, tools/sim/, fuzz/, bench/, tests/.
# Prints each finding once as "FILE:LINE: [tool/check] message", then
# "lint: N findings (cppcheck C, clang-tidy T) in S s"; exit 1 on any.
# The raw outputs stay in build/lint/. JOBS=k runs k clang-tidy at a time
# (default: the number of CPUs). TIDY=0 or CPPCHECK=0 skips one tool.
set -u
cd "$(dirname "$0")/.." || exit 2
out=build/lint
mkdir -p "$out"
rm -f "$out"/*.txt
start=$(date +%s)
jobs=${JOBS:-$(nproc 2>/dev/null || echo 1)}
if [ $# -gt 0 ]; then files="$*"; else
	files=$(ls src/*/*.c tools/sim/*.c fuzz/*.c bench/*.c tests/*.c 2>/dev/null)
fi
cflags="-std=c17 -Iinclude -Itools/sim -D_DEFAULT_SOURCE $(pkg-config --cflags libhs 2>/dev/null)"

# cppcheck: --enable=warning,portability,performance (not style: the
# house style is checked by review and -Wall -Wextra -Wshadow -Wvla).
# One configuration (the build's -D flags), so #ifdef variants are not
# explored. System headers are not read: their declarations come from
# cppcheck's std and posix libraries, and scripts/cppcheck.cfg gives the
# library macros the code uses (jansson's json_*_foreach), hence
# --suppress=missingIncludeSystem. Suppressed, with the reason:
# - readdirCalled: asks for readdir_r, which glibc deprecates (readdir is
#   thread-safe on one DIR stream, the only way the tree uses it);
# - strtokCalled in tests/: the test runner is one thread.
# A false positive in the code is suppressed where it is, with
# `// cppcheck-suppress ID` and the reason (--inline-suppr).
if [ "${CPPCHECK:-1}" != 0 ]; then
	# shellcheck disable=SC2086
	cppcheck --quiet --std=c11 --platform=unix64 --library=posix --library=scripts/cppcheck.cfg \
		--enable=warning,portability,performance --inline-suppr \
		--suppress=missingIncludeSystem --suppress=readdirCalled --suppress='strtokCalled:tests/*' \
		-j "$jobs" -Iinclude -Itools/sim -D_DEFAULT_SOURCE \
		--template='{file}:{line}: [cppcheck/{id}] {severity}: {message}' \
		$files 2> "$out/cppcheck.txt"
fi

# clang-tidy: one run a file, JOBS at a time; header findings are
# reported once (the same line seen from several files).
if [ "${TIDY:-1}" != 0 ]; then
	printf '%s\n' $files | xargs -P "$jobs" -I{} sh -c \
		'clang-tidy --quiet "$1" -- $2 > "$3/tidy.$(echo "$1" | tr / _).txt" 2>/dev/null; true' \
		sh {} "$cflags" "$out"
	cat "$out"/tidy.*.txt 2>/dev/null > "$out/clang-tidy.txt"
	rm -f "$out"/tidy.*.txt
fi

here=$(pwd)/
{
	[ -f "$out/cppcheck.txt" ] && grep -E '^[^ ]+:[0-9]+: \[cppcheck/' "$out/cppcheck.txt"
	[ -f "$out/clang-tidy.txt" ] && grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): .* \[[A-Za-z0-9.,_-]+\]$' "$out/clang-tidy.txt" |
		sed -E 's#^([^ ]+:[0-9]+):[0-9]+: (warning|error): (.*) \[([^],]+)(,[^]]*)?\]$#\1: [clang-tidy/\4] \3#'
} | sed "s#^$here##" | sort -u | sort -t: -k1,1 -k2,2n > "$out/findings.txt"
n=$(wc -l < "$out/findings.txt" | tr -d ' ')
nc=$(grep -c '\[cppcheck/' "$out/findings.txt")
nt=$(grep -c '\[clang-tidy/' "$out/findings.txt")
cat "$out/findings.txt"
echo "lint: $n findings (cppcheck $nc, clang-tidy $nt) in $(($(date +%s) - start)) s"
[ "$n" -eq 0 ]
