#!/bin/sh
# tests/plan.sh - the checked plan (scripts/check-deps.sh against
# docs/ARCHITECTURE.md): a copy of the tree passes; in a copy with one
# violation of each kind planted, the check fails naming the file and line
# of the violation. Run by tests/run.sh; prints "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 2
here=$(pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmlens-plan.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
P=0; F=0

# The tree as check-deps reads it (the fuzz corpora left out).
mkdir -p "$tmp/base"
cp -r src include tools tests bench docs scripts "$tmp/base"/ || exit 1
mkdir -p "$tmp/base/fuzz" && cp fuzz/*.c fuzz/*.h "$tmp/base/fuzz"/ || exit 1

ok() { P=$((P + 1)); echo "ok   $1"; }
fail() { F=$((F + 1)); echo "FAIL $1: $2"; }
fresh() { rm -rf "$tmp/t" && cp -r "$tmp/base" "$tmp/t"; }
check() { sh "$here/scripts/check-deps.sh" "$tmp/t" > "$tmp/out" 2>&1; }
# add LINE to FILE (in the copy); sets $at to "FILE:N", N its line number
add() { printf '%s\n' "$2" >> "$tmp/t/$1"; at="$1:$(wc -l < "$tmp/t/$1" | tr -d ' ')"; }
# expect NAME PATTERN: the check fails, and a line of its output starts
# with "deps: $at: " and holds PATTERN
expect() {
	if check; then fail "$1" "check-deps passed"; return; fi
	if grep -F "deps: $at: " "$tmp/out" | grep -q -- "$2"; then ok "$1"; else
		fail "$1" "no \"$at: ...$2\" in: $(head -n 3 "$tmp/out" | tr '\n' ' ')"; fi
}

fresh
if check && [ "$(cat "$tmp/out")" = "deps: ok" ]; then ok plan_clean_copy_passes; else fail plan_clean_copy_passes "$(head -n 5 "$tmp/out")"; fi

fresh; add src/capture/capture.c '#include "mmlens/flow.h"'
expect plan_order_capture_includes_flow "module capture includes flow.h of module flow"

fresh; add src/decode/pb.c '#include "mmlens/envelope.h"'
expect plan_branch_decode_includes_envelope "module decode includes envelope.h of module envelope"

fresh; add src/detect/walk.c '#include "mmlens/keylog.h"'
expect plan_branch_detect_includes_keylog "module detect includes keylog.h of module mmtls"

fresh; add src/envelope/catalog.c '#include "mmlens/decode.h"'
expect plan_branch_envelope_includes_decode "module envelope includes decode.h of module decode"

fresh; add src/decode/dec.h '#include "mmlens/detect.h"'
expect plan_private_header_includes_later_module "module decode includes detect.h of module detect"

fresh; add src/detect/walk.c '#include "../decode/dec.h"'
expect plan_private_header_of_another_module "a private header of module decode"

fresh; add include/mmlens/decode.h '#include "mmlens/envelope.h"'
expect plan_public_header_branch "module decode includes envelope.h"

fresh; add tools/sim/net.c '#include "mmlens/capture.h"'
expect plan_simulator_uses_util_only "module sim includes capture.h of module capture"

fresh; add tools/sim/rng.c '#include "../../src/decode/dec.h"'
expect plan_simulator_private_header "a private header of module decode"

fresh; add src/cli/diff.c 'static void planted(void) { mml_detect_run(0, 0, 0, 0); }'
expect plan_analysis_step_in_cli "an analysis step in the cli"

fresh; add src/util/text.c '#include "mmlens/nothere.h"'
expect plan_header_not_in_table "mmlens/nothere.h, a header not in the module table"

fresh; printf '#ifndef X\n#define X\n#endif\n' > "$tmp/t/include/mmlens/extra.h"; at=include/mmlens/extra.h:1
expect plan_public_header_file_not_in_table "a public header not in the module table"

fresh; mkdir "$tmp/t/src/extra" && printf 'int x;\n' > "$tmp/t/src/extra/x.c"; at=src/extra/:1
expect plan_src_folder_not_in_table "a folder of src/ that is not a module"

fresh; n=$(wc -l < "$tmp/t/src/util/text.c")
i=$n; while [ "$i" -lt 801 ]; do echo '/* filler */' >> "$tmp/t/src/util/text.c"; i=$((i + 1)); done
at=src/util/text.c:801
expect plan_file_over_800_lines "801 lines, over 800"

fresh; i=$(wc -l < "$tmp/t/tests/test_util.c")
while [ "$i" -lt 1001 ]; do echo '/* filler */' >> "$tmp/t/tests/test_util.c"; i=$((i + 1)); done
at=tests/test_util.c:1001
expect plan_test_file_over_1000_lines "1001 lines, over 1000"

fresh; add src/util/text.c 'int planted_long(int x)'
{ echo '{'; i=0; while [ $i -lt 120 ]; do echo '	x++;'; i=$((i + 1)); done; echo '	return x;'; echo '}'; } >> "$tmp/t/src/util/text.c"
expect plan_function_over_120_lines "function planted_long is 123 lines, over 120"

fresh; add src/util/text.c 'int planted_short(int x)'
{ echo '{'; i=0; while [ $i -lt 118 ]; do echo '	x++;'; i=$((i + 1)); done; echo '}'; } >> "$tmp/t/src/util/text.c"
if check; then ok plan_function_of_120_lines_passes; else fail plan_function_of_120_lines_passes "$(head -n 3 "$tmp/out")"; fi

fresh; add scripts/size-allow.txt 'src/util/text.c:planted'
expect plan_allow_entry_needs_a_reason "listed without a reason"

fresh; sed 's/^| decode | util |$/| decode | util, envelope |/' docs/ARCHITECTURE.md > "$tmp/t/docs/ARCHITECTURE.md"
at=docs/ARCHITECTURE.md:$(grep -n '^| decode | util |$' docs/ARCHITECTURE.md | cut -d: -f1)
expect plan_may_include_table_agrees_with_the_drawing "differs from the graph"

fresh; sed 's/^sim ──> util$/sim ──> util ──> nowhere/' docs/ARCHITECTURE.md > "$tmp/t/docs/ARCHITECTURE.md"
at=docs/ARCHITECTURE.md:$(grep -n '^sim ──> util$' docs/ARCHITECTURE.md | cut -d: -f1)
expect plan_graph_names_modules_of_the_table "module nowhere is not in the module table"

fresh; printf '#include "test.h"\n' > "$tmp/t/tests/test_misc.c"; at=tests/test_misc.c:1
expect plan_test_file_named_after_no_module "a test file named after no module"

fresh; rm -f "$tmp/t"/tests/test_flow*.c; at=docs/ARCHITECTURE.md:1
expect plan_module_without_a_test_file "module flow has no test file"

# What the plan allows: a new file in a module, a private header of its
# own, a new public header listed in the table.
fresh; printf '#include "mmlens/util.h"\n#include "own.h"\n' > "$tmp/t/src/util/new.c"
printf '#include "mmlens/err.h"\n' > "$tmp/t/src/util/own.h"
printf '#include "mmlens/util.h"\n' > "$tmp/t/include/mmlens/more.h"
sed 's/`stats.h` |/`stats.h`, `more.h` |/' docs/ARCHITECTURE.md > "$tmp/t/docs/ARCHITECTURE.md"
printf '#include "mmlens/more.h"\n' >> "$tmp/t/src/decode/pb.c"
if check; then ok plan_new_files_and_listed_headers_pass; else fail plan_new_files_and_listed_headers_pass "$(head -n 3 "$tmp/out")"; fi

echo "$P passed, $F failed"
[ "$F" -eq 0 ]
