"""ExperimentBoard's Python side: what it syncs from a real MLflow store, and its errors."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

from scalelab.widgets import ExperimentBoard
from scalelab.widgets._base import json_number
from scalelab.widgets._mlflow_runs import ui_base
from tests.waiting import wait_until

from .conftest import Closer

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
Store = tuple[str, MlflowClient, str]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A file-backed tracking store (no server), with an experiment `demo`."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    # Artifacts beside the database: MLflow's default is ./mlruns of the working folder.
    artifacts = (tmp_path / "artifacts").as_uri()
    return uri, client, client.create_experiment("demo", artifact_location=artifacts)


def log_run(
    client: MlflowClient,
    experiment_id: str,
    name: str,
    params: dict[str, str],
    metrics: dict[str, float],
    tags: dict[str, str] | None = None,
) -> str:
    run = client.create_run(experiment_id, run_name=name, tags=tags or {})
    run_id = run.info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric(k, v, 0, 0) for k, v in metrics.items()],
        params=[Param(k, v) for k, v in params.items()],
        tags=[RunTag("note", "x")],
    )
    client.set_terminated(run_id)
    return run_id


def names(board: ExperimentBoard) -> set[str]:
    return {run["name"] for run in board.runs}


def test_syncs_runs_with_params_metrics_and_links(store: Store, closing: Closer) -> None:
    uri, client, exp = store
    log_run(client, exp, "a", {"lr": "0.1"}, {"acc": 0.8})
    log_run(client, exp, "b", {"lr": "0.01", "depth": "3"}, {"acc": 0.9, "loss": float("nan")})
    tagged = log_run(
        client,
        exp,
        "c",
        {},
        {"loss": 2.5},
        tags={"scalelab.run_url": "/services/scalelab/runs/1", "scalelab.output_url": "/o/1"},
    )
    board = closing(ExperimentBoard("demo", tracking_uri=uri, refresh_seconds=0.2))
    wait_until(lambda: board.loaded, 20, message=lambda: board.error)

    assert board.error == ""
    assert board.experiment["name"] == "demo" and board.experiment["id"] == exp
    assert names(board) == {"a", "b", "c"}
    assert board.columns == {"params": ["depth", "lr"], "metrics": ["acc", "loss"]}
    by_name = {run["name"]: run for run in board.runs}
    assert by_name["b"]["params"] == {"lr": "0.01", "depth": "3"}
    assert by_name["b"]["metrics"] == {"acc": 0.9, "loss": None}, "JSON has no NaN"
    assert by_name["c"]["id"] == tagged
    assert by_name["c"]["links"] == {"run": "/services/scalelab/runs/1", "output": "/o/1"}
    assert by_name["a"]["status"] == "FINISHED" and by_name["a"]["start"] > 0


def test_new_runs_appear_and_unchanged_polls_send_nothing(store: Store, closing: Closer) -> None:
    uri, client, exp = store
    log_run(client, exp, "first", {"lr": "0.1"}, {"acc": 0.5})
    board = closing(ExperimentBoard(exp, tracking_uri=uri, refresh_seconds=0.3))
    assert board.refresh()
    assert names(board) == {"first"}

    changes: list[Any] = []
    board.observe(changes.append, names=["runs", "columns", "experiment", "error"])
    assert board.refresh() and board.refresh()
    assert changes == [], "a poll that found nothing new still updated the front end"

    log_run(client, exp, "second", {"lr": "0.2"}, {"acc": 0.6})
    assert board.refresh()
    assert names(board) == {"first", "second"}

    log_run(client, exp, "third", {"lr": "0.3"}, {"acc": 0.7, "f1": 0.1})
    wait_until(lambda: "third" in names(board), 5)
    assert "f1" in board.columns["metrics"]


def test_the_register_button_registers_the_runs_model(
    store: Store, closing: Closer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow
    from sklearn.linear_model import LogisticRegression

    uri, client, exp = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    with mlflow.start_run(experiment_id=exp, run_name="fitted") as run:
        mlflow.sklearn.log_model(LogisticRegression().fit([[0], [1]], [0, 1]), name="model")
    bare = log_run(client, exp, "no-model", {}, {"acc": 0.5})
    board = closing(ExperimentBoard("demo", tracking_uri=uri, refresh_seconds=60))

    def press(run_id: Any, name: Any = "", alias: Any = "champion") -> str:
        """What the front end sends on a click; the one line it then shows."""
        board.notice = ""
        content = {"kind": "register", "run_id": run_id, "name": name, "alias": alias}
        board._on_front_end_message(board, content, [])
        return str(wait_until(lambda: board.notice, 60))

    assert press(run.info.run_id) == "Registered demo version 1 as @champion"
    assert client.get_model_version_by_alias("demo", "champion").run_id == run.info.run_id
    # Again for the same run: the same version; another name makes another model.
    assert press(run.info.run_id, alias="challenger") == "Registered demo version 1 as @challenger"
    assert press(run.info.run_id, "churn", "") == "Registered churn version 1"
    assert press(bare).startswith(f"Not registered: TrackingError: run {bare} of experiment")
    assert press(42) == "Not registered: the request was malformed"
    assert [str(v.version) for v in client.search_model_versions("name = 'demo'")] == ["1"]


def test_project_experiment_from_environment(
    store: Store, closing: Closer, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, client, exp = store
    log_run(client, exp, "r", {}, {"acc": 1.0})
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "demo")
    board = closing(ExperimentBoard(refresh_seconds=10))
    assert board.refresh()
    assert board.experiment["name"] == "demo" and names(board) == {"r"}


def test_max_runs_keeps_the_newest(store: Store, closing: Closer) -> None:
    uri, client, exp = store
    for i in range(4):
        log_run(client, exp, f"r{i}", {}, {"i": float(i)})
    board = closing(ExperimentBoard("demo", tracking_uri=uri, max_runs=2, refresh_seconds=10))
    assert board.refresh()
    assert names(board) == {"r2", "r3"}


def test_missing_experiment_is_one_line_and_polling_goes_on(store: Store, closing: Closer) -> None:
    uri, client, _ = store
    board = closing(ExperimentBoard("later", tracking_uri=uri, refresh_seconds=0.2))
    assert board.refresh()
    assert board.error.startswith("MLflow experiment 'later' not found")
    assert not board.loaded
    client.create_experiment("later")
    wait_until(lambda: board.loaded and board.error == "", 5)


def test_unreachable_server_is_one_line(monkeypatch: pytest.MonkeyPatch, closing: Closer) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    board = closing(ExperimentBoard("demo", tracking_uri="http://127.0.0.1:9", refresh_seconds=0.2))
    assert board.refresh()
    assert board.error == "MLflow tracking server unreachable at http://127.0.0.1:9; retrying"
    assert board._poller.is_alive() and board.refresh(), "the poller gave up"


class Refusing(BaseHTTPRequestHandler):
    status = 401

    def do_GET(self) -> None:
        body = b"<html>no</html>"
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def refusing_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.parametrize(
    ("status", "expected"),
    [(401, "refused the credentials (401)"), (403, "permission denied (403)"), (404, "(404)")],
)
def test_http_errors_are_one_line(
    refusing_server: ThreadingHTTPServer, status: int, expected: str, closing: Closer
) -> None:
    refusing_server.status = status  # type: ignore[attr-defined]
    port = refusing_server.server_address[1]
    uri = f"http://user:secret@127.0.0.1:{port}/services/scalelab/mlflow/demo"
    board = closing(ExperimentBoard("demo", tracking_uri=uri, refresh_seconds=10))
    assert board.refresh()
    assert expected in board.error
    assert "\n" not in board.error and "secret" not in board.error


def test_mimebundle_has_a_static_table(store: Store, closing: Closer) -> None:
    uri, client, exp = store
    log_run(client, exp, "<b>bold</b>", {"lr": "0.1"}, {"acc": 0.875})
    board = closing(ExperimentBoard("demo", tracking_uri=uri, refresh_seconds=10))
    # Displaying right away waits for the first poll, so exports are not empty.
    data, _ = board._repr_mimebundle_()
    assert data[WIDGET_VIEW]["model_id"] == board.model_id
    html = data["text/html"]
    assert html.startswith("<table") and "MLflow experiment demo" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html
    assert "FINISHED" in html and "0.875" in html and "<th>acc</th>" in html


def test_close_stops_polling(store: Store, closing: Closer) -> None:
    uri, _, _ = store
    board = closing(ExperimentBoard("demo", tracking_uri=uri, refresh_seconds=0.1))
    board.close()
    wait_until(lambda: not board._poller.is_alive(), 5)
    assert board.refresh(timeout=1) is False


def test_numbers_json_cannot_carry() -> None:
    assert json_number(math.nan) is None
    assert json_number(math.inf) == "Infinity" and json_number(-math.inf) == "-Infinity"
    assert json_number(0.5) == 0.5


@pytest.mark.parametrize(
    ("tracking", "public", "expected"),
    [
        ("http://127.0.0.1:8081/services/scalelab/mlflow/demo/", "", None),
        (
            "http://hub-internal:8081/services/scalelab/mlflow/demo/",
            "https://lab.example.org/",
            "https://lab.example.org/services/scalelab/mlflow/demo",
        ),
        ("https://u:pw@mlflow.example.org/", "", "https://mlflow.example.org"),
        ("sqlite:///mlflow.db", "http://127.0.0.1:8000/", None),
        ("databricks", "", None),
    ],
)
def test_ui_links(tracking: str, public: str, expected: str | None) -> None:
    if expected is None and tracking.startswith("http"):
        expected = tracking.rstrip("/")
    assert ui_base(tracking, public) == expected
