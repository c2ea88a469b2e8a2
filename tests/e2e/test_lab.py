"""In a browser: log in on the hub, JupyterLab loads, the ScaleLab panel shows who is signed in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import log_in, show_scalelab_panel
from tests.hubctl import Hub

pytestmark = [pytest.mark.e2e, pytest.mark.hub]


def test_scalelab_panel_shows_user_and_health(page: Page, hub: Hub, artifacts: Path) -> None:
    try:
        log_in(page, hub, "alice")
        # Her first login: the lab shows the ScaleLab panel without her looking for its icon.
        panel = page.locator("#scalelab-panel")
        expect(panel).to_be_visible()
        expect(page.locator('.jp-SideBar [data-id="scalelab-panel"]')).to_have_class(
            re.compile(r"\blm-mod-current\b")
        )
        show_scalelab_panel(page)
        expect(panel.get_by_test_id("scalelab-user")).to_have_text("alice")
        expect(panel.get_by_test_id("scalelab-health")).to_contain_text("Service ok")
        expect(panel.get_by_test_id("scalelab-error")).to_be_hidden()
        page.screenshot(path=str(artifacts / "lab-scalelab-panel.png"))
    finally:
        hub.stop_server("alice")


def test_wrong_password_stays_on_the_login_page(page: Page, hub: Hub) -> None:
    page.goto(hub.url + "hub/login")
    page.fill("#username_input", "bob")
    page.fill("#password_input", "not-his-password")
    page.click("button[type=submit], input[type=submit]")
    expect(page.get_by_text("Invalid username or password")).to_be_visible()
    assert "/user/bob" not in page.url
