"""Every run is an MLflow run of its project's experiment, logged to with no configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.inprocess.service import InProcessService
from tests.runs.conftest import write_notebook
from tests.service.conftest import ROLE_USERS, Caller, new_slug
from tests.waiting import wait_until

pytestmark = pytest.mark.inprocess
API = "api/2.0/mlflow"
LOGS = (
    "import os, mlflow\n"
    "mlflow.log_metric('auc', 0.5 + n / 100)\n"
    "step, token = os.environ['SCALELAB_STEP'], os.environ['MLFLOW_TRACKING_TOKEN']\n"
    "open(f'token-{step}.txt', 'w').write(token)"
)


@pytest.fixture(scope="module")
def slug(hub: InProcessService, callers: dict[str, Caller]) -> str:
    slug = new_slug("runtrk")
    owner = callers[ROLE_USERS["owner"]]
    assert owner("POST", "api/projects", json={"slug": slug}).status_code == 201
    r = owner("PUT", f"api/projects/{slug}/members/user/role-runner", json={"role": "runner"})
    assert r.status_code == 200
    r = owner("PUT", f"api/projects/{slug}/members/user/role-viewer", json={"role": "viewer"})
    assert r.status_code == 200
    workspace = Path(hub.data_root) / "workspaces" / slug
    write_notebook(workspace / "train.ipynb", "n = 1", LOGS)
    write_notebook(workspace / "prep.ipynb", "n = 2", LOGS)
    pipeline = {
        "name": "two",
        "steps": [
            {"name": "prep", "notebook": "prep.ipynb"},
            {"name": "train", "notebook": "train.ipynb", "needs": ["prep"], "parameters": {"n": 7}},
        ],
    }
    (workspace / "pipeline.yaml").write_text(yaml.safe_dump(pipeline))
    return slug


def run_to_end(caller: Caller, slug: str, body: dict[str, Any]) -> dict[str, Any]:
    r = caller("POST", f"api/projects/{slug}/runs", json={**body, "fresh": True})
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]

    def ended() -> dict[str, Any] | None:
        run = caller("GET", f"api/projects/{slug}/runs/{run_id}").json()
        return run if run["status"] in ("succeeded", "failed", "cancelled") else None

    run = wait_until(ended, 120, 0.3, f"run {run_id} did not end")
    assert run["status"] == "succeeded", run
    return run


def mlflow_run(caller: Caller, slug: str, run_id: str) -> dict[str, Any]:
    r = caller("GET", f"mlflow/{slug}/{API}/runs/get?run_id={run_id}")
    assert r.status_code == 200, r.text
    return r.json()["run"]


def tags_of(run: dict[str, Any]) -> dict[str, str]:
    return {t["key"]: t["value"] for t in run["data"].get("tags", [])}


def test_a_notebook_run_is_an_mlflow_run(
    hub: InProcessService, callers: dict[str, Caller], slug: str
) -> None:
    runner = callers["role-runner"]
    run = run_to_end(runner, slug, {"target": "train.ipynb", "parameters": {"n": 3}})
    tracking = run["tracking"]
    assert tracking["url"].endswith(
        f"services/scalelab/mlflow/{slug}/#/experiments/{tracking['experiment_id']}"
        f"/runs/{tracking['run_id']}"
    )
    logged = mlflow_run(callers["role-viewer"], slug, tracking["run_id"])
    assert logged["info"]["status"] == "FINISHED"
    assert {m["key"]: m["value"] for m in logged["data"]["metrics"]} == {"auc": 0.53}
    assert {p["key"]: p["value"] for p in logged["data"]["params"]} == {"n": "3"}
    tags = tags_of(logged)
    assert tags["mlflow.user"] == "role-runner"
    assert tags["scalelab.run_id"] == run["id"]
    assert tags["scalelab.run_url"].endswith(f"api/projects/{slug}/runs/{run['id']}")
    assert tags["scalelab.output_url"].endswith(f"runs/{slug}/{run['id']}/train.ipynb")
    assert tags["scalelab.lineage.notebook"] == run["steps"][0]["lineage"]["notebook"]
    # The run's credential opened its project's tracking while it ran, and nothing after.
    token = (Path(hub.data_root) / "workspaces" / slug / "token-train.txt").read_text()
    r = requests.post(
        f"{hub.service_url}mlflow/{slug}/{API}/experiments/search",
        json={"max_results": 1},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert r.status_code == 401, r.text


def test_a_pipeline_is_a_parent_run_with_a_nested_run_per_step(
    callers: dict[str, Caller], slug: str
) -> None:
    runner = callers["role-runner"]
    run = run_to_end(runner, slug, {"target": "pipeline.yaml"})
    viewer = callers["role-viewer"]
    parent = mlflow_run(viewer, slug, run["tracking"]["run_id"])
    assert parent["info"]["status"] == "FINISHED"
    steps = {s["name"]: s for s in run["steps"]}
    for name, auc in (("prep", 0.52), ("train", 0.57)):
        child = mlflow_run(viewer, slug, steps[name]["tracking_run_id"])
        assert tags_of(child)["mlflow.parentRunId"] == parent["info"]["run_id"]
        assert tags_of(child)["scalelab.step"] == name
        assert {m["key"]: m["value"] for m in child["data"]["metrics"]} == {
            "auc": pytest.approx(auc)
        }
        assert child["info"]["status"] == "FINISHED"
