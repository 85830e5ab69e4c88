#!/usr/bin/env bash
# Builds the pinned Kubernetes binaries (version: k8s.io/kubernetes in go.mod)
# from source into an output directory.
#
#   cluster/build.sh [OUTDIR]      default OUTDIR: <repo>/target/cluster/bin
#
# Uses Go's normal module cache and build cache: a rebuild with nothing
# changed only re-checks build IDs and does not relink (a few seconds).
# Environment knobs (optional):
#   GO           go binary (default: go on PATH, else /usr/local/go/bin/go)
#   CGO_ENABLED  default 0 (static binaries, as upstream builds the server components)
#   GO_BUILD_P   value for `go build -p` (default: Go's default = number of CPUs)
#   KUBE_CMDS    space-separated subset of the commands below
#   SKIP_ETCD    set to 1 to not also run etcd/build.sh (etcd + etcdctl 3.6.x)
#   SKIP_NODE_ADDONS  set to 1 to not also run coredns/build.sh and kube-router/build.sh (the real node's
#                cluster DNS and NetworkPolicy firewall)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=/dev/null
source "$HERE/go-build-env.sh"

cd "$HERE"

KUBE_CMDS="${KUBE_CMDS:-kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl}"

# Version metadata, taken from the pinned module (its proxy .info carries the
# tag time and the git commit). The build date is the tag time, not "now", so
# that the link inputs are identical on every run and Go skips relinking.
read -r KUBE_GIT_VERSION KUBE_BUILD_DATE KUBE_GIT_COMMIT < <(
  "$GO" list -m -f '{{.Version}} {{.Time.UTC.Format "2006-01-02T15:04:05Z"}} {{with .Origin}}{{.Hash}}{{end}}' \
    "k8s.io/kubernetes@$("$GO" list -m -f '{{.Version}}' k8s.io/kubernetes)")
case "$KUBE_GIT_VERSION" in
  v1.*) ;;
  *) echo "build.sh: unexpected k8s.io/kubernetes version '$KUBE_GIT_VERSION'" >&2; exit 1 ;;
esac
KUBE_GIT_MAJOR="${KUBE_GIT_VERSION#v}"; KUBE_GIT_MAJOR="${KUBE_GIT_MAJOR%%.*}"
KUBE_GIT_MINOR="${KUBE_GIT_VERSION#v*.}"; KUBE_GIT_MINOR="${KUBE_GIT_MINOR%%.*}"

# Same variables hack/lib/version.sh sets, in both version packages.
ldflags="-s -w"
add_ldflag() {
  ldflags+=" -X k8s.io/client-go/pkg/version.$1=$2 -X k8s.io/component-base/version.$1=$2"
}
add_ldflag gitVersion "$KUBE_GIT_VERSION"
add_ldflag gitMajor "$KUBE_GIT_MAJOR"
add_ldflag gitMinor "$KUBE_GIT_MINOR"
add_ldflag buildDate "$KUBE_BUILD_DATE"
if [[ -n "$KUBE_GIT_COMMIT" ]]; then
  add_ldflag gitCommit "$KUBE_GIT_COMMIT"
  add_ldflag gitTreeState clean
fi

pkgs=()
for c in $KUBE_CMDS; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done

# Tags as in upstream hack/lib/golang.sh for non-debug builds.
# -buildvcs=false: this module sits inside the operator's git repo; VCS stamping
# would change the binaries (and force relinks) on every commit there.
set -x
"$GO" build ${GO_BUILD_P:+-p "$GO_BUILD_P"} \
  -trimpath -buildvcs=false \
  -tags selinux,notest,grpcnotrace \
  -ldflags "$ldflags" \
  -o "$OUT/" "${pkgs[@]}"
{ set +x; } 2>/dev/null

if [[ "${SKIP_ETCD:-0}" != 1 ]]; then
  "$HERE/etcd/build.sh" "$OUT"
fi
if [[ "${SKIP_NODE_ADDONS:-0}" != 1 ]]; then
  "$HERE/coredns/build.sh" "$OUT"
  "$HERE/kube-router/build.sh" "$OUT"
fi
