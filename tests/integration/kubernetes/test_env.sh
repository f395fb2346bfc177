#!/usr/bin/env bash
# The kubernetes.* integration tests' environment: the cluster
# (tests/kubernetes/cluster.sh), a namespace enforcing the restricted Pod
# Security level, and the tests' SQLite files shared with every pod:
# DIR/shared (the tests' TMPDIR) as a hostPath PersistentVolume bound to the
# claim mcpgw-sqlite, which the gateway mounts at the same path
# (--kube-volume); and the Tenant and Database CRDs
# (deploy/helm/mcp-gateway/crds/).
#
#   test_env.sh up DIR      (cluster up, namespace, volume; idempotent)
#   test_env.sh down DIR    (cluster down: removes DIR)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
CLUSTER="$HERE/../../kubernetes/cluster.sh"
CMD="${1:?usage: $0 up|down DIR}"
DIR="$(realpath -m "${2:?usage: $0 up|down DIR}")"
NS="${MCP_GATEWAY_TEST_KUBE_NAMESPACE:-mcpgw-it}"

k() { "$CLUSTER" kubectl "$DIR" "$@"; }

case "$CMD" in
  up)
    "$CLUSTER" up "$DIR"
    mkdir -p "$DIR/shared"
    chmod 0755 "$DIR" "$DIR/shared"
    # A volume of another path (an earlier DIR) is replaced.
    old="$(k get pv "$NS-sqlite" -o 'jsonpath={.spec.hostPath.path}' 2>/dev/null || true)"
    if [[ -n "$old" && "$old" != "$DIR/shared" ]]; then
      k -n "$NS" delete pvc mcpgw-sqlite --wait=false >/dev/null 2>&1 || true
      k delete pv "$NS-sqlite" >/dev/null 2>&1 || true
    fi
    k apply -f - <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: $NS
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $NS-sqlite
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadOnlyMany, ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ""
  hostPath: {path: "$DIR/shared", type: Directory}
  claimRef: {namespace: $NS, name: mcpgw-sqlite}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: mcpgw-sqlite
  namespace: $NS
spec:
  accessModes: [ReadOnlyMany]
  storageClassName: ""
  volumeName: $NS-sqlite
  resources: {requests: {storage: 1Gi}}
YAML
    # The Tenant and Database CRDs (DeclaredTenantsTest).
    k apply -f "$HERE/../../../deploy/helm/mcp-gateway/crds/"
    # What earlier runs left.
    k -n "$NS" delete pods --all --grace-period=0 --wait=false >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do
      [[ "$(k -n "$NS" get pvc mcpgw-sqlite -o 'jsonpath={.status.phase}')" == Bound ]] && break
      sleep 1
    done
    k -n "$NS" get pvc mcpgw-sqlite
    ;;
  down)
    "$CLUSTER" down "$DIR"
    # What the tests left in their TMPDIR (their own directories are removed
    # as they end; a killed run's are not).
    rm -rf "$DIR/shared"
    rmdir "$DIR" 2>/dev/null || true
    ;;
  *) echo "usage: $0 up|down DIR" >&2; exit 2 ;;
esac
