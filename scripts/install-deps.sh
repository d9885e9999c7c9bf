#!/usr/bin/env bash
# Installs the Debian 12 packages aigw-sim needs to build, test and benchmark (--bench) or package (--package).
# Idempotent: packages already present are skipped, so a second run is quick.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libgl1-mesa-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libyaml-dev
  libgoogle-perftools-dev  # tcmalloc, the aigw-sim executable's allocator (CMakeLists.txt AIGW_TCMALLOC)
  xvfb xauth curl
  prometheus  # promtool: test_prometheus_export checks /stats/prometheus with it
)
if [[ "${1:-}" == "--bench" ]]; then
  PACKAGES+=(nginx wrk)
fi
# scripts/package.sh: dpkg-shlibdeps for the .deb's Depends, the desktop entry's and metainfo's validators.
if [[ "${1:-}" == "--package" ]]; then
  PACKAGES+=(dpkg-dev file desktop-file-utils appstream)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "aigw-sim: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "aigw-sim: all build dependencies present"
fi
