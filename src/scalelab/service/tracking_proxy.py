"""The door to each project's MLflow server: hub login (or a run's token), project role, then
the request streams through to the project's own server and its answer streams back.

Which role a request needs is `scalelab.tracking.access`'s decision, from its method and route
alone; the proxy reads one body only, that of `runs/create`, to record who created the run.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any, ClassVar
from urllib.parse import urlparse

from tornado import httpclient, httputil, web

from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..identity import Identity
from ..roles import ROLE_GRANTS, RoleName, includes
from ..store import projects as repo
from ..tracking.access import needed_role, traversal
from ..workspaces import SLUG
from .handlers import BaseHandler
from .openapi import Operation
from .run_tokens import RUN_TOKEN_PREFIX
from .tracking import BACKEND_HEADERS, TrackingUnavailable

# Never passed to the project's server: credentials are ours, hop-by-hop headers the link's,
# and Origin/Referer name the hub, which MLflow's CORS checks do not know.
DROPPED_REQUEST_HEADERS = frozenset(
    {
        "host",
        "authorization",
        "cookie",
        "origin",
        "referer",
        "connection",
        "keep-alive",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-real-ip",
    }
)
DROPPED_RESPONSE_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "server", "date"}
)
# Files people uploaded as artifacts are shown on the hub's origin: no script of theirs runs.
ARTIFACT_ROUTE = re.compile(
    r"(?:(?:model-versions/)?get-artifact|(?:ajax-)?api/2\.0/mlflow-artifacts/artifacts/.+)"
)
RUN_CREATE = re.compile(r"(?:ajax-)?api/2\.0/mlflow/runs/create")
BODY_QUEUE_CHUNKS = 16


@web.stream_request_body
class TrackingProxyHandler(BaseHandler):
    """`<service>/mlflow/<slug>/<path>`: the project's MLflow API, UI and artifacts."""

    operations: ClassVar[dict[str, Operation]] = {}  # MLflow's own API; not in our document
    quiet_access_log = True
    role: RoleName | None
    project_id: int

    async def prepare(self) -> None:
        self._body: asyncio.Queue[bytes | None] = asyncio.Queue(BODY_QUEUE_CHUNKS)
        self._buffered: list[bytes] | None = None
        self._upstream: asyncio.Future[httpclient.HTTPResponse] | None = None
        self._csrf_refusal = ""
        self._status = 502
        self._headers_in = httputil.HTTPHeaders()
        self.archived = False
        tracking = self.app.tracking
        self.write_grace_seconds = tracking.config.token_check_seconds
        self.request.connection.set_max_body_size(tracking.config.max_upload_size)  # type: ignore[attr-defined]
        self.slug = self.path_kwargs["slug"]
        if self.path_kwargs.get("rest") is None:
            # The UI's links are relative to its page: `.../mlflow/<slug>/`, with the slash.
            self.redirect(self.request.path + "/")
            raise web.Finish()
        self.rest = self.path_kwargs["rest"]
        token = self.hub_auth.get_token(self, in_cookie=False) or ""
        if token.startswith(RUN_TOKEN_PREFIX):
            self._authorize_run(token)
        else:
            await super().prepare()
            self._authorize_member()
        decision = needed_role(self.request.method or "", self.rest)
        if not decision.allowed:
            raise web.HTTPError(decision.status, decision.message)
        problem = traversal(self.request.path, self.request.query)
        if problem:
            raise InvalidInput(problem)
        needed = decision.role
        assert needed is not None
        if not self.identity.admin and not includes(self.role, needed):
            raise Forbidden(
                f"this needs the {needed} role in project {self.slug!r} "
                f"({ROLE_GRANTS[needed]}); you are {self.role}"
            )
        if self.archived and needed != "viewer":
            raise Conflict(f"project {self.slug!r} is archived; restore it first")
        try:
            backend = await tracking.get(self.project_id, self.slug)
        except TrackingUnavailable as exc:
            raise web.HTTPError(503, "%s; try again shortly", exc.message) from None
        self._backend = backend
        if RUN_CREATE.fullmatch(self.rest):
            self._buffered = []  # rewritten before it goes on, in _forward
        else:
            self._upstream = asyncio.ensure_future(self._forward())

    def _authorize_member(self) -> None:
        cached = self.app.tracking.roles.get((self.identity, self.slug))
        if cached is not None:
            self.project_id, self.role, self.archived = cached
            return
        with self.app.store.session() as session:
            project, role = (
                repo.project_with_role(session, self.slug, self.identity)
                if SLUG.match(self.slug)
                else (None, None)
            )
            if project is None or (role is None and not self.identity.admin):
                raise NotFound(f"no project named {self.slug!r}")
            self.project_id = project.id
            self.archived = project.archived_at is not None
        self.role = role
        self.app.tracking.roles.put((self.identity, self.slug), (project.id, role, self.archived))

    def _authorize_run(self, token: str) -> None:
        grant = self.app.run_tokens.grant(token)
        if grant is None:
            raise web.HTTPError(401, "this run's token is no longer valid: the run has ended")
        if grant.slug != self.slug:
            raise NotFound(f"no project named {self.slug!r}")
        self.identity = Identity(grant.user)
        self.project_id = grant.project_id
        self.role = grant.role
        self._token_authenticated = True

    def check_xsrf_cookie(self) -> None:
        """A browser's write must come from a page of the hub's own origin.

        MLflow's UI does not send JupyterHub's XSRF token, so the browser's own word is taken
        instead (Fetch Metadata, or the Origin header of browsers without it): pages of other
        sites cannot make a signed-in person's browser change anything here.
        """
        if getattr(self, "_token_authenticated", False) or self.request.method in ("GET", "HEAD"):
            return
        site = self.request.headers.get("Sec-Fetch-Site")
        origin = self.request.headers.get("Origin")
        if site is not None:
            same = site == "same-origin"
        else:
            same = origin is not None and urlparse(origin).netloc == self.request.host
        if not same:
            self._csrf_refusal = "cross-site requests may not change tracking data"
            raise web.HTTPError(403, self._csrf_refusal)

    def _refuse_anonymous(self) -> None:
        if self._csrf_refusal:
            raise web.HTTPError(403, self._csrf_refusal)
        super()._refuse_anonymous()

    async def data_received(self, chunk: bytes) -> None:
        if self._buffered is not None:
            self._buffered.append(chunk)
        else:
            await self._body.put(chunk)

    async def _produce_body(self, write: Any) -> None:
        while (chunk := await self._body.get()) is not None:
            await write(chunk)

    async def _forward(self, body: bytes | None = None) -> httpclient.HTTPResponse:
        """The request to the project's server; without `body`, the client's body streams on
        (tornado frames it as chunked where the client gave no length)."""
        headers = httputil.HTTPHeaders()
        for name, value in self.request.headers.get_all():
            if name.lower() not in DROPPED_REQUEST_HEADERS and name.lower() != "content-length":
                headers.add(name, value)
        headers.update(BACKEND_HEADERS)
        method = self.request.method or "GET"
        streams = body is None and method in ("POST", "PUT", "PATCH", "DELETE")
        if streams and "Content-Length" in self.request.headers:
            headers["Content-Length"] = self.request.headers["Content-Length"]
        url = self.app.tracking.url(self._backend, self.rest)
        if self.request.query:
            url += "?" + self.request.query
        request = httpclient.HTTPRequest(
            url,
            method=method,
            headers=headers,
            body=body,
            body_producer=self._produce_body if streams else None,
            allow_nonstandard_methods=True,
            follow_redirects=False,
            decompress_response=False,
            request_timeout=self.app.tracking.config.request_timeout,
            header_callback=self._on_header,
            streaming_callback=self._on_chunk,
        )
        return await self.app.tracking.http.fetch(request, raise_error=False)

    def _on_header(self, line: str) -> None:
        if line.startswith("HTTP/"):
            self._status = httputil.parse_response_start_line(line.strip()).code
            self._headers_in = httputil.HTTPHeaders()
        elif line.strip():
            self._headers_in.parse_line(line)
        else:
            self._start_response()

    def _start_response(self) -> None:
        self.clear_header("Content-Type")
        self.set_status(self._status)
        for name, value in self._headers_in.get_all():
            if name.lower() not in DROPPED_RESPONSE_HEADERS:
                self.add_header(name, value)
        if ARTIFACT_ROUTE.fullmatch(self.rest):
            self.set_header("Content-Security-Policy", "sandbox")
            self.set_header("X-Content-Type-Options", "nosniff")

    def _on_chunk(self, chunk: bytes) -> None:
        self.write(chunk)
        self.flush()

    async def _relay(self) -> None:
        if self._upstream is None:
            body = self._rewrite_run_create(b"".join(self._buffered or []))
            self._upstream = asyncio.ensure_future(self._forward(body=body))
        else:
            await self._body.put(None)
        response = await self._upstream
        if response.code == 599:
            if self._headers_written:
                return  # the answer was under way; the client sees it cut short
            self.app.log.warning("tracking of %s: %s", self.slug, response.error)
            raise web.HTTPError(
                503, "the project's MLflow server does not answer; try again shortly"
            )
        self.finish()

    def _rewrite_run_create(self, raw: bytes) -> bytes:
        """Runs are created in the name of the person (or run) the hub vouched for."""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return raw  # MLflow answers malformed bodies itself
        if not isinstance(body, dict):
            return raw
        body["user_id"] = self.identity.name
        tags = [
            t
            for t in body.get("tags") or []
            if isinstance(t, dict) and t.get("key") != "mlflow.user"
        ]
        body["tags"] = [*tags, {"key": "mlflow.user", "value": self.identity.name}]
        return json.dumps(body).encode()

    async def get(self, **_: str) -> None:
        await self._relay()

    head = post = put = patch = delete = get

    def on_connection_close(self) -> None:
        # The client went away: the request to the project's server goes no further.
        if self._upstream is not None and not self._upstream.done():
            self._upstream.cancel()
