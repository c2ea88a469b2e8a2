"""An experiment's runs as compact JSON for the ExperimentBoard, read through plain MLflow.

mlflow is imported inside functions: it takes seconds, and importing the widgets should not.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from ._base import json_number, one_line

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities import Experiment, Run

RUN_URL_TAG = "scalelab.run_url"
OUTPUT_URL_TAG = "scalelab.output_url"
DEFAULT_EXPERIMENT_ID = "0"
# Params may be 6000 characters long; a table cell needs far less, and the sync stays small.
MAX_PARAM_CHARS = 300


class ExperimentMissing(LookupError):
    pass


def wanted_experiment(experiment: str | int | None) -> str:
    """What the user asked for; None means the project's experiment, as a kernel of a
    ScaleLab project is told by its environment, else MLflow's default experiment."""
    if experiment is not None:
        return str(experiment)
    return (
        os.environ.get("MLFLOW_EXPERIMENT_NAME")
        or os.environ.get("MLFLOW_EXPERIMENT_ID")
        or DEFAULT_EXPERIMENT_ID
    )


def resolve_experiment(client: MlflowClient, wanted: str) -> Experiment:
    """By name first, then (for digits) by id."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(wanted)
    if found is None and wanted.isdigit():
        try:
            found = client.get_experiment(wanted)
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
    if found is None or found.lifecycle_stage == "deleted":
        raise ExperimentMissing(f"MLflow experiment {wanted!r} not found")
    return found


def safe_uri(uri: str) -> str:
    """`uri` without credentials or query, for messages and links."""
    parts = urlsplit(uri)
    if "@" not in parts.netloc and not parts.query:
        return uri
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def ui_base(tracking_uri: str, public_url: str) -> str | None:
    """Where a browser reaches the MLflow UI of `tracking_uri` (http(s) only), or None.

    Kernels may reach the service on an internal address; browsers reach the same path on
    the public origin (`$SCALELAB_PUBLIC_URL`).
    """
    parts = urlsplit(safe_uri(tracking_uri))
    if parts.scheme not in ("http", "https"):
        return None
    scheme, host = parts.scheme, parts.netloc
    public = urlsplit(public_url)
    if public.scheme in ("http", "https") and public.netloc:
        scheme, host = public.scheme, urlsplit(safe_uri(public_url)).netloc
    return urlunsplit((scheme, host, parts.path.rstrip("/"), "", ""))


def run_links(run: Run, ui: str | None) -> dict[str, str]:
    links = {}
    if ui is not None:
        links["mlflow"] = f"{ui}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
    tags = run.data.tags
    if RUN_URL_TAG in tags:
        links["run"] = tags[RUN_URL_TAG]
    if OUTPUT_URL_TAG in tags:
        links["output"] = tags[OUTPUT_URL_TAG]
    return links


def run_row(run: Run, ui: str | None) -> dict[str, Any]:
    info, data = run.info, run.data
    return {
        "id": info.run_id,
        "name": info.run_name or data.tags.get("mlflow.runName") or info.run_id[:8],
        "status": info.status,
        "start": info.start_time,
        "end": info.end_time,
        "user": info.user_id or data.tags.get("mlflow.user", ""),
        "params": {k: v[:MAX_PARAM_CHARS] for k, v in data.params.items()},
        "metrics": {k: json_number(v) for k, v in data.metrics.items()},
        "links": run_links(run, ui),
    }


def fetch_runs(
    client: MlflowClient, experiment_id: str, max_runs: int, ui: str | None
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Newest first, at most `max_runs`; with the union of their param and metric names."""
    runs = client.search_runs(
        [experiment_id], max_results=max_runs, order_by=["attributes.start_time DESC"]
    )
    rows = [run_row(run, ui) for run in runs]
    columns = {
        "params": sorted({k for row in rows for k in row["params"]}),
        "metrics": sorted({k for row in rows for k in row["metrics"]}),
    }
    return rows, columns


def describe(exc: Exception, tracking_uri: str) -> str:
    """One line saying what went wrong, in terms of what the user can check."""
    from mlflow.exceptions import MlflowException

    where = safe_uri(tracking_uri)
    if isinstance(exc, ExperimentMissing):
        return f"{exc} at {where}"
    if not isinstance(exc, MlflowException):
        return one_line(f"{type(exc).__name__}: {exc}")
    # MLflow reports a transport failure (refused, DNS, timeout) as a generic exception whose
    # cause is the requests error; a response with an HTTP status carries an error code.
    if "failed with exception" in exc.message or _from_transport(exc):
        return f"MLflow tracking server unreachable at {where}; retrying"
    status = exc.get_http_status_code()
    if status == 401:
        return f"MLflow at {where} refused the credentials (401): is MLFLOW_TRACKING_TOKEN set?"
    if status == 403:
        return f"MLflow at {where}: permission denied (403) for this experiment"
    if status == 404 and exc.error_code != "RESOURCE_DOES_NOT_EXIST":
        return f"MLflow at {where}: not found (404); check MLFLOW_TRACKING_URI"
    return one_line(f"MLflow at {where}: {exc.message}")


def _from_transport(exc: BaseException) -> bool:
    from requests.exceptions import RequestException

    seen: BaseException | None = exc
    for _ in range(8):  # a chain may loop back on itself
        if seen is None:
            return False
        if isinstance(seen, RequestException | ConnectionError | TimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
