#!/usr/bin/env bash
# warm_overhead.sh: what the gateway adds to a request once its DBHub instance is warm.
#
# On loopback only, in one run, with the same concurrency, duration and SQL:
#   (a) direct:  mcp-load -> DBHub (started here, Authorization: Bearer <token>)
#   (b) gateway: mcp-load -> mcp-gateway (X-DBHub-DSN) -> the DBHub the gateway
#                spawned for that DSN: same node, same DBHub, same DSN, same
#                environment as (a); it was warmed up by one request first.
# Prints both results, the requests/s ratio (gateway/direct) and the added p50/p99
# latency, and writes load-tests/results/warm_overhead-<timestamp>.json.
# --smoke: 2 s at concurrency 2, checks only that every request is OK.
# Stops by itself; everything it started is stopped on exit.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: load-tests/warm_overhead.sh [--smoke] [options]

  --duration S     seconds measured per target and round (env DURATION, default 20)
  --concurrency N  connections, closed loop (env CONCURRENCY, default 8)
  --warmup S       unrecorded traffic before each measurement (env WARMUP, default 2)
  --rounds N       direct/gateway pairs, interleaved d,g,d,g,... (env ROUNDS, default 1)
  --sql SQL        statement sent with execute_sql (env SQL)
  --rows N         rows in the benchmark table (env ROWS, default 1000)
  --gateway PATH   mcp-gateway binary (env MCP_GATEWAY_BIN, default build/mcp-gateway)
  --load PATH      mcp-load binary (env MCP_LOAD_BIN, default build/load-tests/mcp-load)
  --out FILE       results file (default load-tests/results/warm_overhead-<timestamp>.json;
                   --smoke writes none unless --out is given)
  --smoke          2 s, concurrency 2, warm-up 0.5 s, 1 round; fails unless all requests OK
  -h, --help       this text

Also from the environment: MCP_GATEWAY_NODE (node >= 22), MCP_GATEWAY_DBHUB (DBHub's
dist/index.js), both defaulting to .deps/node_modules; GATEWAY_ARGS (extra gateway flags);
KEEP_TMP=1 keeps the temporary directory (logs, database) for inspection.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT_NAME=warm_overhead
PATH_OPTIONS="gateway load out"
# shellcheck source=lib/common.sh
source "$ROOT/load-tests/lib/common.sh"
DURATION=${DURATION:-20}
CONCURRENCY=${CONCURRENCY:-8}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-1}
ROWS=${ROWS:-1000}
SQL=${SQL:-"SELECT id, name, qty FROM items WHERE id = 42"}

while (($#)); do
  case "$1" in
    --duration) DURATION=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --sql) SQL=$2; shift ;;
    --rows) ROWS=$2; shift ;;
    *) common_option "$@"; shift $((TAKEN - 1)) ;;
  esac
  shift
done
if ((SMOKE)); then DURATION=2 CONCURRENCY=2 WARMUP=0.5 ROUNDS=1; fi

# Limits on waiting: nothing here waits forever.
readonly HEALTH_TIMEOUT_S=30      # DBHub /healthz, gateway listen.json
readonly FIRST_REQUEST_TIMEOUT=60s # the gateway spawns its DBHub on the first request
readonly STOP_GRACE_S=15          # SIGTERM -> SIGKILL

require_files "$NODE" "$DBHUB" "$GATEWAY" "$LOAD"
command -v curl >/dev/null || die "curl is needed"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive integer"

make_tmp
# The gateway stops its DBHub children itself; INSTANCE_PIDS is a safety net if it could not.
STOP_AT_EXIT=(LOAD_PID GATEWAY_PID INSTANCE_PIDS DBHUB_PID)
FAILURE_LOGS=("$TMP/dbhub.log" "$TMP/gateway.log")
DBHUB_PID=""
GATEWAY_PID=""
INSTANCE_PIDS=""
LOAD_PID=""

# --- 1. the database --------------------------------------------------------------
DB=$TMP/bench.db
"$NODE" --no-warnings -e '
  const {DatabaseSync} = require("node:sqlite");
  const db = new DatabaseSync(process.argv[1]);
  db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL)");
  const ins = db.prepare("INSERT INTO items (id, name, qty) VALUES (?, ?, ?)");
  db.exec("BEGIN");
  for (let i = 1; i <= Number(process.argv[2]); i++) ins.run(i, "item-" + i, (i * 7) % 100);
  db.exec("COMMIT");
  db.close();' "$DB" "$ROWS"
DSN="sqlite://$DB"

# --- 2. DBHub, started the way the gateway starts its instances ---------------------
# (runtime/process_runtime.cc: clean environment, private empty cwd, same argv)
DBHUB_PORT=$(free_port)
TOKEN=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
mkdir -m 700 "$TMP/dbhub-work"
(
  cd "$TMP/dbhub-work"
  exec env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$TMP/dbhub-work" LANG=C.UTF-8 \
    NODE_ENV=production TRANSPORT=http PORT="$DBHUB_PORT" DBHUB_HOST=127.0.0.1 \
    DSN="$DSN" DBHUB_AUTH_TOKEN="$TOKEN" \
    "$NODE" "$DBHUB" --transport http --port "$DBHUB_PORT"
) >"$TMP/dbhub.log" 2>&1 &
DBHUB_PID=$!
wait_for "DBHub /healthz" "$DBHUB_PID" curl -sf "http://127.0.0.1:$DBHUB_PORT/healthz"
log "DBHub (direct) pid $DBHUB_PID on 127.0.0.1:$DBHUB_PORT"

# --- 3. the gateway -------------------------------------------------------------------
# shellcheck disable=SC2086  # GATEWAY_ARGS is a list of flags
# No warm pool: its workers loading DBHub would compete with the measurement.
start_gateway "$TMP/gateway.log" "$TMP/state" --idle-timeout=1h --warm-pool=0 ${GATEWAY_ARGS:-}

DIRECT_URL="http://127.0.0.1:$DBHUB_PORT/mcp"
GATEWAY_URL="http://$MCP_ADDR/mcp"

# --- 4. warm the gateway's instance: the first request spawns its DBHub ------------
load --url "$GATEWAY_URL" --header "X-DBHub-DSN: $DSN" --sql "$SQL" --concurrency 1 \
  --requests 1 --warmup 0 --timeout "$FIRST_REQUEST_TIMEOUT" --duration 90s \
  >"$TMP/first.json" || die "first request through the gateway: mcp-load failed"
[[ $(json_field "$TMP/first.json" 'j.ok') == 1 ]] ||
  die "first request through the gateway failed: $(json_field "$TMP/first.json" 'j.sample_error')"
admin_get /admin/instances >"$TMP/instances.json" ||
  die "GET /admin/instances failed"
INSTANCE_PIDS=$(json_field "$TMP/instances.json" 'j.instances.map(i=>i.pid).join(" ")')
[[ -n $INSTANCE_PIDS ]] || die "the gateway lists no instance after the first request"
log "gateway's DBHub instance(s): pid $INSTANCE_PIDS (first request $(json_field "$TMP/first.json" 'j.latency_ms.max') ms)"
for pid in $INSTANCE_PIDS; do
  tr '\0' ' ' <"/proc/$pid/cmdline" >"$TMP/instance-$pid.cmdline" 2>/dev/null || true
done
tr '\0' ' ' <"/proc/$DBHUB_PID/cmdline" >"$TMP/direct.cmdline" 2>/dev/null || true

# --- 5. measure, interleaved: direct, gateway, direct, gateway, ... ------------------
LOADAVG_BEFORE=$(loadavg)
run_load() { # NAME URL HEADER
  local name=$1 url=$2 header=$3
  load --url "$url" --header "$header" --sql "$SQL" --concurrency "$CONCURRENCY" \
    --duration "$DURATION" --warmup "$WARMUP" --label "$name" >"$TMP/$name.json" ||
    die "$name: mcp-load failed"
  log_load_result "$name" "$TMP/$name.json"
}
for ((r = 1; r <= ROUNDS; r++)); do
  run_load "direct-$r" "$DIRECT_URL" "Authorization: Bearer $TOKEN"
  run_load "gateway-$r" "$GATEWAY_URL" "X-DBHub-DSN: $DSN"
done
LOADAVG_AFTER=$(loadavg)

# --- 6. summary ---------------------------------------------------------------------
default_out
export TMP ROUNDS SMOKE OUT SQL ROWS CONCURRENCY DURATION WARMUP LOADAVG_BEFORE LOADAVG_AFTER \
  DBHUB_PID INSTANCE_PIDS GATEWAY LOAD
export_machine_facts
"$NODE" "$ROOT/load-tests/warm_overhead_summary.mjs"
