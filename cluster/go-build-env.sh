# Sourced by the cluster's build scripts (build.sh, etcd/, coredns/, kube-router/): what they share.
# Sets OUT (the script's first argument, default <repo>/target/cluster/bin; made absolute) and GO, and the build
# environment: static binaries, and the caller's GOFLAGS (e.g. -mod=vendor, -race) kept out of the build.
OUT="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/cluster/bin}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
export CGO_ENABLED="${CGO_ENABLED:-0}"
export GOFLAGS=""
