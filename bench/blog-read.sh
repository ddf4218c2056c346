#!/usr/bin/env bash
# Blog reads as a deployment serves them: `GET /api/blog/list` (a 20-row page) and
# `GET /api/blog/detail`, on MariaDB (or another database) + Redis, with the blog read
# cache on and then off, in one run. Prints requests/s, p99, and qblog's own CPU per
# request (user + system time of the server process over the wrk run / requests).
#
#   bash bench/blog-read.sh
#
#   DURATION=8s CONNECTIONS=64 THREADS=1 BLOGS=200   (defaults)
#   DATABASE_URL=mysql://root@127.0.0.1:3306         a server; a fresh database
#                                                    qblog_bench_<pid> is made and dropped
#   REDIS_URL=redis://127.0.0.1:6379
#   CACHES="true false"   the blog.cache settings to run, in order (default: both)
#   BENCH_LOG=off    without the access log (default: production logging)
#
# Needs: wrk, curl, python3, the mysql client (for a MariaDB/MySQL URL) or psql (for a
# PostgreSQL URL); builds qblog in release mode.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-8s}
connections=${CONNECTIONS:-64}
threads=${THREADS:-1}
blogs=${BLOGS:-200}
server_url=${DATABASE_URL:-mysql://root@127.0.0.1:3306}
database="qblog_bench_$$"
hz=$(getconf CLK_TCK)

case "$server_url" in
  mysql://*)
    sql() { mysql -uroot -h127.0.0.1 -e "$1"; } ;;
  postgres://*)
    sql() { psql -q "$server_url/postgres" -c "$1"; } ;;
  *) echo "DATABASE_URL must be mysql:// or postgres://" >&2; exit 2 ;;
esac
sql "CREATE DATABASE $database"

source bench/lib.sh

# qblog's CPU time so far, in clock ticks (utime + stime of the server process).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure LABEL URL: one wrk run, with requests/s, p99 and CPU µs per request.
measure() {
  local label=$1 url=$2 pid before after out
  pid=$server  # start_qblog execs the binary in place of its subshell
  before=$(cpu_ticks "$pid")
  out=$(wrk -t"$threads" -c"$connections" -d"$duration" --latency "$url")
  after=$(cpu_ticks "$pid")
  python3 - "$label" "$out" "$before" "$after" "$hz" <<'PY'
import re, sys
label, out, before, after, hz = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
total = int(re.search(r"(\d+) requests in", out).group(1))
p99 = re.search(r"99%\s+(\S+)", out).group(1)
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
cpu_us = (after - before) / hz / total * 1e6
print(f"{label:<28} {rate:>10,.0f} req/s   p99 {p99:>8}   qblog CPU {cpu_us:6.1f} µs/request"
      + (f"   NON-2xx: {bad.group(1)}" if bad else ""))
PY
}

echo "== $connections connections, $duration each, $threads wrk thread(s), $blogs blogs, $server_url + Redis"
seeded=""
for cache in ${CACHES:-true false}; do
  start_qblog redis APP__DATABASE__URL="$server_url/$database" APP__BLOG__CACHE=$cache \
    APP__AUTH__REGISTER_PER_MINUTE=1000 ${EXTRA_SETTINGS:-}
  trap 'kill $server 2>/dev/null || true; rm -rf "$scratch"; sql "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1' EXIT
  [ -z "$seeded" ] && seed_blogs "$blogs" && seeded=yes
  id=$(curl -fsS "$base/api/blog/list?page_size=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][0]["id"])')
  rows=$(curl -fsS "$base/api/blog/list" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))')
  echo "-- blog.cache = $cache (list pages hold $rows rows)"
  measure "list (page 1, 20 rows)" "$base/api/blog/list"
  measure "detail" "$base/api/blog/detail?id=$id"
  kill "$server"; wait "$server" 2>/dev/null || true
  rm -rf "$scratch"
done
