#!/usr/bin/env bash
# The thumbnail service's cost (issue 13's targets): a 1-megapixel JPEG (examples/photo.jpg,
# 1024 x 1024) to a 256 px JPEG, three ways in one run:
#   native  examples/guests/thumbnail.c built for the host (cc -O2: stb_image uses real SSE2), a
#           process per image, N images one after another;
#   wisp    the same C as a WASI guest (WebAssembly SIMD) behind `wisp serve` (tier 1, pool with
#           reset), driven by wrk (bench/thumbnail_post.lua: a POST of the JPEG per request, on
#           kept-alive connections, one wrk thread) for SECONDS: once with 1 connection, once
#           with CLIENTS connections;
#   vips    Debian's vipsthumbnail (libvips-tools), a process per image (what issue 13 compares
#           against): N one after another, then CLIENTS loops of N side by side.
# Per image: wall time, and CPU time (children's for native; the server's own utime + stime for
# wisp). Prints a table, the load average, and the ratios wisp / native (CPU per image, from the
# 1-connection run) and wisp / vips (images/s with CLIENTS concurrent clients).
#   [KEEP_GROWN="16 MiB"] bench/thumbnail.sh [BUILD_DIR] [N] [CLIENTS] [SECONDS]
set -euo pipefail
# shellcheck source=bench/serve_port.sh
source "$(dirname "$0")/serve_port.sh"
build=${1:-build}
n=${2:-40}
clients=${3:-2}
secs=${4:-10}
# The route's keep_grown_memory (the decoder's buffers kept resident between requests).
keep_grown=${KEEP_GROWN:-16 MiB}
here="$(cd "$(dirname "$0")/.." && pwd)"
ex="$build/examples"
command -v wrk >/dev/null || { echo "thumbnail bench: needs wrk" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=""
stb=$(dirname "$(find /usr/include -name stb_image.h | head -1)")
cc -O2 -isystem "$stb" -o "$work/thumbnail_native" "$here/examples/guests/thumbnail.c" -lm
export QUERY_STRING="w=256&h=256&fit=contain&format=jpeg&quality=85"
echo "load before: $(uptime | sed 's/.*load average/load average/')"

now() { date +%s.%N; }
cpu_of() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }  # utime + stime, in seconds

# native, a process per image
t0=$(now)
tms0=$(awk '{print $16 + $17}' /proc/$$/stat)  # children's cutime + cstime (ticks)
for _ in $(seq "$n"); do "$work/thumbnail_native" <"$ex/photo.jpg" >"$work/native.out"; done
t1=$(now)
tms1=$(awk '{print $16 + $17}' /proc/$$/stat)
native_wall=$(echo "($t1 - $t0) / $n" | bc -l)
native_cpu=$(echo "($tms1 - $tms0) / 100 / $n" | bc -l)
head -c 30 "$work/native.out" | grep -q "image/jpeg" || { echo "native build failed" >&2; exit 1; }

# wisp serve, tier 1 (built before serving)
cat >"$work/thumb.toml" <<TOML
[server]
listen = "127.0.0.1:0"
threads = 2
[engine]
tier = "1"
[[route]]
path = "/thumbnail"
module = "$(realpath "$ex/thumbnail.wasm")"
mode = "wasi"
cgi_response = true
strategy = "pool"
max_instances = 4
max_concurrency = 4
max_body_bytes = 16777216
max_output_bytes = 16777216
max_memory = 268435456
keep_grown_memory = "$keep_grown"
timeout_ms = 20000
TOML
"$build/wisp" serve "$work/thumb.toml" >"$work/serve.log" 2>&1 &
pid=$!
serve_port "$work/serve.log" "$pid"
url="http://127.0.0.1:$port/thumbnail?$QUERY_STRING"
curl -s -o "$work/wisp.out" --data-binary @"$ex/photo.jpg" "$url"  # warm: the pool's first instance
# The same C gives the same bytes (native.out starts with the 28-byte CGI header).
cmp -s <(tail -c +29 "$work/native.out") "$work/wisp.out" ||
  echo "note: wisp's JPEG differs from the native one" >&2
export THUMBNAIL_BODY="$ex/photo.jpg"
# wrk_run CONNECTIONS: sets rate (requests/s), reqs (requests done) and cpu (server s per request).
wrk_run() {
  local c0 c1 out
  c0=$(cpu_of "$pid")
  out=$(wrk -t1 -c"$1" -d"${secs}s" -s "$here/bench/thumbnail_post.lua" "$url")
  c1=$(cpu_of "$pid")
  if grep -q "Non-2xx\|Socket errors" <<<"$out"; then echo "$out" >&2; exit 1; fi
  rate=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu=$(echo "($c1 - $c0) / $reqs" | bc -l)
}
wrk_run 1
wisp_wall=$(echo "1 / $rate" | bc -l)
wisp_cpu=$cpu
wrk_run "$clients"
wisp_rate=$rate
wisp_cpu_c=$cpu
load_wisp=$(cut -d' ' -f1 /proc/loadavg)
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=""

vips_wall="" vips_rate=""
if command -v vipsthumbnail >/dev/null; then
  t0=$(now)
  for _ in $(seq "$n"); do vipsthumbnail "$ex/photo.jpg" --size 256x256 -o "$work/v.jpg[Q=85]"; done
  t1=$(now)
  vips_wall=$(echo "($t1 - $t0) / $n" | bc -l)
  t0=$(now)
  for c in $(seq "$clients"); do
    (for _ in $(seq "$n"); do vipsthumbnail "$ex/photo.jpg" --size 256x256 -o "$work/v$c.jpg[Q=85]"; done) &
  done
  wait
  t1=$(now)
  vips_rate=$(echo "$n * $clients / ($t1 - $t0)" | bc -l)
else
  # Not in scripts/install-deps.sh: libvips pulls ~40 libraries that only this comparison uses.
  echo "thumbnail bench: no vipsthumbnail (apt-get install libvips-tools): vips column skipped" >&2
fi
printf 'images: 1024x1024 JPEG -> 256x256 JPEG q85; native and vips %d per loop; wrk %d s a run\n' \
  "$n" "$secs"
printf '%-34s %10.2f ms wall %8.2f ms CPU per image\n' "native (process per image)" \
  "$(echo "$native_wall * 1000" | bc -l)" "$(echo "$native_cpu * 1000" | bc -l)"
printf '%-34s %10.2f ms wall %8.2f ms CPU per image (1 connection)\n' \
  "wisp serve (tier 1, pool, reset)" "$(echo "$wisp_wall * 1000" | bc -l)" \
  "$(echo "$wisp_cpu * 1000" | bc -l)"
printf '%-34s %10.1f images/s with %d connections, %.2f ms server CPU per image\n' \
  "wisp serve, wrk" "$wisp_rate" "$clients" "$(echo "$wisp_cpu_c * 1000" | bc -l)"
[[ -n $vips_wall ]] && printf '%-34s %10.2f ms wall, %6.1f images/s with %d clients\n' \
  "vipsthumbnail (process per image)" "$(echo "$vips_wall * 1000" | bc -l)" "$vips_rate" "$clients"
printf 'wisp CPU per image / native: %.2f\n' "$(echo "$wisp_cpu / $native_cpu" | bc -l)"
[[ -n $vips_rate ]] && printf 'wisp throughput / vipsthumbnail: %.2f\n' "$(echo "$wisp_rate / $vips_rate" | bc -l)"
echo "load: ${load_wisp} (1-min average at the end of the wrk runs); after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit 0
