#!/usr/bin/env bash
# spawn_storm.sh: many first requests at the same moment.
#
# On loopback, two parts, each with a fresh gateway (--warm-pool=0):
#   one:  --burst (200) concurrent first requests for ONE new DSN (DBHub backend by
#         default). Expected: exactly one spawn (mcp_gateway_spawns_total = 1), one
#         instance, every request answered OK.
#   many: --dsns (50) concurrent first requests, one per new DSN, with
#         --max-instances=--max (10). The gateway starts at most --max at a time
#         and answers the others 503 + Retry-After; mcp-load retries those (up to
#         60 times, after Retry-After). Expected: every request answered OK in the
#         end, live instances never above --max (sampled every 50 ms from
#         /metrics), at least one spawn per DSN. Backend: mcp-responder by default
#         (--many-backend dbhub for DBHub: ~1 s of CPU per spawn).
# Writes load-tests/results/spawn_storm-<timestamp>.json.
# --smoke: burst 20, 8 DSNs with --max 3; the same checks, never timings.
set -euo pipefail

usage() {
  cat <<'EOF2'
Usage: load-tests/spawn_storm.sh [--smoke] [options]

  --burst N          concurrent first requests for one DSN (env BURST, default 200)
  --dsns N           concurrent first requests for N DSNs (env DSNS, default 50)
  --max N            --max-instances of the gateway in the many part (env MAX, default 10)
  --one-backend B    dbhub (default) or responder
  --many-backend B   responder (default) or dbhub
  --gateway PATH     mcp-gateway binary (env MCP_GATEWAY_BIN, default build/mcp-gateway)
  --load PATH        mcp-load (env MCP_LOAD_BIN, default build/load-tests/mcp-load)
  --responder PATH   mcp-responder (env MCP_RESPONDER_BIN, default build/load-tests/mcp-responder)
  --out FILE         results file (default load-tests/results/spawn_storm-<timestamp>.json;
                     --smoke writes none unless --out is given)
  --smoke            burst 20, 8 DSNs, max 3
  -h, --help         this text
EOF2
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT_NAME=spawn_storm
PATH_OPTIONS="gateway load responder out"
# shellcheck source=lib/common.sh
source "$ROOT/load-tests/lib/common.sh"
BURST=${BURST:-200}
DSNS=${DSNS:-50}
MAX=${MAX:-10}
ONE_BACKEND=dbhub
MANY_BACKEND=responder

while (($#)); do
  case "$1" in
    --burst) BURST=$2; shift ;;
    --dsns) DSNS=$2; shift ;;
    --max) MAX=$2; shift ;;
    --one-backend) ONE_BACKEND=$2; shift ;;
    --many-backend) MANY_BACKEND=$2; shift ;;
    *) common_option "$@"; shift $((TAKEN - 1)) ;;
  esac
  shift
done
if ((SMOKE)); then BURST=20 DSNS=8 MAX=3; fi

readonly HEALTH_TIMEOUT_S=30
readonly STOP_GRACE_S=15
readonly REQUEST_TIMEOUT=60s

require_files "$NODE" "$DBHUB" "$GATEWAY" "$LOAD" "$RESPONDER"
for b in "$ONE_BACKEND" "$MANY_BACKEND"; do
  [[ $b =~ ^(dbhub|responder)$ ]] || die "backend '$b': dbhub or responder"
done
# 2 fds per request in the gateway, 1 in mcp-load.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

make_tmp
STOP_AT_EXIT=(SAMPLER_PID LOAD_PID GATEWAY_PID)
FAILURE_LOGS=("$TMP/gateway-*.log")
GATEWAY_PID=""
LOAD_PID=""
SAMPLER_PID=""

backend() { # BACKEND PART
  if [[ $1 == responder ]]; then
    use_responder_backend "$TMP/responder-$2.entry"
  else
    BACKEND_FLAGS=(--node="$NODE" --dbhub="$DBHUB" --warm-pool=0)
  fi
}

# Samples the live instances (starting + ready + draining) every 50 ms into FILE.
sample_instances() {
  local file=$1
  while :; do
    admin_get /metrics 2>/dev/null | awk '/^mcp_gateway_instances\{state="(starting|ready|draining)"\}/ {s += $NF} END {printf "%d\n", s}' >>"$file"
    sleep 0.05
  done
}

mkdir -p "$TMP/db"
LOADAVG_BEFORE=$(loadavg)

# --- part one: BURST first requests for one DSN ----------------------------------------
backend "$ONE_BACKEND" one
: >"$TMP/db/one.db"
# shellcheck disable=SC2086
start_gateway "$TMP/gateway-one.log" "$TMP/state-one" --idle-timeout=1h \
  --sqlite-dir="$TMP/db" ${GATEWAY_ARGS:-}
load --url "http://$MCP_ADDR/mcp" --dsn "sqlite://$TMP/db/one.db" --concurrency "$BURST" \
  --requests "$BURST" --warmup 0 --timeout "$REQUEST_TIMEOUT" --duration 90s --label one \
  >"$TMP/one.json" || die "one: mcp-load failed"
ONE_SPAWNS=$(metric mcp_gateway_spawns_total)
ONE_FAILURES=$(metric mcp_gateway_spawn_failures_total)
ONE_INSTANCES=$(admin_get /admin/instances | "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).instances.length))')
log "one: $(json_field "$TMP/one.json" 'j.ok') of $BURST OK, spawns $ONE_SPAWNS, instances $ONE_INSTANCES"
stop_pid "$GATEWAY_PID"
GATEWAY_PID=""

# --- part many: DSNS first requests for DSNS DSNs, --max-instances MAX --------------
backend "$MANY_BACKEND" many
for ((i = 0; i < DSNS; i++)); do : >"$TMP/db/many-$i.db"; done
# shellcheck disable=SC2086
start_gateway "$TMP/gateway-many.log" "$TMP/state-many" --idle-timeout=1h --max-instances="$MAX" \
  --sqlite-dir="$TMP/db" \
  ${GATEWAY_ARGS:-}
: >"$TMP/instances.samples"
sample_instances "$TMP/instances.samples" &
SAMPLER_PID=$!
load --url "http://$MCP_ADDR/mcp" --dsn "sqlite://$TMP/db/many-{i}.db" --dsns "$DSNS" \
  --concurrency "$DSNS" --requests "$DSNS" --warmup 0 --timeout "$REQUEST_TIMEOUT" \
  --duration 120s --retries 60 --label many >"$TMP/many.json" || die "many: mcp-load failed"
stop_pid "$SAMPLER_PID"
SAMPLER_PID=""
MANY_SPAWNS=$(metric mcp_gateway_spawns_total)
MANY_FAILURES=$(metric mcp_gateway_spawn_failures_total)
MANY_EVICTIONS=$(metric mcp_gateway_evictions_total)
MANY_REFUSALS=$(metric mcp_gateway_refusals_total)
MANY_PEAK=$(sort -n "$TMP/instances.samples" | tail -n1)
log "many: $(json_field "$TMP/many.json" 'j.ok') of $DSNS OK, spawns $MANY_SPAWNS, peak live instances ${MANY_PEAK:-?} (max $MAX)"
stop_pid "$GATEWAY_PID"
GATEWAY_PID=""
LOADAVG_AFTER=$(loadavg)

default_out
export TMP SMOKE OUT BURST DSNS MAX ONE_BACKEND MANY_BACKEND ONE_SPAWNS ONE_FAILURES ONE_INSTANCES \
  MANY_SPAWNS MANY_FAILURES MANY_EVICTIONS MANY_REFUSALS MANY_PEAK LOADAVG_BEFORE LOADAVG_AFTER
export_machine_facts
"$NODE" "$ROOT/load-tests/spawn_storm_summary.mjs"
