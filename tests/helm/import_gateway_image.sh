#!/usr/bin/env bash
# Builds the gateway image offline from a gateway binary
# (deploy/build-gateway-image.sh, podman in the cluster's private storage
# .deps/kubernetes/podman, as cluster.sh does for DBHub) and imports it into
# the test cluster's containerd, where pods use it with imagePullPolicy: Never.
#
#   tests/helm/import_gateway_image.sh CLUSTER_DIR BINARY TAG
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
DIR="$(realpath "${1:?usage: $0 CLUSTER_DIR BINARY TAG}")"
BINARY="${2:?usage: $0 CLUSTER_DIR BINARY TAG}"
TAG="${3:?usage: $0 CLUSTER_DIR BINARY TAG}"
IMAGE="localhost/$TAG"

pd="$REPO/.deps/kubernetes/podman"
mkdir -p "$pd/tmp" "$DIR/images"
export CONTAINERS_CONF="$pd/containers.conf" CONTAINERS_STORAGE_CONF="$pd/storage.conf"
printf '[containers]\n[engine]\nruntime = "runc"\ntmp_dir = "%s/tmp"\n' "$pd" >"$CONTAINERS_CONF"
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/storage"\nrunroot = "%s/run"\n' "$pd" "$pd" >"$CONTAINERS_STORAGE_CONF"

start=$(date +%s)
"$REPO/deploy/build-gateway-image.sh" --engine podman --tag "$TAG" --binary "$BINARY"
id="$(podman image inspect --format '{{.Id}}' "$IMAGE")"
ctr_() { ctr --address "$DIR/containerd/containerd.sock" -n k8s.io "$@"; }
have="$(ctr_ images ls 2>/dev/null || true)"
if [[ "$(cat "$DIR/run/gateway-image.imported" 2>/dev/null)" == "$id" ]] && grep -qF "$IMAGE " <<<"$have"; then
  echo "import_gateway_image: $IMAGE already in containerd" >&2
  exit 0
fi
podman save --quiet --format docker-archive -o "$DIR/images/gateway.tar" "$IMAGE" >/dev/null
ctr_ images import "$DIR/images/gateway.tar" >/dev/null
rm -f "$DIR/images/gateway.tar"
have="$(ctr_ images ls -q 2>/dev/null || true)"
grep -qxF "$IMAGE" <<<"$have" || { echo "import_gateway_image: $IMAGE not in containerd after import" >&2; exit 1; }
echo "$id" >"$DIR/run/gateway-image.imported"
echo "import_gateway_image: $IMAGE built and imported in $(( $(date +%s) - start )) s" >&2
