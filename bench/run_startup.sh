#!/usr/bin/env bash
# Start-up of `wisp run hello.wasm` with a warm cache (tier 1 loaded from the cache) against the
# same C program compiled natively (cc -O2), measured in one run, alternating the two.
# Usage: bench/run_startup.sh [BUILD_DIR] [RUNS]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
RUNS="${2:-200}"
WISP="$BUILD/wisp"
GUEST="$BUILD/tests/wasi/guests/wasi_hello.wasm"
for f in "$WISP" "$GUEST"; do
  [ -e "$f" ] || { echo "missing $f: build first (cmake --build $BUILD)" >&2; exit 1; }
done

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cc -O2 -o "$WORK/hello_native" "$ROOT/tests/wasi/guests/hello.c"
cc -O2 -o "$WORK/exec_timer" "$ROOT/bench/startup/exec_timer.c"
# A cache of its own, warmed by one tier-1 run (cc builds the object once).
export XDG_CACHE_HOME="$WORK/cache"
"$WISP" run --tier 1 "$GUEST" >/dev/null
"$WISP" run --timings "$GUEST" 2>&1 >/dev/null | sed 's/^/warm run: /'

echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
  "kernel $(uname -r); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: bench/run_startup.sh $BUILD $RUNS (A: wisp run hello.wasm, B: native hello)"
"$WORK/exec_timer" "$RUNS" 10 "$WISP" run "$GUEST" --vs "$WORK/hello_native"
