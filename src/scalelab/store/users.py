"""Users as ScaleLab has seen them: refreshed on each authenticated request, with preferences."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..identity import Identity
from .models import UserRow, utcnow


def touch_user(session: Session, identity: Identity) -> UserRow:
    """Record that `identity` was seen now, creating its row the first time."""
    record = session.scalar(select(UserRow).where(UserRow.name == identity.name))
    if record is None:
        record = UserRow(name=identity.name, kind=identity.kind, preferences={})
        session.add(record)
    record.admin = identity.admin
    record.last_seen = utcnow()
    session.flush()
    return record


def get_preferences(session: Session, identity: Identity) -> dict[str, Any]:
    return dict(touch_user(session, identity).preferences)


def set_preferences(session: Session, identity: Identity, preferences: dict[str, Any]) -> None:
    """Replace the preferences of `identity` as a whole."""
    touch_user(session, identity).preferences = dict(preferences)
