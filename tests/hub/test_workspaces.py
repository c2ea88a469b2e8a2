"""Project workspaces in members' Jupyter servers: visible to members, writable by editors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.hubctl import Hub
from tests.waiting import wait_until

pytestmark = pytest.mark.hub
NOTEBOOK = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


class Lab:
    """A user's running Jupyter server, through the proxy, with that user's token."""

    def __init__(self, hub: Hub, user: str) -> None:
        self.base = hub.url + f"user/{user}/"
        self.headers = {"Authorization": f"token {hub.token_for(user)}"}

    def contents(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, self.base + "api/contents/" + path, headers=self.headers, timeout=30, **kwargs
        )

    def save(self, path: str) -> requests.Response:
        return self.contents("PUT", path, json={"type": "notebook", "content": NOTEBOOK})

    def service(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, self.base + "scalelab/" + path, headers=self.headers, timeout=30, **kwargs
        )


@pytest.fixture(scope="module")
def labs(hub: Hub) -> Iterator[tuple[Lab, Lab, str]]:
    """alice owns a project in which bob is a viewer; both have servers running."""
    for user in ("alice", "bob"):
        hub.start_server(user)
    alice, bob = Lab(hub, "alice"), Lab(hub, "bob")
    slug = "shared-ws"
    assert alice.service("POST", "api/projects", json={"slug": slug}).status_code == 201
    r = alice.service("PUT", f"api/projects/{slug}/members/user/bob", json={"role": "viewer"})
    assert r.status_code == 200
    yield alice, bob, slug
    for user in ("alice", "bob"):
        hub.stop_server(user)


def test_members_see_the_project_in_their_file_browser(labs: tuple[Lab, Lab, str]) -> None:
    alice, bob, slug = labs
    for lab in (alice, bob):
        listing = lab.contents("GET", "projects").json()
        assert slug in [item["name"] for item in listing["content"]]
        readme = lab.contents("GET", f"projects/{slug}/README.md").json()
        assert "New project" in readme["content"]


def test_a_project_created_right_after_a_listing_opens_at_once(
    labs: tuple[Lab, Lab, str],
) -> None:
    alice, _, _ = labs
    for attempt in range(3):  # each time within the half second after the server's last look
        assert alice.contents("GET", "projects").status_code == 200
        slug = f"right-after-{attempt}"
        assert alice.service("POST", "api/projects", json={"slug": slug}).status_code == 201
        r = alice.contents("GET", f"projects/{slug}")
        assert r.status_code == 200, r.text
        assert "README.md" in [item["name"] for item in r.json()["content"]]


def test_a_viewer_cannot_change_files_and_is_told_why(labs: tuple[Lab, Lab, str]) -> None:
    alice, bob, slug = labs
    assert alice.save(f"projects/{slug}/analysis.ipynb").status_code in (200, 201)
    assert bob.contents("GET", f"projects/{slug}/analysis.ipynb").json()["writable"] is False
    attempts = [
        bob.save(f"projects/{slug}/analysis.ipynb"),
        bob.save(f"projects/{slug}/new.ipynb"),
        bob.contents(
            "PATCH",
            f"projects/{slug}/analysis.ipynb",
            json={"path": f"projects/{slug}/renamed.ipynb"},
        ),
        bob.contents("DELETE", f"projects/{slug}/analysis.ipynb"),
        bob.contents("POST", f"projects/{slug}", json={"type": "notebook"}),
        bob.contents(
            "PUT",
            f"projects/{slug}/upload.txt",
            json={"type": "file", "format": "text", "content": "x"},
        ),
    ]
    for r in attempts:
        assert r.status_code == 403, r.text
        assert "needs the editor role" in r.json()["message"]
    names = {i["name"] for i in alice.contents("GET", f"projects/{slug}").json()["content"]}
    assert names == {"README.md", "analysis.ipynb"}
    # bob's own files are his to change as ever
    assert bob.save("mine.ipynb").status_code in (200, 201)


def test_promotion_to_editor_lets_the_member_write(labs: tuple[Lab, Lab, str]) -> None:
    alice, bob, slug = labs
    alice.service("PUT", f"api/projects/{slug}/members/user/bob", json={"role": "editor"})
    try:
        wait_until(lambda: bob.save(f"projects/{slug}/by-bob.ipynb").status_code != 403, 10, 0.5)
        assert alice.contents("GET", f"projects/{slug}/by-bob.ipynb").status_code == 200
    finally:
        alice.service("PUT", f"api/projects/{slug}/members/user/bob", json={"role": "viewer"})


def test_non_members_see_nothing(hub: Hub, labs: tuple[Lab, Lab, str]) -> None:
    alice, bob, _ = labs
    r = alice.service("POST", "api/projects", json={"slug": "alice-only"})
    assert r.status_code == 201
    assert "alice-only" not in [
        i["name"] for i in bob.contents("GET", "projects").json()["content"]
    ]
    assert bob.contents("GET", "projects/alice-only/README.md").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "projects/{slug}/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "projects/{slug}/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "projects/{slug}/escape/passwd",
        "projects/{slug}/escape",
    ],
)
def test_paths_cannot_leave_the_workspace(hub: Hub, labs: tuple[Lab, Lab, str], path: str) -> None:
    alice, _, slug = labs
    link = hub.data_root / "workspaces" / slug / "escape"
    if not link.is_symlink():
        os.symlink("/etc", link)  # as a kernel could
    r = alice.contents("GET", path.format(slug=slug))
    assert 400 <= r.status_code < 500, r.text
    assert "root:" not in r.text
    r = alice.contents(
        "PUT",
        path.format(slug=slug).replace("passwd", "x"),
        json={"type": "file", "format": "text", "content": "x"},
    )
    assert 400 <= r.status_code < 500
    assert not os.path.exists("/etc/x")


def test_a_run_goes_on_when_its_owners_server_stops(hub: Hub, labs: tuple[Lab, Lab, str]) -> None:
    from tests.runs.conftest import write_notebook

    alice, _, slug = labs
    workspace = hub.data_root / "workspaces" / slug
    write_notebook(
        workspace / "later.ipynb",
        "n = 1",
        "import time, pathlib; time.sleep(4); pathlib.Path('done.txt').write_text('x')",
    )
    started = alice.service("POST", f"api/projects/{slug}/runs", json={"target": "later.ipynb"})
    assert started.status_code == 201, started.text
    hub.stop_server("alice")  # the lab that asked is gone; the service carries on
    url = f"{hub.service_url}api/projects/{slug}/runs/{started.json()['id']}"

    def finished() -> dict[str, Any] | None:
        run = requests.get(url, headers=alice.headers, timeout=30).json()
        return None if run["status"] in ("queued", "running") else run

    run = wait_until(finished, 90, 0.3)
    assert run["status"] == "succeeded"
    assert (workspace / "done.txt").exists()
