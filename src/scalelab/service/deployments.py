"""The deployments API: endpoints of a project, their versions, history and keys.

Viewers see endpoints (and may call them); deployers and owners deploy, switch, roll back,
scale, remove and hand out keys. The work itself is the Deployer's; these only map.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, cast

from ..errors import InvalidInput, NotFound
from ..monitoring.scores import METRICS, Metric, ModelScore, model_score
from ..monitoring.serving import hours_between, predictions_by_request
from ..store import deployments as repo
from ..store.models import DeploymentRow
from .endpoints import Endpoint, Version
from .models import (
    DeployedVersion,
    DeploymentCreate,
    DeploymentEventList,
    DeploymentEventModel,
    DeploymentList,
    DeploymentModel,
    DeploymentStats,
    DeploymentUpdate,
    EndpointKeyCreate,
    EndpointKeyCreated,
    EndpointKeyList,
    EndpointKeyModel,
    LabelsPost,
    LabelsStored,
    ModelScoreList,
    ModelScoreModel,
    ReplicaModel,
    VersionDeploy,
)
from .openapi import Operation
from .projects import ProjectScoped

TAGS = ("deployments",)


def _version(data: dict[str, Any] | None) -> DeployedVersion | None:
    version = Version.from_json(data)
    if version is None:
        return None
    return DeployedVersion(
        uri=version.uri, name=version.name, version=version.version, run_id=version.run_id
    )


class DeploymentScoped(ProjectScoped):
    def row(self, name: str) -> DeploymentRow:
        assert self.db is not None
        row = repo.get_deployment(self.db, self.project.id, name)
        if row is None:
            raise NotFound(f"no endpoint named {name!r} in project {self.slug!r}")
        return row

    def live(self, row: DeploymentRow) -> Endpoint:
        endpoint = self.app.deployer.endpoint(row.id)
        if endpoint is None:
            raise NotFound(f"endpoint {row.name!r} is not running in this service")
        return endpoint

    def describe(self, row: DeploymentRow) -> DeploymentModel:
        endpoint = self.app.deployer.endpoint(row.id)
        replicas: list[ReplicaModel] = []
        stats: dict[str, Any] = {
            "requests_per_second": 0.0,
            "p50_ms": None,
            "p99_ms": None,
            "error_rate": None,
            "in_flight": 0,
        }
        if endpoint is not None:
            for replica_set in endpoint.colours():
                replicas += [
                    ReplicaModel(
                        id=r.id,
                        colour=replica_set.colour,
                        version=replica_set.version.label,
                        ready=r.ready and r.running,
                        in_flight=r.in_flight,
                        served=r.served,
                    )
                    for r in replica_set.replicas
                ]
            stats = endpoint.stats(time.monotonic())
        return DeploymentModel(
            name=row.name,
            state=endpoint.state if endpoint is not None else row.state,
            url=f"{self.app.public_url.rstrip('/')}/{self.app.base_url.strip('/')}/"
            f"serve/{self.slug}/{row.name}/invocations",
            blue=_version(row.blue),
            green=_version(row.green),
            previous=_version(row.previous),
            green_share=row.green_share,
            min_replicas=row.min_replicas,
            max_replicas=row.max_replicas,
            request_log_rate=row.request_log_rate,
            replicas=replicas,
            stats=DeploymentStats(**stats),
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    def answer(self, name: str, status: int = 200) -> None:
        assert self.db is not None
        self.db.expire_all()
        self.write_model(self.describe(self.row(name)), status=status)


class DeploymentsHandler(DeploymentScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("The project's endpoints", DeploymentList, role="viewer", tags=TAGS),
        "post": Operation(
            "Create an endpoint serving a registered model (started in the background: "
            "follow its state and events)",
            DeploymentModel,
            body=DeploymentCreate,
            role="deployer",
            errors=(400, 401, 403, 409),
            tags=TAGS,
            status=202,
        ),
    }

    def get(self, slug: str) -> None:
        assert self.db is not None
        rows = repo.list_deployments(self.db, self.project.id)
        self.write_model(DeploymentList(deployments=[self.describe(r) for r in rows]))

    async def post(self, slug: str) -> None:
        body = self.parse_body(DeploymentCreate)
        self.refuse_if_archived()
        if body.min_replicas > body.max_replicas:
            raise InvalidInput("min_replicas may not exceed max_replicas")
        await self.app.deployer.create(
            self.project.id,
            self.slug,
            body.name,
            body.model_uri,
            self.identity.name,
            min_replicas=body.min_replicas,
            max_replicas=body.max_replicas,
            request_log_rate=body.request_log_rate,
        )
        self.answer(body.name, status=202)


class DeploymentHandler(DeploymentScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("One endpoint", DeploymentModel, role="viewer", tags=TAGS),
        "patch": Operation(
            "Change the replica bounds or the request log's sample rate",
            DeploymentModel,
            body=DeploymentUpdate,
            role="deployer",
            errors=(400, 401, 403, 404),
            tags=TAGS,
        ),
        "delete": Operation(
            "Stop the endpoint (after its requests in flight) and remove it",
            None,
            role="deployer",
            errors=(401, 403, 404),
            tags=TAGS,
            status=204,
        ),
    }

    def get(self, slug: str, name: str) -> None:
        self.write_model(self.describe(self.row(name)))

    async def patch(self, slug: str, name: str) -> None:
        body = self.parse_body(DeploymentUpdate)
        row = self.row(name)
        endpoint = self.live(row)
        low = body.min_replicas if body.min_replicas is not None else row.min_replicas
        high = body.max_replicas if body.max_replicas is not None else row.max_replicas
        if low > high:
            raise InvalidInput("min_replicas may not exceed max_replicas")
        if body.request_log_rate is not None:
            self.app.deployer.set_request_log_rate(endpoint, body.request_log_rate)
        if (low, high) != (row.min_replicas, row.max_replicas):
            await self.app.deployer.scale(endpoint, self.identity.name, low, high)
        self.answer(name)

    async def delete(self, slug: str, name: str) -> None:
        row = self.row(name)
        endpoint = self.app.deployer.endpoint(row.id)
        if endpoint is not None:
            await self.app.deployer.remove(endpoint, self.identity.name)
        else:
            assert self.db is not None
            repo.delete_deployment(self.db, row)
            self.commit()
        self.set_status(204)
        self.finish()


class DeploymentVersionHandler(DeploymentScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "post": Operation(
            "Deploy another version blue-green: it takes traffic once it passes its checks, "
            "and keeps it if its error rate holds during the bake",
            DeploymentModel,
            body=VersionDeploy,
            role="deployer",
            errors=(400, 401, 403, 404, 409),
            tags=TAGS,
            status=202,
        ),
    }

    async def post(self, slug: str, name: str) -> None:
        body = self.parse_body(VersionDeploy)
        self.refuse_if_archived()
        endpoint = self.live(self.row(name))
        await self.app.deployer.deploy(endpoint, body.model_uri, self.identity.name, body.canary)
        self.answer(name, status=202)


class DeploymentPromoteHandler(DeploymentScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "post": Operation(
            "Send all traffic to the new version now, ending its bake",
            DeploymentModel,
            role="deployer",
            errors=(401, 403, 404, 409),
            tags=TAGS,
        ),
    }

    async def post(self, slug: str, name: str) -> None:
        await self.app.deployer.promote(self.live(self.row(name)), self.identity.name)
        self.answer(name)


class DeploymentRollbackHandler(DeploymentScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "post": Operation(
            "Back to the version before (a new version under way is dropped)",
            DeploymentModel,
            role="deployer",
            errors=(401, 403, 404, 409),
            tags=TAGS,
            status=202,
        ),
    }

    async def post(self, slug: str, name: str) -> None:
        await self.app.deployer.rollback(self.live(self.row(name)), self.identity.name)
        self.answer(name, status=202)


class DeploymentEventsHandler(DeploymentScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "The endpoint's history, newest first: deploys, switches, rollbacks, scaling",
            DeploymentEventList,
            role="viewer",
            tags=TAGS,
            optional_query=("limit",),
        ),
    }

    def get(self, slug: str, name: str) -> None:
        assert self.db is not None
        row = self.row(name)
        try:
            limit = min(max(int(self.get_argument("limit", "200")), 1), 1000)
        except ValueError:
            raise InvalidInput("limit: a whole number") from None
        events = repo.list_events(self.db, row.id, limit=limit)
        self.write_model(
            DeploymentEventList(
                events=[
                    DeploymentEventModel(
                        id=e.id,
                        at=e.at,
                        kind=e.kind,
                        actor=e.actor,
                        version=e.version,
                        message=e.message,
                    )
                    for e in events
                ]
            )
        )


class EndpointKeysHandler(DeploymentScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "The endpoint's keys (never the keys themselves)",
            EndpointKeyList,
            role="deployer",
            tags=TAGS,
        ),
        "post": Operation(
            "A new key for calling this endpoint only: shown once, stored hashed",
            EndpointKeyCreated,
            body=EndpointKeyCreate,
            role="deployer",
            errors=(400, 401, 403, 404),
            tags=TAGS,
            status=201,
        ),
    }

    def get(self, slug: str, name: str) -> None:
        assert self.db is not None
        keys = repo.list_keys(self.db, self.row(name).id)
        self.write_model(EndpointKeyList(keys=[EndpointKeyModel.model_validate(k) for k in keys]))

    def post(self, slug: str, name: str) -> None:
        assert self.db is not None
        body = self.parse_body(EndpointKeyCreate)
        row = self.row(name)
        key, plaintext = repo.create_key(self.db, row.id, body.label, self.identity.name)
        repo.record_event(
            self.db, row.id, "key_created", self.identity.name, f"key {key.prefix}… ({body.label})"
        )
        self.commit()
        self.write_model(
            EndpointKeyCreated(key=plaintext, info=EndpointKeyModel.model_validate(key)),
            status=201,
        )


class EndpointKeyHandler(DeploymentScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "delete": Operation(
            "Revoke a key: it opens nothing from now on",
            EndpointKeyModel,
            role="deployer",
            errors=(401, 403, 404),
            tags=TAGS,
        ),
    }

    def delete(self, slug: str, name: str, key_id: str) -> None:
        assert self.db is not None
        row = self.row(name)
        key = repo.revoke_key(self.db, row.id, int(key_id))
        if key is None:
            raise NotFound(f"endpoint {name!r} has no key {key_id}")
        repo.record_event(
            self.db, row.id, "key_revoked", self.identity.name, f"key {key.prefix}… revoked"
        )
        self.commit()
        self.app.deployer.keys.clear()  # the gateway's cache must not outlive the key
        self.write_model(EndpointKeyModel.model_validate(key))


class DeploymentLabelsHandler(DeploymentScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "post": Operation(
            "Post the ground truth of predictions, by the request id each was answered with "
            "(a label posted again replaces the earlier one)",
            LabelsStored,
            body=LabelsPost,
            role="editor",
            errors=(400, 401, 403, 404),
            tags=TAGS,
        ),
    }

    def post(self, slug: str, name: str) -> None:
        assert self.db is not None
        body = self.parse_body(LabelsPost)
        self.refuse_if_archived()
        row = self.row(name)
        labels = {item.request_id: item.label for item in body.labels}
        stored = repo.put_labels(self.db, row.id, labels, self.identity.name)
        self.commit()
        self.write_model(LabelsStored(stored=stored))


MAX_SCORE_HOURS = 168


class DeploymentScoresHandler(DeploymentScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "The model's score per hour on the labels posted so far (`?metric=accuracy|f1|"
            "mae|rmse&hours=24`): logged predictions joined to labels by request id",
            ModelScoreList,
            role="viewer",
            errors=(400, 401, 404),
            tags=TAGS,
        ),
    }

    async def get(self, slug: str, name: str) -> None:
        assert self.db is not None
        asked = self.get_query_argument("metric", "accuracy")
        if asked not in METRICS:
            raise InvalidInput(f"metric: one of {', '.join(METRICS)}")
        metric = cast(Metric, asked)
        try:
            hours = int(self.get_query_argument("hours", "24"))
        except ValueError:
            raise InvalidInput("hours: a whole number") from None
        if not 1 <= hours <= MAX_SCORE_HOURS:
            raise InvalidInput(f"hours: from 1 to {MAX_SCORE_HOURS}")
        row = self.row(name)
        folder = self.app.deployer.log_folder_of(row.project_id, row.name)
        now = datetime.now(UTC)
        keys = hours_between(now - timedelta(hours=hours - 1), now + timedelta(seconds=1))
        by_hour = await asyncio.get_running_loop().run_in_executor(
            None, lambda: {key: predictions_by_request(folder, key) for key in keys}
        )
        wanted = [rid for predictions in by_hour.values() for rid in predictions]
        labels = repo.labels_for(self.db, row.id, wanted)
        everything = {rid: p for predictions in by_hour.values() for rid, p in predictions.items()}
        self.write_model(
            ModelScoreList(
                metric=metric,
                overall=_score(None, model_score(everything, labels, metric)),
                hours=[
                    _score(key, model_score(p, labels, metric)) for key, p in by_hour.items() if p
                ],
            )
        )


def _score(hour: str | None, score: ModelScore) -> ModelScoreModel:
    return ModelScoreModel(
        hour=hour,
        value=score.value,
        labelled=score.labelled,
        predictions=score.predictions,
        mismatched=score.mismatched,
    )
