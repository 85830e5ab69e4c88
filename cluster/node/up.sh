#!/usr/bin/env bash
# Prototype (issue 9): a real node (containerd 1.6 + kubelet 1.34) joined to a `bin/cluster up` control plane.
#
#   cluster/node/up.sh DIR [NODE_NAME]     DIR: the bin/cluster --dir (must be up); NODE_NAME default tunnel-node
#   cluster/node/down.sh DIR               stops everything up.sh started, removes its bridge, netns, cgroups
#
# Everything lives in DIR/node: containerd/ (root, state, socket), kubelet/ (root-dir, certs), cni/, logs/,
# run/*.pid, env. Root only (containerd, bridge, cgroups). Needs Debian's containerd runc
# containernetworking-plugins buildah gcc libc6-dev (and busybox-static for the test image).
# Env: TUNNEL_NODE_BRIDGE (default cni-tun0).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DIR="$(cd "${1:?usage: up.sh DIR [NODE_NAME]}" && pwd)"
NODE_NAME="${2:-tunnel-node}"
NODE="$DIR/node"
BRIDGE="${TUNNEL_NODE_BRIDGE:-cni-tun0}"
PAUSE_IMAGE=registry.k8s.io/pause:3.10
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
log() { echo "node: $*" >&2; }
die() { echo "node: $*" >&2; exit 1; }
[[ -s $DIR/env ]] || die "$DIR/env missing: bin/cluster up --dir $DIR first"
# shellcheck disable=SC1091
source "$DIR/env"
KUBECTL="$BIN/kubectl --kubeconfig $DIR/admin.kubeconfig"
mkdir -p "$NODE"/{logs,run,cni/net.d,cni/ipam,kubelet,pod-logs,containerd,images}
SECONDS=0

ip2int() { local IFS=.; set -- $1; echo $((($1 << 24) | ($2 << 16) | ($3 << 8) | $4)); }
int2ip() { echo "$(($1 >> 24 & 255)).$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"; }
overlaps() { # NET LEN: overlaps any IPv4 route (default excluded) or the service range
  local net=$1 len=$2 dst a l m
  while read -r dst; do
    [[ $dst =~ ^[0-9.]+(/[0-9]+)?$ ]] || continue
    a=$(ip2int "${dst%/*}"); l=32; [[ $dst == */* ]] && l=${dst#*/}
    ((l < len)) && m=$l || m=$len
    (( (a >> (32 - m)) == (net >> (32 - m)) )) && return 0
  done < <({ ip -4 route show table all | sed -E 's/^(local|broadcast|unicast|blackhole|unreachable|prohibit|throw|anycast|multicast) //' | awk '{print $1}'; echo "$SERVICE_CIDR"; })
  return 1
}
port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }
free_port() { local p; for _ in $(seq 500); do p=$((10000 + RANDOM % 22768)); port_free "$p" && { echo "$p"; return; }; done; die "no free port"; }
start() { # NAME CMD...: own session, log in logs/NAME.log, pid in run/NAME.pid
  local name=$1; shift
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$NODE/run/$name.pid" "$@" </dev/null >"$NODE/logs/$name.log" 2>&1 9>&- &
  for _ in $(seq 50); do [[ -s $NODE/run/$name.pid ]] && return; sleep 0.1; done; die "$name did not start"
}

# ---- addresses: a /24 of 100.64.0.0/10 no route overlaps; its .1 on our bridge is the node's IP ----
POD_CIDR="" KUBELET_PORT="" HEALTHZ_PORT=""
[[ -s $NODE/env ]] && source "$NODE/env"
if [[ -z $POD_CIDR ]] || { ! ip link show "$BRIDGE" >/dev/null 2>&1 && overlaps "$(ip2int "${POD_CIDR%/*}")" 24; }; then POD_CIDR=""
  for _ in $(seq 200); do
    net=$(( $(ip2int 100.64.0.0) + (RANDOM % 16384) * 256 ))
    overlaps "$net" 24 || { POD_CIDR="$(int2ip "$net")/24"; break; }
  done
fi
[[ -n $POD_CIDR ]] || die "no free /24"
GATEWAY=$(int2ip $(( $(ip2int "${POD_CIDR%/*}") + 1 )))
{ [[ -n $KUBELET_PORT ]] && port_free "$KUBELET_PORT"; } || KUBELET_PORT=$(free_port)
{ [[ -n $HEALTHZ_PORT ]] && port_free "$HEALTHZ_PORT"; } || HEALTHZ_PORT=$(free_port)
printf '%s=%q\n' NODE_NAME "$NODE_NAME" NODE_DIR "$NODE" BRIDGE "$BRIDGE" POD_CIDR "$POD_CIDR" GATEWAY "$GATEWAY" \
  KUBELET_PORT "$KUBELET_PORT" HEALTHZ_PORT "$HEALTHZ_PORT" CONTAINERD_SOCK "$NODE/containerd/containerd.sock" >"$NODE/env"

# The bridge exists before the kubelet starts: its address is the node's InternalIP and the kubelet's listen
# address (the kubelet refuses a loopback node IP). The CNI bridge plugin reuses it. The /24 route goes to it.
if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
  ip link add "$BRIDGE" type bridge
fi
ip addr replace "$GATEWAY/24" dev "$BRIDGE"
ip link set "$BRIDGE" up
log "bridge $BRIDGE $GATEWAY/24"

# Kernel settings the kubelet would otherwise change (protectKernelDefaults: false): saved for down.sh.
[[ -s $NODE/sysctl.saved ]] || sysctl -n vm.overcommit_memory kernel.panic kernel.panic_on_oops net.ipv4.ip_forward \
  | paste -sd' ' >"$NODE/sysctl.saved"

# ---- node identity: client cert system:node:NAME / system:nodes from the cluster CA ----
PKI=$DIR/pki
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/O=system:nodes/CN=system:node:$NODE_NAME" \
  -keyout "$NODE/kubelet/node.key" -out "$NODE/kubelet/node.csr" 2>/dev/null
openssl x509 -req -in "$NODE/kubelet/node.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -days 365 \
  -set_serial "0x$(openssl rand -hex 16)" -extfile <(printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n') \
  -out "$NODE/kubelet/node.crt" 2>/dev/null
rm -f "$NODE/kubelet/node.csr"; chmod 600 "$NODE/kubelet/node.key"
(umask 077; cat >"$NODE/kubelet/kubeconfig") <<KC
apiVersion: v1
kind: Config
clusters:
- name: tunnel
  cluster: {server: "$API_URL", certificate-authority: "$PKI/ca.crt"}
users:
- name: node
  user: {client-certificate: "$NODE/kubelet/node.crt", client-key: "$NODE/kubelet/node.key"}
contexts:
- name: tunnel
  context: {cluster: tunnel, user: node}
current-context: tunnel
KC

subst() { sed -e "s|@NODE@|$NODE|g" -e "s|@NODE_NAME@|$NODE_NAME|g" -e "s|@BRIDGE@|$BRIDGE|g" -e "s|@POD_CIDR@|$POD_CIDR|g" \
  -e "s|@GATEWAY@|$GATEWAY|g" -e "s|@SERVICE_CIDR@|$SERVICE_CIDR|g" -e "s|@PAUSE_IMAGE@|$PAUSE_IMAGE|g" \
  -e "s|@KUBELET_PORT@|$KUBELET_PORT|g" -e "s|@HEALTHZ_PORT@|$HEALTHZ_PORT|g" -e "s|@CA_CERT@|$PKI/ca.crt|g" "$1"; }
subst "$HERE/containerd.toml.in" >"$NODE/containerd/config.toml"
subst "$HERE/10-tunnel.conflist.in" >"$NODE/cni/net.d/10-tunnel.conflist"
subst "$HERE/kubelet-config.yaml.in" >"$NODE/kubelet/config.yaml"
# Pods get this as /etc/resolv.conf (no cluster DNS yet): nothing to resolve against.
echo "options ndots:1" >"$NODE/resolv.conf"

# ---- containerd ----
CTR="ctr --address $NODE/containerd/containerd.sock -n k8s.io"
start containerd containerd --config "$NODE/containerd/config.toml" --log-level info
for _ in $(seq 100); do $CTR version >/dev/null 2>&1 && break; sleep 0.1; done
$CTR version >/dev/null || { tail -20 "$NODE/logs/containerd.log" >&2; die "containerd not answering"; }
log "containerd up (${SECONDS}s)"

# ---- images: pause (from the Kubernetes module's pause.c) and a busybox, built here, imported ----
"$HERE/images.sh" "$NODE/images"
for f in "$NODE"/images/*.tar; do $CTR images import --all-platforms "$f" >/dev/null; done
log "images: $($CTR images ls -q | grep -v '^sha256:' | paste -sd' ')"

# ---- kubelet ----
# cgroupRoot /NAME must exist in every v1 hierarchy, else: "invalid configuration: cgroup-root [...] doesn't exist".
for c in /sys/fs/cgroup/*/; do [[ -e $c/cgroup.procs ]] && mkdir -p "$c$NODE_NAME"; done
start kubelet "$BIN/kubelet" --config="$NODE/kubelet/config.yaml" --kubeconfig="$NODE/kubelet/kubeconfig" \
  --hostname-override="$NODE_NAME" --node-ip="$GATEWAY" --root-dir="$NODE/kubelet/root" --cert-dir="$NODE/kubelet/pki" \
  --v=1
for _ in $(seq 240); do
  [[ $($KUBECTL get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]] && break
  kill -0 "$(cat "$NODE/run/kubelet.pid")" 2>/dev/null || { tail -30 "$NODE/logs/kubelet.log" >&2; die "kubelet exited"; }
  sleep 0.5
done
[[ $($KUBECTL get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]] ||
  { tail -30 "$NODE/logs/kubelet.log" >&2; die "node $NODE_NAME not Ready"; }
log "node $NODE_NAME Ready (${SECONDS}s), pods on $POD_CIDR"
