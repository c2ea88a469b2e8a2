"""What a run's executor tells others as it goes: the seam for experiment tracking.

Hooks are given with a run's plan; an executor calls them around the run and each step. They
may add to a step's environment (e.g. the MLflow run its kernel logs to). A hook's failure is
logged and ignored: tracking must never fail a run.
"""

from __future__ import annotations

from typing import Protocol

from .records import Run, Step


class RunHooks(Protocol):
    async def run_started(self, run: Run) -> dict[str, str]:
        """Before the first step: the environment every step of the run gets."""
        ...

    async def step_started(self, run: Run, step: Step) -> dict[str, str]:
        """Before an attempt of `step`: what its kernel's environment adds."""
        ...

    async def step_finished(self, run: Run, step: Step) -> None: ...

    async def run_finished(self, run: Run) -> None:
        """After the run ended, however it ended (its status says how)."""
        ...
