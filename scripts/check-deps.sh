#!/bin/sh
# check-deps.sh [--graph] [DIR] - check the plan of docs/ARCHITECTURE.md on
# a source tree (default: this one; DIR: a copy of it, as the tests plant
# violations in). The doc is the plan, and this script is its one reader:
#  - the module table (its "folder" and "public headers" columns) says
#    which module each folder and each include/mmlens/*.h belongs to;
#  - the graph (the fenced block after the "check-deps: graph" marker:
#    each line a chain "a ──> b ──> c", a name on several lines being one
#    module) says which module includes which. A module may include its
#    own headers and those of every module it reaches along the arrows;
#  - the "may include" table must list exactly what the graph reaches.
# Checked on the tree:
#  1. every #include "mmlens/x.h" of src/*/*.c, src/*/*.h, include/mmlens/*.h
#     and tools/sim names a header its module may include; a module's
#     private headers (src/M/*.h, tools/sim/*.h) are included by that
#     module only (tests/ may include them, for white-box tests); fuzz/,
#     bench/ and tests/ may include any header of the table; every header
#     and every src/ folder is in the table;
#  2. src/cli holds commands only: no cli file calls a step of the
#     analysis (decoding a body, running the detectors, feeding the session
#     splitter, adding flows, attributing, judging a verdict) - those live
#     in src/analyze (inspect.c, collect.c, judge.c, ...);
#  3. sizes: a file of src/, include/, tools/, fuzz/ or bench/ over 800
#     lines, a test file over 1,000 lines, a function (of src/, include/,
#     tools/, fuzz/, bench/) over 120 lines - counted from the line after
#     its name (its opening brace) to its closing brace, by universal-ctags
#     - unless scripts/size-allow.txt lists it (one "path" or
#     "path:function" a line, each with a "# why" comment);
#  4. tests mirror modules: each tests/test_*.c is named test_MODULE.c or
#     test_MODULE_*.c after a module of the table, and each module has one.
# Prints "deps: ok" or each violation as "FILE:LINE: what"; exit 1 on any.
# --graph prints what each module may include (from the doc) and exits.
# A copy without docs/ (as tests/test_cli_inputs.c makes) is checked against
# $MMLENS_PLAN, else the working directory's docs/ARCHITECTURE.md.
set -u
graph=0
[ "${1:-}" = "--graph" ] && { graph=1; shift; }
caller=$(pwd)
root=${1:-"$(dirname "$0")/.."}
cd "$root" || exit 1
doc=docs/ARCHITECTURE.md
[ -f "$doc" ] || doc=${MMLENS_PLAN:-"$caller/docs/ARCHITECTURE.md"}
[ -f "$doc" ] || { echo "deps: no docs/ARCHITECTURE.md to read the plan from"; exit 1; }
command -v ctags >/dev/null 2>&1 || { echo "deps: universal-ctags is needed (sh scripts/deps.sh)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-deps.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# The plan, as lines "M module folder", "H header module", "E from to",
# "T module allowed...", or "X doc:line: what is wrong with the doc".
awk -v doc="$doc" '
function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
/check-deps: graph/ { want = 1; next }
want && /^```/ { want = 0; ingraph = 1; gline = NR; next }
ingraph && /^```/ { ingraph = 0; next }
ingraph {
	n = split($0, t, /[ \t]+/); prev = ""; expect = "name"
	for (i = 1; i <= n; i++) {
		if (t[i] == "") continue
		if (expect == "arrow") {
			if (t[i] != "──>" && t[i] != "->") { print "X " doc ":" NR ": graph: \"" t[i] "\" where an arrow was expected"; break }
			expect = "name"; continue
		}
		if (t[i] !~ /^[a-z][a-z0-9_]*$/) { print "X " doc ":" NR ": graph: \"" t[i] "\" is not a module name"; break }
		print "N " t[i] " " NR
		if (prev != "") print "E " prev " " t[i] " " NR
		prev = t[i]; expect = "arrow"
	}
	next
}
/^\|/ {
	n = split($0, c, "|")
	if (n >= 6 && trim(c[3]) ~ /^[a-z][a-z0-9_]*$/ && c[4] ~ /`[a-z][a-z0-9_\/]*\/`/) {
		mod = trim(c[3]); f = c[4]; sub(/^[^`]*`/, "", f); sub(/`.*/, "", f)
		print "M " mod " " f " " NR
		h = c[5]
		while (match(h, /`[A-Za-z0-9_]+\.h`/)) {
			print "H " substr(h, RSTART + 1, RLENGTH - 2) " " mod " " NR
			h = substr(h, RSTART + RLENGTH)
		}
	} else if (n == 4 && trim(c[2]) ~ /^`?[a-z][a-z0-9_]*`?$/ && mayinc) {
		m = trim(c[2]); gsub(/`/, "", m); a = c[3]; gsub(/[`,]/, " ", a); gsub(/\(none\)|–|-/, " ", a)
		print "T " m " " NR " " trim(a)
	}
	if (c[3] ~ /may include/) mayinc = 1
	next
}
{ mayinc = 0 }
END { if (!gline) print "X " doc ":1: no fenced block after a \"check-deps: graph\" marker" }
' "$doc" > "$tmp/plan"

# Reach: for each module of the table, the modules it may include.
awk -v doc="$doc" '
$1 == "M" { if ($2 in folder) print "X " doc ":" $4 ": module " $2 " listed twice"; folder[$2] = $3; order[++nm] = $2; mline[$2] = $4 }
$1 == "N" { named[$2] = $3 }
$1 == "E" { adj[$2] = adj[$2] " " $3 }
$1 == "H" { if ($2 in owner) print "X " doc ":" $4 ": header " $2 " listed twice"; owner[$2] = $3 }
$1 == "T" { tline[$2] = $3; s = ""; for (i = 4; i <= NF; i++) s = s " " $i; tab[$2] = s }
$1 == "X" { print }
function visit(m, k, n, a) {
	n = split(adj[m], a, " ")
	for (k = 1; k <= n; k++) if (!((a[k]) in seen)) { seen[a[k]] = 1; visit(a[k]) }
}
END {
	for (m in named) if (!(m in folder)) print "X " doc ":" named[m] ": graph: module " m " is not in the module table"
	for (i = 1; i <= nm; i++) {
		m = order[i]
		if (!(m in named)) print "X " doc ":" mline[m] ": module " m " is not in the graph"
		split("", seen); visit(m)
		if (m in seen) print "X " doc ":" mline[m] ": graph: " m " reaches itself (a cycle)"
		r = ""; for (j = 1; j <= nm; j++) if (order[j] in seen) r = r " " order[j]
		print "R " m " " folder[m] r
		if (!(m in tab)) { if (nm > 0 && length(tab) > 0) print "X " doc ":" mline[m] ": the \"may include\" table has no row for " m; continue }
		split("", want); n = split(tab[m], t, " "); for (k = 1; k <= n; k++) want[t[k]] = 1
		d = ""
		for (x in want) if (!(x in seen)) d = d " +" x
		for (x in seen) if (!(x in want)) d = d " -" x
		if (d != "") print "X " doc ":" tline[m] ": the \"may include\" row of " m " differs from the graph (graph" r "; table" tab[m] ")"
	}
	if (nm == 0) print "X " doc ":1: no module table (| # | module | `folder/` | `headers` | ... |)"
	if (length(tab) == 0) print "X " doc ":1: no \"module | may include\" table"
	for (h in owner) print "O " h " " owner[h]
}' "$tmp/plan" > "$tmp/reach" || { echo "deps: cannot read the plan"; exit 1; }
# A plan that cannot be read is the one thing reported: nothing is checked against it.
if grep -q '^X ' "$tmp/reach"; then
	sed -n 's/^X /deps: /p' "$tmp/reach"
	exit 1
fi

if [ $graph -eq 1 ]; then
	awk '$1 == "R" { printf "%-9s may include:", $2; for (i = 4; i <= NF; i++) printf " %s", $i; print "" } $1 == "X" { print "deps: " substr($0, 3) }' "$tmp/reach"
	exit 0
fi

# Every include of the tree, as "file:line:text".
files=$(ls src/*/*.c src/*/*.h include/mmlens/*.h tools/sim/*.c tools/sim/*.h tools/*/*.c tools/*/*.h \
	tests/*.c tests/*.h fuzz/*.c fuzz/*.h bench/*.c bench/*.h 2>/dev/null | sort -u)
for f in $files; do grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$f"; done > "$tmp/incs"
# Files that exist, for the public-header and folder checks.
printf '%s\n' $files > "$tmp/files"
ls -d src/*/ 2>/dev/null | sed 's|/$||' > "$tmp/dirs"

awk -v doc="$doc" '
FILENAME == ARGV[1] {
	if ($1 == "R") { fold[$2] = $3; ok[$2, $2] = 1; for (i = 4; i <= NF; i++) ok[$2, $i] = 1; mods[$2] = 1 }
	if ($1 == "O") owner[$2] = $3
	if ($1 == "X") { sub(/^X /, ""); print; bad = 1 }
	next
}
FILENAME == ARGV[2] { dirs[$0] = 1; next }
FILENAME == ARGV[3] { if ($0 ~ /^include\/mmlens\/[^\/]*\.h$/) pub[substr($0, 16)] = 1; next }
function modof(p,   m, best, bl) {
	best = ""; bl = 0
	for (m in fold) if (index(p, fold[m]) == 1 && length(fold[m]) > bl) { best = m; bl = length(fold[m]) }
	return best
}
function norm(p,   n, a, o, k, i) {
	n = split(p, a, "/"); k = 0
	for (i = 1; i <= n; i++) {
		if (a[i] == "." || a[i] == "") continue
		if (a[i] == ".." && k > 0 && o[k] != "..") { k--; continue }
		o[++k] = a[i]
	}
	p = ""; for (i = 1; i <= k; i++) p = p (i > 1 ? "/" : "") o[i]
	return p
}
{
	f = $0; sub(/:.*/, "", f); rest = substr($0, length(f) + 2); line = rest; sub(/:.*/, "", line)
	inc = rest; sub(/^[^<"]*[<"]/, "", inc); sub(/[>"].*/, "", inc)
	angle = rest ~ /#[ \t]*include[ \t]*</
	if (f ~ /^include\/mmlens\//) { h = substr(f, 16); mod = (h in owner) ? owner[h] : "" }
	else mod = modof(f)
	where = f ":" line ": "
	if (inc ~ /^mmlens\//) {
		h = substr(inc, 8)
		if (!(h in owner)) { print where "includes mmlens/" h ", a header not in the module table of " doc; bad = 1; next }
		if (mod != "" && !((mod, owner[h]) in ok)) {
			print where "module " mod " includes " h " of module " owner[h] " (the graph of " doc " does not lead from " mod " to " owner[h] ")"; bad = 1
		}
		next
	}
	if (angle) next
	d = f; sub(/\/[^\/]*$/, "", d); p = norm(d "/" inc); pm = modof(p)
	if (pm == "" && mod == "") next
	if (pm == mod) next
	if (pm != "" && f ~ /^tests\//) next
	if (pm != "") print where "includes " inc ", a private header of module " pm " (only " fold[pm] " may)"
	else print where "module " mod " includes " inc ", a file outside its folder"
	bad = 1
}
END {
	for (h in pub) if (!(h in owner)) { print "include/mmlens/" h ":1: a public header not in the module table of " doc; bad = 1 }
	for (h in owner) if (!(h in pub) && length(pub) > 0) { print doc ":1: the module table lists " h ", which is not in include/mmlens/"; bad = 1 }
	for (d in dirs) { m = modof(d "/"); if (m == "") { print d "/:1: a folder of src/ that is not a module of the table of " doc; bad = 1 } }
	exit bad
}' "$tmp/reach" "$tmp/dirs" "$tmp/files" "$tmp/incs" > "$tmp/out"
bad=$?
# (2) The analysis steps a command must not take itself (it calls src/analyze).
steps='mml_decode_body|mml_decode_as|mml_decode_meta_url|mml_decode_meta_uint|mml_detect_run|mml_sessions_feed|mml_sessions_observe|mml_flows_add|mml_attrib_lookup|mml_attrib_lookup_memo|mml_attrib_recv|mml_policy_covers|mml_judge|mml_msg_time'
for f in src/cli/*.c src/cli/*.h; do
	[ -f "$f" ] || continue
	grep -nE "\b($steps)[[:space:]]*\(" "$f" | grep -v '^[0-9]*:[[:space:]]*\*' |
		sed "s|^\([0-9]*\):[[:space:]]*|$f:\1: an analysis step in the cli (move it to src/analyze): |" >> "$tmp/out"
done
grep -q 'an analysis step in the cli' "$tmp/out" && bad=1

# (3) Sizes, outside scripts/size-allow.txt.
allow=scripts/size-allow.txt
allow_src=$allow
[ -f "$allow" ] || allow_src=/dev/null
code=$(printf '%s\n' $files | grep -E '^(src|include|tools|fuzz|bench)/')
tests=$(printf '%s\n' $files | grep -E '^tests/')
{
	[ -z "$code" ] || wc -l $code | awk '$2 != "total" { print "L", $2, $1, 800 }'
	[ -z "$tests" ] || wc -l $tests | awk '$2 != "total" { print "L", $2, $1, 1000 }'
	[ -z "$code" ] || ctags --languages=C --langmap=C:.c.h --kinds-C=f --fields=+ne -x \
		--_xformat='F %F %N %n %e' -o - $code 2>/dev/null
} > "$tmp/sizes"
tops=$(for d in src include tools fuzz bench tests; do [ -d "$d" ] && printf '%s ' "$d"; done)
awk -v allowf="$allow" -v tops="$tops" '
FILENAME == ARGV[1] {
	e = $0; why = ""
	if (index(e, "#")) { why = substr(e, index(e, "#") + 1); e = substr(e, 1, index(e, "#") - 1) }
	gsub(/[ \t]+/, "", e); gsub(/^[ \t]+|[ \t]+$/, "", why)
	if (e == "") next
	if (why == "") { print allowf ":" FNR ": " e " is listed without a reason (\"# why\")"; bad = 1 }
	allowed[e] = FNR; entry[++nal] = e; line[nal] = FNR
	next
}
$1 == "L" && $3 > $4 {
	if ($2 in allowed) { used[$2] = 1; next }
	print $2 ":" $4 + 1 ": " $3 " lines, over " $4 " (split it, or list it in " allowf " with the reason)"; bad = 1
}
$1 == "F" && $5 - $4 > 120 {
	k = $2 ":" $3
	if (k in allowed) { used[k] = 1; next }
	print $2 ":" $4 ": function " $3 " is " $5 - $4 " lines, over 120 (split it, or list " k " in " allowf ")"; bad = 1
}
$1 == "L" { seen[$2] = 1 }
END {
	for (i = 1; i <= nal; i++) {
		e = entry[i]; f = e; sub(/:.*/, "", f); top = f; sub(/\/.*/, "", top)
		if (e in used) continue
		if (f in seen) print "note: " allowf ":" line[i] ": " e " is within the limits now; remove the entry"
		else if (index(" " tops " ", " " top " ")) print "note: " allowf ":" line[i] ": " f " is gone; remove the entry"
	}
	exit bad
}' "$allow_src" "$tmp/sizes" >> "$tmp/out" || bad=1

# (4) Tests mirror modules: every tests/test_*.c is test_MODULE.c or
# test_MODULE_*.c for a module of the table, and every module has one.
mods=$(awk '$1 == "R" { print $2 }' "$tmp/reach")
for f in $tests; do
	case $f in tests/test_*.c) ;; *) continue ;; esac
	b=${f#tests/test_}; b=${b%.c}; hit=
	for m in $mods; do case $b in "$m" | "$m"_*) hit=1 ;; esac; done
	[ -n "$hit" ] || { echo "$f:1: a test file named after no module (tests/test_MODULE[_what].c; modules: $(echo $mods))" >> "$tmp/out"; bad=1; }
done
for m in $mods; do
	n=0
	for t in tests/test_"$m".c tests/test_"$m"_*.c; do [ -f "$t" ] && n=1; done
	[ $n -eq 1 ] ||
		{ echo "$doc:1: module $m has no test file (tests/test_$m.c or tests/test_${m}_*.c)" >> "$tmp/out"; bad=1; }
done

sed 's/^/deps: /' "$tmp/out"
[ $bad -eq 0 ] && echo "deps: ok"
exit $bad
