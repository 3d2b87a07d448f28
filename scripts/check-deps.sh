#!/bin/sh
# Check the plan of docs/ARCHITECTURE.md on a source tree (default: this
# one; `check-deps.sh DIR` checks DIR):
#  1. the module order: a module's sources include only headers of itself
#     or of modules before it;
#  2. the cli holds commands only: no file of src/cli calls a step of the
#     analysis (decoding a body, running the detectors, feeding the
#     session splitter, adding flows, attributing, judging a verdict) -
#     those live in src/analyze (inspect.c, collect.c, judge.c, ...).
# Prints "deps: ok" or each violation; exit 1 on any.
set -u
root=${1:-"$(dirname "$0")/.."}
cd "$root" || exit 1
order="util capture flow mmtls envelope decode detect analyze report cli"
owner() { # header basename -> module
	case "$1" in
	err.h|cursor.h|util.h|crypto.h|stats.h) echo util ;;
	capture.h) echo capture ;;
	flow.h) echo flow ;;
	mmtls.h|keylog.h|conn.h) echo mmtls ;;
	envelope.h) echo envelope ;;
	decode.h) echo decode ;;
	detect.h) echo detect ;;
	analyze.h|attrib.h|policy.h|collect.h|judge.h|answer.h) echo analyze ;;
	report.h|html.h) echo report ;;
	cli.h) echo cli ;;
	*) echo "?" ;;
	esac
}
rank() { i=0; for m in $order; do [ "$m" = "$1" ] && { echo $i; return; }; i=$((i + 1)); done; echo 99; }
bad=0
for dir in src/*/; do
	mod=$(basename "$dir"); r=$(rank "$mod")
	for h in $(grep -ho '#include "mmlens/[a-z_]*\.h"' "$dir"*.c 2>/dev/null | sed 's/.*mmlens\/\(.*\)"/\1/' | sort -u); do
		o=$(owner "$h"); ro=$(rank "$o")
		if [ "$o" = "?" ] || [ "$ro" -gt "$r" ]; then echo "deps: src/$mod includes $h (module $o)"; bad=1; fi
	done
done
for h in include/mmlens/*.h; do
	mod=$(owner "$(basename "$h")"); r=$(rank "$mod")
	for inc in $(grep -ho '#include "mmlens/[a-z_]*\.h"' "$h" | sed 's/.*mmlens\/\(.*\)"/\1/' | sort -u); do
		o=$(owner "$inc"); ro=$(rank "$o")
		if [ "$o" = "?" ] || [ "$ro" -gt "$r" ]; then echo "deps: $h includes $inc (module $o)"; bad=1; fi
	done
done
# The analysis steps a command must not take itself (it calls src/analyze).
steps='mml_decode_body|mml_decode_as|mml_decode_meta_url|mml_decode_meta_uint|mml_detect_run|mml_sessions_feed|mml_sessions_observe|mml_flows_add|mml_attrib_lookup|mml_attrib_lookup_memo|mml_attrib_recv|mml_policy_covers|mml_judge|mml_msg_time'
for f in src/cli/*.c; do
	[ -f "$f" ] || continue
	hits=$(grep -nE "\b($steps)[[:space:]]*\(" "$f" | grep -v '^[0-9]*:[[:space:]]*\*' || true)
	if [ -n "$hits" ]; then
		printf '%s\n' "$hits" | sed "s|^|deps: $f: an analysis step in the cli (move it to src/analyze): |"
		bad=1
	fi
done
[ $bad -eq 0 ] && echo "deps: ok"
exit $bad
