"""The tracking proxy's rules: the role each MLflow route family needs, and what it refuses."""

from __future__ import annotations

import time

import pytest

from scalelab.service.auth import ScaleLabHubAuth
from scalelab.service.local_http import ExpiringCache
from scalelab.tracking.access import needed_role, traversal


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("GET", "", "viewer"),  # the UI's page
        ("GET", "static-files/static/js/main.js", "viewer"),
        ("GET", "api/2.0/mlflow/experiments/get-by-name", "viewer"),
        ("POST", "api/2.0/mlflow/runs/search", "viewer"),
        ("POST", "ajax-api/2.0/mlflow/runs/search", "viewer"),
        ("POST", "api/2.0/mlflow/logged-models/search", "viewer"),
        ("POST", "api/2.0/mlflow/registered-models/get-latest-versions", "viewer"),
        ("POST", "graphql", "viewer"),
        ("GET", "get-artifact", "viewer"),
        ("GET", "api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model.pkl", "viewer"),
        ("POST", "api/2.0/mlflow/runs/log-batch", "editor"),
        ("POST", "api/2.0/mlflow/experiments/create", "editor"),
        ("PUT", "api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/x", "editor"),
        ("DELETE", "api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/x", "editor"),
        ("POST", "ajax-api/2.0/mlflow/upload-artifact", "editor"),
        ("PATCH", "api/2.0/mlflow/logged-models/m-1", "editor"),
        ("POST", "api/2.0/mlflow/registered-models/create", "deployer"),
        ("POST", "api/2.0/mlflow/model-versions/create", "deployer"),
        ("POST", "api/2.0/mlflow/registered-models/alias", "deployer"),
        ("DELETE", "api/2.0/mlflow/registered-models/alias", "deployer"),
        ("POST", "api/2.0/mlflow/model-versions/transition-stage", "deployer"),
        ("PATCH", "ajax-api/2.0/mlflow/model-versions/update", "deployer"),
    ],
)
def test_each_route_family_needs_its_role(method: str, path: str, role: str) -> None:
    decision = needed_role(method, path)
    assert decision.allowed and decision.role == role


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "api/2.0/mlflow/webhooks", 404),  # outbound calls to any address
        ("POST", "ajax-api/2.0/mlflow/gateway-proxy", 404),
        ("GET", "api/3.0/mlflow/gateway/secrets/list", 404),
        ("POST", "api/3.0/mlflow/scorers/register", 404),  # runs code
        ("POST", "api/3.0/mlflow/prompt-optimization/jobs", 404),
        ("POST", "api/2.0/mlflow/artifacts/presigned-upload-url", 404),
        ("GET", "api/3.0/mlflow/workspaces", 404),
        ("GET", "admin", 404),
        ("GET", "api/2.0/mlflow/users/get", 404),
        ("OPTIONS", "api/2.0/mlflow/runs/search", 405),
        ("TRACE", "", 405),
        ("POST", "get-artifact", 405),
        ("POST", "", 405),
        ("GET", "ajax-api/2.0/mlflow/upload-artifact", 405),
    ],
)
def test_anything_else_is_refused(method: str, path: str, status: int) -> None:
    decision = needed_role(method, path)
    assert not decision.allowed and decision.status == status and decision.message


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/s/mlflow/p/api/2.0/mlflow-artifacts/artifacts/../x", ""),
        ("/s/mlflow/p/api/2.0/mlflow-artifacts/artifacts/%2e%2e/x", ""),
        ("/s/mlflow/p/api/2.0/mlflow-artifacts/artifacts/%252e%252e%252fx", ""),
        ("/s/mlflow/p/get-artifact", "path=../../secret&run_uuid=1"),
        ("/s/mlflow/p/get-artifact", "path=%2e%2e%2fsecret"),
        ("/s/mlflow/p/get-artifact", "path=/etc/passwd"),
        ("/s/mlflow/p/get-artifact", "path=a%00b"),
        ("/s/mlflow/p/get-artifact", "path=..%5c..%5cwin"),
    ],
)
def test_paths_that_leave_their_folder_are_caught(path: str, query: str) -> None:
    assert traversal(path, query)


def test_ordinary_paths_pass() -> None:
    assert traversal("/s/mlflow/p/api/2.0/mlflow-artifacts/artifacts/1/a/b.txt", "") is None
    assert traversal("/s/mlflow/p/get-artifact", "path=model/MLmodel&run_uuid=1") is None
    assert traversal("/s/mlflow/p/static-files/x..y.js", "") is None


def test_a_token_check_serves_tracking_writes_for_the_grace_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    auth = ScaleLabHubAuth.__new__(ScaleLabHubAuth)
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    assert not auth._checked_within("t", 5.0)  # first: ask the hub
    clock[0] += 4.9
    assert auth._checked_within("t", 5.0)
    clock[0] += 0.2
    assert not auth._checked_within("t", 5.0)  # stale: ask again
    assert not auth._checked_within("other", 5.0)
    assert not auth._checked_within("t", 0.0)  # no grace: the API's writes, every time
    assert not auth._checked_within("t", 0.0)


def test_roles_are_kept_for_their_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [50.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    cache: ExpiringCache[str, int] = ExpiringCache(5.0, size=2)
    cache.put("a", 1)
    assert cache.get("a") == 1
    clock[0] += 5.0
    assert cache.get("a") is None
    off: ExpiringCache[str, int] = ExpiringCache(0.0)
    off.put("a", 1)
    assert off.get("a") is None
