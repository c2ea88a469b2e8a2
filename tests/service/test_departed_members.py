"""Memberships follow hub accounts: a deleted account's projects do not pass to a new one."""

from __future__ import annotations

import pytest

from tests.hubctl import Hub
from tests.service.conftest import ROLE_USERS, Caller, new_slug
from tests.waiting import wait_until

pytestmark = pytest.mark.hub
OWNER = ROLE_USERS["owner"]


def _as(hub: Hub, user: str) -> Caller:
    return Caller(hub, hub.token_for(user))


def _member_project(hub: Hub, owner: Caller, user: str) -> str:
    slug = new_slug("leavers")
    assert owner("POST", "api/projects", json={"slug": slug}).status_code == 201
    hub.ensure_user(user)
    r = owner("PUT", f"api/projects/{slug}/members/user/{user}", json={"role": "editor"})
    assert r.status_code == 200, r.text
    assert _as(hub, user)("GET", f"api/projects/{slug}").status_code == 200
    return slug


def test_a_new_account_with_a_deleted_ones_name_inherits_nothing(
    hub: Hub, callers: dict[str, Caller]
) -> None:
    user = new_slug("leaver")
    slug = _member_project(hub, callers[OWNER], user)
    hub.api("DELETE", f"users/{user}").raise_for_status()
    hub.api("POST", f"users/{user}").raise_for_status()  # at once: before any sweep
    newcomer = _as(hub, user)
    assert newcomer("GET", f"api/projects/{slug}").status_code == 404
    assert slug not in [p["slug"] for p in newcomer("GET", "api/projects").json()["projects"]]
    r = newcomer("POST", f"api/projects/{slug}/runs", json={"target": "x.ipynb"})
    assert r.status_code == 404


def test_deleting_a_hub_account_removes_its_memberships_with_an_audit_entry(
    hub: Hub, callers: dict[str, Caller]
) -> None:
    owner = callers[OWNER]
    user = new_slug("gone")
    slug = _member_project(hub, owner, user)
    hub.api("DELETE", f"users/{user}").raise_for_status()

    def names_once_removed() -> list[str] | None:
        members = owner("GET", f"api/projects/{slug}/members").json()["members"]
        names = [m["name"] for m in members]
        # Never empty once removed (the owner stays), so the list itself tells the wait it is.
        return None if user in names else names

    names = wait_until(names_once_removed, 60, 1, "the deleted account is still a member")
    events = owner("GET", f"api/projects/{slug}/audit").json()["events"]
    removal = next(e for e in events if e["action"] == "member.remove")
    assert removal["actor"] == "jupyterhub"
    assert removal["details"]["name"] == user
    assert "deleted" in removal["details"]["reason"]
    # The owner is untouched.
    assert OWNER in names


def test_adding_someone_not_yet_in_the_hub_says_how_to_add_them(
    callers: dict[str, Caller],
) -> None:
    owner = callers[OWNER]
    slug = new_slug("invite")
    assert owner("POST", "api/projects", json={"slug": slug}).status_code == 201
    r = owner(
        "PUT", f"api/projects/{slug}/members/user/{new_slug('nobody')}", json={"role": "viewer"}
    )
    assert r.status_code == 400
    assert "Add Users" in r.json()["message"]
