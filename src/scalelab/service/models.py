"""Pydantic models of the REST API. The TypeScript client in extension/src/api.ts mirrors them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_PREFERENCES_BYTES = 64 * 1024


class ErrorModel(BaseModel):
    """The body of every error response."""

    status: int
    message: str
    request_id: str | None = None


class UserModel(BaseModel):
    """The authenticated caller."""

    name: str
    kind: Literal["user", "service"]
    admin: bool = Field(description="JupyterHub admin: may do everything in every project")
    groups: list[str]


class DatabaseHealth(BaseModel):
    ok: bool
    backend: str = Field(description="sqlite or postgresql")
    error: str | None = None


class HealthModel(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    database: DatabaseHealth


class PreferencesModel(BaseModel):
    """Free-form settings of one user, such as the project last opened in the panel."""

    model_config = ConfigDict(extra="forbid")

    preferences: dict[str, Any]

    @field_validator("preferences")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        size = len(json.dumps(value))
        if size > MAX_PREFERENCES_BYTES:
            raise ValueError(
                f"preferences take {size} bytes as JSON, "
                f"more than the {MAX_PREFERENCES_BYTES} allowed"
            )
        return value


Role = Literal["viewer", "runner", "editor", "deployer", "owner"]
PrincipalKind = Literal["user", "group"]
TemplateName = Literal["empty", "example"]


class ProjectModel(BaseModel):
    slug: str
    title: str
    archived: bool
    created_at: datetime
    created_by: str
    my_role: Role | None = Field(
        description="The caller's role; null for a JupyterHub admin who is not a member"
    )
    workspace: str = Field(description="Folder of the project in JupyterLab's file browser")


class ProjectList(BaseModel):
    projects: list[ProjectModel]


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: str = Field(description="3-40 characters: lowercase letters, digits and dashes")
    title: str | None = Field(default=None, max_length=200)
    template: TemplateName = "empty"


class ProjectUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)


class DeletedProject(BaseModel):
    slug: str
    archive: str = Field(description="Where the workspace was archived before deletion")


class MemberModel(BaseModel):
    kind: PrincipalKind
    name: str
    role: Role


class MemberList(BaseModel):
    members: list[MemberModel]


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class AuditEvent(BaseModel):
    id: int
    at: datetime
    actor: str
    project: str
    action: str
    details: dict[str, Any]


class AuditList(BaseModel):
    events: list[AuditEvent]
