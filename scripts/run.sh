#!/usr/bin/env bash
# Installs what is missing, builds, and runs aigw-sim on its built-in default scenario.
# Extra arguments are passed to aigw-sim (e.g. ./scripts/run.sh --headless).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh
exec ./build/app/aigw-sim "$@"
