"""Projects, their members and the audit log, in the service database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound
from ..identity import Identity
from ..roles import RoleName, highest
from .models import AuditRow, MembershipRow, ProjectRow, utcnow


@dataclass(frozen=True)
class ProjectView:
    """A project as one caller sees it: with that caller's role (None: admin, not a member)."""

    project: ProjectRow
    role: RoleName | None


def record_audit(
    session: Session, actor: str, project: ProjectRow, action: str, **details: Any
) -> AuditRow:
    """Add an event to `project`'s history (flushed already, so that it has its id)."""
    event = AuditRow(
        actor=actor, project_id=project.id, project=project.slug, action=action, details=details
    )
    session.add(event)
    return event


def _principal_filter(identity: Identity) -> Any:
    """Memberships that apply to `identity`: as itself, or through one of its groups."""
    as_user = and_(MembershipRow.kind == "user", MembershipRow.name == identity.name)
    if identity.since is not None:
        as_user = and_(as_user, MembershipRow.added_at >= identity.since)
    clauses = [as_user]
    if identity.groups:
        clauses.append(and_(MembershipRow.kind == "group", MembershipRow.name.in_(identity.groups)))
    return or_(*clauses)


def get_project(session: Session, slug: str) -> ProjectRow | None:
    return session.scalar(select(ProjectRow).where(ProjectRow.slug == slug))


def project_by_id(session: Session, project_id: int) -> ProjectRow | None:
    return session.get(ProjectRow, project_id)


def project_with_role(
    session: Session, slug: str, identity: Identity
) -> tuple[ProjectRow | None, RoleName | None]:
    """The project and the caller's role in it (None if not a member), in one query."""
    rows = session.execute(
        select(ProjectRow, MembershipRow.role)
        .outerjoin(
            MembershipRow,
            and_(MembershipRow.project_id == ProjectRow.id, _principal_filter(identity)),
        )
        .where(ProjectRow.slug == slug)
    ).all()
    if not rows:
        return None, None
    return rows[0][0], highest([role for _, role in rows if role is not None])


def role_in(session: Session, project: ProjectRow, identity: Identity) -> RoleName | None:
    roles = session.scalars(
        select(MembershipRow.role).where(
            MembershipRow.project_id == project.id, _principal_filter(identity)
        )
    ).all()
    return highest(list(roles))  # type: ignore[arg-type]


def projects_for(session: Session, identity: Identity) -> list[ProjectView]:
    """The projects `identity` is a member of (every project, for a hub admin), by slug."""
    rows = session.execute(
        select(ProjectRow, MembershipRow.role)
        .join(MembershipRow)
        .where(_principal_filter(identity))
    ).all()
    roles: dict[int, list[RoleName]] = {}
    projects: dict[int, ProjectRow] = {}
    for project, role in rows:
        projects[project.id] = project
        roles.setdefault(project.id, []).append(role)
    if identity.admin:
        for project in session.scalars(select(ProjectRow)).all():
            projects.setdefault(project.id, project)
    views = [ProjectView(p, highest(roles.get(pid, []))) for pid, p in projects.items()]
    return sorted(views, key=lambda v: v.project.slug)


def create_project(session: Session, slug: str, title: str, owner: str) -> ProjectRow:
    if get_project(session, slug) is not None:
        raise Conflict(f"a project named {slug!r} exists already")
    project = ProjectRow(slug=slug, title=title, created_by=owner)
    project.members.append(MembershipRow(kind="user", name=owner, role="owner", added_by=owner))
    session.add(project)
    try:
        session.flush()
    except IntegrityError:  # created by someone else between the check and the insert
        raise Conflict(f"a project named {slug!r} exists already") from None
    record_audit(session, owner, project, "project.create", title=title)
    return project


def rename_project(session: Session, project: ProjectRow, title: str, actor: str) -> None:
    record_audit(session, actor, project, "project.rename", old=project.title, new=title)
    project.title = title


def set_archived(session: Session, project: ProjectRow, archived: bool, actor: str) -> None:
    if archived == (project.archived_at is not None):
        state = "archived" if archived else "not archived"
        raise Conflict(f"project {project.slug!r} is already {state}")
    project.archived_at = utcnow() if archived else None
    record_audit(session, actor, project, "project.archive" if archived else "project.restore")


def delete_project(session: Session, project: ProjectRow, actor: str, kept_in: str) -> None:
    record_audit(session, actor, project, "project.delete", archive=kept_in)
    session.delete(project)


def members(session: Session, project: ProjectRow) -> list[MembershipRow]:
    return list(
        session.scalars(
            select(MembershipRow)
            .where(MembershipRow.project_id == project.id)
            .order_by(MembershipRow.kind.desc(), MembershipRow.name)
        ).all()
    )


def _find_member(
    session: Session, project: ProjectRow, kind: str, name: str
) -> MembershipRow | None:
    return session.scalar(
        select(MembershipRow).where(
            MembershipRow.project_id == project.id,
            MembershipRow.kind == kind,
            MembershipRow.name == name,
        )
    )


def _check_keeps_an_owner(session: Session, project: ProjectRow, leaving: int) -> None:
    # Only user owners count: a group may be empty, and then nobody could manage the project.
    owners = session.scalars(
        select(MembershipRow.id).where(
            MembershipRow.project_id == project.id,
            MembershipRow.kind == "user",
            MembershipRow.role == "owner",
            MembershipRow.id != leaving,
        )
    ).all()
    if not owners:
        raise Conflict(f"project {project.slug!r} must keep at least one owner (a user)")


def set_member(
    session: Session, project: ProjectRow, kind: str, name: str, role: RoleName, actor: str
) -> MembershipRow:
    """Add a member, or change the role of an existing one."""
    member = _find_member(session, project, kind, name)
    if member is None:
        member = MembershipRow(kind=kind, name=name, role=role, added_by=actor)
        project.members.append(member)
        record_audit(session, actor, project, "member.add", kind=kind, name=name, role=role)
    elif member.role != role:
        if member.role == "owner" and kind == "user":
            _check_keeps_an_owner(session, project, leaving=member.id)
        record_audit(
            session,
            actor,
            project,
            "member.role",
            kind=kind,
            name=name,
            old=member.role,
            new=role,
        )
        member.role = role
    session.flush()
    return member


def remove_member(session: Session, project: ProjectRow, kind: str, name: str, actor: str) -> None:
    member = _find_member(session, project, kind, name)
    if member is None:
        raise NotFound(f"{kind} {name!r} is not a member of project {project.slug!r}")
    if member.role == "owner" and kind == "user":
        _check_keeps_an_owner(session, project, leaving=member.id)
    record_audit(session, actor, project, "member.remove", kind=kind, name=name, role=member.role)
    session.delete(member)


def audit_events(session: Session, project_id: int, limit: int = 500) -> list[AuditRow]:
    return list(
        session.scalars(
            select(AuditRow)
            .where(AuditRow.project_id == project_id)
            .order_by(AuditRow.id.desc())
            .limit(limit)
        ).all()
    )


@dataclass(frozen=True)
class Departed:
    """A membership of a hub account that is gone, and why it counts as gone."""

    membership_id: int
    name: str
    reason: str


def departed_members(session: Session, accounts: dict[str, datetime | None]) -> list[Departed]:
    """User memberships whose account is not in `accounts` (name -> created), or was made
    after the membership was granted (an earlier account of that name was deleted)."""
    found = []
    for member in session.scalars(select(MembershipRow).where(MembershipRow.kind == "user")):
        if member.name not in accounts:
            found.append(Departed(member.id, member.name, "account deleted in JupyterHub"))
            continue
        created = accounts[member.name]
        if created is not None and member.added_at < created:
            found.append(Departed(member.id, member.name, "account made anew in JupyterHub"))
    return found


def remove_departed(session: Session, departed: Departed) -> str | None:
    """Remove one departed membership, with an audit entry; the project's slug, if it went."""
    member = session.get(MembershipRow, departed.membership_id)
    if member is None:
        return None
    project = member.project
    record_audit(
        session,
        "jupyterhub",
        project,
        "member.remove",
        kind="user",
        name=member.name,
        role=member.role,
        reason=departed.reason,
    )
    session.delete(member)
    return project.slug


def writable_slug(session: Session, project_id: int) -> str:
    """The project's slug, if it may be changed: it exists and is not archived."""
    project = project_by_id(session, project_id)
    if project is None:
        raise Conflict("the project no longer exists")
    if project.archived_at is not None:
        raise Conflict(f"project {project.slug!r} is archived; restore it first")
    return project.slug
