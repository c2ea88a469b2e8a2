"""The ScaleLab service over real HTTP, behind a real JupyterHub and its proxy."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from scalelab import __version__
from scalelab.service.models import ErrorModel, HealthModel, PreferencesModel, UserModel
from tests.hubctl import Hub
from tests.runs.conftest import write_notebook
from tests.waiting import wait_until

pytestmark = pytest.mark.hub


@pytest.fixture(scope="module")
def alice(hub: Hub) -> dict[str, str]:
    return {"Authorization": f"token {hub.token_for('alice')}"}


@pytest.fixture(scope="module")
def admin(hub: Hub) -> dict[str, str]:
    return {"Authorization": f"token {hub.token_for('admin')}"}


def call(
    hub: Hub, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any
) -> requests.Response:
    return requests.request(
        method,
        hub.service_url + path,
        headers=headers or {},
        timeout=30,
        allow_redirects=False,
        **kwargs,
    )


def assert_error(r: requests.Response, status: int, fragment: str) -> ErrorModel:
    assert r.status_code == status, r.text
    error = ErrorModel.model_validate(r.json())
    assert error.status == status
    assert fragment in error.message
    assert error.request_id == r.headers["X-Request-Id"]
    return error


def test_health_reports_version_and_database(hub: Hub, alice: dict[str, str]) -> None:
    r = call(hub, "GET", "api/health", alice)
    assert r.status_code == 200
    health = HealthModel.model_validate(r.json())
    assert health.status == "ok"
    assert health.version == __version__
    assert health.database.ok and health.database.backend == "sqlite"


def test_me_names_the_token_owner_and_admin_flag(
    hub: Hub, alice: dict[str, str], admin: dict[str, str]
) -> None:
    me = UserModel.model_validate(call(hub, "GET", "api/me", alice).json())
    assert (me.name, me.kind, me.admin) == ("alice", "user", False)
    boss = UserModel.model_validate(call(hub, "GET", "api/me", admin).json())
    assert (boss.name, boss.admin) == ("admin", True)


@pytest.mark.parametrize("path", ["api/health", "api/me", "api/openapi.json", "api/nowhere"])
def test_requests_without_credentials_get_401(hub: Hub, path: str) -> None:
    assert_error(call(hub, "GET", path), 401, "authentication required")


def test_a_wrong_token_gets_401(hub: Hub) -> None:
    r = call(hub, "GET", "api/me", {"Authorization": "token not-a-real-token"})
    assert_error(r, 401, "authentication required")


def test_a_token_without_the_service_scope_gets_403(hub: Hub) -> None:
    token = hub.token_for("alice", scopes=["read:users!user=alice"])
    r = call(hub, "GET", "api/me", {"Authorization": f"token {token}"})
    assert_error(r, 403, "access:services!service=scalelab")


def test_a_browser_without_a_session_is_sent_to_login(hub: Hub) -> None:
    r = call(hub, "GET", "api/me", {"Accept": "text/html"})
    assert r.status_code == 302
    assert "/hub/api/oauth2/authorize" in r.headers["Location"]


def test_browser_login_reaches_the_service_through_oauth(hub: Hub) -> None:
    session = hub.login("bob")
    r = session.get(hub.service_url + "api/me", headers={"Accept": "text/html"}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "bob"


def test_unknown_endpoint_is_a_json_404(hub: Hub, alice: dict[str, str]) -> None:
    assert_error(call(hub, "GET", "api/nowhere", alice), 404, "no such endpoint")


def test_request_id_is_echoed_and_logged(hub: Hub, alice: dict[str, str]) -> None:
    r = call(hub, "GET", "api/me", {**alice, "X-Request-Id": "trace-42"})
    assert r.headers["X-Request-Id"] == "trace-42"
    # The access line is written once the response is out, and reaches the hub's log after it.
    wait_until(lambda: "[trace-42]" in hub.log(), 10, 0.1, "request id not in the service log")
    generated = call(hub, "GET", "api/me", {**alice, "X-Request-Id": "bad id!"})
    assert len(generated.headers["X-Request-Id"]) == 32


def test_preferences_round_trip(hub: Hub, alice: dict[str, str]) -> None:
    prefs = {"preferences": {"project": "churn", "panel": {"open": True}}}
    r = call(hub, "PUT", "api/me/preferences", alice, json=prefs)
    assert r.status_code == 200, r.text
    got = PreferencesModel.model_validate(call(hub, "GET", "api/me/preferences", alice).json())
    assert got.model_dump() == prefs


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b'{"preferences": []}', 400, "preferences: Input should be a valid dictionary"),
        (b'{"preferences": {}, "extra": 1}', 400, "extra: Extra inputs are not permitted"),
        (json.dumps({"preferences": {"x": "y" * 70_000}}).encode(), 400, "more than the 65536"),
        (b"x" * (2 * 1024 * 1024), 413, "exceeds the limit"),
    ],
)
def test_bad_preferences_are_refused_and_change_nothing(
    hub: Hub, alice: dict[str, str], body: bytes, status: int, fragment: str
) -> None:
    before = call(hub, "GET", "api/me/preferences", alice).json()
    r = call(
        hub, "PUT", "api/me/preferences", {**alice, "Content-Type": "application/json"}, data=body
    )
    assert_error(r, status, fragment)
    assert call(hub, "GET", "api/me/preferences", alice).json() == before


def test_openapi_document_describes_the_live_api(hub: Hub, alice: dict[str, str]) -> None:
    doc = call(hub, "GET", "api/openapi.json", alice).json()
    assert doc["info"]["version"] == __version__
    assert call(hub, "POST", "api/projects", alice, json={"slug": "openapi-doc"}).ok
    write_notebook(hub.data_root / "workspaces" / "openapi-doc" / "nb.ipynb", "n = 1", "n")
    schedule = call(
        hub,
        "POST",
        "api/projects/openapi-doc/schedules",
        alice,
        json={"name": "doc", "target": "nb.ipynb", "cron": "0 6 * * *", "paused": True},
    ).json()
    for path, operations in doc["paths"].items():
        get = operations.get("get")
        # Runs: tests/service/test_runs.py; an endpoint's reads: tests/inprocess/test_deployments.py
        # and test_model_scores.py (an endpoint needs a registered model behind it); a
        # monitor's: tests/inprocess/test_monitor_loop.py (a monitor needs an endpoint).
        skipped = ("{run_id}", "/deployments/{name}", "/monitors/{name}")
        if get is None or any(part in path for part in skipped):
            continue
        url = path.lstrip("/").format(slug="openapi-doc", schedule_id=schedule["id"])
        r = call(hub, "GET", url, alice)
        required = [
            p["name"] for p in get.get("parameters", []) if p["in"] == "query" and p["required"]
        ]
        # Without its required query parameters an operation says what is missing.
        assert r.status_code == (400 if required else 200), path
