#!/usr/bin/env bash
# Proxy benchmark: one mock model server, driven by wrk three ways on loopback:
#   direct  -> the mock server itself
#   nginx   -> Debian's nginx as a plain keep-alive reverse proxy in front of it
#   gateway -> aigw-sim --headless (the data plane) in front of the same server (mode external)
# Prints requests/s and p50/p99 side by side, with ratios, at 32 connections and at 1 connection,
# and the CPU time each server process spent per request (user+system; a figure that other load on
# the machine disturbs less than throughput does).
#
# It also prints each server's wake-ups per request (voluntary context switches of all its threads:
# each is one sleep in poll and one wake-up), and the streaming time to first byte (p50 over 300
# streamed requests on one keep-alive connection, from the request's last byte to the first SSE event).
# After each timed section it prints the load average and, in a virtual machine, the share of the
# cores' time the host gave to other guests meanwhile ("steal" in /proc/stat): when it is high, the
# section's figures say more about the neighbours than about the proxies.
#
# usage: bench/proxy_bench.sh [BUILD_DIR] [DURATION_S] [ROUNDS]
# ROUNDS > 1 runs direct, nginx and gateway in turn that many times and prints the median of each
# column: on a shared machine one run can land on a busy moment. nginx goes before the gateway in odd
# rounds and after it in even ones.
# CALLGRIND=1 also counts the user-space instructions per request of nginx's worker and the gateway
# under valgrind's callgrind (1 connection, 3 s each; counts do not depend on the machine's load),
# and their cache misses per request in callgrind's model of two 32 KiB L1 caches (instructions,
# data) and a 1 MiB L2: what a process's memory traffic costs besides its instructions.
# CALLGRIND=only counts instructions and skips the timed runs (fine on a busy machine);
# CALLGRIND_KEEP=DIR keeps the callgrind files there, for callgrind_annotate. The gateway under
# callgrind runs with --busy-poll-us 0: the count is the work per request, not the polling between.
# GATEWAY_ARGS="..." passes more options to the timed gateway, e.g. GATEWAY_ARGS="--busy-poll-us 0"
# to measure it without busy polling (its cpu/req column includes the polling's CPU time).
# needs: nginx and wrk (./scripts/install-deps.sh --bench; valgrind for CALLGRIND=1) and a built
# aigw-sim + aigw-mock-backend.
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
# SIGTERM, then SIGKILL for whatever is left after a second (nginx under valgrind ignores SIGTERM)
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    local alive=0
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.05
  done
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Starts "$@" in the background (not in a subshell, so cleanup knows its pid) and waits until it
# printed a line starting with $prefix on stdout; the line is then in $log.
start_and_wait() {
  local prefix=$1 log=$2; shift 2
  "$@" >"$log" 2>"$log.err" &
  PIDS+=($!)
  for _ in $(seq 1 1200); do  # up to 60 s: under valgrind the start is slow
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

# shellcheck disable=SC2086  # GATEWAY_ARGS is split into options on purpose
start_and_wait READY "$WORK/gw.out" "$SIM" --headless --config "$WORK/bench.yaml" \
  --listen 127.0.0.1:0 --admin 127.0.0.1:0 --no-debug-headers ${GATEWAY_ARGS:-}
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
# voluntary context switches of every thread of $1 (each one is a sleep and, later, a wake-up)
wakeups() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/ {s += $2} END {print s + 0}'; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))
# run URL CONNECTIONS SCRIPT SERVER_PID -> "rps p50us p99us non2xx cpu_us_per_request wakeups_per_request"
run() {
  local conns=$2 url=$1 script=$3 pid=$4 threads=2
  ((conns < 2)) && threads=1
  local out c0 c1 w0 w1 m0 m1
  c0=$(cpu_ticks "$pid"); w0=$(wakeups "$pid"); m0=$(cpu_ticks "$MOCK_PID")
  # `times` in the command substitution's own shell: its only child is wrk, so its second line is
  # wrk's user and system time.
  out=$(wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency -s "$script" "$url/v1/chat/completions"; times)
  c1=$(cpu_ticks "$pid"); w1=$(wakeups "$pid"); m1=$(cpu_ticks "$MOCK_PID")
  local rps p50 p99 bad n
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(to_us "$(awk '$1=="50%" {print $2}' <<<"$out")")
  p99=$(to_us "$(awk '$1=="99%" {print $2}' <<<"$out")")
  bad=$(awk '/Non-2xx/ {print $5}' <<<"$out"); bad=${bad:-0}
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  echo "$rps $p50 $p99 $bad $(awk -v t=$((c1 - c0)) -v u="$TICK_US" -v n="${n:-0}" 'BEGIN { x = (n > 0) ? t * u / n : 0; printf "%.1f", x }')" \
    "$(awk -v w=$((w1 - w0)) -v n="${n:-0}" 'BEGIN { printf "%.2f", (n > 0) ? w / n : 0 }')" \
    "$(awk -v t=$((m1 - m0)) -v u="$TICK_US" -v n="${n:-0}" 'BEGIN { printf "%.1f", (n > 0) ? t * u / n : 0 }')" \
    "$(tail -1 <<<"$out" | awk -v n="${n:-0}" '{ s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] }
                                               printf "%.1f", (n > 0) ? s * 1e6 / n : 0 }')"
}
# "steal total" ticks of all cores from /proc/stat: in a virtual machine, time the host gave to others
steal_ticks() { awk '/^cpu / {t = 0; for (i = 2; i <= NF; i++) t += $i; print $9, t}' /proc/stat; }
# stolen_since "STEAL TOTAL": the share of the cores' time stolen since then, in percent
stolen_since() { read -r s0 t0 <<<"$1"; read -r s1 t1 <<<"$(steal_ticks)"
  awk -v s=$((s1 - s0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.1f%%", (t > 0) ? 100 * s / t : 0 }'; }
# median of the numbers on stdin
median() { sort -g | awk '{v[NR] = $1} END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# rounds NAME URL CONNECTIONS SCRIPT PID: runs ROUNDS times; prints the median of each column
declare -A RESULTS

echo "proxy_bench: mock $MOCK_URL, nginx http://127.0.0.1:$NGINX_PORT, gateway $GW_URL, ${DURATION}s per run, $ROUNDS round(s), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
TIMED=(32 1)
[[ ${CALLGRIND:-0} == only ]] && TIMED=()
for conns in "${TIMED[@]}"; do
  STEAL0=$(steal_ticks)
  for ((r = 1; r <= ROUNDS; r++)); do
    RESULTS[direct,$r]=$(run "$MOCK_URL" "$conns" "$WORK/post-direct.lua" "$MOCK_PID")
    # nginx and the gateway take turns going first: the machine's load drifts over a round, and a
    # fixed order would hand whatever the drift is to the same one every time.
    if ((r % 2)); then
      RESULTS[nginx,$r]=$(run "http://127.0.0.1:$NGINX_PORT" "$conns" "$WORK/post-direct.lua" "$NGINX_PID")
      RESULTS[gateway,$r]=$(run "$GW_URL" "$conns" "$WORK/post.lua" "$GW_PID")
    else
      RESULTS[gateway,$r]=$(run "$GW_URL" "$conns" "$WORK/post.lua" "$GW_PID")
      RESULTS[nginx,$r]=$(run "http://127.0.0.1:$NGINX_PORT" "$conns" "$WORK/post-direct.lua" "$NGINX_PID")
    fi
  done
  for who in direct nginx gateway; do
    row=""
    for col in 1 2 3 4 5 6 7 8; do
      row+=" $(for ((r = 1; r <= ROUNDS; r++)); do awk -v c=$col '{print $c}' <<<"${RESULTS[$who,$r]}"; done | median)"
    done
    read -r "${who:0:1}_rps" "${who:0:1}_p50" "${who:0:1}_p99" "${who:0:1}_bad" "${who:0:1}_cpu" "${who:0:1}_wake" \
      "${who:0:1}_mock" "${who:0:1}_wrk" <<<"$row"
  done
  echo
  echo "== $conns connection(s)$( ((ROUNDS > 1)) && echo ", median of $ROUNDS rounds")"
  printf '%-9s %12s %12s %12s %8s %14s %13s\n' "" "requests/s" "p50 (us)" "p99 (us)" "non-2xx" "cpu/req (us)" "wake-ups/req"
  printf '%-9s %12.0f %12.0f %12.0f %8s %14.1f %13.2f\n' direct "$d_rps" "$d_p50" "$d_p99" "$d_bad" "$d_cpu" "$d_wake"
  printf '%-9s %12.0f %12.0f %12.0f %8s %14.1f %13.2f\n' nginx "$n_rps" "$n_p50" "$n_p99" "$n_bad" "$n_cpu" "$n_wake"
  printf '%-9s %12.0f %12.0f %12.0f %8s %14.1f %13.2f\n' gateway "$g_rps" "$g_p50" "$g_p99" "$g_bad" "$g_cpu" "$g_wake"
  # Where each request's CPU time goes, all processes together (the proxy, the mock, wrk), and how
  # many of the cores that kept busy: at 32 connections the two cores are shared by all three.
  for who in nginx gateway; do
    rps=${who:0:1}_rps cpu=${who:0:1}_cpu mock=${who:0:1}_mock wrkc=${who:0:1}_wrk
    awk -v w=$who -v r="${!rps}" -v c="${!cpu}" -v m="${!mock}" -v k="${!wrkc}" 'BEGIN {
      printf "%-9s cpu per request (us): proxy %.1f + mock %.1f + wrk %.1f = %.1f; cores busy %.2f\n", w, c, m, k, c + m + k, r * (c + m + k) / 1e6 }'
  done
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
    # Each round's nginx and gateway runs are back to back: their ratio moves less with the
    # machine's other load than the medians above, which may come from different rounds.
    ratios=$(for ((r = 1; r <= ROUNDS; r++)); do
      awk -v n="${RESULTS[nginx,$r]%% *}" -v g="${RESULTS[gateway,$r]%% *}" 'BEGIN { printf "%.2f\n", (n > 0) ? g / n : 0 }'
    done)
    added=$(for ((r = 1; r <= ROUNDS; r++)); do
      read -r _ dp _ <<<"${RESULTS[direct,$r]}"; read -r _ np _ <<<"${RESULTS[nginx,$r]}"; read -r _ gp _ <<<"${RESULTS[gateway,$r]}"
      awk -v d="$dp" -v n="$np" -v g="$gp" 'BEGIN { printf "%+.0f/%+.0f\n", g - d, n - d }'
    done)
    echo "gateway/nginx requests/s per round: $(paste -sd' ' <<<"$ratios")   median $(median <<<"$ratios")"
    echo "added p50 per round, gateway/nginx (us): $(paste -sd' ' <<<"$added")   median gateway $(tr '/' ' ' <<<"$added" | awk '{print $1 + 0}' | median), nginx $(tr '/' ' ' <<<"$added" | awk '{print $2 + 0}' | median)"
  fi
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); cpu time stolen by the host (virtual machines): $(stolen_since "$STEAL0")"
done
# Streaming: time from the request's last byte to the first SSE event, on one keep-alive connection.
cat >"$WORK/ttfb.py" <<'PY'
import socket, statistics, sys, time
host, port, model, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
body = ('{"model":"%s","stream":true,"messages":[{"role":"user","content":"hello"}],"max_tokens":8}' % model).encode()
req = (b"POST /v1/chat/completions HTTP/1.1\r\nhost: %s:%d\r\ncontent-type: application/json\r\n"
       b"content-length: %d\r\n\r\n" % (host.encode(), port, len(body))) + body
s = socket.create_connection((host, port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
ttfb = []
for i in range(n + 20):  # the first 20 warm up
    s.sendall(req)
    t0 = time.perf_counter()
    buf, first = b"", None
    while not buf.endswith(b"0\r\n\r\n"):
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("connection closed after %d requests" % i)
        buf += chunk
        if first is None and b"data:" in buf.partition(b"\r\n\r\n")[2]:
            first = time.perf_counter()
    if not buf.startswith(b"HTTP/1.1 200"):
        sys.exit("answered: " + buf.split(b"\r\n", 1)[0].decode())
    if i >= 20:
        ttfb.append((first - t0) * 1e6)
ttfb.sort()
print("%.0f %.0f" % (statistics.median(ttfb), ttfb[int(len(ttfb) * 0.9)]))
PY
if [[ ${CALLGRIND:-0} != only ]]; then
echo
echo "== streaming, 1 connection: time to the first SSE event (us), 300 requests"
GW_PORT=${GW_URL##*:}
read -r sd_p50 sd_p90 <<<"$(python3 "$WORK/ttfb.py" 127.0.0.1 "$MOCK_PORT" bench:1b 300)"
read -r sn_p50 sn_p90 <<<"$(python3 "$WORK/ttfb.py" 127.0.0.1 "$NGINX_PORT" bench:1b 300)"
read -r sg_p50 sg_p90 <<<"$(python3 "$WORK/ttfb.py" 127.0.0.1 "$GW_PORT" bench-model 300)"
printf '%-9s %12s %12s\n' "" "p50 (us)" "p90 (us)"
printf '%-9s %12s %12s\n' direct "$sd_p50" "$sd_p90" nginx "$sn_p50" "$sn_p90" gateway "$sg_p50" "$sg_p90"
echo "added time to first byte (p50) over direct: gateway $((sg_p50 - sd_p50)) us, nginx $((sn_p50 - sd_p50)) us"
fi

if [[ ${CALLGRIND:-0} == 1 || ${CALLGRIND:-0} == only ]]; then
  command -v valgrind >/dev/null || { echo "proxy_bench: CALLGRIND=1 needs valgrind (apt-get install valgrind)" >&2; exit 1; }
  # cg_count NAME PID URL SCRIPT: warm up, count instructions over 3 s of 1-connection load, print per request
  cg_count() {
    local name=$1 pid=$2 url=$3 script=$4 out n total
    wrk -t1 -c1 -d2s -s "$script" "$url/v1/chat/completions" >/dev/null
    callgrind_control -i on "$pid" >/dev/null 2>&1
    out=$(wrk -t1 -c1 -d3s -s "$script" "$url/v1/chat/completions")
    callgrind_control -d "$pid" >/dev/null 2>&1
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    for _ in $(seq 1 100); do ls "$WORK"/cg."$name".*.1 >/dev/null 2>&1 && break; sleep 0.1; done
    # events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw (--cache-sim=yes)
    read -r -a ev <<<"$(awk -F': *' '/^(summary|totals):/ {print $2; exit}' "$WORK"/cg."$name".*.1)"
    total=${ev[0]}
    printf '%-9s %8s requests %14s instructions %8.0f per request; misses per request: L1 %6.1f, L2 %5.2f\n' \
      "$name" "$n" "$total" "$(awk -v t="$total" -v n="$n" 'BEGIN {print t / n}')" \
      "$(awk -v a="${ev[3]}" -v b="${ev[4]}" -v c="${ev[5]}" -v n="$n" 'BEGIN {print (a + b + c) / n}')" \
      "$(awk -v a="${ev[6]}" -v b="${ev[7]}" -v c="${ev[8]}" -v n="$n" 'BEGIN {print (a + b + c) / n}')"
    if [[ -n ${CALLGRIND_KEEP:-} ]]; then mkdir -p "$CALLGRIND_KEEP" && cp "$WORK"/cg."$name".*.1 "$CALLGRIND_KEEP/"; fi
  }
  echo
  echo "== user-space instructions and cache misses per request under callgrind (1 connection)"
  # The cache model: 32 KiB L1 caches and a 1 MiB 16-way last level, one core's L2 on the machine
  # this was written on (AMD EPYC, 1 MiB L2 per core, the mock and wrk sharing it).
  CG=(valgrind --tool=callgrind --instr-atstart=no --cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 --LL=1048576,16,64)
  start_and_wait READY "$WORK/gwcg.out" "${CG[@]}" --callgrind-out-file="$WORK/cg.gateway.%p" \
    "$SIM" --headless --config "$WORK/bench.yaml" --listen 127.0.0.1:0 --admin 127.0.0.1:0 --no-debug-headers \
    --busy-poll-us 0
  GWCG_PID=${PIDS[-1]}
  GWCG_URL=$(sed -E 's/.*proxy=([^ ]+).*/\1/' <<<"$(grep -m1 '^READY' "$WORK/gwcg.out")")
  CGN_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  { echo "master_process off;"; sed "s/listen 127.0.0.1:$NGINX_PORT;/listen 127.0.0.1:$CGN_PORT;/; s#nginx.pid#nginx-cg.pid#" "$WORK/nginx/nginx.conf"; } >"$WORK/nginx/nginx-cg.conf"
  "${CG[@]}" --callgrind-out-file="$WORK/cg.nginx.%p" "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx-cg.conf" -g 'daemon off;' 2>"$WORK/nginx-cg.err" &
  PIDS+=($!)
  NGCG_PID=$!
  for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$CGN_PORT/api/version" && break; sleep 0.1; done
  cg_count nginx "$NGCG_PID" "http://127.0.0.1:$CGN_PORT" "$WORK/post-direct.lua"
  cg_count gateway "$GWCG_PID" "$GWCG_URL" "$WORK/post.lua"
fi

echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
