"""A model's score on labels posted later: predictions joined to labels by request id."""

from __future__ import annotations

import pytest

from scalelab.monitoring.scores import model_score

PREDICTIONS = {"a": [1], "b": [0], "c": [1, 1], "d": [0]}


def test_accuracy_over_the_labelled_rows_only() -> None:
    labels = {"a": 1, "b": 1, "c": [1, 0]}  # d has no label yet
    score = model_score(PREDICTIONS, labels, "accuracy")
    assert (score.labelled, score.predictions, score.mismatched) == (4, 5, 0)
    assert score.value == pytest.approx(2 / 4)


def test_classes_compare_as_values_whatever_their_json_type() -> None:
    score = model_score({"a": [1.0], "b": ["0"]}, {"a": 1, "b": 0}, "accuracy")
    assert score.value == 1.0


def test_labels_that_do_not_fit_are_counted_not_scored() -> None:
    labels = {"a": 1, "c": [1], "b": {"not": "a value"}}
    score = model_score(PREDICTIONS, labels, "accuracy")
    assert (score.labelled, score.mismatched, score.value) == (1, 2, 1.0)


def test_no_label_no_score() -> None:
    score = model_score(PREDICTIONS, {}, "f1")
    assert score.value is None and score.labelled == 0 and score.predictions == 5


def test_regression_metrics() -> None:
    predictions = {"a": [2.0], "b": [4.0]}
    assert model_score(predictions, {"a": 1, "b": 4}, "mae").value == pytest.approx(0.5)
    assert model_score(predictions, {"a": 1, "b": 4}, "rmse").value == pytest.approx(0.5**0.5)
    with pytest.raises(ValueError, match="needs numbers"):
        model_score(predictions, {"a": "cat", "b": 4}, "mae")


def test_f1_is_macro_averaged() -> None:
    predictions = {str(i): [p] for i, p in enumerate([1, 1, 0, 0])}
    labels = {str(i): t for i, t in enumerate([1, 0, 0, 0])}
    assert model_score(predictions, labels, "f1").value == pytest.approx((2 / 3 + 0.8) / 2)


def test_an_unknown_metric_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        model_score(PREDICTIONS, {}, "auc")  # type: ignore[arg-type]
