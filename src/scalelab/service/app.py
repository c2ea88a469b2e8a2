"""The ScaleLab service application: configuration, database, HTTP server, shutdown."""

from __future__ import annotations

import ast
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
from jupyterhub.traitlets import EntryPointType
from tornado import httpserver, ioloop, web
from tornado.log import access_log
from traitlets import Any as AnyTrait
from traitlets import Bool, Dict, Float, Integer, List, Type, Unicode, default
from traitlets.config import Application, Config

from .._version import __version__
from ..dataroot import DataRoot
from ..projects import Projects
from ..runs.executors import GROUP as EXECUTORS
from ..store import Store
from ..store import projects as projects_repo
from ..workspaces import Workspaces
from .auth import ScaleLabHubAuth
from .demo import seed_demo_project
from .deployer import Deployer
from .directory import HubDirectory
from .gateway import GatewayHandler
from .handlers import NotFoundHandler, OAuthCallbackHandler
from .lifeline import bind_waiting, watch_parent
from .members import MemberSweep
from .model_registry import ModelRegistry
from .monitor_checks import Monitoring, MonitorRunner
from .monitor_manager import MonitorManager
from .notify import Notifier
from .replicas import Serving
from .retrain import RetrainLoop
from .routes import API_ROUTES
from .run_tokens import RunTokens
from .run_tracking import TrackedRuns
from .runs import RunManager
from .schedule_manager import ScheduleManager
from .scheduler import Scheduler
from .tracking import Tracking, TrackingBackends
from .tracking_proxy import TrackingProxyHandler

CONFIG_ENV = "SCALELAB_CONFIG_JSON"
# The hub's configuration of the service's other configurables, by section name.
SECTIONS_ENV = "SCALELAB_SECTIONS_JSON"
SECTIONS = (
    "Scheduler",
    "Notifier",
    "HubDirectory",
    "Tracking",
    "Serving",
    "Monitoring",
)  # and every c.*Executor
# Options that moved from c.ScaleLab to the configurable that uses them.
MOVED_OPTIONS = {
    "clock_class": ("Scheduler", "clock_class"),
    "scheduler_poll_interval": ("Scheduler", "poll_interval"),
    "misfire_tolerance": ("Scheduler", "misfire_tolerance"),
    "min_schedule_interval": ("Scheduler", "min_interval"),
    "webhook_attempts": ("Notifier", "webhook_attempts"),
    "webhook_backoff": ("Notifier", "webhook_backoff"),
    "webhook_hosts": ("Notifier", "webhook_hosts"),
    "webhook_allowed_networks": ("Notifier", "webhook_allowed_networks"),
    "webhook_timeout": ("Notifier", "webhook_timeout"),
}


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

    @property
    def classes(self) -> list[type]:  # type: ignore[override]
        """Configurables listed by --help-all: the app, the scheduler, the notifier, executors.

        (The Dask executor is an optional install: `--help-all` shows it where it is there.)"""
        from ..runs.executor import LocalExecutor

        return [
            ScaleLab,
            Scheduler,
            Notifier,
            HubDirectory,
            Tracking,
            Serving,
            Monitoring,
            LocalExecutor,
        ]

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
        return f"sqlite:///{self.data.service_db}"

    @property
    def data(self) -> DataRoot:
        return DataRoot(Path(self.data_root))

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

    executor_class = EntryPointType(
        "scalelab.runs.executor.LocalExecutor",
        klass="scalelab.runs.executor.Executor",
        entry_point_group=EXECUTORS,
        help="""What runs notebooks and pipelines: a name from the `scalelab.executors`
        entry points (as `scalelab run --executor` takes) or an import string.

        `local` (default): kernels on this machine, a bounded number at a time
        (`c.LocalExecutor.max_parallel`). `dask`: steps as tasks on a Dask cluster
        (`c.DaskExecutor.scheduler_address`, `c.DaskExecutor.max_parallel`).""",
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

    @property
    def service_url(self) -> str:
        """How processes on this machine (run kernels) reach the service."""
        origin = os.environ.get("JUPYTERHUB_SERVICE_URL") or f"http://{self.ip}:{self.port}"
        return origin.rstrip("/") + self.base_url

    # Options that moved to the scheduler and the notifier; still read, with a warning.
    clock_class = AnyTrait(None, help="Deprecated: use c.Scheduler.clock_class.").tag(config=True)
    scheduler_poll_interval = AnyTrait(None, help="Deprecated: use c.Scheduler.poll_interval.").tag(
        config=True
    )
    misfire_tolerance = AnyTrait(None, help="Deprecated: use c.Scheduler.misfire_tolerance.").tag(
        config=True
    )
    min_schedule_interval = AnyTrait(None, help="Deprecated: use c.Scheduler.min_interval.").tag(
        config=True
    )
    webhook_attempts = AnyTrait(None, help="Deprecated: use c.Notifier.webhook_attempts.").tag(
        config=True
    )
    webhook_backoff = AnyTrait(None, help="Deprecated: use c.Notifier.webhook_backoff.").tag(
        config=True
    )
    webhook_hosts = AnyTrait(None, help="Deprecated: use c.Notifier.webhook_hosts.").tag(
        config=True
    )
    webhook_allowed_networks = AnyTrait(
        None, help="Deprecated: use c.Notifier.webhook_allowed_networks."
    ).tag(config=True)
    webhook_timeout = AnyTrait(None, help="Deprecated: use c.Notifier.webhook_timeout.").tag(
        config=True
    )

    member_sweep_interval = Float(
        30.0,
        help="""Seconds between two checks of project members against the hub's accounts.

        Memberships of an account deleted in JupyterHub are removed (with an audit entry),
        so that a new account of the same name does not inherit them.""",
    ).tag(config=True)

    demo_project = Unicode(
        "",
        help="""Slug of a demo project made at the first start (the example pipeline with a
        nightly schedule); empty: none. `scalelab up` sets it for its demo accounts.""",
    ).tag(config=True)

    demo_endpoint = Unicode(
        "",
        help="""With a demo project: the name of an endpoint serving the model of a first run
        of its pipeline (run, registered and deployed in the background at the first start);
        empty: none.""",
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

    directory_class = Type(
        HubDirectory,
        klass=HubDirectory,
        help="Class that looks up JupyterHub users and groups (with the service's own token).",
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
        sections = os.environ.get(SECTIONS_ENV)
        if sections:  # by name: c.Scheduler, c.Notifier, c.LocalExecutor...
            self.update_config(Config(json.loads(sections)))
        # The command line wins over files and the hub's forwarded settings.
        self.update_config(self.cli_config)
        self._init_logging()
        self._forward_moved_options()
        self.data.path.mkdir(parents=True, exist_ok=True)
        self.store = Store(self.db_url)
        self.store.upgrade()
        self.hub_auth = self.hub_auth_class(parent=self, cache_max_age=self.hub_auth_cache_seconds)
        self.directory = self.directory_class(parent=self)
        self.workspaces = Workspaces(self.data.workspaces, self.data.trash)
        self.workspace_access = self.workspace_access_class(
            parent=self, store=self.store, directory=self.directory, data=self.data
        )
        self.workspace_access.protect(self.data.path)
        self.tracking = TrackingBackends(
            Tracking(parent=self), self.data, self.base_url, service_db_url=self.db_url
        )
        self.run_tokens = RunTokens()
        self.deployer = Deployer(
            Serving(parent=self),
            store=self.store,
            data=self.data,
            tracking=self.tracking,
            run_tokens=self.run_tokens,
            service_url=self.service_url,
            run_as=self.workspace_access.run_as,
        )
        self.tracked_runs = TrackedRuns(
            backends=self.tracking,
            tokens=self.run_tokens,
            store=self.store,
            directory=self.directory,
            service_url=self.service_url,
            public_url=self.public_url,
        )
        self.runs = RunManager(
            store=self.store,
            executor=self.executor_class(parent=self),
            workspaces=self.workspaces,
            outputs=self.data.runs,
            access=self.workspace_access,
            worker=self.instance_name,
            log=self.log,
            tracked=self.tracked_runs,
        )
        self.registry = ModelRegistry(self.tracking, self.runs)
        self.projects = Projects(
            store=self.store,
            workspaces=self.workspaces,
            outputs=self.data.runs,
            data_root=self.data.path,
            guard=self.workspace_access,
            stop_runs=self.runs.stop_project,
            log=self.log,
        )
        self.notifier = Notifier(parent=self, store=self.store, public_url=self.public_url)
        self.scheduler = Scheduler(
            parent=self,
            store=self.store,
            runs=self.runs,
            notifier=self.notifier,
            worker=self.instance_name,
        )
        self.clock = self.scheduler.clock
        monitoring = Monitoring(parent=self)
        self.retrain_loop = RetrainLoop(
            monitoring,
            store=self.store,
            deployer=self.deployer,
            runs=self.runs,
            registry=self.registry,
            notifier=self.notifier,
        )
        self.monitors = MonitorRunner(
            monitoring,
            store=self.store,
            deployer=self.deployer,
            runs=self.runs,
            notifier=self.notifier,
            loop=self.retrain_loop,
            run_tokens=self.run_tokens,
            service_url=self.service_url,
            report_url=f"{self.public_url.rstrip('/')}/{self.base_url.lstrip('/')}",
            clock=self.clock,
        )
        self.scheduler.periodic.append(self.monitors)
        self.monitor_manager = MonitorManager(
            monitoring,
            store=self.store,
            workspaces=self.workspaces,
            scheduler=self.scheduler,
            notifier=self.notifier,
            loop=self.retrain_loop,
            reports=self.monitors.reports,
        )
        self.schedules = ScheduleManager(
            store=self.store,
            workspaces=self.workspaces,
            scheduler=self.scheduler,
            notifier=self.notifier,
        )
        self.member_sweep = MemberSweep(
            store=self.store,
            directory=self.directory,
            access=self.workspace_access,
            interval=self.member_sweep_interval,
            log=self.log,
        )
        self.api_routes = API_ROUTES

    def _forward_moved_options(self) -> None:
        """c.ScaleLab.<old name> still works for one more release: it sets the new option
        (unless that is set too) and says what to write instead."""
        for old, (section, new) in MOVED_OPTIONS.items():
            value = getattr(self, old)
            if value is None:
                continue
            self.log.warning("c.ScaleLab.%s is deprecated: use c.%s.%s", old, section, new)
            trait = {"Scheduler": Scheduler, "Notifier": Notifier}[section].class_traits()[new]
            if isinstance(value, str) and not isinstance(trait, Unicode | Type):
                # From the command line, where the old (untyped) option kept it as text.
                value = (
                    ast.literal_eval(value) if isinstance(trait, List) else trait.from_string(value)
                )
            if new not in self.config[section]:
                self.update_config(Config({section: {new: value}}))

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
        path = self.data.service_cookie_secret
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
        routes.append(
            (
                prefix + r"mlflow/(?P<slug>[^/]+)(?:/(?P<rest>.*))?",
                TrackingProxyHandler,
                {"app": self},
            )
        )
        routes.append(
            (
                prefix + r"serve/(?P<slug>[^/]+)/(?P<name>[^/]+)/invocations",
                GatewayHandler,
                {"app": self},
            )
        )
        routes.append((r".*", NotFoundHandler, {"app": self}))
        return web.Application(
            routes,
            cookie_secret=self.cookie_secret(),
            xsrf_cookies=False,  # checked per request by HubOAuth for cookie sessions only
            log_function=_log_request,
        )

    def listen(self) -> httpserver.HTTPServer:
        """The HTTP server, bound to `ip`:`port` (waiting a little for an exiting holder)."""
        # Bodies up to the connection cap are read, so the handler can answer them with a clear
        # 413; beyond it tornado drops the connection without reading further.
        connection_cap = max(4 * self.max_body_size, 16 * 1024 * 1024)
        server = httpserver.HTTPServer(self.make_app(), max_body_size=connection_cap, xheaders=True)
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
        return server

    def begin(self) -> None:
        """Start the background work, on the running loop: recovery, scheduler, sweeps, demo."""
        interrupted = self.runs.recover()
        if interrupted:
            self.log.warning("Closed %d run(s) left unfinished by the last stop", interrupted)
        loop = ioloop.IOLoop.current()
        loop.add_callback(self.scheduler.start)
        loop.add_callback(self.member_sweep.start)
        loop.add_callback(self._seed_and_warm)
        loop.add_callback(self.deployer.restore)

    async def _seed_and_warm(self) -> None:
        await seed_demo_project(self)
        for slug in self.tracking.config.start_with_service:
            with self.store.session() as session:
                project = projects_repo.get_project(session, slug)
                project_id = project.id if project is not None else None
            if project_id is None:
                continue
            try:
                await self.tracking.get(project_id, slug)
            except Exception as exc:
                self.log.warning("The MLflow server of project %s did not start: %s", slug, exc)

    async def shutdown(self) -> None:
        """Stop the background work; runs still going are cancelled (their records say so)."""
        await self.scheduler.stop()
        await self.member_sweep.stop()
        await self.runs.close()
        await self.deployer.close()
        await self.tracking.close()
        self.store.dispose()

    def start(self) -> None:
        server = self.listen()
        loop = ioloop.IOLoop.current()
        self.begin()

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
            loop.asyncio_loop.run_until_complete(self.shutdown())


def _log_request(handler: web.RequestHandler) -> None:
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    if level == logging.INFO and getattr(handler, "quiet_access_log", False):
        level = logging.DEBUG  # a notebook logging a metric per step would flood the log
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
