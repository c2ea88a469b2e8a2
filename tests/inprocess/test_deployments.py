"""Deployments through the API: a registered model goes live, answers members and keys, is
replaced blue-green, rolled back and removed; every step is in the endpoint's history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.inprocess.service import InProcessService
from tests.inprocess.test_run_tracking import run_to_end
from tests.runs.conftest import write_notebook
from tests.service.conftest import OUTSIDER, ROLE_USERS, Caller
from tests.waiting import wait_until

pytestmark = pytest.mark.inprocess
TRAIN = (
    "import mlflow, mlflow.sklearn, pandas as pd\n"
    "from sklearn.tree import DecisionTreeClassifier\n"
    "X = pd.DataFrame({'x': [0.0, 1.0, 2.0, 3.0]})\n"
    "model = DecisionTreeClassifier(max_depth=depth).fit(X, [0, 1, 1, 0])\n"
    "mlflow.log_metric('accuracy', 1.0)\n"
    "mlflow.sklearn.log_model(model, name='model', input_example=X.head(2),\n"
    "    skops_trusted_types=['sklearn.tree._tree.Tree'])"
)
ROWS = {"dataframe_split": {"columns": ["x"], "data": [[0.0], [3.0]]}}


def register(callers: dict[str, Caller], hub: InProcessService, slug: str, depth: int) -> str:
    workspace = Path(hub.data_root) / "workspaces" / slug
    write_notebook(workspace / f"train{depth}.ipynb", f"depth = {depth}", TRAIN)
    run = run_to_end(callers[ROLE_USERS["runner"]], slug, {"target": f"train{depth}.ipynb"})
    r = callers[ROLE_USERS["deployer"]](
        "POST", f"api/projects/{slug}/models", json={"run_id": run["id"], "name": "tumours"}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["versions"][0]["version"])


def endpoint_when(caller: Caller, slug: str, ready: Any, what: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        found = caller("GET", f"api/projects/{slug}/deployments/tumours").json()
        return found if ready(found) else None

    def explain() -> str:
        events = caller("GET", f"api/projects/{slug}/deployments/tumours/events").json()
        return f"{what}: {events}"

    result: dict[str, Any] = wait_until(check, 120, 0.3, explain)
    return result


def test_a_model_goes_live_switches_blue_green_and_rolls_back(
    hub: InProcessService, callers: dict[str, Caller], project: str, quick_bake: None
) -> None:
    slug = project
    first = register(callers, hub, slug, 1)
    second = register(callers, hub, slug, 2)
    deployer, viewer = callers[ROLE_USERS["deployer"]], callers[ROLE_USERS["viewer"]]
    body = {"name": "tumours", "model_uri": f"models:/tumours/{first}"}
    assert viewer("POST", f"api/projects/{slug}/deployments", json=body).status_code == 403
    assert (
        callers[ROLE_USERS["editor"]]("POST", f"api/projects/{slug}/deployments", json=body)
    ).status_code == 403
    r = deployer("POST", f"api/projects/{slug}/deployments", json=body)
    assert r.status_code == 202, r.text
    assert deployer("POST", f"api/projects/{slug}/deployments", json=body).status_code == 409
    live = endpoint_when(viewer, slug, lambda d: d["state"] == "live", "never went live")
    assert live["blue"]["version"] == first
    assert [r["ready"] for r in live["replicas"]] == [True]

    # Members call it with their hub token; others get nothing.
    serve = f"serve/{slug}/tumours/invocations"
    r = viewer("POST", serve, json=ROWS)
    assert r.status_code == 200, r.text
    assert len(r.json()["predictions"]) == 2
    assert r.headers["X-ScaleLab-Version"] == f"tumours/{first}"
    assert callers[OUTSIDER]("POST", serve, json=ROWS).status_code == 404
    assert callers["anonymous"]("POST", serve, json=ROWS).status_code == 401
    bad = requests.post(
        hub.service_url + serve,
        data=b"{not json",
        headers={**viewer.headers, "Content-Type": "application/json"},
        timeout=30,
    )
    assert 400 <= bad.status_code < 500, bad.text
    assert viewer("POST", serve, json=ROWS).status_code == 200  # still serving

    # A key opens this endpoint only, until it is revoked.
    r = deployer("POST", f"api/projects/{slug}/deployments/tumours/keys", json={"label": "ci"})
    assert r.status_code == 201, r.text
    key, key_id = r.json()["key"], r.json()["info"]["id"]
    listed = deployer("GET", f"api/projects/{slug}/deployments/tumours/keys").text
    assert key not in listed and key[:12] in listed
    with_key = {"Authorization": f"Bearer {key}"}
    r = requests.post(hub.service_url + serve, json=ROWS, headers=with_key, timeout=30)
    assert r.status_code == 200, r.text
    other = f"serve/{slug}/elsewhere/invocations"
    r = requests.post(hub.service_url + other, json=ROWS, headers=with_key, timeout=30)
    assert r.status_code == 403
    r = deployer("DELETE", f"api/projects/{slug}/deployments/tumours/keys/{key_id}")
    assert r.status_code == 200 and r.json()["revoked_at"], r.text
    r = requests.post(hub.service_url + serve, json=ROWS, headers=with_key, timeout=30)
    assert r.status_code == 401

    # Blue-green: the next version passes its checks, bakes, and takes over.
    r = deployer(
        "POST",
        f"api/projects/{slug}/deployments/tumours/versions",
        json={"model_uri": f"models:/tumours/{second}"},
    )
    assert r.status_code == 202, r.text
    promoted = endpoint_when(
        viewer,
        slug,
        lambda d: d["blue"]["version"] == second and d["green"] is None,
        "the new version was not promoted",
    )
    assert promoted["previous"]["version"] == first
    assert viewer("POST", serve, json=ROWS).headers["X-ScaleLab-Version"] == f"tumours/{second}"

    # Rolled back by hand, through the same checks.
    r = deployer("POST", f"api/projects/{slug}/deployments/tumours/rollback")
    assert r.status_code == 202, r.text
    endpoint_when(
        viewer,
        slug,
        lambda d: d["blue"]["version"] == first and d["green"] is None,
        "the rollback did not come through",
    )
    events = viewer("GET", f"api/projects/{slug}/deployments/tumours/events").json()["events"]
    kinds = [e["kind"] for e in reversed(events)]
    for kind in ("deploy", "ready", "key_created", "key_revoked", "switch", "promote", "rollback"):
        assert kind in kinds, kinds
    assert {e["actor"] for e in events} >= {ROLE_USERS["deployer"], "bake"}

    # Removed: its replicas stop, and it answers no more.
    replicas = [
        r["id"]
        for r in viewer("GET", f"api/projects/{slug}/deployments/tumours").json()["replicas"]
    ]
    assert replicas
    assert viewer("DELETE", f"api/projects/{slug}/deployments/tumours").status_code == 403
    assert deployer("DELETE", f"api/projects/{slug}/deployments/tumours").status_code == 204
    assert viewer("POST", serve, json=ROWS).status_code == 404
    assert viewer("GET", f"api/projects/{slug}/deployments").json()["deployments"] == []


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"name": "Bad Name", "model_uri": "models:/m/1"}, "name"),
        ({"name": "ok", "model_uri": "s3://bucket/model"}, "model URI"),
        ({"name": "ok", "model_uri": "models:/m/1", "min_replicas": 3, "max_replicas": 2}, "min"),
        ({"name": "ok", "model_uri": "models:/m/1", "max_replicas": 999}, "at most"),
    ],
)
def test_bad_deployments_say_why(
    callers: dict[str, Caller], project: str, body: dict[str, Any], says: str
) -> None:
    r = callers[ROLE_USERS["deployer"]]("POST", f"api/projects/{project}/deployments", json=body)
    assert r.status_code == 400, r.text
    assert says in r.json()["message"]
    listed = callers[ROLE_USERS["viewer"]]("GET", f"api/projects/{project}/deployments").json()
    assert listed["deployments"] == []


def test_a_canary_takes_its_share_until_promoted(
    hub: InProcessService, callers: dict[str, Caller], project: str
) -> None:
    assert hub.app is not None
    config = hub.app.deployer.config
    saved = config.bake_seconds, config.check_interval
    config.bake_seconds, config.check_interval = 600.0, 0.2  # promoted by hand below
    try:
        first, second = register(callers, hub, project, 1), register(callers, hub, project, 2)
        deployer, viewer = callers[ROLE_USERS["deployer"]], callers[ROLE_USERS["viewer"]]
        body = {"name": "tumours", "model_uri": f"models:/tumours/{first}"}
        assert deployer("POST", f"api/projects/{project}/deployments", json=body).status_code == 202
        endpoint_when(viewer, project, lambda d: d["state"] == "live", "never went live")
        r = deployer(
            "POST",
            f"api/projects/{project}/deployments/tumours/versions",
            json={"model_uri": f"models:/tumours/{second}", "canary": 30},
        )
        assert r.status_code == 202, r.text
        baking = endpoint_when(viewer, project, lambda d: d["state"] == "baking", "no canary")
        assert baking["green_share"] == 30 and baking["green"]["version"] == second
        serve = f"serve/{project}/tumours/invocations"
        versions = [
            viewer("POST", serve, json=ROWS).headers["X-ScaleLab-Version"] for _ in range(60)
        ]
        canary = versions.count(f"tumours/{second}")
        assert 5 <= canary <= 35, versions  # about 30% of 60, not all, not none

        r = deployer("POST", f"api/projects/{project}/deployments/tumours/promote")
        assert r.status_code in (200, 202), r.text
        endpoint_when(
            viewer,
            project,
            lambda d: d["blue"]["version"] == second and d["green"] is None,
            "not promoted",
        )
        assert viewer("POST", serve, json=ROWS).headers["X-ScaleLab-Version"] == f"tumours/{second}"
    finally:
        config.bake_seconds, config.check_interval = saved
