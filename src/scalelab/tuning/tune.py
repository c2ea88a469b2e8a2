"""scalelab.tune(): an Optuna study, its trials run in parallel worker processes."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import cloudpickle
import optuna

from . import checks
from .job import TrialTracking, WorkerJob
from .pools import DEFAULT_POOL, TrialPool, open_pool
from .storage import Heartbeat, default_storage_url, open_storage
from .supervise import Progress, supervise
from .tracking import close_study_run, open_study_run, tracking_uri


def tune(
    objective: Callable[[optuna.Trial], float],
    n_trials: int = 20,
    n_workers: int = 2,
    study_name: str | None = None,
    direction: str = "minimize",
    storage: str | optuna.storages.RDBStorage | None = None,
    sampler: optuna.samplers.BaseSampler | None = None,
    pruner: optuna.pruners.BasePruner | None = None,
    executor: str | TrialPool | None = None,
    timeout: float | None = None,
    *,
    heartbeat_interval: int = 5,
    grace_period: int = 20,
) -> optuna.Study:
    """Optimize `objective` until the study has `n_trials` finished trials, and return it.

    Finished means COMPLETE or PRUNED, counted over the study's whole life: calling again with
    the same `study_name` resumes it (trials of workers that died are marked FAIL and retried),
    and does nothing if it is already full. Trials run `n_workers` at a time in worker
    processes of the trial pool `executor` (`local`, `dask`, `dask://host:port`, or a pool
    instance), all sharing the RDB `storage` (default: the project's, see
    `storage.default_storage_url`). No new trial starts after `timeout` seconds.

    A worker that shows no heartbeat for `grace_period` seconds (sent every
    `heartbeat_interval`) is taken for dead. With $MLFLOW_TRACKING_URI set, the study is one
    MLflow run and each finished trial a run nested in it.
    """
    checks.check_objective(objective)
    checks.check_count("n_trials", n_trials)
    checks.check_count("n_workers", n_workers)
    checks.check_count("heartbeat_interval", heartbeat_interval)
    checks.check_count("grace_period", grace_period)
    direction = checks.check_direction(direction)
    limit = checks.check_timeout(timeout)
    name = checks.study_name_for(study_name, objective)
    url = checks.storage_url_of(storage) or default_storage_url()
    try:
        payload = cloudpickle.dumps((objective, sampler, pruner))
    except Exception as exc:
        raise TypeError(f"objective cannot be sent to worker processes: {exc}") from exc

    pool, own_pool = _pool_for(executor)
    try:
        heartbeat = Heartbeat(heartbeat_interval, grace_period)
        study = _open_study(name, url, heartbeat, direction, sampler, pruner)
        progress = Progress(study, n_trials)
        to_run = n_trials - progress.counted
        if to_run <= 0:
            progress.say(f"already has {progress.counted} finished trials")
            return study
        tracking = _open_tracking(name)
        job = WorkerJob(
            study_name=name,
            storage_url=url,
            n_trials=n_trials,
            payload=payload,
            heartbeat=heartbeat,
            deadline=None if limit is None else time.time() + limit,
            tracking=tracking,
        )
        workers = min(n_workers, to_run)
        progress.say(
            f"{progress.counted}/{n_trials} trials done; running {to_run} more "
            f"on {workers} {pool.name} worker{'s' if workers > 1 else ''}"
        )
        status = "FAILED"
        try:
            notes = supervise(pool, job, workers, progress)
            status = "FINISHED"
        finally:
            if tracking is not None:
                _close_tracking(tracking, study, status)
        if notes:  # one warning, however many workers hit the same trouble
            more = f" (and {len(notes) - 1} more)" if len(notes) > 1 else ""
            warnings.warn(notes[0] + more, RuntimeWarning, stacklevel=2)
        if progress.counted < n_trials and limit is None:
            raise RuntimeError(
                f"study {name!r} has {progress.counted} of {n_trials} finished trials: "
                "its workers kept dying"
            )
        return study
    finally:
        if own_pool:
            pool.close()


def _pool_for(executor: str | TrialPool | None) -> tuple[TrialPool, bool]:
    """The pool, and whether tune() opened it (and so closes it)."""
    if isinstance(executor, TrialPool):
        return executor, False
    if executor is None or isinstance(executor, str):
        return open_pool(executor or DEFAULT_POOL), True
    raise TypeError(f"executor must be a pool name or a TrialPool, got {type(executor).__name__}")


def _open_study(
    name: str,
    url: str,
    heartbeat: Heartbeat,
    direction: str,
    sampler: optuna.samplers.BaseSampler | None,
    pruner: optuna.pruners.BasePruner | None,
) -> optuna.Study:
    study = optuna.create_study(
        storage=open_storage(url, heartbeat),
        study_name=name,
        direction=direction,
        sampler=sampler,
        pruner=pruner,
        load_if_exists=True,
    )
    wanted = [optuna.study.StudyDirection[direction.upper()]]
    if study.directions != wanted:  # Optuna loads an existing study whatever was asked
        existing = ", ".join(d.name.lower() for d in study.directions)
        raise ValueError(f"study {name!r} exists with direction {existing}, not {direction}")
    return study


def _open_tracking(study_name: str) -> TrialTracking | None:
    if tracking_uri() is None:
        return None
    try:
        return open_study_run(study_name)
    except Exception as exc:
        warnings.warn(f"MLflow: study not tracked: {exc}", RuntimeWarning, stacklevel=3)
        return None


def _close_tracking(tracking: TrialTracking, study: optuna.Study, status: str) -> None:
    try:
        close_study_run(tracking, study, status)
    except Exception as exc:
        warnings.warn(f"MLflow: study run not closed: {exc}", RuntimeWarning, stacklevel=3)
