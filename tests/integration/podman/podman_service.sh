#!/usr/bin/env bash
# The Podman engine the docker-runtime tests talk to: Podman's Docker-compatible
# API on a private unix socket, with a private containers.conf (runc, bounded
# ulimits) and a private storage (images, containers, state) under DIR, so that
# the machine's own Podman configuration and containers are left alone.
#
#   podman_service.sh start DIR   write DIR/containers.conf, start the service on
#                                 DIR/podman.sock, build the offline DBHub image
#   podman_service.sh stop DIR    remove the test containers, stop the service
#
# ctest runs `start` as a fixture setup before the docker tests and `stop` after.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd -P)"
CMD="${1:-}"
DIR="${2:-}"
[[ -n "$CMD" && -n "$DIR" ]] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
DIR="$(mkdir -p "$DIR" && cd "$DIR" && pwd -P)"
SOCK="$DIR/podman.sock"
PIDFILE="$DIR/podman.pid"
IMAGE="${MCP_GATEWAY_TEST_IMAGE:-mcp-gateway/dbhub:1.4.0-offline}"
export CONTAINERS_CONF="$DIR/containers.conf"
export CONTAINERS_STORAGE_CONF="$DIR/storage.conf"

log() { printf 'podman_service: %s\n' "$*" >&2; }

api_ping() {
  curl -sf --max-time 2 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1
}

remove_test_containers() {
  # Every container a gateway made in this private storage (they carry this label).
  local ids
  ids="$(podman ps -aq --filter label=mcp-gateway.gateway-id 2>/dev/null || true)"
  [[ -z "$ids" ]] || podman rm -f -t 0 $ids >/dev/null 2>&1 || true
}

case "$CMD" in
  start)
    command -v podman >/dev/null || { log "podman is not installed (deploy/setup.sh install installs it)"; exit 1; }
    cat >"$CONTAINERS_CONF" <<CONF
# Private to the mcp-gateway tests (CONTAINERS_CONF points here).
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
tmp_dir = "$DIR/tmp"
CONF
    cat >"$CONTAINERS_STORAGE_CONF" <<CONF
# Private to the mcp-gateway tests (CONTAINERS_STORAGE_CONF points here).
[storage]
driver = "overlay"
graphroot = "$DIR/storage"
runroot = "$DIR/run"
CONF
    if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && api_ping; then
      log "service already running on $SOCK"
    else
      rm -f "$SOCK"
      setsid podman system service --time=0 "unix://$SOCK" >"$DIR/service.log" 2>&1 </dev/null &
      echo $! >"$PIDFILE"
      for _ in $(seq 1 200); do
        api_ping && break
        kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { log "service exited: $(tail -5 "$DIR/service.log")"; exit 1; }
        sleep 0.1
      done
      api_ping || { log "service did not answer on $SOCK"; exit 1; }
      log "service on $SOCK (pid $(cat "$PIDFILE"))"
    fi
    remove_test_containers
    "$REPO/deploy/build-dbhub-image.sh" --engine podman --tag "$IMAGE"
    ;;
  stop)
    remove_test_containers
    if [[ -f "$PIDFILE" ]]; then
      pid="$(cat "$PIDFILE")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$PIDFILE" "$SOCK"
    fi
    log "stopped"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
