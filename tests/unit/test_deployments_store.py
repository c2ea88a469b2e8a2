"""Deployments, their events, client keys and prediction labels in the store, on SQLite and
PostgreSQL."""

from __future__ import annotations

import hashlib
import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from scalelab.errors import Conflict
from scalelab.store import Store, projects
from scalelab.store import deployments as repo
from scalelab.store.models import Base, DeploymentEventRow, DeploymentRow, EndpointKeyRow

NEW_TABLES = {"deployments", "deployment_events", "endpoint_keys", "prediction_labels"}
BLUE = {"model_uri": "models:/churn/3", "model_name": "churn", "version": "3", "run_id": "r1"}


def _project(store: Store, slug: str) -> int:
    with store.session() as s:
        return projects.create_project(s, slug, slug.title(), "alice").id


def _deploy(store: Store, project_id: int, name: str, **fields) -> int:
    defaults = {
        "state": "starting",
        "min_replicas": 1,
        "max_replicas": 2,
        "replicas": 1,
        "created_by": "alice",
    }
    with store.session() as s:
        return repo.create_deployment(s, project_id, name, **{**defaults, **fields}).id


def _new_tables_only(obj, name, type_, reflected, compare_to) -> bool:
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return table is None or table.name in NEW_TABLES


def test_migration_matches_the_models(store: Store) -> None:
    assert set(inspect(store.engine).get_table_names()) >= NEW_TABLES
    with store.engine.connect() as c:
        opts = {"compare_type": True, "include_object": _new_tables_only}
        assert compare_metadata(MigrationContext.configure(c, opts=opts), Base.metadata) == []
    store.downgrade("0006")
    assert not NEW_TABLES & set(inspect(store.engine).get_table_names())
    store.upgrade()
    assert set(inspect(store.engine).get_table_names()) >= NEW_TABLES


def test_create_get_list(store: Store) -> None:
    pid = _project(store, "churn")
    with store.session() as s:
        row = repo.create_deployment(
            s,
            pid,
            "scorer",
            blue=BLUE,
            state="starting",
            min_replicas=1,
            max_replicas=3,
            replicas=2,
            created_by="alice",
            request_log_rate=0.25,
        )
        dep_id = row.id
    _deploy(store, pid, "alpha")
    with store.session() as s:
        row = repo.get_deployment(s, pid, "scorer")
        assert row is not None and row.id == dep_id
        assert row.blue == BLUE and row.green is None and row.previous is None
        assert (row.state, row.green_share, row.replicas, row.max_replicas) == ("starting", 0, 2, 3)
        assert row.request_log_rate == 0.25 and row.created_by == "alice"
        assert row.created_at.tzinfo is not None and row.updated_at == row.created_at
        assert repo.deployment_by_id(s, dep_id) is not None
        assert repo.deployment_by_id(s, dep_id + 1000) is None
        assert repo.get_deployment(s, pid, "nothing") is None
        assert [r.name for r in repo.list_deployments(s, pid)] == ["alpha", "scorer"]
        # No green is SQL NULL, not a JSON null.
        nulls = s.scalar(select(func.count()).where(DeploymentRow.green.is_(None)))
        assert nulls == 2


def test_names_are_unique_per_project(store: Store) -> None:
    churn, fraud = _project(store, "churn"), _project(store, "fraud")
    _deploy(store, churn, "scorer")
    with pytest.raises(Conflict, match="scorer"), store.session() as s:
        repo.create_deployment(
            s,
            churn,
            "scorer",
            state="starting",
            min_replicas=1,
            max_replicas=1,
            replicas=1,
            created_by="bob",
        )
    _deploy(store, fraud, "scorer")  # the same name in another project is fine
    with store.session() as s:
        assert [r.name for r in repo.list_deployments(s, churn)] == ["scorer"]
        assert [r.name for r in repo.list_deployments(s, fraud)] == ["scorer"]


def test_update_sets_updated_at_and_refuses_unknown_fields(store: Store) -> None:
    pid = _project(store, "churn")
    dep_id = _deploy(store, pid, "scorer")
    with store.session() as s:
        before = repo.deployment_by_id(s, dep_id).updated_at
    time.sleep(0.01)
    green = {**BLUE, "version": "4"}
    with store.session() as s:
        row = repo.deployment_by_id(s, dep_id)
        repo.update_deployment(
            s, row, state="live", green=green, green_share=10, previous=BLUE, blue=None
        )
    with store.session() as s:
        row = repo.deployment_by_id(s, dep_id)
        assert row.updated_at > before and row.created_at == before
        assert (row.state, row.green, row.green_share) == ("live", green, 10)
        assert row.previous == BLUE and row.blue is None
        for bad in ({"colour": "red"}, {"id": 7}, {"project_id": 2}, {"name": "x"}):
            with pytest.raises(ValueError, match=next(iter(bad))):
                repo.update_deployment(s, row, state="baking", **bad)
        assert row.state == "live"  # nothing set when a field is refused


def test_events_newest_first_with_pages_and_one_line_messages(store: Store) -> None:
    pid = _project(store, "churn")
    dep_id, other = _deploy(store, pid, "scorer"), _deploy(store, pid, "other")
    with store.session() as s:
        for i in range(5):
            repo.record_event(s, dep_id, "scale", "autoscaler", f"event {i}")
        repo.record_event(s, other, "deploy", "alice", "elsewhere")
        long = repo.record_event(
            s,
            dep_id,
            "failed",
            "service",
            "first line\n  second line\r\n\nthird " + "x" * 3000,
            version="churn/3",
            details={"exit": 1},
        )
        long_id = long.id
    with store.session() as s:
        events = repo.list_events(s, dep_id)
        assert [e.message[:7] for e in events] == [
            "first l",
            "event 4",
            "event 3",
            "event 2",
            "event 1",
            "event 0",
        ]
        first = events[0]
        assert first.id == long_id and "\n" not in first.message and "\r" not in first.message
        assert first.message.startswith("first line second line third xxx")
        assert len(first.message) == 2000 and first.message.endswith("…")
        assert (first.version, first.details, first.kind) == ("churn/3", {"exit": 1}, "failed")
        assert events[1].version is None and events[1].details is None
        page = repo.list_events(s, dep_id, limit=2)
        assert [e.message for e in page[1:]] == ["event 4"]
        after = repo.list_events(s, dep_id, limit=2, before_id=page[-1].id)
        assert [e.message for e in after] == ["event 3", "event 2"]
        rest = repo.list_events(s, dep_id, before_id=after[-1].id)
        assert [e.message for e in rest] == ["event 1", "event 0"]
        assert repo.list_events(s, dep_id, before_id=rest[-1].id) == []
        assert [e.message for e in repo.list_events(s, other)] == ["elsewhere"]


def test_keys_are_kept_as_digests_only(store: Store) -> None:
    pid = _project(store, "churn")
    dep_id = _deploy(store, pid, "scorer")
    with store.session() as s:
        row, plaintext = repo.create_key(s, dep_id, "ci", "alice")
        key_id = row.id
    assert plaintext.startswith("slkey_") and len(plaintext) > 40
    with store.session() as s:
        row = s.get(EndpointKeyRow, key_id)
        assert row.prefix == plaintext[:12] and row.label == "ci" and row.created_by == "alice"
        assert row.digest == hashlib.sha256(plaintext.encode()).hexdigest()
        assert row.revoked_at is None and row.last_used_at is None
        # Nothing but the shown prefix of the key is anywhere in the database.
        secret = plaintext[12:]
        for table in Base.metadata.sorted_tables:
            for values in s.execute(select(table)).all():
                for value in values:
                    assert secret not in str(value), f"the key is in {table.name}"
        found = repo.key_for(s, plaintext)
        assert found is not None and found.id == key_id
        assert repo.key_for(s, plaintext + "x") is None
        assert repo.key_for(s, "not-a-key") is None
        repo.touch_key(s, found)
    with store.session() as s:
        assert s.get(EndpointKeyRow, key_id).last_used_at is not None


def test_revoked_keys_are_not_found_and_keep_the_first_time(store: Store) -> None:
    pid = _project(store, "churn")
    dep_id, other = _deploy(store, pid, "scorer"), _deploy(store, pid, "other")
    with store.session() as s:
        first, first_plain = repo.create_key(s, dep_id, "first", "alice")
        second, second_plain = repo.create_key(s, dep_id, "second", "bob")
        first_id, second_id = first.id, second.id
    with store.session() as s:
        assert repo.revoke_key(s, other, first_id) is None  # not a key of that endpoint
        assert repo.revoke_key(s, dep_id, 10_000) is None
        revoked = repo.revoke_key(s, dep_id, first_id)
        assert revoked is not None and revoked.revoked_at is not None
        at = revoked.revoked_at
    time.sleep(0.01)
    with store.session() as s:
        assert repo.revoke_key(s, dep_id, first_id).revoked_at == at
    with store.session() as s:
        assert s.get(EndpointKeyRow, first_id).revoked_at == at
        assert repo.key_for(s, first_plain) is None
        assert repo.key_for(s, second_plain).id == second_id
        assert [k.label for k in repo.list_keys(s, dep_id)] == ["second", "first"]
        assert repo.list_keys(s, other) == []


def test_deleting_cascades_to_events_and_keys(store: Store) -> None:
    pid = _project(store, "churn")
    kept = _project(store, "kept")
    dep_id, kept_dep = _deploy(store, pid, "scorer"), _deploy(store, kept, "scorer")
    gone_id = _deploy(store, pid, "gone")
    with store.session() as s:
        for deployment in (dep_id, kept_dep, gone_id):
            repo.record_event(s, deployment, "deploy", "alice", "created")
            repo.create_key(s, deployment, "k", "alice")
    with store.session() as s:
        repo.delete_deployment(s, repo.deployment_by_id(s, gone_id))
    with store.session() as s:
        assert repo.list_events(s, gone_id) == [] and repo.list_keys(s, gone_id) == []
        projects.delete_project(s, projects.get_project(s, "churn"), "alice", "trash/churn")
    with store.session() as s:
        assert s.scalars(select(DeploymentRow.id)).all() == [kept_dep]
        assert s.scalars(select(DeploymentEventRow.deployment_id)).all() == [kept_dep]
        assert s.scalars(select(EndpointKeyRow.deployment_id)).all() == [kept_dep]
        counts = s.execute(
            text(
                "SELECT (SELECT count(*) FROM deployments), (SELECT count(*) FROM"
                " deployment_events), (SELECT count(*) FROM endpoint_keys)"
            )
        ).one()
        assert tuple(counts) == (1, 1, 1)


def test_all_live_deployments_skip_stopped_ones_and_give_the_slug(store: Store) -> None:
    churn, fraud = _project(store, "churn"), _project(store, "fraud")
    _deploy(store, churn, "b-live", state="live")
    _deploy(store, churn, "a-baking", state="baking")
    stopped = _deploy(store, fraud, "stopped", state="live")
    _deploy(store, fraud, "failed", state="failed")
    with store.session() as s:
        repo.update_deployment(s, repo.deployment_by_id(s, stopped), state="stopped")
    with store.session() as s:
        live = repo.all_live_deployments(s)
        assert [(slug, row.name, row.state) for row, slug in live] == [
            ("churn", "a-baking", "baking"),
            ("churn", "b-live", "live"),
            ("fraud", "failed", "failed"),
        ]
        assert all(isinstance(row, DeploymentRow) for row, _ in live)


def test_labels_are_kept_per_request_and_replaced_when_posted_again(store: Store) -> None:
    pid = _project(store, "churn")
    dep_id, other = _deploy(store, pid, "scorer"), _deploy(store, pid, "other")
    with store.session() as s:
        assert repo.put_labels(s, dep_id, {"r1": 1, "r2": [0, 1], "r3": "cat"}, "alice") == 3
        repo.put_labels(s, other, {"r1": 0}, "bob")
    with store.session() as s:
        assert repo.put_labels(s, dep_id, {"r1": 0}, "bob") == 1  # a correction
    with store.session() as s:
        wanted = ["r1", "r2", "r3", "r4", *[f"x{i}" for i in range(1200)]]
        assert repo.labels_for(s, dep_id, wanted) == {"r1": 0, "r2": [0, 1], "r3": "cat"}
        assert repo.labels_for(s, other, ["r1"]) == {"r1": 0}
        repo.delete_deployment(s, repo.deployment_by_id(s, dep_id))
    with store.session() as s:
        assert repo.labels_for(s, dep_id, ["r1"]) == {}
