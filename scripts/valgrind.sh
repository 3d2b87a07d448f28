#!/bin/sh
# valgrind.sh [PATTERN...] - the acceptance tests under valgrind's memcheck
# (`make valgrind`), on the normal build (build/tests, no ASan).
#
# Each PATTERN selects the tests whose name holds it (the runner's own
# filter, tests/main.c); one runner process a pattern. Default: "real"
# (every test reading the real data of ../shared/data: real_*,
# decode_real_*, detect_real_*, sessions_real_*, keylog_*_real_*, ...) and
# "roundtrip" (the simulator round trips: sim_roundtrip_*,
# sim_core_scenarios_roundtrip). The simulator the tests start
# ($MMLENS_SIM) runs under memcheck too, so its errors fail the test that
# started it.
#
# Memcheck options: --leak-check=full, definite and indirect leaks count as
# errors (--errors-for-leak-kinds=definite,indirect; "still reachable" and
# "possibly lost" do not: libraries' one-time tables), --error-exitcode.
# Logs in build/valgrind/. Prints "valgrind: P processes, E errors, L
# leaked bytes (definite+indirect); tests: N passed, N failed; S s";
# exit 1 unless every test passed with 0 errors and 0 leaks.
set -u
cd "$(dirname "$0")/.." || exit 2
B=${B:-build}
out=build/valgrind
rm -rf "$out"
mkdir -p "$out"
start=$(date +%s)
[ $# -gt 0 ] || set -- real roundtrip
vg="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect --num-callers=30"
export MMLENS_DATA="${MMLENS_DATA:-$(pwd)/../shared/data}"
export MMLENS_BIN=$B/mmlens
export MMLENS_SIM="$vg --log-file=$(pwd)/$out/sim.%p.log $B/mmlens-sim"
P=0; F=0; bad=0
for p in "$@"; do
	$vg --log-file="$out/tests-$p.log" "$B/tests" "$p" > "$out/tests-$p.out" 2>&1
	rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out/tests-$p.out" | tail -n 1)
	p_=${line%% passed*}; f_=${line#*, }; f_=${f_%% failed*}
	[ -n "$line" ] || { p_=0; f_=1; }
	grep '^FAIL' "$out/tests-$p.out" | sed "s/^/valgrind [$p]: /"
	echo "valgrind [$p]: $line (exit $rc)"
	P=$((P + p_)); F=$((F + f_))
	[ "$rc" -ne 0 ] && bad=1
done
procs=$(cat "$out"/*.log | grep -c 'ERROR SUMMARY')
errs=$(cat "$out"/*.log | sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
leak=$(cat "$out"/*.log | sed -n 's/.*\(definitely\|indirectly\) lost: \([0-9,]*\) bytes.*/\2/p' | tr -d , | awk '{ s += $1 } END { print s + 0 }')
for f in "$out"/*.log; do
	grep -q 'ERROR SUMMARY: 0 errors' "$f" || echo "valgrind: errors in $f"
done
echo "valgrind: $procs processes, $errs errors, $leak leaked bytes (definite+indirect); tests: $P passed, $F failed; $(($(date +%s) - start)) s"
[ $bad -eq 0 ] && [ "$errs" -eq 0 ] && [ "$leak" -eq 0 ] && [ "$F" -eq 0 ]
