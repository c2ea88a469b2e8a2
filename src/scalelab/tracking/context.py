"""Tags every new MLflow run with its ScaleLab project, or says where logging goes instead.

Registered as an `mlflow.run_context_provider` entry point, so MLflow itself calls it on each
`mlflow.start_run()`, in notebooks, scripts and ScaleLab runs alike.
"""

from __future__ import annotations

import os
import sys

from mlflow.tracking.context.abstract_context import RunContextProvider

from .project import current_project

PROJECT_TAG = "scalelab.project"
RUN_ID_TAG = "scalelab.run_id"

_noticed = False


def _in_scalelab() -> bool:
    return bool(os.environ.get("SCALELAB_KERNEL") or os.environ.get("JUPYTERHUB_USER"))


def _notice_once() -> None:
    """Logging outside a project goes to wherever MLflow defaults to, often a local ./mlruns
    nobody else sees: say so once, not on every run."""
    global _noticed
    if _noticed:
        return
    _noticed = True
    import mlflow

    print(
        f"mlflow: logging to {mlflow.get_tracking_uri()} (this notebook is not in a ScaleLab "
        "project; open it under projects/<slug>/ to log to the project's experiment)",
        file=sys.stderr,
    )


class ScaleLabRunContext(RunContextProvider):
    def in_context(self) -> bool:
        return current_project() is not None or _in_scalelab()

    def tags(self) -> dict[str, str]:
        slug = current_project()
        if slug is None:
            _notice_once()
            return {}
        tags = {PROJECT_TAG: slug}
        run_id = os.environ.get("SCALELAB_RUN_ID")
        if run_id:
            tags[RUN_ID_TAG] = run_id
        return tags
