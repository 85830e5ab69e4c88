#!/usr/bin/env bash
# Stops what cluster/node/up.sh DIR started: the node's pods, kubelet, kube-proxy, kube-router, containers, containerd, the API
# forwarder; removes the pods' network namespaces, the node's namespace (with its bridge, veth, routes and iptables
# rules), its cgroups and mounts; restores the kernel settings the kubelet changed.
#   cluster/node/down.sh DIR
set -uo pipefail
DIR="$(cd "${1:?usage: down.sh DIR}" && pwd)"
NODE="$DIR/node"
log() { echo "node: $*" >&2; }
[[ -s $NODE/env ]] || { log "no $NODE/env: nothing to do"; exit 0; }
source "$NODE/env"; source "$DIR/env"
export NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"
KUBECTL="$BIN/kubectl --kubeconfig $DIR/admin.kubeconfig --request-timeout=5s"
CTR="ctr --address $CONTAINERD_SOCK -n k8s.io"
pid_of() { local p; p=$(cat "$NODE/run/$1.pid" 2>/dev/null) && [[ -r /proc/$p/cmdline ]] && tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF "$NODE/" && echo "$p"; }
stop() { local p; p=$(pid_of "$1") || return 0; kill -TERM "$p"; for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$p" 2>/dev/null && { log "SIGKILL $1"; kill -KILL "$p"; sleep 0.3; }; rm -f "$NODE/run/$1.pid"; log "$1 stopped"; }

# 1. While the kubelet and the API server run: delete the node's pods, so the kubelet tears them down
#    properly (CNI DEL: veth, IP; netns; cgroups); then the Node object.
if pid_of kubelet >/dev/null && $KUBECTL get node "$NODE_NAME" >/dev/null 2>&1; then
  # coredns.sh's Deployment would put a new CoreDNS pod on this node while its pods are being deleted.
  $KUBECTL -n kube-system delete deployment coredns --ignore-not-found --wait=false >/dev/null 2>&1
  $KUBECTL delete pods -A --field-selector "spec.nodeName=$NODE_NAME" --grace-period=2 --wait=false >/dev/null 2>&1
  for _ in $(seq 60); do [[ -z $($CTR tasks ls -q 2>/dev/null) ]] && break; sleep 0.5; done
  $KUBECTL delete pods -A --field-selector "spec.nodeName=$NODE_NAME" --grace-period=0 --force >/dev/null 2>&1
fi
stop kubelet
stop kube-proxy
stop kube-router   # its iptables chains and ipsets go with the node's namespace below
$KUBECTL delete node "$NODE_NAME" --wait=false >/dev/null 2>&1 || true
# 2. Whatever is left (kubelet dead, API server down): kill tasks, remember their netns, delete containers.
netns=()
if pid_of containerd >/dev/null; then
  for id in $($CTR containers ls -q 2>/dev/null); do
    n=$($CTR containers info "$id" 2>/dev/null | python3 -c 'import json,sys
for ns in json.load(sys.stdin)["Spec"]["linux"]["namespaces"]:
  if ns["type"]=="network" and ns.get("path"): print(ns["path"])' 2>/dev/null) && [[ -n $n ]] && netns+=("$n")
    $CTR tasks kill -s SIGKILL "$id" >/dev/null 2>&1
  done
  sleep 0.5
  for id in $($CTR containers ls -q 2>/dev/null); do $CTR tasks delete -f "$id" >/dev/null 2>&1; $CTR containers delete "$id" >/dev/null 2>&1; done
fi
stop containerd
for n in "${netns[@]}"; do [[ $n == /var/run/netns/cni-* && -e $n ]] || continue; umount "$n" 2>/dev/null; rm -f "$n"; log "removed netns $n"; done
# 3. Mounts under the node directory (overlay rootfs, shm, kubelet volumes), deepest first.
awk -v d="$NODE/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m" && log "unmounted $m"; done
# 4. The node's namespace: its bridge, veth (and so the machine's routes into it) and iptables rules go with it.
stop api-forwarder
if [[ -n ${NODE_NS:-} ]] && ip netns list | grep -qw "$NODE_NS"; then ip netns del "$NODE_NS" && log "removed netns $NODE_NS"; fi
[[ -n ${VETH_HOST:-} ]] && ip link del "$VETH_HOST" 2>/dev/null
for c in /sys/fs/cgroup/*/"${CGROUP_ROOT:-$NODE_NAME}"; do
  [[ -d $c ]] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
  [[ -d $c ]] && log "cgroup $c still there (processes in it?)"
done
if [[ -s $NODE/sysctl.saved ]]; then
  read -r a b c <"$NODE/sysctl.saved"
  sysctl -qw vm.overcommit_memory="$a" kernel.panic="$b" kernel.panic_on_oops="$c" && rm -f "$NODE/sysctl.saved"
fi
left=$(ps -eo pid,args | grep -F "$NODE/" | grep -v grep)
[[ -z $left ]] || { log "still running: $left"; exit 1; }
log "down ($NODE)"
