"""Monitors, their checks and breaches in the store, on SQLite and PostgreSQL: a check time
is claimed once, a breach opens once per monitor, and a loop step is taken once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from scalelab.errors import Conflict
from scalelab.monitoring.policy import FINAL
from scalelab.store import Store, projects
from scalelab.store import deployments as deployments_repo
from scalelab.store import monitors as repo
from scalelab.store.models import Base

NEW_TABLES = {"monitors", "monitor_checks", "monitor_breaches"}
T0 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def _new_tables_only(obj, name, type_, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return table is None or table.name in NEW_TABLES


def _monitor(store: Store, name: str = "drift", retrain: dict | None = None) -> int:  # type: ignore[type-arg]
    with store.session() as s:
        project = projects.get_project(s, "churn") or projects.create_project(
            s, "churn", "Churn", "alice"
        )
        deployment = deployments_repo.get_deployment(s, project.id, "churn") or (
            deployments_repo.create_deployment(
                s,
                project.id,
                "churn",
                state="live",
                min_replicas=1,
                max_replicas=1,
                replicas=1,
                created_by="alice",
            )
        )
        row = repo.create_monitor(
            s,
            project_id=project.id,
            deployment_id=deployment.id,
            name=name,
            cron="0 * * * *",
            timezone="UTC",
            window_hours=24,
            thresholds={},
            drifted_columns=1,
            min_rows=100,
            retrain=retrain,
            next_check_at=T0,
            created_by="alice",
        )
        s.commit()
        return row.id


def _hourly(row, now):  # type: ignore[no-untyped-def]
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def test_migration_matches_the_models(store: Store) -> None:
    assert set(inspect(store.engine).get_table_names()) >= NEW_TABLES
    with store.engine.connect() as c:
        opts = {"compare_type": True, "include_object": _new_tables_only}
        assert compare_metadata(MigrationContext.configure(c, opts=opts), Base.metadata) == []
    store.downgrade("0008")
    assert not NEW_TABLES & set(inspect(store.engine).get_table_names())
    store.upgrade()
    assert set(inspect(store.engine).get_table_names()) >= NEW_TABLES


def test_names_are_unique_per_project(store: Store) -> None:
    _monitor(store)
    with pytest.raises(Conflict, match="exists"):
        _monitor(store)


def test_a_check_time_is_claimed_once_and_the_monitor_moves_on(store: Store) -> None:
    monitor_id = _monitor(store)
    assert repo.take_due(store, T0 - timedelta(seconds=1), _hourly) == []
    first = repo.take_due(store, T0 + timedelta(seconds=5), _hourly)
    assert [(c.monitor_id, c.due, c.slug, c.endpoint) for c in first] == [
        (monitor_id, T0, "churn", "churn")
    ]
    # A second taker (another service process) finds nothing: the time moved on.
    assert repo.take_due(store, T0 + timedelta(seconds=6), _hourly) == []
    assert repo.next_due(store) == T0 + timedelta(hours=1)
    # A stop during the check closes it at the next start, with the reason.
    assert repo.close_unfinished_checks(store) == 1
    with store.session() as s:
        (check,) = repo.checks_of(s, monitor_id)
        assert (check.status, check.message) == ("error", "the service stopped during the check")


def test_one_breach_per_monitor_until_a_check_passes_after_the_loop(store: Store) -> None:
    monitor_id = _monitor(store, retrain={"target": "t.ipynb", "model_name": "m"})
    (c1,) = repo.take_due(store, T0, _hourly)
    breach = repo.open_breach(store, monitor_id, c1.check_id, "x drifted", "retraining")
    assert breach is not None and breach.state == "retraining"
    (c2,) = repo.take_due(store, T0 + timedelta(hours=1), _hourly)
    assert repo.open_breach(store, monitor_id, c2.check_id, "x drifted", "retraining") is None
    assert repo.join_breach(store, monitor_id, c2.check_id) == breach.id

    # A loop step is taken by one caller; the retrain run is recorded once.
    assert repo.claim_retrain_run(store, breach.id, "run-1")
    assert not repo.claim_retrain_run(store, breach.id, "run-2")
    assert repo.advance(store, breach.id, "retraining", "registering", "run-1 succeeded")
    assert not repo.advance(store, breach.id, "retraining", "registering", "again")
    assert repo.unfinished_breaches(store, ("registering",)) == [breach.id]

    # A passing check does not end a breach whose loop is under way; it does once it is over.
    assert not repo.close_breach(store, monitor_id, FINAL)
    assert repo.advance(store, breach.id, "registering", "failed", "no model", decision="failed")
    assert repo.close_breach(store, monitor_id, FINAL)
    found = repo.get_breach(store, breach.id)
    assert found is not None and found.closed_at is not None
    assert [s["state"] for s in found.steps] == [
        "breach",
        "retraining",
        "registering",
        "failed",
        "closed",
    ]
    subject = repo.loop_subject(store, breach.id)
    assert subject is not None and subject.retrain_run_id == "run-1"
    assert (subject.slug, subject.endpoint, subject.retrain["model_name"]) == (
        "churn",
        "churn",
        "m",
    )


def test_deleting_a_monitor_takes_its_history(store: Store) -> None:
    monitor_id = _monitor(store)
    (claim,) = repo.take_due(store, T0, _hourly)
    repo.finish_check(store, claim.check_id, "ok", "fine", {"rows": 3})
    with store.session() as s:
        row = repo.get_monitor(s, repo.list_monitors(s, 1)[0][0].project_id, "drift")
        assert row is not None and row.status == "ok"
        repo.delete_monitor(s, row)
        s.commit()
        assert repo.checks_of(s, monitor_id) == []
