#!/usr/bin/env bash
# Runs the Helm chart's node tests with the pinned node from .deps and the
# pinned helm (tests/helm/helm.sh builds it once).
#   tests/helm/run.sh FILE.test.mjs...
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
export MCP_GATEWAY_DEPS="${MCP_GATEWAY_DEPS:-$REPO/.deps}"
NODE="$MCP_GATEWAY_DEPS/node_modules/.bin/node"
[[ -x "$NODE" ]] || { echo "tests/helm: $NODE not found; run deploy/setup.sh install" >&2; exit 1; }
HELM_BIN="$("$HERE/helm.sh" build)"
export HELM_BIN
(($#)) || { echo "usage: $0 FILE.test.mjs..." >&2; exit 2; }
tests=()
for name in "$@"; do tests+=("$HERE/$name"); done
exec "$NODE" --disable-warning=ExperimentalWarning --test --test-reporter=spec "${tests[@]}"
