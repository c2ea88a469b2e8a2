"""One MLflow server per project, started on first use, restarted when it dies, stopped idle.

Each server listens on a Unix socket in a folder only the service's account can open, so the
service's proxy (which checks hub credentials and project roles) is the only way in: no port on
the machine answers MLflow requests. Its database and artifacts live in the project's folder
of the data root (or a database per project on a PostgreSQL server, by configuration).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy.engine import make_url
from tornado import httpclient
from traitlets import Float, Integer, List, Unicode
from traitlets.config import LoggingConfigurable

from ..dataroot import DataRoot
from ..errors import ScaleLabError
from ..processfolders import make_process_folder
from ..store.databases import ensure_database
from ..tracking.quiet import NO_TELEMETRY
from .local_http import ExpiringCache, SocketResolver

SOCKET_DIR_PREFIX = "scalelab-tracking-"
# MLflow refuses Host names it does not know (DNS rebinding); the backends are reached by made-up
# names that resolve to their sockets.
BACKEND_HEADERS = {"Host": "localhost"}
BACKEND_ENV = {
    **NO_TELEMETRY,
    "MLFLOW_LOGGING_LEVEL": "WARNING",
    # MLflow's job runner (eight more processes of ~250 MB each) serves the GenAI routes the
    # proxy refuses anyway.
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
}


class TrackingUnavailable(ScaleLabError):
    """A project's MLflow server did not start or does not answer (503 to the caller)."""


class Tracking(LoggingConfigurable):
    """Where and how the projects' MLflow servers run (`c.Tracking.<option>`)."""

    store_url = Unicode(
        "",
        help="""SQLAlchemy URL of each project's MLflow database, with `{project_id}` in it, e.g.
        postgresql+psycopg://scalelab@dbhost/scalelab_mlflow_{project_id} (the database is
        created if missing). Empty: the kind of the service's database: a database
        `<service database>_mlflow_<project id>` on the same PostgreSQL server, or a SQLite file
        per project in the data root.""",
    ).tag(config=True)

    idle_timeout = Float(
        900.0,
        help="Seconds without requests after which a project's MLflow server is stopped "
        "(it starts again on the next request).",
    ).tag(config=True)

    max_servers = Integer(
        6,
        help="""Projects' MLflow servers running at once (each takes ~450 MB). Starting one
        more stops the one unused the longest; it starts again at its next request.""",
    ).tag(config=True)

    start_timeout = Float(
        120.0, help="Seconds a project's MLflow server may take to start answering."
    ).tag(config=True)

    request_timeout = Float(
        300.0, help="Seconds one proxied request may take (artifact uploads included)."
    ).tag(config=True)

    max_upload_size = Integer(
        4 * 1024**3, help="Largest request body accepted by the tracking proxy, in bytes."
    ).tag(config=True)

    token_check_seconds = Float(
        5.0,
        help="""Seconds the hub's word on a token, and the database's on a member's role, serve
        further tracking requests (0: ask at every request, as the rest of the API does). A
        notebook logs a value per request; a revoked token or a removed member stops logging
        within this time.""",
    ).tag(config=True)

    start_with_service = List(
        Unicode(),
        help="""Slugs of projects whose MLflow server starts with the service rather than at
        the first request (which then waits a few seconds). `scalelab up` lists its demo.""",
    ).tag(config=True)

    server_args = List(
        Unicode(),
        help="Further `mlflow server` options for every project's server, e.g. "
        "['--gunicorn-opts', '...'] is not supported; ['--workers', '2'] is.",
    ).tag(config=True)


@dataclass
class Backend:
    """A project's running MLflow server."""

    project_id: int
    slug: str
    socket: Path
    process: asyncio.subprocess.Process
    last_used: float = field(default_factory=time.monotonic)

    @property
    def host(self) -> str:
        return f"project-{self.project_id}.mlflow.invalid"

    @property
    def running(self) -> bool:
        return self.process.returncode is None


class TrackingBackends:
    """The projects' MLflow servers of this service process."""

    def __init__(
        self, config: Tracking, data: DataRoot, base_url: str, service_db_url: str = ""
    ) -> None:
        self.config = config
        self.service_db_url = service_db_url
        self.log = config.log
        self.data = data
        self.base_url = base_url  # the service's prefix: /services/scalelab/
        self.backends: dict[int, Backend] = {}
        # Who holds which role where, for the proxy: asked of the database at most this often.
        self.roles: ExpiringCache[tuple[Any, str], tuple[int, Any, bool]] = ExpiringCache(
            config.token_check_seconds
        )
        self._locks: dict[int, asyncio.Lock] = {}
        self._sockets: dict[str, Path] = {}
        self._socket_dir: Path | None = None
        self._idle_task: asyncio.Task[None] | None = None
        self.http = httpclient.AsyncHTTPClient(
            force_instance=True,
            resolver=SocketResolver(sockets=self._sockets),
            max_body_size=config.max_upload_size,
            max_buffer_size=64 * 1024 * 1024,
        )

    def prefix(self, slug: str) -> str:
        """The URL path of a project's tracking server, as browsers and clients see it."""
        return f"{self.base_url}mlflow/{slug}"

    def folder(self, project_id: int) -> Path:
        return self.data.tracking / str(project_id)

    def store_url(self, project_id: int) -> str:
        if self.config.store_url:
            return self.config.store_url.replace("{project_id}", str(project_id))
        service = make_url(self.service_db_url) if self.service_db_url else None
        if service is not None and service.get_backend_name() == "postgresql":
            name = f"{service.database}_mlflow_{project_id}"
            return service.set(database=name).render_as_string(hide_password=False)
        return f"sqlite:///{self.folder(project_id) / 'mlflow.sqlite'}"

    def url(self, backend: Backend, path: str) -> str:
        """The backend URL of `path` (relative to the project's prefix, no leading slash)."""
        return f"http://{backend.host}{self.prefix(backend.slug)}/{path}"

    async def get(self, project_id: int, slug: str) -> Backend:
        """The project's server, started (or started again) if it is not running."""
        backend = self.backends.get(project_id)
        if backend is not None and backend.running and backend.slug == slug:
            backend.last_used = time.monotonic()
            return backend
        async with self._locks.setdefault(project_id, asyncio.Lock()):
            backend = self.backends.get(project_id)
            if backend is not None and backend.running and backend.slug == slug:
                return backend
            if backend is not None:
                if backend.running:
                    await self._stop(backend)
                else:
                    self.log.warning(
                        "MLflow server of project %s exited (%s); starting it again",
                        slug,
                        backend.process.returncode,
                    )
            await self._make_room()
            backend = await self._start(project_id, slug)
            self.backends[project_id] = backend
            self._start_idle_watch()
            return backend

    async def _make_room(self) -> None:
        """Stop the least recently used servers while the limit would be passed."""
        while len(self.backends) >= max(1, self.config.max_servers):
            oldest = min(self.backends.values(), key=lambda b: b.last_used)
            self.log.info("Stopping the MLflow server of project %s to start another", oldest.slug)
            await self.stop(oldest.project_id)

    async def _start(self, project_id: int, slug: str) -> Backend:
        folder = self.folder(project_id)
        (folder / "artifacts").mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
        store_url = self.store_url(project_id)
        await asyncio.get_running_loop().run_in_executor(None, ensure_database, store_url)
        path = self._socket_folder() / f"{project_id}.sock"
        path.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "scalelab.service.tracking_backend",
            "--backend-store-uri",
            store_url,
            "--serve-artifacts",
            "--artifacts-destination",
            str(folder / "artifacts"),
            "--static-prefix",
            self.prefix(slug),
            "--workers",
            "1",
            "--uvicorn-opts",
            f"--uds {path}",
            *self.config.server_args,
        ]
        log = (folder / "server.log").open("ab")
        started = time.monotonic()
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,  # its group ends with it (see tracking_backend)
                env={**os.environ, **BACKEND_ENV},
            )
        finally:
            log.close()
        backend = Backend(project_id, slug, path, process)
        self._sockets[backend.host] = path
        try:
            await self._wait_until_healthy(backend, folder / "server.log")
            await self._ensure_experiment(backend)
        except BaseException:
            await self._stop(backend)
            raise
        self.log.info(
            "MLflow server of project %s started in %.1fs", slug, time.monotonic() - started
        )
        return backend

    async def _wait_until_healthy(self, backend: Backend, log: Path) -> None:
        deadline = time.monotonic() + self.config.start_timeout
        while time.monotonic() < deadline:
            if not backend.running:
                tail = log.read_text(errors="replace").strip().splitlines()[-3:]
                raise TrackingUnavailable(
                    f"the project's MLflow server exited at start: {' / '.join(tail)}"
                )
            if backend.socket.exists():
                with contextlib.suppress(OSError, httpclient.HTTPError):
                    response = await self.http.fetch(
                        self.url(backend, "health"),
                        headers={"Host": "localhost"},
                        request_timeout=5,
                    )
                    if response.code == 200:
                        return
            await asyncio.sleep(0.2)
        raise TrackingUnavailable(
            f"the project's MLflow server did not answer within {self.config.start_timeout:.0f}s"
        )

    async def _ensure_experiment(self, backend: Backend) -> None:
        """The project's experiment, named after the project, exists before anyone logs."""
        name = quote(backend.slug)
        found = await self.call(
            backend, "GET", f"api/2.0/mlflow/experiments/get-by-name?experiment_name={name}"
        )
        if found.get("error_code") == "RESOURCE_DOES_NOT_EXIST":
            await self.call(
                backend, "POST", "api/2.0/mlflow/experiments/create", {"name": backend.slug}
            )

    async def call(
        self, backend: Backend, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A JSON request to the backend's REST API; MLflow's error answers come back as JSON."""
        backend.last_used = time.monotonic()
        response = await self.http.fetch(
            self.url(backend, path),
            method=method,
            headers={**BACKEND_HEADERS, "Content-Type": "application/json"},
            body=json.dumps(body) if body is not None else None,
            request_timeout=60,
            raise_error=False,
            allow_nonstandard_methods=True,  # DELETE with a body, as MLflow wants it
        )
        if response.code == 599:
            raise TrackingUnavailable(
                f"the project's MLflow server does not answer: {response.error}"
            )
        try:
            data = json.loads(response.body or b"{}")
        except ValueError:
            data = {"error_code": f"HTTP {response.code}", "message": response.body[:200].decode()}
        if response.code >= 400 and "error_code" not in data:
            data["error_code"] = f"HTTP {response.code}"
        return data

    def _socket_folder(self) -> Path:
        # Unix socket paths are short (108 bytes): a private folder in the temporary one, not
        # the data root, which may be deep.
        if self._socket_dir is None:
            self._socket_dir = make_process_folder(SOCKET_DIR_PREFIX, 0o700)
        return self._socket_dir

    def _start_idle_watch(self) -> None:
        if self._idle_task is None or self._idle_task.done():
            self._idle_task = asyncio.ensure_future(self._stop_idle())

    async def _stop_idle(self) -> None:
        while self.backends:
            await asyncio.sleep(min(60.0, max(1.0, self.config.idle_timeout / 4)))
            now = time.monotonic()
            for backend in list(self.backends.values()):
                if now - backend.last_used > self.config.idle_timeout:
                    self.log.info("Stopping the idle MLflow server of project %s", backend.slug)
                    await self.stop(backend.project_id)

    async def stop(self, project_id: int) -> None:
        backend = self.backends.pop(project_id, None)
        if backend is not None:
            await self._stop(backend)

    async def _stop(self, backend: Backend) -> None:
        self._sockets.pop(backend.host, None)
        if backend.running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(backend.process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(backend.process.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(backend.process.pid, signal.SIGKILL)
                await backend.process.wait()
        else:
            # mlflow's own uvicorn child may outlive a launcher that was killed alone.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(backend.process.pid, signal.SIGKILL)
        backend.socket.unlink(missing_ok=True)

    async def close(self) -> None:
        if self._idle_task is not None:
            self._idle_task.cancel()
        await asyncio.gather(*(self.stop(pid) for pid in list(self.backends)))
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        self.http.close()
