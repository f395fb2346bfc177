#!/usr/bin/env bash
# cold_start.sh: how long the first request for a DSN the gateway has never seen takes,
# per runtime and with and without the warm pool, in one run.
#
# On loopback only. For each mode a fresh gateway is started and sent --dsns first
# requests, each for a new SQLite file, one at a time, --pace seconds apart:
# tools/call execute_sql "SELECT <i> AS n". The modes:
#   pool    process runtime with a warm pool of --pool workers (waited for first)
#   bare    process runtime, --warm-pool=0: a plain node start per DSN
#   docker  docker runtime (a private Podman service started here unless
#           --docker-host names an engine; the offline DBHub image is built once)
#   kubernetes  kubernetes runtime on the test cluster in --kube-dir (brought
#           up by tests/integration/kubernetes/test_env.sh up, idempotent; the
#           databases lie in its shared volume); only when asked (--modes)
# The time is curl's, from connecting to the last byte of the answer; every answer
# must be 200 and hold the row. Instances are reaped after 3 s idle so memory stays
# flat. Prints p50/p99 per mode; writes load-tests/results/cold_start-<ts>.json.
# --smoke: modes pool and bare, 3 DSNs each; checks only that every request is OK
# and that the pool served at least one of them.
# Stops by itself; everything it started is stopped on exit.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: load-tests/cold_start.sh [--smoke] [options]

  --dsns N         new DSNs per mode (env DSNS, default 60)
  --pace S         seconds between two first requests (env PACE, default 1.5): the
                   pool refills one worker at a time, about a second each here
  --pace-other S   pace of the modes without a pool, bare and docker (env PACE_OTHER,
                   default: --pace); they need none, it only spaces the samples
  --pool N         warm pool size in the pool mode (env POOL, default 2)
  --modes LIST     comma-separated, of pool,bare,docker,kubernetes (env MODES, default pool,bare,docker;
                   docker is left out, with a note, when podman is not installed)
  --kube-dir DIR   test cluster of the kubernetes mode (env KUBE_DIR, default
                   build/kube-test)
  --docker-host U  engine for the docker mode (default: a private Podman service
                   started here, storage in build/podman-bench)
  --image NAME     DBHub image for the docker mode (env IMAGE, default
                   mcp-gateway/dbhub:1.4.0-offline, built offline when missing)
  --gateway PATH   mcp-gateway binary (env MCP_GATEWAY_BIN, default build/mcp-gateway)
  --out FILE       results file (default load-tests/results/cold_start-<timestamp>.json;
                   --smoke writes none unless --out is given)
  --smoke          modes pool,bare, 3 DSNs each, pace 0.5 s
  -h, --help       this text

Also from the environment: MCP_GATEWAY_NODE, MCP_GATEWAY_DBHUB (default .deps/);
GATEWAY_ARGS (extra gateway flags); KEEP_TMP=1 keeps the temporary directory.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT_NAME=cold_start
PATH_OPTIONS="gateway out"
# shellcheck source=lib/common.sh
source "$ROOT/load-tests/lib/common.sh"
DSNS=${DSNS:-60}
PACE=${PACE:-1.5}
PACE_OTHER=${PACE_OTHER:-}
POOL=${POOL:-2}
MODES=${MODES:-pool,bare,docker}
IMAGE=${IMAGE:-mcp-gateway/dbhub:1.4.0-offline}
DOCKER_HOST_ARG=""
KUBE_DIR=${KUBE_DIR:-$ROOT/build/kube-test}

while (($#)); do
  case "$1" in
    --dsns) DSNS=$2; shift ;;
    --pace) PACE=$2; shift ;;
    --pace-other) PACE_OTHER=$2; shift ;;
    --pool) POOL=$2; shift ;;
    --modes) MODES=$2; shift ;;
    --docker-host) DOCKER_HOST_ARG=$2; shift ;;
    --kube-dir) KUBE_DIR=$2; shift ;;
    --image) IMAGE=$2; shift ;;
    *) common_option "$@"; shift $((TAKEN - 1)) ;;
  esac
  shift
done
if ((SMOKE)); then DSNS=3 PACE=0.5 PACE_OTHER=0.5 MODES=pool,bare; fi
PACE_OTHER=${PACE_OTHER:-$PACE}

# Limits on waiting: nothing here waits forever.
readonly HEALTH_TIMEOUT_S=30       # gateway listen.json
readonly POOL_FILL_TIMEOUT_S=120   # all warm workers idle
readonly REQUEST_TIMEOUT_S=60      # one first request (a plain spawn takes ~1 s)
readonly STOP_GRACE_S=15           # SIGTERM -> SIGKILL

require_files "$NODE" "$DBHUB" "$GATEWAY"
command -v curl >/dev/null || die "curl is needed"
[[ $DSNS =~ ^[1-9][0-9]*$ ]] || die "--dsns wants a positive integer"
[[ $POOL =~ ^[1-9][0-9]*$ ]] || die "--pool wants a positive integer"
IFS=, read -r -a MODE_LIST <<<"$MODES"
for mode in "${MODE_LIST[@]}"; do
  [[ $mode =~ ^(pool|bare|docker|kubernetes)$ ]] || die "unknown mode '$mode' (pool, bare, docker, kubernetes)"
done
if [[ ,$MODES, == *,docker,* && -z $DOCKER_HOST_ARG ]] && ! command -v podman >/dev/null; then
  log "podman is not installed: leaving out the docker mode (deploy/setup.sh install installs it)"
  MODE_LIST=("${MODE_LIST[@]/docker/}")
fi

if [[ ,$MODES, == *,kubernetes,* ]]; then
  KUBE_DIR=$(realpath -m "$KUBE_DIR")
  bash "$ROOT/tests/integration/kubernetes/test_env.sh" up "$KUBE_DIR" >"$KUBE_DIR.cold-start-env.log" 2>&1 ||
    die "the test cluster did not come up: $KUBE_DIR.cold-start-env.log"
  # The pods see the databases through the claim on KUBE_DIR/shared.
  export TMPDIR=$KUBE_DIR/shared
fi
make_tmp
STOP_AT_EXIT=(GATEWAY_PID)
FAILURE_LOGS=("$TMP/gateway-*.log")
# Containers run DBHub as a non-root user: it must reach the databases.
chmod 711 "$TMP"
GATEWAY_PID=""
PODMAN_DIR=""
# The Podman service of the docker mode, once the gateway that used it has stopped.
extra_cleanup() {
  [[ -z $PODMAN_DIR ]] || bash "$ROOT/tests/integration/podman/podman_service.sh" stop "$PODMAN_DIR" 2>/dev/null
}

pool_full() {
  admin_get /admin/warm-pool >"$TMP/pool.json" &&
    [[ $(json_field "$TMP/pool.json" "j.state === 'active' && j.idle === $POOL") == true ]]
}

# The flags that make a mode.
mode_flags() {
  case "$1" in
    # The DSNs' files lie in --sqlite-dir: a warm worker's sandbox (set
    # before it knows its DSN) covers them (docs/security.md).
    pool) echo "--warm-pool=$POOL --sqlite-dir=$TMP/db" ;;
    bare) echo "--warm-pool=0 --sqlite-dir=$TMP/db" ;;
    docker) echo "--runtime=docker --docker-host=$DOCKER_HOST_ARG --image=$IMAGE --docker-mount=$TMP/db:$TMP/db:ro" ;;
    kubernetes) echo "--runtime=kubernetes --kubeconfig=$KUBE_DIR/kubeconfig --kube-namespace=mcpgw-it" \
      "--image=localhost/mcp-gateway/dbhub:1.4.0-offline --kube-image-pull-policy=Never" \
      "--kube-cpu-request=10m --kube-memory-request=32Mi --kube-volume=mcpgw-sqlite:$KUBE_DIR/shared:ro" ;;
  esac
}

# measure MODE: one gateway, DSNS first requests; samples in $TMP/MODE.tsv.
measure() {
  local mode=$1
  # shellcheck disable=SC2046,SC2086  # the mode's flags and GATEWAY_ARGS are lists
  start_gateway "$TMP/gateway-$mode.log" "$TMP/state-$mode" $(mode_flags "$mode") \
    --idle-timeout=3s --max-instances=8 ${GATEWAY_ARGS:-}
  if [[ $mode == pool ]]; then
    local i
    for ((i = 0; i < POOL_FILL_TIMEOUT_S * 10; i++)); do
      pool_full && break
      sleep 0.1
    done
    pool_full || die "$mode: the warm pool was not full after ${POOL_FILL_TIMEOUT_S}s"
    log "$mode: warm pool full ($POOL workers)"
  fi
  sleep 0.5
  rss_kb "$GATEWAY_PID" >"$TMP/$mode-rss"
  : >"$TMP/$mode.tsv"
  local n code seconds db
  for ((n = 1; n <= DSNS; n++)); do
    db=$TMP/db/$mode-$n.db
    : >"$db"
    chmod 644 "$db"
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
    if [[ $mode == pool ]]; then sleep "$PACE"; else sleep "$PACE_OTHER"; fi
  done
  admin_get /admin/warm-pool >"$TMP/$mode-pool.json" || die "GET /admin/warm-pool failed"
  stop_pid "$GATEWAY_PID"
  GATEWAY_PID=""
  log "$mode: $DSNS first requests answered"
}

mkdir -p -m 755 "$TMP/db"
if [[ " ${MODE_LIST[*]} " == *" docker "* && -z $DOCKER_HOST_ARG ]]; then
  # Kept across runs (private storage: the image is built once).
  PODMAN_DIR=$ROOT/build/podman-bench
  MCP_GATEWAY_TEST_IMAGE=$IMAGE bash "$ROOT/tests/integration/podman/podman_service.sh" start "$PODMAN_DIR"
  DOCKER_HOST_ARG=unix://$PODMAN_DIR/podman.sock
fi
LOADAVG_BEFORE=$(loadavg)
MEASURED=()
for mode in "${MODE_LIST[@]}"; do
  [[ -n $mode ]] || continue
  measure "$mode"
  MEASURED+=("$mode")
done
MODES=$(IFS=,; echo "${MEASURED[*]}")
LOADAVG_AFTER=$(loadavg)

default_out
export TMP SMOKE OUT DSNS PACE PACE_OTHER POOL MODES IMAGE DOCKER_HOST_ARG LOADAVG_BEFORE LOADAVG_AFTER
export_machine_facts
"$NODE" "$ROOT/load-tests/cold_start_summary.mjs"
