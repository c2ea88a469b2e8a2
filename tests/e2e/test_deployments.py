"""In a browser: a model registered and deployed through the API shows live in the project
dashboard's Deployments tab, with its version, its replica and how to call it; the deployer
gets the deployment actions, a viewer does not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import log_in, project_dashboard, show_scalelab_panel
from tests.hubctl import Hub
from tests.runs.conftest import write_notebook
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.hub]
SLUG = "deployments-e2e"
DEPLOYER, VIEWER = "alice", "bob"
ENDPOINT = "tumours"
# As tests/inprocess/test_deployments.py: a metric first, then the model with an input example.
TRAIN = (
    "import mlflow, mlflow.sklearn, pandas as pd\n"
    "from sklearn.tree import DecisionTreeClassifier\n"
    "X = pd.DataFrame({'x': [0.0, 1.0, 2.0, 3.0]})\n"
    "model = DecisionTreeClassifier(max_depth=depth).fit(X, [0, 1, 1, 0])\n"
    "mlflow.log_metric('accuracy', 1.0)\n"
    "mlflow.sklearn.log_model(model, name='model', input_example=X.head(2),\n"
    "    skops_trusted_types=['sklearn.tree._tree.Tree'])"
)
ROWS = {"dataframe_split": {"columns": ["x"], "data": [[0.0], [3.0]]}}
DEPLOYER_ACTIONS = (
    "scalelab-endpoint-deploy-version",
    "scalelab-endpoint-promote",
    "scalelab-endpoint-rollback",
    "scalelab-endpoint-scale",
    "scalelab-endpoint-remove",
)

Call = Callable[..., requests.Response]


def caller(hub: Hub, user: str) -> Call:
    headers = {"Authorization": f"token {hub.token_for(user)}"}

    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, hub.service_url + path, headers=headers, timeout=60, **kwargs
        )

    return call


def deploy_a_model(hub: Hub) -> tuple[Call, dict[str, Any]]:
    """The project (made by the hub admin) with a deployer and a viewer; a model trained by a
    notebook run, registered and deployed by the deployer: the endpoint once live."""
    admin, deployer = caller(hub, "admin"), caller(hub, DEPLOYER)
    r = admin("POST", "api/projects", json={"slug": SLUG, "title": "Deployments"})
    assert r.status_code == 201, r.text
    for user, role in ((DEPLOYER, "deployer"), (VIEWER, "viewer")):
        r = admin("PUT", f"api/projects/{SLUG}/members/user/{user}", json={"role": role})
        assert r.status_code == 200, r.text

    write_notebook(hub.data_root / "workspaces" / SLUG / "train.ipynb", "depth = 1", TRAIN)
    r = deployer("POST", f"api/projects/{SLUG}/runs", json={"target": "train.ipynb"})
    assert r.status_code == 201, r.text
    run_id = r.json()["id"]

    def ended() -> dict[str, Any] | None:
        run = deployer("GET", f"api/projects/{SLUG}/runs/{run_id}").json()
        return run if run["status"] not in ("queued", "running") else None

    run = wait_until(ended, 240, 0.5, "the training run did not finish")
    assert run["status"] == "succeeded", run
    r = deployer("POST", f"api/projects/{SLUG}/models", json={"run_id": run_id, "name": ENDPOINT})
    assert r.status_code == 201, r.text
    version = r.json()["versions"][0]["version"]

    body = {"name": ENDPOINT, "model_uri": f"models:/{ENDPOINT}/{version}"}
    r = deployer("POST", f"api/projects/{SLUG}/deployments", json=body)
    assert r.status_code == 202, r.text

    def live() -> dict[str, Any] | None:
        found = deployer("GET", f"api/projects/{SLUG}/deployments/{ENDPOINT}").json()
        return found if found["state"] == "live" else None

    def explain() -> str:
        events = deployer("GET", f"api/projects/{SLUG}/deployments/{ENDPOINT}/events")
        return f"the endpoint did not go live: {events.text}"

    return deployer, wait_until(live, 180, 0.5, explain)


def deployments_tab(page: Page, user: str, hub: Hub) -> Locator:
    """Log `user` in and show the project's Deployments tab; the tab's view."""
    log_in(page, hub, user)
    show_scalelab_panel(page)
    page.get_by_test_id(f"scalelab-project-{SLUG}").click()
    dashboard = project_dashboard(page, SLUG)
    dashboard.get_by_test_id("scalelab-dashboard-tab-deployments").click()
    view = dashboard.get_by_test_id("scalelab-deployments-view")
    expect(view).to_be_visible()
    return view


def new_page(browser: Browser) -> Page:
    page = browser.new_context(viewport={"width": 1500, "height": 950}).new_page()
    page.set_default_timeout(60_000)
    return page


def test_the_deployments_tab_shows_a_live_endpoint_and_its_actions_to_deployers(
    browser: Browser, hub: Hub, artifacts: Path
) -> None:
    deployer, endpoint = deploy_a_model(hub)
    url = f"{hub.url}services/scalelab/serve/{SLUG}/{ENDPOINT}/invocations"
    version = endpoint["blue"]["version"]
    assert endpoint["url"] == url, endpoint  # the service's own idea of its public URL
    pages = [new_page(browser), new_page(browser)]
    try:
        # The deployer: the endpoint live with its version and replica, how to call it, and
        # the actions.
        view = deployments_tab(pages[0], DEPLOYER, hub)
        row = view.locator(f'[data-testid="scalelab-endpoint"][data-endpoint="{ENDPOINT}"]')
        expect(row).to_have_attribute("data-state", "live")
        expect(row.get_by_test_id("scalelab-endpoint-blue")).to_have_text(f"{ENDPOINT}/{version}")
        expect(row.get_by_test_id("scalelab-endpoint-replicas")).to_have_text("1/1")
        expect(row.get_by_test_id("scalelab-endpoint-traffic")).to_have_text("100% blue")
        detail = view.get_by_test_id("scalelab-endpoint-detail")
        expect(detail.get_by_test_id("scalelab-endpoint-replica")).to_have_attribute(
            "data-ready", "true"
        )
        expect(detail.get_by_test_id("scalelab-endpoint-url")).to_have_text(url)
        expect(detail.get_by_test_id("scalelab-endpoint-curl")).to_contain_text(
            f"curl -X POST '{url}'"
        )
        expect(detail.get_by_test_id("scalelab-endpoint-python")).to_contain_text(url)
        ready = detail.locator('[data-testid="scalelab-endpoint-event"][data-kind="ready"]')
        expect(ready).to_have_count(1)
        for action in DEPLOYER_ACTIONS:
            expect(detail.get_by_test_id(action)).to_be_visible()
        # Nothing to promote or go back to yet; another version can be deployed.
        expect(detail.get_by_test_id("scalelab-endpoint-deploy-version")).to_be_enabled()
        expect(detail.get_by_test_id("scalelab-endpoint-promote")).to_be_disabled()
        expect(detail.get_by_test_id("scalelab-endpoint-rollback")).to_be_disabled()
        expect(view.get_by_test_id("scalelab-deployments-new")).to_be_visible()
        pages[0].screenshot(path=str(artifacts / "deployments-deployer.png"))

        # The URL shown is where the endpoint answers, to members with a hub token.
        viewer_token = {"Authorization": f"token {hub.token_for(VIEWER)}"}
        r = requests.post(url, json=ROWS, headers=viewer_token, timeout=60)
        assert r.status_code == 200, r.text
        assert len(r.json()["predictions"]) == 2

        # A viewer sees the endpoint and how to call it, and none of the actions.
        view = deployments_tab(pages[1], VIEWER, hub)
        row = view.locator(f'[data-testid="scalelab-endpoint"][data-endpoint="{ENDPOINT}"]')
        expect(row).to_have_attribute("data-state", "live")
        detail = view.get_by_test_id("scalelab-endpoint-detail")
        expect(detail.get_by_test_id("scalelab-endpoint-curl")).to_contain_text(url)
        for action in DEPLOYER_ACTIONS:
            expect(detail.get_by_test_id(action)).to_have_count(0)
        expect(view.get_by_test_id("scalelab-deployments-new")).to_be_hidden()
        pages[1].screenshot(path=str(artifacts / "deployments-viewer.png"))
    finally:
        for page in pages:
            page.context.close()
        # Its replica stops with it.
        deployer("DELETE", f"api/projects/{SLUG}/deployments/{ENDPOINT}")
        hub.stop_server(DEPLOYER)
        hub.stop_server(VIEWER)
