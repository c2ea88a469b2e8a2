"""Projects, members and the audit log. Authorization happens once, in ProjectScoped.prepare."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy.orm import Session

from .. import store
from ..errors import Conflict, Forbidden, InvalidInput, NotFound
from ..roles import ROLE_GRANTS, RoleName, includes
from ..store import projects as repo
from ..workspaces import SLUG, check_slug
from .handlers import BaseHandler
from .models import (
    AuditEvent,
    AuditList,
    DeletedProject,
    MemberList,
    MemberModel,
    MemberUpdate,
    ProjectCreate,
    ProjectList,
    ProjectModel,
    ProjectUpdate,
)
from .openapi import Operation

TAGS = ("projects",)


def project_model(project: store.ProjectRow, role: RoleName | None) -> ProjectModel:
    return ProjectModel(
        slug=project.slug,
        title=project.title,
        archived=project.archived_at is not None,
        created_at=project.created_at,
        created_by=project.created_by,
        my_role=role,
        workspace=f"projects/{project.slug}",
    )


class ProjectsHandler(BaseHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "Projects I am a member of (all of them for a hub admin)", ProjectList, tags=TAGS
        ),
        "post": Operation(
            "Create a project; the caller becomes its owner",
            ProjectModel,
            body=ProjectCreate,
            errors=(401, 403, 409),
            tags=TAGS,
            status=201,
        ),
    }

    def get(self) -> None:
        with self.app.store.session() as session:
            views = repo.projects_for(session, self.identity)
            body = ProjectList(projects=[project_model(v.project, v.role) for v in views])
        self.write_model(body)

    async def post(self) -> None:
        body = self.parse_body(ProjectCreate)
        slug = check_slug(body.slug)
        if self.identity.kind != "user":
            raise Forbidden("projects are owned by users; a service cannot create one")
        project = await self.app.projects.create(
            slug, body.title or slug, self.identity.name, body.template
        )
        self.write_model(project_model(project, "owner"), status=201)


class ProjectScoped(BaseHandler):
    """A handler under api/projects/{slug}: the project exists and the caller holds the role.

    A caller who is not a member gets 404, as if the project did not exist; a member without
    the role the operation declares gets 403 naming that role. The request's database session
    (`self.db`) and project (`self.project`) are ready for the handler method.
    """

    slug: str
    role: RoleName | None
    project: store.ProjectRow
    db: Session | None = None

    async def prepare(self) -> None:
        await super().prepare()
        self.slug = self.path_kwargs["slug"]
        self.db = self.app.store.new_session()
        project, self.role = (
            repo.project_with_role(self.db, self.slug, self.identity)
            if SLUG.match(self.slug)
            else (None, None)
        )
        if project is None or (self.role is None and not self.identity.admin):
            raise NotFound(f"no project named {self.slug!r}")
        self.project = project
        needed = self.operations[self.request.method.lower()].role  # type: ignore[union-attr]
        if needed and not self.identity.admin and not includes(self.role, needed):
            raise Forbidden(
                f"this needs the {needed} role in project {self.slug!r} "
                f"({ROLE_GRANTS[needed]}); you are {self.role}"
            )

    def on_finish(self) -> None:
        if self.db is not None:
            self.db.close()  # rolls back whatever the handler did not commit

    def commit(self) -> None:
        assert self.db is not None
        self.db.commit()

    def refuse_if_archived(self) -> None:
        if self.project.archived_at is not None:
            raise Conflict(f"project {self.slug!r} is archived; restore it first")


class ProjectHandler(ProjectScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("One project", ProjectModel, role="viewer", tags=TAGS),
        "patch": Operation(
            "Change the title",
            ProjectModel,
            body=ProjectUpdate,
            role="editor",
            errors=(401, 403, 409),
            tags=TAGS,
        ),
        "delete": Operation(
            "Delete the project; its workspace is archived to the trash first",
            DeletedProject,
            role="owner",
            errors=(401, 403),
            tags=TAGS,
            query=("confirm",),
        ),
    }

    def get(self, slug: str) -> None:
        self.write_model(project_model(self.project, self.role))

    def patch(self, slug: str) -> None:
        body = self.parse_body(ProjectUpdate)
        project = self.app.projects.rename(self.project.id, body.title, self.identity.name)
        self.write_model(project_model(project, self.role))

    async def delete(self, slug: str) -> None:
        if self.get_query_argument("confirm", "") != slug:
            raise InvalidInput(f"to delete project {slug!r}, confirm with ?confirm={slug}")
        kept = await self.app.projects.delete(self.project.id, self.identity.name)
        self.write_model(DeletedProject(slug=slug, archive=kept))


class ProjectArchiveHandler(ProjectScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "post": Operation(
            "Archive: the project becomes read-only",
            ProjectModel,
            role="owner",
            errors=(401, 403, 409),
            tags=TAGS,
        ),
    }
    archived = True

    async def post(self, slug: str) -> None:
        project = await self.app.projects.set_archived(
            self.project.id, self.archived, self.identity.name
        )
        self.write_model(project_model(project, self.role))


class ProjectRestoreHandler(ProjectArchiveHandler):
    operations: ClassVar[dict[str, Operation]] = {
        "post": Operation(
            "Restore an archived project",
            ProjectModel,
            role="owner",
            errors=(401, 403, 409),
            tags=TAGS,
        ),
    }
    archived = False


class MembersHandler(ProjectScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation("Members and their roles", MemberList, role="viewer", tags=TAGS),
    }

    def get(self, slug: str) -> None:
        members = repo.members(self.db, self.project)
        self.write_model(
            MemberList(
                members=[MemberModel(kind=m.kind, name=m.name, role=m.role) for m in members]
            )
        )


class MemberHandler(ProjectScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "put": Operation(
            "Add a member, or change a member's role",
            MemberModel,
            body=MemberUpdate,
            role="owner",
            errors=(401, 403, 409),
            tags=TAGS,
        ),
        "delete": Operation(
            "Remove a member", None, role="owner", errors=(401, 403, 409), tags=TAGS, status=204
        ),
    }

    async def put(self, slug: str, kind: str, name: str) -> None:
        body = self.parse_body(MemberUpdate)
        lookup = self.app.directory.user if kind == "user" else self.app.directory.group
        if await lookup(name) is None:
            hint = (
                " (people appear in the hub at their first login; to add someone before that, a"
                " hub admin adds the name under Admin > Add Users)"
                if kind == "user"
                else ""
            )
            raise InvalidInput(f"no JupyterHub {kind} named {name!r}{hint}")
        member = await self.app.projects.set_member(
            self.project.id, kind, name, body.role, self.identity.name
        )
        self.write_model(MemberModel(kind=member.kind, name=member.name, role=member.role))

    async def delete(self, slug: str, kind: str, name: str) -> None:
        await self.app.projects.remove_member(self.project.id, kind, name, self.identity.name)
        self.set_status(204)
        self.finish()


class AuditHandler(ProjectScoped):
    operations: ClassVar[dict[str, Operation]] = {
        "get": Operation(
            "Membership, role, archive and delete events, newest first",
            AuditList,
            role="owner",
            tags=TAGS,
        ),
    }

    def get(self, slug: str) -> None:
        events = [
            AuditEvent(
                id=e.id,
                at=e.at,
                actor=e.actor,
                project=e.project,
                action=e.action,
                details=e.details,
            )
            for e in repo.audit_events(self.db, self.project.id)
        ]
        self.write_model(AuditList(events=events))
