#!/usr/bin/env bash
# Builds one libFuzzer target (fuzz/fuzz_TARGET.cpp, clang with ASan + UBSan, build-fuzz/) and runs
# it for SECONDS. Extra arguments go to libFuzzer (e.g. -max_len=4096). To replay a crash:
#   build-fuzz/fuzz/fuzz_TARGET build-fuzz/artifacts/TARGET/crash-...
#   ./scripts/fuzz.sh config 600
# The seeds in fuzz/corpus/TARGET are only read; what the run finds goes to build-fuzz/corpus/TARGET
# (kept between runs), a crashing input to build-fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(config scenario request_body http_request http_response)
usage() {
  echo "usage: $0 TARGET SECONDS [libFuzzer args...]   TARGET: ${targets[*]}" >&2
  exit 2
}
[[ $# -ge 2 ]] || usage
target=$1 seconds=$2
shift 2
[[ " ${targets[*]} " == *" $target "* ]] || { echo "unknown target '$target'" >&2; usage; }
[[ "$seconds" =~ ^[0-9]+$ && "$seconds" -gt 0 ]] || { echo "SECONDS must be a positive integer, not '$seconds'" >&2; usage; }

# clang and its libFuzzer runtime are needed here only, not by the normal build and tests.
need=()
command -v clang++ >/dev/null || need+=(clang)
dpkg-query -W -f='${Status}' libclang-rt-14-dev 2>/dev/null | grep -q "install ok installed" || need+=(libclang-rt-14-dev)
if ((${#need[@]})); then
  echo "aigw-sim: installing ${need[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${need[@]}"
fi
./scripts/install-deps.sh >/dev/null

jobs=$(nproc 2>/dev/null || echo 2)
cmake --preset fuzz ${AIGW_CMAKE_ARGS:-} >/dev/null
cmake --build build-fuzz -j "$jobs" --target "fuzz_$target"

corpus=build-fuzz/corpus/$target
artifacts=build-fuzz/artifacts/$target
mkdir -p "$corpus" "$artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# -timeout: an input taking 60 s is a hang, reported like a crash (wall-clock time: on a loaded
# machine an instrumented Debug build takes seconds for a big config, so 10 s flagged busy CPUs).
exec "build-fuzz/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=60 -print_final_stats=1 \
  -artifact_prefix="$artifacts/" "$@" "$corpus" "fuzz/corpus/$target"
