#!/usr/bin/env bash
# cold_start.sh: time from the first request for a new DSN to its answer, on the
# process runtime and on the docker runtime, in one run.
#
# Two gateways run side by side on loopback: one with --runtime=process, one with
# --runtime=docker (Podman's Docker-compatible service on a private socket, started
# here, unless --docker-host names an engine). Each sample is a new SQLite file, so
# a new DSN: the gateway starts a new DBHub for it (process or container), waits
# for /healthz, and proxies one `tools/call execute_sql`. The samples alternate
# process, docker, process, docker, ... so that both see the same machine load.
# Prints p50/p90/p99/max per runtime and writes
# load-tests/results/cold_start-<UTC timestamp>.json. Stops everything on exit.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: load-tests/cold_start.sh [options]

  --samples N        cold starts per runtime (env SAMPLES, default 40)
  --docker-host URL  engine to use (default: a private Podman service started here,
                     storage in build/podman-bench)
  --image NAME       DBHub image (env IMAGE, default mcp-gateway/dbhub:1.4.0-offline,
                     built offline by deploy/build-dbhub-image.sh when missing)
  --gateway PATH     mcp-gateway binary (env MCP_GATEWAY_BIN, default build/mcp-gateway)
  --out FILE         results file (default load-tests/results/cold_start-<timestamp>.json)
  -h, --help         this text

KEEP_TMP=1 keeps the temporary directory (gateway logs, databases).
USAGE
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SAMPLES=${SAMPLES:-40}
IMAGE=${IMAGE:-mcp-gateway/dbhub:1.4.0-offline}
GATEWAY=${MCP_GATEWAY_BIN:-$ROOT/build/mcp-gateway}
DOCKER_HOST_ARG=""
OUT=""
while (($#)); do
  case "$1" in
    --samples) SAMPLES=$2; shift ;;
    --docker-host) DOCKER_HOST_ARG=$2; shift ;;
    --image) IMAGE=$2; shift ;;
    --gateway) GATEWAY=$2; shift ;;
    --out) OUT=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done

TMP=$(mktemp -d /tmp/cold-start.XXXXXX)
chmod 711 "$TMP"
DB_DIR="$TMP/db"
mkdir -p "$DB_DIR" && chmod 755 "$DB_DIR"
PIDS=()
PODMAN_DIR=""
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -n "$PODMAN_DIR" ]] && bash "$ROOT/tests/integration/podman/podman_service.sh" stop "$PODMAN_DIR" 2>/dev/null || true
  [[ "${KEEP_TMP:-0}" == 1 ]] && echo "kept $TMP" >&2 || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z "$DOCKER_HOST_ARG" ]]; then
  # Kept across runs (private storage: the image is built once).
  PODMAN_DIR="$ROOT/build/podman-bench"
  MCP_GATEWAY_TEST_IMAGE="$IMAGE" bash "$ROOT/tests/integration/podman/podman_service.sh" start "$PODMAN_DIR"
  DOCKER_HOST_ARG="unix://$PODMAN_DIR/podman.sock"
fi

# start_gateway NAME FLAGS... : runs a gateway on port 0, sets GATEWAY_PORT.
# (Not in a $(...) subshell: PIDS must reach the cleanup.)
start_gateway() {
  local name=$1; shift
  local state="$TMP/state-$name"
  "$GATEWAY" --listen=127.0.0.1:0 --admin-listen=127.0.0.1:0 --state-dir="$state" \
    --max-instances=$((SAMPLES + 4)) --idle-timeout=3600s --log-level=warn "$@" \
    >"$TMP/gateway-$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 200); do
    if [[ -s "$state/listen.json" ]]; then
      GATEWAY_PORT=$(sed -n 's/.*"mcp":"[^"]*:\([0-9]*\)".*/\1/p' "$state/listen.json")
      return 0
    fi
    sleep 0.05
  done
  echo "gateway $name did not start: $(tail -5 "$TMP/gateway-$name.log")" >&2
  exit 1
}

start_gateway process --runtime=process
PROCESS_PORT=$GATEWAY_PORT
start_gateway docker --runtime=docker --docker-host="$DOCKER_HOST_ARG" \
  --image="$IMAGE" --docker-mount="$DB_DIR:$DB_DIR:ro"
DOCKER_PORT=$GATEWAY_PORT

BODY='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"execute_sql","arguments":{"sql":"SELECT id FROM t"}}}'
# One cold start: a new database file, one request; prints seconds.
cold_request() {
  local port=$1 name=$2
  local db="$DB_DIR/$name.db"
  sqlite3 "$db" "CREATE TABLE t(id INTEGER); INSERT INTO t VALUES (1);"
  chmod 644 "$db"
  local out
  out=$(curl -sS -o "$TMP/answer" -w '%{http_code} %{time_total}' "http://127.0.0.1:$port/mcp" \
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -H "X-DBHub-DSN: sqlite://$db" -d "$BODY")
  if [[ "${out%% *}" != 200 ]] || ! grep -q '"result"' "$TMP/answer"; then
    echo "cold start $name failed: $out $(head -c 300 "$TMP/answer")" >&2
    exit 1
  fi
  echo "${out#* }"
}

: >"$TMP/process.txt"
: >"$TMP/docker.txt"
for i in $(seq 1 "$SAMPLES"); do
  cold_request "$PROCESS_PORT" "p$i" >>"$TMP/process.txt"
  cold_request "$DOCKER_PORT" "d$i" >>"$TMP/docker.txt"
done

# stats FILE -> "p50 p90 p99 max mean" in milliseconds (nearest rank)
stats() {
  sort -g "$1" | awk '{ v[NR] = $1 * 1000; s += v[NR] }
    function rank(p) { r = int(p * NR + 0.999999); if (r < 1) r = 1; return v[r] }
    END { printf "%.0f %.0f %.0f %.0f %.0f\n", rank(0.5), rank(0.9), rank(0.99), v[NR], s / NR }'
}
read -r P50 P90 P99 PMAX PMEAN < <(stats "$TMP/process.txt")
read -r D50 D90 D99 DMAX DMEAN < <(stats "$TMP/docker.txt")

printf '\ncold start (first request for a new DSN -> answer), %s samples each, ms\n' "$SAMPLES"
printf '%-8s %6s %6s %6s %6s %6s\n' runtime p50 p90 p99 max mean
printf '%-8s %6s %6s %6s %6s %6s\n' process "$P50" "$P90" "$P99" "$PMAX" "$PMEAN"
printf '%-8s %6s %6s %6s %6s %6s\n' docker "$D50" "$D90" "$D99" "$DMAX" "$DMEAN"

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$ROOT/load-tests/results/cold_start-$STAMP.json}
mkdir -p "$(dirname "$OUT")"
ENGINE_VERSION=$(curl -s --max-time 5 ${PODMAN_DIR:+--unix-socket "$PODMAN_DIR/podman.sock"} \
  "${PODMAN_DIR:+http://d}/version" 2>/dev/null | head -c 2000 || true)
cat >"$OUT" <<JSON
{
  "benchmark": "cold_start",
  "utc": "$STAMP",
  "samples": $SAMPLES,
  "machine": {"nproc": $(nproc), "kernel": "$(uname -r)", "loadavg_end": "$(cut -d' ' -f1-3 /proc/loadavg)"},
  "docker_host": "$DOCKER_HOST_ARG",
  "image": "$IMAGE",
  "engine_version": ${ENGINE_VERSION:-null},
  "process_ms": {"p50": $P50, "p90": $P90, "p99": $P99, "max": $PMAX, "mean": $PMEAN,
                 "all": [$(awk '{printf "%s%.1f", (NR>1?",":""), $1*1000}' "$TMP/process.txt")]},
  "docker_ms": {"p50": $D50, "p90": $D90, "p99": $D99, "max": $DMAX, "mean": $DMEAN,
                "all": [$(awk '{printf "%s%.1f", (NR>1?",":""), $1*1000}' "$TMP/docker.txt")]}
}
JSON
echo "results: $OUT"
