#!/usr/bin/env bash
# NetworkPolicy enforcement for the node that cluster/node/up.sh DIR started: kube-router's firewall only
# (cluster/kube-router: test infrastructure, never shipped), as a process of the node, inside its network namespace
# (its iptables chains and ipsets live and die with that namespace: NEVER run it in the machine's own namespace).
# Its own identity: a client cert (CN=system:kube-router) from DIR/pki/ca.key, bound to a read-only ClusterRole.
# Waits until kube-router has synced once (its health endpoint answers).
#   cluster/node/netpol.sh DIR
# Needs the iptables and ipset commands (Debian packages iptables, ipset).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="$(cd "${1:?usage: netpol.sh DIR}" && pwd)"
NODE="$DIR/node"
log() { echo "node: $*" >&2; }
die() { echo "node: $*" >&2; exit 1; }
source "$DIR/env"; source "$NODE/env"
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
KUBECTL="$BIN/kubectl --kubeconfig $DIR/admin.kubeconfig"
[[ -x $BIN/kube-router ]] || die "$BIN/kube-router missing: cluster/kube-router/build.sh $BIN"
command -v ipset >/dev/null && command -v iptables >/dev/null || die "iptables and ipset commands needed (apt-get install iptables ipset)"
[[ -n ${NODE_NS:-} && -e /var/run/netns/$NODE_NS ]] || die "no node network namespace in $NODE/env: refusing to run kube-router in the machine's own"
in_node() { nsenter --net="/var/run/netns/$NODE_NS" "$@"; }
KR="$NODE/kube-router"; mkdir -p "$KR"
HEALTH_PORT=20244   # kube-router's default; free: the namespace is the node's own

# Identity (recreated on every start, like the kubelet's): the forwarder's address, the API server's cert checked as "kubernetes".
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=system:kube-router" \
  -keyout "$KR/kube-router.key" -out "$KR/kube-router.csr" 2>/dev/null
openssl x509 -req -in "$KR/kube-router.csr" -CA "$DIR/pki/ca.crt" -CAkey "$DIR/pki/ca.key" -days 365 \
  -set_serial "0x$(openssl rand -hex 16)" -extfile <(printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n') \
  -out "$KR/kube-router.crt" 2>/dev/null
rm -f "$KR/kube-router.csr"; chmod 600 "$KR/kube-router.key"
(umask 077; cat >"$KR/kubeconfig") <<KC
apiVersion: v1
kind: Config
clusters:
- name: tunnel
  cluster: {server: "https://$LINK_HOST_IP:$API_FORWARD_PORT", certificate-authority: "$DIR/pki/ca.crt", tls-server-name: kubernetes}
users:
- name: kube-router
  user: {client-certificate: "$KR/kube-router.crt", client-key: "$KR/kube-router.key"}
contexts:
- name: tunnel
  context: {cluster: tunnel, user: kube-router}
current-context: tunnel
KC
$KUBECTL apply -f "$HERE/kube-router-rbac.yaml" >/dev/null

pid=$(cat "$NODE/run/kube-router.pid" 2>/dev/null) && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$NODE/" && kill "$pid" && sleep 0.5
setsid bash -c 'echo $$ >"$0"; exec nsenter --net="$1" "${@:2}"' "$NODE/run/kube-router.pid" "/var/run/netns/$NODE_NS" \
  "$BIN/kube-router" --run-firewall=true --run-router=false --run-service-proxy=false --run-loadbalancer=false \
  --kubeconfig="$KR/kubeconfig" --hostname-override="$NODE_NAME" --service-cluster-ip-range="$SERVICE_CIDR" \
  --enable-ipv4=true --enable-ipv6=false --health-port="$HEALTH_PORT" --metrics-port=0 --iptables-sync-period=5m \
  --cache-sync-timeout=30s --v=1 </dev/null >"$NODE/logs/kube-router.log" 2>&1 9>&- &
for _ in $(seq 50); do [[ -s $NODE/run/kube-router.pid ]] && break; sleep 0.1; done
# Its health endpoint answers as soon as it runs; the first full sync of the policies into iptables ends with the
# log line "sync iptables took": wait for both.
for _ in $(seq 300); do
  grep -q 'sync iptables took' "$NODE/logs/kube-router.log" && in_node curl -sf "http://127.0.0.1:$HEALTH_PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$(cat "$NODE/run/kube-router.pid")" 2>/dev/null || { tail -30 "$NODE/logs/kube-router.log" >&2; die "kube-router exited"; }
  sleep 0.1
done
in_node curl -sf "http://127.0.0.1:$HEALTH_PORT/healthz" >/dev/null && grep -q 'sync iptables took' "$NODE/logs/kube-router.log" ||
  { tail -30 "$NODE/logs/kube-router.log" >&2; die "kube-router not healthy"; }
log "NetworkPolicy: kube-router $("$BIN/kube-router" --version 2>&1 | sed -n 's/.* version \(v[^,]*\),.*/\1/p') firewall in $NODE_NS"
