#!/usr/bin/env python3
"""Stands in for systemd in the fleet drill, where no systemd runs.

It does what deploy/systemd does for qblog: holds one listening socket per instance
(qblog@PORT.socket), which outlives the processes, and runs one qblog process per
socket (qblog@PORT.service), handing the socket over as file descriptor 3 with
LISTEN_FDS=1, as systemd's socket activation does.

    supervisor.py serve --control PATH --bin QBLOG --ports 18001,18002 --log-dir DIR
    supervisor.py send --control PATH "restart 18001"     # systemctl restart qblog@18001
    supervisor.py send --control PATH restart-all         # systemctl restart qblog.target
    supervisor.py send --control PATH stop

Like `systemctl restart`, a restart answers once the old process has exited (after
its drain) and the new one has been started. Everything else in the environment is
passed to the instances unchanged; APP__LOG__DIR is set per instance.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time


class Instance:
    def __init__(self, port, binary, log_dir):
        self.port = port
        self.binary = binary
        self.log_dir = os.path.join(log_dir, str(port))
        os.makedirs(self.log_dir, exist_ok=True)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(4096)
        self.process = None
        self.generation = 0

    def start(self):
        self.generation += 1
        fd = self.listener.fileno()
        env = dict(os.environ, LISTEN_FDS="1", APP__LOG__DIR=self.log_dir)
        env.pop("LISTEN_PID", None)
        out = open(os.path.join(self.log_dir, f"run-{self.generation}.log"), "wb")
        self.process = subprocess.Popen(
            [self.binary, "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            # The socket becomes fd 3 in the child (dup2 runs before the child
            # closes the descriptors it does not keep).
            pass_fds=(fd, 3),
            preexec_fn=lambda: os.dup2(fd, 3),
        )
        out.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout=60):
        if self.process:
            self.process.wait(timeout=timeout)
            code = self.process.returncode
            if code != 0:
                raise RuntimeError(f"instance {self.port} exited with {code}")


def serve(args):
    instances = {
        int(port): Instance(int(port), args.bin, args.log_dir)
        for port in args.ports.split(",")
    }
    for instance in instances.values():
        instance.start()
    if os.path.exists(args.control):
        os.unlink(args.control)
    control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    control.bind(args.control)
    control.listen(8)
    lock = threading.Lock()

    def restart(targets):
        for instance in targets:
            instance.stop()
        for instance in targets:
            instance.wait()
        for instance in targets:
            instance.start()

    while True:
        connection, _ = control.accept()
        with connection:
            command = connection.recv(1024).decode().split()
            try:
                with lock:
                    if command[:1] == ["restart"] and len(command) == 2:
                        restart([instances[int(command[1])]])
                    elif command == ["restart-all"]:
                        restart(list(instances.values()))
                    elif command == ["stop"]:
                        for instance in instances.values():
                            instance.stop()
                        for instance in instances.values():
                            instance.wait()
                        connection.sendall(b"ok\n")
                        return 0
                    else:
                        raise ValueError(f"unknown command {command}")
                connection.sendall(b"ok\n")
            except Exception as error:  # reported to the caller, who fails
                connection.sendall(f"error {error}\n".encode())


def send(args):
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(args.control)
    client.sendall(args.command.encode())
    reply = client.recv(1024).decode().strip()
    if reply != "ok":
        print(f"supervisor: {reply}", file=sys.stderr)
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="action", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--control", required=True)
    s.add_argument("--bin", required=True)
    s.add_argument("--ports", required=True)
    s.add_argument("--log-dir", required=True)
    c = sub.add_parser("send")
    c.add_argument("--control", required=True)
    c.add_argument("command")
    args = parser.parse_args()
    return serve(args) if args.action == "serve" else send(args)


if __name__ == "__main__":
    sys.exit(main())
