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
#   POST /config  the same objects plus a second probe route (model `probe-2`): time until the 200,
#                 and until `probe-2` answers 200 through the proxy (the new config serves);
#   edit          POST /backend_refs (a weight of team-0/llm-route-0): time until the 200;
# and prints the proxied latency p50 / p99 / max before (1 s idle of config work) and during each
# (from the request's start until the new config served), the gateway's RSS after the POST (VmRSS,
# once the old config was released) and its peak (VmHWM).
# Needs curl and python3.
set -euo pipefail

BUILD=${1:-build}
shift || true
ROUTES=("$@")
[ ${#ROUTES[@]} -gt 0 ] || ROUTES=(23 47 95 190 200)
RATE=${RATE:-200}
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

cat >"$WORK/load.py" <<'EOF'
# Open-loop load on the probe route while the config is posted and a backendRef edited.
import http.client, json, sys, threading, time, urllib.parse

proxy, admin, posted, rate = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
p, a = urllib.parse.urlsplit(proxy), urllib.parse.urlsplit(admin)
BODY = json.dumps({"model": "probe", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4})
CONNS = 4
samples = []  # (due, latency, status)
lock = threading.Lock()
stop = threading.Event()
t0 = time.monotonic() + 0.2

def worker(k):
    c = http.client.HTTPConnection(p.hostname, p.port, timeout=30)
    n = 0
    while not stop.is_set():
        due = t0 + (n * CONNS + k) / rate
        n += 1
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            c.request("POST", "/v1/chat/completions", BODY, {"content-type": "application/json"})
            r = c.getresponse(); r.read(); status = r.status
        except Exception:
            c.close(); c = http.client.HTTPConnection(p.hostname, p.port, timeout=30); status = 0
        with lock:
            samples.append((due, time.monotonic() - due, status))

def call(method, path, body, ctype):
    c = http.client.HTTPConnection(a.hostname, a.port, timeout=120)
    start = time.monotonic()
    c.request(method, path, body, {"content-type": ctype})
    r = c.getresponse(); r.read()
    return start, time.monotonic(), r.status

def serves(model, start):
    # Polls MODEL through the proxy until it answers 200: when the new config serves.
    c = http.client.HTTPConnection(p.hostname, p.port, timeout=30)
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1})
    while time.monotonic() - start < 120:
        c.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
        r = c.getresponse(); r.read()
        if r.status == 200:
            return time.monotonic()
        time.sleep(0.002)
    return float("nan")

def window(lo, hi):
    xs = sorted(l for d, l, s in samples if lo <= d < hi)
    bad = sum(1 for d, l, s in samples if lo <= d < hi and s != 200)
    if not xs:
        return "-", "-", "-", 0, 0
    q = lambda f: "%.1f" % (1000 * xs[min(len(xs) - 1, int(f * (len(xs) - 1) + 0.5))])
    return q(0.5), q(0.99), "%.1f" % (1000 * xs[-1]), len(xs), bad

threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(CONNS)]
for t in threads:
    t.start()
time.sleep(1.2)
idle = (time.monotonic() - 1.0, time.monotonic())
with open(posted, "rb") as f:
    yaml = f.read()
ps, pe, pst = call("POST", "/config", yaml, "application/yaml")
pserve = serves("probe-2", ps)
time.sleep(0.5)
es, ee, est = call("POST", "/backend_refs", json.dumps({"route": "team-0/llm-route-0", "rule": 0, "ref": 0, "weight": 55}),
                   "application/json")
time.sleep(0.5)
stop.set()
for t in threads:
    t.join()
b = window(*idle)
d = window(ps, max(pe, pserve))
e = window(es, ee)
print(json.dumps({"post_ms": round(1000 * (pe - ps)), "post_status": pst, "serves_ms": round(1000 * (pserve - ps)),
                  "edit_ms": round(1000 * (ee - es)), "edit_status": est,
                  "idle": b, "during_post": d, "during_edit": e}))
EOF

echo "config_apply: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start; probe load $RATE req/s"
printf '%-8s | %-19s | %-26s | %-18s | %-26s | %-9s | %s\n' objects "POST /config (serves)" "p50/p99/max during POST" \
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
    out=$(python3 "$WORK/load.py" "$proxy" "$admin" "$WORK/posted.yaml" "$RATE")
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
post = "%d ms (%d ms)" % (r["post_ms"], r["serves_ms"]) if r["post_status"] == 200 else "HTTP %d" % r["post_status"]
edit = "%d ms" % r["edit_ms"] if r["edit_status"] == 200 else "HTTP %d" % r["edit_status"]
edit += ", p99 %s ms" % r["during_edit"][1]
print("%-8s | %-21s | %-26s | %-18s | %-26s | %5s MiB | %s MiB" % (objects, post, w(r["during_post"]), edit, w(r["idle"]), rss, hwm))
EOF
done
echo "config_apply: load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
