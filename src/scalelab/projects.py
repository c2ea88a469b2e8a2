"""Project use cases: create, rename, archive, restore, delete, and members.

Each owns its transaction and is callable without HTTP: the API's handlers, the demo seed and
tests call the same methods. Authorization is the caller's (the API checks the role first);
what a project may not become (archived twice, without an owner) is checked here and in the
store.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from .errors import Conflict, NotFound
from .roles import RoleName
from .store import MembershipRow, ProjectRow, Store
from .store import projects as repo
from .workspaces import Workspaces

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# A workspace folder younger than this may be another process's create between its folder and
# its row: it is not taken for an orphan.
ORPHAN_GRACE_S = 60


class WorkspaceGuard(Protocol):
    """What keeps the operating system in step with a project's roles (service/access.py)."""

    async def sync(self, slug: str) -> None: ...

    async def forget(self, slug: str) -> None: ...


@dataclass
class Projects:
    store: Store
    workspaces: Workspaces
    outputs: Path  # run outputs, a folder per project
    data_root: Path  # archive paths are given relative to it
    guard: WorkspaceGuard
    stop_runs: Callable[[int], Awaitable[int]]  # cancels a project's unfinished runs
    log: logging.Logger

    def _get(self, session: Session, project_id: int) -> ProjectRow:
        project = repo.project_by_id(session, project_id)
        if project is None:
            raise NotFound("the project no longer exists")
        return project

    async def create(
        self,
        slug: str,
        title: str,
        owner: str,
        template: str,
        members: dict[str, RoleName] | None = None,
    ) -> ProjectRow:
        """A project with its workspace from `template`, owned by `owner`, with `members`."""
        with self.store.session() as session:
            if repo.get_project(session, slug) is not None:
                raise Conflict(f"a project named {slug!r} exists already")
        if self.workspaces.path(slug).exists():
            self._set_aside_orphan(slug)
        # Files first, then the row: a failed insert removes the folder, so neither half remains.
        self.workspaces.create(slug, template)
        (self.outputs / slug).mkdir(parents=True, exist_ok=True)
        try:
            with self.store.session() as session:
                project = repo.create_project(session, slug, title, owner)
                for name, role in (members or {}).items():
                    repo.set_member(session, project, "user", name, role, owner)
        except BaseException:
            self.workspaces.remove(slug)
            raise
        await self.guard.sync(slug)
        return project

    def _set_aside_orphan(self, slug: str) -> None:
        """Archive to the trash a workspace folder that has no project (a delete cut short, or
        a folder made by hand), as deleting its project would have: the slug is free again."""
        folder = self.workspaces.path(slug)
        if time.time() - folder.lstat().st_mtime < ORPHAN_GRACE_S:
            raise Conflict(
                f"project {slug!r} is being created by another request; try again in a minute"
            )
        kept = self.workspaces.archive(slug)
        self.workspaces.remove(slug)
        # Outputs of runs of the project that was: not for the members of the new one.
        shutil.rmtree(self.outputs / slug, ignore_errors=True)
        if folder.exists() or folder.is_symlink():
            raise Conflict(f"{folder.name!r} in the workspaces folder is in the way; ask an admin")
        self.log.warning("Workspace folder %s had no project; archived it to %s", folder, kept)

    def rename(self, project_id: int, title: str, actor: str) -> ProjectRow:
        with self.store.session() as session:
            project = self._get(session, project_id)
            _refuse_if_archived(project)
            repo.rename_project(session, project, title, actor)
        return project

    async def set_archived(self, project_id: int, archived: bool, actor: str) -> ProjectRow:
        """Archive (read-only: its runs stop, its schedules skip) or restore a project."""
        with self.store.session() as session:
            project = self._get(session, project_id)
        if archived == (project.archived_at is not None):
            state = "archived" if archived else "not archived"
            raise Conflict(f"project {project.slug!r} is already {state}")
        if archived:
            await self.stop_runs(project_id)
        with self.store.session() as session:
            project = self._get(session, project_id)
            repo.set_archived(session, project, archived, actor)
        await self.guard.sync(project.slug)
        return project

    async def delete(self, project_id: int, actor: str) -> str:
        """Delete a project; its workspace goes to the trash first. The archive's path (relative
        to the data root) is returned."""
        # Runs first: nothing of the project may still be running when its rows go.
        await self.stop_runs(project_id)
        with self.store.session() as session:
            project = self._get(session, project_id)
            slug = project.slug
            kept = self.workspaces.archive(slug)
            relative = str(kept.relative_to(self.data_root))
            repo.delete_project(session, project, actor, relative)
        self.workspaces.remove(slug)
        shutil.rmtree(self.outputs / slug, ignore_errors=True)
        await self.guard.forget(slug)
        return relative

    async def set_member(
        self, project_id: int, kind: str, name: str, role: RoleName, actor: str
    ) -> MembershipRow:
        """Add a member, or change a member's role (the caller checked the name exists)."""
        with self.store.session() as session:
            project = self._get(session, project_id)
            member = repo.set_member(session, project, kind, name, role, actor)
        await self.guard.sync(project.slug)
        return member

    async def remove_member(self, project_id: int, kind: str, name: str, actor: str) -> None:
        with self.store.session() as session:
            project = self._get(session, project_id)
            repo.remove_member(session, project, kind, name, actor)
        await self.guard.sync(project.slug)


def _refuse_if_archived(project: ProjectRow) -> None:
    if project.archived_at is not None:
        raise Conflict(f"project {project.slug!r} is archived; restore it first")
