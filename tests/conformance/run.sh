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
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
DEPS="${MCP_GATEWAY_DEPS:-$REPO/.deps}"
GATEWAY="${1:-${MCP_GATEWAY_BIN:-$REPO/build/mcp-gateway}}"
NODE="$DEPS/node_modules/.bin/node"
MODULES="$DEPS/node_modules/@modelcontextprotocol"
EVERYTHING="$MODULES/server-everything/dist/index.js"
CONFORMANCE="$MODULES/conformance/dist/index.js"

log() { printf 'conformance: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

[[ -x "$NODE" ]] || die "$NODE not found; run deploy/setup.sh install"
[[ -f "$EVERYTHING" && -f "$CONFORMANCE" ]] || die "server-everything or conformance missing in $MODULES; run deploy/setup.sh install"
[[ -x "$GATEWAY" ]] || die "gateway binary $GATEWAY not found"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mcpgw-conformance.XXXXXX")"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ "${CONFORMANCE_KEEP:-}" == 1 ]]; then log "results kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# A port on 127.0.0.1 that was free a moment ago.
free_port() {
  "$NODE" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Waits until `url` answers HTTP at all (server-everything has no health path:
# GET /mcp without a session answers 400).
wait_http() {
  local url="$1" deadline=$((SECONDS + 60))
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" =~ ^[1-5][0-9][0-9]$ ]]; do
    ((SECONDS < deadline)) || die "no answer from $url within 60 s"
    sleep 0.2
  done
}

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
kill -TERM "${PIDS[0]}" 2>/dev/null || true

# 2. server-everything behind the gateway. The DSN only names the instance.
mkdir -m 700 "$WORK/state"
echo "sqlite://$WORK/conformance.db" >"$WORK/default-dsn"
"$GATEWAY" --listen=127.0.0.1:0 --admin-listen=127.0.0.1:0 --state-dir="$WORK/state" \
  --server-command="$NODE" --server-arg="$EVERYTHING" --server-arg=streamableHttp \
  --default-dsn-file="$WORK/default-dsn" >"$WORK/gateway.log" 2>&1 &
PIDS+=($!)
deadline=$((SECONDS + 30))
until [[ -s "$WORK/state/listen.json" ]]; do
  kill -0 "${PIDS[1]}" 2>/dev/null || { cat "$WORK/gateway.log" >&2; die "gateway exited"; }
  ((SECONDS < deadline)) || die "gateway did not write listen.json within 30 s"
  sleep 0.1
done
mcp="$("$NODE" -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).mcp)' "$WORK/state/listen.json")"
log "gateway: http://$mcp/mcp"
run_suite "http://$mcp/mcp" "$WORK/gateway" "$WORK/gateway-run.log"

set +e
"$NODE" "$HERE/summarize.mjs" "$WORK/direct" "$WORK/gateway" --json "$WORK/summary.json"
status=$?
set -e
if ((status != 0)); then
  log "gateway log (last 60 lines):"
  tail -n 60 "$WORK/gateway.log" >&2
fi
exit "$status"
