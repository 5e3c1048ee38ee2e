#!/usr/bin/env bash
# The batch verification benchmark of docs/PERFORMANCE.md: on PostgreSQL
# with 1,000,000 certificates, workbooks of 10,000 and 50,000 rows
# uploaded by a provincial administrator, followed to the end and their
# .xlsx reports downloaded; beside each, the same numbers read from the
# national directory by psql in one statement (the floor). Then
# one-certificate PDF reports beside the JSON lookup of the same
# certificates, and the service's peak resident memory.
#
#   bash apps/bench/batch.sh [certs-per-tenant]   (default 31250 × 32 = 1,000,000)
#
# Needs PostgreSQL on 127.0.0.1:5432 and python3. BENCH_KEEP_DB=1 (with
# BENCH_DB and BENCH_OUT of an earlier run, such as search.sh's) reuses
# its seeded database.
set -euo pipefail
cd "$(dirname "$0")/../.."

per_tenant="${1:-31250}"
db="${BENCH_DB:-safecert_bench_batch}"
out="${BENCH_OUT:-/tmp/safecert-bench-batch}"
source apps/bench/lib.sh

note "# SafeCert batch verification benchmark $(date -u +%Y-%m-%dT%H:%MZ)"
note ""
note "machine: $(machine); the client on the same machine"
note ""
seed_database

serve 8094
operator=$(operator_token 8094)
password="Bench-Province-2026!"
login="bench.gd.$(date +%s)"
secret=$(curl -sf -H "Authorization: Bearer $operator" -H 'Content-Type: application/json' \
    -d "{\"role\":\"provincial_admin\",\"login\":\"$login\",\"password\":\"$password\",\"second_factor\":\"totp\"}" \
    http://127.0.0.1:8094/api/v1/t/gd/staff | python3 -c 'import json,sys; print(json.load(sys.stdin)["totp"]["secret"])')
token=$(python3 apps/bench/sign_in.py http://127.0.0.1:8094 "$login" "$password" "$secret")

note "| file | upload to report (median of 3) | the 3 runs, s | directory read by psql (floor) | result |"
note "|---|---|---|---|---|"
python3 apps/bench/batch.py http://127.0.0.1:8094 "$token" "$out/certs.csv" "$pg/$db" "$out" 3000 10000 50000 | tee -a "$summary"
note ""
note "service resident memory: $(awk '/VmHWM/ {printf "%.0f MB peak", $2/1024}' /proc/$pid/status), $(awk '/VmRSS/ {printf "%.0f MB", $2/1024}' /proc/$pid/status) after the runs"
note ""
note "One-certificate PDF reports, one request at a time, beside the JSON lookup of the same certificates:"
note ""
note "| request | n | median | p95 | to the lookup | size |"
note "|---|---|---|---|---|---|"
python3 apps/bench/pdf.py http://127.0.0.1:8094 "$token" "$out/certs.csv" 200 | tee -a "$summary"
note ""
note "service resident memory: $(awk '/VmHWM/ {printf "%.0f MB peak", $2/1024}' /proc/$pid/status) at the end"
