# Shared by the benchmark scripts in load-tests/: default paths and the options every
# scenario takes, logging, bounded waits, the clean-up at exit, stopping what a script
# started, small JSON reads and a description of the machine.
# The sourcing script sets ROOT, SCRIPT_NAME and PATH_OPTIONS before sourcing it, and
# HEALTH_TIMEOUT_S and STOP_GRACE_S before it starts anything.

# The binaries and scripts measured: from the environment, else this tree's.
NODE=${MCP_GATEWAY_NODE:-$ROOT/.deps/node_modules/.bin/node}
DBHUB=${MCP_GATEWAY_DBHUB:-$ROOT/.deps/node_modules/@bytebase/dbhub/dist/index.js}
GATEWAY=${MCP_GATEWAY_BIN:-$ROOT/build/mcp-gateway}
LOAD=${MCP_LOAD_BIN:-$ROOT/build/load-tests/mcp-load}
RESPONDER=${MCP_RESPONDER_BIN:-$ROOT/build/load-tests/mcp-responder}
OUT=""
SMOKE=0

# common_option ARGS...: the options every scenario script shares: --smoke, -h/--help,
# and of --gateway, --load, --responder, --out those named in PATH_OPTIONS (the rest
# are unknown there). Sets TAKEN to the number of words used; unknown words exit 2.
common_option() {
  TAKEN=1
  case "$1" in
    --smoke) SMOKE=1; return ;;
    -h | --help) usage; exit 0 ;;
  esac
  if [[ $1 == --* && " $PATH_OPTIONS " == *" ${1#--} "* ]]; then
    (($# >= 2)) || { echo "$SCRIPT_NAME: $1 needs a value (see --help)" >&2; exit 2; }
    TAKEN=2
    case "$1" in
      --gateway) GATEWAY=$2 ;;
      --load) LOAD=$2 ;;
      --responder) RESPONDER=$2 ;;
      --out) OUT=$2 ;;
    esac
    return
  fi
  echo "$SCRIPT_NAME: unknown argument '$1' (see --help)" >&2
  exit 2
}

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
# GATEWAY_PREFIX: words run before it (e.g. valgrind and its options).
GATEWAY_PREFIX=()
start_gateway() {
  local log_file=$1 state=$2; shift 2
  mkdir -p -m 700 "$state"
  local backend=(--node="$NODE" --dbhub="$DBHUB")
  ((${#BACKEND_FLAGS[@]})) && backend=("${BACKEND_FLAGS[@]}")
  "${GATEWAY_PREFIX[@]}" "$GATEWAY" --listen=127.0.0.1:0 --admin-listen=127.0.0.1:0 --state-dir="$state" \
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
# LOAD_PREFIX: words run before it (e.g. taskset -c 1).
LOAD_PREFIX=()
load() {
  "${LOAD_PREFIX[@]}" "$LOAD" "$@" &
  LOAD_PID=$!
  local rc=0
  wait "$LOAD_PID" || rc=$?
  LOAD_PID=""
  return "$rc"
}

# require_files FILE...: dies naming the first that does not exist.
require_files() {
  local f
  for f in "$@"; do
    [[ -e $f ]] || die "missing $f (see --help for the flags and environment variables)"
  done
}

# loadavg: the 1, 5 and 15 minute load averages.
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# What cleanup does at exit: stop the processes whose pids the variables named in
# STOP_AT_EXIT hold (in that order; a variable may hold several), call the script's
# extra_cleanup if it defines one, show the last lines of the FAILURE_LOGS files
# (glob patterns) when the script failed, and remove $TMP unless KEEP_TMP=1.
STOP_AT_EXIT=()
FAILURE_LOGS=()
cleanup() {
  local rc=$? name pid pattern f
  trap - EXIT INT TERM
  for name in "${STOP_AT_EXIT[@]}"; do
    for pid in ${!name:-}; do stop_pid "$pid"; done
  done
  if declare -F extra_cleanup >/dev/null; then extra_cleanup || true; fi
  if ((rc != 0)); then
    for pattern in "${FAILURE_LOGS[@]}"; do
      for f in $pattern; do
        [[ -s $f ]] && { log "--- last lines of $(basename "$f") ---"; tail -n 30 "$f" >&2; }
      done
    done
  fi
  if [[ -n ${TMP:-} ]]; then
    if [[ ${KEEP_TMP:-0} == 1 ]]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  fi
  exit "$rc"
}

# make_tmp: the run's temporary directory $TMP; from now on cleanup runs at exit,
# and INT or TERM end the script through it.
make_tmp() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/$SCRIPT_NAME.XXXXXX")
  # Instances run as an unprivileged user when the gateway is root
  # (docs/security.md): they must pass through to the databases in here.
  chmod 711 "$TMP"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# default_out: a full run writes load-tests/results/<script>-<UTC time>.json unless
# --out names a file; --smoke writes none unless --out is given.
default_out() {
  if ((SMOKE == 0)) && [[ -z $OUT ]]; then
    mkdir -p "$ROOT/load-tests/results"
    OUT=$ROOT/load-tests/results/$SCRIPT_NAME-$(date -u +%Y%m%dT%H%M%SZ).json
  fi
}

# log_load_result NAME FILE: one line out of an mcp-load results file.
log_load_result() {
  # shellcheck disable=SC2016  # JavaScript template literal, not shell
  log "$1: $("$NODE" -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1]));
    console.log(`${j.requests} requests, ${j.errors} errors, ${j.rps} req/s, p50 ${j.latency_ms.p50} ms, p99 ${j.latency_ms.p99} ms`)' "$2")"
}
