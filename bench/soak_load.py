#!/usr/bin/env python3
"""The client side of bench/soak.sh (see there).

    soak_load.py run PROXY_URL ADMIN_URL GATEWAY_PID MINUTES STATE_JSON
        warm-up (WARMUP s of load and flapping, then every answer awaited), start figures, the soak
        (MINUTES of load, flapping and a POST /config a minute), every answer awaited, end figures;
        writes them to STATE_JSON, with every child process of the gateway seen meanwhile.
    soak_load.py finish STATE_JSON GATEWAY_EXIT_STATUS EXIT_SECONDS
        after the gateway got SIGTERM and exited: which of its children still run; prints the
        summary, the last line the verdict; exit status 0 only when the soak passed.

Load: open loop at RATE requests/s (SOAK_RATE, default 200) from PROCS processes (SOAK_PROCS,
default 2), each an asyncio HTTP/1.1 client with keep-alive connections and no concurrency cap (a
request is sent when due, whatever is still in flight). Requests cycle through both tutorial models,
plain and `"stream": true`. Every answer is read to its end and checked:
  lost       no status line within the route timeout + SOAK_GRACE s (60 + 15), or the connection
             closed / reset / refused before one (a reused keep-alive connection closed before any
             byte is retried once on a new one and counted as a stale retry, as HTTP clients do);
  truncated  a 200 whose body ended cleanly (full content-length, or the chunked terminator) but is
             incomplete: plain JSON without choices[0].message and finish_reason, or an SSE stream
             without a final finish_reason chunk and `data: [DONE]`, or a malformed event;
  cut        a 200 whose connection closed before its end (no chunked terminator / short body): the
             client sees the failure (the gateway passing on a stream cut by the model server);
  answered   everything else, counted by status.
"""
import asyncio
import http.client
import json
import multiprocessing as mp
import os
import sys
import threading
import time
import urllib.parse

RATE = float(os.environ.get("SOAK_RATE", "200"))
PROCS = int(os.environ.get("SOAK_PROCS", "2"))
WARMUP = float(os.environ.get("SOAK_WARMUP", "75"))  # one whole flapping cycle (STEPS)
ROUTE_TIMEOUT = 60.0  # the built-in routes set no timeouts.request: the AI Gateway default
GRACE = float(os.environ.get("SOAK_GRACE", "15"))
FD_TOLERANCE = int(os.environ.get("SOAK_FD_TOLERANCE", "8"))
RSS_FACTOR = 1.2
MODELS = ("virtual-qwen-model", "qwen-with-fallback")
SERVERS = ("qwen-primary", "qwen-secondary", "qwen-tertiary")
MAX_TOKENS = 16
EXAMPLES = 8  # kept per kind of failure, for the report


def log(msg):
    print("soak: " + msg, flush=True)


# ---------------------------------------------------------------------------------------------
# load worker (one process)


class Tally:
    def __init__(self):
        self.sent = 0
        self.status = {}          # status -> answers (cut ones included)
        self.ok = {"plain": 0, "stream": 0}
        self.cut = 0
        self.cut_by = {}          # "stream"/"plain" -> count
        self.truncated = 0
        self.lost = 0
        self.lost_by = {}         # reason -> count
        self.stale_retries = 0
        self.max_lag = 0.0        # how late a request was sent after it was due (s)
        self.max_inflight = 0
        self.examples = {"lost": [], "truncated": [], "cut": []}
        self.lat_ok = []          # latencies of 200s (s), for p50/p99

    def example(self, kind, what):
        if len(self.examples[kind]) < EXAMPLES:
            self.examples[kind].append(what)


class Stale(Exception):
    """A reused keep-alive connection closed before any byte of the answer."""


async def read_response(reader):
    """(status, headers, body, clean): clean = the body was read to its framed end."""
    line = await reader.readline()
    if not line:
        raise EOFError("closed before a status line")
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise ValueError("bad status line %r" % line[:80])
    status = int(parts[1])
    headers = {}
    while True:
        h = await reader.readline()
        if not h:
            return status, headers, b"", False
        if h in (b"\r\n", b"\n"):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers[k.strip().lower()] = v.strip()
    body = bytearray()
    try:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                size_line = await reader.readline()
                if not size_line.endswith(b"\n"):
                    return status, headers, bytes(body), False
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    while True:  # trailers up to the blank line
                        t = await reader.readline()
                        if not t.endswith(b"\n"):
                            return status, headers, bytes(body), False
                        if t in (b"\r\n", b"\n"):
                            return status, headers, bytes(body), True
                body += (await reader.readexactly(size + 2))[:-2]
        elif "content-length" in headers:
            body += await reader.readexactly(int(headers["content-length"]))
            return status, headers, bytes(body), True
        else:  # unframed: ends at close, truncation cannot be told
            body += await reader.read()
            headers["x-soak-unframed"] = "1"
            return status, headers, bytes(body), True
    except asyncio.IncompleteReadError as e:
        body += e.partial
        return status, headers, bytes(body), False
    except (ConnectionError, OSError):
        return status, headers, bytes(body), False


def complete_answer(stream, body):
    """'' when BODY is a whole chat completion (plain JSON or SSE), else what is missing."""
    try:
        if not stream:
            j = json.loads(body)
            c = j["choices"][0]
            if not isinstance(c["message"]["content"], str) or not c.get("finish_reason"):
                return "no content or finish_reason"
            return ""
        text = body.decode("utf-8")
        events = [e for e in text.replace("\r\n", "\n").split("\n\n") if e.strip()]
        if not events or events[-1].strip() != "data: [DONE]":
            return "no data: [DONE] at the end"
        finish = None
        for e in events[:-1]:
            for line in e.split("\n"):
                if line.startswith("data: "):
                    j = json.loads(line[6:])
                    if j["choices"] and j["choices"][0].get("finish_reason"):
                        finish = j["choices"][0]["finish_reason"]
        return "" if finish else "no finish_reason chunk"
    except (ValueError, KeyError, IndexError, TypeError) as e:
        return "malformed: %s" % e


class Client:
    def __init__(self, host, port, tally):
        self.host, self.port, self.t = host, port, tally
        self.idle = []  # (reader, writer) keep-alive connections

    def close_all(self):
        for _, w in self.idle:
            w.close()
        self.idle.clear()

    async def exchange(self, payload, conn, reused):
        reader, writer = conn
        writer.write(payload)
        await writer.drain()
        try:
            return await read_response(reader)
        except EOFError:
            if reused:
                raise Stale()
            raise

    async def one(self, k, due):
        t = self.t
        model, stream = MODELS[k % 2], (k // 2) % 2 == 0
        body = json.dumps({"model": model, "stream": stream, "max_tokens": MAX_TOKENS,
                           "messages": [{"role": "user", "content": "soak %d" % k}]}).encode()
        payload = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: %s:%d\r\ncontent-type: application/json\r\n"
                   b"content-length: %d\r\n\r\n" % (self.host.encode(), self.port, len(body))) + body
        start = time.monotonic()
        what = {"t": round(time.time(), 3), "model": model, "stream": stream}
        conn = None
        try:
            async with asyncio.timeout(ROUTE_TIMEOUT + GRACE):
                for attempt in (0, 1):
                    reused = bool(self.idle)
                    conn = self.idle.pop() if reused else await asyncio.open_connection(self.host, self.port)
                    try:
                        status, headers, resp, clean = await self.exchange(payload, conn, reused and attempt == 0)
                        break
                    except (Stale, ConnectionResetError, BrokenPipeError) as e:
                        conn[1].close()
                        conn = None
                        if reused and attempt == 0:
                            t.stale_retries += 1
                            continue
                        raise
        except TimeoutError:
            t.lost += 1
            t.lost_by["no answer in %.0f s" % (ROUTE_TIMEOUT + GRACE)] = t.lost_by.get(
                "no answer in %.0f s" % (ROUTE_TIMEOUT + GRACE), 0) + 1
            t.example("lost", dict(what, reason="timeout"))
            if conn:
                conn[1].close()
            return
        except (OSError, EOFError, ValueError, Stale) as e:
            reason = type(e).__name__
            t.lost += 1
            t.lost_by[reason] = t.lost_by.get(reason, 0) + 1
            t.example("lost", dict(what, reason="%s: %s" % (reason, e)))
            if conn:
                conn[1].close()
            return
        latency = time.monotonic() - start
        t.status[status] = t.status.get(status, 0) + 1
        keep = clean and headers.get("connection", "").lower() != "close" and "x-soak-unframed" not in headers
        if keep:
            self.idle.append(conn)
        else:
            conn[1].close()
        if status != 200:
            return
        kind = "stream" if stream else "plain"
        if not clean:
            t.cut += 1
            t.cut_by[kind] = t.cut_by.get(kind, 0) + 1
            t.example("cut", dict(what, bytes=len(resp), backend=headers.get("x-aigw-backend")))
            return
        missing = complete_answer(stream, resp)
        if missing:
            t.truncated += 1
            t.example("truncated", dict(what, missing=missing, backend=headers.get("x-aigw-backend"),
                                        tail=resp[-200:].decode("utf-8", "replace")))
            return
        t.ok[kind] += 1
        t.lat_ok.append(latency)


async def load(proxy, index, t0, seconds):
    u = urllib.parse.urlsplit(proxy)
    t = Tally()
    c = Client(u.hostname, u.port, t)
    tasks = set()
    n = 0
    loop = asyncio.get_running_loop()
    while True:
        due = t0 + (n * PROCS + index) / RATE
        if due >= t0 + seconds:
            break
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        t.max_lag = max(t.max_lag, time.monotonic() - due)
        task = loop.create_task(c.one(n * PROCS + index, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        t.sent += 1
        t.max_inflight = max(t.max_inflight, len(tasks))
        n += 1
    while tasks:
        await asyncio.gather(*list(tasks))
    c.close_all()
    await asyncio.sleep(0.1)
    return t


def worker(proxy, index, t0, seconds, out):
    t = asyncio.run(load(proxy, index, t0, seconds))
    t.lat_ok.sort()
    lat = t.lat_ok
    d = dict(t.__dict__)
    d["lat_ok"] = len(lat)
    d["p50"] = lat[len(lat) // 2] if lat else 0
    d["p99"] = lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else 0
    out.put((index, d))


def run_load(proxy, seconds, t0):
    """Runs PROCS load processes for SECONDS from T0, waits for every answer; merged tallies."""
    ctx = mp.get_context("spawn")  # not fork: this process runs threads (sampler, flapping)
    q = ctx.Queue()
    ps = [ctx.Process(target=worker, args=(proxy, i, t0, seconds, q)) for i in range(PROCS)]
    for p in ps:
        p.start()
    parts = [q.get()[1] for _ in ps]
    for p in ps:
        p.join()
    m = {"sent": 0, "status": {}, "ok": {"plain": 0, "stream": 0}, "cut": 0, "cut_by": {}, "truncated": 0,
         "lost": 0, "lost_by": {}, "stale_retries": 0, "max_lag": 0.0, "max_inflight": 0,
         "examples": {"lost": [], "truncated": [], "cut": []}, "p50": 0.0, "p99": 0.0}
    for d in parts:
        for k in ("sent", "cut", "truncated", "lost", "stale_retries", "max_inflight"):
            m[k] += d[k]
        m["max_lag"] = max(m["max_lag"], d["max_lag"])
        m["p50"], m["p99"] = max(m["p50"], d["p50"]), max(m["p99"], d["p99"])  # worst of the processes
        for k in ("status", "ok", "cut_by", "lost_by"):
            for kk, v in d[k].items():
                m[k][str(kk)] = m[k].get(str(kk), 0) + v
        for k in m["examples"]:
            m["examples"][k] += d["examples"][k][:EXAMPLES]
    return m


# ---------------------------------------------------------------------------------------------
# admin API, flapping, POST /config, and the gateway's figures


class Admin:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.failures = []  # (time, call, status, body)
        self.calls = 0

    def call(self, method, path, body=None, ctype="application/json", expect=(200,)):
        self.calls += 1
        try:
            c = http.client.HTTPConnection(self.host, self.port, timeout=60)
            headers = {"content-type": ctype} if method != "GET" else {}
            c.request(method, path, body, headers)
            r = c.getresponse()
            data = r.read()
            c.close()
        except OSError as e:
            self.failures.append((round(time.time(), 3), method + " " + path, 0, str(e)))
            return 0, b""
        if r.status not in expect:
            self.failures.append((round(time.time(), 3), method + " " + path, r.status, data[:300].decode("utf-8", "replace")))
        return r.status, data


# One step every few seconds: a fault on one server for HOLD seconds, then undone, GAP seconds of
# calm; the servers take turns, so each route sees each kind of fault on its primary too.
HOLD, GAP = 3.0, 2.0
STEPS = [
    ("stop", "qwen-primary"), ("503", "qwen-secondary"), ("hang", "qwen-tertiary"),
    ("blackhole", "qwen-primary"), ("cut", "qwen-secondary"), ("stop", "qwen-tertiary"),
    ("503", "qwen-primary"), ("hang", "qwen-primary"), ("blackhole", "qwen-secondary"),
    ("cut", "qwen-primary"), ("stop", "qwen-secondary"), ("503", "qwen-tertiary"),
    ("hang", "qwen-secondary"), ("blackhole", "qwen-tertiary"), ("cut", "qwen-tertiary"),
]
FAULTS = {"503": {"errorStatus": 503}, "hang": {"hang": True}, "blackhole": {"blackhole": True},
          "cut": {"cutAfterTokens": 3}}


def start_server(admin, name):
    """POST start until the server is running again (a stop may still be finishing: 409)."""
    for _ in range(100):
        st, _ = admin.call("POST", "/servers/%s/start" % name, expect=(200, 409))
        if st == 200:
            return True
        time.sleep(0.1)
    return False


def flapper(admin, stop_at, stop_ev, done):
    i = 0
    while time.monotonic() < stop_at and not stop_ev.is_set():
        kind, name = STEPS[i % len(STEPS)]
        if kind == "stop":
            admin.call("POST", "/servers/%s/stop" % name)
        else:
            admin.call("POST", "/servers/%s/fault" % name, json.dumps(FAULTS[kind]))
        done[kind] = done.get(kind, 0) + 1
        stop_ev.wait(HOLD)
        if kind == "stop":
            start_server(admin, name)
        else:
            admin.call("DELETE", "/servers/%s/fault" % name)
        stop_ev.wait(GAP)
        i += 1


def reposter(admin, stop_at, stop_ev, posts):
    while not stop_ev.wait(60) and time.monotonic() < stop_at:
        st, dump = admin.call("GET", "/config_dump")
        if st != 200:
            continue
        t = time.monotonic()
        st, _ = admin.call("POST", "/config", dump, "application/yaml")
        posts.append((st, round(1000 * (time.monotonic() - t))))


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def stat_of(pid):
    """(ppid, state, starttime) from /proc/PID/stat, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    return int(rest[1]), rest[0], rest[19]


class Sampler(threading.Thread):
    """Every second: RSS and open fds of the gateway, and its child processes (pid, start time)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.children = {}  # pid -> (starttime, cmdline)
        self.max_children = 0
        self.max_fds = 0
        self.max_rss = 0
        self.stop_ev = threading.Event()

    def scan(self):
        alive = 0
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            st = stat_of(int(d))
            if st and st[0] == self.pid:
                if st[1] != "Z":
                    alive += 1
                if int(d) not in self.children:
                    try:
                        with open("/proc/%s/cmdline" % d, "rb") as f:
                            cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
                    except OSError:
                        cmd = "?"
                    self.children[int(d)] = (st[2], cmd)
        self.max_children = max(self.max_children, alive)
        return alive

    def run(self):
        n = 0
        while not self.stop_ev.wait(1.0):
            n += 1
            try:
                rss, nfd = proc_status(self.pid, "VmRSS"), fds(self.pid)
                self.max_rss = max(self.max_rss, rss)
                self.max_fds = max(self.max_fds, nfd)
                alive = self.scan()
            except OSError:
                return
            if n % 60 == 0:  # progress, under load (the start and end figures are taken idle)
                log("%3d min: RSS %.1f MiB, %d fds, %d children" % (n // 60, rss / 1024, nfd, alive))


def tcp_sockets():
    """inode -> (local port, remote port, state) of every TCP socket on the machine."""
    out = {}
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                next(f)
                for line in f:
                    x = line.split()
                    out[x[9]] = (int(x[1].rsplit(":", 1)[1], 16), int(x[2].rsplit(":", 1)[1], 16), x[3])
        except OSError:
            pass
    return out


def fd_kinds(pid, proxy_port, admin_port, server_ports):
    """The gateway's fds by kind; TCP sockets as listen / client (on the proxy or admin port) /
    upstream (to a model server's current port) / other tcp."""
    kinds, tcp = {}, tcp_sockets()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        kind = target.split(":")[0] if ":" in target and not target.startswith("/") else "file"
        if kind == "socket":
            t = tcp.get(target[8:-1])
            if t is None:
                kind = "socket"
            elif t[2] == "0A":
                kind = "listen"
            elif t[0] in (proxy_port, admin_port):
                kind = "client"
            elif t[1] in server_ports:
                kind = "upstream"
            else:
                kind = "other tcp"
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def settle(pid, sampler, proxy, admin):
    """Figures of the idle gateway (every answer in, client connections closed)."""
    time.sleep(2)
    st, data = admin.call("GET", "/servers")
    ports = {s["port"] for s in json.loads(data)} if st == 200 else set()
    return {"rss_kib": proc_status(pid, "VmRSS"), "fds": fds(pid),
            "fd_kinds": fd_kinds(pid, urllib.parse.urlsplit(proxy).port, admin.port, ports),
            "children": sampler.scan()}


def servers_state(admin):
    st, data = admin.call("GET", "/servers")
    if st != 200:
        return "GET /servers failed"
    return ", ".join("%s %s%s" % (s["name"], s["state"], (" (" + s["fault"] + ")") if s.get("fault") else "")
                     for s in json.loads(data))


def phase(proxy, admin, seconds, post_config):
    t0 = time.monotonic() + 1.5  # the load processes start meanwhile
    stop_ev = threading.Event()
    done, posts = {}, []
    # The last step starts HOLD s before the end: undone within the phase.
    threads = [threading.Thread(target=flapper, args=(admin, t0 + seconds - HOLD, stop_ev, done))]
    if post_config:
        threads.append(threading.Thread(target=reposter, args=(admin, t0 + seconds, stop_ev, posts)))
    for th in threads:
        th.start()
    tally = run_load(proxy, seconds, t0)
    stop_ev.set()
    for th in threads:
        th.join()
    tally["seconds"] = seconds
    tally["rate"] = tally["sent"] / seconds
    tally["flaps"] = done
    tally["posts"] = posts
    return tally


def run(proxy, admin_url, pid, minutes, state_file):
    admin = Admin(admin_url)
    sampler = Sampler(pid)
    sampler.scan()
    sampler.start()
    for name in SERVERS:
        admin.call("DELETE", "/servers/%s/fault" % name)
    log("warm-up: %.0f s at %.0f req/s with the servers flapping" % (WARMUP, RATE))
    warm = phase(proxy, admin, WARMUP, False)
    start = settle(pid, sampler, proxy, admin)
    log("warm-up done: %d sent, %d lost; RSS %.1f MiB, %d fds (%s), %d children (%s)" % (
        warm["sent"], warm["lost"], start["rss_kib"] / 1024, start["fds"], start["fd_kinds"], start["children"],
        servers_state(admin)))
    log("soak: %g min at %.0f req/s (%d load processes), flapping every %.0f s, POST /config every 60 s" % (
        minutes, RATE, PROCS, HOLD + GAP))
    soak = phase(proxy, admin, 60 * minutes, True)
    servers = servers_state(admin)
    end = settle(pid, sampler, proxy, admin)
    sampler.stop_ev.set()
    sampler.join()
    state = {"pid": pid, "minutes": minutes, "warm": warm, "soak": soak, "start": start, "end": end,
             "servers_end": servers, "rss_peak_kib": max(sampler.max_rss, proc_status(pid, "VmHWM")),
             "rss_max_sampled_kib": sampler.max_rss, "fds_max": sampler.max_fds,
             "max_children": sampler.max_children,
             "children": {str(k): v for k, v in sampler.children.items()},
             "admin_calls": admin.calls, "admin_failures": admin.failures}
    with open(state_file, "w") as f:
        json.dump(state, f)
    log("soak done: %d sent (%.1f req/s); RSS %.1f MiB, %d fds (%s); servers: %s" % (
        soak["sent"], soak["rate"], end["rss_kib"] / 1024, end["fds"], end["fd_kinds"], servers))


# ---------------------------------------------------------------------------------------------
# after SIGTERM


def finish(state_file, exit_status, exit_seconds):
    s = json.load(open(state_file))
    # Children seen during the run that still run (same pid and start time, not a zombie).
    deadline = time.monotonic() + 5
    while True:
        left = []
        for pid, (start, cmd) in s["children"].items():
            st = stat_of(int(pid))
            if st and st[2] == start and st[1] != "Z":
                left.append("%s %s" % (pid, cmd))
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    w, k = s["warm"], s["soak"]
    tot = {key: w[key] + k[key] for key in ("sent", "lost", "cut", "truncated", "stale_retries")}
    statuses = {}
    for part in (w, k):
        for st, n in part["status"].items():
            statuses[st] = statuses.get(st, 0) + n
    answered = tot["sent"] - tot["lost"]
    rss0, rssp, rss1 = s["start"]["rss_kib"] / 1024, s["rss_peak_kib"] / 1024, s["end"]["rss_kib"] / 1024
    fd0, fd1 = s["start"]["fds"], s["end"]["fds"]
    posts = k["posts"]
    print("soak: load %.1f req/s achieved over the soak (target %.0f; latest send %.0f ms after due, "
          "at most %d requests in flight); 200 p50 %.0f ms, p99 %.0f ms" % (
              k["rate"], RATE, 1000 * max(w["max_lag"], k["max_lag"]), max(w["max_inflight"], k["max_inflight"]),
              1000 * k["p50"], 1000 * k["p99"]))
    print("soak: flapping: %s; POST /config: %d (statuses %s, %s ms)" % (
        ", ".join("%s %d" % kv for kv in sorted(k["flaps"].items())) or "none", len(posts),
        ",".join(sorted({str(p[0]) for p in posts})) or "-", "/".join(str(p[1]) for p in posts) or "-"))
    cut_by = {}
    for part in (w, k):
        for x, n in part["cut_by"].items():
            cut_by[x] = cut_by.get(x, 0) + n
    print("soak: 200s complete: %d plain, %d streamed; 200 cut mid-body (the client sees the cut): %s; "
          "stale keep-alive retries %d; admin calls %d, failed %d" % (
              w["ok"]["plain"] + k["ok"]["plain"], w["ok"]["stream"] + k["ok"]["stream"],
              ", ".join("%s %d" % kv for kv in sorted(cut_by.items())) or "0",
              tot["stale_retries"], s["admin_calls"], len(s["admin_failures"])))
    for f in s["admin_failures"][:10]:
        print("soak:   admin failure: %s" % (f,))
    for kind in ("lost", "truncated"):
        for e in (w["examples"][kind] + k["examples"][kind])[:EXAMPLES]:
            print("soak:   %s: %s" % (kind, json.dumps(e)))
    if tot["lost"]:
        lb = {}
        for part in (w, k):
            for r, n in part["lost_by"].items():
                lb[r] = lb.get(r, 0) + n
        print("soak:   lost by reason: %s" % lb)
    print("soak: children of the gateway: %d seen, at most %d at once, %d at the end before SIGTERM; "
          "servers at the end: %s" % (len(s["children"]), s["max_children"], s["end"]["children"], s["servers_end"]))
    for l in left:
        print("soak:   left running after exit: %s" % l)
    fails = []
    if tot["lost"]:
        fails.append("lost")
    if tot["truncated"]:
        fails.append("truncated")
    if rss1 > RSS_FACTOR * rss0:
        fails.append("RSS")
    if fd1 > fd0 + FD_TOLERANCE:
        fails.append("fds")
    if left:
        fails.append("orphans")
    if exit_status != 0:
        fails.append("gateway exit %d" % exit_status)
    by_status = ", ".join("%s: %d" % (st, n) for st, n in sorted(statuses.items()))
    print("soak: %g min + %.0f s warm-up at %.0f req/s: sent %d, answered %d (%s), lost %d, truncated successes %d, "
          "200 cut %d; RSS %.1f / %.1f / %.1f MiB (start/peak/end, end <= %.1fx start), fds %d / %d (start/end, +%d allowed), "
          "children left after exit %d (SIGTERM -> exit %d in %.1f s) -> %s" % (
              s["minutes"], w["seconds"], RATE, tot["sent"], answered, by_status, tot["lost"], tot["truncated"],
              tot["cut"], rss0, rssp, rss1, RSS_FACTOR, fd0, fd1, FD_TOLERANCE, len(left), exit_status,
              exit_seconds, "PASS" if not fails else "FAIL (" + ", ".join(fails) + ")"))
    return 0 if not fails else 1


if __name__ == "__main__":
    if len(sys.argv) == 7 and sys.argv[1] == "run":
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    elif len(sys.argv) == 5 and sys.argv[1] == "finish":
        sys.exit(finish(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
    else:
        sys.exit(__doc__)
