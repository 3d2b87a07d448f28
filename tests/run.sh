#!/bin/sh
# Run the checked plan first (scripts/check-deps.sh, then tests/plan.sh,
# which plants violations in a copy of the tree), every test twice (normal
# build and ASan+UBSan build), plus the fuzz corpora as regression tests,
# and print the total "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
P=0; F=0
export MMLENS_DATA="${MMLENS_DATA:-$(pwd)/../shared/data}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"

suite() { # label command...
	label=$1; shift
	out=$("$@" 2>&1); rc=$?
	printf '%s\n' "$out" | sed "s/^/[$label] /"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	if [ -n "$line" ]; then
		p=${line%% passed*}; f=${line#*, }; f=${f%% failed*}
	else
		p=0; f=1
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "[$label] exited $rc"; fi
	P=$((P + p)); F=$((F + f))
}

fuzzreg() { # label binary corpus
	label=$1; bin=$2; dir=$3
	out=$("$bin" "$dir" 2>&1); rc=$?
	printf '%s\n' "$out" | tail -n 3 | sed "s/^/[$label] /"
	if [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q "inputs ok"; then P=$((P + 1)); else F=$((F + 1)); echo "[$label] FAILED (exit $rc)"; fi
}

if sh scripts/check-deps.sh; then P=$((P + 1)); else F=$((F + 1)); fi
suite plan sh tests/plan.sh
MMLENS_BIN=$B/mmlens MMLENS_SIM=$B/mmlens-sim suite tests "$B/tests"
MMLENS_BIN=$B/asan/mmlens MMLENS_SIM=$B/asan/mmlens-sim suite asan-tests "$B/asan/tests"
for t in fuzz/fuzz_*.c; do
	n=$(basename "$t" .c)
	[ -d "fuzz/corpus/$n" ] || { echo "[fuzz] no corpus for $n"; F=$((F + 1)); continue; }
	fuzzreg "fuzzreg $n" "$B/fuzzreg/$n" "fuzz/corpus/$n"
	fuzzreg "asan fuzzreg $n" "$B/asan/fuzzreg/$n" "fuzz/corpus/$n"
done
echo "$P passed, $F failed"
[ "$F" -eq 0 ]
