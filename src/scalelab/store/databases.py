"""Databases ScaleLab makes for others: one per project for its MLflow server."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def ensure_database(url: str) -> None:
    """Make the database of `url` if it is missing: a SQLite file's folder, or a PostgreSQL
    database (created from the server's `postgres` database, with the URL's credentials)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return
    if parsed.get_backend_name() != "postgresql":
        return  # other servers: the database is made by whoever runs them
    name = parsed.database or ""
    engine = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if found is None:
                quoted = connection.dialect.identifier_preparer.quote_identifier(name)
                connection.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        engine.dispose()
