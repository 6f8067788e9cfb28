#!/usr/bin/env bash
# `make run`: serves the example routes with `wisp serve` (until Ctrl-C), after printing what to
# try. LISTEN=HOST:PORT changes the address (default 127.0.0.1:8080).
set -euo pipefail
BUILD="${1:-build}"
EX="$BUILD/examples"
WISP="$BUILD/wisp"
LISTEN="${LISTEN:-127.0.0.1:8080}"
for f in "$WISP" "$EX/serve.toml"; do
  [ -e "$f" ] || { echo "run-demo: $f is not built (run: cmake --build $BUILD)" >&2; exit 1; }
done

url="http://$LISTEN"
echo "Try, from another terminal:"
try() { printf '  %-52s # %s\n' "$1" "$2"; }
try "curl '$url/factorial?args=20'" "a stateless function (per_thread)"
try "curl -X POST $url/counter" "shared state: 1, 2, 3, ... (shared)"
try "curl -X POST $url/counter/fresh" "a fresh instance per request: always 1"
try "curl '$url/kv/update?args=7'" "a zeroed context per request (contexts)"
try "curl -X POST $url/resize" "bilinear resize on a reset pool instance"
try "curl -d 'hello' '$url/shout?x=1'" "a WASI program: body -> stdin, stdout -> body"
try "curl --data-binary @$EX/photo.jpg -o thumb.jpg '$url/thumbnail?w=256&h=256&fit=cover'" \
    "a JPEG/PNG thumbnail (stb in WASI, pool + reset)"
try "curl $url/metrics" "Prometheus metrics; $url/stats.json feeds the live dashboard at $url/"
echo "More: $WISP bench $EX/counter.wasm --export increment --threads 2 (every strategy);"
echo "      $WISP run $BUILD/tests/wasi/guests/wasi_hello.wasm (a WASI command); make test."
echo "Live reload: edit $EX/serve.toml or a module; it is picked up while serving (--watch;"
echo "      kill -HUP the server does the same). Several nodes behind nginx: scripts/cluster.sh 2 $EX/serve.toml"
echo "Scenarios: $url/ draws its charts with one WebAssembly instance; plugins in one instance:"
echo "      $EX/wisp_highlight examples/plugins/samples/hello.c; precompiled for the runtime-only build:"
echo "      $WISP compile $EX/factorial.wasm -o /tmp/f.wisp && $EX/wisp_minimal /tmp/f.wisp factorial 10"
echo
exec "$WISP" serve "$EX/serve.toml" --listen "$LISTEN" --watch
