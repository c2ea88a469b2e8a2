"""Engine, sessions and schema upgrades for the service database (SQLite or PostgreSQL)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The database could not be reached or is not at the schema this code expects."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run while the scheduler writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Store:
    """One database: opened by URL, upgraded by alembic, used through short sessions."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = make_url(url)
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.backend == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.backend == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql` (the dialect, without the driver)."""
        return self.url.get_backend_name()

    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option(
            "script_location", str(resources.files("scalelab.store") / "migrations")
        )
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to `revision`, creating the database objects on first use."""
        with self._migrating() as config:
            command.upgrade(config, revision)

    def downgrade(self, revision: str) -> None:
        with self._migrating() as config:
            command.downgrade(config, revision)

    @contextmanager
    def _migrating(self) -> Iterator[Config]:
        """An alembic config holding one connection, in a transaction committed at the end.

        SQLite rebuilds a table to change it; with foreign keys on, dropping the old copy would
        cascade to every row that refers to it. So they are off while migrating (the pragma
        only takes effect outside a transaction), checked, and back on for the connection.
        """
        config = self._alembic_config()
        with self.engine.connect() as connection:
            sqlite = self.backend == "sqlite"
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            try:
                with connection.begin():
                    config.attributes["connection"] = connection
                    yield config
                    if sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                        if broken:
                            raise StoreError(f"migration left broken references: {broken[:5]}")
            finally:
                if sqlite:
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    connection.commit()

    def current_revision(self) -> str | None:
        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def ping(self) -> str | None:
        """None when the database answers at the expected schema, else why not."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                current = MigrationContext.configure(connection).get_current_revision()
        except SQLAlchemyError as exc:
            return f"database unreachable: {exc.__class__.__name__}"
        head = self.head_revision()
        if current != head:
            return f"database schema at {current}, expected {head}"
        return None

    def new_session(self) -> Session:
        """A session the caller closes; for work that spans a request."""
        return self._sessions()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
