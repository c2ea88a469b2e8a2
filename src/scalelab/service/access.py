"""Operating-system access to workspaces, kept in step with project roles.

The service calls `sync(slug)` after every change of members, roles or the archived state.
The default does nothing: in the `local` mode every server runs as one OS user, and roles are
enforced by the service and the Jupyter server extension only.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from traitlets.config import LoggingConfigurable

from .. import unix
from ..roles import includes
from ..store import projects as repo

if TYPE_CHECKING:
    from ..dataroot import DataRoot
    from ..store import Store
    from .directory import HubDirectory


class WorkspaceAccess(LoggingConfigurable):
    """No OS-level access control (the `local` deployment mode).

    Made by the service with what a plugin may need: the database (who is a member), the hub's
    directory (who is in a group) and the data root's layout (where workspaces and homes are).
    """

    def __init__(
        self, *, store: Store, directory: HubDirectory, data: DataRoot, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.store = store
        self.directory = directory
        self.data = data

    #: Whether the OS keeps users' kernels to their project roles (reported by api/health).
    holds_kernels_to_roles = False

    def protect(self, data_root: Path) -> None:
        """Make the data root's private files (databases, secrets) unreadable to kernels."""
        return None

    async def sync(self, slug: str) -> None:
        return None

    async def forget(self, slug: str) -> None:
        return None

    def run_as(self, slug: str) -> str | None:
        """The OS account runs of `slug` execute as; None: the service's own."""
        return None


class UnixGroupAccess(WorkspaceAccess):
    """Two Unix groups per project (readers, writers) and ACLs on its workspace.

    Every member is in the readers' group, editors and above also in the writers' group, and
    nobody writes to an archived project. Members get a Unix account if they have none yet.
    A person's running server keeps the groups it started with until it is restarted.
    """

    holds_kernels_to_roles = True

    def protect(self, data_root: Path) -> None:
        # Again here, not only at the hub's start: the service made its database just now.
        unix.seal_data_root(data_root)

    async def sync(self, slug: str) -> None:
        with self.store.session() as session:
            project = repo.get_project(session, slug)
            if project is None:
                return
            archived = project.archived_at is not None
            grants = [(m.kind, m.name, m.role) for m in repo.members(session, project)]
        readers: set[str] = set()
        writers: set[str] = set()
        for kind, name, role in grants:
            if kind == "user":
                names = {name}
            else:
                group = await self.directory.group(name)
                names = set(group.get("users", [])) if group else set()
            readers |= names
            if includes(role, "editor") and not archived:  # type: ignore[arg-type]
                writers |= names
        folder = self.data.workspaces / slug
        outputs = self.data.runs / slug
        home_root = self.data.users
        await asyncio.get_running_loop().run_in_executor(
            None, self._apply, slug, folder, outputs, home_root, readers, writers, archived
        )

    def _apply(
        self,
        slug: str,
        folder: Path,
        outputs: Path,
        home_root: Path,
        readers: set[str],
        writers: set[str],
        archived: bool,
    ) -> None:
        read_group, write_group = unix.project_groups(slug)
        for name in readers:
            unix.ensure_unix_user(name, home_root)
        # The project's own account, which its runs execute as: it reads, and writes unless
        # the project is archived, like an editor.
        account = unix.ensure_unix_user(unix.project_account(slug), home_root).pw_name
        readers = readers | {account}
        if not archived:
            writers = writers | {account}
        for group, users in ((read_group, readers), (write_group, writers)):
            unix.ensure_group(group)
            unix.set_group_members(group, users)
        unix.grant_workspace(folder, read_group, write_group)
        unix.grant_reading(outputs, read_group)
        self.log.info("Workspace %s: %d readers, %d writers", slug, len(readers), len(writers))

    async def forget(self, slug: str) -> None:
        unix.remove_user(unix.project_account(slug))
        for group in unix.project_groups(slug):
            unix.remove_group(group)

    def run_as(self, slug: str) -> str | None:
        return unix.project_account(slug)
