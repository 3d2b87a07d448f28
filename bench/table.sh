#!/bin/sh
# Turn build/bench/results.json into the markdown table of BENCHMARKS.md.
set -eu
f=${1:-build/bench/results.json}
# the main capture's figures: the file without its "heavy" object (which
# repeats the key names), so a greedy match cannot land in it
main=$(sed 's/"heavy":{[^{}]*\({[^{}]*}[^{}]*\)*}/"heavy":null/' "$f")
get() { printf '%s\n' "$main" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" | head -n 1; }
# nested objects: take the value after a key inside the named object
sub() { printf '%s\n' "$main" | sed -n "s/.*\"$1\":{[^}]*\"$2\":\([0-9.]*\).*/\1/p" | head -n 1; }
bytes=$(get capture_bytes); msgs=$(get messages)
mb=$(echo "scale=1; $bytes / 1000000" | bc)
w1=$(sub decrypt_j1 wall_s); r1=$(sub decrypt_j1 max_rss_kb)
w2=$(sub decrypt_j2 wall_s); r2=$(sub decrypt_j2 max_rss_kb)
w3=$(sub decrypt_nobodies wall_s); r3=$(sub decrypt_nobodies max_rss_kb)
s1=$(sub scan_j1 wall_s); q1=$(sub scan_j1 max_rss_kb)
s2=$(sub scan_j2 wall_s); q2=$(sub scan_j2 max_rss_kb)
body=$(get body_bytes)
ceil=$(sub stages aes_capture_equiv_mbps); a16=$(sub stages aes_16k_mbps); a1=$(sub stages aes_1k_mbps)
ts=$(sub tshark wall_s || true)
rate() { echo "scale=1; $mb / $1" | bc; }
echo "| measure | value |"
echo "|---|---|"
echo "| capture | $mb MB, $msgs messages, $(echo "scale=1; $body / 1000000" | bc) MB of plaintext bodies |"
echo "| mmlens decrypt -j 1 | $(rate "$w1") MB/s, $(echo "scale=0; $msgs / $w1" | bc) messages/s, peak RSS $((r1 / 1024)) MiB |"
echo "| mmlens decrypt -j 2 | $(rate "$w2") MB/s, peak RSS $((r2 / 1024)) MiB |"
echo "| mmlens decrypt -j 1 --no-bodies | $(rate "$w3") MB/s, peak RSS $((r3 / 1024)) MiB |"
echo "| mmlens scan -j 1 | $(rate "$s1") MB/s, $(echo "scale=0; $msgs / $s1" | bc) messages/s, peak RSS $((q1 / 1024)) MiB |"
echo "| mmlens scan -j 2 | $(rate "$s2") MB/s, peak RSS $((q2 / 1024)) MiB |"
au=$(sub audit_j1 wall_s); hr=$(sub report_html wall_s); dbw=$(sub report_db wall_s)
pct() { echo "scale=0; ($1 - $s1) * 100 / $s1" | bc; }
echo "| mmlens audit (scan + sessions, attribution, flows, verdicts) | $(rate "$au") MB/s, +$(pct "$au")% over scan -j 1 |"
echo "| mmlens report --html | $(rate "$hr") MB/s, +$(pct "$hr")% over scan -j 1, page $(($(get html_bytes) / 1024)) KiB |"
echo "| mmlens report --db (every finding stored) | $(rate "$dbw") MB/s, +$(pct "$dbw")% over scan -j 1, database $(($(get db_bytes) / 1048576)) MiB |"
echo "| AES-128-GCM ceiling, same record sizes | $ceil MB/s of capture |"
echo "| AES-128-GCM, 16 KiB / 1 KiB records | $a16 / $a1 MB/s |"
echo "| decrypt -j 1 / ceiling | $(echo "scale=2; $(rate "$w1") / $ceil" | bc) |"
for s in read reasm framing outer inner full; do
	echo "| stage: up to $s | $(sub stages ${s}_mbps) MB/s |"
done
if [ -n "$ts" ]; then echo "| tshark -r -e tcp.payload | $(rate "$ts") MB/s |"; fi
cr=$(sed -n 's/.*"decode_corpus":{"mix_mbps":\([0-9.]*\),"corpora_mbps":\([0-9.]*\),"ratio":\([0-9.]*\)}.*/\1 \2 \3/p' "$f")
if [ -n "$cr" ]; then
	set -- $cr
	echo "| decode per byte: fuzz corpora / bench mix (>= 0.10 wanted) | $2 / $1 MB/s, ratio $3 |"
fi
hb=$(sed -n 's/.*"heavy":{"capture_bytes":\([0-9]*\),"body_bytes":\([0-9]*\).*/\1 \2/p' "$f")
if [ -n "$hb" ]; then
	set -- $hb
	hmb=$(echo "scale=1; $1 / 1000000" | bc)
	hdw=$(sed -n 's/.*"heavy":{[^}]*"decrypt_j1":{"wall_s":\([0-9.]*\).*/\1/p' "$f")
	hsw=$(sed -n 's/.*"heavy":{.*"scan_j1":{"wall_s":\([0-9.]*\).*/\1/p' "$f")
	echo "| bench-heavy capture | $hmb MB, $(echo "scale=1; $2 / 1000000" | bc) MB of bodies ($(echo "scale=2; $2 / $1" | bc)x) |"
	echo "| bench-heavy: decrypt -j 1 / scan -j 1 | $(echo "scale=1; $hmb / $hdw" | bc) / $(echo "scale=1; $hmb / $hsw" | bc) MB/s |"
fi
