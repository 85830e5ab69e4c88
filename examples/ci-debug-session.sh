#!/usr/bin/env bash
# A CI pipeline step that needs a tunnel for one job: open a TunnelSession, wait until it is Ready, run the job
# through the tunnel, then delete the session and wait until it is gone. Nothing is left behind, even on failure.
#
#   examples/ci-debug-session.sh [command...]
#
# Environment: NAMESPACE (default: the kubeconfig's), SESSION (default ci-<random>), TARGET_SERVICE (default echo),
# TARGET_PORT (default 7000), TTL (default 15m). The command runs with TUNNEL_PORT set to the local end of the
# tunnel; without a command, the script sends a line through the tunnel and prints the answer.
set -euo pipefail

NAMESPACE=${NAMESPACE:-$(kubectl config view --minify -o jsonpath='{..namespace}')}
NAMESPACE=${NAMESPACE:-default}
SESSION=${SESSION:-ci-$(date +%s)-$RANDOM}
TARGET_SERVICE=${TARGET_SERVICE:-echo}
TARGET_PORT=${TARGET_PORT:-7000}
TTL=${TTL:-15m}
work=$(mktemp -d)
tunnel_pid=

cleanup() {
    [ -n "$tunnel_pid" ] && kill "$tunnel_pid" 2>/dev/null || true
    kubectl -n "$NAMESPACE" delete tunnelsession "$SESSION" --ignore-not-found --wait=false >/dev/null
    kubectl -n "$NAMESPACE" wait --for=delete "tunnelsession/$SESSION" --timeout=60s >/dev/null 2>&1 || true
    rm -rf "$work"
    echo "session $SESSION deleted"
}
trap cleanup EXIT

# 1. ask for the session; it ends by itself after 10 idle minutes even if this job is killed
kubectl -n "$NAMESPACE" apply -f - >/dev/null <<YAML
apiVersion: tunnelops.io/v1alpha1
kind: TunnelSession
metadata:
  name: $SESSION
spec:
  target:
    service: $TARGET_SERVICE
    ports: [$TARGET_PORT]
  ttl: $TTL
  idleTimeout: 10m
YAML

# 2. wait for it, like any Kubernetes resource
kubectl -n "$NAMESPACE" wait --for=condition=Ready "tunnelsession/$SESSION" --timeout=120s

# 3. the credentials: the generated key and the host key to pin (never trust on first use)
kubectl -n "$NAMESPACE" get secret "$SESSION-ssh" -o jsonpath='{.data.id_ed25519}' | base64 -d > "$work/id_ed25519"
kubectl -n "$NAMESPACE" get secret "$SESSION-ssh" -o jsonpath='{.data.known_hosts}' | base64 -d > "$work/known_hosts"
chmod 600 "$work/id_ed25519"
command=$(kubectl -n "$NAMESPACE" get tunnelsession "$SESSION" -o jsonpath='{.status.sshCommand}')
echo "session $SESSION ready: $command"

# 4. open the tunnel with the published command, word for word
# shellcheck disable=SC2086 # the published command is split into its words on purpose
ssh -i "$work/id_ed25519" -o UserKnownHostsFile="$work/known_hosts" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -o ExitOnForwardFailure=yes ${command#ssh } &
tunnel_pid=$!
local_port=$(printf '%s\n' "$command" | sed -E 's/.* -L ([0-9]+):.*/\1/')
for _ in $(seq 1 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$local_port") 2>/dev/null; then break; fi
    kill -0 "$tunnel_pid" 2>/dev/null || { echo "ssh exited" >&2; exit 1; }
    sleep 0.2
done

# 5. the job
if [ $# -gt 0 ]; then
    TUNNEL_PORT=$local_port "$@"
else
    exec 3<>"/dev/tcp/127.0.0.1/$local_port"
    echo "hello from $SESSION" >&3
    read -r -t 5 answer <&3
    exec 3>&-
    echo "through the tunnel: $answer"
fi
