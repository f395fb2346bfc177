# Shared by the benchmark scripts in load-tests/: logging, bounded waits, stopping
# what a script started, small JSON reads and a description of the machine.
# The sourcing script sets SCRIPT_NAME, NODE, HEALTH_TIMEOUT_S and STOP_GRACE_S first.

log() { echo "$SCRIPT_NAME: $*" >&2; }
die() { log "$*"; exit 1; }

# Sends SIGTERM, waits up to STOP_GRACE_S, then SIGKILL. Only pids we started.
stop_pid() {
  local pid=$1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_GRACE_S * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "pid $pid ignored SIGTERM for ${STOP_GRACE_S}s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

free_port() {
  "$NODE" -e 'const s=require("net").createServer();
    s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close();});'
}

# wait_for DESCRIPTION PID COMMAND...: polls COMMAND until it succeeds, PID dies, or timeout.
wait_for() {
  local what=$1 pid=$2; shift 2
  for ((i = 0; i < HEALTH_TIMEOUT_S * 10; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || die "$what: process $pid exited"
    sleep 0.1
  done
  die "$what: not ready after ${HEALTH_TIMEOUT_S}s"
}

# json_field FILE EXPR: prints a value out of a JSON file (EXPR is JS on `j`).
json_field() {
  "$NODE" -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
    const v=(new Function("j","return "+process.argv[2]))(j); process.stdout.write(String(v));' "$1" "$2"
}

# The gateway's backend flags; empty: DBHub ($NODE + $DBHUB). use_responder_backend
# fills it. Overriding --node/--dbhub is the hook that puts mcp-responder where
# DBHub stands until the gateway has a general launch configuration.
BACKEND_FLAGS=()

# use_responder_backend ENTRY_FILE: the gateway spawns mcp-responder ($RESPONDER)
# instead of DBHub: it runs `--node` with `--dbhub` as first argument, so --node is
# the responder and --dbhub a marker file (created here) that the responder ignores.
# The marker's unique path in every instance's argv lets count_backend_processes
# find them. No warm pool: its workers preload DBHub with node.
use_responder_backend() {
  RESPONDER_MARKER=$1
  : >"$RESPONDER_MARKER"
  BACKEND_FLAGS=(--node="$RESPONDER" --dbhub="$RESPONDER_MARKER" --warm-pool=0)
}

# count_backend_processes: processes whose argv holds $RESPONDER_MARKER (the
# backend instances the gateway started in this run, and only those; the gateway
# itself, whose --dbhub flag names the marker too, is not counted).
count_backend_processes() {
  # One grep over every cmdline (NUL-separated: -a); the gateway's own is dropped.
  # The pattern ends in a bracket expression so that grep's own argv does not match.
  local pattern="${RESPONDER_MARKER%?}[${RESPONDER_MARKER: -1}]"
  grep -la -- "$pattern" /proc/[0-9]*/cmdline 2>/dev/null |
    grep -vxF "/proc/${GATEWAY_PID:-none}/cmdline" | wc -l || true
}

# rss_kb PID: resident set size of PID in KiB (0 when it is gone).
rss_kb() { awk '/^VmRSS:/ {print $2; f=1} END {if (!f) print 0}' "/proc/$1/status" 2>/dev/null || echo 0; }

# metric NAME: sum of the gateway's /metrics samples of NAME (all label sets).
metric() {
  admin_get /metrics | awk -v n="$1" '$1 == n || index($1, n "{") == 1 {s += $NF} END {printf "%d\n", s}'
}

# start_responder LOG_FILE PORT TOKEN: mcp-responder started directly (not by the
# gateway), the way the gateway starts it; sets RESPONDER_PID.
start_responder() {
  local log_file=$1 port=$2 token=$3
  env -i PATH=/usr/bin:/bin DBHUB_AUTH_TOKEN="$token" "$RESPONDER" --port "$port" >"$log_file" 2>&1 &
  RESPONDER_PID=$!
  wait_for "mcp-responder /healthz" "$RESPONDER_PID" curl -sf "http://127.0.0.1:$port/healthz"
}

# start_gateway LOG_FILE STATE_DIR FLAGS...: starts mcp-gateway on loopback port 0
# listeners and waits for its listen.json; sets GATEWAY_PID, MCP_ADDR, ADMIN_ADDR and
# ADMIN_TOKEN (the token the gateway generated in its state directory).
start_gateway() {
  local log_file=$1 state=$2; shift 2
  mkdir -p -m 700 "$state"
  local backend=(--node="$NODE" --dbhub="$DBHUB")
  ((${#BACKEND_FLAGS[@]})) && backend=("${BACKEND_FLAGS[@]}")
  "$GATEWAY" --listen=127.0.0.1:0 --admin-listen=127.0.0.1:0 --state-dir="$state" \
    "${backend[@]}" "$@" >"$log_file" 2>&1 &
  GATEWAY_PID=$!
  listen_ready() { [[ -s $state/listen.json ]] && json_field "$state/listen.json" 'j.mcp && j.admin'; }
  wait_for "gateway listen.json" "$GATEWAY_PID" listen_ready
  MCP_ADDR=$(json_field "$state/listen.json" 'j.mcp')
  ADMIN_ADDR=$(json_field "$state/listen.json" 'j.admin')
  ADMIN_TOKEN=$(cat "$state/admin-token")
  log "gateway pid $GATEWAY_PID, MCP on $MCP_ADDR, admin on $ADMIN_ADDR"
}

# admin_get PATH: GET http://$ADMIN_ADDR/PATH with the admin token, body on stdout.
admin_get() {
  curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" "http://$ADMIN_ADDR$1"
}

# Exports what the summaries print about the machine and the versions measured.
export_machine_facts() {
  NODE_VERSION=$("$NODE" --version)
  DBHUB_VERSION=$(json_field "$(dirname "$(dirname "$DBHUB")")/package.json" 'j.version' 2>/dev/null ||
    echo unknown)
  CPU_MODEL=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)
  NPROC=$(nproc)
  KERNEL=$(uname -r)
  GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo uncommitted)
  export NODE_VERSION DBHUB_VERSION CPU_MODEL NPROC KERNEL GIT_REV
}

# load ARGS...: runs "$LOAD" (mcp-load) in the background and waits, so that a
# signal is handled at once (bash runs traps only after a foreground child has
# finished); LOAD_PID names it meanwhile, for the scripts' cleanup traps.
load() {
  "$LOAD" "$@" &
  LOAD_PID=$!
  local rc=0
  wait "$LOAD_PID" || rc=$?
  LOAD_PID=""
  return "$rc"
}
