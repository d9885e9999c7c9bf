#!/usr/bin/env bash
# Installs missing Debian packages, then configures and builds aigw-sim into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh "$@"
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo ${AIGW_CMAKE_ARGS:-} >/dev/null
cmake --build build -j "$jobs"
