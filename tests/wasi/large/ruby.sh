#!/usr/bin/env bash
# The large real-world WASI program: CRuby 3.3 (ruby.wasm from npm's @ruby/3.3-wasm-wasi, 16 MB,
# 11 MB of code, built by the ruby.wasm project with wasi-sdk) run end to end on tier 0 and
# tier 1: `wisp run` (version banner) and a Ruby program that computes, formats strings and
# uses the file system through a preopen (wisp_ruby_eval). Not part of ctest (it needs npm and a
# 16 MB download). Tier 1 runs cc -O2 over the module's whole C (with libwabt's C writer, since
# removed: 153 MB in 35 units, 1,104 s wall on 2 vCPUs, 2026-11-25, partly shared with a CI run),
# so it is opt-in: WISP_LARGE_TIERS="0 1".
# usage: ruby.sh BUILD_DIR        (WISP_LARGE_TIERS="0" by default; needs npm)
set -euo pipefail
build=$(cd "$1" && pwd)
work="$build/large"
mkdir -p "$work"
export XDG_CACHE_HOME="${XDG_CACHE_HOME:-$work/cache}"
wasm="$work/package/dist/ruby.wasm"
if [[ ! -f $wasm ]]; then
  command -v npm >/dev/null || { echo "ruby.sh: npm is needed to fetch @ruby/3.3-wasm-wasi" >&2; exit 2; }
  (cd "$work" && npm pack --silent @ruby/3.3-wasm-wasi@2.10.1 >/dev/null &&
   tar xzf ruby-3.3-wasm-wasi-2.10.1.tgz package/dist/ruby.wasm)
fi
code='def fib(n) = n < 2 ? n : fib(n - 1) + fib(n - 2)
puts RUBY_VERSION
puts fib(20)
puts [3, 1, 2].sort.map { _1 * 2 }.inspect
puts "héllo wörld".upcase
File.write("/work/out.txt", "written by ruby")
puts File.read("/work/out.txt")
puts Dir.children("/work").inspect
puts Time.now.year >= 2024
$stdout.flush'
expected='3.3.'
fail=0
for tier in ${WISP_LARGE_TIERS:-0}; do
  dir=$(mktemp -d)
  start=$(date +%s%N)
  out=$("$build/tests/wasi/wisp_ruby_eval" --tier "$tier" --timings --dir "$dir::/work" "$wasm" "$code")
  echo "tier $tier: $(( ($(date +%s%N) - start) / 1000000 )) ms"
  want=$(printf '%s\n' "$(echo "$out" | head -1)" 6765 '[2, 4, 6]' 'HÉLLO WÖRLD' \
         'written by ruby' '["out.txt"]' true)
  if [[ $out != "$want" || $(echo "$out" | head -1) != $expected* ]]; then
    echo "tier $tier: unexpected output:"; echo "$out"; fail=1
  fi
  [[ $(cat "$dir/out.txt") == "written by ruby" ]] || { echo "tier $tier: no out.txt"; fail=1; }
  rm -rf "$dir"
  banner=$("$build/wisp" run --tier "$tier" --trap-unknown-imports --timings \
           --invoke 'ruby-show-version: func() -> ()' "$wasm")
  [[ $banner == "ruby 3.3."* ]] || { echo "tier $tier: banner '$banner'"; fail=1; }
done
if [[ $fail -eq 0 ]]; then echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $fail
