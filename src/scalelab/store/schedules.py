"""Schedules, their fire-time events and project notifications, in the service database.

`take_due` is the scheduler's tick: one transaction that locks the due schedules (skipping rows
another service process holds), records what happens at each due fire time and moves the
schedules on. The unique (schedule, fire time) key on events makes a second firing impossible
even where row locks are not available (SQLite).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound
from ..runs.job import Job
from ..runs.records import UNFINISHED, Run
from ..schedules.policy import overlap
from .db import Store
from .models import (
    NotificationRow,
    ProjectRow,
    RunRow,
    ScheduleEventRow,
    ScheduleRow,
    utcnow,
)
from .projects import record_audit
from .runs import ProjectRuns


@dataclass(frozen=True)
class ScheduleView:
    """A schedule with what the views need besides its own columns."""

    row: ScheduleRow
    last_status: str | None


@dataclass
class Firing:
    """A fire time the tick decided to run: the service makes the run and queues it."""

    schedule_id: int
    project_id: int
    slug: str
    name: str
    job: Job
    notify: str
    webhook_url: str | None
    due: datetime
    catch_up: bool
    event_id: int
    replaces: str | None = None


@dataclass
class Miss:
    schedule_id: int
    project_id: int
    name: str
    notify: str
    webhook_url: str | None
    count: int
    reason: str


def _last_status(session: Session, rows: list[ScheduleRow]) -> dict[str, str]:
    ids = [r.last_run_id for r in rows if r.last_run_id]
    if not ids:
        return {}
    return dict(session.execute(select(RunRow.id, RunRow.status).where(RunRow.id.in_(ids))).all())


def list_schedules(session: Session, project_id: int) -> list[ScheduleView]:
    rows = list(
        session.scalars(
            select(ScheduleRow)
            .where(ScheduleRow.project_id == project_id)
            .order_by(ScheduleRow.name)
        ).all()
    )
    status = _last_status(session, rows)
    return [ScheduleView(r, status.get(r.last_run_id or "")) for r in rows]


def get_schedule(session: Session, project_id: int, schedule_id: int) -> ScheduleView:
    row = session.get(ScheduleRow, schedule_id)
    if row is None or row.project_id != project_id:
        raise NotFound(f"no schedule {schedule_id} in this project")
    return ScheduleView(row, _last_status(session, [row]).get(row.last_run_id or ""))


def _project(session: Session, row: ScheduleRow) -> ProjectRow:
    project = session.get(ProjectRow, row.project_id)
    assert project is not None, "a schedule's project is deleted with it"
    return project


def add_schedule(session: Session, row: ScheduleRow, slug: str) -> ScheduleRow:
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"a schedule named {row.name!r} exists already in {slug!r}") from None
    record_audit(
        session,
        row.created_by,
        _project(session, row),
        "schedule.create",
        name=row.name,
        cron=row.cron,
    )
    return row


def changed(session: Session, row: ScheduleRow, slug: str, actor: str, fields: list[str]) -> None:
    row.updated_at = utcnow()
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"a schedule named {row.name!r} exists already in {slug!r}") from None
    record_audit(
        session,
        actor,
        _project(session, row),
        "schedule.update",
        name=row.name,
        fields=sorted(fields),
    )


def delete_schedule(session: Session, row: ScheduleRow, slug: str, actor: str) -> None:
    record_audit(session, actor, _project(session, row), "schedule.delete", name=row.name)
    session.delete(row)


def history(session: Session, schedule_id: int, limit: int = 200) -> list[tuple[Any, ...]]:
    """Events of a schedule, newest fire time first, with the status of the run each queued."""
    return list(
        session.execute(
            select(ScheduleEventRow, RunRow.status)
            .outerjoin(RunRow, RunRow.id == ScheduleEventRow.run_id)
            .where(ScheduleEventRow.schedule_id == schedule_id)
            .order_by(ScheduleEventRow.due_at.desc(), ScheduleEventRow.id.desc())
            .limit(limit)
        ).all()
    )


def next_due(store: Store) -> datetime | None:
    """The earliest fire time of any active schedule (an index lookup)."""
    with store.session() as session:
        return session.scalar(
            select(func.min(ScheduleRow.next_fire_at)).where(ScheduleRow.paused.is_(False))
        )


Decide = Callable[[ScheduleRow, datetime], Any]


def take_due(
    store: Store, now: datetime, worker: str, decide: Decide, limit: int = 500
) -> tuple[list[Firing], list[Miss]]:
    """Claim the schedules due at `now`, record their events and move them to their next time.

    `decide(row, now)` returns a `schedules.policy.Decision`. Returns the fire times to run and
    the misses to tell people about; an empty result when another process got there first.
    """
    firings: list[Firing] = []
    misses: list[Miss] = []
    session = store.new_session()
    try:
        rows = session.execute(
            select(ScheduleRow, ProjectRow.slug, ProjectRow.archived_at)
            .join(ProjectRow, ProjectRow.id == ScheduleRow.project_id)
            .where(ScheduleRow.paused.is_(False), ScheduleRow.next_fire_at <= now)
            .order_by(ScheduleRow.next_fire_at)
            .limit(limit)
            .with_for_update(of=ScheduleRow, skip_locked=True)
        ).all()
        status = _last_status(session, [r for r, _, _ in rows])
        for row, slug, archived_at in rows:
            try:
                decision = decide(row, now)
                job = row.job
            except Exception as exc:  # a timezone gone from tzdata, a job unreadable: say why
                session.add(_event(row, row.next_fire_at, "failed", worker, f"paused: {exc}"))
                row.paused, row.next_fire_at = True, None
                continue
            for miss in decision.missed:
                session.add(_event(row, miss.due, "missed", worker, miss.reason))
            if decision.missed:
                extra = decision.unlisted_misses
                reason = decision.missed[-1].reason + (f" (and {extra} more)" if extra else "")
                misses.append(
                    Miss(
                        row.id,
                        row.project_id,
                        row.name,
                        row.notify,
                        row.webhook_url,
                        len(decision.missed) + extra,
                        reason,
                    )
                )
            row.next_fire_at = decision.next_fire
            if decision.fire is None:
                continue
            row.last_fire_at = decision.fire
            rule = overlap(
                row.concurrency,  # type: ignore[arg-type]
                row.last_run_id,
                status.get(row.last_run_id or ""),
                archived=archived_at is not None,
            )
            if rule.skip is not None:
                session.add(_event(row, decision.fire, "skipped", worker, rule.skip))
                continue
            replaces = rule.replaces
            if replaces:
                session.execute(
                    update(RunRow).where(RunRow.id == replaces).values(cancel_requested=True)
                )
            detail = "catch-up run" if decision.catch_up else ""
            if replaces:
                detail = (detail + "; " if detail else "") + f"replaces run {replaces}"
            event = _event(row, decision.fire, "starting", worker, detail)
            session.add(event)
            session.flush()
            firings.append(
                Firing(
                    schedule_id=row.id,
                    project_id=row.project_id,
                    slug=slug,
                    name=row.name,
                    job=job,
                    notify=row.notify,
                    webhook_url=row.webhook_url,
                    due=decision.fire,
                    catch_up=decision.catch_up,
                    event_id=event.id,
                    replaces=replaces,
                )
            )
        session.commit()
    except IntegrityError:
        # Another service process recorded one of these fire times first: it owns them.
        session.rollback()
        return [], []
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    return firings, misses


def _event(row: ScheduleRow, due: datetime, outcome: str, worker: str, detail: str) -> Any:
    return ScheduleEventRow(
        schedule_id=row.id, due_at=due, outcome=outcome, worker=worker, detail=detail[:1024]
    )


def started(
    store: Store,
    queued: list[tuple[Firing, Run, ProjectRuns]],
    failed: list[tuple[Firing, str]],
) -> None:
    """Record, in one transaction, the runs made for fire times and the ones that could not be."""
    with store.session() as session:
        for firing, record, runs in queued:
            runs.save_in(session, record)
            session.flush()
            _resolve(session, firing, "queued", record.id, None)
            session.execute(
                update(ScheduleRow)
                .where(ScheduleRow.id == firing.schedule_id)
                .values(last_run_id=record.id)
            )
        for firing, error in failed:
            _resolve(session, firing, "failed", None, error)


def _resolve(
    session: Session, firing: Firing, outcome: str, run_id: str | None, error: str | None
) -> None:
    event = session.get(ScheduleEventRow, firing.event_id)
    if event is not None:
        event.outcome, event.run_id = outcome, run_id
        if error:
            event.detail = error[:1024]


def close_unstarted(store: Store, worker: str) -> int:
    """Fire times this process took but stopped before queuing their run: failed, and why."""
    with store.session() as session:
        result = session.execute(
            update(ScheduleEventRow)
            .where(ScheduleEventRow.outcome == "starting", ScheduleEventRow.worker == worker)
            .values(outcome="failed", detail="the service stopped before the run was queued")
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def runs_to_cancel(store: Store, worker: str) -> list[str]:
    """Runs this process executes that another process asked to cancel."""
    with store.session() as session:
        return list(
            session.scalars(
                select(RunRow.id).where(
                    RunRow.cancel_requested.is_(True),
                    RunRow.worker == worker,
                    RunRow.status.in_(sorted(UNFINISHED)),
                )
            ).all()
        )


def last_success(store: Store, schedule_id: int, before: str) -> RunRow | None:
    """The newest successful run of a schedule other than run `before`."""
    with store.session() as session:
        row = session.scalar(
            select(RunRow)
            .where(
                and_(
                    RunRow.schedule_id == schedule_id,
                    RunRow.status == "succeeded",
                    RunRow.id != before,
                )
            )
            .order_by(RunRow.created_at.desc())
            .limit(1)
        )
        if row is not None:
            session.expunge(row)
        return row


def add_notification(store: Store, **fields: Any) -> int:
    with store.session() as session:
        row = NotificationRow(**fields)
        session.add(row)
        session.flush()
        return row.id


def notifications(
    session: Session, project_ids: list[int], after: int, limit: int = 100
) -> list[tuple[NotificationRow, str]]:
    if not project_ids:
        return []
    return list(
        session.execute(
            select(NotificationRow, ProjectRow.slug)
            .join(ProjectRow, ProjectRow.id == NotificationRow.project_id)
            .where(NotificationRow.project_id.in_(project_ids), NotificationRow.id > after)
            .order_by(NotificationRow.id.desc())
            .limit(limit)
        ).all()
    )
