#!/usr/bin/env bash
# Builds and runs the peer harnesses (Node/V8 and Debian's stock wasm2c runtime) over the bench
# guests fib.wasm and state.wasm of BUILD_DIR; prints JSON lines (also saved to
# BUILD_DIR/bench-results/peers.jsonl). Usage: bench/peers/run.sh BUILD_DIR
# Env: PEERS_LIVE_INSTANCES (10000), PEERS_RSS_CAP_MIB (8192), PEERS_SKIP_NODE=1, PEERS_SKIP_STOCK=1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:?usage: bench/peers/run.sh BUILD_DIR}"
BUILD="$(cd "$BUILD" && pwd)"
GUESTS="$BUILD/guests"
WORK="$BUILD/peers"      # generated C, objects and the stock harness binary (never committed)
RESULTS="$BUILD/bench-results"
WASM_RT_DIR="${WASM_RT_DIR:-/usr/share/wabt/wasm2c}"  # Debian's stock runtime (wasm-rt-impl.c)
mkdir -p "$WORK" "$RESULTS"

cmake --build "$BUILD" --target fib_wasm state_wasm >&2

# Re-made only when its inputs are newer: gcc -O2 takes a minute or two over state.wasm's C
# (its 4 MiB data segment becomes a 26 MB array initializer).
stale() {  # stale OUT IN...
  local out="$1"
  shift
  [ ! -e "$out" ] && return 0
  for f in "$@"; do [ "$f" -nt "$out" ] && return 0; done
  return 1
}

if [ "${PEERS_SKIP_STOCK:-0}" != 1 ]; then
  CFLAGS=(-O2 -I"$WORK" -I"$WASM_RT_DIR")
  for g in fib state; do
    if stale "$WORK/$g.o" "$GUESTS/$g.wasm"; then
      echo "peers: wasm2c $g.wasm + gcc -O2" >&2
      wasm2c "$GUESTS/$g.wasm" -n "$g" -o "$WORK/$g.c"
      gcc "${CFLAGS[@]}" -c -o "$WORK/$g.o" "$WORK/$g.c"
    fi
  done
  if stale "$WORK/wasm-rt-impl.o" "$WASM_RT_DIR/wasm-rt-impl.c"; then
    gcc "${CFLAGS[@]}" -c -o "$WORK/wasm-rt-impl.o" "$WASM_RT_DIR/wasm-rt-impl.c"
  fi
  HARNESS="$ROOT/bench/peers/stock_wasm2c/harness.c"
  if stale "$WORK/stock_wasm2c_instances" "$HARNESS" "$WORK/fib.o" "$WORK/state.o"; then
    gcc "${CFLAGS[@]}" -Wall -Wextra -Werror -c -o "$WORK/harness.o" "$HARNESS"
    gcc -o "$WORK/stock_wasm2c_instances" "$WORK/harness.o" "$WORK/fib.o" "$WORK/state.o" \
      "$WORK/wasm-rt-impl.o" -lm
  fi
fi

{
  if [ "${PEERS_SKIP_NODE:-0}" != 1 ]; then
    node --expose-gc "$ROOT/bench/peers/node_instances.mjs" "$GUESTS"
  fi
  if [ "${PEERS_SKIP_STOCK:-0}" != 1 ]; then
    "$WORK/stock_wasm2c_instances"
  fi
} | tee "$RESULTS/peers.jsonl"
echo "peers: $RESULTS/peers.jsonl" >&2
