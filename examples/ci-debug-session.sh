#!/usr/bin/env bash
# A CI pipeline step that needs a tunnel for one job: open a TunnelSession, wait until it is Ready, run the job
# through the tunnel, then delete the session and wait until it is gone. Nothing is left behind: not when the job
# fails, not when the session is Denied or Failed (reported at once, with the operator's message, instead of waiting
# out the timeout), not when the CI runner cancels the step (SIGTERM, SIGINT or SIGHUP: the job and ssh are stopped
# first, and the cleanup goes on even if the runner no longer reads the output).
#
#   examples/ci-debug-session.sh [command...]
#
# Environment:
#   NAMESPACE       the session's namespace (default: the kubeconfig's, else default)
#   SESSION         the session's name (default ci-<time>-<random>; a fixed name lets RBAC pin its Secret, see
#                   examples/rbac/ci-role.yaml: a leftover session of that name is deleted first)
#   TARGET_SERVICE  a Service of the namespace (default echo, local mode's demo Service), or
#   TARGET_HOST     a host or IPv4 address instead (needs a TunnelPolicy that allows it, see external-host-tunnel.yaml)
#   TARGET_PORT     the target's port (default 7000)
#   TTL             the session's lifetime (default 15m); it also ends after IDLE_TIMEOUT (default 10m) without a
#                   connection, so even a job killed with SIGKILL leaves no tunnel open for long
#   READY_TIMEOUT   seconds to wait for Ready (default 120)
#   LOCAL_PORT      the local end of the tunnel (default: the one the session's sshCommand publishes)
# The command runs with TUNNEL_HOST=127.0.0.1 and TUNNEL_PORT set to the local end of the tunnel, and the script exits
# with its status. Without a command, the script sends a line through the tunnel and prints the answer.
# Needs kubectl, ssh and bash; the key and known_hosts go to a private temporary directory, removed at the end.
set -euo pipefail
set -m # every background job gets a process group of its own: a cancel stops the job's children too

NAMESPACE=${NAMESPACE:-$(kubectl config view --minify -o jsonpath='{..namespace}')}
NAMESPACE=${NAMESPACE:-default}
SESSION=${SESSION:-ci-$(date +%s)-$RANDOM}
TARGET_HOST=${TARGET_HOST:-}
TARGET_SERVICE=${TARGET_SERVICE:-}
[ -n "$TARGET_HOST$TARGET_SERVICE" ] || TARGET_SERVICE="echo"
TARGET_PORT=${TARGET_PORT:-7000}
TTL=${TTL:-15m}
IDLE_TIMEOUT=${IDLE_TIMEOUT:-10m}
READY_TIMEOUT=${READY_TIMEOUT:-120}
LOCAL_PORT=${LOCAL_PORT:-}

umask 077 # the key and known_hosts are for this job alone
work=$(mktemp -d)
tunnel_pid=
job_pid=
sleeper=

say() { printf '%s\n' "$*"; }
fail() { printf 'ci-debug-session: %s\n' "$*" >&2; exit 1; }

# Stops what this script started, deletes the session and waits until it is gone; keeps the exit status.
cleanup() {
    local status=$?
    trap - EXIT INT TERM HUP
    # every step runs, even when a cancelled runner no longer reads this script's output (writes then fail)
    set +e
    trap '' PIPE
    for group in "$job_pid" "$tunnel_pid" "$sleeper"; do
        # disowned first, so that bash does not report the job it stops as "Terminated"
        [ -z "$group" ] || { disown "$group" && kill -TERM -- "-$group"; } 2>/dev/null || true
    done
    kubectl -n "$NAMESPACE" delete tunnelsession "$SESSION" --ignore-not-found --wait=false >/dev/null || true
    if kubectl -n "$NAMESPACE" wait --for=delete "tunnelsession/$SESSION" --timeout=60s >/dev/null 2>&1; then
        say "session $SESSION deleted"
    else
        printf 'ci-debug-session: session %s may still exist: kubectl -n %s delete ts %s\n' \
            "$SESSION" "$NAMESPACE" "$SESSION" >&2
        [ "$status" -ne 0 ] || status=1
    fi
    rm -rf "$work"
    exit "$status"
}
# a cancel: say so (if anyone still reads: a runner may have closed this script's output), then clean up
cancelled() {
    trap '' PIPE
    printf 'ci-debug-session: cancelled (SIG%s)\n' "$1" >&2 || true
    exit "$2"
}
trap cleanup EXIT
trap 'cancelled TERM 143' TERM
trap 'cancelled INT 130' INT
trap 'cancelled HUP 129' HUP

# a pause that a SIGTERM interrupts at once (bash runs traps only between foreground commands, but during wait)
pause() { sleep "$1" & sleeper=$!; wait "$sleeper" || true; sleeper=; }

# 1. a fresh session: delete a leftover of the same name (a killed earlier run), then create, never patch
kubectl -n "$NAMESPACE" delete tunnelsession "$SESSION" --ignore-not-found >/dev/null
if [ -n "$TARGET_HOST" ]; then target="host: $TARGET_HOST"; else target="service: $TARGET_SERVICE"; fi
kubectl -n "$NAMESPACE" create -f - >/dev/null <<YAML
apiVersion: tunnelops.io/v1alpha1
kind: TunnelSession
metadata:
  name: $SESSION
  labels: {app.kubernetes.io/created-by: ci-debug-session}
spec:
  target:
    $target
    ports: [$TARGET_PORT]
  ttl: $TTL
  idleTimeout: $IDLE_TIMEOUT
YAML
say "session $SESSION created in namespace $NAMESPACE"

# 2. wait for Ready; a session that is Denied or Failed will never be: say why and stop at once
deadline=$((SECONDS + READY_TIMEOUT))
while :; do
    state=$(kubectl -n "$NAMESPACE" get tunnelsession "$SESSION" \
        -o jsonpath='{.status.phase}|{range .status.conditions[?(@.type=="Ready")]}{.status}|{.reason}|{.message}{end}')
    IFS='|' read -r phase ready reason message <<<"$state" || true
    [ "$ready" != True ] || break
    case $phase in
        Denied | Failed | Ended | Expired)
            [ "$reason" != "$phase" ] || reason=
            fail "session $SESSION is $phase${reason:+ ($reason)}: $message" ;;
    esac
    ((SECONDS < deadline)) ||
        fail "session $SESSION not Ready after ${READY_TIMEOUT}s: phase ${phase:-none}, ${reason:-no reason yet}: $message"
    pause 1
done

# 3. the credentials: the generated key and the host key to pin (never trust on first use)
kubectl -n "$NAMESPACE" get secret "$SESSION-ssh" -o jsonpath='{.data.id_ed25519}' | base64 -d >"$work/id_ed25519"
kubectl -n "$NAMESPACE" get secret "$SESSION-ssh" -o jsonpath='{.data.known_hosts}' | base64 -d >"$work/known_hosts"
command=$(kubectl -n "$NAMESPACE" get tunnelsession "$SESSION" -o jsonpath='{.status.sshCommand}')
say "session $SESSION ready: $command"

# 4. open the tunnel with the published command, word for word (but for the local port, if LOCAL_PORT is set)
published_port=$(printf '%s\n' "$command" | sed -E 's/.* -L ([0-9]+):.*/\1/')
local_port=${LOCAL_PORT:-$published_port}
command=$(printf '%s\n' "$command" | sed -E "s/ -L $published_port:/ -L $local_port:/")
# shellcheck disable=SC2086 # the published command is split into its words on purpose
# (-n: ssh reads no input, so it cannot be stopped for reading a terminal while it runs in the background)
ssh -n -F /dev/null -i "$work/id_ed25519" -o UserKnownHostsFile="$work/known_hosts" -o StrictHostKeyChecking=yes \
    -o BatchMode=yes -o ExitOnForwardFailure=yes ${command#ssh } &
tunnel_pid=$!
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$local_port") 2>/dev/null; then break; fi
    kill -0 "$tunnel_pid" 2>/dev/null || fail "ssh exited before the tunnel was up"
    pause 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$local_port") 2>/dev/null ||
    fail "the tunnel did not listen on 127.0.0.1:$local_port within 10 s"

# 5. the job, in the background so that a cancel reaches this script at once
if [ $# -gt 0 ]; then
    TUNNEL_HOST=127.0.0.1 TUNNEL_PORT=$local_port "$@" &
    job_pid=$!
    status=0
    wait "$job_pid" || status=$?
    job_pid=
    if [ "$status" -ne 0 ]; then
        printf 'ci-debug-session: the job exited with status %s\n' "$status" >&2
        exit "$status"
    fi
else
    exec 3<>"/dev/tcp/127.0.0.1/$local_port"
    say "hello from $SESSION" >&3
    read -r -t 5 answer <&3
    exec 3>&-
    say "through the tunnel: $answer"
fi
