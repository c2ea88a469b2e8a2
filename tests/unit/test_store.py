"""The service database on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from scalelab.identity import Identity
from scalelab.store import Store, UserRow, get_preferences, set_preferences, touch_user


def test_upgrade_creates_schema_at_head(db_url: str) -> None:
    s = Store(db_url)
    assert s.current_revision() is None
    assert "schema at None" in (s.ping() or "")
    s.upgrade()
    assert s.current_revision() == s.head_revision()
    assert s.ping() is None
    assert "users" in inspect(s.engine).get_table_names()
    s.upgrade()  # a second upgrade is a no-op
    assert s.current_revision() == s.head_revision()
    s.dispose()


def test_downgrade_to_base_removes_tables(store: Store) -> None:
    store.downgrade("base")
    assert "users" not in inspect(store.engine).get_table_names()
    store.upgrade()
    assert "users" in inspect(store.engine).get_table_names()


def test_touch_user_creates_once_and_refreshes(store: Store) -> None:
    with store.session() as session:
        first = touch_user(session, Identity("alice"))
        first_seen, last_seen = first.first_seen, first.last_seen
    time.sleep(0.01)
    with store.session() as session:
        again = touch_user(session, Identity("alice", admin=True))
        assert again.first_seen == first_seen
        assert again.last_seen > last_seen
        assert again.admin is True
    with store.session() as session:
        assert len(session.scalars(select(UserRow)).all()) == 1


def test_user_names_are_unique(store: Store) -> None:
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(UserRow(name="bob", kind="user", admin=False, preferences={}))
        session.add(UserRow(name="bob", kind="user", admin=False, preferences={}))
    with store.session() as session:  # the failed transaction left nothing behind
        assert session.scalars(select(UserRow)).all() == []


def test_preferences_round_trip(store: Store) -> None:
    who = Identity("carol")
    with store.session() as session:
        assert get_preferences(session, who) == {}
        set_preferences(session, who, {"project": "churn", "nested": {"a": [1, 2]}})
    with store.session() as session:
        assert get_preferences(session, who) == {"project": "churn", "nested": {"a": [1, 2]}}


def test_ping_names_an_unreachable_database(tmp_path) -> None:
    from tests.hubctl import free_port

    s = Store(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none")
    assert "unreachable" in (s.ping() or "")
    s.dispose()
