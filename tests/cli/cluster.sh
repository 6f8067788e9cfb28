#!/usr/bin/env bash
# Two `wisp serve` nodes behind nginx (scripts/cluster.sh), under a wrk load through nginx:
# 1. SIGTERM drains node 1 while the load runs: no request fails (nginx sends new requests to
#    node 2, node 1 answers what it has); the cluster script starts node 1 again.
# 2. kill -9 of node 2 while the load runs: at most the requests in flight on it fail (wrk's 8
#    connections bound them; nginx retries idempotent requests on node 1, so usually none do).
# usage: cluster.sh WISP SCRIPTS_DIR
set -euo pipefail
wisp=$1 scripts=$2
work=$(mktemp -d)
cluster_pid=""
trap 'if [[ -n $cluster_pid ]]; then kill -TERM $cluster_pid 2>/dev/null || true; wait $cluster_pid 2>/dev/null || true; fi; rm -rf "$work"' EXIT
fail() {
  cat "$work/c/cluster.log" "$work/c/nginx/error.log" 2>/dev/null | tail -40 >&2
  echo "cluster.sh: $*" >&2
  exit 1
}

cat >"$work/v.wat" <<EOF
(module (func (export "answer") (param i32) (result i32) (local i32)
  (block (loop (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
    (local.set 1 (i32.add (local.get 1) (i32.const 1))) (br 0)))
  (i32.const 7)))
EOF
printf '[engine]\ntier = "0"\n\n[[route]]\npath = "/v"\nmodule = "v.wat"\nexport = "answer"\nstrategy = "pool"\n' \
  >"$work/serve.toml"
# Ports below Linux's ephemeral range (32768-60999), so that no test's ephemeral port takes one;
# another try on other ports if one is taken anyway.
start_cluster() {
  port=$((20000 + RANDOM % 12000))
  rm -rf "$work/c"
  mkdir "$work/c"
  bash "$scripts/cluster.sh" 2 "$work/serve.toml" --port "$port" --dir "$work/c" --wisp "$wisp" \
    >"$work/cluster.out" 2>&1 &
  cluster_pid=$!
  for _ in $(seq 600); do
    grep -q 'ready at' "$work/c/cluster.log" 2>/dev/null && return 0
    kill -0 $cluster_pid 2>/dev/null || { wait $cluster_pid || true; cluster_pid=""; return 1; }
    sleep 0.1
  done
  fail "the cluster was not ready after 60 s"
}
started=""
for _ in 1 2 3; do
  if start_cluster; then started=1; break; fi
  cat "$work/cluster.out" >&2
done
[[ -n $started ]] || fail "the cluster did not start (three tries)"
url="http://127.0.0.1:$port/v?args=20000"
[[ $(curl -s "$url") == *'"results":[7]'* ]] || fail "no answer through nginx"

# load SECONDS OUT: wrk through nginx; prints how many requests failed (non-2xx + socket errors)
load() {
  wrk -t2 -c8 -d"$1" "$url" >"$2" 2>&1
  local non2xx errors
  non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$2")
  errors=$(sed -n 's/.*Socket errors: connect \([0-9]*\), read \([0-9]*\), write \([0-9]*\), timeout \([0-9]*\).*/\1 \2 \3 \4/p' "$2")
  local sum=${non2xx:-0}
  for e in $errors; do sum=$((sum + e)); done
  echo "$sum"
}
requests() { sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$1"; }

# phase NAME SIGNAL NODE: wrk for 6 s through nginx, SIGNAL to NODE 2 s in; sets `failed`.
phase() {
  local pid
  pid=$(cat "$work/c/node$3.pid")
  load 6s "$work/$1.out" >"$work/$1.failed" &
  sleep 2
  kill "-$2" "$pid"
  wait $!
  failed=$(cat "$work/$1.failed")
  (($(requests "$work/$1.out") > 100)) || fail "too few requests in the $1 phase"
}

# 1. Drain node 1 under load.
phase drain TERM 1
[[ $failed == 0 ]] || { cat "$work/drain.out" >&2; fail "$failed requests failed while node 1 drained"; }
# The supervisor starts node 1 again (nginx takes it back when its health check passes: if the
# restart was quicker than a check, nginx never left it out).
back=""
for _ in $(seq 200); do
  if grep -q 'node 1 (pid [0-9]*) ended: starting it again' "$work/c/cluster.log" &&
     [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$((port + 1))/healthz") == 200 ]]; then
    back=1
    break
  fi
  sleep 0.1
done
[[ -n $back ]] || fail "node 1 was not started again"

# 2. Kill node 2 under load.
phase kill KILL 2
((failed <= 8)) || { cat "$work/kill.out" >&2; fail "$failed requests failed when node 2 died (more than were in flight)"; }

kill -TERM $cluster_pid
wait $cluster_pid || true
cluster_pid=""
[[ -n ${VERBOSE:-} ]] && cat "$work/c/cluster.log"
echo "cluster: drain $(requests "$work/drain.out") requests, 0 failed; kill -9 $(requests "$work/kill.out") requests, $failed failed"
