"""The body of one trial worker: runs in its own process, whichever pool started it."""

from __future__ import annotations

from collections.abc import Callable

import cloudpickle
import optuna

from .job import WorkerJob
from .slots import NotNeeded, TrialSlots
from .storage import open_storage


def run_worker(job: WorkerJob) -> list[str]:
    """Optimize the study until it has `job.n_trials` finished trials (or the deadline passes).

    Returns warnings for the user (tracking errors). An exception from the objective ends this
    worker and is raised here: the pool reports it to the main process.
    """
    # The main process prints progress; per-trial INFO lines from every worker would be noise.
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    objective, sampler, pruner = cloudpickle.loads(job.payload)
    storage = open_storage(job.storage_url, job.heartbeat)
    study = optuna.load_study(
        study_name=job.study_name, storage=storage, sampler=sampler, pruner=pruner
    )
    # Every worker holds a copy of one sampler: a seeded one would draw the same parameters
    # in each of them.
    study.sampler.reseed_rng()
    slots = TrialSlots(study, storage, job.n_trials, job.deadline)
    callbacks: list[Callable[[optuna.Study, optuna.trial.FrozenTrial], None]] = []
    logger = None
    if job.tracking is not None:
        from .tracking import TrialRunLogger

        logger = TrialRunLogger(job.tracking)
        callbacks.append(logger)
    callbacks.append(slots.after_trial)
    gated = slots.gate(objective)
    while slots.wait_for_free_slot():
        try:
            study.optimize(gated, callbacks=callbacks, timeout=slots.remaining_time())
        except NotNeeded:
            continue
        except optuna.exceptions.UpdateFinishedTrialError:
            # This trial was taken for dead (no heartbeat within the grace period) and failed
            # by another worker, which queued a retry: our late result does not count.
            continue
    return [logger.error] if logger is not None and logger.error else []
