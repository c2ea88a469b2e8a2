"""In a browser: a monitor set through the API shows in the project dashboard's Monitors tab,
with the deployer's actions; the link a monitor's alert carries opens that tab."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import log_in, project_dashboard, show_scalelab_panel
from tests.e2e.test_deployments import caller, new_page
from tests.hubctl import Hub

pytestmark = [pytest.mark.e2e, pytest.mark.hub]
SLUG = "monitors-e2e"
DEPLOYER = "alice"
ENDPOINT, MONITOR, SECOND = "tumours", "tumours-drift", "tumours-hourly"


def test_the_monitors_tab_shows_a_monitor_and_the_alert_link_opens_it(
    browser: Browser, hub: Hub, artifacts: Path
) -> None:
    admin, deployer = caller(hub, "admin"), caller(hub, DEPLOYER)
    r = admin("POST", "api/projects", json={"slug": SLUG, "title": "Monitors"})
    assert r.status_code == 201, r.text
    r = admin("PUT", f"api/projects/{SLUG}/members/user/{DEPLOYER}", json={"role": "deployer"})
    assert r.status_code == 200, r.text
    # A monitor needs an endpoint, not a live one: an endpoint is recorded at once (its model,
    # missing here, fails to start later), so no model has to be trained for this view.
    body = {"name": ENDPOINT, "model_uri": "models:/nothing/1"}
    r = deployer("POST", f"api/projects/{SLUG}/deployments", json=body)
    assert r.status_code == 202, r.text
    body = {"name": MONITOR, "endpoint": ENDPOINT}
    r = deployer("POST", f"api/projects/{SLUG}/monitors", json=body)
    assert r.status_code == 201, r.text

    page = new_page(browser)
    try:
        log_in(page, hub, DEPLOYER)
        show_scalelab_panel(page)
        page.get_by_test_id(f"scalelab-project-{SLUG}").click()
        dashboard = project_dashboard(page, SLUG)
        dashboard.get_by_test_id("scalelab-dashboard-tab-monitors").click()
        view = dashboard.get_by_test_id("scalelab-monitors-view")
        row = view.locator(f'[data-testid="scalelab-monitor"][data-monitor="{MONITOR}"]')
        expect(row.get_by_test_id("scalelab-monitor-endpoint")).to_have_text(ENDPOINT)
        expect(row.get_by_test_id("scalelab-monitor-status")).to_have_text("new")
        expect(row.get_by_test_id("scalelab-monitor-next-check")).to_contain_text("in ")
        detail = view.get_by_test_id("scalelab-monitor-detail")
        expect(detail).to_contain_text("No check yet.")
        for action in ("scalelab-monitor-check", "scalelab-monitor-pause"):
            expect(detail.get_by_test_id(action)).to_be_enabled()
        page.screenshot(path=str(artifacts / "monitors-deployer.png"))

        # "New monitor…": the dialog offers the project's endpoints; the new one shows, selected.
        view.get_by_test_id("scalelab-monitors-new").click()
        form = page.get_by_test_id("scalelab-monitor-create")
        form.get_by_test_id("scalelab-monitor-create-name").fill(SECOND)
        page.get_by_role("button", name="Create monitor").click()
        second = view.locator(f'[data-testid="scalelab-monitor"][data-monitor="{SECOND}"]')
        expect(second).to_have_attribute("aria-selected", "true")

        # The alert's link, in a lab whose layout holds no dashboard (or one at its Overview,
        # should the reset keep it): the Monitors tab opens.
        dashboard.get_by_test_id("scalelab-dashboard-tab-overview").click()
        page.goto(page.url.split("/lab")[0] + "/lab?reset")
        page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
        page.goto(f"{hub.url}hub/user-redirect/lab?scalelab-project={SLUG}&scalelab-view=monitors")
        view = project_dashboard(page, SLUG).get_by_test_id("scalelab-monitors-view")
        expect(view).to_be_visible()
        expect(view.get_by_test_id("scalelab-monitor")).to_have_count(2)
    finally:
        page.context.close()
        for name in (MONITOR, SECOND):
            deployer("DELETE", f"api/projects/{SLUG}/monitors/{name}")
        deployer("DELETE", f"api/projects/{SLUG}/deployments/{ENDPOINT}")
        hub.stop_server(DEPLOYER)
