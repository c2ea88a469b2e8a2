"""The example project's deploy notebook, run as a deployer's lab kernel runs it: it registers
two versions, serves the first, calls it and moves the endpoint to the second blue-green."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from scalelab.server.kernels import project_env
from tests.inprocess.service import InProcessService
from tests.service.conftest import ROLE_USERS, Caller
from tests.waiting import wait_until

pytestmark = pytest.mark.inprocess
EXAMPLE = Path(__file__).resolve().parents[2] / "notebooks" / "06_deploy.ipynb"


def test_the_deploy_notebook_serves_and_replaces_its_model(
    hub: InProcessService, callers: dict[str, Caller], project: str, quick_bake: None
) -> None:
    workspace = Path(hub.data_root) / "workspaces" / project
    notebook = workspace / EXAMPLE.name
    shutil.copy(EXAMPLE, notebook)
    token = hub.token_for(ROLE_USERS["deployer"])
    # What a deployer's kernel on projects/<slug>/06_deploy.ipynb finds in its environment.
    env = {
        **os.environ,
        "SCALELAB_SERVICE_URL": hub.service_url,
        "JUPYTERHUB_API_TOKEN": token,
        **project_env(project, hub.service_url, token),
    }
    nb = nbformat.read(notebook, as_version=4)
    resources = {"metadata": {"path": str(workspace)}}
    NotebookClient(nb, timeout=600, kernel_name="scalelab", resources=resources).execute(env=env)
    text = "\n".join(
        str(output.get("text", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "predictions: [" in text, text[-3000:]
    assert "not deploying" not in text

    viewer = callers[ROLE_USERS["viewer"]]

    def promoted() -> dict[str, str] | None:
        found = viewer("GET", f"api/projects/{project}/deployments/tumours").json()
        return found if found["green"] is None and found["blue"]["version"] == "2" else None

    endpoint = wait_until(promoted, 120, 0.5, "the second version was not promoted")
    assert endpoint["previous"]["version"] == "1"
    kinds = [
        e["kind"]
        for e in viewer("GET", f"api/projects/{project}/deployments/tumours/events").json()[
            "events"
        ]
    ]
    assert {"ready", "switch", "promote"} <= set(kinds), kinds


MONITOR = EXAMPLE.with_name("07_monitor.ipynb")
RETRAIN = EXAMPLE.with_name("08_retrain.ipynb")


def test_the_monitor_notebook_runs_the_loop_to_a_decision(
    hub: InProcessService, callers: dict[str, Caller], project: str, quick_bake: None
) -> None:
    """After the deploy notebook: drifted traffic, a monitor, its breach, and the loop told
    step by step down to promoted or kept, with the reason."""
    workspace = Path(hub.data_root) / "workspaces" / project
    for source in (EXAMPLE, MONITOR, RETRAIN):
        shutil.copy(source, workspace / source.name)
    token = hub.token_for(ROLE_USERS["deployer"])
    env = {
        **os.environ,
        "SCALELAB_SERVICE_URL": hub.service_url,
        "JUPYTERHUB_API_TOKEN": token,
        **project_env(project, hub.service_url, token),
    }
    resources = {"metadata": {"path": str(workspace)}}
    outputs = []
    for source in (EXAMPLE, MONITOR):
        nb = nbformat.read(workspace / source.name, as_version=4)
        NotebookClient(nb, timeout=900, kernel_name="scalelab", resources=resources).execute(
            env=env
        )
        outputs.append(
            "\n".join(
                str(output.get("text", ""))
                for cell in nb.cells
                if cell.cell_type == "code"
                for output in cell.outputs
            )
        )
    text = outputs[-1]
    assert "not monitoring" not in text, text[-3000:]
    assert "check 1: breach" in text and "drift report: http" in text, text[-3000:]
    for step in ("retraining:", "registering:", "staging:", "evaluating:"):
        assert step in text, text[-3000:]
    decided = [line for line in text.splitlines() if line.startswith(("promoted:", "kept:"))]
    assert decided, text[-3000:]
    history = callers[ROLE_USERS["viewer"]](
        "GET", f"api/projects/{project}/monitors/tumours-drift/checks"
    ).json()
    (breach,) = history["breaches"]
    assert breach["state"] in ("promoted", "kept") and breach["retrain_run_id"]
