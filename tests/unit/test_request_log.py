"""The request log: written in the background as JSON lines, bounded on disk (the oldest
parts go first, never the one being written), and dropping samples rather than waiting."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from scalelab.service import request_log
from scalelab.service.request_log import LoggedRequest, RequestLog, read_requests


def entry(folder: Path, n: int, at: float | None = None) -> LoggedRequest:
    body = json.dumps({"dataframe_split": {"columns": ["x"], "data": [[n]]}}).encode()
    return LoggedRequest(
        folder=folder,
        request_id=f"r{n}",
        at=time.time() if at is None else at,
        version="m/1",
        colour="blue",
        status=200,
        latency_ms=1.5,
        inputs=body,
        outputs=b'{"predictions": [0]}',
    )


def test_requests_are_written_as_json_lines(tmp_path: Path) -> None:
    async def main() -> None:
        log = RequestLog(max_mb=1, flush_interval=0.01)
        for n in range(3):
            log.add(entry(tmp_path, n))
        assert not list(tmp_path.glob("*.jsonl"))  # adding never writes on the caller's time
        await log.close()

    asyncio.run(main())
    logged = read_requests(tmp_path)
    assert [e["request_id"] for e in logged] == ["r0", "r1", "r2"]
    assert logged[0]["inputs"]["dataframe_split"]["data"] == [[0]]
    assert logged[0]["outputs"] == {"predictions": [0]}
    assert {e["version"] for e in logged} == {"m/1"}


def test_the_log_stays_under_its_cap_and_keeps_the_newest(tmp_path: Path) -> None:
    cap_mb = 0.02  # ~20 KiB; each line is ~230 bytes

    async def main() -> None:
        log = RequestLog(max_mb=cap_mb, flush_interval=0.01)
        for batch in range(100):
            for n in range(batch * 10, batch * 10 + 10):
                log.add(entry(tmp_path, n))
            await log.flush()

    asyncio.run(main())
    total = sum(f.stat().st_size for f in tmp_path.glob("*.jsonl"))
    assert total <= cap_mb * 1024 * 1024 * (1 + 1 / request_log.PARTS_PER_CAP) + 16_000
    assert len(list(tmp_path.glob("*.jsonl"))) >= 3  # cut in parts, the oldest removed
    logged = read_requests(tmp_path, limit=10_000)
    assert logged[-1]["request_id"] == "r999"
    ids = [int(e["request_id"][1:]) for e in logged]
    assert ids == sorted(ids) and ids[0] > 0  # the oldest went, in order


def test_a_full_queue_drops_samples(tmp_path: Path) -> None:
    async def main() -> RequestLog:
        log = RequestLog(max_mb=1, flush_interval=60)
        for n in range(request_log.QUEUE_LIMIT + 5):
            log.add(entry(tmp_path, n))
        return log

    log = asyncio.run(main())
    assert log.dropped == 5
