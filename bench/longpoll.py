"""Holds COUNT requests for PATH open at once against 127.0.0.1:PORT and reports the
resident memory of process PID before and while they wait, then waits for the answers.

    python3 bench/longpoll.py PORT PATH COUNT PID
"""
import asyncio
import sys

port, path, count, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def rss_kib():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    raise SystemExit(f"no process {pid}")


async def one(results):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n")
    results.append(head.split()[1].decode())
    writer.close()


async def main():
    before = rss_kib()
    results, tasks = [], []
    for i in range(count):
        tasks.append(asyncio.create_task(one(results)))
        if i % 500 == 0:
            await asyncio.sleep(0.05)
    await asyncio.sleep(5)  # every request is waiting by now
    during = rss_kib()
    print(f"waiting: {count - len(results)} of {count}; server RSS {before / 1024:.1f} MiB idle, "
          f"{during / 1024:.1f} MiB with them waiting "
          f"({(during - before) / count:.1f} KiB per waiting request)")
    await asyncio.gather(*tasks)
    statuses = {s: results.count(s) for s in sorted(set(results))}
    print(f"answers after the wait: {statuses}")


asyncio.run(main())
