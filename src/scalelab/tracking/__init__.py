"""What MLflow lacks for ScaleLab projects; everything else is plain `mlflow`.

A kernel started in a project already has MLflow's own variables set (tracking URI, token,
experiment), so `mlflow.start_run()` logs to the project with no code. These helpers cover
the rest: the project's experiment, registering the best run, links for people, and logging
metrics and params together. mlflow is imported inside each function: it takes seconds, and
`import scalelab.tracking` should not.
"""

from __future__ import annotations

from .batch import log_batch
from .links import links
from .project import TrackingError, current_project, project_experiment
from .registry import register_best, register_run

__all__ = [
    "TrackingError",
    "current_project",
    "links",
    "log_batch",
    "project_experiment",
    "register_best",
    "register_run",
]
