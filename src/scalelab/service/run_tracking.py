"""Every run an MLflow run: the hooks the service gives its executor for each run.

A notebook run is one MLflow run; a pipeline is a parent run with one nested run per step.
They carry the run's parameters, links back to the ScaleLab run and its output notebooks, and
the lineage hashes. The kernels get the MLflow run of their step in $MLFLOW_RUN_ID, so what a
notebook logs lands there without a line of configuration.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..identity import Identity
from ..roles import RoleName, includes
from ..runs.records import MlflowLink, Run, Step
from ..store import projects as repo
from ..tracking.quiet import NO_TELEMETRY
from .run_tokens import RunGrant, RunTokens

if TYPE_CHECKING:
    from ..store import Store
    from .directory import HubDirectory
    from .tracking import Backend, TrackingBackends

MLFLOW_STATUS = {"succeeded": "FINISHED", "failed": "FAILED", "cancelled": "KILLED"}
# MLflow's limits on what one run may hold (keys, values, items of one batch).
MAX_PARAM_VALUE = 6000
MAX_TAG_VALUE = 8000
MAX_BATCH_PARAMS = 100


def _millis() -> int:
    return int(time.time() * 1000)


def _text(value: Any, limit: int) -> str:
    # As mlflow.log_param writes it: a notebook logging the same parameter again must write
    # the same text, or MLflow refuses the change.
    return str(value)[:limit]


class TrackedRuns:
    """Makes the runs of this service MLflow runs of their project's experiment."""

    def __init__(
        self,
        *,
        backends: TrackingBackends,
        tokens: RunTokens,
        store: Store,
        directory: HubDirectory,
        service_url: str,
        public_url: str,
    ) -> None:
        self.backends = backends
        self.tokens = tokens
        self.store = store
        self.directory = directory
        self.service_url = service_url.rstrip("/") + "/"  # how kernels reach the service
        self.public_url = public_url.rstrip("/") + "/"  # how browsers reach the hub

    def hooks_for(self, project_id: int, slug: str) -> RunTrackingHooks:
        return RunTrackingHooks(self, project_id, slug)

    def ui_url(self, slug: str, experiment_id: str, run_id: str) -> str:
        return (
            f"{self.public_url}{self.backends.prefix(slug).lstrip('/')}/"
            f"#/experiments/{experiment_id}/runs/{run_id}"
        )

    async def role_of(self, user: str, slug: str) -> RoleName:
        """What a run may do in tracking: log (editor), and register models where the person
        who started it may (deployer)."""
        try:
            account = await self.directory.user(user)
        except OSError:
            account = None
        if account is None:
            return "editor"
        with self.store.session() as session:
            _, role = repo.project_with_role(session, slug, Identity.from_hub_model(account))
        return "deployer" if includes(role, "deployer") else "editor"


class RunTrackingHooks:
    """The hooks of one run (see scalelab.runs.hooks.RunHooks)."""

    def __init__(self, tracked: TrackedRuns, project_id: int, slug: str) -> None:
        self.tracked = tracked
        self.project_id = project_id
        self.slug = slug
        self._backend: Backend | None = None

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        backends = self.tracked.backends
        self._backend = await backends.get(self.project_id, self.slug)
        answer = await backends.call(self._backend, method, f"api/2.0/mlflow/{path}", body)
        if "error_code" in answer:
            raise RuntimeError(f"MLflow: {answer.get('error_code')}: {answer.get('message', '')}")
        return answer

    async def _create_run(self, run: Run, name: str, tags: dict[str, str], parent: str = "") -> str:
        experiment = await self._call(
            "GET", f"experiments/get-by-name?experiment_name={quote(self.slug)}"
        )
        all_tags = {**tags, "mlflow.user": run.triggered_by, "scalelab.run_id": run.id}
        if parent:
            all_tags["mlflow.parentRunId"] = parent
        created = await self._call(
            "POST",
            "runs/create",
            {
                "experiment_id": experiment["experiment"]["experiment_id"],
                "run_name": name,
                "start_time": _millis(),
                "user_id": run.triggered_by,
                "tags": [{"key": k, "value": _text(v, MAX_TAG_VALUE)} for k, v in all_tags.items()],
            },
        )
        return str(created["run"]["info"]["run_id"])

    async def _log_params(self, run_id: str, parameters: dict[str, Any]) -> None:
        params = [{"key": k, "value": _text(v, MAX_PARAM_VALUE)} for k, v in parameters.items()]
        for start in range(0, len(params), MAX_BATCH_PARAMS):
            batch = params[start : start + MAX_BATCH_PARAMS]
            await self._call("POST", "runs/log-batch", {"run_id": run_id, "params": batch})

    async def _end(self, run_id: str, status: str, tags: dict[str, str]) -> None:
        if tags:
            batch = [{"key": k, "value": _text(v, MAX_TAG_VALUE)} for k, v in tags.items()]
            await self._call("POST", "runs/log-batch", {"run_id": run_id, "tags": batch})
        await self._call(
            "POST",
            "runs/update",
            {
                "run_id": run_id,
                "status": MLFLOW_STATUS.get(status, "FAILED"),
                "end_time": _millis(),
            },
        )

    def _run_url(self, run: Run) -> str:
        return f"{self.tracked.service_url}api/projects/{self.slug}/runs/{run.id}"

    def _output_url(self, run: Run, step: Step) -> str:
        return (
            f"{self.tracked.public_url}hub/user-redirect/lab/tree/runs/"
            f"{self.slug}/{run.id}/{step.output}"
        )

    async def run_started(self, run: Run) -> dict[str, str]:
        tags = {
            "scalelab.project": self.slug,
            "scalelab.run_url": self._run_url(run),
            "scalelab.target": run.target,
            "scalelab.trigger": run.trigger,
            "mlflow.source.name": run.target,
            "mlflow.source.type": "NOTEBOOK" if run.kind == "notebook" else "JOB",
        }
        name = f"{Path(run.target).stem}-{run.id[:8]}"
        run_id = await self._create_run(run, name, tags)
        await self._log_params(run_id, run.parameters)
        experiment = await self._call("GET", f"runs/get?run_id={run_id}")
        experiment_id = experiment["run"]["info"]["experiment_id"]
        run.tracking = MlflowLink(
            experiment_id=experiment_id,
            run_id=run_id,
            url=self.tracked.ui_url(self.slug, experiment_id, run_id),
        )
        role = await self.tracked.role_of(run.triggered_by, self.slug)
        token = self.tracked.tokens.issue(
            RunGrant(run.id, self.project_id, self.slug, run.triggered_by or "scalelab", role)
        )
        return {
            **NO_TELEMETRY,
            "SCALELAB_PROJECT": self.slug,
            "MLFLOW_TRACKING_URI": f"{self.tracked.service_url}mlflow/{self.slug}",
            "MLFLOW_TRACKING_TOKEN": token,
            "MLFLOW_EXPERIMENT_NAME": self.slug,
            "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT": "true",  # links on the service's port
        }

    async def step_started(self, run: Run, step: Step) -> dict[str, str]:
        if run.tracking is None:
            return {}
        if run.kind == "notebook":
            step.tracking_run_id = run.tracking.run_id
        else:
            tags = {"scalelab.step": step.name, "mlflow.source.name": step.notebook}
            step.tracking_run_id = await self._create_run(
                run, step.name, tags, parent=run.tracking.run_id
            )
            await self._log_params(step.tracking_run_id, step.parameters)
        return {"MLFLOW_RUN_ID": step.tracking_run_id}

    async def step_finished(self, run: Run, step: Step) -> None:
        if step.tracking_run_id is None:
            return
        tags = {}
        if step.output:
            tags["scalelab.output_url"] = self._output_url(run, step)
        if step.lineage is not None:
            tags["scalelab.lineage.notebook"] = step.lineage.notebook
            tags["scalelab.lineage.inputs"] = json.dumps(step.lineage.inputs, sort_keys=True)
            tags["scalelab.lineage.outputs"] = json.dumps(step.lineage.outputs, sort_keys=True)
        if run.kind == "notebook":
            await self._call(
                "POST",
                "runs/log-batch",
                {
                    "run_id": step.tracking_run_id,
                    "tags": [{"key": k, "value": _text(v, MAX_TAG_VALUE)} for k, v in tags.items()],
                },
            )
        else:
            await self._end(step.tracking_run_id, step.status, tags)

    async def run_finished(self, run: Run) -> None:
        self.tracked.tokens.revoke(run.id)
        if run.tracking is not None:
            await self._end(run.tracking.run_id, run.status, {"scalelab.status": run.status})
