#!/usr/bin/env bash
# `wisp serve` end to end: start it on an ephemeral port with the example configuration, make
# requests over a plain TCP socket (bash's /dev/tcp: no client program needed), check the
# answers, then SIGTERM it and check that it stops cleanly with status 0.
# usage: serve.sh WISP CONFIG
set -euo pipefail
wisp=$1 config=$2
log=$(mktemp)
trap 'kill -9 $pid 2>/dev/null || true; rm -f "$log"' EXIT
"$wisp" serve "$config" --listen 127.0.0.1:0 --threads 2 --tier 0 >"$log" 2>&1 &
pid=$!
port=""
for _ in $(seq 300); do
  port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$log")
  [[ -n $port ]] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; echo "serve.sh: wisp serve exited early" >&2; exit 1; }
  sleep 0.1
done
[[ -n $port ]] || { cat "$log"; echo "serve.sh: no port after 30 s" >&2; exit 1; }

# request METHOD TARGET [BODY]: the whole response (HTTP/1.0: the server closes after it).
request() {
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf '%s %s HTTP/1.0\r\nContent-Length: %d\r\n\r\n%s' "$1" "$2" "${#3}" "$3" >&3
  cat <&3
  exec 3<&-
}
expect() {  # expect WHAT PATTERN RESPONSE
  grep -qE "$2" <<<"$3" || { printf 'serve.sh: %s: no /%s/ in:\n%s\n' "$1" "$2" "$3" >&2; exit 1; }
}
expect factorial '"results":\[3628800\]' "$(request GET '/factorial?args=10' '')"
expect factorial_status '^HTTP/1\.[01] 200' "$(request GET '/factorial?args=10' '')"
expect counter_shared '"results":\[1\]' "$(request POST /counter '')"
expect counter_shared_again '"results":\[2\]' "$(request POST /counter '')"
expect counter_fresh '"results":\[1\]' "$(request POST /counter/fresh '')"
expect kv_context '"results":\[1\]' "$(request GET '/kv/update?args=7' '')"
expect shout 'POST q=1' "$(request POST '/shout?q=1' 'hello')"
expect shout_body 'HELLO' "$(request POST '/shout?q=1' 'hello')"
expect not_found '^HTTP/1\.[01] 404' "$(request GET /nowhere '')"
expect bad_args '^HTTP/1\.[01] 400' "$(request GET '/factorial?args=x' '')"
expect metrics 'wisp_http_responses_total\{route="/factorial",code="200"\} 2' "$(request GET /metrics '')"
expect dashboard '<title>wisp</title>' "$(request GET / '')"
kill -TERM $pid
status=0
wait $pid || status=$?
[[ $status -eq 0 ]] || { cat "$log"; echo "serve.sh: exit status $status after SIGTERM" >&2; exit 1; }
expect stopped 'stopping' "$(cat "$log")"
echo "serve.sh: all checks passed on port $port"
