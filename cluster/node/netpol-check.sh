#!/usr/bin/env bash
# Proves, on the node that cluster/node/up.sh DIR started (with coredns.sh and netpol.sh), what the operator's
# session NetworkPolicy promises. One line per check: PASS or FAIL; exit status 1 if any FAIL.
#   cluster/node/netpol-check.sh DIR [NAMESPACE]     (default namespace netpol-check; deleted first and at the end)
# Set KEEP=1 to leave the namespace for inspection.
#
# Pods: echo (app=echo, listens on 8080 and 9090), other (app=other, 8080 and 9090), client (selected by a policy shaped
# like SshdNetworkPolicy's for a TunnelSession "check" whose target is Service echo port 8080; a busybox sidecar listens
# on 2222 and 2223), control (no policy), and client-ip / client-name (policies for host targets: the echo pod's address,
# and a host name, i.e. 0.0.0.0/0 with the planner's exceptions; client-ip's also has a source range: control's IP).
# The clients and control run the project's sshd image (Debian: bash, getent, timeout); echo and other a busybox.
set -uo pipefail
DIR="$(cd "${1:?usage: netpol-check.sh DIR [NAMESPACE]}" && pwd)"
NS="${2:-netpol-check}"
NODE="$DIR/node"
source "$DIR/env"; source "$NODE/env"
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
K="$BIN/kubectl --kubeconfig $DIR/admin.kubeconfig"
CTR="ctr --address $CONTAINERD_SOCK -n k8s.io"
SSHD_IMAGE=${SSHD_IMAGE:-ghcr.io/tunnelops/sshd:0.1.0}
fails=0
pass() { printf 'PASS  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; fails=$((fails + 1)); }
SECONDS=0

# The sshd image (images/build.sh) is in the machine's buildah storage: import it once into the node's containerd.
if ! $CTR images ls -q | grep -qxF "$SSHD_IMAGE"; then
  mkdir -p "$NODE/test-images"; tar="$NODE/test-images/sshd.tar"
  [[ -s $tar ]] || buildah push -q "$SSHD_IMAGE" "oci-archive:$tar:$SSHD_IMAGE" || { echo "FAIL  no $SSHD_IMAGE (images/build.sh)"; exit 1; }
  $CTR images import --all-platforms "$tar" >/dev/null
fi

# Counts every packet that leaves the node's namespace towards the machine for anything but the machine's end of the
# link (the API forwarder): a DNS query for an outside name, or anything else headed off the machine, would show here.
in_node() { nsenter --net="/var/run/netns/$NODE_NS" "$@"; }
LEAK=(POSTROUTING -o eth0 ! -d "$LINK_HOST_IP/32" -m comment --comment netpol-check-leaving)
in_node iptables -t mangle -D "${LEAK[@]}" 2>/dev/null; in_node iptables -t mangle -A "${LEAK[@]}"
$K delete namespace "$NS" --ignore-not-found --wait=true >/dev/null
$K create namespace "$NS" >/dev/null
$K -n "$NS" apply -f - >/dev/null <<EOF2
apiVersion: v1
kind: Pod
metadata: {name: echo, labels: {app: echo}}
spec:
  terminationGracePeriodSeconds: 0
  securityContext: {runAsNonRoot: true, runAsUser: 10001}
  containers:
  - name: echo
    image: tunnel.local/busybox:1.35
    imagePullPolicy: Never
    command: [sh, -c, 'nc -ll -p 8080 -e cat & nc -ll -p 9090 -e cat & wait']
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Pod
metadata: {name: other, labels: {app: other}}
spec:
  terminationGracePeriodSeconds: 0
  securityContext: {runAsNonRoot: true, runAsUser: 10001}
  containers:
  - name: other
    image: tunnel.local/busybox:1.35
    imagePullPolicy: Never
    command: [sh, -c, 'nc -ll -p 8080 -e cat & nc -ll -p 9090 -e cat & wait']
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: a, port: 8080, targetPort: 8080}, {name: b, port: 9090, targetPort: 9090}]
---
apiVersion: v1
kind: Service
metadata: {name: other}
spec:
  selector: {app: other}
  ports: [{name: a, port: 8080, targetPort: 8080}]
---
# Labels as SessionLabels.sshdPodSelector gives the sshd pod of TunnelSession "check".
apiVersion: v1
kind: Pod
metadata: {name: client, labels: {tunnelops.io/session: check, app.kubernetes.io/component: sshd}}
spec:
  terminationGracePeriodSeconds: 0
  securityContext: {runAsNonRoot: true, runAsUser: 10001}
  containers:
  - name: client
    image: $SSHD_IMAGE
    imagePullPolicy: Never
    command: [sleep, infinity]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
  # Stands in for sshd on its port 2222, plus a port the policy's ingress rule does not name.
  - name: listener
    image: tunnel.local/busybox:1.35
    imagePullPolicy: Never
    command: [sh, -c, 'nc -ll -p 2222 -e cat & nc -ll -p 2223 -e cat & wait']
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: v1
kind: Pod
metadata: {name: control, labels: {app: control}}
spec:
  terminationGracePeriodSeconds: 0
  securityContext: {runAsNonRoot: true, runAsUser: 10001}
  containers:
  - name: control
    image: $SSHD_IMAGE
    imagePullPolicy: Never
    command: [sleep, infinity]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
# The shape SshdNetworkPolicy.desired() writes (src/main/java/io/tunnelops/session/resources) for a session named
# "check" targeting Service echo port 8080 (no access.sourceRanges): ingress only to the sshd port 2222, egress only
# to the target Service's pods on the target port, and to cluster DNS.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: check-sshd
  labels: {app.kubernetes.io/managed-by: tunnel-operator, tunnelops.io/session: check, app.kubernetes.io/component: sshd}
spec:
  podSelector:
    matchLabels: {tunnelops.io/session: check, app.kubernetes.io/component: sshd}
  policyTypes: [Ingress, Egress]
  ingress:
  - ports: [{port: 2222, protocol: TCP}]
  egress:
  - to: [{podSelector: {matchLabels: {app: echo}}}]
    ports: [{port: 8080, protocol: TCP}]
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
EOF2
if ! $K -n "$NS" wait --for=condition=Ready pod/echo pod/other pod/client pod/control --timeout=60s >/dev/null; then
  $K -n "$NS" get pods -o wide; fail "pods not Ready"; exit 1
fi
echo "# pods Ready after ${SECONDS}s"

ip_of() { $K -n "$NS" get "$1" -o jsonpath="${2:-{.spec.clusterIP\}}"; }
ECHO_SVC=$(ip_of svc/echo); OTHER_SVC=$(ip_of svc/other); API_SVC=$($K -n default get svc kubernetes -o jsonpath='{.spec.clusterIP}')
ECHO_POD=$(ip_of pod/echo '{.status.podIP}'); OTHER_POD=$(ip_of pod/other '{.status.podIP}')
DNS_POD=$($K -n kube-system get pods -l k8s-app=kube-dns -o jsonpath='{.items[0].status.podIP}')
FQDN="echo.$NS.svc.cluster.local"

# Connect within 3 s? (bash's /dev/tcp: a completed TCP handshake. kube-router REJECTs with icmp-port-unreachable, so
# a blocked connect fails at once with "Connection refused"; control shows that the port does listen.)
connects() { $K -n "$NS" exec "$1" -c "$1" -- timeout 3 bash -c "exec 3<>/dev/tcp/$2/$3" >/dev/null 2>&1; }
expect() { # POD yes|no IP PORT WHAT
  local pod=$1 want=$2 ip=$3 port=$4 what=$5 got=no
  connects "$pod" "$ip" "$port" && got=yes
  if [[ $got == "$want" ]]; then pass "$pod -> $what ($ip:$port): $([[ $got == yes ]] && echo reached || echo blocked)"
  else fail "$pod -> $what ($ip:$port): $([[ $got == yes ]] && echo reached, expected blocked || echo blocked, expected reached)"; fi
}
resolves() { # POD NAME WANT_IP|none
  local got; got=$($K -n "$NS" exec "$1" -c "$1" -- getent hosts "$2" 2>/dev/null | awk '{print $1; exit}')
  if [[ $3 == none ]]; then [[ -z $got ]] && pass "$1 resolves $2: not found (as expected)" || fail "$1 resolves $2 to $got, expected not found"
  else [[ $got == "$3" ]] && pass "$1 resolves $2 to $got" || fail "$1 resolves $2 to '${got}', expected $3"; fi
}

# control first: everything is reachable without a policy, so each refusal below is the policy's doing.
for pod in control client; do
  [[ $pod == client ]] && allowed=no || allowed=yes
  echo "# $pod ($([[ $pod == client ]] && echo 'selected by the session policy' || echo 'no policy'))"
  resolves "$pod" "$FQDN" "$ECHO_SVC"
  resolves "$pod" "example.com" none
  expect "$pod" yes "$ECHO_SVC" 8080 "Service echo, the target port"
  expect "$pod" yes "$ECHO_POD" 8080 "pod echo, the target port"
  expect "$pod" $allowed "$ECHO_SVC" 9090 "Service echo, another port"
  expect "$pod" $allowed "$ECHO_POD" 9090 "pod echo, another port"
  expect "$pod" $allowed "$OTHER_SVC" 8080 "Service other"
  expect "$pod" $allowed "$OTHER_POD" 8080 "pod other"
  expect "$pod" yes "$DNS_IP" 53 "Service kube-dns, DNS over TCP"
  expect "$pod" $allowed "$DNS_POD" 8181 "pod coredns, its readiness port"
  expect "$pod" $allowed "$API_SVC" 443 "Service kubernetes (API server)"
  # Pods have routes to the pod and Service ranges and to the machine's end of the node's veth (10-tunnel.conflist:
  # the NodePort client, answered without SNAT under externalTrafficPolicy Local), where the API forwarder listens:
  # the session's policy must keep the client off it. Checked for the client; only reported for control.
  if [[ $pod == client ]]; then expect client no "$LINK_HOST_IP" "$API_FORWARD_PORT" "the node's API forwarder"
  else connects control "$LINK_HOST_IP" "$API_FORWARD_PORT" && r=reached || r="blocked"
    echo "INFO  control -> the node's API forwarder ($LINK_HOST_IP:$API_FORWARD_PORT): $r"; fi
done
# Host targets: SessionPlanner gives an address target ipBlock ADDRESS/32 and a name target ipBlock 0.0.0.0/0 except
# 127.0.0.0/8, 169.254.0.0/16, 0.0.0.0/8, each on the target ports (here 8080), plus the same DNS rule and ingress.
# client-ip's session also has access.sourceRanges = [control's pod IP]: ingress from that /32 only, to 2222.
client_and_policy() { # SESSION IPBLOCK_YAML INGRESS_FROM_YAML
  cat <<EOF3
apiVersion: v1
kind: Pod
metadata: {name: client-$1, labels: {tunnelops.io/session: $1, app.kubernetes.io/component: sshd}}
spec:
  terminationGracePeriodSeconds: 0
  securityContext: {runAsNonRoot: true, runAsUser: 10001}
  containers:
  - name: client-$1
    image: $SSHD_IMAGE
    imagePullPolicy: Never
    command: [sleep, infinity]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
  - name: listener
    image: tunnel.local/busybox:1.35
    imagePullPolicy: Never
    command: [sh, -c, 'nc -ll -p 2222 -e cat']
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: $1-sshd
  labels: {app.kubernetes.io/managed-by: tunnel-operator, tunnelops.io/session: $1, app.kubernetes.io/component: sshd}
spec:
  podSelector:
    matchLabels: {tunnelops.io/session: $1, app.kubernetes.io/component: sshd}
  policyTypes: [Ingress, Egress]
  ingress:
  - ports: [{port: 2222, protocol: TCP}]
    from: $3
  egress:
  - to: [{ipBlock: $2}]
    ports: [{port: 8080, protocol: TCP}]
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
---
EOF3
}
CONTROL_POD=$(ip_of pod/control '{.status.podIP}')
{ client_and_policy ip "{cidr: $ECHO_POD/32}" "[{ipBlock: {cidr: $CONTROL_POD/32}}]"
  client_and_policy name "{cidr: 0.0.0.0/0, except: [127.0.0.0/8, 169.254.0.0/16, 0.0.0.0/8]}" "[]"; } |
  $K -n "$NS" apply -f - >/dev/null
if $K -n "$NS" wait --for=condition=Ready pod/client-ip pod/client-name --timeout=60s >/dev/null; then
  sleep 1   # the policies came with the pods: give kube-router its ~1 s
  echo "# client-ip (session with target host $ECHO_POD, the echo pod's address, port 8080)"
  resolves client-ip "$FQDN" "$ECHO_SVC"
  expect client-ip yes "$ECHO_POD" 8080 "pod echo, the target port"
  expect client-ip yes "$ECHO_SVC" 8080 "Service echo 8080 (DNAT to the allowed address)"
  expect client-ip no "$ECHO_POD" 9090 "pod echo, another port"
  expect client-ip no "$OTHER_POD" 8080 "pod other, the target port"
  expect client-ip no "$API_SVC" 443 "Service kubernetes (API server)"
  CLIENT_IP_POD=$(ip_of pod/client-ip '{.status.podIP}')
  expect control yes "$CLIENT_IP_POD" 2222 "pod client-ip, the sshd port, from the allowed source range"
  # other (busybox, no policy of its own) is outside the range; its nc does connect where nothing blocks it:
  if $K -n "$NS" exec other -- nc -w 3 "$ECHO_POD" 9090 </dev/null >/dev/null 2>&1
  then pass "other -> pod echo, another port ($ECHO_POD:9090): reached (busybox nc connects)"
  else fail "other -> pod echo, another port ($ECHO_POD:9090): blocked, expected reached"; fi
  if $K -n "$NS" exec other -- nc -w 3 "$CLIENT_IP_POD" 2222 </dev/null >/dev/null 2>&1
  then fail "other -> pod client-ip, the sshd port, from outside the source range ($CLIENT_IP_POD:2222): reached, expected blocked"
  else pass "other -> pod client-ip, the sshd port, from outside the source range ($CLIENT_IP_POD:2222): blocked"; fi
  echo "# client-name (session with a host name target, port 8080: any address but the excepted ranges)"
  resolves client-name "$FQDN" "$ECHO_SVC"
  expect client-name yes "$ECHO_POD" 8080 "pod echo, the target port"
  expect client-name yes "$OTHER_POD" 8080 "pod other, the target port (allowed by design: any address)"
  expect client-name no "$ECHO_POD" 9090 "pod echo, another port"
  expect client-name no "$API_SVC" 443 "Service kubernetes (API server)"
else
  $K -n "$NS" get pods -o wide; fail "client-ip/client-name not Ready"
fi

# Ingress: only the sshd port. Inside the pod (loopback, no policy on it) both ports answer.
CLIENT_POD=$(ip_of pod/client '{.status.podIP}')
echo "# ingress to client"
if $K -n "$NS" exec client -c client -- timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/2222 && exec 4<>/dev/tcp/127.0.0.1/2223' >/dev/null 2>&1
then pass "client listens on 2222 and 2223 (from inside the pod)"; else fail "client does not listen on 2222 and 2223"; fi
expect control yes "$CLIENT_POD" 2222 "pod client, the sshd port"
expect control no "$CLIENT_POD" 2223 "pod client, another port"
# Nothing for outside names can leave: no forward plugin in CoreDNS, no default route in the node's namespace, and
# no packet left the node's namespace for anywhere but the forwarder's address while the checks ran.
leaving=$(in_node iptables -t mangle -L POSTROUTING -v -x -n | awk '/netpol-check-leaving/ {print $1; exit}')
in_node iptables -t mangle -D "${LEAK[@]}" 2>/dev/null
[[ $leaving == 0 ]] && pass "no packet left the node's namespace except to $LINK_HOST_IP (the API forwarder)" ||
  fail "$leaving packet(s) left the node's namespace for other addresses"
"$BIN/coredns" -plugins | grep -qx 'forward' && fail "CoreDNS has a forward plugin" || pass "CoreDNS has no forward plugin"
[[ -z $(nsenter --net="/var/run/netns/$NODE_NS" ip -4 route show default) ]] && pass "no default route in the node's namespace $NODE_NS" ||
  fail "the node's namespace has a default route"

[[ ${KEEP:-0} == 1 ]] || $K delete namespace "$NS" --wait=false >/dev/null
echo "# $fails failure(s), ${SECONDS}s"
((fails == 0))
