"""Drift per column: how far a current profile's data moved from a reference profile's.

Pure functions of the profiles' column summaries: never raw rows, never whylogs objects.

Numbers: the Kolmogorov-Smirnov statistic D, the largest gap between the two CDFs, read off the
KLL sketches' quantile grids at every grid value of both (each CDF is a step function that only
steps at its own grid values, so the largest gap is at one of them). Categories (strings,
booleans, mixed values): from the frequent-items counts, chi-square or Hellinger distance.

A score says how far the data moved, a p-value whether chance could explain it. With a million
rows any wobble is "significant", and with twenty rows a large score may be chance: so a column
drifts when its score passes the monitor's threshold *and* the test says it is not chance.
Scores share one scale, roughly the share of rows that moved: D exactly (the largest share of
values that crossed any cut point), Cramer's V (chi-square's effect size) and Hellinger distance
about that much for a category share moving between two balanced groups.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import chdtrc, kolmogorov

from .profiles import NUMERIC_TYPES, ColumnSummary, Distribution, FrequentItems, Profile

Method = Literal["ks", "chi-square", "hellinger", "none"]
DriftCategory = Literal["drift", "possible drift", "unknown", "no drift"]
# Most drifted first; "unknown" (no score could be computed) before the columns that are fine.
CATEGORY_ORDER: dict[str, int] = {"drift": 0, "possible drift": 1, "unknown": 2, "no drift": 3}


@dataclass(frozen=True)
class DriftThresholds:
    """When a monitor calls a column drifted: scores at or above `*_possible` are possible
    drift, at or above `*_drift` drift, both only when the test's p-value is below `p_value`.

    The defaults, 0.05 and 0.1 for every method: D = 0.1 is 10 % of values crossing some cut
    point (a normal shifted by a quarter of its standard deviation), and 0.05 is still eight
    times what sketching alone makes up (KLL k = 1024: ~0.27 % of rank a side, plus the 0.1 %
    grid step) and well above chance at a few thousand rows; for categories, V = 0.1 is a
    share moving 10 points between two balanced groups (50/50 to 60/40), and Hellinger 0.1 is
    Evidently's default for its distances (that move gives 0.07). whylogs' own drift judges by
    p-value alone, so two samples of one normal, a million rows each, are "DRIFT" there.
    `categorical` picks the method for non-numeric columns.
    """

    ks_possible: float = 0.05
    ks_drift: float = 0.1
    categorical: Literal["chi-square", "hellinger"] = "chi-square"
    chi_square_possible: float = 0.05  # Cramer's V
    chi_square_drift: float = 0.1
    hellinger_possible: float = 0.05
    hellinger_drift: float = 0.1
    p_value: float = 0.05

    def __post_init__(self) -> None:
        for method in ("ks", "chi_square", "hellinger"):
            possible = getattr(self, f"{method}_possible")
            drift = getattr(self, f"{method}_drift")
            if not 0.0 < possible <= drift <= 1.0:
                raise ValueError(
                    f"{method} thresholds must be 0 < possible <= drift <= 1, "
                    f"not {possible} and {drift}"
                )
        if not 0.0 < self.p_value < 1.0:
            raise ValueError(f"p_value must be between 0 and 1, not {self.p_value}")
        if self.categorical not in ("chi-square", "hellinger"):
            raise ValueError(f"categorical must be chi-square or hellinger, not {self.categorical}")

    def limits(self, method: Literal["ks", "chi-square", "hellinger"]) -> tuple[float, float]:
        """(possible, drift) for `method`."""
        prefix = method.replace("-", "_")
        return getattr(self, f"{prefix}_possible"), getattr(self, f"{prefix}_drift")


@dataclass(frozen=True)
class ColumnDrift:
    """One column's drift. `score` is D for KS, Cramer's V for chi-square, the distance for
    Hellinger (p-value then from chi-square on the same counts); both None when "unknown",
    with `detail` saying why."""

    column: str
    method: Method
    score: float | None
    p_value: float | None
    category: DriftCategory
    detail: str = ""


def drift_report(
    reference: Profile, current: Profile, thresholds: DriftThresholds | None = None
) -> list[ColumnDrift]:
    """Drift of every column in both profiles, most drifted first (then by name). Columns in
    one profile only are schema changes, for `quality_issues`."""
    t = thresholds or DriftThresholds()
    ref, cur = reference.columns, current.columns
    report = [column_drift(ref[name], cur[name], t) for name in ref if name in cur]
    return sorted(report, key=lambda d: (CATEGORY_ORDER[d.category], -(d.score or 0.0), d.column))


def column_drift(ref: ColumnSummary, cur: ColumnSummary, t: DriftThresholds) -> ColumnDrift:
    """The drift of one column, by the method its reference values call for."""
    kind = ref.inferred_type
    if kind == "null":
        return _unknown(ref.name, "none", "the reference has no values in this column")
    if kind in NUMERIC_TYPES:
        if ref.distribution is None or cur.distribution is None:
            return _unknown(ref.name, "ks", f"no numbers in the current profile ({_seen(cur)})")
        d, p = ks_test(ref.distribution, cur.distribution)
        return _judged(ref.name, "ks", d, p, t)
    if ref.frequent is None or ref.frequent.total == 0:
        return _unknown(ref.name, "none", f"no drift method for {kind} values")
    if cur.frequent is None or cur.frequent.total == 0:
        return _unknown(ref.name, t.categorical, f"no values in the current profile ({_seen(cur)})")
    observed = contingency(ref.frequent, cur.frequent)
    _, p, v = chi_square(observed)
    if t.categorical == "hellinger":
        return _judged(ref.name, "hellinger", hellinger(observed), p, t)
    return _judged(ref.name, "chi-square", v, p, t)


# --- numbers -------------------------------------------------------------------------------


def ks_statistic(a: Distribution, b: Distribution) -> float:
    """The largest gap between the two CDFs, from the quantile grids."""
    qa, qb = np.asarray(a.quantiles), np.asarray(b.quantiles)
    points = np.union1d(qa, qb)
    return float(np.max(np.abs(_grid_cdf(qa, points) - _grid_cdf(qb, points))))


def ks_test(a: Distribution, b: Distribution) -> tuple[float, float]:
    """D and its p-value. The p-value is taken for D less what the sketches and grids alone can
    make up (their rank errors and one grid step), so that sketching never looks like drift."""
    d = ks_statistic(a, b)
    slack = a.rank_error + b.rank_error + max(a.grid_step, b.grid_step)
    return d, ks_p_value(max(0.0, d - slack), a.n, b.n)


def ks_p_value(d: float, n: int, m: int) -> float:
    """Two-sample KS p-value: Kolmogorov's limit with Stephens' small-sample correction."""
    en = math.sqrt(n * m / (n + m))
    return float(min(1.0, kolmogorov((en + 0.12 + 0.11 / en) * d)))


def _grid_cdf(grid: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The share of values at or below each point, as `Distribution.cdf`."""
    return np.minimum(np.searchsorted(grid, points, side="right") / (len(grid) - 1), 1.0)


# --- categories ----------------------------------------------------------------------------


def contingency(a: FrequentItems, b: FrequentItems) -> np.ndarray:
    """Counts per value, 2 rows (a, b) by the values plus an "other" column for the rest.

    Values count apart when both sketches are exact, or when listed on both sides: a value
    surely frequent on one side only may just fall short of the list on the other, and counting
    it there as 0 would look like drift. Such values go to "other" on both sides.
    """
    ca, cb = a.counts(), b.counts()
    keys = sorted(ca.keys() | cb.keys()) if a.exact and b.exact else sorted(ca.keys() & cb.keys())
    rows = []
    for counts, total in ((ca, a.total), (cb, b.total)):
        listed = [counts.get(k, 0) for k in keys]
        rows.append([*listed, max(0, total - sum(listed))])
    table = np.asarray(rows, dtype=float)
    return table[:, table.sum(axis=0) > 0]


def chi_square(observed: np.ndarray) -> tuple[float, float, float]:
    """Chi-square test of homogeneity of the two rows: (statistic, p-value, Cramer's V)."""
    if observed.shape[1] < 2:
        return 0.0, 1.0, 0.0  # one value on both sides: nothing can have moved
    total = observed.sum()
    expected = observed.sum(axis=1, keepdims=True) @ observed.sum(axis=0, keepdims=True) / total
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    p = float(chdtrc(observed.shape[1] - 1, chi2))
    return chi2, p, math.sqrt(chi2 / total)  # V: min(rows, columns) - 1 = 1


def hellinger(observed: np.ndarray) -> float:
    """Hellinger distance (0 to 1) between the two rows' shares."""
    shares = observed / observed.sum(axis=1, keepdims=True)
    affinity = float(np.sqrt(shares[0] * shares[1]).sum())
    return math.sqrt(max(0.0, 1.0 - affinity))


# --- verdicts ------------------------------------------------------------------------------


def category(
    method: Literal["ks", "chi-square", "hellinger"],
    score: float,
    p_value: float | None,
    thresholds: DriftThresholds,
) -> DriftCategory:
    """The verdict on a score (and p-value, if any) by the monitor's thresholds."""
    if p_value is not None and p_value >= thresholds.p_value:
        return "no drift"  # chance (or the sketches) can explain the score
    possible, drift = thresholds.limits(method)
    if score >= drift:
        return "drift"
    return "possible drift" if score >= possible else "no drift"


def _judged(
    column: str,
    method: Literal["ks", "chi-square", "hellinger"],
    score: float,
    p_value: float,
    t: DriftThresholds,
) -> ColumnDrift:
    return ColumnDrift(column, method, score, p_value, category(method, score, p_value, t))


def _unknown(column: str, method: Method, detail: str) -> ColumnDrift:
    return ColumnDrift(column, method, None, None, "unknown", detail)


def _seen(summary: ColumnSummary) -> str:
    if summary.count == 0:
        return "no rows"
    if summary.null_count == summary.count:
        return "all missing"
    return f"{summary.inferred_type} values"


def categories(report: Sequence[ColumnDrift]) -> dict[str, int]:
    """How many columns fell in each category, for a one-line summary."""
    counts = dict.fromkeys(CATEGORY_ORDER, 0)
    for d in report:
        counts[d.category] += 1
    return counts
