"""A project's identity outlives its slug: ids are never reused, history stays with its project."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from scalelab.runs.records import Run, now
from scalelab.store import Store
from scalelab.store import projects as repo
from scalelab.store.runs import ProjectGone, ProjectRuns


def _record(run_id: str) -> Run:
    return Run(id=run_id, kind="notebook", target="a.ipynb", workdir=".", status="running")


def test_a_deleted_projects_id_is_never_given_to_the_next(store: Store) -> None:
    with store.session() as s:
        first = repo.create_project(s, "first", "First", "alice")
    with store.session() as s:
        repo.delete_project(s, repo.get_project(s, "first"), "alice", "trash/first.tar.gz")
    with store.session() as s:
        second = repo.create_project(s, "second", "Second", "erin")
    assert second.id > first.id


def test_a_run_written_after_its_project_was_deleted_is_refused(
    store: Store, tmp_path: Path
) -> None:
    with store.session() as s:
        project = repo.create_project(s, "delrun", "D", "alice")
    runs = ProjectRuns(store, project.id, tmp_path / "delrun")
    record = _record("r1")
    runs.save(record)
    with store.session() as s:
        repo.delete_project(s, repo.get_project(s, "delrun"), "alice", "trash/delrun.tar.gz")
    with store.session() as s:
        repo.create_project(s, "afterdel", "A", "erin")
    record.status = "succeeded"
    with pytest.raises(ProjectGone):
        runs.save(record)
    with store.session() as s:
        after = repo.get_project(s, "afterdel")
        assert ProjectRuns(store, after.id, tmp_path / "afterdel").list() == []
        assert s.execute(text("SELECT count(*) FROM runs")).scalar() == 0


def test_recreating_a_slug_does_not_read_the_old_history(store: Store) -> None:
    with store.session() as s:
        old = repo.create_project(s, "again", "Old", "alice")
        repo.set_member(s, old, "user", "bob", "viewer", "alice")
        old_id = old.id
    with store.session() as s:
        repo.delete_project(s, repo.get_project(s, "again"), "alice", "trash/again.tar.gz")
    with store.session() as s:
        new = repo.create_project(s, "again", "New", "mallory")
        events = repo.audit_events(s, new.id)
        assert [(e.action, e.actor) for e in events] == [("project.create", "mallory")]
        assert [e.action for e in repo.audit_events(s, old_id)] == [
            "project.delete",
            "member.add",
            "project.create",
        ]


def test_upgrading_an_existing_database_keeps_its_rows(db_url: str) -> None:
    """The SQLite rebuild of `projects` must not cascade to members, runs and schedules."""
    store = Store(db_url)
    try:
        store.upgrade("0004")
        created = now() - timedelta(days=1)
        with store.engine.begin() as c:
            for slug in ("kept", "gone"):
                c.execute(
                    text(
                        "INSERT INTO projects (slug, title, created_at, created_by)"
                        " VALUES (:slug, 'T', :at, 'alice')"
                    ),
                    {"slug": slug, "at": created},
                )
            c.execute(
                text(
                    "INSERT INTO memberships (project_id, kind, name, role, added_at, added_by)"
                    " SELECT id, 'user', 'alice', 'owner', :at, 'alice' FROM projects"
                    " WHERE slug = 'kept'"
                ),
                {"at": created},
            )
            # History of "kept", and of an earlier "kept" deleted before this one was made.
            for slug, at, action in (
                ("kept", created - timedelta(days=3), "project.delete"),
                ("kept", created, "project.create"),
            ):
                c.execute(
                    text(
                        "INSERT INTO audit_events (at, actor, project, action, details)"
                        " VALUES (:at, 'alice', :slug, :action, '{}')"
                    ),
                    {"at": at, "slug": slug, "action": action},
                )
        store.upgrade()
        with store.session() as s:
            kept = repo.get_project(s, "kept")
            assert [m.name for m in repo.members(s, kept)] == ["alice"]
            assert [e.action for e in repo.audit_events(s, kept.id)] == ["project.create"]
            gone = repo.get_project(s, "gone")
            gone_id = gone.id
            repo.delete_project(s, gone, "alice", "x")
        with store.session() as s:
            assert repo.create_project(s, "next", "N", "erin").id > gone_id
        with store.engine.connect() as c:
            # Foreign keys are enforced again after the migration.
            if store.backend == "sqlite":
                assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.dispose()
