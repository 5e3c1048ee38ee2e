#!/usr/bin/env bash
# The API answers as its OpenAPI document says. Schemathesis generates
# requests, well-formed and malformed, from /api/v1/openapi.json and sends
# them to the service on the embedded default (a data directory of its
# own). It fails on a server error, a status code or content type the
# document does not list for the operation, a malformed request that is
# not refused with a 4xx, and a wrong answer to a method an address does
# not take. The seed is fixed, so a run is repeatable.
#
#   bash .ci/api-conformance.sh [BINARY]     (default: target/debug/safecert)
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-}"
if [ -z "$binary" ]; then
    cargo build --locked -q -p safecert
    binary=target/debug/safecert
fi
# Schemathesis's command, where python3's pip puts scripts.
st="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/st"
if [ ! -x "$st" ] || ! "$st" --version 2>/dev/null | grep -q "4.32.5"; then
    pip=(python3 -m pip install -q --disable-pip-version-check "schemathesis==4.32.5")
    "${pip[@]}" 2>/dev/null || "${pip[@]}" --break-system-packages
fi

dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
env -u SAFECERT_DATABASE_URL -u SAFECERT_REDIS_URL -u SAFECERT_KEY_FILE \
    SAFECERT_LISTEN="127.0.0.1:$port" SAFECERT_DATA_DIR="$dir/data" SAFECERT_VERIFY_RATE_PER_MINUTE=100000000 \
    "$binary" > "$dir/serve.log" 2>&1 &
pid=$!
stop() {
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$dir"
}
trap stop EXIT
for _ in $(seq 1 240); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/serve.log"; exit 1; }
    sleep 0.5
done

# Once as anyone, once as a platform administrator (who reaches every
# operation's own checks). POST /api/v1/verify-report takes a PDF file,
# which schemathesis cannot make; the integration tests send it real and
# altered PDFs.
check() {
    "$st" run "http://127.0.0.1:$port/api/v1/openapi.json" --url "http://127.0.0.1:$port" "$@" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,negative_data_rejection,unsupported_method,allow_header_conformance \
        --exclude-name "POST /api/v1/verify-report" \
        --max-examples 20 --seed 1 --workers 2 --no-color
}
check
password="Conformance-Check-2026!"
secret="$(echo "$password" | SAFECERT_DATA_DIR="$dir/data" "$binary" accounts create-admin --login api.checker \
    | awk '/authenticator key/ {print $NF}')"
token="$(python3 apps/bench/sign_in.py "http://127.0.0.1:$port" api.checker "$password" "$secret")"
# Its session would end at the first sign-out.
check -H "Authorization: Bearer $token" -H "Cookie: safecert_session=$token" --exclude-name "POST /api/v1/auth/sign-out"
