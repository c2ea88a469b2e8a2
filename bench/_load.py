"""The load generator of the serving benchmark: one process, aiohttp, keep-alive connections.

    python bench/_load.py --url URL --bodies FILE --out FILE [--header 'Name: value']...
        (--concurrency N | --rate R) --seconds S [--warmup W]

Closed loop (`--concurrency N`): N connections, each sends its next request as soon as the
last one is answered (throughput: as fast as the server goes). Open loop (`--rate R`): a
request is due every 1/R s whatever the server does, each timed from when it was due (so a
stall shows in full, not only in the few requests that were in flight), on up to 256
connections. The bodies (a JSON list of documents) are sent in turn.

It runs for `--warmup` + `--seconds` s, or until SIGTERM, then writes to `--out` every request
begun after the warm-up as `[start, end, status]`, with times on the system-wide monotonic
clock (`time.monotonic()`, comparable across processes) and status 0 for no answer
(connection refused or reset, timeout). It prints `begin` and `end` lines on stdout at the end
of the warm-up and when the last request is answered, for whoever measures CPU time over the
same span.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import time
from pathlib import Path

import aiohttp

OPEN_LOOP_CONNECTIONS = 256
REQUEST_TIMEOUT = 30.0


class Load:
    def __init__(self, url: str, bodies: list[bytes], headers: dict[str, str]) -> None:
        self.url = url
        self.bodies = bodies
        self.headers = {"Content-Type": "application/json", **headers}
        self.records: list[tuple[float, float, int]] = []
        self.stop = asyncio.Event()
        self.count = 0

    async def one(self, session: aiohttp.ClientSession, due: float, record: bool) -> None:
        body = self.bodies[self.count % len(self.bodies)]
        self.count += 1
        try:
            async with session.post(self.url, data=body, headers=self.headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError, OSError):
            status = 0
        if record:
            self.records.append((due, time.monotonic(), status))

    async def closed(
        self, session: aiohttp.ClientSession, n: int, begin: float, end: float
    ) -> None:
        async def connection() -> None:
            while not self.stop.is_set():
                now = time.monotonic()
                if now >= end:
                    return
                await self.one(session, now, now >= begin)

        await asyncio.gather(*(connection() for _ in range(n)))

    async def open(
        self, session: aiohttp.ClientSession, rate: float, begin: float, end: float
    ) -> None:
        interval = 1.0 / rate
        due = time.monotonic()
        running: set[asyncio.Task[None]] = set()
        while not self.stop.is_set() and due < end:
            wait = due - time.monotonic()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), wait)
                if self.stop.is_set():
                    break
            task = asyncio.ensure_future(self.one(session, due, due >= begin))
            running.add(task)
            task.add_done_callback(running.discard)
            due += interval
        if running:
            await asyncio.gather(*running)

    async def begin_mark(self, begin: float) -> None:
        await asyncio.sleep(max(0.0, begin - time.monotonic()))
        print("begin", flush=True)

    async def run(self, concurrency: int, rate: float, warmup: float, seconds: float) -> None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self.stop.set)
        connections = concurrency if rate <= 0 else OPEN_LOOP_CONNECTIONS
        connector = aiohttp.TCPConnector(limit=connections, force_close=False)
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            begin = time.monotonic() + warmup
            end = begin + seconds
            mark = asyncio.ensure_future(self.begin_mark(begin))
            if rate > 0:
                await self.open(session, rate, begin, end)
            else:
                await self.closed(session, concurrency, begin, end)
            if not mark.done():  # stopped before the warm-up ended
                mark.cancel()
                print("begin", flush=True)
            print("end", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--bodies", type=Path, required=True, help="JSON list of documents")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--concurrency", type=int, default=16, help="closed loop: connections")
    parser.add_argument("--rate", type=float, default=0.0, help="open loop: requests/s")
    parser.add_argument("--warmup", type=float, default=0.0)
    parser.add_argument("--seconds", type=float, default=3600.0, help="or until SIGTERM")
    args = parser.parse_args()
    bodies = [json.dumps(doc).encode() for doc in json.loads(args.bodies.read_text())]
    headers = dict(h.split(": ", 1) for h in args.header)
    load = Load(args.url, bodies, headers)
    asyncio.run(load.run(args.concurrency, args.rate, args.warmup, args.seconds))
    args.out.write_text(json.dumps(load.records))


if __name__ == "__main__":
    main()
