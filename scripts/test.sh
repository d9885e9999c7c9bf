#!/usr/bin/env bash
# Installs, builds and runs the whole test suite with CTest. Extra arguments go to ctest
# (e.g. ./scripts/test.sh -L unit).
#
# ./scripts/test.sh --sanitize [ctest args]: builds the asan preset (ASan + LSan + UBSan, build-asan/)
# and runs the unit and integration suites under it; any sanitizer report, in a test or in a
# process it starts (aigw-sim, aigw-mock-backend), fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

if [[ "${1:-}" == "--sanitize" ]]; then
  shift
  ./scripts/install-deps.sh
  cmake --preset asan ${AIGW_CMAKE_ARGS:-} >/dev/null
  # Only what the two suites run: the test executables (their dependencies bring aigw-sim and
  # aigw-mock-backend), not the UI tests nor the benchmarks.
  mapfile -t targets < <(ctest --test-dir build-asan -N -L "unit|integration" | sed -n 's/^ *Test *#[0-9]*: *//p')
  cmake --build build-asan -j "$jobs" --target "${targets[@]}" aigw-sim aigw-mock-backend
  # Reports go to files (log_path in CMakePresets.json), so those of child processes, whose
  # stderr a test may not show, are seen too.
  logs=build-asan/sanitizer-logs
  rm -rf "$logs" && mkdir -p "$logs"
  status=0
  ctest --preset asan -j "$jobs" "$@" || status=$?
  if compgen -G "$logs/*" >/dev/null; then
    for f in "$logs"/*; do echo "=== $f"; cat "$f"; done
    echo "aigw-sim: sanitizer reports above ($logs)" >&2
    exit 1
  fi
  exit "$status"
fi

./scripts/build.sh
cd build
ctest --output-on-failure -j "$jobs" "$@"
