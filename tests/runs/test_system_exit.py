"""A notebook that stops itself: a clean exit succeeds, as in papermill; any other exit fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runs.conftest import outputs_text, write_notebook
from tests.runs.test_engine import output_of, run


@pytest.mark.parametrize("stop", ["sys.exit(0)", "raise SystemExit", "sys.exit()"])
def test_a_clean_exit_ends_the_step_as_succeeded(tmp_path: Path, stop: str) -> None:
    write_notebook(
        tmp_path / "nb.ipynb",
        "n = 1",
        "import sys\nprint('before')",
        f"if n:\n    {stop}",
        "print('after')",
    )
    record = run(tmp_path, "nb.ipynb")
    step = record.steps[0]
    assert (record.status, step.status) == ("succeeded", "succeeded"), record.error
    assert step.error is None and step.failed_cell is None
    out = output_of(tmp_path, record)
    text = outputs_text(out)
    assert "before" in text and "after" not in text  # the cells after the exit do not run
    assert not any("scalelab-error" in c.metadata.get("tags", []) for c in out.cells)


@pytest.mark.parametrize(
    ("stop", "reason"), [("sys.exit(1)", "SystemExit: 1"), ("sys.exit('no data')", "no data")]
)
def test_any_other_exit_fails_the_step(tmp_path: Path, stop: str, reason: str) -> None:
    write_notebook(tmp_path / "nb.ipynb", "n = 1", "import sys", stop, "print('after')")
    record = run(tmp_path, "nb.ipynb")
    step = record.steps[0]
    assert (record.status, step.status) == ("failed", "failed")
    assert reason in step.error
    out = output_of(tmp_path, record)
    assert "after" not in outputs_text(out)
    assert "Step failed at cell" in out.cells[0].source
