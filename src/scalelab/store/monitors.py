"""Monitors, their checks and their breaches, in the service database.

Two things here make the monitors exactly-once, whichever service process (or restart) gets
there: `take_due` claims a check time by inserting its row under the unique (monitor, due)
key while moving the monitor on, and `advance` moves a breach's loop from one state to the
next only if it is still in the first (compare and set), so a step is taken by one caller.
Functions taking a session add and flush, leaving the commit to the caller; those taking the
store are transactions of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Conflict
from .db import Store
from .models import (
    DeploymentRow,
    MonitorBreachRow,
    MonitorCheckRow,
    MonitorRow,
    ProjectRow,
    utcnow,
)

UPDATABLE = frozenset(
    {
        "cron",
        "timezone",
        "window_hours",
        "thresholds",
        "drifted_columns",
        "min_rows",
        "metric",
        "score_limit",
        "retrain",
        "webhook_url",
        "paused",
        "next_check_at",
    }
)
_MESSAGE = 2048


@dataclass(frozen=True)
class ClaimedCheck:
    """A check time this process took: the monitor as it was, where it points, and the row."""

    check_id: int
    monitor_id: int
    project_id: int
    slug: str
    deployment_id: int | None  # None: a data set's monitor
    endpoint: str | None
    due: datetime


# --- monitors --------------------------------------------------------------------------------


def create_monitor(session: Session, **fields: Any) -> MonitorRow:
    row = MonitorRow(**fields, updated_at=utcnow())
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"a monitor named {fields['name']!r} exists in this project") from None
    return row


def list_monitors(session: Session, project_id: int) -> list[tuple[MonitorRow, str | None]]:
    """The project's monitors with the name of the endpoint each watches (None: a data
    set's)."""
    found = session.execute(
        select(MonitorRow, DeploymentRow.name)
        .outerjoin(DeploymentRow, DeploymentRow.id == MonitorRow.deployment_id)
        .where(MonitorRow.project_id == project_id)
        .order_by(MonitorRow.name)
    ).all()
    return [(row, endpoint) for row, endpoint in found]


def get_monitor(session: Session, project_id: int, name: str) -> MonitorRow | None:
    return session.scalar(
        select(MonitorRow).where(MonitorRow.project_id == project_id, MonitorRow.name == name)
    )


def update_monitor(session: Session, row: MonitorRow, **fields: Any) -> MonitorRow:
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    for key, value in fields.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.flush()
    return row


def delete_monitor(session: Session, row: MonitorRow) -> None:
    session.delete(row)
    session.flush()


# --- checks ----------------------------------------------------------------------------------


def next_due(store: Store) -> datetime | None:
    with store.session() as session:
        return session.scalar(
            select(func.min(MonitorRow.next_check_at)).where(MonitorRow.paused.is_(False))
        )


def take_due(
    store: Store, now: datetime, next_time: Callable[[MonitorRow, datetime], datetime | None]
) -> list[ClaimedCheck]:
    """Claim the checks due at `now`, each once: its row is made under the unique (monitor,
    due) key and the monitor moved to `next_time(row, now)` in one transaction per monitor.
    A check time another process claimed first is left to it."""
    with store.session() as session:
        due = session.execute(
            select(MonitorRow.id, MonitorRow.next_check_at)
            .where(MonitorRow.paused.is_(False), MonitorRow.next_check_at <= now)
            .order_by(MonitorRow.next_check_at)
            .limit(100)
        ).all()
    claimed = []
    for monitor_id, at in due:
        with store.session() as session:
            row = session.get(MonitorRow, monitor_id)
            if row is None or row.next_check_at != at or row.paused:
                continue
            check = MonitorCheckRow(monitor_id=row.id, due=at, status="running")
            session.add(check)
            moved = session.execute(
                update(MonitorRow)
                .where(MonitorRow.id == row.id, MonitorRow.next_check_at == at)
                .values(next_check_at=next_time(row, now))
            )
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                continue
            if moved.rowcount != 1:
                session.rollback()
                continue
            slug = session.scalar(select(ProjectRow.slug).where(ProjectRow.id == row.project_id))
            endpoint = (
                session.scalar(
                    select(DeploymentRow.name).where(DeploymentRow.id == row.deployment_id)
                )
                if row.deployment_id is not None
                else None
            )
            claimed.append(
                ClaimedCheck(
                    check.id, row.id, row.project_id, str(slug), row.deployment_id, endpoint, at
                )
            )
            session.commit()
    return claimed


def finish_check(
    store: Store, check_id: int, status: str, message: str, summary: dict[str, Any]
) -> None:
    with store.session() as session:
        check = session.get(MonitorCheckRow, check_id)
        if check is None:
            return
        check.status, check.message = status, message[:_MESSAGE]
        check.summary, check.finished_at = summary, utcnow()
        monitor = session.get(MonitorRow, check.monitor_id)
        if monitor is not None:
            monitor.status, monitor.last_check_at = status, check.finished_at
        session.commit()


def close_unfinished_checks(store: Store) -> int:
    """Checks left `running` by a stopped service: failed, with the reason."""
    with store.session() as session:
        closed = session.execute(
            update(MonitorCheckRow)
            .where(MonitorCheckRow.status == "running")
            .values(
                status="error", message="the service stopped during the check", finished_at=utcnow()
            )
        ).rowcount
        session.commit()
        return closed


def checks_of(session: Session, monitor_id: int, limit: int = 50) -> list[MonitorCheckRow]:
    return list(
        session.scalars(
            select(MonitorCheckRow)
            .where(MonitorCheckRow.monitor_id == monitor_id)
            .order_by(MonitorCheckRow.id.desc())
            .limit(limit)
        )
    )


def get_check(session: Session, monitor_id: int, check_id: int) -> MonitorCheckRow | None:
    return session.scalar(
        select(MonitorCheckRow).where(
            MonitorCheckRow.monitor_id == monitor_id, MonitorCheckRow.id == check_id
        )
    )


# --- breaches --------------------------------------------------------------------------------


def step(state: str, message: str) -> dict[str, Any]:
    return {"at": utcnow().isoformat(), "state": state, "message": message[:_MESSAGE]}


def open_breach(
    store: Store, monitor_id: int, check_id: int, reason: str, state: str
) -> MonitorBreachRow | None:
    """A new breach of the monitor, unless one is open: then None (this check belongs to
    it). Set on the monitor by compare and set, so two processes cannot both open one."""
    with store.session() as session:
        breach = MonitorBreachRow(
            monitor_id=monitor_id,
            check_id=check_id,
            reason=reason[:_MESSAGE],
            state=state,
            steps=[step("breach", reason)],
        )
        session.add(breach)
        session.flush()
        taken = session.execute(
            update(MonitorRow)
            .where(MonitorRow.id == monitor_id, MonitorRow.open_breach_id.is_(None))
            .values(open_breach_id=breach.id)
        ).rowcount
        if taken != 1:
            session.rollback()
            return None
        session.execute(
            update(MonitorCheckRow)
            .where(MonitorCheckRow.id == check_id)
            .values(breach_id=breach.id)
        )
        session.commit()
        session.refresh(breach)
        session.expunge(breach)
        return breach


def join_breach(store: Store, monitor_id: int, check_id: int) -> int | None:
    """The open breach of the monitor, recorded on this failing check too."""
    with store.session() as session:
        breach_id = session.scalar(
            select(MonitorRow.open_breach_id).where(MonitorRow.id == monitor_id)
        )
        if breach_id is not None:
            session.execute(
                update(MonitorCheckRow)
                .where(MonitorCheckRow.id == check_id)
                .values(breach_id=breach_id)
            )
            session.commit()
        return breach_id


def close_breach(
    store: Store,
    monitor_id: int,
    final: frozenset[str],
    message: str = "a check passed: the breach is over",
) -> bool:
    """A passing check ends the open breach, once its loop is over (a loop under way keeps
    it open: its green may be what fixes things)."""
    with store.session() as session:
        monitor = session.get(MonitorRow, monitor_id)
        if monitor is None or monitor.open_breach_id is None:
            return False
        breach = session.get(MonitorBreachRow, monitor.open_breach_id)
        if breach is not None and breach.state not in final:
            return False
        if breach is not None:
            breach.closed_at = utcnow()
            breach.steps = [*breach.steps, step("closed", message)]
        monitor.open_breach_id = None
        session.commit()
        return True


def advance(
    store: Store, breach_id: int, expected: str, state: str, message: str, **fields: Any
) -> bool:
    """Move the breach from `expected` to `state`, recording the step and `fields`; False
    (nothing written) when it is no longer in `expected`: someone else took this step."""
    with store.session() as session:
        moved = session.execute(
            update(MonitorBreachRow)
            .where(and_(MonitorBreachRow.id == breach_id, MonitorBreachRow.state == expected))
            .values(state=state, **fields)
        ).rowcount
        if moved != 1:
            session.rollback()
            return False
        breach = session.get(MonitorBreachRow, breach_id)
        assert breach is not None
        breach.steps = [*breach.steps, step(state, message)]
        session.commit()
        return True


def note(store: Store, breach_id: int, state: str, message: str) -> None:
    """A step of the loop that changes no state (e.g. resumed after a restart)."""
    with store.session() as session:
        breach = session.get(MonitorBreachRow, breach_id)
        if breach is not None:
            breach.steps = [*breach.steps, step(state, message)]
            session.commit()


def get_breach(store: Store, breach_id: int) -> MonitorBreachRow | None:
    with store.session() as session:
        breach = session.get(MonitorBreachRow, breach_id)
        if breach is not None:
            session.expunge(breach)
        return breach


def unfinished_breaches(store: Store, states: tuple[str, ...]) -> list[int]:
    with store.session() as session:
        return list(
            session.scalars(
                select(MonitorBreachRow.id)
                .where(MonitorBreachRow.state.in_(states))
                .order_by(MonitorBreachRow.id)
            )
        )


def breaches_of(session: Session, monitor_id: int, limit: int = 20) -> list[MonitorBreachRow]:
    return list(
        session.scalars(
            select(MonitorBreachRow)
            .where(MonitorBreachRow.monitor_id == monitor_id)
            .order_by(MonitorBreachRow.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class LoopSubject:
    """What the retrain loop of one breach works on: the breach as it is and its monitor."""

    breach_id: int
    state: str
    opened_at: datetime
    retrain_run_id: str | None
    model_version: str | None
    decision: str
    monitor_id: int
    monitor: str
    project_id: int
    slug: str
    deployment_id: int | None  # None: a data set's monitor (its loop ends with the run)
    endpoint: str | None
    window_hours: int
    metric: str | None
    retrain: dict[str, Any]
    webhook_url: str | None


def loop_subject(store: Store, breach_id: int) -> LoopSubject | None:
    """The breach and its monitor; None once either is gone (the monitor was deleted)."""
    with store.session() as session:
        found = session.execute(
            select(MonitorBreachRow, MonitorRow, ProjectRow.slug, DeploymentRow.name)
            .join(MonitorRow, MonitorRow.id == MonitorBreachRow.monitor_id)
            .join(ProjectRow, ProjectRow.id == MonitorRow.project_id)
            .outerjoin(DeploymentRow, DeploymentRow.id == MonitorRow.deployment_id)
            .where(MonitorBreachRow.id == breach_id)
        ).one_or_none()
        if found is None:
            return None
        breach, monitor, slug, endpoint = found
        return LoopSubject(
            breach_id=breach.id,
            state=breach.state,
            opened_at=breach.opened_at,
            retrain_run_id=breach.retrain_run_id,
            model_version=breach.model_version,
            decision=breach.decision,
            monitor_id=monitor.id,
            monitor=monitor.name,
            project_id=monitor.project_id,
            slug=slug,
            deployment_id=monitor.deployment_id,
            endpoint=endpoint,
            window_hours=monitor.window_hours,
            metric=monitor.metric,
            retrain=dict(monitor.retrain or {}),
            webhook_url=monitor.webhook_url,
        )


def claim_retrain_run(store: Store, breach_id: int, run_id: str) -> bool:
    """Record the breach's retrain run, unless one is recorded: one run per breach."""
    with store.session() as session:
        taken = session.execute(
            update(MonitorBreachRow)
            .where(
                MonitorBreachRow.id == breach_id,
                MonitorBreachRow.state == "retraining",
                MonitorBreachRow.retrain_run_id.is_(None),
            )
            .values(retrain_run_id=run_id)
        ).rowcount
        if taken != 1:
            session.rollback()
            return False
        breach = session.get(MonitorBreachRow, breach_id)
        assert breach is not None
        breach.steps = [*breach.steps, step("retraining", f"retrain run {run_id} started")]
        session.commit()
        return True
