#!/usr/bin/env bash
# A large real-world WASI program on both tiers: nextpnr-ice40, the FPGA place-and-route tool
# (C++, 1.8 MB module, 1.7 MB of code in 2572 functions, 22 MB of C; built for wasm32-wasi by the
# YoWASP project with wasi-sdk and shipped in npm's @yowasp/nextpnr-ice40 as the core module of a
# component: a plain preview-1 command). It places and routes two netlists on the iCE40 LP384 and
# HX1K with a fixed seed: a 4-bit counter and a 400-cell shift network generated here. The
# bitstreams (.asc) must be the same bytes on every tier and match the pinned digests.
# Tier 1 cold: cc -O2 over 22 MB of C, split into 7 translation units (1.5-5 min on 2 cores);
# cached: under a second.
# usage: nextpnr.sh BUILD_DIR        (WISP_LARGE_TIERS="0 1" by default; needs npm)
set -euo pipefail
build=$(cd "$1" && pwd)
work="$build/large"
mkdir -p "$work"
export XDG_CACHE_HOME="${XDG_CACHE_HOME:-$work/cache}"
version=0.8.621
pkg="$work/nextpnr-ice40-$version"
wasm="$pkg/gen/nextpnr-ice40.core.wasm"
if [[ ! -f $wasm ]]; then
  command -v npm >/dev/null || { echo "nextpnr.sh: npm is needed to fetch @yowasp/nextpnr-ice40" >&2; exit 2; }
  mkdir -p "$pkg"
  (cd "$work" && npm pack --silent "@yowasp/nextpnr-ice40@$version" >/dev/null &&
   tar xzf "yowasp-nextpnr-ice40-$version.tgz" -C "$pkg" --strip-components=1 \
     package/gen/nextpnr-ice40.core.wasm package/gen/share/ice40/chipdb-384.bin \
     package/gen/share/ice40/chipdb-1k.bin && rm "yowasp-nextpnr-ice40-$version.tgz")
fi
echo "04573674df696358bf9e82cac5a8d52063ac21360a70438e4a71753642691ea9  $wasm" | sha256sum -c --quiet

# A yosys-style JSON netlist of N SB_LUT4 + SB_DFF pairs: LUT i reads flip-flops i-1, i-2, i-5
# and i-11 (mod N) with a fixed truth table; led[7:0] are flip-flops 0..7.
netlist() {
  local n=$1 i b init bits sep=""
  printf '{"creator":"wisp","modules":{"top":{"attributes":{"top":"00000000000000000000000000000001"},'
  printf '"ports":{"clk":{"direction":"input","bits":[2]},"led":{"direction":"output","bits":[3,4,5,6,7,8,9,10]}},"cells":{'
  for ((i = 0; i < n; i++)); do
    init=$(( (i * 40503 + 12345) & 0xffff )); bits=""
    for ((b = 15; b >= 0; b--)); do bits+=$(( (init >> b) & 1 )); done
    printf '%s"lut%d":{"type":"SB_LUT4","parameters":{"LUT_INIT":"%s"},"attributes":{},' "$sep" "$i" "$bits"
    printf '"port_directions":{"I0":"input","I1":"input","I2":"input","I3":"input","O":"output"},'
    printf '"connections":{"I0":[%d],"I1":[%d],"I2":[%d],"I3":[%d],"O":[%d]}},' \
      $(( 3 + (i + n - 1) % n )) $(( 3 + (i + n - 2) % n )) $(( 3 + (i + n - 5) % n )) \
      $(( 3 + (i + n - 11) % n )) $(( 3 + n + i ))
    printf '"ff%d":{"type":"SB_DFF","parameters":{},"attributes":{},' "$i"
    printf '"port_directions":{"C":"input","D":"input","Q":"output"},"connections":{"C":[2],"D":[%d],"Q":[%d]}}' \
      $(( 3 + n + i )) $(( 3 + i ))
    sep=","
  done
  printf '},"netnames":{"clk":{"bits":[2],"attributes":{}},"led":{"bits":[3,4,5,6,7,8,9,10],"attributes":{}}}}}}\n'
}

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
netlist 4 > "$dir/small.json"
netlist 400 > "$dir/large.json"
# name, device options, netlist, digest of the .asc
cases=("lp384 --lp384 --package qn32 small 2c02f444da0b04cd46f59b0860dbe3ecdbd88970fcc401fe55546dacb3964498"
       "hx1k --hx1k --package tq144 large 46fe0c68da365797424703e1b324c9062a6bb022d2c43a249d2aa47aeb765a56")
fail=0
for tier in ${WISP_LARGE_TIERS:-0 1}; do
  for c in "${cases[@]}"; do
    read -r name dev1 dev2 pkgname json digest <<< "$c"
    start=$(date +%s%N)
    if ! "$build/wisp" run --tier "$tier" --timings --dir "$pkg/gen/share::/share" \
         --dir "$dir::/work" "$wasm" "$dev1" "$dev2" "$pkgname" --json "/work/$json.json" \
         --asc "/work/$name.$tier.asc" --seed 1 > "$dir/log" 2>&1; then
      echo "tier $tier $name: failed:"; tail -20 "$dir/log"; fail=1; continue
    fi
    echo "tier $tier $name: $(( ($(date +%s%N) - start) / 1000000 )) ms; $(grep '^wisp: timings' "$dir/log")"
    got=$(sha256sum < "$dir/$name.$tier.asc" | cut -d' ' -f1)
    if [[ $got != "$digest" ]] || ! grep -q "Program finished normally" "$dir/log"; then
      echo "tier $tier $name: bitstream $got, expected $digest"; tail -20 "$dir/log"; fail=1
    fi
  done
done
if [[ $fail -eq 0 ]]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
