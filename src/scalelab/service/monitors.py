"""The monitors API: deployers and owners set monitors on endpoints; viewers see their
status, their checks with the drift reports, and every step of each breach's loop."""

from __future__ import annotations

from typing import ClassVar

from ..errors import NotFound
from ..roles import includes
from ..store import monitors as repo
from ..store.models import MonitorBreachRow, MonitorCheckRow, MonitorRow
from .models import (
    MonitorBreachModel,
    MonitorCheckModel,
    MonitorCreate,
    MonitorDataset,
    MonitorDatasetSaved,
    MonitorHistory,
    MonitorList,
    MonitorModel,
    MonitorRetrain,
    MonitorRetrainSaved,
    MonitorStep,
    MonitorThresholds,
    MonitorUpdate,
)
from .openapi import Operation
from .projects import ProjectScoped
from .schedules import redact

TAGS = ("monitors",)
MAX_ID = 2**63 - 1


def breach_model(row: MonitorBreachRow) -> MonitorBreachModel:
    return MonitorBreachModel(
        id=row.id,
        check_id=row.check_id,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        reason=row.reason,
        state=row.state,
        retrain_run_id=row.retrain_run_id,
        model_version=row.model_version,
        decision=row.decision,
        steps=[MonitorStep(**step) for step in row.steps],
    )


class MonitorScoped(ProjectScoped):
    def row(self, name: str) -> MonitorRow:
        assert self.db is not None
        row = repo.get_monitor(self.db, self.project.id, name)
        if row is None:
            raise NotFound(f"no monitor named {name!r} in project {self.slug!r}")
        return row

    def model(self, row: MonitorRow, endpoint: str | None) -> MonitorModel:
        assert self.db is not None
        breaches = repo.breaches_of(self.db, row.id, limit=1)
        # Deployers may change the webhook, so they may read it; the others see where it goes.
        deployer = self.identity.admin or includes(self.role, "deployer")
        return MonitorModel(
            name=row.name,
            endpoint=endpoint,
            dataset=MonitorDatasetSaved(**MonitorDataset(**row.dataset).model_dump())
            if row.dataset
            else None,
            cron=row.cron,
            timezone=row.timezone,
            window_hours=row.window_hours,
            thresholds=MonitorThresholds(**row.thresholds).model_dump(),
            drifted_columns=row.drifted_columns,
            min_rows=row.min_rows,
            metric=row.metric,  # type: ignore[arg-type]
            score_limit=row.score_limit,
            retrain=MonitorRetrainSaved(**MonitorRetrain(**row.retrain).model_dump())
            if row.retrain
            else None,
            webhook_url=row.webhook_url if deployer else redact(row.webhook_url),
            paused=row.paused,
            status=row.status,
            next_check_at=row.next_check_at,
            last_check_at=row.last_check_at,
            last_breach=breach_model(breaches[0]) if breaches else None,
            created_by=row.created_by,
            created_at=row.created_at,
        )

    def check_model(self, monitor: MonitorRow, check: MonitorCheckRow) -> MonitorCheckModel:
        report = self.app.monitors.check_folder(self.project.id, monitor.id, check.id)
        url = None
        if (report / "report.html").is_file():
            url = self.app.monitors.links(self.slug, monitor.name, check.id)["report"]
        return MonitorCheckModel(
            id=check.id,
            due=check.due,
            started_at=check.started_at,
            finished_at=check.finished_at,
            status=check.status,
            message=check.message,
            summary=check.summary,
            breach_id=check.breach_id,
            report_url=url,
        )

    def answer(self, name: str, status: int = 200) -> None:
        assert self.db is not None
        self.db.expire_all()
        row = self.row(name)
        endpoint = next(
            e for r, e in repo.list_monitors(self.db, self.project.id) if r.id == row.id
        )
        self.write_model(self.model(row, endpoint), status=status)


class MonitorsHandler(MonitorScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "The project's monitors: status, next check, last breach",
            MonitorList,
            role="viewer",
            tags=TAGS,
        ),
        "post": Operation(
            "Watch an endpoint: drift of its requests against the live model's training "
            "profile and, with a metric, its score on posted labels; on a breach an alert and, "
            "with retrain, the loop back to a retrained model",
            MonitorModel,
            body=MonitorCreate,
            role="deployer",
            errors=(400, 401, 403, 404, 409),
            tags=TAGS,
            status=201,
        ),
    }

    def get(self, slug: str) -> None:
        assert self.db is not None
        found = repo.list_monitors(self.db, self.project.id)
        self.write_model(MonitorList(monitors=[self.model(r, e) for r, e in found]))

    async def post(self, slug: str) -> None:
        body = self.parse_body(MonitorCreate)
        row = await self.app.monitor_manager.create(self.project.id, body, self.identity.name)
        self.answer(row.name, status=201)


class MonitorHandler(MonitorScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("One monitor", MonitorModel, role="viewer", errors=(401, 404), tags=TAGS),
        "patch": Operation(
            "Edit, pause or resume a monitor",
            MonitorModel,
            body=MonitorUpdate,
            role="deployer",
            errors=(400, 401, 403, 404, 409),
            tags=TAGS,
        ),
        "delete": Operation(
            "Delete a monitor with its history",
            None,
            role="deployer",
            errors=(401, 403, 404),
            tags=TAGS,
            status=204,
        ),
    }

    def get(self, slug: str, name: str) -> None:
        self.answer(name)

    async def patch(self, slug: str, name: str) -> None:
        body = self.parse_body(MonitorUpdate)
        await self.app.monitor_manager.update(self.project.id, name, body)
        self.answer(name)

    async def delete(self, slug: str, name: str) -> None:
        await self.app.monitor_manager.delete(self.project.id, name)
        self.set_status(204)
        self.finish()


class MonitorCheckNowHandler(MonitorScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "post": Operation(
            "Check now, whatever the cron says (follow it in the checks)",
            MonitorModel,
            role="deployer",
            errors=(401, 403, 404, 409),
            tags=TAGS,
            status=202,
        ),
    }

    def post(self, slug: str, name: str) -> None:
        self.app.monitor_manager.check_now(self.project.id, name)
        self.answer(name, status=202)


class MonitorChecksHandler(MonitorScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "The monitor's last checks and breaches, with every step of each breach's loop",
            MonitorHistory,
            role="viewer",
            errors=(401, 404),
            tags=TAGS,
        ),
    }

    def get(self, slug: str, name: str) -> None:
        assert self.db is not None
        row = self.row(name)
        self.write_model(
            MonitorHistory(
                checks=[self.check_model(row, c) for c in repo.checks_of(self.db, row.id)],
                breaches=[breach_model(b) for b in repo.breaches_of(self.db, row.id)],
            )
        )


class MonitorReportHandler(MonitorScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "A check's drift report: a standalone HTML page",
            None,
            role="viewer",
            errors=(401, 404),
            tags=TAGS,
        ),
    }

    def get(self, slug: str, name: str, check_id: str) -> None:
        assert self.db is not None
        row = self.row(name)
        number = int(check_id)
        check = repo.get_check(self.db, row.id, number) if number <= MAX_ID else None
        path = self.app.monitors.check_folder(self.project.id, row.id, number) / "report.html"
        if check is None or not path.is_file():
            raise NotFound(f"check {check_id} of monitor {name!r} has no report")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        # The report is a page of its own: nothing in it may act for the reader.
        self.set_header(
            "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        )
        self.finish(path.read_bytes())
