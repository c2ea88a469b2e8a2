"""Reference profiles saved with models: the profile of a run's training data, as an artifact of
that run, so a registered model version (whose source is the run) carries what it was trained
on, and a monitor can compare serving windows with it years later without the data itself.

Stored under `monitoring/<name>.whylogs` in the run's artifacts, in whylogs' own format (see
`Profile.to_bytes`). Read and written through MLflow's client, so any tracking store works (a
project's server, a file store, SQLite); MLflow is imported on call, not with the package.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .profiles import Profile, profile

if TYPE_CHECKING:
    import pandas as pd

ARTIFACT_DIR = "monitoring"
SUFFIX = ".whylogs"
# A name becomes a file name in the run's artifacts: nothing that could climb out of the folder.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class MissingReference(LookupError):
    """The run has no reference profile of that name."""


def artifact_path(name: str = "training") -> str:
    """Where reference `name` lives in a run's artifacts, e.g. "monitoring/training.whylogs"."""
    if not NAME.fullmatch(name):
        raise ValueError(f"a reference name is letters, digits, '.', '_' and '-', not {name!r}")
    return f"{ARTIFACT_DIR}/{name}{SUFFIX}"


def log_reference(
    data: pd.DataFrame | Profile, name: str = "training", *, run_id: str | None = None
) -> str:
    """Log the profile of `data` (a DataFrame, or a profile made already) as reference `name` of
    the active MLflow run, or of run `run_id` (finished runs too: a pipeline can attach the
    profile of an output data set to the run that made it). Returns the artifact's URI.

    Without an active run or `run_id`, an error: a profile logged to a run made up on the spot
    would belong to no model.
    """
    import mlflow

    path = artifact_path(name)
    if run_id is None:
        active = mlflow.active_run()
        if active is None:
            raise RuntimeError(
                "log_reference needs an active MLflow run (inside `with mlflow.start_run():`) "
                "or run_id="
            )
        run_id = active.info.run_id
    prof = data if isinstance(data, Profile) else profile(data)
    with tempfile.TemporaryDirectory(prefix="scalelab-reference-") as tmp:
        local = Path(tmp) / Path(path).name
        prof.write(local)
        mlflow.MlflowClient().log_artifact(run_id, str(local), ARTIFACT_DIR)
    return f"runs:/{run_id}/{path}"


def references(run_id: str) -> list[str]:
    """The names of the reference profiles logged to run `run_id`, sorted."""
    from mlflow import MlflowClient

    found = MlflowClient().list_artifacts(run_id, ARTIFACT_DIR)
    names = [Path(f.path).name for f in found if not f.is_dir and f.path.endswith(SUFFIX)]
    return sorted(n.removesuffix(SUFFIX) for n in names)


def load_reference(run_id: str, name: str = "training") -> Profile:
    """Reference `name` of run `run_id` (a registered model version's `run_id`), read back
    through MLflow; `MissingReference` when the run logged none of that name."""
    from mlflow import MlflowClient

    path = artifact_path(name)
    logged = references(run_id)
    if name not in logged:
        has = f"it has {', '.join(logged)}" if logged else "it has none"
        raise MissingReference(f"run {run_id} has no reference profile {name!r} ({has})")
    with tempfile.TemporaryDirectory(prefix="scalelab-reference-") as tmp:
        return Profile.read(MlflowClient().download_artifacts(run_id, path, tmp))
