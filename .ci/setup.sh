#!/usr/bin/env bash
# Installs what building and testing SafeCert needs on a Debian machine with
# a Rust toolchain: a C compiler (for SQLite), psql and redis-server (the
# tests start their own throw-away Redis to stop it mid-run), openssl.
# Safe to run again; does nothing when everything is present.
set -euo pipefail

need=()
command -v cc >/dev/null || need+=(build-essential)
command -v psql >/dev/null || need+=(postgresql-client)
command -v redis-server >/dev/null || need+=(redis-server)
command -v openssl >/dev/null || need+=(openssl)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
echo "set-up: ok"
