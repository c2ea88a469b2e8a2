"""Trial pools by short name: the `scalelab.trial_pools` entry-point group.

A trial pool starts worker processes that each run `worker.run_worker(job)`. `tune(executor=)`
takes a name (`local`, `dask`), a name with an address (`dask://host:port`), or a pool
instance. A package adds its own pool as
`[project.entry-points."scalelab.trial_pools"] name = "package.module:Class"`, where the class
takes the address (or None) as its only argument.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Literal, Protocol, runtime_checkable

from .job import WorkerJob

GROUP = "scalelab.trial_pools"
DEFAULT_POOL = "local"


@dataclass(frozen=True)
class WorkerOutcome:
    """How a worker ended: `finished` (study full or time up; `notes` are warnings for the
    user), `failed` (the objective raised; `error` is the exception's last line, `details` its
    traceback) or `died` (killed, crashed, lost; `error` says how)."""

    kind: Literal["finished", "failed", "died"]
    error: str = ""
    details: str = ""
    notes: tuple[str, ...] = ()

    @classmethod
    def of_exception(cls, exc: BaseException) -> WorkerOutcome:
        last_line = traceback.format_exception_only(exc)[-1].strip()
        return cls("failed", last_line, "".join(traceback.format_exception(exc)))


class WorkerHandle(Protocol):
    def outcome(self) -> WorkerOutcome | None:
        """None while the worker runs."""
        ...

    def stop(self) -> None:
        """End the worker now if the pool can; its running trial is then retried later."""
        ...


@runtime_checkable
class TrialPool(Protocol):
    name: str

    def start(self, job: WorkerJob) -> WorkerHandle: ...

    def close(self) -> None: ...


def registered() -> dict[str, EntryPoint]:
    return {ep.name.lower(): ep for ep in entry_points(group=GROUP)}


def pool_names() -> list[str]:
    return sorted(registered())


def open_pool(spec: str) -> TrialPool:
    """The pool named by `spec`: `name` or `name://address`. ValueError if none is."""
    name, sep, address = spec.partition("://")
    entry = registered().get(name.lower())
    if entry is None:
        known = ", ".join(pool_names()) or "none installed"
        raise ValueError(f"unknown executor {spec!r} (known: {known})")
    pool: TrialPool = entry.load()(address if sep else None)
    return pool
