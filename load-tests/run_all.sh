#!/usr/bin/env bash
# run_all.sh: a short version of every load-test scenario, one after the other, in
# one command; one results file and PNG charts.
#
#   warm_overhead  DBHub direct vs through the gateway (5 s each)
#   raw_proxy      mcp-responder direct / nginx / gateway (5 s each, concurrency 32)
#   raw_capacity   raw_proxy.sh --backend static --pin: a backend that never limits,
#                  JSON and SSE answers, without and with a session (5 s each, three
#                  rounds: the proxies' order swapped in the second; nearly 4 minutes)
#   cold_start     50 new DSNs with the warm pool and 50 without; 10 in a container
#                  (Podman; left out, with a note, when podman is missing)
#   spawn_storm    200 concurrent first requests for one DSN; 50 for 50 DSNs
#   churn          20 s at 50 req/s over 200 DSNs, 1 s idle timeout
#   streams        1000 concurrent SSE streams held 5 s
# Writes <dir>/results.json (every scenario's results, the machine, the load
# average before and after, the command), <dir>/summary.md (the figures as the
# Markdown tables of docs/benchmarks.md) and <dir>/*.png (gnuplot), where <dir> is
# load-tests/results/run-<UTC timestamp>/ unless --out-dir is given. About 7.5
# minutes on a quiet 2-core machine (cold_start needs nearly 2 of them,
# raw_capacity nearly 4). Exits 1 when a scenario failed (the others still run).
# --smoke: every scenario's --smoke (seconds each; checks that they work, never
# timings), results and charts in a temporary directory unless --out-dir is given.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SMOKE=0
OUT_DIR=""
SKIP=""
export MCP_GATEWAY_BIN=${MCP_GATEWAY_BIN:-$ROOT/build/mcp-gateway}
export MCP_LOAD_BIN=${MCP_LOAD_BIN:-$ROOT/build/load-tests/mcp-load}
export MCP_RESPONDER_BIN=${MCP_RESPONDER_BIN:-$ROOT/build/load-tests/mcp-responder}

usage() {
  cat <<'EOF2'
Usage: load-tests/run_all.sh [--smoke] [--out-dir DIR] [--skip LIST]

  --smoke        every scenario in its smoke mode (seconds; no timings checked)
  --out-dir DIR  where results.json and the charts go
  --skip LIST    comma-separated scenarios to leave out (e.g. cold_start)
  --gateway P, --load P, --responder P   binaries (default build/...)
  -h, --help     this text
EOF2
}
while (($#)); do
  case "$1" in
    --smoke) SMOKE=1 ;;
    --out-dir) OUT_DIR=$2; shift ;;
    --skip) SKIP=$2; shift ;;
    --gateway) MCP_GATEWAY_BIN=$2; shift ;;
    --load) MCP_LOAD_BIN=$2; shift ;;
    --responder) MCP_RESPONDER_BIN=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run_all: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
CLEAN_OUT=0
if [[ -z $OUT_DIR ]]; then
  if ((SMOKE)); then
    OUT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/run_all.XXXXXX")
    CLEAN_OUT=1
  else
    OUT_DIR=$ROOT/load-tests/results/run-$STAMP
  fi
fi
mkdir -p "$OUT_DIR"
log() { echo "run_all: $*" >&2; }
# shellcheck disable=SC2317  # called by the trap
cleanup() { ((CLEAN_OUT)) && [[ ${KEEP_TMP:-0} != 1 ]] && rm -rf "$OUT_DIR"; return 0; }
trap cleanup EXIT

# The short version of each scenario: flags for a full run and for --smoke.
scenario_flags() {
  local smoke=$1 name=$2
  if ((smoke)); then
    case "$name" in
      raw_capacity) echo "--smoke --backend static" ;;
      *) echo "--smoke" ;;
    esac
    return
  fi
  case "$name" in
    warm_overhead) echo "--duration 5 --warmup 1 --rounds 1" ;;
    raw_proxy) echo "--duration 5 --warmup 1 --rounds 1 --concurrency 32" ;;
    raw_capacity) echo "--backend static --pin --duration 5 --warmup 1 --rounds 3 --concurrency 16" ;;
    cold_start) echo "--dsns 50 --modes pool,bare --pace 1.2 --pace-other 0.1" ;;
    cold_start_docker) echo "--dsns 50 --modes docker --pace-other 0.1" ;;
    spawn_storm) echo "--burst 200 --dsns 50 --max 10" ;;
    churn) echo "--duration 20 --rate 50 --dsns 200" ;;
    streams) echo "--streams 1000 --hold 5" ;;
  esac
}

SCENARIOS=(warm_overhead raw_proxy raw_capacity cold_start cold_start_docker spawn_storm churn streams)
((SMOKE)) && SCENARIOS=(warm_overhead raw_proxy raw_capacity cold_start spawn_storm churn streams)
if ! command -v podman >/dev/null; then
  log "podman is not installed: leaving out the container cold starts"
  SCENARIOS=("${SCENARIOS[@]/cold_start_docker/}")
fi

LOADAVG_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
START_S=$(date +%s)
FAILED=()
declare -A SECONDS_OF
for name in "${SCENARIOS[@]}"; do
  [[ -n $name ]] || continue
  [[ ,$SKIP, == *,$name,* ]] && { log "skipping $name"; continue; }
  case "$name" in
    cold_start_docker) script=cold_start ;;
    raw_capacity) script=raw_proxy ;;
    *) script=$name ;;
  esac
  log "=== $name ==="
  t0=$(date +%s)
  # shellcheck disable=SC2046  # the flags are a list
  if "$ROOT/load-tests/$script.sh" $(scenario_flags "$SMOKE" "$name") --out "$OUT_DIR/$name.json" \
    >"$OUT_DIR/$name.txt" 2>"$OUT_DIR/$name.log"; then
    cat "$OUT_DIR/$name.txt"
  else
    FAILED+=("$name")
    cat "$OUT_DIR/$name.txt"
    log "$name FAILED; last lines of its log:"
    tail -n 20 "$OUT_DIR/$name.log" >&2
  fi
  SECONDS_OF[$name]=$(($(date +%s) - t0))
done
LOADAVG_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

NODE=${MCP_GATEWAY_NODE:-$ROOT/.deps/node_modules/.bin/node}
timings=""
for k in "${!SECONDS_OF[@]}"; do timings+="$k=${SECONDS_OF[$k]},"; done
export OUT_DIR SMOKE LOADAVG_BEFORE LOADAVG_AFTER STAMP
export RUN_SECONDS=$(($(date +%s) - START_S)) SCENARIO_SECONDS=$timings FAILED_SCENARIOS="${FAILED[*]:-}"
RUN_COMMAND="load-tests/run_all.sh"
((SMOKE)) && RUN_COMMAND+=" --smoke"
export RUN_COMMAND
GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
NPROC=$(nproc)
CPU_MODEL=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)
KERNEL=$(uname -r)
MEM_KB=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
export GIT_REV NPROC CPU_MODEL KERNEL MEM_KB
"$NODE" "$ROOT/load-tests/run_all_report.mjs" || FAILED+=(report)
"$NODE" "$ROOT/load-tests/run_all_markdown.mjs" "$OUT_DIR/results.json" >"$OUT_DIR/summary.md" ||
  FAILED+=(summary)
if command -v gnuplot >/dev/null; then
  (cd "$OUT_DIR" && for gp in *.gp; do [[ -e $gp ]] || continue; gnuplot "$gp"; done) || FAILED+=(charts)
  log "charts: $(cd "$OUT_DIR" && ls ./*.png 2>/dev/null | tr '\n' ' ')"
else
  log "gnuplot is not installed: no charts (apt-get install gnuplot-nox)"
  ((SMOKE)) || FAILED+=(charts)
fi
log "results: $OUT_DIR/results.json ($RUN_SECONDS s; load average $LOADAVG_BEFORE -> $LOADAVG_AFTER)"
if ((${#FAILED[@]})); then
  log "FAILED: ${FAILED[*]}"
  exit 1
fi
((SMOKE)) && log "smoke OK: every scenario works (timings not checked)"
exit 0
