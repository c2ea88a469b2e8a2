"""Run records in the service database, with their output notebooks in a folder per project."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..errors import Conflict
from ..runs.records import UNFINISHED, Run, Step, newest_reusable, now
from .db import Store
from .models import ProjectRow, RunRow


class ProjectGone(Conflict):
    """The run's project was deleted: nothing more of the run may be written."""


class ProjectRuns:
    """The runs of one project: what an executor needs to keep records (its RunStore)."""

    def __init__(
        self, store: Store, project_id: int, outputs: Path, worker: str | None = None
    ) -> None:
        self.store = store
        self.project_id = project_id
        self.outputs = outputs
        self.worker = worker

    def folder(self, run_id: str) -> Path:
        return self.outputs / run_id

    def save(self, record: Run) -> None:
        with self.store.session() as session:
            self.save_in(session, record)

    def save_in(self, session: Session, record: Run) -> None:
        """Save `record` as part of the caller's transaction."""
        row = session.get(RunRow, record.id)
        if row is None:
            # Also when the row was there and went with its project: a late write must not
            # bring the run back (ids are never reused, so no other project can own it).
            if session.get(ProjectRow, self.project_id) is None:
                raise ProjectGone(f"run {record.id}: its project no longer exists")
            row = RunRow(
                id=record.id,
                project_id=self.project_id,
                worker=self.worker,
                schedule_id=record.schedule_id,
            )
            session.add(row)
        row.status, row.kind, row.target = record.status, record.kind, record.target
        row.trigger, row.triggered_by = record.trigger, record.triggered_by
        row.created_at, row.finished_at = record.created_at, record.finished_at
        row.record = record.model_dump(mode="json")

    def get(self, run_id: str) -> Run | None:
        with self.store.session() as session:
            row = session.get(RunRow, run_id)
            if row is None or row.project_id != self.project_id:
                return None
            return Run.model_validate(row.record)

    def list(self, limit: int = 200) -> list[Run]:
        with self.store.session() as session:
            rows = session.scalars(
                select(RunRow.record)
                .where(RunRow.project_id == self.project_id)
                .order_by(RunRow.created_at.desc())
                .limit(limit)
            ).all()
        return [Run.model_validate(r) for r in rows]

    def find_reusable(self, cache_key: str) -> tuple[Run, Step] | None:
        return newest_reusable(self.list(), cache_key)


def close_interrupted(store: Store, worker: str) -> int:
    """Runs this service process left queued or running when it stopped: failed, and say why.

    Runs of other processes sharing the database are theirs to close.
    """
    reason = "the service stopped during this run"
    count = 0
    with store.session() as session:
        rows = session.scalars(
            select(RunRow).where(
                RunRow.status.in_(sorted(UNFINISHED)),
                or_(RunRow.worker == worker, RunRow.worker.is_(None)),
            )
        ).all()
        for row in rows:
            record = Run.model_validate(row.record)
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


def unfinished_runs(store: Store, project_id: int) -> list[str]:
    """Ids of the project's runs still queued or running, in any service process."""
    with store.session() as session:
        return list(
            session.scalars(
                select(RunRow.id).where(
                    RunRow.project_id == project_id, RunRow.status.in_(sorted(UNFINISHED))
                )
            ).all()
        )


def request_cancel(store: Store, run_id: str) -> None:
    """Ask the service process executing `run_id` to cancel it (it checks at every tick)."""
    with store.session() as session:
        session.execute(update(RunRow).where(RunRow.id == run_id).values(cancel_requested=True))
