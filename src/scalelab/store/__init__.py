"""Persistence: SQLAlchemy models and alembic migrations. The only package that talks SQL."""

from . import projects
from .db import Store, StoreError
from .models import AuditRecord, Base, MembershipRecord, ProjectRecord, UserRecord
from .users import get_preferences, set_preferences, touch_user

__all__ = [
    "AuditRecord",
    "Base",
    "MembershipRecord",
    "ProjectRecord",
    "Store",
    "StoreError",
    "UserRecord",
    "get_preferences",
    "projects",
    "set_preferences",
    "touch_user",
]
