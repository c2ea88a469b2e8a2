"""Ground truth for a deployed model's predictions, posted when it is known."""

from __future__ import annotations

from typing import Any


def log_labels(endpoint: str, labels: Any, project: str | None = None) -> int:
    """Post the true values of an endpoint's predictions, by the request id each prediction
    was answered with (`X-Request-Id`): a dict or a pandas Series indexed by request id. The
    endpoint's monitor scores the model on them. Returns how many were stored."""
    from ..serving.client import Endpoints

    return Endpoints(project).log_labels(endpoint, labels)
