"""Pydantic models of the REST API. The TypeScript client in extension/src/api.ts mirrors them."""

from __future__ import annotations

import json
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
