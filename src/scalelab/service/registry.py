"""A project's model registry, as the panel shows it: models, versions, aliases, history.

Kept in the project's MLflow server; the service reads and writes it there on the caller's
behalf, after checking the caller's role (viewer to read, deployer to register and to move an
alias), so the lab needs no MLflow client of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import quote

from .models import (
    AliasUpdate,
    ModelRegistration,
    ModelVersionModel,
    RegisteredModelList,
    RegisteredModelModel,
)
from .openapi import Operation
from .projects import ProjectScoped

TAGS = ("models",)
MAX_MODELS = 1000
MODEL = r"(?P<name>[^/]+)"


def _time(millis: Any) -> datetime:
    return datetime.fromtimestamp(int(millis or 0) / 1000, UTC)


class RegistryScoped(ProjectScoped):
    async def mlflow(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """The project's MLflow server's answer; its refusals become ours (400/404/409)."""
        return await self.app.registry.mlflow(self.project.id, self.slug, method, path, body)

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
        model, _ = await self.app.registry.register(
            self.project.id,
            self.slug,
            body.run_id,
            body.name,
            self.identity.name,
            body.aliases,
            body.artifact_path,
        )
        self.write_model(await self.describe(model), status=201)


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
