"""Registering models in a project's MLflow registry, as use cases callable without HTTP.

The service writes the registry on a caller's behalf (the API, after its role check) or on its
own (the demo project); MLflow's refusals become ours (400/404/409).
"""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote

from ..errors import Conflict, InvalidInput, NotFound
from .runs import RunManager
from .tracking import TrackingBackends, TrackingUnavailable

API = "api/2.0/mlflow"


class ModelRegistry:
    def __init__(self, tracking: TrackingBackends, runs: RunManager) -> None:
        self.tracking = tracking
        self.runs = runs

    async def mlflow(
        self, project_id: int, slug: str, method: str, path: str, body: Any = None
    ) -> Any:
        """The project's MLflow server's answer to one registry call."""
        try:
            backend = await self.tracking.get(project_id, slug)
            answer = await self.tracking.call(backend, method, f"{API}/{path}", body)
        except TrackingUnavailable as exc:
            raise Conflict(f"{exc.message}; try again shortly") from None
        code = answer.get("error_code")
        if code == "RESOURCE_DOES_NOT_EXIST":
            raise NotFound(answer.get("message", "not found"))
        if code == "RESOURCE_ALREADY_EXISTS":
            raise Conflict(answer.get("message", "exists already"))
        if code:
            raise InvalidInput(f"MLflow: {answer.get('message', code)}")
        return answer

    async def register(
        self,
        project_id: int,
        slug: str,
        run_id: str,
        name: str,
        actor: str,
        aliases: list[str],
        artifact_path: str = "model",
    ) -> tuple[dict[str, Any], str]:
        """Register the model run `run_id` logged as a new version of `name` (made if
        missing) and point `aliases` at it: the registered model and the new version."""
        mlflow_run, scalelab_run = self._mlflow_run_of(project_id, slug, run_id)
        run = await self.mlflow(project_id, slug, "GET", f"runs/get?run_id={mlflow_run}")
        source, model_id = await self._logged_model(
            project_id, slug, run["run"]["info"], artifact_path
        )
        with contextlib.suppress(Conflict):  # a new version of a model that exists
            await self.mlflow(project_id, slug, "POST", "registered-models/create", {"name": name})
        tags = [{"key": "scalelab.registered_by", "value": actor}]
        if scalelab_run:
            tags.append({"key": "scalelab.run_id", "value": scalelab_run})
        request = {"name": name, "source": source, "run_id": mlflow_run, "tags": tags}
        if model_id:
            request["model_id"] = model_id
        created = await self.mlflow(project_id, slug, "POST", "model-versions/create", request)
        version = str(created["model_version"]["version"])
        for alias in aliases:
            await self.mlflow(
                project_id,
                slug,
                "POST",
                "registered-models/alias",
                {"name": name, "alias": alias, "version": version},
            )
        model = await self.mlflow(
            project_id, slug, "GET", f"registered-models/get?name={quote(name)}"
        )
        return model["registered_model"], version

    def _mlflow_run_of(self, project_id: int, slug: str, run_id: str) -> tuple[str, str | None]:
        """A ScaleLab run's MLflow run, or `run_id` itself taken as an MLflow run id."""
        record = self.runs.runs_of(project_id, slug).get(run_id)
        if record is None:
            return run_id, None
        if record.tracking is None:
            raise Conflict(f"run {run_id} has no MLflow run: it ran before tracking was set up")
        return record.tracking.run_id, record.id

    async def _logged_model(
        self, project_id: int, slug: str, info: dict[str, Any], name: str
    ) -> tuple[str, str | None]:
        """Where the run's model `name` is: a logged model (MLflow 3), or the run's artifacts."""
        run_id = info["run_id"]
        found = await self.mlflow(
            project_id,
            slug,
            "POST",
            "logged-models/search",
            {
                "experiment_ids": [info["experiment_id"]],
                "filter": f"source_run_id = '{run_id}' AND name = '{name}'",
                "max_results": 1,
            },
        )
        models = found.get("models") or []
        if models:
            model_id = models[0]["info"]["model_id"]
            return f"models:/{model_id}", model_id
        listed = await self.mlflow(
            project_id, slug, "GET", f"artifacts/list?run_id={run_id}&path={quote(name)}"
        )
        if listed.get("files"):
            return f"runs:/{run_id}/{name}", None
        raise InvalidInput(f"run {run_id} logged no model named {name!r}")
