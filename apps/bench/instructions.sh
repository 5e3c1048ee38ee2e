#!/usr/bin/env bash
# User-space instructions per request, counted by valgrind's callgrind:
# the same binary and requests give the same count within a few hundredths
# of a percent, however busy the machine, where requests per second drift
# by tens of percent. For a change too small for alternate.sh to see.
#
#   bash apps/bench/instructions.sh BINARY [BINARY ...]
#
# Each build in turn runs with one worker under callgrind on the database
# and path files apps/bench/run.sh left (run that first), on PostgreSQL +
# Redis; it is asked for BENCH_ASKS (2,000) hot numbers twice to warm every
# cache, then counting starts, the same numbers are asked once more, and
# the count is written out. BENCH_ROW `lookup` (signed-in tenant lookups,
# logged) or `verify`; `lookup-cold` or `verify-cold` for numbers in no
# cache: Redis's keys of the run are deleted before each build, the
# numbers of the warm-up file are asked once (connections open, statements
# prepared), and the first BENCH_ASKS numbers of the whole shuffled file
# are counted, each asked once. PostgreSQL's and Redis's own work is not
# counted, only what the service spends on asking them. The count covers
# every thread of the service (the
# query log's writer too) and none of the kernel. valgrind hides SHA
# instructions from the service, so SHA-256 runs in software there: a
# fixed amount, the same for every build.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: bash apps/bench/instructions.sh BINARY [BINARY ...]"; exit 1; }
command -v valgrind >/dev/null || { echo "install valgrind (apt-get install valgrind)"; exit 1; }
per_tenant=0
db="${BENCH_DB:-safecert_bench}"
out="${BENCH_OUT:-/tmp/safecert-bench}"
summary="$out/instructions.md"
asks="${BENCH_ASKS:-2000}"
row="${BENCH_ROW:-lookup}"
# Under callgrind the service starts some fifty times slower.
start_seconds=300
# shellcheck source=apps/bench/lib.sh
source apps/bench/lib.sh
use_redis
case "$row" in
    lookup | verify) warm="$out/$row-hot.txt" asked="$out/$row-hot.txt" ;;
    lookup-cold | verify-cold) warm="$out/${row%-cold}-warm.txt" asked="$out/${row%-cold}-all.txt" ;;
    *) echo "BENCH_ROW is lookup, verify, lookup-cold or verify-cold"; exit 1 ;;
esac
[ -f "$asked" ] || { echo "run apps/bench/run.sh first (no $asked)"; exit 1; }

note "# Instructions per request, $row, $(date -u +%Y-%m-%dT%H:%MZ), $(machine)"
note ""
note "| build | requests counted | instructions | per request |"
note "|---|---|---|---|"
i=0
token=()
for build in "$@"; do
    i=$((i + 1))
    counts="$out/callgrind-$i"
    rm -f "$counts" "$counts".*
    wrapper="$out/under-callgrind"
    printf '#!/bin/sh\nSAFECERT_WORKERS=1 exec valgrind --tool=callgrind --callgrind-out-file=%s %s "$@"\n' "$counts" "$(realpath "$build")" > "$wrapper"
    chmod +x "$wrapper"
    forget_cached
    serve 8092 "$wrapper"
    if [ "${row%-cold}" = lookup ] && [ ${#token[@]} -eq 0 ]; then
        token=("$(operator_token 8092)")
    fi
    python3 apps/bench/asks.py 8092 "$warm" "$asks" "${token[@]}"
    [ "$warm" = "$asked" ] && python3 apps/bench/asks.py 8092 "$warm" "$asks" "${token[@]}"
    callgrind_control --zero "$pid" > /dev/null 2>&1
    python3 apps/bench/asks.py 8092 "$asked" "$asks" "${token[@]}"
    callgrind_control --dump "$pid" > /dev/null 2>&1
    stop
    total=$(awk '/^summary:/ {print $2}' "$counts.1")
    note "| $i: $build | $asks | $total | $(awk -v t="$total" -v n="$asks" 'BEGIN {printf "%.0f", t / n}') |"
done
echo "results in $summary"
