#!/usr/bin/env bash
# `wisp serve` over TLS: makes a certificate authority and a server certificate for localhost
# and 127.0.0.1 (openssl), starts the server with tls_cert / tls_key, and checks with curl
# --cacert that HTTP/1.1 over TLS answers (two requests on one kept-alive connection, a body),
# that a client which does not trust the certificate and a plain-HTTP client get nothing, and that
# a broken key is refused at start naming the file.
# usage: serve_tls.sh WISP FACTORIAL_WASM
set -euo pipefail
wisp=$1 wasm=$2
dir=$(mktemp -d)
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
pid=""
cd "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=wisp test CA" \
  2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 \
  -extfile ext.cnf 2>/dev/null
cp "$wasm" factorial.wasm
cat >tls.toml <<TOML
[server]
listen = "127.0.0.1:0"
threads = 2
tls_cert = "server.pem"
tls_key = "server.key"
[engine]
tier = "0"
[[route]]
path = "/factorial"
module = "factorial.wasm"
export = "factorial"
strategy = "pool"
TOML
"$wisp" serve tls.toml >log 2>&1 &
pid=$!
port=""
for _ in $(seq 300); do
  port=$(sed -n 's|.*https://127\.0\.0\.1:\([0-9]*\).*|\1|p' log)
  [[ -n $port ]] && break
  kill -0 $pid 2>/dev/null || { cat log; echo "serve_tls.sh: wisp serve exited early" >&2; exit 1; }
  sleep 0.1
done
[[ -n $port ]] || { cat log; echo "serve_tls.sh: no https port after 30 s" >&2; exit 1; }
fail() { echo "serve_tls.sh: $*" >&2; cat log >&2; exit 1; }

out=$(curl -sS --cacert ca.pem "https://localhost:$port/factorial?args=5" \
        "https://localhost:$port/factorial?args=10" -w 'code=%{http_code} connects=%{num_connects}\n')
grep -q '"results":\[120\]}' <<<"$out" || fail "first request: $out"
grep -q '"results":\[3628800\]}' <<<"$out" || fail "second request: $out"
[[ $(grep -c '^code=200 connects=1$' <<<"$out") == 1 ]] || fail "not one TLS connection: $out"
[[ $(grep -c '^code=200 connects=0$' <<<"$out") == 1 ]] || fail "not kept alive: $out"
out=$(curl -sS --cacert ca.pem --http1.1 -d '[7]' "https://127.0.0.1:$port/factorial")
grep -q '"results":\[5040\]}' <<<"$out" || fail "POST body over TLS (by address): $out"
# A client that does not trust the certificate refuses it; plain HTTP gets no answer.
if curl -sS -m 5 "https://localhost:$port/healthz" >/dev/null 2>&1; then
  fail "a client without the CA accepted the certificate"
fi
code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
[[ $code == 000 ]] || fail "plain HTTP on the TLS port answered $code"
# The server still serves after those.
out=$(curl -sS --cacert ca.pem "https://localhost:$port/healthz")
[[ $out == ok ]] || fail "healthz after bad clients: $out"
kill -TERM $pid
wait $pid || fail "exit status $? after SIGTERM"
pid=""

# A key that is not a key: refused at start, naming the file.
echo "not a key" >bad.key
sed 's/server.key/bad.key/' tls.toml >bad.toml
if "$wisp" serve bad.toml >bad.log 2>&1; then fail "started with a bad key"; fi
grep -q "tls_key .*bad.key" bad.log || { cat bad.log; fail "no error naming bad.key"; }
echo "serve_tls.sh: all checks passed on port $port"
