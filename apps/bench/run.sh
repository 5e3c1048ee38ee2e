#!/usr/bin/env bash
# The HTTP benchmark of docs/PERFORMANCE.md: seeds PostgreSQL with
# 1,000,000 certificates, then runs wrk against the service (PostgreSQL +
# Redis) beside an actix-web hello-world and a bare sqlx point lookup,
# built the same way (release) and run in the same session.
#
#   bash apps/bench/run.sh [certs-per-tenant]      (default 31250 × 32 = 1,000,000)
#
# Needs PostgreSQL on 127.0.0.1:5432, Redis on :6379, wrk and python3.
# Set BENCH_KEEP_DB=1 to reuse an already seeded database (skips seeding).
set -euo pipefail
cd "$(dirname "$0")/../.."

per_tenant="${1:-31250}"
duration="${BENCH_DURATION:-15s}"
db="${BENCH_DB:-safecert_bench}"
out="${BENCH_OUT:-/tmp/safecert-bench}"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }
[ "$(ulimit -n)" -ge 4096 ] || ulimit -n 65535 2>/dev/null || true
# A server left running on a port would answer in place of the one measured.
for port in 8090 8091 8092; do
    if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "port $port is in use: stop what listens there (e.g. a safecert serve) first"
        exit 1
    fi
done

summary="$out/summary.md"
# shellcheck source=apps/bench/lib.sh
source apps/bench/lib.sh
cargo build --release --locked -q -p safecert-bench
use_redis

note "# SafeCert benchmark $(date -u +%Y-%m-%dT%H:%MZ)"
note ""
note "machine: $(machine); wrk on the same machine"
note ""

seed_database
python3 apps/bench/make-paths.py "$out/certs.csv" "$out" "${BENCH_HOT:-20000}"
note ""

rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
hwm_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

# Tenant lookups answer signed-in callers: a platform administrator's
# session (made once, kept in the database across restarts).
token=""

# run NAME CONNECTIONS URL [PATHS [sequential]]
run() {
    local name="$1" conns="$2" url="$3" paths="${4:-}" order="${5:-random}"
    local threads=2 log="$out/$name-c$conns.txt"
    local auth=(-H "Authorization: Bearer ${token:-none}")
    echo "-- run $name, $conns connections, $(date -u +%T)" >> "$out/serve.log"
    if [ -n "$paths" ]; then
        wrk -t"$threads" -c"$conns" -d"$duration" --latency "${auth[@]}" -s apps/bench/random-paths.lua "$url" -- "$paths" "$order" > "$log"
    else
        wrk -t"$threads" -c"$conns" -d"$duration" --latency "${auth[@]}" "$url" > "$log"
    fi
    local rps p50 p99 errors non2xx
    rps=$(awk '/Requests\/sec/ {print $2}' "$log")
    p50=$(awk '$1=="50%" {print $2}' "$log")
    p99=$(awk '$1=="99%" {print $2}' "$log")
    errors=$(awk '/Socket errors/ {gsub(",",""); print $4+$6+$8+$10}' "$log")
    non2xx=$(awk '/Non-2xx/ {print $5}' "$log")
    printf '| %s | %s | %s | %s | %s | %s |\n' "$name" "$conns" "$rps" "$p50" "$p99" "$(( ${errors:-0} + ${non2xx:-0} ))" | tee -a "$summary"
}

note "| run | connections | requests/s | p50 | p99 | errors + non-2xx |"
note "|---|---|---|---|---|---|"

serve_hello 8090
run hello-world 64 http://127.0.0.1:8090/
run hello-world 1000 http://127.0.0.1:8090/
stop

# Cold rows follow a short warm-up on numbers they never ask (the tail of
# the shuffled file): connections open and statements are prepared, for
# the baseline as for the service, before anything is measured.
warm() { duration=3s run warm-up 64 "$1" "$2" sequential; }

serve_bare 8091
warm http://127.0.0.1:8091 "$out/lookup-warm.txt"
run bare-sqlx-lookup 64 http://127.0.0.1:8091 "$out/lookup-all.txt" sequential
run bare-sqlx-lookup 1000 http://127.0.0.1:8091 "$out/lookup-all.txt" sequential
stop

# The service on 8092, nothing of an earlier run cached in Redis.
serve_fresh() {
    forget_cached
    serve 8092
    [ -n "$token" ] || token=$(operator_token 8092)
}

serve_fresh
sleep 2
idle=$(rss_mb "$pid")
warm http://127.0.0.1:8092 "$out/lookup-warm.txt"
run lookup-cold 64 http://127.0.0.1:8092 "$out/lookup-all.txt" sequential
stop
serve_fresh
warm http://127.0.0.1:8092 "$out/verify-warm.txt"
run verify-cold 64 http://127.0.0.1:8092 "$out/verify-all.txt" sequential
run lookup-cold 1000 http://127.0.0.1:8092 "$out/lookup-all.txt" sequential
stop

serve_fresh
# Warm the caches with every hot number, in order, before measuring.
duration=20s run warm-up 64 http://127.0.0.1:8092 "$out/lookup-hot.txt" sequential
duration=20s run warm-up 64 http://127.0.0.1:8092 "$out/verify-hot.txt" sequential
settle 8092 -H "Authorization: Bearer $token" -s apps/bench/random-paths.lua http://127.0.0.1:8092 -- "$out/lookup-hot.txt" sequential
settle 8092 -s apps/bench/random-paths.lua http://127.0.0.1:8092 -- "$out/verify-hot.txt" sequential
run lookup-hot 64 http://127.0.0.1:8092 "$out/lookup-hot.txt"
run verify-hot 64 http://127.0.0.1:8092 "$out/verify-hot.txt"
run lookup-hot 1000 http://127.0.0.1:8092 "$out/lookup-hot.txt"
run verify-hot 1000 http://127.0.0.1:8092 "$out/verify-hot.txt"
peak=$(hwm_mb "$pid")
cache=$(curl -s http://127.0.0.1:8092/metrics | awk '/^safecert_cache_lookups_total/ {printf "%s=%s ", $1, $2}')
stop

# wrk shares the 2 cores, so what the client spends per request counts
# against every figure: the same hello-world, sent the lookups' own
# requests (script, paths and session header), shows the ceiling with the
# client's share held equal.
serve_hello 8090
run hello-world-lookup-requests 64 http://127.0.0.1:8090 "$out/lookup-hot.txt"
run hello-world-lookup-requests 1000 http://127.0.0.1:8090 "$out/lookup-hot.txt"
run hello-world-verify-requests 64 http://127.0.0.1:8090 "$out/verify-hot.txt"
stop
# The ratios the issue's targets are stated in, from the rows above.
rps_of() { awk '/Requests\/sec/ {print $2}' "$out/$1-c$2.txt"; }
ratio() { awk -v a="$(rps_of "$1" "$2")" -v b="$(rps_of "$3" "$4")" 'BEGIN {printf "%.2f", a / b}'; }
note ""
note "| ratio (target) | 64 connections | 1000 connections |"
note "|---|---|---|"
note "| hot tenant lookup, of the hello-world sent its requests (≥ 0.60) | $(ratio lookup-hot 64 hello-world-lookup-requests 64) | $(ratio lookup-hot 1000 hello-world-lookup-requests 1000) |"
note "| hot public verify, of the hello-world sent its requests (≥ 0.60) | $(ratio verify-hot 64 hello-world-verify-requests 64) | |"
note "| cold tenant lookup, of the bare sqlx lookup (≥ 1.00) | $(ratio lookup-cold 64 bare-sqlx-lookup 64) | $(ratio lookup-cold 1000 bare-sqlx-lookup 1000) |"
note "| cold public verify, of the bare sqlx lookup (≥ 1.00) | $(ratio verify-cold 64 bare-sqlx-lookup 64) | |"
note ""
note "service resident memory: idle with $("$bin/safecert" tenants list 2>/dev/null | tail -n +2 | wc -l) tenants ${idle} MB; peak over the runs ${peak} MB"
note "cache: $cache"
# Warnings the service logged during the runs (Redis rested, the query log
# behind), by message: a stall in a run shows up here.
note "service warnings and errors: $(grep -cE '"level":"(WARN|ERROR)"' "$out/serve.log" || true)"
grep -E '"level":"(WARN|ERROR)"' "$out/serve.log" | sed 's/.*"message":"\([^"]*\)".*/\1/' | sort | uniq -c | sed 's/^/    /' | tee -a "$summary" || true
echo "results in $out (summary.md and one wrk log per run)"
