"""What every ScaleLab deployment shares: proxy, hub database, login, the service, roles."""

import os
import sys
from pathlib import Path

from scalelab.hub.demo import read_accounts
from scalelab.hub.settings import HubSettings
from scalelab.tracking.quiet import NO_TELEMETRY

here = Path(__file__).resolve().parent
s = HubSettings.from_environ()
data = s.data
data.hub.mkdir(parents=True, exist_ok=True)

# Public entry point (the proxy) and the hub behind it.
c.JupyterHub.ip = s.ip
c.JupyterHub.port = s.port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = s.hub_port
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s.proxy_api_port}"
c.ConfigurableHTTPProxy.command = [str(here / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(data.proxy_pid)
c.JupyterHub.db_url = f"sqlite:///{data.hub_db}"
c.JupyterHub.cookie_secret_file = str(data.hub_cookie_secret)
c.JupyterHub.pid_file = str(data.hub_pid)
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

# Login: passwords checked against bcrypt hashes in the hub database (NativeAuthenticator).
# Other authenticators (PAM, OAuth, LDAP): see hub_config/README.md.
c.JupyterHub.authenticator_class = "scalelab"
c.Authenticator.allow_all = True  # NativeAuthenticator itself admits only approved accounts
if data.credentials.exists():
    accounts = read_accounts(data.credentials)
    c.ScaleLabAuthenticator.seed_credentials_file = str(data.credentials)
    c.Authenticator.admin_users = {a.name for a in accounts if a.role == "admin"}
    # Listed users exist in the hub from the start, so they can be made project members
    # before their first login. allow_all still admits everyone NativeAuthenticator approves.
    c.Authenticator.allowed_users = {a.name for a in accounts}
    if s.demo:
        users = [a.name for a in accounts if a.role == "user"]
        c.ScaleLab.demo_project = "demo"
        c.ScaleLab.demo_endpoint = "tumours"
        c.Tracking.start_with_service = ["demo"]
        c.ScaleLab.demo_members = {
            name: "owner" if i == 0 else "editor" for i, name in enumerate(users)
        }

# The ScaleLab service, started and stopped by the hub; one login serves it too.
c.JupyterHub.services = [
    {
        "name": "scalelab",
        "display": True,
        "url": f"http://127.0.0.1:{s.service_port}",
        "command": [sys.executable, "-m", "scalelab.service"],
        "environment": {
            "SCALELAB_DATA_ROOT": s.data_root,
            "SCALELAB_PUBLIC_URL": s.public_url,
            **NO_TELEMETRY,  # for the runs' kernels and the MLflow servers it starts
        },
        "oauth_no_confirm": True,
    }
]
c.JupyterHub.load_roles = [
    # Every user may call the service; what they may do there is decided by project roles.
    {"name": "user", "scopes": ["self", "access:services!service=scalelab"]},
    # A user's server forwards the lab's API calls to the service with its own token.
    {
        "name": "server",
        "scopes": [
            "users:activity!user",
            "access:servers!server",
            "access:services!service=scalelab",
        ],
    },
    {
        "name": "scalelab-service",
        "services": ["scalelab"],
        "scopes": [
            "list:users",
            "read:users",  # with the account's creation time: names can be reused
            "read:users:name",
            "read:users:groups",
            "list:groups",
            "read:groups",
        ],
    },
]

# Users' servers: JupyterLab with the ScaleLab extensions, told where the service is.
# Commands come from this interpreter's venv, whatever the PATH the hub was started with
# (`.venv/bin/scalelab up` from a plain shell); the servers' PATH leads there too, for their
# terminals and `!pip`.
venv_bin = Path(sys.executable).parent
c.Spawner.cmd = [str(venv_bin / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    "PATH": os.pathsep.join([str(venv_bin), os.environ.get("PATH", os.defpath)]),
    "SCALELAB_SERVICE_URL": s.service_url,
    "SCALELAB_PUBLIC_URL": s.public_url,
    "SCALELAB_WORKSPACES": str(data.workspaces),
    "SCALELAB_RUNS": str(data.runs),
    **NO_TELEMETRY,  # MLflow in people's kernels
}
# Project workspaces appear in each member's file browser as projects/<slug>/.
c.Spawner.args = [
    "--ServerApp.contents_manager_class=scalelab.server.contents.ProjectContentsManager",
    # Kernels of notebooks under projects/<slug>/ log to that project's MLflow experiment.
    "--ServerApp.kernel_manager_class=scalelab.server.kernels.ProjectKernelManager",
    # No news feed from the public internet: labs here often cannot reach it.
    "--LabApp.news_url=None",
]
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
if os.geteuid() == 0:  # only the local mode runs servers as root
    c.Spawner.args.append("--allow-root")
