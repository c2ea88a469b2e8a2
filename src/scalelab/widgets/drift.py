"""DriftReport: drift per column between a reference profile and current data, in the notebook
and as a standalone HTML file.

The data is given (profiles), so nothing polls: the state is computed once, when the widget is
made, and the selected column's distributions when the front end picks one. scalelab.monitoring
(numpy, scipy) is imported then too, not with this module, so importing the widgets stays cheap.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets

from ._base import json_number, one_line
from ._static import fmt, html_table

if TYPE_CHECKING:
    from ..monitoring.drift import ColumnDrift, DriftThresholds
    from ..monitoring.profiles import ColumnSummary, Distribution, FrequentItems, Profile
    from ..monitoring.quality import QualityIssue

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
BINS = 20  # histogram bins of a numeric column, over the range of both sides
TOP_VALUES = 10  # values of a categorical column shown, the rest as "(other)"
OTHER = "(other)"
MAX_SECTIONS = 50  # drifted columns drawn in a saved report; the table lists them all
HEADERS = ["column", "type", "method", "score", "p-value", "category", "detail"]
DRIFTED = ("drift", "possible drift")

Window = tuple[Any, "Profile"]


class DriftReport(anywidget.AnyWidget):
    """Drift per column of current data against a reference profile (e.g. the one logged with
    the model's training run, `scalelab.monitoring.load_reference`): a table of the columns,
    most drifted first, with their method, score, p-value, category and data-quality issues;
    click a column for its reference and current distributions and its score over time.

    `current` is one profile, or windows as `(label, profile)` pairs, oldest first (labels
    that are all datetimes are put in order): the newest is the current data of the table,
    and each column's score over time is each window's drift from the reference.
    `thresholds` are the monitor's (`DriftThresholds()` by default).

    Example::

        from scalelab.monitoring import load_reference, window
        from scalelab.widgets import DriftReport

        reference = load_reference(run_id)
        hours = [(start, window(store, start, start + hour).inputs) for start in starts]
        report = DriftReport(reference, hours, title="churn inputs")
        report  # display it
        report.save_html("reports/drift.html")

    `save_html` writes a file that needs no network nor JavaScript; to keep it with a ScaleLab
    run, save it in the run's workspace, e.g. as one of the step's declared outputs, or log it
    to the model's MLflow run (`mlflow.log_artifact(report.save_html(path))`).
    """

    _esm = HERE / "drift.js"
    _css = HERE / "widgets.css"

    title = traitlets.Unicode("").tag(sync=True)
    # rows, current and reference row counts, windows' labels, counts per category, notes
    summary = traitlets.Dict().tag(sync=True)
    thresholds = traitlets.Dict().tag(sync=True)  # method -> [possible, drift]; "p_value"
    columns = traitlets.List().tag(sync=True)  # one row per column, most drifted first
    selected = traitlets.Unicode("").tag(sync=True)  # the column shown: the front end sets it
    distribution = traitlets.Dict().tag(sync=True)  # the selected column's, both sides
    history = traitlets.Dict().tag(sync=True)  # column -> [[label, score, category], ...]
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        reference: Profile,
        current: Profile | Sequence[Window],
        thresholds: DriftThresholds | None = None,
        title: str = "",
    ) -> None:
        from ..monitoring.drift import DriftThresholds
        from ..monitoring.profiles import Profile

        if not isinstance(reference, Profile):
            raise TypeError(f"reference must be a Profile, not {type(reference).__name__}")
        self._reference = reference
        self._windows = _windows(current, Profile)
        self._thresholds = thresholds or DriftThresholds()
        self._distributions: dict[str, dict[str, Any]] = {}
        self.report: list[ColumnDrift] = []  # the current data's, for code
        self.issues: list[QualityIssue] = []
        values: dict[str, Any] = {"title": title, "thresholds": _limits(self._thresholds)}
        # Profiles come from stores and other processes: whatever reading them raises, the
        # widget says so in one line.
        try:
            values.update(self._compute())
        except Exception as exc:
            log.debug("drift report failed", exc_info=True)
            values["error"] = one_line(f"{type(exc).__name__}: {exc}")
        super().__init__(**values)
        self.observe(self._on_selected, names=["selected"])

    @property
    def current(self) -> Profile | None:
        """The newest window's profile (None without windows)."""
        return self._windows[-1][1] if self._windows else None

    # -- state ------------------------------------------------------------------------------

    def _compute(self) -> dict[str, Any]:
        from ..monitoring.drift import CATEGORY_ORDER, drift_report
        from ..monitoring.quality import quality_issues

        labels = [label for label, _ in self._windows]
        reference = self._reference
        summary: dict[str, Any] = {
            "reference_rows": reference.rows,
            "current_rows": None,
            "current": labels[-1] if labels else "",
            "windows": labels,
            "counts": {},
            "notes": [],
        }
        current = self.current
        if current is None:
            summary["notes"] = ["no current data: no windows were given"]
            return {"summary": summary}
        t = self._thresholds
        self.report = drift_report(reference, current, t)
        self.issues = quality_issues(reference, current)
        rows = _rows(self.report, self.issues, reference, current)
        history: dict[str, list[list[Any]]] = {row["column"]: [] for row in rows}
        for label, profile in self._windows[:-1]:
            scores = {d.column: d for d in drift_report(reference, profile, t)}
            for name, points in history.items():
                points.append(_point(label, scores.get(name)))
        now = {d.column: d for d in self.report}
        for name, points in history.items():
            points.append(_point(labels[-1], now.get(name)))
        summary["current_rows"] = current.rows
        counts = dict.fromkeys(CATEGORY_ORDER, 0)
        for row in rows:
            counts[row["category"]] += 1
        summary["counts"] = counts
        summary["notes"] = [i.detail for i in self.issues if i.column is None]
        values: dict[str, Any] = {"summary": summary, "columns": rows, "history": history}
        if rows:
            values["selected"] = rows[0]["column"]
            values["distribution"] = self._distribution_of(rows[0]["column"])
        return values

    def _on_selected(self, change: Any) -> None:
        self.distribution = self._distribution_of(change["new"])

    def _distribution_of(self, column: str) -> dict[str, Any]:
        """The selected column's distributions on both sides, computed once per column."""
        if column in self._distributions:
            return self._distributions[column]
        try:
            found = column_distribution(self._reference, self.current, column, self._row(column))
        # A profile that cannot be read must not break the kernel's message handling.
        except Exception as exc:
            log.debug("distribution of %r failed", column, exc_info=True)
            found = _none(column, one_line(f"{type(exc).__name__}: {exc}"))
        self._distributions[column] = found
        return found

    def _row(self, column: str) -> dict[str, Any] | None:
        return next((r for r in self.columns if r["column"] == column), None)

    # -- display ----------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        # Front ends with the widget manager show the live view; nbconvert (no saved widget
        # state) and untrusted notebooks fall back to this table.
        return {**data, "text/html": self._static_html()}, metadata

    def _heading(self) -> str:
        counts = self.summary.get("counts") or {}
        found = ", ".join(f"{n} {c}" for c, n in counts.items() if n)
        name = self.title or "Drift"
        return f"{name}: {found}" if found else name

    def _static_html(self) -> str:
        note = "; ".join([*self.summary.get("notes", []), *([self.error] if self.error else [])])
        return html_table(self._heading(), HEADERS, [_cells(r) for r in self.columns], note=note)

    def save_html(self, path: str | os.PathLike[str]) -> Path:
        """Write the report to `path` as one standalone HTML file (no network, no JavaScript:
        the table, then each drifted column's distributions and score over time as inline SVG),
        whole or not at all (a temporary file renamed over it). Returns the path."""
        target = Path(path)
        text = self.to_html()
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the report from the project
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def to_html(self) -> str:
        """The standalone document `save_html` writes."""
        s = self.summary
        windows = s.get("windows") or []
        facts = [f"reference {s.get('reference_rows', 0)} rows"]
        if s.get("current_rows") is not None:
            facts.append(f"current {escape(str(s.get('current')))}: {s['current_rows']} rows")
        if len(windows) > 1:
            facts.append(f"{len(windows)} windows, {escape(windows[0])} to {escape(windows[-1])}")
        facts.append(f"saved {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
        parts = [
            f"<h1>{escape(self.title or 'Drift report')}</h1>",
            f'<p class="slw-hint">{" · ".join(facts)}</p>',
        ]
        if self.error:
            parts.append(f'<p class="slw-error">{escape(self.error)}</p>')
        parts += [f'<p class="slw-hint">{escape(n)}</p>' for n in s.get("notes", [])]
        counts = s.get("counts") or {}
        if counts:
            parts.append(
                '<p class="slw-drift-counts">'
                + " ".join(f"{_badge(c)} {n}" for c, n in counts.items())
                + "</p>"
            )
        parts.append(_table_html(self.columns))
        drifted = [r for r in self.columns if r["category"] in DRIFTED]
        if drifted:
            parts.append("<h2>Drifted columns</h2>")
            if len(drifted) > MAX_SECTIONS:
                parts.append(
                    f'<p class="slw-hint">The {MAX_SECTIONS} most drifted of {len(drifted)}.</p>'
                )
            for row in drifted[:MAX_SECTIONS]:
                parts.append(self._section_html(row))
        elif self.columns:
            parts.append('<p class="slw-hint">No column drifted.</p>')
        css = (HERE / "widgets.css").read_text(encoding="utf-8") + EXPORT_CSS
        return (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(self.title or 'Drift report')}</title><style>{css}</style></head>"
            f'<body><main class="slw-root slw-export">{"".join(parts)}</main></body></html>\n'
        )

    def _section_html(self, row: dict[str, Any]) -> str:
        name = row["column"]
        dist = self._distribution_of(name)
        limits = self.thresholds.get(row["method"])
        text = _detail(row)
        return (
            f'<section class="slw-drift-section"><h3>{escape(name)} {_badge(row["category"])}'
            f' <span class="slw-hint">{escape(row["method"])} {escape(_score(row["score"]))}'
            "</span></h3>"
            + (f'<p class="slw-hint">{escape(text)}</p>' if text else "")
            + '<div class="slw-panels"><div class="slw-chart-box"><div>reference vs current</div>'
            + distribution_svg(dist)
            + '</div><div class="slw-chart-box"><div>score over time</div>'
            + history_svg(self.history.get(name, []), limits)
            + "</div></div></section>"
        )


# --- rows ----------------------------------------------------------------------------------


def _windows(current: Any, profile_type: type) -> list[tuple[str, Profile]]:
    if isinstance(current, profile_type):
        return [("current", current)]
    if isinstance(current, str | bytes) or not isinstance(current, Sequence):
        raise TypeError(
            f"current must be a Profile or (label, Profile) pairs, not {type(current).__name__}"
        )
    pairs = list(current)
    for pair in pairs:
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], profile_type)):
            raise TypeError(f"current windows must be (label, Profile) pairs, not {pair!r:.80}")
    if pairs and all(isinstance(label, datetime) for label, _ in pairs):
        with contextlib.suppress(TypeError):  # naive and aware: kept in the order given
            pairs.sort(key=lambda pair: pair[0])
    return [(_label(label), profile) for label, profile in pairs]


def _label(label: Any) -> str:
    if isinstance(label, datetime):
        text = label.isoformat(sep=" ", timespec="minutes")
        return text.removesuffix("+00:00") + " UTC" if text.endswith("+00:00") else text
    if isinstance(label, date):
        return label.isoformat()
    return str(label)


def _limits(t: DriftThresholds) -> dict[str, Any]:
    return {
        "ks": list(t.limits("ks")),
        "chi-square": list(t.limits("chi-square")),
        "hellinger": list(t.limits("hellinger")),
        "p_value": t.p_value,
    }


def _number(value: float | None) -> float | str | None:
    return None if value is None else json_number(value)


def _point(label: str, d: ColumnDrift | None) -> list[Any]:
    if d is None:
        return [label, None, "unknown"]
    return [label, _number(d.score), d.category]


def _rows(
    report: list[ColumnDrift],
    issues: list[QualityIssue],
    reference: Profile,
    current: Profile,
) -> list[dict[str, Any]]:
    """One row per column of either profile, in drift_report's order (most drifted first, then
    by name); a column on one side only is "unknown", its detail the schema change."""
    from ..monitoring.drift import CATEGORY_ORDER

    ref, cur = reference.columns, current.columns
    by_column: dict[str, list[QualityIssue]] = {}
    for issue in issues:
        if issue.column is not None:
            by_column.setdefault(issue.column, []).append(issue)
    rows = []
    for d in report:
        rows.append(
            {
                "column": d.column,
                "type": _types(ref[d.column], cur[d.column]),
                "method": d.method,
                "score": _number(d.score),
                "p_value": _number(d.p_value),
                "category": d.category,
                "detail": one_line(d.detail),
                "issues": [
                    {"kind": i.kind, "detail": one_line(i.detail)}
                    for i in by_column.get(d.column, [])
                ],
            }
        )
    for name in sorted(ref.keys() ^ cur.keys()):
        schema = [i for i in by_column.get(name, []) if i.kind.startswith("column_")]
        summary = ref[name] if name in ref else cur[name]
        rows.append(
            {
                "column": name,
                "type": summary.inferred_type,
                "method": "none",
                "score": None,
                "p_value": None,
                "category": "unknown",
                "detail": one_line(schema[0].detail if schema else "in one profile only"),
                "issues": [],
            }
        )
    rows.sort(
        key=lambda r: (
            CATEGORY_ORDER[r["category"]],
            -(r["score"] if isinstance(r["score"], float | int) else 0.0),
            r["column"],
        )
    )
    return rows


def _types(ref: ColumnSummary, cur: ColumnSummary) -> str:
    old, new = ref.inferred_type, cur.inferred_type
    return old if old == new else f"{old} -> {new}"


def _detail(row: dict[str, Any]) -> str:
    parts = [row["detail"]] if row["detail"] else []
    parts += [f"{i['kind'].replace('_', ' ')}: {i['detail']}" for i in row["issues"]]
    return "; ".join(parts)


def _score(value: Any) -> str:
    return "" if value is None else str(_rounded(value))


def _cells(row: dict[str, Any]) -> list[Any]:
    return [
        row["column"],
        row["type"],
        row["method"],
        _rounded(row["score"]),
        _p(row["p_value"]),
        row["category"],
        _detail(row),
    ]


def _rounded(value: Any) -> Any:
    return f"{value:.4f}" if isinstance(value, float) else value


def _p(value: Any) -> Any:
    return f"{value:.3g}" if isinstance(value, float) else value


# --- distributions -------------------------------------------------------------------------


def column_distribution(
    reference: Profile, current: Profile | None, column: str, row: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A column's values on both sides, as shares summing to 1 a side (None for a side without
    values): for numbers, histograms of BINS bins over both sides' range, read off the quantile
    grids; for other values, the TOP_VALUES values most frequent on either side and the rest."""
    from ..monitoring.profiles import NUMERIC_TYPES

    ref = reference.columns.get(column)
    cur = current.columns.get(column) if current is not None else None
    if ref is None and cur is None:
        return _none(column, "no such column")
    if ref is None or cur is None:
        return _none(column, "not in the reference" if ref is None else "not in the current data")
    method = row["method"] if row else None
    stats = {"reference": _stats(ref), "current": _stats(cur)}
    if method == "ks" or (method is None and ref.inferred_type in NUMERIC_TYPES):
        return {**_histograms(column, ref.distribution, cur.distribution), "stats": stats}
    if ref.frequent is not None and ref.frequent.total:
        return {**_top_values(column, ref.frequent, cur.frequent), "stats": stats}
    note = row["detail"] if row and row["detail"] else f"no values to show ({ref.inferred_type})"
    return {**_none(column, note), "stats": stats}


def _none(column: str, note: str) -> dict[str, Any]:
    return {"column": column, "kind": "none", "note": note}


def _stats(summary: ColumnSummary) -> dict[str, Any]:
    out: dict[str, Any] = {"count": summary.count, "missing": summary.missing_share}
    d = summary.distribution
    if d is not None:
        out.update(mean=json_number(d.mean), min=json_number(d.min), max=json_number(d.max))
    return out


def _histograms(column: str, ref: Distribution | None, cur: Distribution | None) -> dict[str, Any]:
    sides = [d for d in (ref, cur) if d is not None]
    # Infinities go to the end bins: the range is that of the finite values.
    finite = [[q for q in d.quantiles if abs(q) != float("inf")] for d in sides]
    ends = [q for inner in finite if inner for q in (inner[0], inner[-1])]
    if not ends:
        note = "only infinite values" if sides else "no numbers on either side"
        return _none(column, note)
    lo, hi = min(ends), max(ends)
    edges = [lo + (hi - lo) * i / BINS for i in range(BINS + 1)] if hi > lo else [lo, hi]
    edges[-1] = hi  # exactly, whatever the rounding of the steps
    return {
        "column": column,
        "kind": "numeric",
        "edges": edges,
        "reference": _shares(ref, edges),
        "current": _shares(cur, edges),
        "note": "" if ref and cur else "no numbers on one side",
    }


def _shares(d: Distribution | None, edges: list[float]) -> list[float] | None:
    """The share of values in each bin: the first from the lowest value, the last to the
    highest (infinities in the end bins), each other bin (lower edge, upper edge]."""
    if d is None:
        return None
    below = [0.0] + [d.cdf(e) for e in edges[1:-1]] + [1.0]
    return [max(0.0, b - a) for a, b in itertools.pairwise(below)]


def _top_values(column: str, ref: FrequentItems, cur: FrequentItems | None) -> dict[str, Any]:
    sides = [ref, cur]
    shares = [
        {k: n / max(f.total, 1) for k, n in f.items} if f is not None and f.total else None
        for f in sides
    ]
    seen = {k for s in shares if s for k in s}
    ranked = sorted(seen, key=lambda k: (-max((s or {}).get(k, 0.0) for s in shares), k))
    labels = ranked[:TOP_VALUES]
    out: list[list[float] | None] = []
    for s in shares:
        if s is None:
            out.append(None)
            continue
        listed = [s.get(k, 0.0) for k in labels]
        out.append([*listed, max(0.0, 1.0 - sum(listed))])
    others = [side[-1] for side in out if side is not None]
    if all(o < 1e-9 for o in others):  # every value listed: no "(other)" bar
        out = [side[:-1] if side is not None else None for side in out]
    else:
        labels = [*labels, OTHER]
    return {
        "column": column,
        "kind": "categorical",
        "labels": labels,
        "reference": out[0],
        "current": out[1],
        "note": "" if out[1] is not None else "no values in the current data",
    }


# --- SVG, for the saved file (the widget's own is drawn by drift.js alike) -----------------

DIST = {"w": 520, "h": 200, "left": 44, "right": 10, "top": 10, "bottom": 34}
LINE = {"w": 520, "h": 160, "left": 44, "right": 10, "top": 10, "bottom": 30}


def _f(x: float) -> str:
    return f"{x:.1f}"


def _legend(x: float, y: float) -> str:
    return (
        f'<rect class="slw-ref" x="{_f(x)}" y="{_f(y - 8)}" width="9" height="9"/>'
        f'<text x="{_f(x + 13)}" y="{_f(y)}">reference</text>'
        f'<rect class="slw-cur" x="{_f(x + 80)}" y="{_f(y - 8)}" width="9" height="9"/>'
        f'<text x="{_f(x + 93)}" y="{_f(y)}">current</text>'
    )


def distribution_svg(dist: dict[str, Any]) -> str:
    """Reference and current shares as bars side by side (numbers: per bin; else per value)."""
    kind = dist.get("kind")
    if kind == "numeric" and "edges" in dist:
        return _numeric_svg(dist)
    if kind == "categorical":
        return _categorical_svg(dist)
    return f'<p class="slw-hint">{escape(dist.get("note") or "nothing to show")}</p>'


def _numeric_svg(dist: dict[str, Any]) -> str:
    w, h, left, right, top, bottom = (DIST[k] for k in ("w", "h", "left", "right", "top", "bottom"))
    edges = dist["edges"]
    sides = [("slw-ref", dist["reference"]), ("slw-cur", dist["current"])]
    bins = len(edges) - 1
    peak = max([v for _, s in sides if s for v in s] + [1e-9])
    step = (w - left - right) / bins
    bar = step * 0.42
    bars = []
    for i in range(bins):
        for j, (cls, shares) in enumerate(sides):
            if not shares:
                continue
            height = (h - top - bottom) * shares[i] / peak
            x = left + i * step + step * 0.08 + j * bar
            bars.append(
                f'<rect class="{cls}" x="{_f(x)}" y="{_f(h - bottom - height)}" '
                f'width="{_f(bar)}" height="{_f(height)}"><title>'
                f"{'reference' if j == 0 else 'current'} {edges[i]:.4g} to {edges[i + 1]:.4g}: "
                f"{shares[i]:.1%}</title></rect>"
            )
    return (
        f'<svg viewBox="0 0 {w} {h}" class="slw-chart slw-dist" role="img" '
        f'aria-label="{escape(dist["column"])}: reference and current histograms">'
        f'<line class="slw-axis" x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}"/>'
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{peak:.0%}</text>'
        f'<text x="{left}" y="{h - bottom + 13}">{edges[0]:.4g}</text>'
        f'<text x="{w - right}" y="{h - bottom + 13}" text-anchor="end">{edges[-1]:.4g}</text>'
        + "".join(bars)
        + _legend(left, h - 4)
        + "</svg>"
    )


def _categorical_svg(dist: dict[str, Any]) -> str:
    labels = dist["labels"]
    sides = [("slw-ref", dist["reference"]), ("slw-cur", dist["current"])]
    row, label_w, w, top = 26, 130, DIST["w"], 6
    h = top + row * len(labels) + 22
    peak = max([v for _, s in sides if s for v in s] + [1e-9])
    span = w - label_w - 60
    parts = []
    for i, label in enumerate(labels):
        y = top + i * row
        short = label if len(label) <= 18 else label[:17] + "…"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(short)}'
            f"<title>{escape(label)}</title></text>"
        )
        for j, (cls, shares) in enumerate(sides):
            if not shares:
                continue
            width = span * shares[i] / peak
            yy = y + 2 + j * 11
            parts.append(
                f'<rect class="{cls}" x="{label_w}" y="{yy}" width="{_f(width)}" height="10"/>'
                f'<text x="{_f(label_w + width + 4)}" y="{yy + 9}">{shares[i]:.1%}</text>'
            )
    return (
        f'<svg viewBox="0 0 {w} {h}" class="slw-chart slw-dist" role="img" '
        f'aria-label="{escape(dist["column"])}: reference and current shares">'
        + "".join(parts)
        + _legend(label_w, h - 4)
        + "</svg>"
    )


def history_svg(points: list[list[Any]], limits: list[float] | None) -> str:
    """The score of each window as a line, with the possible-drift and drift thresholds."""
    w, h, left, right, top, bottom = (LINE[k] for k in ("w", "h", "left", "right", "top", "bottom"))
    scores = [p[1] for p in points if isinstance(p[1], float | int)]
    if not scores:
        return '<p class="slw-hint">no score in any window</p>'
    hi = max([*scores, *(limits or [])]) * 1.15 or 1.0
    n = len(points)

    def x(i: int) -> float:
        return left + (0.5 if n == 1 else i / (n - 1)) * (w - left - right)

    def y(v: float) -> float:
        return top + (1 - v / hi) * (h - top - bottom)

    parts = []
    for value, name in zip(limits or [], ("possible drift", "drift"), strict=False):
        cls = "slw-limit-drift" if name == "drift" else "slw-limit-possible"
        parts.append(
            f'<line class="slw-limit {cls}" x1="{left}" y1="{_f(y(value))}" '
            f'x2="{w - right}" y2="{_f(y(value))}"><title>{name} at {value:g}</title></line>'
        )
    line, segments = [], []
    for i, (_, score, _category) in enumerate(points):
        if isinstance(score, float | int):
            line.append(f"{_f(x(i))},{_f(y(score))}")
        elif line:
            segments.append(line)
            line = []
    if line:
        segments.append(line)
    parts += [f'<polyline class="slw-best" points="{" ".join(s)}"/>' for s in segments]
    for i, (label, score, category) in enumerate(points):
        if isinstance(score, float | int):
            cls = "slw-dot-" + category.replace(" ", "-")
            parts.append(
                f'<circle class="{cls}" cx="{_f(x(i))}" cy="{_f(y(score))}" r="3.5">'
                f"<title>{escape(label)}: {score:.4f} ({escape(category)})</title></circle>"
            )
    return (
        f'<svg viewBox="0 0 {w} {h}" class="slw-chart slw-history" role="img" '
        'aria-label="drift score over time">'
        f'<line class="slw-axis" x1="{left}" y1="{h - bottom}" x2="{w - right}" y2="{h - bottom}"/>'
        f'<line class="slw-axis" x1="{left}" y1="{top}" x2="{left}" y2="{h - bottom}"/>'
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{hi:.2g}</text>'
        f'<text x="{left - 4}" y="{h - bottom}" text-anchor="end">0</text>'
        f'<text x="{left}" y="{h - 10}">{escape(points[0][0])}</text>'
        + (
            f'<text x="{w - right}" y="{h - 10}" text-anchor="end">{escape(points[-1][0])}</text>'
            if n > 1
            else ""
        )
        + "".join(parts)
        + "</svg>"
    )


# --- the saved file ------------------------------------------------------------------------


def _badge(category: str) -> str:
    cls = "slw-badge-" + category.replace(" ", "-")
    return f'<span class="slw-badge {cls}">{escape(category)}</span>'


def _table_html(rows: list[dict[str, Any]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in HEADERS)
    body = []
    for row in rows:
        cells = _cells(row)
        body.append(
            "<tr>"
            f"<td>{escape(str(cells[0]))}</td><td>{escape(str(cells[1]))}</td>"
            f"<td>{escape(str(cells[2]))}</td>"
            f'<td class="slw-num">{escape(fmt(cells[3]))}</td>'
            f'<td class="slw-num">{escape(fmt(cells[4]))}</td>'
            f"<td>{_badge(row['category'])}</td>"
            f'<td class="slw-message">{escape(cells[6])}</td></tr>'
        )
    if not body:
        body.append(f'<tr><td colspan="{len(HEADERS)}">no columns</td></tr>')
    return (
        f'<table class="slw-table slw-drift-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


# The saved file's own layout: a page, not a notebook cell (widgets.css comes first).
EXPORT_CSS = """
.slw-export { max-width: 1100px; margin: 1.5em auto; padding: 0 1em; background: var(--slw-bg); }
.slw-export h1 { font-size: 1.5em; margin: 0 0 0.25em; }
.slw-export h2 { font-size: 1.2em; margin: 1.5em 0 0.5em; }
.slw-export h3 { font-size: 1em; margin: 1.25em 0 0.25em; }
.slw-export .slw-table td.slw-message { white-space: normal; max-width: 40em; }
.slw-export .slw-error { display: block; }
"""
