"""A tuned study in MLflow: one parent run per study, one nested run per finished trial."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from mlflow import MlflowClient
from optuna.trial import TrialState

import scalelab
from scalelab.tuning.job import TrialTracking
from scalelab.tuning.tracking import TrialRunLogger
from tests.tuning.objectives import FAST, cpu_bound

X = {"x": optuna.distributions.FloatDistribution(0.0, 2.0)}


@pytest.fixture
def tracking_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.chdir(tmp_path)  # MLflow's default artifact folder is relative to the cwd
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    for name in ("MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    return uri


def test_each_trial_is_a_nested_run_and_a_resume_keeps_the_parent(
    tmp_path: Path, tracking_uri: str
) -> None:
    options = dict(study_name="tracked", storage=f"sqlite:///{tmp_path / 'optuna.sqlite3'}")
    scalelab.tune(cpu_bound, n_trials=3, **options, **FAST)
    study = scalelab.tune(cpu_bound, n_trials=5, **options, **FAST)

    client = MlflowClient(tracking_uri=tracking_uri)
    parents = client.search_runs(["0"], filter_string="tags.`scalelab.study` = 'tracked'")
    assert len(parents) == 1
    parent = parents[0]
    assert parent.info.status == "FINISHED"
    children = client.search_runs(
        ["0"], filter_string=f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'"
    )
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(complete) == 5
    by_number = {int(run.data.tags["optuna.trial_number"]): run for run in children}
    assert sorted(by_number) == sorted(t.number for t in complete)  # one each, none twice
    for trial in complete:
        run = by_number[trial.number]
        assert run.data.tags["optuna.state"] == "COMPLETE"
        assert run.data.params == {"x": str(trial.params["x"])}
        assert run.data.metrics["value"] == pytest.approx(trial.value)
    assert parent.data.metrics["best_value"] == pytest.approx(study.best_value)


def test_without_a_tracking_uri_nothing_is_tracked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    scalelab.tune(cpu_bound, n_trials=2, study_name="plain", storage="sqlite:///plain.sqlite3")
    # The study's storage (with its write-ahead log while open), and nothing of MLflow.
    assert {p.name for p in tmp_path.iterdir()} <= {
        "plain.sqlite3",
        "plain.sqlite3-wal",
        "plain.sqlite3-shm",
    }


def test_a_tracking_server_that_fails_costs_a_warning_not_the_study(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with pytest.warns(RuntimeWarning, match="MLflow: study not tracked"):
        study = scalelab.tune(cpu_bound, n_trials=2, storage="sqlite:///o.sqlite3", **FAST)
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 2


def test_a_trial_run_that_cannot_be_logged_is_noted_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    logger = TrialRunLogger(TrialTracking("http://127.0.0.1:9", "0", "no-such-run"))
    for number in range(2):
        trial = optuna.trial.create_trial(params={"x": 1.0}, distributions=X, value=1.0)
        trial.number = number
        logger(optuna.create_study(), trial)  # raises nothing
    assert logger.error is not None and logger.error.startswith("MLflow: trial 0 not logged")
