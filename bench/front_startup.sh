#!/usr/bin/env bash
# Time to first output with a cold cache (issue 10's start-up target): CRuby's version banner and
# nextpnr's --version, run by `wisp run` (wisp: lazy tier 0; wisp_eager: WISP_LAZY_TIER0=0, the
# whole module compiled first) against Node 20 (WebAssembly.compile + instantiate + run of the
# same module: bench/peers/node_wasi_run.mjs), in one run, alternating the commands.
# Every run gets a fresh, empty XDG_CACHE_HOME (bench/startup/first_output.c), and no detached
# tier-1 build (WISP_NO_BACKGROUND_COMPILE=1: it would fill the cache for the next run and load
# the machine while the next commands are timed). The ~300 KB module ready on tier 0 is
# compile_big_tier0/own in wisp_bench_front.
# Modules: $WISP_BENCH_RUBY and $WISP_BENCH_NEXTPNR, else where tests/wasi/large/ruby.sh and
# nextpnr.sh put them (BUILD_DIR/large/...); a missing one is skipped with a message.
# Usage: bench/front_startup.sh BUILD_DIR [RUNS]   (RUNS: 3 by default; ONLY="ruby" or "nextpnr")
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:?usage: front_startup.sh BUILD_DIR [RUNS]}" && pwd)"
RUNS="${2:-3}"
WISP="$BUILD/wisp"
[ -x "$WISP" ] || { echo "missing $WISP: build it first (cmake --build $BUILD --target wisp)" >&2; exit 1; }
command -v node >/dev/null || { echo "node is needed (the peer)" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cc -O2 -Wall -Wextra -Werror -o "$WORK/first_output" "$ROOT/bench/startup/first_output.c"
export WISP_NO_BACKGROUND_COMPILE=1
NODE_RUN=(node --no-warnings "$ROOT/bench/peers/node_wasi_run.mjs")

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
  "kernel $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)" \
  "(+ uncommitted changes: $(git -C "$ROOT" status --porcelain 2>/dev/null | wc -l) files)"
echo "node $(node --version), $RUNS runs, cold cache each run"

# compare NAME MODULE WISP_ARGS_BEFORE_MODULE... -- GUEST_ARGS...: node first (the yardstick).
compare() {
  local name=$1 wasm=$2
  shift 2
  local before=() after=() invoke=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do before+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  after=("$@")
  # node takes --invoke the same way; wisp's --trap-unknown-imports is node's stubs that throw.
  for ((i = 0; i < ${#before[@]}; i++)); do
    if [ "${before[$i]}" = --invoke ]; then invoke=(--invoke "${before[$((i + 1))]}"); fi
  done
  echo
  echo "--- $name: $(stat -c %s "$wasm") bytes ($wasm)"
  echo "command (wisp): wisp run$(printf ' %q' "${before[@]}" \
    "$(basename "$wasm")" "${after[@]}")"
  echo "command (node): node --no-warnings bench/peers/node_wasi_run.mjs$(printf ' %q' \
    "${invoke[@]}" "$(basename "$wasm")" "${after[@]}")"
  "$WORK/first_output" "$RUNS" \
    -- node "${NODE_RUN[@]}" "${invoke[@]}" "$wasm" "${after[@]}" \
    -- wisp "$WISP" run "${before[@]}" "$wasm" "${after[@]}" \
    -- wisp_eager env WISP_LAZY_TIER0=0 "$WISP" run "${before[@]}" "$wasm" "${after[@]}"
}

module() {  # module ENV_VAR FALLBACK HOW
  local path="${!1:-$2}"
  if [ -f "$path" ]; then echo "$path"; else
    echo "skipped: $path is absent (set $1; $3)" >&2
  fi
}

want() { [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ]; }

if want ruby; then
  ruby=$(module WISP_BENCH_RUBY "$BUILD/large/package/dist/ruby.wasm" \
    "npm pack @ruby/3.3-wasm-wasi@2.10.1, then package/dist/ruby.wasm")
  if [ -n "$ruby" ]; then
    compare "CRuby version banner" "$ruby" \
      --trap-unknown-imports --invoke 'ruby-show-version: func() -> ()' --
  fi
fi
if want nextpnr; then
  nextpnr=$(module WISP_BENCH_NEXTPNR \
    "$BUILD/large/nextpnr-ice40-0.8.621/gen/nextpnr-ice40.core.wasm" \
    "npm pack @yowasp/nextpnr-ice40@0.8.621, then package/gen/nextpnr-ice40.core.wasm")
  if [ -n "$nextpnr" ]; then compare "nextpnr --version" "$nextpnr" -- --version; fi
fi
