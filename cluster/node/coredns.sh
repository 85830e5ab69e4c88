#!/usr/bin/env bash
# Cluster DNS for the node that cluster/node/up.sh DIR started: builds the CoreDNS image (from the binary
# cluster/coredns/build.sh put in BIN, FROM scratch, no registry; cached in target/cluster/node-images or
# $TUNNEL_NODE_IMAGE_CACHE), imports it into the node's containerd and applies
# coredns.yaml.in (kube-system: ServiceAccount, ClusterRole, ConfigMap, Deployment k8s-app=kube-dns, Service
# kube-dns at DNS_IP = SERVICE_CIDR + 10, which the kubelet's clusterDNS names). Waits until the pod is Ready.
#   cluster/node/coredns.sh DIR
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="$(cd "${1:?usage: coredns.sh DIR}" && pwd)"
NODE="$DIR/node"
log() { echo "node: $*" >&2; }
die() { echo "node: $*" >&2; exit 1; }
source "$DIR/env"; source "$NODE/env"
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
KUBECTL="$BIN/kubectl --kubeconfig $DIR/admin.kubeconfig"
CTR="ctr --address $CONTAINERD_SOCK -n k8s.io"
[[ -x $BIN/coredns ]] || die "$BIN/coredns missing: cluster/coredns/build.sh $BIN"
DNS_IP=${DNS_IP:-}
[[ -n $DNS_IP ]] || { ip2int() { local IFS=.; set -- $1; echo $((($1 << 24) | ($2 << 16) | ($3 << 8) | $4)); }
  n=$(( $(ip2int "${SERVICE_CIDR%/*}") + 10 )); DNS_IP="$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))"; }

# The image archive is cached in the project's target/ by the binary's content (tests purge DIR on every run; go build
# touches an up-to-date binary, so mtimes say nothing), and built only for a binary not seen before.
VER=$("$BIN/coredns" -version | sed -n 's/^CoreDNS-//p')
IMAGE="tunnel.local/coredns:$VER"
SUM=$(sha256sum "$BIN/coredns" | cut -d' ' -f1)
CACHE="${TUNNEL_NODE_IMAGE_CACHE:-$HERE/../../target/cluster/node-images}"
mkdir -p "$CACHE"; CACHE="$(cd "$CACHE" && pwd)"
TAR="$CACHE/coredns-$VER-${SUM:0:16}.tar"
if [[ ! -s $TAR ]]; then
  W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
  B=(buildah --root "$W/root" --runroot "$W/run" --storage-driver vfs)
  c=$("${B[@]}" from scratch)
  "${B[@]}" copy -q "$c" "$BIN/coredns" /coredns
  "${B[@]}" config --entrypoint '["/coredns"]' --user 65532:65532 --port 53/udp --port 53/tcp "$c"
  "${B[@]}" commit -q "$c" "$IMAGE" >/dev/null
  # (to a temporary name first: another node's coredns.sh may be reading the cache at the same time)
  "${B[@]}" push -q "$IMAGE" "oci-archive:$W/coredns.tar:$IMAGE" && mv "$W/coredns.tar" "$TAR.$$" && mv "$TAR.$$" "$TAR"
  "${B[@]}" rm -a >/dev/null; "${B[@]}" rmi -a -f >/dev/null 2>&1 || true
fi
# Imported again only when this node's containerd has not seen this archive (the tag stays, the binary may not).
mkdir -p "$NODE/images"
if [[ $(cat "$NODE/images/coredns.imported" 2>/dev/null) != "$TAR" ]] || ! $CTR images ls -q | grep -qxF "$IMAGE"; then
  $CTR images import --all-platforms "$TAR" >/dev/null && echo "$TAR" >"$NODE/images/coredns.imported"
fi

sed -e "s|@IMAGE@|$IMAGE|g" -e "s|@DNS_IP@|$DNS_IP|g" "$HERE/coredns.yaml.in" | $KUBECTL apply -f - >/dev/null
$KUBECTL -n kube-system rollout status deployment/coredns --timeout=60s >/dev/null ||
  { $KUBECTL -n kube-system describe pods -l k8s-app=kube-dns | tail -20 >&2; die "CoreDNS not Ready"; }
log "cluster DNS: CoreDNS $VER, Service kube-dns $DNS_IP"
