#!/usr/bin/env bash
# Two or more builds of the service taking turns on lookups, for a
# change smaller than this machine's drift between runs: each build in
# turn is started, warmed, and measured at BENCH_CONNECTIONS connections
# (64), round after round, so the builds share the machine's mood within
# minutes. One row per build and round: requests/s, p99, and CPU per
# request of the server, wrk, PostgreSQL and Redis (see cpu-split.sh).
#
#   bash apps/bench/alternate.sh BINARY BINARY [...]
#
# Runs on the database and path files apps/bench/run.sh left (run that
# first), on PostgreSQL + Redis. BENCH_ROUNDS rounds (3), BENCH_DURATION
# each (10s), BENCH_ROW `lookup` (signed-in tenant lookups, logged) or
# `verify` (the public verify), warmed with every hot number on every
# worker (`settle` in lib.sh) and asked them at random; or `lookup-cold`
# or `verify-cold`, numbers in no cache as in run.sh (Redis's keys of
# the run deleted, a warm-up on numbers never measured, then the shuffled
# file of all numbers in order, the same numbers for every build).
# Every build runs on the one database, so builds that change its schema
# need it set back between them by hand.
# A build named `bare` is run.sh's bare sqlx lookup (lookup rows only):
# the service and its floor measured in the same minutes. A build named
# `hello` is run.sh's hello-world, sent the same requests (hot rows only):
# the service and its ceiling in the same minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 2 ] || { echo "usage: bash apps/bench/alternate.sh BINARY BINARY [...]"; exit 1; }
per_tenant=0
db="${BENCH_DB:-safecert_bench}"
out="${BENCH_OUT:-/tmp/safecert-bench}"
summary="$out/alternate.md"
duration="${BENCH_DURATION:-10s}"
rounds="${BENCH_ROUNDS:-3}"
row="${BENCH_ROW:-lookup}"
connections="${BENCH_CONNECTIONS:-64}"
# shellcheck source=apps/bench/lib.sh
source apps/bench/lib.sh
use_redis
case "$row" in
    lookup | verify) warm="$out/$row-hot.txt" asked=("$out/$row-hot.txt") warm_for=10s ;;
    lookup-cold | verify-cold) warm="$out/${row%-cold}-warm.txt" asked=("$out/${row%-cold}-all.txt" sequential) warm_for=3s ;;
    *) echo "BENCH_ROW is lookup, verify, lookup-cold or verify-cold"; exit 1 ;;
esac
[ -f "${asked[0]}" ] || { echo "run apps/bench/run.sh first (no ${asked[0]})"; exit 1; }
baselines=0
for build in "$@"; do
    case "$build" in
        bare) [ "${row%-cold}" = lookup ] || { echo "the bare build answers tenant lookups only (BENCH_ROW lookup or lookup-cold)"; exit 1; } ;;
        hello) [ "$row" = "${row%-cold}" ] || { echo "the hello build compares hot rows only (BENCH_ROW lookup or verify)"; exit 1; } ;;
        *) continue ;;
    esac
    baselines=1
done
[ "$baselines" = 0 ] || cargo build --release --locked -q -p safecert-bench

note "# Builds taking turns, $row, $connections connections, $(date -u +%Y-%m-%dT%H:%MZ), $(machine), wrk on the same machine"
note ""
i=0
for build in "$@"; do
    i=$((i + 1))
    note "- build $i: $build"
done
note ""
split_header

script=(-s apps/bench/random-paths.lua)
auth=()
for round in $(seq 1 "$rounds"); do
    i=0
    for build in "$@"; do
        i=$((i + 1))
        forget_cached
        if [ "$build" = bare ]; then
            serve_bare 8092
        elif [ "$build" = hello ]; then
            serve_hello 8092
        else
            serve 8092 "$build"
            # One operator for the whole run: sessions outlive restarts.
            if [ "${row%-cold}" = lookup ] && [ ${#auth[@]} -eq 0 ]; then
                auth=(-H "Authorization: Bearer $(operator_token 8092)")
            fi
        fi
        sent=("${auth[@]}")
        # The hello-world before any signed-in service: a header as long.
        if [ "$build" = hello ] && [ "$row" = lookup ] && [ ${#auth[@]} -eq 0 ]; then
            sent=("${stand_in_session[@]}")
        fi
        wrk -t2 -c"$connections" -d"$warm_for" "${sent[@]}" "${script[@]}" http://127.0.0.1:8092 -- "$warm" sequential > /dev/null
        if [ "$row" = "${row%-cold}" ] && [ "$build" != hello ]; then
            settle 8092 "${sent[@]}" "${script[@]}" http://127.0.0.1:8092 -- "$warm" sequential
        fi
        split "round-$round-build-$i" "$pid" "${sent[@]}" "${script[@]}" http://127.0.0.1:8092 -- "${asked[@]}"
        stop
    done
done
echo "results in $summary"
