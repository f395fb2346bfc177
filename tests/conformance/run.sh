#!/usr/bin/env bash
# The MCP conformance suite (@modelcontextprotocol/conformance, server
# scenarios) against the reference server @modelcontextprotocol/server-everything,
# twice: directly, and behind the gateway (--server-command, with
# --default-dsn-file because the runner sends no custom headers). Prints both
# counts; fails when a scenario that passes directly fails through the gateway.
#
#   tests/conformance/run.sh [path/to/mcp-gateway]   (default: $MCP_GATEWAY_BIN or build/mcp-gateway)
#
# Env: MCP_GATEWAY_DEPS (default <repo>/.deps), CONFORMANCE_KEEP=1 keeps the
# results directory, CONFORMANCE_SCENARIO=<name> runs one scenario only,
# CONFORMANCE_SUITE=all|pending another suite than the runner's default (active).
set -euo pipefail
LOG_PREFIX=conformance
WORK_PREFIX=mcpgw-conformance
# shellcheck source=tests/conformance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
GATEWAY="${1:-${MCP_GATEWAY_BIN:-$REPO/build/mcp-gateway}}"
CONFORMANCE="$MODULES/conformance/dist/index.js"

[[ -f "$EVERYTHING" && -f "$CONFORMANCE" ]] || die "server-everything or conformance missing in $MODULES; run deploy/setup.sh install"
[[ -x "$GATEWAY" ]] || die "gateway binary $GATEWAY not found"

run_suite() {  # url out_dir log
  local args=(server --url "$1" -o "$2")
  [[ -n "${CONFORMANCE_SCENARIO:-}" ]] && args+=(--scenario "$CONFORMANCE_SCENARIO")
  [[ -n "${CONFORMANCE_SUITE:-}" ]] && args+=(--suite "$CONFORMANCE_SUITE")
  mkdir -p "$2"
  # The runner exits non-zero when any scenario fails: the comparison decides.
  (cd "$WORK" && "$NODE" "$CONFORMANCE" "${args[@]}") >"$3" 2>&1 || true
}

# 1. server-everything directly.
port="$(free_port)"
(cd "$WORK" && exec env PORT="$port" "$NODE" "$EVERYTHING" streamableHttp) >"$WORK/everything.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$port/mcp"
log "direct: server-everything on 127.0.0.1:$port"
run_suite "http://127.0.0.1:$port/mcp" "$WORK/direct" "$WORK/direct.log"
stop_all

# 2. server-everything behind the gateway. The DSN only names the instance.
echo "sqlite://$WORK/conformance.db" >"$WORK/default-dsn"
start_gateway_for "$WORK/state" "$WORK/gateway.log" \
  --server-command="$NODE" --server-arg="$EVERYTHING" --server-arg=streamableHttp \
  --default-dsn-file="$WORK/default-dsn"
log "gateway: $GATEWAY_URL"
run_suite "$GATEWAY_URL" "$WORK/gateway" "$WORK/gateway-run.log"

set +e
"$NODE" "$HERE/summarize.mjs" "$WORK/direct" "$WORK/gateway" --json "$WORK/summary.json"
status=$?
set -e
if ((status != 0)); then
  log "gateway log (last 60 lines):"
  tail -n 60 "$WORK/gateway.log" >&2
fi
exit "$status"
