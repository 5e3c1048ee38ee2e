#!/usr/bin/env bash
# Where the two cores go, per request: CPU time of the server, of wrk, of
# PostgreSQL and of Redis (from /proc, before and after each wrk run),
# divided by the requests served. On a machine where wrk shares the cores,
# this shows what each side costs, which requests/s alone cannot.
#
#   bash apps/bench/cpu-split.sh
#
# Runs on the database and path files apps/bench/run.sh left (run that
# first); hot and cold numbers, 64 connections, BENCH_DURATION each
# (default 10s).
set -euo pipefail
cd "$(dirname "$0")/../.."
per_tenant=0
db="${BENCH_DB:-safecert_bench}"
out="${BENCH_OUT:-/tmp/safecert-bench}"
summary="$out/cpu-split.md"
duration="${BENCH_DURATION:-10s}"
# shellcheck source=apps/bench/lib.sh
source apps/bench/lib.sh
cargo build --release --locked -q -p safecert-bench
use_redis
[ -f "$out/lookup-warm.txt" ] || { echo "run apps/bench/run.sh first"; exit 1; }

note "# CPU per request, $(date -u +%Y-%m-%dT%H:%MZ), $(machine), wrk on the same machine"
note ""
split_header

script=(-s apps/bench/random-paths.lua)
serve_hello 8090
split hello-world "$pid" http://127.0.0.1:8090/
# The lookups' own requests: their paths, their script, a session header
# as long as a real one.
split hello-world-lookup-requests "$pid" "${stand_in_session[@]}" "${script[@]}" http://127.0.0.1:8090 -- "$out/lookup-hot.txt"
stop

# Cold: every number asked once (the shuffled file of all certificates,
# in order), beside the bare sqlx lookup asked the same numbers.
serve_bare 8091
# Before each cold row, a warm-up on numbers it never asks (run.sh).
warm() { wrk -t2 -c64 -d3s "$@" > /dev/null; }
warm "${script[@]}" http://127.0.0.1:8091 -- "$out/lookup-warm.txt" sequential
split bare-sqlx-lookup-cold "$pid" "${script[@]}" http://127.0.0.1:8091 -- "$out/lookup-all.txt" sequential
stop

serve 8092
token=$(operator_token 8092)
auth=(-H "Authorization: Bearer $token")
wrk -t2 -c64 -d20s "${auth[@]}" "${script[@]}" http://127.0.0.1:8092 -- "$out/lookup-hot.txt" sequential > /dev/null
wrk -t2 -c64 -d10s "${script[@]}" http://127.0.0.1:8092 -- "$out/verify-hot.txt" sequential > /dev/null
sleep 2
split lookup-hot "$pid" "${auth[@]}" "${script[@]}" http://127.0.0.1:8092 -- "$out/lookup-hot.txt"
split verify-hot "$pid" "${script[@]}" http://127.0.0.1:8092 -- "$out/verify-hot.txt"
split lookup-hot "$pid" "${auth[@]}" "${script[@]}" http://127.0.0.1:8092 -- "$out/lookup-hot.txt"

# The service again, its caches empty: the in-process one by a restart,
# Redis by deleting the run's keys.
restart() {
    stop
    forget_cached
    serve 8092
}
restart
warm "${auth[@]}" "${script[@]}" http://127.0.0.1:8092 -- "$out/lookup-warm.txt" sequential
split lookup-cold "$pid" "${auth[@]}" "${script[@]}" http://127.0.0.1:8092 -- "$out/lookup-all.txt" sequential
restart
warm "${script[@]}" http://127.0.0.1:8092 -- "$out/verify-warm.txt" sequential
split verify-cold "$pid" "${script[@]}" http://127.0.0.1:8092 -- "$out/verify-all.txt" sequential
echo "results in $summary"
