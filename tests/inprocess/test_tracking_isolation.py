"""A project's MLflow data, through every route family, for callers of each standing.

Each refused request is checked twice: by its answer, and by the project's MLflow database,
which must not have changed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import requests

from scalelab.store import projects as repo
from tests.inprocess.service import InProcessService
from tests.service.conftest import OUTSIDER, ROLE_USERS, Caller, new_slug

pytestmark = pytest.mark.inprocess
API = "api/2.0/mlflow"
TABLES = ("experiments", "runs", "metrics", "params", "tags", "registered_models", "model_versions")


class Tracker:
    """A caller of one project's tracking server (MLflow's REST API as its client sends it)."""

    def __init__(self, caller: Caller, slug: str) -> None:
        self.caller = caller
        self.slug = slug

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.caller(method, f"mlflow/{self.slug}/{path}", **kwargs)


@pytest.fixture(scope="module")
def tracked(hub: InProcessService, callers: dict[str, Caller]) -> dict[str, Any]:
    """A project with a run, a metric, an artifact and a registered model; another project
    where role-extra is editor."""
    slug = new_slug("trk")
    owner = callers[ROLE_USERS["owner"]]
    assert owner("POST", "api/projects", json={"slug": slug}).status_code == 201
    for role, user in ROLE_USERS.items():
        if role != "owner":
            r = owner("PUT", f"api/projects/{slug}/members/user/{user}", json={"role": role})
            assert r.status_code == 200, r.text
    other = new_slug("trk-other")
    assert owner("POST", "api/projects", json={"slug": other}).status_code == 201
    r = owner("PUT", f"api/projects/{other}/members/user/role-extra", json={"role": "editor"})
    assert r.status_code == 200
    editor = Tracker(callers[ROLE_USERS["editor"]], slug)
    experiment = editor("GET", f"{API}/experiments/get-by-name?experiment_name={slug}").json()
    experiment_id = experiment["experiment"]["experiment_id"]
    run = editor("POST", f"{API}/runs/create", json={"experiment_id": experiment_id}).json()
    run_id = run["run"]["info"]["run_id"]
    r = editor(
        "POST",
        f"{API}/runs/log-metric",
        json={"run_id": run_id, "key": "auc", "value": 0.9, "timestamp": 1, "step": 0},
    )
    assert r.status_code == 200, r.text
    artifact = f"api/2.0/mlflow-artifacts/artifacts/{experiment_id}/{run_id}/artifacts/note.txt"
    assert editor("PUT", artifact, data=b"secret of the project").status_code == 200
    deployer = Tracker(callers[ROLE_USERS["deployer"]], slug)
    r = deployer("POST", f"{API}/registered-models/create", json={"name": "model"})
    assert r.status_code == 200, r.text
    with hub.app.store.session() as session:  # type: ignore[union-attr]
        project_id = repo.get_project(session, slug).id  # type: ignore[union-attr]
    database = Path(hub.data_root) / "tracking" / str(project_id) / "mlflow.sqlite"
    return {
        "slug": slug,
        "experiment_id": experiment_id,
        "run_id": run_id,
        "artifact": artifact,
        "database": database,
    }


def counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        return {t: connection.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def operations(t: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any], str]]:
    """(name, method, path, request arguments, role needed)."""
    run, exp = t["run_id"], t["experiment_id"]
    metric = {"run_id": run, "key": "loss", "value": 1.0, "timestamp": 2, "step": 0}
    return [
        (
            "list experiments",
            "POST",
            f"{API}/experiments/search",
            {"json": {"max_results": 10}},
            "viewer",
        ),
        (
            "list experiments (UI)",
            "POST",
            "ajax-api/2.0/mlflow/experiments/search",
            {"json": {"max_results": 5}},
            "viewer",
        ),
        ("read a run", "GET", f"{API}/runs/get?run_id={run}", {}, "viewer"),
        (
            "search runs (UI)",
            "POST",
            "ajax-api/2.0/mlflow/runs/search",
            {"json": {"experiment_ids": [exp]}},
            "viewer",
        ),
        (
            "metric history (UI)",
            "GET",
            f"ajax-api/2.0/mlflow/metrics/get-history?run_uuid={run}&metric_key=auc",
            {},
            "viewer",
        ),
        ("list artifacts", "GET", f"{API}/artifacts/list?run_id={run}", {}, "viewer"),
        ("download an artifact", "GET", t["artifact"], {}, "viewer"),
        ("download (UI)", "GET", f"get-artifact?path=note.txt&run_uuid={run}", {}, "viewer"),
        ("list models", "GET", f"{API}/registered-models/search", {}, "viewer"),
        ("log a metric", "POST", f"{API}/runs/log-metric", {"json": metric}, "editor"),
        ("create a run", "POST", f"{API}/runs/create", {"json": {"experiment_id": exp}}, "editor"),
        (
            "create an experiment",
            "POST",
            f"{API}/experiments/create",
            {"json": {"name": "x"}},
            "editor",
        ),
        ("delete the run", "POST", f"{API}/runs/delete", {"json": {"run_id": run}}, "editor"),
        (
            "upload an artifact",
            "PUT",
            t["artifact"].replace("note", "other"),
            {"data": b"x"},
            "editor",
        ),
        ("delete an artifact", "DELETE", t["artifact"], {}, "editor"),
        (
            "register a model",
            "POST",
            f"{API}/registered-models/create",
            {"json": {"name": "m2"}},
            "deployer",
        ),
        (
            "register a version",
            "POST",
            f"{API}/model-versions/create",
            {"json": {"name": "model", "source": f"runs:/{run}/model"}},
            "deployer",
        ),
        (
            "delete the model",
            "DELETE",
            f"{API}/registered-models/delete",
            {"json": {"name": "model"}},
            "deployer",
        ),
    ]


def test_refused_callers_change_nothing(
    tracked: dict[str, Any], callers: dict[str, Caller]
) -> None:
    before = counts(tracked["database"])
    slug = tracked["slug"]
    standing = {
        "non-member": (callers[OUTSIDER], None),
        "editor of another project": (callers["role-extra"], None),
        "viewer": (callers[ROLE_USERS["viewer"]], "viewer"),
        "editor": (callers[ROLE_USERS["editor"]], "editor"),
        "anonymous": (callers["anonymous"], None),
    }
    rank = ["viewer", "runner", "editor", "deployer", "owner"]
    failures = []
    for who, (caller, role) in standing.items():
        client = Tracker(caller, slug)
        for name, method, path, kwargs, needed in operations(tracked):
            if role is not None and rank.index(role) >= rank.index(needed):
                continue  # allowed: tried below, by the callers that may
            r = client(method, path, **kwargs)
            expected = 401 if who == "anonymous" else 404 if role is None else 403
            if r.status_code != expected:
                failures.append(f"{who}: {name}: {r.status_code} {r.text[:120]}")
    assert not failures, "\n".join(failures)
    assert counts(tracked["database"]) == before


def test_each_role_can_do_what_it_may(tracked: dict[str, Any], callers: dict[str, Caller]) -> None:
    reads = [op for op in operations(tracked) if op[4] == "viewer"]
    viewer = Tracker(callers[ROLE_USERS["viewer"]], tracked["slug"])
    for name, method, path, kwargs, _ in reads:
        r = viewer(method, path, **kwargs)
        assert r.status_code == 200, f"{name}: {r.status_code} {r.text[:200]}"
    r = viewer("GET", tracked["artifact"])
    assert r.content == b"secret of the project"
    # Files people uploaded run no script on the hub's origin.
    assert r.headers["Content-Security-Policy"] == "sandbox"
    editor = Tracker(callers[ROLE_USERS["editor"]], tracked["slug"])
    metric = {"run_id": tracked["run_id"], "key": "loss", "value": 0.5, "timestamp": 3, "step": 1}
    assert editor("POST", f"{API}/runs/log-metric", json=metric).status_code == 200
    deployer = Tracker(callers[ROLE_USERS["deployer"]], tracked["slug"])
    alias = {"name": "model", "alias": "champion", "version": "1"}
    version = {
        "name": "model",
        "source": f"runs:/{tracked['run_id']}/model",
        "run_id": tracked["run_id"],
    }
    assert deployer("POST", f"{API}/model-versions/create", json=version).status_code == 200
    assert deployer("POST", f"{API}/registered-models/alias", json=alias).status_code == 200
    assert editor("POST", f"{API}/registered-models/alias", json=alias).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "api/2.0/mlflow-artifacts/artifacts/../../../etc/passwd",
        "api/2.0/mlflow-artifacts/artifacts/%2e%2e/%2e%2e/x",
        "api/2.0/mlflow-artifacts/artifacts/..%2f..%2fx",
        "api/2.0/mlflow-artifacts/artifacts/%252e%252e%252fx",
        "get-artifact?path=../../mlflow.sqlite&run_uuid=1",
        "get-artifact?path=%2e%2e%2fmlflow.sqlite&run_uuid=1",
        "model-versions/get-artifact?path=/etc/passwd&name=model&version=1",
        "api/2.0/mlflow/artifacts/list?run_id=1&path=../..",
    ],
)
def test_artifact_paths_stay_inside(
    tracked: dict[str, Any], callers: dict[str, Caller], path: str
) -> None:
    owner = Tracker(callers[ROLE_USERS["owner"]], tracked["slug"])
    r = requests.get(
        owner.caller.hub.service_url + f"mlflow/{tracked['slug']}/" + path,
        headers=owner.caller.headers,
        timeout=30,
    )
    assert r.status_code in (400, 404), r.text[:200]
    assert "root:" not in r.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "api/2.0/mlflow/webhooks"),
        ("POST", "api/2.0/mlflow/webhooks"),
        ("POST", "ajax-api/2.0/mlflow/gateway-proxy"),
        ("GET", "api/3.0/mlflow/gateway/secrets/list"),
        ("POST", "api/3.0/mlflow/prompt-optimization/jobs"),
        ("POST", "api/2.0/mlflow/artifacts/presigned-upload-url"),
        ("GET", "no/such/route"),
        ("OPTIONS", "api/2.0/mlflow/experiments/search"),
    ],
)
def test_unmapped_routes_are_refused_even_for_owners(
    tracked: dict[str, Any], callers: dict[str, Caller], method: str, path: str
) -> None:
    owner = Tracker(callers[ROLE_USERS["owner"]], tracked["slug"])
    r = owner(method, path, json={})
    assert r.status_code in (404, 405), r.text[:200]


def test_browser_writes_must_come_from_the_hub_origin(tracked: dict[str, Any]) -> None:
    """A cookie session's write from another site is refused (the UI sends no hub XSRF token)."""
    from scalelab.service.tracking_proxy import TrackingProxyHandler

    class Request:
        method = "POST"
        host = "hub.example:8000"

        def __init__(self, headers: dict[str, str]) -> None:
            self.headers = headers

    def allowed(headers: dict[str, str]) -> bool:
        handler = TrackingProxyHandler.__new__(TrackingProxyHandler)
        handler.request = Request(headers)  # type: ignore[assignment]
        try:
            handler.check_xsrf_cookie()
        except Exception:
            return False
        return True

    assert allowed({"Sec-Fetch-Site": "same-origin"})
    assert not allowed({"Sec-Fetch-Site": "cross-site"})
    assert not allowed({"Sec-Fetch-Site": "same-site"})
    assert allowed({"Origin": "http://hub.example:8000"})
    assert not allowed({"Origin": "http://evil.example"})
    assert not allowed({})
