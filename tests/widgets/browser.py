"""The widgets' JavaScript in a real Chromium without JupyterLab: a fake anywidget model
(get/set/on/off/save_changes over a plain object). For the browser tests and bench/tracking.py.

The page's origin is made up and every request to it is answered here (`page.route`): nothing
goes to the network.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, Route, sync_playwright

from tests.hubctl import chromium_path

WIDGETS = Path(__file__).parents[2] / "src" / "scalelab" / "widgets"
ORIGIN = "http://widgets.test"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# The page imports a widget's module as JupyterLab's anywidget would, and renders it into
# #root with a model filled by `makeState`; timings go to window.timings.
PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/widgets.css"></head><body><div id="root"></div>
<script type="module">
function fakeModel(state) {
  const listeners = {};
  return {
    get: (key) => state[key],
    set: (key, value) => {
      state[key] = value;
      (listeners["change:" + key] || []).forEach((f) => f());
    },
    on: (name, f) => { (listeners[name] ||= []).push(f); },
    off: (name, f) => { listeners[name] = (listeners[name] || []).filter((g) => g !== f); },
    save_changes: () => {},
    send: (content) => { (window.sent ||= []).push(content); },
  };
}
const module = await import("/__MODULE__");
window.module = module;
const state = window.makeState();
window.model = fakeModel(state);
const el = document.getElementById("root");
const start = performance.now();
window.start = start;
module.default.render({ model: window.model, el });
const rendered = performance.now();
el.getBoundingClientRect();
const laidOut = performance.now();
await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
const painted = performance.now();
window.timings = { render: rendered - start, layout: laidOut - start, paint: painted - start };
</script></body></html>"""

RUNS = """window.makeState = () => {
  const runs = [];
  const t0 = Date.UTC(2026, 10, 1);
  for (let i = 0; i < 1000; i++) {
    // A fixed permutation, so sorting by a metric has something to do.
    const acc = ((i * 7919) % 1000) / 1000;
    runs.push({
      id: "run" + i, name: "trial-" + i, status: i % 10 === 0 ? "FAILED" : "FINISHED",
      start: t0 + i * 60000, end: t0 + i * 60000 + 30000, user: i % 2 ? "ada" : "bob",
      params: {
        lr: String(10 ** -(1 + (i % 4))), depth: String(i % 8), optimizer: i % 3 ? "adam" : "sgd",
      },
      metrics: { acc, loss: 1 - acc, f1: i % 5 === 0 ? null : acc / 2 },
      links: i % 2 ? { mlflow: "http://127.0.0.1:8000/mlflow/#/x", run: "/r/" + i } : {},
    });
  }
  return {
    runs, columns: { params: ["depth", "lr", "optimizer"], metrics: ["acc", "f1", "loss"] },
    experiment: { id: "1", name: "demo", url: "" }, error: "", loaded: true,
  };
};"""

TRIALS = """window.makeState = () => {
  const trials = [];
  const best = [];
  const t0 = Date.UTC(2026, 10, 1);
  let top = Infinity;
  let topN = -1;
  for (let n = 0; n < 200; n++) {
    const value = ((n * 37) % 101) / 10;
    const state = n === 199 ? "RUNNING" : "COMPLETE";
    trials.push({ number: n, state, values: state === "COMPLETE" ? [value] : null,
      params: { x: value / 3, kind: n % 2 ? "a" : "b" }, start: t0 + n * 1000,
      end: state === "COMPLETE" ? t0 + n * 1000 + 900 : null,
      duration: state === "COMPLETE" ? 0.9 : null });
    if (state === "COMPLETE") {
      if (value < top) [top, topN] = [value, n];
      best.push([t0 + n * 1000 + 900, topN, top]);
    }
  }
  return { study_info: { name: "search", directions: ["minimize"] }, trials, best,
    param_names: ["kind", "x"], importances: { x: 0.8, kind: 0.2 }, error: "", loaded: true };
};"""


def open_widget(page: Page, module: str, state_js: str) -> dict[str, float]:
    files = {
        "/": ("text/html", PAGE.replace("__MODULE__", module)),
        "/state.js": ("text/javascript", state_js),
        "/widgets.css": ("text/css", (WIDGETS / "widgets.css").read_text()),
        f"/{module}": ("text/javascript", (WIDGETS / module).read_text()),
    }

    def serve(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN)
        if path not in files:
            route.fulfill(status=404)
            return
        content_type, body = files[path]
        route.fulfill(status=200, content_type=content_type, body=body)

    page.unroute("**/*")
    page.route("**/*", serve)
    page.add_init_script(state_js)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(ORIGIN + "/")
    page.wait_for_function("window.timings !== undefined")
    assert errors == []
    return page.evaluate("window.timings")


def rounded(timings: dict[str, float]) -> dict[str, int]:
    return {k: round(v) for k, v in timings.items()}


def board_paint_ms() -> float | None:
    """Milliseconds from ExperimentBoard's render() with 1,000 runs to its first paint."""
    executable = chromium_path()
    if executable is None:
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            open_widget(page, "experiments.js", RUNS)  # warm: the module compiled once
            return float(open_widget(page, "experiments.js", RUNS)["paint"])
        finally:
            browser.close()
