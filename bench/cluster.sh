#!/usr/bin/env bash
# Throughput of 1 and then 2 `wisp serve` nodes behind nginx (scripts/cluster.sh), in one run, with
# wrk through nginx on the factorial function route (tier 1), and of one node without nginx.
# Prints requests/s and p99 of each and the ratios. Loopback only, bounded in time.
#   bench/cluster.sh [BUILD_DIR] [SECONDS] [CONNECTIONS] [THREADS_PER_NODE]
set -euo pipefail
build=${1:-build}
secs=${2:-5}
conns=${3:-64}
threads=${4:-1}
here=$(cd "$(dirname "$0")/.." && pwd)
wisp=$(realpath "$build/wisp")
ex=$(realpath "$build/examples")
work=$(mktemp -d)
cluster_pid=""
trap 'if [[ -n $cluster_pid ]]; then kill -TERM $cluster_pid 2>/dev/null || true; wait $cluster_pid 2>/dev/null || true; fi; rm -rf "$work"' EXIT
command -v wrk >/dev/null || { echo "cluster bench: needs wrk" >&2; exit 1; }
printf '[engine]\ntier = "1"\n\n[[route]]\npath = "/factorial"\nmodule = "%s/factorial.wasm"\nexport = "factorial"\nstrategy = "pool"\n' \
  "$ex" >"$work/serve.toml"

# run LABEL URL: wrk; prints "LABEL req/s p99"
run() {
  local out
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$2")
  local rps p99
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' <<<"$out")
  p99=$(sed -n 's/^ *99% *\(.*\)$/\1/p' <<<"$out")
  if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then echo "$1: errors: $out" >&2; exit 1; fi
  printf '%-22s %10s req/s  p99 %s\n' "$1" "$rps" "$p99" >&2
  echo "$rps"
}

# cluster N: starts N nodes behind nginx and waits until ready; sets port
cluster() {
  port=$((20000 + RANDOM % 12000))  # below the ephemeral range
  mkdir -p "$work/c$1"
  bash "$here/scripts/cluster.sh" "$1" "$work/serve.toml" --port "$port" --dir "$work/c$1" \
    --wisp "$wisp" --threads "$threads" >/dev/null 2>&1 &
  cluster_pid=$!
  for _ in $(seq 600); do
    grep -q 'ready at' "$work/c$1/cluster.log" 2>/dev/null && return
    sleep 0.1
  done
  echo "cluster bench: $1 nodes did not start" >&2
  exit 1
}
stop_cluster() {
  kill -TERM $cluster_pid
  wait $cluster_pid || true
  cluster_pid=""
}

echo "machine: $(nproc) cores; wrk -t2 -c$conns -d${secs}s; $threads serving thread(s) per node" >&2
cluster 1
curl -s "http://127.0.0.1:$port/factorial?args=10" >/dev/null
direct=$(run "1 node, no nginx" "http://127.0.0.1:$((port + 1))/factorial?args=10")
one=$(run "1 node behind nginx" "http://127.0.0.1:$port/factorial?args=10")
stop_cluster
cluster 2
two=$(run "2 nodes behind nginx" "http://127.0.0.1:$port/factorial?args=10")
stop_cluster
awk -v d="$direct" -v a="$one" -v b="$two" 'BEGIN {
  printf "2 nodes / 1 node (both behind nginx): %.2fx; 1 node behind nginx / 1 node alone: %.2fx\n", b / a, a / d }'
