"""Every endpoint x every kind of caller -> the expected status, from one table.

A new endpoint fails `test_the_table_covers_every_endpoint` until it is added here.
"""

from __future__ import annotations

from typing import Any

import pytest

from scalelab.roles import includes
from scalelab.service.openapi import build_openapi
from scalelab.service.routes import API_ROUTES
from tests.hubctl import Hub
from tests.runs.conftest import write_notebook
from tests.service.conftest import EXTRA, OUTSIDER, ROLE_USERS, Caller, new_slug
from tests.waiting import wait_until

pytestmark = pytest.mark.hub

# (method, path) -> who may call it: "anyone" authenticated, or the least project role.
WHO_MAY: dict[tuple[str, str], str] = {
    ("get", "/api/health"): "anyone",
    ("get", "/api/me"): "anyone",
    ("get", "/api/me/preferences"): "anyone",
    ("put", "/api/me/preferences"): "anyone",
    ("get", "/api/openapi.json"): "anyone",
    ("get", "/api/projects"): "anyone",
    ("post", "/api/projects"): "anyone",
    ("get", "/api/projects/{slug}"): "viewer",
    ("patch", "/api/projects/{slug}"): "editor",
    ("delete", "/api/projects/{slug}"): "owner",
    ("post", "/api/projects/{slug}/archive"): "owner",
    ("post", "/api/projects/{slug}/restore"): "owner",
    ("get", "/api/projects/{slug}/members"): "viewer",
    ("put", "/api/projects/{slug}/members/{kind}/{name}"): "owner",
    ("delete", "/api/projects/{slug}/members/{kind}/{name}"): "owner",
    ("get", "/api/projects/{slug}/audit"): "owner",
    ("get", "/api/projects/{slug}/parameters"): "viewer",
    ("get", "/api/projects/{slug}/runs"): "viewer",
    ("post", "/api/projects/{slug}/runs"): "runner",
    ("get", "/api/projects/{slug}/runs/{run_id}"): "viewer",
    ("post", "/api/projects/{slug}/runs/{run_id}/cancel"): "runner",
    ("get", "/api/projects/{slug}/runs/{run_id}/diff"): "viewer",
    ("get", "/api/projects/{slug}/schedules"): "viewer",
    ("post", "/api/projects/{slug}/schedules"): "editor",
    ("post", "/api/projects/{slug}/schedules/preview"): "viewer",
    ("get", "/api/projects/{slug}/schedules/{schedule_id}"): "viewer",
    ("patch", "/api/projects/{slug}/schedules/{schedule_id}"): "editor",
    ("delete", "/api/projects/{slug}/schedules/{schedule_id}"): "editor",
    ("get", "/api/projects/{slug}/schedules/{schedule_id}/history"): "viewer",
    ("get", "/api/projects/{slug}/models"): "viewer",
    ("post", "/api/projects/{slug}/models"): "deployer",
    ("put", "/api/projects/{slug}/models/{name}/aliases/{alias}"): "deployer",
    ("delete", "/api/projects/{slug}/models/{name}/aliases/{alias}"): "deployer",
    ("get", "/api/projects/{slug}/deployments"): "viewer",
    ("post", "/api/projects/{slug}/deployments"): "deployer",
    ("get", "/api/projects/{slug}/deployments/{name}"): "viewer",
    ("patch", "/api/projects/{slug}/deployments/{name}"): "deployer",
    ("delete", "/api/projects/{slug}/deployments/{name}"): "deployer",
    ("post", "/api/projects/{slug}/deployments/{name}/versions"): "deployer",
    ("post", "/api/projects/{slug}/deployments/{name}/promote"): "deployer",
    ("post", "/api/projects/{slug}/deployments/{name}/rollback"): "deployer",
    ("get", "/api/projects/{slug}/deployments/{name}/events"): "viewer",
    ("post", "/api/projects/{slug}/deployments/{name}/labels"): "editor",
    ("get", "/api/projects/{slug}/deployments/{name}/scores"): "viewer",
    ("get", "/api/projects/{slug}/deployments/{name}/keys"): "deployer",
    ("post", "/api/projects/{slug}/deployments/{name}/keys"): "deployer",
    ("delete", "/api/projects/{slug}/deployments/{name}/keys/{key_id}"): "deployer",
    ("get", "/api/projects/{slug}/monitors"): "viewer",
    ("post", "/api/projects/{slug}/monitors"): "deployer",
    ("get", "/api/projects/{slug}/monitors/{name}"): "viewer",
    ("patch", "/api/projects/{slug}/monitors/{name}"): "deployer",
    ("delete", "/api/projects/{slug}/monitors/{name}"): "deployer",
    ("post", "/api/projects/{slug}/monitors/{name}/check"): "deployer",
    ("get", "/api/projects/{slug}/monitors/{name}/checks"): "viewer",
    ("get", "/api/projects/{slug}/monitors/{name}/checks/{check_id}/report"): "viewer",
    ("get", "/api/notifications"): "anyone",
}
# Statuses that show the caller got past authorization, where not 200.
OK_STATUS = {
    ("post", "/api/projects"): 201,
    ("post", "/api/projects/{slug}/runs"): 201,
    ("delete", "/api/projects/{slug}/members/{kind}/{name}"): 204,
    ("post", "/api/projects/{slug}/runs/{run_id}/cancel"): 409,  # the run has finished
    ("post", "/api/projects/{slug}/schedules"): 201,
    ("delete", "/api/projects/{slug}/schedules/{schedule_id}"): 204,
    # Past authorization: the run logged no model; the model has no such alias.
    ("post", "/api/projects/{slug}/models"): 400,
    ("put", "/api/projects/{slug}/models/{name}/aliases/{alias}"): 404,
    ("delete", "/api/projects/{slug}/models/{name}/aliases/{alias}"): 404,
    # Past authorization: an empty deployment; an endpoint the project does not have.
    ("post", "/api/projects/{slug}/deployments"): 400,
    **{(method, path): 404 for (method, path) in WHO_MAY if "/deployments/{name}" in path},
    # Past authorization: an endpoint the project does not have; a monitor likewise.
    ("post", "/api/projects/{slug}/monitors"): 404,
    **{(method, path): 404 for (method, path) in WHO_MAY if "/monitors/{name}" in path},
}

CALLERS = ["anonymous", OUTSIDER, *ROLE_USERS.values(), "admin"]


def finished_run(callers: dict[str, Caller], hub: Hub, slug: str) -> str:
    write_notebook(hub.data_root / "workspaces" / slug / "nb.ipynb", "n = 1", "print(n)")
    owner = callers[ROLE_USERS["owner"]]
    run_id = owner("POST", f"api/projects/{slug}/runs", json={"target": "nb.ipynb"}).json()["id"]
    wait_until(
        lambda: (
            owner("GET", f"api/projects/{slug}/runs/{run_id}").json()["status"]
            not in ("queued", "running")
        ),
        60,
        0.1,
    )
    return str(run_id)


def paused_schedule(callers: dict[str, Caller], hub: Hub, slug: str) -> str:
    write_notebook(hub.data_root / "workspaces" / slug / "nb.ipynb", "n = 1", "print(n)")
    r = callers[ROLE_USERS["owner"]](
        "POST", f"api/projects/{slug}/schedules", json=SCHEDULE | {"name": "matrix"}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


SCHEDULE = {"target": "nb.ipynb", "cron": "0 6 * * *", "paused": True}


def request_for(
    method: str, path: str, slug: str, run_id: str, schedule_id: str = "0"
) -> tuple[str, dict[str, Any]]:
    """A valid request for the operation: a caller allowed to make it must succeed."""
    url = path.format(
        slug=slug,
        kind="user",
        name=EXTRA,
        run_id=run_id,
        schedule_id=schedule_id,
        alias="champion",
        key_id="1",
        check_id="1",
    )
    kwargs: dict[str, Any] = {}
    if "/monitors" in path and method in ("post", "patch") and not path.endswith("/check"):
        kwargs["json"] = {"name": "matrix", "endpoint": "matrix"} if method == "post" else {}
    elif "/deployments/" in path and method == "patch":
        kwargs["json"] = {"max_replicas": 2}
    elif path.endswith("/versions"):
        kwargs["json"] = {"model_uri": "models:/matrix/1"}
    elif path.endswith("/labels"):
        kwargs["json"] = {"labels": [{"request_id": "r1", "label": 1}]}
    elif path.endswith("/keys") and method == "post":
        kwargs["json"] = {"label": "matrix"}
    elif path.endswith("/models") and method == "post":
        kwargs["json"] = {"run_id": run_id, "name": "matrix"}
    elif path.endswith("{alias}") and method == "put":
        kwargs["json"] = {"version": "1"}
    elif path.endswith("/schedules") and method == "post":
        kwargs["json"] = SCHEDULE | {"name": new_slug("s")}
    elif path.endswith("/preview"):
        kwargs["json"] = {"cron": "0 6 * * *", "timezone": "Europe/Paris"}
    elif path.endswith("{schedule_id}") and method == "patch":
        kwargs["json"] = {"cron": "0 7 * * *"}
    elif path.endswith("/parameters"):
        url += "?path=nb.ipynb"
    elif path.endswith("/diff"):
        url += f"?other={run_id}&step=nb"
    elif path.endswith("/runs") and method == "post":
        kwargs["json"] = {"target": "nb.ipynb"}
    elif (method, path) == ("post", "/api/projects"):
        kwargs["json"] = {"slug": new_slug("m")}
    elif method == "patch":
        kwargs["json"] = {"title": "Renamed"}
    elif method == "delete" and path == "/api/projects/{slug}":
        url += f"?confirm={slug}"
    elif path == "/api/me/preferences" and method == "put":
        kwargs["json"] = {"preferences": {"seen": True}}
    elif path.endswith("{name}") and method == "put":
        kwargs["json"] = {"role": "runner"}
    elif method == "post":
        kwargs["json"] = {}
    return url, kwargs


def expected_status(who_may: str, caller: str, ok: int) -> int:
    if caller == "anonymous":
        return 401
    if who_may == "anyone" or caller == "admin":
        return ok
    if caller == OUTSIDER:
        return 404
    role = next(r for r, user in ROLE_USERS.items() if user == caller)
    return ok if includes(role, who_may) else 403  # type: ignore[arg-type]


def test_the_table_covers_every_endpoint() -> None:
    doc = build_openapi(API_ROUTES, "/services/scalelab/")
    operations = {(m, p): op for p, ops in doc["paths"].items() for m, op in ops.items()}
    assert set(WHO_MAY) == set(operations)
    for key, op in operations.items():
        if "x-scalelab-role" in op:
            assert WHO_MAY[key] == op["x-scalelab-role"], key


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), list(WHO_MAY))
def test_role_matrix(
    hub: Hub, callers: dict[str, Caller], project: str, method: str, path: str, caller: str
) -> None:
    if path.endswith("/restore"):
        assert (
            callers[ROLE_USERS["owner"]](
                "POST", f"api/projects/{project}/archive", json={}
            ).status_code
            == 200
        )
    needs_run = "/runs" in path or path.endswith(("/parameters", "/models"))
    run_id = finished_run(callers, hub, project) if needs_run else "none"
    schedule_id = paused_schedule(callers, hub, project) if "/schedules" in path else "0"
    url, kwargs = request_for(method, path, project, run_id, schedule_id)
    ok = OK_STATUS.get((method, path), 200)
    expected = expected_status(WHO_MAY[(method, path)], caller, ok)
    r = callers[caller](method.upper(), url, **kwargs)
    assert r.status_code == expected, f"{caller} {method.upper()} {url}: {r.text}"
    if expected in (403, 404):
        message = r.json()["message"]
        assert (f"needs the {WHO_MAY[(method, path)]} role" in message) == (expected == 403)
