"""In a browser: schedule the example notebook every minute, and see a run come from it."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import log_in, open_new_example_project, workspace_item
from tests.hubctl import Hub
from tests.runs.conftest import write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.hub]
SLUG = "example-schedules"
NOTEBOOK = "01_ingest.ipynb"


def test_schedule_a_notebook_every_minute_and_see_its_run(
    browser: Browser, hub: Hub, artifacts: Path
) -> None:
    page = browser.new_context(viewport={"width": 1500, "height": 950}).new_page()
    page.set_default_timeout(60_000)
    token = hub.token_for("alice")
    try:
        log_in(page, hub, "alice")
        open_new_example_project(page, SLUG)
        listing = workspace_item(page, SLUG, NOTEBOOK)

        listing.click(button="right")
        page.locator(".lm-Menu-item", has_text="Schedule…").click()
        dialog = page.get_by_test_id("scalelab-schedule-form")
        save = page.locator(".jp-Dialog-button", has_text="Save")
        dialog.locator('input[name="name"]').fill("every-minute")
        dialog.locator('input[name="timezone"]').fill("Europe/Paris")
        cron = dialog.locator('input[name="cron"]')
        cron.fill("61 * * * *")  # refused by the service: said, and nothing can be saved
        expect(page.get_by_test_id("scalelab-cron-error")).to_contain_text("invalid cron")
        expect(save).to_be_disabled()
        cron.fill("* * * * *")
        expect(page.get_by_test_id("scalelab-cron-preview").locator("li")).to_have_count(5)
        expect(save).to_be_enabled()
        page.screenshot(path=str(artifacts / "schedule-form.png"))
        save.click()
        expect(dialog).to_be_hidden()
        # A second schedule, made through the API, on a notebook that fails: its failure must
        # reach this lab as a notification that opens the output notebook.
        write_notebook(
            hub.data_root / "workspaces" / SLUG / "fails.ipynb",
            "n = 1",
            "raise RuntimeError('the warehouse is down')",
        )
        r = requests.post(
            f"{hub.service_url}api/projects/{SLUG}/schedules",
            json={"name": "fails", "target": "fails.ipynb", "cron": "* * * * *"},
            headers={"Authorization": f"token {token}"},
            timeout=30,
        )
        assert r.status_code == 201, r.text

        # The panel shows the schedule; within a minute its first run is queued and finishes.
        row = page.get_by_test_id("scalelab-schedule-row").filter(has_text="every-minute")
        expect(row).to_be_visible()
        expect(row).to_have_attribute("data-status", "succeeded", timeout=150_000)
        row.get_by_test_id("scalelab-schedule-history-toggle").click()
        event = page.get_by_test_id("scalelab-schedule-history").get_by_test_id(
            "scalelab-schedule-event"
        )
        expect(event.first).to_have_attribute("data-outcome", "queued")
        page.screenshot(path=str(artifacts / "schedule-history.png"))

        runs = requests.get(
            f"{hub.service_url}api/projects/{SLUG}/runs",
            headers={"Authorization": f"token {token}"},
            timeout=30,
        ).json()["runs"]
        scheduled = [r for r in runs if r["trigger"] == "schedule" and r["target"] == NOTEBOOK]
        assert scheduled, runs
        assert {r["triggered_by"] for r in scheduled} == {"schedule every-minute"}, scheduled
        assert event.first.get_attribute("data-run-id") in {r["id"] for r in scheduled}

        # The history's run link opens the run in the Runs view.
        event.first.get_by_test_id("scalelab-schedule-event-run").click()
        detail = page.get_by_test_id("scalelab-run-detail")
        expect(detail).to_contain_text("schedule")
        toast = page.locator(".Toastify__toast", has_text="Scheduled run failed: fails")
        expect(toast).to_be_visible(timeout=90_000)
        page.screenshot(path=str(artifacts / "schedule-notification.png"))
        toast.get_by_role("button", name="Open output").click()
        output = page.locator(".jp-NotebookPanel:visible")
        expect(output).to_contain_text("the warehouse is down")

        # A finished run can be promoted to a schedule of its own: the form starts from it.
        # (The output is in front of the dashboard: the project's entry brings it back.)
        page.get_by_test_id(f"scalelab-project-{SLUG}").click()
        detail.get_by_test_id("scalelab-run-schedule").click()
        expect(page.locator(".jp-Dialog-header")).to_contain_text(f"Schedule {NOTEBOOK}")
        expect(page.get_by_test_id("scalelab-cron-preview").locator("li")).to_have_count(5)
        page.locator(".jp-Dialog-button", has_text="Cancel").click()
        expect(page.get_by_test_id("scalelab-schedule-form")).to_be_hidden()
    finally:
        # Every minute is too often to leave behind for the tests that follow.
        headers = {"Authorization": f"token {token}"}
        listed = requests.get(
            f"{hub.service_url}api/projects/{SLUG}/schedules", headers=headers, timeout=30
        )
        for schedule in listed.json().get("schedules", []) if listed.ok else []:
            requests.delete(
                f"{hub.service_url}api/projects/{SLUG}/schedules/{schedule['id']}",
                headers=headers,
                timeout=30,
            )
        page.context.close()
