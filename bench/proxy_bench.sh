#!/usr/bin/env bash
# Proxy benchmark: one mock model server, driven by wrk three ways on loopback:
#   direct  -> the mock server itself
#   nginx   -> Debian's nginx as a plain keep-alive reverse proxy in front of it
#   gateway -> aigw-sim --headless (the data plane) in front of the same server (mode external)
# Prints requests/s and p50/p99 side by side, with ratios, at 32 connections and at 1 connection,
# and the CPU time each server process spent per request (user+system; a figure that other load on
# the machine disturbs less than throughput does).
#
# usage: bench/proxy_bench.sh [BUILD_DIR] [DURATION_S] [ROUNDS]
# ROUNDS > 1 runs direct, nginx and gateway in turn that many times and prints the median of each
# column: on a shared machine one run can land on a busy moment.
# needs: nginx and wrk (./scripts/install-deps.sh --bench) and a built aigw-sim + aigw-mock-backend.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
DURATION=${2:-10}
ROUNDS=${3:-1}
SIM=$BUILD/app/aigw-sim
MOCK=$BUILD/mockbackends/aigw-mock-backend
for exe in "$SIM" "$MOCK"; do
  [[ -x $exe ]] || { echo "proxy_bench: $exe not built (cmake --build $BUILD --target aigw-sim aigw-mock-backend)" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
command -v wrk >/dev/null && [[ -x $NGINX ]] || { echo "proxy_bench: needs nginx and wrk: ./scripts/install-deps.sh --bench" >&2; exit 1; }

WORK=$(mktemp -d /tmp/aigw-proxy-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

# Starts "$@" in the background (not in a subshell, so cleanup knows its pid) and waits until it
# printed a line starting with $prefix on stdout; the line is then in $log.
start_and_wait() {
  local prefix=$1 log=$2; shift 2
  "$@" >"$log" 2>"$log.err" &
  PIDS+=($!)
  for _ in $(seq 1 200); do
    grep -q "^$prefix" "$log" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "proxy_bench: '$*' did not print $prefix; stderr:" >&2; cat "$log.err" >&2; exit 1
}

start_and_wait READY "$WORK/mock.out" "$MOCK" --listen 127.0.0.1:0 --name bench --model bench:1b \
  --first-token-ms 0 --tokens-per-second 0 --log-level error
MOCK_PID=${PIDS[-1]}
MOCK_URL=$(grep -m1 '^READY' "$WORK/mock.out" | awk '{print $2}')
MOCK_PORT=${MOCK_URL##*:}

cat >"$WORK/bench.yaml" <<YAML
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: bench, namespace: default}
spec:
  rules:
    - matches:
        - headers: [{type: Exact, name: x-ai-eg-model, value: bench-model}]
      backendRefs:
        - name: bench
          modelNameOverride: bench:1b
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: bench, namespace: default}
spec:
  schema: {name: OpenAI}
  backendRef: {name: bench, kind: Backend, group: gateway.envoyproxy.io}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata:
  name: bench
  namespace: default
  annotations:
    aigw-sim/mode: external
    aigw-sim/url: $MOCK_URL
spec:
  endpoints:
    - fqdn: {hostname: bench.default.svc.cluster.local, port: 80}
YAML

start_and_wait READY "$WORK/gw.out" "$SIM" --headless --config "$WORK/bench.yaml" \
  --listen 127.0.0.1:0 --admin 127.0.0.1:0 --no-debug-headers
GW_PID=${PIDS[-1]}
GW_LINE=$(grep -m1 '^READY' "$WORK/gw.out")
GW_URL=$(sed -E 's/.*proxy=([^ ]+).*/\1/' <<<"$GW_LINE")

NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/nginx/logs"
cat >"$WORK/nginx/nginx.conf" <<NGX
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body; proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fcgi; uwsgi_temp_path $WORK/nginx/uwsgi; scgi_temp_path $WORK/nginx/scgi;
  upstream mock { server 127.0.0.1:$MOCK_PORT; keepalive 128; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://mock;
      proxy_set_header Host 127.0.0.1:$MOCK_PORT;  # the mock answers only to its own names
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering on;
    }
  }
}
NGX
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' 2>"$WORK/nginx.err" &
PIDS+=($!)
NGINX_MASTER=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$NGINX_PORT/api/version" && break; sleep 0.05; done
NGINX_PID=$(pgrep -P "$NGINX_MASTER" | head -1)  # the one worker (worker_processes 1)

cat >"$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"bench-model","messages":[{"role":"user","content":"hello"}],"max_tokens":8}'
LUA
# The direct and nginx runs send the upstream model name (the gateway rewrites bench-model to it).
sed 's/bench-model/bench:1b/' "$WORK/post.lua" >"$WORK/post-direct.lua"

# Sanity: every path answers 200 before measuring.
for url in "$MOCK_URL" "http://127.0.0.1:$NGINX_PORT"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
    -d '{"model":"bench:1b","messages":[{"role":"user","content":"hi"}]}' "$url/v1/chat/completions")
  [[ $code == 200 ]] || { echo "proxy_bench: $url answered $code" >&2; exit 1; }
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
  -d '{"model":"bench-model","messages":[{"role":"user","content":"hi"}]}' "$GW_URL/v1/chat/completions")
[[ $code == 200 ]] || { echo "proxy_bench: gateway answered $code" >&2; exit 1; }

to_us() {  # wrk latency ("85.00us", "1.20ms", "2.00s") -> microseconds
  awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n*1000; else if (v ~ /s$/) print n*1000000; else print n }'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }  # utime + stime
TICK_US=$((1000000 / $(getconf CLK_TCK)))
# run URL CONNECTIONS SCRIPT SERVER_PID -> "rps p50us p99us non2xx cpu_us_per_request"
run() {
  local conns=$2 url=$1 script=$3 pid=$4 threads=2
  ((conns < 2)) && threads=1
  local out c0 c1
  c0=$(cpu_ticks "$pid")
  out=$(wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency -s "$script" "$url/v1/chat/completions")
  c1=$(cpu_ticks "$pid")
  local rps p50 p99 bad n
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(to_us "$(awk '$1=="50%" {print $2}' <<<"$out")")
  p99=$(to_us "$(awk '$1=="99%" {print $2}' <<<"$out")")
  bad=$(awk '/Non-2xx/ {print $5}' <<<"$out"); bad=${bad:-0}
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  echo "$rps $p50 $p99 $bad $(awk -v t=$((c1 - c0)) -v u="$TICK_US" -v n="${n:-0}" 'BEGIN { x = (n > 0) ? t * u / n : 0; printf "%.1f", x }')"
}
# median of the numbers on stdin
median() { sort -g | awk '{v[NR] = $1} END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# rounds NAME URL CONNECTIONS SCRIPT PID: runs ROUNDS times; prints the median of each column
declare -A RESULTS

echo "proxy_bench: mock $MOCK_URL, nginx http://127.0.0.1:$NGINX_PORT, gateway $GW_URL, ${DURATION}s per run, $ROUNDS round(s), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for conns in 32 1; do
  for ((r = 1; r <= ROUNDS; r++)); do
    RESULTS[direct,$r]=$(run "$MOCK_URL" "$conns" "$WORK/post-direct.lua" "$MOCK_PID")
    RESULTS[nginx,$r]=$(run "http://127.0.0.1:$NGINX_PORT" "$conns" "$WORK/post-direct.lua" "$NGINX_PID")
    RESULTS[gateway,$r]=$(run "$GW_URL" "$conns" "$WORK/post.lua" "$GW_PID")
  done
  for who in direct nginx gateway; do
    row=""
    for col in 1 2 3 4 5; do
      row+=" $(for ((r = 1; r <= ROUNDS; r++)); do awk -v c=$col '{print $c}' <<<"${RESULTS[$who,$r]}"; done | median)"
    done
    read -r "${who:0:1}_rps" "${who:0:1}_p50" "${who:0:1}_p99" "${who:0:1}_bad" "${who:0:1}_cpu" <<<"$row"
  done
  echo
  echo "== $conns connection(s)$( ((ROUNDS > 1)) && echo ", median of $ROUNDS rounds")"
  printf '%-9s %12s %12s %12s %8s %14s\n' "" "requests/s" "p50 (us)" "p99 (us)" "non-2xx" "cpu/req (us)"
  printf '%-9s %12.0f %12.0f %12.0f %8s %14.1f\n' direct "$d_rps" "$d_p50" "$d_p99" "$d_bad" "$d_cpu"
  printf '%-9s %12.0f %12.0f %12.0f %8s %14.1f\n' nginx "$n_rps" "$n_p50" "$n_p99" "$n_bad" "$n_cpu"
  printf '%-9s %12.0f %12.0f %12.0f %8s %14.1f\n' gateway "$g_rps" "$g_p50" "$g_p99" "$g_bad" "$g_cpu"
  awk -v g="$g_rps" -v n="$n_rps" -v gp="$g_p50" -v np="$n_p50" -v dp="$d_p50" -v gq="$g_p99" -v nq="$n_p99" 'BEGIN {
    printf "gateway/nginx requests/s: %.2f   p50: %.2f   p99: %.2f\n", g/n, gp/np, gq/nq
    printf "added p50 over direct: gateway %+.0f us, nginx %+.0f us\n", gp-dp, np-dp }'
  if ((ROUNDS > 1)); then
    # How noisy the medians are: every round's requests/s, and the spread (max - min) / median.
    for who in direct nginx gateway; do
      vals=$(for ((r = 1; r <= ROUNDS; r++)); do awk '{printf "%.0f\n", $1}' <<<"${RESULTS[$who,$r]}"; done)
      med=$(median <<<"$vals")
      printf '%-9s requests/s per round: %s   spread %s\n' "$who" "$(paste -sd' ' <<<"$vals")" \
        "$(sort -g <<<"$vals" | awk -v m="$med" 'NR == 1 {lo = $1} {hi = $1} END { printf "%.0f%%", (m > 0) ? 100 * (hi - lo) / m : 0 }')"
    done
  fi
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
