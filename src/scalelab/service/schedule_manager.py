"""Schedule use cases: create, edit (pause, resume), delete. Each owns its transaction and is
callable without HTTP (the API's handlers, the demo seed, tests).

The caller has authorized the request (editor role); the project's state (archived), the
cron's frequency, the webhook's address and the job's target and parameters are checked here.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput
from ..runs.job import ExecutionOptions, Job, plan_job
from ..schedules.cron import Cron
from ..store import projects as projects_repo
from ..store import schedules as repo
from ..store.models import ScheduleRow
from .models import ScheduleCreate, ScheduleSettings
from .webhook_guard import url_refusal

if TYPE_CHECKING:
    from ..store import Store
    from ..workspaces import Workspaces
    from .notify import Notifier
    from .scheduler import Scheduler

OPTIONS = tuple(ExecutionOptions.model_fields)  # flat in the API, the job's options inside
# In an edit, null means "none" for these only (the executor's step timeout, no webhook); any
# other field has no empty value, and leaving it out is how to keep it as it is.
NULLABLE = {"timeout", "webhook_url"}


class ScheduleManager:
    def __init__(
        self, *, store: Store, workspaces: Workspaces, scheduler: Scheduler, notifier: Notifier
    ) -> None:
        self.store = store
        self.workspaces = workspaces
        self.scheduler = scheduler
        self.notifier = notifier

    def cron(self, expression: str, timezone: str) -> Cron:
        """The cron expression, if valid and no more frequent than the service allows."""
        now = self.scheduler.clock.now()
        return Cron(expression, timezone).at_most_every(self.scheduler.min_interval, now)

    def _check_webhook(self, url: str | None) -> None:
        # A host name is checked where it resolves, at each delivery; a literal address and
        # the host list can be refused now.
        refused = url_refusal(url, self.notifier.webhook_hosts, self.notifier.webhook_networks)
        if refused:
            raise InvalidInput(refused)

    async def _check_job(self, slug: str, job: Job) -> None:
        """The target exists and the parameters pass its checks, as a run would need."""
        workspace = self.workspaces.path(slug)
        await asyncio.get_running_loop().run_in_executor(None, plan_job, job, workspace)

    async def create(self, project_id: int, body: ScheduleCreate, actor: str) -> ScheduleRow:
        with self.store.session() as session:
            slug = projects_repo.writable_slug(session, project_id)
        self.cron(body.cron, body.timezone)
        self._check_webhook(body.webhook_url)
        await self._check_job(slug, body.job())
        with self.store.session() as session:
            row = self.new_row(project_id, body, actor)
            repo.add_schedule(session, row, slug)
        self.scheduler.wake()
        return row

    def new_row(self, project_id: int, body: ScheduleCreate, actor: str) -> ScheduleRow:
        cron = self.scheduler.cron(body.cron, body.timezone)
        return ScheduleRow(
            project_id=project_id,
            name=body.name,
            job=body.job(),
            cron=body.cron,
            timezone=body.timezone,
            misfire=body.misfire,
            misfire_deadline_s=body.misfire_deadline,
            concurrency=body.concurrency,
            notify=body.notify,
            webhook_url=body.webhook_url or None,
            paused=body.paused,
            next_fire_at=None if body.paused else cron.next_after(self.scheduler.clock.now()),
            created_by=actor,
        )

    async def update(
        self, project_id: int, schedule_id: int, body: ScheduleSettings, actor: str
    ) -> repo.ScheduleView:
        """Edit the fields given in `body` (pause and resume too); returns the schedule."""
        nulls = sorted(f for f in body.model_fields_set - NULLABLE if getattr(body, f) is None)
        if nulls:
            raise InvalidInput(f"{', '.join(nulls)} cannot be null; leave a field out to keep it")
        with self.store.session() as session:
            slug = projects_repo.writable_slug(session, project_id)
            current = repo.get_schedule(session, project_id, schedule_id).row
        given = body.model_fields_set
        # Given values are checked as given: an empty target or cron is refused, not ignored.
        if given & {"cron", "timezone"}:
            self.cron(_given(body.cron, current.cron), _given(body.timezone, current.timezone))
        self._check_webhook(body.webhook_url)
        if given & {"target", "parameters"}:
            await self._check_job(slug, edited_job(current.job, body))
        with self.store.session() as session:
            view = repo.get_schedule(session, project_id, schedule_id)
            fields = self._apply(view.row, body)
            repo.changed(session, view.row, slug, actor, fields)
        self.scheduler.wake()
        return view

    def _apply(self, row: ScheduleRow, body: ScheduleSettings) -> list[str]:
        """Copy the fields given in `body` onto `row`; returns their names."""
        given = body.model_fields_set
        simple = {"name", "cron", "timezone", "misfire", "concurrency", "notify", "paused"}
        for field in given & simple:
            setattr(row, field, getattr(body, field))
        row.job = edited_job(row.job, body)
        if "misfire_deadline" in given:
            row.misfire_deadline_s = body.misfire_deadline
        if "webhook_url" in given:
            row.webhook_url = body.webhook_url or None
        cron = self.scheduler.cron(row.cron, row.timezone)
        if row.paused:
            row.next_fire_at = None
        elif row.next_fire_at is None or given & {"cron", "timezone", "paused"}:
            # From now on: resuming does not replay what fell due while paused.
            row.next_fire_at = cron.next_after(self.scheduler.clock.now())
        return sorted(given)

    def delete(self, project_id: int, schedule_id: int, actor: str) -> None:
        """Delete a schedule; its runs stay."""
        with self.store.session() as session:
            view = repo.get_schedule(session, project_id, schedule_id)
            slug = projects_repo.project_by_id(session, project_id).slug  # type: ignore[union-attr]
            repo.delete_schedule(session, view.row, slug, actor)


def _given(value: Any, current: Any) -> Any:
    return current if value is None else value


def edited_job(job: Job, body: ScheduleSettings) -> Job:
    """`job` with the target, parameters and options given in `body`."""
    given = body.model_fields_set
    options = job.options.model_copy(update={o: getattr(body, o) for o in given & set(OPTIONS)})
    return Job(
        target=_given(body.target, job.target),
        parameters=_given(body.parameters, job.parameters),
        options=options,
    )
