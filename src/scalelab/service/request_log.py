"""The endpoints' request log: a sample of inputs, outputs and latencies, for monitoring.

Kept off the request path: the gateway only appends to a bounded queue (a full queue drops
the sample, never slows the answer); a background task writes JSON lines, one file per
endpoint and hour (in parts of a quarter of the cap), and removes the oldest parts past the
endpoint's cap.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

QUEUE_LIMIT = 10_000
PARTS_PER_CAP = 4  # files of an hour are cut at a quarter of the endpoint's cap


@dataclass(frozen=True)
class LoggedRequest:
    folder: Path  # the endpoint's request-log folder
    request_id: str
    at: float
    version: str | None
    colour: str | None
    status: int
    latency_ms: float
    inputs: bytes
    outputs: bytes

    def line(self) -> str:
        def parsed(raw: bytes) -> Any:
            try:
                return json.loads(raw)
            except ValueError:
                return raw.decode(errors="replace")

        return json.dumps(
            {
                "request_id": self.request_id,
                "at": datetime.fromtimestamp(self.at, UTC).isoformat(),
                "version": self.version,
                "colour": self.colour,
                "status": self.status,
                "latency_ms": round(self.latency_ms, 3),
                "inputs": parsed(self.inputs),
                "outputs": parsed(self.outputs),
            },
            separators=(",", ":"),
        )


class RequestLog:
    """Writes sampled requests in the background; `max_mb` bounds each endpoint's folder."""

    def __init__(self, max_mb: float, flush_interval: float = 0.5) -> None:
        self.max_bytes = int(max_mb * 1024 * 1024)
        self.flush_interval = flush_interval
        self._queue: deque[LoggedRequest] = deque()
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0

    def add(self, entry: LoggedRequest) -> None:
        if len(self._queue) >= QUEUE_LIMIT:
            self.dropped += 1
            return
        self._queue.append(entry)
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.flush_interval)
        await self.flush()

    async def flush(self) -> None:
        entries = list(self._queue)
        self._queue.clear()
        if entries:
            await asyncio.get_running_loop().run_in_executor(None, self._write, entries)

    def _write(self, entries: list[LoggedRequest]) -> None:
        by_hour: dict[tuple[Path, str], list[str]] = {}
        for entry in entries:
            hour = time.strftime("%Y%m%d-%H", time.gmtime(entry.at))
            by_hour.setdefault((entry.folder, hour), []).append(entry.line())
        for (folder, hour), lines in by_hour.items():
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            with self._current(folder, hour).open("a", encoding="utf-8") as out:
                out.write("\n".join(lines) + "\n")
            self._bound(folder)

    def _current(self, folder: Path, hour: str) -> Path:
        """The hour's file to append to: a new part once the last is a quarter of the cap, so
        that the cap removes old parts, never the one being written."""
        parts = sorted(folder.glob(f"{hour}-*.jsonl"))
        if parts and parts[-1].stat().st_size < self.max_bytes // PARTS_PER_CAP:
            return parts[-1]
        number = int(parts[-1].stem.rsplit("-", 1)[1]) + 1 if parts else 0
        return folder / f"{hour}-{number:05d}.jsonl"

    def _bound(self, folder: Path) -> None:
        files = sorted(folder.glob("*.jsonl"))
        sizes = [f.stat().st_size for f in files]
        total = sum(sizes)
        for oldest, size in zip(files[:-1], sizes, strict=False):  # the newest part stays
            if total <= self.max_bytes:
                break
            total -= size
            with contextlib.suppress(OSError):
                oldest.unlink()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.flush()


def read_requests(folder: Path, limit: int = 1000) -> list[dict[str, Any]]:
    """The newest `limit` logged requests of an endpoint, oldest first."""
    found: deque[dict[str, Any]] = deque(maxlen=limit)
    for path in sorted(folder.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                with contextlib.suppress(ValueError):
                    found.append(json.loads(line))
    return list(found)
