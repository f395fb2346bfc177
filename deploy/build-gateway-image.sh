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
if [[ -z "$ENGINE" ]]; then
  if command -v podman >/dev/null; then ENGINE=podman; else ENGINE=docker; fi
fi
command -v "$ENGINE" >/dev/null || { echo "build-gateway-image: $ENGINE not found" >&2; exit 1; }
BINARY="$(readlink -f "$BINARY")"
[[ -x "$BINARY" ]] || { echo "build-gateway-image: no gateway binary at $BINARY (build it first)" >&2; exit 1; }

# What the image is built from: the binary, the libraries it links, this recipe.
libs="$(ldd "$BINARY" | sed -n 's|.*=> \(/[^ ]*\) .*|\1|p')"
# (Digests only: the same files reached by another path are the same image.)
SOURCE_HASH="$( (sha256sum "$BINARY" "$REPO/deploy/gateway.Containerfile" "$REPO/deploy/build-gateway-image.sh"; \
                 for l in $libs; do sha256sum "$(readlink -f "$l")"; done) | cut -d' ' -f1 | sha256sum | cut -c1-16)"
if ((FORCE == 0)); then
  have="$("$ENGINE" image inspect --format '{{ index .Config.Labels "mcp-gateway.source-hash" }}' "$TAG" 2>/dev/null || true)"
  if [[ "$have" == "$SOURCE_HASH" ]]; then
    echo "build-gateway-image: $TAG is up to date" >&2
    exit 0
  fi
fi

ROOT="$(mktemp -d /tmp/gateway-image-root.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT

# The binary stripped of its debug info (RelWithDebInfo: ~10x smaller).
install -d "$ROOT/usr/local/bin"
strip --strip-unneeded -o "$ROOT/usr/local/bin/mcp-gateway" "$BINARY"
chmod 755 "$ROOT/usr/local/bin/mcp-gateway"
for lib in $libs; do
  install -D -m 644 "$(readlink -f "$lib")" "$ROOT$lib"
done
loader="$(ldd "$BINARY" | awk '$1 ~ /^\/.*ld-linux/ {print $1}')"
[[ -n "$loader" ]] || { echo "build-gateway-image: no dynamic loader in ldd output" >&2; exit 1; }
install -D -m 755 "$(readlink -f "$loader")" "$ROOT$loader"

# A non-root user, name resolution from /etc/hosts then DNS, the system CAs
# (a real cluster's API server is verified with the service account's CA; the
# system bundle serves webhooks and OAuth issuers), /tmp, the state parent.
mkdir -p "$ROOT/etc/ssl/certs" "$ROOT/tmp" "$ROOT/var/lib/mcp-gateway"
chmod 1777 "$ROOT/tmp"
chown 10001:10001 "$ROOT/var/lib/mcp-gateway"
chmod 700 "$ROOT/var/lib/mcp-gateway"
printf 'root:x:0:0:root:/root:/sbin/nologin\nmcpgw:x:10001:10001:mcp-gateway:/tmp:/sbin/nologin\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\nmcpgw:x:10001:\n' >"$ROOT/etc/group"
printf 'hosts: files dns\n' >"$ROOT/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$ROOT/etc/hosts"
[[ -r /etc/ssl/certs/ca-certificates.crt ]] && cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/"

# Every library the binary needs must resolve inside that root alone (one
# that ldd missed fails here, not in a pod). The loader lists them without
# running the program (a sanitized build would want /proc to run).
if command -v chroot >/dev/null && ((EUID == 0)); then
  listing="$(chroot "$ROOT" "$loader" --list /usr/local/bin/mcp-gateway 2>&1)" && ! grep -q "not found" <<<"$listing" \
    || { printf '%s\n' "$listing" >&2; echo "build-gateway-image: the binary's libraries do not resolve in the image root" >&2; exit 1; }
fi

echo "build-gateway-image: building $TAG with $ENGINE" >&2
"$ENGINE" build --quiet -f "$REPO/deploy/gateway.Containerfile" \
  --label "mcp-gateway.source-hash=$SOURCE_HASH" -t "$TAG" "$ROOT" >/dev/null
echo "build-gateway-image: built $TAG ($(du -sh "$ROOT" | cut -f1) root)" >&2
