"""ExperimentBoard: an MLflow experiment's runs, live in the notebook."""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import traitlets

from . import _mlflow_runs as runs_source
from ._base import PollingWidget
from ._static import html_table

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion

HERE = Path(__file__).parent
STATIC_METRICS = 4


class ExperimentBoard(PollingWidget):
    """The runs of an MLflow experiment: a sortable, filterable table, a metric chart across
    runs, two runs side by side, links to the MLflow UI and ScaleLab's run pages, and a button
    that registers the model of the run ticked last (`register`).

    It reads with the user's own credentials through plain MLflow (`MLFLOW_TRACKING_URI`,
    `MLFLOW_TRACKING_TOKEN`, which ScaleLab sets in project kernels) and polls every
    `refresh_seconds` in a background thread until `close()`.

    Example::

        from scalelab.widgets import ExperimentBoard

        board = ExperimentBoard()  # the project's experiment
        board  # display it; runs logged meanwhile appear by themselves

        board.refresh()  # poll now rather than at the next tick
        board.close()  # stops polling

        ExperimentBoard("churn-baseline", refresh_seconds=10)  # by name (or id)

    In the filter box, text matches any name, status, user, param or metric value, and
    `metric>0.9`-style terms (`<`, `<=`, `>`, `>=`, `=`, `!=`) test one column; terms
    separated by spaces must all match.
    """

    _esm = HERE / "experiments.js"
    _css = HERE / "widgets.css"

    experiment = traitlets.Dict().tag(sync=True)
    runs = traitlets.List().tag(sync=True)
    columns = traitlets.Dict({"params": [], "metrics": []}).tag(sync=True)
    notice = traitlets.Unicode("").tag(sync=True)  # how the last registration went, one line

    def __init__(
        self,
        experiment: str | int | None = None,
        refresh_seconds: float = 5,
        max_runs: int = 1000,
        *,
        tracking_uri: str | None = None,
    ) -> None:
        """`tracking_uri` defaults to MLflow's own (`$MLFLOW_TRACKING_URI`)."""
        if max_runs < 1:
            raise ValueError("max_runs must be at least 1")
        self._wanted = runs_source.wanted_experiment(experiment)
        self._tracking_uri = tracking_uri
        self._max_runs = max_runs
        self._client: MlflowClient | None = None
        self._experiment_id: str | None = None
        super().__init__(refresh_seconds)
        self.on_msg(self._on_front_end_message)

    def register(
        self, run_id: str, name: str | None = None, alias: str | None = "challenger"
    ) -> ModelVersion:
        """Register the model run `run_id` logged as a version of model `name` (default: the
        experiment's name), with `alias`: `scalelab.tracking.register_run`. In a project this
        takes the deployer role; the board's Register button calls this."""
        import mlflow

        from ..tracking import register_run

        if self._tracking_uri and self._tracking_uri != mlflow.get_tracking_uri():
            raise ValueError(
                "this board reads another tracking server than MLflow's own: register there"
            )
        return register_run(run_id, name or None, [alias] if alias else [])

    def _on_front_end_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict) or content.get("kind") != "register":
            return
        run_id, name, alias = (content.get(k) for k in ("run_id", "name", "alias"))
        if not all(isinstance(v, str) for v in (run_id, name, alias)) or not run_id:
            self.notice = "Not registered: the request was malformed"
            return
        # Off the kernel's main thread: registering waits on the server.
        threading.Thread(
            target=self._register_for_front_end,
            args=(run_id, name, alias),
            name="scalelab-register",
            daemon=True,
        ).start()

    def _register_for_front_end(self, run_id: str, name: str, alias: str) -> None:
        try:
            version = self.register(run_id, name, alias)
        # Whatever went wrong (a refusal, no model logged, the server down) is one line.
        except Exception as exc:
            self.notice = f"Not registered: {self._describe(exc)}"
            return
        said = f" as @{alias}" if alias else ""
        self.notice = f"Registered {version.name} version {version.version}{said}"

    def _fetch(self) -> dict[str, Any]:
        import mlflow

        if self._client is None:
            self._tracking_uri = self._tracking_uri or mlflow.get_tracking_uri()
            self._client = mlflow.MlflowClient(self._tracking_uri)
        ui = runs_source.ui_base(self._tracking_uri, os.environ.get("SCALELAB_PUBLIC_URL", ""))
        found = runs_source.resolve_experiment(self._client, self._wanted)
        rows, columns = runs_source.fetch_runs(
            self._client, found.experiment_id, self._max_runs, ui
        )
        return {
            "experiment": {
                "id": found.experiment_id,
                "name": found.name,
                "url": f"{ui}/#/experiments/{found.experiment_id}" if ui else "",
            },
            "runs": rows,
            "columns": columns,
        }

    def _describe(self, exc: Exception) -> str:
        return runs_source.describe(exc, self._tracking_uri or "MLflow's tracking URI")

    def _static_html(self) -> str:
        counts = Counter(k for run in self.runs for k in run["metrics"])
        metrics = [k for k, _ in counts.most_common(STATIC_METRICS)]
        rows = [
            [run["name"], run["status"], _iso(run["start"]), run["user"]]
            + [run["metrics"].get(k) for k in metrics]
            for run in self.runs
        ]
        title = f"MLflow experiment {self.experiment.get('name') or self._wanted}"
        return html_table(
            title, ["run", "status", "start", "user", *metrics], rows, note=self.error
        )


def _iso(millis: int | None) -> str:
    if millis is None:
        return ""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(millis / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
