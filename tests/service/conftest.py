"""Callers of the service, each with a hub token: one per project role, plus others."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import requests

from scalelab.roles import ROLES
from tests.hubctl import Hub

ROLE_USERS = {role: f"role-{role}" for role in ROLES}
OUTSIDER = "role-outsider"
EXTRA = "role-extra"
_slugs = itertools.count()


class Caller:
    def __init__(self, hub: Hub, token: str | None) -> None:
        self.hub = hub
        self.headers = {"Authorization": f"token {token}"} if token else {}

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method,
            self.hub.service_url + path.lstrip("/"),
            headers=self.headers,
            timeout=30,
            allow_redirects=False,
            **kwargs,
        )


@pytest.fixture(scope="session")
def callers(hub: Hub) -> dict[str, Caller]:
    return callers_of(hub)


def callers_of(hub: Hub) -> dict[str, Caller]:
    """Callers by name: each role's user, an outsider, the hub admin, and anonymous."""
    names = [*ROLE_USERS.values(), OUTSIDER, EXTRA]
    found = {name: Caller(hub, hub.token_for(name)) for name in names}
    found["admin"] = Caller(hub, hub.token_for("admin"))
    found["anonymous"] = Caller(hub, None)
    return found


def new_slug(prefix: str = "p") -> str:
    return f"{prefix}-{next(_slugs)}"


@pytest.fixture
def project(callers: dict[str, Caller]) -> str:
    return project_of(callers)


def project_of(callers: dict[str, Caller]) -> str:
    """A fresh project owned by role-owner with one user of each role (and role-extra)."""
    slug = new_slug()
    owner = callers[ROLE_USERS["owner"]]
    r = owner("POST", "api/projects", json={"slug": slug, "title": "Matrix"})
    assert r.status_code == 201, r.text
    for role, user in ROLE_USERS.items():
        if role != "owner":
            r = owner("PUT", f"api/projects/{slug}/members/user/{user}", json={"role": role})
            assert r.status_code == 200, r.text
    owner("PUT", f"api/projects/{slug}/members/user/{EXTRA}", json={"role": "viewer"})
    return slug
