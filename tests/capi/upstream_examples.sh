#!/usr/bin/env bash
# Builds the 13 C examples of the WebAssembly/wasm-c-api repository, unmodified, against wisp's
# include/wasm.h and a build's libwisp.a, runs each beside its .wasm, and checks that it exits 0
# and prints its last line ("Done."). Not part of `make test` (it needs a checkout of that
# repository, which CI cannot fetch); tests/capi/capi_*_test.c cover the same ground in the tree.
# (threads prints no last line: it must print "> Thread N running" 30 times, 3 per thread.)
#   tests/capi/upstream_examples.sh WASM_C_API_CHECKOUT [BUILD_DIR]
# One exception, in a module rather than in C: example/hostref.wasm and .wat predate the final
# reference-types encoding (`ref.null` without a type; WebAssembly 2.0 rejects the binary), so
# hostref.wasm is rebuilt from hostref.wat with `(ref.null extern)`.
set -uo pipefail
repo=${1:?usage: tests/capi/upstream_examples.sh WASM_C_API_CHECKOUT [BUILD_DIR]}
here="$(cd "$(dirname "$0")/../.." && pwd)"
build=${2:-$here/build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"
libs="$build/src/libwisp.a -lwabt -ltcc -lcrypto -ldl -lm -lpthread"
failed=0
for ex in hello callback global memory table trap start reflect multi finalize hostref serialize \
          threads; do
  cp "$repo/example/$ex.wasm" "$work/" 2>/dev/null
  if [ "$ex" = hostref ]; then
    sed 's/(ref\.null)/(ref.null extern)/' "$repo/example/hostref.wat" >"$work/hostref.wat"
    wat2wasm --enable-all -o "$work/hostref.wasm" "$work/hostref.wat" || { failed=1; continue; }
  fi
  # shellcheck disable=SC2086
  if ! cc -O1 -I"$here/include" -o "$work/$ex" "$repo/example/$ex.c" -x none $libs -lstdc++ \
       2>"$work/$ex.build"; then
    echo "$ex: does not build"; sed 's/^/  /' "$work/$ex.build" | head -20; failed=1; continue
  fi
  (cd "$work" && timeout 300 "./$ex" >"$ex.out" 2>&1)
  rc=$?
  last=$(tail -1 "$work/$ex.out")
  if [ "$ex" = threads ] && [ "$(grep -c '^> Thread [0-9] running$' "$work/$ex.out")" = 30 ]; then
    last=Done.
  fi
  if [ $rc -ne 0 ] || [ "$last" != "Done." ]; then
    echo "$ex: exit $rc, last line: $last"; tail -5 "$work/$ex.out" | sed 's/^/  /'; failed=1
  else
    echo "$ex: ok ($(wc -l <"$work/$ex.out") lines)"
  fi
done
exit $failed
