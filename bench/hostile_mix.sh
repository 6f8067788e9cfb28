#!/usr/bin/env bash
# The hardening target for `wisp serve`: under a hostile-client mix (slowloris, idle floods,
# oversize and endless trailers, chunk-extension floods, one-byte-chunk framing floods, request
# smuggling, oversize headers, garbage) run for SECONDS beside a `wrk` load, the server's RSS
# stays within 2x its idle RSS, the well-behaved client sees 0 errors and /healthz keeps
# answering. Starts BUILD_DIR/wisp serve on a free port with a two-route config (the factorial
# example, a function route; shout, a WASI route) in a temp dir, takes the idle RSS after a short
# warm-up (a few requests per route: the instances a good client needs are not the attackers'
# doing; the cold RSS is printed too), then runs `wrk -t1 -c8` on /factorial?args=10, the
# attack kinds of bench/hostile_clients.py (one process each) and a sampler (VmRSS every 0.5 s,
# GET /healthz once a second). Exits 1 if peak/idle RSS > 2, wrk saw any non-2xx or socket
# error, /healthz failed, a hostile attempt got something other than its documented 4xx or a
# close, or the server did not exit 0 on SIGTERM.
# Every server limit is its default (idle_timeout_ms 30 s: the floods' connections are closed
# and opened again once or twice a run; max_connections 512 or what the descriptor limit
# allows). The idle flood opens twice the cap: past the cap a connection gets one answer (503 but
# for the built-in pages) and is closed, which the short attacks then meet too, and which counts
# as expected. wrk's connections are open before the flood fills the cap.
# Needs wrk (apt-get install wrk) and python3.
# Usage: bench/hostile_mix.sh BUILD_DIR [SECONDS]   (SECONDS: 60 by default)
#   KINDS="idle_flood slowloris ..." runs only those kinds (to isolate one); SLOWLORIS_CONNS (300),
#   IDLE_CONNS (2 x cap), WORKERS (2 concurrent clients per short attack),
#   KEEP=1 keeps the temp dir (config, wrk output, per-kind JSON).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${1:?usage: hostile_mix.sh BUILD_DIR [SECONDS]}" && pwd)"
SECS="${2:-60}"
WISP="$BUILD/wisp"
HELPER="$ROOT/bench/hostile_clients.py"
ALL_KINDS="slowloris idle_flood trailers_oversize trailers_endless chunk_ext_flood one_byte_chunks smuggling oversize_headers garbage"
KINDS="${KINDS:-$ALL_KINDS}"
SLOWLORIS_CONNS="${SLOWLORIS_CONNS:-300}"
WORKERS="${WORKERS:-2}"
IDLE_TIMEOUT_S=30  # the default [server] idle_timeout_ms, which the config leaves alone

[ -x "$WISP" ] || { echo "missing $WISP: build it first (cmake --build $BUILD --target wisp)" >&2; exit 1; }
for m in factorial shout; do
  [ -f "$BUILD/examples/$m.wasm" ] || { echo "missing $BUILD/examples/$m.wasm (the examples)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }

# Whether a child runs (kill -0 also succeeds on a zombie, which a dead server is until waited).
alive() { local s; s="$(grep '^State:' "/proc/$1/status" 2>/dev/null)" || return 1; [[ $s != *Z* ]]; }

WORK="$(mktemp -d)"
SERVER_PID=""
CLIENT_PIDS=()
cleanup() {
  for p in "${CLIENT_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "$SERVER_PID" ] && alive "$SERVER_PID"; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    sleep 2
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

cat >"$WORK/serve.toml" <<EOF
# Written by bench/hostile_mix.sh. Every [server] limit is its default.
[server]
listen = "127.0.0.1:0"

[[route]]
path = "/factorial"
module = "$BUILD/examples/factorial.wasm"
export = "factorial"
strategy = "per_thread"

[[route]]
path = "/shout"
module = "$BUILD/examples/shout.wasm"
mode = "wasi"
strategy = "pool"
content_type = "text/plain; charset=utf-8"
EOF

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
"$WISP" serve "$WORK/serve.toml" >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 1200); do
  grep -q "connections" "$WORK/server.out" 2>/dev/null && break
  alive "$SERVER_PID" || { cat "$WORK/server.err" >&2; exit 1; }
  sleep 0.1
done
SERVER_LINE="$(grep -m1 'serving' "$WORK/server.out")"
PORT="$(sed -n 's/.*http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/server.out" | head -1)"
CAP="$(sed -n 's/.*at most \([0-9]*\) connections.*/\1/p' "$WORK/server.out" | head -1)"
[ -n "$PORT" ] && [ -n "$CAP" ] || { echo "cannot read the port and cap from:" >&2; cat "$WORK/server.out" >&2; exit 1; }
IDLE_CONNS="${IDLE_CONNS:-$(( 2 * CAP ))}"
echo "wisp serve on port $PORT (pid $SERVER_PID, at most $CAP connections); load average $LOAD_BEFORE" >&2

python3 "$HELPER" probe --port "$PORT" --timeout 60
COLD_RSS="$(python3 "$HELPER" rss --pid "$SERVER_PID" --seconds 1)"
python3 "$HELPER" probe --port "$PORT" --warm 10
IDLE_RSS="$(python3 "$HELPER" rss --pid "$SERVER_PID" --seconds 2)"
echo "idle RSS $IDLE_RSS kB (cold $COLD_RSS kB); running the mix for $SECS s: $KINDS" >&2

URL="http://127.0.0.1:$PORT/factorial?args=10"
WRK_CMD="wrk -t1 -c8 -d${SECS}s --latency $URL"
python3 "$HELPER" sample --pid "$SERVER_PID" --port "$PORT" --seconds "$((SECS + 1))" \
  --out "$WORK/sample.json" &
SAMPLER_PID=$!
CLIENT_PIDS+=("$SAMPLER_PID")
wrk -t1 -c8 -d"${SECS}s" --latency "$URL" >"$WORK/wrk.txt" 2>&1 &
WRK_PID=$!
CLIENT_PIDS+=("$WRK_PID")
sleep 1  # wrk's keep-alive connections are open before the flood fills the cap
KIND_PIDS=()
for kind in $KINDS; do
  args=(attack "$kind" --port "$PORT" --seconds "$SECS" --out "$WORK/$kind.json"
        --idle-timeout "$IDLE_TIMEOUT_S" --workers "$WORKERS")
  case "$kind" in
    slowloris) args+=(--conns "$SLOWLORIS_CONNS") ;;
    idle_flood) args+=(--conns "$IDLE_CONNS") ;;
  esac
  python3 "$HELPER" "${args[@]}" 2>"$WORK/$kind.err" &
  KIND_PIDS+=($!)
  CLIENT_PIDS+=($!)
done

wait "$WRK_PID" || echo "wrk exited with status $?" >&2
for p in "${KIND_PIDS[@]}"; do wait "$p" || echo "a hostile client exited with status $?" >&2; done
wait "$SAMPLER_PID" || echo "the sampler exited with status $?" >&2
CLIENT_PIDS=()
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

AFTER_RSS=0
if alive "$SERVER_PID"; then
  sleep 3
  AFTER_RSS="$(python3 "$HELPER" rss --pid "$SERVER_PID" --seconds 1)"
  kill -TERM "$SERVER_PID"
  for _ in $(seq 200); do alive "$SERVER_PID" || break; sleep 0.1; done
  STOP="did not exit within 20 s of SIGTERM"
  PREFIX=""
else
  PREFIX="not running before SIGTERM (crashed?): "
fi
if ! alive "$SERVER_PID"; then
  rc=0
  wait "$SERVER_PID" || rc=$?
  STOP="${PREFIX}exit $rc"
  SERVER_PID=""
fi
for kind in $KINDS; do
  [ -s "$WORK/$kind.err" ] && { echo "$kind stderr:" >&2; cat "$WORK/$kind.err" >&2; }
done

MACHINE="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, kernel $(uname -r)"
export MACHINE LOAD_BEFORE LOAD_AFTER SERVER_LINE CAP SECS COLD_RSS IDLE_RSS AFTER_RSS WRK_CMD \
  STOP KINDS IDLE_CONNS SLOWLORIS_CONNS WORK
python3 - <<'EOF'
import json, os
e = os.environ
err = open(os.path.join(e["WORK"], "server.err")).read()
json.dump({
    "machine": e["MACHINE"], "load_before": e["LOAD_BEFORE"], "load_after": e["LOAD_AFTER"],
    "server_line": e["SERVER_LINE"], "cap": int(e["CAP"]), "seconds": int(e["SECS"]),
    "config": "default [server] limits; /factorial per_thread, /shout WASI pool; "
              f"slowloris {e['SLOWLORIS_CONNS']} connections, idle flood {e['IDLE_CONNS']}",
    "cold_rss_kb": int(e["COLD_RSS"]), "idle_rss_kb": int(e["IDLE_RSS"]),
    "after_rss_kb": int(e["AFTER_RSS"]), "wrk_cmd": e["WRK_CMD"], "stop": e["STOP"],
    "kinds": e["KINDS"].split(), "server_stderr": err,
}, open(os.path.join(e["WORK"], "meta.json"), "w"))
EOF
python3 "$HELPER" report "$WORK"
