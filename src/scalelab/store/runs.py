"""Run records in the service database, with their output notebooks in a folder per project."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ..runs.records import RunRecord, StepRecord, newest_reusable, now
from .db import Store
from .models import RunRow

UNFINISHED = ("queued", "running")


class ProjectRuns:
    """The runs of one project: what an executor needs to keep records (its RunStore)."""

    def __init__(self, store: Store, project_id: int, outputs: Path) -> None:
        self.store = store
        self.project_id = project_id
        self.outputs = outputs

    def folder(self, run_id: str) -> Path:
        return self.outputs / run_id

    def save(self, record: RunRecord) -> None:
        data = record.model_dump(mode="json")
        with self.store.session() as session:
            row = session.get(RunRow, record.id)
            if row is None:
                row = RunRow(id=record.id, project_id=self.project_id)
                session.add(row)
            row.status, row.kind, row.target = record.status, record.kind, record.target
            row.trigger, row.triggered_by = record.trigger, record.triggered_by
            row.created_at, row.finished_at = record.created_at, record.finished_at
            row.record = data

    def get(self, run_id: str) -> RunRecord | None:
        with self.store.session() as session:
            row = session.get(RunRow, run_id)
            if row is None or row.project_id != self.project_id:
                return None
            return RunRecord.model_validate(row.record)

    def list(self, limit: int = 200) -> list[RunRecord]:
        with self.store.session() as session:
            rows = session.scalars(
                select(RunRow.record)
                .where(RunRow.project_id == self.project_id)
                .order_by(RunRow.created_at.desc())
                .limit(limit)
            ).all()
        return [RunRecord.model_validate(r) for r in rows]

    def find_reusable(self, cache_key: str) -> tuple[RunRecord, StepRecord] | None:
        return newest_reusable(self.list(), cache_key)


def close_interrupted(store: Store) -> int:
    """Runs left queued or running by a service that stopped: failed, and say why."""
    reason = "the service stopped during this run"
    count = 0
    with store.session() as session:
        rows = session.scalars(select(RunRow).where(RunRow.status.in_(UNFINISHED))).all()
        for row in rows:
            record = RunRecord.model_validate(row.record)
            record.status, record.error = "failed", reason
            record.finished_at = now()
            for step in record.steps:
                if step.status in UNFINISHED:
                    step.status, step.error = "failed", reason
                    step.finished_at = record.finished_at
            row.status, row.finished_at = "failed", record.finished_at
            row.record = record.model_dump(mode="json")
            count += 1
    return count
