"""Both widgets in a real Chromium (see tests/widgets/browser.py), with 1,000 runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.hubctl import chromium_path
from tests.widgets.browser import ARGS, RUNS, TRIALS, open_widget, rounded


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
def test_widgets_render_sort_filter_and_compare(page: Page) -> None:
    timings = open_widget(page, "experiments.js", RUNS)
    rows = page.locator(".slw-table tbody tr")
    expect(rows).to_have_count(1000)
    timings["all_rows"] = page.evaluate("performance.now() - window.start")
    print(f"\nExperimentBoard, 1,000 runs (ms): {rounded(timings)}")
    expect(page.locator(".slw-count")).to_have_text("1000 runs")
    # Newest first by default.
    expect(rows.first.locator(".slw-name")).to_have_text("trial-999")

    by_acc = "window.model.get('runs').slice().sort((a, b) => a.metrics.acc - b.metrics.acc)"
    lowest, highest = page.evaluate(
        f"(() => {{ const r = {by_acc}; return [r[0].name, r.at(-1).name]; }})()"
    )
    page.click('th[data-key="m:acc"]')
    expect(rows.first.locator(".slw-name")).to_have_text(highest)
    page.click('th[data-key="m:acc"]')
    expect(rows.first.locator(".slw-name")).to_have_text(lowest)
    expect(rows).to_have_count(1000)

    page.fill(".slw-filter", "acc>0.9")
    expect(rows).to_have_count(99)
    page.fill(".slw-filter", "acc > 0.9 optimizer=sgd")
    expected = page.evaluate(
        "window.model.get('runs')"
        ".filter((r) => r.metrics.acc > 0.9 && r.params.optimizer === 'sgd').length"
    )
    expect(rows).to_have_count(expected)
    page.fill(".slw-filter", "FAILED lr<=0.001")
    expect(rows).to_have_count(50)
    page.fill(".slw-filter", "nosuch>1")
    expect(rows).to_have_count(0)
    expect(page.locator(".slw-count")).to_contain_text('no column "nosuch"')
    page.fill(".slw-filter", "")
    expect(rows).to_have_count(1000)

    # The chart draws one point per shown run.
    page.select_option(".slw-metric", "f1")
    expect(page.locator(".slw-chart circle")).to_have_count(800)

    # Runs 3 and 6: both "sgd", their depth and metrics differ.
    page.locator('tr[data-id="run3"] input').check()
    page.locator('tr[data-id="run6"] input').check()
    compare = page.locator(".slw-compare-table")
    expect(compare).to_be_visible()
    expect(compare.locator("tr.slw-diff th", has_text="metric acc")).to_have_count(1)
    expect(compare.locator("tr.slw-diff th", has_text="param depth")).to_have_count(1)
    expect(compare.locator("tbody tr:not(.slw-diff) th", has_text="param optimizer")).to_have_count(
        1
    )
    # Register the run ticked last: the kernel gets the request and answers in `notice`.
    expect(page.locator(".slw-register-run")).to_have_text(
        page.evaluate("`Register the model of ${window.model.get('runs')[6].name} as`")
    )
    page.fill(".slw-register-name", "churn")
    page.select_option(".slw-register-alias", "champion")
    page.click(".slw-register-button")
    expect(page.locator(".slw-notice")).to_have_text("registering…")
    assert page.evaluate("window.sent") == [
        {"kind": "register", "run_id": "run6", "name": "churn", "alias": "champion"}
    ]
    page.evaluate("window.model.set('notice', 'Registered churn version 1 as @champion')")
    expect(page.locator(".slw-notice")).to_have_text("Registered churn version 1 as @champion")
    expect(page.locator('tr[data-id="run6"] .slw-links a')).to_have_count(0)
    expect(page.locator('tr[data-id="run3"] .slw-links a')).to_have_count(2)

    # Live updates: a new run appears, an error shows as one line.
    page.evaluate(
        """() => {
          const runs = window.model.get('runs').slice();
          runs.unshift({ id: 'new', name: 'fresh', status: 'RUNNING', start: Date.now(), end: null,
            user: 'ada', params: {}, metrics: { acc: 0.5 }, links: {} });
          window.model.set('runs', runs);
          window.model.set('error', 'MLflow tracking server unreachable at http://x; retrying');
        }"""
    )
    expect(rows).to_have_count(1001)
    expect(page.locator(".slw-error")).to_have_text(
        "MLflow tracking server unreachable at http://x; retrying"
    )

    timings = open_widget(page, "tuning.js", TRIALS)
    print(f"TuningMonitor, 200 trials (ms): {rounded(timings)}")
    trial_rows = page.locator(".slw-table tbody tr")
    expect(trial_rows).to_have_count(200)
    expect(trial_rows.first).to_contain_text("running")
    expect(page.locator(".slw-count")).to_contain_text("best 0 (trial 0)")
    expect(page.locator(".slw-chart polyline.slw-best")).to_have_count(1)
    expect(page.locator(".slw-chart circle")).to_have_count(199)
    expect(page.locator(".slw-bars .slw-bar-fill")).to_have_count(2)
