#!/usr/bin/env bash
# Smoke test of a cluster made by cluster.sh: what the gateway's Kubernetes
# runtime will rely on.
#
#   tests/kubernetes/smoke.sh DIR     (after tests/kubernetes/cluster.sh up DIR)
#
# 1. A namespace enforcing the `restricted` Pod Security level; a pod that does
#    not meet it is rejected.
# 2. The DBHub image as a restricted pod (runAsNonRoot, drop ALL, seccomp
#    RuntimeDefault, readOnlyRootFilesystem), its sqlite DSN in env from a Secret,
#    TRANSPORT=http PORT=8080; it gets scheduled, started and Ready (readiness probe).
# 3. From this host: an MCP `initialize` POST to http://<podIP>:8080/mcp.
# 4. The container really runs under seccomp filter mode, no capabilities, no_new_privs.
# 5. Garbage collection: a Secret owned by the pod (ownerReference) is deleted with it.
# Exits 0 and prints "N passed, 0 failed" when every check passed.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
DIR="${1:?usage: $0 DIR}"
NS=mcpgw-smoke
IMAGE="localhost/mcp-gateway/dbhub:1.4.0-offline"
TIMEOUT="${MCPGW_K8S_TIMEOUT:-120}"
PASSED=0
FAILED=0

k() { "$HERE/cluster.sh" kubectl "$DIR" "$@"; }
pass() { PASSED=$((PASSED + 1)); printf 'smoke: PASS %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'smoke: FAIL %s\n' "$*"; }

finish() {
  k delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
  printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
  ((FAILED == 0))
  exit
}

"$HERE/cluster.sh" status "$DIR" >/dev/null 2>&1 || { echo "smoke: the cluster in $DIR is not healthy: run $HERE/cluster.sh up $DIR" >&2; exit 1; }

# A previous run's namespace must be gone first.
if k get namespace "$NS" >/dev/null 2>&1; then
  k delete namespace "$NS" --timeout="${TIMEOUT}s" >/dev/null
fi

k apply -f - >/dev/null <<EOF || { fail "create namespace/secret"; finish; }
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
---
apiVersion: v1
kind: Secret
metadata: {name: dbhub-dsn, namespace: $NS}
stringData:
  DSN: "sqlite:///:memory:"
EOF

# 1. Pod Security: a root pod is refused.
out="$(k -n "$NS" run not-restricted --image="$IMAGE" --image-pull-policy=Never --restart=Never 2>&1)"
if [[ "$out" == *"violates PodSecurity \"restricted:latest\""* ]]; then pass "a pod that is not restricted is rejected"; else fail "non-restricted pod not rejected: $out"; fi

# 2. DBHub, restricted.
k apply -f - >/dev/null <<EOF || { fail "create pod"; finish; }
apiVersion: v1
kind: Pod
metadata:
  name: dbhub
  namespace: $NS
spec:
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 3
  enableServiceLinks: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: dbhub
    image: $IMAGE
    imagePullPolicy: Never
    env:
    - name: DSN
      valueFrom: {secretKeyRef: {name: dbhub-dsn, key: DSN}}
    - {name: TRANSPORT, value: http}
    - {name: PORT, value: "8080"}
    ports: [{containerPort: 8080}]
    readinessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1
    resources:
      requests: {cpu: 50m, memory: 64Mi}
      limits: {memory: 512Mi}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}
    volumeMounts: [{name: tmp, mountPath: /tmp}]
  volumes:
  - name: tmp
    emptyDir: {medium: Memory, sizeLimit: 16Mi}
EOF
t0=$(date +%s)
if k -n "$NS" wait pod/dbhub --for=condition=Ready --timeout="${TIMEOUT}s" >/dev/null 2>&1; then
  pass "restricted DBHub pod Ready in $(( $(date +%s) - t0 )) s"
else
  fail "DBHub pod not Ready in ${TIMEOUT}s"
  k -n "$NS" describe pod dbhub | tail -n 25
  k -n "$NS" logs dbhub --tail=20 2>&1 || true
  finish
fi
IP="$(k -n "$NS" get pod dbhub -o 'jsonpath={.status.podIP}')"
echo "smoke: pod IP $IP on node $(k -n "$NS" get pod dbhub -o 'jsonpath={.spec.nodeName}')"

# 3. MCP initialize from the host.
resp="$(curl -sS --max-time 10 -X POST "http://$IP:8080/mcp" \
  -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"mcpgw-smoke","version":"1"}}}' 2>&1)"
if [[ "$resp" == *'"serverInfo"'* ]]; then pass "MCP initialize on http://$IP:8080/mcp: $(grep -o '"serverInfo":{[^}]*}' <<<"$resp")"; else fail "MCP initialize: $resp"; fi

# 4. The container's process: seccomp filter (2), no effective capabilities, no_new_privs, uid 10001.
pid="$(pgrep -u 10001 -f 'dbhub/dist/index.js' | head -n 1)"
if [[ -n "$pid" ]]; then
  st="$(grep -E '^(Uid|CapEff|NoNewPrivs|Seccomp):' "/proc/$pid/status" | tr -s '\t ' ' ' | tr '\n' ';')"
  if [[ "$st" == *"Seccomp: 2;"* && "$st" == *"CapEff: 0000000000000000;"* && "$st" == *"NoNewPrivs: 1;"* ]]; then
    pass "container process $pid: $st"
  else
    fail "container process $pid: $st"
  fi
else
  fail "no DBHub process of uid 10001 on this host"
fi

# 5. Garbage collection via ownerReferences.
uid="$(k -n "$NS" get pod dbhub -o 'jsonpath={.metadata.uid}')"
k apply -f - >/dev/null <<EOF || fail "create owned secret"
apiVersion: v1
kind: Secret
metadata:
  name: owned-by-dbhub
  namespace: $NS
  ownerReferences:
  - {apiVersion: v1, kind: Pod, name: dbhub, uid: "$uid"}
stringData: {x: "1"}
EOF
t0=$(date +%s)
k -n "$NS" delete pod dbhub --timeout="${TIMEOUT}s" >/dev/null || fail "pod deletion"
gone=0
for _ in $(seq 1 $((TIMEOUT * 2))); do
  if ! k -n "$NS" get secret owned-by-dbhub >/dev/null 2>&1; then gone=1; break; fi
  sleep 0.5
done
if ((gone)); then pass "secret owned by the pod garbage-collected $(( $(date +%s) - t0 )) s after the pod deletion"; else fail "owned secret still there ${TIMEOUT}s after the pod deletion"; fi
if curl -s --max-time 2 -o /dev/null "http://$IP:8080/mcp"; then fail "$IP:8080 still answers after the pod deletion"; else pass "pod IP no longer answers after deletion"; fi

finish
