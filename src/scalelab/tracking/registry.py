"""Register the best run of an experiment: a search, a registration and aliases in one call."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from .project import TrackingError, project_experiment

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Experiment, Run
    from mlflow.entities.model_registry import ModelVersion

MODEL_NAME = "model"  # what `mlflow.<flavor>.log_model(..., name="model")` calls it
CANDIDATES = 100


def _experiment(client: MlflowClient, experiment: Experiment | str | None) -> Experiment:
    if experiment is None:
        return project_experiment()
    if isinstance(experiment, str):
        found = client.get_experiment_by_name(experiment)
        if found is None:
            raise TrackingError(f"no experiment named {experiment!r}")
        return found
    return experiment


def _best_run(client: MlflowClient, experiment: Experiment, metric: str, mode: str) -> Run:
    order = "DESC" if mode == "max" else "ASC"
    runs = client.search_runs(
        [experiment.experiment_id],
        filter_string="attributes.status = 'FINISHED'",
        order_by=[f"metrics.`{metric}` {order}"],
        max_results=CANDIDATES,
    )
    # The server sorts runs without the metric (and NaN) last; checked here all the same.
    scored = [
        r for r in runs if metric in r.data.metrics and not math.isnan(r.data.metrics[metric])
    ]
    if not scored:
        raise TrackingError(
            f"no finished run of experiment {experiment.name!r} has a metric {metric!r}"
        )
    pick = max if mode == "max" else min
    return pick(scored, key=lambda r: r.data.metrics[metric])


def _model_uri(client: MlflowClient, experiment: Experiment, run: Run) -> str:
    """The run's logged model: the one named "model" if it logged several, else the latest."""
    run_id = run.info.run_id
    models = client.search_logged_models(
        [experiment.experiment_id], filter_string=f"source_run_id = '{run_id}'"
    )
    if models:
        named = [m for m in models if m.name == MODEL_NAME]
        chosen = (named or sorted(models, key=lambda m: m.creation_timestamp))[-1]
        return chosen.model_uri
    # Models logged as run artifacts, as MLflow 2 did.
    if any(f.path == f"{MODEL_NAME}/MLmodel" for f in client.list_artifacts(run_id, MODEL_NAME)):
        return f"runs:/{run_id}/{MODEL_NAME}"
    raise TrackingError(f"run {run_id} of experiment {experiment.name!r} logged no model")


def register_best(
    experiment: Experiment | str | None = None,
    metric: str | None = None,
    name: str | None = None,
    mode: Literal["max", "min"] = "max",
    aliases: Iterable[str] = ("challenger",),
) -> ModelVersion:
    """Register the model of the finished run with the best `metric` as a version of model
    `name` (default: the experiment's name) and point `aliases` at it.

    `experiment` is an Experiment or its name; the project's experiment by default. Running
    it again for the same best run reuses that version rather than adding one.
    """
    from mlflow import MlflowClient

    if not metric:
        raise TrackingError("say which metric ranks the runs, e.g. metric='accuracy'")
    if mode not in ("max", "min"):
        raise TrackingError(f"mode is 'max' or 'min', not {mode!r}")
    client = MlflowClient()
    exp = _experiment(client, experiment)
    return _register(client, exp, _best_run(client, exp, metric, mode), name, aliases)


def register_run(
    run_id: str, name: str | None = None, aliases: Iterable[str] = ("challenger",)
) -> ModelVersion:
    """Register the model that run `run_id` logged as a version of model `name` (default: its
    experiment's name) and point `aliases` at it; again for the same run, the same version."""
    from mlflow import MlflowClient

    client = MlflowClient()
    run = client.get_run(run_id)
    return _register(client, client.get_experiment(run.info.experiment_id), run, name, aliases)


def _register(
    client: MlflowClient,
    exp: Experiment,
    run: Run,
    name: str | None,
    aliases: Iterable[str],
) -> ModelVersion:
    import mlflow

    uri = _model_uri(client, exp, run)
    name = name or exp.name
    run_id = run.info.run_id
    existing = [
        v
        for v in client.search_model_versions(f"name = '{name}' and run_id = '{run_id}'")
        if v.source == uri or (v.model_id is not None and uri == f"models:/{v.model_id}")
    ]
    version = existing[0] if existing else mlflow.register_model(uri, name)
    for alias in aliases:
        client.set_registered_model_alias(name, alias, version.version)
    return client.get_model_version(name, version.version)
