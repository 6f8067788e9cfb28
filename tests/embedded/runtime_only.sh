#!/usr/bin/env bash
# The runtime-only build (issue 14): `wisp compile -o` makes precompiled modules; programs linked
# against libwisp_runtime run them with no C compiler on PATH, refuse .wasm files with a clear
# error, refuse a damaged file without crashing, contain none of libtcc, libwabt or the front
# end, and stay within 2 MB stripped.
# Usage: runtime_only.sh WISP EXAMPLES_DIR   (EXAMPLES_DIR holds the examples' binaries and guests)
set -euo pipefail
wisp="$1"
ex="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Precompile with the full wisp.
"$wisp" compile "$ex/control.wasm" -o "$tmp/control.wisp" >"$tmp/compile.out"
"$wisp" compile "$ex/factorial.wasm" -o "$tmp/factorial.wisp" >/dev/null
grep -q "wrote:" "$tmp/compile.out" || fail "wisp compile -o did not say what it wrote"

# The full wisp runs a precompiled module like the module itself.
want="$("$wisp" call "$ex/factorial.wasm" factorial 10)"
got="$("$wisp" call "$tmp/factorial.wisp" factorial 10)"
[ "$got" = "$want" ] || fail "wisp call on the precompiled module: '$got', want '$want'"

# No compiler anywhere: an empty PATH and a fresh HOME (no cache).
norun=(env -i PATH=/nonexistent HOME="$tmp/home")
out="$("${norun[@]}" "$ex/wisp_minimal" "$tmp/factorial.wisp" factorial 10 --rss 2>"$tmp/rss")"
case "$out" in *3628800*) ;; *) fail "wisp_minimal: '$out', want 3628800" ;; esac
grep -q "peak RSS" "$tmp/rss" || fail "wisp_minimal --rss printed no peak RSS"
"${norun[@]}" "$ex/wisp_example_control_runtime" "$tmp/control.wisp" --ticks 2000 --hz 0 \
  >"$tmp/control.out" || { cat "$tmp/control.out"; fail "the control loop on libwisp_runtime"; }

# A .wasm file: the runtime-only build says what it is and what to do.
if "${norun[@]}" "$ex/wisp_minimal" "$ex/factorial.wasm" factorial 3 2>"$tmp/err"; then
  fail "the runtime-only build ran a .wasm file"
fi
grep -q "runtime-only build" "$tmp/err" || { cat "$tmp/err"; fail "no clear error for a .wasm"; }

# A damaged precompiled file: refused with a reason, an ordinary exit (no signal).
cp "$tmp/factorial.wisp" "$tmp/bad.wisp"
printf 'WISP' | dd of="$tmp/bad.wisp" bs=1 seek=2000 conv=notrunc status=none
rc=0
"${norun[@]}" "$ex/wisp_minimal" "$tmp/bad.wisp" factorial 3 2>"$tmp/err" || rc=$?
[ "$rc" -eq 1 ] || fail "damaged file: exit status $rc, want 1"
grep -q "does not match its digest" "$tmp/err" || { cat "$tmp/err"; fail "damaged file: no reason"; }

# Nothing of libtcc, libwabt, the front end or the C emitter is linked in.
for bin in wisp_minimal wisp_example_control_runtime; do
  syms="$(nm -C "$ex/$bin")"
  for s in tcc_new tcc_compile_string 'wabt::' 'front::validate_module' 'emit::CModule::units' \
           'translate_bytes_to_c'; do
    if grep -qF -- "$s" <<<"$syms"; then fail "$bin contains $s"; fi
  done
  strip -o "$tmp/$bin.stripped" "$ex/$bin"
  size=$(stat -c %s "$tmp/$bin.stripped")
  echo "$bin: $size bytes stripped"
  [ "$size" -le $((2 * 1024 * 1024)) ] || fail "$bin is $size bytes stripped (over 2 MB)"
done
cat "$tmp/rss"
echo "runtime-only build: ok"
