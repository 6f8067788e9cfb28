#!/usr/bin/env bash
# The dashboard's memory in Chromium, one chart instance for all charts vs one instance per chart
# (issue 14: "one instance for N charts uses <= 1/N + 10 % of the Wasm memory of N instances",
# N = 8): serves three routes (two charts each, and two overall: eight), loads / and
# /?instances=per-chart RUNS times each in headless Chromium (tests/browser/charts.js --measure)
# and prints per load and as medians: the Wasm memories' bytes (the sum of every instance's
# memory.buffer.byteLength) and the JS heap after a collection (CDP Performance.getMetrics).
#   bench/browser_charts_memory.sh [BUILD_DIR] [RUNS]
set -euo pipefail
# shellcheck source=bench/serve_port.sh
source "$(dirname "$0")/serve_port.sh"
# shellcheck source=tests/browser/dashboard_config.sh
source "$(dirname "$0")/../tests/browser/dashboard_config.sh"
build=${1:-build}
runs=${2:-5}
here="$(cd "$(dirname "$0")/.." && pwd)"
ex="$(cd "$build/examples" && pwd)"
chromium=${WISP_CHROMIUM:-$(command -v chromium || command -v chromium-browser)}
work=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
write_dashboard_config "$work/serve.toml" "$ex"
"$build/wisp" serve "$work/serve.toml" --listen 127.0.0.1:0 --threads 2 >"$work/log" 2>&1 &
pid=$!
serve_port "$work/log" $pid
for _ in $(seq 20); do curl -s "http://127.0.0.1:$port/factorial?args=10" >/dev/null; done
node "$here/tests/browser/charts.js" --url "http://127.0.0.1:$port" --chromium "$chromium" \
  --measure "$runs"
