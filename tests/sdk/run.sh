#!/usr/bin/env bash
# Runs the MCP SDK end-to-end tests with the pinned node from .deps (see deploy/setup.sh).
#   tests/sdk/run.sh [path/to/mcp-gateway] [name.test.mjs ...]
#     gateway default: $MCP_GATEWAY_BIN or <repo>/build/mcp-gateway;
#     tests default: every *.test.mjs in tests/sdk.
set -euo pipefail
SDK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$SDK_DIR/../.." && pwd -P)"
export MCP_GATEWAY_DEPS="${MCP_GATEWAY_DEPS:-$REPO/.deps}"
export MCP_GATEWAY_BIN="${1:-${MCP_GATEWAY_BIN:-$REPO/build/mcp-gateway}}"
NODE="$MCP_GATEWAY_DEPS/node_modules/.bin/node"
[[ -x "$NODE" ]] || { echo "tests/sdk: $NODE not found; run deploy/setup.sh install" >&2; exit 1; }
[[ -x "$MCP_GATEWAY_BIN" ]] || { echo "tests/sdk: gateway binary $MCP_GATEWAY_BIN not found" >&2; exit 1; }
shift $(($# > 0 ? 1 : 0))
shopt -s nullglob
if (($#)); then
  tests=()
  for name in "$@"; do tests+=("$SDK_DIR/$name"); done
else
  tests=("$SDK_DIR"/*.test.mjs)
fi
((${#tests[@]})) || { echo "tests/sdk: no *.test.mjs in $SDK_DIR" >&2; exit 1; }
# node:sqlite (used to create the test database) is still flagged experimental in node 22.
exec "$NODE" --disable-warning=ExperimentalWarning --test --test-reporter=spec "${tests[@]}"
