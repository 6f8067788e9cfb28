#!/bin/bash
# Plugins in one instance (issue 14): memory and load time of the plugin example's three language
# plugins loaded into one shared instance against three instances with one plugin each, on both
# tiers (examples/plugins/measure.cpp). Figures recorded in bench/RESULTS.md.
# usage: bench/plugins.sh [BUILD_DIR] [REPS]
set -eu
build="${1:-build}"
reps="${2:-200}"
lock=/tmp/wisp-build.lock
flock "$lock" ninja -C "$build" wisp_plugins_measure >/dev/null
export XDG_CACHE_HOME="${XDG_CACHE_HOME:-$build/tests/unit-cache}"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r)"
lscpu | head -n 8 | sed 's/^/# /'
for tier in 1 0; do
  echo "\$ $build/examples/wisp_plugins_measure --tier $tier --reps $reps"
  "$build/examples/wisp_plugins_measure" --tier "$tier" --reps "$reps"
done
