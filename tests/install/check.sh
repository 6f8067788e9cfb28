#!/usr/bin/env bash
# Installs wisp from BUILD into a temporary prefix, then builds examples/hello_embed.cpp (C++ API)
# and examples/hello_c.c (standard C API) against the installed tree, through find_package(wisp)
# and through pkg-config, and runs the four binaries and the installed `wisp` on the factorial
# example. Used by ctest (install.*).
#   tests/install/check.sh SOURCE_DIR BUILD_DIR FACTORIAL_WASM
set -euo pipefail
src=${1:?source dir} build=${2:?build dir} wasm=${3:?factorial.wasm}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/wisp include/wisp/wisp.hpp include/wasm.h include/wisp.h lib/libwisp.a lib/libwisp_serve.a \
         lib/cmake/wisp/wispConfig.cmake lib/pkgconfig/wisp.pc; do
  [ -e "$prefix/$f" ] || { echo "install: $f is missing under the prefix" >&2; exit 1; }
done
# Nothing installed may point into the source or build tree.
if grep -rIl -e "$src" -e "$build" "$prefix/lib/cmake" "$prefix/lib/pkgconfig" "$prefix/include"; then
  echo "install: the files above name the source or build tree" >&2
  exit 1
fi
expect='factorial(20) = 2432902008176640000'

# 1. CMake: find_package(wisp) -> wisp::wisp
cmake -S "$src/tests/install" -B "$prefix/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
      -DEXAMPLE_SOURCE="$src/examples/hello_embed.cpp" -DEXAMPLE_C_SOURCE="$src/examples/hello_c.c" \
      -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$prefix/consumer" >/dev/null
out=$("$prefix/consumer/hello_embed" "$wasm")
grep -qx "$expect" <<<"$out" || { echo "find_package build printed: $out" >&2; exit 1; }
out=$("$prefix/consumer/hello_c" "$wasm")
grep -qx "$expect" <<<"$out" || { echo "find_package C API build printed: $out" >&2; exit 1; }

# 2. pkg-config
flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs wisp)
# shellcheck disable=SC2086
c++ -std=c++20 -O1 -o "$prefix/hello_pc" "$src/examples/hello_embed.cpp" $flags
out=$("$prefix/hello_pc" "$wasm")
grep -qx "$expect" <<<"$out" || { echo "pkg-config build printed: $out" >&2; exit 1; }
# shellcheck disable=SC2086
cc -std=c11 -O1 -o "$prefix/hello_c_pc" "$src/examples/hello_c.c" $flags
out=$("$prefix/hello_c_pc" "$wasm")
grep -qx "$expect" <<<"$out" || { echo "pkg-config C API build printed: $out" >&2; exit 1; }

# 3. the installed command
out=$("$prefix/bin/wisp" call "$wasm" factorial 20)
grep -q 2432902008176640000 <<<"$out" || { echo "installed wisp printed: $out" >&2; exit 1; }
echo "install: find_package and pkg-config builds (C++ and C API) and the installed wisp all ran the example"
