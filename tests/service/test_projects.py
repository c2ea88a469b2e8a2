"""Projects over HTTP: lifecycle, groups as members, audit, and bad input that changes nothing."""

from __future__ import annotations

import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scalelab.service.models import AuditList, MemberList, ProjectList, ProjectModel
from tests.hubctl import Hub
from tests.service.conftest import EXTRA, OUTSIDER, ROLE_USERS, Caller, new_slug
from tests.waiting import wait_until

pytestmark = pytest.mark.hub
OWNER = ROLE_USERS["owner"]


def snapshot(hub: Hub, callers: dict[str, Caller]) -> tuple[Any, ...]:
    """Everything a bad request must leave alone: projects, members, audit, folders."""
    admin = callers["admin"]
    projects = admin("GET", "api/projects").json()
    detail = {
        p["slug"]: (
            admin("GET", f"api/projects/{p['slug']}/members").json(),
            admin("GET", f"api/projects/{p['slug']}/audit").json(),
        )
        for p in projects["projects"]
    }
    root = hub.data_root / "workspaces"
    folders = sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []
    return projects, detail, folders


@pytest.fixture
def unchanged(hub: Hub, callers: dict[str, Caller]) -> Callable[[], None]:
    before = snapshot(hub, callers)

    def check() -> None:
        assert snapshot(hub, callers) == before

    return check


def test_lifecycle_from_creation_to_deletion(hub: Hub, callers: dict[str, Caller]) -> None:
    owner, slug = callers[OWNER], new_slug("life")
    r = owner("POST", "api/projects", json={"slug": slug, "title": "Life", "template": "empty"})
    assert r.status_code == 201
    made = ProjectModel.model_validate(r.json())
    assert (made.my_role, made.workspace, made.archived) == ("owner", f"projects/{slug}", False)
    workspace = hub.data_root / "workspaces" / slug
    assert (workspace / "README.md").exists()

    listed = ProjectList.model_validate(owner("GET", "api/projects").json())
    assert slug in [p.slug for p in listed.projects]
    outsider = ProjectList.model_validate(callers[OUTSIDER]("GET", "api/projects").json())
    assert slug not in [p.slug for p in outsider.projects]

    assert owner("PATCH", f"api/projects/{slug}", json={"title": "Renamed"}).json()["title"] == (
        "Renamed"
    )
    assert owner("POST", f"api/projects/{slug}/archive", json={}).json()["archived"] is True
    refused = owner("PATCH", f"api/projects/{slug}", json={"title": "x"})
    assert refused.status_code == 409 and "archived" in refused.json()["message"]
    assert owner("POST", f"api/projects/{slug}/archive", json={}).status_code == 409
    assert owner("POST", f"api/projects/{slug}/restore", json={}).json()["archived"] is False

    (workspace / "data.csv").write_text("a,b\n1,2\n")
    gone = owner("DELETE", f"api/projects/{slug}?confirm={slug}")
    assert gone.status_code == 200, gone.text
    archive = hub.data_root / gone.json()["archive"]
    with tarfile.open(archive) as tar:  # recoverable: the files are in the archive
        assert f"{slug}/data.csv" in tar.getnames()
    assert not workspace.exists()
    assert owner("GET", f"api/projects/{slug}").status_code == 404
    audit = callers["admin"]("GET", f"api/projects/{slug}/audit")
    assert audit.status_code == 404  # the project is gone; its events stay in the database


def test_example_template_copies_the_example_project(hub: Hub, callers: dict[str, Caller]) -> None:
    slug = new_slug("ex")
    r = callers[OWNER]("POST", "api/projects", json={"slug": slug, "template": "example"})
    assert r.status_code == 201, r.text
    copied = {p.name for p in (hub.data_root / "workspaces" / slug).iterdir()}
    source = {p.name for p in (Path(__file__).parents[2] / "notebooks").iterdir()}
    assert copied == source - {".ipynb_checkpoints", "data", "models", "reports", ".scalelab-runs"}


def test_group_members_get_the_group_role(hub: Hub, callers: dict[str, Caller]) -> None:
    group = new_slug("team")
    hub.api("POST", f"groups/{group}").raise_for_status()
    hub.api("POST", f"groups/{group}/users", json={"users": [OUTSIDER]}).raise_for_status()
    owner, slug = callers[OWNER], new_slug("grp")
    owner("POST", "api/projects", json={"slug": slug})
    outsider = callers[OUTSIDER]
    assert outsider("GET", f"api/projects/{slug}").status_code == 404
    r = owner("PUT", f"api/projects/{slug}/members/group/{group}", json={"role": "editor"})
    assert r.status_code == 200, r.text
    # Group memberships come from the hub, cached by the service for a few seconds.
    wait_until(
        lambda: outsider("GET", f"api/projects/{slug}").status_code != 404,
        10,
        0.5,
        "group membership not seen within 10 s",
    )
    assert outsider("GET", f"api/projects/{slug}").json()["my_role"] == "editor"
    assert outsider("PATCH", f"api/projects/{slug}", json={"title": "by group"}).status_code == 200
    members = MemberList.model_validate(owner("GET", f"api/projects/{slug}/members").json())
    assert ("group", group, "editor") in [(m.kind, m.name, m.role) for m in members.members]


def test_owners_read_the_audit_log(callers: dict[str, Caller], project: str) -> None:
    owner = callers[OWNER]
    owner("PUT", f"api/projects/{project}/members/user/{EXTRA}", json={"role": "deployer"})
    owner("DELETE", f"api/projects/{project}/members/user/{EXTRA}")
    owner("POST", f"api/projects/{project}/archive", json={})
    events = AuditList.model_validate(owner("GET", f"api/projects/{project}/audit").json()).events
    assert [e.action for e in events[:3]] == ["project.archive", "member.remove", "member.role"]
    assert events[2].details == {"kind": "user", "name": EXTRA, "old": "viewer", "new": "deployer"}
    assert {e.actor for e in events} == {OWNER}
    assert events[-1].action == "project.create"


@pytest.mark.parametrize(
    "slug",
    ["ab", "a" * 41, "Churn", "-churn", "churn-", "ch_urn", "ch urn", "../etc", "", "ch/urn"],
)
def test_invalid_slugs_are_refused(
    callers: dict[str, Caller], unchanged: Callable[[], None], slug: str
) -> None:
    r = callers[OWNER]("POST", "api/projects", json={"slug": slug})
    assert r.status_code == 400
    assert "invalid project slug" in r.json()["message"]
    assert "3-40" in r.json()["message"]
    unchanged()


@pytest.mark.parametrize(
    ("request_", "status", "fragment"),
    [
        (("POST", "api/projects", {"json": {"slug": "dup-target"}}), 409, "exists already"),
        (
            ("POST", "api/projects", {"json": {"slug": "okslug", "template": "nope"}}),
            400,
            "template",
        ),
        (("POST", "api/projects", {"json": {"slug": "x" * 5000}}), 400, "invalid project slug"),
        (("POST", "api/projects", {"data": b"{" + b" " * 2_000_000 + b"}"}), 413, "limit"),
        (
            ("PUT", "api/projects/{p}/members/user/nobody-here", {"json": {"role": "viewer"}}),
            400,
            "no JupyterHub user named 'nobody-here'",
        ),
        (
            ("PUT", "api/projects/{p}/members/group/no-group", {"json": {"role": "viewer"}}),
            400,
            "no JupyterHub group named",
        ),
        (
            ("PUT", "api/projects/{p}/members/user/" + EXTRA, {"json": {"role": "boss"}}),
            400,
            "role",
        ),
        (
            ("PUT", "api/projects/{p}/members/user/" + OWNER, {"json": {"role": "editor"}}),
            409,
            "at least one owner",
        ),
        (("DELETE", "api/projects/{p}/members/user/" + OWNER, {}), 409, "at least one owner"),
        (("DELETE", "api/projects/{p}", {}), 400, "confirm"),
        (("DELETE", "api/projects/{p}?confirm=other", {}), 400, "confirm"),
        (("GET", "api/projects/..%2F..%2Fetc", {}), 404, "no project named"),
        (("GET", "api/projects/%2e%2e%2f%2e%2e%2fetc/members", {}), 404, "no project named"),
        (("PATCH", "api/projects/{p}", {"json": {"title": ""}}), 400, "title"),
    ],
)
def test_bad_input_gets_a_clear_4xx_and_changes_nothing(
    hub: Hub,
    callers: dict[str, Caller],
    request_: tuple[str, str, dict[str, Any]],
    status: int,
    fragment: str,
) -> None:
    owner = callers[OWNER]
    if owner("GET", "api/projects/dup-target").status_code == 404:
        owner("POST", "api/projects", json={"slug": "dup-target"})
    slug = "dup-target"
    before = snapshot(hub, callers)
    method, path, kwargs = request_
    r = owner(method, path.replace("{p}", slug), **kwargs)
    assert r.status_code == status, r.text
    assert fragment in r.json()["message"]
    assert snapshot(hub, callers) == before
