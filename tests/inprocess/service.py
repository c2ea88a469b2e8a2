"""The ScaleLab service in this test process, with JupyterHub replaced by a table of accounts.

Fast: no hub, no proxy, no processes; a real service app, database, executor and kernels on a
loop of its own. The hub-backed tests (tests/service, tests/hub) check the same API through a
real JupyterHub; this tier is for the wide tables (every route x every role) that need no hub.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tornado import web
from traitlets.config import Config

from scalelab.service.app import ScaleLab
from scalelab.service.auth import ScaleLabHubAuth
from scalelab.service.directory import HubDirectory
from tests.hubctl import free_port

SERVICE = "scalelab"
ACCESS = f"access:services!service={SERVICE}"


class Accounts:
    """What a hub would know: users (with their groups) and the tokens that speak for them."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}

    def ensure(self, name: str, admin: bool = False) -> dict[str, Any]:
        if name not in self.users:
            self.users[name] = {
                "kind": "user",
                "name": name,
                "admin": admin,
                "groups": [],
                "created": datetime.now(UTC).isoformat(),
            }
        return self.users[name]

    def token_for(self, name: str) -> str:
        self.ensure(name, admin=name == "admin")
        token = secrets.token_hex(16)
        self.tokens[token] = name
        return token

    def model_for(self, token: str) -> dict[str, Any] | None:
        name = self.tokens.get(token)
        if name is None or name not in self.users:
            return None
        return {**self.users[name], "scopes": [ACCESS]}


class TableAuth(ScaleLabHubAuth):
    """Resolves `Authorization: token ...` from the Accounts table instead of asking a hub."""

    table: Accounts

    @property
    def access_scopes(self) -> set[str]:  # type: ignore[override]
        return {ACCESS}

    async def _get_user(self, handler: web.RequestHandler) -> Any:
        token = self.get_token(handler, in_cookie=False)
        model = self.table.model_for(token) if token else None
        if model is not None:
            handler._token_authenticated = True  # type: ignore[attr-defined]
        return model


class TableDirectory(HubDirectory):
    """The hub's users and groups, from the Accounts table."""

    table: Accounts

    async def _fetch(self, path: str) -> dict[str, Any] | None:
        kind, _, name = path.partition("/")
        if kind == "users":
            return self.table.users.get(name)
        return None

    async def accounts(self) -> dict[str, dict[str, Any]]:
        return dict(self.table.users)


class InProcessService:
    """Looks like tests.hubctl.Hub to the service tests: `service_url`, `data_root`, tokens."""

    def __init__(
        self, data_root: Path, config: dict[str, Any] | None = None, table: Accounts | None = None
    ) -> None:
        self.data_root = data_root
        self.extra_config = config or {}  # sections, as c.<Section>.<option> = value
        self.port = free_port()
        self.table = table or Accounts()  # the same accounts: a restart of one deployment
        self.app: ScaleLab | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def service_url(self) -> str:
        return self.url + f"services/{SERVICE}/"

    def token_for(self, user: str, scopes: list[str] | None = None) -> str:
        return self.table.token_for(user)

    def ensure_user(self, user: str) -> None:
        self.table.ensure(user)

    def log(self) -> str:
        return ""

    def _call(self, fn: Any) -> Any:
        done: Future[Any] = Future()

        async def run() -> None:
            try:
                result = fn()
                if asyncio.iscoroutine(result):
                    result = await result
                done.set_result(result)
            except BaseException as exc:
                done.set_exception(exc)

        asyncio.run_coroutine_threadsafe(run(), self._loop)
        return done.result(timeout=120)

    def start(self) -> None:
        table = self.table
        auth = type("BoundTableAuth", (TableAuth,), {"table": table})
        directory = type("BoundTableDirectory", (TableDirectory,), {"table": table})
        config = Config(
            {
                "ScaleLab": {
                    "data_root": str(self.data_root),
                    "port": self.port,
                    "ip": "127.0.0.1",
                    "base_url": f"/services/{SERVICE}/",
                    "service_name": SERVICE,
                    "hub_auth_class": auth,
                    "directory_class": directory,
                    "stop_with_hub": False,
                    "member_sweep_interval": 3600.0,
                }
            }
        )
        # Every project that runs anything gets an MLflow server: keep few of them at once.
        config["Tracking"].update({"max_servers": 3})
        for section, options in self.extra_config.items():
            config[section].update(options)
        self._thread.start()

        def build() -> None:
            app = ScaleLab(config=config)
            app.initialize([])
            self._server = app.listen()
            app.begin()
            self.app = app

        self._call(build)

    def stop(self) -> None:
        """Stop the service, as a restart or a crash-free stop would (once; again is nothing)."""
        if not self._thread.is_alive():
            return
        if self.app is not None:
            app = self.app
            self._call(lambda: self._server.stop())
            self._call(app.shutdown)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)


@contextmanager
def in_process_service(
    data_root: Path, config: dict[str, Any] | None = None, table: Accounts | None = None
) -> Iterator[InProcessService]:
    service = InProcessService(data_root, config, table)
    service.start()
    try:
        yield service
    finally:
        service.stop()
