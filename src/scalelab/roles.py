"""Project roles. Each role includes every role before it in `ROLES`."""

from __future__ import annotations

from typing import Literal, get_args

RoleName = Literal["viewer", "runner", "editor", "deployer", "owner"]
ROLES: tuple[RoleName, ...] = get_args(RoleName)

# What each role adds, as people read it in an error message.
ROLE_GRANTS: dict[RoleName, str] = {
    "viewer": "read files, runs, experiments and reports",
    "runner": "start runs",
    "editor": "write files, manage schedules, log experiments",
    "deployer": "deploy and roll back models",
    "owner": "manage members, archive and delete the project",
}


def rank(role: RoleName) -> int:
    return ROLES.index(role)


def includes(held: RoleName | None, needed: RoleName) -> bool:
    """Whether someone holding `held` may do what `needed` allows."""
    return held is not None and rank(held) >= rank(needed)


def highest(roles: list[RoleName]) -> RoleName | None:
    return max(roles, key=rank) if roles else None
