"""In a browser: run an example notebook with a changed parameter, open its output, compare."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    log_in,
    open_new_example_project,
    project_dashboard,
    workspace_item,
)
from tests.hubctl import Hub

pytestmark = [pytest.mark.e2e, pytest.mark.hub]
SLUG = "example-runs"
NOTEBOOK = "01_ingest.ipynb"


def run_with_parameters(page: Page, fraction: str) -> None:
    workspace_item(page, SLUG, NOTEBOOK).click(button="right")
    page.locator(".lm-Menu-item", has_text="Run with parameters").click()
    form = page.get_by_test_id("scalelab-run-form")
    field = form.get_by_test_id("scalelab-param-sample_fraction")
    expect(field).to_have_value("1")  # the default, from the parameters cell
    field.fill(fraction)
    page.locator(".jp-Dialog-button", has_text="Run").click()
    expect(form).to_be_hidden()


def latest_run_finished(page: Page) -> None:
    status = page.get_by_test_id("scalelab-runs").get_by_test_id("scalelab-run-status").first
    expect(status).to_have_text("succeeded", timeout=120_000)


def test_run_from_the_form_open_the_output_and_compare(
    browser: Browser, hub: Hub, artifacts: Path
) -> None:
    page = browser.new_context(viewport={"width": 1500, "height": 950}).new_page()
    page.set_default_timeout(60_000)
    try:
        log_in(page, hub, "alice")
        open_new_example_project(page, SLUG)
        # The project is a dashboard in the main area, with a tab per view; the panel stays.
        dashboard = project_dashboard(page, SLUG)
        expect(dashboard).to_have_count(1)
        tabs = dashboard.locator(".lm-TabBar-tab")
        expect(tabs).to_have_text(
            [
                "Overview",
                "Runs",
                "Schedules",
                "Models",
                "Deployments",
                "Monitors",
                "Members",
                "Audit",
            ]
        )
        expect(dashboard.get_by_test_id("scalelab-current-title")).to_have_text(SLUG)
        expect(page.locator("#scalelab-panel")).to_be_attached()
        page.screenshot(path=str(artifacts / "dashboard-overview.png"))

        run_with_parameters(page, "0.5")
        # Starting a run shows it, selected, in the Runs tab of the project's dashboard.
        expect(page.locator("#scalelab-panel")).to_be_visible()
        expect(dashboard.get_by_test_id("scalelab-dashboard-tab-runs")).to_have_class(
            re.compile(r"\blm-mod-current\b")
        )
        latest_run_finished(page)
        page.screenshot(path=str(artifacts / "runs-finished.png"))
        detail = page.get_by_test_id("scalelab-run-detail")
        detail.get_by_test_id("scalelab-open-output").first.click()
        output = page.locator(".jp-NotebookPanel:visible")
        expect(output).to_contain_text("sample_fraction = 0.5")
        page.screenshot(path=str(artifacts / "runs-output.png"))

        page.click('.jp-SideBar [data-id="filebrowser"]')
        run_with_parameters(page, "0.8")
        expect(page.locator("#scalelab-panel")).to_be_visible()
        latest_run_finished(page)
        page.get_by_test_id("scalelab-run-detail").get_by_test_id("scalelab-compare").first.click()
        diff = page.get_by_test_id("scalelab-diff")
        expect(diff).to_contain_text("0.8")
        page.screenshot(path=str(artifacts / "runs-compare.png"))
    finally:
        page.context.close()
        hub.stop_server("alice")
