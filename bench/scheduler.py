"""The scheduler: how late fire times are queued, and what a tick costs as schedules grow.

1. Tick cost, in-process, against one SQLite database holding 100, 1,000 and 10,000 schedules
   of which 10 are due: CPU of one tick of ScaleLab's scheduler (an indexed query for what is
   due, then claiming and deciding the due ones) beside the anchor, a scheduler that scans every
   schedule each tick and asks croniter whether it is due (the way a loop over job definitions
   works).
2. Lateness, with a real service process: 1,000 active schedules, 200 falling due at each minute
   (cron `m-59/5`, m = 0..4), watched over two minute boundaries. Lateness is from the fire time
   to the run record being written (queued). Runs finish at once (bench/_noop_executor.py): the
   kernels' cost is bench/run_overhead.py's subject.

    .venv/bin/python bench/scheduler.py [--schedules 1000] [--minutes 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
from sqlalchemy import insert, select, update

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench._machine import machine  # noqa: E402
from scalelab.schedules.cron import Cron  # noqa: E402
from scalelab.schedules.policy import decide  # noqa: E402
from scalelab.store import Store  # noqa: E402
from scalelab.store import projects as projects_repo  # noqa: E402
from scalelab.store import schedules as store_schedules  # noqa: E402
from scalelab.store.models import RunRow, ScheduleEventRow, ScheduleRow  # noqa: E402
from tests.hubctl import free_port  # noqa: E402
from tests.runs.conftest import write_notebook  # noqa: E402

DUE = 10
SIZES = (100, 1_000, 10_000)


def schedule_rows(project_id: int, count: int, next_fire: datetime, spread: bool) -> list[dict]:
    rows = []
    for i in range(count):
        cron = f"{i % 5}-59/5 * * * *" if spread else "0 6 * * *"
        rows.append(
            {
                "project_id": project_id,
                "name": f"s{i}",
                "target": "tick.ipynb",
                "parameters": {},
                "cron": cron,
                "timezone": "UTC",
                "options": {"fresh": True, "retries": 0, "timeout": None},
                "misfire": "run_once",
                "misfire_deadline_s": 3600,
                "concurrency": "allow",
                "notify": "never",
                "webhook_url": None,
                "paused": False,
                "next_fire_at": next_fire if spread else Cron(cron).next_after(next_fire),
                "created_by": "bench",
                "created_at": datetime.now(UTC),
                "updated_at": datetime.now(UTC),
            }
        )
    return rows


def new_store(root: Path, name: str) -> tuple[Store, int]:
    store = Store(f"sqlite:///{root / name}")
    store.upgrade()
    with store.session() as session:
        project_id = projects_repo.create_project(session, "bench", "bench", "bench").id
    return store, project_id


def decision(row: ScheduleRow, now: datetime) -> object:
    return decide(
        Cron(row.cron, row.timezone),
        row.next_fire_at,  # type: ignore[arg-type]
        now,
        misfire="run_once",
        deadline=timedelta(hours=1),
        tolerance=timedelta(seconds=60),
    )


def tick_costs(root: Path, size: int, repeat: int) -> tuple[float, float]:
    """Median CPU ms of one tick with DUE schedules due among `size`: ours, and the anchor's."""
    store, project_id = new_store(root, f"ticks-{size}.sqlite")
    now = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)
    with store.session() as session:
        session.execute(insert(ScheduleRow), schedule_rows(project_id, size, now, spread=False))
        due_ids = list(session.scalars(select(ScheduleRow.id).limit(DUE)))
    ours, anchor = [], []
    for i in range(repeat):
        tick_at = now + timedelta(minutes=i)
        with store.session() as session:
            session.execute(
                update(ScheduleRow)
                .where(ScheduleRow.id.in_(due_ids))
                .values(next_fire_at=tick_at - timedelta(seconds=1))
            )
        start = time.process_time()
        store_schedules.next_due(store)
        firings, _ = store_schedules.take_due(store, tick_at, "bench", decision)
        ours.append(1000 * (time.process_time() - start))
        assert len(firings) == DUE, len(firings)

        start = time.process_time()
        with store.session() as session:
            rows = session.execute(
                select(
                    ScheduleRow.id, ScheduleRow.cron, ScheduleRow.timezone, ScheduleRow.last_fire_at
                )
            ).all()
        due = 0
        for _id, cron, timezone, last in rows:
            if Cron(cron, timezone).next_after(last or tick_at - timedelta(days=1)) <= tick_at:
                due += 1
        anchor.append(1000 * (time.process_time() - start))
    store.dispose()
    return statistics.median(ours), statistics.median(anchor)


def lateness(root: Path, count: int, minutes: int) -> dict[str, float | int]:
    data = root / "data"
    store, project_id = new_store(root, "lateness.sqlite")
    write_notebook(data / "workspaces" / "bench" / "tick.ipynb", "n = 1", "n + 1")
    (data / "runs" / "bench").mkdir(parents=True, exist_ok=True)
    start_at = datetime.now(UTC)
    with store.session() as session:
        rows = schedule_rows(project_id, count, start_at, spread=True)
        for row in rows:
            row["next_fire_at"] = Cron(row["cron"]).next_after(start_at)
        session.execute(insert(ScheduleRow), rows)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scalelab.service",
            f"--data-root={data}",
            f"--db-url=sqlite:///{root / 'lateness.sqlite'}",
            f"--port={free_port()}",
            "--ScaleLab.executor_class=bench._noop_executor.NoopExecutor",
        ],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=(root / "service.log").open("wb"),
        start_new_session=True,
    )
    try:
        service = psutil.Process(process.pid)
        first = Cron("* * * * *").next_after(start_at)
        end = first + timedelta(minutes=minutes - 1)
        print(f"  watching fire times {first:%H:%M} to {end:%H:%M} UTC ...", file=sys.stderr)
        cpu0 = sum(service.cpu_times()[:2])
        while datetime.now(UTC) < end + timedelta(seconds=8):
            time.sleep(1)
        cpu = sum(service.cpu_times()[:2]) - cpu0
    finally:
        process.terminate()
        process.wait(30)
    with store.session() as session:
        events = session.execute(
            select(
                ScheduleEventRow.schedule_id,
                ScheduleEventRow.due_at,
                ScheduleEventRow.outcome,
                RunRow.created_at,
            )
            .outerjoin(RunRow, RunRow.id == ScheduleEventRow.run_id)
            .where(ScheduleEventRow.due_at >= first, ScheduleEventRow.due_at <= end)
        ).all()
        run_count = len(
            session.scalars(select(RunRow.id).where(RunRow.schedule_id.is_not(None))).all()
        )
        crons = dict(session.execute(select(ScheduleRow.id, ScheduleRow.cron)).all())
    store.dispose()
    assert run_count, (root / "service.log").read_text()
    expected = {
        (sid, t)
        for sid, cron in crons.items()
        for t in Cron(cron).next_times(first - timedelta(seconds=1), minutes)
        if t <= end
    }
    queued = [(sid, due, created) for sid, due, outcome, created in events if outcome == "queued"]
    late = sorted((created - due).total_seconds() for _, due, created in queued)
    fired = {(sid, due) for sid, due, _ in queued}
    q = statistics.quantiles(late, n=100)
    return {
        "fire_times": len(expected),
        "lateness_p50_s": round(q[49], 3),
        "lateness_p99_s": round(q[98], 3),
        "lateness_max_s": round(late[-1], 3),
        "missed": len(expected - fired),
        # Every run a schedule made is for a fire time in the window; more runs than fire times
        # fired would be a fire time run twice.
        "duplicated": run_count - len(fired),
        "service_cpu_ms_per_fire": round(1000 * cpu / max(1, len(queued)), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schedules", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scalelab-bench-") as tmp:
        root = Path(tmp)
        print(f"machine: {machine()}", file=sys.stderr)
        costs = {size: tick_costs(root, size, args.repeat) for size in SIZES}
        late = lateness(root, args.schedules, args.minutes)
    print(f"\nTick cost, {DUE} schedules due (CPU ms, median of {args.repeat})")
    print(f"{'schedules':>10} {'ScaleLab':>10} {'scan all':>10} {'scan/ours':>10}")
    for size, (ours, anchor) in costs.items():
        print(f"{size:>10} {ours:>10.2f} {anchor:>10.2f} {anchor / ours:>10.1f}x")
    growth = costs[10_000][0] / costs[100][0]
    anchor_growth = costs[10_000][1] / costs[100][1]
    print(f"{'10k / 100':>10} {growth:>10.2f}x {anchor_growth:>9.1f}x")
    print(
        f"\nLateness, {args.schedules} schedules, {late['fire_times']} fire times "
        "(target p99 < 1 s)"
    )
    for key in (
        "lateness_p50_s",
        "lateness_p99_s",
        "lateness_max_s",
        "missed",
        "duplicated",
        "service_cpu_ms_per_fire",
    ):
        print(f"  {key:<26} {late[key]}")
    result = {
        "benchmark": "scheduler",
        "machine": machine(),
        "schedules": args.schedules,
        **late,
        **{f"tick_cpu_ms_{size}": round(c[0], 3) for size, c in costs.items()},
        **{f"anchor_scan_tick_cpu_ms_{size}": round(c[1], 3) for size, c in costs.items()},
        "tick_growth_10000_vs_100": round(growth, 2),
        "anchor_growth_10000_vs_100": round(anchor_growth, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
