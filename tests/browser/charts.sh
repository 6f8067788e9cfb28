#!/usr/bin/env bash
# The dashboard in headless Chromium: starts `wisp serve` on a free port with three routes (one
# per_thread, one shared, one contexts: eight charts), and runs tests/browser/charts.js against
# it (one WebAssembly.Instance, drawn canvases, rates that add up to /metrics, the memory ratio),
# which keeps a screenshot. Without chromium (or node) it is skipped loudly (exit 77, CTest's
# SKIP_RETURN_CODE); with CI=true it fails instead. WISP_CHROMIUM names another browser binary.
# usage: charts.sh WISP EXAMPLES_DIR SCREENSHOT.png
set -euo pipefail
wisp=$1 examples=$2 screenshot=$3
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/browser/dashboard_config.sh
source "$here/dashboard_config.sh"
# shellcheck source=bench/serve_port.sh
source "$here/../../bench/serve_port.sh"
chromium=${WISP_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
missing=""
[[ -n $chromium && -x $chromium ]] || missing="chromium (apt-get install chromium; scripts/install-deps.sh)"
command -v node >/dev/null || missing="node (apt-get install nodejs)"
if [[ -n $missing ]]; then
  if [[ ${CI:-} == true ]]; then
    echo "charts.sh: FAILED: no $missing, and CI=true" >&2
    exit 1
  fi
  echo "charts.sh: SKIPPED: no $missing" >&2
  exit 77
fi

dir=$(mktemp -d)
pid=""
trap '[[ -n $pid ]] && kill -9 $pid 2>/dev/null; rm -rf "$dir"' EXIT
write_dashboard_config "$dir/serve.toml" "$examples"
"$wisp" serve "$dir/serve.toml" --listen 127.0.0.1:0 --threads 2 >"$dir/log" 2>&1 &
pid=$!
serve_port "$dir/log" $pid
mkdir -p "$(dirname "$screenshot")"
node "$here/charts.js" --url "http://127.0.0.1:$port" --chromium "$chromium" \
  --screenshot "$screenshot"
kill -TERM $pid
wait $pid
pid=""
echo "charts.sh: all checks passed"
