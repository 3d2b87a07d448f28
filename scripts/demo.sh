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
echo "== mmlens audit --policy wechat: flows the privacy policy does not plainly cover"
build/mmlens audit --policy wechat -k "$keys" -o "$out/audit.jsonl" "$cap" 2>/dev/null || rc=$?
grep '"kind":"flow"' "$out/audit.jsonl" | grep -v '"verdict":"disclosed"' |
	sed -n 's/.*"party":"\([^"]*\)".*"category":"\([^"]*\)".*"context":"\([^"]*\)".*"verdict":"\([^"]*\)".*/  \4  \1  \2  (\3)/p' | sort | head -12
grep '"kind":"audit_summary"' "$out/audit.jsonl" | sed 's/^/  /'
rm -f "$out/report.db"
build/mmlens report --policy wechat -k "$keys" --db "$out/report.db" "$cap" 2>/dev/null || rc=$?
# The HTML report; with the simulator, the same scenario without the location
# permission is the comparison side, so the diff view shows what granting it adds.
if [ -x build/mmlens-sim ]; then
	build/mmlens-sim --scenario miniprogram --location off --seed 1 \
		--pcap "$out/sample-off.pcap" --keylog "$out/sample-off.keys" --truth "$out/truth-off.jsonl" 2>/dev/null
	(umask 077; cat "$keys" "$out/sample-off.keys" > "$out/both.keys")
	build/mmlens report --policy wechat -k "$out/both.keys" --html "$out/report.html" \
		--compare "$out/sample-off.pcap" --label "2:scenario=miniprogram, location on" \
		--label "2:permissions=location" --label "2:features=miniprograms,search" "$cap" 2>/dev/null || rc=$?
else
	build/mmlens report --policy wechat -k "$keys" --html "$out/report.html" "$cap" 2>/dev/null || rc=$?
fi
echo
echo "Output files (mode 0600, they hold personal data):"
echo "  $out/messages.jsonl  every message, one JSON object per line (docs/SCHEMA.md)"
echo "  $out/stats.json      record and message accounting"
echo "  $out/findings.jsonl  personal data found: one object per message, category and field path"
echo "  $out/findings.txt    the same as a table, with the category x API matrix"
echo "  $out/audit.jsonl     each (party, category, context) flow with its policy verdict and evidence"
echo "  $out/report.db       SQLite: sessions, flows, verdicts, findings (queries: docs/REPORT_DB.md)"
echo "  $out/report.html     self-contained HTML report, works offline (docs/REPORT_HTML.md)"
echo "Look at one message's decoded fields: build/mmlens decode -k $keys -m N $cap"
exit $rc
