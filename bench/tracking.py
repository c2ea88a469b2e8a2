"""Experiment tracking through ScaleLab beside the same MLflow server reached directly.

A real JupyterHub with its proxy and the ScaleLab service; one project. 1,000 `log_metric`
calls (MLflow's client, one request each) as a notebook kernel makes them: to the project's
tracking endpoint on the service, with a hub token (checked with the hub at every write) and
with a run's token (what scheduled runs use). The anchor: the same calls to a plain
`mlflow server` of the same version and database kind on a loopback port, as a team would run
it without ScaleLab (and without any login). Also: the same 1,000 values in one `log_batch`,
and the ExperimentBoard widget's first paint with 1,000 runs in Chromium.

    .venv/bin/python bench/tracking.py [--calls 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._machine import machine
from scalelab.tracking.quiet import NO_TELEMETRY
from tests.hubctl import free_port, running_hub
from tests.waiting import wait_until
from tests.widgets.browser import board_paint_ms

USER = "alice"
os.environ.update(NO_TELEMETRY)


def log_metrics(uri: str, token: str, calls: int) -> float:
    """Seconds for `calls` log_metric calls to a fresh run of the experiment `bench`."""
    os.environ["MLFLOW_TRACKING_URI"] = uri
    os.environ["MLFLOW_TRACKING_TOKEN"] = token
    from mlflow import MlflowClient

    client = MlflowClient()
    experiment = client.get_experiment_by_name("bench") or client.get_experiment(
        client.create_experiment("bench")
    )
    run = client.create_run(experiment.experiment_id)
    client.log_metric(run.info.run_id, "warm", 0.0)  # connection and auth caches
    started = time.perf_counter()
    for i in range(calls):
        client.log_metric(run.info.run_id, "loss", 1.0 / (i + 1), step=i)
    return time.perf_counter() - started


def log_one_batch(uri: str, token: str, calls: int) -> float:
    os.environ["MLFLOW_TRACKING_URI"] = uri
    os.environ["MLFLOW_TRACKING_TOKEN"] = token
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient()
    experiment = client.get_experiment_by_name("bench")
    run = client.create_run(experiment.experiment_id)
    now = int(time.time() * 1000)
    metrics = [Metric("loss", 1.0 / (i + 1), now, i) for i in range(calls)]
    started = time.perf_counter()
    client.log_batch(run.info.run_id, metrics=metrics)
    return time.perf_counter() - started


def plain_mlflow_server(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--backend-store-uri",
            f"sqlite:///{folder / 'direct.sqlite'}",
            "--serve-artifacts",
            "--artifacts-destination",
            str(folder / "artifacts"),
            "--workers",
            "1",
        ],
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return requests.get(url + "/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_until(healthy, 120, 0.3, "the plain MLflow server did not start")
    return process, url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args()
    calls = args.calls
    with tempfile.TemporaryDirectory(prefix="scalelab-bench-") as tmp:
        root = Path(tmp)
        direct_process, direct_url = plain_mlflow_server(root)
        try:
            direct = log_metrics(direct_url, "", calls)
            with running_hub(root / "data") as hub:
                token = hub.token_for(USER)
                headers = {"Authorization": f"token {token}"}
                r = requests.post(
                    hub.service_url + "api/projects", json={"slug": "bench"}, headers=headers
                )
                r.raise_for_status()
                uri = hub.service_url + "mlflow/bench"
                hub_token = log_metrics(uri, token, calls)
                batch = log_one_batch(uri, token, calls)
        finally:
            os.killpg(direct_process.pid, signal.SIGTERM)
            direct_process.wait(30)
    paint = board_paint_ms()
    ratio = hub_token / direct
    print()
    print(f"Tracking: {calls} log_metric calls, MLflow's client, one request each")
    print(f"  {'':52}{'seconds':>9}{'ms/call':>9}{'ratio':>7}")
    rows = [
        ("plain mlflow server, loopback port, no login", direct),
        ("ScaleLab: project endpoint, hub token", hub_token),
    ]
    for label, seconds in rows:
        print(f"  {label:52}{seconds:9.2f}{1000 * seconds / calls:9.2f}{seconds / direct:7.2f}")
    print(f"  {'ScaleLab: the same values in one log_batch':52}{batch:9.3f}")
    if paint is not None:
        print(f"  ExperimentBoard first paint, 1,000 runs: {paint:.0f} ms")
    print(f"  machine: {machine()}")
    figures = {
        "calls": calls,
        "direct_s": round(direct, 3),
        "hub_token_s": round(hub_token, 3),
        "batch_s": round(batch, 4),
        "logging_overhead_ratio": round(ratio, 3),
        "board_first_paint_s": round(paint / 1000, 3) if paint is not None else None,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
