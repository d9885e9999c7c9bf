#!/usr/bin/env bash
# Config scale benchmark: how check, export, simulate and the headless gateway grow with the size
# of a cluster's config, and how long POST /config of the big config takes on a running gateway.
#
#   bench/config_scale.sh [BUILD_DIR] [ROUTES...]
#
# For each ROUTES (default 23 47 95 190 200: 491 / 995 / 2,003 / 3,998 / 4,208 objects) it writes
# the configuration as `kubectl get gateways,aigatewayroutes,aiservicebackends,backends,
# backendtrafficpolicies -A -o yaml` prints it (one kind: List, 4 namespaces, server fields;
# 10 backends per route: bench/config_scale_gen.h) and prints wall time and peak RSS of
#   check FILE | export FILE | simulate --config FILE (1,000 requests) | headless FILE to READY
# (--no-servers: 2,000 mock model servers would measure process start-up, not the config), then
# the time of POST /config with the same file on that gateway and, meanwhile, the slowest
# GET /v1/models on the proxy (answered by the data plane: a stall would show there), and the
# gateway's peak RSS at READY and after the POST (old and new config both alive for a moment).
# Needs /usr/bin/time and curl.
set -euo pipefail

BUILD=${1:-build}
shift || true
ROUTES=("$@")
[ ${#ROUTES[@]} -gt 0 ] || ROUTES=(23 47 95 190 200)
SIM="$BUILD/app/aigw-sim"
GEN="$BUILD/bench/config_gen"
for tool in "$SIM" "$GEN" /usr/bin/time curl; do
    command -v "$tool" >/dev/null || { echo "config_scale: $tool not found (build aigw-sim and config_gen)" >&2; exit 1; }
done

WORK=$(mktemp -d)
HEADLESS_PID=
cleanup() {
    if [ -n "$HEADLESS_PID" ]; then
        kill "$(pgrep -P "$HEADLESS_PID")" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# measure NAME CMD...: prints "seconds maxrss_MiB" of CMD (output discarded).
measure() {
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr" || {
        echo "config_scale: failed: $*" >&2
        tail -5 "$WORK/stderr" >&2
        return 1
    }
    awk '{ printf "%.2f %d", $1, $2 / 1024 }' "$WORK/time"
}

# headless FILE: starts the gateway, waits for READY, posts FILE to /config; prints "seconds_to_ready
# peak_rss_at_ready_MiB post_ms max_models_ms peak_rss_after_post_MiB".
headless() {
    local file=$1 out="$WORK/headless.out" start ready rss post models
    : >"$out"
    start=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$WORK/headless.time" \
        "$SIM" --headless "$file" --no-servers --listen 127.0.0.1:0 --admin 127.0.0.1:0 >"$out" 2>"$WORK/headless.err" &
    HEADLESS_PID=$!
    for _ in $(seq 1 1200); do
        grep -q '^READY' "$out" && break
        kill -0 "$HEADLESS_PID" 2>/dev/null || { cat "$WORK/headless.err" >&2; return 1; }
        sleep 0.05
    done
    ready=$(date +%s.%N)
    local readyRss
    readyRss=$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$(pgrep -P "$HEADLESS_PID")/status")
    local line proxy admin
    line=$(grep '^READY' "$out")
    proxy=$(sed -E 's/.*proxy=([^ ]+).*/\1/' <<<"$line")
    admin=$(sed -E 's/.*admin=([^ ]+).*/\1/' <<<"$line")
    # GET /v1/models in a loop while the config is posted: the slowest answer shows any stall.
    (
        max=0
        while [ ! -e "$WORK/post.done" ]; do
            t=$(curl -s -o /dev/null -w '%{time_total}' "$proxy/v1/models")
            max=$(awk -v a="$max" -v b="$t" 'BEGIN { print (b > a ? b : a) }')
        done
        echo "$max" >"$WORK/models.max"
    ) &
    local poller=$!
    sleep 0.3
    post=$(curl -s -o "$WORK/post.body" -w '%{time_total}' -X POST --data-binary @"$file" \
        -H 'content-type: application/yaml' "$admin/config")
    touch "$WORK/post.done"
    wait "$poller"
    rm -f "$WORK/post.done"
    models=$(cat "$WORK/models.max")
    # SIGTERM to aigw-sim itself (the child of /usr/bin/time), so that time reports its peak RSS.
    kill -TERM "$(pgrep -P "$HEADLESS_PID")"
    wait "$HEADLESS_PID" || true
    HEADLESS_PID=
    rss=$(tail -1 "$WORK/headless.time")
    awk -v s="$start" -v r="$ready" -v m="$rss" -v p="$post" -v q="$models" -v rr="$readyRss" \
        'BEGIN { printf "%.2f %d %.0f %.0f %d", r - s, rr, p * 1000, q * 1000, m / 1024 }'
}

echo "config_scale: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
printf '%-8s %-4s | %-14s | %-14s | %-14s | %-14s | %-12s %-8s %s\n' objects MiB check export simulate \
    "headless READY" "POST /config" "max GET" "RSS after POST"
for routes in "${ROUTES[@]}"; do
    file="$WORK/cluster-$routes.yaml"
    objects=$("$GEN" --routes "$routes" -o "$file" 2>&1 | awk '{ print $1 }')
    size=$(du -m "$file" | cut -f1)
    read -r c_s c_m <<<"$(measure "$SIM" check "$file")" || true
    read -r e_s e_m <<<"$(measure "$SIM" export "$file")"
    read -r s_s s_m <<<"$(measure "$SIM" simulate --config "$file" --model model-0 --requests 1000)"
    read -r h_s h_m p_ms m_ms h_post <<<"$(headless "$file")"
    printf '%-8s %-4s | %5s s %4s MiB | %5s s %4s MiB | %5s s %4s MiB | %5s s %4s MiB | %7s ms   %4s ms  %4s MiB\n' \
        "$objects" "$size" "$c_s" "$c_m" "$e_s" "$e_m" "$s_s" "$s_m" "$h_s" "$h_m" "$p_ms" "$m_ms" "$h_post"
done
echo "config_scale: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
