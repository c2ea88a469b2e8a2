"""Profiles: what a column summary holds, storing and reading profiles, merging them into
windows, and the edge data (empty, all missing, constant, mixed, a million distinct strings)."""

from __future__ import annotations

import logging
import re
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scalelab.monitoring import Profile, merge, profile

SRC = Path(__file__).resolve().parents[2] / "src"


def frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(10.0, 2.0, n)
    x[::10] = np.nan
    colour = rng.choice(["red", "green", "blue"], size=n, p=[0.5, 0.3, 0.2]).astype(object)
    colour[::25] = None
    return pd.DataFrame(
        {
            "x": x,
            "k": rng.integers(0, 5, n),
            "colour": pd.array(colour, dtype="str"),
            "flag": rng.random(n) < 0.3,
        }
    )


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return frame(20_000, seed=1)


@pytest.fixture(scope="module")
def prof(df: pd.DataFrame) -> Profile:
    return profile(df)


def test_summaries_hold_counts_types_range_and_items(df: pd.DataFrame, prof: Profile) -> None:
    assert prof.rows == 20_000
    assert prof.column_names == ("colour", "flag", "k", "x")
    x, k, colour, flag = (prof.columns[c] for c in ("x", "k", "colour", "flag"))

    assert (x.count, x.null_count, x.missing_share) == (20_000, 2_000, 0.1)
    assert x.inferred_type == "fractional" and x.frequent is None
    assert x.min == df.x.min() and x.max == df.x.max()
    assert x.distribution is not None and x.distribution.n == 18_000
    assert x.distribution.mean == pytest.approx(df.x.mean())
    assert x.distribution.stddev == pytest.approx(df.x.std(), rel=1e-6)

    assert k.inferred_type == "integral" and k.distinct == pytest.approx(5, abs=0.01)
    assert k.frequent is not None and k.frequent.exact
    assert k.frequent.counts() == {str(v): n for v, n in df.k.value_counts().items()}

    assert colour.inferred_type == "string" and colour.null_count == 800
    assert colour.distribution is None
    assert colour.frequent is not None and colour.frequent.total == 19_200
    assert colour.frequent.counts() == df.colour.value_counts().to_dict()
    assert colour.frequent.items[0][0] == "red"  # most frequent first

    assert flag.inferred_type == "boolean"
    assert flag.frequent is not None
    assert flag.frequent.counts() == {"True": df.flag.sum(), "False": (~df.flag).sum()}


def test_quantiles_and_cdf_follow_the_data(df: pd.DataFrame, prof: Profile) -> None:
    dist = prof.columns["x"].distribution
    assert dist is not None and 0 < dist.rank_error < 0.01  # past exact: estimating
    values = df.x.dropna()
    for rank in (0.01, 0.25, 0.5, 0.75, 0.99):
        assert np.mean(values <= dist.quantile(rank)) == pytest.approx(rank, abs=0.01)
    for point in (6.0, 10.0, 13.0):
        assert dist.cdf(point) == pytest.approx(np.mean(values <= point), abs=0.01)
    assert dist.quantile(0.0) == dist.min and dist.quantile(1.0) == dist.max
    assert dist.cdf(dist.max) == 1.0 and dist.cdf(dist.min - 1) == 0.0
    with pytest.raises(ValueError, match="rank"):
        dist.quantile(1.5)


def test_a_small_column_is_held_exactly() -> None:
    dist = profile(pd.DataFrame({"v": [1.0, 2.0, 3.0, 4.0, 5.0]})).columns["v"].distribution
    assert dist is not None and dist.rank_error == 0.0
    assert [dist.cdf(v) for v in (1, 3, 4.5, 5)] == pytest.approx([0.2, 0.6, 0.8, 1.0])
    assert dist.share_below(3.0) == pytest.approx(0.4)


def test_bytes_and_files_round_trip(prof: Profile, tmp_path: Path) -> None:
    data = prof.to_bytes()
    assert data[:4] == b"WHY1" and len(data) < 200_000
    assert Profile.from_bytes(data).columns == prof.columns
    path = tmp_path / "batch.bin"
    prof.write(path)
    path.chmod(0o444)  # stored profiles may be read-only: whylogs' own read() would fail
    assert Profile.read(path).columns == prof.columns
    assert [p.name for p in tmp_path.iterdir()] == ["batch.bin"]  # no temporary file left


def test_garbage_is_not_a_profile() -> None:
    with pytest.raises(ValueError, match="not a profile"):
        Profile.from_bytes(b"garbage")


def test_merged_halves_count_like_the_whole(df: pd.DataFrame, prof: Profile) -> None:
    first, second = profile(df.iloc[:7_000]), profile(df.iloc[7_000:])
    merged = merge([Profile.from_bytes(first.to_bytes()), Profile.from_bytes(second.to_bytes())])
    assert merged.rows == prof.rows
    for name, whole in prof.columns.items():
        part = merged.columns[name]
        assert (part.count, part.null_count, part.types) == (
            whole.count,
            whole.null_count,
            whole.types,
        )
        assert part.frequent == whole.frequent
        assert part.min == whole.min and part.max == whole.max
    a, b = merged.columns["x"].distribution, prof.columns["x"].distribution
    assert a is not None and b is not None and a.n == b.n
    assert a.mean == pytest.approx(b.mean) and a.stddev == pytest.approx(b.stddev)
    for point in (6.0, 10.0, 13.0):
        assert a.cdf(point) == pytest.approx(b.cdf(point), abs=0.01)


def test_merging_keeps_the_columns_of_either_and_changes_neither() -> None:
    a = profile(pd.DataFrame({"x": [1.0, 2.0], "s": ["a", "b"]}))
    b = profile(pd.DataFrame({"x": [3.0], "t": [7]}))
    merged = a.merge(b)
    assert merged.column_names == ("s", "t", "x")
    assert merged.columns["x"].count == 3 and merged.columns["t"].count == 1
    assert a.columns["x"].count == 2 and a.column_names == ("s", "x")


def test_nothing_to_merge_is_an_empty_profile() -> None:
    empty = merge([])
    assert empty.rows == 0 and empty.columns == {}
    assert Profile.from_bytes(empty.to_bytes()).columns == {}
    one = profile(pd.DataFrame({"x": [1.0]}))
    assert merge([empty, one]).columns == one.columns


def test_an_empty_batch_lists_its_columns(caplog: pytest.LogCaptureFixture) -> None:
    df = pd.DataFrame({"x": pd.Series([], dtype=float), "s": pd.Series([], dtype="str")})
    with caplog.at_level(logging.WARNING):
        p = profile(df)
        stored = Profile.from_bytes(profile(pd.DataFrame()).to_bytes())
    assert p.rows == 0 and p.column_names == ("s", "x")
    x = p.columns["x"]
    assert (x.count, x.null_count, x.missing_share, x.inferred_type) == (0, 0, 0.0, "null")
    assert x.distribution is None and x.min is None
    assert stored.rows == 0 and stored.columns == {}
    assert not [r for r in caplog.records if r.name.startswith("whylogs")]


def test_an_all_missing_column() -> None:
    nan = profile(pd.DataFrame({"x": [np.nan] * 4, "o": [None] * 4})).columns
    for column in nan.values():
        assert (column.count, column.null_count, column.missing_share) == (4, 4, 1.0)
        assert column.inferred_type == "null" and column.distribution is None


def test_a_constant_column() -> None:
    columns = profile(pd.DataFrame({"x": [3.5] * 5_000, "s": ["same"] * 5_000})).columns
    dist = columns["x"].distribution
    assert dist is not None and dist.min == dist.max == 3.5 and set(dist.quantiles) == {3.5}
    assert columns["s"].frequent is not None
    assert columns["s"].frequent.items == (("same", 5_000),)


def test_mixed_types_in_one_column() -> None:
    column = profile(pd.DataFrame({"m": [1, "x", 2.5, None, True, "y", "x"]})).columns["m"]
    assert column.inferred_type == "mixed"
    t = column.types
    assert (t.integral, t.fractional, t.boolean, t.string) == (1, 1, 1, 3)
    assert column.null_count == 1
    assert column.frequent is not None and column.frequent.counts()["x"] == 2


def test_columns_are_named_by_strings() -> None:
    p = Profile.from_bytes(profile(pd.DataFrame(np.ones((3, 2)))).to_bytes())
    assert p.column_names == ("0", "1") and p.columns["1"].count == 3
    with pytest.raises(ValueError, match="unique"):
        profile(pd.DataFrame([[1, 2]], columns=["a", "a"]))
    with pytest.raises(ValueError, match="unique"):
        profile(pd.DataFrame([[1, 2]], columns=[1, "1"]))


def test_infinities_are_numbers_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        column = profile(pd.DataFrame({"f": [1.0, np.inf, -np.inf, 2.0]})).columns["f"]
    assert column.min == -np.inf and column.max == np.inf and column.null_count == 0


@pytest.mark.timeout(60)
def test_a_million_distinct_strings_take_bounded_memory() -> None:
    ids = pd.DataFrame({"id": pd.array([f"user-{i:07d}" for i in range(1_000_000)], dtype="str")})
    profile(ids.iloc[:10])  # whylogs imported and warm before measuring
    tracemalloc.start()
    try:
        p = profile(ids)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # whylogs copies a column into Python lists: ~80 MB for these at once, not in slices.
    assert peak < 32e6, f"profiling took {peak / 1e6:.0f} MB beside the data"
    assert len(p.to_bytes()) < 64_000
    column = p.columns["id"]
    assert column.distinct == pytest.approx(1_000_000, rel=0.03)
    assert column.frequent is not None and not column.frequent.exact
    assert column.frequent.total == 1_000_000 and len(column.frequent.items) <= 768


def test_only_the_profiles_module_imports_whylogs() -> None:
    importing = re.compile(r"^\s*(from|import)\s+whylogs", re.M)
    found = {
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if importing.search(path.read_text(encoding="utf-8"))
    }
    assert found == {"scalelab/monitoring/profiles.py"}
