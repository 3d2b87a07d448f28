#!/bin/sh
# make demo: run the mmlens pipeline on a built-in sample and summarise it.
# Uses the simulator (build/mmlens-sim) when it is built; otherwise the real
# published capture in ../shared/data when present.
set -eu
cd "$(dirname "$0")/.."
out=build/demo
mkdir -p "$out"
chmod 700 "$out"
if [ -x build/mmlens-sim ]; then
	build/mmlens-sim --scenario miniprogram --location on --seed 1 \
		--pcap "$out/sample.pcap" --keylog "$out/sample.keys" --truth "$out/truth.jsonl"
	cap="$out/sample.pcap"; keys="$out/sample.keys"
else
	data=${MMLENS_DATA:-../shared/data}/mmtls-capture
	cap="$data/capture-logged-in-all-keys.pcapng"; keys="$data/frida-logged-in-all-keys.log"
	if [ ! -r "$cap" ]; then echo "demo: no sample found (build the simulator or provide ../shared/data)" >&2; exit 2; fi
fi
echo "== mmlens decrypt $cap"
rc=0
build/mmlens decrypt -k "$keys" -o "$out/messages.jsonl" --stats-json "$out/stats.json" "$cap" || rc=$?
echo
echo "== messages by API (status)"
grep '"kind":"message"' "$out/messages.jsonl" |
	sed -n 's/.*"dir":"\([a-z]*\)","status":"\([a-z_]*\)".*"api":\("[^"]*"\|null\).*/\3 \1 \2/p' |
	sort | uniq -c | sort -rn | head -20
echo
echo "== mmlens scan: the personal data in those messages"
build/mmlens scan -q -k "$keys" -o "$out/findings.jsonl" "$cap" || rc=$?
build/mmlens scan -q -k "$keys" --format table -o "$out/findings.txt" "$cap" || rc=$?
sed -n '/^mmlens scan:/,$p' "$out/findings.txt"
echo
echo "== where the coordinates went"
grep '"category":"location.coordinates"' "$out/findings.jsonl" |
	sed -n 's/.*"api":"\([^"]*\)".*"path":"\([^"]*\)","value":"\([^"]*\)".*"detector":"\([^"]*\)".*/  \1  \2  \3  (\4)/p' | head -8
echo
# The same scenario without the location permission: the comparison side.
labels=""
if [ -x build/mmlens-sim ]; then
	build/mmlens-sim --scenario miniprogram --location off --seed 1 \
		--pcap "$out/sample-off.pcap" --keylog "$out/sample-off.keys" --truth "$out/truth-off.jsonl" 2>/dev/null
	echo "== mmlens answer: the study's questions (session 1: location permission on, session 2: off)"
	build/mmlens answer --format text -k "$keys" -k "$out/sample-off.keys" -o "$out/answers.txt" \
		--label 1:permissions=location --label 2:permissions= --label 1:region=SG --label 2:region=SG \
		"$cap" "$out/sample-off.pcap" 2>/dev/null || rc=$?
	sed -n '/^Q:/,/^   [^ec]/p' "$out/answers.txt" | grep -E '^(Q|A|   [^ ])' | grep -v '^   evidence' | cut -c1-230
	echo
fi
echo "== mmlens audit (policy auto, session labelled): flows the policy does not plainly cover"
build/mmlens audit -k "$keys" -o "$out/audit.jsonl" --label 1:permissions=location --label 1:region=SG \
	"$cap" 2>/dev/null || rc=$?
grep '"kind":"flow"' "$out/audit.jsonl" | grep -v '"verdict":"disclosed"' |
	sed -n 's/.*"party":"\([^"]*\)".*"category":"\([^"]*\)","context":"\([^"]*\)".*"verdict":"\([^"]*\)","policy":"\([^"]*\)".*/  \4  \1  \2  (\3, \5)/p' | sort | head -14
grep '"kind":"audit_summary"' "$out/audit.jsonl" | sed 's/^/  /'
rm -f "$out/report.db"
build/mmlens report -k "$keys" --db "$out/report.db" --label 1:permissions=location --label 1:region=SG \
	"$cap" 2>/dev/null || rc=$?
# The HTML report; with the simulator, the same scenario without the location
# permission is the comparison side, so the diff view shows what granting it adds.
if [ -x build/mmlens-sim ]; then
	(umask 077; cat "$keys" "$out/sample-off.keys" > "$out/both.keys")
	build/mmlens report -k "$out/both.keys" --html "$out/report.html" \
		--compare "$out/sample-off.pcap" --label "1:scenario=miniprogram, location on" \
		--label "1:permissions=location" --label "1:features=miniprograms,search" --label 1:region=SG \
		"$cap" 2>/dev/null || rc=$?
else
	build/mmlens report -k "$keys" --html "$out/report.html" "$cap" 2>/dev/null || rc=$?
fi
echo
echo "Output files (mode 0600, they hold personal data):"
echo "  $out/messages.jsonl  every message, one JSON object per line (docs/SCHEMA.md)"
echo "  $out/stats.json      record and message accounting"
echo "  $out/findings.jsonl  personal data found: one object per message, category and field path"
echo "  $out/findings.txt    the same as a table, with the category x API matrix"
echo "  $out/answers.txt     the study's questions: supported, not supported or not determinable (docs/ANSWERS.md)"
echo "  $out/audit.jsonl     each (session, party, category, context) flow with its judged verdict and evidence"
echo "  $out/report.db       SQLite: sessions, flows, verdicts, findings (queries: docs/REPORT_DB.md)"
echo "  $out/report.html     self-contained HTML report, works offline (docs/REPORT_HTML.md)"
echo "Look at one message's decoded fields: build/mmlens decode -k $keys -m N $cap"
exit $rc
