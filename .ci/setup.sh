#!/usr/bin/env bash
# Installs what building and testing SafeCert needs on a Debian machine with
# a Rust toolchain: a C compiler (for SQLite), psql and redis-server (the
# tests start their own throw-away Redis to stop it mid-run), openssl, and
# Python 3 with aiosmtpd (the real SMTP server the tests send email to),
# and WenQuanYi Micro Hei, the Chinese font PDFs embed.
# Safe to run again; does nothing when everything is present.
set -euo pipefail

need=()
command -v cc >/dev/null || need+=(build-essential)
command -v psql >/dev/null || need+=(postgresql-client)
command -v redis-server >/dev/null || need+=(redis-server)
command -v openssl >/dev/null || need+=(openssl)
command -v npm >/dev/null || need+=(npm)
command -v python3 >/dev/null || need+=(python3 python3-pip)
# The Chinese font PDFs embed (subset): TrueType outlines.
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    python3 -m pip install --quiet aiosmtpd 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages aiosmtpd
fi
echo "set-up: ok"
