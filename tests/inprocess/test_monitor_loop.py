"""The loop back to retraining, whole: a deployed model, traffic from another world, a
monitor that fires once, a retrain run, the new model staged as green and weighed on labels
posted later; promoted when it is better, kept out when it is worse; and a service stopped in
the middle of the loop that resumes it without doing a step twice.

The world: y = 1 when x is above the middle of the range it is drawn from. A model trained on
[0, 10] says 1 for every x of [20, 30] (right half of the time); one retrained on [20, 30] is
right; one retrained on flipped labels is wrong.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from scalelab.store import monitors as monitors_repo
from scalelab.store import projects as projects_repo
from tests.inprocess.service import InProcessService, in_process_service
from tests.inprocess.test_deployments import register
from tests.inprocess.test_run_tracking import run_to_end
from tests.runs.conftest import write_notebook
from tests.service.conftest import OUTSIDER, ROLE_USERS, Caller, callers_of, project_of
from tests.waiting import wait_until

pytestmark = pytest.mark.inprocess

TRAIN = (
    "import mlflow, mlflow.sklearn, numpy as np, pandas as pd\n"
    "from sklearn.tree import DecisionTreeClassifier\n"
    "from scalelab.monitoring import log_reference\n"
    "X = pd.DataFrame({'x': np.linspace(low, high, 400)})\n"
    "y = (X['x'] > (low + high) / 2).astype(int)\n"
    "y = 1 - y if flip else y\n"
    "model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)\n"
    "mlflow.log_metric('accuracy', float((model.predict(X) == y).mean()))\n"
    "log_reference(X)\n"
    "mlflow.sklearn.log_model(model, name='model', input_example=X.head(2),\n"
    "    skops_trusted_types=['sklearn.tree._tree.Tree'])"
)
PARAMS = "low = 0.0\nhigh = 10.0\nflip = False"
FAST = {
    "Monitoring": {"min_labelled": 40, "loop_poll": 0.3, "label_wait": 600.0},
    "Serving": {"check_interval": 0.2},
}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[InProcessService]:
    with in_process_service(tmp_path / "data", FAST) as started:
        yield started


def traffic(
    hub: InProcessService, caller: Caller, slug: str, low: float, tag: str
) -> dict[str, Any]:
    """Sixty calls of two rows of x in [low, low + 10], each with its request id; the true
    labels of each, by request id."""
    rng = random.Random(tag)
    truth = {}
    for n in range(60):
        rows = [[rng.uniform(low, low + 10)] for _ in range(2)]
        r = requests.post(
            f"{hub.service_url}serve/{slug}/shifty/invocations",
            json={"dataframe_split": {"columns": ["x"], "data": rows}},
            headers={**caller.headers, "X-Request-Id": f"{tag}-{n}"},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        truth[f"{tag}-{n}"] = [int(x > low + 5) for (x,) in rows]
    return truth


def post_labels(caller: Caller, slug: str, labels: dict[str, Any]) -> None:
    body = {"labels": [{"request_id": rid, "label": label} for rid, label in labels.items()]}
    r = caller("POST", f"api/projects/{slug}/deployments/shifty/labels", json=body)
    assert r.status_code == 200, r.text


def breach_when(caller: Caller, slug: str, states: set[str], count: int = 1) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        history = caller("GET", f"api/projects/{slug}/monitors/drift/checks").json()
        breaches = history["breaches"]
        if len(breaches) >= count and breaches[0]["state"] in states:
            return breaches[0]
        return None

    def explain() -> str:
        return str(caller("GET", f"api/projects/{slug}/monitors/drift/checks").json())

    result: dict[str, Any] = wait_until(found, 240, 0.5, explain)
    return result


def checks_when(caller: Caller, slug: str, count: int) -> dict[str, Any]:
    """The monitor's history once `count` checks are over."""

    def found() -> dict[str, Any] | None:
        history: dict[str, Any] = caller("GET", f"api/projects/{slug}/monitors/drift/checks").json()
        checks = history["checks"]
        return history if len(checks) >= count and checks[0]["status"] != "running" else None

    result: dict[str, Any] = wait_until(found, 120, 0.5, f"fewer than {count} checks")
    return result


def green_version(caller: Caller, slug: str) -> str | None:
    green = caller("GET", f"api/projects/{slug}/deployments/shifty").json()["green"]
    return green["version"] if green else None


def reports_folder(service: InProcessService, slug: str, name: str) -> Path:
    """Where the service keeps the monitor's check reports."""
    assert service.app is not None
    with service.app.store.session() as session:
        project = projects_repo.get_project(session, slug)
        assert project is not None
        monitor = monitors_repo.get_monitor(session, project.id, name)
        assert monitor is not None
        return service.app.monitors.reports(project.id, monitor.id)


def monitor_runs(caller: Caller, slug: str) -> list[dict[str, Any]]:
    runs = caller("GET", f"api/projects/{slug}/runs").json()["runs"]
    return [r for r in runs if r["trigger"] == "monitor"]


def live_version(caller: Caller, slug: str) -> str:
    return caller("GET", f"api/projects/{slug}/deployments/shifty").json()["blue"]["version"]


def test_a_breach_retrains_stages_and_promotes_once_even_across_a_restart(
    service: InProcessService, tmp_path: Path
) -> None:
    callers = callers_of(service)
    slug = project_of(callers)
    deployer, viewer = callers[ROLE_USERS["deployer"]], callers[ROLE_USERS["viewer"]]
    editor = callers[ROLE_USERS["editor"]]
    workspace = Path(service.data_root) / "workspaces" / slug
    write_notebook(workspace / "train.ipynb", PARAMS, TRAIN)

    # A model of [0, 10] goes live, logging every request.
    run = run_to_end(callers[ROLE_USERS["runner"]], slug, {"target": "train.ipynb"})
    r = deployer(
        "POST", f"api/projects/{slug}/models", json={"run_id": run["id"], "name": "shifty"}
    )
    assert r.status_code == 201, r.text
    body = {"name": "shifty", "model_uri": "models:/shifty/1", "request_log_rate": 1}
    assert deployer("POST", f"api/projects/{slug}/deployments", json=body).status_code == 202
    wait_until(
        lambda: viewer("GET", f"api/projects/{slug}/deployments/shifty").json()["state"] == "live",
        120,
        0.3,
    )

    # A monitor that retrains on the new world when the traffic drifts.
    monitor = {
        "name": "drift",
        "endpoint": "shifty",
        "cron": "0 0 1 1 *",
        "window_hours": 1,
        "min_rows": 50,
        "metric": "accuracy",
        "retrain": {
            "target": "train.ipynb",
            "parameters": {"low": 20.0, "high": 30.0},
            "model_name": "shifty",
            "margin": 0.1,
        },
    }
    assert editor("POST", f"api/projects/{slug}/monitors", json=monitor).status_code == 403
    r = deployer("POST", f"api/projects/{slug}/monitors", json=monitor)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "new" and r.json()["retrain"]["margin"] == 0.1

    # Traffic of [20, 30]; labels not back yet. Checked twice: one breach, one retrain.
    truth = traffic(service, viewer, slug, 20.0, "a")
    check = f"api/projects/{slug}/monitors/drift/check"
    assert deployer("POST", check).status_code == 202
    evaluating = breach_when(viewer, slug, {"evaluating"})
    assert "1 column(s) drifted: x" in evaluating["reason"]
    assert deployer("POST", check).status_code == 202
    history = checks_when(viewer, slug, 2)
    assert [c["status"] for c in history["checks"]] == ["breach", "breach"]
    assert (
        len(history["breaches"]) == 1
        and [c["breach_id"] for c in history["checks"]] == [evaluating["id"]] * 2
    )
    report = history["checks"][-1]["report_url"]
    assert report and report.endswith(f"/checks/{history['checks'][-1]['id']}/report")
    page = viewer("GET", report.split("/services/scalelab/", 1)[1])
    assert page.status_code == 200 and "<svg" in page.text and "drift" in page.text.lower()
    assert callers[OUTSIDER]("GET", report.split("/services/scalelab/", 1)[1]).status_code == 404
    staged = viewer("GET", f"api/projects/{slug}/deployments/shifty").json()
    assert staged["green"]["version"] == "2" and staged["green_share"] == 0
    assert live_version(viewer, slug) == "1"
    notes = viewer("GET", "api/notifications").json()["notifications"]
    alert = next(n for n in notes if n["title"].startswith("Monitor drift breached"))
    assert alert["links"]["report"].endswith("/report")

    # The service stops in the middle of the loop and comes back on the same data.
    service.stop()
    with in_process_service(Path(service.data_root), FAST, service.table) as again:
        callers = callers_of(again)
        viewer = callers[ROLE_USERS["viewer"]]
        editor = callers[ROLE_USERS["editor"]]
        # Green went with the stop; the loop stages the same version again, then waits.
        breach_when(viewer, slug, {"evaluating"})
        wait_until(lambda: green_version(viewer, slug) == "2", 120, 0.3)
        post_labels(editor, slug, truth)
        done = breach_when(viewer, slug, {"promoted", "kept", "failed"})
        assert done["state"] == "promoted", done
        assert live_version(viewer, slug) == "2"
        states = [s["state"] for s in done["steps"]]
        assert "resumed" in states
        # One retrain run, one registration; green went with the stop and was staged again.
        assert states[:6] == [
            "breach",
            "retraining",
            "registering",
            "staging",
            "evaluating",
            "resumed",
        ], states
        assert states[6:] == ["staging", "evaluating", "promoting", "promoted", "closed"], states
        assert len(monitor_runs(viewer, slug)) == 1
        versions = viewer("GET", f"api/projects/{slug}/models").json()["models"][0]["versions"]
        assert len(versions) == 2
        assert "better by" in done["decision"]

        # Promotion ends the breach: the next check judges the new model, and passes.
        assert callers[ROLE_USERS["deployer"]]("POST", check).status_code == 202
        assert checks_when(viewer, slug, 3)["checks"][0]["status"] == "ok"

        # New traffic, of [40, 50]; this time the retrain learns flipped labels: it is worse,
        # and the live model stays.
        worse = {"low": 40.0, "high": 50.0}
        r = callers[ROLE_USERS["deployer"]](
            "PATCH",
            f"api/projects/{slug}/monitors/drift",
            json={"retrain": {**monitor["retrain"], "parameters": {**worse, "flip": True}}},
        )
        assert r.status_code == 200, r.text
        post_labels(editor, slug, traffic(again, viewer, slug, 40.0, "b"))
        # From CI this time: the command checks, follows the loop, and exits 1 (kept).
        command = [sys.executable, "-m", "scalelab.cli", "monitor", "check", "drift", "--follow"]
        connection = ["--service", again.service_url, "--project", slug]
        done = subprocess.run(
            [*command, *connection, "--token", again.token_for(ROLE_USERS["deployer"])],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 1, done.stderr
        assert done.stdout.startswith("drift: breach: ") and "\ndrift: kept: " in done.stdout
        assert "evaluating:" in done.stderr and "keeping:" in done.stderr
        kept = breach_when(viewer, slug, {"kept", "failed"}, count=2)
        assert kept["state"] == "kept", kept
        assert "the live model stays" in kept["decision"]
        assert live_version(viewer, slug) == "2"
        assert green_version(viewer, slug) is None
        assert len(monitor_runs(viewer, slug)) == 2

        # Deleting the monitor takes its history and its reports with it.
        reports = reports_folder(again, slug, "drift")
        assert len(list(reports.iterdir())) == 4  # one per check
        url = f"api/projects/{slug}/monitors/drift"
        assert callers[ROLE_USERS["deployer"]]("DELETE", url).status_code == 204
        assert viewer("GET", url + "/checks").status_code == 404 and not reports.exists()


@pytest.mark.parametrize(
    ("change", "status", "fragment"),
    [
        ({"cron": "* * * * *"}, 400, "shortest interval allowed"),
        ({"cron": "not a cron"}, 400, "cron"),
        ({"timezone": "Mars/Olympus"}, 400, "Mars/Olympus"),
        ({"thresholds": {"ks_possible": 0.2, "ks_drift": 0.1}}, 400, "ks_drift"),
        ({"thresholds": {"p_value": 1.5}}, 400, "p_value"),
        ({"score_limit": 0.9}, 400, "score_limit needs a metric"),
        ({"retrain": {"target": "train1.ipynb", "model_name": "tumours"}}, 400, "needs a metric"),
        (
            {"metric": "f1", "retrain": {"target": "nowhere.ipynb", "model_name": "tumours"}},
            400,
            "nowhere.ipynb",
        ),
        (
            {"metric": "f1", "retrain": {"target": "train1.ipynb", "model_name": "t", "x": 1}},
            400,
            "x",
        ),
        ({"webhook_url": "http://127.0.0.1:9/hook"}, 400, "127.0.0.1"),
        ({"webhook_url": "http://169.254.169.254/latest"}, 400, "169.254.169.254"),
        ({"window_hours": 0}, 400, "window_hours"),
        ({"endpoint": "nothing-here"}, 404, "nothing-here"),
        ({"name": "Bad Name"}, 400, "name"),
    ],
)
def test_a_monitor_that_cannot_work_is_refused_and_nothing_is_saved(
    hub: InProcessService,
    callers: dict[str, Caller],
    monitored_endpoint: str,
    change: dict[str, Any],
    status: int,
    fragment: str,
) -> None:
    slug = monitored_endpoint
    deployer = callers[ROLE_USERS["deployer"]]
    body = {"name": "watch", "endpoint": "tumours", **change}
    r = deployer("POST", f"api/projects/{slug}/monitors", json=body)
    assert r.status_code == status, r.text
    assert fragment in r.json()["message"], r.text
    assert deployer("GET", f"api/projects/{slug}/monitors").json()["monitors"] == []


def test_monitors_are_edited_paused_and_deleted_by_deployers(
    hub: InProcessService, callers: dict[str, Caller], monitored_endpoint: str
) -> None:
    slug = monitored_endpoint
    deployer, viewer = callers[ROLE_USERS["deployer"]], callers[ROLE_USERS["viewer"]]
    body = {
        "name": "watch",
        "endpoint": "tumours",
        "webhook_url": "https://hooks.example.com/T1/B2/secret",
    }
    r = deployer("POST", f"api/projects/{slug}/monitors", json=body)
    assert r.status_code == 201, r.text
    assert deployer("POST", f"api/projects/{slug}/monitors", json=body).status_code == 409
    url = f"api/projects/{slug}/monitors/watch"
    seen = viewer("GET", url).json()
    assert seen["webhook_url"] == "https://hooks.example.com/T1/***/***"
    assert seen["next_check_at"] is not None and seen["last_breach"] is None

    # An edit that cannot work changes nothing; a good one applies; pausing stops checks.
    before = deployer("GET", url).json()
    r = deployer("PATCH", url, json={"cron": "* * * * *", "min_rows": 5})
    assert r.status_code == 400 and deployer("GET", url).json() == before
    r = deployer("PATCH", url, json={"min_rows": 5, "metric": "accuracy", "score_limit": 0.8})
    assert r.status_code == 200, r.text
    assert (r.json()["min_rows"], r.json()["score_limit"]) == (5, 0.8)
    assert deployer("PATCH", url, json={"metric": None}).status_code == 400  # the limit needs it
    assert deployer("PATCH", url, json={"paused": True}).json()["paused"] is True
    r = deployer("POST", url + "/check")
    assert r.status_code == 409 and "paused" in r.json()["message"]

    # A check with no logged traffic: nothing to judge, said so; no breach.
    deployer("PATCH", url, json={"paused": False})
    assert deployer("POST", url + "/check").status_code == 202

    def checked() -> dict[str, Any] | None:
        found = viewer("GET", url + "/checks").json()
        done = [c for c in found["checks"] if c["status"] != "running"]
        return done[0] if done else None

    check = wait_until(checked, 120, 0.3)
    assert check["status"] in ("too few rows", "error"), check
    assert viewer("GET", url + "/checks").json()["breaches"] == []
    assert viewer("DELETE", url).status_code == 403
    assert deployer("DELETE", url).status_code == 204
    assert viewer("GET", url).status_code == 404


@pytest.fixture(scope="module")
def monitored_endpoint(hub: InProcessService) -> str:
    """A project with endpoint `tumours` live (and its training notebook train1.ipynb),
    shared by this module's API tests."""
    callers = callers_of(hub)
    project = project_of(callers)
    version = register(callers, hub, project, 1)
    body = {"name": "tumours", "model_uri": f"models:/tumours/{version}"}
    r = callers[ROLE_USERS["deployer"]]("POST", f"api/projects/{project}/deployments", json=body)
    assert r.status_code == 202, r.text
    return project


MAKE = (
    "import os, numpy as np, pandas as pd\n"
    "os.makedirs('data', exist_ok=True)\n"
    "rng = np.random.default_rng(int(shift * 10))\n"
    "pd.DataFrame({'x': rng.normal(shift, 1, 400), 'kind': ['a', 'b'] * 200})"
    ".to_csv('data/out.csv', index=False)"
)
MAKE_PIPELINE = """name: make
parameters: {shift: 0.0}
steps:
  - name: make
    notebook: make.ipynb
    parameters: {shift: "{{ params.shift }}"}
    outputs: [data/out.csv]
    profile: [data/out.csv]
"""


def test_a_data_set_monitor_compares_pipeline_runs_and_reruns_the_pipeline(
    hub: InProcessService, callers: dict[str, Caller], project: str
) -> None:
    slug = project
    workspace = Path(hub.data_root) / "workspaces" / slug
    write_notebook(workspace / "make.ipynb", "shift = 0.0", MAKE)
    (workspace / "pipeline.yaml").write_text(MAKE_PIPELINE)
    runner, deployer = callers[ROLE_USERS["runner"]], callers[ROLE_USERS["deployer"]]
    viewer = callers[ROLE_USERS["viewer"]]
    reference = run_to_end(runner, slug, {"target": "pipeline.yaml"})
    assert reference["steps"][0]["profiles"] == {"data/out.csv": "profiles/data__out.csv.whylogs"}

    url = f"api/projects/{slug}/monitors"
    dataset = {"target": "pipeline.yaml", "output": "data/out.csv"}
    body = {
        "name": "data",
        "dataset": dataset,
        "min_rows": 100,
        "retrain": {"target": "pipeline.yaml", "parameters": {"shift": 0.0}},
    }
    for bad, says in (
        ({**body, "dataset": {**dataset, "output": "data/other.csv"}}, "no step that profiles"),
        ({**body, "metric": "accuracy"}, "a data set has no model"),
        ({**body, "endpoint": "tumours"}, "one of the two"),
        ({k: v for k, v in body.items() if k != "dataset"}, "one of the two"),
    ):
        r = deployer("POST", url, json=bad)
        assert r.status_code == 400 and says in r.json()["message"], r.text
    r = deployer("POST", url, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["endpoint"] is None and r.json()["dataset"]["output"] == "data/out.csv"

    # Another run on shifted data: the check compares it with the first run, and breaches.
    shifted = run_to_end(runner, slug, {"target": "pipeline.yaml", "parameters": {"shift": 3.0}})
    assert deployer("POST", url + "/data/check").status_code == 202

    def ended() -> dict[str, Any] | None:
        history = viewer("GET", url + "/data/checks").json()
        breaches = history["breaches"]
        return history if breaches and breaches[0]["state"] in ("retrained", "failed") else None

    history = wait_until(ended, 180, 0.5, "the data set's loop did not end")
    (check,) = history["checks"]
    assert check["status"] == "breach" and "x" in check["summary"]["drifted"], check
    assert check["summary"]["reference_run"] == reference["id"]
    assert check["summary"]["runs"] == [shifted["id"]]
    (breach,) = history["breaches"]
    assert breach["state"] == "retrained", breach
    retrain = viewer("GET", f"api/projects/{slug}/runs/{breach['retrain_run_id']}").json()
    assert retrain["trigger"] == "monitor" and retrain["status"] == "succeeded"
    notes = viewer("GET", "api/notifications").json()["notifications"]
    assert any(n["title"] == "Monitor data breached on its data set" for n in notes)
