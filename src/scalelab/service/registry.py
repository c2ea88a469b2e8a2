"""A project's model registry, as the panel shows it: models, versions, aliases, history.

Kept in the project's MLflow server; the service reads and writes it there on the caller's
behalf, after checking the caller's role (viewer to read, deployer to register and to move an
alias), so the lab needs no MLflow client of its own.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

from ..errors import Conflict, InvalidInput, NotFound
from .models import (
    AliasUpdate,
    ModelRegistration,
    ModelVersionModel,
    RegisteredModelList,
    RegisteredModelModel,
)
from .openapi import Operation
from .projects import ProjectScoped
from .tracking import TrackingUnavailable

TAGS = ("models",)
API = "api/2.0/mlflow"
MAX_MODELS = 1000
MODEL = r"(?P<name>[^/]+)"


def _time(millis: Any) -> datetime:
    return datetime.fromtimestamp(int(millis or 0) / 1000, UTC)


class RegistryScoped(ProjectScoped):
    async def mlflow(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The project's MLflow server's answer; its refusals become ours (400/404/409)."""
        tracking = self.app.tracking
        try:
            backend = await tracking.get(self.project.id, self.slug)
            answer = await tracking.call(backend, method, f"{API}/{path}", body)
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

    def model_url(self, name: str) -> str:
        public = self.app.tracked_runs.public_url
        prefix = self.app.tracking.prefix(self.slug).lstrip("/")
        return f"{public}{prefix}/#/models/{quote(name, safe='')}"

    async def describe(self, model: dict[str, Any]) -> RegisteredModelModel:
        name = model["name"]
        where = quote("name='{}'".format(name.replace("'", "\\'")))
        found = await self.mlflow(
            "GET", f"model-versions/search?filter={where}&max_results={MAX_MODELS}"
        )
        aliases: dict[str, list[str]] = {}
        for alias in model.get("aliases", []):
            aliases.setdefault(str(alias["version"]), []).append(alias["alias"])
        versions = []
        for v in found.get("model_versions", []):
            tags = {t["key"]: t["value"] for t in v.get("tags", [])}
            versions.append(
                ModelVersionModel(
                    version=str(v["version"]),
                    run_id=v.get("run_id") or None,
                    source=v.get("source", ""),
                    status=v.get("status", ""),
                    created_at=_time(v.get("creation_timestamp")),
                    created_by=tags.get("scalelab.registered_by") or v.get("user_id") or None,
                    aliases=sorted(aliases.get(str(v["version"]), [])),
                    scalelab_run_id=tags.get("scalelab.run_id"),
                )
            )
        versions.sort(key=lambda v: int(v.version), reverse=True)
        return RegisteredModelModel(
            name=name,
            created_at=_time(model.get("creation_timestamp")),
            updated_at=_time(model.get("last_updated_timestamp")),
            versions=versions,
            url=self.model_url(name),
        )


class ModelsHandler(RegistryScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "Registered models of the project, each with its versions and aliases",
            RegisteredModelList,
            role="viewer",
            tags=TAGS,
        ),
        "post": Operation(
            "Register the model a run logged as a new version (the model is made if missing)",
            RegisteredModelModel,
            body=ModelRegistration,
            role="deployer",
            errors=(400, 401, 403, 404, 409),
            tags=TAGS,
            status=201,
        ),
    }

    async def get(self, slug: str) -> None:
        found = await self.mlflow("GET", f"registered-models/search?max_results={MAX_MODELS}")
        models = [await self.describe(m) for m in found.get("registered_models", [])]
        self.write_model(RegisteredModelList(models=models))

    async def post(self, slug: str) -> None:
        body = self.parse_body(ModelRegistration)
        self.refuse_if_archived()
        mlflow_run, scalelab_run = self._mlflow_run_of(body.run_id)
        run = await self.mlflow("GET", f"runs/get?run_id={mlflow_run}")
        source, model_id = await self._logged_model(run["run"]["info"], body.artifact_path)
        with contextlib.suppress(Conflict):  # a new version of a model that exists
            await self.mlflow("POST", "registered-models/create", {"name": body.name})
        tags = [{"key": "scalelab.registered_by", "value": self.identity.name}]
        if scalelab_run:
            tags.append({"key": "scalelab.run_id", "value": scalelab_run})
        request = {"name": body.name, "source": source, "run_id": mlflow_run, "tags": tags}
        if model_id:
            request["model_id"] = model_id
        created = await self.mlflow("POST", "model-versions/create", request)
        version = created["model_version"]["version"]
        for alias in body.aliases:
            await self.mlflow(
                "POST",
                "registered-models/alias",
                {"name": body.name, "alias": alias, "version": str(version)},
            )
        model = await self.mlflow("GET", f"registered-models/get?name={quote(body.name)}")
        self.write_model(await self.describe(model["registered_model"]), status=201)

    def _mlflow_run_of(self, run_id: str) -> tuple[str, str | None]:
        """A ScaleLab run's MLflow run, or `run_id` itself taken as an MLflow run id."""
        record = self.app.runs.runs_of(self.project.id, self.slug).get(run_id)
        if record is None:
            return run_id, None
        if record.tracking is None:
            raise Conflict(f"run {run_id} has no MLflow run: it ran before tracking was set up")
        return record.tracking.run_id, record.id

    async def _logged_model(self, info: dict[str, Any], name: str) -> tuple[str, str | None]:
        """Where the run's model `name` is: a logged model (MLflow 3), or the run's artifacts."""
        run_id = info["run_id"]
        found = await self.mlflow(
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
        listed = await self.mlflow("GET", f"artifacts/list?run_id={run_id}&path={quote(name)}")
        if listed.get("files"):
            return f"runs:/{run_id}/{name}", None
        raise InvalidInput(f"run {run_id} logged no model named {name!r}")


class ModelAliasHandler(RegistryScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "put": Operation(
            "Point an alias (champion, challenger...) at a version",
            RegisteredModelModel,
            body=AliasUpdate,
            role="deployer",
            errors=(400, 401, 403, 404, 409),
            tags=TAGS,
        ),
        "delete": Operation(
            "Remove an alias",
            RegisteredModelModel,
            role="deployer",
            errors=(401, 403, 404),
            tags=TAGS,
        ),
    }

    async def put(self, slug: str, name: str, alias: str) -> None:
        body = self.parse_body(AliasUpdate)
        self.refuse_if_archived()
        request = {"name": name, "alias": alias, "version": body.version}
        await self.mlflow("POST", "registered-models/alias", request)
        await self._answer(name)

    async def delete(self, slug: str, name: str, alias: str) -> None:
        self.refuse_if_archived()
        # MLflow reads a DELETE's parameters from its JSON body.
        await self.mlflow("DELETE", "registered-models/alias", {"name": name, "alias": alias})
        await self._answer(name)

    async def _answer(self, name: str) -> None:
        model = await self.mlflow("GET", f"registered-models/get?name={quote(name)}")
        self.write_model(await self.describe(model["registered_model"]))
