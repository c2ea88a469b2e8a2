"""Keep parallel workers to exactly n_trials finished trials.

MaxTrialsCallback stops a worker only after a trial ends, so workers that start trials at the
same moment near the end would overshoot. Two guards, both reading the shared storage:

- before a worker starts a trial it waits while the finished and running trials already fill
  n_trials (a running trial may still fail, or belong to a dead worker, and free its slot);
  once the finished ones fill it, the worker stops;
- a trial that started anyway in a race counts its place by trial number: only the first
  n_trials that did not fail may run. A later one waits; if the study fills up it ends FAIL,
  tagged `scalelab.not_needed`, before the objective ever ran.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import optuna
import sqlalchemy
from optuna.trial import FrozenTrial, Trial, TrialState

from .storage import fail_stale_trials

COUNTED = (TrialState.COMPLETE, TrialState.PRUNED)
NOT_NEEDED = "scalelab.not_needed"

# Two counts in one row, read from Optuna's `trials` table: get_trials() would load every
# trial with its parameters and values, twice per trial, and cost more than the trial itself.
_COUNT = sqlalchemy.text(
    "SELECT"
    " COALESCE(SUM(CASE WHEN state IN ('COMPLETE', 'PRUNED') THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN number < :before THEN 1 ELSE 0 END), 0)"
    " FROM trials WHERE study_id = :study AND state IN ('RUNNING', 'COMPLETE', 'PRUNED')"
)
_ALL = 2**62  # a trial number above any


class NotNeeded(Exception):  # not an Error: the study filled up meanwhile
    """Raised in place of the objective when the study already has its trials."""


class TrialSlots:
    def __init__(
        self,
        study: optuna.Study,
        storage: optuna.storages.RDBStorage,
        n_trials: int,
        deadline: float | None,
        poll: float = 0.1,
    ) -> None:
        self.study = study
        self.storage = storage
        self.n_trials = n_trials
        self.deadline = deadline
        self.poll = poll
        self._study_id = storage.get_study_id_from_name(study.study_name)
        self._stale_checked = -math.inf

    def remaining_time(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.time())

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.time() >= self.deadline

    def _fail_stale(self) -> None:
        """A dead worker's trial frees its slot here. Once per heartbeat interval: a trial
        turns stale only after a grace period of several intervals."""
        interval = self.storage.heartbeat_interval
        if interval is None or time.monotonic() - self._stale_checked < interval:
            return
        self._stale_checked = time.monotonic()
        fail_stale_trials(self.study, self.storage)

    def _count(self, before: int = _ALL) -> tuple[int, int]:
        """(finished trials, finished and running trials numbered below `before`)."""
        self._fail_stale()
        with self.storage.engine.connect() as connection:
            row = connection.execute(_COUNT, {"study": self._study_id, "before": before}).one()
        return int(row[0]), int(row[1])

    def wait_for_free_slot(self) -> bool:
        """True once a new trial may start; False when the study is full or time is up."""
        while True:
            finished, live = self._count()
            if finished >= self.n_trials or self._past_deadline():
                return False
            if live < self.n_trials:
                return True
            time.sleep(self.poll)

    def after_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        """study.optimize callback: hold the next trial back until it has a slot, and stop
        the worker once the study is full."""
        if not self.wait_for_free_slot():
            study.stop()

    def gate(self, objective: Callable[[Trial], Any]) -> Callable[[Trial], Any]:
        """`objective`, run only if this trial is one of the first n_trials that may count."""

        def gated(trial: Trial) -> Any:
            while True:
                finished, ahead = self._count(before=trial.number)
                if finished >= self.n_trials:
                    trial.set_user_attr(NOT_NEEDED, True)
                    raise NotNeeded(f"study already has {self.n_trials} finished trials")
                if ahead < self.n_trials:
                    return objective(trial)
                if self._past_deadline():
                    trial.set_user_attr(NOT_NEEDED, True)
                    raise NotNeeded("timeout reached before this trial could start")
                time.sleep(self.poll)

        return gated
