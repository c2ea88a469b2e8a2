"""Where people look at a run: the MLflow UI through the hub, and ScaleLab's own pages."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

RUN_URL_TAG = "scalelab.run_url"
OUTPUT_URL_TAG = "scalelab.output_url"


def ui_base(tracking_uri: str, public_url: str) -> str | None:
    """The browser's address of the tracking server at `tracking_uri`, or None.

    Kernels reach the service on the hub's internal address; browsers reach the same path
    through the public one (`$SCALELAB_PUBLIC_URL`).
    """
    parts = urlsplit(tracking_uri)
    if parts.scheme not in ("http", "https"):
        return None
    if not public_url:
        return tracking_uri.rstrip("/") + "/"
    return public_url.rstrip("/") + "/" + parts.path.strip("/") + "/"


def links(run_id: str | None = None) -> dict[str, str]:
    """Links for a run (the active or last one by default): `mlflow` (its page in the MLflow
    UI, when tracking goes to a server), `run_url` and `output_url` (when ScaleLab started it)."""
    import mlflow
    from mlflow import MlflowClient

    if run_id is None:
        run = mlflow.active_run() or mlflow.last_active_run()
        if run is None:
            raise ValueError("no run: pass a run id, or call this after mlflow.start_run()")
        run_id = run.info.run_id
    run = MlflowClient().get_run(run_id)
    found: dict[str, str] = {}
    base = ui_base(mlflow.get_tracking_uri(), os.environ.get("SCALELAB_PUBLIC_URL", ""))
    if base is not None:
        found["mlflow"] = f"{base}#/experiments/{run.info.experiment_id}/runs/{run_id}"
    for key, tag in (("run_url", RUN_URL_TAG), ("output_url", OUTPUT_URL_TAG)):
        if tag in run.data.tags:
            found[key] = run.data.tags[tag]
    return found
