#!/usr/bin/env bash
# Runs every libFuzzer target for a while, starting from the checked-in corpus.
#
#   tests/fuzz/run_fuzz.sh BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]
#
# BUILD_DIR: a tree configured with -DMCPGW_FUZZ=ON (clang). New inputs go to
# BUILD_DIR/fuzz-corpus/<target> (the repo's corpus is only read; copy
# interesting finds into tests/fuzz/corpus/<target> by hand or with -merge=1).
# A crash leaves its input in BUILD_DIR/fuzz-artifacts/ and fails the run.
# Prints one line per target: executions, corpus size, new coverage.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
BUILD="${1:?usage: run_fuzz.sh BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]}"
SECONDS_PER_TARGET="${2:-10}"
shift $(($# >= 2 ? 2 : 1))
TARGETS=("$@")
if ((${#TARGETS[@]} == 0)); then
  TARGETS=(fuzz_mcp_request_info fuzz_sse_parser fuzz_dsn fuzz_session_token fuzz_http_request)
fi

mkdir -p "$BUILD/fuzz-artifacts"
failed=0
total_execs=0
for target in "${TARGETS[@]}"; do
  bin="$BUILD/tests/fuzz/$target"
  [[ -x "$bin" ]] || { echo "run_fuzz: $bin not built" >&2; exit 2; }
  work="$BUILD/fuzz-corpus/$target"
  mkdir -p "$work"
  log="$BUILD/fuzz-artifacts/$target.log"
  # -timeout: one input may take at most 5 s; -rss_limit_mb: a leak or a
  # blow-up fails the run; -max_len: bounded inputs (requests are bounded too);
  # -seed: the same mutations every run (MCPGW_FUZZ_SEED=0 for a random one),
  # so that a CI run fails for a change, not for a lucky draw.
  if ASAN_OPTIONS=detect_leaks=1 "$bin" "$work" "$HERE/corpus/$target" \
       -seed="${MCPGW_FUZZ_SEED:-1}" \
       -max_total_time="$SECONDS_PER_TARGET" -timeout=5 -rss_limit_mb=2048 \
       -max_len=16384 -print_final_stats=1 \
       -artifact_prefix="$BUILD/fuzz-artifacts/$target-" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed=1
  fi
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)"
  corpus="$(find "$work" -type f | wc -l)"
  total_execs=$((total_execs + ${execs:-0}))
  printf 'fuzz %-22s %-6s %10s execs  cov %5s  corpus %5s  (%ss)\n' \
    "$target" "$status" "${execs:-?}" "${cov:-?}" "$corpus" "$SECONDS_PER_TARGET"
  if [[ "$status" == FAILED ]]; then
    tail -n 40 "$log" >&2
  fi
done
echo "fuzz total: $total_execs executions"
exit "$failed"
