#!/usr/bin/env bash
# Builds the node's images without any registry, as OCI archives in OUTDIR:
#   pause.tar    registry.k8s.io/pause:3.10 (the kubelet's default sandbox image name), from the pinned
#                k8s.io/kubernetes module's build/pause/linux/pause.c, gcc -static
#   busybox.tar  tunnel.local/busybox:1.35 (Debian's busybox-static, applets linked in /bin)
set -euo pipefail
OUT="${1:?usage: images.sh OUTDIR}"; mkdir -p "$OUT"; OUT="$(cd "$OUT" && pwd)"
[[ -s $OUT/pause.tar && -s $OUT/busybox.tar ]] && exit 0
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
VER=$(cd "$HERE/.." && "$GO" list -m -f '{{.Version}}' k8s.io/kubernetes)
SRC=$(cd "$HERE/.." && "$GO" list -m -f '{{.Dir}}' "k8s.io/kubernetes@$VER")/build/pause/linux/pause.c
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
gcc -static -O2 -DVERSION="$VER" -o "$W/pause" "$SRC"; strip "$W/pause"
cp /bin/busybox "$W/busybox"
B=(buildah --root "$W/root" --runroot "$W/run" --storage-driver vfs)
c=$("${B[@]}" from scratch)
"${B[@]}" copy "$c" "$W/pause" /pause
"${B[@]}" config --entrypoint '["/pause"]' --user 65535:65535 "$c"
"${B[@]}" commit -q "$c" registry.k8s.io/pause:3.10 >/dev/null
"${B[@]}" push -q registry.k8s.io/pause:3.10 "oci-archive:$OUT/pause.tar:registry.k8s.io/pause:3.10"
c=$("${B[@]}" from scratch)
"${B[@]}" copy "$c" "$W/busybox" /bin/busybox
"${B[@]}" run --isolation chroot "$c" -- /bin/busybox --install -s /bin
"${B[@]}" config --cmd '["/bin/sh"]' "$c"
"${B[@]}" commit -q "$c" tunnel.local/busybox:1.35 >/dev/null
"${B[@]}" push -q tunnel.local/busybox:1.35 "oci-archive:$OUT/busybox.tar:tunnel.local/busybox:1.35"
"${B[@]}" rm -a >/dev/null; "${B[@]}" rmi -a -f >/dev/null 2>&1 || true
