"""In a browser: an owner shares a project with a viewer, who sees it but cannot save there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import log_in, project_dashboard, show_scalelab_panel, workspace_item
from tests.hubctl import Hub
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.hub]
SLUG = "shared-analysis"


def open_panel(page: Page) -> None:
    show_scalelab_panel(page)
    expect(page.get_by_test_id("scalelab-user")).not_to_have_text("Loading…")


def open_workspace_notebook(page: Page, name: str) -> None:
    # The project's entry opens its dashboard; the workspace button is on its overview.
    page.get_by_test_id(f"scalelab-project-{SLUG}").click()
    dashboard = project_dashboard(page, SLUG)
    dashboard.get_by_test_id("scalelab-dashboard-tab-overview").click()
    dashboard.get_by_test_id("scalelab-open-workspace").click()
    item = workspace_item(page, SLUG, name)
    expect(item).to_be_visible(timeout=30_000)
    item.dblclick()
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()


def edit_first_cell_and_save(page: Page, text: str) -> None:
    cell = page.locator(".jp-NotebookPanel .jp-Cell").first
    cell.click()
    page.keyboard.press("Enter")  # edit mode
    page.keyboard.press("End")
    page.keyboard.type(text)
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")


def new_page(browser: Browser) -> Page:
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(60_000)
    return page


def test_owner_adds_viewer_who_cannot_save_there(
    browser: Browser, hub: Hub, artifacts: Path
) -> None:
    owner, viewer = new_page(browser), new_page(browser)
    workspace = hub.data_root / "workspaces" / SLUG
    try:
        # alice creates the project and adds bob as a viewer, from the panel
        log_in(owner, hub, "alice")
        open_panel(owner)
        form = owner.get_by_test_id("scalelab-new-project")
        form.locator('input[name="slug"]').fill(SLUG)
        form.get_by_role("button", name="Create").click()
        expect(owner.get_by_test_id("scalelab-my-role")).to_contain_text("owner")
        owner.get_by_test_id("scalelab-dashboard-tab-members").click()
        add = owner.get_by_test_id("scalelab-add-member")
        add.locator('input[name="member-name"]').fill("bob")
        add.locator('select[name="member-role"]').select_option("viewer")
        add.get_by_role("button", name="Add").click()
        expect(owner.get_by_test_id("scalelab-member-user-bob")).to_be_visible()
        notebook = {
            "cells": [
                {
                    "cell_type": "code",
                    "metadata": {},
                    "source": "x = 1",
                    "outputs": [],
                    "execution_count": None,
                }
            ],
            "metadata": {
                "kernelspec": {
                    "name": "scalelab",
                    "display_name": "Python 3 (ScaleLab)",
                    "language": "python",
                }
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (workspace / "analysis.ipynb").write_text(json.dumps(notebook))
        owner.screenshot(path=str(artifacts / "projects-owner-panel.png"))

        # bob sees it in his file browser, opens the notebook, and cannot save it
        log_in(viewer, hub, "bob")
        open_panel(viewer)
        expect(viewer.get_by_test_id(f"scalelab-project-{SLUG}")).to_contain_text("viewer")
        open_workspace_notebook(viewer, "analysis.ipynb")
        expect(workspace_item(viewer, SLUG, "README.md")).to_be_visible()
        # The notebook opens marked read-only; trying to save anyway is refused, with a reason.
        expect(viewer.get_by_text("notebook is read-only")).to_be_visible()
        edit_first_cell_and_save(viewer, " + 1  # by bob")
        refused = viewer.locator(".jp-toast-message", has_text="is read-only")
        expect(refused).to_contain_text('Use "Save as…" instead')
        viewer.screenshot(path=str(artifacts / "projects-viewer-cannot-save.png"))
        assert "by bob" not in (workspace / "analysis.ipynb").read_text()

        # alice can
        open_workspace_notebook(owner, "analysis.ipynb")
        edit_first_cell_and_save(owner, " + 2  # by alice")
        expect(owner.get_by_text("notebook is read-only")).to_have_count(0)
        wait_until(
            lambda: "by alice" in (workspace / "analysis.ipynb").read_text(),
            30,
            0.3,
            "alice's save did not reach the workspace",
        )
        owner.screenshot(path=str(artifacts / "projects-owner-saved.png"))
        assert "by alice" in (workspace / "analysis.ipynb").read_text()
    finally:
        for page in (owner, viewer):
            page.context.close()
        hub.stop_server("alice")
        hub.stop_server("bob")
