#!/usr/bin/env bash
# Builds the pinned etcd server and etcdctl (version: go.mod) from source.
#
#   cluster/etcd/build.sh [OUTDIR]   default OUTDIR: <repo>/target/cluster/bin
#
# Same conventions as ../build.sh (Go module/build caches, static, -trimpath).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/../go-build-env.sh"

cd "$HERE"

# etcd's version number is a constant in go.etcd.io/etcd/api/v3/version;
# only the git SHA is stamped at link time (as etcd's own ./build does).
ETCD_GIT_SHA="$("$GO" list -m -f '{{with .Origin}}{{.Hash}}{{end}}' \
  "go.etcd.io/etcd/server/v3@$("$GO" list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)")"
ldflags="-s -w"
if [[ -n "$ETCD_GIT_SHA" ]]; then
  ldflags+=" -X go.etcd.io/etcd/api/v3/version.GitSHA=${ETCD_GIT_SHA:0:7}"
fi

set -x
"$GO" build -trimpath -buildvcs=false -ldflags "$ldflags" \
  -o "$OUT/etcd" go.etcd.io/etcd/server/v3
"$GO" build -trimpath -buildvcs=false -ldflags "$ldflags" \
  -o "$OUT/etcdctl" go.etcd.io/etcd/etcdctl/v3
