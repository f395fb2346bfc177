#!/usr/bin/env bash
# kube_replicas.sh: two gateway replicas (one secret, one namespace) on the test
# cluster, and --dsns (50) new DSNs at once, each DSN's first request sent to BOTH
# replicas at the same moment. Expected: one pod per DSN (the pod name from the
# instance key, a second create meets 409 and adopts), every request answered.
# Reports the time until all are answered, per-request latency p50/p99, the pods.
# Writes load-tests/results/kube_replicas-<timestamp>.json.
# --smoke: 4 DSNs; the same checks, never timings.
set -euo pipefail

usage() {
  cat <<'EOF2'
Usage: load-tests/kube_replicas.sh [--smoke] [options]

  --dsns N          new DSNs, each asked of both replicas at once (env DSNS, default 50)
  --kube-dir DIR    the test cluster (env KUBE_DIR, default build/kube-bench; brought up by
                    tests/integration/kubernetes/test_env.sh up, idempotent; left running)
  --gateway PATH    mcp-gateway binary (env MCP_GATEWAY_BIN, default build/mcp-gateway)
  --out FILE        results file (default load-tests/results/kube_replicas-<timestamp>.json)
  --smoke           4 DSNs
  -h, --help        this text
EOF2
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT_NAME=kube_replicas
PATH_OPTIONS="gateway out"
# shellcheck source=lib/common.sh
source "$ROOT/load-tests/lib/common.sh"
DSNS=${DSNS:-50}
KUBE_DIR=${KUBE_DIR:-$ROOT/build/kube-bench}
while (($#)); do
  case "$1" in
    --dsns) DSNS=$2; shift ;;
    --kube-dir) KUBE_DIR=$2; shift ;;
    *) common_option "$@"; shift $((TAKEN - 1)) ;;
  esac
  shift
done
((SMOKE)) && DSNS=4

readonly HEALTH_TIMEOUT_S=60
readonly STOP_GRACE_S=60
readonly REQUEST_TIMEOUT_S=300
readonly NS=mcpgw-it

require_files "$NODE" "$GATEWAY"
KUBE_DIR=$(realpath -m "$KUBE_DIR")
log "test cluster in $KUBE_DIR (up if needed)"
bash "$ROOT/tests/integration/kubernetes/test_env.sh" up "$KUBE_DIR" >"$KUBE_DIR.bench-env.log" 2>&1 ||
  die "the test cluster did not come up: $KUBE_DIR.bench-env.log"
export TMPDIR=$KUBE_DIR/shared
make_tmp
chmod 711 "$TMP"
STOP_AT_EXIT=(GATEWAY_PID FIRST_PID)
FAILURE_LOGS=("$TMP/gateway-*.log")
GATEWAY_PID=""
FIRST_PID=""
kubectl_() { bash "$ROOT/tests/kubernetes/cluster.sh" kubectl "$KUBE_DIR" "$@"; }

FLAGS=(--runtime=kubernetes --kubeconfig="$KUBE_DIR/kubeconfig" --kube-namespace=$NS
  --image=localhost/mcp-gateway/dbhub:1.4.0-offline --kube-image-pull-policy=Never
  --kube-cpu-request=5m --kube-memory-request=32Mi --kube-volume=mcpgw-sqlite:$KUBE_DIR/shared:ro
  --max-instances=$((DSNS + 8)) --start-timeout=240s --idle-timeout=10m --secret-file="$TMP/secret")
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/secret"
chmod 600 "$TMP/secret"
start_gateway "$TMP/gateway-a.log" "$TMP/state-a" "${FLAGS[@]}"
FIRST_PID=$GATEWAY_PID A_ADDR=$MCP_ADDR A_ADMIN=$ADMIN_ADDR A_TOKEN=$ADMIN_TOKEN
start_gateway "$TMP/gateway-b.log" "$TMP/state-b" "${FLAGS[@]}"
B_ADDR=$MCP_ADDR

mkdir -p "$TMP/db"
chmod 755 "$TMP/db"
for ((n = 1; n <= DSNS; n++)); do
  python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("CREATE TABLE t(x)"); c.commit()' \
    "$TMP/db/d$n.db"
  chmod 644 "$TMP/db/d$n.db"
done
before=$(kubectl_ -n $NS get pods --no-headers 2>/dev/null | wc -l)
log "$DSNS DSNs x 2 replicas: $((DSNS * 2)) first requests at once"
ask() { # ADDR DSN_FILE OUT
  curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --max-time $REQUEST_TIMEOUT_S \
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
    -H "X-DBHub-DSN: sqlite://$2" "http://$1/mcp" \
    -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"execute_sql","arguments":{"sql":"SELECT 1 AS one"}}}' \
    >"$3" || echo "000 $REQUEST_TIMEOUT_S" >"$3"
}
started=$(date +%s.%N)
pids=()
for ((n = 1; n <= DSNS; n++)); do
  ask "$A_ADDR" "$TMP/db/d$n.db" "$TMP/a-$n.out" & pids+=($!)
  ask "$B_ADDR" "$TMP/db/d$n.db" "$TMP/b-$n.out" & pids+=($!)
done
wait "${pids[@]}"
elapsed=$(echo "$(date +%s.%N) - $started" | bc)
cat "$TMP"/a-*.out "$TMP"/b-*.out >"$TMP/all.out"
ok=$(awk '$1 == 200' "$TMP/all.out" | wc -l)
pods=$(kubectl_ -n $NS get pods -l "app.kubernetes.io/managed-by=mcp-gateway" --no-headers 2>/dev/null | wc -l)
instances_a=$(ADMIN_ADDR=$A_ADMIN ADMIN_TOKEN=$A_TOKEN admin_get /admin/instances | json_field /dev/stdin 'j.instances.length')
log "answered OK: $ok of $((DSNS * 2)); pods now: $pods (before: $before); replica A holds $instances_a"
OUT=${OUT:-$ROOT/load-tests/results/kube_replicas-$(date -u +%Y%m%dT%H%M%SZ).json}
((SMOKE)) && [[ $OUT == "$ROOT/load-tests/results/"* ]] && OUT=$TMP/result.json
mkdir -p "$(dirname "$OUT")"
sort -n -k2 "$TMP/all.out" | awk -v dsns="$DSNS" -v ok="$ok" -v pods="$pods" -v before="$before" \
  -v elapsed="$elapsed" -v machine="$(nproc) cores, $(uname -r)" '
  { t[NR] = $2 * 1000 }
  END {
    p50 = t[int(NR * 0.5 + 0.5)]; p99 = t[int(NR * 0.99 + 0.5)]
    printf "{\"scenario\":\"kube_replicas\",\"replicas\":2,\"dsns\":%d,\"requests\":%d,\"ok\":%d,", dsns, NR, ok
    printf "\"pods_before\":%d,\"pods_after\":%d,\"all_answered_s\":%.1f,", before, pods, elapsed
    printf "\"latency_ms\":{\"p50\":%.0f,\"p99\":%.0f,\"max\":%.0f},\"machine\":\"%s\"}\n", p50, p99, t[NR], machine
  }' >"$OUT"
cat "$OUT"
# The replicas' logs beside the results: a failure is explained there.
for replica in a b; do cp "$TMP/gateway-$replica.log" "${OUT%.json}-gateway-$replica.log"; done
failed=0
((ok == DSNS * 2)) || { log "FAIL: $((DSNS * 2 - ok)) requests not answered OK"; failed=1; }
((pods - before == DSNS)) || { log "FAIL: $((pods - before)) new pods for $DSNS DSNs"; failed=1; }
# Both replicas stop: the second to stop deletes the pods (the first leaves them).
stop_pid "$GATEWAY_PID"; GATEWAY_PID=""
stop_pid "$FIRST_PID"; FIRST_PID=""
left=$(kubectl_ -n $NS get pods -l "app.kubernetes.io/managed-by=mcp-gateway" --no-headers 2>/dev/null |
  grep -vc Terminating || true)
log "pods left after both replicas stopped: $left"
exit $failed
