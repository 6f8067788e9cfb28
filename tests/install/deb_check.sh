#!/usr/bin/env bash
# Builds the Debian packages (cpack) from BUILD into a temporary directory, checks their
# control fields and contents, installs both with dpkg into a throwaway root (its own, empty
# dpkg database: the Debian dependencies live in the real system, hence --force-depends), and
# runs the installed `wisp run` on a WASI guest. Used by ctest (install.deb).
#   tests/install/deb_check.sh BUILD_DIR GUEST_WASM EXPECTED_OUTPUT
set -euo pipefail
build=${1:?build dir} guest=${2:?guest .wasm} expect=${3:?expected output}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$build" && cpack -G DEB -B "$work/out" >/dev/null)
runtime=$(ls "$work"/out/wisp_*_amd64.deb)
dev=$(ls "$work"/out/libwisp-dev_*_amd64.deb)
field() { dpkg-deb -f "$1" "$2"; }
[ "$(field "$runtime" Package)" = wisp ] || { echo "deb: runtime package name" >&2; exit 1; }
[ "$(field "$dev" Package)" = libwisp-dev ] || { echo "deb: dev package name" >&2; exit 1; }
for dep in tcc gcc libc6; do
  field "$runtime" Depends | grep -q "\b$dep\b" || { echo "deb: wisp lacks Depends $dep" >&2; exit 1; }
done
for dep in "wisp (=" wabt libtcc-dev libssl-dev; do
  field "$dev" Depends | grep -qF "$dep" || { echo "deb: libwisp-dev lacks Depends $dep" >&2; exit 1; }
done
runtime_files=$(dpkg-deb -c "$runtime")
dev_files=$(dpkg-deb -c "$dev")
grep -q ' ./usr/bin/wisp$' <<<"$runtime_files" || { echo "deb: no /usr/bin/wisp" >&2; exit 1; }
for f in usr/include/wisp/wisp.hpp usr/lib/libwisp.a usr/lib/cmake/wisp/wispConfig.cmake \
         usr/lib/pkgconfig/wisp.pc; do
  grep -q " ./$f\$" <<<"$dev_files" || { echo "deb: libwisp-dev lacks /$f" >&2; exit 1; }
done
root="$work/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
if ! log=$(dpkg --root="$root" --log=/dev/null --force-depends --force-not-root \
                -i "$runtime" "$dev" 2>&1); then
  echo "deb: dpkg -i failed: $log" >&2
  exit 1
fi
dpkg --root="$root" -s wisp | grep -q '^Status: install ok installed' ||
  { echo "deb: wisp is not installed in the throwaway root" >&2; exit 1; }
out=$(XDG_CACHE_HOME="$work/cache" "$root/usr/bin/wisp" run "$guest")
[ "$out" = "$expect" ] || { echo "deb: the installed wisp printed: $out" >&2; exit 1; }
echo "deb: $(basename "$runtime") and $(basename "$dev") install and run"
