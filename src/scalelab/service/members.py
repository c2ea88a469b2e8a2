"""Memberships follow the hub's accounts: a deleted account's memberships are removed.

A new account that takes a deleted one's name must not inherit its projects. Requests are
guarded at once (a membership older than the caller's account does not count, see
`store.projects`); this sweep removes such memberships for good, each with an audit entry.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from ..identity import hub_time
from ..store import projects as repo

if TYPE_CHECKING:
    from ..store import Store
    from .access import WorkspaceAccess
    from .directory import HubDirectory


class MemberSweep:
    def __init__(
        self,
        *,
        store: Store,
        directory: HubDirectory,
        access: WorkspaceAccess,
        interval: float,
        log: logging.Logger,
    ) -> None:
        self.store = store
        self.directory = directory
        self.access = access
        self.interval = interval
        self.log = log
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    async def sweep(self) -> list[str]:
        """One pass; the slugs of the projects that lost a member."""
        accounts = await self.directory.accounts()
        if not accounts:
            return []  # a hub that lists nobody is more likely misconfigured than empty
        created = {name: hub_time(model.get("created")) for name, model in accounts.items()}
        with self.store.session() as session:
            departed = repo.departed_members(session, created)
        changed: set[str] = set()
        for gone in departed:
            # Deleting is final: ask the hub once more about this one name before acting.
            if gone.name not in accounts and await self.directory.fresh_user(gone.name):
                continue
            with self.store.session() as session:
                slug = repo.remove_departed(session, gone)
            if slug:
                self.log.warning("Removed %s from project %s: %s", gone.name, slug, gone.reason)
                changed.add(slug)
        for slug in sorted(changed):
            await self.access.sync(slug)
        return sorted(changed)

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            try:
                await self.sweep()
                self._failing = False
            except Exception as exc:  # the hub may be restarting: try again next time
                # Once per outage: a hub that is down for long would fill the log otherwise.
                log = self.log.debug if self._failing else self.log.warning
                log("Member sweep skipped: %s", exc)
                self._failing = True
            await asyncio.sleep(self.interval)
