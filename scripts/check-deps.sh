#!/bin/sh
# Check the module dependency order of docs/ARCHITECTURE.md: a module's
# sources may include only headers of itself or of modules before it.
# Prints "deps: ok" or each violation; exit 1 on any.
set -u
cd "$(dirname "$0")/.."
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
	analyze.h|attrib.h|policy.h) echo analyze ;;
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
[ $bad -eq 0 ] && echo "deps: ok"
exit $bad
