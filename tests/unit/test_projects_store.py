"""Projects, members and audit in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from scalelab.errors import Conflict, NotFound
from scalelab.identity import Identity
from scalelab.store import Store
from scalelab.store import projects as repo


def test_creator_owns_and_duplicates_conflict(store: Store) -> None:
    with store.session() as s:
        repo.create_project(s, "churn", "Churn", "alice")
    with pytest.raises(Conflict), store.session() as s:
        repo.create_project(s, "churn", "Again", "bob")
    with store.session() as s:
        project = repo.get_project(s, "churn")
        assert project is not None and project.title == "Churn"
        assert repo.role_in(s, project, Identity("alice")) == "owner"
        assert repo.role_in(s, project, Identity("bob")) is None


def test_roles_through_groups_take_the_highest(store: Store) -> None:
    with store.session() as s:
        project = repo.create_project(s, "fraud", "Fraud", "alice")
        repo.set_member(s, project, "user", "bob", "viewer", "alice")
        repo.set_member(s, project, "group", "analysts", "editor", "alice")
    with store.session() as s:
        project = repo.get_project(s, "fraud")
        assert repo.role_in(s, project, Identity("bob")) == "viewer"
        assert repo.role_in(s, project, Identity("bob", groups=("analysts",))) == "editor"
        assert repo.role_in(s, project, Identity("carol", groups=("analysts",))) == "editor"
        views = repo.projects_for(s, Identity("carol", groups=("analysts",)))
        assert [(v.project.slug, v.role) for v in views] == [("fraud", "editor")]
        assert repo.projects_for(s, Identity("dave")) == []
        admin_views = repo.projects_for(s, Identity("root", admin=True))
        assert [(v.project.slug, v.role) for v in admin_views] == [("fraud", None)]


def test_a_project_keeps_a_user_owner(store: Store) -> None:
    with store.session() as s:
        project = repo.create_project(s, "solo", "Solo", "alice")
        repo.set_member(s, project, "group", "admins", "owner", "alice")
    with pytest.raises(Conflict, match="at least one owner"), store.session() as s:
        repo.remove_member(s, repo.get_project(s, "solo"), "user", "alice", "alice")
    with pytest.raises(Conflict, match="at least one owner"), store.session() as s:
        repo.set_member(s, repo.get_project(s, "solo"), "user", "alice", "viewer", "alice")
    with store.session() as s:
        project = repo.get_project(s, "solo")
        repo.set_member(s, project, "user", "bob", "owner", "alice")
        repo.remove_member(s, project, "user", "alice", "bob")  # fine: bob owns it now
    with pytest.raises(NotFound), store.session() as s:
        repo.remove_member(s, repo.get_project(s, "solo"), "user", "nobody", "bob")


def test_audit_records_every_change_and_survives_deletion(store: Store) -> None:
    with store.session() as s:
        project = repo.create_project(s, "audited", "A", "alice")
        project_id = project.id
        repo.set_member(s, project, "user", "bob", "viewer", "alice")
        repo.set_member(s, project, "user", "bob", "editor", "alice")
        repo.remove_member(s, project, "user", "bob", "alice")
        repo.set_archived(s, project, True, "alice")
        repo.set_archived(s, project, False, "alice")
        repo.delete_project(s, project, "alice", "trash/audited.tar.gz")
    with store.session() as s:
        assert repo.get_project(s, "audited") is None
        events = repo.audit_events(s, project_id)
    assert [e.action for e in reversed(events)] == [
        "project.create",
        "member.add",
        "member.role",
        "member.remove",
        "project.archive",
        "project.restore",
        "project.delete",
    ]
    assert events[4].details == {"kind": "user", "name": "bob", "old": "viewer", "new": "editor"}
    assert all(e.actor == "alice" for e in events)
