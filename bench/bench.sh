#!/bin/sh
# make bench: generate (or reuse) a simulated capture of BENCH_SIZE (default
# 2G), then measure on it, in the same run:
#   1. mmlens decrypt end to end (-j 1, -j 2, and -j 1 --no-bodies): MB/s,
#      messages/s, peak RSS
#   2. raw OpenSSL AES-128-GCM over the same record sizes (the ceiling)
#   3. the decrypt path split by stage
#   4. tshark -r extracting TCP payloads (reference), when tshark is installed
#   5. mmlens scan end to end (-j 1 and -j 2): decrypt, decode, detect,
#      findings JSONL to /dev/null
#   6. the analysis on top of scan (issue 5): mmlens audit (sessions,
#      attribution, flows, policy verdicts), mmlens report --html, and
#      mmlens report --db (every finding stored in SQLite)
#   7. the same decrypt and scan on the bench-heavy mix (the bench's
#      message mix before it was calibrated to the real capture: bodies
#      2x the capture, inflate-bound), BENCH_HEAVY=0 skips it
#   8. the decoder's per-byte speed on the fuzz corpora against the bench
#      mix (bench/decode_corpus.c, on a 20M capture of the mix): issue 12
#      wants the corpora at no less than a tenth of the mix's speed
# Prints a markdown table for BENCHMARKS.md and writes build/bench/results.json.
set -eu
cd "$(dirname "$0")/.."
size=${BENCH_SIZE:-2G}
dir=build/bench
mkdir -p "$dir"
cap="$dir/bench-$size.pcap"; keys="$dir/bench-$size.keys"
params="--scenario bench --size $size --devices 32 --keylog-sparse --seed 7"
if [ ! -s "$cap" ] || [ "$(cat "$dir/bench-$size.params" 2>/dev/null)" != "$params $(md5sum < build/mmlens-sim)" ]; then
	echo "bench: generating $size capture ($params)" >&2
	t0=$(date +%s.%N)
	build/mmlens-sim $params --pcap "$cap" --keylog "$keys"
	t1=$(date +%s.%N)
	echo "$params $(md5sum < build/mmlens-sim)" > "$dir/bench-$size.params"
	echo "bench: simulator took $(echo "$t1 - $t0" | bc) s" >&2
fi
heavy=${BENCH_HEAVY:-1}
hcap="$dir/bench-heavy-$size.pcap"; hkeys="$dir/bench-heavy-$size.keys"
hparams="--scenario bench-heavy --size $size --devices 32 --keylog-sparse --seed 7"
if [ "$heavy" = 1 ] && { [ ! -s "$hcap" ] || [ "$(cat "$dir/bench-heavy-$size.params" 2>/dev/null)" != "$hparams $(md5sum < build/mmlens-sim)" ]; }; then
	echo "bench: generating $size bench-heavy capture" >&2
	build/mmlens-sim $hparams --pcap "$hcap" --keylog "$hkeys"
	echo "$hparams $(md5sum < build/mmlens-sim)" > "$dir/bench-heavy-$size.params"
fi
bytes=$(stat -c %s "$cap")
echo "bench: capture $cap, $bytes bytes" >&2
# Every timed command reads its inputs from the page cache: they are read
# once right before it. (These VMs page out what was not touched for about
# 30 s - DAMON reclaim - so a capture read a minute earlier comes from disk
# again, at a cost of seconds of kernel time.) The one-core figures are the
# median of 3 runs, pinned to one CPU.
warm() { cat "$@" > /dev/null; }
run() { warm "$cap" "$keys"; build/bench-rss "$@"; }
med3() { # the run with the median wall time of 3
	for i in 1 2 3; do run "$@"; done | sort -t: -k2 -n | sed -n 2p
}
one=""
command -v taskset >/dev/null 2>&1 && one="taskset -c 0"
e2e1=$(med3 $one build/mmlens decrypt -q -k "$keys" -o /dev/null --stats-json "$dir/stats.json" "$cap")
e2e2=$(run build/mmlens decrypt -q -j 2 -k "$keys" -o /dev/null "$cap")
e2e3=$(med3 $one build/mmlens decrypt -q --no-bodies -k "$keys" -o /dev/null "$cap")
scan1=$(med3 $one build/mmlens scan -q -k "$keys" -o /dev/null "$cap")
scan2=$(run build/mmlens scan -q -j 2 -k "$keys" -o /dev/null "$cap")
audit1=$(run $one build/mmlens audit --policy wechat -k "$keys" -o /dev/null "$cap")
html1=$(run $one build/mmlens report --policy wechat -k "$keys" --html "$dir/report.html" "$cap")
html_bytes=$(stat -c %s "$dir/report.html" 2>/dev/null || echo 0)
rm -f "$dir/report.db"
db1=$(run $one build/mmlens report --policy wechat -k "$keys" --db "$dir/report.db" "$cap")
db_bytes=$(stat -c %s "$dir/report.db" 2>/dev/null || echo 0)
rm -f "$dir/report.db" "$dir/report.html"
heavy_json='null'
if [ "$heavy" = 1 ]; then
	hd=$(warm "$hcap" "$hkeys"; build/bench-rss $one build/mmlens decrypt -q -k "$hkeys" -o /dev/null --stats-json "$dir/stats-heavy.json" "$hcap")
	hs=$(warm "$hcap" "$hkeys"; build/bench-rss $one build/mmlens scan -q -k "$hkeys" -o /dev/null "$hcap")
	hbody=$(sed -n 's/.*"body_bytes":\([0-9]*\).*/\1/p' "$dir/stats-heavy.json")
	heavy_json="{\"capture_bytes\":$(stat -c %s "$hcap"),\"body_bytes\":$hbody,\"decrypt_j1\":$hd,\"scan_j1\":$hs}"
fi
stages=$(warm "$cap" "$keys"; $one build/bench-stages "$cap" "$keys")
tshark_json='null'
if command -v tshark >/dev/null 2>&1 && [ "${BENCH_TSHARK:-1}" = 1 ]; then
	tshark_json=$(run $one sh -c "tshark -r '$cap' -T fields -e tcp.payload > /dev/null 2>&1")
fi
ccap="$dir/bench-corpus-20M.pcap"; ckeys="$dir/bench-corpus-20M.keys"
cparams="--scenario bench --size 20M --devices 8 --keylog-sparse --seed 7"
if [ ! -s "$ccap" ] || [ "$(cat "$dir/bench-corpus-20M.params" 2>/dev/null)" != "$cparams $(md5sum < build/mmlens-sim)" ]; then
	build/mmlens-sim $cparams --pcap "$ccap" --keylog "$ckeys" > /dev/null
	echo "$cparams $(md5sum < build/mmlens-sim)" > "$dir/bench-corpus-20M.params"
fi
cline=$($one build/bench-decode-corpus "$ccap" "$ckeys" fuzz/corpus 2 | tail -n 1 || true)
cmix=$(printf '%s\n' "$cline" | sed -n 's/.*bench mix \([0-9.]*\) MB.*/\1/p')
cfz=$(printf '%s\n' "$cline" | sed -n 's/.*fuzz corpora \([0-9.]*\) MB.*/\1/p')
crat=$(printf '%s\n' "$cline" | sed -n 's/.*ratio \([0-9.]*\).*/\1/p')
corpus_json="{\"mix_mbps\":${cmix:-0},\"corpora_mbps\":${cfz:-0},\"ratio\":${crat:-0}}"
msgs=$(sed -n 's/.*"messages":\([0-9]*\).*/\1/p' "$dir/stats.json")
body=$(sed -n 's/.*"body_bytes":\([0-9]*\).*/\1/p' "$dir/stats.json")
cat > "$dir/results.json" <<JSON
{"capture_bytes":$bytes,"messages":$msgs,"body_bytes":$body,"decrypt_j1":$e2e1,"decrypt_j2":$e2e2,"decrypt_nobodies":$e2e3,"scan_j1":$scan1,"scan_j2":$scan2,"audit_j1":$audit1,"report_html":$html1,"html_bytes":$html_bytes,"report_db":$db1,"db_bytes":$db_bytes,"heavy":$heavy_json,"stages":$stages,"tshark":$tshark_json,"decode_corpus":$corpus_json}
JSON
cat "$dir/results.json"
sh bench/table.sh "$dir/results.json"
