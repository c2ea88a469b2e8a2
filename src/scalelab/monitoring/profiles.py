"""Dataset profiles: whylogs sketches of a DataFrame, stored as bytes, merged into windows.

The only module of ScaleLab that imports whylogs (unmaintained since 1.6.4, so it may have to
be replaced): drift and quality read profiles through the small frozen summaries below, never
through whylogs' objects. whylogs is imported when the first profile is made or read, not with
this module, so the pure rules and their tests load without it.

Per column a profile keeps: counts (values, nulls), the kinds of values seen, a KLL quantile
sketch of the numbers (k = 1024: exact up to a few thousand values, then every rank within
~0.3 %), a frequent-items sketch of the values as strings (at most 768 tracked, whatever the
number of distinct values) and a distinct-count estimate. Sketches merge, so a time window is
the merge of its batches' stored profiles, never recomputed from raw rows.
"""

from __future__ import annotations

import bisect
import functools
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from functools import reduce
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from . import _compat

if TYPE_CHECKING:
    import pandas as pd
    from whylogs.core.view import ColumnProfileView, DatasetProfileView

# Values of a column become quantiles at this many evenly spaced ranks (0, 0.001, ..., 1): a CDF
# read off them is within 1 / (QUANTILE_POINTS - 1) of the sketch's, below the sketch's own error.
QUANTILE_POINTS = 1001
_RANKS = [i / (QUANTILE_POINTS - 1) for i in range(QUANTILE_POINTS)]

# Rows given to whylogs at a time: its preprocessing copies a column into Python lists (80 MB
# for a million strings), so slices keep that copy bounded whatever the size of the batch.
CHUNK_ROWS = 1 << 17

InferredType = Literal[
    "integral", "fractional", "boolean", "string", "object", "tensor", "mixed", "null"
]
NUMERIC_TYPES: frozenset[str] = frozenset({"integral", "fractional"})


@dataclass(frozen=True)
class TypeCounts:
    """How many non-null values of each kind a column had (whylogs' type counters)."""

    integral: int = 0
    fractional: int = 0
    boolean: int = 0
    string: int = 0
    object: int = 0
    tensor: int = 0

    def inferred(self) -> InferredType:
        """The one kind of value seen; "mixed" for several, "null" for none at all.

        Strict on purpose: a stray string among numbers is a change worth reporting.
        """
        seen = [f.name for f in fields(self) if getattr(self, f.name)]
        if not seen:
            return "null"
        return seen[0] if len(seen) == 1 else "mixed"  # type: ignore[return-value]


@dataclass(frozen=True)
class Distribution:
    """The numbers of a column (NaN left out, infinities in), read from its KLL sketch.

    `quantiles[i]` is the value at rank i / (len - 1): the minimum first, the maximum last; as
    the sketch's, the item of index floor(rank * n) in sorted order, so the values at or below
    x take every rank below F(x), and counting them gives F(x) rounded up to the grid.
    `rank_error` bounds the sketch's error on any rank: 0 while it still holds every value.
    """

    n: int
    min: float
    max: float
    mean: float
    stddev: float
    quantiles: tuple[float, ...]
    rank_error: float

    @property
    def grid_step(self) -> float:
        return 1.0 / (len(self.quantiles) - 1)

    def quantile(self, rank: float) -> float:
        """The value at `rank` (0 to 1), from the nearest grid rank below it."""
        if not 0.0 <= rank <= 1.0:
            raise ValueError(f"rank must be from 0 to 1, not {rank}")
        return self.quantiles[int(rank * (len(self.quantiles) - 1) + 1e-9)]

    def cdf(self, x: float) -> float:
        """The share of values at or below `x`, rounded up to the grid's step."""
        return min(1.0, bisect.bisect_right(self.quantiles, x) * self.grid_step)

    def share_below(self, x: float) -> float:
        """The share of values strictly below `x`, rounded up to the grid's step."""
        return min(1.0, bisect.bisect_left(self.quantiles, x) * self.grid_step)


@dataclass(frozen=True)
class FrequentItems:
    """A column's values as strings (ints as "3", floats as "2.500000", booleans as "True") with
    their counts, most frequent first.

    While `exact`, every distinct value seen is listed with its exact count. Past the sketch's
    capacity only the values surely frequent are, with estimated counts; the rest of `total`
    (the non-null values counted) is spread over values not listed.
    """

    items: tuple[tuple[str, int], ...]
    total: int
    exact: bool

    def counts(self) -> dict[str, int]:
        return dict(self.items)


@dataclass(frozen=True)
class ColumnSummary:
    """One column of a profile. `distribution` is None without any number in the column, and
    `frequent` None for columns whylogs keeps no frequent items for (floats)."""

    name: str
    count: int  # values, nulls included: the rows that had the column
    null_count: int  # None, NaN, NA, NaT
    types: TypeCounts
    distribution: Distribution | None
    frequent: FrequentItems | None
    distinct: float  # estimated number of distinct non-null values

    @property
    def inferred_type(self) -> InferredType:
        return self.types.inferred()

    @property
    def missing_share(self) -> float:
        return self.null_count / self.count if self.count else 0.0

    @property
    def min(self) -> float | None:
        return self.distribution.min if self.distribution else None

    @property
    def max(self) -> float | None:
        return self.distribution.max if self.distribution else None


class Profile:
    """A profile of a batch of rows, or of a window merged from several. Immutable.

    Made by `profile(df)`, `Profile.from_bytes`, `Profile.read` and `merge`; its column
    summaries are built on first use, so profiling and storing pay nothing for them.
    """

    __slots__ = ("_columns", "_view")

    def __init__(self, view: DatasetProfileView) -> None:
        self._view = view
        self._columns: Mapping[str, ColumnSummary] | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        """Sorted by name: a stored profile does not keep the DataFrame's order."""
        return tuple(sorted(self._view.get_columns()))

    @property
    def columns(self) -> Mapping[str, ColumnSummary]:
        if self._columns is None:
            views = self._view.get_columns()
            self._columns = MappingProxyType(
                {name: _summary(name, views[name]) for name in sorted(views)}
            )
        return self._columns

    @property
    def rows(self) -> int:
        """Rows profiled: the most values any column had (0 for an empty profile)."""
        return max((_counts(c)[0] for c in self._view.get_columns().values()), default=0)

    def to_bytes(self) -> bytes:
        """whylogs' own format ("WHY1" header, protobuf), readable by whylogs as is."""
        return self._view.serialize()

    @classmethod
    def from_bytes(cls, data: bytes) -> Profile:
        why = _whylogs()
        try:
            return cls(why.DatasetProfileView.deserialize(data))
        except why.DeserializationError as e:
            raise ValueError(f"not a profile: {e}") from e

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write to `path` whole or not at all (a temporary file renamed over it)."""
        target = Path(path)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(self.to_bytes())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> Profile:
        # Not whylogs' DatasetProfileView.read: it opens the file for writing too ("r+b").
        return cls.from_bytes(Path(path).read_bytes())

    def merge(self, other: Profile) -> Profile:
        """The profile of both batches' rows together; columns of either are kept."""
        return Profile(self._view.merge(other._view))


def profile(df: pd.DataFrame) -> Profile:
    """Profile the rows of `df` (any number, none included: its columns are still listed).

    Columns are named by their names as strings (a stored profile cannot hold others), which
    must then be unique.
    """
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        raise ValueError(f"column names must be unique as strings: {names}")
    if names != list(df.columns):
        df = df.set_axis(names, axis="columns")
    why = _whylogs()
    target = why.DatasetProfile()
    # whylogs' mean and variance of a column holding both infinities warn of inf - inf.
    with np.errstate(invalid="ignore"):
        if len(df) == 0:
            target.track(pandas=df)  # lists the columns; whylogs' warning is filtered out
        for start in range(0, len(df), CHUNK_ROWS):
            target.track(pandas=df.iloc[start : start + CHUNK_ROWS])
    return Profile(target.view())


def merge(profiles: Iterable[Profile]) -> Profile:
    """One profile of all the rows of `profiles`; an empty profile if there are none."""
    views = [p._view for p in profiles]
    if not views:
        # Not DatasetProfileView.zero(): without timestamps, whylogs cannot serialize it.
        return Profile(_whylogs().DatasetProfile().view())
    return Profile(reduce(lambda a, b: a.merge(b), views))


# --- whylogs ------------------------------------------------------------------------------


class _Whylogs:
    """The few whylogs names used here, imported once, after the numpy-2 aliases are back."""

    def __init__(self) -> None:
        _compat.apply()
        from whylogs.core import DatasetProfile, DatasetProfileView
        from whylogs.core.errors import DeserializationError
        from whylogs_sketching import frequent_items_error_type

        self.DatasetProfile = DatasetProfile
        self.DatasetProfileView = DatasetProfileView
        self.DeserializationError = DeserializationError
        self.no_false_positives = frequent_items_error_type.NO_FALSE_POSITIVES
        # Messages that are no news here: an empty batch (a quiet window) is tracked to list its
        # columns, and an empty profile (no columns) is stored and read back like any other.
        _quiet("whylogs.core.dataset_profile", "whylogs was passed an empty pandas DataFrame")
        _quiet("whylogs.core.view.dataset_profile_view", "Name index in the header is empty")


@functools.cache
def _whylogs() -> _Whylogs:
    return _Whylogs()


def _quiet(logger: str, prefix: str) -> None:
    logging.getLogger(logger).addFilter(lambda record: not record.getMessage().startswith(prefix))


def _counts(view: ColumnProfileView) -> tuple[int, int]:
    counts: Any = view.get_metric("counts")
    return (int(counts.n.value), int(counts.null.value)) if counts else (0, 0)


def _summary(name: str, view: ColumnProfileView) -> ColumnSummary:
    count, nulls = _counts(view)
    types: Any = view.get_metric("types")
    dist: Any = view.get_metric("distribution")
    freq: Any = view.get_metric("frequent_items")
    card: Any = view.get_metric("cardinality")
    return ColumnSummary(
        name=name,
        count=count,
        null_count=nulls,
        types=TypeCounts(**{f.name: int(getattr(types, f.name).value) for f in fields(TypeCounts)})
        if types
        else TypeCounts(),
        distribution=_distribution(dist) if dist else None,
        frequent=_frequent(freq.frequent_strings.value) if freq else None,
        distinct=float(card.hll.value.get_estimate()) if card else 0.0,
    )


def _distribution(metric: Any) -> Distribution | None:
    kll = metric.kll.value
    n = int(kll.get_n())
    if n == 0:
        return None  # and never ask an empty KLL sketch for quantiles: that segfaults
    return Distribution(
        n=n,
        min=float(kll.get_min_value()),
        max=float(kll.get_max_value()),
        mean=float(metric.avg),
        stddev=float(metric.stddev),
        quantiles=tuple(float(q) for q in kll.get_quantiles(_RANKS)),
        rank_error=float(kll.normalized_rank_error(False)) if kll.is_estimation_mode() else 0.0,
    )


def _frequent(sketch: Any) -> FrequentItems:
    # Surely frequent values only: past capacity, the others' counts are mostly the error.
    listed = sketch.get_frequent_items(_whylogs().no_false_positives)
    total = int(sketch.get_total_weight())
    # Items are (value, estimate, lower bound, upper bound): the bounds part once the sketch has
    # dropped values to stay in its capacity, and then none may be surely frequent at all.
    exact = total == 0 or (bool(listed) and listed[0][2] == listed[0][3])
    return FrequentItems(
        items=tuple((str(value), int(est)) for value, est, _, _ in listed),
        total=total,
        exact=exact,
    )
