"""`serve/<project>/<endpoint>/invocations`: predictions, for members and for endpoint keys.

A caller shows a JupyterHub token (any member of the project, viewers included, may call) or
an endpoint key (`Authorization: Bearer slkey_...`, good for its one endpoint). The body goes
to a replica as it came, in MLflow's scoring protocol; the replica's answer comes back as it
is, with the request id (to post ground-truth labels against) and the version that answered.
"""

from __future__ import annotations

import hashlib
import random
import time
from typing import ClassVar

from tornado import web

from ..errors import Forbidden, NotFound
from ..roles import includes
from ..store import deployments as repo
from ..store import projects as projects_repo
from ..workspaces import SLUG
from .handlers import BaseHandler
from .openapi import Operation
from .request_log import LoggedRequest

KEY_PREFIX = "slkey_"
# Bodies this many times over the limit are cut off (the connection closes) rather than read.
DISCARD_FACTOR = 10


@web.stream_request_body
class GatewayHandler(BaseHandler):
    operations: ClassVar[dict[str, Operation]] = {}  # MLflow's scoring protocol, not ours
    quiet_access_log = True

    async def prepare(self) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self.limit = self.app.deployer.config.max_body_mb * 1024 * 1024
        self._too_large = False
        # A body over the limit is read and dropped, then refused: answering while the caller
        # still sends would reach it through a proxy as a reset connection (502/503), not 413.
        self.request.connection.set_max_body_size(DISCARD_FACTOR * self.limit)  # type: ignore[attr-defined]
        slug, name = self.path_kwargs["slug"], self.path_kwargs["name"]
        key = self._bearer_key()
        if key is not None:
            deployment_id = self._key_deployment(key)
            endpoint = self.app.deployer.find(slug, name)
            if endpoint is None or endpoint.id != deployment_id:
                raise Forbidden("this key is for another endpoint")
        else:
            # Predictions change nothing: a token's check serves a few seconds, as for reads.
            self.write_grace_seconds = self.app.deployer.config.key_check_seconds
            await super().prepare()
            project_id = self._member_project(slug)
            endpoint = self.app.deployer.find(slug, name)
            if endpoint is None or endpoint.project_id != project_id:
                raise NotFound(f"no endpoint named {name!r} in project {slug!r}")
        self.endpoint = endpoint
        if self.request.method != "POST":
            raise web.HTTPError(405, "POST a prediction request to this URL")
        self._too_large = int(self.request.headers.get("Content-Length") or 0) > self.limit

    def _bearer_key(self) -> str | None:
        scheme, _, value = self.request.headers.get("Authorization", "").partition(" ")
        value = value.strip()
        if scheme.lower() in ("bearer", "token") and value.startswith(KEY_PREFIX):
            return value
        return None

    def _key_deployment(self, key: str) -> int:
        digest = hashlib.sha256(key.encode()).hexdigest()
        cache = self.app.deployer.keys
        deployment_id = cache.get(digest)
        if deployment_id is None:
            with self.app.store.session() as session:
                row = repo.key_for(session, key)
                if row is None:
                    raise web.HTTPError(401, "this endpoint key is unknown or revoked")
                repo.touch_key(session, row)
                session.commit()
                deployment_id = row.deployment_id
            cache.put(digest, deployment_id)
        return deployment_id

    def _member_project(self, slug: str) -> int:
        """The project's id if the caller may see it (any role), from a short-lived cache."""
        roles = self.app.tracking.roles
        cached = roles.get((self.identity, slug))
        if cached is None:
            with self.app.store.session() as session:
                project, role = (
                    projects_repo.project_with_role(session, slug, self.identity)
                    if SLUG.match(slug)
                    else (None, None)
                )
                if project is None or (role is None and not self.identity.admin):
                    raise NotFound(f"no project named {slug!r}")
                cached = (project.id, role, project.archived_at is not None)
            roles.put((self.identity, slug), cached)
        project_id, role, _ = cached
        if not self.identity.admin and not includes(role, "viewer"):
            raise NotFound(f"no project named {slug!r}")
        return int(project_id)

    def data_received(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size > self.limit:
            self._too_large = True
            self._chunks.clear()
        if not self._too_large:
            self._chunks.append(chunk)

    async def post(self, slug: str, name: str) -> None:
        if self._too_large:
            raise web.HTTPError(413, f"request body over the limit of {self.limit} bytes")
        body = b"".join(self._chunks)
        endpoint = self.endpoint
        started = time.monotonic()
        answer = await self.app.deployer.router.route(endpoint, body)
        elapsed = time.monotonic() - started
        endpoint.recent.append((time.monotonic(), elapsed * 1000, answer.code < 500))
        if answer.version:
            self.set_header("X-ScaleLab-Version", answer.version)
        rate = endpoint.request_log_rate
        # Only answered predictions: a refused body is no model input (and may be anything).
        if answer.code == 200 and rate > 0 and random.random() < rate:
            self.app.deployer.request_log.add(
                LoggedRequest(
                    folder=self.app.deployer.log_folder(endpoint),
                    request_id=self.request_id,
                    at=time.time(),
                    version=answer.version,
                    colour=answer.colour,
                    status=answer.code,
                    latency_ms=elapsed * 1000,
                    inputs=body,
                    outputs=answer.body,
                )
            )
        self.set_status(503 if answer.code == 599 else answer.code)
        self.finish(answer.body)
