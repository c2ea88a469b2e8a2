"""A real headless Chromium (Debian's), driven by playwright."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from tests.hubctl import Hub, chromium_path

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    # Pages (MLflow's UI among them) may ask for other hosts: nothing leaves the machine.
    "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=127.0.0.1;localhost",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


# Per package: playwright's sync API keeps an event loop running in this thread while open,
# which later tests that call asyncio.run() must not find.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Chromium is not installed; `make test` installs it (apt-get)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


def log_in(page: Page, hub: Hub, user: str) -> None:
    """The hub's login form, then JupyterLab (spawning the server if needed)."""
    page.goto(hub.url + "hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.accounts[user])
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"**/user/{user}/lab**", timeout=120_000)
    # A fresh layout: the user's server keeps the tabs an earlier test left open.
    page.goto(page.url.split("/lab")[0] + "/lab?reset")
    page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)


def show_scalelab_panel(page: Page) -> None:
    """Show the ScaleLab side panel, whether or not the lab already shows it.

    Its icon toggles it, and the lab shows it by itself at a first login (or after
    `?reset`), maybe just after this looks: click until it stays shown.
    """
    panel = page.locator("#scalelab-panel")
    for _ in range(3):
        if panel.is_visible():
            return
        page.click('.jp-SideBar [data-id="scalelab-panel"]')
        try:
            expect(panel).to_be_visible(timeout=3_000)
        except AssertionError:
            continue
    expect(panel).to_be_visible()


def project_dashboard(page: Page, slug: str) -> Locator:
    """The dashboard of project `slug`, a tab of the main area."""
    return page.locator("#jp-main-dock-panel .jp-MainAreaWidget").filter(
        has=page.locator(f'[data-testid="scalelab-dashboard"][data-slug="{slug}"]')
    )


def workspace_item(page: Page, slug: str, name: str) -> Locator:
    """A file of project `slug` in the file browser, once it lists that project's folder.

    By path, not name alone: the browser may still list another project with the same files.
    """
    return page.locator(f'.jp-DirListing-item[title*="Path: projects/{slug}"]', has_text=name)


def open_new_example_project(page: Page, slug: str) -> None:
    """From the ScaleLab panel: a project from the example template, shown in the file browser."""
    # A fresh layout: not the folders and notebooks an earlier test left open in this server.
    page.goto(page.url.split("/lab")[0] + "/lab?reset")
    page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
    show_scalelab_panel(page)
    form = page.get_by_test_id("scalelab-new-project")
    form.locator('input[name="slug"]').fill(slug)
    form.locator("select").select_option("example")
    form.get_by_role("button", name="Create").click()
    # The new project opens as a dashboard in the main area, at its overview.
    expect(project_dashboard(page, slug).get_by_test_id("scalelab-my-role")).to_contain_text(
        "owner"
    )
    page.get_by_test_id("scalelab-open-workspace").click()
    expect(workspace_item(page, slug, "01_ingest.ipynb")).to_be_visible(timeout=30_000)
