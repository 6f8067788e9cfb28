#!/usr/bin/env bash
# A route looping to its timeout against the other routes' latency (issue 13's target: their p99
# unchanged within noise): wrk on /factorial alone, then with /spin kept busy by calls that loop
# until their timeout, alternating ROUNDS times in one run. Prints requests/s and p99 of each
# run and the ratios. Loopback only, bounded in time.
#   bench/isolation.sh [BUILD_DIR] [SECONDS] [ROUNDS] [SPIN_WORKERS] [loop|sleep] [PRIORITY]
# SPIN_WORKERS: the looping route's max_concurrency (the cores its calls can burn; default 1).
# PRIORITY: the looping route's cpu_priority (normal, low or idle; default normal).
# sleep: the busy route's calls wait in WASI poll_oneoff until their timeout instead of looping,
# holding their workers without burning a core (separates blocking from sharing the CPU).
# SPLIT=1: the busy route's workers keep to the first CPU this process may use (route key cpus),
# and the HTTP threads ([server] cpus), /factorial's workers and both wrk processes to the others, so that the
# loop shares no core with the requests measured (needs 2 CPUs or more).
set -euo pipefail
# shellcheck source=bench/serve_port.sh
source "$(dirname "$0")/serve_port.sh"
build=${1:-build}
secs=${2:-5}
rounds=${3:-3}
spin_workers=${4:-1}
kind=${5:-loop}
priority=${6:-normal}
split=${SPLIT:-0}
server_cpus="" factorial_cpus="" spin_cpus="" on_rest=()
if [[ $split == 1 ]]; then
  # The CPUs this process may use (taskset, cgroups): the first for /spin, the rest for the others.
  allowed=()
  IFS=, read -ra parts <<<"$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status)"
  for p in "${parts[@]}"; do
    if [[ $p == *-* ]]; then
      for ((c = ${p%-*}; c <= ${p#*-}; c++)); do allowed+=("$c"); done
    else
      allowed+=("$p")
    fi
  done
  ((${#allowed[@]} >= 2)) || { echo "isolation: SPLIT=1 needs 2 CPUs or more" >&2; exit 1; }
  rest=$(IFS=,; echo "${allowed[*]:1}")
  server_cpus="cpus = [$rest]" factorial_cpus="cpus = [$rest]" spin_cpus="cpus = [${allowed[0]}]"
  on_rest=(taskset -c "$rest")
fi
wisp=$(realpath "$build/wisp")
ex=$(realpath "$build/examples")
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
command -v wrk >/dev/null || { echo "isolation: needs wrk" >&2; exit 1; }
if [[ $kind == sleep ]]; then
  # One clock subscription (monotonic, 10 s): poll_oneoff blocks until the call's timeout.
  cat >"$work/spin.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "spin")
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 10000000000))
    (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))))
WAT
else
  echo '(module (func (export "spin") (loop (br 0))))' >"$work/spin.wat"
fi
cat >"$work/serve.toml" <<EOF
[server]
listen = "127.0.0.1:0"
threads = 1
$server_cpus
[engine]
tier = "1"

[[route]]
path = "/factorial"
module = "$ex/factorial.wasm"
export = "factorial"
strategy = "pool"
$factorial_cpus

[[route]]
path = "/spin"
module = "spin.wat"
export = "spin"
strategy = "fresh"
timeout_ms = 1000
max_concurrency = $spin_workers
max_queue = 1
cpu_priority = "$priority"
$spin_cpus
EOF
"$wisp" serve "$work/serve.toml" >"$work/serve.log" 2>&1 &
pids+=($!)
serve_port "$work/serve.log" "${pids[0]}"
curl -s "http://127.0.0.1:$port/factorial?args=10" >/dev/null

# run LABEL: wrk on /factorial; prints "rps p99_ms"
run() {
  local out rps p99
  out=$("${on_rest[@]}" wrk -t1 -c16 -d"${secs}s" --latency "http://127.0.0.1:$port/factorial?args=10")
  if grep -qE 'Non-2xx|Socket errors' <<<"$out"; then echo "$1: errors: $out" >&2; exit 1; fi
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) sub(/ms$/, "", v); else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } print v}' <<<"$out")
  printf '%-26s %10s req/s  p99 %7.2f ms\n' "$1" "$rps" "$p99" >&2
  echo "$rps $p99"
}
# Keeps /spin saturated: a connection per worker plus one (wrk: no process per request), each
# call running until its timeout.
spin_load() {
  "${on_rest[@]}" wrk -t1 -c$((spin_workers + 1)) -d$((secs + 5))s --timeout 5s "http://127.0.0.1:$port/spin" \
    >/dev/null 2>&1 &
  pids+=($!)
}
spin_stop() {
  for p in "${pids[@]:1}"; do kill "$p" 2>/dev/null || true; done
  pids=("${pids[0]}")
  sleep 1.2  # the calls in flight reach their timeout
}

echo "machine: $(nproc) cores; wisp threads = 1, /spin ($kind) max_concurrency = $spin_workers cpu_priority = $priority; SPLIT=$split; wrk -t1 -c16 -d${secs}s" >&2
results=()
for r in $(seq "$rounds"); do
  results+=("$(run "round $r: alone")")
  spin_load
  sleep 0.5
  results+=("$(run "round $r: /spin busy")")
  spin_stop
done
printf '%s\n' "${results[@]}" | awk 'NR % 2 == 1 { ar += $1; ap += $2; n++ } NR % 2 == 0 { br += $1; bp += $2 }
  END { printf "mean over %d rounds: requests/s %.2fx, p99 %.2fx (with /spin busy / alone)\n", n, br / ar, bp / ap }'
