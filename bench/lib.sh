# Shared by the bench scripts: start a release qblog on a free port in a scratch
# directory, on SQLite and the chosen store, with extra APP__… settings.
#
#   source bench/lib.sh
#   start_qblog redis|embedded APP__X=1 APP__Y=2     # sets $base, $port, $scratch, $server
#
# The server and the scratch directory go away when the script exits.

start_qblog() {
  local store=$1; shift
  cargo build --release --quiet -p qblog-server
  local bin
  bin=$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd -P)/qblog
  scratch=$(mktemp -d)
  cp -r config "$scratch/config"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  local redis_url=""
  [ "$store" = redis ] && redis_url=${REDIS_URL:-redis://127.0.0.1:6379}
  (cd "$scratch" && exec env APP_ENV=test APP__SERVER__PORT="$port" APP__SERVER__PUBLIC_BASE_URL="$base" \
    APP__REDIS__URL="$redis_url" APP__REDIS__KEY_PREFIX="qblog-bench-$$:" \
    APP__AUTH__JWT_SECRET="bench-signing-key-bench-signing-key" \
    APP__DATABASE__URL="sqlite://$scratch/bench.db?mode=rwc" APP__LOG__LEVEL=warn \
    "$@" "$bin" >"$scratch/server.log" 2>&1) &
  server=$!
  trap 'kill $server 2>/dev/null || true; rm -rf "$scratch"' EXIT
  for _ in $(seq 1 100); do curl -fsS "$base/health/live" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "qblog did not start:" >&2
  cat "$scratch/server.log" >&2
  return 1
}
