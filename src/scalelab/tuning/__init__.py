"""Hyperparameter tuning on Optuna, trials in parallel worker processes: `scalelab.tune`."""

from .pools import TrialPool, WorkerOutcome, pool_names
from .storage import default_storage_url, project_workspace
from .supervise import TuningFailed
from .tune import tune

__all__ = [
    "TrialPool",
    "TuningFailed",
    "WorkerOutcome",
    "default_storage_url",
    "pool_names",
    "project_workspace",
    "tune",
]
