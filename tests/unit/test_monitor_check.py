"""One monitor check, as the service runs it (`python -m scalelab.monitoring.check SPEC`):
the live model's reference from MLflow against a window of the request log, on edge data too;
the report written whole, a summary line, and one line on stderr when it cannot be done."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from scalelab.monitoring import log_reference
from scalelab.monitoring.check import check
from scalelab.monitoring.policy import BreachRule, judge
from scalelab.monitoring.serving import hour_key
from tests.unit.test_monitoring_reference import experiment  # noqa: F401  (a fixture)
from tests.unit.test_monitoring_serving import bodies, line, write

mlflow = pytest.importorskip("mlflow")
NOW = datetime.now(UTC)


@pytest.fixture
def run_id(experiment: str) -> str:  # noqa: F811
    rng = np.random.default_rng(3)
    training = pd.DataFrame(
        {"x": rng.normal(0, 1, 2000), "colour": rng.choice(["red", "blue"], 2000)}
    )
    with mlflow.start_run(experiment_id=experiment) as run:
        log_reference(training)
    return str(run.info.run_id)


def spec(run_id: str, log: Path, dest: Path) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "log_folder": str(log),
        "hours": [hour_key(NOW - timedelta(hours=1)), hour_key(NOW)],
        "thresholds": {},
        "dest": str(dest),
        "title": "churn, last hours",
    }


def traffic(log: Path, frames: list[pd.DataFrame]) -> None:
    write(
        log,
        NOW,
        [line(f"r{i}", NOW, bodies(f)["dataframe_split"]) for i, f in enumerate(frames)],
    )


def test_a_shifted_window_drifts_and_the_report_is_saved(run_id: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    traffic(
        tmp_path / "log",
        [
            pd.DataFrame({"x": rng.normal(2, 1, 20), "colour": rng.choice(["red", "blue"], 20)})
            for _ in range(10)
        ],
    )
    summary = check(spec(run_id, tmp_path / "log", tmp_path / "out"))
    assert (summary["rows"], summary["requests"]) == (200, 10)
    assert summary["drifted"] == ["x"] and "colour" not in summary["drifted"]
    assert json.loads((tmp_path / "out" / "report.json").read_text())["drifted"] == ["x"]
    assert "<svg" in (tmp_path / "out" / "report.html").read_text()
    verdict = judge(BreachRule(min_rows=100), summary["rows"], summary["drifted"], None)
    assert verdict.status == "breach" and "x" in verdict.message


def test_an_empty_window_is_too_few_rows_not_a_crash(run_id: str, tmp_path: Path) -> None:
    (tmp_path / "log").mkdir()
    summary = check(spec(run_id, tmp_path / "log", tmp_path / "out"))
    assert (summary["rows"], summary["drifted"]) == (0, [])
    assert judge(BreachRule(), summary["rows"], summary["drifted"], None).status == "too few rows"


def test_edge_data_gives_defined_issues(run_id: str, tmp_path: Path) -> None:
    # x all missing, colour with categories never seen, and a column the model never had.
    frames = [
        pd.DataFrame({"x": [np.nan] * 20, "colour": ["green"] * 20, "extra": list(range(20))})
        for _ in range(6)
    ]
    traffic(tmp_path / "log", frames)
    summary = check(spec(run_id, tmp_path / "log", tmp_path / "out"))
    kinds = {(i["column"], i["kind"]) for i in summary["issues"]}
    assert {
        ("extra", "column_added"),
        ("x", "missing_values"),
        ("colour", "new_categories"),
    } <= kinds, kinds
    assert summary["rows"] == 120


def test_the_command_fails_with_one_line(run_id: str, tmp_path: Path) -> None:
    bad = spec(run_id, tmp_path / "log", tmp_path / "out") | {"reference": "holdout"}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(bad))
    done = subprocess.run(
        [sys.executable, "-m", "scalelab.monitoring.check", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("MissingReference: ")
    assert "holdout" in done.stderr and not (tmp_path / "out" / "report.json").exists()
