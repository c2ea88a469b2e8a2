"""scalelab.tracking against a real MLflow store (SQLite, no server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

mlflow = pytest.importorskip("mlflow")
from mlflow import MlflowClient  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from scalelab import tracking  # noqa: E402
from scalelab.tracking import context  # noqa: E402

SLUG = "demo"
SCORES = {"a": 0.61, "b": 0.93, "c": 0.78}
# MLflow 3.17 saves sklearn models with skops; the trusted types are kept for loading.
TRUSTED = ["sklearn.tree._tree.Tree"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A project's tracking store with its experiment; the environment of a project kernel."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    for name in ("SCALELAB_RUN_ID", "SCALELAB_KERNEL", "JUPYTERHUB_USER", "MLFLOW_RUN_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", SLUG)
    monkeypatch.setenv("SCALELAB_PROJECT", SLUG)
    mlflow.set_tracking_uri(uri)
    MlflowClient().create_experiment(SLUG, artifact_location=(tmp_path / "artifacts").as_uri())
    yield SLUG
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


def _log_runs(with_model: bool = True) -> dict[str, str]:
    model = DecisionTreeClassifier(max_depth=1).fit([[0], [1]], [0, 1])
    ids = {}
    for name, score in SCORES.items():
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_metric("accuracy", score)
            if with_model:
                mlflow.sklearn.log_model(model, name="model", skops_trusted_types=TRUSTED)
            ids[name] = run.info.run_id
    return ids


def test_project_experiment(project: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert tracking.project_experiment().name == project
    monkeypatch.setenv("SCALELAB_PROJECT", "other")
    assert tracking.project_experiment().name == "other"  # created when missing
    monkeypatch.delenv("SCALELAB_PROJECT")
    with pytest.raises(tracking.TrackingError, match="not in a ScaleLab project"):
        tracking.project_experiment()


def test_register_best(project: str) -> None:
    ids = _log_runs()
    version = tracking.register_best(metric="accuracy")
    assert version.name == project
    assert version.run_id == ids["b"]
    assert version.aliases == ["challenger"]
    loaded = mlflow.sklearn.load_model(f"models:/{project}@challenger")
    assert list(loaded.predict([[0], [1]])) == [0, 1]

    worst = tracking.register_best(project, "accuracy", name="worst", mode="min", aliases=["a"])
    assert (worst.name, worst.run_id, worst.aliases) == ("worst", ids["a"], ["a"])
    again = tracking.register_best(metric="accuracy", aliases=("champion",))
    assert again.version == version.version  # the same best run adds no version
    assert sorted(again.aliases) == ["challenger", "champion"]


def test_register_best_errors(project: str) -> None:
    with pytest.raises(tracking.TrackingError, match="say which metric"):
        tracking.register_best()
    _log_runs(with_model=False)
    with pytest.raises(tracking.TrackingError, match="has a metric 'loss'") as missing:
        tracking.register_best(metric="loss")
    assert "\n" not in str(missing.value)
    with pytest.raises(tracking.TrackingError, match="logged no model"):
        tracking.register_best(metric="accuracy")
    with pytest.raises(tracking.TrackingError, match="no experiment named 'nope'"):
        tracking.register_best("nope", metric="accuracy")


def test_log_batch(project: str) -> None:
    with mlflow.start_run() as run:
        tracking.log_batch(metrics={"loss": 0.5, "acc": 1}, params={"depth": 3}, step=2)
    data = MlflowClient().get_run(run.info.run_id).data
    assert data.metrics == {"loss": 0.5, "acc": 1.0}
    assert data.params == {"depth": "3"}
    history = MlflowClient().get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == [2]


def test_links(project: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with mlflow.start_run() as run:
        mlflow.set_tag("scalelab.run_url", "http://svc/api/projects/demo/runs/1")
    run_id = run.info.run_id
    assert tracking.links(run_id) == {"run_url": "http://svc/api/projects/demo/runs/1"}

    monkeypatch.setenv("SCALELAB_PUBLIC_URL", "https://lab.example/")
    tracking_uri = "http://127.0.0.1:8181/services/scalelab/mlflow/demo"
    monkeypatch.setattr(mlflow, "get_tracking_uri", lambda: tracking_uri)
    exp = run.info.experiment_id
    assert tracking.links(run_id)["mlflow"] == (
        f"https://lab.example/services/scalelab/mlflow/demo/#/experiments/{exp}/runs/{run_id}"
    )


def test_context_tags(project: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCALELAB_RUN_ID", "r-123")
    with mlflow.start_run() as run:
        pass
    tags = MlflowClient().get_run(run.info.run_id).data.tags
    assert tags["scalelab.project"] == project
    assert tags["scalelab.run_id"] == "r-123"


def test_notice_outside_a_project(
    project: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SCALELAB_PROJECT")
    monkeypatch.setattr(context, "_noticed", False)
    provider = context.ScaleLabRunContext()
    assert not provider.in_context()  # not in ScaleLab at all: silent

    monkeypatch.setenv("JUPYTERHUB_USER", "ada")
    for _ in range(2):
        with mlflow.start_run() as run:
            pass
    err = capsys.readouterr().err.strip().splitlines()
    notices = [line for line in err if "not in a ScaleLab project" in line]
    assert notices == [
        f"mlflow: logging to {mlflow.get_tracking_uri()} (this notebook is not in a ScaleLab "
        "project; open it under projects/<slug>/ to log to the project's experiment)"
    ]
    assert "scalelab.project" not in MlflowClient().get_run(run.info.run_id).data.tags
