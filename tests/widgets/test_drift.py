"""DriftReport: state from profiles (a shifted number, a changed category), the saved HTML file,
edge data, and its JavaScript in Chromium (see tests/widgets/browser.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from scalelab.monitoring import DriftThresholds, Profile, profile
from scalelab.monitoring.drift import CATEGORY_ORDER
from scalelab.widgets import DriftReport, drift
from tests.hubctl import chromium_path
from tests.widgets.browser import ARGS, open_widget

ROWS = 3000
SHIFTS = (0.0, 0.3, 0.8)  # the numeric column's mean in each window, in standard deviations
NEW = (0.0, 0.1, 0.3)  # the share of a value "d" the reference never had
START = datetime(2026, 11, 1, tzinfo=UTC)


def frame(seed: int, shift: float = 0.0, new: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rest = 1.0 - new
    return pd.DataFrame(
        {
            "amount": rng.normal(shift, 1.0, ROWS),
            "plan": rng.choice(
                ["a", "b", "c", "d"], ROWS, p=[0.5 * rest, 0.3 * rest, 0.2 * rest, new]
            ),
            "steady": rng.normal(5.0, 2.0, ROWS),
            "empty": np.full(ROWS, np.nan),
        }
    )


@pytest.fixture(scope="module")
def reference() -> Profile:
    return profile(frame(0))


@pytest.fixture(scope="module")
def windows() -> list[tuple[datetime, Profile]]:
    return [
        (START + timedelta(hours=i), profile(frame(i + 1, shift, new)))
        for i, (shift, new) in enumerate(zip(SHIFTS, NEW, strict=True))
    ]


@pytest.fixture(scope="module")
def report(reference: Profile, windows: list[tuple[datetime, Profile]]) -> DriftReport:
    # Out of order on purpose: datetimes are put in order, the newest is the current data.
    return DriftReport(reference, [windows[2], windows[0], windows[1]], title="churn <inputs>")


def test_columns_most_drifted_first(report: DriftReport) -> None:
    assert report.error == ""
    rows = {r["column"]: r for r in report.columns}
    assert [r["column"] for r in report.columns][:2] in (["amount", "plan"], ["plan", "amount"])
    assert set(rows) == {"amount", "plan", "steady", "empty"}
    order = [CATEGORY_ORDER[r["category"]] for r in report.columns]
    assert order == sorted(order)

    amount, plan = rows["amount"], rows["plan"]
    assert (amount["method"], amount["type"], amount["category"]) == ("ks", "fractional", "drift")
    assert amount["score"] > 0.25 and amount["p_value"] < 1e-6
    assert (plan["method"], plan["type"], plan["category"]) == ("chi-square", "string", "drift")
    assert [i["kind"] for i in plan["issues"]] == ["new_categories"]
    assert "'d'" in plan["issues"][0]["detail"]
    assert rows["steady"]["category"] == "no drift"
    assert rows["empty"] == {
        "column": "empty",
        "type": "null",
        "method": "none",
        "score": None,
        "p_value": None,
        "category": "unknown",
        "detail": "the reference has no values in this column",
        "issues": [],
    }
    assert report.summary["counts"] == {
        "drift": 2,
        "possible drift": 0,
        "unknown": 1,
        "no drift": 1,
    }
    assert report.summary["current"] == "2026-11-01 02:00 UTC"
    assert report.summary["current_rows"] == report.summary["reference_rows"] == ROWS
    assert report.thresholds["ks"] == [0.05, 0.1] and report.thresholds["p_value"] == 0.05
    json.dumps(report.get_state())  # all of it goes to the front end as JSON


def test_distribution_of_the_selected_column(
    reference: Profile, windows: list[tuple[datetime, Profile]]
) -> None:
    report = DriftReport(reference, windows)
    assert report.selected == report.columns[0]["column"]  # the most drifted, at first
    assert report.distribution["column"] == report.selected

    report.selected = "amount"
    dist = report.distribution
    assert dist["kind"] == "numeric" and len(dist["edges"]) == drift.BINS + 1
    assert dist["edges"] == sorted(dist["edges"])
    for side in ("reference", "current"):
        assert len(dist[side]) == drift.BINS and min(dist[side]) >= 0
        assert sum(dist[side]) == pytest.approx(1.0)
    # The current data sits to the right: more of it in the upper half of the range.
    half = drift.BINS // 2
    assert sum(dist["current"][half:]) > sum(dist["reference"][half:]) + 0.2
    assert dist["stats"]["current"]["mean"] == pytest.approx(0.8, abs=0.1)

    report.selected = "plan"
    dist = report.distribution
    assert dist["kind"] == "categorical" and set(dist["labels"]) == {"a", "b", "c", "d"}
    shares = {
        side: dict(zip(dist["labels"], dist[side], strict=True))
        for side in ("reference", "current")
    }
    assert shares["reference"]["d"] == 0 and shares["current"]["d"] == pytest.approx(0.3, abs=0.03)
    for side in shares.values():
        assert sum(side.values()) == pytest.approx(1.0)

    report.selected = "empty"
    assert report.distribution["kind"] == "none"
    assert report.distribution["note"] == "the reference has no values in this column"
    report.selected = "no such"
    assert report.distribution == {"column": "no such", "kind": "none", "note": "no such column"}


def test_top_values_and_the_rest() -> None:
    rng = np.random.default_rng(7)
    values = [f"v{i:02d}" for i in range(30)]
    ref = profile(pd.DataFrame({"city": rng.choice(values, 2000)}))
    cur = profile(pd.DataFrame({"city": rng.choice(values[:12], 2000)}))
    dist = DriftReport(ref, cur).distribution
    assert len(dist["labels"]) == drift.TOP_VALUES + 1 and dist["labels"][-1] == drift.OTHER
    assert sum(dist["reference"]) == pytest.approx(1.0)
    assert sum(dist["current"]) == pytest.approx(1.0)
    assert dist["reference"][-1] > 0.5  # 20 of 30 values in "(other)"


def test_score_over_time_rises(report: DriftReport) -> None:
    hours = ["2026-11-01 00:00 UTC", "2026-11-01 01:00 UTC", "2026-11-01 02:00 UTC"]
    assert report.summary["windows"] == hours
    for column in ("amount", "plan"):
        points = report.history[column]
        assert [label for label, _, _ in points] == hours
        scores = [score for _, score, _ in points]
        assert scores == sorted(scores) and scores[0] < 0.05 < 0.1 < scores[-1], scores
        assert points[0][2] == "no drift" and points[-1][2] == "drift"
    assert [c for _, _, c in report.history["empty"]] == ["unknown"] * 3
    assert report.history["amount"][-1][1] == next(
        r["score"] for r in report.columns if r["column"] == "amount"
    )


def test_save_html_is_standalone(report: DriftReport, tmp_path: Path) -> None:
    path = report.save_html(tmp_path / "run" / "drift.html")
    assert path == tmp_path / "run" / "drift.html"
    tmp_path = path.parent
    assert [p.name for p in tmp_path.iterdir()] == ["drift.html"]  # no temporary file left
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert "<script" not in text and not re.search(r"https?://", text)
    assert "<title>churn &lt;inputs&gt;</title>" in text
    for column in ("amount", "plan", "steady", "empty"):
        assert f"<td>{column}</td>" in text
    # The two drifted columns, each with its distributions and score over time.
    assert text.count('class="slw-drift-section"') == 2
    assert text.count('class="slw-chart slw-dist"') == 2
    assert text.count('class="slw-chart slw-history"') == 2
    assert "<rect" in text and "<polyline" in text

    report.save_html(path)  # over an existing file
    assert [p.name for p in tmp_path.iterdir()] == ["drift.html"]


def test_mimebundle_has_a_static_table(report: DriftReport) -> None:
    data, _ = report._repr_mimebundle_()
    html = data["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "churn &lt;inputs&gt;: 2 drift, 1 unknown, 1 no drift" in html
    assert html.count("<tr><td>") == 4 and "<th>p-value</th>" in html
    assert "new categories: 1 values" in html


def test_one_profile_and_thresholds(
    reference: Profile, windows: list[tuple[datetime, Profile]]
) -> None:
    strict = DriftThresholds(ks_possible=0.5, ks_drift=0.6)
    one = DriftReport(reference, windows[2][1], strict)
    rows = {r["column"]: r for r in one.columns}
    assert rows["amount"]["category"] == "no drift" and rows["plan"]["category"] == "drift"
    assert one.summary["windows"] == ["current"]
    assert [len(points) for points in one.history.values()] == [1] * 4
    assert one.thresholds["ks"] == [0.5, 0.6]


def test_empty_current_and_all_missing_columns(reference: Profile, tmp_path: Path) -> None:
    empty = DriftReport(reference, profile(frame(9).iloc[:0]))
    assert empty.error == ""
    assert empty.summary["notes"] == ["the current profile has no rows"]
    assert {r["category"] for r in empty.columns} == {"unknown"}
    details = {r["column"]: r["detail"] for r in empty.columns}
    assert details["amount"] == "no numbers in the current profile (no rows)"
    assert details["plan"] == "no values in the current profile (no rows)"
    assert empty.distribution["current"] is None
    assert sum(empty.distribution["reference"]) == pytest.approx(1.0)
    assert "<table" in empty.save_html(tmp_path / "empty.html").read_text()

    missing = frame(9).assign(amount=np.nan, plan=None)
    missing["extra"] = 1
    report = DriftReport(reference, profile(missing.drop(columns="steady")))
    rows = {r["column"]: r for r in report.columns}
    assert rows["amount"]["detail"] == "no numbers in the current profile (all missing)"
    assert "\n" not in rows["amount"]["detail"]
    assert [i["kind"] for i in rows["amount"]["issues"]] == ["missing_values"]
    assert rows["steady"]["detail"] == "not in the current profile"
    assert rows["extra"]["detail"] == "not in the reference"
    report.selected = "amount"
    assert report.distribution["current"] is None
    assert report.distribution["note"] == "no numbers on one side"
    report.selected = "steady"
    assert report.distribution["note"] == "not in the current data"
    assert "No column drifted." in report.to_html()


def test_no_windows_and_failures_are_one_line(
    reference: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    none = DriftReport(reference, [])
    assert none.columns == [] and none.error == ""
    assert none.summary["notes"] == ["no current data: no windows were given"]
    assert "nothing yet" in none._static_html()

    with pytest.raises(TypeError, match="Profile"):
        DriftReport(reference, "current")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pairs"):
        DriftReport(reference, [reference])  # type: ignore[list-item]

    def broken(*_args: object) -> list[object]:
        raise RuntimeError("sketch\nunreadable")

    monkeypatch.setattr("scalelab.monitoring.drift.drift_report", broken)
    failed = DriftReport(reference, reference)
    assert failed.error == "RuntimeError: sketch unreadable"
    assert failed.columns == [] and "sketch unreadable" in failed._static_html()


def test_importing_the_widgets_leaves_whylogs_out() -> None:
    code = "import sys, scalelab.widgets; print('whylogs' in sys.modules, 'scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --- in Chromium ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.set_default_timeout(15_000)
        yield page
        browser.close()


@pytest.mark.e2e
def test_view_sorts_and_shows_a_clicked_column(report: DriftReport, page: Page) -> None:
    report.selected = "amount"
    state = report.get_state()
    state.pop("layout", None)
    report.selected = "plan"
    plan = report.distribution  # what the kernel answers when the view picks "plan"
    open_widget(page, "drift.js", f"window.makeState = () => ({json.dumps(state)});")

    rows = page.locator(".slw-drift-table tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first.locator("td").first).to_have_text(report.columns[0]["column"])
    expect(page.locator(".slw-count")).to_contain_text("4 columns (2 drift, 1 unknown, 1 no drift)")
    expect(page.locator("tr.slw-selected")).to_have_attribute("data-column", "amount")
    expect(page.locator(".slw-dist rect.slw-ref")).to_have_count(drift.BINS + 1)  # + legend
    expect(page.locator(".slw-history polyline")).to_have_count(1)
    expect(page.locator(".slw-history .slw-limit")).to_have_count(2)
    expect(page.locator(".slw-history circle")).to_have_count(3)

    # Score ascending: "empty" has none and stays last either way.
    page.click('th[data-key="score"]')
    expect(rows.first.locator("td").first).to_have_text(report.columns[0]["column"])
    page.click('th[data-key="score"]')
    expect(rows.first.locator("td").first).to_have_text("steady")
    expect(rows.last.locator("td").first).to_have_text("empty")

    page.click('tr[data-column="plan"]')
    assert page.evaluate("window.model.get('selected')") == "plan"
    expect(page.locator(".slw-dist-slot")).to_have_text("loading…")
    page.evaluate(f"window.model.set('distribution', {json.dumps(plan)})")
    expect(page.locator(".slw-dist rect.slw-cur")).to_have_count(len(plan["labels"]) + 1)
    expect(page.locator(".slw-dist")).to_contain_text("d")
    expect(page.locator(".slw-drift-column")).to_have_text("plan")
    expect(page.locator(".slw-detail .slw-badge")).to_have_text("drift")

    page.evaluate("window.model.set('error', 'RuntimeError: sketch unreadable')")
    expect(page.locator(".slw-error")).to_have_text("RuntimeError: sketch unreadable")
