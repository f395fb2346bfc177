#!/usr/bin/env bash
# instructions.sh: the instructions the gateway executes per proxied request, counted
# by callgrind: a figure a shared, noisy machine hardly moves (two runs of the same
# binary agree within about 1 %), where CPU time per request moves by 10-25 %. Used to
# judge each change on the hot path (docs/benchmarks.md, raw_capacity).
#
# The scenario is raw_proxy.sh's static one: the gateway (one I/O thread) under
# `valgrind --tool=callgrind --instr-atstart=no` spawns the static nginx backend
# (load-tests/lib/static_mcp_backend.sh) for one sqlite DSN; mcp-load sends
# --warmup-requests uncounted, then callgrind counts while it sends --requests more,
# at --concurrency. Variants as raw_proxy.sh's: JSON or SSE answers, without or with
# a session. Prints, per variant, the instructions per request (whole process,
# kernel excluded); writes load-tests/results/instructions-<timestamp>.json.
# --smoke: one variant, 50 requests; checks that the count comes out.
set -euo pipefail

usage() {
  cat <<'EOF2'
Usage: load-tests/instructions.sh [--smoke] [options]

  --variants LIST      comma-separated, of json-stateless, sse-stateless, json-session,
                       sse-session (env VARIANTS, default all four)
  --requests N         requests counted per variant (env REQUESTS, default 2000)
  --warmup-requests N  requests sent first, not counted (env WARMUP_REQUESTS, default 400)
  --concurrency N      connections, closed loop (env CONCURRENCY, default 16)
  --gateway PATH       mcp-gateway binary (env MCP_GATEWAY_BIN, default build/mcp-gateway)
  --load PATH          mcp-load binary (env MCP_LOAD_BIN, default build/load-tests/mcp-load)
  --out FILE           results file (default load-tests/results/instructions-<timestamp>.json)
  --smoke              json-stateless only, 50 requests after 20
  -h, --help           this text

Needs valgrind (callgrind and callgrind_control; deploy/setup.sh installs it).
EOF2
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT_NAME=instructions
PATH_OPTIONS="gateway load out"
# shellcheck source=lib/common.sh
source "$ROOT/load-tests/lib/common.sh"
VARIANTS=${VARIANTS:-json-stateless,sse-stateless,json-session,sse-session}
REQUESTS=${REQUESTS:-2000}
WARMUP_REQUESTS=${WARMUP_REQUESTS:-400}
CONCURRENCY=${CONCURRENCY:-16}

while (($#)); do
  case "$1" in
    --variants) VARIANTS=$2; shift ;;
    --requests) REQUESTS=$2; shift ;;
    --warmup-requests) WARMUP_REQUESTS=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    *) common_option "$@"; shift $((TAKEN - 1)) ;;
  esac
  shift
done
if ((SMOKE)); then VARIANTS=json-stateless REQUESTS=50 WARMUP_REQUESTS=20; fi

# Slower to start under valgrind (it translates the whole binary first).
readonly HEALTH_TIMEOUT_S=120
readonly STOP_GRACE_S=15

for n in "$REQUESTS" "$WARMUP_REQUESTS" "$CONCURRENCY"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "--requests, --warmup-requests and --concurrency want positive integers"
done
IFS=, read -r -a VARIANT_LIST <<<"$VARIANTS"
for v in "${VARIANT_LIST[@]}"; do
  case "$v" in
    json-stateless | sse-stateless | json-session | sse-session) ;;
    *) die "unknown variant '$v' (see --help)" ;;
  esac
done
STATIC_BACKEND=$ROOT/load-tests/lib/static_mcp_backend.sh
require_files "$NODE" "$GATEWAY" "$LOAD" "$STATIC_BACKEND"
for tool in valgrind callgrind_control callgrind_annotate; do
  command -v "$tool" >/dev/null || die "missing $tool (apt-get install valgrind, as deploy/setup.sh install does)"
done

make_tmp
STOP_AT_EXIT=(LOAD_PID GATEWAY_PID)
FAILURE_LOGS=("$TMP/gateway.log")
GATEWAY_PID=""
LOAD_PID=""
DSN="sqlite:///raw-proxy/bench.db"
RESULTS=()

# count VARIANT: a gateway of its own under callgrind, the variant's traffic, the count.
count() {
  local variant=$1 session=() profile="$TMP/callgrind-$1.out"
  [[ $variant == *-session ]] && session=(--session)
  GATEWAY_PREFIX=(valgrind --tool=callgrind --instr-atstart=no "--callgrind-out-file=$profile")
  BACKEND_FLAGS=(--server-command="$STATIC_BACKEND" --warm-pool=0)
  start_gateway "$TMP/gateway-$variant.log" "$TMP/state-$variant" --idle-timeout=1h --threads=1
  local common=(--url "http://$MCP_ADDR/mcp" --header "X-DBHub-DSN: $DSN" --fixed-id 1
    "${session[@]}" --header "X-Bench-Answer: ${variant%%-*}" --timeout 60s --duration 600s
    --warmup 0 --concurrency "$CONCURRENCY")
  load "${common[@]}" --requests "$WARMUP_REQUESTS" >"$TMP/warmup-$variant.json" ||
    die "$variant: warm-up failed"
  callgrind_control -i on "$GATEWAY_PID" >/dev/null 2>&1
  load "${common[@]}" --requests "$REQUESTS" >"$TMP/counted-$variant.json" ||
    die "$variant: mcp-load failed"
  callgrind_control -d "$GATEWAY_PID" >/dev/null 2>&1
  callgrind_control -i off "$GATEWAY_PID" >/dev/null 2>&1
  stop_pid "$GATEWAY_PID"
  GATEWAY_PID=""
  local ok total dump
  ok=$(json_field "$TMP/counted-$variant.json" 'j.ok')
  [[ $ok == "$REQUESTS" ]] || die "$variant: $ok of $REQUESTS requests answered"
  # The dump asked for above is the first (the file callgrind writes at exit
  # holds only what came after it: nothing, instrumentation was off).
  dump=$profile.1
  [[ -s $dump ]] || die "$variant: callgrind wrote no dump ($dump)"
  total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ && !d {gsub(",", "", $1); print $1; d=1}')
  [[ $total =~ ^[0-9]+$ ]] || die "$variant: no instruction count in $dump"
  log "$variant: $((total / ok)) instructions a request ($total over $ok requests)"
  RESULTS+=("{\"variant\":\"$variant\",\"requests\":$ok,\"instructions\":$total,\"instructions_per_request\":$((total / ok))}")
}

for v in "${VARIANT_LIST[@]}"; do count "$v"; done

default_out
if [[ -n $OUT ]]; then
  GIT_REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo uncommitted)
  printf '{"scenario":"instructions","commit":"%s","concurrency":%s,"warmup_requests":%s,"results":[%s]}\n' \
    "$GIT_REV" "$CONCURRENCY" "$WARMUP_REQUESTS" "$(IFS=,; echo "${RESULTS[*]}")" >"$OUT"
  log "results: $OUT"
fi
