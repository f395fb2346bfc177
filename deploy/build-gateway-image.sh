#!/usr/bin/env bash
# Builds the gateway's container image offline, from a gateway binary already
# built on this machine: no base image, no registry, no compiler in the image.
# The image is `FROM scratch` (deploy/gateway.Containerfile) plus a prepared root:
#   /usr/local/bin/mcp-gateway      the binary, stripped
#   /lib/..., /lib64/ld-linux...    the shared libraries it needs (from ldd) and the loader
#   /etc/passwd, /etc/group         a non-root user `mcpgw` (10001)
#   /etc/ssl/certs/ca-certificates.crt, /tmp, /var/lib/mcp-gateway
#
#   deploy/build-gateway-image.sh [--engine podman|docker] [--tag NAME] [--binary PATH] [--force]
#
# Default engine: podman if installed, else docker. Default tag:
# mcp-gateway/gateway:dev-offline; default binary: build/mcp-gateway. Without
# --force, an image with that tag built from the same binary is kept as is.
# (glibc >= 2.34 has the files and dns NSS modules inside libc: nothing that
# ldd does not list is loaded at run time.)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
IMAGE_NAME=build-gateway-image
# shellcheck source=deploy/lib/offline_image.sh
source "$REPO/deploy/lib/offline_image.sh"
TAG="mcp-gateway/gateway:dev-offline"
BINARY="$REPO/build/mcp-gateway"
ENGINE=""
FORCE=0

while (($#)); do
  case "$1" in
    --engine) ENGINE="$2"; shift 2 ;;
    --engine=*) ENGINE="${1#*=}"; shift ;;
    --tag) TAG="$2"; shift 2 ;;
    --tag=*) TAG="${1#*=}"; shift ;;
    --binary) BINARY="$2"; shift 2 ;;
    --binary=*) BINARY="${1#*=}"; shift ;;
    --force) FORCE=1; shift ;;
    *) echo "usage: $0 [--engine podman|docker] [--tag NAME] [--binary PATH] [--force]" >&2; exit 2 ;;
  esac
done
image_engine "$ENGINE"
BINARY="$(readlink -f "$BINARY")"
[[ -x "$BINARY" ]] || image_die "no gateway binary at $BINARY (build it first)"

# What the image is built from: the binary, the libraries it links, this recipe.
libs="$(image_linked_libraries "$BINARY")"
# (Digests only: the same files reached by another path are the same image.)
SOURCE_HASH="$( (sha256sum "$BINARY" "$REPO/deploy/gateway.Containerfile" "$REPO/deploy/build-gateway-image.sh" \
                   "$REPO/deploy/lib/offline_image.sh"; \
                 for l in $libs; do sha256sum "$(readlink -f "$l")"; done) | cut -d' ' -f1 | sha256sum | cut -c1-16)"
if ((FORCE == 0)) && image_up_to_date "$ENGINE" "$TAG" "$SOURCE_HASH"; then
  echo "build-gateway-image: $TAG is up to date" >&2
  exit 0
fi

ROOT="$(mktemp -d /tmp/gateway-image-root.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT

# The binary stripped of its debug info (RelWithDebInfo: ~10x smaller).
install -d "$ROOT/usr/local/bin"
strip --strip-unneeded -o "$ROOT/usr/local/bin/mcp-gateway" "$BINARY"
chmod 755 "$ROOT/usr/local/bin/mcp-gateway"
image_copy_libraries "$ROOT" "$BINARY"

# A non-root user, name resolution from /etc/hosts then DNS, the system CAs
# (a real cluster's API server is verified with the service account's CA; the
# system bundle serves webhooks and OAuth issuers), /tmp, the state parent.
image_base_files "$ROOT" mcpgw mcp-gateway
mkdir -p "$ROOT/var/lib/mcp-gateway"
chown 10001:10001 "$ROOT/var/lib/mcp-gateway"
chmod 700 "$ROOT/var/lib/mcp-gateway"

# Every library the binary needs must resolve inside that root alone (one
# that ldd missed fails here, not in a pod). The loader lists them without
# running the program (a sanitized build would want /proc to run).
if command -v chroot >/dev/null && ((EUID == 0)); then
  listing="$(chroot "$ROOT" "$LOADER" --list /usr/local/bin/mcp-gateway 2>&1)" && ! grep -q "not found" <<<"$listing" \
    || { printf '%s\n' "$listing" >&2; echo "build-gateway-image: the binary's libraries do not resolve in the image root" >&2; exit 1; }
fi

image_build "$ENGINE" "$REPO/deploy/gateway.Containerfile" "$SOURCE_HASH" "$TAG" "$ROOT"
echo "build-gateway-image: built $TAG ($(du -sh "$ROOT" | cut -f1) root)" >&2
