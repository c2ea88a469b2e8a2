"""Model deployments (endpoints), their history and their client keys, in the service database.

Like the other store modules these functions add and flush, and leave the commit to the caller.
A key is given to its creator once: only its sha256 digest is kept, so a key is found by the
digest of what a client sends.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Conflict
from .models import (
    DeploymentEventRow,
    DeploymentRow,
    EndpointKeyRow,
    PredictionLabelRow,
    ProjectRow,
    utcnow,
)

STOPPED = "stopped"
KEY_PREFIX = "slkey_"
SHOWN_PREFIX = 12  # characters of a key kept to tell keys apart in lists

# What update_deployment may change: the rest is the endpoint's identity or set by the store.
UPDATABLE = frozenset(
    {
        "state",
        "blue",
        "green",
        "previous",
        "green_share",
        "min_replicas",
        "max_replicas",
        "replicas",
        "request_log_rate",
    }
)

# The lengths of the event columns (models.DeploymentEventRow).
_MESSAGE_LENGTH, _VERSION_LENGTH, _ACTOR_LENGTH = 2000, 200, 200


def create_deployment(
    session: Session,
    project_id: int,
    name: str,
    *,
    blue: dict[str, Any] | None = None,
    green: dict[str, Any] | None = None,
    state: str,
    min_replicas: int,
    max_replicas: int,
    replicas: int,
    created_by: str | None,
    request_log_rate: float = 0.0,
) -> DeploymentRow:
    """A new endpoint `name` in the project; Conflict if the project has one of that name."""
    if get_deployment(session, project_id, name) is not None:
        raise Conflict(f"an endpoint named {name!r} exists already in this project")
    now = utcnow()
    row = DeploymentRow(
        project_id=project_id,
        name=name,
        state=state,
        blue=blue,
        green=green,
        previous=None,
        green_share=0,
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        replicas=replicas,
        request_log_rate=request_log_rate,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # created by someone else between the check and the insert
        raise Conflict(f"an endpoint named {name!r} exists already in this project") from None
    return row


def get_deployment(session: Session, project_id: int, name: str) -> DeploymentRow | None:
    return session.scalar(
        select(DeploymentRow).where(
            DeploymentRow.project_id == project_id, DeploymentRow.name == name
        )
    )


def deployment_by_id(session: Session, deployment_id: int) -> DeploymentRow | None:
    return session.get(DeploymentRow, deployment_id)


def list_deployments(session: Session, project_id: int) -> list[DeploymentRow]:
    """The endpoints of a project, by name."""
    return list(
        session.scalars(
            select(DeploymentRow)
            .where(DeploymentRow.project_id == project_id)
            .order_by(DeploymentRow.name)
        ).all()
    )


def all_live_deployments(session: Session) -> list[tuple[DeploymentRow, str]]:
    """Every endpoint not stopped, with its project's slug: what the service brings back at
    start. By project slug, then name."""
    return [
        (row, slug)
        for row, slug in session.execute(
            select(DeploymentRow, ProjectRow.slug)
            .join(ProjectRow, ProjectRow.id == DeploymentRow.project_id)
            .where(DeploymentRow.state != STOPPED)
            .order_by(ProjectRow.slug, DeploymentRow.name)
        ).all()
    ]


def update_deployment(session: Session, row: DeploymentRow, **fields: Any) -> DeploymentRow:
    """Set `fields` (names in UPDATABLE) on `row`, and its updated_at."""
    unknown = sorted(set(fields) - UPDATABLE)
    if unknown:
        raise ValueError(f"not fields of a deployment that can be updated: {', '.join(unknown)}")
    for field, value in fields.items():
        setattr(row, field, value)
    row.updated_at = utcnow()
    session.flush()
    return row


def delete_deployment(session: Session, row: DeploymentRow) -> None:
    """Delete an endpoint; its events and keys go with it (ON DELETE CASCADE)."""
    session.delete(row)
    session.flush()


def _one_line(text: str, length: int) -> str:
    line = " ".join(part.strip() for part in text.splitlines() if part.strip())
    return line if len(line) <= length else line[: length - 1] + "…"


def record_event(
    session: Session,
    deployment_id: int,
    kind: str,
    actor: str,
    message: str,
    *,
    version: str | None = None,
    details: dict[str, Any] | None = None,
) -> DeploymentEventRow:
    """Add an event to an endpoint's history. The message is made one line (its lines joined
    by spaces) and cut to fit its column, as are the actor and version."""
    event = DeploymentEventRow(
        deployment_id=deployment_id,
        at=utcnow(),
        kind=kind,
        actor=_one_line(actor, _ACTOR_LENGTH),
        version=None if version is None else _one_line(version, _VERSION_LENGTH),
        message=_one_line(message, _MESSAGE_LENGTH),
        details=details,
    )
    session.add(event)
    session.flush()
    return event


def list_events(
    session: Session, deployment_id: int, *, limit: int = 200, before_id: int | None = None
) -> list[DeploymentEventRow]:
    """An endpoint's history, newest first; with `before_id`, the events that come after that
    one in this order (the next page)."""
    query = select(DeploymentEventRow).where(DeploymentEventRow.deployment_id == deployment_id)
    if before_id is not None:
        before = session.get(DeploymentEventRow, before_id)
        if before is None or before.deployment_id != deployment_id:
            query = query.where(DeploymentEventRow.id < before_id)
        else:
            query = query.where(
                or_(
                    DeploymentEventRow.at < before.at,
                    and_(DeploymentEventRow.at == before.at, DeploymentEventRow.id < before.id),
                )
            )
    return list(
        session.scalars(
            query.order_by(DeploymentEventRow.at.desc(), DeploymentEventRow.id.desc()).limit(limit)
        ).all()
    )


def _digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_key(
    session: Session, deployment_id: int, label: str, created_by: str
) -> tuple[EndpointKeyRow, str]:
    """A new key for an endpoint: the row, and the key itself (shown once, never stored)."""
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    row = EndpointKeyRow(
        deployment_id=deployment_id,
        label=label,
        prefix=plaintext[:SHOWN_PREFIX],
        digest=_digest(plaintext),
        created_by=created_by,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row, plaintext


def list_keys(session: Session, deployment_id: int) -> list[EndpointKeyRow]:
    """An endpoint's keys, revoked ones included, newest first."""
    return list(
        session.scalars(
            select(EndpointKeyRow)
            .where(EndpointKeyRow.deployment_id == deployment_id)
            .order_by(EndpointKeyRow.created_at.desc(), EndpointKeyRow.id.desc())
        ).all()
    )


def revoke_key(session: Session, deployment_id: int, key_id: int) -> EndpointKeyRow | None:
    """Revoke a key of this endpoint (None if it has no such key). Revoking again keeps the
    time of the first."""
    row = session.get(EndpointKeyRow, key_id)
    if row is None or row.deployment_id != deployment_id:
        return None
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def key_for(session: Session, plaintext: str) -> EndpointKeyRow | None:
    """The key, not revoked, that `plaintext` is. Looked up by digest: no secret is compared."""
    if not plaintext.startswith(KEY_PREFIX):
        return None
    return session.scalar(
        select(EndpointKeyRow).where(
            EndpointKeyRow.digest == _digest(plaintext), EndpointKeyRow.revoked_at.is_(None)
        )
    )


def touch_key(session: Session, row: EndpointKeyRow) -> None:
    """Record that the key was used now."""
    row.last_used_at = utcnow()
    session.flush()


def put_labels(session: Session, deployment_id: int, labels: dict[str, Any], actor: str) -> int:
    """Store the ground truth of predictions by request id; a label posted again replaces
    the earlier one. Returns how many were stored."""
    existing = {
        row.request_id: row
        for row in session.scalars(
            select(PredictionLabelRow).where(
                PredictionLabelRow.deployment_id == deployment_id,
                PredictionLabelRow.request_id.in_(list(labels)),
            )
        )
    }
    now = utcnow()
    for request_id, label in labels.items():
        row = existing.get(request_id)
        if row is None:
            session.add(
                PredictionLabelRow(
                    deployment_id=deployment_id,
                    request_id=request_id,
                    label=label,
                    labelled_by=actor,
                    labelled_at=now,
                )
            )
        else:
            row.label, row.labelled_by, row.labelled_at = label, actor, now
    session.flush()
    return len(labels)


def labels_for(session: Session, deployment_id: int, request_ids: list[str]) -> dict[str, Any]:
    """The labels posted for these requests (those that have one)."""
    found: dict[str, Any] = {}
    for start in range(0, len(request_ids), 500):  # bounded IN lists
        chunk = request_ids[start : start + 500]
        for request_id, label in session.execute(
            select(PredictionLabelRow.request_id, PredictionLabelRow.label).where(
                PredictionLabelRow.deployment_id == deployment_id,
                PredictionLabelRow.request_id.in_(chunk),
            )
        ):
            found[request_id] = label
    return found
