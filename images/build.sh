#!/bin/sh
# Builds our images from our own Dockerfiles without a Docker engine (issue 9): buildah, and a local Debian base made
# with debootstrap, since no base image can be pulled. Run as root from anywhere; everything goes under target/images.
#   images/build.sh            the sshd image (ghcr.io/tunnelops/sshd:0.1.0), the Shell mode toolbox image
#                              (ghcr.io/tunnelops/shell-toolbox:0.1.0) and their OCI archives
#   images/build.sh operator   also the operator image (needs Maven Central from inside the build; slow)
# Environment:
#   MIRROR      Debian mirror for debootstrap (default: the first URIs/deb line of /etc/apt/sources.list*)
#   SSHD_IMAGE  default ghcr.io/tunnelops/sshd:0.1.0
#   TOOLBOX_IMAGE   default ghcr.io/tunnelops/shell-toolbox:0.1.0
#   OPERATOR_IMAGE  default ghcr.io/tunnelops/tunnel-operator:0.1.0-SNAPSHOT
#   REBUILD_BASE=1  rebuild the local base even if it exists
#   LOCAL_CA_DIR    CAs (*.crt) added to the operator's build-stage base only (default /usr/local/share/ca-certificates)
# Needs: apt-get install buildah debootstrap (fuse-overlayfs uidmap for rootless).
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/target/images"
SUITE=bookworm
BASE_IMAGE=localhost/debian:bookworm-slim
JRE_BASE_IMAGE=localhost/debian-jre17:bookworm
JDK_BASE_IMAGE=localhost/debian-jdk17:bookworm
SSHD_IMAGE=${SSHD_IMAGE:-ghcr.io/tunnelops/sshd:0.1.0}
TOOLBOX_IMAGE=${TOOLBOX_IMAGE:-ghcr.io/tunnelops/shell-toolbox:0.1.0}
OPERATOR_IMAGE=${OPERATOR_IMAGE:-ghcr.io/tunnelops/tunnel-operator:0.1.0-SNAPSHOT}
LOCAL_CA_DIR=${LOCAL_CA_DIR:-/usr/local/share/ca-certificates}
# --layers: cache each step like docker build does, so a warm build skips apt-get and Maven's downloads
# --ulimit: javac and Maven hold many jars open; RUN steps get the most open files this shell may allow (its hard limit)
nofile=$(ulimit -Hn)
BUD="buildah bud --isolation chroot --layers --ulimit nofile=$nofile:$nofile"

say() { echo "images/build.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

# Whatever step fails (set -e included), the last line says so and where the logs are: Maven shows only this output.
trap 'code=$?; if [ "$code" -ne 0 ]; then say "FAILED (exit $code); build logs: $OUT/*.log"; fi' EXIT

command -v buildah >/dev/null || die "buildah not found (apt-get install buildah)"
mkdir -p "$OUT"

image_exists() { buildah inspect --type image "$1" >/dev/null 2>&1; }

default_mirror() {
    # deb822 (URIs: ...) or one-line (deb URL suite ...) sources; the first one naming the main archive
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        url=$(sed -n -e 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' -e 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\)[[:space:]]\+'"$SUITE"'[[:space:]].*/\2/p' "$f" \
            | grep -v -e security -e nodesource -e google | head -n 1)
        if [ -n "$url" ]; then echo "$url"; return; fi
    done
    echo http://deb.debian.org/debian
}

# A local stand-in for debian:bookworm-slim: debootstrap minbase, minimized the way the official image is
# (no docs or man pages installed by later apt-get installs, no apt lists, no services started by postinst scripts).
build_base() {
    if image_exists "$BASE_IMAGE" && [ "${REBUILD_BASE:-0}" != 1 ]; then
        say "base $BASE_IMAGE exists, kept (REBUILD_BASE=1 to rebuild)"
        return
    fi
    command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install debootstrap)"
    mirror=${MIRROR:-$(default_mirror)}
    rootfs="$OUT/base-rootfs"
    say "debootstrap --variant=minbase $SUITE from $mirror"
    rm -rf "$rootfs"
    debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" > "$OUT/debootstrap.log" 2>&1 \
        || die "debootstrap failed, see $OUT/debootstrap.log"
    cat > "$rootfs/etc/apt/sources.list" <<EOF
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
deb ${mirror%/debian}/debian-security $SUITE-security main
EOF
    cat > "$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# as in the official slim image: no documentation in images
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
    printf '#!/bin/sh\n# no services start while building an image\nexit 101\n' > "$rootfs/usr/sbin/policy-rc.d"
    chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' > "$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
        "$rootfs"/var/log/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
        "$rootfs"/usr/share/locale/* "$rootfs"/tmp/* "$rootfs"/var/tmp/*
    find "$rootfs/usr/share/doc" -type f ! -name copyright -delete   # the licenses stay
    tar --numeric-owner -C "$rootfs" -cf "$OUT/base-rootfs.tar" .
    ctr=$(buildah from scratch)
    buildah add "$ctr" "$OUT/base-rootfs.tar" / >/dev/null
    buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd bash \
        --label org.opencontainers.image.description="debootstrap --variant=minbase $SUITE, local stand-in for debian:bookworm-slim" \
        "$ctr"
    buildah commit --quiet --rm "$ctr" "$BASE_IMAGE" >/dev/null
    rm -rf "$rootfs" "$OUT/base-rootfs.tar"
    say "base $BASE_IMAGE built"
}

# Stand-ins for eclipse-temurin:17-jdk and :17-jre: Debian's OpenJDK 17 on the local base.
build_java_bases() {
    for pair in "$JDK_BASE_IMAGE openjdk-17-jdk-headless ca-certificates curl unzip" "$JRE_BASE_IMAGE openjdk-17-jre-headless"; do
        set -- $pair
        image=$1; shift
        if image_exists "$image" && [ "${REBUILD_BASE:-0}" != 1 ]; then say "base $image exists, kept"; continue; fi
        say "building $image ($*)"
        ctr=$(buildah from "$BASE_IMAGE")
        # The build stage downloads Maven and its plugins over HTTPS: behind a TLS-inspecting proxy it needs the CAs
        # this machine added (LOCAL_CA_DIR). Only the build stage's base gets them, never an image we ship.
        if [ "$image" = "$JDK_BASE_IMAGE" ] && ls "$LOCAL_CA_DIR"/*.crt >/dev/null 2>&1; then
            say "adding the local CAs of $LOCAL_CA_DIR to $image"
            buildah copy --quiet "$ctr" "$LOCAL_CA_DIR" /usr/local/share/ca-certificates/ >/dev/null
        fi
        buildah run --isolation chroot "$ctr" -- sh -c "apt-get update -qq && mkdir -p /usr/share/man/man1 \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $* >/dev/null \
            && apt-get clean && rm -rf /var/lib/apt/lists/* /var/log/*" || die "installing $* failed"
        buildah commit --quiet --rm "$ctr" "$image" >/dev/null
    done
}

# Writes an OCI archive that containerd (ctr images import), podman or skopeo can load.
archive() {
    image=$1 file=$2 old=$3
    # the image this build replaced, if nothing else uses it (a rebuild would otherwise leave it behind, untagged)
    new=$(buildah images --quiet --noheading "$image")
    if [ -n "$old" ] && [ "$old" != "$new" ]; then buildah rmi "$old" >/dev/null 2>&1 || true; fi
    rm -f "$file"
    buildah push --quiet "$image" "oci-archive:$file:$image" >/dev/null
    say "$image -> $file ($(du -h "$file" | cut -f1))"
}

build_sshd() {
    old=$(buildah images --quiet --noheading "$SSHD_IMAGE" 2>/dev/null || true)
    say "building $SSHD_IMAGE from images/sshd"
    $BUD --build-arg BASE="$BASE_IMAGE" -t "$SSHD_IMAGE" "$ROOT/images/sshd" > "$OUT/sshd-build.log" 2>&1 \
        || die "sshd build failed, see $OUT/sshd-build.log"
    archive "$SSHD_IMAGE" "$OUT/sshd.tar" "$old"
}

# Shell mode's image when a session names no Deployment: a plain image of tools; the sshd comes from the sshd image's bundle
build_toolbox() {
    old=$(buildah images --quiet --noheading "$TOOLBOX_IMAGE" 2>/dev/null || true)
    say "building $TOOLBOX_IMAGE from images/toolbox"
    $BUD --build-arg BASE="$BASE_IMAGE" -t "$TOOLBOX_IMAGE" "$ROOT/images/toolbox" > "$OUT/toolbox-build.log" 2>&1 \
        || die "toolbox build failed, see $OUT/toolbox-build.log"
    archive "$TOOLBOX_IMAGE" "$OUT/toolbox.tar" "$old"
}

build_operator() {
    build_java_bases
    old=$(buildah images --quiet --noheading "$OPERATOR_IMAGE" 2>/dev/null || true)
    say "building $OPERATOR_IMAGE from the root Dockerfile (Maven downloads inside the build)"
    $BUD --build-arg BUILD_BASE="$JDK_BASE_IMAGE" --build-arg BASE="$JRE_BASE_IMAGE" -t "$OPERATOR_IMAGE" "$ROOT" \
        > "$OUT/operator-build.log" 2>&1 || die "operator build failed, see $OUT/operator-build.log"
    archive "$OPERATOR_IMAGE" "$OUT/operator.tar" "$old"
    # --layers keeps the build stage (Maven's repository, target/) as the next build's cache; every change of src/
    # leaves one more (about 0.1 GB of its own, measured): keep the newest only (rmi refuses one a build still uses)
    buildah images --noheading --filter dangling=true --filter label=io.tunnelops.stage=operator-build \
        --format '{{.ID}} {{.CreatedAtRaw}}' | sort -r -k2,3 | tail -n +2 | while read -r id _; do
        buildah rmi "$id" >/dev/null 2>&1 && say "removed the stale build stage $id" || true
    done
}

build_base
build_sshd
build_toolbox
if [ "${1:-}" = operator ]; then build_operator; fi
say "done"
