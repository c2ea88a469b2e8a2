"""Real ScaleLab service processes for scheduler tests: started, killed and restarted at will,
sharing a database, each with a clock the test moves (tests/schedules/clock.py).

They run without a hub: the scheduler needs none (scheduled runs need nobody logged in), and
the tests read and write the service database directly. The API is tested through a real hub
in tests/service/.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from scalelab.runs.records import UNFINISHED
from scalelab.schedules.cron import Cron
from scalelab.store import Store
from scalelab.store import projects as projects_repo
from scalelab.store.models import RunRow, ScheduleEventRow, ScheduleRow
from scalelab.workspaces import Workspaces
from tests.hubctl import REPO, VENV_BIN, free_port
from tests.runs.conftest import write_notebook
from tests.waiting import wait_until

from .clock import CLOCK_FILE_ENV, set_clock

# The service's own log says it listens once the scheduler's first tick is scheduled.
READY = "ScaleLab "


@dataclass
class ServiceProcess:
    """`python -m scalelab.service` as JupyterHub would run it, minus the hub."""

    data_root: Path
    db_url: str
    name: str
    clock_file: Path
    options: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def log_path(self) -> Path:
        return self.data_root / f"service-{self.name}.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, timeout: float = 30) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            CLOCK_FILE_ENV: str(self.clock_file),
            "SCALELAB_PUBLIC_URL": "http://lab.example",
        }
        argv = [
            str(VENV_BIN / "python"),
            "-m",
            "scalelab.service",
            f"--data-root={self.data_root}",
            f"--db-url={self.db_url}",
            f"--port={self.port}",
            f"--ScaleLab.instance_name={self.name}",
            "--Scheduler.clock_class=tests.schedules.clock.OffsetClock",
            "--Scheduler.poll_interval=0.2",
            "--log-level=INFO",
            *self.options,
        ]
        offset = len(self.log())
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        process = self.process

        def ready() -> bool:
            if READY in self.log()[offset:]:
                return True
            if process.poll() is not None:
                raise RuntimeError(f"service {self.name} did not start:\n{self.log()}")
            return False

        wait_until(ready, timeout, 0.1, lambda: f"service {self.name} did not start:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL the service and everything it started (fork server, kernels): a crash."""
        if self.process is not None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        """SIGTERM, as the hub stops it: runs are cancelled, kernels shut down."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            self.process.wait(30)
        self.kill()


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Callable[..., ServiceProcess]]:
    """Make service processes on `tmp_path`; all are killed at the end of the test."""
    made: list[ServiceProcess] = []

    def make(db_url: str, name: str = "a", options: list[str] | None = None) -> ServiceProcess:
        process = ServiceProcess(
            tmp_path / "data", db_url, name, tmp_path / "clock", list(options or [])
        )
        process.data_root.mkdir(exist_ok=True)
        made.append(process)
        return process

    yield make
    for process in made:
        process.stop()


class Project:
    """A project created the way the service does, with helpers to schedule its notebooks."""

    def __init__(self, store: Store, data_root: Path, slug: str) -> None:
        self.store = store
        self.slug = slug
        self.workspace = Workspaces(data_root / "workspaces", data_root / "trash").create(
            slug, "empty"
        )
        (data_root / "runs" / slug).mkdir(parents=True, exist_ok=True)
        with store.session() as session:
            self.id = projects_repo.create_project(session, slug, slug, "alice").id

    def notebook(self, name: str, params: str, *body: str) -> str:
        write_notebook(self.workspace / name, params, *body)
        return name

    def schedule(self, name: str, target: str, cron: str, now: datetime, **fields: Any) -> int:
        timezone = fields.pop("timezone", "UTC")
        row = ScheduleRow(
            project_id=self.id,
            name=name,
            target=target,
            parameters=fields.pop("parameters", {}),
            cron=cron,
            timezone=timezone,
            options={"fresh": True, "retries": 0, "timeout": None},
            misfire=fields.pop("misfire", "run_once"),
            misfire_deadline_s=fields.pop("deadline", 3600),
            concurrency=fields.pop("concurrency", "forbid"),
            notify=fields.pop("notify", "failure"),
            webhook_url=fields.pop("webhook_url", None),
            paused=False,
            next_fire_at=Cron(cron, timezone).next_after(now),
            created_by="alice",
        )
        assert not fields, f"unknown schedule fields {fields}"
        with self.store.session() as session:
            session.add(row)
            session.flush()
            return row.id


def prepare(tmp_path: Path, db_url: str, slug: str, at: datetime) -> tuple[Store, Path, Project]:
    """A migrated database, the test clock (a file) showing `at`, and a project."""
    store = Store(db_url)
    store.upgrade()
    clock = tmp_path / "clock"
    set_clock(clock, at)
    return store, clock, Project(store, tmp_path / "data", slug)


def events(store: Store, schedule_id: int) -> list[ScheduleEventRow]:
    with store.session() as session:
        rows = session.scalars(
            select(ScheduleEventRow)
            .where(ScheduleEventRow.schedule_id == schedule_id)
            .order_by(ScheduleEventRow.due_at)
        ).all()
        session.expunge_all()
        return list(rows)


def runs(store: Store, schedule_id: int) -> list[RunRow]:
    with store.session() as session:
        rows = session.scalars(
            select(RunRow).where(RunRow.schedule_id == schedule_id).order_by(RunRow.created_at)
        ).all()
        session.expunge_all()
        return list(rows)


def wait_for(check: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    return wait_until(check, timeout, 0.2, what or repr(check))


def wait_for_runs_to_end(store: Store, schedule_ids: Iterable[int], timeout: float = 120) -> None:
    """Until every run these schedules made has ended: a fire time after that is not an overlap."""
    ids = list(schedule_ids)
    wait_for(
        lambda: all(r.status not in UNFINISHED for s in ids for r in runs(store, s)),
        timeout,
        "the runs of the fire times so far to end",
    )
