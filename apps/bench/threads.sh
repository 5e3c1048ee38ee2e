#!/usr/bin/env bash
# Which of the service's threads a cache miss wakes: CPU time and
# voluntary context switches of each thread (from /proc/PID/task, before
# and after) over one cold run of tenant lookups, 64 connections,
# BENCH_DURATION (10s). A thread of the main runtime that switches about
# once per request is handing each request's reads over to a worker.
#
#   bash apps/bench/threads.sh [BINARY]
#
# Runs on the database and path files apps/bench/run.sh left (run that
# first), on PostgreSQL + Redis, with BINARY (the release build by
# default), its caches empty as in run.sh's cold rows.
set -euo pipefail
cd "$(dirname "$0")/../.."
per_tenant=0
db="${BENCH_DB:-safecert_bench}"
out="${BENCH_OUT:-/tmp/safecert-bench}"
summary="$out/threads.md"
duration="${BENCH_DURATION:-10s}"
# shellcheck source=apps/bench/lib.sh
source apps/bench/lib.sh
use_redis
[ -f "$out/lookup-all.txt" ] || { echo "run apps/bench/run.sh first"; exit 1; }
binary="${1:-$bin/safecert}"

note "# Threads of the service over a cold run, $(date -u +%Y-%m-%dT%H:%MZ), $(machine), $binary"
note ""
forget_cached
serve 8094 "$binary"
token=$(operator_token 8094)
lookups=(-H "Authorization: Bearer $token" -s apps/bench/random-paths.lua http://127.0.0.1:8094 --)
wrk -t2 -c64 -d3s "${lookups[@]}" "$out/lookup-warm.txt" sequential > /dev/null

# Each thread: id, name, CPU ticks, voluntary and involuntary switches.
threads() {
    local task
    for task in /proc/"$pid"/task/*; do
        printf '%s %s %s %s %s\n' "${task##*/}" "$(tr ' ' _ < "$task/comm")" \
            "$(awk '{print $14 + $15}' "$task/stat")" \
            "$(awk '/^voluntary_ctxt_switches/ {print $2}' "$task/status")" \
            "$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$task/status")"
    done | sort
}
threads > "$out/threads-before"
wrk -t2 -c64 -d"$duration" "${lookups[@]}" "$out/lookup-all.txt" sequential > "$out/threads-wrk.txt"
threads > "$out/threads-after"
requests=$(awk '/requests in/ {print $1}' "$out/threads-wrk.txt")
note "requests: $requests"
note ""
note "| thread | CPU s | voluntary switches | per request | involuntary switches |"
note "|---|---|---|---|---|"
join "$out/threads-before" "$out/threads-after" | awk -v hz="$(getconf CLK_TCK)" -v n="$requests" \
    '$7 > $3 || $8 > $4 { printf "| %s (%s) | %.2f | %d | %.2f | %d |\n", $2, $1, ($7 - $3) / hz, $8 - $4, ($8 - $4) / n, $9 - $5 }' \
    | tee -a "$summary"
echo "results in $summary"
