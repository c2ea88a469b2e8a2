"""Project MLflow servers that die, or never start: restarted, or a clear 503; nothing lost."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.inprocess.service import InProcessService
from tests.service.conftest import ROLE_USERS, Caller, new_slug
from tests.waiting import wait_until

pytestmark = pytest.mark.inprocess
API = "api/2.0/mlflow"


def make_project(callers: dict[str, Caller]) -> str:
    slug = new_slug("backend")
    r = callers[ROLE_USERS["owner"]]("POST", "api/projects", json={"slug": slug})
    assert r.status_code == 201
    return slug


def test_a_killed_server_is_started_again_with_its_data(
    hub: InProcessService, callers: dict[str, Caller]
) -> None:
    slug = make_project(callers)
    owner = callers[ROLE_USERS["owner"]]
    experiment = owner("GET", f"mlflow/{slug}/{API}/experiments/get-by-name?experiment_name={slug}")
    assert experiment.status_code == 200, experiment.text
    experiment_id = experiment.json()["experiment"]["experiment_id"]
    run = owner("POST", f"mlflow/{slug}/{API}/runs/create", json={"experiment_id": experiment_id})
    run_id = run.json()["run"]["info"]["run_id"]
    metric = {"run_id": run_id, "key": "auc", "value": 0.8, "timestamp": 1, "step": 0}
    assert owner("POST", f"mlflow/{slug}/{API}/runs/log-metric", json=metric).status_code == 200
    backends = hub.app.tracking  # type: ignore[union-attr]
    (backend,) = [b for b in backends.backends.values() if b.slug == slug]
    os.killpg(backend.process.pid, signal.SIGKILL)
    wait_until(lambda: not backend.running, 10, message="the server did not die")
    started = time.monotonic()
    r = owner("GET", f"mlflow/{slug}/{API}/runs/get?run_id={run_id}")
    assert r.status_code == 200, r.text
    assert r.json()["run"]["data"]["metrics"][0]["value"] == 0.8
    (again,) = [b for b in backends.backends.values() if b.slug == slug]
    assert again.process.pid != backend.process.pid
    print(f"started again in {time.monotonic() - started:.1f}s")


def test_a_server_that_cannot_start_gives_a_clear_503(
    hub: InProcessService, callers: dict[str, Caller]
) -> None:
    slug = make_project(callers)
    config = hub.app.tracking.config  # type: ignore[union-attr]
    config.server_args = ["--no-such-option"]
    try:
        r = callers[ROLE_USERS["owner"]](
            "GET", f"mlflow/{slug}/{API}/experiments/search?max_results=5"
        )
    finally:
        config.server_args = []
    assert r.status_code == 503, r.text
    message = r.json()["message"]
    assert "MLflow server exited at start" in message and "no-such-option" in message
    assert "\n" not in message
    r = callers[ROLE_USERS["owner"]]("GET", f"mlflow/{slug}/{API}/experiments/search?max_results=5")
    assert r.status_code == 200, r.text


def test_a_client_logging_through_a_crash_loses_nothing(
    hub: InProcessService, callers: dict[str, Caller], monkeypatch: pytest.MonkeyPatch
) -> None:
    """MLflow's client retries what the crash cut short; the restarted server has it all."""
    slug = make_project(callers)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"{hub.service_url}mlflow/{slug}")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", hub.token_for(ROLE_USERS["owner"]))
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.create_run(client.get_experiment_by_name(slug).experiment_id)
    backends = hub.app.tracking  # type: ignore[union-attr]
    (backend,) = [b for b in backends.backends.values() if b.slug == slug]
    for step in range(30):
        if step == 10:
            os.killpg(backend.process.pid, signal.SIGKILL)
        client.log_metric(run.info.run_id, "loss", 1.0 / (step + 1), step=step)
    history = client.get_metric_history(run.info.run_id, "loss")
    assert sorted(m.step for m in history) == list(range(30))


def test_an_archived_projects_experiments_are_read_only(callers: dict[str, Caller]) -> None:
    slug = make_project(callers)
    owner = callers[ROLE_USERS["owner"]]
    assert owner("POST", f"api/projects/{slug}/archive").status_code == 200
    r = owner("GET", f"mlflow/{slug}/{API}/experiments/get-by-name?experiment_name={slug}")
    assert r.status_code == 200, r.text
    body = {"experiment_id": r.json()["experiment"]["experiment_id"]}
    r = owner("POST", f"mlflow/{slug}/{API}/runs/create", json=body)
    assert r.status_code == 409 and "archived" in r.json()["message"]
