#!/usr/bin/env bash
# Builds kube-router (version: go.mod) for the real test node's NetworkPolicy enforcement.
# Test infrastructure only, never shipped: see ../NODE-NOTES.md for its known vulnerabilities.
#
#   cluster/kube-router/build.sh [OUTDIR]   default OUTDIR: <repo>/target/cluster/bin
#
# Same conventions as ../build.sh (Go module/build caches, static, -trimpath, no VCS stamp).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/../go-build-env.sh"

cd "$HERE"

MOD=github.com/cloudnativelabs/kube-router/v2
VER="$("$GO" list -m -f '{{.Version}}' "$MOD")"
# A fixed build date (the version's tag time) keeps the link inputs identical: warm rebuilds do not relink.
DATE="$("$GO" list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "$MOD@$VER")"
ldflags="-s -w -X $MOD/pkg/version.Version=$VER -X $MOD/pkg/version.BuildDate=$DATE"

set -x
"$GO" build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$OUT/kube-router" "$MOD/cmd/kube-router"
