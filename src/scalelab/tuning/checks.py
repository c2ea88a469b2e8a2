"""tune()'s arguments, checked before anything starts: one-line TypeError / ValueError."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DIRECTIONS = ("minimize", "maximize")


def check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")
    return value


def check_objective(objective: Any) -> None:
    if not callable(objective):
        raise TypeError(
            f"objective must be a function taking an optuna Trial, got {type(objective).__name__}"
        )


def check_direction(direction: Any) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
    return str(direction)


def check_timeout(timeout: Any) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"timeout must be seconds (a number) or None, got {type(timeout).__name__}")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    return float(timeout)


def study_name_for(study_name: Any, objective: Any) -> str:
    """The given name, or a new one from the objective's name and the time (never resumed)."""
    if study_name is None:
        base = re.sub(r"[^\w.-]", "", getattr(objective, "__name__", "")) or "study"
        return f"{base}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    if not isinstance(study_name, str) or not study_name.strip():
        raise ValueError(f"study_name must be a non-empty string, got {study_name!r}")
    return study_name


def storage_url_of(storage: Any) -> str | None:
    """A database URL from `storage` (None: the project's default)."""
    import optuna

    if storage is None:
        return None
    if isinstance(storage, str):
        if not storage.strip():
            raise ValueError("storage must be a database URL, got an empty string")
        return _shareable(storage.strip())
    if isinstance(storage, optuna.storages.RDBStorage):
        return str(storage.url)
    raise TypeError(
        "storage must be a database URL (sqlite:///..., postgresql+psycopg://...) "
        f"that worker processes can open, got {type(storage).__name__}"
    )


def _shareable(url: str) -> str:
    """`url` as every worker can open it: a relative SQLite path made absolute."""
    import sqlalchemy

    try:
        parsed = sqlalchemy.engine.make_url(url)
    except sqlalchemy.exc.ArgumentError:
        raise ValueError(f"storage is not a database URL: {url!r}") from None
    if parsed.get_backend_name() != "sqlite":
        return url
    if parsed.database in (None, "", ":memory:"):
        raise ValueError("an in-memory SQLite database cannot be shared by worker processes")
    path = Path(parsed.database)
    if path.is_absolute():
        return url
    return parsed.set(database=str(Path.cwd() / path)).render_as_string(hide_password=False)
