"""The example project's notebooks pass nbval: re-run, their saved outputs still match."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.runs.conftest import copy_example

REPO = Path(__file__).resolve().parents[2]


def test_example_notebooks_pass_nbval(tmp_path: Path) -> None:
    # In a copy: running the notebooks writes data/, models/ and reports/ beside them.
    copy = copy_example(tmp_path / "notebooks")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", "-q", str(copy)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-3000:]
    assert " passed" in r.stdout
