"""A job: what to run, with which values and options. Every way of starting a run submits one.

The API, the scheduler, `scalelab run` and the demo all describe a run as a `Job` and turn it
into a plan with `plan_job`, so an option means the same wherever it is given. An option left
unset (None) is the executor's to choose: `c.LocalExecutor.fresh`, `.retries`, `.step_timeout`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .plan import Plan, make_plan

MAX_RETRIES = 5


class ExecutionOptions(BaseModel):
    """How to run a job; null leaves the executor's setting."""

    model_config = ConfigDict(extra="forbid")

    fresh: bool | None = Field(
        default=None,
        description="run every step, reusing nothing; null: the executor's setting "
        "(c.LocalExecutor.fresh, default false)",
    )
    retries: int | None = Field(
        default=None,
        ge=0,
        le=MAX_RETRIES,
        description="extra attempts for a failed step; null: the executor's setting "
        "(c.LocalExecutor.retries, default 0)",
    )
    timeout: float | None = Field(
        default=None,
        gt=0,
        description="seconds per step; null: the executor's setting "
        "(c.LocalExecutor.step_timeout, default none)",
    )

    def given(self) -> dict[str, Any]:
        """The options that are set, as stored: an absent one stays the executor's."""
        return self.model_dump(exclude_none=True)


class Job(BaseModel):
    """A notebook or pipeline.yaml of a workspace, its parameter values and its options."""

    model_config = ConfigDict(extra="forbid")

    target: str = Field(description="notebook or pipeline.yaml, relative to the workspace")
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="JSON values, checked against the declared parameters"
    )
    options: ExecutionOptions = Field(default_factory=ExecutionOptions)


def plan_job(
    job: Job,
    workdir: Path,
    *,
    from_text: bool = False,
    kernel: str = "",
    run_as: str | None = None,
) -> Plan:
    """The checked plan of `job` in `workdir`; its unset options stay None for the executor.

    `from_text`: parameter values typed on a command line, read as the declared types.
    """
    plan = make_plan(workdir, job.target, job.parameters, from_text=from_text, kernel=kernel)
    plan.fresh = job.options.fresh
    plan.retries = job.options.retries
    plan.step_timeout = job.options.timeout
    plan.run_as = run_as
    return plan
