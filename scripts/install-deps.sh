#!/usr/bin/env bash
# Installs the Debian packages wisp needs to build, test and benchmark; installs only what is missing.
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build pkg-config clang lld
  wabt libtcc-dev tcc
  libssl-dev libboost-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  wasi-libc libclang-rt-14-dev-wasm32 clang-format binaryen libstb-dev libsimde-dev
  libjpeg62-turbo-dev  # the thumbnail guest's decoder test writes its JPEGs with libjpeg
  curl openssl wrk nginx-light
  chromium nodejs  # the browser test (tests/browser) and bench/browser_charts_memory.sh
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
