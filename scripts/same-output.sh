#!/bin/sh
# same-output.sh [REF] - do this tree's outputs equal REF's, byte for byte?
#
# Builds REF (a commit; default HEAD) in a temporary worktree and this
# working tree as it is, then runs both binaries on the same inputs and
# compares every output:
#   - the real data (../shared/data or $MMLENS_DATA): the capture with its
#     key log, and the instrumentation log;
#   - three simulator scenarios (made by this tree's simulator, so both
#     binaries read the same files): messaging, a Mini Program with the
#     location permission on, and a Moments comment.
# Commands: decrypt, decode (json), scan, sessions, audit, answer, diff
# and report --html (its "generated" timestamp removed), report --db
# (dumped as SQL, its run time removed). Prints "same-output: N outputs
# identical" or the differing outputs; exit 1 when any differs.
# Used by refactors that must not change what mmlens prints (issue 12).
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
ref=${1:-HEAD}
data=${MMLENS_DATA:-$here/../shared/data}
work=${SAME_OUTPUT_DIR:-$here/build/same-output}
rm -rf "$work"
git -C "$here" worktree prune 2>/dev/null
mkdir -p "$work/in" "$work/ref" "$work/new"
trap 'git -C "$here" worktree remove --force "$work/tree" >/dev/null 2>&1' EXIT

git -C "$here" worktree add --detach "$work/tree" "$ref" >/dev/null 2>&1 || {
	echo "same-output: cannot check out $ref" >&2
	exit 2
}
make -C "$work/tree" -s B="$work/tree/build" "$work/tree/build/mmlens" >/dev/null 2>&1 || {
	echo "same-output: $ref does not build" >&2
	exit 2
}
make -C "$here" -s build/mmlens build/mmlens-sim >/dev/null || exit 2
refbin=$work/tree/build/mmlens
newbin=$here/build/mmlens
sim=$here/build/mmlens-sim

$sim --scenario messaging --seed 11 --pcap "$work/in/msg.pcap" --keylog "$work/in/msg.keys" >/dev/null 2>&1 &&
	$sim --scenario miniprogram --location on --seed 12 --pcap "$work/in/mp.pcap" --keylog "$work/in/mp.keys" >/dev/null 2>&1 &&
	$sim --scenario comment --seed 13 --pcap "$work/in/cm.pcap" --keylog "$work/in/cm.keys" >/dev/null 2>&1 || {
	echo "same-output: the simulator failed" >&2
	exit 2
}
cap=$data/mmtls-capture/capture-logged-in-all-keys.pcapng
ckeys=$data/mmtls-capture/frida-logged-in-all-keys.log
log=$data/wechat-logs/startup_permissions_on_2.log.jsonl

# name|arguments (IN: the input directory); run by both binaries
cmds() {
	for s in msg mp cm; do
		echo "$s.decrypt|decrypt -k IN/$s.keys IN/$s.pcap"
		echo "$s.decode|decode --format json -k IN/$s.keys IN/$s.pcap"
		echo "$s.scan|scan -k IN/$s.keys IN/$s.pcap"
		echo "$s.scan-table|scan --format table -k IN/$s.keys IN/$s.pcap"
		echo "$s.sessions|sessions -k IN/$s.keys IN/$s.pcap"
		echo "$s.audit|audit -k IN/$s.keys IN/$s.pcap"
		echo "$s.answer|answer --format text -k IN/$s.keys IN/$s.pcap"
		echo "$s.html|report --html OUT/$s.html -k IN/$s.keys IN/$s.pcap"
		echo "$s.db|report --db OUT/$s.db -k IN/$s.keys IN/$s.pcap"
	done
	if [ -f "$cap" ]; then
		echo "cap.decrypt|decrypt -k $ckeys $cap"
		echo "cap.scan|scan -k $ckeys $cap"
		echo "cap.audit|audit -k $ckeys $cap"
		echo "cap.html|report --html OUT/cap.html -k $ckeys $cap"
	fi
	if [ -f "$log" ]; then
		echo "log.decode|decode --format json $log"
		echo "log.scan|scan $log"
		echo "log.scan-table|scan --format table $log"
		echo "log.sessions|sessions $log"
		echo "log.audit|audit --label 5:permissions=location --label 4:permissions= $log"
		echo "log.audit-wechat|audit --policy wechat $log"
		echo "log.answer|answer --label 5:permissions=location --label 4:permissions= $log"
		echo "log.diff|diff $log@4 $log@5"
		echo "log.html|report --html OUT/log.html $log"
		echo "log.db|report --db OUT/log.db $log"
		echo "log.redact|scan --redact $log"
	fi
}

run() { # binary outdir name args
	bin=$1; out=$2; name=$3; args=$(echo "$4" | sed "s|IN/|$work/in/|g; s|OUT/|$out/|g")
	# shellcheck disable=SC2086
	(cd "$work/in" && "$bin" $args >"$out/$name.stdout" 2>"$out/$name.stderr"; echo $? >"$out/$name.rc")
	# the output paths differ between the two runs: say OUT instead
	sed -i "s|$out/|OUT/|g" "$out/$name.stdout" "$out/$name.stderr"
}
normalize() { # outdir
	for h in "$1"/*.html; do
		[ -f "$h" ] && sed -i 's|<th>generated</th><td>[^<]*</td>|<th>generated</th><td>-</td>|; s|'"$1"'/|OUT/|g' "$h"
	done
	for d in "$1"/*.db; do
		[ -f "$d" ] || continue
		sqlite3 "$d" .dump | sed -E "s/'[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:.]+Z?'/'TIME'/g; s|$1/|OUT/|g" >"$d.sql"
		rm -f "$d"
	done
}

n=0
cmds | while IFS='|' read -r cname cargs; do
	run "$refbin" "$work/ref" "$cname" "$cargs"
	run "$newbin" "$work/new" "$cname" "$cargs"
done
normalize "$work/ref"
normalize "$work/new"
bad=0
for f in "$work"/ref/*; do
	b=$(basename "$f")
	n=$((n + 1))
	if ! cmp -s "$f" "$work/new/$b"; then
		echo "same-output: $b differs from $ref:"
		diff "$f" "$work/new/$b" | head -n 6 | cut -c1-300
		bad=1
	fi
done
for f in "$work"/new/*; do
	[ -e "$work/ref/$(basename "$f")" ] || { echo "same-output: $(basename "$f") is new"; bad=1; }
done
[ $bad -eq 0 ] && echo "same-output: $n outputs identical to $ref"
exit $bad
