"""The ScaleLab service application: configuration, database, HTTP server, shutdown."""

from __future__ import annotations

import errno
import json
import logging
import os
import secrets
import signal
import sys
from pathlib import Path
from typing import Any

from jupyterhub.services.auth import HubOAuth
from tornado import httpserver, ioloop, web
from tornado.log import access_log
from traitlets import Bool, Dict, Float, Integer, List, TraitError, Type, Unicode, default, validate
from traitlets.config import Application, Config

from .._version import __version__
from ..store import Store
from ..workspaces import Workspaces
from .auth import ScaleLabHubAuth
from .demo import seed_demo_project
from .directory import HubDirectory
from .handlers import NotFoundHandler, OAuthCallbackHandler
from .lifeline import bind_waiting, watch_parent
from .members import MemberSweep
from .routes import API_ROUTES
from .runs import RunManager
from .scheduler import Scheduler
from .webhook_guard import IPNetwork, parse_networks

CONFIG_ENV = "SCALELAB_CONFIG_JSON"


def default_data_root() -> str:
    return os.environ.get("SCALELAB_DATA_ROOT") or str(Path.cwd() / ".data")


class ScaleLab(Application):
    """The ScaleLab hub service.

    Configure it as `c.ScaleLab.<option>` in a config file passed with `--config`, in the
    JupyterHub config (hub_config/ forwards that section here), or on the command line.
    """

    name = "scalelab-service"
    version = __version__
    description = __doc__ or ""

    aliases = {
        "config": "ScaleLab.config_file",
        "data-root": "ScaleLab.data_root",
        "db-url": "ScaleLab.db_url",
        "ip": "ScaleLab.ip",
        "port": "ScaleLab.port",
        "log-level": "Application.log_level",
    }

    config_file = Unicode(
        "", help="A Python config file (scalelab_config.py) with c.ScaleLab... settings."
    ).tag(config=True)

    data_root = Unicode(
        help="""Folder for everything ScaleLab keeps: workspaces, run outputs, databases.

        Defaults to $SCALELAB_DATA_ROOT, else .data/ in the working directory.""",
    ).tag(config=True)

    @default("data_root")
    def _default_data_root(self) -> str:
        return default_data_root()

    db_url = Unicode(
        help="""SQLAlchemy URL of the service database.

        Defaults to a SQLite file in the data root. For several service processes or more than
        one machine use PostgreSQL, e.g. postgresql+psycopg://scalelab@dbhost/scalelab.""",
    ).tag(config=True)

    @default("db_url")
    def _default_db_url(self) -> str:
        return f"sqlite:///{Path(self.data_root) / 'scalelab.sqlite'}"

    ip = Unicode("127.0.0.1", help="Address the service listens on.").tag(config=True)

    port = Integer(
        help="Port the service listens on; defaults to the one in $JUPYTERHUB_SERVICE_URL."
    ).tag(config=True)

    @default("port")
    def _default_port(self) -> int:
        url = os.environ.get("JUPYTERHUB_SERVICE_URL", "")
        from urllib.parse import urlparse

        return urlparse(url).port or 8181

    base_url = Unicode(
        help="URL prefix the service is reached at; JupyterHub sets $JUPYTERHUB_SERVICE_PREFIX."
    ).tag(config=True)

    @default("base_url")
    def _default_base_url(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/scalelab/")

    service_name = Unicode(
        help="Name of this service in JupyterHub; $JUPYTERHUB_SERVICE_NAME when hub-managed."
    ).tag(config=True)

    @default("service_name")
    def _default_service_name(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_NAME", "scalelab")

    port_wait = Float(
        15.0,
        help="""Seconds to wait at start while another process holds the port, then exit.

        The service of a hub that was killed holds it until it notices and stops.""",
    ).tag(config=True)

    stop_with_hub = Bool(
        help="""Stop when the process that started the service (the hub) exits, however it ends.

        Defaults to on when the hub manages the service (it sets $JUPYTERHUB_SERVICE_NAME):
        a hub that was killed cannot stop it, and the next hub starts a new one.""",
    ).tag(config=True)

    @default("stop_with_hub")
    def _default_stop_with_hub(self) -> bool:
        return bool(os.environ.get("JUPYTERHUB_SERVICE_NAME"))

    hub_poll_interval = Float(
        1.0, help="Seconds between checks that the hub which started the service still runs."
    ).tag(config=True)

    max_body_size = Integer(
        1024 * 1024,
        help="Largest request body accepted, in bytes; larger ones are refused with 413.",
    ).tag(config=True)

    workspace_access_class = Type(
        "scalelab.service.access.WorkspaceAccess",
        klass="scalelab.service.access.WorkspaceAccess",
        help="""How the operating system enforces project roles on workspaces.

        The default does nothing beyond ScaleLab's own checks (the `local` mode);
        `scalelab.service.access.UnixGroupAccess` keeps a Unix group per project and access
        level (the `system-users` mode, where the service runs as root).""",
    ).tag(config=True)

    deployment_mode = Unicode(
        "local",
        help="""The hub's deployment mode (`local` or `system-users`), reported by api/health
        so the lab can tell people whether the OS holds kernels to their project roles.
        Set by hub_config/<mode>.py.""",
    ).tag(config=True)

    executor_class = Type(
        "scalelab.runs.executor.LocalExecutor",
        klass="scalelab.runs.executor.LocalExecutor",
        help="""What runs notebooks and pipelines.

        `scalelab.runs.executor.LocalExecutor` (default): kernels on this machine, a bounded
        number at a time (`c.LocalExecutor.max_parallel`). `scalelab.runs.dask.DaskExecutor`:
        steps as tasks on a Dask cluster (`c.DaskExecutor.scheduler_address`).""",
    ).tag(config=True)

    instance_name = Unicode(
        help="""Name of this service process, recorded with the runs it executes.

        Each process sharing one database needs its own, stable across restarts: at start a
        process closes the runs it left unfinished, and only those. Defaults to host:port.""",
    ).tag(config=True)

    @default("instance_name")
    def _default_instance_name(self) -> str:
        import socket

        return f"{socket.gethostname()}:{self.port}"

    public_url = Unicode(
        help="""URL people reach JupyterHub at, for links in notifications and webhooks.

        Defaults to $SCALELAB_PUBLIC_URL, else http://127.0.0.1:8000.""",
    ).tag(config=True)

    @default("public_url")
    def _default_public_url(self) -> str:
        return os.environ.get("SCALELAB_PUBLIC_URL", "http://127.0.0.1:8000")

    clock_class = Type(
        "scalelab.schedules.clock.Clock",
        klass="scalelab.schedules.clock.Clock",
        help="The scheduler's clock (wall-clock time, UTC); tests swap in one they can move.",
    ).tag(config=True)

    scheduler_poll_interval = Float(
        1.0,
        help="""Longest sleep of the scheduler between ticks, in seconds.

        It sleeps until the next fire time it knows of; this bounds how late it notices a
        schedule another service process added.""",
    ).tag(config=True)

    misfire_tolerance = Float(
        60.0,
        help="""Seconds a fire time may be late and still run as usual.

        Later than this (the service was down, or the machine suspended) it is a misfire,
        handled by the schedule's misfire policy.""",
    ).tag(config=True)

    min_schedule_interval = Integer(
        60,
        help="Shortest time between two fire times of a schedule, in seconds; "
        "schedules that fire more often are refused.",
    ).tag(config=True)

    webhook_attempts = Integer(
        4, help="Attempts to deliver a webhook before giving up (and logging it)."
    ).tag(config=True)

    webhook_backoff = Float(
        2.0, help="Seconds before the second webhook attempt; doubled for each one after."
    ).tag(config=True)

    webhook_hosts = List(
        Unicode(),
        help="""Hosts webhooks may be sent to, e.g. ['hooks.slack.com']; empty: any host.

        Editors choose webhook URLs: list the chat services you use. Checked when a schedule
        is saved and at each delivery, redirects included. Listing a host does not let it
        reach a non-public address: see webhook_allowed_networks.""",
    ).tag(config=True)

    webhook_allowed_networks = List(
        Unicode(),
        help="""Non-public networks webhooks may reach, as CIDRs or addresses, e.g.
        ['10.20.0.0/16'] for a chat server inside your network.

        By default a webhook goes to public addresses only: loopback, private, link-local
        (cloud metadata), multicast, reserved and unspecified addresses, and IPv6 forms of
        them, are refused, checked on the addresses the host resolves to at each delivery.""",
    ).tag(config=True)

    @validate("webhook_allowed_networks")
    def _valid_networks(self, proposal: Any) -> list[str]:
        try:
            parse_networks(proposal["value"])
        except ValueError as exc:
            raise TraitError(f"c.ScaleLab.webhook_allowed_networks: {exc}") from None
        return list(proposal["value"])

    @property
    def webhook_networks(self) -> list[IPNetwork]:
        return parse_networks(self.webhook_allowed_networks)

    webhook_timeout = Float(10.0, help="Seconds a webhook receiver has to answer.").tag(config=True)

    member_sweep_interval = Float(
        10.0,
        help="""Seconds between two checks of project members against the hub's accounts.

        Memberships of an account deleted in JupyterHub are removed (with an audit entry),
        so that a new account of the same name does not inherit them.""",
    ).tag(config=True)

    demo_project = Unicode(
        "",
        help="""Slug of a demo project made at the first start (the example pipeline with a
        nightly schedule); empty: none. `scalelab up` sets it for its demo accounts.""",
    ).tag(config=True)

    demo_members = Dict(
        {},
        help="Members of the demo project and their roles, e.g. {'alice': 'owner'}.",
    ).tag(config=True)

    hub_auth_class = Type(
        ScaleLabHubAuth,
        klass=HubOAuth,
        help="""Class that resolves tokens and OAuth cookies to JupyterHub users.

        The default caches the hub's answers for reads (`hub_auth_cache_seconds`) and asks the
        hub at every write, so a revoked token stops writing at once.""",
    ).tag(config=True)

    hub_auth_cache_seconds = Integer(
        60,
        help="""Seconds the hub's answer for a token serves further reads with that token.

        A revoked token may go on reading for this long; writes are always checked anew.""",
    ).tag(config=True)

    def initialize(self, argv: list[str] | None = None) -> None:
        # Read first: if the hub dies while we start, the parent we see later is already another.
        self.parent_pid = os.getppid()
        super().initialize(argv)
        if self.config_file:
            self.load_config_file(self.config_file)
        forwarded = os.environ.get(CONFIG_ENV)
        if forwarded:
            self.update_config(Config({"ScaleLab": json.loads(forwarded)}))
        # The command line wins over files and the hub's forwarded settings.
        self.update_config(self.cli_config)
        self._init_logging()
        Path(self.data_root).mkdir(parents=True, exist_ok=True)
        self.store = Store(self.db_url)
        self.store.upgrade()
        self.hub_auth = self.hub_auth_class(parent=self, cache_max_age=self.hub_auth_cache_seconds)
        self.directory = HubDirectory(parent=self)
        self.workspaces = Workspaces(
            Path(self.data_root) / "workspaces", Path(self.data_root) / "trash"
        )
        self.workspace_access = self.workspace_access_class(parent=self)
        self.workspace_access.protect(Path(self.data_root))
        self.clock = self.clock_class(parent=self)
        self.runs = RunManager(self)
        self.scheduler = Scheduler(self)
        self.member_sweep = MemberSweep(self)
        self.api_routes = API_ROUTES

    def _init_logging(self) -> None:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("[%(levelname)1.1s %(asctime)s scalelab] %(message)s", "%H:%M:%S")
        )
        for logger in (self.log, access_log, logging.getLogger("scalelab")):
            logger.handlers[:] = [handler]
            logger.propagate = False
        self.log.setLevel(self.log_level)
        access_log.setLevel(logging.INFO)

    def cookie_secret(self) -> bytes:
        """Kept in the data root so OAuth sessions survive a restart of the service."""
        path = Path(self.data_root) / "service_cookie_secret"
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_hex(32))
        return path.read_text().strip().encode()

    def make_app(self) -> web.Application:
        prefix = self.base_url
        routes: list[Any] = [
            (prefix + pattern + "/?", handler, {"app": self}) for pattern, handler in API_ROUTES
        ]
        routes.append((prefix + "oauth_callback", OAuthCallbackHandler, {"app": self}))
        routes.append((r".*", NotFoundHandler, {"app": self}))
        return web.Application(
            routes,
            cookie_secret=self.cookie_secret(),
            xsrf_cookies=False,  # checked per request by HubOAuth for cookie sessions only
            log_function=_log_request,
        )

    def start(self) -> None:
        app = self.make_app()
        # Bodies up to the connection cap are read, so the handler can answer them with a clear
        # 413; beyond it tornado drops the connection without reading further.
        connection_cap = max(4 * self.max_body_size, 16 * 1024 * 1024)
        server = httpserver.HTTPServer(app, max_body_size=connection_cap, xheaders=True)
        try:
            sockets = bind_waiting(self.port, self.ip, self.port_wait)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            self.log.critical(
                "Port %d on %s is still taken after %.0fs: stop the process holding it "
                "(a ScaleLab service left by a hub that was killed?)",
                self.port,
                self.ip,
                self.port_wait,
            )
            raise SystemExit(1) from None
        server.add_sockets(sockets)
        self.log.info(
            "ScaleLab %s at http://%s:%d%s (database: %s)",
            __version__,
            self.ip,
            self.port,
            self.base_url,
            self.store.backend,
        )
        loop = ioloop.IOLoop.current()
        interrupted = self.runs.recover()
        if interrupted:
            self.log.warning("Closed %d run(s) left unfinished by the last stop", interrupted)
        loop.add_callback(self.scheduler.start)
        loop.add_callback(self.member_sweep.start)
        loop.add_callback(seed_demo_project, self)

        def stop(signum: int, _frame: Any) -> None:
            self.log.info("Stopping on signal %d", signum)
            loop.add_callback_from_signal(loop.stop)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if self.stop_with_hub:

            def hub_gone() -> None:
                self.log.warning("Stopping: the hub that started this service is gone")
                loop.stop()

            watch_parent(self.parent_pid, self.hub_poll_interval, hub_gone)
        try:
            loop.start()
        finally:
            server.stop()
            # Runs still going are cancelled: their kernels die and their records say so.
            loop.asyncio_loop.run_until_complete(self.scheduler.stop())
            loop.asyncio_loop.run_until_complete(self.member_sweep.stop())
            loop.asyncio_loop.run_until_complete(self.runs.close())
            self.store.dispose()


def _log_request(handler: web.RequestHandler) -> None:
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    user = getattr(getattr(handler, "identity", None), "name", "-")
    access_log.log(
        level,
        "%d %s %s %s %.1fms [%s]",
        status,
        handler.request.method,
        handler.request.uri,
        user,
        1000 * handler.request.request_time(),
        getattr(handler, "request_id", "-"),
    )


def main(argv: list[str] | None = None) -> None:
    ScaleLab.launch_instance(argv)
