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
pg="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
db="${BENCH_DB:-safecert_bench_search}"
out="${BENCH_OUT:-/tmp/safecert-bench-search}"
mkdir -p "$out"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }

cargo build --release --locked -q -p safecert
bin=target/release
export SAFECERT_DATABASE_URL="$pg/$db"
export SAFECERT_KEY_FILE="$out/field-keys"
export SAFECERT_LOG="${SAFECERT_LOG:-warn}"
unset SAFECERT_REDIS_URL
[ -f "$SAFECERT_KEY_FILE" ] || printf 'key_id = 1\nsm4 = %s\nblind_index = %s\n' "$(openssl rand -hex 16)" "$(openssl rand -hex 32)" > "$SAFECERT_KEY_FILE"

summary="$out/summary.md"
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }
note "# SafeCert search benchmark $(date -u +%Y-%m-%dT%H:%MZ)"
note ""
note "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr); wrk on the same machine, $conns connections, $duration per run"
note ""

if [ "${BENCH_KEEP_DB:-0}" != 1 ]; then
    psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    "$bin/safecert" migrate > /dev/null
    start=$(date +%s.%N)
    "$bin/safecert" seed --certs-per-tenant "$per_tenant" --seed 1 --export "$out/certs.csv"
    end=$(date +%s.%N)
    note "seed: $(wc -l < "$out/certs.csv" | awk '{print $1-1}') certificates in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s (search indexes included)"
    psql "$pg/$db" -qc "VACUUM ANALYZE" > /dev/null
fi
python3 apps/bench/make-search-paths.py "$out/certs.csv" "$out"

SAFECERT_LISTEN=127.0.0.1:8093 SAFECERT_VERIFY_RATE_PER_MINUTE=100000000 SAFECERT_VERIFY_BURST=100000000 \
    "$bin/safecert" serve > "$out/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:8093/healthz && break; sleep 0.2; done
password="Bench-Operator-2026!"
login="bench.search.$(date +%s)"
secret=$(echo "$password" | "$bin/safecert" accounts create-admin --login "$login" | awk '/authenticator key/ {print $NF}')
token=$(python3 apps/bench/sign_in.py http://127.0.0.1:8093 "$login" "$password" "$secret")

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
