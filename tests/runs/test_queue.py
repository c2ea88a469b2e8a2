"""Runs waiting for a slot of the local executor say so: `queued`, with their place."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from scalelab.runs.executor import LocalExecutor, new_record
from scalelab.runs.plan import make_plan
from scalelab.runs.records import Run, RunFolder
from scalelab.service.runs import run_model
from tests.runs.conftest import write_notebook

# Runs until the test creates go-<n> in the working folder.
HOLD = "import pathlib, time\nwhile not pathlib.Path(f'go-{n}').exists():\n    time.sleep(0.05)"


async def until(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"waited {timeout}s for {what}")


def test_runs_beyond_max_parallel_wait_queued_with_their_place(tmp_path: Path) -> None:
    write_notebook(tmp_path / "hold.ipynb", "n = 0", HOLD)
    store = RunFolder(tmp_path / "runs")

    def seen(record: Run) -> tuple[str, int | None]:
        saved = store.load(record.id)  # what others read: the saved record
        model = run_model(saved, "p")
        return model.status, model.queue_position

    async def go() -> list[Run]:
        executor = LocalExecutor(store, max_parallel=1, pool_size=1)
        records, tasks = [], []
        try:
            for n in (1, 2, 3):
                plan = make_plan(tmp_path, "hold.ipynb", {"n": n})
                record = new_record(plan)
                store.save(record)
                records.append(record)
                tasks.append(asyncio.ensure_future(executor.process(record, plan)))
                await until(lambda r=record: seen(r)[0] == "running" or seen(r)[1], "its place")
            first, second, third = records
            assert [seen(r) for r in records] == [("running", None), ("queued", 1), ("queued", 2)]
            assert store.load(second.id).started_at is None

            (tmp_path / "go-1").touch()
            await until(lambda: seen(second) == ("running", None), "the second to take the slot")
            assert seen(third) == ("queued", 1)
            assert seen(first) == ("succeeded", None)

            (tmp_path / "go-2").touch()
            (tmp_path / "go-3").touch()
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await executor.close()
        return records

    records = asyncio.run(go())
    assert [seen(r) for r in records] == [("succeeded", None)] * 3
    log = (tmp_path / "runs" / records[2].id / "run.log").read_text()
    assert "queued (place 2)" in log and log.index("queued") < log.index("started")


def test_a_run_cancelled_while_queued_gives_up_its_place(tmp_path: Path) -> None:
    write_notebook(tmp_path / "hold.ipynb", "n = 0", HOLD)
    store = RunFolder(tmp_path / "runs")

    async def go() -> list[Run]:
        executor = LocalExecutor(store, max_parallel=1, pool_size=1)
        records, tasks = [], []
        try:
            for n in (1, 2, 3):
                plan = make_plan(tmp_path, "hold.ipynb", {"n": n})
                records.append(new_record(plan))
                tasks.append(asyncio.ensure_future(executor.process(records[-1], plan)))
                await until(
                    lambda r=records[-1]: r.status == "running" or bool(r.queue_position),
                    "its place",
                )
            tasks[1].cancel()
            await until(lambda: store.load(records[2].id).queue_position == 1, "moving up")
            saved = store.load(records[1].id)
            assert (saved.status, saved.queue_position, saved.started_at) == (
                "cancelled",
                None,
                None,
            )
            (tmp_path / "go-1").touch()
            (tmp_path / "go-3").touch()
            await asyncio.gather(tasks[0], tasks[2])
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await executor.close()
        return records

    first, _, third = asyncio.run(go())
    assert store.load(first.id).status == store.load(third.id).status == "succeeded"
