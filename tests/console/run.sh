#!/usr/bin/env bash
# The operator console's browser test (tests/console/console.test.mjs).
#   tests/console/run.sh [path/to/mcp-gateway] [artefact dir]
# Needs what deploy/setup.sh installs: the pinned node (.deps), the console's
# packages (console/node_modules: playwright-core) and built files
# (console/dist), and Debian's chromium. A missing part fails the test.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
export MCP_GATEWAY_DEPS="${MCP_GATEWAY_DEPS:-$REPO/.deps}"
export MCP_GATEWAY_BIN="${1:-${MCP_GATEWAY_BIN:-$REPO/build/mcp-gateway}}"
export CONSOLE_ARTIFACTS="${2:-${CONSOLE_ARTIFACTS:-$REPO/build/console-artifacts}}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
NODE="$MCP_GATEWAY_DEPS/node_modules/.bin/node"
fail() { echo "tests/console: $*" >&2; exit 1; }
[[ -x "$NODE" ]] || fail "$NODE not found; run deploy/setup.sh install"
[[ -x "$MCP_GATEWAY_BIN" ]] || fail "gateway binary $MCP_GATEWAY_BIN not found"
[[ -d "$REPO/console/node_modules/playwright-core" ]] || fail "playwright-core not installed in console/; run deploy/setup.sh install"
[[ -f "$REPO/console/dist/index.html" ]] || fail "console/dist not built; run deploy/setup.sh install"
[[ -x "$CHROMIUM" ]] || fail "$CHROMIUM not found (Debian's chromium); run deploy/setup.sh install"
exec "$NODE" --disable-warning=ExperimentalWarning --test --test-concurrency=1 \
  --test-reporter=spec "$HERE/console.test.mjs"
