#!/usr/bin/env bash
# Builds what the integration tests run, side by side: the cluster's binaries (cluster/build.sh: Kubernetes, etcd,
# CoreDNS, kube-router; CPU-bound) and our images (images/build.sh operator: debootstrap, apt and Maven downloads
# inside the builds, mostly waiting on the network). On a fresh machine the two take about 15 and 9 minutes alone.
# Run by Maven in pre-integration-test; logs in target/cluster/build.log and target/images/*.log.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$ROOT/target/cluster"
SECONDS=0
bash "$ROOT/cluster/build.sh" >"$ROOT/target/cluster/build.log" 2>&1 &
binaries=$!
sh "$ROOT/images/build.sh" operator &
images=$!
wait "$binaries"; binaries_rc=$?
wait "$images"; images_rc=$?
if ((binaries_rc != 0)); then
  tail -30 "$ROOT/target/cluster/build.log" >&2
  echo "cluster/build.sh failed ($binaries_rc): see target/cluster/build.log" >&2
fi
((binaries_rc == 0 && images_rc == 0)) || exit 1
echo "cluster binaries and images built in ${SECONDS}s"
