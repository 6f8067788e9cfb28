#!/usr/bin/env bash
# Builds and runs the core benchmarks (repetitions, medians), then prints medians and ratios.
# Usage: bench/run.sh [BUILD_DIR] [extra Google Benchmark flags, e.g. --benchmark_filter=sha]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
shift || true
REPS="${REPS:-5}"

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$BUILD" --target wisp_bench_core wisp_bench_snapshot wisp_bench_strategy \
  wisp_bench_serve wisp_bench_front wisp_bench_proposals

OUT="$BUILD/bench-results"
mkdir -p "$OUT"
{
  echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores," \
    "kernel $(uname -r)"
  commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)"
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit"
  echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "command: bench/run.sh (wisp_bench_core --benchmark_repetitions=$REPS" \
    "--benchmark_report_aggregates_only=true${*:+ $*})"
} | tee "$OUT/machine.txt"

# Prints every benchmark's aggregates, then a markdown table of medians with ratios to native
# (computed by the harness from this same run). JSON of the run: $OUT/core.json.
"$BUILD/bench/wisp_bench_core" --benchmark_repetitions="$REPS" \
  --benchmark_report_aggregates_only=true --benchmark_color=false \
  --benchmark_out="$OUT/core.json" --benchmark_out_format=json "$@" | tee "$OUT/core.txt"
echo "results: $OUT/core.txt, $OUT/core.json"

# Snapshots (issue 4): instantiate from a snapshot vs from scratch, reset, RSS of live instances.
"$BUILD/bench/wisp_bench_snapshot" --benchmark_repetitions="$REPS" \
  --benchmark_report_aggregates_only=true --benchmark_color=false \
  --benchmark_out="$OUT/snapshot.json" --benchmark_out_format=json "$@" | tee "$OUT/snapshot.txt"
echo "results: $OUT/snapshot.txt, $OUT/snapshot.json"

# Strategies (issue 5): per-lease cost, 1 -> 2 thread scaling, Fresh vs Shared on resize.
"$BUILD/bench/wisp_bench_strategy" --benchmark_repetitions="$REPS" \
  --benchmark_report_aggregates_only=true --benchmark_color=false \
  --benchmark_out="$OUT/strategy.json" --benchmark_out_format=json "$@" | tee "$OUT/strategy.txt"
echo "results: $OUT/strategy.txt, $OUT/strategy.json"

# The server: a request per strategy over keep-alive HTTP, a WASI route, a process per request
# (`wisp run`), and the loopback TCP round trip as the floor.
"$BUILD/bench/wisp_bench_serve" --benchmark_repetitions="$REPS" \
  --benchmark_report_aggregates_only=true --benchmark_color=false \
  --benchmark_out="$OUT/serve.json" --benchmark_out_format=json "$@" | tee "$OUT/serve.txt"
echo "results: $OUT/serve.txt, $OUT/serve.json"

# The front end (issue 10): wisp's decoder and validator against libwabt's reader and validator on
# the same bytes, with ratios, and wisp's C emitter; the large real modules when present
# (WISP_BENCH_RUBY, WISP_BENCH_NEXTPNR). Time to first output against node:
# bench/front_startup.sh (minutes).
"$BUILD/bench/wisp_bench_front" --benchmark_repetitions="$REPS" \
  --benchmark_report_aggregates_only=true --benchmark_color=false \
  --benchmark_out="$OUT/front.json" --benchmark_out_format=json "$@" | tee "$OUT/front.txt"
echo "results: $OUT/front.txt, $OUT/front.json"

# Tail calls (issue 11): an interpreter whose handlers tail-call each other against the same
# handlers called from a loop and against a switch loop, on both tiers.
"$BUILD/bench/wisp_bench_proposals" --benchmark_repetitions="$REPS" \
  --benchmark_report_aggregates_only=true --benchmark_color=false \
  --benchmark_out="$OUT/proposals.json" --benchmark_out_format=json "$@" | tee "$OUT/proposals.txt"
echo "results: $OUT/proposals.txt, $OUT/proposals.json"

# Peers, in the same run (issue 4): Node (V8) and the stock wasm2c runtime over the same guests,
# JSON lines in $OUT/peers.jsonl (bench/peers/README.md). PEERS=0 skips this step.
if [ "${PEERS:-1}" != 0 ]; then
  echo "--- peers (bench/peers/run.sh) ---"
  bash "$ROOT/bench/peers/run.sh" "$BUILD"
fi
