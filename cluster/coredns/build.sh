#!/usr/bin/env bash
# Builds CoreDNS (version: go.mod) with only the plugins main.go imports.
#
#   cluster/coredns/build.sh [OUTDIR]   default OUTDIR: <repo>/target/cluster/bin
#
# Same conventions as ../build.sh (Go module/build caches, static, -trimpath, no VCS stamp, so
# a rebuild with nothing changed does not relink).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/../go-build-env.sh"

cd "$HERE"

# coremain prints GitCommit in `coredns -version`; take it from the module's proxy metadata.
COMMIT="$("$GO" list -m -f '{{with .Origin}}{{.Hash}}{{end}}' \
  "github.com/coredns/coredns@$("$GO" list -m -f '{{.Version}}' github.com/coredns/coredns)")"
ldflags="-s -w"
[[ -n "$COMMIT" ]] && ldflags+=" -X github.com/coredns/coredns/coremain.GitCommit=${COMMIT:0:7}"

set -x
"$GO" build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$OUT/coredns" .
