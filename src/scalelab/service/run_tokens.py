"""Credentials of runs: what a run's kernels show the tracking proxy, valid while it runs.

A run executes as the project, not in a person's server, so it has no hub token of its own.
Each run gets a random token that opens its project's tracking server and nothing else; only
its hash is kept, in this process's memory, and it is revoked when the run ends.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from ..roles import RoleName

RUN_TOKEN_PREFIX = "slrun_"


@dataclass(frozen=True)
class RunGrant:
    run_id: str
    project_id: int
    slug: str
    user: str  # who started the run (or whose schedule fired it): its MLflow runs are theirs
    role: RoleName


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class RunTokens:
    def __init__(self) -> None:
        self._grants: dict[str, RunGrant] = {}

    def issue(self, grant: RunGrant) -> str:
        self.revoke(grant.run_id)
        token = RUN_TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._grants[_digest(token)] = grant
        return token

    def grant(self, token: str) -> RunGrant | None:
        return self._grants.get(_digest(token))

    def revoke(self, run_id: str) -> None:
        for digest, grant in list(self._grants.items()):
            if grant.run_id == run_id:
                del self._grants[digest]
