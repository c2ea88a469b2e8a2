"""The main process's part: keep the workers going, show progress, notice dead workers."""

from __future__ import annotations

import time
from datetime import datetime

import optuna
from optuna.trial import TrialState

from .job import WorkerJob
from .pools import TrialPool, WorkerHandle
from .slots import COUNTED, NOT_NEEDED

POLL_SECONDS = 0.05  # how soon an ended worker is noticed: the study's end waits on it
PROGRESS_SECONDS = 0.5  # how often the storage is read for trials to report
SHOWN = (*COUNTED, TrialState.FAIL)


class TuningFailed(RuntimeError):
    """The objective raised in a worker; the worker's traceback is in the exception's notes."""


class Progress:
    """Prints one line per trial that ends while tune() watches, none for earlier ones."""

    def __init__(self, study: optuna.Study, n_trials: int) -> None:
        self.study = study
        self.n_trials = n_trials
        trials = study.get_trials(deepcopy=False, states=SHOWN)
        self._seen = {t.number for t in trials}
        self.counted = sum(t.state in COUNTED for t in trials)

    def say(self, text: str) -> None:
        print(f"[{self.study.study_name}] {text}", flush=True)

    def update(self) -> None:
        trials = self.study.get_trials(deepcopy=False, states=SHOWN)
        new = [t for t in trials if t.number not in self._seen]
        for trial in sorted(new, key=lambda t: (t.datetime_complete or datetime.max, t.number)):
            self._seen.add(trial.number)
            if trial.state in COUNTED:
                self.counted += 1
            if trial.user_attrs.get(NOT_NEEDED):  # never ran: nothing to tell
                continue
            value = "" if trial.value is None else f" value={trial.value:.6g}"
            state = {TrialState.FAIL: "failed"}.get(trial.state, trial.state.name.lower())
            self.say(f"trial {trial.number} {state}{value} ({self.counted}/{self.n_trials} done)")


def supervise(pool: TrialPool, job: WorkerJob, n_workers: int, progress: Progress) -> list[str]:
    """Run `n_workers` workers of `job` until all have ended; returns their notes.

    A worker that dies is replaced while the study has trials to run: its trial is retried
    after the heartbeat's grace period. An objective that raises ends all workers and raises
    TuningFailed here.
    """
    handles: list[WorkerHandle] = [pool.start(job) for _ in range(n_workers)]
    replacements = job.n_trials  # a worker that dies on every trial must not loop forever
    notes: list[str] = []
    reported = time.monotonic()
    try:
        while handles:
            time.sleep(POLL_SECONDS)
            if time.monotonic() - reported >= PROGRESS_SECONDS:
                progress.update()
                reported = time.monotonic()
            for handle in list(handles):
                outcome = handle.outcome()
                if outcome is None:
                    continue
                handles.remove(handle)
                notes += outcome.notes
                if outcome.kind == "failed":
                    failed = TuningFailed(f"the objective raised in a worker: {outcome.error}")
                    failed.add_note(outcome.details)
                    raise failed
                if outcome.kind == "died":
                    text = f"a worker died ({outcome.error})"
                    if replacements and progress.counted < job.n_trials and not _late(job):
                        replacements -= 1
                        handles.append(pool.start(job))
                        text += "; started another"
                    progress.say(text)
        progress.update()
    finally:
        for handle in handles:
            handle.stop()
    return notes


def _late(job: WorkerJob) -> bool:
    return job.deadline is not None and time.time() >= job.deadline
