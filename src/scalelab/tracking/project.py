"""Which project this process works for, and that project's experiment."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..errors import ScaleLabError

if TYPE_CHECKING:
    from mlflow.entities import Experiment

PROJECT_VAR = "SCALELAB_PROJECT"


class TrackingError(ScaleLabError):
    """A tracking helper cannot do what was asked; the message says why in one line."""


def current_project() -> str | None:
    """The slug of the project this kernel or run works for, if any."""
    return os.environ.get(PROJECT_VAR) or None


def project_experiment() -> Experiment:
    """The project's experiment (named after the project), created if missing."""
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    slug = current_project()
    if slug is None:
        raise TrackingError(
            "not in a ScaleLab project: open the notebook under projects/<slug>/ "
            "(or pass an experiment explicitly)"
        )
    client = MlflowClient()
    experiment = client.get_experiment_by_name(slug)
    if experiment is None:
        try:
            client.create_experiment(slug)
        except MlflowException as exc:
            # Another kernel or run of the project may have created it meanwhile.
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
        experiment = client.get_experiment_by_name(slug)
    if experiment is None:
        raise TrackingError(f"cannot create or find the experiment {slug!r}")
    if experiment.lifecycle_stage == "deleted":
        raise TrackingError(
            f"the experiment {slug!r} was deleted; restore it in the MLflow UI or with "
            f"MlflowClient().restore_experiment({experiment.experiment_id!r})"
        )
    return experiment
