#!/usr/bin/env bash
# Prototype (issue 9): a real node (containerd 1.6 + kubelet 1.34) joined to a `bin/cluster up` control plane.
#
#   cluster/node/up.sh DIR [NODE_NAME]     DIR: the bin/cluster --dir (must be up); NODE_NAME default tunnel-node
#   cluster/node/down.sh DIR               stops everything up.sh started, removes its bridge, netns, cgroups
#
# The node lives in a network namespace of its own (NODE_NS): its bridge, the pods' veths, containerd, the kubelet
# and kube-proxy (iptables mode) with all their iptables rules and sysctls stay in there, so nothing they do reaches
# the machine's own network stack and several nodes can run side by side. A veth pair links it to the machine:
# LINK_HOST_IP (machine end) / NODE_IP (node end, the node's InternalIP). The machine routes only the pod range and
# the Service range to NODE_IP; the namespace has no default route. Pods route to LINK_HOST_IP/32 (10-tunnel.conflist)
# to answer NodePort clients on the machine without SNAT (externalTrafficPolicy Local). The API server listens on the machine's
# loopback, which the namespace cannot reach: a forwarder on LINK_HOST_IP:API_FORWARD_PORT carries the node's and the
# pods' API traffic to it, and it is the endpoint of the `kubernetes` Service, as the API server would be in a cluster.
# Everything lives in DIR/node: containerd/ (root, state, socket), kubelet/ (root-dir, certs), kube-proxy/, cni/,
# logs/, run/*.pid, env. Root only. Needs Debian's containerd runc containernetworking-plugins iptables socat
# buildah gcc libc6-dev (and busybox-static for the test image).
# By default the node also gets cluster DNS (coredns.sh: CoreDNS in kube-system, Service kube-dns at SERVICE_CIDR + 10,
# the kubelet's clusterDNS) and NetworkPolicy enforcement (netpol.sh: kube-router's firewall inside the namespace);
# those need BIN/coredns and BIN/kube-router (cluster/coredns/build.sh, cluster/kube-router/build.sh) and ipset.
# Env: TUNNEL_NODE_BRIDGE (default cni-tun0; it exists only inside the node's namespace); TUNNEL_NODE_DNS=0 and
# TUNNEL_NODE_NETPOL=0 leave out cluster DNS and NetworkPolicy enforcement.
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
# A second up.sh on a running node started a second containerd and kubelet over the first ones' pid files, and
# down.sh then left the first ones (and their pods) behind: refuse instead.
for n in containerd kubelet; do
  p=$(cat "$NODE/run/$n.pid" 2>/dev/null) && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "$NODE/" &&
    die "node already up ($n pid $p): cluster/node/down.sh $DIR first"
done
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
# Only the network namespace changes (not `ip netns exec`, which also gives a private mount namespace: the kubelet's
# volume mounts would then be invisible to containerd's runc).
in_node() { nsenter --net="/var/run/netns/$NODE_NS" "$@"; }
start_in_node() { # NAME CMD...
  local name=$1; shift
  setsid bash -c 'echo $$ >"$0"; exec nsenter --net="$1" "${@:2}"' "$NODE/run/$name.pid" "/var/run/netns/$NODE_NS" "$@" \
    </dev/null >"$NODE/logs/$name.log" 2>&1 9>&- &
  for _ in $(seq 50); do [[ -s $NODE/run/$name.pid ]] && return; sleep 0.1; done; die "$name did not start"
}

# ---- addresses: a free /23 of 100.64.0.0/10 (no route or the Service range overlaps it): its first /24 holds the
# pods, a /30 of the second links the node's namespace to the machine ----
NODE_NS="" POD_CIDR="" API_FORWARD_PORT=""
[[ -s $NODE/env ]] && source "$NODE/env"
NODE_NS=${NODE_NS:-$NODE_NAME-$(printf %s "$DIR" | md5sum | cut -c1-6)}
# The kubelet's cgroupRoot is named like the namespace, i.e. per DIR, not per NODE_NAME: two nodes of the same name
# (every IT uses the default) would share /NAME/kubepods, and a kubelet removes the pod cgroups there that it does not
# know, killing their processes (kubelet cleanupOrphanedPodCgroups).
CGROUP_ROOT=$NODE_NS
VETH_HOST="tnh$(printf %s "$NODE_NS" | md5sum | cut -c1-8)"
if [[ -z $POD_CIDR ]] || { ! ip netns list | grep -qw "$NODE_NS" && overlaps "$(ip2int "${POD_CIDR%/*}")" 23; }; then POD_CIDR=""
  for _ in $(seq 200); do
    net=$(( $(ip2int 100.64.0.0) + (RANDOM % 8192) * 512 ))
    overlaps "$net" 23 || { POD_CIDR="$(int2ip "$net")/24"; break; }
  done
fi
[[ -n $POD_CIDR ]] || die "no free /23 in 100.64.0.0/10"
net=$(ip2int "${POD_CIDR%/*}")
GATEWAY=$(int2ip $((net + 1)))             # the bridge's address inside the node, the pods' gateway
LINK_HOST_IP=$(int2ip $((net + 257)))      # the machine's end of the veth
NODE_IP=$(int2ip $((net + 258)))           # the node's end: its InternalIP, where the kubelet listens
DNS_IP=$(int2ip $(( $(ip2int "${SERVICE_CIDR%/*}") + 10 )))  # the conventional cluster DNS Service address
{ [[ -n $API_FORWARD_PORT ]] && port_free "$API_FORWARD_PORT"; } || API_FORWARD_PORT=$(free_port)
printf '%s=%q\n' NODE_NAME "$NODE_NAME" NODE_DIR "$NODE" NODE_NS "$NODE_NS" BRIDGE "$BRIDGE" POD_CIDR "$POD_CIDR" \
  GATEWAY "$GATEWAY" NODE_IP "$NODE_IP" LINK_HOST_IP "$LINK_HOST_IP" VETH_HOST "$VETH_HOST" DNS_IP "$DNS_IP" \
  API_FORWARD_PORT "$API_FORWARD_PORT" KUBELET_PORT 10250 CONTAINERD_SOCK "$NODE/containerd/containerd.sock" \
  CGROUP_ROOT "$CGROUP_ROOT" >"$NODE/env"

# ---- the node's network namespace, its link to the machine, the machine's two routes into it ----
ip netns list | grep -qw "$NODE_NS" || ip netns add "$NODE_NS"
if ! ip link show "$VETH_HOST" >/dev/null 2>&1; then
  ip link add "$VETH_HOST" type veth peer name "${VETH_HOST/tnh/tnn}" netns "$NODE_NS"
  in_node ip link set "${VETH_HOST/tnh/tnn}" name eth0
fi
ip addr replace "$LINK_HOST_IP/30" dev "$VETH_HOST"
ip link set "$VETH_HOST" up
in_node ip addr replace "$NODE_IP/30" dev eth0
in_node ip link set lo up
in_node ip link set eth0 up
ip route replace "$POD_CIDR" via "$NODE_IP" dev "$VETH_HOST"
ip route replace "$SERVICE_CIDR" via "$NODE_IP" dev "$VETH_HOST"
# Inside the namespace only: Service traffic is routed between the bridge and the veth (kube-proxy's DNAT), and
# bridged pod-to-pod packets pass through iptables so Service replies are un-NATed (kube-proxy checks it).
in_node sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
if ! in_node ip link show "$BRIDGE" >/dev/null 2>&1; then in_node ip link add "$BRIDGE" type bridge; fi
in_node ip addr replace "$GATEWAY/24" dev "$BRIDGE"
in_node ip link set "$BRIDGE" up
log "netns $NODE_NS: node $NODE_IP, pods $POD_CIDR on $BRIDGE; machine end $VETH_HOST $LINK_HOST_IP"

# Kernel settings the kubelet changes machine-wide (protectKernelDefaults: false): saved for down.sh.
[[ -s $NODE/sysctl.saved ]] || sysctl -n vm.overcommit_memory kernel.panic kernel.panic_on_oops | paste -sd' ' >"$NODE/sysctl.saved"

# ---- the API server for the namespace: a forwarder on the machine's end of the veth to its loopback ----
pid=$(cat "$NODE/run/api-forwarder.pid" 2>/dev/null) && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$NODE/" && kill "$pid"
# (argv[0] names the node directory, so down.sh and bin/cluster find it like the other processes)
start api-forwarder bash -c 'exec -a "$0" socat "$@"' "$NODE/api-forwarder" "TCP-LISTEN:$API_FORWARD_PORT,bind=$LINK_HOST_IP,reuseaddr,fork" "TCP:127.0.0.1:$API_PORT"
NODE_API_URL="https://$LINK_HOST_IP:$API_FORWARD_PORT"
# The `kubernetes` Service's endpoint (bin/cluster runs the API server with --endpoint-reconciler-type=none): pods
# reach the API server through the Service, as in any cluster (the operator's in-cluster config uses it).
$KUBECTL apply -f - >/dev/null <<EP
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes-tunnel-node
  namespace: default
  labels: {kubernetes.io/service-name: kubernetes, endpointslice.kubernetes.io/managed-by: tunnel-node.tunnelops.io}
addressType: IPv4
endpoints: [{addresses: ["$LINK_HOST_IP"], conditions: {ready: true}}]
ports: [{name: https, port: $API_FORWARD_PORT, protocol: TCP}]
EP

# ---- identities: client certs from the cluster CA for the kubelet (system:node:NAME) and kube-proxy ----
PKI=$DIR/pki
identity() { # FILE_PREFIX SUBJECT: a key, a cert and a kubeconfig that reaches the API server from inside the node
  local f=$1 subj=$2
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subj" -keyout "$f.key" -out "$f.csr" 2>/dev/null
  openssl x509 -req -in "$f.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -days 365 -set_serial "0x$(openssl rand -hex 16)" \
    -extfile <(printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n') -out "$f.crt" 2>/dev/null
  rm -f "$f.csr"; chmod 600 "$f.key"
  # The API server's certificate names 127.0.0.1 and kubernetes.*, not the forwarder's address: verify it as "kubernetes".
  (umask 077; cat >"$f.kubeconfig") <<KC
apiVersion: v1
kind: Config
clusters:
- name: tunnel
  cluster: {server: "$NODE_API_URL", certificate-authority: "$PKI/ca.crt", tls-server-name: kubernetes}
users:
- name: node
  user: {client-certificate: "$f.crt", client-key: "$f.key"}
contexts:
- name: tunnel
  context: {cluster: tunnel, user: node}
current-context: tunnel
KC
}
mkdir -p "$NODE/kube-proxy"
identity "$NODE/kubelet/node" "/O=system:nodes/CN=system:node:$NODE_NAME"
identity "$NODE/kube-proxy/proxy" "/CN=system:kube-proxy"   # bound to system:node-proxier by default

subst() { sed -e "s|@NODE@|$NODE|g" -e "s|@NODE_NAME@|$NODE_NAME|g" -e "s|@BRIDGE@|$BRIDGE|g" -e "s|@POD_CIDR@|$POD_CIDR|g" \
  -e "s|@GATEWAY@|$GATEWAY|g" -e "s|@SERVICE_CIDR@|$SERVICE_CIDR|g" -e "s|@PAUSE_IMAGE@|$PAUSE_IMAGE|g" \
  -e "s|@NODE_IP@|$NODE_IP|g" -e "s|@LINK_HOST_IP@|$LINK_HOST_IP|g" -e "s|@DNS_IP@|$DNS_IP|g" -e "s|@CA_CERT@|$PKI/ca.crt|g" -e "s|@CGROUP_ROOT@|$CGROUP_ROOT|g" "$1"; }
subst "$HERE/containerd.toml.in" >"$NODE/containerd/config.toml"
subst "$HERE/10-tunnel.conflist.in" >"$NODE/cni/net.d/10-tunnel.conflist"
subst "$HERE/kubelet-config.yaml.in" >"$NODE/kubelet/config.yaml"
subst "$HERE/kube-proxy-config.yaml.in" >"$NODE/kube-proxy/config.yaml"
echo "options ndots:1" >"$NODE/resolv.conf"

# ---- containerd ----
CTR="ctr --address $NODE/containerd/containerd.sock -n k8s.io"
start_in_node containerd containerd --config "$NODE/containerd/config.toml" --log-level info
for _ in $(seq 100); do $CTR version >/dev/null 2>&1 && break; sleep 0.1; done
$CTR version >/dev/null || { tail -20 "$NODE/logs/containerd.log" >&2; die "containerd not answering"; }
log "containerd up (${SECONDS}s)"

# ---- images: pause (from the Kubernetes module's pause.c) and a busybox, built here, imported ----
"$HERE/images.sh" "$NODE/images" >/dev/null
for f in "$NODE"/images/*.tar; do $CTR images import --all-platforms "$f" >/dev/null; done
log "images: $($CTR images ls -q | grep -v '^sha256:' | paste -sd' ')"

# ---- kubelet and kube-proxy ----
# cgroupRoot /CGROUP_ROOT must exist in every v1 hierarchy, else: "invalid configuration: cgroup-root [...] doesn't exist".
for c in /sys/fs/cgroup/*/; do [[ -e $c/cgroup.procs ]] && mkdir -p "$c$CGROUP_ROOT"; done
start_in_node kubelet "$BIN/kubelet" --config="$NODE/kubelet/config.yaml" --kubeconfig="$NODE/kubelet/node.kubeconfig" \
  --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --root-dir="$NODE/kubelet/root" --cert-dir="$NODE/kubelet/pki" \
  --v=1
start_in_node kube-proxy "$BIN/kube-proxy" --config="$NODE/kube-proxy/config.yaml" --v=1
for _ in $(seq 240); do
  [[ $($KUBECTL get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]] && break
  kill -0 "$(cat "$NODE/run/kubelet.pid")" 2>/dev/null || { tail -30 "$NODE/logs/kubelet.log" >&2; die "kubelet exited"; }
  sleep 0.5
done
[[ $($KUBECTL get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]] ||
  { tail -30 "$NODE/logs/kubelet.log" >&2; die "node $NODE_NAME not Ready"; }
# kube-proxy has synced its rules once it answers healthz (inside the namespace).
for _ in $(seq 100); do in_node curl -sf "http://127.0.0.1:10256/healthz" >/dev/null 2>&1 && break
  kill -0 "$(cat "$NODE/run/kube-proxy.pid")" 2>/dev/null || { tail -30 "$NODE/logs/kube-proxy.log" >&2; die "kube-proxy exited"; }
  sleep 0.2; done
in_node curl -sf "http://127.0.0.1:10256/healthz" >/dev/null || { tail -30 "$NODE/logs/kube-proxy.log" >&2; die "kube-proxy not healthy"; }
log "node $NODE_NAME Ready with kube-proxy (${SECONDS}s), pods on $POD_CIDR"

# ---- cluster DNS and NetworkPolicy enforcement: independent of each other, so side by side ----
addons=()
[[ ${TUNNEL_NODE_NETPOL:-1} == 0 ]] || { "$HERE/netpol.sh" "$DIR" & addons+=($!); }
[[ ${TUNNEL_NODE_DNS:-1} == 0 ]] || { "$HERE/coredns.sh" "$DIR" & addons+=($!); }
for p in "${addons[@]}"; do wait "$p" || die "cluster DNS or NetworkPolicy enforcement failed (see above)"; done
((${#addons[@]} == 0)) || log "node $NODE_NAME ready with$([[ ${TUNNEL_NODE_DNS:-1} == 0 ]] || echo " cluster DNS")$([[ ${TUNNEL_NODE_NETPOL:-1} == 0 ]] || echo " NetworkPolicy") (${SECONDS}s)"
