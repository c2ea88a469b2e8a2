"""The scheduler inside the service: fires due schedules as runs of the project, and says how
they went.

Each service process runs one. A tick claims due schedules in one transaction (see
`store.schedules.take_due`), so several processes on one PostgreSQL database share the work and
never fire a fire time twice. Between ticks it sleeps until the next fire time, at most
`poll_interval` (other processes may add schedules), and wakes at once when this process's API
changes a schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from traitlets import Float, Integer, Type
from traitlets.config import LoggingConfigurable

from ..errors import ScaleLabError
from ..runs.plan import Plan
from ..runs.records import Run
from ..schedules.cron import Cron, parsed
from ..schedules.policy import Decision, decide
from ..store import schedules as store_schedules
from ..store.models import ScheduleRow
from ..store.runs import ProjectRuns
from .notify import Notifier

if TYPE_CHECKING:
    from ..store import Store
    from .runs import RunManager


@dataclass
class ScheduledRun:
    """A fire time's run, ready to record and start; or the reason it cannot run."""

    firing: store_schedules.Firing
    record: Run | None = None
    runs: ProjectRuns | None = None
    plan: Plan | None = None
    error: str | None = None


class Periodic(Protocol):
    """Other timed work the scheduler's loop drives on the same clock (monitors' checks)."""

    def start(self) -> None: ...
    async def close(self) -> None: ...
    def next_due(self) -> datetime | None: ...
    async def tick(self, now: datetime) -> int: ...


class Scheduler(LoggingConfigurable):
    """Fires the schedules of every project as runs (see the module's text)."""

    clock_class = Type(
        "scalelab.schedules.clock.Clock",
        klass="scalelab.schedules.clock.Clock",
        help="The scheduler's clock (wall-clock time, UTC); tests swap in one they can move.",
    ).tag(config=True)

    poll_interval = Float(
        1.0,
        help="""Longest sleep of the scheduler between ticks, in seconds.

        It sleeps until the next fire time it knows of; this bounds how late it notices a
        schedule another service process added.""",
    ).tag(config=True)

    misfire_tolerance = Float(
        60.0,
        help="""Seconds a fire time may be late and still run as usual.

        Later than this (the service was down, or the machine suspended) it is a misfire,
        handled by the schedule's misfire policy.""",
    ).tag(config=True)

    min_interval = Integer(
        60,
        help="Shortest time between two fire times of a schedule, in seconds; "
        "schedules that fire more often are refused.",
    ).tag(config=True)

    def __init__(
        self,
        *,
        store: Store,
        runs: RunManager,
        notifier: Notifier,
        worker: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.runs = runs
        self.notifier = notifier
        self.worker = worker  # this service process, recorded with the fire times it takes
        self.clock = self.clock_class(parent=self)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.periodic: list[Periodic] = []

    def cron(self, expression: str, timezone: str) -> Cron:
        return parsed(expression, timezone)

    def wake(self) -> None:
        """A schedule changed here: look again now instead of at the next planned time."""
        self._wake.set()

    def start(self) -> None:
        closed = store_schedules.close_unstarted(self.store, self.worker)
        if closed:
            self.log.warning("%d fire time(s) taken before the last stop got no run", closed)
        for work in self.periodic:
            work.start()
        self._task = asyncio.ensure_future(self._loop())
        self.notifier.start()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for work in self.periodic:
            await work.close()
        await self.notifier.close()

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
                for work in self.periodic:
                    await work.tick(self.clock.now())
                delay = self._seconds_to_next()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not end scheduling
                self.log.exception("scheduler tick failed; trying again")
                delay = self.poll_interval
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    def _seconds_to_next(self) -> float:
        poll = float(self.poll_interval)
        dues = [store_schedules.next_due(self.store), *(w.next_due() for w in self.periodic)]
        due = min((d for d in dues if d is not None), default=None)
        if due is None:
            return poll
        return max(0.0, min(poll, (due - self.clock.now()).total_seconds()))

    def decide(self, row: ScheduleRow, now: datetime) -> Decision:
        assert row.next_fire_at is not None
        return decide(
            self.cron(row.cron, row.timezone),
            row.next_fire_at,
            now,
            misfire=row.misfire,  # type: ignore[arg-type]
            deadline=timedelta(seconds=row.misfire_deadline_s),
            tolerance=timedelta(seconds=self.misfire_tolerance),
        )

    async def tick(self) -> int:
        """Fire what is due now; returns the number of runs queued."""
        for run_id in store_schedules.runs_to_cancel(self.store, self.worker):
            await self.runs.cancel(run_id)
        queued = 0
        while True:
            firings, misses = store_schedules.take_due(
                self.store, self.clock.now(), self.worker, self.decide
            )
            for miss in misses:
                self.notifier.missed(miss)
            if firings:
                queued += await self.fire(firings)
            if not firings and not misses:
                return queued

    async def fire(self, firings: list[store_schedules.Firing]) -> int:
        """Make the runs of these fire times, record them together, then start them.

        Each fire time stands alone: one whose run cannot be made or recorded is failed with
        the reason and told about; the others run.
        """
        for firing in firings:
            if firing.replaces:
                await self.runs.cancel(firing.replaces)
        made = await asyncio.get_running_loop().run_in_executor(None, self._make_runs, firings)
        made = self._record(made)
        queued, failed = _split(made)
        for m in made:
            if m.error is None and m.record is not None and m.runs is not None:
                task = self.runs.start(m.runs, m.record, m.plan)
                task.add_done_callback(lambda t, f=m.firing: self._finished(t, f))
        for firing, error in failed:
            try:
                self.notifier.failed_to_start(firing, error)
            except Exception:  # recorded already; the message alone is lost
                self.log.exception("schedule %d: failure not told", firing.schedule_id)
        return len(queued)

    def _make_runs(self, firings: list[store_schedules.Firing]) -> list[ScheduledRun]:
        """Each fire time's run record and plan, or why it cannot run (in a thread: this reads
        the notebooks)."""
        made = []
        for firing in firings:
            try:
                made.append(self._make_run(firing))
            except ScaleLabError as exc:
                made.append(ScheduledRun(firing, error=f"the run could not start: {exc.message}"))
            except Exception as exc:  # a notebook that is not JSON, a template that raises...
                self.log.exception("schedule %d (%s): no run made", firing.schedule_id, firing.name)
                made.append(ScheduledRun(firing, error=f"the run could not start: {_reason(exc)}"))
        return made

    def _make_run(self, firing: store_schedules.Firing) -> ScheduledRun:
        catch_up = " (catch-up)" if firing.catch_up else ""
        made = self.runs.make_run(
            firing.project_id,
            firing.slug,
            firing.job,
            trigger="schedule",
            triggered_by=f"schedule {firing.name}{catch_up}",
            schedule_id=firing.schedule_id,
        )
        return ScheduledRun(firing, made.record, made.runs, made.plan)

    def _record(self, made: list[ScheduledRun]) -> list[ScheduledRun]:
        """Record the runs and failures in one transaction. Should that fail, record each fire
        time on its own, so that one which cannot be saved fails alone."""
        try:
            store_schedules.started(self.store, *_split(made))
            return made
        except Exception:
            self.log.exception("recording %d fire time(s) together failed; one by one", len(made))
        recorded = []
        for m in made:
            try:
                store_schedules.started(self.store, *_split([m]))
            except Exception as exc:
                self.log.exception(
                    "schedule %d (%s): run not recorded", m.firing.schedule_id, m.firing.name
                )
                error = f"the run could not be recorded: {_reason(exc)}"
                try:
                    store_schedules.started(self.store, [], [(m.firing, error)])
                except Exception:  # the database itself: left `starting`, closed at restart
                    self.log.exception("schedule %d: failure not recorded", m.firing.schedule_id)
                    continue
                m = ScheduledRun(m.firing, error=error)
            recorded.append(m)
        return recorded

    def _finished(self, task: asyncio.Task[Run], firing: store_schedules.Firing) -> None:
        if task.cancelled():
            return
        if task.exception() is None:
            self.notifier.run_finished(firing, task.result())


def _split(
    made: list[ScheduledRun],
) -> tuple[
    list[tuple[store_schedules.Firing, Run, ProjectRuns]],
    list[tuple[store_schedules.Firing, str]],
]:
    """What `store_schedules.started` takes: the runs to record, and the fire times that failed."""
    queued = [(m.firing, m.record, m.runs) for m in made if m.error is None and m.record and m.runs]
    failed = [(m.firing, m.error) for m in made if m.error is not None]
    return queued, failed


def _reason(exc: BaseException) -> str:
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
