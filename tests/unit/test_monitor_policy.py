"""The rules of monitors: when a check is a breach, and when a retrained model takes over."""

from __future__ import annotations

import pytest

from scalelab.monitoring.policy import BreachRule, decide_promotion, judge


@pytest.mark.parametrize(
    ("rule", "rows", "drifted", "score", "status", "says"),
    [
        (BreachRule(), 99, ["x", "y"], 0.1, "too few rows", "99 row(s)"),
        (BreachRule(), 100, [], None, "ok", "0 drifted column(s)"),
        (BreachRule(), 100, ["x"], None, "breach", "1 column(s) drifted: x"),
        (BreachRule(drifted_columns=3), 500, ["x", "y"], None, "ok", "fewer than 3"),
        (
            BreachRule(drifted_columns=1),
            500,
            [f"c{i}" for i in range(8)],
            None,
            "breach",
            "c0, c1, c2, c3, c4 and 3 more",
        ),
        (BreachRule(metric="accuracy", score_limit=0.9), 500, [], 0.85, "breach", "below"),
        (BreachRule(metric="accuracy", score_limit=0.9), 500, [], 0.95, "ok", ""),
        (BreachRule(metric="rmse", score_limit=2.0), 500, [], 2.5, "breach", "above the limit 2"),
        (BreachRule(metric="rmse", score_limit=2.0), 500, [], None, "ok", ""),  # no labels yet
    ],
)
def test_judge(
    rule: BreachRule, rows: int, drifted: list[str], score: float | None, status: str, says: str
) -> None:
    verdict = judge(rule, rows, drifted, score)
    assert verdict.status == status and says in verdict.message


@pytest.mark.parametrize(
    ("metric", "live", "candidate", "labelled", "promote", "says"),
    [
        ("accuracy", 0.5, 0.9, 100, True, "better by 0.4"),
        ("accuracy", 0.80, 0.82, 100, False, "not better by the margin 0.05"),
        ("accuracy", 0.9, 0.5, 100, False, "the live model stays"),
        ("accuracy", 0.5, 0.9, 10, False, "10 labelled row(s)"),
        ("rmse", 3.0, 1.0, 100, True, "better by 2"),
        ("rmse", 1.0, 3.0, 100, False, "not better"),
        ("f1", None, 0.9, 100, False, "fewer than 20"),
    ],
)
def test_decide_promotion(
    metric: str,
    live: float | None,
    candidate: float | None,
    labelled: int,
    promote: bool,
    says: str,
) -> None:
    decision = decide_promotion(
        metric,  # type: ignore[arg-type]
        live,
        candidate,
        margin=0.05,
        labelled=labelled,
        min_labelled=20,
    )
    assert decision.promote is promote and says in decision.reason
