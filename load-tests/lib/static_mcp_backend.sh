#!/usr/bin/env bash
# static_mcp_backend.sh: an MCP backend that never limits the proxy in front of
# it: Debian's nginx answering every POST /mcp with one fixed JSON-RPC result
# (id 1; mcp-load --fixed-id 1 matches it), as application/json, or as one SSE
# event when the request carries "X-Bench-Answer: sse". GET /healthz answers 200.
#
# Runs in the foreground on $HOST:$PORT, the way the gateway starts a
# --server-command (raw_proxy.sh --backend static starts it so too, for the
# direct and nginx targets). nginx's files go in ./static-backend-$PORT (an
# instance's private working directory under the gateway). SIGTERM stops it.
# $BENCH_BACKEND_WORKERS: nginx worker processes (default 1).
set -euo pipefail
port=${PORT:?PORT must name the port to listen on}
host=${HOST:-127.0.0.1}
workers=${BENCH_BACKEND_WORKERS:-1}
nginx=${NGINX:-/usr/sbin/nginx}
dir="$PWD/static-backend-$port"
mkdir -p "$dir/tmp"
result='{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"1"}],"isError":false}}'
# nginx reads \" and \n in quoted strings; the JSON's quotes are escaped here.
quoted=${result//\"/\\\"}
cat >"$dir/nginx.conf" <<CONF
# Written by load-tests/lib/static_mcp_backend.sh.
worker_processes $workers;
pid $dir/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  server {
    listen $host:$port;
    location = /healthz { default_type text/plain; return 200 "ok\n"; }
    location = /mcp {
      if (\$http_x_bench_answer = "sse") { rewrite ^ /sse-answer last; }
      default_type application/json;
      return 200 "$quoted";
    }
    location = /sse-answer {
      internal;
      default_type text/event-stream;
      return 200 "event: message\ndata: $quoted\n\n";
    }
  }
}
CONF
exec "$nginx" -p "$dir" -c "$dir/nginx.conf" -e stderr -g 'daemon off;'
