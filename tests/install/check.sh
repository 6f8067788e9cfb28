#!/usr/bin/env bash
# Installs wisp from BUILD into a temporary prefix, then builds examples/hello_embed.cpp (C++ API)
# and examples/hello_c.c (standard C API) against the installed tree, through find_package(wisp)
# (shared and static libraries) and through pkg-config (wisp and wisp-static), and runs them, the
# installed `wisp` on the factorial example, and tests/install/shared_check.cpp (what the shared
# libraries carry: libtcc, libwabt, tier 1, the server). Checks the shared libraries' SONAME and
# that they export only wisp's API. Used by ctest (install.*).
#   tests/install/check.sh SOURCE_DIR BUILD_DIR FACTORIAL_WASM
set -euo pipefail
src=${1:?source dir} build=${2:?build dir} wasm=${3:?factorial.wasm}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/wisp include/wisp/wisp.hpp include/wasm.h include/wisp.h lib/libwisp.a lib/libwisp_serve.a \
         lib/libwisp.so lib/libwisp.so.0.1 lib/libwisp_serve.so lib/libwisp_serve.so.0.1 \
         lib/libwisp_runtime.a lib/cmake/wisp/wispConfig.cmake lib/pkgconfig/wisp.pc \
         lib/pkgconfig/wisp-static.pc lib/pkgconfig/wisp-runtime.pc; do
  [ -e "$prefix/$f" ] || { echo "install: $f is missing under the prefix" >&2; exit 1; }
done
# Nothing installed may point into the source or build tree.
if grep -rIl -e "$src" -e "$build" "$prefix/lib/cmake" "$prefix/lib/pkgconfig" "$prefix/include"; then
  echo "install: the files above name the source or build tree" >&2
  exit 1
fi
expect='factorial(20) = 2432902008176640000'

# The shared libraries: versioned names, nothing of libtcc, libwabt or the standard library
# exported, no text relocations.
# (Outputs are captured before grep -q: with pipefail, grep -q ending first fails the pipe.)
# Local entities of wisp's inline functions (_ZZN4wisp..., such as the static invoker of a lambda
# in TypedFunc::operator()) are wisp's too.
for lib in libwisp libwisp_serve; do
  so="$prefix/lib/$lib.so"
  dynamic=$(readelf -d "$so")
  grep -q "Library soname: \[$lib.so.0.1\]" <<<"$dynamic" || { echo "install: $lib has no SONAME $lib.so.0.1" >&2; exit 1; }
  if grep -q TEXTREL <<<"$dynamic"; then echo "install: $lib has text relocations" >&2; exit 1; fi
  stray=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -Ev '^(wasm_|wisp_|_ZN4wisp|_ZNK4wisp|_ZZN4wisp|_ZZNK4wisp|_ZT[ISVT]N4wisp|_ZThn|_ZTv|_ZGVN4wisp|WISP_0\.1$)' || true)
  [ -z "$stray" ] || { echo "install: $lib exports symbols outside wisp's API:" >&2; head -5 <<<"$stray" >&2; exit 1; }
done

# 1. CMake: find_package(wisp) -> wisp::wisp (shared), wisp::wisp_static, wisp::serve
cmake -S "$src/tests/install" -B "$prefix/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
      -DEXAMPLE_SOURCE="$src/examples/hello_embed.cpp" -DEXAMPLE_C_SOURCE="$src/examples/hello_c.c" \
      -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$prefix/consumer" >/dev/null
for program in hello_embed hello_embed_static hello_c hello_c_static; do
  out=$("$prefix/consumer/$program" "$wasm")
  grep -qx "$expect" <<<"$out" || { echo "find_package build $program printed: $out" >&2; exit 1; }
done
for program in hello_embed hello_c shared_check; do
  loads=$(ldd "$prefix/consumer/$program")
  grep -q "libwisp.so.0.1 => $prefix/lib/" <<<"$loads" ||
    { echo "install: $program does not load the installed libwisp.so: $loads" >&2; exit 1; }
done
for program in hello_embed_static hello_c_static; do
  loads=$(ldd "$prefix/consumer/$program")
  if grep -q libwisp <<<"$loads"; then
    echo "install: $program loads a libwisp.so though linked statically" >&2; exit 1
  fi
done
mkdir "$prefix/work"
"$prefix/consumer/shared_check" "$prefix/work" >"$prefix/shared_check.out" ||
  { cat "$prefix/shared_check.out" >&2; echo "install: shared_check failed" >&2; exit 1; }

# 2. pkg-config: wisp (the shared library) and wisp-static
pc() { PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs "$1"; }
for variant in wisp wisp-static; do
  flags=$(pc $variant)
  # shellcheck disable=SC2086
  c++ -std=c++20 -O1 -o "$prefix/hello_pc" "$src/examples/hello_embed.cpp" $flags
  # shellcheck disable=SC2086
  cc -std=c11 -O1 -o "$prefix/hello_c_pc" "$src/examples/hello_c.c" $flags
  for program in hello_pc hello_c_pc; do
    out=$(LD_LIBRARY_PATH="$prefix/lib" "$prefix/$program" "$wasm")
    grep -qx "$expect" <<<"$out" || { echo "pkg-config ($variant) $program printed: $out" >&2; exit 1; }
  done
done

# 3. the installed command
out=$("$prefix/bin/wisp" call "$wasm" factorial 20)
grep -q 2432902008176640000 <<<"$out" || { echo "installed wisp printed: $out" >&2; exit 1; }

# 4. the runtime-only library (pkg-config wisp-runtime): the minimal embedding runs a module the
# installed wisp precompiled.
flags=$(pc wisp-runtime)
# shellcheck disable=SC2086
c++ -std=c++20 -O1 -o "$prefix/minimal_rt" "$src/examples/runtime_only/minimal.cpp" $flags
"$prefix/bin/wisp" compile "$wasm" -o "$prefix/factorial.wisp" >/dev/null
out=$("$prefix/minimal_rt" "$prefix/factorial.wisp" factorial 20)
grep -q 2432902008176640000 <<<"$out" || { echo "runtime-only minimal printed: $out" >&2; exit 1; }
echo "install: find_package (shared, static) and pkg-config (wisp, wisp-static, wisp-runtime) builds in C++ and C, shared_check and the installed wisp all ran"
