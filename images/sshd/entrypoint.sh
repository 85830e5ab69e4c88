#!/bin/sh
# Starts the session's sshd from what the operator mounted, and ends the session from inside the pod when it is
# idle or its connection closed, saying why in the container's termination message (the operator reads it).
# POSIX sh: dash, in the image (Debian) and in the tests; busybox sh in Shell mode's bundle (no pkill there: the
# connections then end with the container).
#   TUNNEL_CONFIG_DIR            the mounted Secret: sshd_config, ssh_host_ed25519_key, authorized_keys (/etc/tunnel)
#   TUNNEL_STATE_DIR             a writable emptyDir (default /var/lib/tunnel)
#   SSHD                         the sshd binary (default /usr/sbin/sshd)
#   TERMINATION_LOG              where the reason of an end goes (default /dev/termination-log, read by the kubelet)
#   TUNNEL_IDLE_TIMEOUT_SECONDS  end after this long without an SSH connection (0 or empty: never)
#   TUNNEL_END_ON_DISCONNECT     "true": end when the connections of a successful login are all closed
#   TUNNEL_PROC_NET              where the TCP tables are (default /proc/net)
#   TUNNEL_MONITOR_INTERVAL      seconds between two looks (default 1)
#   TUNNEL_SSHD_PORT             the port sshd listens on (default 2222, as the operator renders it)
# Extra arguments are passed to sshd.
set -eu
umask 077 # every file this script creates (keys, the sshd log) is readable by the session user only

CONFIG_DIR=${TUNNEL_CONFIG_DIR:-/etc/tunnel}
STATE_DIR=${TUNNEL_STATE_DIR:-/var/lib/tunnel}
SSHD=${SSHD:-/usr/sbin/sshd}
TERMINATION_LOG=${TERMINATION_LOG:-/dev/termination-log}
IDLE_TIMEOUT=${TUNNEL_IDLE_TIMEOUT_SECONDS:-0}
END_ON_DISCONNECT=${TUNNEL_END_ON_DISCONNECT:-false}
PROC_NET=${TUNNEL_PROC_NET:-/proc/net}
INTERVAL=${TUNNEL_MONITOR_INTERVAL:-1}
# the port whose connections count (sshd_config's Port; a test on the host's network listens elsewhere)
SSHD_PORT_HEX=$(printf '%04X' "${TUNNEL_SSHD_PORT:-2222}")
SSHD_LOG="$STATE_DIR/sshd.log"
sshd_pid=
tail_pid=

fail() {
    echo "tunnel-sshd: $*" >&2
    report "$*"
    exit 1
}

# the kubelet shows this file as the container's termination message
report() {
    if [ -w "$TERMINATION_LOG" ]; then echo "$*" > "$TERMINATION_LOG"; fi
}

require_file() {
    [ -f "$1" ] || fail "missing $1: is the credentials Secret mounted at $CONFIG_DIR?"
}

# Kubernetes mounts Secrets and emptyDirs with modes StrictModes refuses: copy keys to files only we can read.
install_keys() {
    require_file "$CONFIG_DIR/sshd_config"
    require_file "$CONFIG_DIR/ssh_host_ed25519_key"
    require_file "$CONFIG_DIR/authorized_keys"
    mkdir -p "$STATE_DIR/home/.ssh"
    chmod 700 "$STATE_DIR/home" "$STATE_DIR/home/.ssh"
    cp "$CONFIG_DIR/ssh_host_ed25519_key" "$STATE_DIR/ssh_host_ed25519_key"
    cp "$CONFIG_DIR/authorized_keys" "$STATE_DIR/home/.ssh/authorized_keys"
    chmod 600 "$STATE_DIR/ssh_host_ed25519_key" "$STATE_DIR/home/.ssh/authorized_keys"
}

monitoring() {
    [ "$END_ON_DISCONNECT" = true ] || [ "${IDLE_TIMEOUT:-0}" -gt 0 ]
}

# ESTABLISHED (state 01) TCP connections whose local port is the sshd's, IPv4 and IPv6
established() {
    cat "$PROC_NET/tcp" "$PROC_NET/tcp6" 2>/dev/null \
        | awk -v port="$SSHD_PORT_HEX" '$4 == "01" { split($2, address, ":"); if (toupper(address[2]) == port) n++ } END { print n + 0 }'
}

# only a successful login arms end-on-disconnect ("Accepted key ... found at" precedes the signature check)
logged_in() {
    grep -q "Accepted publickey for" "$SSHD_LOG" 2>/dev/null
}

stop_sshd() {
    if [ -n "$sshd_pid" ] && kill -0 "$sshd_pid" 2>/dev/null; then
        pkill -TERM -P "$sshd_pid" 2>/dev/null || true   # the connections it forked
        kill -TERM "$sshd_pid" 2>/dev/null || true
        i=0
        while kill -0 "$sshd_pid" 2>/dev/null && [ "$i" -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
        pkill -KILL -P "$sshd_pid" 2>/dev/null || true
        kill -KILL "$sshd_pid" 2>/dev/null || true
    fi
    if [ -n "$tail_pid" ]; then kill "$tail_pid" 2>/dev/null || true; fi
}

end_session() {
    report "$1"
    echo "tunnel-sshd: $1" >&2
    stop_sshd
    exit 0
}

start_sshd() {
    [ -x "$SSHD" ] || fail "sshd not found at $SSHD"
    if ! monitoring; then
        # -D: stay in the foreground as the container's process; -e: log to stderr (kubectl logs)
        exec "$SSHD" -D -e -f "$CONFIG_DIR/sshd_config" "$@"
    fi
    : > "$SSHD_LOG"
    "$SSHD" -D -e -f "$CONFIG_DIR/sshd_config" "$@" 2>> "$SSHD_LOG" &
    sshd_pid=$!
    # the log follower ends with this script however it ends (even SIGKILL, which no trap sees): GNU tail's --pid
    # watches our pid; busybox's tail lacks --pid, and stop_sshd is all it gets
    if tail --pid="$$" -n 0 /dev/null 2>/dev/null; then
        tail --pid="$$" -n +1 -f "$SSHD_LOG" >&2 &
    else
        tail -n +1 -f "$SSHD_LOG" >&2 &
    fi
    tail_pid=$!
    trap 'stop_sshd; exit 0' TERM INT
}

watch_sessions() {
    idle_since=$(date +%s)
    armed=false
    while :; do
        if ! kill -0 "$sshd_pid" 2>/dev/null; then
            code=0
            wait "$sshd_pid" || code=$?
            report "SshdExited: sshd exited with $code"
            stop_sshd
            exit "$code"
        fi
        now=$(date +%s)
        connections=$(established)
        if [ "$connections" -gt 0 ]; then idle_since=$now; fi
        if [ "$armed" = false ] && logged_in; then armed=true; fi
        if [ "$END_ON_DISCONNECT" = true ] && [ "$armed" = true ] && [ "$connections" -eq 0 ]; then
            end_session "Disconnected: the SSH connection closed"
        fi
        # date +%s counts whole seconds: -gt, so a session is never ended before a full IDLE_TIMEOUT has passed
        if [ "${IDLE_TIMEOUT:-0}" -gt 0 ] && [ $((now - idle_since)) -gt "$IDLE_TIMEOUT" ]; then
            end_session "Idle: no SSH connection for ${IDLE_TIMEOUT}s"
        fi
        sleep "$INTERVAL"
    done
}

[ -n "$IDLE_TIMEOUT" ] || IDLE_TIMEOUT=0
install_keys
start_sshd "$@"
watch_sessions
