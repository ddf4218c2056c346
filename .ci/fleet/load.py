#!/usr/bin/env python3
"""Traffic for the fleet drill, and the count of what it lost.

    load.py mixed --base URL --token TOKEN --stop-file PATH --report PATH [--clients N]
        GETs (list, detail, me) and POSTs (new blogs) over keep-alive connections
        until PATH exists; writes a JSON report: totals, failures (with the reason)
        and the ids of every blog whose creation was acknowledged.

    load.py sigterm --base URL --pid PID --access-log PATH [--clients 64]
        64 keep-alive clients call one instance; after a second the instance gets
        SIGTERM; the clients go on until it stops accepting. A request the instance
        received (its id is in the access log) that got no answer is lost. A refused
        connection, or one reset while still in the kernel's accept queue (never
        received), is not: the client knows nothing was done. A request sent on a
        connection that had already carried an answer and then dropped is lost too:
        an instance closes kept-alive connections only between requests.

Every request carries its own x-request-id. Exit status 0 when nothing was lost.
"""

import argparse
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
import urllib.parse
import uuid


class Client:
    """One keep-alive connection, reopened when the server asks to close it."""

    def __init__(self, base):
        url = urllib.parse.urlparse(base)
        self.host, self.port = url.hostname, url.port
        self.connection = None

    def request(self, request_id, method, path, body=None, headers=None):
        """Sends one request under `request_id`; returns (status, body). After a
        failure, `self.reused` says whether it went over a connection that had
        already carried an answer."""
        self.reused = self.connection is not None
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=90)
        headers = dict(headers or {}, **{"x-request-id": request_id})
        if body is not None:
            headers["content-type"] = "application/json"
            body = json.dumps(body)
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except Exception:
            self.connection.close()
            self.connection = None
            raise
        if (response.getheader("connection") or "").lower() == "close":
            self.connection.close()
            self.connection = None
        return response.status, data


def mixed(args):
    stop = threading.Event()
    lock = threading.Lock()
    totals = {"requests": 0, "failures": 0}
    failures = []
    created = []
    seen_ids = []
    auth = {"authorization": f"Bearer {args.token}"}

    def worker(number):
        client = Client(args.base)
        rng = random.Random(number)
        while not stop.is_set():
            roll = rng.random()
            if roll < 0.4:
                method, path, body, expect = "GET", "/api/blog/list?page_size=5", None, 200
            elif roll < 0.6 and seen_ids:
                blog = rng.choice(seen_ids)
                method, path, body, expect = "GET", f"/api/blog/detail?id={blog}", None, 200
            elif roll < 0.75:
                method, path, body, expect = "GET", "/api/user/me", None, 200
            else:
                title = f"drill {number}-{uuid.uuid4().hex[:8]}"
                method, path, body, expect = "POST", "/api/blog/new", {"title": title, "content": "x"}, 201
            request_id = uuid.uuid4().hex
            try:
                status, data = client.request(request_id, method, path, body, auth)
                ok = status == expect
                reason = f"{status} {data[:200]!r}"
            except Exception as error:
                ok, reason = False, repr(error)
            with lock:
                totals["requests"] += 1
                if not ok:
                    totals["failures"] += 1
                    failures.append(f"{method} {path} rid={request_id}: {reason}")
                elif method == "POST":
                    blog = json.loads(data)["data"]["id"]
                    created.append(blog)
                    seen_ids.append(blog)
            time.sleep(0.005)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.clients)]
    for thread in threads:
        thread.start()
    while not os.path.exists(args.stop_file):
        time.sleep(0.1)
    stop.set()
    for thread in threads:
        thread.join()
    report = dict(totals, created=created, failed=failures[:50])
    with open(args.report, "w") as out:
        json.dump(report, out)
    print(f"load: {totals['requests']} requests, {totals['failures']} failed, "
          f"{len(created)} blogs created")
    for line in failures[:10]:
        print(f"  failed: {line}")
    return 1 if totals["failures"] else 0


def sigterm(args):
    stop = threading.Event()
    lock = threading.Lock()
    answered, unanswered = [], []

    def worker():
        client = Client(args.base)
        while not stop.is_set():
            request_id = uuid.uuid4().hex
            try:
                status, _ = client.request(request_id, "GET", "/api/blog/list?page_size=1")
                with lock:
                    answered.append(status)
            except ConnectionRefusedError:
                return  # the listener is closed: nothing was sent
            except Exception as error:
                with lock:
                    unanswered.append((request_id, client.reused, repr(error)))
            time.sleep(0.002)

    threads = [threading.Thread(target=worker) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    os.kill(args.pid, signal.SIGTERM)
    for thread in threads:
        thread.join(timeout=60)
    stop.set()
    time.sleep(1)
    with open(args.access_log) as log:
        logged = log.read()
    # Lost: received by the instance and not answered, or sent on a connection the
    # instance had kept open (it must close them only between requests).
    lost = [(rid, why) for rid, reused, why in unanswered if reused or f"rid={rid} " in logged]
    never_received = len(unanswered) - len(lost)
    non_200 = sum(1 for status in answered if status != 200)
    print(f"sigterm: {len(answered)} answered ({non_200} not 200), {len(lost)} lost, "
          f"{never_received} reset before the instance received them")
    for rid, why in lost[:10]:
        print(f"  lost: rid={rid}: {why}")
    return 1 if lost or non_200 else 0


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    m = sub.add_parser("mixed")
    m.add_argument("--base", required=True)
    m.add_argument("--token", required=True)
    m.add_argument("--stop-file", required=True)
    m.add_argument("--report", required=True)
    m.add_argument("--clients", type=int, default=12)
    s = sub.add_parser("sigterm")
    s.add_argument("--base", required=True)
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--access-log", required=True)
    s.add_argument("--clients", type=int, default=64)
    args = parser.parse_args()
    return mixed(args) if args.mode == "mixed" else sigterm(args)


if __name__ == "__main__":
    sys.exit(main())
