"""Requests the service cannot serve get a 4xx that says why, never a 500."""

from __future__ import annotations

import json
import os
import tarfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from scalelab.service.openapi import build_openapi
from scalelab.service.routes import API_ROUTES
from tests.hubctl import Hub
from tests.runs.conftest import write_notebook
from tests.service.conftest import ROLE_USERS, Caller, new_slug

pytestmark = pytest.mark.hub
OWNER = ROLE_USERS["owner"]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
DOC = build_openapi(API_ROUTES, "/services/scalelab/")


def refused(r: Any, status: int, fragment: str = "") -> str:
    assert r.status_code == status, r.text
    message = str(r.json()["message"])
    assert fragment in message, message
    return message


def nested(depth: int, leaf: str = "0") -> str:
    return "[" * depth + leaf + "]" * depth


@pytest.fixture
def workspace(hub: Hub, project: str) -> Path:
    """The project's folder, with a notebook, a file that is no notebook and pipelines."""
    folder = hub.data_root / "workspaces" / project
    write_notebook(folder / "nb.ipynb", "x = 'a'", "print(x)")
    (folder / "broken.ipynb").write_text('{"cells": [')
    (folder / "broken.yaml").write_text(
        "name: broken\nsteps:\n  - {name: a, notebook: nb.ipynb}\n"
        "  - {name: b, notebook: broken.ipynb}\n"
    )
    for name, template in (("huge", "{{ 10 ** 5000 }}"), ("slow", "{{ 9 ** 999999999 }}")):
        step = f'{{name: a, notebook: nb.ipynb, parameters: {{x: "{template}"}}}}'
        (folder / f"{name}.yaml").write_text(f"name: {name}\nsteps:\n  - {step}\n")
    return folder


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "api/projects/{p}/members", "GET"),
        ("DELETE", "api/projects/{p}/runs", "GET, POST"),
        ("GET", "api/projects/{p}/archive", "POST"),
        ("POST", "api/me", "GET"),
    ],
)
def test_an_unsupported_method_is_405_with_allow(
    callers: dict[str, Caller], project: str, method: str, path: str, allowed: str
) -> None:
    url = path.format(p=project)
    r = callers[OWNER](method, url)
    refused(r, 405, f"{method} is not allowed here")
    assert r.headers["Allow"] == allowed
    # Who is calling is checked first: nothing about the route is told to strangers.
    assert callers["anonymous"](method, url).status_code == 401


def test_every_route_answers_405_to_every_method_it_lacks(
    callers: dict[str, Caller], project: str
) -> None:
    owner = callers[OWNER]
    for path, operations in DOC["paths"].items():
        # Any value does for a parameter the 405 comes before; the slug must exist.
        values = defaultdict(
            lambda: "x", slug=project, kind="user", schedule_id="1", key_id="1", check_id="1"
        )
        url = path.lstrip("/").format_map(values)
        allowed = [m.upper() for m in operations]
        for method in set(METHODS) - set(allowed):
            r = owner(method, url)
            assert r.status_code == 405, (method, path, r.text)
            assert r.headers["Allow"] == ", ".join(allowed), (method, path)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (f'{{"preferences": {{"x": {nested(1000)}}}}}', "deeper than 64 levels"),
        (nested(100_000), "deeper than 64 levels"),
        (f'{{"preferences": {{"x": {nested(900)}}}}}', "deeper than 64 levels"),
        ('{"preferences": {"x": NaN}}', "NaN is not a number JSON allows"),
        ('{"preferences": {"x": -Infinity}}', "-Infinity is not a number JSON allows"),
        ('{"preferences": {"x": "a\\u0000b"}}', "NUL characters are not allowed"),
        ('{"preferences": {"a\\u0000b": 1}}', "(a key): NUL characters are not allowed"),
        ('{"preferences": {"x": "\\ud800"}}', "lone surrogates"),
        ('{"preferences": {"x": 1' + "0" * 5000 + "}}", "not valid JSON"),
    ],
)
def test_bodies_json_cannot_hold_are_refused(
    callers: dict[str, Caller], body: str, fragment: str
) -> None:
    caller = callers[ROLE_USERS["viewer"]]
    before = caller("GET", "api/me/preferences").json()
    r = caller("PUT", "api/me/preferences", data=body)
    refused(r, 400, fragment)
    assert caller("GET", "api/me/preferences").json() == before


@pytest.mark.parametrize(
    ("path", "body", "fragment"),
    [
        ("api/projects", {"slug": "nul-title", "title": "a\x00b"}, "body.title: NUL"),
        ("api/projects/{p}/runs", {"target": "nb\x00.ipynb"}, "body.target: NUL"),
        ("api/projects/{p}/runs", {"target": "nb.ipynb", "parameters": {"x\x00": 1}}, "NUL"),
        (
            "api/projects/{p}/runs",
            {"target": "nb.ipynb", "parameters": {"x": json.loads(nested(900))}},
            "deeper than 64 levels",
        ),
        ("api/projects/{p}/schedules/preview", {"cron": "0 6 * * *\x00"}, "NUL"),
    ],
)
def test_nul_and_deep_values_are_refused(
    callers: dict[str, Caller], workspace: Path, project: str, path: str, body: Any, fragment: str
) -> None:
    r = callers[OWNER]("POST", path.format(p=project), json=body)
    refused(r, 400, fragment)
    assert callers[OWNER]("GET", f"api/projects/{project}/runs").json()["runs"] == []


def test_a_nul_in_the_path_is_refused(callers: dict[str, Caller], project: str) -> None:
    r = callers[OWNER]("PUT", f"api/projects/{project}/members/user/a%00b", json={"role": "viewer"})
    refused(r, 400, "NUL characters are not allowed in the path")


@pytest.mark.parametrize("cron", ["0 0 30 2 *", "0 0 31 4,6,9,11 *"])
def test_a_cron_that_never_fires_is_refused(
    callers: dict[str, Caller], workspace: Path, project: str, cron: str
) -> None:
    owner = callers[OWNER]
    preview = owner("POST", f"api/projects/{project}/schedules/preview", json={"cron": cron})
    refused(preview, 400, "never fires")
    body = {"name": "never", "target": "nb.ipynb", "cron": cron}
    refused(owner("POST", f"api/projects/{project}/schedules", json=body), 400, "never fires")
    assert owner("GET", f"api/projects/{project}/schedules").json()["schedules"] == []


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"retries": None}, "retries cannot be null"),
        ({"fresh": None}, "fresh cannot be null"),
        ({"misfire_deadline": None, "name": None}, "misfire_deadline, name cannot be null"),
        ({"target": ""}, "'' not found"),
        ({"cron": ""}, "give five"),
        ({"cron": "0 0 30 2 *"}, "never fires"),
    ],
)
def test_a_schedule_edit_to_nothing_is_refused_and_changes_nothing(
    callers: dict[str, Caller], workspace: Path, project: str, change: Any, fragment: str
) -> None:
    owner = callers[OWNER]
    body = {"name": "edit", "target": "nb.ipynb", "cron": "0 6 * * *", "paused": True}
    r = owner("POST", f"api/projects/{project}/schedules", json=body)
    assert r.status_code == 201, r.text
    url = f"api/projects/{project}/schedules/{r.json()['id']}"
    before = owner("GET", url).json()
    refused(owner("PATCH", url, json=change), 400, fragment)
    assert owner("GET", url).json() == before
    # null keeps its meaning where it has one: no timeout.
    assert owner("PATCH", url, json={"timeout": None}).json()["timeout"] is None


@pytest.mark.parametrize("after", [str(10**30), "-1", "x", str(2**63)])
def test_notifications_after_a_number_no_id_can_have_is_refused(
    callers: dict[str, Caller], after: str
) -> None:
    refused(callers[OWNER]("GET", f"api/notifications?after={after}"), 400, "notification id")
    assert callers[OWNER]("GET", f"api/notifications?after={2**63 - 1}").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "fragment"),
    [
        ("POST", "runs", {"target": "broken.ipynb"}, "broken.ipynb is not a notebook"),
        ("GET", "parameters?path=broken.ipynb", None, "broken.ipynb is not a notebook"),
        ("POST", "runs", {"target": "broken.yaml"}, "step 'b': broken.ipynb is not a notebook"),
        (
            "POST",
            "schedules",
            {"name": "s", "target": "broken.ipynb", "cron": "0 6 * * *", "paused": True},
            "broken.ipynb is not a notebook",
        ),
        ("POST", "runs", {"target": "x" * 300}, "longer than a file name may be"),
        ("GET", "parameters?path=" + "x" * 300, None, "longer than a file name may be"),
        ("POST", "runs", {"target": "huge.yaml"}, "power too large"),
        ("POST", "runs", {"target": "slow.yaml"}, "power too large"),
    ],
)
def test_a_broken_notebook_or_template_is_a_400_naming_it(
    callers: dict[str, Caller],
    workspace: Path,
    project: str,
    method: str,
    path: str,
    body: Any,
    fragment: str,
) -> None:
    started = time.monotonic()
    r = callers[OWNER](method, f"api/projects/{project}/{path}", json=body)
    refused(r, 400, fragment)
    assert time.monotonic() - started < 10
    assert callers[OWNER]("GET", f"api/projects/{project}/runs").json()["runs"] == []


def test_a_workspace_folder_left_without_its_project_goes_to_the_trash(
    hub: Hub, callers: dict[str, Caller]
) -> None:
    slug = new_slug("orphan")
    folder = hub.data_root / "workspaces" / slug
    folder.mkdir(parents=True)
    (folder / "left.txt").write_text("from a project deleted half-way")
    owner = callers[OWNER]
    # A folder this young may be another request's create in progress: left alone.
    refused(owner("POST", "api/projects", json={"slug": slug}), 409, "try again in a minute")
    assert (folder / "left.txt").exists()

    an_hour_ago = time.time() - 3600
    os.utime(folder, (an_hour_ago, an_hour_ago))
    r = owner("POST", "api/projects", json={"slug": slug})
    assert r.status_code == 201, r.text
    assert not (folder / "left.txt").exists()
    [kept] = (hub.data_root / "trash").glob(f"{slug}-*.tar.gz")
    with tarfile.open(kept) as tar:
        assert f"{slug}/left.txt" in tar.getnames()
