# Shared set-up of the benchmark scripts (sourced, not run): a release
# build, field keys, a PostgreSQL database seeded with certificates (kept
# with BENCH_KEEP_DB=1), the service on a port, a signed-in operator.
#
# Before sourcing, set: per_tenant, db, out (and summary, to write
# elsewhere than out/summary.md). After it: bin, pg, summary,
# note, and the functions below.

pg="${BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
# Connection options for the service and the bare lookup alike, e.g.
# BENCH_PG_OPTIONS=sslmode=disable (no TLS on loopback) or
# BENCH_PG_OPTIONS=host=/var/run/postgresql (the Unix socket). Unset, a
# plain URL: TLS whenever the server offers it.
pg_options="${BENCH_PG_OPTIONS:+?$BENCH_PG_OPTIONS}"
mkdir -p "$out"
# BENCH_WRK_BATCH=1 runs wrk as a batch task (SCHED_BATCH), whose
# wake-ups do not preempt the server it shares the cores with: what the
# client's own scheduling costs the server (the seventh 2026-12-07 section
# of docs/PERFORMANCE.md). The targets are judged without it.
if [ "${BENCH_WRK_BATCH:-0}" = 1 ]; then
    real_wrk=$(command -v wrk) || { echo "BENCH_WRK_BATCH=1 needs wrk (apt-get install wrk)"; exit 1; }
    mkdir -p "$out/batch-wrk"
    printf '#!/bin/sh\nexec chrt -b 0 %s "$@"\n' "$real_wrk" > "$out/batch-wrk/wrk"
    chmod +x "$out/batch-wrk/wrk"
    PATH="$out/batch-wrk:$PATH"
    wrk_scheduling="wrk as a batch task (SCHED_BATCH)"
fi
cargo build --release --locked -q -p safecert
bin=target/release
export SAFECERT_DATABASE_URL="$pg/$db$pg_options"
export SAFECERT_KEY_FILE="$out/field-keys"
export SAFECERT_LOG="${SAFECERT_LOG:-warn}"
unset SAFECERT_REDIS_URL
[ -f "$SAFECERT_KEY_FILE" ] || printf 'key_id = 1\nsm4 = %s\nblind_index = %s\n' "$(openssl rand -hex 16)" "$(openssl rand -hex 32)" > "$SAFECERT_KEY_FILE"

summary="${summary:-$out/summary.md}"
: > "$summary"
: > "$out/serve.log"
note() { echo "$*" | tee -a "$summary"; }

# shellcheck source=apps/bench/machine.sh
source "$(dirname "${BASH_SOURCE[0]}")/machine.sh"
# shellcheck source=apps/bench/redis.sh
source "$(dirname "${BASH_SOURCE[0]}")/redis.sh"
# shellcheck source=apps/bench/wait.sh
source "$(dirname "${BASH_SOURCE[0]}")/wait.sh"

# A fresh database with the certificates, unless BENCH_KEEP_DB=1.
seed_database() {
    [ "${BENCH_KEEP_DB:-0}" = 1 ] && return
    psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    "$bin/safecert" migrate > /dev/null
    local start end
    start=$(date +%s.%N)
    "$bin/safecert" seed --certs-per-tenant "$per_tenant" --seed 1 --export "$out/certs.csv"
    end=$(date +%s.%N)
    note "seed: $(wc -l < "$out/certs.csv" | awk '{print $1-1}') certificates into PostgreSQL in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s (search indexes included)"
    psql "$pg/$db" -qc "VACUUM ANALYZE" > /dev/null
}

# Starts the service on 127.0.0.1:$1 (pid in $pid, stopped on exit); the
# binary $2 if given, else this tree's release build. Its log goes on
# out/serve.log, after what the services before it logged.
serve() {
    SAFECERT_LISTEN="127.0.0.1:$1" SAFECERT_VERIFY_RATE_PER_MINUTE=100000000 SAFECERT_VERIFY_BURST=100000000 \
        "${2:-$bin/safecert}" serve >> "$out/serve.log" 2>&1 &
    started $! "http://127.0.0.1:$1/healthz"
}

# Starts run.sh's bare sqlx lookup on 127.0.0.1:$1 (pid in $pid, stopped
# on exit); it needs `cargo build --release -p safecert-bench`.
serve_bare() {
    BENCH_LISTEN="127.0.0.1:$1" "$bin/baseline-sqlx" > /dev/null 2>&1 &
    started $! "http://127.0.0.1:$1/api/v1/t/gd/certificates/x"
}

# Starts run.sh's hello-world on 127.0.0.1:$1 (pid in $pid, stopped on
# exit); it needs `cargo build --release -p safecert-bench`.
serve_hello() {
    BENCH_LISTEN="127.0.0.1:$1" "$bin/baseline-hello" > /dev/null 2>&1 &
    started $! "http://127.0.0.1:$1/"
}

# A session header as long as a real one, for a server that signs no one
# in (the hello-world sent the lookups' requests).
stand_in_session=(-H "Authorization: Bearer $(printf '%064d' 0)")

# A new platform operator, signed in on 127.0.0.1:$1: its session token.
operator_token() {
    local password="Bench-Operator-2026!" login secret
    login="bench.$(date +%s%N)"
    secret=$(echo "$password" | "$bin/safecert" accounts create-admin --login "$login" | awk '/authenticator key/ {print $NF}')
    python3 apps/bench/sign_in.py "http://127.0.0.1:$1" "$login" "$password" "$secret"
}

# Certificates and directory entries the service on 127.0.0.1:$1 has
# loaded so far, from Redis or the database (its /metrics).
loads() {
    curl -s "http://127.0.0.1:$1/metrics" | awk '/^safecert_cache_lookups_total\{tier="(redis|miss)"\}/ {n += $2} END {print n + 0}'
}

# settle PORT WRK_ARGS...: hot rows measure numbers every worker already
# holds. A warm-up leaves some unasked on one worker or the other (a
# request goes to the worker that accepted its connection), and on a slow
# machine a hundred such first loads inside a measured run, each waiting
# on Redis or PostgreSQL, are enough to put wrk's p99 (which counts a
# stalled request as the requests it held up) in the hundreds of
# milliseconds. So the warm-up's requests are sent again, 3 s at a time,
# until a pass loads nothing (five passes at most).
settle() {
    local port="$1" before after pass
    shift
    for pass in 1 2 3 4 5; do
        before=$(loads "$port")
        wrk -t2 -c64 -d3s "$@" > /dev/null
        after=$(loads "$port")
        [ "$after" = "$before" ] && return
    done
    echo "warm-up: still $((after - before)) loads in the fifth pass" >> "$out/serve.log"
}

# CPU time of a process, in clock ticks, and of every process of a name.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sum_ticks() { local t=0 p; for p in $(pgrep -x "$1"); do t=$((t + $(ticks "$p" 2>/dev/null || echo 0))); done; echo "$t"; }

# The header of split's table.
split_header() {
    note "| run | requests/s | p99 | non-2xx | server µs | wrk µs | PostgreSQL µs | Redis µs |"
    note "|---|---|---|---|---|---|---|---|"
}

# split NAME SERVER_PID WRK_ARGS...: one wrk run (2 threads, $connections
# or 64 connections, $duration) and a row of split's table: what the server, wrk,
# PostgreSQL and Redis spent per request, from /proc before and after.
split() {
    local name="$1" server="$2"
    shift 2
    local s0 p0 r0 log="$out/split-$name.txt"
    s0=$(ticks "$server") p0=$(sum_ticks postgres) r0=$(sum_ticks redis-server)
    /usr/bin/time -f "%U %S" -o "$out/split-wrk-time" wrk -t2 -c"${connections:-64}" -d"$duration" --latency "$@" > "$log"
    local s1 p1 r1
    s1=$(ticks "$server") p1=$(sum_ticks postgres) r1=$(sum_ticks redis-server)
    local hz n
    hz=$(getconf CLK_TCK)
    n=$(awk '/requests in/ {print $1}' "$log")
    awk -v name="$name" -v n="$n" -v hz="$hz" -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v r=$((r1 - r0)) \
        -v rps="$(awk '/Requests\/sec/ {print $2}' "$log")" -v p99="$(awk '$1 == "99%" {print $2}' "$log")" \
        -v bad="$(awk '/Non-2xx/ {print $5}' "$log")" -v w="$(awk '{print $1 + $2}' "$out/split-wrk-time")" \
        'BEGIN { u = 1e6 / n; printf "| %s | %.0f | %s | %d | %.1f | %.1f | %.1f | %.1f |\n", name, rps, p99, bad, s / hz * u, w * u, p / hz * u, r / hz * u }' \
        | tee -a "$summary"
}
