#!/bin/sh
# Starts the session's sshd from what the operator mounted. POSIX sh (busybox in the image, dash in tests).
#   TUNNEL_CONFIG_DIR  the mounted Secret: sshd_config, ssh_host_ed25519_key, authorized_keys (default /etc/tunnel)
#   TUNNEL_STATE_DIR   a writable emptyDir (default /var/lib/tunnel)
#   SSHD               the sshd binary (default /usr/sbin/sshd)
#   TERMINATION_LOG    where the reason of an exit goes (default /dev/termination-log, read by the kubelet)
# Extra arguments are passed to sshd.
set -eu

CONFIG_DIR=${TUNNEL_CONFIG_DIR:-/etc/tunnel}
STATE_DIR=${TUNNEL_STATE_DIR:-/var/lib/tunnel}
SSHD=${SSHD:-/usr/sbin/sshd}
TERMINATION_LOG=${TERMINATION_LOG:-/dev/termination-log}

fail() {
    echo "tunnel-sshd: $*" >&2
    # the kubelet shows this file as the container's termination message
    if [ -w "$TERMINATION_LOG" ]; then echo "$*" > "$TERMINATION_LOG"; fi
    exit 1
}

require_file() {
    [ -f "$1" ] || fail "missing $1: is the credentials Secret mounted at $CONFIG_DIR?"
}

# Kubernetes mounts Secrets and emptyDirs with modes StrictModes refuses: copy keys to files only we can read.
install_keys() {
    require_file "$CONFIG_DIR/sshd_config"
    require_file "$CONFIG_DIR/ssh_host_ed25519_key"
    require_file "$CONFIG_DIR/authorized_keys"
    umask 077
    mkdir -p "$STATE_DIR/home/.ssh"
    chmod 700 "$STATE_DIR/home" "$STATE_DIR/home/.ssh"
    cp "$CONFIG_DIR/ssh_host_ed25519_key" "$STATE_DIR/ssh_host_ed25519_key"
    cp "$CONFIG_DIR/authorized_keys" "$STATE_DIR/home/.ssh/authorized_keys"
    chmod 600 "$STATE_DIR/ssh_host_ed25519_key" "$STATE_DIR/home/.ssh/authorized_keys"
}

start_sshd() {
    [ -x "$SSHD" ] || fail "sshd not found at $SSHD"
    # -D: stay in the foreground as the container's process; -e: log to stderr (kubectl logs)
    exec "$SSHD" -D -e -f "$CONFIG_DIR/sshd_config" "$@"
}

install_keys
start_sshd "$@"
