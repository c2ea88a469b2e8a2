"""Schedules of a project: editors manage them, viewers see them and their history."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from ..errors import InvalidInput
from ..roles import includes
from ..runs.job import ExecutionOptions, Job, plan_job
from ..schedules.cron import Cron
from ..store import projects as projects_repo
from ..store import schedules as repo
from ..store.models import ScheduleRow
from .handlers import BaseHandler
from .models import (
    CronPreview,
    CronPreviewRequest,
    NotificationList,
    NotificationModel,
    ScheduleCreate,
    ScheduleEvent,
    ScheduleHistory,
    ScheduleList,
    ScheduleModel,
    ScheduleSettings,
    ScheduleUpdate,
)
from .openapi import Operation
from .projects import ProjectScoped
from .webhook_guard import url_refusal

if TYPE_CHECKING:
    from .app import ScaleLab

TAGS = ("schedules",)
OPTIONS = tuple(ExecutionOptions.model_fields)  # flat in the API, the job's options inside
MAX_ID = 2**63 - 1


def webhook_host(url: str | None) -> str | None:
    """Scheme, host and port: never the credentials a URL may carry."""
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"


def redact(url: str | None) -> str | None:
    """The URL with its credentials as `***`: user and password, query values, and the path
    past its first segment.

    Incoming-webhook URLs are credentials: whoever has one can post to the channel. Tokens sit
    in the path too (Slack's /services/T…/B…/secret), so only the first path segment stays.
    """
    if not url:
        return None
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    segments = parts.path.split("/")
    path = "/".join(s if i < 2 or not s else "***" for i, s in enumerate(segments))
    query = "&".join(
        f"{name}=***" if sep else name
        for name, sep, _ in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return urlunsplit((parts.scheme, netloc, path, query, "***" if parts.fragment else ""))


def new_schedule(app: ScaleLab, project_id: int, body: ScheduleCreate, actor: str) -> ScheduleRow:
    cron = app.scheduler.cron(body.cron, body.timezone)
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
        next_fire_at=None if body.paused else cron.next_after(app.clock.now()),
        created_by=actor,
    )


# In an edit, null means "none" for these only (the executor's step timeout, no webhook); any
# other field has no empty value, and leaving it out is how to keep it as it is.
NULLABLE = {"timeout", "webhook_url"}


def refuse_nulls(body: ScheduleSettings) -> None:
    nulls = sorted(f for f in body.model_fields_set - NULLABLE if getattr(body, f) is None)
    if nulls:
        raise InvalidInput(f"{', '.join(nulls)} cannot be null; leave a field out to keep it")


class ScheduleScoped(ProjectScoped):
    @property
    def is_editor(self) -> bool:
        return self.identity.admin or includes(self.role, "editor")

    def cron(self, expression: str, timezone: str) -> Cron:
        """The cron expression, if valid and no more frequent than the service allows."""
        cron = Cron(expression, timezone)
        shortest = cron.shortest_interval(self.app.clock.now()).total_seconds()
        if shortest < self.app.scheduler.min_interval:
            raise InvalidInput(
                f"{expression!r} fires every {shortest:.0f} s at its closest; the shortest "
                f"interval allowed is {self.app.scheduler.min_interval} s"
            )
        return cron

    def check_webhook(self, url: str | None) -> None:
        # A host name is checked where it resolves, at each delivery; a literal address and
        # the host list can be refused now.
        refused = url_refusal(
            url, self.app.notifier.webhook_hosts, self.app.notifier.webhook_networks
        )
        if refused:
            raise InvalidInput(refused)

    def model(self, view: repo.ScheduleView) -> ScheduleModel:
        row = view.row
        job = row.job
        return ScheduleModel(
            id=row.id,
            project=self.slug,
            name=row.name,
            target=job.target,
            parameters=job.parameters,
            cron=row.cron,
            timezone=row.timezone,
            timeout=job.options.timeout,
            retries=job.options.retries,
            fresh=job.options.fresh,
            misfire=row.misfire,  # type: ignore[arg-type]
            misfire_deadline=row.misfire_deadline_s,
            concurrency=row.concurrency,  # type: ignore[arg-type]
            notify=row.notify,  # type: ignore[arg-type]
            webhook=webhook_host(row.webhook_url),
            # Editors may change it, so they may read it; the others see where it goes.
            webhook_url=row.webhook_url if self.is_editor else redact(row.webhook_url),
            paused=row.paused,
            next_fire_at=row.next_fire_at,
            next_fire_times=self.app.scheduler.cron(row.cron, row.timezone).next_times(
                self.app.clock.now()
            ),
            last_fire_at=row.last_fire_at,
            last_run_id=row.last_run_id,
            last_status=view.last_status,
            created_at=row.created_at,
            created_by=row.created_by,
            updated_at=row.updated_at,
        )

    async def check_job(self, job: Job) -> None:
        """The target exists and the parameters pass its checks, as a run would need."""
        workspace = self.app.workspaces.path(self.slug)
        await asyncio.get_running_loop().run_in_executor(None, plan_job, job, workspace)

    def apply(self, row: ScheduleRow, body: ScheduleSettings) -> list[str]:
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
        now = self.app.clock.now()
        cron = self.app.scheduler.cron(row.cron, row.timezone)
        if row.paused:
            row.next_fire_at = None
        elif row.next_fire_at is None or given & {"cron", "timezone", "paused"}:
            # From now on: resuming does not replay what fell due while paused.
            row.next_fire_at = cron.next_after(now)
        return sorted(given)

    def load(self, schedule_id: str) -> repo.ScheduleView:
        return repo.get_schedule(self.db, self.project.id, int(schedule_id))


class SchedulesHandler(ScheduleScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("Schedules of the project", ScheduleList, role="viewer", tags=TAGS),
        "post": Operation(
            "Create a schedule: a notebook or pipeline, its parameters, cron and policies",
            ScheduleModel,
            body=ScheduleCreate,
            role="editor",
            errors=(401, 403, 409),
            tags=TAGS,
            status=201,
        ),
    }

    def get(self, slug: str) -> None:
        views = repo.list_schedules(self.db, self.project.id)
        self.write_model(ScheduleList(schedules=[self.model(v) for v in views]))

    async def post(self, slug: str) -> None:
        body = self.parse_body(ScheduleCreate)
        self.refuse_if_archived()
        self.cron(body.cron, body.timezone)
        self.check_webhook(body.webhook_url)
        await self.check_job(body.job())
        row = new_schedule(self.app, self.project.id, body, self.identity.name)
        repo.add_schedule(self.db, row, slug)
        view = repo.ScheduleView(row, None)
        model = self.model(view)
        self.commit()
        self.app.scheduler.wake()
        self.write_model(model, status=201)


class ScheduleHandler(ScheduleScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "One schedule, with its next five fire times", ScheduleModel, role="viewer", tags=TAGS
        ),
        "patch": Operation(
            "Edit, pause or resume a schedule",
            ScheduleModel,
            body=ScheduleUpdate,
            role="editor",
            errors=(401, 403, 409),
            tags=TAGS,
        ),
        "delete": Operation(
            "Delete a schedule; its runs stay", None, role="editor", tags=TAGS, status=204
        ),
    }

    def get(self, slug: str, schedule_id: str) -> None:
        self.write_model(self.model(self.load(schedule_id)))

    async def patch(self, slug: str, schedule_id: str) -> None:
        body = self.parse_body(ScheduleUpdate)
        refuse_nulls(body)
        self.refuse_if_archived()
        view = self.load(schedule_id)
        row = view.row
        given = body.model_fields_set
        # Given values are checked as given: an empty target or cron is refused, not ignored.
        if given & {"cron", "timezone"}:
            self.cron(_given(body.cron, row.cron), _given(body.timezone, row.timezone))
        self.check_webhook(body.webhook_url)
        if given & {"target", "parameters"}:
            await self.check_job(edited_job(row.job, body))
        fields = self.apply(row, body)
        repo.changed(self.db, row, slug, self.identity.name, fields)
        model = self.model(view)
        self.commit()
        self.app.scheduler.wake()
        self.write_model(model)

    def delete(self, slug: str, schedule_id: str) -> None:
        view = self.load(schedule_id)
        repo.delete_schedule(self.db, view.row, slug, self.identity.name)
        self.commit()
        self.set_status(204)
        self.finish()


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


class ScheduleHistoryHandler(ScheduleScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "What happened at each fire time: runs queued, misses, skips; newest first",
            ScheduleHistory,
            role="viewer",
            tags=TAGS,
        ),
    }

    def get(self, slug: str, schedule_id: str) -> None:
        view = self.load(schedule_id)
        events = [
            ScheduleEvent(
                due_at=e.due_at,
                at=e.at,
                outcome=e.outcome,  # type: ignore[arg-type]
                run_id=e.run_id,
                run_status=status,
                detail=e.detail,
            )
            for e, status in repo.history(self.db, view.row.id)
        ]
        self.write_model(ScheduleHistory(schedule=view.row.id, events=events))


class CronPreviewHandler(ScheduleScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "post": Operation(
            "Check a cron expression and timezone; the next five fire times",
            CronPreview,
            body=CronPreviewRequest,
            role="viewer",
            tags=TAGS,
        ),
    }

    def post(self, slug: str) -> None:
        body = self.parse_body(CronPreviewRequest)
        cron = self.cron(body.cron, body.timezone)
        now = self.app.clock.now()
        self.write_model(
            CronPreview(
                cron=body.cron,
                timezone=body.timezone,
                next_fire_times=cron.next_times(now),
                shortest_interval=cron.shortest_interval(now).total_seconds(),
            )
        )


class NotificationsHandler(BaseHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "Notifications of my projects, newest first (?after=id for newer ones only)",
            NotificationList,
            tags=TAGS,
            optional_query=("after",),
        ),
    }

    def get(self) -> None:
        try:
            after = int(self.get_query_argument("after", "0"))
        except ValueError:
            after = -1
        # Ids are 64-bit in the database: a larger number is no id, and would not bind.
        if not 0 <= after <= MAX_ID:
            raise InvalidInput("after must be a notification id (an integer from 0)")
        with self.app.store.session() as session:
            views = projects_repo.projects_for(session, self.identity)
            if self.identity.admin:
                views = [v for v in views if v.role is not None]  # admins: their own projects
            rows = repo.notifications(session, [v.project.id for v in views], after)
            # Below editor only the state: what a receiver answered, and how fast, would make
            # webhooks a way to probe the network for whoever can read the project.
            editing = {
                v.project.id for v in views if self.identity.admin or includes(v.role, "editor")
            }
            items = [
                NotificationModel(
                    id=n.id,
                    project=slug,
                    at=n.at,
                    level=n.level,  # type: ignore[arg-type]
                    title=n.title,
                    message=n.message,
                    links=n.links,
                    run_id=n.run_id,
                    schedule_id=n.schedule_id,
                    webhook=n.webhook,  # type: ignore[arg-type]
                    webhook_detail=n.webhook_detail if n.project_id in editing else None,
                )
                for n, slug in rows
            ]
        self.write_model(NotificationList(notifications=items))
