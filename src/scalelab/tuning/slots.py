"""Keep parallel workers to exactly n_trials finished trials.

MaxTrialsCallback stops a worker only after a trial ends, so workers that start trials at the
same moment near the end would overshoot. Two guards, both reading the shared storage:

- before a worker starts a trial it waits while the finished and running trials already fill
  n_trials (a running trial may still fail, or belong to a dead worker, and free its slot);
- a trial that started anyway in a race counts its place by trial number: only the first
  n_trials that did not fail may run. A later one waits; if the study fills up it ends FAIL,
  tagged `scalelab.not_needed`, before the objective ever ran.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import optuna
from optuna.trial import FrozenTrial, Trial, TrialState

from .storage import fail_stale_trials

COUNTED = (TrialState.COMPLETE, TrialState.PRUNED)
NOT_NEEDED = "scalelab.not_needed"


class NotNeeded(Exception):  # not an Error: the study filled up meanwhile
    """Raised in place of the objective when the study already has its trials."""


class TrialSlots:
    def __init__(
        self,
        study: optuna.Study,
        storage: optuna.storages.RDBStorage,
        n_trials: int,
        deadline: float | None,
        poll: float = 0.5,
    ) -> None:
        self.study = study
        self.storage = storage
        self.n_trials = n_trials
        self.deadline = deadline
        self.poll = poll

    def remaining_time(self) -> float | None:
        return None if self.deadline is None else max(0.0, self.deadline - time.time())

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.time() >= self.deadline

    def _live_trials(self) -> list[FrozenTrial]:
        fail_stale_trials(self.study, self.storage)  # a dead worker's trial frees its slot here
        return self.study.get_trials(deepcopy=False, states=(*COUNTED, TrialState.RUNNING))

    def wait_for_free_slot(self) -> bool:
        """True once a new trial may start; False when the study is full or time is up."""
        while True:
            live = self._live_trials()
            finished = sum(t.state in COUNTED for t in live)
            if finished >= self.n_trials or self._past_deadline():
                return False
            if len(live) < self.n_trials:
                return True
            time.sleep(self.poll)

    def after_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        """study.optimize callback: hold the next trial back until it has a slot."""
        self.wait_for_free_slot()

    def gate(self, objective: Callable[[Trial], Any]) -> Callable[[Trial], Any]:
        """`objective`, run only if this trial is one of the first n_trials that may count."""

        def gated(trial: Trial) -> Any:
            while True:
                live = self._live_trials()
                if sum(t.state in COUNTED for t in live) >= self.n_trials:
                    trial.set_user_attr(NOT_NEEDED, True)
                    raise NotNeeded(f"study already has {self.n_trials} finished trials")
                ahead = sum(t.number < trial.number for t in live)
                if ahead < self.n_trials:
                    return objective(trial)
                if self._past_deadline():
                    trial.set_user_attr(NOT_NEEDED, True)
                    raise NotNeeded("timeout reached before this trial could start")
                time.sleep(self.poll)

        return gated
