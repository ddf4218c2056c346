#!/usr/bin/env bash
# Drill: hostile HTML bodies from a few clients while a probe times /health/live.
#
#   bash bench/hostile-html.sh            (CLIENTS=4 SECONDS=20 by default)
#
# Each client loops on POST /api/blog/update?id=999999999 (a blog that does not exist:
# the body is parsed and sanitised before the service looks) with one of:
#   deep      <div> x 20,000: nesting that made the sanitiser quadratic (refused now)
#   legal     the most expensive body still accepted: 100,000 characters nesting
#             100 deep throughout
#   bold      unclosed <b a=N> tags, each one different (defeats the parser's
#             "three of a kind" rule)
# A probe calls /health/live every 50 ms throughout. Prints, per payload, the bodies
# sent, their answers and client-side latency, and the probe's p50 / p99 / max.
# Needs: python3, a release build (made here, or QBLOG_BIN=…).
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${CLIENTS:-4}
seconds=${SECONDS_EACH:-20}

source bench/lib.sh
start_qblog embedded
curl -fsS -o /dev/null -H 'content-type: application/json' \
  -d '{"username":"hostile","password":"hostile-password","realname":"H"}' "$base/api/user/register"
token=$(curl -fsS -H 'content-type: application/json' \
  -d '{"username":"hostile","password":"hostile-password"}' "$base/api/user/login" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["token"])')

python3 - "$base" "$token" "$clients" "$seconds" <<'PY'
import http.client, json, statistics, sys, threading, time, urllib.parse

base, token, clients, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
host = urllib.parse.urlparse(base)
unit = "<div>" * 100 + "x" + "</div>" * 100
payloads = {
    "deep": "<div>" * 20_000,
    "legal": unit * (100_000 // len(unit)),
    "bold": "".join(f"<b a={i}>x" for i in range(99)) + "y" * 98_000,
}

def connect():
    return http.client.HTTPConnection(host.hostname, host.port, timeout=600)

def attack(body, stop, results):
    conn = connect()
    data = json.dumps({"title": "t", "content": body}).encode()
    while not stop.is_set():
        started = time.perf_counter()
        try:
            conn.request("POST", "/api/blog/update?id=999999999", body=data,
                         headers={"content-type": "application/json",
                                  "authorization": f"Bearer {token}"})
            response = conn.getresponse()
            response.read()
            results.append((response.status, time.perf_counter() - started))
        except Exception as err:
            results.append((repr(err), time.perf_counter() - started))
            conn = connect()

def probe(stop, latencies):
    conn = connect()
    while not stop.is_set():
        started = time.perf_counter()
        conn.request("GET", "/health/live")
        conn.getresponse().read()
        latencies.append(time.perf_counter() - started)
        time.sleep(0.05)

def ms(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000

quiet = []
stop = threading.Event()
t = threading.Thread(target=probe, args=(stop, quiet)); t.start()
time.sleep(3); stop.set(); t.join()
print(f"probe alone: {len(quiet)} calls, p50 {ms(quiet, .5):.2f} ms, p99 {ms(quiet, .99):.2f} ms, max {max(quiet)*1000:.2f} ms")

for name, body in payloads.items():
    stop = threading.Event()
    results, latencies = [], []
    threads = [threading.Thread(target=attack, args=(body, stop, results)) for _ in range(clients)]
    prober = threading.Thread(target=probe, args=(stop, latencies))
    for th in threads + [prober]:
        th.start()
    time.sleep(seconds)
    stop.set()
    for th in threads + [prober]:
        th.join()
    statuses = {}
    for status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    durations = [d for _, d in results]
    print(f"{name:6} ({len(body):,} chars) x {clients} clients, {seconds:.0f} s: "
          f"{len(results)} bodies, answers {statuses}, "
          f"median {statistics.median(durations)*1000:.1f} ms each; "
          f"/health/live p50 {ms(latencies, .5):.2f} ms, p99 {ms(latencies, .99):.2f} ms, "
          f"max {max(latencies)*1000:.2f} ms ({len(latencies)} probes)")
PY
