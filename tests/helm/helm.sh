#!/usr/bin/env bash
# The pinned Helm, built once from its Go module and cached in
# <repo>/.deps/helm/<version>-<key>/helm (no release binary can be downloaded here).
#
#   tests/helm/helm.sh build          build (once) and print the binary's path
#   tests/helm/helm.sh ARGS...        run that helm with ARGS
#
# A second run builds nothing. The build (helm.sh/helm/v3 at HELM_VERSION,
# `go install .../cmd/helm@version`, CGO off) takes a few minutes on 2 cores;
# its private Go build cache is removed afterwards like the cluster's.
set -euo pipefail

HELM_VERSION="v3.21.4"
# The Kubernetes minor of the client-go that helm pins (its go.mod): helm's
# Makefile stamps it, else `helm template` assumes v1.20 and lint warns.
K8S_MINOR=36
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
LDFLAGS="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for v in pkg/lint/rules pkg/chartutil; do
  LDFLAGS+=" -X helm.sh/helm/v3/$v.k8sVersionMajor=1 -X helm.sh/helm/v3/$v.k8sVersionMinor=$K8S_MINOR"
done
# The cache key: the pin and how it is built (a change builds a new one).
KEY="$(printf '%s %s' "$HELM_VERSION" "$LDFLAGS" | sha256sum | cut -c1-12)"
CACHE="$REPO/.deps/helm/$HELM_VERSION-$KEY"
BIN="$CACHE/helm"

log() { printf 'helm.sh: %s %s\n' "$(date +%T)" "$*" >&2; }

find_go() {
  command -v go >/dev/null 2>&1 && { command -v go; return; }
  [[ -x /usr/local/go/bin/go ]] && { echo /usr/local/go/bin/go; return; }
  log "go not found"; exit 1
}

build() {
  [[ -x "$BIN" ]] && return 0
  mkdir -p "$REPO/.deps/helm"
  exec 9>"$REPO/.deps/helm/.build.lock"
  flock 9
  [[ -x "$BIN" ]] && return 0
  local go start gocache
  go="$(find_go)"
  mkdir -p "$CACHE"
  start=$(date +%s)
  gocache="$REPO/.deps/helm/gocache"
  log "building helm $HELM_VERSION into $CACHE (log: $CACHE/build.log)"
  if ! GOBIN="$CACHE/gobin" CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-buildvcs=false" GOCACHE="$gocache" \
       "$go" install -trimpath \
         -ldflags "$LDFLAGS" \
         "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >"$CACHE/build.log" 2>&1; then
    tail -n 30 "$CACHE/build.log" >&2
    log "go install failed (full log: $CACHE/build.log)"; exit 1
  fi
  mv "$CACHE/gobin/helm" "$BIN"
  rmdir "$CACHE/gobin" 2>/dev/null || true
  rm -rf "$gocache"
  log "built in $(( $(date +%s) - start )) s"
  # Older pins are dead weight.
  find "$REPO/.deps/helm" -mindepth 1 -maxdepth 1 -type d -name 'v*' ! -path "$CACHE" -exec rm -rf {} +
}

case "${1:-}" in
  build) build; echo "$BIN" ;;
  "") echo "usage: $0 build | ARGS..." >&2; exit 2 ;;
  *) build; exec "$BIN" "$@" ;;
esac
