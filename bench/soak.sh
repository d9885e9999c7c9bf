#!/usr/bin/env bash
# Soak: the headless gateway on the built-in scenario under steady load while its model servers flap,
# then SIGTERM; does it lose, truncate or leak anything, and does it leave a child behind?
#
#   bench/soak.sh [BUILD_DIR] MINUTES          e.g. nice -n 5 bench/soak.sh build 30
#
# It starts `aigw-sim --headless` (copies of BUILD_DIR's aigw-sim and aigw-mock-backend, so that a
# rebuild meanwhile changes nothing; the gateway spawns the three mock model servers) on free ports,
# and bench/soak_load.py drives it:
#   load      RATE requests/s (SOAK_RATE, default 200), open loop from SOAK_PROCS (2) processes,
#             alternately virtual-qwen-model and qwen-with-fallback, plain and "stream": true;
#   flapping  every 5 s one model server, in turn, is stopped, given a 503 fault, a hang, a black hole
#             or a stream cut (cutAfterTokens 3) for 3 s through the admin API, then restored;
#   config    every 60 s the live config (GET /config_dump) is POSTed back to /config;
# first SOAK_WARMUP (75) s of it as a warm-up (every step of the flapping once), then MINUTES of it; after each, every answer is
# awaited and the client's connections closed, and the gateway's RSS (VmRSS), open fds
# (/proc/PID/fd: by kind, client and upstream sockets apart) and children are taken: the start and end figures. Then SIGTERM, and a check that
# no child process of the gateway seen during the run (pid and start time) still runs.
# Every answer is read to its end and checked (soak_load.py's docstring says how). The last line:
# requests sent, answered (by status), lost, truncated successes, RSS start/peak/end, fds start/end,
# children left; exit 0 only when nothing is lost, no 200 is truncated, RSS end <= 1.2x start, fds
# end <= start + SOAK_FD_TOLERANCE (8), no child is left and the gateway exited 0 after SIGTERM.
# Needs curl and python3 (no packages). On failure the gateway's log is kept and its path printed.
set -euo pipefail

if [ $# -ge 2 ]; then BUILD=$1; MINUTES=$2; else BUILD=build; MINUTES=${1:-}; fi
[[ "$MINUTES" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "usage: bench/soak.sh [BUILD_DIR] MINUTES" >&2; exit 2; }
for tool in "$BUILD/app/aigw-sim" "$BUILD/mockbackends/aigw-mock-backend" curl python3; do
    command -v "$tool" >/dev/null || { echo "soak: $tool not found (build aigw-sim and aigw-mock-backend)" >&2; exit 1; }
done

WORK=$(mktemp -d)
SIM_PID=
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
    [ "${KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$WORK/app" "$WORK/mockbackends"
cp "$BUILD/app/aigw-sim" "$WORK/app/"
cp "$BUILD/mockbackends/aigw-mock-backend" "$WORK/mockbackends/"

echo "soak: $BUILD, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
"$WORK/app/aigw-sim" --headless --listen 127.0.0.1:0 --admin 127.0.0.1:0 >"$WORK/headless.out" 2>"$WORK/headless.err" &
SIM_PID=$!
for _ in $(seq 1 1200); do
    grep -q '^READY' "$WORK/headless.out" && break
    kill -0 "$SIM_PID" 2>/dev/null || { echo "soak: the gateway exited" >&2; tail -5 "$WORK/headless.err" >&2; exit 1; }
    sleep 0.05
done
line=$(grep '^READY' "$WORK/headless.out") || { echo "soak: no READY from the gateway" >&2; exit 1; }
proxy=$(sed -E 's/.*proxy=([^ ]+).*/\1/' <<<"$line")
admin=$(sed -E 's/.*admin=([^ ]+).*/\1/' <<<"$line")
# The three model servers: ready before the load starts.
for _ in $(seq 1 600); do
    [ "$(curl -sf "$admin/servers" | grep -o '"state": *"ready"' | wc -l)" = 3 ] && break
    sleep 0.1
done

python3 "$(dirname "$0")/soak_load.py" run "$proxy" "$admin" "$SIM_PID" "$MINUTES" "$WORK/state.json"

t0=$(date +%s.%N)
kill -TERM "$SIM_PID"
status=0
wait "$SIM_PID" || status=$?
t1=$(date +%s.%N)
SIM_PID=
rc=0
python3 "$(dirname "$0")/soak_load.py" finish "$WORK/state.json" "$status" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')" || rc=$?
echo "soak: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
if [ "$rc" != 0 ]; then
    KEEP_WORK=1
    echo "soak: the gateway's log: $WORK/headless.err"
fi
exit "$rc"
