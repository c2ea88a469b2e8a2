"""The layout of the data root: the one place that names what ScaleLab keeps where.

`scalelab up`, hub_config/, the service and the system-users mode's sealing all find their
folders and files here, so they cannot drift apart. Nothing is created by asking for a path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataRoot:
    path: Path

    # Folders of the data root every user passes through in the system-users mode (to their
    # home, the workspaces and run outputs they are given); everything else there is private.
    SHARED = ("workspaces", "runs", "users")
    # Private folders made ahead of their first use, so they never start out readable.
    PRIVATE = ("hub", "trash", "tracking", "serving")

    @property
    def workspaces(self) -> Path:
        """One folder per project: the files its members work on."""
        return self.path / "workspaces"

    @property
    def runs(self) -> Path:
        """Run outputs (output notebooks, run logs), one folder per project."""
        return self.path / "runs"

    @property
    def trash(self) -> Path:
        """Archives of deleted projects' workspaces."""
        return self.path / "trash"

    @property
    def tracking(self) -> Path:
        """Each project's MLflow database and artifacts, one folder per project id."""
        return self.path / "tracking"

    @property
    def serving(self) -> Path:
        """Copies of deployed models and their replicas' logs, one folder per project id."""
        return self.path / "serving"

    @property
    def users(self) -> Path:
        """People's home folders, where their servers start."""
        return self.path / "users"

    @property
    def hub(self) -> Path:
        """JupyterHub's own database, cookie secret and pid files."""
        return self.path / "hub"

    @property
    def service_db(self) -> Path:
        """The service's SQLite database, unless c.ScaleLab.db_url points elsewhere."""
        return self.path / "scalelab.sqlite"

    @property
    def service_cookie_secret(self) -> Path:
        return self.path / "service_cookie_secret"

    @property
    def credentials(self) -> Path:
        """The demo accounts' passwords, written once by `scalelab up`."""
        return self.path / "demo-credentials.txt"

    @property
    def hub_db(self) -> Path:
        return self.hub / "jupyterhub.sqlite"

    @property
    def hub_cookie_secret(self) -> Path:
        return self.hub / "jupyterhub_cookie_secret"

    @property
    def hub_pid(self) -> Path:
        return self.hub / "jupyterhub.pid"

    @property
    def proxy_pid(self) -> Path:
        return self.hub / "proxy.pid"

    def demo_marker(self, slug: str) -> Path:
        """Left once the demo project `slug` was made, so that deleting it is final."""
        return self.path / f".demo-project-{slug}"
