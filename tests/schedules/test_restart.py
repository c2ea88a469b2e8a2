"""The service killed across fire times: on restart each misfire policy does what it says, and
every fire time is accounted for (queued, or recorded as missed with the reason)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .clock import set_clock
from .conftest import ServiceProcess, events, prepare, runs, wait_for

T0 = datetime(2030, 1, 7, 10, 59, 55, tzinfo=UTC)


def at(hh: int, mm: int) -> datetime:
    return T0.replace(hour=hh, minute=mm, second=0)


def test_misfire_policies_after_the_service_was_down(
    tmp_path: Path, services: Callable[..., ServiceProcess]
) -> None:
    db_url = f"sqlite:///{tmp_path / 'scalelab.sqlite'}"
    store, clock, project = prepare(tmp_path, db_url, "nightly", T0)
    nb = project.notebook("ok.ipynb", "n = 1", "print(n)")
    skip = project.schedule("skip", nb, "* * * * *", T0, misfire="skip")
    once = project.schedule("once", nb, "* * * * *", T0, misfire="run_once")
    hourly_late = project.schedule("hourly-late", nb, "3 * * * *", T0, deadline=60)
    hourly = project.schedule("hourly", nb, "3 * * * *", T0, deadline=3600)

    service = services(db_url, options=["--Scheduler.misfire_tolerance=5"])
    service.start()
    # 11:00 fires on time for the every-minute schedules.
    for schedule in (skip, once):
        wait_for(lambda s=schedule: runs(store, s), what="the 11:00 runs")
    service.kill()

    # Down from 11:00 until 11:05:30: 11:01-11:05 and 11:03 fall due while nobody is there.
    set_clock(clock, at(11, 5) + timedelta(seconds=30))
    service.start()
    settled = lambda s: [e.outcome for e in events(store, s)][-1:] == ["queued"]  # noqa: E731
    wait_for(lambda: settled(hourly) and len(events(store, once)) == 6 and settled(once))

    skipped = events(store, skip)
    assert [(e.due_at, e.outcome) for e in skipped] == [(at(11, 0), "queued")] + [
        (at(11, m), "missed") for m in range(1, 6)
    ]
    assert all("misfire policy skip" in e.detail for e in skipped[1:])
    assert len(runs(store, skip)) == 1

    caught = events(store, once)
    assert [(e.due_at, e.outcome) for e in caught] == (
        [(at(11, 0), "queued")]
        + [(at(11, m), "missed") for m in range(1, 5)]
        + [(at(11, 5), "queued")]
    )
    catch_up = runs(store, once)[-1]
    assert catch_up.id == caught[-1].run_id
    assert catch_up.trigger == "schedule" and "catch-up" in catch_up.triggered_by

    [late] = events(store, hourly_late)
    assert (late.due_at, late.outcome, late.run_id) == (at(11, 3), "missed", None)
    assert "past the catch-up deadline" in late.detail

    [caught_hourly] = events(store, hourly)
    assert (caught_hourly.due_at, caught_hourly.outcome) == (at(11, 3), "queued")

    # The catch-up runs run to the end, as the project, with nobody logged in.
    wait_for(lambda: runs(store, once)[-1].status == "succeeded", what="catch-up run")
    # Misses are told to the project's members, not only logged.
    from sqlalchemy import select

    from scalelab.store.models import NotificationRow

    with store.session() as session:
        titles = session.scalars(select(NotificationRow.title)).all()
    assert "Schedule skip missed 5 fire time(s)" in titles
    assert "Schedule hourly-late missed 1 fire time(s)" in titles
