"""Reference profiles as artifacts of MLflow runs, against a real store (SQLite, artifacts under
tmp_path): logged in a run, found again from a registered model version, and clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402

from scalelab.monitoring import (  # noqa: E402
    MissingReference,
    drift_report,
    load_reference,
    log_reference,
    profile,
)
from scalelab.monitoring.reference import artifact_path, references  # noqa: E402

TRAINING = pd.DataFrame({"x": [0.5, 1.5, 2.5, 3.5], "colour": ["red", "red", "blue", "green"]})


@pytest.fixture
def experiment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An experiment of a tracking store in tmp_path, its artifacts there too. Set by the
    environment alone, so the test changes no process-wide MLflow setting to restore."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    for name in ("MLFLOW_RUN_ID", "SCALELAB_PROJECT", "SCALELAB_RUN_ID", "SCALELAB_KERNEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert mlflow.get_tracking_uri() == uri  # nothing set another store for the process
    artifacts = (tmp_path / "artifacts").as_uri()
    yield MlflowClient().create_experiment("monitoring", artifact_location=artifacts)
    while mlflow.active_run():
        mlflow.end_run()


def test_a_model_version_carries_its_training_profile(experiment: str) -> None:
    with mlflow.start_run(experiment_id=experiment) as run:
        uri = log_reference(TRAINING)
    run_id = run.info.run_id
    assert uri == f"runs:/{run_id}/monitoring/training.whylogs"
    files = [f.path for f in MlflowClient().list_artifacts(run_id, "monitoring")]
    assert files == ["monitoring/training.whylogs"]

    client = MlflowClient()
    client.create_registered_model("demo")
    version = client.create_model_version("demo", f"runs:/{run_id}/model", run_id=run_id)
    reference = load_reference(client.get_model_version("demo", version.version).run_id)
    assert (reference.rows, reference.column_names) == (4, ("colour", "x"))
    assert reference.columns["colour"].frequent is not None
    assert reference.columns["colour"].frequent.counts() == {"red": 2, "blue": 1, "green": 1}
    assert all(d.category == "no drift" for d in drift_report(reference, profile(TRAINING)))


def test_references_by_name_and_for_finished_runs(experiment: str) -> None:
    with mlflow.start_run(experiment_id=experiment) as run:
        log_reference(TRAINING, "training")
    # A pipeline's output data set, profiled already, attached to the run that made it.
    log_reference(profile(TRAINING.head(1)), "predictions", run_id=run.info.run_id)
    assert references(run.info.run_id) == ["predictions", "training"]
    assert load_reference(run.info.run_id, "predictions").rows == 1
    assert load_reference(run.info.run_id).rows == 4


def test_errors_are_one_line(experiment: str) -> None:
    with pytest.raises(RuntimeError, match="needs an active MLflow run"):
        log_reference(TRAINING)
    with mlflow.start_run(experiment_id=experiment) as run:
        pass
    with pytest.raises(MissingReference, match=r"no reference profile 'training' \(it has none\)"):
        load_reference(run.info.run_id)
    log_reference(TRAINING, "validation", run_id=run.info.run_id)
    with pytest.raises(MissingReference, match="it has validation") as caught:
        load_reference(run.info.run_id)
    assert "\n" not in str(caught.value)
    for bad in ("", "../model", "a/b", ".hidden"):
        with pytest.raises(ValueError, match="reference name"):
            artifact_path(bad)
