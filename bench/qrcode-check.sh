#!/usr/bin/env bash
# Benchmark: plain QR-code `check` polls (no wait) at 64 connections, and 10,000
# concurrent long-polls (`wait=30`) with the server's resident memory measured while
# they wait.
#
#   bash bench/qrcode-check.sh [redis|embedded]     (default: redis at 127.0.0.1:6379)
#
# Needs: wrk (apt-get install wrk), python3, a release build (made here). The check
# rate limit is raised for the run: the point is the poll's own cost.
set -euo pipefail
cd "$(dirname "$0")/.."
store=${1:-redis}
duration=${DURATION:-15s}
connections=${CONNECTIONS:-64}
longpolls=${LONGPOLLS:-10000}

ulimit -n "$(ulimit -Hn)"
source bench/lib.sh
start_qblog "$store" APP__QRCODE__CHECK_PER_MINUTE=1000000000 APP__QRCODE__GENERATE_PER_MINUTE=1000000000 APP__QRCODE__TTL_SECS=600

generated=$(curl -fsS -X POST "$base/api/qrcode/generate")
id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["data"]["qrcode_id"])' "$generated")
token=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["data"]["poll_token"])' "$generated")

echo "== store: $store"
echo "-- plain check polls, $connections connections, $duration"
wrk -t2 -c"$connections" -d"$duration" --latency "$base/api/qrcode/check?id=$id&token=$token" \
  | grep -E 'Requests/sec|Latency  |50%|90%|99%|Non-2xx'

echo "-- $longpolls concurrent long-polls (wait=30)"
rss_before=$(awk '/VmRSS/ {print $2}' /proc/$server/status)
python3 - "$port" "$id" "$token" "$longpolls" "$server" "$rss_before" <<'PY'
import asyncio, sys
port, qid, token, count, pid, rss_before = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
request = (f"GET /api/qrcode/check?id={qid}&token={token}&since=unscanned&wait=30 HTTP/1.1\r\n"
           f"Host: 127.0.0.1\r\n\r\n").encode()

def rss_kib():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])

async def one(results):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n")
    results.append(head.split()[1].decode())
    writer.close()

async def main():
    results = []
    tasks = []
    for i in range(count):
        tasks.append(asyncio.create_task(one(results)))
        if i % 500 == 0:
            await asyncio.sleep(0.05)
    await asyncio.sleep(5)  # all waiting now
    peak = rss_kib()
    print(f"waiting long-polls: {count - len(results)} of {count}; server RSS {rss_before / 1024:.1f} MiB idle, "
          f"{peak / 1024:.1f} MiB with them waiting")
    await asyncio.gather(*tasks)
    statuses = {s: results.count(s) for s in set(results)}
    print(f"answers after the wait: {statuses}")

asyncio.run(main())
PY
