#!/usr/bin/env bash
# `make run`: the embedding example, then `wisp call` on the example guests, then next steps.
set -euo pipefail
BUILD="${1:-build}"
EX="$BUILD/examples"
WISP="$BUILD/wisp"

BOLD="" PLAIN=""
if [ -t 1 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; fi
step() { printf '\n%s$ %s%s\n' "$BOLD" "$*" "$PLAIN"; "$@"; }

if [ ! -x "$EX/wisp_example_embed" ]; then
  echo "run-demo: $EX/wisp_example_embed is not built (run: cmake --build $BUILD)" >&2
  exit 1
fi
step "$EX/wisp_example_embed" "$EX/factorial.wasm"

if [ -x "$WISP" ]; then
  step "$WISP" call "$EX/factorial.wasm" factorial 20
  step "$WISP" call --tier 1 "$EX/factorial.wasm" factorial 12
  # Each `wisp call` is a fresh instance, so the counter starts over: 1 every time.
  step "$WISP" call "$EX/counter.wasm" increment
  step "$WISP" inspect "$EX/kv.wasm"
else
  echo "run-demo: $WISP is not built; skipping the CLI part" >&2
fi

echo
echo "Try next:"
next() { printf '  %-58s # %s\n' "$1" "$2"; }
next "$WISP inspect $EX/counter.wasm" "imports, exports, features, section sizes"
next "$WISP call $EX/factorial.wasm factorial 15" "typed args parsed from the signature"
next "$WISP compile $EX/factorial.wasm" "fills the tier-1 cache, prints both tiers' times"
next "$WISP bench $EX/counter.wasm --export increment --threads 2 --calls 20000" "every sharing strategy, one table"
next "$WISP run build/tests/wasi/guests/wasi_hello.wasm" "a WASI command (preopens: --dir H::G)"
next "make test" "unit, CLI and spec conformance tests"
next "make bench" "core, snapshot and peer benchmarks (bench/RESULTS.md)"
