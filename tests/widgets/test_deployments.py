"""DeploymentPanel against a real service (in process, tests/inprocess/service.py) serving a
model registered from a notebook run; its view in a real Chromium with a fake model."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from scalelab.client import ServiceClient
from scalelab.server.kernels import project_env
from scalelab.serving.client import Endpoints
from scalelab.widgets import DeploymentPanel
from tests.hubctl import chromium_path, free_port
from tests.inprocess.conftest import hub
from tests.inprocess.service import InProcessService
from tests.inprocess.test_deployments import ROWS, endpoint_when, register
from tests.service.conftest import OUTSIDER, ROLE_USERS, Caller, callers, new_slug
from tests.waiting import wait_until
from tests.widgets.browser import ARGS, open_widget

from .conftest import Closer

__all__ = ["callers", "hub"]  # the in-process service's, instead of a real hub's

pytestmark = pytest.mark.inprocess
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ENDPOINT = "tumours"
STATS = {"requests_per_second", "p50_ms", "p99_ms", "error_rate", "in_flight"}


class Deployed:
    def __init__(self, hub: InProcessService, slug: str, versions: list[str]) -> None:
        self.hub = hub
        self.slug = slug
        self.versions = versions

    def endpoints(self, user: str, slug: str | None = None) -> Endpoints:
        """As `Endpoints()` in `user`'s lab kernel."""
        return Endpoints(
            slug or self.slug, client=ServiceClient(self.hub.service_url, self.hub.token_for(user))
        )


@pytest.fixture(scope="module")
def deployed(hub: InProcessService, callers: dict[str, Caller]) -> Iterator[Deployed]:
    """A project with two versions of model `tumours` registered, the first one live at
    endpoint `tumours` (bakes last long: a new version waits for the panel's Promote)."""
    slug = new_slug("widgets")
    owner = callers[ROLE_USERS["owner"]]
    assert owner("POST", "api/projects", json={"slug": slug, "title": "Widgets"}).ok
    for role, user in ROLE_USERS.items():
        if role != "owner":
            r = owner("PUT", f"api/projects/{slug}/members/user/{user}", json={"role": role})
            assert r.status_code == 200, r.text
    versions = [register(callers, hub, slug, depth) for depth in (1, 2)]
    deployer, viewer = callers[ROLE_USERS["deployer"]], callers[ROLE_USERS["viewer"]]
    body = {"name": ENDPOINT, "model_uri": f"models:/tumours/{versions[0]}"}
    r = deployer("POST", f"api/projects/{slug}/deployments", json=body)
    assert r.status_code == 202, r.text
    endpoint_when(viewer, slug, lambda d: d["state"] == "live", "never went live")
    assert hub.app is not None
    config = hub.app.deployer.config
    saved = config.bake_seconds, config.check_interval
    config.bake_seconds, config.check_interval = 600.0, 0.2
    try:
        yield Deployed(hub, slug, versions)
    finally:
        config.bake_seconds, config.check_interval = saved
        deployer("DELETE", f"api/projects/{slug}/deployments/{ENDPOINT}")


def press(panel: DeploymentPanel, content: dict[str, Any], timeout: float = 60) -> str:
    """What the front end sends on a click; the one line the panel then shows."""
    panel.notice = ""
    panel._on_front_end_message(panel, content, [])
    return str(
        wait_until(
            lambda: panel.notice if not panel.notice.endswith("…") else "",
            timeout,
            message=lambda: panel.notice,
        )
    )


def test_a_viewer_sees_the_endpoint_its_history_and_no_actions(
    deployed: Deployed,
    callers: dict[str, Caller],
    closing: Closer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    viewer = ROLE_USERS["viewer"]
    # The model's columns come from MLflow, as in a project kernel.
    token = deployed.hub.token_for(viewer)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"{deployed.hub.service_url}mlflow/{deployed.slug}")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    for _ in range(3):
        r = callers[viewer]("POST", f"serve/{deployed.slug}/{ENDPOINT}/invocations", json=ROWS)
        assert r.status_code == 200, r.text
    panel = closing(
        DeploymentPanel(ENDPOINT, client=deployed.endpoints(viewer), refresh_seconds=0.5)
    )
    assert panel.refresh()
    assert panel.error == "" and panel.loaded
    assert panel.project == deployed.slug and panel.fixed and panel.selected == ENDPOINT
    assert panel.access == {"role": "viewer", "can_act": False, "archived": False}
    [endpoint] = panel.endpoints
    live = callers[viewer]("GET", f"api/projects/{deployed.slug}/deployments/{ENDPOINT}").json()
    assert endpoint["name"] == ENDPOINT and endpoint["state"] == "live"
    assert endpoint["blue"]["version"] == live["blue"]["version"]
    assert endpoint["url"].endswith(f"/serve/{deployed.slug}/{ENDPOINT}/invocations")
    assert [r["ready"] for r in endpoint["replicas"]] == [True]
    assert set(endpoint["stats"]) == STATS
    assert endpoint["stats"]["requests_per_second"] > 0 and endpoint["stats"]["p50_ms"] > 0

    assert panel.history["endpoint"] == ENDPOINT
    kinds = [e["kind"] for e in panel.history["events"]]
    assert kinds[-2:] == ["ready", "deploy"], "newest first"
    assert {"id", "at", "kind", "actor", "version", "message"} <= set(panel.history["events"][0])

    # The examples: the endpoint's URL, and the model's columns once MLflow told them.
    examples = wait_until(lambda: panel.examples.get("columns_known") and panel.examples, 60)
    assert examples["endpoint"] == ENDPOINT
    curl = examples["curl"]
    assert curl.startswith(f"curl -X POST {endpoint['url']} ")
    assert '-H "Authorization: token $JUPYTERHUB_API_TOKEN"' in curl
    assert '-H "Content-Type: application/json"' in curl
    assert """-d '{"dataframe_split": {"columns": ["x"], "data": [[0.0]]}}'""" in curl
    assert "from scalelab.serving.client import predict" in examples["python"]
    assert "pd.DataFrame({'x': [0.0]})" in examples["python"]
    assert f"predict('tumours', rows, project='{deployed.slug}')" in examples["python"]

    # The buttons are not shown; a request sent anyway is the service's to refuse.
    said = press(panel, {"kind": "scale", "endpoint": ENDPOINT, "min": 1, "max": 2})
    assert said.startswith("Not scaled: 403: ") and "deployer" in said, said


def test_the_project_table_details_on_click_and_export(deployed: Deployed, closing: Closer) -> None:
    panel = closing(
        DeploymentPanel(client=deployed.endpoints(ROLE_USERS["editor"]), refresh_seconds=30)
    )
    # Displaying right away waits for the first poll, so exports are not empty.
    data, _ = panel._repr_mimebundle_()
    assert data[WIDGET_VIEW]["model_id"] == panel.model_id
    assert not panel.fixed and panel.access["can_act"] is False
    assert [d["name"] for d in panel.endpoints] == [ENDPOINT]
    assert panel.history == {} and panel.examples == {}, "nothing chosen yet"
    html = data["text/html"]
    assert html.startswith("<table") and f"Endpoints of project {deployed.slug}" in html
    assert f"<td>{ENDPOINT}</td><td>live</td><td>tumours/" in html
    assert "<th>requests/s</th>" in html and "<th>p99 ms</th>" in html

    # What a click on the row does: the poller reads its history at once, not at its next tick.
    panel.selected = ENDPOINT
    wait_until(lambda: panel.history.get("endpoint") == ENDPOINT, 10)
    assert panel.examples["endpoint"] == ENDPOINT
    html = panel._static_html()
    assert f"History of endpoint {ENDPOINT}, newest first" in html and "<td>ready</td>" in html


def test_a_deployer_deploys_rolls_back_promotes_and_scales(
    deployed: Deployed, callers: dict[str, Caller], closing: Closer
) -> None:
    deployer = ROLE_USERS["deployer"]
    panel = closing(
        DeploymentPanel(ENDPOINT, client=deployed.endpoints(deployer), refresh_seconds=0.3)
    )
    assert panel.refresh()
    assert panel.access == {"role": "deployer", "can_act": True, "archived": False}
    first, second = (f"tumours/{v}" for v in deployed.versions)

    def green() -> str | None:
        found = panel.endpoints[0]["green"]
        return found and found["version"]

    new = f"models:/tumours/{deployed.versions[1]}"
    deploy = {"kind": "deploy", "endpoint": ENDPOINT, "model_uri": new}
    assert press(panel, deploy) == f"Deploying {new} to {ENDPOINT}: its history says how it goes"
    wait_until(green, 120, message=lambda: str(panel.history))
    assert panel.endpoints[0]["state"] == "baking" and panel.endpoints[0]["green_share"] == 100
    said = press(panel, deploy)
    assert said.startswith(f"Not deployed: 409: endpoint '{ENDPOINT}' is already switching")

    rollback = {"kind": "rollback", "endpoint": ENDPOINT}
    assert press(panel, rollback) == f"Rolled back {ENDPOINT}: {second} dropped, {first} serves"
    wait_until(lambda: not green(), 10)

    press(panel, deploy)
    wait_until(green, 120, message=lambda: str(panel.history))
    promote = {"kind": "promote", "endpoint": ENDPOINT}
    assert press(panel, promote) == f"Promoted {second} on {ENDPOINT}: it takes all traffic"
    said = press(panel, promote)
    assert said == f"Not promoted: 409: endpoint '{ENDPOINT}' has no new version to promote"

    scale = {"kind": "scale", "endpoint": ENDPOINT, "min": 1, "max": 2}
    assert press(panel, scale) == f"Scaled {ENDPOINT} to between 1 and 2 replicas"
    wait_until(lambda: panel.endpoints[0]["max_replicas"] == 2, 10)
    assert panel.endpoints[0]["blue"]["version"] == deployed.versions[1]
    assert panel.endpoints[0]["previous"]["version"] == deployed.versions[0]

    # Every request reached the service, in the user's name: it is in the endpoint's history.
    r = callers[deployer]("GET", f"api/projects/{deployed.slug}/deployments/{ENDPOINT}/events")
    mine = [e["kind"] for e in reversed(r.json()["events"]) if e["actor"] == deployer]
    assert mine[-7:] == ["deploy", "switch", "rollback", "deploy", "switch", "promote", "scale"]
    wait_until(lambda: [e["kind"] for e in panel.history["events"][:1]] == ["scale"], 10)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ({"kind": "promote", "endpoint": "../me"}, "Not promoted: '../me' is no endpoint name"),
        ({"kind": "rollback", "endpoint": "other"}, "Not rolled back: this panel shows endpoint"),
        ({"kind": "scale", "endpoint": ENDPOINT, "min": 3, "max": 2}, "Not scaled: the minimum"),
        ({"kind": "scale", "endpoint": ENDPOINT, "min": "1", "max": 2}, "Not scaled: replicas"),
        ({"kind": "deploy", "endpoint": ENDPOINT, "model_uri": " "}, "Not deployed: give"),
    ],
)
def test_malformed_requests_are_one_line(
    content: dict[str, Any], says: str, closing: Closer
) -> None:
    client = Endpoints("nowhere", client=ServiceClient(f"http://127.0.0.1:{free_port()}", "t"))
    panel = closing(DeploymentPanel(ENDPOINT, client=client, refresh_seconds=30))
    panel._on_front_end_message(panel, content, [])
    assert panel.notice.startswith(says), panel.notice


def test_unreachable_service_and_no_access_are_one_line(
    deployed: Deployed, closing: Closer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()  # nothing listens there
    url = f"http://127.0.0.1:{port}/services/scalelab/"
    client = Endpoints(deployed.slug, client=ServiceClient(url, "token"))
    panel = closing(DeploymentPanel(client=client, refresh_seconds=0.2))
    assert panel.refresh()
    assert panel.error == (f"cannot reach {url}api/projects/{deployed.slug}: ConnectionError"), (
        panel.error
    )
    assert not panel.loaded and panel._poller.is_alive() and panel.refresh()
    assert "<table" in panel._static_html() and "cannot reach" in panel._static_html()

    outsider = closing(
        DeploymentPanel(ENDPOINT, client=deployed.endpoints(OUTSIDER), refresh_seconds=10)
    )
    assert outsider.refresh()
    assert outsider.error.startswith("404: ") and "\n" not in outsider.error, outsider.error

    missing = closing(DeploymentPanel("nosuch", client=deployed.endpoints(ROLE_USERS["viewer"])))
    assert missing.refresh()
    assert missing.error == f"404: no endpoint named 'nosuch' in project '{deployed.slug}'"

    # A kernel that is not a project's: the widget says what is missing.
    for name in ("SCALELAB_PROJECT", "SCALELAB_SERVICE_URL", "JUPYTERHUB_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    bare = closing(DeploymentPanel(refresh_seconds=10))
    assert bare.refresh()
    assert bare.error.startswith("no project: pass project=")
    elsewhere = closing(DeploymentPanel(project=deployed.slug, refresh_seconds=10))
    assert elsewhere.refresh()
    assert elsewhere.error.startswith("deploying needs the service URL"), elsewhere.error


def test_kernel_environment_is_enough(
    deployed: Deployed, closing: Closer, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = deployed.hub.token_for(ROLE_USERS["owner"])
    env = {
        "SCALELAB_SERVICE_URL": deployed.hub.service_url,
        "JUPYTERHUB_API_TOKEN": token,
        **project_env(deployed.slug, deployed.hub.service_url, token),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    panel = closing(DeploymentPanel(ENDPOINT, refresh_seconds=10))
    assert panel.refresh()
    assert panel.error == "" and panel.project == deployed.slug
    assert panel.access == {"role": "owner", "can_act": True, "archived": False}


# -- the view, in Chromium -------------------------------------------------------------------

STATE = """window.makeState = () => {
  const version = (v) => ({ uri: "models:/tumours/" + v, name: "tumours", version: v,
    run_id: "r" + v });
  const endpoint = (name, extra) => ({
    name, state: "live", url: "http://lab.test/services/scalelab/serve/p/" + name + "/invocations",
    blue: version("1"), green: null, previous: null, green_share: 0, min_replicas: 1,
    max_replicas: 3, request_log_rate: 0,
    replicas: [{ id: name + "-a", colour: "blue", version: "tumours/1", ready: true,
      in_flight: 0, served: 12 }],
    stats: { requests_per_second: 2.5, p50_ms: 3.2, p99_ms: 41.7, error_rate: 0.0125,
      in_flight: 1 },
    created_by: "ada", created_at: "2026-11-01T10:00:00Z", ...extra });
  return {
    project: "p", fixed: false, selected: "", loaded: true, error: "", notice: "",
    access: { role: "deployer", can_act: true, archived: false },
    endpoints: [
      endpoint("churn", {}),
      endpoint("tumours", { state: "baking", green: version("2"), green_share: 100,
        previous: version("0") }),
    ],
    history: { endpoint: "tumours", events: [
      { id: 2, at: "2026-11-01T10:05:00Z", kind: "switch", actor: "ada", version: "2",
        message: "tumours/2 passed its checks and takes all traffic" },
      { id: 1, at: "2026-11-01T10:00:00Z", kind: "deploy", actor: "ada", version: null,
        message: "endpoint <b>created</b>" },
    ] },
    examples: { endpoint: "tumours", curl: "curl -X POST http://lab.test/x", python: "predict()",
      columns_known: false },
  };
};"""


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(15_000)
        yield page
        browser.close()


@pytest.mark.e2e
def test_the_view_shows_details_and_sends_actions(page: Page) -> None:
    open_widget(page, "deployments.js", STATE)
    rows = page.locator(".slw-endpoints tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(".slw-title")).to_have_text("Endpoints of p")
    expect(page.locator(".slw-detail")).to_be_hidden()
    expect(rows.nth(1)).to_contain_text("tumours/2 (100%)")
    expect(rows.nth(0)).to_contain_text("1.25%")

    rows.nth(1).click()
    assert page.evaluate("window.model.get('selected')") == "tumours"
    expect(page.locator(".slw-detail")).to_be_visible()
    expect(page.locator(".slw-url")).to_have_text(
        "http://lab.test/services/scalelab/serve/p/tumours/invocations"
    )
    expect(page.locator(".slw-colour")).to_have_count(2)
    expect(page.locator(".slw-green")).to_contain_text("tumours/2 100%")
    expect(page.locator(".slw-stats")).to_contain_text("41.7 ms")
    expect(page.locator(".slw-events tbody tr")).to_have_count(2)
    expect(page.locator(".slw-events")).to_contain_text("endpoint <b>created</b>")
    expect(page.locator(".slw-curl")).to_have_text("curl -X POST http://lab.test/x")
    expect(page.locator(".slw-columns")).to_contain_text("replace feature_1")
    expect(page.locator(".slw-min")).to_have_value("1")
    expect(page.locator(".slw-max")).to_have_value("3")

    # Promote asks first; the second click sends it to the kernel.
    page.click(".slw-promote")
    expect(page.locator(".slw-promote")).to_have_text("Promote: sure?")
    assert page.evaluate("window.sent") is None
    page.click(".slw-promote")
    expect(page.locator(".slw-notice")).to_have_text("promoting…")
    page.fill(".slw-max", "4")
    page.click(".slw-scale")
    page.fill(".slw-deploy-uri", "models:/tumours/3")
    page.click(".slw-deploy")
    assert page.evaluate("window.sent") == [
        {"kind": "promote", "endpoint": "tumours"},
        {"kind": "scale", "endpoint": "tumours", "min": 1, "max": 4},
        {"kind": "deploy", "endpoint": "tumours", "model_uri": "models:/tumours/3"},
    ]
    page.evaluate("window.model.set('notice', 'Promoted tumours/2 on tumours')")
    expect(page.locator(".slw-notice")).to_have_text("Promoted tumours/2 on tumours")
    page.locator(".slw-copy").first.click()
    expect(page.locator(".slw-copy").first).not_to_have_text("Copy")

    # A viewer: no buttons; an error: one line.
    page.evaluate(
        """() => {
          window.model.set('access', { role: 'viewer', can_act: false, archived: false });
          window.model.set('error', 'cannot reach http://x/api/projects/p: ConnectionError');
        }"""
    )
    expect(page.locator(".slw-actions")).to_be_hidden()
    expect(page.locator(".slw-error")).to_have_text(
        "cannot reach http://x/api/projects/p: ConnectionError"
    )
