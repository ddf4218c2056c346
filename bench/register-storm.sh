#!/usr/bin/env bash
# Drill: clients that send POST /api/user/register and hang up 3 ms later, as fast as
# they can, while the process's threads and memory are sampled and a login is timed.
#
#   bash bench/register-storm.sh          (CLIENTS=8 SECONDS_EACH=2 by default)
#
# Runs twice: with auth.register_per_minute raised out of the way (only the hashing
# limit holds, auth.hash_concurrency=1), then with the default registration limit.
# Each new username is unique, so every registration that gets through hashes.
# Prints the peak thread count and resident memory, and the slowest login.
# Needs: python3, a release build (made here, or QBLOG_BIN=…).
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${CLIENTS:-8}
seconds=${SECONDS_EACH:-2}

storm() {
  python3 - "$base" "$server" "$clients" "$seconds" <<'PY'
import http.client, json, socket, sys, threading, time, urllib.parse, uuid

base, pid, clients, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
url = urllib.parse.urlparse(base)

def post(path, body):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    conn.request("POST", path, body=json.dumps(body), headers={"content-type": "application/json"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status

post("/api/user/register", {"username": "patient", "password": "patient-password", "realname": "P"})

def status():
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return int(fields["Threads"]), int(fields["VmRSS"].split()[0]) / 1024

stop = threading.Event()
sent = [0]
def impatient():
    while not stop.is_set():
        body = json.dumps({"username": "u" + uuid.uuid4().hex[:20], "password": "storm-password-1",
                           "realname": "Storm"}).encode()
        s = socket.create_connection((url.hostname, url.port))
        s.sendall(b"POST /api/user/register HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                  + f"content-length: {len(body)}\r\n\r\n".encode() + body)
        time.sleep(0.003)
        s.close()
        sent[0] += 1

peak = {"threads": 0, "rss": 0.0}
def sample():
    while not stop.is_set():
        threads, rss = status()
        peak["threads"] = max(peak["threads"], threads)
        peak["rss"] = max(peak["rss"], rss)
        time.sleep(0.02)

logins = []
def login():
    while not stop.is_set():
        started = time.perf_counter()
        post("/api/user/login", {"username": "patient", "password": "patient-password"})
        logins.append(time.perf_counter() - started)
        time.sleep(0.2)

before = status()
threads = [threading.Thread(target=impatient) for _ in range(clients)]
threads += [threading.Thread(target=sample), threading.Thread(target=login)]
for t in threads: t.start()
time.sleep(seconds)
stop.set()
for t in threads: t.join()
time.sleep(1)
after = status()
print(f"  {sent[0]} registrations sent and abandoned by {clients} clients in {seconds:.0f} s")
print(f"  threads: {before[0]} before, peak {peak['threads']}, {after[0]} 1 s after")
print(f"  resident: {before[1]:.0f} MiB before, peak {peak['rss']:.0f} MiB, {after[1]:.0f} MiB 1 s after")
print(f"  logins meanwhile: {len(logins)}, slowest {max(logins)*1000:.0f} ms")
PY
}

source bench/lib.sh
echo "== auth.hash_concurrency=1, registration limit out of the way"
start_qblog embedded APP__AUTH__HASH_CONCURRENCY=1 APP__AUTH__REGISTER_PER_MINUTE=1000000
storm
kill "$server"; wait "$server" 2>/dev/null || true
echo "== auth.hash_concurrency=1, default registration limit (10 per client IP per minute)"
start_qblog embedded APP__AUTH__HASH_CONCURRENCY=1
storm
