#!/usr/bin/env bash
# One blog read served by several builds of qblog, alternated round by round on one
# seeded MariaDB database, with the blog read cache off: the same-run comparison the
# figures in docs/perf.md need (this machine's speed varies from hour to hour, so
# only builds measured in one run compare). Production logging, as bench/lib.sh.
#
#   bash bench/list-builds.sh /tmp/qblog-old target/release/qblog
#
#   ROUNDS=4 DURATION=8s CONNECTIONS=64 BLOGS=200        (defaults)
#   READ=list | detail    what to measure (default: the 20-row first page)
#
# Prints, per round and build, requests/s and the server's CPU time per request, then
# each build's median CPU and its ratio to the first build's. Build an older commit
# with e.g. `git worktree add /tmp/old <commit> && cd /tmp/old && cargo build
# --release -p qblog-server`. Needs: wrk, curl, python3, the mysql client.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 QBLOG_BINARY..." >&2; exit 2; }
rounds=${ROUNDS:-4}
duration=${DURATION:-8s}
connections=${CONNECTIONS:-64}
database="qblog_builds_$$"
hz=$(getconf CLK_TCK)
mysql -uroot -h127.0.0.1 -e "CREATE DATABASE $database"
source bench/lib.sh
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
results=$(mktemp)
cleanup() {
  kill "${server:-}" 2>/dev/null || true
  mysql -uroot -h127.0.0.1 -e "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1
  rm -f "$results"
}
trap cleanup EXIT
seeded=""
echo "== ${READ:-list}, blog.cache off, $connections connections, $duration, $rounds rounds, logging: ${BENCH_LOG:-production}"
for round in $(seq 1 "$rounds"); do
  for bin in "$@"; do
    QBLOG_BIN=$bin start_qblog redis APP__DATABASE__URL="mysql://root@127.0.0.1:3306/$database" \
      APP__BLOG__CACHE=false APP__AUTH__REGISTER_PER_MINUTE=1000 >/dev/null
    trap cleanup EXIT
    [ -z "$seeded" ] && seed_blogs "${BLOGS:-200}" && seeded=yes
    url="$base/api/blog/list"
    if [ "${READ:-list}" = detail ]; then
      url="$base/api/blog/detail?id=$(curl -fsS "$base/api/blog/list?page_size=1" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')"
    fi
    wrk -t1 -c"$connections" -d2s "$url" >/dev/null  # warm-up: pool, caches
    before=$(cpu_ticks "$server")
    out=$(wrk -t1 -c"$connections" -d"$duration" "$url")
    after=$(cpu_ticks "$server")
    python3 - "$round" "$bin" "$out" "$before" "$after" "$hz" <<'PY' | tee -a "$results"
import re, sys
round_, bin_, out = sys.argv[1:4]
before, after, hz = map(float, sys.argv[4:])
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
total = int(re.search(r"(\d+) requests in", out).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
cpu = (after - before) / hz / total * 1e6
print(f"round {round_}\t{bin_}\t{rate:.0f} req/s\t{cpu:.1f} us/request"
      + (f"\tNON-2xx: {bad.group(1)}" if bad else ""))
PY
    kill "$server"; wait "$server" 2>/dev/null || true
    rm -rf "$scratch"
  done
done
python3 - "$results" "$@" <<'PY'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
medians = {}
for bin_ in sys.argv[2:]:
    medians[bin_] = statistics.median(float(r[3].split()[0]) for r in rows if r[1] == bin_)
first = medians[sys.argv[2]]
for bin_, cpu in medians.items():
    print(f"median CPU {cpu:6.1f} us/request  ({cpu / first:.2f} of the first)  {bin_}")
PY
