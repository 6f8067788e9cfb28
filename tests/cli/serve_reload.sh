#!/usr/bin/env bash
# `wisp serve` live reload, end to end, under load:
# 1. wrk keeps 8 connections busy on /v for the whole test; it must see no failed request.
# 2. SIGHUP after the route's module changed: /v answers from the new module; a second route
#    added to the configuration is served.
# 3. SIGHUP with a module that does not compile: refused with its reason, the routes go on.
# 4. --watch: changing the module file alone is picked up without a signal.
# usage: serve_reload.sh WISP
set -euo pipefail
wisp=$1
dir=$(mktemp -d)
pid="" load=""
trap 'for p in $pid $load; do kill -9 $p 2>/dev/null || true; done; rm -rf "$dir"' EXIT
log="$dir/serve.log"

fail() { cat "$log" >&2; [[ -f $dir/wrk.out ]] && cat "$dir/wrk.out" >&2; echo "serve_reload.sh: $*" >&2; exit 1; }

# version N: answer(n) spins n rounds and returns N.
version() {
  cat >"$dir/v.wat" <<EOF
(module (func (export "answer") (param i32) (result i32) (local i32)
  (block (loop (br_if 1 (i32.ge_u (local.get 1) (local.get 0)))
    (local.set 1 (i32.add (local.get 1) (i32.const 1))) (br 0)))
  (i32.const $1)))
EOF
}
route() {  # route PATH MODULE
  printf '[[route]]\npath = "%s"\nmodule = "%s"\nexport = "answer"\nstrategy = "pool"\n\n' "$1" "$2"
}
# answer PATH: the function route's result
answer() {
  curl -s --max-time 10 "http://127.0.0.1:$port$1?args=100" | sed -n 's/.*"results":\[\([-0-9]*\)\].*/\1/p'
}
# expect PATH VALUE: waits up to 10 s for PATH to answer VALUE
expect() {
  for _ in $(seq 100); do
    [[ $(answer "$1") == "$2" ]] && return
    sleep 0.1
  done
  fail "$1 did not answer $2 (last: '$(answer "$1")')"
}

version 1
route /v v.wat >"$dir/serve.toml"
"$wisp" serve "$dir/serve.toml" --listen 127.0.0.1:0 --threads 2 --tier 0 --watch >"$log" 2>&1 &
pid=$!
port=""
for _ in $(seq 300); do
  port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$log")
  [[ -n $port ]] && grep -q -- '--watch' "$log" && break
  kill -0 $pid 2>/dev/null || fail "wisp serve exited early"
  sleep 0.1
done
[[ -n $port ]] || fail "no port after 30 s"
expect /v 1

# 1. The load, for the whole test.
wrk -t2 -c8 -d12s "http://127.0.0.1:$port/v?args=1000" >"$dir/wrk.out" 2>&1 &
load=$!
sleep 1

# 2. SIGHUP: a new module version and a new route.
version 2
{ route /v v.wat; route /w v.wat; } >"$dir/serve.toml"
kill -HUP $pid
expect /v 2
expect /w 2
grep -q 'SIGHUP: reloaded .*rebuilt: /v; added: /w' "$log" || fail "no reload report for SIGHUP"

# 3. A module that does not compile: refused, the routes go on.
echo 'not a module' >"$dir/broken.wasm"
{ route /v v.wat; route /w broken.wasm; } >"$dir/serve.toml"
kill -HUP $pid
for _ in $(seq 100); do grep -q 'reload refused' "$log" && break; sleep 0.1; done
grep -q 'reload refused, the routes in service go on: route /w: module .*broken.wasm' "$log" ||
  fail "the broken module was not refused with its reason"
expect /v 2
expect /w 2

# 4. --watch: the module file changes (the configuration is fixed first: a reload of its own).
{ route /v v.wat; route /w v.wat; } >"$dir/serve.toml"
sleep 1.5
version 3
expect /v 3
expect /w 3
grep -q -- '--watch: a change: reloaded' "$log" || fail "no reload report for --watch"

wait $load || fail "wrk failed"
load=""
requests=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$dir/wrk.out")
((requests > 100)) || fail "wrk made only '$requests' requests"
if grep -qE 'Non-2xx|Socket errors' "$dir/wrk.out"; then
  fail "requests failed during the reloads"
fi
kill -TERM $pid
wait $pid || fail "wisp serve did not stop cleanly"
pid=""
echo "serve_reload: $requests requests under load across the reloads, none failed"
