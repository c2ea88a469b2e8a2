"""Monitor use cases: create, edit (pause, resume), delete, check now. Each owns its
transaction and is callable without HTTP (the API's handlers, tests).

The caller has authorized the request (deployer role); the project's state, the endpoint, the
cron's frequency, the webhook's address, the thresholds and the retrain target are checked
here.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, InvalidInput, NotFound
from ..monitoring.drift import DriftThresholds
from ..runs.job import Job, plan_job
from ..schedules.cron import Cron
from ..store import deployments as deployments_repo
from ..store import monitors as repo
from ..store import projects as projects_repo
from ..store.models import MonitorRow
from .models import MonitorCreate, MonitorRetrain, MonitorSettings
from .webhook_guard import url_refusal

if TYPE_CHECKING:
    from ..store import Store
    from ..workspaces import Workspaces
    from .monitor_checks import Monitoring
    from .notify import Notifier
    from .retrain import RetrainLoop
    from .scheduler import Scheduler

# In an edit, null means "none" for these; any other field left null stays as it is.
NULLABLE = {"metric", "score_limit", "retrain", "webhook_url"}


class MonitorManager:
    def __init__(
        self,
        config: Monitoring,
        *,
        store: Store,
        workspaces: Workspaces,
        scheduler: Scheduler,
        notifier: Notifier,
        loop: RetrainLoop,
        reports: Callable[[int, int], Path],
    ) -> None:
        self.config = config
        self.loop = loop
        self.reports = reports  # (project id, monitor id) -> the folder of its checks' reports
        self.store = store
        self.workspaces = workspaces
        self.scheduler = scheduler
        self.notifier = notifier

    def cron(self, expression: str, timezone: str) -> Cron:
        """The cron expression, if valid and no more frequent than the service allows."""
        now = self.scheduler.clock.now()
        return Cron(expression, timezone).at_most_every(self.config.min_interval, now, "checks")

    async def create(self, project_id: int, body: MonitorCreate, actor: str) -> MonitorRow:
        if (body.endpoint is None) == (body.dataset is None):
            raise InvalidInput("a monitor watches an endpoint or a data set: give one of the two")
        fields = self._checked(
            body.model_dump(exclude={"name", "endpoint", "dataset"}), body.endpoint is not None
        )
        cron = self.cron(fields["cron"], fields["timezone"])
        await self._check_retrain(project_id, body.retrain)
        if body.dataset is not None:
            await self._check_dataset(project_id, body.dataset.target, body.dataset.output)
        with self.store.session() as session:
            projects_repo.writable_slug(session, project_id)
            deployment_id = None
            if body.endpoint is not None:
                deployment = deployments_repo.get_deployment(session, project_id, body.endpoint)
                if deployment is None:
                    raise NotFound(f"no endpoint named {body.endpoint!r} in this project")
                deployment_id = deployment.id
            row = repo.create_monitor(
                session,
                project_id=project_id,
                deployment_id=deployment_id,
                dataset=body.dataset.model_dump() if body.dataset else None,
                name=body.name,
                next_check_at=cron.next_after(self.scheduler.clock.now()),
                created_by=actor,
                **fields,
            )
            session.commit()
            session.refresh(row)
            session.expunge(row)
        self.scheduler.wake()
        return row

    async def _check_dataset(self, project_id: int, target: str, output: str) -> None:
        """`target` is a pipeline of the workspace whose steps profile `output`."""
        with self.store.session() as session:
            slug = projects_repo.writable_slug(session, project_id)
        workspace = self.workspaces.path(slug)
        plan = await asyncio.get_running_loop().run_in_executor(
            None, plan_job, Job(target=target), workspace
        )
        if plan.kind != "pipeline" or not any(output in s.profile for s in plan.steps):
            raise InvalidInput(
                f"{target} has no step that profiles {output!r}: list it under `profile` "
                "in the step that writes it"
            )

    async def update(self, project_id: int, name: str, body: MonitorSettings) -> None:
        given = body.model_dump(exclude_unset=True)
        for key, value in list(given.items()):
            if value is None and key not in NULLABLE:
                del given[key]
        await self._check_retrain(project_id, body.retrain if "retrain" in given else None)
        with self.store.session() as session:
            projects_repo.writable_slug(session, project_id)
            row = self.row(session, project_id, name)
            merged = {
                key: getattr(row, key) for key in MonitorSettings.model_fields if key != "paused"
            }
            merged |= {k: v for k, v in given.items() if k != "paused"}
            fields = self._checked(merged, row.deployment_id is not None)
            changes = {k: v for k, v in fields.items() if k in given}
            if "paused" in given:
                changes["paused"] = given["paused"]
            if {"cron", "timezone"} & set(given) or given.get("paused") is False:
                cron = self.cron(fields["cron"], fields["timezone"])
                changes["next_check_at"] = cron.next_after(self.scheduler.clock.now())
            repo.update_monitor(session, row, **changes)
            session.commit()
        self.scheduler.wake()

    async def delete(self, project_id: int, name: str) -> None:
        """The monitor, its history and reports; a loop under way stops, and a green it
        staged is dropped (the live model serves on)."""
        with self.store.session() as session:
            row = self.row(session, project_id, name)
            monitor_id, breach_id = row.id, row.open_breach_id
        if breach_id is not None:
            await self.loop.abandon(breach_id, f"monitor {name} was deleted")
        with self.store.session() as session:
            repo.delete_monitor(session, self.row(session, project_id, name))
            session.commit()
        shutil.rmtree(self.reports(project_id, monitor_id), ignore_errors=True)

    def check_now(self, project_id: int, name: str) -> None:
        """Due now, whatever its cron says; the next check after it follows the cron."""
        with self.store.session() as session:
            projects_repo.writable_slug(session, project_id)
            row = self.row(session, project_id, name)
            if row.paused:
                raise Conflict(f"monitor {name!r} is paused; resume it first")
            repo.update_monitor(session, row, next_check_at=self.scheduler.clock.now())
            session.commit()
        self.scheduler.wake()

    def row(self, session: Any, project_id: int, name: str) -> MonitorRow:
        row = repo.get_monitor(session, project_id, name)
        if row is None:
            raise NotFound(f"no monitor named {name!r} in this project")
        return row

    def _checked(self, fields: dict[str, Any], endpoint: bool) -> dict[str, Any]:
        """The stored form of a monitor's settings, checked together (`endpoint`: of an
        endpoint's monitor, whose scores and retrained models need a metric)."""
        thresholds = fields.get("thresholds") or {}
        try:
            DriftThresholds(**thresholds)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"thresholds: {exc}") from None
        fields["thresholds"] = thresholds
        if not endpoint and (fields.get("metric") or fields.get("score_limit") is not None):
            raise InvalidInput("metric and score_limit are an endpoint's: a data set has no model")
        if fields.get("score_limit") is not None and not fields.get("metric"):
            raise InvalidInput("score_limit needs a metric")
        retrain = fields.get("retrain")
        if endpoint and retrain and not fields.get("metric"):
            raise InvalidInput("retrain needs a metric: the new model is weighed by it")
        if endpoint and retrain and not retrain.get("model_name"):
            raise InvalidInput("retrain.model_name: the model to register, for an endpoint")
        webhook = fields.get("webhook_url") or None
        refused = url_refusal(webhook, self.notifier.webhook_hosts, self.notifier.webhook_networks)
        if refused:
            raise InvalidInput(refused)
        fields["webhook_url"] = webhook
        return fields

    async def _check_retrain(self, project_id: int, retrain: MonitorRetrain | None) -> None:
        """The retrain target exists and its parameters pass, as its run would need."""
        if retrain is None:
            return
        with self.store.session() as session:
            slug = projects_repo.writable_slug(session, project_id)
        job = Job(target=retrain.target, parameters=retrain.parameters)
        await asyncio.get_running_loop().run_in_executor(
            None, plan_job, job, self.workspaces.path(slug)
        )
