#!/usr/bin/env python3
"""The client side of bench/config_apply.sh (see there): open-loop load on the probe route while
configs are posted and a backendRef is edited, ROUNDS times; prints one JSON line of figures.

    config_apply_load.py PROXY_URL ADMIN_URL INITIAL_YAML POSTED_YAML RATE ROUNDS
"""
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse

proxy, admin, initial, posted = sys.argv[1:5]
rate, rounds = float(sys.argv[5]), int(sys.argv[6])
P, A = urllib.parse.urlsplit(proxy), urllib.parse.urlsplit(admin)
CONNS = 4
samples = []  # (due, latency, status) of each proxied request
lock = threading.Lock()
stop = threading.Event()
t0 = time.monotonic() + 0.2


def chat(model, tokens):
    return json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": tokens})


def worker(k):
    # Request n of connection k is due at t0 + (n * CONNS + k) / rate; its latency counts from then,
    # so a stall shows in every request it delays, not only in the one in flight.
    body = chat("probe", 4)
    c = http.client.HTTPConnection(P.hostname, P.port, timeout=30)
    n = 0
    while not stop.is_set():
        due = t0 + (n * CONNS + k) / rate
        n += 1
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            c.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
            r = c.getresponse()
            r.read()
            status = r.status
        except OSError:
            c.close()
            c = http.client.HTTPConnection(P.hostname, P.port, timeout=30)
            status = 0
        with lock:
            samples.append((due, time.monotonic() - due, status))


def call(path, body, ctype):
    c = http.client.HTTPConnection(A.hostname, A.port, timeout=120)
    start = time.monotonic()
    c.request("POST", path, body, {"content-type": ctype})
    r = c.getresponse()
    r.read()
    return start, time.monotonic(), r.status


def serves(model, status, start):
    """When MODEL answers STATUS through the proxy (the new config serves), polled every 2 ms."""
    c = http.client.HTTPConnection(P.hostname, P.port, timeout=30)
    body = chat(model, 1)
    while time.monotonic() - start < 120:
        c.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
        r = c.getresponse()
        r.read()
        if r.status == status:
            return time.monotonic()
        time.sleep(0.002)
    return float("inf")


def window(spans):
    """p50, p99, max (ms), count and non-200 count of the requests due within any of `spans`."""
    inside = [(lat, st) for due, lat, st in samples if any(lo <= due < hi for lo, hi in spans)]
    xs = sorted(lat for lat, _ in inside)
    if not xs:
        return ["-", "-", "-", 0, 0]
    q = lambda f: "%.1f" % (1000 * xs[min(len(xs) - 1, int(f * (len(xs) - 1) + 0.5))])
    return [q(0.5), q(0.99), "%.1f" % (1000 * xs[-1]), len(xs), sum(1 for _, st in inside if st != 200)]


threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(CONNS)]
for t in threads:
    t.start()
time.sleep(1.2)
idle = [(time.monotonic() - 1.0, time.monotonic())]
bodies = {}
for name in (initial, posted):
    with open(name, "rb") as f:
        bodies[name] = f.read()
posts, serve, edits, post_spans, edit_spans, statuses = [], [], [], [], [], set()
for r in range(rounds):
    # POSTED adds the route of probe-2, INITIAL removes it again: each POST changes what serves.
    for name, status in ((posted, 200), (initial, 404)):
        start, end, st = call("/config", bodies[name], "application/yaml")
        statuses.add(st)
        done = serves("probe-2", status, start)
        posts.append(end - start)
        serve.append(done - start)
        post_spans.append((start, max(end, done)))
        time.sleep(0.3)
    edit = json.dumps({"route": "team-0/llm-route-0", "rule": 0, "ref": 0, "weight": 50 + r})
    start, end, st = call("/backend_refs", edit, "application/json")
    statuses.add(st)
    edits.append(end - start)
    edit_spans.append((start, end))
    time.sleep(0.3)
stop.set()
for t in threads:
    t.join()
ms = lambda xs: round(1000 * statistics.median(xs))
print(json.dumps({"post_ms": ms(posts), "post_max_ms": round(1000 * max(posts)), "serves_ms": ms(serve),
                  "edit_ms": ms(edits), "ok": statuses == {200}, "idle": window(idle),
                  "during_post": window(post_spans), "during_edit": window(edit_spans)}))
