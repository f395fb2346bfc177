#!/usr/bin/env bash
# raw_proxy.sh: the gateway's own capacity as a proxy, against nginx, in one run.
#
# Two backends:
#   responder (default): mcp-responder (load-tests/mcp_responder) answers tools/call at
#     once in SSE like DBHub; every connection initializes first (one variant,
#     sse-session). Near the gateway's rate it limits both proxies.
#   static: nginx answering one fixed JSON-RPC result (load-tests/lib/
#     static_mcp_backend.sh), which never limits: its direct rate is several times
#     what either proxy reaches. Four variants: JSON or SSE answers (the request
#     header X-Bench-Answer picks), without or with a session (mcp-load --session:
#     initialize first, then the gateway's sealed Mcp-Session-Id on every call).
# On loopback, for each variant:
#   direct:  mcp-load -> backend B1 (Authorization: Bearer <token>)
#   nginx:   mcp-load -> nginx (Debian's; keep-alive upstream, proxy_buffering off,
#            sets the bearer token) -> B1
#   gateway: mcp-load -> mcp-gateway (X-DBHub-DSN) -> B2, which the gateway spawned
#            for the DSN (the same program as B1)
# Same concurrency, duration and closed loop for all three, interleaved per round.
# --pin: the proxy measured (nginx's master and worker, or the gateway) on CPU 0,
# with one worker / one I/O thread each; backends and mcp-load on CPU 1.
# Prints req/s, p50/p99 and the proxy's CPU per request of each, the ratios
# gateway/nginx; writes load-tests/results/raw_proxy-<timestamp>.json.
# --smoke: 1 s per target at concurrency 4; checks only that every request is OK.
set -euo pipefail

usage() {
  cat <<'EOF2'
Usage: load-tests/raw_proxy.sh [--smoke] [options]

  --duration S     seconds measured per target and round (env DURATION, default 10)
  --concurrency N  connections, closed loop (env CONCURRENCY, default 32)
  --warmup S       unrecorded traffic before each measurement (env WARMUP, default 1)
  --rounds N       rounds of direct, nginx, gateway (env ROUNDS, default 1); even
                   rounds run the gateway before nginx, so that a machine getting
                   busier or quieter favours neither; figures over all rounds
  --nginx-workers N  nginx worker_processes (env NGINX_WORKERS, default: nproc, like
                   the gateway's I/O threads)
  --gateway PATH   mcp-gateway binary (env MCP_GATEWAY_BIN, default build/mcp-gateway)
  --load PATH      mcp-load binary (env MCP_LOAD_BIN, default build/load-tests/mcp-load)
  --responder PATH mcp-responder (env MCP_RESPONDER_BIN, default build/load-tests/mcp-responder)
  --nginx PATH     nginx binary (env NGINX, default /usr/sbin/nginx)
  --backend B      responder (default) or static (env BACKEND; see above)
  --pin            proxies on CPU 0 with one worker/thread each, the rest on CPU 1
                   (env PIN=1; needs 2 CPUs)
  --out FILE       results file (default load-tests/results/raw_proxy-<timestamp>.json;
                   --smoke writes none unless --out is given)
  --smoke          1 s per target, concurrency 4, warm-up 0.3 s
  -h, --help       this text
EOF2
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRIPT_NAME=raw_proxy
PATH_OPTIONS="gateway load responder out"
# shellcheck source=lib/common.sh
source "$ROOT/load-tests/lib/common.sh"
DURATION=${DURATION:-10}
CONCURRENCY=${CONCURRENCY:-32}
WARMUP=${WARMUP:-1}
ROUNDS=${ROUNDS:-1}
NGINX_WORKERS=${NGINX_WORKERS:-$(nproc)}
NGINX=${NGINX:-/usr/sbin/nginx}
BACKEND=${BACKEND:-responder}
PIN=${PIN:-0}

while (($#)); do
  case "$1" in
    --duration) DURATION=$2; shift ;;
    --concurrency) CONCURRENCY=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --nginx-workers) NGINX_WORKERS=$2; shift ;;
    --nginx) NGINX=$2; shift ;;
    --backend) BACKEND=$2; shift ;;
    --pin) PIN=1 ;;
    *) common_option "$@"; shift $((TAKEN - 1)) ;;
  esac
  shift
done
if ((SMOKE)); then DURATION=1 CONCURRENCY=4 WARMUP=0.3 ROUNDS=1; fi

readonly HEALTH_TIMEOUT_S=30
readonly STOP_GRACE_S=15

STATIC_BACKEND=$ROOT/load-tests/lib/static_mcp_backend.sh
case "$BACKEND" in
  responder) VARIANTS=(sse-session) ;;
  static) VARIANTS=(json-stateless sse-stateless json-session sse-session) ;;
  *) die "--backend wants responder or static" ;;
esac
((SMOKE)) && [[ $BACKEND == static ]] && VARIANTS=(json-stateless sse-session)
if ((PIN)); then
  (($(nproc) >= 2)) || die "--pin needs 2 CPUs"
  command -v taskset >/dev/null || die "--pin needs taskset (util-linux)"
  NGINX_WORKERS=1
  GATEWAY_THREADS=1
  PROXY_CPU=0
  OTHER_CPU=1
fi
require_files "$NODE" "$GATEWAY" "$LOAD" "$RESPONDER" "$STATIC_BACKEND"
[[ -x $NGINX ]] || die "missing $NGINX (apt-get install nginx, as deploy/setup.sh install does)"
command -v curl >/dev/null || die "curl is needed"

make_tmp
STOP_AT_EXIT=(LOAD_PID GATEWAY_PID NGINX_PID RESPONDER_PID)
FAILURE_LOGS=("$TMP/gateway.log" "$TMP/nginx-error.log" "$TMP/responder.log")
chmod 755 "$TMP"
RESPONDER_PID=""
NGINX_PID=""
GATEWAY_PID=""
LOAD_PID=""

# pin CPU PID...: every thread of the processes (and of their children) on CPU.
pin() {
  local cpu=$1 pid child; shift
  for pid in "$@"; do
    taskset -a -cp "$cpu" "$pid" >/dev/null
    for child in $(pgrep -P "$pid"); do taskset -a -cp "$cpu" "$child" >/dev/null; done
  done
}

# --- 1. backend B1 and nginx in front of it ---------------------------------------------
TOKEN=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
R1_PORT=$(free_port)
if [[ $BACKEND == static ]]; then
  (cd "$TMP" && PORT=$R1_PORT HOST=127.0.0.1 exec bash "$STATIC_BACKEND") >"$TMP/responder.log" 2>&1 &
  RESPONDER_PID=$!
  wait_for "static backend /healthz" "$RESPONDER_PID" curl -sf "http://127.0.0.1:$R1_PORT/healthz"
else
  start_responder "$TMP/responder.log" "$R1_PORT" "$TOKEN"
fi
((PIN)) && pin "$OTHER_CPU" "$RESPONDER_PID"
log "$BACKEND backend (direct) pid $RESPONDER_PID on 127.0.0.1:$R1_PORT"

NGINX_PORT=$(free_port)
mkdir -p "$TMP/nginx-tmp"
cat >"$TMP/nginx.conf" <<CONF
# Written by load-tests/raw_proxy.sh: nginx as a keep-alive reverse proxy.
daemon off;
worker_processes $NGINX_WORKERS;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events { worker_connections 8192; }
http {
  # One log line per request, as the gateway writes one access line per request.
  access_log $TMP/nginx-access.log;
  client_body_temp_path $TMP/nginx-tmp/body;
  proxy_temp_path $TMP/nginx-tmp/proxy;
  fastcgi_temp_path $TMP/nginx-tmp/fastcgi;
  uwsgi_temp_path $TMP/nginx-tmp/uwsgi;
  scgi_temp_path $TMP/nginx-tmp/scgi;
  keepalive_requests 1000000;
  upstream responder {
    server 127.0.0.1:$R1_PORT;
    keepalive 256;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location /mcp {
      proxy_pass http://responder;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Authorization "Bearer $TOKEN";
      # SSE: pass each event on as it comes, as the gateway does.
      proxy_buffering off;
    }
  }
}
CONF
"$NGINX" -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log" >"$TMP/nginx.out" 2>&1 &
NGINX_PID=$!
nginx_ready() { curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/"; }
wait_for "nginx" "$NGINX_PID" nginx_ready
((PIN)) && pin "$PROXY_CPU" "$NGINX_PID"
log "nginx pid $NGINX_PID ($NGINX_WORKERS workers) on 127.0.0.1:$NGINX_PORT"

# --- 2. the gateway, spawning its own backend B2 for the DSN ------------------------------
if [[ $BACKEND == static ]]; then
  BACKEND_FLAGS=(--server-command="$STATIC_BACKEND" --warm-pool=0)
  FIXED_ID=(--fixed-id 1)
else
  use_responder_backend "$TMP/responder.entry"
  FIXED_ID=()
fi
# shellcheck disable=SC2086
start_gateway "$TMP/gateway.log" "$TMP/state" --idle-timeout=1h \
  ${GATEWAY_THREADS:+--threads=$GATEWAY_THREADS} ${GATEWAY_ARGS:-}
DSN="sqlite:///raw-proxy/bench.db"
load --url "http://$MCP_ADDR/mcp" --header "X-DBHub-DSN: $DSN" "${FIXED_ID[@]}" --concurrency 1 \
  --requests 1 --warmup 0 --timeout 30s --duration 40s >"$TMP/first.json" ||
  die "first request: mcp-load failed"
[[ $(json_field "$TMP/first.json" 'j.ok') == 1 ]] ||
  die "first request through the gateway failed: $(json_field "$TMP/first.json" 'j.sample_error')"
if ((PIN)); then
  # The backend it spawned first (it inherits the gateway's CPUs), then the gateway.
  B2_PID=$(admin_get /admin/instances | json_field /dev/stdin 'j.instances[0].pid')
  pin "$OTHER_CPU" "$B2_PID"
  pin "$PROXY_CPU" "$GATEWAY_PID"
fi

# --- 3. measure, interleaved -----------------------------------------------------------
LOADAVG_BEFORE=$(loadavg)
# CPU time (utime and stime, in clock ticks) of the proxy being measured: nginx's
# master and workers, or the gateway; printed as "user system". Per request it is
# a figure that a busy, shared machine disturbs much less than requests/s, and
# the split shows which side a difference is on: the proxy's own code (user) or
# the kernel's socket and file work it asks for (system).
proxy_ticks() { # nginx|gateway
  local pids
  if [[ $1 == nginx ]]; then
    pids="$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"
  else
    pids=$GATEWAY_PID
  fi
  local user=0 system=0 p times
  for p in $pids; do
    times=$(awk '{print $14, $15}' "/proc/$p/stat" 2>/dev/null || echo "0 0")
    user=$((user + ${times% *})) system=$((system + ${times#* }))
  done
  echo "$user $system"
}
((PIN)) && LOAD_PREFIX=(taskset -c "$OTHER_CPU")
run_load() { # TARGET VARIANT ROUND URL HEADER...
  local target=$1 variant=$2 round=$3 url=$4; shift 4
  local name=$target-$variant-$round before=0 session=()
  # A session variant: each connection initializes first, as an MCP client does, and
  # keeps the session id if the server (the gateway) issues one.
  [[ $variant == *-session ]] && session=(--session)
  [[ $target != direct ]] && before=$(proxy_ticks "$target")
  load --url "$url" "$@" "${session[@]}" \
    "${FIXED_ID[@]}" --header "X-Bench-Answer: ${variant%%-*}" --concurrency "$CONCURRENCY" \
    --duration "$DURATION" --warmup "$WARMUP" --label "$name" >"$TMP/$name.json" ||
    die "$name: mcp-load failed"
  if [[ $target != direct ]]; then
    local after
    after=$(proxy_ticks "$target")
    echo "$((${after% *} - ${before% *})) $((${after#* } - ${before#* }))" >"$TMP/$name.ticks"
  fi
  log_load_result "$name" "$TMP/$name.json"
}
for ((r = 1; r <= ROUNDS; r++)); do
  for v in "${VARIANTS[@]}"; do
    run_load direct "$v" "$r" "http://127.0.0.1:$R1_PORT/mcp" --header "Authorization: Bearer $TOKEN"
    proxies=(nginx gateway)
    ((r % 2 == 0)) && proxies=(gateway nginx)
    for p in "${proxies[@]}"; do
      if [[ $p == nginx ]]; then
        run_load nginx "$v" "$r" "http://127.0.0.1:$NGINX_PORT/mcp" --header "X-DBHub-DSN: $DSN"
      else
        run_load gateway "$v" "$r" "http://$MCP_ADDR/mcp" --header "X-DBHub-DSN: $DSN"
      fi
    done
  done
done
LOADAVG_AFTER=$(loadavg)
GATEWAY_RSS_KB=$(rss_kb "$GATEWAY_PID")

default_out
NGINX_VERSION=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')
CLK_TCK=$(getconf CLK_TCK)
VARIANT_LIST=${VARIANTS[*]}
GATEWAY_THREADS_USED=${GATEWAY_THREADS:-$(nproc)}
export TMP ROUNDS SMOKE OUT CLK_TCK CONCURRENCY DURATION WARMUP LOADAVG_BEFORE LOADAVG_AFTER NGINX_WORKERS \
  NGINX_VERSION GATEWAY_RSS_KB BACKEND PIN VARIANT_LIST GATEWAY_THREADS_USED
export_machine_facts
"$NODE" "$ROOT/load-tests/raw_proxy_summary.mjs"
