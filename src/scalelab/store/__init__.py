"""Persistence: SQLAlchemy models and alembic migrations. The only package that talks SQL."""

from . import deployments, projects
from .db import Store, StoreError
from .models import AuditRow, Base, MembershipRow, ProjectRow, UserRow
from .users import get_preferences, set_preferences, touch_user

__all__ = [
    "AuditRow",
    "Base",
    "MembershipRow",
    "ProjectRow",
    "Store",
    "StoreError",
    "UserRow",
    "deployments",
    "get_preferences",
    "projects",
    "set_preferences",
    "touch_user",
]
