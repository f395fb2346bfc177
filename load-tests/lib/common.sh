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

# start_gateway LOG_FILE STATE_DIR FLAGS...: starts mcp-gateway on loopback port 0
# listeners and waits for its listen.json; sets GATEWAY_PID, MCP_ADDR, ADMIN_ADDR and
# ADMIN_TOKEN (the token the gateway generated in its state directory).
start_gateway() {
  local log_file=$1 state=$2; shift 2
  mkdir -p -m 700 "$state"
  "$GATEWAY" --listen=127.0.0.1:0 --admin-listen=127.0.0.1:0 --state-dir="$state" \
    --node="$NODE" --dbhub="$DBHUB" "$@" >"$log_file" 2>&1 &
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
