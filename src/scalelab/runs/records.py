"""Run records: what ran, how it went, and where its outputs and lineage are."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["queued", "running", "succeeded", "failed", "cancelled", "skipped"]
Trigger = Literal["user", "schedule", "ci", "monitor"]
# The statuses of runs and steps, in two sets every module shares.
UNFINISHED: frozenset[str] = frozenset({"queued", "running"})
FINAL: frozenset[str] = frozenset({"succeeded", "failed", "cancelled", "skipped"})


def now() -> datetime:
    return datetime.now(UTC)


def new_run_id() -> str:
    return now().strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:8]


class Lineage(BaseModel):
    notebook: str = Field(description="sha256 of the input notebook")
    inputs: dict[str, str | None] = Field(default_factory=dict, description="path -> sha256")
    outputs: dict[str, str | None] = Field(default_factory=dict, description="path -> sha256")


class MlflowLink(BaseModel):
    """Where a run's results went in the project's MLflow experiment."""

    experiment_id: str
    run_id: str
    url: str = Field(description="the MLflow run in the MLflow UI")


class Step(BaseModel):
    name: str
    notebook: str
    status: Status = "queued"
    parameters: dict[str, Any] = Field(default_factory=dict)
    kernel: str = ""
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    output: str | None = Field(default=None, description="output notebook, in the run folder")
    error: str | None = None
    failed_cell: int | None = None
    lineage: Lineage | None = None
    cache_key: str | None = None
    reused_from: str | None = Field(default=None, description="run whose outputs were reused")
    tracking_run_id: str | None = Field(
        default=None, description="the step's MLflow run (a pipeline's steps: nested runs)"
    )
    profiles: dict[str, str] = Field(
        default_factory=dict,
        description="output path -> its data profile (whylogs), in the run folder",
    )


class Run(BaseModel):
    id: str = Field(default_factory=new_run_id)
    kind: Literal["notebook", "pipeline"]
    target: str = Field(description="notebook or pipeline.yaml, relative to the working folder")
    workdir: str
    status: Status = "queued"
    trigger: Trigger = "user"
    triggered_by: str = ""
    schedule_id: int | None = Field(default=None, description="the schedule that fired this run")
    parameters: dict[str, Any] = Field(default_factory=dict)
    executor: str = "local"
    created_at: datetime = Field(default_factory=now)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    queue_position: int | None = Field(
        default=None, description="while queued for an executor slot: its place, 1 being next"
    )
    environment: dict[str, Any] = Field(default_factory=dict)
    steps: list[Step] = Field(default_factory=list)
    tracking: MlflowLink | None = Field(default=None, description="the run's MLflow run")

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)


class RunFolder:
    """Run records as files: `<root>/<run id>/run.json` beside the run's output notebooks.

    What the CLI uses; the service keeps the same records in its database.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, run_id: str) -> Path:
        return self.root / run_id

    def save(self, record: Run) -> None:
        folder = self.folder(record.id)
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / ".run.json.partial"
        partial.write_text(record.model_dump_json(indent=2))
        os.replace(partial, folder / "run.json")

    def load(self, run_id: str) -> Run:
        return Run.model_validate_json((self.folder(run_id) / "run.json").read_text())

    def all(self) -> list[Run]:
        if not self.root.exists():
            return []
        found = []
        for path in sorted(self.root.glob("*/run.json")):
            try:
                found.append(Run.model_validate(json.loads(path.read_text())))
            except (ValueError, OSError):
                continue  # a record being written, or damaged: not one to reuse
        return found

    def find_reusable(self, cache_key: str) -> tuple[Run, Step] | None:
        return newest_reusable(
            sorted(self.all(), key=lambda r: r.created_at, reverse=True), cache_key
        )


def newest_reusable(newest_first: Iterable[Run], cache_key: str) -> tuple[Run, Step] | None:
    """The newest successful step with this cache key (the caller checks its outputs)."""
    for record in newest_first:
        for step in record.steps:
            if step.cache_key == cache_key and step.status == "succeeded":
                return record, step
    return None
