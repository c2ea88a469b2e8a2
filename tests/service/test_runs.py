"""Runs through the service over HTTP: a real executor, real kernels, records in its database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from scalelab.service.models import NotebookDiff, ParametersModel, RunList, RunModel
from tests.hubctl import Hub
from tests.runs.conftest import write_notebook
from tests.service.conftest import ROLE_USERS, Caller, new_slug
from tests.waiting import wait_until

pytestmark = pytest.mark.hub
RUNNER, VIEWER = ROLE_USERS["runner"], ROLE_USERS["viewer"]


def wait_for(caller: Caller, slug: str, run_id: str, timeout: float = 120) -> RunModel:
    seen: list[RunModel] = []

    def finished() -> RunModel | None:
        run = RunModel.model_validate(caller("GET", f"api/projects/{slug}/runs/{run_id}").json())
        seen[:] = [run]
        return None if run.status in ("queued", "running") else run

    return wait_until(finished, timeout, 0.2, lambda: f"run {run_id} still {seen[0].status}")


@pytest.fixture
def workspace(hub: Hub, callers: dict[str, Caller], project: str) -> tuple[str, Path]:
    folder = hub.data_root / "workspaces" / project
    write_notebook(
        folder / "square.ipynb",
        "n = 2  # the number\nlabel = 'x'  # a label",
        "print(label, n * n)",
    )
    write_notebook(
        folder / "slow.ipynb",
        "n = 1",
        "import os, pathlib; pathlib.Path('slow.pid').write_text(str(os.getpid()))",
        "import time; time.sleep(120)",
    )
    return project, folder


def test_a_runner_runs_a_notebook_and_a_viewer_reads_the_result(
    hub: Hub, callers: dict[str, Caller], workspace: tuple[str, Path]
) -> None:
    slug, _ = workspace
    params = ParametersModel.model_validate(
        callers[VIEWER]("GET", f"api/projects/{slug}/parameters?path=square.ipynb").json()
    )
    assert [(p.name, p.type, p.help) for p in params.parameters] == [
        ("n", "int", "the number"),
        ("label", "str", "a label"),
    ]
    r = callers[RUNNER](
        "POST",
        f"api/projects/{slug}/runs",
        json={"target": "square.ipynb", "parameters": {"n": 12}},
    )
    assert r.status_code == 201, r.text
    run = wait_for(callers[VIEWER], slug, r.json()["id"])
    assert run.status == "succeeded", run.error
    assert (run.trigger, run.triggered_by) == ("user", RUNNER)
    step = run.steps[0]
    assert step.output == f"runs/{slug}/{run.id}/square.ipynb"
    output = hub.data_root / step.output
    assert "x 144" in output.read_text()
    assert oct(output.stat().st_mode & 0o777) == oct(0o444)
    assert step.lineage["notebook"] and run.environment["packages"]["papermill"]
    listed = RunList.model_validate(callers[VIEWER]("GET", f"api/projects/{slug}/runs").json())
    assert [r.id for r in listed.runs] == [run.id]


def test_runs_compare_with_nbdime(callers: dict[str, Caller], workspace: tuple[str, Path]) -> None:
    slug, _ = workspace
    ids = []
    for n in (3, 4):
        r = callers[RUNNER](
            "POST",
            f"api/projects/{slug}/runs",
            json={"target": "square.ipynb", "parameters": {"n": n}},
        )
        ids.append(wait_for(callers[RUNNER], slug, r.json()["id"]).id)
    r = callers[VIEWER]("GET", f"api/projects/{slug}/runs/{ids[1]}/diff?other={ids[0]}&step=square")
    assert r.status_code == 200, r.text
    diff = NotebookDiff.model_validate(r.json())
    assert (diff.base, diff.remote) == (ids[0], ids[1])
    text = json.dumps(diff.diff)
    assert "x 9" in text or "x 16" in text  # the outputs differ
    assert '"key": "n", "value": 4' in text  # and so do the parameters
    # Timings each execution writes into every cell are left out: an unchanged cell is no change.
    cells = json.dumps([e for e in diff.diff if e["key"] == "cells"])
    assert cells != "[]" and '"papermill"' not in cells and '"execution"' not in cells


def test_cancel_kills_the_kernel_and_the_record_says_cancelled(
    callers: dict[str, Caller], workspace: tuple[str, Path]
) -> None:
    slug, folder = workspace
    r = callers[RUNNER]("POST", f"api/projects/{slug}/runs", json={"target": "slow.ipynb"})
    run_id = r.json()["id"]
    wait_until((folder / "slow.pid").exists, 60, 0.1)
    pid = int((folder / "slow.pid").read_text())
    cancelled = callers[RUNNER]("POST", f"api/projects/{slug}/runs/{run_id}/cancel", json={})
    assert cancelled.status_code == 200, cancelled.text
    run = wait_for(callers[RUNNER], slug, run_id)
    assert run.status == "cancelled" and run.steps[0].status == "cancelled"
    # The record is written first; the kernel is shut down in the background (KernelPool).
    wait_until(
        lambda: not Path(f"/proc/{pid}").exists(),
        10,
        0.1,
        f"kernel {pid} still alive 10 s after the cancel",
    )
    again = callers[RUNNER]("POST", f"api/projects/{slug}/runs/{run_id}/cancel", json={})
    assert again.status_code == 409


def test_a_timeout_fails_the_step(callers: dict[str, Caller], workspace: tuple[str, Path]) -> None:
    slug, _ = workspace
    r = callers[RUNNER](
        "POST", f"api/projects/{slug}/runs", json={"target": "slow.ipynb", "timeout": 2}
    )
    run = wait_for(callers[RUNNER], slug, r.json()["id"])
    assert run.status == "failed" and "longer than 2s" in run.steps[0].error


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"target": "square.ipynb", "parameters": {"nope": 1}}, "unknown parameter 'nope'"),
        ({"target": "square.ipynb", "parameters": {"n": "ten"}}, "'n' expects int, got str"),
        (
            {"target": "square.ipynb", "parameters": {"label": "x" * (10 * 1024 * 1024)}},
            "exceeds the limit",
        ),
        ({"target": "../other/x.ipynb"}, "may not contain '..'"),
        ({"target": "/etc/passwd"}, "absolute path"),
        ({"target": "missing.ipynb"}, "not found"),
        ({"target": "cycle.yaml"}, "cycle"),
        ({"target": "square.ipynb", "retries": 9}, "retries"),
    ],
)
def test_bad_run_requests_are_refused_before_anything_runs(
    callers: dict[str, Caller], workspace: tuple[str, Path], body: dict, fragment: str
) -> None:
    slug, folder = workspace
    (folder / "cycle.yaml").write_text(
        "name: c\nsteps:\n  - {name: a, notebook: square.ipynb, needs: [b]}\n"
        "  - {name: b, notebook: square.ipynb, needs: [a]}\n"
    )
    r = callers[RUNNER]("POST", f"api/projects/{slug}/runs", json=body)
    assert r.status_code in (400, 413), r.text
    assert fragment in r.json()["message"]
    assert callers[RUNNER]("GET", f"api/projects/{slug}/runs").json()["runs"] == []


def test_injected_strings_stay_values(
    hub: Hub, callers: dict[str, Caller], workspace: tuple[str, Path]
) -> None:
    slug, folder = workspace
    evil = '"; import pathlib; pathlib.Path("pwned").touch(); "'
    r = callers[RUNNER](
        "POST",
        f"api/projects/{slug}/runs",
        json={"target": "square.ipynb", "parameters": {"label": evil}},
    )
    run = wait_for(callers[RUNNER], slug, r.json()["id"])
    assert run.status == "succeeded"
    nb = nbformat.read(hub.data_root / run.steps[0].output, as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert evil in printed
    assert not (folder / "pwned").exists()


def test_scalelab_run_remote_submits_to_the_service(
    hub: Hub, callers: dict[str, Caller], workspace: tuple[str, Path], tmp_path: Path
) -> None:
    slug, _ = workspace
    token = callers[RUNNER].headers["Authorization"].split()[1]
    cli = [
        sys.executable,
        "-m",
        "scalelab.cli",
        "run",
        "--remote",
        hub.service_url,
        "--project",
        slug,
        "--token",
        token,
    ]
    ok = subprocess.run(
        [*cli, "square.ipynb", "-p", "n=5", "--junit", str(tmp_path / "j.xml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert "succeeded: 1 step(s)" in ok.stdout
    runs = callers[VIEWER]("GET", f"api/projects/{slug}/runs").json()["runs"]
    assert runs[0]["parameters"] == {"n": 5}
    assert (tmp_path / "j.xml").exists()
    bad = subprocess.run(
        [*cli, "square.ipynb", "-p", "n=five"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == "scalelab run: parameter 'n' expects int, got 'five'"
    viewer = callers[VIEWER].headers["Authorization"].split()[1]
    refused = subprocess.run(
        [*cli[:-1], viewer, "square.ipynb"], capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2 and "needs the runner role" in refused.stderr


def test_the_example_pipeline_runs_through_the_service(
    hub: Hub, callers: dict[str, Caller]
) -> None:
    owner = callers[ROLE_USERS["owner"]]
    slug = new_slug("pipe")
    r = owner("POST", "api/projects", json={"slug": slug, "template": "example"})
    assert r.status_code == 201, r.text
    described = ParametersModel.model_validate(
        owner("GET", f"api/projects/{slug}/parameters?path=pipeline.yaml").json()
    )
    assert described.kind == "pipeline"
    assert described.steps == ["ingest", "features", "train", "evaluate"]
    r = owner(
        "POST",
        f"api/projects/{slug}/runs",
        json={"target": "pipeline.yaml", "parameters": {"n_estimators": 10}},
    )
    assert r.status_code == 201, r.text
    run = wait_for(owner, slug, r.json()["id"], timeout=300)
    assert run.status == "succeeded", run.error
    assert [s.status for s in run.steps] == ["succeeded"] * 4
    assert run.steps[2].parameters["n_estimators"] == 10
    metrics = hub.data_root / "workspaces" / slug / "reports" / "metrics.json"
    assert json.loads(metrics.read_text())["accuracy"] > 0.8
    assert run.steps[3].lineage["outputs"]["reports/metrics.json"]
    log = (hub.data_root / "runs" / slug / run.id / "run.log").read_text()
    assert "evaluate: succeeded" in log
    # The train step logged to its own nested MLflow run, with no configuration.
    train = run.steps[2].tracking_run_id
    tracking = f"mlflow/{slug}/api/2.0/mlflow"
    logged = owner("GET", f"{tracking}/runs/get?run_id={train}").json()["run"]
    metrics = {m["key"]: m["value"] for m in logged["data"]["metrics"]}
    assert metrics["test_accuracy"] > 0.8
    params = {p["key"]: p["value"] for p in logged["data"]["params"]}
    assert params["n_estimators"] == "10"
    search = {
        "experiment_ids": [logged["info"]["experiment_id"]],
        "filter": f"source_run_id = '{train}'",
    }
    models = owner("POST", f"{tracking}/logged-models/search", json=search).json()["models"]
    assert [m["info"]["name"] for m in models] == ["model"]
