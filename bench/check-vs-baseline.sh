#!/usr/bin/env bash
# Plain QR-code polls against the floor: qblog's `GET /api/qrcode/check` (one code,
# no wait) and the baseline — the smallest poem server answering one Redis GET as
# JSON (bench/baseline) — measured in one run, alternating rounds, same Redis, same
# payload. Prints each round, the medians and the ratio.
#
#   bash bench/check-vs-baseline.sh
#
#   ROUNDS=3 DURATION=8s CONNECTIONS=64 THREADS=1   (defaults)
#   BENCH_LOG=off    qblog without its access log (default: production logging)
#   REDIS_URL=…      another Redis (default redis://127.0.0.1:6379)
#
# Needs: wrk, redis-cli, python3; builds both servers in release mode. The check rate
# limit is raised so that every poll is answered (the counter is still counted).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
duration=${DURATION:-8s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-1}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379}

cargo build --release --quiet -p qblog-bench-baseline
baseline_bin=$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd -P)/qblog-bench-baseline
source bench/lib.sh
start_qblog redis APP__QRCODE__CHECK_PER_MINUTE=1000000000 \
  APP__QRCODE__GENERATE_PER_MINUTE=1000000000 APP__QRCODE__TTL_SECS=3600

generated=$(curl -fsS -X POST "$base/api/qrcode/generate")
read -r id token < <(python3 -c 'import json,sys; d=json.loads(sys.argv[1])["data"]; print(d["qrcode_id"], d["poll_token"])' "$generated")
# The baseline reads a copy of the very record qblog reads.
record_key="qblog-bench-$$:qrcode:$id"
baseline_key="qblog-bench-$$:baseline"
redis-cli -u "$redis_url" --raw GET "$record_key" | head -c -1 \
  | redis-cli -u "$redis_url" -x SET "$baseline_key" >/dev/null
baseline_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PORT=$baseline_port REDIS_URL=$redis_url KEY=$baseline_key "$baseline_bin" &
baseline=$!
trap 'kill $server $baseline 2>/dev/null || true; redis-cli -u "$redis_url" DEL "$baseline_key" >/dev/null; rm -rf "$scratch"' EXIT
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$baseline_port/get" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$baseline_port/get" | head -c 80; echo " …"
curl -fsS -H "X-Poll-Token: $token" "$base/api/qrcode/check?id=$id" | head -c 80; echo " …"

rate() {
  wrk -t"$threads" -c"$connections" -d"$duration" "$@" | awk '/Requests\/sec/ {print $2}'
}
qblog_rates=()
baseline_rates=()
echo "== $rounds rounds of $duration, $connections connections, $threads wrk thread(s)"
for round in $(seq 1 "$rounds"); do
  q=$(rate -H "X-Poll-Token: $token" "$base/api/qrcode/check?id=$id")
  b=$(rate "http://127.0.0.1:$baseline_port/get")
  qblog_rates+=("$q")
  baseline_rates+=("$b")
  printf 'round %d: qblog check %10.0f req/s   baseline %10.0f req/s\n' "$round" "$q" "$b"
done
python3 - "${qblog_rates[*]}" "${baseline_rates[*]}" <<'PY'
import statistics, sys
q = statistics.median(map(float, sys.argv[1].split()))
b = statistics.median(map(float, sys.argv[2].split()))
print(f"median: qblog check {q:,.0f} req/s, baseline {b:,.0f} req/s, ratio {q / b:.2f}")
PY
grep -c '"GET /api/qrcode/check' "$scratch/logs/access.log" 2>/dev/null \
  | sed 's/^/access-log lines written: /' || echo "access log: off"
