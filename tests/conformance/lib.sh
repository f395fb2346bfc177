# Shared by the conformance comparisons (run.sh, run_requirements.sh): the
# pinned programs, logging, the processes a script started and their
# clean-up, and starting the gateway in front of a server.
# The sourcing script sets LOG_PREFIX and WORK_PREFIX first; it may pass the
# gateway binary as its first argument.

HERE="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
DEPS="${MCP_GATEWAY_DEPS:-$REPO/.deps}"
NODE="$DEPS/node_modules/.bin/node"
MODULES="$DEPS/node_modules/@modelcontextprotocol"
EVERYTHING="$MODULES/server-everything/dist/index.js"

log() { printf '%s: %s\n' "$LOG_PREFIX" "$*" >&2; }
die() { log "error: $*"; exit 2; }

[[ -x "$NODE" ]] || die "$NODE not found; run deploy/setup.sh install"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/$WORK_PREFIX.XXXXXX")"
PIDS=()
# Stops every process started so far and waits for them.
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

# A port on 127.0.0.1 that was free a moment ago.
free_port() {
  "$NODE" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Waits until `url` answers HTTP at all (neither server has a health path:
# GET /mcp without a session answers 400).
wait_http() {
  local url="$1" deadline=$((SECONDS + 60))
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" =~ ^[1-5][0-9][0-9]$ ]]; do
    ((SECONDS < deadline)) || die "no answer from $url within 60 s"
    sleep 0.2
  done
}

# start_gateway_for STATE_DIR LOG_FILE FLAGS...: the gateway on loopback with
# a fresh state directory; waits for its listen.json and sets GATEWAY_URL
# (its /mcp). The runners send no custom headers: FLAGS name the instance
# with --default-dsn-file.
start_gateway_for() {
  local state="$1" log_file="$2"; shift 2
  mkdir -m 700 "$state"
  "$GATEWAY" --listen=127.0.0.1:0 --admin-listen=127.0.0.1:0 --state-dir="$state" \
    "$@" >"$log_file" 2>&1 &
  PIDS+=($!)
  local pid=$! deadline=$((SECONDS + 30))
  until [[ -s "$state/listen.json" ]]; do
    kill -0 "$pid" 2>/dev/null || { cat "$log_file" >&2; die "gateway exited"; }
    ((SECONDS < deadline)) || die "gateway did not write listen.json within 30 s"
    sleep 0.1
  done
  GATEWAY_URL="http://$("$NODE" -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).mcp)' "$state/listen.json")/mcp"
}
