#!/bin/sh
# fuzz-campaign.sh [HARNESS...] - a libFuzzer campaign over the harnesses of
# fuzz/ (`make fuzz-campaign`; docs/FUZZING.md).
#
# Builds them (`make fuzz`, skipped with NOBUILD=1), then runs each harness
# (default: every fuzz/fuzz_*.c) for SECONDS seconds (default 600), or for
# RUNS inputs when RUNS is given (then SECONDS only if given too), JOBS
# harnesses at a time (default 1). Each run reads a fresh corpus directory
# first (libFuzzer writes the new inputs it finds there) and
# fuzz/corpus/<harness> second (read only: never written), with
# -print_final_stats=1; its crashes, timeouts and out-of-memory inputs land
# in build/fuzz-campaign/<harness>/artifacts/, its log in .../log.txt.
# TIMEOUT (s, default 10) and RSS_MB (default 2048) are libFuzzer's
# -timeout and -rss_limit_mb.
#
# Writes build/fuzz-campaign/results.json (one object per harness:
# executions, exec/s, cov, ft, corpus entries, new inputs, crashes,
# timeouts, OOMs, artifacts) and results.md (a Markdown table for
# docs/FUZZING.md). Exit 1 when a harness found something or did not run.
set -u
cd "$(dirname "$0")/.." || exit 2
here=$(pwd)
top=build/fuzz-campaign

# One harness (called by the pool below): run it, write $dir/result.
if [ "${1:-}" = "--one" ]; then
	h=$2
	dir=$top/$h
	rm -rf "$dir"
	mkdir -p "$dir/new" "$dir/artifacts"
	set -- -print_final_stats=1 -timeout="${TIMEOUT:-10}" -rss_limit_mb="${RSS_MB:-2048}" \
		-close_fd_mask=1 -artifact_prefix="$dir/artifacts/"
	if [ -n "${RUNS:-}" ]; then
		set -- "$@" -runs="$RUNS"
		[ -n "${SECONDS_SET:-}" ] && set -- "$@" -max_total_time="$SECS"
	else
		set -- "$@" -max_total_time="$SECS"
	fi
	seeds=fuzz/corpus/$h
	[ -d "$seeds" ] || seeds=
	t0=$(date +%s)
	# shellcheck disable=SC2086
	build/fuzz/$h "$@" "$dir/new" $seeds > "$dir/log.txt" 2>&1
	rc=$?
	t1=$(date +%s)
	log=$dir/log.txt
	final() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
	execs=$(final number_of_executed_units); eps=$(final average_exec_per_sec)
	last=$(grep -E '(cov|ft): [0-9]+' "$log" | tail -n 1)
	cov=$(printf '%s' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s' "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s' "$last" | sed -n 's/.*corp: \([0-9]*\).*/\1/p')
	new=$(find "$dir/new" -type f | wc -l | tr -d ' ')
	count() { find "$dir/artifacts" -type f -name "$1-*" | wc -l | tr -d ' '; }
	crashes=$(($(count crash) + $(count leak))); timeouts=$(count timeout); ooms=$(count oom)
	arts=$(find "$dir/artifacts" -type f | sort | sed 's/.*/"&"/' | paste -sd, -)
	# libFuzzer exits 0 after its time or runs; anything else without an
	# artifact (a harness that did not start) is an error of the run.
	commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	[ -n "$(git status --porcelain -- src include fuzz 2>/dev/null)" ] && commit="$commit+dirty"
	when=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	status=ok
	[ "$rc" -ne 0 ] && status=found
	[ "$rc" -ne 0 ] && [ -z "$arts" ] && status="error (exit $rc, see $log)"
	[ -x "build/fuzz/$h" ] || status="error (no build/fuzz/$h)"
	printf '{"harness": "%s", "commit": "%s", "date": "%s", "status": "%s", "seconds": %s, "executions": %s, "exec_per_sec": %s, "cov": %s, "ft": %s, "corpus": %s, "new_inputs": %s, "crashes": %s, "timeouts": %s, "ooms": %s, "artifacts": [%s], "log": "%s"}\n' \
		"$h" "$commit" "$when" "$status" $((t1 - t0)) "${execs:-0}" "${eps:-0}" "${cov:-0}" "${ft:-0}" "${corp:-0}" "$new" \
		"$crashes" "$timeouts" "$ooms" "$arts" "$log" > "$dir/result"
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s (+%s) | %s | %s | %s |\n' "$h" "$commit" "$status" $((t1 - t0)) "${execs:-0}" \
		"${eps:-0}" "${cov:-0}" "${ft:-0}" "${corp:-0}" "$new" "$crashes" "$timeouts" "$ooms" > "$dir/row"
	printf 'fuzz-campaign: %-18s %s: %s runs, %s exec/s, cov %s, ft %s, corpus %s (+%s), %s crashes, %s timeouts, %s OOMs\n' \
		"$h" "$status" "${execs:-0}" "${eps:-0}" "${cov:-0}" "${ft:-0}" "${corp:-0}" "$new" "$crashes" "$timeouts" "$ooms"
	exit 0
fi

# SECONDS is the documented knob (make fuzz-campaign SECONDS=N); run with
# sh, where it is a plain variable (bash would count it up).
# shellcheck disable=SC3028
SECONDS_SET=${SECONDS:+1}
# shellcheck disable=SC3028
SECS=${SECONDS:-600}
case $SECS in *[!0-9]*|'') echo "fuzz-campaign: SECONDS must be a number" >&2; exit 2 ;; esac
case ${RUNS:-0} in *[!0-9]*) echo "fuzz-campaign: RUNS must be a number" >&2; exit 2 ;; esac
export SECS SECONDS_SET RUNS TIMEOUT RSS_MB
if [ $# -gt 0 ]; then harnesses="$*"; else
	harnesses=$(for f in fuzz/fuzz_*.c; do basename "$f" .c; done)
fi
for h in $harnesses; do
	[ -f "fuzz/$h.c" ] || { echo "fuzz-campaign: no harness fuzz/$h.c" >&2; exit 2; }
done
if [ "${NOBUILD:-0}" != 1 ]; then
	make --no-print-directory fuzz > "$here/build/fuzz-build.log" 2>&1 ||
		{ tail -n 20 build/fuzz-build.log; echo "fuzz-campaign: make fuzz failed" >&2; exit 2; }
fi
mkdir -p "$top"
if [ -n "${RUNS:-}" ]; then limit="$RUNS runs${SECONDS_SET:+ or $SECS s}"; else limit="$SECS s"; fi
echo "fuzz-campaign: $(echo $harnesses | wc -w) harnesses, $limit each, ${JOBS:-1} at a time"
start=$(date +%s)
printf '%s\n' $harnesses | xargs -P "${JOBS:-1}" -I{} sh "$0" --one {}

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
bad=0
# The results cover the harnesses of this run and those of earlier runs
# still in $top (a harness run again after a fix replaces only its own
# result); each row says the commit it ran on.
ran=$harnesses
harnesses=$(for h in $harnesses $(cd "$top" && for r in */result; do [ -f "$r" ] && dirname "$r"; done); do
	[ -f "fuzz/$h.c" ] && echo "$h"; done | sort -u)
{
	printf '{"commit": "%s", "date": "%s", "limit": "%s", "jobs": %s, "harnesses": [\n' "$commit" "$date" "$limit" "${JOBS:-1}"
	sep=""
	for h in $harnesses; do
		if [ -f "$top/$h/result" ]; then printf '%s  %s' "$sep" "$(cat "$top/$h/result")"; else
			printf '%s  {"harness": "%s", "status": "error (no result)"}' "$sep" "$h"; fi
		sep=",
"
	done
	printf '\n]}\n'
} > "$top/results.json"
{
	other=$(($(echo $harnesses | wc -w) - $(echo $ran | wc -w)))
	echo "Campaign of $date at commit $commit: $limit each, ${JOBS:-1} at a time ($(nproc) CPUs)$(
		[ $other -gt 0 ] && echo "; $other rows from earlier runs (their commit in the row)")."
	echo
	echo "| harness | commit | status | seconds | executions | exec/s | cov | ft | corpus (new) | crashes | timeouts | OOMs |"
	echo "|---------|--------|--------|--------:|-----------:|-------:|----:|---:|-------------:|--------:|---------:|-----:|"
	for h in $harnesses; do
		r=$top/$h/result
		if [ -f "$top/$h/row" ]; then cat "$top/$h/row"; else echo "| $h | | no result | | | | | | | | | |"; bad=1; continue; fi
		grep -q '"status": "ok"' "$r" || bad=1
	done
} > "$top/results.md"
cat "$top/results.md"
echo
echo "fuzz-campaign: results in $top/results.json and $top/results.md ($(($(date +%s) - start)) s)"
[ $bad -eq 0 ] || echo "fuzz-campaign: findings or errors: see the artifacts above and docs/FUZZING.md"
exit $bad
