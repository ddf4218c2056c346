#!/usr/bin/env bash
# Benchmark: the framework's own memory floor for waiting requests. Holds 10,000
# requests open against crates/server/examples/longpoll_floor.rs (a bare poem server
# whose one route sleeps 30 s) and reports its resident memory, for comparison with
# qblog's long-polls in bench/qrcode-check.sh.
#
#   bash bench/longpoll-floor.sh
#
# Needs: python3, a release build of the example (made here).
set -euo pipefail
cd "$(dirname "$0")/.."
longpolls=${LONGPOLLS:-10000}

ulimit -n "$(ulimit -Hn)"
cargo build --release --quiet -p qblog-server --example longpoll_floor
bin=$(cd "${CARGO_TARGET_DIR:-target}/release/examples" && pwd -P)/longpoll_floor
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" "$port" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/wait?wait=0" >/dev/null 2>&1 && break; sleep 0.1; done

echo "-- $longpolls concurrent requests to a bare poem route that sleeps 30 s"
python3 bench/longpoll.py "$port" "/wait?wait=30" "$longpolls" "$server"
