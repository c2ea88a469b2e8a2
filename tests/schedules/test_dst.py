"""02:30 in a zone that skips or repeats that hour: fires once per calendar day, through the
scheduler's own tick (database claim + policy), minute by minute across the change."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scalelab.schedules.cron import Cron
from scalelab.schedules.policy import decide
from scalelab.store import Store
from scalelab.store import schedules as store_schedules
from scalelab.store.models import ScheduleRow

from .conftest import Project, events


def tick_through(store: Store, start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    def decision(row: ScheduleRow, now: datetime):  # as the service's scheduler decides
        return decide(
            Cron(row.cron, row.timezone),
            row.next_fire_at,
            now,
            misfire=row.misfire,
            deadline=timedelta(seconds=row.misfire_deadline_s),
            tolerance=timedelta(seconds=60),
        )

    fired: list[datetime] = []
    now = start
    while now < end:
        firings, misses = store_schedules.take_due(store, now, "w", decision)
        assert misses == []
        fired += [f.due for f in firings]
        now += step
    return fired


@pytest.mark.parametrize(
    ("zone", "night"),
    [
        ("Europe/Berlin", datetime(2026, 3, 29)),  # 02:00 -> 03:00: 02:30 does not exist
        ("Europe/Berlin", datetime(2026, 10, 25)),  # 03:00 -> 02:00: 02:30 happens twice
        ("America/New_York", datetime(2026, 3, 8)),
        ("America/New_York", datetime(2026, 11, 1)),
    ],
)
def test_0230_fires_once_per_calendar_day(
    zone: str, night: datetime, db_url: str, tmp_path: Path
) -> None:
    store = Store(db_url)
    store.upgrade()
    tz = ZoneInfo(zone)
    start = (night - timedelta(days=1)).replace(tzinfo=tz).astimezone(UTC)
    end = (night + timedelta(days=2)).replace(tzinfo=tz).astimezone(UTC)
    project = Project(store, tmp_path / "data", "dst")
    nightly_id = project.schedule("nightly", "x.ipynb", "30 2 * * *", start, timezone=zone)
    hourly = project.schedule("hourly", "x.ipynb", "30 * * * *", start, timezone=zone)

    fired = tick_through(store, start, end, timedelta(minutes=1))
    nightly = [e.due_at for e in events(store, nightly_id)]
    per_day = Counter(t.astimezone(tz).date() for t in nightly)
    assert sorted(per_day) == [(night + timedelta(days=d)).date() for d in (-1, 0, 1)]
    assert set(per_day.values()) == {1}
    # Every fire time of the hourly schedule ran, each exactly once, an hour apart in real time.
    hours = [e.due_at for e in events(store, hourly)]
    assert len(hours) == len(set(hours)) == (end - start) // timedelta(hours=1)
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(hours))
    assert sorted(fired) == sorted(nightly + hours)  # what the tick returned is what it recorded


def test_a_schedule_that_cannot_be_read_is_paused_not_left_blocking(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    store.upgrade()
    start = datetime(2030, 1, 1, tzinfo=UTC)
    project = Project(store, tmp_path / "data", "broken")
    broken = project.schedule("broken", "x.ipynb", "0 * * * *", start)
    healthy = project.schedule("healthy", "x.ipynb", "0 * * * *", start)
    with store.session() as session:  # as if tzdata had dropped the zone since it was saved
        session.get(ScheduleRow, broken).timezone = "Gone/Away"

    fired = tick_through(store, start, start + timedelta(hours=2, minutes=1), timedelta(minutes=1))
    assert len(fired) == 2 and [e.outcome for e in events(store, healthy)] == ["starting"] * 2
    [failed] = events(store, broken)
    assert failed.outcome == "failed" and "Gone/Away" in failed.detail
    with store.session() as session:
        row = session.get(ScheduleRow, broken)
        assert row.paused and row.next_fire_at is None
