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
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
DEPS="${MCP_GATEWAY_DEPS:-$REPO/.deps}"
GATEWAY="${1:-${MCP_GATEWAY_BIN:-$REPO/build/mcp-gateway}}"
NODE="$DEPS/node_modules/.bin/node"
EVERYTHING="$DEPS/node_modules/@modelcontextprotocol/server-everything/dist/index.js"
DBHUB="$DEPS/node_modules/@bytebase/dbhub/dist/index.js"
RUNNER="$DEPS/node_modules/conformance-next/dist/index.js"
REVISIONS="${CONFORMANCE_REVISIONS:-2025-11-25 2026-07-28}"
SERVERS="${CONFORMANCE_SERVERS:-dbhub everything}"

log() { printf 'conformance-next: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 2; }

[[ -x "$NODE" ]] || die "$NODE not found; run deploy/setup.sh install"
[[ -f "$EVERYTHING" && -f "$DBHUB" ]] || die "server-everything or DBHub missing in $DEPS; run deploy/setup.sh install"
[[ -f "$RUNNER" ]] || die "$RUNNER missing; run deploy/setup.sh install"
[[ -x "$GATEWAY" ]] || die "gateway binary $GATEWAY not found"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mcpgw-conformance-next.XXXXXX")"
# DBHub's sandbox (another user) must reach its database file.
chmod 755 "$WORK"
PIDS=()
stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
cleanup() {
  stop_all
  if [[ "${CONFORMANCE_KEEP:-}" == 1 ]]; then log "results kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() {
  "$NODE" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Until `url` answers HTTP at all (neither server has a health path).
wait_http() {
  local url="$1" deadline=$((SECONDS + 60))
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" =~ ^[1-5][0-9][0-9]$ ]]; do
    ((SECONDS < deadline)) || die "no answer from $url within 60 s"
    sleep 0.2
  done
}

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
# server-everything through --server-command. The runner sends no custom
# headers: --default-dsn-file names the instance.
start_gateway() {  # server
  local state="$WORK/state-$1" extra=()
  mkdir -m 700 "$state"
  sqlite3 "$WORK/gateway-$1.db" 'CREATE TABLE IF NOT EXISTS t (a INTEGER)'
  chmod 666 "$WORK/gateway-$1.db"
  echo "sqlite://$WORK/gateway-$1.db" >"$WORK/default-dsn-$1"
  [[ "$1" == everything ]] && extra=(--server-command="$NODE" --server-arg="$EVERYTHING" --server-arg=streamableHttp)
  "$GATEWAY" --listen=127.0.0.1:0 --admin-listen=127.0.0.1:0 --state-dir="$state" \
    --warm-pool=0 "${extra[@]}" --default-dsn-file="$WORK/default-dsn-$1" \
    >"$WORK/gateway-$1.log" 2>&1 &
  PIDS+=($!)
  local pid=$! deadline=$((SECONDS + 30))
  until [[ -s "$state/listen.json" ]]; do
    kill -0 "$pid" 2>/dev/null || { cat "$WORK/gateway-$1.log" >&2; die "gateway exited"; }
    ((SECONDS < deadline)) || die "gateway did not write listen.json within 30 s"
    sleep 0.1
  done
  GATEWAY_URL="http://$("$NODE" -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).mcp)' "$state/listen.json")/mcp"
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
