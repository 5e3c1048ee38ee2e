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
pg="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
db="${BENCH_DB:-safecert_bench}"
out="${BENCH_OUT:-/tmp/safecert-bench}"
mkdir -p "$out"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }
[ "$(ulimit -n)" -ge 4096 ] || ulimit -n 65535 2>/dev/null || true
# A server left running on a port would answer in place of the one measured.
for port in 8090 8091 8092; do
    if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        echo "port $port is in use: stop what listens there (e.g. a safecert serve) first"
        exit 1
    fi
done

cargo build --release --locked -q -p safecert -p safecert-bench
bin=target/release

export SAFECERT_DATABASE_URL="$pg/$db"
export SAFECERT_KEY_FILE="$out/field-keys"
# shellcheck source=apps/bench/redis.sh
source apps/bench/redis.sh
use_redis
export SAFECERT_LOG="${SAFECERT_LOG:-warn}"
[ -f "$SAFECERT_KEY_FILE" ] || printf 'key_id = 1\nsm4 = %s\nblind_index = %s\n' "$(openssl rand -hex 16)" "$(openssl rand -hex 32)" > "$SAFECERT_KEY_FILE"

# shellcheck source=apps/bench/machine.sh
source apps/bench/machine.sh
summary="$out/summary.md"
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }

note "# SafeCert benchmark $(date -u +%Y-%m-%dT%H:%MZ)"
note ""
note "machine: $(machine); wrk on the same machine"
note ""

: > "$out/serve.log"

if [ "${BENCH_KEEP_DB:-0}" != 1 ]; then
    psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    "$bin/safecert" migrate > /dev/null
    start=$(date +%s.%N)
    "$bin/safecert" seed --certs-per-tenant "$per_tenant" --seed 1 --export "$out/certs.csv"
    end=$(date +%s.%N)
    note "seed: $(wc -l < "$out/certs.csv" | awk '{print $1-1}') certificates into PostgreSQL in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s"
    psql "$pg/$db" -qc "VACUUM ANALYZE" >/dev/null
fi
python3 apps/bench/make-paths.py "$out/certs.csv" "$out" "${BENCH_HOT:-20000}"
note ""

pid=""
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=""; }
trap stop EXIT

wait_port() {
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$1/$2" && return 0
        sleep 0.2
    done
    echo "nothing answers on port $1"; exit 1
}

rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
hwm_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

# Tenant lookups answer signed-in callers: a platform administrator's
# session (made once, kept in the database across restarts).
token=""
operator_password="Bench-Operator-2026!"

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

BENCH_LISTEN=127.0.0.1:8090 "$bin/baseline-hello" & pid=$!
wait_port 8090 ""
run hello-world 64 http://127.0.0.1:8090/
run hello-world 1000 http://127.0.0.1:8090/
stop

# Cold rows follow a short warm-up on numbers they never ask (the tail of
# the shuffled file): connections open and statements are prepared, for
# the baseline as for the service, before anything is measured.
warm() { duration=3s run warm-up 64 "$1" "$2" sequential; }

BENCH_LISTEN=127.0.0.1:8091 "$bin/baseline-sqlx" & pid=$!
wait_port 8091 "api/v1/t/gd/certificates/x"
warm http://127.0.0.1:8091 "$out/lookup-warm.txt"
run bare-sqlx-lookup 64 http://127.0.0.1:8091 "$out/lookup-all.txt" sequential
run bare-sqlx-lookup 1000 http://127.0.0.1:8091 "$out/lookup-all.txt" sequential
stop

serve() {
    forget_cached
    SAFECERT_LISTEN=127.0.0.1:8092 SAFECERT_VERIFY_RATE_PER_MINUTE=100000000 SAFECERT_VERIFY_BURST=100000000 \
        "$bin/safecert" serve >> "$out/serve.log" 2>&1 & pid=$!
    wait_port 8092 healthz
    if [ -z "$token" ]; then
        local login="bench.op.$(date +%s)" secret
        secret=$(echo "$operator_password" | "$bin/safecert" accounts create-admin --login "$login" | awk '/authenticator key/ {print $NF}')
        token=$(python3 apps/bench/sign_in.py http://127.0.0.1:8092 "$login" "$operator_password" "$secret")
    fi
}

serve
sleep 2
idle=$(rss_mb "$pid")
warm http://127.0.0.1:8092 "$out/lookup-warm.txt"
run lookup-cold 64 http://127.0.0.1:8092 "$out/lookup-all.txt" sequential
stop
serve
warm http://127.0.0.1:8092 "$out/verify-warm.txt"
run verify-cold 64 http://127.0.0.1:8092 "$out/verify-all.txt" sequential
run lookup-cold 1000 http://127.0.0.1:8092 "$out/lookup-all.txt" sequential
stop

serve
# Warm the caches with every hot number, in order, before measuring.
duration=20s run warm-up 64 http://127.0.0.1:8092 "$out/lookup-hot.txt" sequential
duration=20s run warm-up 64 http://127.0.0.1:8092 "$out/verify-hot.txt" sequential
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
BENCH_LISTEN=127.0.0.1:8090 "$bin/baseline-hello" & pid=$!
wait_port 8090 ""
run hello-world-lookup-requests 64 http://127.0.0.1:8090 "$out/lookup-hot.txt"
run hello-world-lookup-requests 1000 http://127.0.0.1:8090 "$out/lookup-hot.txt"
run hello-world-verify-requests 64 http://127.0.0.1:8090 "$out/verify-hot.txt"
stop
note ""
note "service resident memory: idle with $("$bin/safecert" tenants list 2>/dev/null | tail -n +2 | wc -l) tenants ${idle} MB; peak over the runs ${peak} MB"
note "cache: $cache"
# Warnings the service logged during the runs (Redis rested, the query log
# behind), by message: a stall in a run shows up here.
note "service warnings and errors: $(grep -cE '"level":"(WARN|ERROR)"' "$out/serve.log" || true)"
grep -E '"level":"(WARN|ERROR)"' "$out/serve.log" | sed 's/.*"message":"\([^"]*\)".*/\1/' | sort | uniq -c | sed 's/^/    /' | tee -a "$summary" || true
echo "results in $out (summary.md and one wrk log per run)"
