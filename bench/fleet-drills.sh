#!/usr/bin/env bash
# Fleet drills on the release build, printing failed/total and the outage timings:
#   1. the CI fleet drill (.ci/fleet-drill) with more clients: rolling restart of
#      three instances behind nginx, all at once, SIGTERM under 64 keep-alive clients;
#   2. bench/outage-drill.py: Redis frozen / dead / restarted, PostgreSQL unreachable
#      / frozen — time to 503, how long 503s take, time to recover.
#
#   bash bench/fleet-drills.sh          (CLIENTS=32 by default)
#
# Needs: nginx, redis-server, psql and the machine's PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p qblog-server
bin=$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd -P)/qblog

echo "== fleet: rolling and all-at-once restarts behind nginx, ${CLIENTS:-32} clients"
CLIENTS=${CLIENTS:-32} QBLOG_BIN="$bin" bash .ci/fleet-drill
echo
echo "== outages"
python3 bench/outage-drill.py --bin "$bin"
