#!/usr/bin/env bash
# Several `wisp serve` nodes behind nginx on one machine: the layout of a production cluster
# (README "More than one machine"), on loopback ports.
#   scripts/cluster.sh N CONFIG.toml [--port P] [--dir D] [--wisp BIN] [--threads T]
# - starts N nodes, `wisp serve CONFIG --listen 127.0.0.1:(P+1..P+N)`, sharing one compile cache
#   (D/cache: a module is compiled to tier 1 once, by whichever node gets there first);
# - starts nginx (Debian's) on 127.0.0.1:P as their load balancer: round robin over the nodes,
#   keep-alive upstream connections, passive health checks (a node failing a request is left out
#   for 2 s) and retries of idempotent requests on the next node (connection errors, timeouts,
#   502/503/504; nginx never retries a POST);
# - active health checks and supervision (a liveness probe): every half second each node's
#   /healthz is probed; a node that has not answered for 3 s is killed and, like a node whose
#   process ended, started again. nginx is never reloaded for this (a reload closes clients'
#   idle keep-alive connections, which a client may see as a failed request): while a node is
#   down, nginx's passive checks and retries route around it.
# Runs until SIGINT or SIGTERM, then drains every node (SIGTERM: each finishes its requests) and
# stops nginx. Writes D/nodeI.pid, D/nodeI.log, D/nginx.conf, D/cluster.log; prints
# "cluster: ready at http://127.0.0.1:P" once every node answers. D defaults to a new temporary
# directory (removed at the end); P to 8080.
set -euo pipefail

usage() { echo "usage: scripts/cluster.sh N CONFIG.toml [--port P] [--dir D] [--wisp BIN] [--threads T]" >&2; exit 2; }
[[ $# -ge 2 ]] || usage
nodes=$1 config=$(realpath "$2")
shift 2
port=8080 dir="" wisp="" threads=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --port) port=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --wisp) wisp=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) usage ;;
  esac
done
[[ $nodes =~ ^[1-9][0-9]*$ ]] || usage
here=$(cd "$(dirname "$0")/.." && pwd)
[[ -n $wisp ]] || wisp="$here/build/wisp"
[[ -x $wisp ]] || { echo "cluster: no wisp binary at $wisp (make build, or --wisp BIN)" >&2; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $nginx_bin ]] || { echo "cluster: needs nginx (apt-get install nginx-light)" >&2; exit 1; }
own_dir=0
if [[ -z $dir ]]; then
  dir=$(mktemp -d)
  own_dir=1
fi
mkdir -p "$dir/cache" "$dir/nginx"
dir=$(realpath "$dir")
chmod 755 "$dir" "$dir/nginx"  # nginx's workers run as www-data
log="$dir/cluster.log"
: >"$log"
say() { echo "cluster: $*" | tee -a "$log"; }

declare -a pids up misses
node_port() { echo $((port + $1)); }

start_node() {  # start_node I
  local i=$1
  XDG_CACHE_HOME="$dir/cache" "$wisp" serve "$config" --listen "127.0.0.1:$(node_port "$i")" \
    --threads "$threads" >>"$dir/node$i.log" 2>&1 &
  pids[i]=$!
  echo "${pids[i]}" >"$dir/node$i.pid"
}

healthy() {  # healthy I: the node answers /healthz within a second
  curl -s -o /dev/null --max-time 1 -w '%{http_code}' "http://127.0.0.1:$(node_port "$1")/healthz" |
    grep -q '^200$'
}

write_nginx_conf() {
  {
    echo "daemon off;"
    echo "worker_processes auto;"
    echo "pid $dir/nginx/nginx.pid;"
    echo "error_log $dir/nginx/error.log;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "  access_log off;"
    for t in client_body proxy fastcgi uwsgi scgi; do echo "  ${t}_temp_path $dir/nginx;"; done
    echo "  upstream wisp {"
    for i in $(seq "$nodes"); do
      echo "    server 127.0.0.1:$(node_port "$i") max_fails=1 fail_timeout=2s;"
    done
    echo "    keepalive 64;"
    echo "  }"
    echo "  server {"
    echo "    listen 127.0.0.1:$port;"
    echo "    client_max_body_size 64m;"
    echo "    location / {"
    echo "      proxy_pass http://wisp;"
    echo "      proxy_http_version 1.1;"
    echo "      proxy_set_header Connection \"\";"
    echo "      proxy_set_header Host \$host;"
    echo "      proxy_connect_timeout 1s;"
    echo "      proxy_read_timeout 60s;"
    echo "      proxy_next_upstream error timeout http_502 http_503 http_504;"
    echo "      proxy_next_upstream_tries $((nodes + 1));"
    echo "    }"
    echo "  }"
    echo "}"
  } >"$dir/nginx.conf.new"
  mv "$dir/nginx.conf.new" "$dir/nginx.conf"
}

nginx_pid=""
stopping=0
finish() {
  stopping=1
  say "draining the nodes"
  for i in $(seq "$nodes"); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for i in $(seq "$nodes"); do wait "${pids[i]}" 2>/dev/null || true; done
  [[ -n $nginx_pid ]] && { kill -QUIT "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true; }
  say "stopped"
  [[ $own_dir == 1 ]] && rm -rf "$dir"
  exit "$finish_status"
}
finish_status=0
trap finish INT TERM

for i in $(seq "$nodes"); do
  up[i]=0
  misses[i]=0
  start_node "$i"
done
# The first node compiles into the shared cache; the others load tier 1 from it when it is there.
for _ in $(seq 600); do
  all=1
  for i in $(seq "$nodes"); do
    if healthy "$i"; then up[i]=1; else all=0; fi
    kill -0 "${pids[i]}" 2>/dev/null || { cat "$dir/node$i.log" >&2; say "node $i exited at start"; finish_status=1; finish; }
  done
  [[ $all == 1 ]] && break
  sleep 0.1
done
[[ $all == 1 ]] || { say "the nodes did not all answer /healthz within 60 s"; exit 1; }
write_nginx_conf
"$nginx_bin" -c "$dir/nginx.conf" &
nginx_pid=$!
nginx_up=0
for _ in $(seq 100); do
  kill -0 "$nginx_pid" 2>/dev/null || break  # could not start (the port taken, say)
  [[ $(curl -s -o /dev/null --max-time 1 -w '%{http_code}' "http://127.0.0.1:$port/healthz") == 200 ]] &&
    { nginx_up=1; break; }
  sleep 0.1
done
if [[ $nginx_up == 0 ]]; then
  say "nginx did not start on port $port: $(tail -1 "$dir/nginx/error.log" 2>/dev/null)"
  nginx_pid=""
  finish_status=1
  finish
fi
say "ready at http://127.0.0.1:$port ($nodes nodes on ports $((port + 1))-$((port + nodes)), dir $dir)"

# The health checks and the supervision.
while [[ $stopping == 0 ]]; do
  sleep 0.5 &
  wait $! || true
  for i in $(seq "$nodes"); do
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
      wait "${pids[i]}" 2>/dev/null || true
      say "node $i (pid ${pids[i]}) ended: starting it again"
      start_node "$i"
      misses[i]=0
    fi
    now=0
    healthy "$i" && now=1
    if [[ $now == 1 ]]; then
      misses[i]=0
    elif ((++misses[i] >= 6)); then  # 3 s without an answer: hung, or not starting
      say "node $i (pid ${pids[i]}) has not answered /healthz for 3 s: killing it"
      kill -KILL "${pids[i]}" 2>/dev/null || true
    fi
    if [[ $now != "${up[i]}" ]]; then
      up[i]=$now
      say "node $i is $([[ $now == 1 ]] && echo up || echo down)"
    fi
  done
done
