"""The static HTML table a widget leaves in exported notebooks (no widget state, no JS)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

# The table is stored in the notebook with every display: keep the file small.
MAX_ROWS = 100


def fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def html_table(
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    note: str = "",
) -> str:
    """`rows` in display order; only the first MAX_ROWS are kept, and the caption says so."""
    shown = rows[:MAX_ROWS]
    caption = title
    if len(rows) > len(shown):
        caption += f" ({len(shown)} of {len(rows)} shown)"
    if note:
        caption += f" — {note}"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(fmt(cell))}</td>" for cell in row) + "</tr>" for row in shown
    )
    if not shown:
        body = f'<tr><td colspan="{len(headers)}">nothing yet</td></tr>'
    return (
        f'<table class="scalelab-static"><caption style="text-align:left">{escape(caption)}'
        f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
