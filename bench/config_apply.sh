#!/usr/bin/env bash
# Live apply benchmark: how long POST /config and a live backendRef edit take on a running gateway
# holding a cluster-sized config, whether proxied traffic stalls meanwhile, and the memory after.
#
#   bench/config_apply.sh [BUILD_DIR] [ROUTES...]
#
# For each ROUTES (default 23 47 95 190 200: 491 / 995 / 2,003 / 3,998 / 4,208 objects, the
# config_scale input, bench/config_scale_gen.h) plus one probe route (model `probe`, one Backend
# `aigw-sim/mode: external` on an aigw-mock-backend this script starts), it runs
# `aigw-sim --headless FILE --no-servers`, starts the probe server through the admin API, then drives
# the probe route open-loop at RATE requests/s (default 200, 4 keep-alive connections; a request's
# latency counts from when it was due, so a stall shows in every request it delays) and meanwhile:
#   POST /config  the same objects plus a second probe route (model `probe-2`), then without it
#                 again: time until the 200, and until `probe-2` answers (or no longer answers)
#                 through the proxy, i.e. the new config serves;
#   edit          POST /backend_refs (a weight of team-0/llm-route-0): time until the 200;
# ROUNDS times (default 3: six POSTs, three edits; bench/config_apply_load.py is the client), and
# prints the median POST time (until the 200, until the new config served, and the slowest POST),
# the median edit time, the proxied latency p50 / p99 / max before (1 s without config work) and
# during them (from each request's start until the new config served), the gateway's RSS after the
# POSTs (VmRSS) and its peak (VmHWM).
# Needs curl and python3.
set -euo pipefail

BUILD=${1:-build}
shift || true
ROUTES=("$@")
[ ${#ROUTES[@]} -gt 0 ] || ROUTES=(23 47 95 190 200)
RATE=${RATE:-200}
ROUNDS=${ROUNDS:-3}
SIM="$BUILD/app/aigw-sim"
GEN="$BUILD/bench/config_gen"
MOCK="$BUILD/mockbackends/aigw-mock-backend"
for tool in "$SIM" "$GEN" "$MOCK" curl python3; do
    command -v "$tool" >/dev/null || { echo "config_apply: $tool not found (build aigw-sim, config_gen, aigw-mock-backend)" >&2; exit 1; }
done

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# waitFor FILE PID: waits (at most 60 s) until FILE holds a READY line from PID.
waitReady() {
    local file=$1 pid=$2
    for _ in $(seq 1 1200); do
        grep -q '^READY' "$file" && return 0
        kill -0 "$pid" 2>/dev/null || { echo "config_apply: process $pid exited" >&2; return 1; }
        sleep 0.05
    done
    echo "config_apply: no READY from $pid" >&2
    return 1
}

"$MOCK" --listen 127.0.0.1:0 --name probe --model probe --model probe-2 --first-token-ms 0 --tokens-per-second 0 >"$WORK/mock.out" 2>&1 &
PIDS+=($!)
waitReady "$WORK/mock.out" "${PIDS[-1]}"
MOCK_URL=$(sed -nE 's/^READY (.*)/\1/p' "$WORK/mock.out" | head -1)

# probeDocs MODEL...: one AIGatewayRoute per model, all on the probe Backend (its models fixed, so
# that the POST keeps the server as it is: --no-servers would leave a restarted one stopped).
probeDocs() {
    cat <<EOF
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: probe
  namespace: team-0
  annotations:
    aigw-sim/mode: external
    aigw-sim/url: $MOCK_URL
    aigw-sim/server: probe
    aigw-sim/models: probe,probe-2
spec:
  endpoints:
  - fqdn:
      hostname: probe.local
      port: 80
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata:
  name: probe
  namespace: team-0
spec:
  schema:
    name: OpenAI
  backendRef:
    group: gateway.envoyproxy.io
    kind: Backend
    name: probe
EOF
    for model in "$@"; do
        cat <<EOF
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata:
  name: route-$model
  namespace: team-0
spec:
  parentRefs:
  - name: ai-gateway
    kind: Gateway
    group: gateway.networking.k8s.io
  rules:
  - matches:
    - headers:
      - type: Exact
        name: x-ai-eg-model
        value: $model
    backendRefs:
    - name: probe
EOF
    done
}


echo "config_apply: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start; probe load $RATE req/s"
printf '%-8s | %-25s | %-26s | %-18s | %-26s | %-9s | %s\n' objects "POST /config (serves)" "p50/p99/max during POST" \
    "edit backendRef" "p50/p99/max idle" "RSS after" "peak RSS"
for routes in "${ROUTES[@]}"; do
    big="$WORK/cluster-$routes.yaml"
    objects=$("$GEN" --routes "$routes" -o "$big" 2>&1 | awk '{ print $1 }')
    { cat "$big"; probeDocs probe; } >"$WORK/initial.yaml"
    { cat "$big"; probeDocs probe probe-2; } >"$WORK/posted.yaml"
    : >"$WORK/headless.out"
    "$SIM" --headless "$WORK/initial.yaml" --no-servers --listen 127.0.0.1:0 --admin 127.0.0.1:0 \
        >"$WORK/headless.out" 2>"$WORK/headless.err" &
    sim=$!
    PIDS+=("$sim")
    waitReady "$WORK/headless.out" "$sim" || { tail -5 "$WORK/headless.err" >&2; exit 1; }
    line=$(grep '^READY' "$WORK/headless.out")
    proxy=$(sed -E 's/.*proxy=([^ ]+).*/\1/' <<<"$line")
    admin=$(sed -E 's/.*admin=([^ ]+).*/\1/' <<<"$line")
    curl -sf -o /dev/null -X POST -H 'content-type: application/json' "$admin/servers/probe/start"
    out=$(python3 "$(dirname "$0")/config_apply_load.py" "$proxy" "$admin" "$WORK/initial.yaml" "$WORK/posted.yaml" \
        "$RATE" "$ROUNDS")
    sleep 1
    rss=$(awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$sim/status")
    hwm=$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$sim/status")
    kill -TERM "$sim"
    wait "$sim" || true
    python3 - "$objects" "$rss" "$hwm" "$out" <<'EOF'
import json, sys
objects, rss, hwm, r = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
def w(x):
    p50, p99, mx, n, bad = x
    return "%s / %s / %s ms" % (p50, p99, mx) + (" (%d not 200)" % bad if bad else "")
post = "%d ms (%d), max %d" % (r["post_ms"], r["serves_ms"], r["post_max_ms"])
edit = "%d ms, p99 %s ms" % (r["edit_ms"], r["during_edit"][1])
print("%-8s | %-25s | %-26s | %-18s | %-26s | %5s MiB | %s MiB%s" % (objects, post, w(r["during_post"]), edit,
      w(r["idle"]), rss, hwm, "" if r["ok"] else "  (an admin call failed)"))
EOF
done
echo "config_apply: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
