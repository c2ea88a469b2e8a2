"""In a browser: the example train notebook logs with no configuration and shows its runs in an
ExperimentBoard; the panel's Experiments action opens the project's MLflow UI, signed in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import log_in, open_new_example_project, project_dashboard, workspace_item
from tests.hubctl import Hub
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.hub]
SLUG = "example-experiments"
USER = "alice"


def run_pipeline(hub: Hub) -> None:
    """The example pipeline, run by the service: the data the train notebook reads, and five
    MLflow runs (the pipeline's, and one per step)."""
    call = {"Authorization": f"token {hub.token_for(USER)}"}
    api = f"{hub.service_url}api/projects/{SLUG}/runs"
    started = requests.post(api, json={"target": "pipeline.yaml"}, headers=call, timeout=30)
    assert started.status_code == 201, started.text

    def ended() -> dict[str, object] | None:
        run = requests.get(f"{api}/{started.json()['id']}", headers=call, timeout=30).json()
        return run if run["status"] not in ("queued", "running") else None

    run = wait_until(ended, 240, 0.5, "the pipeline did not finish")
    assert run["status"] == "succeeded", run


def test_the_train_notebook_shows_its_runs_and_the_panel_opens_mlflow(
    browser: Browser, hub: Hub, artifacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 1500, "height": 950})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        log_in(page, hub, USER)
        open_new_example_project(page, SLUG)
        run_pipeline(hub)

        workspace_item(page, SLUG, "03_train.ipynb").dblclick()
        notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        # Running all cells while the lab still sets up the notebook's session asks which
        # kernel to use: wait for the kernel to show idle in the status bar, and a little more.
        expect(
            page.locator(".jp-StatusBar-TextItem", has_text="Python 3 (ScaleLab) | Idle")
        ).to_be_visible(timeout=60_000)
        page.wait_for_timeout(3_000)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").click()
        page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
        board = notebook.locator(".slw-table").last
        # Five runs of the pipeline and this notebook's own, with what it logged.
        try:
            expect(board.locator("tbody tr")).to_have_count(6, timeout=120_000)
        except AssertionError:
            page.screenshot(path=str(artifacts / "experiment-board-failed.png"))
            print(notebook.locator(".jp-OutputArea").all_inner_texts())
            (artifacts / "experiments-hub.log").write_text(hub.log())
            raise
        expect(board.locator("thead")).to_contain_text("test_accuracy")
        expect(board.locator("tbody tr").first.locator(".slw-links a")).not_to_have_count(0)
        page.screenshot(path=str(artifacts / "experiment-board.png"))

        dashboard = project_dashboard(page, SLUG)
        page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=SLUG).first.click()
        with context.expect_page() as opened:
            dashboard.get_by_test_id("scalelab-dashboard-experiments").click()
        mlflow = opened.value
        mlflow.wait_for_load_state()
        expect(mlflow).to_have_url(re.compile(rf"/services/scalelab/mlflow/{SLUG}/"))
        # MLflow's own UI, signed in through the hub: the project's experiment is listed.
        expect(mlflow.get_by_text(SLUG, exact=True).first).to_be_visible(timeout=60_000)
        mlflow.screenshot(path=str(artifacts / "mlflow-ui.png"))
    finally:
        context.close()
