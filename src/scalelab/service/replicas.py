"""Model replicas: processes that each load one model version and answer on a Unix socket.

The sockets live in a folder only the service's account can open, and every replica also wants
a secret only this service process holds (`x-scalelab-replica-secret`): a local process that
finds a socket gets nothing. A replica is ready once its socket answers `/ping`.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import itertools
import os
import pwd
import secrets
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyterhub.traitlets import EntryPointType
from tornado import httpclient
from traitlets import Float, Integer
from traitlets.config import LoggingConfigurable

from ..environ import child_environ
from ..errors import ScaleLabError
from ..processfolders import make_process_folder
from ..tracking.quiet import NO_TELEMETRY
from .local_http import SocketResolver

SOCKET_DIR_PREFIX = "scalelab-serving-"
SECRET_HEADER = "X-ScaleLab-Replica-Secret"


class Serving(LoggingConfigurable):
    """How model endpoints are served (`c.Serving.<option>`)."""

    max_rows = Integer(
        10_000, help="Rows one prediction request may hold; more get 413 with a message."
    ).tag(config=True)
    max_body_mb = Integer(10, help="Largest request body, in MiB (413 above).").tag(config=True)
    max_batch = Integer(
        32,
        help="""Requests a replica may predict in one call when they queue up behind a busy
        model (adaptive batching: no request ever waits for a batch to fill).""",
    ).tag(config=True)
    start_timeout = Float(
        180, help="Seconds a new replica may take to load its model and answer."
    ).tag(config=True)
    request_timeout = Float(60, help="Seconds a replica may take to answer.").tag(config=True)
    retries = Integer(
        2,
        help="""Other replicas a request is sent to when the one it went to is gone (died,
        restarting). Predictions have no side effects, so a retry is safe.""",
    ).tag(config=True)
    check_interval = Float(
        1.0, help="Seconds between looks at replicas' health, load and the bake."
    ).tag(config=True)
    drain_timeout = Float(
        30, help="Seconds a version taken out of traffic may finish its requests."
    ).tag(config=True)
    bake_seconds = Float(
        30,
        help="""Seconds a new version serves (with the old one still up) before the old one
        stops; too many errors meanwhile send traffic back to the old one by itself.""",
    ).tag(config=True)
    max_error_rate = Float(
        0.05, help="Share of 5xx answers during the bake that rolls a new version back."
    ).tag(config=True)
    min_bake_requests = Integer(
        20, help="Requests the bake needs before an error rate may roll back."
    ).tag(config=True)
    target_in_flight = Float(
        4.0, help="In-flight requests per replica the autoscaler aims at."
    ).tag(config=True)
    scale_up_after = Float(
        10, help="Seconds the load must stay above the replicas' share before one is added."
    ).tag(config=True)
    scale_down_after = Float(
        60, help="Seconds the load must fit in one replica fewer before one is stopped."
    ).tag(config=True)
    max_replicas = Integer(8, help="Most replicas one endpoint may ask for.").tag(config=True)
    key_check_seconds = Float(
        5,
        help="""Seconds the gateway trusts a hub token or an endpoint key it checked before it
        asks again (revoking a key takes effect at once in this service).""",
    ).tag(config=True)
    request_log_mb = Float(
        100, help="Disk each endpoint's request log may take, in MiB; the oldest hours go first."
    ).tag(config=True)
    load_window = Float(30, help="Seconds of load the autoscaler averages over.").tag(config=True)
    backend_class = EntryPointType(
        "scalelab.service.replicas.ReplicaLauncher",
        klass="scalelab.service.replicas.ReplicaBackend",
        entry_point_group="scalelab.serving_backends",
        help="""Where replicas run: a name from the `scalelab.serving_backends` entry points
        or an import string. `local` (default): processes of this service on this machine.""",
    ).tag(config=True)


class ReplicaFailed(ScaleLabError):
    """A replica did not start (its log's last lines say why)."""


@dataclass(eq=False)
class Replica:
    id: str
    socket: Path
    process: asyncio.subprocess.Process
    ready: bool = False
    in_flight: int = 0
    served: int = 0
    started_at: float = field(default_factory=time.monotonic)

    @property
    def host(self) -> str:
        return f"{self.id}.replica.invalid"

    @property
    def running(self) -> bool:
        return self.process.returncode is None


class ReplicaBackend(abc.ABC):
    """Where an endpoint's replicas run: the seam between the deployer (versions, checks,
    routing, scaling) and the machines. `c.Serving.backend_class` names one, from the
    `scalelab.serving_backends` entry points or by import string; `local` (ReplicaLauncher)
    is the one there is. A backend past one machine (Ray Serve deployments, KServe
    InferenceServices) starts a replica where it likes and answers `call` for it; everything
    above (blue-green, retries, autoscaling, the gateway's auth) stays the deployer's."""

    def __init__(self, config: Serving) -> None:
        self.config = config
        self.log = config.log

    @abc.abstractmethod
    async def start(
        self, label: str, model_dir: Path, log_path: Path, account: str | None = None
    ) -> Replica:
        """A replica of the model in `model_dir`, once it answers; ReplicaFailed (with the
        reason in one line) if it never does within `config.start_timeout`. `account`: the
        OS account it runs as (None: the service's)."""

    @abc.abstractmethod
    async def call(
        self, replica: Replica, method: str, path: str, body: bytes | None = None
    ) -> httpclient.HTTPResponse:
        """The replica's answer to `path` (`invocations`, `metadata`, `ping`), whatever its
        status; code 599 when it could not be reached."""

    @abc.abstractmethod
    async def exited(self, replica: Replica) -> int | None:
        """Returns when the replica has ended (its exit code, if it has one)."""

    @abc.abstractmethod
    async def stop(self, replica: Replica, drain: float = 0.0) -> None:
        """Stop a replica, after up to `drain` seconds for its requests in flight to end."""

    def close(self) -> None:  # noqa: B027 (optional: most backends hold nothing)
        """Let go of what the backend holds, at the service's stop."""


class ReplicaLauncher(ReplicaBackend):
    """The `local` backend: replica processes of this service, on Unix sockets that `http`
    reaches by the replicas' host names."""

    def __init__(self, config: Serving) -> None:
        super().__init__(config)
        self.secret = secrets.token_urlsafe(32)
        self._sockets: dict[str, Path] = {}
        self._socket_dir: Path | None = None
        self._ids = itertools.count(1)
        self.http = httpclient.AsyncHTTPClient(
            force_instance=True,
            resolver=SocketResolver(sockets=self._sockets),
            max_clients=256,
            max_body_size=64 * 1024 * 1024,
        )

    def _folder(self) -> Path:
        if self._socket_dir is None:
            self._socket_dir = make_process_folder(SOCKET_DIR_PREFIX, 0o700)
        return self._socket_dir

    def _account_folder(self, account: str) -> Path:
        """The sockets of replicas running as `account`: a folder of its own (0700) in ours,
        which only lets it pass."""
        top = self._folder()
        top.chmod(0o711)
        folder = top / account
        if not folder.is_dir():
            folder.mkdir(mode=0o700)
            entry = pwd.getpwnam(account)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        return folder

    def url(self, replica: Replica, path: str) -> str:
        return f"http://{replica.host}/{path}"

    def headers(self) -> dict[str, str]:
        return {SECRET_HEADER: self.secret}

    async def start(
        self, label: str, model_dir: Path, log_path: Path, account: str | None = None
    ) -> Replica:
        replica_id = f"{label}-{next(self._ids)}"
        folder = self._folder() if account is None else self._account_folder(account)
        path = folder / f"{replica_id}.sock"
        path.unlink(missing_ok=True)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        config = self.config
        command = [
            sys.executable,
            "-m",
            "scalelab.serving.replica",
            "--model-dir",
            str(model_dir),
            "--socket",
            str(path),
            "--max-batch",
            str(config.max_batch),
            "--max-rows",
            str(config.max_rows),
            "--max-body-mb",
            str(config.max_body_mb),
        ]
        as_account: dict[str, Any] = {}
        if account is not None:
            entry = pwd.getpwnam(account)
            as_account = {
                "user": entry.pw_uid,
                "group": entry.pw_gid,
                "extra_groups": [],
                "cwd": str(folder),
            }
        with log_path.open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                **as_account,
                # A model may hold code (a pyfunc): it gets no credential of the service's.
                env={
                    **child_environ(),
                    **NO_TELEMETRY,
                    "SCALELAB_REPLICA_SECRET": self.secret,
                    **({"HOME": str(folder)} if account is not None else {}),
                },
            )
        replica = Replica(replica_id, path, process)
        self._sockets[replica.host] = path
        try:
            await self._wait_until_ready(replica, log_path)
        except BaseException:
            await self.stop(replica)
            raise
        replica.ready = True
        return replica

    async def _wait_until_ready(self, replica: Replica, log_path: Path) -> None:
        deadline = time.monotonic() + self.config.start_timeout
        while time.monotonic() < deadline:
            if not replica.running:
                raise ReplicaFailed(
                    f"the replica exited at start ({replica.process.returncode}): {_tail(log_path)}"
                )
            if replica.socket.exists() and await self.ping(replica):
                return
            await asyncio.sleep(0.1)
        raise ReplicaFailed(
            f"the replica did not answer within {self.config.start_timeout:.0f}s: {_tail(log_path)}"
        )

    async def ping(self, replica: Replica) -> bool:
        with contextlib.suppress(OSError, httpclient.HTTPError):
            response = await self.http.fetch(
                self.url(replica, "ping"), headers=self.headers(), request_timeout=5
            )
            return response.code == 200
        return False

    async def exited(self, replica: Replica) -> int | None:
        return await replica.process.wait()

    async def call(
        self, replica: Replica, method: str, path: str, body: bytes | None = None
    ) -> httpclient.HTTPResponse:
        request = httpclient.HTTPRequest(
            self.url(replica, path),
            method=method,
            body=body,
            headers={**self.headers(), "Content-Type": "application/json"},
            request_timeout=self.config.request_timeout,
        )
        try:
            return await self.http.fetch(request, raise_error=False)
        except OSError as exc:  # a replica dying mid-answer resets its socket
            return httpclient.HTTPResponse(request, 599, error=exc)

    async def stop(self, replica: Replica, drain: float = 0.0) -> None:
        replica.ready = False
        deadline = time.monotonic() + drain
        while replica.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if replica.running:
            with contextlib.suppress(ProcessLookupError):
                replica.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(replica.process.wait(), 10)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    replica.process.kill()
                await replica.process.wait()
        self._sockets.pop(replica.host, None)
        replica.socket.unlink(missing_ok=True)

    def close(self) -> None:
        self.http.close()
        if self._socket_dir is not None:
            import shutil

            shutil.rmtree(self._socket_dir, ignore_errors=True)


def _tail(log_path: Path, lines: int = 3) -> str:
    try:
        text = log_path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " / ".join(text[-lines:]) or "(empty log)"


def describe_failure(response: Any) -> str:
    """One line from a replica's error answer."""
    body = getattr(response, "body", b"") or b""
    return body.decode(errors="replace")[:300]
