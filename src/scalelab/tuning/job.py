"""What a worker process is given: plain data, so any trial pool can ship it."""

from __future__ import annotations

from dataclasses import dataclass, field

from .storage import Heartbeat


@dataclass(frozen=True)
class TrialTracking:
    """The MLflow parent run of a study; each trial becomes a nested run under it."""

    tracking_uri: str
    experiment_id: str
    parent_run_id: str


@dataclass(frozen=True)
class WorkerJob:
    """One worker's brief: optimize `study_name` until it has `n_trials` finished trials.

    `payload` is (objective, sampler, pruner) pickled with cloudpickle, so objectives defined in
    a notebook's `__main__` reach the workers by value. `deadline` is a wall-clock time
    (time.time()) after which no new trial starts.
    """

    study_name: str
    storage_url: str
    n_trials: int
    payload: bytes = field(repr=False)
    heartbeat: Heartbeat
    deadline: float | None = None
    tracking: TrialTracking | None = None
