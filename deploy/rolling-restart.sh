#!/usr/bin/env bash
# Restarts qblog instances one at a time: the next one only after the previous
# answers /health/ready again, so at most one instance is ever out of the pool.
#
#   deploy/rolling-restart.sh [options] PORT...
#
#   --restart-command CMD   how to restart one instance; {port} is replaced by its
#                           port (default: systemctl restart qblog@{port}.service)
#   --host HOST             where the instances listen (default 127.0.0.1)
#   --timeout SECS          how long an instance may take to be ready (default 60)
#
# With systemd, `systemctl restart` returns once the old process has drained and
# exited and the new one has started; the script then waits for readiness. Every
# instance at once is `systemctl restart qblog.target`: with the socket units
# (deploy/systemd/qblog@.socket) that also loses no request, it only delays the
# requests that arrive meanwhile by the length of a drain.
#
# Exit status: 0 when every instance came back ready, 1 (naming it) otherwise.
set -euo pipefail

restart='systemctl restart qblog@{port}.service'
host=127.0.0.1
timeout=60
ports=()
while [ $# -gt 0 ]; do
  case $1 in
    --restart-command) restart=$2; shift 2 ;;
    --host) host=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "rolling-restart: unknown option $1" >&2; exit 2 ;;
    *) ports+=("$1"); shift ;;
  esac
done
[ ${#ports[@]} -gt 0 ] || { echo "rolling-restart: name at least one port" >&2; exit 2; }

ready() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$host:$1/health/ready")" = 200 ]
}

for port in "${ports[@]}"; do
  ready "$port" || echo "rolling-restart: $port was not ready before its restart" >&2
  started=$(date +%s)
  echo "rolling-restart: restarting $port"
  bash -c "${restart//\{port\}/$port}"
  until ready "$port"; do
    if [ $(( $(date +%s) - started )) -ge "$timeout" ]; then
      echo "rolling-restart: $port is not ready after ${timeout} s; stopping here" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "rolling-restart: $port ready after $(( $(date +%s) - started )) s"
done
