#!/usr/bin/env bash
# The search benchmark of docs/PERFORMANCE.md: on PostgreSQL with
# 1,000,000 certificates, fuzzy name searches (one character wrong,
# missing or extra) and autocomplete, as a signed-in platform operator,
# beside exact lookups by number in the same run (the baseline).
#
#   bash apps/bench/search.sh [certs-per-tenant]   (default 31250 × 32 = 1,000,000)
#
# Needs PostgreSQL on 127.0.0.1:5432, wrk and python3. BENCH_KEEP_DB=1 reuses
# the seeded database of an earlier run.
set -euo pipefail
cd "$(dirname "$0")/../.."

per_tenant="${1:-31250}"
duration="${BENCH_DURATION:-20s}"
conns="${BENCH_CONNECTIONS:-8}"
db="${BENCH_DB:-safecert_bench_search}"
out="${BENCH_OUT:-/tmp/safecert-bench-search}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }
source apps/bench/lib.sh

note "# SafeCert search benchmark $(date -u +%Y-%m-%dT%H:%MZ)"
note ""
note "machine: $(machine); wrk on the same machine, $conns connections, $duration per run"
note ""
seed_database
python3 apps/bench/make-search-paths.py "$out/certs.csv" "$out"

serve 8093
token=$(operator_token 8093)

note "| run | requests/s | p50 ms | p95 ms | p99 ms | errors + non-2xx |"
note "|---|---|---|---|---|---|"
run() {
    local name="$1" paths="$2" log="$out/log-$1.txt"
    wrk -t2 -c"$conns" -d"$duration" --latency -H "Authorization: Bearer $token" \
        -s apps/bench/random-paths.lua http://127.0.0.1:8093 -- "$paths" > "$log"
    local rps errors non2xx p50 p95 p99
    rps=$(awk '/Requests\/sec/ {print $2}' "$log")
    read -r p50 p95 p99 < <(awk '/^percentiles-ms/ {print $3, $5, $7}' "$log")
    errors=$(awk '/Socket errors/ {gsub(",",""); print $4+$6+$8+$10}' "$log")
    non2xx=$(awk '/Non-2xx/ {print $5}' "$log")
    note "| $name | $rps | $p50 | $p95 | $p99 | $(( ${errors:-0} + ${non2xx:-0} )) |"
}
# Once through, untimed, so every run starts from the same warm database.
duration=10s run warm-up "$out/search-fuzzy.txt" > /dev/null
run lookup-by-number "$out/lookup-baseline.txt"
run search-fuzzy-name "$out/search-fuzzy.txt"
run autocomplete "$out/autocomplete.txt"
run lookup-by-number "$out/lookup-baseline.txt"
run search-fuzzy-name "$out/search-fuzzy.txt"
run autocomplete "$out/autocomplete.txt"
note ""
note "service resident memory after the runs: $(awk '/VmHWM/ {printf "%.0f MB peak", $2/1024}' /proc/$pid/status)"
