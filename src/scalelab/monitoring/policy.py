"""The rules of monitors, pure: when a check is a breach, and when a retrained model may take
over from the live one. The service applies them (`scalelab.service.monitor_checks` and
`scalelab.service.retrain`); nothing here reads a clock, a file or a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .scores import HIGHER_IS_BETTER, Metric

CheckStatus = Literal["ok", "breach", "too few rows", "error"]

# The retrain loop of one breach, in order. `alerted` ends a breach of a monitor without a
# retrain; promoted, kept and failed end the loop; so does `retrained` for a data set's
# monitor, whose loop is the retrain run alone (no endpoint to stage a model on). The
# decision is recorded (promoting, keeping) before it is carried out, so a restart in between
# carries out the same one.
LoopState = Literal[
    "alerted",
    "retraining",
    "registering",
    "staging",
    "evaluating",
    "promoting",
    "keeping",
    "promoted",
    "kept",
    "retrained",
    "failed",
]
LOOP_ORDER: tuple[LoopState, ...] = (
    "retraining",
    "registering",
    "staging",
    "evaluating",
    "promoting",
    "keeping",
)
FINAL: frozenset[str] = frozenset({"alerted", "promoted", "kept", "retrained", "failed"})


@dataclass(frozen=True)
class BreachRule:
    """A monitor's limits: `drifted_columns` columns in drift make a breach; so does a score
    past `score_limit` (below it for accuracy and f1, above for mae and rmse). Under
    `min_rows` rows in the window nothing is judged."""

    drifted_columns: int = 1
    min_rows: int = 100
    metric: Metric | None = None
    score_limit: float | None = None


@dataclass(frozen=True)
class Verdict:
    status: CheckStatus
    reasons: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return "; ".join(self.reasons)


def judge(rule: BreachRule, rows: int, drifted: list[str], score: float | None) -> Verdict:
    """The verdict of one check: the window's row count, the columns in drift, the score."""
    if rows < rule.min_rows:
        return Verdict(
            "too few rows", (f"{rows} row(s) in the window, fewer than {rule.min_rows}",)
        )
    reasons: list[str] = []
    if len(drifted) >= rule.drifted_columns:
        shown = ", ".join(drifted[:5]) + (
            f" and {len(drifted) - 5} more" if len(drifted) > 5 else ""
        )
        reasons.append(f"{len(drifted)} column(s) drifted: {shown}")
    limit = rule.score_limit
    if rule.metric and limit is not None and score is not None and worse(rule.metric, score, limit):
        side = "below" if rule.metric in HIGHER_IS_BETTER else "above"
        reasons.append(f"{rule.metric} {score:.4g} is {side} the limit {limit:g}")
    if not reasons:
        found = f"{len(drifted)} drifted column(s), fewer than {rule.drifted_columns}"
        return Verdict("ok", (found,))
    return Verdict("breach", tuple(reasons))


def worse(metric: Metric, value: float, limit: float) -> bool:
    return value < limit if metric in HIGHER_IS_BETTER else value > limit


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str


def decide_promotion(
    metric: Metric,
    live: float | None,
    candidate: float | None,
    *,
    margin: float,
    labelled: int,
    min_labelled: int,
) -> Decision:
    """Whether the retrained model takes over: only if its score on the same fresh labelled
    requests beats the live model's by `margin` (added for accuracy and f1, taken off for
    errors). Without enough labels, or scores, the live model stays."""
    if labelled < min_labelled or live is None or candidate is None:
        return Decision(
            False,
            f"{labelled} labelled row(s) to compare on, fewer than {min_labelled}: "
            "the live model stays",
        )
    higher = metric in HIGHER_IS_BETTER
    gain = candidate - live if higher else live - candidate
    figures = f"{metric} {candidate:.4g} against {live:.4g} live on {labelled} labelled row(s)"
    if gain >= margin:
        return Decision(True, f"{figures}: better by {gain:.4g}, margin {margin:g}")
    return Decision(False, f"{figures}: not better by the margin {margin:g}; the live model stays")
