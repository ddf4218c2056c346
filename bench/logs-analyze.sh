#!/usr/bin/env bash
# Throughput of `qblog logs analyze` on a generated 1,000,000-line access log (plus a
# few malformed lines), release build.
#
#   bash bench/logs-analyze.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet -p qblog-server
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
python3 - "$scratch/access.log" <<'PY'
import random, sys
agents = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "curl/8.5.0",
]
routes = ["/api/blog/list", "/api/blog/detail?id=3", "/api/user/me", "/api/qrcode/check?id=x&token=[REDACTED]"]
rnd = random.Random(7)
with open(sys.argv[1], "w") as out:
    for i in range(1_000_000):
        hour = 10 + (i * 24 // 1_000_000)
        out.write(f'192.0.2.{i % 250} - - [20/Nov/2026:{hour % 24:02d}:{i % 60:02d}:{(i // 60) % 60:02d} +0000] '
                  f'"GET {routes[i % 4]} HTTP/1.1" {200 if i % 10 else 404} 512 "-" "{agents[i % 5]}" '
                  f'rid=r{i} dur_ms={rnd.expovariate(1 / 3.0):.3f}\n')
        if i % 100_000 == 0:
            out.write("not a log line\n")
PY
lines=$(wc -l < "$scratch/access.log")
bytes=$(stat -c %s "$scratch/access.log")
start=$(date +%s.%N)
"$(cd "$target/release" && pwd -P)/qblog" logs analyze "$scratch/access.log" > "$scratch/report.txt"
end=$(date +%s.%N)
python3 - "$lines" "$bytes" "$start" "$end" <<'PY'
import sys
lines, size, start, end = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
secs = end - start
print(f"{lines} lines, {size / 1e6:.1f} MB in {secs:.2f} s: {lines / secs:,.0f} lines/s, {size / 1e6 / secs:.1f} MB/s")
PY
head -12 "$scratch/report.txt"
