#!/usr/bin/env bash
# Builds the Debian packages (cpack) from BUILD into a temporary directory, checks their
# control fields and contents, installs the three with dpkg into a throwaway root (its own, empty
# dpkg database: the Debian dependencies live in the real system, hence --force-depends), runs
# the installed `wisp run` on a WASI guest and a C program built against the installed headers
# and shared library. Used by ctest (install.deb).
#   tests/install/deb_check.sh SOURCE_DIR BUILD_DIR GUEST_WASM EXPECTED_OUTPUT FACTORIAL_WASM
set -euo pipefail
src=${1:?source dir} build=${2:?build dir} guest=${3:?guest .wasm} expect=${4:?expected output}
factorial=${5:?factorial.wasm}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$build" && cpack -G DEB -B "$work/out" >/dev/null)
runtime=$(ls "$work"/out/wisp_*_amd64.deb)
lib=$(ls "$work"/out/libwisp0.1_*_amd64.deb)
dev=$(ls "$work"/out/libwisp-dev_*_amd64.deb)
field() { dpkg-deb -f "$1" "$2"; }
[ "$(field "$runtime" Package)" = wisp ] || { echo "deb: runtime package name" >&2; exit 1; }
[ "$(field "$lib" Package)" = libwisp0.1 ] || { echo "deb: library package name" >&2; exit 1; }
[ "$(field "$dev" Package)" = libwisp-dev ] || { echo "deb: dev package name" >&2; exit 1; }
for dep in tcc gcc libc6; do
  field "$runtime" Depends | grep -q "\b$dep\b" || { echo "deb: wisp lacks Depends $dep" >&2; exit 1; }
done
for dep in tcc gcc libc6 libstdc++6 libssl3; do
  field "$lib" Depends | grep -q "\b$dep\b" || { echo "deb: libwisp0.1 lacks Depends $dep" >&2; exit 1; }
done
for dep in "wisp (=" "libwisp0.1 (=" wabt libtcc-dev libssl-dev; do
  field "$dev" Depends | grep -qF "$dep" || { echo "deb: libwisp-dev lacks Depends $dep" >&2; exit 1; }
done
runtime_files=$(dpkg-deb -c "$runtime")
lib_files=$(dpkg-deb -c "$lib")
dev_files=$(dpkg-deb -c "$dev")
grep -q ' ./usr/bin/wisp$' <<<"$runtime_files" || { echo "deb: no /usr/bin/wisp" >&2; exit 1; }
for f in usr/lib/libwisp.so.0.1.0 usr/lib/libwisp.so.0.1 usr/lib/libwisp_serve.so.0.1.0; do
  grep -q " ./$f" <<<"$lib_files" || { echo "deb: libwisp0.1 lacks /$f" >&2; exit 1; }
done
for f in usr/include/wisp/wisp.hpp usr/include/wasm.h usr/lib/libwisp.a usr/lib/libwisp.so \
         usr/lib/cmake/wisp/wispConfig.cmake usr/lib/pkgconfig/wisp.pc; do
  grep -qE " \./$f( -> .*)?$" <<<"$dev_files" || { echo "deb: libwisp-dev lacks /$f" >&2; exit 1; }
done
root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
if ! log=$(dpkg --root="$root" --log=/dev/null --force-depends --force-not-root \
                -i "$runtime" "$lib" "$dev" 2>&1); then
  echo "deb: dpkg -i failed: $log" >&2
  exit 1
fi
dpkg --root="$root" -s wisp | grep -q '^Status: install ok installed' ||
  { echo "deb: wisp is not installed in the throwaway root" >&2; exit 1; }
out=$(XDG_CACHE_HOME="$work/cache" "$root/usr/bin/wisp" run "$guest")
[ "$out" = "$expect" ] || { echo "deb: the installed wisp printed: $out" >&2; exit 1; }
# A C program against the installed wasm.h and libwisp.so (stripped by the package).
cc -std=c11 -O1 -I"$root/usr/include" -o "$work/hello_c" "$src/examples/hello_c.c" -L"$root/usr/lib" -lwisp
out=$(LD_LIBRARY_PATH="$root/usr/lib" XDG_CACHE_HOME="$work/cache" "$work/hello_c" "$factorial")
grep -qx 'factorial(20) = 2432902008176640000' <<<"$out" ||
  { echo "deb: a C program against the installed libwisp.so printed: $out" >&2; exit 1; }
echo "deb: $(basename "$runtime"), $(basename "$lib") and $(basename "$dev") install and run"
