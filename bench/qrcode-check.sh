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
python3 bench/longpoll.py "$port" "/api/qrcode/check?id=$id&token=$token&since=unscanned&wait=30" \
  "$longpolls" "$server"
