"""MLflow for a study: one parent run per study, one nested run per finished trial.

Only when $MLFLOW_TRACKING_URI is set (ScaleLab sets it in project kernels). Tracking records the
tuning and is no part of it: when the tracking server fails, the study goes on and the user is
warned once.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import optuna
from optuna.trial import FrozenTrial

from .job import TrialTracking
from .slots import COUNTED

STUDY_TAG = "scalelab.study"
VALUE_METRIC = "value"


def tracking_uri() -> str | None:
    return os.environ.get("MLFLOW_TRACKING_URI", "").strip() or None


def open_study_run(study_name: str) -> TrialTracking:
    """The study's parent run in the active experiment: the one tagged with its name (so a
    resumed study goes on under the same run), created if there is none."""
    from mlflow import MlflowClient
    from mlflow.tracking.fluent import _get_experiment_id

    uri = tracking_uri()
    assert uri is not None
    client = MlflowClient(tracking_uri=uri)
    # The experiment mlflow.start_run() would use: mlflow.set_experiment() in this kernel,
    # else $MLFLOW_EXPERIMENT_NAME / _ID, else Default. MLflow has no public call for it.
    experiment_id = _get_experiment_id() or "0"
    found = client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{STUDY_TAG}` = {_quoted(study_name)}",
        max_results=1,
        order_by=["attributes.start_time ASC"],
    )
    if found:
        run_id = found[0].info.run_id
        client.update_run(run_id, status="RUNNING")
    else:
        run_id = client.create_run(
            experiment_id, tags={STUDY_TAG: study_name}, run_name=study_name
        ).info.run_id
    return TrialTracking(uri, experiment_id, run_id)


def close_study_run(tracking: TrialTracking, study: optuna.Study, status: str) -> None:
    """Best value so far on the parent run, and its end."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, RunTag

    client = MlflowClient(tracking_uri=tracking.tracking_uri)
    finished = study.get_trials(deepcopy=False, states=COUNTED)
    completed = [t for t in finished if t.state == optuna.trial.TrialState.COMPLETE]
    if completed:
        best = study.best_trial
        assert best.value is not None
        client.log_batch(
            tracking.parent_run_id,
            metrics=[
                Metric(f"best_{VALUE_METRIC}", best.value, _ms(datetime.now()), len(finished))
            ],
            tags=[RunTag("optuna.best_trial_number", str(best.number))],
        )
    client.set_terminated(tracking.parent_run_id, status)


class TrialRunLogger:
    """study.optimize callback in a worker: each finished trial as one nested run.

    Keeps the first error instead of raising it; `run_worker` hands it to the main process.
    """

    def __init__(self, tracking: TrialTracking) -> None:
        self.tracking = tracking
        self.error: str | None = None
        self._client: Any = None

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        if trial.state not in COUNTED:
            return
        try:
            self._log(trial)
        except Exception as exc:
            if self.error is None:
                self.error = f"MLflow: trial {trial.number} not logged: {exc}"

    def _log(self, trial: FrozenTrial) -> None:
        from mlflow import MlflowClient
        from mlflow.entities import Metric, Param, RunTag

        if self._client is None:
            self._client = MlflowClient(tracking_uri=self.tracking.tracking_uri)
        end = _ms(trial.datetime_complete or datetime.now())
        run = self._client.create_run(
            self.tracking.experiment_id,
            start_time=_ms(trial.datetime_start) if trial.datetime_start else None,
            run_name=f"trial-{trial.number}",
        )
        metrics = [] if trial.value is None else [Metric(VALUE_METRIC, trial.value, end, 0)]
        self._client.log_batch(
            run.info.run_id,
            metrics=metrics,
            params=[Param(name, str(value)) for name, value in trial.params.items()],
            tags=[
                RunTag("mlflow.parentRunId", self.tracking.parent_run_id),
                RunTag("optuna.trial_number", str(trial.number)),
                RunTag("optuna.state", trial.state.name),
            ],
        )
        self._client.set_terminated(run.info.run_id, "FINISHED", end_time=end)


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _quoted(value: str) -> str:
    # MLflow's filter grammar has no escapes: pick the quote the name does not contain.
    return f'"{value}"' if "'" in value else f"'{value}'"
