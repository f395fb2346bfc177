#!/usr/bin/env bash
# churn.sh: instances started and reaped all the time; nothing may leak.
#
# On loopback: a gateway with a short --idle-timeout (1 s) spawning mcp-responder
# instances (default; --backend dbhub for DBHub), and mcp-load in an open loop at
# --rate requests/s spread round robin over --dsns DSNs, so that most requests find
# their instance reaped and start a new one. Every second: gateway RSS, live
# instances, backend processes alive. At the end: wait until every instance is
# reaped, then check that no backend process is left (while the gateway still
# runs, and after it stopped), and report the gateway's RSS at rest (before),
# during and after the churn. 503s at capacity are retried by mcp-load.
# Writes load-tests/results/churn-<timestamp>.json (with the RSS timeline).
# --smoke: 4 s at 20 req/s over 20 DSNs; checks all answered and nothing leaked.
set -euo pipefail

usage() {
  cat <<'EOF2'
Usage: load-tests/churn.sh [--smoke] [options]

  --duration S     seconds of load (env DURATION, default 40)
  --rate R         requests/s, open loop (env RATE, default 50)
  --dsns N         DSNs, visited round robin (env DSNS, default 200)
  --concurrency N  connections (env CONCURRENCY, default 16)
  --idle S         gateway --idle-timeout in seconds (env IDLE, default 1)
  --max N          gateway --max-instances (env MAX, default 64)
  --backend B      responder (default) or dbhub
  --session        mcp-load --session (initialize per connection and DSN)
  --gateway PATH   mcp-gateway binary (env MCP_GATEWAY_BIN, default build/mcp-gateway)
  --load PATH      mcp-load (env MCP_LOAD_BIN, default build/load-tests/mcp-load)
  --responder PATH mcp-responder (env MCP_RESPONDER_BIN)
  --out FILE       results file (default load-tests/results/churn-<timestamp>.json;
                   --smoke writes none unless --out is given)
  --smoke          4 s, 20 req/s, 20 DSNs
  -h, --help       this text
EOF2
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT_NAME=churn
PATH_OPTIONS="gateway load responder out"
# shellcheck source=lib/common.sh
source "$ROOT/load-tests/lib/common.sh"
DURATION=${DURATION:-40}
RATE=${RATE:-50}
DSNS=${DSNS:-200}
CONCURRENCY=${CONCURRENCY:-16}
IDLE=${IDLE:-1}
MAX=${MAX:-64}
BACKEND=responder
SESSION=0

while (($#)); do
  case "$1" in
    --duration) DURATION=$2; shift ;;
    --rate) RATE=$2; shift ;;
    --dsns) DSNS=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    --idle) IDLE=$2; shift ;;
    --max) MAX=$2; shift ;;
    --backend) BACKEND=$2; shift ;;
    --session) SESSION=1 ;;
    *) common_option "$@"; shift $((TAKEN - 1)) ;;
  esac
  shift
done
if ((SMOKE)); then DURATION=4 RATE=20 DSNS=20 CONCURRENCY=4; fi

readonly HEALTH_TIMEOUT_S=30
readonly STOP_GRACE_S=15
readonly REAP_TIMEOUT_S=60

require_files "$NODE" "$GATEWAY" "$LOAD" "$RESPONDER"
[[ $BACKEND =~ ^(dbhub|responder)$ ]] || die "--backend: dbhub or responder"

make_tmp
STOP_AT_EXIT=(LOAD_PID GATEWAY_PID)
FAILURE_LOGS=("$TMP/gateway.log")
GATEWAY_PID=""
LOAD_PID=""

# The marker in every backend's argv finds the processes of this run: the responder
# gets it as its first argument; DBHub gets it through a symlinked entry script.
mkdir -p "$TMP/db"
if [[ $BACKEND == responder ]]; then
  use_responder_backend "$TMP/responder.entry"
else
  RESPONDER_MARKER=$TMP/dbhub-entry.js
  ln -s "$DBHUB" "$RESPONDER_MARKER"
  BACKEND_FLAGS=(--node="$NODE" --dbhub="$RESPONDER_MARKER" --warm-pool=0)
  for ((i = 0; i < DSNS; i++)); do : >"$TMP/db/$i.db"; done
fi

# shellcheck disable=SC2086
start_gateway "$TMP/gateway.log" "$TMP/state" --idle-timeout="${IDLE}s" --max-instances="$MAX" \
  ${GATEWAY_ARGS:-}
sleep 1
RSS_REST_BEFORE=$(rss_kb "$GATEWAY_PID")
LOADAVG_BEFORE=$(loadavg)

session_flag=()
((SESSION)) && session_flag=(--session)
"$LOAD" --url "http://$MCP_ADDR/mcp" --dsn "sqlite://$TMP/db/{i}.db" --dsns "$DSNS" \
  --dsn-spread request --rate "$RATE" --concurrency "$CONCURRENCY" --duration "${DURATION}s" \
  --warmup 0 --timeout 30s --retries 30 "${session_flag[@]}" --label churn >"$TMP/churn.json" &
LOAD_PID=$!
: >"$TMP/timeline.tsv"
start_s=$(date +%s.%N)
while kill -0 "$LOAD_PID" 2>/dev/null; do
  now=$(date +%s.%N)
  live=$(admin_get /metrics 2>/dev/null | awk '/^mcp_gateway_instances\{state="(starting|ready|draining)"\}/ {s += $NF} END {printf "%d", s}')
  printf '%.2f\t%s\t%s\t%s\n' "$(echo "$now - $start_s" | bc)" "$(rss_kb "$GATEWAY_PID")" "$live" \
    "$(count_backend_processes)" >>"$TMP/timeline.tsv"
  sleep 1
done
rc=0
wait "$LOAD_PID" || rc=$?
LOAD_PID=""
((rc == 0)) || die "mcp-load failed"
LOADAVG_AFTER=$(loadavg)

# Every instance must be reaped after the idle timeout, and its process gone.
reaped() { [[ $(admin_get /metrics | awk '/^mcp_gateway_instances\{/ {s += $NF} END {printf "%d", s}') == 0 ]]; }
for ((i = 0; i < REAP_TIMEOUT_S * 10; i++)); do reaped && break; sleep 0.1; done
reaped && REAPED_ALL=1 || REAPED_ALL=0
sleep 0.5
LEFT_WHILE_RUNNING=$(count_backend_processes)
SPAWNS=$(metric mcp_gateway_spawns_total)
REAPS=$(metric mcp_gateway_reaps_total)
EVICTIONS=$(metric mcp_gateway_evictions_total)
SPAWN_FAILURES=$(metric mcp_gateway_spawn_failures_total)
CRASHES=$(metric mcp_gateway_instance_crashes_total)
sleep 1
RSS_REST_AFTER=$(rss_kb "$GATEWAY_PID")
stop_pid "$GATEWAY_PID"
GATEWAY_PID=""
LEFT_AFTER_STOP=$(count_backend_processes)
log "spawns $SPAWNS, reaps $REAPS, evictions $EVICTIONS; left: $LEFT_WHILE_RUNNING (running), $LEFT_AFTER_STOP (stopped)"

default_out
export TMP SMOKE OUT DURATION RATE DSNS CONCURRENCY IDLE MAX BACKEND SESSION RSS_REST_BEFORE \
  RSS_REST_AFTER REAPED_ALL LEFT_WHILE_RUNNING LEFT_AFTER_STOP SPAWNS REAPS EVICTIONS \
  SPAWN_FAILURES CRASHES LOADAVG_BEFORE LOADAVG_AFTER
export_machine_facts
"$NODE" "$ROOT/load-tests/churn_summary.mjs"
