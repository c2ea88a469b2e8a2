"""Persistence: SQLAlchemy models and alembic migrations. The only package that talks SQL."""

from .db import Store, StoreError
from .models import Base, UserRecord
from .users import get_preferences, set_preferences, touch_user

__all__ = [
    "Base",
    "Store",
    "StoreError",
    "UserRecord",
    "get_preferences",
    "set_preferences",
    "touch_user",
]
