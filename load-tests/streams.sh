#!/usr/bin/env bash
# streams.sh: many SSE streams held open through the gateway at once.
#
# On loopback: a gateway spawning mcp-responder for one DSN; mcp-load --streams opens
# --streams (1000) connections at once, each a tools/call of the responder's `hold`
# tool, whose answer is an SSE stream: one notification at once, one every
# --interval, for longer than the run. (Until the gateway's standalone GET /mcp
# streams are measured here, these long POST answers are the streams.) The script
# measures the gateway's RSS and open fds with the instance warm and no stream
# (baseline), with every stream open (mcp-load's --ready-file), and after they
# closed; memory per stream = (open - baseline) / streams. Time to first event is
# mcp-load's, from sending the request. The same is done straight to a responder
# for comparison of the time to first event.
# Writes load-tests/results/streams-<timestamp>.json.
# --smoke: 50 streams held 1 s; checks all opened and none closed early.
set -euo pipefail

usage() {
  cat <<'EOF2'
Usage: load-tests/streams.sh [--smoke] [options]

  --streams N      concurrent streams (env STREAMS, default 1000)
  --hold S         seconds every stream is held once all are open (env HOLD, default 5)
  --interval MS    the responder's notification interval (env INTERVAL_MS, default 2000)
  --gateway PATH   mcp-gateway binary (env MCP_GATEWAY_BIN, default build/mcp-gateway)
  --load PATH      mcp-load (env MCP_LOAD_BIN, default build/load-tests/mcp-load)
  --responder PATH mcp-responder (env MCP_RESPONDER_BIN)
  --out FILE       results file (default load-tests/results/streams-<timestamp>.json;
                   --smoke writes none unless --out is given)
  --smoke          50 streams, held 1 s
  -h, --help       this text
EOF2
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT_NAME=streams
PATH_OPTIONS="gateway load responder out"
# shellcheck source=lib/common.sh
source "$ROOT/load-tests/lib/common.sh"
STREAMS=${STREAMS:-1000}
HOLD=${HOLD:-5}
INTERVAL_MS=${INTERVAL_MS:-2000}

while (($#)); do
  case "$1" in
    --streams) STREAMS=$2; shift ;;
    --hold) HOLD=$2; shift ;;
    --interval) INTERVAL_MS=$2; shift ;;
    *) common_option "$@"; shift $((TAKEN - 1)) ;;
  esac
  shift
done
if ((SMOKE)); then STREAMS=50 HOLD=1; fi

readonly HEALTH_TIMEOUT_S=30
readonly STOP_GRACE_S=15
readonly OPEN_TIMEOUT=60s   # all streams must be open by then

require_files "$NODE" "$GATEWAY" "$LOAD" "$RESPONDER"
[[ $STREAMS =~ ^[1-9][0-9]*$ ]] || die "--streams wants a positive integer"
# The gateway holds 2 fds per stream (client + backend), mcp-load and the responder
# 1 each; children inherit this limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(($(ulimit -n) >= 2 * STREAMS + 200)) ||
  die "open files limit $(ulimit -n) is too low for $STREAMS streams (needs $((2 * STREAMS + 200)))"

make_tmp
STOP_AT_EXIT=(LOAD_PID GATEWAY_PID RESPONDER_PID)
FAILURE_LOGS=("$TMP/gateway.log")
GATEWAY_PID=""
LOAD_PID=""
RESPONDER_PID=""

fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
# Hold each stream server-side well past the client's hold.
ARGS="{\"hold_ms\":$(((HOLD + 120) * 1000)),\"interval_ms\":$INTERVAL_MS}"

# streams_run NAME URL HEADER: mcp-load --streams in the background; while it runs,
# waits for its ready file and samples the gateway there (when PID given).
streams_run() {
  local name=$1 url=$2 header=$3 pid=${4:-}
  rm -f "$TMP/$name.ready"
  "$LOAD" --streams --url "$url" --header "$header" --concurrency "$STREAMS" --tool hold \
    --arguments "$ARGS" --duration "${HOLD}s" --timeout "$OPEN_TIMEOUT" \
    --ready-file "$TMP/$name.ready" --label "$name" >"$TMP/$name.json" &
  LOAD_PID=$!
  while kill -0 "$LOAD_PID" 2>/dev/null && [[ ! -e $TMP/$name.ready ]]; do sleep 0.1; done
  if [[ -n $pid && -e $TMP/$name.ready ]]; then
    sleep 0.5  # let the last relays settle
    OPEN_RSS_KB=$(rss_kb "$pid")
    OPEN_FDS=$(fds "$pid")
    OPEN_STREAMS_METRIC=$(metric mcp_gateway_open_streams)
  fi
  local rc=0
  wait "$LOAD_PID" || rc=$?
  LOAD_PID=""
  ((rc == 0)) || die "$name: mcp-load failed"
}

# --- direct, for the time to first event without the gateway -----------------------
TOKEN=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
R_PORT=$(free_port)
start_responder "$TMP/responder.log" "$R_PORT" "$TOKEN"
LOADAVG_BEFORE=$(loadavg)
streams_run direct "http://127.0.0.1:$R_PORT/mcp" "Authorization: Bearer $TOKEN"
stop_pid "$RESPONDER_PID"
RESPONDER_PID=""

# --- through the gateway -------------------------------------------------------------
use_responder_backend "$TMP/responder.entry"
# shellcheck disable=SC2086
start_gateway "$TMP/gateway.log" "$TMP/state" --idle-timeout=1h ${GATEWAY_ARGS:-}
DSN="sqlite:///streams/bench.db"
"$LOAD" --url "http://$MCP_ADDR/mcp" --header "X-DBHub-DSN: $DSN" --concurrency 4 --requests 200 \
  --warmup 0 --timeout 30s --duration 40s >"$TMP/first.json" || die "warm-up: mcp-load failed"
[[ $(json_field "$TMP/first.json" 'j.ok') == 200 ]] ||
  die "warm-up through the gateway failed: $(json_field "$TMP/first.json" 'j.sample_error')"
sleep 1
BASE_RSS_KB=$(rss_kb "$GATEWAY_PID")
BASE_FDS=$(fds "$GATEWAY_PID")
streams_run gateway "http://$MCP_ADDR/mcp" "X-DBHub-DSN: $DSN" "$GATEWAY_PID"
# The gateway watches each client while relaying and frees a departed client's
# stream at once: wait (10 s at most) until its fds are back to the baseline.
for ((i = 0; i < 100; i++)); do
  (($(fds "$GATEWAY_PID") <= BASE_FDS)) && break
  sleep 0.1
done
sleep 0.5  # then let freed memory settle before the sample
AFTER_RSS_KB=$(rss_kb "$GATEWAY_PID")
AFTER_FDS=$(fds "$GATEWAY_PID")
LOADAVG_AFTER=$(loadavg)
log "gateway RSS ${BASE_RSS_KB} KiB -> ${OPEN_RSS_KB:-?} KiB with $STREAMS streams -> $AFTER_RSS_KB KiB after"

default_out
export TMP SMOKE OUT STREAMS HOLD INTERVAL_MS BASE_RSS_KB BASE_FDS OPEN_RSS_KB OPEN_FDS \
  OPEN_STREAMS_METRIC AFTER_RSS_KB AFTER_FDS LOADAVG_BEFORE LOADAVG_AFTER
export_machine_facts
"$NODE" "$ROOT/load-tests/streams_summary.mjs"
