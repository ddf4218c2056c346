#!/usr/bin/env python3
"""Outage drills against one release qblog: how fast requests fail when a dependency
freezes or dies, and how fast the service recovers when it is back.

    python3 bench/outage-drill.py --bin target/release/qblog

Redis is a private redis-server on a free port (so it can be frozen with SIGSTOP and
restarted); PostgreSQL is the machine's, reached through a TCP relay of this script's
own (so it can be frozen or cut). qblog runs with production logging (access log on,
info, JSON). A probe asks every 50 ms; for each drill it prints:

    time to 503   from the fault to the first 503 answer
    first 503     how long that first request waited
    later 503s    median wait once the breaker is open
    recovery      from the dependency answering again to the first 200
"""

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Relay(threading.Thread):
    """A TCP relay that can freeze (hold bytes) or cut (close everything, refuse)."""

    def __init__(self, upstream):
        super().__init__(daemon=True)
        self.upstream = upstream
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.frozen = threading.Event()
        self.down = threading.Event()
        self.sockets = []
        self.lock = threading.Lock()

    def run(self):
        while True:
            client, _ = self.listener.accept()
            if self.down.is_set():
                client.close()
                continue
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    def pump(self, a, b):
        try:
            while True:
                while self.frozen.is_set() and not self.down.is_set():
                    time.sleep(0.01)
                data = a.recv(65536)
                if not data or self.down.is_set():
                    break
                while self.frozen.is_set() and not self.down.is_set():
                    time.sleep(0.01)
                b.sendall(data)
        except OSError:
            pass
        for s in (a, b):
            try:
                s.close()
            except OSError:
                pass

    def cut(self):
        self.down.set()
        with self.lock:
            for s in self.sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.sockets.clear()

    def restore(self):
        self.frozen.clear()
        self.down.clear()


class Redis:
    def __init__(self, workdir):
        self.port = free_port()
        self.workdir = workdir
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.workdir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)

    def signal(self, sig):
        self.process.send_signal(sig)

    def kill(self):
        self.process.kill()
        self.process.wait()


class Probe:
    def __init__(self, base):
        url = urllib.parse.urlparse(base)
        self.host, self.port = url.hostname, url.port

    def call(self, method, path, headers=None, body=None, timeout=30):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
            return response.status, time.perf_counter() - started, data
        except OSError as error:
            return f"error {error!r}", time.perf_counter() - started, b""
        finally:
            connection.close()


def drill(name, probe, request, fault, heal, seconds=6.0):
    """Injects `fault`, probes every 50 ms for `seconds`, heals, probes until 200."""
    fault_at = time.perf_counter()
    fault()
    answers = []
    while time.perf_counter() - fault_at < seconds:
        status, took, _ = request(probe)
        answers.append((time.perf_counter() - fault_at, status, took))
        time.sleep(0.05)
    failures = [(t, s, took) for t, s, took in answers if s == 503]
    others = sorted({str(s) for _, s, _ in answers if s != 503})
    healed_at = time.perf_counter()
    heal()
    recovered = None
    while time.perf_counter() - healed_at < 30:
        status, _, _ = request(probe)
        if status in (200, 201):
            recovered = time.perf_counter() - healed_at
            break
        time.sleep(0.05)
    if failures:
        first_time, _, first_wait = failures[0]
        later = [took for _, _, took in failures[3:]] or [float("nan")]
        print(f"{name:34} time to 503 {first_time:6.2f} s | first 503 waited {first_wait:5.2f} s | "
              f"later 503s median {statistics.median(later) * 1000:6.1f} ms | "
              f"recovery {recovered if recovered is not None else float('nan'):5.2f} s | "
              f"{len(failures)} x 503, other answers {others or '-'}")
    else:
        print(f"{name:34} no 503 at all; answers {others}; recovery {recovered}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--postgres", default="127.0.0.1:5432")
    args = parser.parse_args()
    work = tempfile.mkdtemp()
    db = f"qblog_outage_{os.getpid()}"
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc",
                    f"CREATE DATABASE {db}"], check=True)
    redis = Redis(work)
    redis.start()
    pg_host, pg_port = args.postgres.split(":")
    relay = Relay((pg_host, int(pg_port)))
    relay.start()
    port = free_port()
    env = dict(os.environ, APP_ENV="production", APP__SERVER__HOST="127.0.0.1",
               APP__SERVER__PORT=str(port), APP__SERVER__PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
               APP__AUTH__JWT_SECRET="outage-drill-signing-key-outage-drill-key",
               APP__AUTH__COOKIE_SECURE="false",
               APP__DATABASE__URL=f"postgres://postgres@127.0.0.1:{relay.port}/{db}",
               APP__REDIS__URL=f"redis://127.0.0.1:{redis.port}", APP__LOG__DIR=f"{work}/logs",
               APP__LOG__LEVEL="info")
    config = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "config")
    subprocess.run([args.bin, "--config-dir", config, "migrate", "up"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = subprocess.Popen([args.bin, "--config-dir", config, "serve"], env=env,
                              stdout=open(f"{work}/server.log", "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    probe = Probe(base)
    try:
        for _ in range(100):
            if probe.call("GET", "/health/ready")[0] == 200:
                break
            time.sleep(0.1)
        json_headers = {"content-type": "application/json"}
        probe.call("POST", "/api/user/register", json_headers,
                   json.dumps({"username": "drill", "password": "drill-password", "realname": "D"}))
        _, _, data = probe.call("POST", "/api/user/login", json_headers,
                                json.dumps({"username": "drill", "password": "drill-password"}))
        token = json.loads(data)["data"]["token"]
        bearer = {"authorization": f"Bearer {token}"}

        def me(p):
            return p.call("GET", "/api/user/me", bearer)

        def list_blogs(p):
            return p.call("GET", "/api/blog/list")

        def generate(p):
            return p.call("POST", "/api/qrcode/generate", json_headers, "{}")

        print(f"outage drills: release build, production logging; {time.strftime('%Y-%m-%d')}")
        drill("Redis frozen (SIGSTOP), /me", probe, me,
              lambda: redis.signal(signal.SIGSTOP), lambda: redis.signal(signal.SIGCONT))

        def restart_redis():
            redis.kill()
            redis.start()
        drill("Redis dead, then restarted", probe, generate, redis.kill, redis.start)
        # Redis restarted while idle: is the very first request after it served?
        restart_redis()
        first = generate(probe)
        print(f"{'Redis restarted while idle':34} first request after it: {first[0]} "
              f"in {first[1] * 1000:.1f} ms")
        drill("PostgreSQL unreachable, blog list", probe, list_blogs, relay.cut, relay.restore)
        drill("PostgreSQL frozen, blog list", probe, list_blogs, relay.frozen.set, relay.restore)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        redis.kill()
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc",
                        f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
