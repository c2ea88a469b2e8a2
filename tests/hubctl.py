"""Start and drive a real ScaleLab deployment (hub, proxy, service) for tests and benchmarks."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.waiting import wait_until

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
TEST_SERVICE_TOKEN_ENV = "SCALELAB_TEST_ADMIN_TOKEN"

# Loaded last by hub_config/jupyterhub_config.py: an admin service the tests drive the hub with.
EXTRA_CONFIG = """
import os
c.JupyterHub.services.append(
    {"name": "test-admin", "api_token": os.environ["SCALELAB_TEST_ADMIN_TOKEN"]}
)
c.JupyterHub.load_roles.append(
    {
        "name": "test-admin",
        "services": ["test-admin"],
        "scopes": ["admin:users", "admin:servers", "tokens", "admin:groups",
                   "access:services", "access:servers"],
    }
)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        # SO_REUSEADDR: connections left in TIME_WAIT do not count, only a listener does.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class Hub:
    """A running deployment; `url` is the public proxy URL ending in '/'."""

    data_root: Path
    ports: dict[str, int]
    admin_token: str
    accounts: dict[str, str]
    extra_config: str = ""
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['port']}/"

    @property
    def service_url(self) -> str:
        return self.url + "services/scalelab/"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path else ""

    # -- the hub's REST API, as the test admin service -------------------------------------
    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"token {self.admin_token}"}
        return requests.request(
            method, self.url + "hub/api/" + path, headers=headers, timeout=30, **kwargs
        )

    def token_for(self, user: str, scopes: list[str] | None = None) -> str:
        self.ensure_user(user)
        body: dict[str, Any] = {"note": "scalelab tests"}
        if scopes is not None:
            body["scopes"] = scopes
        r = self.api("POST", f"users/{user}/tokens", json=body)
        r.raise_for_status()
        return str(r.json()["token"])

    def ensure_user(self, user: str) -> None:
        if self.api("GET", f"users/{user}").status_code == 404:
            self.api("POST", f"users/{user}").raise_for_status()

    def login(self, user: str, password: str | None = None) -> requests.Session:
        """Log in through the hub's login form, as a browser does; returns the cookie session."""
        session = requests.Session()
        page = session.get(self.url + "hub/login", timeout=30)
        page.raise_for_status()
        match = re.search(r'name="_xsrf"\s+value="([^"]+)"', page.text)
        data = {"username": user, "password": password or self.accounts[user]}
        if match:
            data["_xsrf"] = match.group(1)
        r = session.post(self.url + "hub/login?next=", data=data, timeout=60, allow_redirects=False)
        if r.status_code != 302:
            raise PermissionError(f"login of {user} refused ({r.status_code})")
        return session

    def start_server(self, user: str, timeout: float = 90) -> None:
        self.ensure_user(user)
        r = self.api("POST", f"users/{user}/server")
        if r.status_code not in (201, 202, 400):  # 400: already running
            r.raise_for_status()

        def ready() -> bool:
            model = self.api("GET", f"users/{user}").json()
            return bool(model.get("servers", {}).get("", {}).get("ready"))

        wait_until(ready, timeout, 0.3, lambda: f"server of {user} not ready\n{self.log()[-3000:]}")

    def stop_server(self, user: str, timeout: float = 60) -> None:
        """Stop the user's server and wait until the hub no longer lists it."""
        self.api("DELETE", f"users/{user}/server")

        def stopped() -> bool:
            r = self.api("GET", f"users/{user}")
            return r.status_code == 404 or "" not in r.json().get("servers", {})

        wait_until(stopped, timeout, 0.2, f"server of {user} still running")

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, timeout: float = 60) -> None:
        env = {
            **os.environ,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "SCALELAB_DATA_ROOT": str(self.data_root),
            "SCALELAB_PORT": str(self.ports["port"]),
            "SCALELAB_HUB_PORT": str(self.ports["hub_port"]),
            "SCALELAB_PROXY_API_PORT": str(self.ports["proxy_api_port"]),
            "SCALELAB_SERVICE_PORT": str(self.ports["service_port"]),
            "SCALELAB_HUB_EXTRA_CONFIG": str(self.data_root / "test_extra_config.py"),
            TEST_SERVICE_TOKEN_ENV: self.admin_token,
            "SCALELAB_DEMO": "0",  # tests make the projects they need
            # Not the mode `scalelab up` would pick as root: tests that want system-users say so.
            "SCALELAB_MODE": "local",
            **self.extra_env,
        }
        (self.data_root / "test_extra_config.py").write_text(EXTRA_CONFIG + self.extra_config)
        self.log_path = self.data_root / "hub.log"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(VENV_BIN / "scalelab"), "up"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            start_new_session=True,
        )
        process = self.process

        def up() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"hub exited with {process.returncode}\n{self.log()}")
            with suppress(requests.ConnectionError):
                ok_hub = requests.get(self.url + "hub/api/", timeout=2).status_code == 200
                ok_svc = requests.get(self.service_url + "api/health", timeout=2).status_code == 401
                return ok_hub and ok_svc
            return False

        try:
            wait_until(up, timeout, 0.2, lambda: f"hub not up\n{self.log()}")
        except AssertionError:
            self.stop()
            raise

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM the hub, as Ctrl-C would; it stops the proxy, the service and the servers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        # Anything left in the hub's process group (the proxy, the service, servers) is a leak.
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None

    def leftover_ports(self) -> list[int]:
        return [p for p in self.ports.values() if not port_is_free(p)]

    def service_pids(self, module: str = "scalelab.service") -> list[int]:
        """The processes of this deployment started as `python -m <module>`."""
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                args = (proc / "cmdline").read_bytes().split(b"\0")
                environ = (proc / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if module.encode() in args and (
                f"SCALELAB_DATA_ROOT={self.data_root}".encode() in environ
            ):
                found.append(int(proc.name))
        return found


def make_hub(data_root: Path, extra_config: str = "", **extra_env: str) -> Hub:
    from scalelab.hub.demo import ensure_accounts

    accounts, _ = ensure_accounts(data_root / "demo-credentials.txt")
    ports = {k: free_port() for k in ("port", "hub_port", "proxy_api_port", "service_port")}
    return Hub(
        data_root=data_root,
        ports=ports,
        admin_token=os.urandom(16).hex(),
        accounts={a.name: a.password for a in accounts},
        extra_env=dict(extra_env),
        extra_config=extra_config,
    )


@contextmanager
def running_hub(data_root: Path, extra_config: str = "", **extra_env: str) -> Iterator[Hub]:
    hub = make_hub(data_root, extra_config, **extra_env)
    hub.start()
    try:
        yield hub
    finally:
        hub.stop()


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")
