#!/usr/bin/env bash
# The C API's call overhead as a ratio (issue 15's target: wasm_func_call of fib(10) within 1.5x
# of the typed C++ call): wisp_bench_capi with REPS interleaved repetitions, then the median and
# the minimum of each benchmark and their ratios to the typed call. On a noisy machine the
# minimums are the steadier figure.
#   bench/capi_overhead.sh [BUILD_DIR] [REPS]
set -euo pipefail
build=${1:-build}
reps=${2:-30}
json=$(mktemp)
trap 'rm -f "$json"' EXIT
"$build/bench/wisp_bench_capi" --benchmark_repetitions="$reps" \
  --benchmark_enable_random_interleaving=true --benchmark_format=json >"$json"
python3 - "$json" <<'PY'
import json, statistics, sys
runs = [b for b in json.load(open(sys.argv[1]))["benchmarks"] if b.get("run_type") == "iteration"]
by = {}
for b in runs:
    by.setdefault(b["run_name"], []).append(b["cpu_time"])
base_med = statistics.median(by["cpp_typed_call"])
base_min = min(by["cpp_typed_call"])
print(f"{'benchmark':<22} {'median ns':>10} {'min ns':>8} {'median/typed':>13} {'min/typed':>10}")
for name, t in by.items():
    print(f"{name:<22} {statistics.median(t):>10.2f} {min(t):>8.2f} "
          f"{statistics.median(t) / base_med:>13.2f} {min(t) / base_min:>10.2f}")
PY
