#!/usr/bin/env bash
# A real single-node Kubernetes cluster on this machine, for the gateway's
# Kubernetes runtime tests. Everything it starts and makes lives in DIR (plus the
# few host objects listed under `down`), and it talks only to loopback and the
# pod network it made.
#
#   tests/kubernetes/cluster.sh up DIR       build (once) and start the cluster, write DIR/kubeconfig
#   tests/kubernetes/cluster.sh down DIR     stop everything `up` started, remove what it made
#   tests/kubernetes/cluster.sh status DIR   what runs, what answers; exit 0 only if all is healthy
#   tests/kubernetes/cluster.sh kubectl DIR ARGS...   the pinned kubectl on DIR/kubeconfig
#   tests/kubernetes/cluster.sh selftest DIR  tests/kubernetes/smoke.sh DIR (restricted DBHub pod,
#                                             MCP initialize from the host, ownerReference GC)
#   tests/kubernetes/cluster.sh build        only build (or find cached) the binaries, print their dir
#   tests/kubernetes/cluster.sh --help
#
# Components (one multi-call binary built from Go modules, see kube/go.mod for the
# pin, cached in <repo>/.deps/kubernetes/<version>-<hash>/): etcd (TLS, loopback),
# kube-apiserver (TLS on 127.0.0.1, Node,RBAC authorization, NodeRestriction and
# PodSecurity admission, service-account token signing), kube-controller-manager,
# kube-scheduler, kubelet (cgroupfs, client-cert registration as system:node:NAME).
# From Debian: a PRIVATE containerd (own config, root, state and socket in DIR),
# runc, the CNI plugins (bridge + host-local on a private /24, no masquerade, no
# default route in pods: pods reach the host and each other only).
#
# Images are never pulled. `up` imports into the cluster's containerd:
#   localhost/mcp-gateway/pause:1               the sandbox image (tests/kubernetes/pause/pause.c,
#                                               built static here, assembled as an OCI archive)
#   localhost/mcp-gateway/dbhub:1.4.0-offline   DBHub (deploy/build-dbhub-image.sh, podman)
# Pods must use imagePullPolicy: Never (or IfNotPresent) with these names.
#
# Environment (defaults in brackets):
#   MCPGW_K8S_NODE [mcpgw-node]        node name
#   MCPGW_K8S_POD_NET [10.244.0]       pod network /24 prefix; the host side (bridge and
#                                      node IP) is .1, pods get .2-.254
#   MCPGW_K8S_SERVICE_CIDR [10.245.0.0/24]   virtual (no kube-proxy: never routed)
#   MCPGW_K8S_BRIDGE [mcpgw-k8s0]      bridge interface name
#   MCPGW_K8S_PORT_BASE [16000]        ports on 127.0.0.1 (the kubelet on the node IP):
#                                      apiserver +443, etcd +379/+380, controller-manager
#                                      +257, scheduler +259, kubelet +250, kubelet healthz +248
#   MCPGW_K8S_CGROUP_ROOT [/]          the kubelet's cgroupRoot: pods go under
#                                      CGROUP_ROOT/kubepods. A second cluster on the same
#                                      host needs its own (e.g. /mcpgw-NODE): two kubelets
#                                      on one kubepods tree kill each other's pods as orphans
#   MCPGW_K8S_TIMEOUT [180]            seconds each wait may take
#   MCPGW_K8S_SKIP_DBHUB [0]           1: do not build/import the DBHub image
#   MCPGW_K8S_GOCACHE                  Go build cache for the build, kept afterwards (default:
#                                      a private one in .deps/kubernetes, removed after the build)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
KUBE_MOD="$HERE/kube"
PAUSE_SRC="$HERE/pause/pause.c"

NODE="${MCPGW_K8S_NODE:-mcpgw-node}"
POD_NET="${MCPGW_K8S_POD_NET:-10.244.0}"
POD_CIDR="$POD_NET.0/24"
NODE_IP="$POD_NET.1"
SERVICE_CIDR="${MCPGW_K8S_SERVICE_CIDR:-10.245.0.0/24}"
SERVICE_IP="${SERVICE_CIDR%.*}.1"
BRIDGE="${MCPGW_K8S_BRIDGE:-mcpgw-k8s0}"
CNI_NET="mcpgw-k8s"
PORT_BASE="${MCPGW_K8S_PORT_BASE:-16000}"
APISERVER_PORT=$((PORT_BASE + 443))
ETCD_PORT=$((PORT_BASE + 379))
ETCD_PEER_PORT=$((PORT_BASE + 380))
KCM_PORT=$((PORT_BASE + 257))
SCHED_PORT=$((PORT_BASE + 259))
KUBELET_PORT=$((PORT_BASE + 250))
KUBELET_HEALTHZ_PORT=$((PORT_BASE + 248))
TIMEOUT="${MCPGW_K8S_TIMEOUT:-180}"
CGROUP_ROOT="${MCPGW_K8S_CGROUP_ROOT:-/}"
SKIP_DBHUB="${MCPGW_K8S_SKIP_DBHUB:-0}"

PAUSE_IMAGE="localhost/mcp-gateway/pause:1"
DBHUB_TAG="mcp-gateway/dbhub:1.4.0-offline"
DBHUB_IMAGE="localhost/$DBHUB_TAG"
CNI_BIN_DIR=/usr/lib/cni
COMPONENTS=(etcd containerd kube-apiserver kube-controller-manager kube-scheduler kubelet)

log() { printf 'cluster: %s %s\n' "$(date +%T)" "$*" >&2; }
die() { printf 'cluster: error: %s\n' "$*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }

# ---------------------------------------------------------------- build ----

# The pinned release, read from the wrapper module (the one place it is pinned).
kube_version() { sed -n 's|^\tk8s.io/kubernetes \(v[^ ]*\)$|\1|p' "$KUBE_MOD/go.mod"; }

find_go() {
  command -v go >/dev/null 2>&1 && { command -v go; return; }
  [[ -x /usr/local/go/bin/go ]] && { echo /usr/local/go/bin/go; return; }
  die "go not found (Go >= 1.24 is needed to build Kubernetes)"
}

# Sets BIN_DIR to the cached binaries of the pinned version, building them once.
build_binaries() {
  local go version minor key cache ldflags tags start
  go="$(find_go)"
  version="$(kube_version)"
  [[ -n "$version" ]] || die "no k8s.io/kubernetes version in $KUBE_MOD/go.mod"
  minor="${version#v1.}"; minor="${minor%%.*}"
  tags="selinux,notest,grpcnotrace"
  ldflags="-s -w"
  local v pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    for v in "gitVersion=$version" gitMajor=1 "gitMinor=$minor" gitTreeState=clean; do
      ldflags+=" -X $pkg.$v"
    done
  done
  key="$( (cat "$KUBE_MOD/go.mod" "$KUBE_MOD/go.sum" "$KUBE_MOD/main.go"; echo "$tags $ldflags"; "$go" version) | sha256sum | cut -c1-12)"
  cache="$REPO/.deps/kubernetes/$version-$key"
  BIN_DIR="$cache/bin"
  [[ -x "$BIN_DIR/kube" ]] && return 0
  mkdir -p "$REPO/.deps/kubernetes"
  exec 9>"$REPO/.deps/kubernetes/.build.lock"
  flock 9
  if [[ ! -x "$BIN_DIR/kube" ]]; then
    log "building Kubernetes $version (one multi-call binary) into $cache; this takes a while (log: $cache/build.log)"
    mkdir -p "$BIN_DIR"
    start=$(date +%s)
    # A private build cache, removed after the link: the binary is what is cached,
    # and the 3 GB of compiled packages would only serve a rebuild of the same pin.
    local gocache="${MCPGW_K8S_GOCACHE:-$REPO/.deps/kubernetes/gocache}"
    if ! (cd "$KUBE_MOD" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS="-mod=readonly -buildvcs=false" GOCACHE="$gocache" \
          "$go" build -trimpath -tags "$tags" -ldflags "$ldflags" -o "$BIN_DIR/kube.tmp" .) \
          >"$cache/build.log" 2>&1; then
      tail -n 30 "$cache/build.log" >&2
      die "go build failed (full log: $cache/build.log)"
    fi
    mv "$BIN_DIR/kube.tmp" "$BIN_DIR/kube"
    [[ -n "${MCPGW_K8S_GOCACHE:-}" ]] || rm -rf "$gocache"
    log "built in $(( $(date +%s) - start )) s"
    # Older pins are dead weight.
    find "$REPO/.deps/kubernetes" -mindepth 1 -maxdepth 1 -type d -name 'v*' ! -path "$cache" -exec rm -rf {} +
  fi
  local c
  for c in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl; do
    ln -sfn kube "$BIN_DIR/$c"
  done
  flock -u 9
}

# -------------------------------------------------------------- helpers ----

pid_of() { # component -> pid if running
  local f="$DIR/run/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  # A recycled pid is not ours: its executable must be the one we started.
  [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$(cat "$DIR/run/$1.exe" 2>/dev/null)" ]] || return 1
  echo "$pid"
}

start_component() { # name binary args...
  local name="$1" bin="$2"; shift 2
  if pid_of "$name" >/dev/null; then
    log "$name already running (pid $(pid_of "$name"))"
    return 0
  fi
  log "starting $name"
  echo "=== $(date -u +%FT%TZ) $bin $*" >>"$DIR/logs/$name.log"
  setsid "$bin" "$@" >>"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/run/$name.pid"
  readlink -f "$bin" >"$DIR/run/$name.exe"
}

# Waits until `check` succeeds; on timeout or if the component died, prints its
# last log lines and fails.
wait_for() { # name what timeout check...
  local name="$1" what="$2" timeout="$3"; shift 3
  local deadline=$(( $(date +%s) + timeout ))
  while ! "$@" >/dev/null 2>&1; do
    if ! pid_of "$name" >/dev/null; then
      log "$name exited while waiting for $what; last lines of $DIR/logs/$name.log:"
      tail -n 40 "$DIR/logs/$name.log" >&2 || true
      die "$name is not running (what else runs stays up; $0 down $DIR cleans up)"
    fi
    if (( $(date +%s) >= deadline )); then
      log "timed out after ${timeout}s waiting for $what; last lines of $DIR/logs/$name.log:"
      tail -n 40 "$DIR/logs/$name.log" >&2 || true
      die "$what: timeout (what runs now stays up for a look; $0 down $DIR cleans up)"
    fi
    sleep 0.5
  done
}

stop_pid() { # pid [seconds]
  local pid="$1" secs="${2:-15}" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "pid $pid did not stop in ${secs}s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

stop_component() {
  local pid
  if pid="$(pid_of "$1")"; then
    log "stopping $1 (pid $pid)"
    stop_pid "$pid" "${2:-15}"
  fi
  rm -f "$DIR/run/$1.pid" "$DIR/run/$1.exe"
}

ctr_() { ctr --address "$DIR/containerd/containerd.sock" -n k8s.io "$@"; }
kubectl_() { "$BIN_DIR/kubectl" --kubeconfig "$DIR/kubeconfig" "$@"; }

https_ok() { # url cert key
  curl -sf --max-time 3 --cacert "$DIR/pki/ca.crt" --cert "$2" --key "$3" "$1"
}

# ----------------------------------------------------------------- PKI -----

sign() { # name subject extfile-lines...
  local name="$1" subj="$2"; shift 2
  local p="$DIR/pki"
  [[ -f "$p/$name.crt" ]] && return 0
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "$@" >"$p/$name.ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subj" \
    -keyout "$p/$name.key" -out "$p/$name.csr" 2>/dev/null
  openssl x509 -req -in "$p/$name.csr" -CA "$p/ca.crt" -CAkey "$p/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
    -days 3650 -sha256 -extfile "$p/$name.ext" -out "$p/$name.crt" 2>/dev/null
  rm -f "$p/$name.csr" "$p/$name.ext"
  chmod 600 "$p/$name.key"
}

make_pki() {
  local p="$DIR/pki"
  mkdir -p "$p"
  chmod 700 "$p"
  if [[ ! -f "$p/ca.crt" ]]; then
    log "generating CA and certificates in $p"
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -sha256 \
      -subj "/CN=mcp-gateway-test-cluster-ca" -keyout "$p/ca.key" -out "$p/ca.crt" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
    chmod 600 "$p/ca.key"
  fi
  sign apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth" \
    "subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:$SERVICE_IP,IP:$NODE_IP"
  sign etcd "/CN=etcd" "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1"
  sign apiserver-etcd-client "/CN=kube-apiserver-etcd-client" "extendedKeyUsage=clientAuth"
  sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
  sign admin "/O=system:masters/CN=cluster-admin" "extendedKeyUsage=clientAuth"
  sign controller-manager "/CN=system:kube-controller-manager" "extendedKeyUsage=clientAuth"
  sign scheduler "/CN=system:kube-scheduler" "extendedKeyUsage=clientAuth"
  sign kubelet-client "/O=system:nodes/CN=system:node:$NODE" "extendedKeyUsage=clientAuth"
  sign kubelet-serving "/CN=$NODE" "extendedKeyUsage=serverAuth" "subjectAltName=DNS:$NODE,IP:$NODE_IP,IP:127.0.0.1"
  if [[ ! -f "$p/sa.key" ]]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$p/sa.key" 2>/dev/null
    openssl pkey -in "$p/sa.key" -pubout -out "$p/sa.pub" 2>/dev/null
    chmod 600 "$p/sa.key"
  fi
  local n
  for n in admin controller-manager scheduler kubelet-client; do
    [[ -f "$DIR/$n.kubeconfig" ]] || write_kubeconfig "$n" >"$DIR/$n.kubeconfig"
  done
  cp "$DIR/admin.kubeconfig" "$DIR/kubeconfig"
  chmod 600 "$DIR"/*.kubeconfig "$DIR/kubeconfig"
}

write_kubeconfig() { # cert name
  local p="$DIR/pki"
  cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: mcpgw-test
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 "$p/ca.crt")
users:
- name: $1
  user:
    client-certificate-data: $(base64 -w0 "$p/$1.crt")
    client-key-data: $(base64 -w0 "$p/$1.key")
contexts:
- name: $1@mcpgw-test
  context: {cluster: mcpgw-test, user: $1}
current-context: $1@mcpgw-test
EOF
}

# -------------------------------------------------------------- network ----

setup_bridge() {
  # The bridge exists before the kubelet: the node IP must be on an interface,
  # and may not be loopback. The CNI bridge plugin attaches pods to it.
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    log "creating bridge $BRIDGE with $NODE_IP/24"
    ip link add "$BRIDGE" type bridge
    echo "$BRIDGE" >"$DIR/run/bridge"
  fi
  [[ "$(ip addr show dev "$BRIDGE")" == *" $NODE_IP/24 "* ]] || ip addr add "$NODE_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
}

write_cni_config() {
  mkdir -p "$DIR/cni/net.d" "$DIR/cni/ipam"
  # No ipMasq, no isGateway (so no default route in pods and no ip_forward
  # change), no portmap: CNI makes no iptables rules. Pods reach the host's
  # bridge address and each other; the host reaches them on their podIP.
  cat >"$DIR/cni/net.d/10-$CNI_NET.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$CNI_NET",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": false,
      "isDefaultGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
        "dataDir": "$DIR/cni/ipam"
      }
    }
  ]
}
EOF
}

# ----------------------------------------------------------- containerd ----

write_containerd_config() {
  mkdir -p "$DIR/containerd"
  cat >"$DIR/containerd/config.toml" <<EOF
# Private containerd of the test cluster (not the system one).
version = 2
root = "$DIR/containerd/root"
state = "$DIR/containerd/state"
oom_score = 0
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp"]

[grpc]
  address = "$DIR/containerd/containerd.sock"
[ttrpc]
  address = "$DIR/containerd/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  # Root here has no CAP_SYS_RESOURCE (this VM's bounding set), so runc cannot
  # lower oom_score_adj (the kubelet asks -998 for sandboxes, -997 for Guaranteed
  # pods): clamp it to containerd's own (0) instead of failing every sandbox.
  restrict_oom_score_adj = true
  max_concurrent_downloads = 1
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "$(command -v runc)"
        Root = "$DIR/containerd/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$DIR/cni/net.d"
    max_conf_num = 1
EOF
}

# True when containerd holds image $1. The listing is read whole first: with
# pipefail, `ctr ... | grep -q` fails whenever grep matches early and ctr
# then dies of SIGPIPE (an intermittent "not in containerd after import").
has_image() {
  local images
  images="$(ctr_ images ls -q 2>/dev/null || true)"
  grep -qxF "$1" <<<"$images"
}

# The sandbox image, assembled offline as an OCI archive: a static pause FROM scratch.
import_pause_image() {
  has_image "$PAUSE_IMAGE" && return 0
  log "building and importing $PAUSE_IMAGE"
  local w="$DIR/images/pause"
  rm -rf "$w"
  mkdir -p "$w/rootfs" "$w/oci/blobs/sha256"
  cc -static -Os -s -o "$w/rootfs/pause" "$PAUSE_SRC" || die "cannot build the static pause binary (needs gcc and libc6-dev)"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$w/rootfs" -cf "$w/layer.tar" pause
  local layer_sha layer_size cfg cfg_sha man man_sha
  layer_sha="$(sha256sum "$w/layer.tar" | cut -d' ' -f1)"
  layer_size="$(stat -c %s "$w/layer.tar")"
  mv "$w/layer.tar" "$w/oci/blobs/sha256/$layer_sha"
  cfg='{"architecture":"amd64","os":"linux","config":{"User":"65535:65535","Entrypoint":["/pause"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:'"$layer_sha"'"]}}'
  printf '%s' "$cfg" >"$w/cfg"
  cfg_sha="$(sha256sum "$w/cfg" | cut -d' ' -f1)"
  mv "$w/cfg" "$w/oci/blobs/sha256/$cfg_sha"
  man='{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:'"$cfg_sha"'","size":'"${#cfg}"'},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:'"$layer_sha"'","size":'"$layer_size"'}]}'
  printf '%s' "$man" >"$w/man"
  man_sha="$(sha256sum "$w/man" | cut -d' ' -f1)"
  mv "$w/man" "$w/oci/blobs/sha256/$man_sha"
  printf '%s' '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:'"$man_sha"'","size":'"${#man}"',"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"'"$PAUSE_IMAGE"'","org.opencontainers.image.ref.name":"1"}}]}' >"$w/oci/index.json"
  printf '%s' '{"imageLayoutVersion":"1.0.0"}' >"$w/oci/oci-layout"
  tar -C "$w/oci" -cf "$w/pause.tar" oci-layout index.json blobs
  ctr_ images import "$w/pause.tar" >/dev/null || die "ctr images import of $PAUSE_IMAGE failed"
  has_image "$PAUSE_IMAGE" || die "$PAUSE_IMAGE not in containerd after import"
  rm -rf "$w"
}

# DBHub, built by deploy/build-dbhub-image.sh into a private podman storage kept
# beside the binaries (<repo>/.deps/kubernetes/podman: a second `up`, even in a
# new DIR, does not rebuild it), then saved and imported into containerd.
import_dbhub_image() {
  [[ "$SKIP_DBHUB" == 1 ]] && { log "MCPGW_K8S_SKIP_DBHUB=1: not importing $DBHUB_IMAGE"; return 0; }
  command -v podman >/dev/null || die "podman is needed to build $DBHUB_IMAGE (or set MCPGW_K8S_SKIP_DBHUB=1)"
  [[ -d "$REPO/.deps/node_modules/@bytebase/dbhub" ]] \
    || die "no DBHub in $REPO/.deps: run deploy/setup.sh install first (or set MCPGW_K8S_SKIP_DBHUB=1)"
  local pd="$REPO/.deps/kubernetes/podman"
  mkdir -p "$pd/tmp"
  export CONTAINERS_CONF="$pd/containers.conf" CONTAINERS_STORAGE_CONF="$pd/storage.conf"
  printf '[containers]\n[engine]\nruntime = "runc"\ntmp_dir = "%s/tmp"\n' "$pd" >"$CONTAINERS_CONF"
  printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/storage"\nrunroot = "%s/run"\n' "$pd" "$pd" >"$CONTAINERS_STORAGE_CONF"
  "$REPO/deploy/build-dbhub-image.sh" --engine podman --tag "$DBHUB_TAG" >>"$DIR/logs/images.log" 2>&1 \
    || { tail -n 20 "$DIR/logs/images.log" >&2; die "deploy/build-dbhub-image.sh failed"; }
  local id
  id="$(podman image inspect --format '{{.Id}}' "$DBHUB_IMAGE")"
  if [[ "$(cat "$DIR/run/dbhub.imported" 2>/dev/null)" == "$id" ]] && has_image "$DBHUB_IMAGE"; then
    return 0
  fi
  log "importing $DBHUB_IMAGE into the cluster's containerd"
  podman save --format docker-archive -o "$DIR/images/dbhub.tar" "$DBHUB_IMAGE" >>"$DIR/logs/images.log" 2>&1 \
    || die "podman save $DBHUB_IMAGE failed (see $DIR/logs/images.log)"
  ctr_ images import "$DIR/images/dbhub.tar" >>"$DIR/logs/images.log" 2>&1 || die "ctr images import of $DBHUB_IMAGE failed"
  rm -f "$DIR/images/dbhub.tar"
  has_image "$DBHUB_IMAGE" || die "$DBHUB_IMAGE not in containerd after import: $(ctr_ images ls -q | tr '\n' ' ')"
  echo "$id" >"$DIR/run/dbhub.imported"
}

# --------------------------------------------------------------- kubelet ---

# The kubelet refuses a cgroupRoot that does not exist: make it in every
# hierarchy (cgroup v1 controllers and the unified one).
make_cgroup_root() {
  [[ "$CGROUP_ROOT" == / ]] && return 0
  local h
  for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
    [[ -e "$h/cgroup.procs" ]] || continue
    mkdir -p "$h${CGROUP_ROOT#/}"
  done
  echo "$CGROUP_ROOT" >"$DIR/run/cgroup-root"
}

write_kubelet_config() {
  mkdir -p "$DIR/kubelet"
  cat >"$DIR/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $DIR/pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $DIR/pki/kubelet-serving.crt
tlsPrivateKeyFile: $DIR/pki/kubelet-serving.key
rotateCertificates: false
serverTLSBootstrap: false
containerRuntimeEndpoint: unix://$DIR/containerd/containerd.sock
cgroupDriver: cgroupfs
failSwapOn: false
failCgroupV1: false
oomScoreAdj: 0
cgroupRoot: $CGROUP_ROOT
makeIPTablesUtilChains: false
resolvConf: ""
podLogsDir: $DIR/kubelet/pod-logs
maxPods: 50
podPidsLimit: 4096
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "1%"
  nodefs.inodesFree: "1%"
  imagefs.available: "1%"
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
imageMinimumGCAge: 87600h
syncFrequency: 10s
fileCheckFrequency: 10s
nodeStatusReportFrequency: 1m
EOF
}

# ------------------------------------------------------------------- up ----

apiserver_ready() { https_ok "https://127.0.0.1:$APISERVER_PORT/readyz" "$DIR/pki/admin.crt" "$DIR/pki/admin.key"; }
etcd_ready() { https_ok "https://127.0.0.1:$ETCD_PORT/health" "$DIR/pki/apiserver-etcd-client.crt" "$DIR/pki/apiserver-etcd-client.key"; }
kcm_ready() { curl -skf --max-time 3 "https://127.0.0.1:$KCM_PORT/healthz"; }
sched_ready() { curl -skf --max-time 3 "https://127.0.0.1:$SCHED_PORT/healthz"; }
kubelet_ready() { curl -sf --max-time 3 "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz"; }
containerd_ready() { ctr --address "$DIR/containerd/containerd.sock" version; }
node_ready() {
  [[ "$(kubectl_ get node "$NODE" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}

# Debian packages `up` needs; installed when missing (MCPGW_K8S_NO_INSTALL=1: only report).
APT_PACKAGES=(containerd runc containernetworking-plugins openssl curl iproute2 gcc libc6-dev podman)

install_packages() {
  local pkg missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)" == installed ]] || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ "${MCPGW_K8S_NO_INSTALL:-0}" == 1 ]] && die "missing Debian packages: ${missing[*]}"
  command -v apt-get >/dev/null || die "missing Debian packages: ${missing[*]} (and no apt-get)"
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
    || { DEBIAN_FRONTEND=noninteractive apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2; } \
    || die "apt-get install ${missing[*]} failed"
  # Debian's containerd package starts the system containerd where systemd runs;
  # this cluster does not use it (its own socket and state in DIR).
}

preflight() {
  (( EUID == 0 )) || die "must run as root (kubelet, containerd, bridge)"
  command -v dpkg-query >/dev/null && install_packages
  local c missing=()
  for c in openssl curl ip containerd containerd-shim-runc-v2 ctr runc cc flock setsid; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
  done
  [[ -x "$CNI_BIN_DIR/bridge" && -x "$CNI_BIN_DIR/host-local" && -x "$CNI_BIN_DIR/loopback" ]] || missing+=("$CNI_BIN_DIR/{bridge,host-local,loopback}")
  ((${#missing[@]} == 0)) || die "missing: ${missing[*]} (apt-get install containerd runc containernetworking-plugins openssl curl iproute2 gcc libc6-dev)"
  [[ -d /sys/fs/cgroup/memory && -d /sys/fs/cgroup/cpu ]] \
    || log "warning: no cgroup v1 memory/cpu hierarchy; this script was tested on cgroup v1 (hybrid) only"
}

cmd_up() {
  local t0 t_built
  t0=$(date +%s)
  preflight
  build_binaries
  t_built=$(date +%s)
  mkdir -p "$DIR"/{logs,run,images}
  chmod 700 "$DIR/run"
  make_pki
  setup_bridge
  write_cni_config

  local p="$DIR/pki"
  # etcd (the one kubernetes $(kube_version) is tested with, built into the same binary).
  start_component etcd "$BIN_DIR/etcd" --name default --data-dir "$DIR/etcd" \
    --listen-client-urls "https://127.0.0.1:$ETCD_PORT" --advertise-client-urls "https://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
    --cert-file "$p/etcd.crt" --key-file "$p/etcd.key" --client-cert-auth --trusted-ca-file "$p/ca.crt" \
    --listen-metrics-urls "" --log-level warn --quota-backend-bytes 536870912
  # containerd
  write_containerd_config
  start_component containerd "$(command -v containerd)" --config "$DIR/containerd/config.toml" --log-level warn
  wait_for etcd "etcd health" "$TIMEOUT" etcd_ready
  wait_for containerd "containerd socket" "$TIMEOUT" containerd_ready

  start_component kube-apiserver "$BIN_DIR/kube-apiserver" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
    --endpoint-reconciler-type none \
    --etcd-servers "https://127.0.0.1:$ETCD_PORT" --etcd-cafile "$p/ca.crt" \
    --etcd-certfile "$p/apiserver-etcd-client.crt" --etcd-keyfile "$p/apiserver-etcd-client.key" \
    --tls-cert-file "$p/apiserver.crt" --tls-private-key-file "$p/apiserver.key" \
    --client-ca-file "$p/ca.crt" \
    --kubelet-client-certificate "$p/apiserver-kubelet-client.crt" --kubelet-client-key "$p/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$p/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-issuer "https://kubernetes.default.svc.cluster.local" \
    --service-account-key-file "$p/sa.pub" --service-account-signing-key-file "$p/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction,PodSecurity \
    --allow-privileged=false --profiling=false --v 1
  # Images while the apiserver starts.
  import_pause_image
  import_dbhub_image
  wait_for kube-apiserver "kube-apiserver /readyz" "$TIMEOUT" apiserver_ready

  start_component kube-controller-manager "$BIN_DIR/kube-controller-manager" \
    --kubeconfig "$DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$DIR/controller-manager.kubeconfig" \
    --authorization-kubeconfig "$DIR/controller-manager.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --leader-elect=false \
    --service-account-private-key-file "$p/sa.key" --root-ca-file "$p/ca.crt" \
    --use-service-account-credentials \
    --cluster-signing-cert-file "$p/ca.crt" --cluster-signing-key-file "$p/ca.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" --profiling=false --v 1
  start_component kube-scheduler "$BIN_DIR/kube-scheduler" \
    --kubeconfig "$DIR/scheduler.kubeconfig" \
    --authentication-kubeconfig "$DIR/scheduler.kubeconfig" \
    --authorization-kubeconfig "$DIR/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --leader-elect=false --profiling=false --v 1
  write_kubelet_config
  make_cgroup_root
  start_component kubelet "$BIN_DIR/kubelet" \
    --config "$DIR/kubelet/config.yaml" --kubeconfig "$DIR/kubelet-client.kubeconfig" \
    --root-dir "$DIR/kubelet/root" --cert-dir "$DIR/kubelet/pki" \
    --hostname-override "$NODE" --node-ip "$NODE_IP" --v 1
  wait_for kube-controller-manager "kube-controller-manager /healthz" "$TIMEOUT" kcm_ready
  wait_for kube-scheduler "kube-scheduler /healthz" "$TIMEOUT" sched_ready
  wait_for kubelet "kubelet /healthz" "$TIMEOUT" kubelet_ready
  wait_for kubelet "node $NODE Ready" "$TIMEOUT" node_ready
  # Pods may only be created once the namespace's default service account exists.
  wait_for kube-controller-manager "serviceaccount default/default" "$TIMEOUT" kubectl_ get serviceaccount default -n default
  log "up in $(( $(date +%s) - t0 )) s (build/cache check $(( t_built - t0 )) s): node $NODE Ready, kubeconfig $DIR/kubeconfig"
  log "images: $PAUSE_IMAGE (sandbox)$([[ "$SKIP_DBHUB" == 1 ]] || echo ", $DBHUB_IMAGE") -- use imagePullPolicy: Never"
  log "pods get IPs in $POD_CIDR, reachable from this host; kubectl: $0 kubectl $DIR get pods -A"
}

# --------------------------------------------------------------- status ----

cmd_status() {
  local ok=0 c pid
  for c in "${COMPONENTS[@]}"; do
    if pid="$(pid_of "$c")"; then printf '%-24s running (pid %s)\n' "$c" "$pid"; else printf '%-24s not running\n' "$c"; ok=1; fi
  done
  [[ -f "$DIR/kubeconfig" ]] || { echo "no $DIR/kubeconfig"; return 1; }
  build_binaries_quiet || { echo "binaries not built"; return 1; }
  local check
  for check in etcd_ready containerd_ready apiserver_ready kcm_ready sched_ready kubelet_ready node_ready; do
    if "$check" >/dev/null 2>&1; then printf '%-24s ok\n' "$check"; else printf '%-24s FAILED\n' "$check"; ok=1; fi
  done
  if apiserver_ready >/dev/null 2>&1; then
    kubectl_ get nodes -o wide 2>&1 || true
    kubectl_ get pods -A -o wide 2>&1 || true
  fi
  return $ok
}

# BIN_DIR without building (status/down must not start a long build).
build_binaries_quiet() {
  local d
  d="$(ls -d "$REPO/.deps/kubernetes/$(kube_version)"-*/bin 2>/dev/null | head -n 1)"
  [[ -n "$d" && -x "$d/kube" ]] || return 1
  BIN_DIR="$d"
  [[ -e "$BIN_DIR/kubectl" ]]
}

# ----------------------------------------------------------------- down ----

# Mount points at or under $1, deepest first.
mounts_under() {
  awk -v d="$1" '{ m = $5; gsub(/\\040/, " ", m); if (m == d || index(m, d "/") == 1) print m }' /proc/self/mountinfo \
    | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-
}

cmd_down() {
  [[ -d "$DIR" ]] || { log "$DIR does not exist: nothing to do"; return 0; }
  (( EUID == 0 )) || die "must run as root"
  [[ -f "$DIR/containerd/config.toml" || -d "$DIR/run" ]] || die "$DIR does not look like a cluster dir made by $0"
  build_binaries_quiet || true

  # 1. Let the kubelet stop the pods (CNI DEL for each sandbox), bounded.
  if [[ -n "${BIN_DIR:-}" ]] && pid_of kubelet >/dev/null && apiserver_ready >/dev/null 2>&1; then
    log "deleting all pods"
    kubectl_ delete pods --all -A --grace-period=1 --wait=false >/dev/null 2>&1 || true
    local deadline=$(( $(date +%s) + 60 ))
    while (( $(date +%s) < deadline )); do
      [[ -z "$(ctr_ tasks ls -q 2>/dev/null)" ]] && break
      sleep 1
    done
  fi
  # 2. The control plane and the kubelet.
  local c
  for c in kubelet kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_component "$c" 20; done

  # 3. What is still running in containerd: kill it, remember its network namespace.
  local netns_inodes=() pid id
  if pid_of containerd >/dev/null; then
    while read -r id pid _; do
      [[ "$pid" =~ ^[0-9]+$ ]] || continue
      netns_inodes+=("$(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null || true)")
      ctr_ tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    done < <(ctr_ tasks ls 2>/dev/null | tail -n +2)
    sleep 1
    for id in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$id" >/dev/null 2>&1 || true; done
  fi
  stop_component containerd 20
  # Shims of this containerd (they outlive it by design).
  local sock="$DIR/containerd/containerd.sock"
  for pid in $(pgrep -x containerd-shim 2>/dev/null; pgrep -f '^/usr/bin/containerd-shim-runc-v2 ' 2>/dev/null); do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-address $sock " && stop_pid "$pid" 5
  done
  # 4. Network namespaces of pods that were not torn down by the kubelet.
  local ns ino
  for ns in /var/run/netns/cni-*; do
    [[ -e "$ns" ]] || continue
    ino="$(stat -L -c %i "$ns" 2>/dev/null || true)"
    for c in "${netns_inodes[@]}"; do
      if [[ -n "$ino" && "$ino" == "$c" ]]; then
        log "removing network namespace $ns"
        umount "$ns" 2>/dev/null || true
        rm -f "$ns"
      fi
    done
  done
  # 5. Mounts under DIR (kubelet volumes, containerd rootfs/shm).
  local m
  while read -r m; do
    [[ -n "$m" ]] || continue
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "warning: cannot unmount $m"
  done < <(mounts_under "$DIR")
  # 6. The bridge (only if we made it), CNI cache entries, cgroups, log links.
  if [[ -f "$DIR/run/bridge" ]] && ip link show "$BRIDGE" >/dev/null 2>&1; then
    log "deleting bridge $BRIDGE"
    ip link del "$BRIDGE"
  fi
  # A cgroupRoot of this cluster's own (MCPGW_K8S_CGROUP_ROOT) goes whatever runs.
  local own_root
  own_root="$(cat "$DIR/run/cgroup-root" 2>/dev/null || true)"
  if [[ -n "$own_root" && "$own_root" != / ]]; then
    local h
    for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
      [[ -d "$h${own_root#/}" ]] || continue
      find "$h${own_root#/}" -depth -type d -exec rmdir {} \; 2>/dev/null || log "warning: cannot remove cgroup $h${own_root#/}"
    done
  fi
  # The kubepods cgroups and the CNI cache are per host: leave them to another
  # kubelet that still runs.
  if pgrep -x kubelet >/dev/null 2>&1; then
    log "another kubelet runs on this host: leaving the kubepods cgroups and /var/lib/cni alone"
  else
    rm -f /var/lib/cni/results/"$CNI_NET"-* 2>/dev/null || true
    local cg
    for cg in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/unified/kubepods; do
      [[ -d "$cg" ]] || continue
      find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || log "warning: cannot remove cgroup $cg (processes left?)"
    done
  fi
  if [[ -d /var/log/containers ]]; then
    find /var/log/containers -maxdepth 1 -type l -lname "$DIR/*" -delete 2>/dev/null || true
  fi
  # Host directories the kubelet, containerd and CNI create, when they are left empty.
  rmdir /var/lib/cni/results /var/lib/cni /run/containerd/s /run/containerd /var/log/containers 2>/dev/null || true
  # 7. Everything in DIR that up made (containerd's content and snapshots are most of it).
  log "removing $DIR"
  rm -rf "$DIR"/{etcd,containerd,kubelet,cni,podman,images,pki,run} "$DIR"/*.kubeconfig "$DIR/kubeconfig"
  rm -rf "$DIR/logs"
  rmdir "$DIR" 2>/dev/null || log "left $DIR (it holds files $0 did not make)"
  log "down"
}

# ----------------------------------------------------------------- main ----

CMD="${1:-}"
case "$CMD" in
  -h|--help|help) usage; exit 0 ;;
  build) build_binaries; echo "$BIN_DIR"; exit 0 ;;
  up|down|status|kubectl|selftest) ;;
  *) usage >&2; exit 2 ;;
esac
[[ -n "${2:-}" ]] || { usage >&2; exit 2; }
[[ "$CMD" == up ]] && mkdir -p "$2"
[[ -d "$2" ]] || { [[ "$CMD" == down ]] && { log "$2 does not exist: nothing to do"; exit 0; }; die "no such directory: $2"; }
DIR="$(cd "$2" && pwd -P)"
shift 2
case "$CMD" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  selftest) exec "$HERE/smoke.sh" "$DIR" ;;
  kubectl) build_binaries_quiet || die "not built: run $0 up first"; exec "$BIN_DIR/kubectl" --kubeconfig "$DIR/kubeconfig" "$@" ;;
esac
