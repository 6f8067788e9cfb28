#!/usr/bin/env bash
# Issue 12's `shared` target: one instance leased by T threads at once keeps >= 0.8x the calls/s
# of one thread. Runs PAIRS pairs of `wisp bench ... --strategy shared`, 1 thread then T threads
# (factorial(10), 1,000,000 calls), each ratio against the 1-thread run just before it, and prints
# each pair, then min / median / max and how many pairs fall below 0.8. With several WISP
# binaries (old and new builds) their pairs alternate, round by round: this VM's speed drifts by
# 20-30 % within seconds, so only ratios taken side by side compare.
# Usage: bench/shared_contention.sh BUILD_DIR [PAIRS] [THREADS] [EXTRA_WISP_BINARY...]
set -euo pipefail
BUILD="$(cd "${1:?usage: shared_contention.sh BUILD_DIR [PAIRS] [THREADS] [WISP...]}" && pwd)"
PAIRS="${2:-20}"
THREADS="${3:-8}"
shift $(($# < 3 ? $# : 3))
BINARIES=("$BUILD/wisp" "$@")
GUEST="$BUILD/examples/factorial.wasm"

calls_per_s() {  # BINARY THREADS
  "$1" bench "$GUEST" --export factorial --args 10 --threads "$2" --calls 1000000 \
    --strategy shared | awk -F'|' '/^\| shared/ { gsub(/ /, "", $3); print $3 }'
}

declare -A ratios
for ((p = 1; p <= PAIRS; ++p)); do
  for b in "${BINARIES[@]}"; do
    one=$(calls_per_s "$b" 1)
    many=$(calls_per_s "$b" "$THREADS")
    r=$(awk -v a="$one" -v b="$many" 'BEGIN { printf "%.3f", b / a }')
    echo "$b pair $p: 1 thread $one/s, $THREADS threads $many/s, ratio $r"
    ratios[$b]+="$r "
  done
done
for b in "${BINARIES[@]}"; do
  echo "${ratios[$b]}" | tr ' ' '\n' | grep . | sort -n | awk -v b="$b" '
    { r[NR] = $1; if ($1 < 0.8) below++ }
    END { m = (NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
          printf "%s: %d pairs, min %.3f median %.3f max %.3f, below 0.8: %d\n", b, NR, r[1], m, r[NR], below }'
done
