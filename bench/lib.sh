# Shared by the bench scripts: start a release qblog on a free port in a scratch
# directory, on SQLite and the chosen store, with extra APP__… settings.
#
#   source bench/lib.sh
#   start_qblog redis|embedded APP__X=1 APP__Y=2     # sets $base, $port, $scratch, $server
#
# QBLOG_BIN=path/to/qblog runs that binary instead of building this checkout.
# Logging is production's (access log on, level info, JSON) unless BENCH_LOG=off,
# which turns the access log off and logs warnings only; the script says which.
# The server and the scratch directory go away when the script exits.
#
#   seed_blogs 200    # on the running qblog ($base): registers `bench`, writes 200 blogs

start_qblog() {
  local store=$1; shift
  local bin
  if [ -n "${QBLOG_BIN:-}" ]; then
    # Another build (an older commit, for a before/after figure).
    bin=$(cd "$(dirname "$QBLOG_BIN")" && pwd -P)/$(basename "$QBLOG_BIN")
  else
    cargo build --release --quiet -p qblog-server
    bin=$(cd "${CARGO_TARGET_DIR:-target}/release" && pwd -P)/qblog
  fi
  scratch=$(mktemp -d)
  cp -r config "$scratch/config"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  local redis_url=""
  [ "$store" = redis ] && redis_url=${REDIS_URL:-redis://127.0.0.1:6379}
  local logging
  if [ "${BENCH_LOG:-production}" = off ]; then
    logging=(APP__LOG__ACCESS_LOG=false APP__LOG__LEVEL=warn)
    echo "logging: access log off, warnings only (BENCH_LOG=off)"
  else
    logging=(APP__LOG__ACCESS_LOG=true APP__LOG__LEVEL=info APP__LOG__FORMAT=json
      APP__LOG__DIR="$scratch/logs")
    echo "logging: as in production (access log on, info, JSON)"
  fi
  (cd "$scratch" && exec env APP_ENV=test APP__SERVER__PORT="$port" APP__SERVER__PUBLIC_BASE_URL="$base" \
    APP__REDIS__URL="$redis_url" APP__REDIS__KEY_PREFIX="qblog-bench-$$:" \
    APP__AUTH__JWT_SECRET="bench-signing-key-bench-signing-key" \
    APP__DATABASE__URL="sqlite://$scratch/bench.db?mode=rwc" "${logging[@]}" \
    "$@" "$bin" >"$scratch/server.log" 2>&1) &
  server=$!
  trap 'kill $server 2>/dev/null || true; rm -rf "$scratch"' EXIT
  for _ in $(seq 1 100); do curl -fsS "$base/health/live" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "qblog did not start:" >&2
  cat "$scratch/server.log" >&2
  return 1
}

# seed_blogs COUNT: registers the user `bench` on the running qblog ($base) and writes
# COUNT blogs of about 560 characters of HTML each through the API.
seed_blogs() {
  curl -fsS -o /dev/null -H 'content-type: application/json' \
    -d '{"username":"bench","password":"bench-password","realname":"Bench"}' "$base/api/user/register"
  local token
  token=$(curl -fsS -H 'content-type: application/json' \
    -d '{"username":"bench","password":"bench-password"}' "$base/api/user/login" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["token"])')
  python3 - "$base" "$token" "$1" <<'PY'
import json, sys, urllib.request
base, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
paragraph = "<p>A paragraph of a blog post, with <b>some</b> formatting. </p>" * 8
for n in range(count):
    body = json.dumps({"title": f"Post number {n}", "content": paragraph}).encode()
    request = urllib.request.Request(base + "/api/blog/new", data=body, headers={
        "content-type": "application/json", "authorization": f"Bearer {token}"})
    urllib.request.urlopen(request).read()
PY
}
