#!/usr/bin/env bash
# `wisp serve` at its limits, end to end:
# 1. Under a descriptor limit of 256 (prlimit), 300 idle connections do not stop the server:
#    the cap stays below the limit, /healthz still answers and other requests get 503 (before,
#    the server ran out of descriptors and stopped accepting, /healthz included).
# 2. A second SIGTERM quits at once while a call is in flight (exit status 1, "quitting"); the
#    first one alone waits for the call.
# usage: serve_limits.sh WISP CONFIG   (CONFIG: routes /spin, never ending, and /factorial)
set -euo pipefail
wisp=$1 config=$2
log=$(mktemp)
pid=""
trap 'if [[ -n $pid ]]; then kill -9 $pid 2>/dev/null || true; fi; rm -f "$log"' EXIT
ulimit -n 4096 2>/dev/null || true  # this shell holds the idle connections

fail() { cat "$log" >&2; echo "serve_limits.sh: $*" >&2; exit 1; }

start() {  # start [PREFIX...]: runs wisp serve, sets pid and port
  : >"$log"
  "$@" "$wisp" serve "$config" --listen 127.0.0.1:0 --threads 2 --tier 0 >"$log" 2>&1 &
  pid=$!
  port=""
  for _ in $(seq 300); do
    port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$log")
    [[ -n $port ]] && grep -q 'connections' "$log" && return
    kill -0 $pid 2>/dev/null || fail "wisp serve exited early"
    sleep 0.1
  done
  fail "no port after 30 s"
}

# ask TARGET: one HTTP/1.0 request on a new connection; the whole answer (10 s at most).
ask() {
  local fd
  exec {fd}<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET %s HTTP/1.0\r\n\r\n' "$1" >&$fd
  timeout 10 cat <&$fd || true
  exec {fd}<&-
}

# 1. The descriptor limit.
start prlimit --nofile=256:256 --
cap=$(sed -n 's|.*at most \([0-9]*\) connections (descriptor limit \([0-9]*\)).*|\1 \2|p' "$log")
read -r connections limit <<<"$cap"
[[ $limit == 256 ]] || fail "descriptor limit '$limit', not 256"
((connections > 0 && connections < 256)) || fail "connection cap $connections not below 256"
idle=()
for _ in $(seq 300); do
  exec {fd}<>"/dev/tcp/127.0.0.1/$port"
  idle+=("$fd")
done
health=$(ask /healthz)
grep -q '^HTTP/1\.0 200' <<<"$health" || fail "/healthz with the cap full: '$health'"
busy=$(ask '/factorial?args=5')
grep -q '^HTTP/1\.0 503' <<<"$busy" || fail "/factorial with the cap full: '$busy'"
for fd in "${idle[@]}"; do exec {fd}<&-; done
# Once the idle connections are gone, requests are served again.
served=""
for _ in $(seq 50); do
  served=$(ask '/factorial?args=5')
  grep -q '"results":\[120\]' <<<"$served" && break
  sleep 0.2
done
grep -q '"results":\[120\]' <<<"$served" || fail "not served after the flood: '$served'"
kill -TERM $pid
wait $pid || fail "exit status $? after SIGTERM"
pid=""

# 2. The second signal.
start
exec {spin}<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /spin HTTP/1.0\r\n\r\n' >&$spin
for _ in $(seq 100); do
  ask /metrics | grep -q 'wisp_instances_live{route="/spin",strategy="fresh"} 1' && break
  sleep 0.1
done
ask /metrics | grep -q 'wisp_instances_live{route="/spin",strategy="fresh"} 1' ||
  fail "the /spin call never started"
kill -TERM $pid
for _ in $(seq 100); do grep -q stopping "$log" && break; sleep 0.1; done
grep -q stopping "$log" || fail "no 'stopping' after the first SIGTERM"
kill -0 $pid 2>/dev/null || fail "the first SIGTERM did not wait for the call in flight"
kill -TERM $pid
status=0
wait $pid || status=$?
pid=""
[[ $status == 1 ]] || fail "exit status $status after the second SIGTERM, not 1"
grep -q quitting "$log" || fail "no 'quitting' after the second SIGTERM"
echo "serve_limits.sh: all checks passed (cap $connections under a limit of 256)"
