#!/usr/bin/env bash
# Load tests of `wisp serve` with wrk (Debian), bounded in time, on loopback: a small function
# route on every strategy, the WASI route, and /thumbnail, against nginx (Debian) serving a small
# static file in the same run (the machine's HTTP limit). Prints requests/s, p50 and p99 latency
# per target, and each function route's ratio to nginx.
#   bench/load.sh [BUILD_DIR] [SECONDS_PER_TARGET] [CONNECTIONS] [SERVING_THREADS]
# SERVING_THREADS: wisp's [server] threads (default 0: one per core); each route gets as many
# workers (max_concurrency's default).
# PIN=1: nginx and wisp run on CPU 0 (nginx with one worker; pass SERVING_THREADS=1) and wrk on
# CPU 1 with one thread, so that the load generator does not take the servers' core.
set -euo pipefail
# shellcheck source=bench/serve_port.sh
source "$(dirname "$0")/serve_port.sh"
build=${1:-build}
secs=${2:-5}
conns=${3:-64}
threads=${4:-0}
if [ "${PIN:-0}" = 1 ]; then
  on_server_cpu=(taskset -c 0) on_client_cpu=(taskset -c 1) wrk_threads=1 nginx_workers=1
else
  on_server_cpu=() on_client_cpu=() wrk_threads=2 nginx_workers=auto
fi
ex="$(realpath "$build/examples")"
work=$(mktemp -d)
trap 'kill $wisp_pid $nginx_pid 2>/dev/null || true; rm -rf "$work"' EXIT
wisp_pid="" nginx_pid=""
command -v wrk >/dev/null || { echo "load.sh: needs wrk (apt-get install wrk)" >&2; exit 1; }
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { echo "load.sh: needs nginx (apt-get install nginx-light)" >&2; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

# nginx: one small static file, as many workers as cores, no access log.
mkdir -p "$work/www" "$work/nginx"
printf '{"results":[120]}\n' >"$work/www/small.json"
chmod 755 "$work" "$work/www"  # nginx's workers run as www-data
chmod 644 "$work/www/small.json"
cat >"$work/nginx/nginx.conf" <<CONF
daemon off;
worker_processes $nginx_workers;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  proxy_temp_path $work/nginx;
  fastcgi_temp_path $work/nginx;
  uwsgi_temp_path $work/nginx;
  scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:18181; root $work/www; }
}
CONF
"${on_server_cpu[@]}" "$nginx_bin" -c "$work/nginx/nginx.conf" &
nginx_pid=$!

# wisp: tier 1 built before serving.
route() {  # route PATH MODULE EXPORT STRATEGY [extra lines]
  printf '[[route]]\npath = "%s"\nmodule = "%s"\n' "$1" "$ex/$2"
  [ -n "$3" ] && printf 'export = "%s"\n' "$3"
  printf 'strategy = "%s"\n' "$4"
  [ $# -ge 5 ] && printf '%b\n' "$5"
  printf '\n'
}
{
  printf '[server]\nlisten = "127.0.0.1:0"\nthreads = %s\n[engine]\ntier = "1"\n\n' "$threads"
  for s in per_thread pool fresh shared; do route "/factorial/$s" factorial.wasm factorial "$s"; done
  route /kv kv.wasm update_value contexts '[route.contexts]\nregion_bytes = 4096\nmax_contexts = 64'
  route /shout shout.wasm "" pool 'mode = "wasi"\ncontent_type = "text/plain"'
  route /thumbnail thumbnail.wasm "" pool 'mode = "wasi"\ncgi_response = true\nmax_instances = 4\nmax_body_bytes = 16777216\nmax_output_bytes = 16777216\nmax_memory = 268435456\ntimeout_ms = 20000'
} >"$work/load.toml"
"${on_server_cpu[@]}" "$build/wisp" serve "$work/load.toml" >"$work/serve.log" 2>&1 &
wisp_pid=$!
serve_port "$work/serve.log" "$wisp_pid"

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
local f = io.open(os.getenv("WRK_BODY"), "rb")
wrk.body = f:read("*a")
f:close()
LUA
printf 'hello, wisp\n' >"$work/shout.txt"

# run NAME URL CONNECTIONS [BODY_FILE]: one wrk run; prints a table row.
run() {
  local out
  if [ $# -ge 4 ]; then
    out=$(WRK_BODY="$4" "${on_client_cpu[@]}" wrk -t"$wrk_threads" -c"$3" -d"${secs}s" --latency -s "$work/post.lua" "$2")
  else
    out=$("${on_client_cpu[@]}" wrk -t"$wrk_threads" -c"$3" -d"${secs}s" --latency "$2")
  fi
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {printf "%s ", $0}' <<<"$out")
  printf '%-28s %6s conns %12s req/s  p50 %9s  p99 %9s  %s\n' "$1" "$3" "$rps" "$p50" "$p99" "${errors:-}"
  echo "$rps" >"$work/rps.$1"
}
curl -s -o /dev/null "http://127.0.0.1:18181/small.json"
echo "wrk -t$wrk_threads, ${secs} s per target, loopback; $(nproc) cores; PIN=${PIN:-0}"
run nginx_static "http://127.0.0.1:18181/small.json" "$conns"
for s in per_thread pool fresh shared; do
  run "factorial_$s" "http://127.0.0.1:$port/factorial/$s?args=5" "$conns"
done
run kv_contexts "http://127.0.0.1:$port/kv?args=7" "$conns"
run shout_wasi_pool "http://127.0.0.1:$port/shout?x=1" "$conns" "$work/shout.txt"
run thumbnail_pool "http://127.0.0.1:$port/thumbnail?w=256&h=256" 4 "$ex/photo.jpg"
base=$(cat "$work/rps.nginx_static")
for s in per_thread pool fresh shared; do
  printf 'factorial_%s / nginx: %.2f\n' "$s" "$(echo "$(cat "$work/rps.factorial_$s") / $base" | bc -l)"
done
