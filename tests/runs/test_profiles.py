"""A pipeline's output data sets, profiled when a step that writes them succeeds and kept with
the run: what data-set monitors compare; reused steps keep their profiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalelab.errors import InvalidInput
from scalelab.monitoring import Profile
from scalelab.runs.pipeline import load_pipeline
from tests.runs.conftest import write_notebook
from tests.runs.test_engine import run

WRITE = (
    "import os, numpy as np, pandas as pd\n"
    "os.makedirs('data', exist_ok=True)\n"
    "rng = np.random.default_rng(0)\n"
    "pd.DataFrame({'x': rng.normal(shift, 1, rows), 'kind': ['a', 'b'] * (rows // 2)})"
    ".to_csv('data/out.csv', index=False)\n"
    "open('data/notes.txt', 'w').write('not data')"
)
PIPELINE = """name: make
parameters: {shift: 0.0}
steps:
  - name: make
    notebook: make.ipynb
    parameters: {shift: "{{ params.shift }}"}
    outputs: [data/out.csv, data/notes.txt]
    profile: [data/out.csv]
"""


def test_a_step_s_declared_outputs_are_profiled_with_the_run(tmp_path: Path) -> None:
    write_notebook(tmp_path / "make.ipynb", "shift = 0.0\nrows = 1000", WRITE)
    (tmp_path / "pipeline.yaml").write_text(PIPELINE)
    record = run(tmp_path, "pipeline.yaml", {"shift": 3.0})
    assert record.status == "succeeded", record.error
    step = record.step("make")
    assert step.profiles == {"data/out.csv": "profiles/data__out.csv.whylogs"}
    found = Profile.read(tmp_path / "runs" / record.id / step.profiles["data/out.csv"])
    assert found.rows == 1000 and set(found.columns) == {"x", "kind"}
    distribution = found.columns["x"].distribution
    assert distribution is not None and distribution.mean == pytest.approx(3.0, abs=0.2)

    # The same step again, reused: its profile comes along.
    again = run(tmp_path, "pipeline.yaml", {"shift": 3.0})
    assert again.step("make").reused_from == record.id
    assert (tmp_path / "runs" / again.id / "profiles" / "data__out.csv.whylogs").is_file()


def test_what_cannot_be_profiled_is_told_and_the_run_stands(tmp_path: Path) -> None:
    write_notebook(tmp_path / "make.ipynb", "shift = 0.0\nrows = 10", WRITE)
    (tmp_path / "pipeline.yaml").write_text(
        PIPELINE.replace("profile: [data/out.csv]", "profile: [data/notes.txt]")
    )
    record = run(tmp_path, "pipeline.yaml")
    assert record.status == "succeeded" and record.step("make").profiles == {}


def test_an_output_linked_out_of_the_project_is_not_profiled(tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("password\nhunter2\n")
    project = tmp_path / "project"
    link = "import os\nos.makedirs('data', exist_ok=True)\nos.symlink(secret, 'data/out.csv')"
    write_notebook(project / "make.ipynb", f"shift = 0.0\nsecret = {str(secret)!r}", link)
    (project / "pipeline.yaml").write_text(PIPELINE.replace(", data/notes.txt", ""))
    record = run(project, "pipeline.yaml")
    assert record.status == "succeeded" and record.step("make").profiles == {}
    assert not (project / "runs" / record.id / "profiles").exists() or not any(
        (project / "runs" / record.id / "profiles").iterdir()
    )


def test_only_outputs_may_be_profiled(tmp_path: Path) -> None:
    write_notebook(tmp_path / "make.ipynb", "shift = 0.0")
    (tmp_path / "pipeline.yaml").write_text(
        PIPELINE.replace("profile: [data/out.csv]", "profile: [data/other.csv]")
    )
    with pytest.raises(InvalidInput, match=r"data/other\.csv, not among its outputs"):
        load_pipeline(tmp_path / "pipeline.yaml")
