# Shared by the offline image builders (deploy/build-dbhub-image.sh,
# deploy/build-gateway-image.sh): `FROM scratch` images whose root is
# prepared here from files already on this machine (no base image, no
# registry). The sourcing script sets IMAGE_NAME (for messages) first.

image_die() { echo "$IMAGE_NAME: $*" >&2; exit 1; }

# image_engine ENGINE: sets ENGINE to the engine to build with (podman if
# installed, else docker, when it is empty); dies when it is not installed.
# (Globals, not output: a command substitution would not stop on errors.)
image_engine() {
  ENGINE="$1"
  if [[ -z "$ENGINE" ]]; then
    if command -v podman >/dev/null; then ENGINE=podman; else ENGINE=docker; fi
  fi
  command -v "$ENGINE" >/dev/null || image_die "$ENGINE not found"
}

# image_up_to_date ENGINE TAG HASH: whether TAG was built from the same
# sources (its mcp-gateway.source-hash label).
image_up_to_date() {
  local have
  have="$("$1" image inspect --format '{{ index .Config.Labels "mcp-gateway.source-hash" }}' "$2" 2>/dev/null || true)"
  [[ "$have" == "$3" ]]
}

# image_linked_libraries BINARY: the shared libraries BINARY links, as ldd
# resolves them.
image_linked_libraries() {
  ldd "$1" | sed -n 's|.*=> \(/[^ ]*\) .*|\1|p'
}

# image_copy_libraries ROOT BINARY: the libraries BINARY links, at the paths
# ldd resolves them to, and the dynamic loader at the path compiled into it
# (its path in LOADER).
image_copy_libraries() {
  local root="$1" binary="$2" lib
  for lib in $(image_linked_libraries "$binary"); do
    install -D -m 644 "$(readlink -f "$lib")" "$root$lib"
  done
  LOADER="$(ldd "$binary" | awk '$1 ~ /^\/.*ld-linux/ {print $1}')"
  [[ -n "$LOADER" ]] || image_die "no dynamic loader in ldd output"
  install -D -m 755 "$(readlink -f "$LOADER")" "$root$LOADER"
}

# image_base_files ROOT USER GECOS: a non-root user USER (10001), name
# resolution from /etc/hosts then DNS, the system CAs, /tmp.
image_base_files() {
  local root="$1" user="$2" gecos="$3"
  mkdir -p "$root/etc/ssl/certs" "$root/tmp"
  chmod 1777 "$root/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\n%s:x:10001:10001:%s:/tmp:/sbin/nologin\n' \
    "$user" "$gecos" >"$root/etc/passwd"
  printf 'root:x:0:\n%s:x:10001:\n' "$user" >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
  if [[ -r /etc/ssl/certs/ca-certificates.crt ]]; then
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  fi
}

# image_build ENGINE CONTAINERFILE HASH TAG ROOT: builds TAG from ROOT,
# labelled with the sources' HASH.
image_build() {
  echo "$IMAGE_NAME: building $4 with $1" >&2
  "$1" build --quiet -f "$2" --label "mcp-gateway.source-hash=$3" -t "$4" "$5" >/dev/null
}
