"""Metrics and params of a step in one request, where MLflow's fluent API makes two."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any


def log_batch(
    metrics: Mapping[str, float] | None = None,
    params: Mapping[str, Any] | None = None,
    step: int | None = None,
) -> None:
    """Log `metrics` (at `step`) and `params` to the active run with one `log_batch` call.

    Like `mlflow.log_metric`, starts a run when none is active.
    """
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    run = mlflow.active_run() or mlflow.start_run()
    now = int(time.time() * 1000)
    MlflowClient().log_batch(
        run.info.run_id,
        metrics=[Metric(k, float(v), now, step or 0) for k, v in (metrics or {}).items()],
        params=[Param(k, str(v)) for k, v in (params or {}).items()],
    )
