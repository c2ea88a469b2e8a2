"""A deployed model's score on the labels that came back: predictions (from the request log)
joined to ground truth (posted later) by request id.

Pure: the caller reads the predictions and the labels; this only joins and scores them. A
request's label is one value for a one-row request, or a list with one value per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Metric = Literal["accuracy", "f1", "mae", "rmse"]
METRICS: tuple[Metric, ...] = ("accuracy", "f1", "mae", "rmse")
# Higher is better for these; lower for the others.
HIGHER_IS_BETTER = frozenset({"accuracy", "f1"})


@dataclass(frozen=True)
class ModelScore:
    """`value` is None when no prediction had a label. `mismatched`: labelled requests whose
    label did not fit their predictions (another number of rows, or not a single value)."""

    metric: Metric
    value: float | None
    labelled: int  # rows scored
    predictions: int  # rows predicted
    mismatched: int = 0


def join(
    predictions: Mapping[str, Sequence[Any]], labels: Mapping[str, Any]
) -> tuple[list[Any], list[Any], int]:
    """(predicted, true) row by row for the labelled requests, and how many did not fit."""
    predicted: list[Any] = []
    true: list[Any] = []
    mismatched = 0
    for request_id, rows in predictions.items():
        if request_id not in labels:
            continue
        label = labels[request_id]
        wanted = label if isinstance(label, list) else [label]
        if len(wanted) != len(rows) or not all(_scalar(v) for v in [*rows, *wanted]):
            mismatched += 1
            continue
        predicted.extend(rows)
        true.extend(wanted)
    return predicted, true, mismatched


def model_score(
    predictions: Mapping[str, Sequence[Any]], labels: Mapping[str, Any], metric: Metric
) -> ModelScore:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}: use one of {', '.join(METRICS)}")
    predicted, true, mismatched = join(predictions, labels)
    rows = sum(len(r) for r in predictions.values())
    if not true:
        return ModelScore(metric, None, 0, rows, mismatched)
    return ModelScore(metric, _compute(metric, true, predicted), len(true), rows, mismatched)


def _compute(metric: Metric, true: list[Any], predicted: list[Any]) -> float:
    from sklearn import metrics

    if metric == "accuracy":
        return float(metrics.accuracy_score(_labels(true), _labels(predicted)))
    if metric == "f1":
        return float(
            metrics.f1_score(_labels(true), _labels(predicted), average="macro", zero_division=0)
        )
    try:
        y, p = [float(v) for v in true], [float(v) for v in predicted]
    except (TypeError, ValueError):
        raise ValueError(f"{metric} needs numbers as labels and predictions") from None
    if metric == "mae":
        return float(metrics.mean_absolute_error(y, p))
    return float(metrics.root_mean_squared_error(y, p))


def _labels(values: list[Any]) -> list[str]:
    """Classes compared as text: a label posted as 1 matches a prediction of 1.0 or "1"."""
    return [_text(v) for v in values]


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None
