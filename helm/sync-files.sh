#!/usr/bin/env bash
# Copies the repository's configuration folders into the chart, where Helm
# can read them: tenants/, locales/ and policies/ -> helm/safecert/files/.
# The copy is generated (see helm/.gitignore); run this before every
# `helm install`, `helm upgrade`, `helm lint` or `helm template`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
dest="$here/safecert/files"

mkdir -p "$dest"
for dir in tenants locales policies; do
    rm -rf "${dest:?}/$dir"
    if [[ -d "$repo/$dir" ]]; then
        # -L: copy what symlinks point at; a ConfigMap cannot hold a link.
        cp -RL "$repo/$dir" "$dest/$dir"
        count="$(find "$dest/$dir" -type f | wc -l | tr -d ' ')"
        bytes="$(find "$dest/$dir" -type f -exec cat {} + 2>/dev/null | wc -c | tr -d ' ')"
        echo "sync-files: $dir/ -> helm/safecert/files/$dir/ ($count files, $bytes bytes)"
        if (( bytes > 1000000 )); then
            echo "sync-files: warning: $dir/ is close to the 1 MiB ConfigMap limit" >&2
        fi
    else
        mkdir -p "$dest/$dir"
        echo "sync-files: $dir/ not found in the repository; its ConfigMap will be empty" >&2
    fi
done
