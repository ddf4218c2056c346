#!/usr/bin/env bash
# Plain QR-code polls against the floor: qblog's `GET /api/qrcode/check` (one code,
# no wait) and the baseline — the smallest poem server answering one Redis GET as
# JSON (bench/baseline) — measured in one run, alternating rounds, same Redis, same
# payload. Prints each round (with the CPU time each server and Redis spent per
# request answered), the medians and the ratio.
#
#   bash bench/check-vs-baseline.sh
#
#   ROUNDS=3 DURATION=8s CONNECTIONS=64 THREADS=1   (defaults; DURATION in seconds)
#   BENCH_LOG=off    qblog without its access log (default: production logging)
#   REDIS_URL=…      another Redis (default redis://127.0.0.1:6379)
#
# Needs: wrk, redis-cli, python3 (Redis's CPU is read from /proc: a Redis on this
# machine); builds both servers in release mode. The check rate limit is raised so
# that every poll is answered (the counter is still counted).
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

# Where the two cores go: each server's CPU and Redis's, per request answered.
redis_pid=$(redis-cli -u "$redis_url" INFO server | tr -d '\r' | awk -F: '/^process_id:/ {print $2}')
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Runs wrk against a URL served by process $1; prints "rate server-µs/req redis-µs/req".
measure() {
  local pid=$1; shift
  local s0 r0 rate s1 r1
  s0=$(cpu_ticks "$pid"); r0=$(cpu_ticks "$redis_pid")
  rate=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "$@" \
    | awk '/^Requests\/sec/ {print $2}')
  s1=$(cpu_ticks "$pid"); r1=$(cpu_ticks "$redis_pid")
  python3 -c "import sys; r,a,b,c,d,hz,secs=map(float,sys.argv[1:]); n=r*secs
print(f'{r:.0f} {(b-a)/hz/n*1e6:.1f} {(d-c)/hz/n*1e6:.1f}')" \
    "$rate" "$s0" "$s1" "$r0" "$r1" "$hz" "${duration%s}"
}
qblog_rates=()
baseline_rates=()
echo "== $rounds rounds of $duration, $connections connections, $threads wrk thread(s)"
echo "   (CPU: user + system time of the server and of redis-server, per request)"
for round in $(seq 1 "$rounds"); do
  read -r q qcpu qredis < <(measure "$server" -H "X-Poll-Token: $token" "$base/api/qrcode/check?id=$id")
  read -r b bcpu bredis < <(measure "$baseline" "http://127.0.0.1:$baseline_port/get")
  qblog_rates+=("$q")
  baseline_rates+=("$b")
  printf 'round %d: qblog check %8.0f req/s (CPU %5.1f µs, redis %4.1f µs)   baseline %8.0f req/s (CPU %5.1f µs, redis %4.1f µs)\n' \
    "$round" "$q" "$qcpu" "$qredis" "$b" "$bcpu" "$bredis"
done
python3 - "${qblog_rates[*]}" "${baseline_rates[*]}" <<'PY'
import statistics, sys
q = statistics.median(map(float, sys.argv[1].split()))
b = statistics.median(map(float, sys.argv[2].split()))
print(f"median: qblog check {q:,.0f} req/s, baseline {b:,.0f} req/s, ratio {q / b:.2f}")
PY
grep -c '"GET /api/qrcode/check' "$scratch/logs/access.log" 2>/dev/null \
  | sed 's/^/access-log lines written: /' || echo "access log: off"
