"""Two service processes on one PostgreSQL database: each fire time runs exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.pg import Postgres

from .clock import set_clock
from .conftest import ServiceProcess, events, prepare, runs, wait_for, wait_for_runs_to_end

T0 = datetime(2030, 1, 7, 10, 59, 58, tzinfo=UTC)
SCHEDULES = 12


def test_two_schedulers_fire_each_time_once(
    tmp_path: Path, services: Callable[..., ServiceProcess], postgres: Postgres
) -> None:
    db_url = postgres.create_database("two_schedulers")
    store, clock, project = prepare(tmp_path, db_url, "shared", T0)
    nb = project.notebook("tick.ipynb", "n = 1", "n + 1")
    ids = [project.schedule(f"s{i}", nb, "* * * * *", T0) for i in range(SCHEDULES)]

    # Both wake for 11:00 at the same moment: they sleep until the next fire time.
    first, second = services(db_url, "a"), services(db_url, "b")
    first.start()
    second.start()
    set_clock(clock, T0)
    dues = [T0.replace(second=0) + timedelta(minutes=m) for m in (1, 2)]

    def queued() -> int:
        return sum(e.outcome == "queued" for s in ids for e in events(store, s))

    wait_for(lambda: queued() == SCHEDULES, what="the 11:00 fire times")
    wait_for_runs_to_end(store, ids)
    set_clock(clock, dues[1] - timedelta(seconds=2))
    wait_for(lambda: queued() == 2 * SCHEDULES, what="the 11:01 fire times")

    workers: Counter[str] = Counter()
    for schedule in ids:
        fired = events(store, schedule)
        assert [(e.due_at, e.outcome) for e in fired] == [(d, "queued") for d in dues]
        made = runs(store, schedule)
        assert sorted(r.id for r in made) == sorted(e.run_id for e in fired)  # one run each
        workers.update(e.worker for e in fired)
    assert set(workers) <= {"a", "b"}
    for process in (first, second):
        assert "Traceback" not in process.log(), process.log()
    wait_for(
        lambda: all(r.status == "succeeded" for s in ids for r in runs(store, s)),
        what="the runs to finish",
        timeout=120,
    )
