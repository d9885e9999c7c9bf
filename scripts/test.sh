#!/usr/bin/env bash
# Installs, builds and runs the whole test suite with CTest. Extra arguments go to ctest
# (e.g. ./scripts/test.sh -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
jobs=$(nproc 2>/dev/null || echo 2)
cd build
ctest --output-on-failure -j "$jobs" "$@"
