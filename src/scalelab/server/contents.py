"""The user's files, plus `projects/<slug>/` for every project they are a member of.

Each project appears as a link in the user's home to the project's workspace, so the file
browser, notebooks and kernels (whose working folder is the notebook's) all see the same
place. Writes into a project need the editor role and an unarchived project; a viewer's save,
upload, rename or delete is refused with a message that says so.
"""

from __future__ import annotations

import asyncio
import json
import os
import posixpath
import time
from pathlib import Path
from typing import Any

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from traitlets import Float, Unicode, default

from ..paths import PathOutsideRoot, resolve_inside
from ..roles import includes
from .forward import ScaleLabServerConfig

MIN_REFRESH_SECONDS = 0.5
PROJECTS = "projects"
RUNS = "runs"  # read-only: output notebooks of runs, kept by the service


class ProjectContentsManager(AsyncLargeFileManager):
    """Jupyter's file manager with ScaleLab project workspaces under `projects/`."""

    workspaces_root = Unicode(
        help="Folder holding every project's workspace; $SCALELAB_WORKSPACES from the hub."
    ).tag(config=True)

    @default("workspaces_root")
    def _default_workspaces_root(self) -> str:
        return os.environ.get("SCALELAB_WORKSPACES", "")

    runs_root = Unicode(
        help="Folder holding every project's run outputs; $SCALELAB_RUNS from the hub."
    ).tag(config=True)

    @default("runs_root")
    def _default_runs_root(self) -> str:
        return os.environ.get("SCALELAB_RUNS", "")

    projects_refresh_seconds = Float(
        3.0, help="How long the list of my projects is trusted before asking the service again."
    ).tag(config=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._service = ScaleLabServerConfig(parent=self.parent)
        self._projects: dict[str, dict[str, Any]] = {}
        self._fetched = 0.0

    # -- which projects, with which role ----------------------------------------------------
    @property
    def _enabled(self) -> bool:
        return bool(self.workspaces_root and self._service.service_url)

    async def _refresh(self, path: str = "") -> None:
        """Ask the service for my projects when the list is stale, or lacks the one in `path`."""
        if not self._enabled:
            return
        age = time.monotonic() - self._fetched
        parts = path.strip("/").split("/")
        unknown = len(parts) > 1 and parts[0] in (PROJECTS, RUNS) and parts[1] not in self._projects
        if age < self.projects_refresh_seconds and not unknown:
            return
        if unknown and age < MIN_REFRESH_SECONDS:
            # A project just created or shared: asked for now, yet at most twice a second; a
            # request waits its turn rather than being told the folder does not exist.
            await asyncio.sleep(MIN_REFRESH_SECONDS - age)
            if parts[1] in self._projects:  # fetched by another request meanwhile
                return
        request = HTTPRequest(
            self._service.service_url.rstrip("/") + "/api/projects",
            headers={"Authorization": f"token {self._service.api_token}"},
            request_timeout=10,
        )
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except OSError as exc:  # refused, reset: raise_error=False covers HTTP answers only
            self.log.warning("ScaleLab projects unavailable (%s); the last list stays", exc)
            return
        if response.code != 200:
            self.log.warning("ScaleLab projects unavailable (%s)", response.code)
            return
        projects = json.loads(response.body)["projects"]
        self._projects = {p["slug"]: p for p in projects if p["my_role"] is not None}
        self._fetched = time.monotonic()
        self._link_workspaces()

    def _link_workspaces(self) -> None:
        """`~/projects/<slug>` (and `~/runs/<slug>`, the run outputs) for my projects; links
        of projects I left are removed."""
        pairs = [(PROJECTS, self.workspaces_root)]
        if self.runs_root:
            pairs.append((RUNS, self.runs_root))
        for name, target in pairs:
            folder = Path(self.root_dir) / name
            folder.mkdir(exist_ok=True)
            root = Path(target)
            for entry in folder.iterdir():
                ours = entry.is_symlink() and Path(os.readlink(entry)).parent == root
                if ours and entry.name not in self._projects:
                    entry.unlink()
            for slug in self._projects:
                link = folder / slug
                if not link.is_symlink() and not link.exists() and (root / slug).is_dir():
                    link.symlink_to(root / slug, target_is_directory=True)

    def _project_path(self, path: str) -> tuple[dict[str, Any], str] | None:
        """(project, path inside it) when `path` is in a project workspace, else None."""
        normal = posixpath.normpath("/" + path.strip("/")).lstrip("/")
        parts = normal.split("/", 2)
        if not self._enabled or len(parts) < 2 or parts[0] not in (PROJECTS, RUNS):
            return None
        project = self._projects.get(parts[1])
        if project is None:
            raise web.HTTPError(404, f"no project named {parts[1]!r}")
        if parts[0] == RUNS:
            project = {**project, "run_outputs": True}
        inside = parts[2] if len(parts) == 3 else ""
        root = self.workspaces_root if parts[0] == PROJECTS else self.runs_root
        try:
            resolve_inside(Path(root) / parts[1], inside)
        except PathOutsideRoot as exc:
            raise web.HTTPError(403, str(exc)) from None
        return project, inside

    def _may_write(self, project: dict[str, Any]) -> str | None:
        """None if the caller may write into `project`, else why not."""
        if project.get("run_outputs"):
            return "run outputs are kept as they were written and cannot be changed"
        if project["archived"]:
            return f"project {project['slug']!r} is archived, so its files are read-only"
        if not includes(project["my_role"], "editor"):
            return (
                f"you are a {project['my_role']} in project {project['slug']!r}; "
                "changing its files needs the editor role"
            )
        return None

    async def _check_write(self, path: str, action: str) -> None:
        await self._refresh(path)
        if path.strip("/") in (PROJECTS, RUNS) and self._enabled:
            raise web.HTTPError(403, f"cannot {action} {path.strip('/')}/: ScaleLab manages it")
        found = self._project_path(path)
        if found is not None:
            project, inside = found
            if inside == "":
                raise web.HTTPError(403, f"cannot {action} a project folder from here")
            reason = self._may_write(project)
            if reason:
                raise web.HTTPError(403, f"Cannot {action} {path}: {reason}.")

    # -- Jupyter's contents API ---------------------------------------------------------------
    def is_writable(self, path: str) -> bool:
        try:
            found = self._project_path(path)
        except web.HTTPError:
            return False
        if found is not None:
            return self._may_write(found[0]) is None
        return bool(super().is_writable(path))

    async def get(
        self,
        path: str,
        content: bool = True,
        type: Any = None,
        format: Any = None,
        require_hash: bool = False,
    ) -> Any:
        await self._refresh(path)
        self._project_path(path)
        return await super().get(
            path, content=content, type=type, format=format, require_hash=require_hash
        )

    async def save(self, model: dict[str, Any], path: str = "") -> Any:
        await self._check_write(path, "save")
        return await super().save(model, path)

    async def delete_file(self, path: str) -> None:
        await self._check_write(path, "delete")
        await super().delete_file(path)

    async def rename_file(self, old_path: str, new_path: str) -> None:
        await self._check_write(old_path, "move")
        await self._check_write(new_path, "move into")
        await super().rename_file(old_path, new_path)

    async def dir_exists(self, path: str) -> bool:
        await self._refresh(path)
        return bool(await super().dir_exists(path))

    async def file_exists(self, path: str = "") -> bool:
        await self._refresh(path)
        return bool(await super().file_exists(path))
