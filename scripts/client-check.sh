#!/usr/bin/env bash
# End-to-end checks with real clients against `aigw-sim --headless` on the built-in scenario. Not part
# of the test suite (it needs Node.js and the npm registry); run it by hand after a build:
#
#   scripts/client-check.sh [BUILD_DIR]
#
# First the official Ollama JavaScript client (npm `ollama`) against one of the model servers:
# version, list, show, chat (plain and streamed), generate, embed, pull with progress, ps, and the
# 404 for a model the server does not have.
#
# Then the official OpenAI Node SDK against the gateway, each check printed as PASS/FAIL: /v1/models lists the virtual names; Ticket 1's split and
# overrides as the SDK sees them; a stream with include_usage; the 404 for an unknown model; Ticket 2
# corrected (stop qwen-primary -> answered by the secondary, start -> back); Ticket 2 as written
# (503); then qwen-primary's process is killed with SIGKILL in the middle of a load of streamed and
# plain requests, and the script prints what the clients got.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
SIM=$BUILD/app/aigw-sim
[[ -x $SIM ]] || { echo "openai-sdk-check: $SIM not built (./scripts/build.sh)" >&2; exit 1; }
command -v node >/dev/null && command -v npm >/dev/null || { echo "openai-sdk-check: needs node and npm" >&2; exit 1; }

# Pinned client versions, installed once into a cache folder.
OPENAI_VERSION=7.57.0
OLLAMA_VERSION=0.6.4
SDK_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/aigw-sim/clients-openai-$OPENAI_VERSION-ollama-$OLLAMA_VERSION
if [[ ! -f $SDK_DIR/node_modules/openai/package.json || ! -f $SDK_DIR/node_modules/ollama/package.json ]]; then
  echo "installing openai@$OPENAI_VERSION and ollama@$OLLAMA_VERSION into $SDK_DIR"
  mkdir -p "$SDK_DIR"
  (cd "$SDK_DIR" && echo '{"private":true,"type":"module"}' >package.json &&
    npm install --silent --no-audit --no-fund "openai@$OPENAI_VERSION" "ollama@$OLLAMA_VERSION")
fi

WORK=$(mktemp -d /tmp/aigw-client-check.XXXXXX)
SIM_PID=
cleanup() { [[ -n $SIM_PID ]] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

"$SIM" --headless --listen 127.0.0.1:0 --admin 127.0.0.1:0 >"$WORK/out" 2>"$WORK/err" &
SIM_PID=$!
for _ in $(seq 1 200); do grep -q '^READY' "$WORK/out" && break; sleep 0.05; done
grep -q '^READY' "$WORK/out" || { echo "aigw-sim did not print READY:" >&2; cat "$WORK/err" >&2; exit 1; }
PROXY=$(sed -n 's/^READY proxy=\([^ ]*\) admin=.*/\1/p' "$WORK/out")
ADMIN=$(sed -n 's/^READY proxy=[^ ]* admin=\(.*\)$/\1/p' "$WORK/out")
echo "gateway $PROXY, admin $ADMIN"

echo "== Ollama client (model server qwen-tertiary)"
cp "$ROOT/scripts/ollama-client-check.mjs" "$ROOT/scripts/openai-sdk-check.mjs" "$SDK_DIR/"
status=0
ADMIN=$ADMIN SERVER_NAME=qwen-tertiary node "$SDK_DIR/ollama-client-check.mjs" || status=1
echo "== OpenAI SDK ($PROXY)"
PROXY=$PROXY ADMIN=$ADMIN SAMPLES=$ROOT/samples node "$SDK_DIR/openai-sdk-check.mjs" || status=1
exit $status
