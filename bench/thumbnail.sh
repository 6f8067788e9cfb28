#!/usr/bin/env bash
# The thumbnail service's cost (issue 13's targets): a 1-megapixel JPEG (examples/photo.jpg,
# 1024 x 1024) to a 256 px JPEG, N times, three ways in one run:
#   native  examples/guests/thumbnail.c built for the host (cc -O2), a process per image;
#   wisp    the same C as a WASI guest behind `wisp serve` (tier 1, pool with reset), requests
#           one after another (a curl each), and C concurrent clients;
#   vips    Debian's vipsthumbnail (libvips-tools), a process per image, if installed.
# Per image: wall time, and CPU time (the server's own utime + stime for wisp). Prints a table
# and the ratios wisp / native (CPU per image) and wisp / vips (throughput).
#   bench/thumbnail.sh [BUILD_DIR] [N] [CLIENTS]
set -euo pipefail
# shellcheck source=bench/serve_port.sh
source "$(dirname "$0")/serve_port.sh"
build=${1:-build}
n=${2:-40}
clients=${3:-2}
here="$(cd "$(dirname "$0")/.." && pwd)"
ex="$build/examples"
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
pid=""
stb=$(dirname "$(find /usr/include -name stb_image.h | head -1)")
cc -O2 -isystem "$stb" -o "$work/thumbnail_native" "$here/examples/guests/thumbnail.c" -lm
export QUERY_STRING="w=256&h=256&fit=contain&format=jpeg&quality=85"

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
timeout_ms = 20000
TOML
"$build/wisp" serve "$work/thumb.toml" >"$work/serve.log" 2>&1 &
pid=$!
serve_port "$work/serve.log" "$pid"
url="http://127.0.0.1:$port/thumbnail?$QUERY_STRING"
curl -s -o /dev/null --data-binary @"$ex/photo.jpg" "$url"  # warm: the pool's first instance
# One curl per request: curl given many URLs reuses the connection but uploads the later bodies
# in small pieces, which costs the server a read each (see bench/RESULTS.md).
post_n() { for _ in $(seq "$n"); do curl -s -o /dev/null --data-binary @"$ex/photo.jpg" "$url"; done; }
c0=$(cpu_of $pid)
t0=$(now)
post_n
t1=$(now)
c1=$(cpu_of $pid)
wisp_wall=$(echo "($t1 - $t0) / $n" | bc -l)
wisp_cpu=$(echo "($c1 - $c0) / $n" | bc -l)
t0=$(now)
for _ in $(seq "$clients"); do post_n & done
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
t1=$(now)
wisp_rate=$(echo "$n * $clients / ($t1 - $t0)" | bc -l)

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
  wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
  t1=$(now)
  vips_rate=$(echo "$n * $clients / ($t1 - $t0)" | bc -l)
fi
printf 'images: %d, 1024x1024 JPEG -> 256x256 JPEG q85; %d concurrent clients for throughput\n' "$n" "$clients"
printf '%-34s %10.2f ms wall %8.2f ms CPU per image\n' "native (process per image)" \
  "$(echo "$native_wall * 1000" | bc -l)" "$(echo "$native_cpu * 1000" | bc -l)"
printf '%-34s %10.2f ms wall %8.2f ms CPU per image, %6.1f images/s with %d clients\n' \
  "wisp serve (tier 1, pool, reset)" "$(echo "$wisp_wall * 1000" | bc -l)" \
  "$(echo "$wisp_cpu * 1000" | bc -l)" "$wisp_rate" "$clients"
[[ -n $vips_wall ]] && printf '%-34s %10.2f ms wall, %6.1f images/s with %d clients\n' \
  "vipsthumbnail (process per image)" "$(echo "$vips_wall * 1000" | bc -l)" "$vips_rate" "$clients"
printf 'wisp CPU per image / native: %.2f\n' "$(echo "$wisp_cpu / $native_cpu" | bc -l)"
[[ -n $vips_rate ]] && printf 'wisp throughput / vipsthumbnail: %.2f\n' "$(echo "$wisp_rate / $vips_rate" | bc -l)"
exit 0
