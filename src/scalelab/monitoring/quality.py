"""Data quality of a current profile against a reference profile: what is wrong, not how far.

Pure functions of the profiles' column summaries, like drift. The issues, in this order:
- empty: the current profile has no rows (its per-column checks are then skipped);
- column_added / column_missing: the schema changed;
- type_change: the kind of values a column holds changed (integral, string, mixed, ...);
- missing_values: a larger share of nulls than the reference had, by more than a tolerance, so
  a column that was always 20 % empty does not raise an issue every window;
- new_categories: string or boolean values the reference never had; only when the reference's
  frequent-items sketch listed every value it saw (an ID column has new values every batch);
- out_of_range: numbers below the reference's minimum or above its maximum (exact in KLL), with
  their share to 0.1 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from .profiles import NUMERIC_TYPES, ColumnSummary, Profile

IssueKind = Literal[
    "empty",
    "column_added",
    "column_missing",
    "type_change",
    "missing_values",
    "new_categories",
    "out_of_range",
]
KIND_ORDER: dict[str, int] = {kind: i for i, kind in enumerate(get_args(IssueKind))}

CATEGORICAL_TYPES: frozenset[str] = frozenset({"string", "boolean"})
SHOWN_VALUES = 5  # new categories named in an issue's detail


@dataclass(frozen=True)
class QualityIssue:
    """One issue; `column` is None for the whole profile. `value` is the figure behind it, when
    there is one: the share of values missing, in new categories or out of range."""

    column: str | None
    kind: IssueKind
    detail: str
    value: float | None = None


def quality_issues(
    reference: Profile, current: Profile, *, missing_tolerance: float = 0.01
) -> list[QualityIssue]:
    """The issues of `current` against `reference`, in the order of the module docstring, then
    by column name. `missing_tolerance`: the rise in missing share (0 to 1) still accepted."""
    if not 0.0 <= missing_tolerance < 1.0:
        raise ValueError(f"missing_tolerance must be from 0 to 1, not {missing_tolerance}")
    ref, cur = reference.columns, current.columns
    issues: list[QualityIssue] = []
    if current.rows == 0:
        issues.append(QualityIssue(None, "empty", "the current profile has no rows"))
        if not cur:
            return issues  # no columns either: nothing to say about the schema
    issues += [
        QualityIssue(name, "column_added", "not in the reference")
        for name in cur
        if name not in ref
    ]
    issues += [
        QualityIssue(name, "column_missing", "not in the current profile")
        for name in ref
        if name not in cur
    ]
    for name in ref.keys() & cur.keys():
        if cur[name].count:
            issues += column_issues(ref[name], cur[name], missing_tolerance)
    return sorted(issues, key=lambda i: (KIND_ORDER[i.kind], i.column or ""))


def column_issues(
    ref: ColumnSummary, cur: ColumnSummary, missing_tolerance: float = 0.01
) -> list[QualityIssue]:
    """The issues of one column present on both sides, with rows in the current profile."""
    issues: list[QualityIssue] = []
    old, new = ref.inferred_type, cur.inferred_type
    if old != new and "null" not in (old, new):  # no values on a side: no type to compare
        issues.append(QualityIssue(ref.name, "type_change", f"{old} -> {new}"))
    if cur.missing_share > ref.missing_share + missing_tolerance:
        issues.append(
            QualityIssue(
                ref.name,
                "missing_values",
                f"{cur.missing_share:.1%} missing ({cur.null_count} of {cur.count}), "
                f"reference {ref.missing_share:.1%}",
                cur.missing_share,
            )
        )
    if old in CATEGORICAL_TYPES:
        issues += _new_categories(ref, cur)
    elif old in NUMERIC_TYPES:
        issues += _out_of_range(ref, cur)
    return issues


def _new_categories(ref: ColumnSummary, cur: ColumnSummary) -> list[QualityIssue]:
    if ref.frequent is None or not ref.frequent.exact or cur.frequent is None:
        return []
    known = ref.frequent.counts()
    new = [(value, n) for value, n in cur.frequent.items if value not in known]
    if not new:
        return []
    shown = ", ".join(f"{value!r} ({n})" for value, n in new[:SHOWN_VALUES])
    more = f" and {len(new) - SHOWN_VALUES} more" if len(new) > SHOWN_VALUES else ""
    share = sum(n for _, n in new) / cur.frequent.total
    return [
        QualityIssue(
            ref.name, "new_categories", f"{len(new)} values: {shown}{more}; {share:.1%}", share
        )
    ]


def _out_of_range(ref: ColumnSummary, cur: ColumnSummary) -> list[QualityIssue]:
    r, c = ref.distribution, cur.distribution
    if r is None or c is None or (r.min <= c.min and c.max <= r.max):
        return []
    # Read off the quantile grid, so to its step (0.1 %); never below one value's share.
    below = c.share_below(r.min) if c.min < r.min else 0.0
    above = 1.0 - c.cdf(r.max) if c.max > r.max else 0.0
    share = max(1 / c.n, below + above)
    return [
        QualityIssue(
            ref.name,
            "out_of_range",
            f"[{c.min:g}, {c.max:g}] beyond the reference's [{r.min:g}, {r.max:g}]: "
            f"about {share:.1%} of values",
            share,
        )
    ]
