"""Data quality from two profiles: missing values, type changes, new categories, values out of
the reference's range, schema changes, and an empty batch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scalelab.monitoring import Profile, QualityIssue, profile, quality_issues

N = 5_000


def frame(seed: int, n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.uniform(0.0, 100.0, n),
            "k": rng.integers(0, 10, n),
            "colour": pd.array(rng.choice(["red", "green", "blue"], size=n), dtype="str"),
        }
    )


@pytest.fixture(scope="module")
def reference() -> Profile:
    return profile(frame(seed=1))


def kinds(issues: list[QualityIssue]) -> list[tuple[str | None, str]]:
    return [(i.column, i.kind) for i in issues]


def test_data_like_the_reference_has_no_issues(reference: Profile) -> None:
    clean = frame(seed=2)
    clean["x"] = clean.x.clip(1.0, 99.0)  # inside the reference's range, whatever the draw
    assert quality_issues(reference, profile(clean)) == []
    assert quality_issues(reference, reference) == []


def test_missing_values_beyond_the_tolerance(reference: Profile) -> None:
    current = frame(seed=3)
    current.loc[: N // 10 - 1, "x"] = np.nan  # 10 %
    current.loc[: N // 200 - 1, "colour"] = None  # 0.5 %: within the tolerance
    issues = [i for i in quality_issues(reference, profile(current)) if i.kind == "missing_values"]
    assert kinds(issues) == [("x", "missing_values")]
    assert (
        issues[0].value == pytest.approx(0.1) and "10.0% missing (500 of 5000)" in issues[0].detail
    )
    strict = quality_issues(reference, profile(current), missing_tolerance=0.0)
    assert ("colour", "missing_values") in kinds(strict)
    with pytest.raises(ValueError, match="missing_tolerance"):
        quality_issues(reference, reference, missing_tolerance=1.5)


def test_a_column_always_this_empty_is_no_issue() -> None:
    def half_missing(seed: int) -> Profile:
        df = frame(seed)
        df.loc[df.index % 2 == 0, "x"] = np.nan
        df["x"] = df.x.clip(1.0, 99.0)
        return profile(df)

    assert quality_issues(half_missing(4), half_missing(5)) == []


def test_an_all_missing_column_is_missing_values_not_a_type_change(reference: Profile) -> None:
    current = frame(seed=6).assign(x=np.nan)
    issues = quality_issues(reference, profile(current))
    assert ("x", "missing_values") in kinds(issues) and ("x", "type_change") not in kinds(issues)
    assert next(i.value for i in issues if i.column == "x") == 1.0


def test_type_changes(reference: Profile) -> None:
    current = frame(seed=7).assign(k=lambda d: d.k.astype(str), x=lambda d: d.x.astype(object))
    current.loc[0, "x"] = "n/a"
    issues = [i for i in quality_issues(reference, profile(current)) if i.kind == "type_change"]
    assert [(i.column, i.detail) for i in issues] == [
        ("k", "integral -> string"),
        ("x", "fractional -> mixed"),
    ]


def test_new_categories(reference: Profile) -> None:
    current = frame(seed=8)
    current.loc[:99, "colour"] = "purple"
    current.loc[100:109, "colour"] = "teal"
    (issue,) = [
        i for i in quality_issues(reference, profile(current)) if i.kind == "new_categories"
    ]
    assert issue.column == "colour" and issue.value == pytest.approx(110 / N)
    assert "2 values: 'purple' (100), 'teal' (10)" in issue.detail


def test_no_new_categories_from_a_reference_that_could_not_list_them_all() -> None:
    def ids(start: int) -> Profile:
        return profile(pd.DataFrame({"id": [f"id-{i}" for i in range(start, start + 5_000)]}))

    assert quality_issues(ids(0), ids(5_000)) == []  # an ID column: new values every batch


def test_values_out_of_the_reference_range(reference: Profile) -> None:
    current = frame(seed=9).assign(x=lambda d: d.x.clip(1.0, 99.0))
    current.loc[:49, "x"] = 150.0  # 1 % above
    current.loc[50, "x"] = -5.0  # one value below
    (issue,) = [i for i in quality_issues(reference, profile(current)) if i.kind == "out_of_range"]
    assert issue.column == "x" and issue.value == pytest.approx(51 / N, abs=0.002)
    assert "[-5, 150] beyond the reference's [" in issue.detail
    inf = frame(seed=10).assign(x=lambda d: d.x.clip(1.0, 99.0))
    inf.loc[0, "x"] = np.inf
    (issue,) = quality_issues(reference, profile(inf))
    assert (issue.kind, issue.value) == ("out_of_range", pytest.approx(1 / N, abs=0.001))


def test_a_changed_schema(reference: Profile) -> None:
    current = frame(seed=11).drop(columns=["k"]).assign(extra=1.0, x=50.0)
    assert kinds(quality_issues(reference, profile(current))) == [
        ("extra", "column_added"),
        ("k", "column_missing"),
    ]


def test_an_empty_batch(reference: Profile) -> None:
    assert kinds(quality_issues(reference, profile(frame(seed=12, n=0)))) == [(None, "empty")]
    assert kinds(quality_issues(reference, profile(pd.DataFrame()))) == [(None, "empty")]
    other_columns = pd.DataFrame({"y": pd.Series([], dtype=float)})
    assert kinds(quality_issues(reference, profile(other_columns))) == [
        (None, "empty"),
        ("y", "column_added"),
        ("colour", "column_missing"),
        ("k", "column_missing"),
        ("x", "column_missing"),
    ]


def test_constant_columns() -> None:
    ones = profile(pd.DataFrame({"x": [1.0] * 100, "s": ["a"] * 100}))
    assert quality_issues(ones, profile(pd.DataFrame({"x": [1.0] * 10, "s": ["a"] * 10}))) == []
    moved = quality_issues(ones, profile(pd.DataFrame({"x": [2.0] * 10, "s": ["b"] * 10})))
    assert kinds(moved) == [("s", "new_categories"), ("x", "out_of_range")]
    assert [i.value for i in moved] == [1.0, 1.0]


def test_issues_come_in_kind_then_column_order(reference: Profile) -> None:
    current = frame(seed=13).drop(columns=["colour"]).assign(z=1.0, x=lambda d: d.x * 2)
    current.loc[:999, "k"] = np.nan
    assert kinds(quality_issues(reference, profile(current))) == [
        ("z", "column_added"),
        ("colour", "column_missing"),
        ("k", "type_change"),  # integral -> fractional: NaN made pandas store floats
        ("k", "missing_values"),
        ("x", "out_of_range"),
    ]
