#!/usr/bin/env bash
# The service's resident memory while numbers nobody asked before are
# looked up without a pause, as a crawler checking every certificate
# would: every lookup misses, and each cache and remembered answer fills
# up to its bound. run.sh's runs last seconds and stop before that.
#
#   bash apps/bench/scan-memory.sh [BINARY ...]
#
# Runs on the database and path files apps/bench/run.sh left (run that
# first), on PostgreSQL + Redis, each build in turn for BENCH_DURATION
# (120s) at BENCH_CONNECTIONS (64) connections of signed-in tenant
# lookups; the resident memory is read every 10 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
per_tenant=0
db="${BENCH_DB:-safecert_bench}"
out="${BENCH_OUT:-/tmp/safecert-bench}"
summary="$out/scan-memory.md"
duration="${BENCH_DURATION:-120s}"
connections="${BENCH_CONNECTIONS:-64}"
# shellcheck source=apps/bench/lib.sh
source apps/bench/lib.sh
use_redis
[ -f "$out/lookup-all.txt" ] || { echo "run apps/bench/run.sh first (no $out/lookup-all.txt)"; exit 1; }
[ $# -ge 1 ] || set -- "$bin/safecert"

note "# Resident memory over a scan, $connections connections, $duration, $(date -u +%Y-%m-%dT%H:%MZ), $(machine)"
note ""
token=""
for build in "$@"; do
    forget_cached
    serve 8092 "$build"
    [ -n "$token" ] || token=$(operator_token 8092)
    samples="$out/scan-memory-rss.txt"
    (while sleep 10; do awk '/VmRSS/ {printf "%.0f ", $2/1024}' "/proc/$pid/status" 2>/dev/null || exit 0; done) > "$samples" &
    sampler=$!
    wrk -t2 -c"$connections" -d"$duration" --latency -H "Authorization: Bearer $token" \
        -s apps/bench/random-paths.lua http://127.0.0.1:8092 -- "$out/lookup-all.txt" sequential > "$out/scan-memory-wrk.txt"
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    note "- $build: $(awk '/Requests\/sec/ {print $2}' "$out/scan-memory-wrk.txt") requests/s, p99 $(awk '$1 == "99%" {print $2}' "$out/scan-memory-wrk.txt"); MB every 10 s: $(cat "$samples"); peak $(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status") MB"
    stop
done
echo "results in $summary"
