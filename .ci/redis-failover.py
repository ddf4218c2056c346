#!/usr/bin/env python3
"""A Redis failover under load, with qblog on the Sentinel or Cluster layout of
.ci/redis-layouts: the master holding our keys is shut down, a replica takes over,
and qblog must ride through it without a restart.

    redis-failover.py --bin QBLOG --layout sentinel --master-port PORT --env "K=V K=V"
    redis-failover.py --bin QBLOG --layout cluster --cluster-ports "P P P P P P" --env "…"

A probe alternates QR-code generation and `GET /api/user/me` (bearer) every 50 ms.
Passes when every answer is 200 or 503 (never 500, never a hang), the 503s all fall in
one window around the switch, answers are 200 again afterwards, and a long-poll then
wakes on a scan made through the new master. Prints the window's length.
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True,
                          text=True, timeout=10).stdout


def cluster_master_of(ports, key):
    """The port of the master that holds `key`'s slot."""
    slot = int(redis_cli(ports[0], "cluster", "keyslot", key).strip())
    for line in redis_cli(ports[0], "cluster", "nodes").splitlines():
        fields = line.split()
        if "master" not in fields[2] or "fail" in fields[2]:
            continue
        for part in fields[8:]:
            low, _, high = part.partition("-")
            if low.isdigit() and int(low) <= slot <= int(high or low):
                return int(fields[1].split("@")[0].rsplit(":", 1)[1])
    raise RuntimeError(f"no master holds slot {slot}")


class Api:
    def __init__(self, port):
        self.port = port

    def call(self, method, path, body=None, headers=None, timeout=30):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        headers = dict(headers or {})
        if body is not None:
            headers["content-type"] = "application/json"
            body = json.dumps(body)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read() or b"null")
        finally:
            connection.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--layout", choices=["sentinel", "cluster"], required=True)
    parser.add_argument("--env", required=True, help="the layout's QBLOG_TEST_REDIS_* line")
    parser.add_argument("--master-port", type=int)
    parser.add_argument("--cluster-ports")
    args = parser.parse_args()

    work = tempfile.mkdtemp()
    port = free_port()
    env = dict(os.environ, APP_ENV="test", APP__SERVER__PORT=str(port),
               APP__SERVER__PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
               APP__AUTH__JWT_SECRET="failover-drill-signing-key-failover-drill",
               APP__DATABASE__URL=f"sqlite://{work}/qblog.db?mode=rwc",
               APP__REDIS__KEY_PREFIX=f"qblog-failover-{os.getpid()}:",
               APP__LOG__LEVEL="warn", APP__QRCODE__GENERATE_PER_MINUTE="100000",
               APP__QRCODE__CHECK_PER_MINUTE="100000")
    name, _, value = args.env.partition("=")
    if name == "QBLOG_TEST_REDIS_SENTINEL":
        master, _, nodes = value.partition("@")
        env.update(APP__REDIS__SENTINEL__MASTER_NAME=master, APP__REDIS__SENTINEL__NODES=nodes)
    else:
        env.update(APP__REDIS__CLUSTER__NODES=value)
    config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "config")
    server = subprocess.Popen([args.bin, "--config-dir", config, "serve"], env=env,
                              stdout=open(f"{work}/server.log", "wb"), stderr=subprocess.STDOUT)
    api = Api(port)
    try:
        for _ in range(200):
            try:
                if api.call("GET", "/health/ready")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("failover: qblog did not become ready")
        api.call("POST", "/api/user/register",
                 {"username": "failover", "password": "failover-password", "realname": "F"})
        status, login = api.call("POST", "/api/user/login",
                                 {"username": "failover", "password": "failover-password"})
        assert status == 200, login
        bearer = {"authorization": f"Bearer {login['data']['token']}"}

        answers, stop = [], threading.Event()

        def probe():
            n = 0
            while not stop.is_set():
                n += 1
                started = time.perf_counter()
                try:
                    if n % 2:
                        status, _ = api.call("POST", "/api/qrcode/generate", {}, timeout=15)
                    else:
                        status, _ = api.call("GET", "/api/user/me", None, bearer, timeout=15)
                except OSError as error:
                    status = f"no answer: {error!r}"
                answers.append((time.perf_counter(), status, time.perf_counter() - started))
                time.sleep(0.05)

        thread = threading.Thread(target=probe)
        thread.start()
        time.sleep(2)
        if args.layout == "sentinel":
            victim = args.master_port
        else:
            ports = [int(p) for p in args.cluster_ports.split()]
            # The master of the slot our session keys live in: the drill must hit us.
            victim = cluster_master_of(ports, env["APP__REDIS__KEY_PREFIX"] + "{probe}")
        killed_at = time.perf_counter()
        redis_cli(victim, "shutdown", "nosave")
        print(f"failover[{args.layout}]: shut down the master on port {victim}")
        deadline = killed_at + 40
        while time.perf_counter() < deadline:
            time.sleep(0.5)
            recent = [s for t, s, _ in answers if t > time.perf_counter() - 3]
            if time.perf_counter() - killed_at > 5 and recent and all(s == 200 for s in recent):
                break
        time.sleep(1)
        stop.set()
        thread.join()

        bad = [(round(t - killed_at, 2), s) for t, s, _ in answers if s not in (200, 503)]
        unavailable = [t - killed_at for t, s, _ in answers if s == 503]
        after = [s for t, s, _ in answers if unavailable and t - killed_at > max(unavailable)]
        slowest = max(took for _, _, took in answers)
        print(f"failover[{args.layout}]: {len(answers)} answers, {len(unavailable)} x 503 "
              f"from {min(unavailable, default=0):.2f} s to {max(unavailable, default=0):.2f} s "
              f"after the shutdown, {len(bad)} other; slowest answer {slowest:.2f} s")
        if bad:
            raise SystemExit(f"failover: answers other than 200 or 503: {bad[:10]}")
        before = [s for t, s, _ in answers if t < killed_at]
        if not before or any(s != 200 for s in before):
            raise SystemExit("failover: not all 200 before the shutdown")
        if not after or any(s != 200 for s in after[-10:]):
            raise SystemExit("failover: not back to 200 after the switch")

        # A long-poll wakes on a change made through the new master.
        status, generated = api.call("POST", "/api/qrcode/generate", {})
        code = generated["data"]
        result = {}

        def poll():
            result["answer"] = api.call(
                "GET", f"/api/qrcode/check?id={code['qrcode_id']}&token={code['poll_token']}"
                "&since=unscanned&wait=20", timeout=30)
            result["at"] = time.perf_counter()

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.5)
        scanned_at = time.perf_counter()
        status, _ = api.call("POST", "/api/qrcode/scan", {"qrcode_id": code["qrcode_id"]}, bearer)
        poller.join()
        woke = result["at"] - scanned_at
        state = result["answer"][1]["data"]["status"]
        print(f"failover[{args.layout}]: scan {status}; the long-poll answered {state!r} "
              f"{woke:.2f} s after it")
        if status != 200 or state != "scanned" or woke > 2:
            raise SystemExit("failover: the long-poll did not wake on the scan")
        print(f"failover[{args.layout}]: ok")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        if os.environ.get("FAILOVER_KEEP_LOG"):
            print(open(f"{work}/server.log").read())
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
