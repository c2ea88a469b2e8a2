"""Drift from two profiles: KS on the sketches' quantiles for numbers, chi-square or Hellinger
on frequent-item counts for categories, verdicts by the monitor's thresholds, and edge data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from scalelab.monitoring import ColumnDrift, DriftThresholds, Profile, drift_report, merge, profile
from scalelab.monitoring.drift import CATEGORY_ORDER, ks_p_value, ks_statistic
from scalelab.monitoring.profiles import Distribution

N = 20_000
COLOURS = ["red", "green", "blue"]


def frame(seed: int, n: int = N, shift: float = 0.0, shares: tuple[float, ...] = (0.5, 0.3, 0.2)):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(shift, 1.0, n),
            "colour": pd.array(rng.choice(COLOURS, size=n, p=shares), dtype="str"),
        }
    )


def by_column(report: list[ColumnDrift]) -> dict[str, ColumnDrift]:
    return {d.column: d for d in report}


@pytest.fixture(scope="module")
def reference() -> tuple[pd.DataFrame, Profile]:
    df = frame(seed=1)
    return df, profile(df)


def test_the_same_distribution_resampled_is_no_drift(
    reference: tuple[pd.DataFrame, Profile],
) -> None:
    report = by_column(drift_report(reference[1], profile(frame(seed=2))))
    x, colour = report["x"], report["colour"]
    assert (x.method, x.category) == ("ks", "no drift")
    assert x.score is not None and x.score < 0.02
    assert (colour.method, colour.category) == ("chi-square", "no drift")


def test_a_shifted_normal_is_drift_by_ks(reference: tuple[pd.DataFrame, Profile]) -> None:
    x = by_column(drift_report(reference[1], profile(frame(seed=3, shift=0.5))))["x"]
    assert (x.method, x.category) == ("ks", "drift")
    assert x.p_value is not None and x.p_value < 1e-6
    # A smaller shift is a smaller score: possible drift.
    small = by_column(drift_report(reference[1], profile(frame(seed=4, shift=0.17))))["x"]
    assert small.category == "possible drift"


@pytest.mark.parametrize("shift", [0.0, 0.05, 0.2, 0.5, 2.0])
def test_ks_from_sketches_matches_scipy_on_the_rows(
    reference: tuple[pd.DataFrame, Profile], shift: float
) -> None:
    current = frame(seed=5, shift=shift)
    ours = by_column(drift_report(reference[1], profile(current)))["x"]
    theirs = stats.ks_2samp(reference[0].x, current.x)
    assert ours.score == pytest.approx(theirs.statistic, abs=0.01)
    assert ours.p_value is not None and (ours.p_value < 0.05) == (theirs.pvalue < 1e-3)


def test_few_rows_are_not_drift_whatever_the_score() -> None:
    """30 rows against 30: a gap of 0.3 can be chance (p ~ 0.1); with many rows, drift."""
    ref = profile(frame(seed=6, n=30))
    cur = profile(frame(seed=7, n=30, shift=0.3))
    x = by_column(drift_report(ref, cur))["x"]
    assert x.score is not None and x.score >= 0.1
    assert x.p_value is not None and x.p_value >= 0.05 and x.category == "no drift"


@pytest.mark.parametrize("method", ["chi-square", "hellinger"])
def test_category_shares_moving_are_drift(
    reference: tuple[pd.DataFrame, Profile], method: str
) -> None:
    t = DriftThresholds(categorical=method)  # type: ignore[arg-type]
    moved = by_column(drift_report(reference[1], profile(frame(8, shares=(0.35, 0.45, 0.2))), t))
    same = by_column(drift_report(reference[1], profile(frame(9)), t))
    assert (moved["colour"].method, moved["colour"].category) == (method, "drift")
    assert (same["colour"].method, same["colour"].category) == (method, "no drift")
    slight = by_column(drift_report(reference[1], profile(frame(10, shares=(0.42, 0.38, 0.2))), t))
    assert slight["colour"].category == "possible drift"


def test_chi_square_matches_scipy_on_exact_counts(reference: tuple[pd.DataFrame, Profile]) -> None:
    current = frame(seed=11, shares=(0.45, 0.35, 0.2))
    ours = by_column(drift_report(reference[1], profile(current)))["colour"]
    table = pd.concat(
        [reference[0].colour.value_counts(), current.colour.value_counts()], axis=1
    ).fillna(0)
    chi2, p, _, _ = stats.chi2_contingency(table.to_numpy().T, correction=False)
    assert ours.score == pytest.approx(np.sqrt(chi2 / table.to_numpy().sum()))
    assert ours.p_value == pytest.approx(p)


def test_unseen_categories_are_drift(reference: tuple[pd.DataFrame, Profile]) -> None:
    current = frame(seed=12)
    current["colour"] = current.colour.where(np.arange(N) % 4 != 0, "purple")
    for method in ("chi-square", "hellinger"):
        t = DriftThresholds(categorical=method)  # type: ignore[arg-type]
        assert by_column(drift_report(reference[1], profile(current), t))["colour"].category == (
            "drift"
        )


def test_constant_columns() -> None:
    ones = profile(pd.DataFrame({"x": [1.0] * 500, "s": ["a"] * 500}))
    twos = profile(pd.DataFrame({"x": [2.0] * 500, "s": ["b"] * 500}))
    same = by_column(
        drift_report(ones, profile(pd.DataFrame({"x": [1.0] * 300, "s": ["a"] * 300})))
    )
    assert (same["x"].score, same["x"].category) == (0.0, "no drift")
    assert (same["s"].score, same["s"].category) == (0.0, "no drift")
    moved = by_column(drift_report(ones, twos))
    assert (moved["x"].score, moved["x"].category) == (1.0, "drift")
    assert moved["s"].category == "drift"


def test_no_values_to_compare_is_unknown(reference: tuple[pd.DataFrame, Profile]) -> None:
    missing = frame(seed=13, n=100)
    missing["x"] = np.nan
    missing["colour"] = pd.array([None] * 100, dtype="str")
    empty = frame(seed=13, n=0)
    for current, why in ((missing, "all missing"), (empty, "no rows")):
        report = drift_report(reference[1], profile(current))
        assert [d.category for d in report] == ["unknown", "unknown"]
        assert all(d.score is None and d.p_value is None and why in d.detail for d in report)
    assert drift_report(reference[1], profile(pd.DataFrame())) == []


def test_a_changed_schema_reports_the_shared_columns(
    reference: tuple[pd.DataFrame, Profile],
) -> None:
    current = frame(seed=14).drop(columns=["colour"]).assign(extra=1)
    assert [d.column for d in drift_report(reference[1], profile(current))] == ["x"]


def test_a_type_change_is_unknown(reference: tuple[pd.DataFrame, Profile]) -> None:
    current = frame(seed=15, n=100).assign(x="text")
    x = by_column(drift_report(reference[1], profile(current)))["x"]
    assert (x.method, x.category) == ("ks", "unknown") and "string values" in x.detail


def test_many_distinct_strings_on_both_sides_are_no_drift() -> None:
    def ids(start: int) -> Profile:
        return profile(pd.DataFrame({"id": [f"id-{i}" for i in range(start, start + 20_000)]}))

    first, second = ids(0), ids(20_000)
    assert first.columns["id"].frequent is not None and not first.columns["id"].frequent.exact
    (d,) = drift_report(first, second)
    assert (d.method, d.category) == ("chi-square", "no drift")


def test_mixed_types_are_compared_as_categories() -> None:
    ref = profile(pd.DataFrame({"m": [1, "a", 2.5, "b"] * 250}))
    cur = profile(pd.DataFrame({"m": ["a", "b", "c", 1] * 250}))
    (d,) = drift_report(ref, cur)
    assert (d.method, d.category) == ("chi-square", "drift")


def test_a_window_merged_from_batches_matches_its_reference(
    reference: tuple[pd.DataFrame, Profile],
) -> None:
    batches = [profile(frame(seed=20 + i, n=N // 4)) for i in range(4)]
    window = merge(Profile.from_bytes(b.to_bytes()) for b in batches)
    assert {d.category for d in drift_report(reference[1], window)} == {"no drift"}


def test_the_report_is_sorted_most_drifted_first() -> None:
    rng = np.random.default_rng(30)
    ref = pd.DataFrame({c: rng.normal(0, 1, 5_000) for c in "abcde"})
    cur = pd.DataFrame(
        {"a": rng.normal(0, 1, 5_000), "b": rng.normal(1, 1, 5_000), "c": rng.normal(0.3, 1, 5_000)}
    ).assign(d=np.nan, e=rng.normal(0.15, 1, 5_000))
    report = drift_report(profile(ref), profile(cur))
    assert [(d.column, d.category) for d in report] == [
        ("b", "drift"),
        ("c", "drift"),
        ("e", "possible drift"),
        ("d", "unknown"),
        ("a", "no drift"),
    ]
    assert sorted(report, key=lambda d: CATEGORY_ORDER[d.category]) == report


def test_thresholds_are_the_monitors() -> None:
    ref, cur = profile(frame(seed=40)), profile(frame(seed=41, shift=0.5))
    lenient = DriftThresholds(ks_possible=0.3, ks_drift=0.5)
    assert by_column(drift_report(ref, cur, lenient))["x"].category == "no drift"
    with pytest.raises(ValueError, match="possible <= drift"):
        DriftThresholds(ks_possible=0.2, ks_drift=0.1)
    with pytest.raises(ValueError, match="p_value"):
        DriftThresholds(p_value=0.0)
    with pytest.raises(ValueError, match="categorical"):
        DriftThresholds(categorical="psi")  # type: ignore[arg-type]


def test_ks_on_quantile_grids_alone() -> None:
    """Pure: two uniform distributions half overlapping are half a CDF apart."""

    def uniform(low: float) -> Distribution:
        grid = tuple(np.linspace(low, low + 1.0, 1001))
        return Distribution(1_000_000, low, low + 1.0, low + 0.5, 0.29, grid, 0.003)

    assert ks_statistic(uniform(0.0), uniform(0.0)) == 0.0
    assert ks_statistic(uniform(0.0), uniform(0.5)) == pytest.approx(0.5, abs=0.002)
    assert ks_p_value(0.0, 10, 10) == 1.0
    assert ks_p_value(0.5, 1_000, 1_000) < 1e-10
