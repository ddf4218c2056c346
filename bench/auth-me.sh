#!/usr/bin/env bash
# Benchmark: GET /api/user/me with a session cookie and with a bearer token, and the
# p99 of /me while 20 logins per second run alongside.
#
#   bash bench/auth-me.sh [embedded|redis]     (default: redis at 127.0.0.1:6379)
#
# Needs: wrk (apt-get install wrk), python3, a release build (made here).
# Results go to stdout; docs/perf.md records them with the machine they came from.
set -euo pipefail
cd "$(dirname "$0")/.."
store=${1:-redis}
duration=${DURATION:-15s}
connections=${CONNECTIONS:-64}

source bench/lib.sh
start_qblog "$store" APP__AUTH__MAX_FAILED_LOGINS=1000000 APP__AUTH__MAX_FAILED_LOGINS_PER_IP=1000000

curl -fsS -o /dev/null -H 'content-type: application/json' \
  -d '{"username":"bench","password":"bench-password","realname":"Bench"}' "$base/api/user/register"
login=$(curl -fsS -D "$scratch/headers" -H 'content-type: application/json' \
  -d '{"username":"bench","password":"bench-password"}' "$base/api/user/login")
sid=$(grep -i '^set-cookie: sid=' "$scratch/headers" | sed -E 's/^[^=]*=([0-9a-f]+).*/\1/')
token=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["data"]["token"])' "$login")

echo "== store: $store, $connections connections, $duration each"
echo "-- /api/user/me with the session cookie"
wrk -t2 -c"$connections" -d"$duration" --latency -H "Cookie: sid=$sid" "$base/api/user/me" \
  | grep -E 'Requests/sec|Latency  |50%|99%|Non-2xx'
echo "-- /api/user/me with the bearer token"
wrk -t2 -c"$connections" -d"$duration" --latency -H "Authorization: Bearer $token" "$base/api/user/me" \
  | grep -E 'Requests/sec|Latency  |50%|99%|Non-2xx'

echo "-- /api/user/me (cookie) while 20 logins/s run"
python3 - "$base" "${duration%s}" >"$scratch/logins.txt" <<'PY' &
import json, sys, threading, time, urllib.request
base, seconds = sys.argv[1], float(sys.argv[2])
body = json.dumps({"username": "bench", "password": "bench-password"}).encode()
ok = 0
def login():
    global ok
    req = urllib.request.Request(base + "/api/user/login", data=body,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req) as r:
        if r.status == 200:
            ok += 1
start = time.time()
threads = []
while time.time() - start < seconds:
    t = threading.Thread(target=login); t.start(); threads.append(t)
    time.sleep(0.05)
for t in threads: t.join()
print(f"logins: {ok} in {seconds:.0f}s ({ok/seconds:.1f}/s)")
PY
logins=$!
wrk -t2 -c"$connections" -d"$duration" --latency -H "Cookie: sid=$sid" "$base/api/user/me" \
  | grep -E 'Requests/sec|Latency  |50%|99%|Non-2xx'
wait $logins
cat "$scratch/logins.txt"
