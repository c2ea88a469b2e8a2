"""Webhook deliveries of notifications, in the service database.

A delivery is pending while `webhook_next_at` is set. A process claims a due one by moving
that time past the end of its attempt in one conditional UPDATE: of several processes sharing
the database only the first gets it, and one that dies while sending leaves it to be taken
again once that time has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from .db import Store
from .models import NotificationRow

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True)
class Delivery:
    """A pending webhook: where it goes, what it says, how many attempts it had."""

    notification_id: int
    url: str
    attempts: int
    level: str
    title: str
    message: str
    links: dict[str, Any]
    run_id: str | None
    schedule_id: int | None


def claim_due(store: Store, now: datetime, until: datetime, limit: int = 20) -> list[Delivery]:
    """Deliveries due at `now` that this process now owns until `until`."""
    claimed: list[Delivery] = []
    with store.session() as session:
        rows = session.scalars(
            select(NotificationRow)
            .where(NotificationRow.webhook_next_at <= now, NotificationRow.webhook == PENDING)
            .order_by(NotificationRow.webhook_next_at)
            .limit(limit)
        ).all()
        for row in rows:
            result = session.execute(
                update(NotificationRow)
                .where(
                    NotificationRow.id == row.id,
                    NotificationRow.webhook == PENDING,
                    NotificationRow.webhook_next_at == row.webhook_next_at,
                )
                .values(webhook_next_at=until)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1 or not row.webhook_url:  # type: ignore[attr-defined]
                continue
            claimed.append(
                Delivery(
                    notification_id=row.id,
                    url=row.webhook_url,
                    attempts=row.webhook_attempts,
                    level=row.level,
                    title=row.title,
                    message=row.message,
                    links=dict(row.links),
                    run_id=row.run_id,
                    schedule_id=row.schedule_id,
                )
            )
    return claimed


def next_attempt_at(store: Store) -> datetime | None:
    """When the earliest pending delivery is due (an index lookup)."""
    with store.session() as session:
        return session.scalar(select(func.min(NotificationRow.webhook_next_at)))


def record_attempt(
    store: Store,
    notification_id: int,
    *,
    state: str,
    detail: str,
    attempts: int,
    next_at: datetime | None = None,
) -> None:
    """The outcome of an attempt: delivered, failed for good, or pending until `next_at`."""
    with store.session() as session:
        session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == notification_id)
            .values(
                webhook=state,
                webhook_detail=detail[:255],
                webhook_attempts=attempts,
                webhook_next_at=next_at if state == PENDING else None,
            )
        )


def release(store: Store, notification_id: int, now: datetime) -> None:
    """Hand back a claimed delivery whose attempt was cut short (the service is stopping)."""
    with store.session() as session:
        session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == notification_id, NotificationRow.webhook == PENDING)
            .values(webhook_next_at=now)
        )
