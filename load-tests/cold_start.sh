#!/usr/bin/env bash
# cold_start.sh: how long the first request for a DSN the gateway has never seen takes,
# with the warm pool and without it, in one run.
#
# On loopback only. For each mode (warm pool of --pool workers, then no pool) a fresh
# gateway is started and sent --dsns first requests, each for a new SQLite file, one
# at a time, --pace seconds apart: tools/call execute_sql "SELECT <i> AS n". The time
# is curl's, from connecting to the last byte of the answer; every answer must be 200
# and hold the row. Instances are reaped after 3 s idle so memory stays flat.
# Prints p50/p99 per mode and the ratio; writes load-tests/results/cold_start-<ts>.json.
# --smoke: 3 DSNs per mode; checks only that every request is OK and that the pool
# served at least one of them.
# Stops by itself; everything it started is stopped on exit.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: load-tests/cold_start.sh [--smoke] [options]

  --dsns N         new DSNs per mode (env DSNS, default 60)
  --pace S         seconds between two first requests (env PACE, default 1.5): the
                   pool refills one worker at a time, about a second each here
  --pool N         warm pool size in the pool mode (env POOL, default 2)
  --gateway PATH   mcp-gateway binary (env MCP_GATEWAY_BIN, default build/mcp-gateway)
  --out FILE       results file (default load-tests/results/cold_start-<timestamp>.json;
                   --smoke writes none unless --out is given)
  --smoke          3 DSNs per mode, pace 0.5 s (the pool is waited for first)
  -h, --help       this text

Also from the environment: MCP_GATEWAY_NODE, MCP_GATEWAY_DBHUB (default .deps/);
GATEWAY_ARGS (extra gateway flags); KEEP_TMP=1 keeps the temporary directory.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DSNS=${DSNS:-60}
PACE=${PACE:-1.5}
POOL=${POOL:-2}
NODE=${MCP_GATEWAY_NODE:-$ROOT/.deps/node_modules/.bin/node}
DBHUB=${MCP_GATEWAY_DBHUB:-$ROOT/.deps/node_modules/@bytebase/dbhub/dist/index.js}
GATEWAY=${MCP_GATEWAY_BIN:-$ROOT/build/mcp-gateway}
OUT=""
SMOKE=0

while (($#)); do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --dsns) DSNS=$2; shift ;;
    --pace) PACE=$2; shift ;;
    --pool) POOL=$2; shift ;;
    --gateway) GATEWAY=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "cold_start: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if ((SMOKE)); then DSNS=3 PACE=0.5; fi

# Limits on waiting: nothing here waits forever.
readonly HEALTH_TIMEOUT_S=30       # gateway listen.json
readonly POOL_FILL_TIMEOUT_S=120   # all warm workers idle
readonly REQUEST_TIMEOUT_S=60      # one first request (a plain spawn takes ~1 s)
readonly STOP_GRACE_S=15           # SIGTERM -> SIGKILL

SCRIPT_NAME=cold_start
# shellcheck source=lib/common.sh
source "$ROOT/load-tests/lib/common.sh"

for f in "$NODE" "$DBHUB" "$GATEWAY"; do
  [[ -e $f ]] || die "missing $f (see --help for the env variables and flags)"
done
command -v curl >/dev/null || die "curl is needed"
[[ $DSNS =~ ^[1-9][0-9]*$ ]] || die "--dsns wants a positive integer"
[[ $POOL =~ ^[1-9][0-9]*$ ]] || die "--pool wants a positive integer"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cold_start.XXXXXX")
GATEWAY_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$GATEWAY_PID"
  if ((rc != 0)); then
    for f in "$TMP"/gateway-*.log; do
      [[ -s $f ]] && { log "--- last lines of $(basename "$f") ---"; tail -n 30 "$f" >&2; }
    done
  fi
  if [[ ${KEEP_TMP:-0} == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pool_full() {
  curl -sf "http://$ADMIN_ADDR/admin/warm-pool" >"$TMP/pool.json" &&
    [[ $(json_field "$TMP/pool.json" "j.state === 'active' && j.idle === $POOL") == true ]]
}

# measure MODE WARM_POOL: one gateway, DSNS first requests; samples in $TMP/MODE.tsv.
measure() {
  local mode=$1 warm_pool=$2
  # shellcheck disable=SC2086  # GATEWAY_ARGS is a list of flags
  start_gateway "$TMP/gateway-$mode.log" "$TMP/state-$mode" --warm-pool="$warm_pool" \
    --idle-timeout=3s --max-instances=8 ${GATEWAY_ARGS:-}
  if ((warm_pool > 0)); then
    local i
    for ((i = 0; i < POOL_FILL_TIMEOUT_S * 10; i++)); do
      pool_full && break
      sleep 0.1
    done
    pool_full || die "$mode: the warm pool was not full after ${POOL_FILL_TIMEOUT_S}s"
    log "$mode: warm pool full ($POOL workers)"
  fi
  : >"$TMP/$mode.tsv"
  local n code seconds db
  for ((n = 1; n <= DSNS; n++)); do
    db=$TMP/db/$mode-$n.db
    : >"$db"
    read -r code seconds < <(curl -s -o "$TMP/answer" --max-time "$REQUEST_TIMEOUT_S" \
      -w '%{http_code} %{time_total}\n' "http://$MCP_ADDR/mcp" \
      -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
      -H "X-DBHub-DSN: sqlite://$db" \
      -d "{\"jsonrpc\":\"2.0\",\"id\":$n,\"method\":\"tools/call\",\"params\":{\"name\":\"execute_sql\",\"arguments\":{\"sql\":\"SELECT $n AS n\"}}}" ||
      true)
    [[ $code == 200 ]] || die "$mode: first request $n answered ${code:-nothing}: $(head -c 300 "$TMP/answer")"
    grep -qF "\\\"n\\\": $n" "$TMP/answer" ||
      die "$mode: first request $n: the row is missing: $(head -c 300 "$TMP/answer")"
    printf '%s\t%s\n' "$n" "$seconds" >>"$TMP/$mode.tsv"
    sleep "$PACE"
  done
  curl -sf "http://$ADMIN_ADDR/admin/warm-pool" >"$TMP/$mode-pool.json" || die "GET /admin/warm-pool failed"
  stop_pid "$GATEWAY_PID"
  GATEWAY_PID=""
  log "$mode: $DSNS first requests answered"
}

mkdir -p "$TMP/db"
LOADAVG_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
measure pool "$POOL"
measure bare 0
LOADAVG_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

if ((SMOKE == 0)) && [[ -z $OUT ]]; then
  mkdir -p "$ROOT/load-tests/results"
  OUT=$ROOT/load-tests/results/cold_start-$(date -u +%Y%m%dT%H%M%SZ).json
fi
export TMP SMOKE OUT DSNS PACE POOL LOADAVG_BEFORE LOADAVG_AFTER
export_machine_facts
"$NODE" "$ROOT/load-tests/cold_start_summary.mjs"
