#!/usr/bin/env bash
# Password hashing must never block the service's other requests: tenant
# lookups measured with wrk alone, then again while clients sign in as fast
# as they can (each sign-in checks an argon2id hash), in the same session,
# on the embedded default (SQLite, in-process cache) with demo data.
#
#   bash apps/bench/signin.sh            (needs wrk and python3)
set -euo pipefail
cd "$(dirname "$0")/../.."

duration="${BENCH_DURATION:-20}"
signers="${BENCH_SIGNERS:-8}"
out="${BENCH_OUT:-/tmp/safecert-signin-bench}"
rm -rf "$out" && mkdir -p "$out"
command -v wrk >/dev/null || { echo "install wrk (apt-get install wrk)"; exit 1; }
# shellcheck source=apps/bench/machine.sh
source apps/bench/machine.sh
# shellcheck source=apps/bench/wait.sh
source apps/bench/wait.sh

cargo build --release --locked -q -p safecert
bin="$PWD/target/release/safecert"
export SAFECERT_DATA_DIR="$out/data" SAFECERT_LOG=warn SAFECERT_LISTEN=127.0.0.1:8093
export SAFECERT_VERIFY_RATE_PER_MINUTE=100000000 SAFECERT_VERIFY_BURST=100000000
password="Bench-Pass-2026!"

secret=$(echo "$password" | "$bin" accounts create-admin --login bench.operator 2>/dev/null | awk '/authenticator key/ {print $NF}')
"$bin" serve > "$out/serve.log" 2>&1 &
start_seconds=30 started $! http://127.0.0.1:8093/healthz

token=$(python3 apps/bench/sign_in.py http://127.0.0.1:8093 bench.operator "$password" "$secret")
cert=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select cert_no from certificates limit 1').fetchone()[0])" "$out/data/tenants/gd.sqlite")
url="http://127.0.0.1:8093/api/v1/t/gd/certificates/$cert"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url")" = 200 ] || { echo "lookup does not answer 200"; exit 1; }

lookups() {
    wrk -t1 -c32 -d"${duration}s" --latency -H "Authorization: Bearer $token" "$url" > "$out/$1.txt"
    printf '| %s | %s | %s | %s |' "$1" "$(awk '/Requests\/sec/ {print $2}' "$out/$1.txt")" \
        "$(awk '$1=="50%" {print $2}' "$out/$1.txt")" "$(awk '$1=="99%" {print $2}' "$out/$1.txt")"
}

echo "machine: $(machine); wrk and the signing clients on the same machine"
echo
echo "| run | lookups/s | lookup p50 | lookup p99 | sign-ins/s (each an argon2id check) |"
echo "|---|---|---|---|---|"
lookups "lookups alone"; echo " – |"
python3 - "$signers" "$duration" "$password" > "$out/signins.txt" <<'PY' &
import json, sys, threading, time, urllib.request
n, duration, password = int(sys.argv[1]), float(sys.argv[2]) + 2, sys.argv[3]
done, stop = [0], time.time() + duration
def sign_in():
    while time.time() < stop:
        req = urllib.request.Request("http://127.0.0.1:8093/api/v1/auth/sign-in",
            json.dumps({"login": "bench.operator", "password": password}).encode(), {"Content-Type": "application/json"})
        urllib.request.urlopen(req).read()
        done[0] += 1
threads = [threading.Thread(target=sign_in) for _ in range(n)]
[t.start() for t in threads]; [t.join() for t in threads]
print("%.1f" % (done[0] / duration))
PY
signing=$!
sleep 1
lookups "lookups while $signers clients sign in"
wait $signing
echo " $(cat "$out/signins.txt") |"
