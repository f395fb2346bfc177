#!/usr/bin/env bash
# The newest MCP conformance runner (deploy/npm pins it as `conformance-next`)
# with `server --requirements REVISION`, for 2025-11-25 and 2026-07-28,
# against DBHub and against server-everything, each directly and behind the
# gateway. Prints both counts per pair; fails when anything that passes
# directly (a scenario, or a check) does not pass through the gateway.
# tests/conformance/run.sh keeps the older runner's comparison.
#
#   tests/conformance/run_requirements.sh [path/to/mcp-gateway]
#
# Env: MCP_GATEWAY_DEPS (default <repo>/.deps), CONFORMANCE_KEEP=1 keeps the
# results directory, CONFORMANCE_REVISIONS (default "2025-11-25 2026-07-28"),
# CONFORMANCE_SERVERS (default "dbhub everything").
set -euo pipefail
LOG_PREFIX=conformance-next
WORK_PREFIX=mcpgw-conformance-next
# shellcheck source=tests/conformance/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
GATEWAY="${1:-${MCP_GATEWAY_BIN:-$REPO/build/mcp-gateway}}"
DBHUB="$DEPS/node_modules/@bytebase/dbhub/dist/index.js"
RUNNER="$DEPS/node_modules/conformance-next/dist/index.js"
REVISIONS="${CONFORMANCE_REVISIONS:-2025-11-25 2026-07-28}"
SERVERS="${CONFORMANCE_SERVERS:-dbhub everything}"

[[ -f "$EVERYTHING" && -f "$DBHUB" ]] || die "server-everything or DBHub missing in $DEPS; run deploy/setup.sh install"
[[ -f "$RUNNER" ]] || die "$RUNNER missing; run deploy/setup.sh install"
[[ -x "$GATEWAY" ]] || die "gateway binary $GATEWAY not found"
# DBHub's sandbox (another user) must reach its database file.
chmod 755 "$WORK"

run_revisions() {  # url out_prefix
  local revision
  for revision in $REVISIONS; do
    mkdir -p "$2-$revision"
    # The runner exits non-zero when any scenario fails: the comparison decides.
    (cd "$WORK" && "$NODE" "$RUNNER" server --url "$1" --requirements "$revision" \
      -o "$2-$revision") >"$2-$revision.log" 2>&1 || true
  done
}

# The server itself, on its own port.
start_direct() {  # server port
  case "$1" in
    dbhub)
      (cd "$WORK" && exec "$NODE" "$DBHUB" --transport http --port "$2" \
        --dsn "sqlite://$WORK/direct.db") >"$WORK/direct-$1.log" 2>&1 & ;;
    everything)
      (cd "$WORK" && exec env PORT="$2" "$NODE" "$EVERYTHING" streamableHttp) \
        >"$WORK/direct-$1.log" 2>&1 & ;;
  esac
  PIDS+=($!)
}

# The gateway in front of the server: DBHub as it starts it by default,
# server-everything through --server-command; --default-dsn-file names the
# instance.
start_gateway() {  # server
  local extra=()
  sqlite3 "$WORK/gateway-$1.db" 'CREATE TABLE IF NOT EXISTS t (a INTEGER)'
  chmod 666 "$WORK/gateway-$1.db"
  echo "sqlite://$WORK/gateway-$1.db" >"$WORK/default-dsn-$1"
  [[ "$1" == everything ]] && extra=(--server-command="$NODE" --server-arg="$EVERYTHING" --server-arg=streamableHttp)
  start_gateway_for "$WORK/state-$1" "$WORK/gateway-$1.log" \
    --warm-pool=0 "${extra[@]}" --default-dsn-file="$WORK/default-dsn-$1"
}

status=0
for server in $SERVERS; do
  port="$(free_port)"
  start_direct "$server" "$port"
  wait_http "http://127.0.0.1:$port/mcp"
  log "$server directly on 127.0.0.1:$port"
  run_revisions "http://127.0.0.1:$port/mcp" "$WORK/direct-$server"
  stop_all

  start_gateway "$server"
  log "$server behind the gateway at $GATEWAY_URL"
  run_revisions "$GATEWAY_URL" "$WORK/gateway-$server"
  stop_all

  for revision in $REVISIONS; do
    echo "== $server, --requirements $revision"
    if ! "$NODE" "$HERE/summarize.mjs" "$WORK/direct-$server-$revision" \
        "$WORK/gateway-$server-$revision" --strict-checks \
        --json "$WORK/summary-$server-$revision.json"; then
      status=1
      log "gateway log for $server (last 15 lines):"
      tail -n 15 "$WORK/gateway-$server.log" >&2
    fi
  done
done
exit "$status"
