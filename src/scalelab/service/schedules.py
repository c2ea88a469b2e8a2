"""Schedules of a project: editors manage them, viewers see them and their history."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit, urlunsplit

from ..errors import InvalidInput
from ..roles import includes
from ..runs.job import ExecutionOptions
from ..store import projects as projects_repo
from ..store import schedules as repo
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
    ScheduleUpdate,
)
from .openapi import Operation
from .projects import ProjectScoped

if TYPE_CHECKING:
    pass

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


class ScheduleScoped(ProjectScoped):
    @property
    def is_editor(self) -> bool:
        return self.identity.admin or includes(self.role, "editor")

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
        row = await self.app.schedules.create(self.project.id, body, self.identity.name)
        self.write_model(self.model(repo.ScheduleView(row, None)), status=201)


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
        view = await self.app.schedules.update(
            self.project.id, int(schedule_id), body, self.identity.name
        )
        self.write_model(self.model(view))

    def delete(self, slug: str, schedule_id: str) -> None:
        self.app.schedules.delete(self.project.id, int(schedule_id), self.identity.name)
        self.set_status(204)
        self.finish()


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
        cron = self.app.schedules.cron(body.cron, body.timezone)
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
