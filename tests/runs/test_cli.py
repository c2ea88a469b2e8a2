"""`scalelab run` as CI uses it: exit codes, one-line reasons, progress, JUnit, the example."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

from tests.runs.conftest import copy_example, write_notebook

REPO = Path(__file__).resolve().parents[2]
SCALELAB = [sys.executable, "-m", "scalelab.cli"]


def scalelab_run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SCALELAB, "run", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CI": "true"},
    )


def test_the_example_pipeline_runs_in_ci(tmp_path: Path) -> None:
    project = copy_example(tmp_path / "example")
    r = scalelab_run(project, "pipeline.yaml", "-p", "n_estimators=10", "--junit", "junit.xml")
    assert r.returncode == 0, r.stderr
    assert "succeeded: 4 step(s)" in r.stdout
    assert "4/4 evaluate: succeeded" in r.stderr  # progress as it goes
    metrics = json.loads((project / "reports" / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.8
    suite = ElementTree.parse(project / "junit.xml").getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("4", "0")
    record = json.loads(next((project / ".scalelab-runs").glob("*/run.json")).read_text())
    assert record["trigger"] == "ci"
    assert record["parameters"]["n_estimators"] == 10
    assert record["steps"][2]["parameters"]["n_estimators"] == 10


def test_a_failed_step_exits_1_with_one_line_and_junit_failure(tmp_path: Path) -> None:
    write_notebook(tmp_path / "nb.ipynb", "limit = 1", "assert limit > 5, 'limit too small'")
    r = scalelab_run(tmp_path, "nb.ipynb", "--junit", "out/junit.xml")
    assert r.returncode == 1
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("scalelab run: run ") and "AssertionError: limit too small" in last
    failure = ElementTree.parse(tmp_path / "out" / "junit.xml").getroot().find(".//failure")
    assert failure is not None and "limit too small" in failure.get("message", "")
    assert scalelab_run(tmp_path, "nb.ipynb", "-p", "limit=9").returncode == 0


def test_bad_input_exits_2_with_one_line_and_runs_nothing(tmp_path: Path) -> None:
    write_notebook(tmp_path / "nb.ipynb", "limit = 1", "print(limit)")
    (tmp_path / "cycle.yaml").write_text(
        "name: c\nsteps:\n  - {name: a, notebook: nb.ipynb, needs: [b]}\n"
        "  - {name: b, notebook: nb.ipynb, needs: [a]}\n"
    )
    cases = {
        ("nb.ipynb", "-p", "limit=ten"): "parameter 'limit' expects int",
        ("nb.ipynb", "-p", "nope=1"): "unknown parameter 'nope'",
        ("nb.ipynb", "-p", "limit"): "expected name=value",
        ("missing.ipynb",): "'missing.ipynb' not found",
        ("cycle.yaml",): "cycle",
        ("../outside.ipynb",): "may not contain '..'",
    }
    for args, fragment in cases.items():
        r = scalelab_run(tmp_path, *args)
        assert r.returncode == 2, (args, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and fragment in lines[0], (args, r.stderr)
    assert not (tmp_path / ".scalelab-runs").exists()


def test_executors_are_chosen_by_their_registered_names(tmp_path: Path) -> None:
    usage = subprocess.run(
        [*SCALELAB, "run", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    assert "dask, local" in " ".join(usage.split())
    write_notebook(tmp_path / "nb.ipynb", "n = 1", "print(n)")
    r = scalelab_run(tmp_path, "nb.ipynb", "--executor", "nope")
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown executor 'nope'" in lines[0] and "dask, local" in lines[0]
    assert not (tmp_path / ".scalelab-runs").exists()
