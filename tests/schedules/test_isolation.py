"""One schedule whose run cannot be made (a notebook that is not JSON, a pipeline template that
fails) fails on its own: the schedules due with it, in other projects, run as usual."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from scalelab.service import runs as service_runs
from scalelab.service.app import ScaleLab
from scalelab.store.models import NotificationRow

from .clock import CLOCK_FILE_ENV, set_clock
from .conftest import Project, ServiceProcess, events, prepare, runs, wait_for, wait_for_runs_to_end

T0 = datetime(2030, 1, 7, 10, 59, 58, tzinfo=UTC)
DUES = [T0.replace(second=0) + timedelta(minutes=m) for m in (1, 2)]

BAD_TEMPLATE = """\
name: bad
parameters: {scale: 2}
steps:
  - {name: only, notebook: ok.ipynb, parameters: {n: "{{ params.scale / 0 }}"}}
"""


def broken(project: Project, kind: str) -> tuple[str, list[str]]:
    """A target whose run cannot be made, and what the reason must say."""
    if kind == "json":
        (project.workspace / "broken.ipynb").write_text('{"cells": [')
        return "broken.ipynb", ["broken.ipynb", "JSON"]
    project.notebook("ok.ipynb", "n = 1", "print(n)")
    (project.workspace / "bad.yaml").write_text(BAD_TEMPLATE)
    return "bad.yaml", ["step 'only'", "parameter 'n'", "division by zero"]


@pytest.mark.parametrize("kind", ["json", "template"])
def test_a_schedule_that_cannot_start_does_not_stop_the_others(
    tmp_path: Path, services: Callable[..., ServiceProcess], kind: str
) -> None:
    db_url = f"sqlite:///{tmp_path / 'scalelab.sqlite'}"
    store, clock, first = prepare(tmp_path, db_url, "first", T0)
    bad_project = Project(store, tmp_path / "data", "bad")
    last = Project(store, tmp_path / "data", "last")
    good = [
        p.schedule("good", p.notebook("ok.ipynb", "n = 1", "print(n)"), "* * * * *", T0)
        for p in (first, last)
    ]
    target, reasons = broken(bad_project, kind)
    bad = bad_project.schedule("bad", target, "* * * * *", T0)
    service = services(db_url)
    service.start()

    def settled(count: int) -> bool:
        fired = [events(store, s) for s in (*good, bad)]
        return all(len(e) == count and e[-1].outcome != "starting" for e in fired)

    wait_for(lambda: settled(1), what="the 11:00 fire times")
    wait_for_runs_to_end(store, good)
    set_clock(clock, DUES[1] - timedelta(seconds=2))
    wait_for(lambda: settled(2), what="the 11:01 fire times")

    for schedule in good:
        assert [(e.due_at, e.outcome) for e in events(store, schedule)] == [
            (d, "queued") for d in DUES
        ]
        wait_for(
            lambda s=schedule: [r.status for r in runs(store, s)] == ["succeeded"] * 2,
            what="the good runs",
        )
    failed = events(store, bad)
    assert [(e.due_at, e.outcome, e.run_id) for e in failed] == [(d, "failed", None) for d in DUES]
    details = [e.detail for e in failed]
    for reason in ["the run could not start: ", *reasons]:
        assert all(reason in d for d in details), details
    assert runs(store, bad) == []

    with store.session() as session:
        told = session.scalars(
            select(NotificationRow)
            .where(NotificationRow.project_id == bad_project.id)
            .order_by(NotificationRow.id)
        ).all()
        assert [(n.level, n.schedule_id) for n in told] == [("error", bad)] * 2
        assert [n.message for n in told] == details


def test_an_unexpected_error_fails_its_fire_time_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever goes wrong making one run (here a bug) is recorded, told and logged for that
    fire time only; the scheduler here runs in the test's own process to inject the bug."""
    db_url = f"sqlite:///{tmp_path / 'scalelab.sqlite'}"
    store, clock, first = prepare(tmp_path, db_url, "first", T0)
    other = Project(store, tmp_path / "data", "other")
    good = [
        p.schedule("good", p.notebook("ok.ipynb", "n = 1", "print(n)"), "* * * * *", T0)
        for p in (first, other)
    ]
    bad = other.schedule("bad", other.notebook("boom.ipynb", "n = 1"), "* * * * *", T0)
    real_plan_job = service_runs.plan_job

    def plan_job(job: Any, workdir: Path, **kw: Any) -> Any:
        if job.target == "boom.ipynb":
            raise RuntimeError("boom")
        return real_plan_job(job, workdir, **kw)

    monkeypatch.setattr(service_runs, "plan_job", plan_job)
    monkeypatch.setenv(CLOCK_FILE_ENV, str(clock))
    ScaleLab.clear_instance()
    app = ScaleLab()
    app.initialize(
        [
            f"--data-root={tmp_path / 'data'}",
            f"--db-url={db_url}",
            "--Scheduler.clock_class=tests.schedules.clock.OffsetClock",
        ]
    )

    async def fire_twice() -> list[int]:
        queued = []
        try:
            for due in DUES:
                set_clock(clock, due + timedelta(seconds=1))
                queued.append(await app.scheduler.tick())
                await asyncio.gather(*app.runs.tasks.values())
        finally:
            await app.scheduler.stop()
            await app.runs.close()
            app.store.dispose()
            ScaleLab.clear_instance()
        return queued

    assert asyncio.run(fire_twice()) == [2, 2]
    for schedule in good:
        assert [e.outcome for e in events(store, schedule)] == ["queued"] * 2
        assert [r.status for r in runs(store, schedule)] == ["succeeded"] * 2
    failed = events(store, bad)
    assert [(e.due_at, e.outcome) for e in failed] == [(d, "failed") for d in DUES]
    assert all(e.detail == "the run could not start: RuntimeError: boom" for e in failed)
    with store.session() as session:
        told = session.scalars(
            select(NotificationRow.message).where(NotificationRow.schedule_id == bad)
        ).all()
    assert told == ["the run could not start: RuntimeError: boom"] * 2
    logged = capsys.readouterr().err
    assert logged.count(f"schedule {bad} (bad): no run made") == 2
    assert "Traceback" in logged and "RuntimeError: boom" in logged
