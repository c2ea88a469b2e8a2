"""Runs through the local executor: real kernels, forked from the fork server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import tempfile
from pathlib import Path

import nbformat
import pytest

from scalelab.runs.executor import LocalExecutor, new_record
from scalelab.runs.plan import make_plan
from scalelab.runs.records import Run, RunFolder
from tests.runs.conftest import outputs_text, write_notebook
from tests.waiting import wait_until


def run(workdir: Path, target: str, params: dict | None = None, **options) -> Run:
    async def go() -> Run:
        plan = make_plan(workdir, target, params or {})
        executor = LocalExecutor(RunFolder(workdir / "runs"), **options)
        try:
            return await executor.process(new_record(plan), plan)
        finally:
            await executor.close()

    return asyncio.run(go())


def output_of(workdir: Path, record: Run, step: str | None = None):
    s = record.step(step) if step else record.steps[0]
    return nbformat.read(workdir / "runs" / record.id / s.output, as_version=4)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_parameters_reach_the_kernel_and_the_output_is_kept_read_only(tmp_path: Path) -> None:
    write_notebook(tmp_path / "nb.ipynb", "n = 1\nlabel = 'x'", "print(n * 2, label)")
    record = run(tmp_path, "nb.ipynb", {"n": 21, "label": "ok"})
    assert record.status == "succeeded", record.error
    out = output_of(tmp_path, record)
    assert "42 ok" in outputs_text(out)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in out.cells)
    path = tmp_path / "runs" / record.id / record.steps[0].output
    assert not os.access(path, os.W_OK) or os.geteuid() == 0
    assert oct(path.stat().st_mode & 0o777) == oct(0o444)
    assert record.steps[0].lineage.notebook and record.environment["packages"]["papermill"]


@pytest.mark.parametrize(
    "value",
    [
        '"; import pathlib; pathlib.Path("pwned").touch(); "',
        "'''\nimport pathlib; pathlib.Path('pwned').touch()\n'''",
        "\\\"\\n__import__('pathlib').Path('pwned').touch()#",
        "{{ 7 * 7 }}",
    ],
)
def test_values_are_data_never_code(tmp_path: Path, value: str) -> None:
    write_notebook(tmp_path / "nb.ipynb", "text = ''", "print(repr(text))")
    record = run(tmp_path, "nb.ipynb", {"text": value})
    assert record.status == "succeeded", record.error
    assert repr(value) in outputs_text(output_of(tmp_path, record))
    assert not (tmp_path / "pwned").exists()


def test_a_failing_step_keeps_its_partial_output_with_the_cell_marked(tmp_path: Path) -> None:
    write_notebook(tmp_path / "nb.ipynb", "n = 1", "print('before')", "1 / 0", "print('after')")
    record = run(tmp_path, "nb.ipynb")
    step = record.steps[0]
    assert (record.status, step.status) == ("failed", "failed")
    assert "ZeroDivisionError" in step.error
    out = output_of(tmp_path, record)
    assert "before" in outputs_text(out) and "after" not in outputs_text(out)
    assert "Step failed at cell" in out.cells[0].source
    assert any(c.metadata.get("scalelab", {}).get("status") == "failed" for c in out.cells)


def test_kernels_never_share_state(tmp_path: Path) -> None:
    write_notebook(tmp_path / "a.ipynb", "n = 1", "import os; leaked = 1; print(os.getpid())")
    write_notebook(tmp_path / "b.ipynb", "n = 1", "import os; print('leaked' in globals())")
    first = run(tmp_path, "a.ipynb")
    second = run(tmp_path, "b.ipynb")
    assert "False" in outputs_text(output_of(tmp_path, second))
    assert first.status == second.status == "succeeded"


def test_a_step_timeout_kills_the_kernel(tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "nb.ipynb",
        "n = 1",
        "import os, pathlib; pathlib.Path('pid').write_text(str(os.getpid()))",
        "import time; time.sleep(60)",
    )
    record = run(tmp_path, "nb.ipynb", step_timeout=3)
    assert record.steps[0].status == "failed"
    assert "longer than 3s" in record.steps[0].error
    pid = int((tmp_path / "pid").read_text())
    wait_until(lambda: not pid_alive(pid), 5, 0.05, f"kernel {pid} outlived its step")


def test_cancelling_a_run_kills_its_kernel_and_says_cancelled(tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "nb.ipynb",
        "n = 1",
        "import os, pathlib; pathlib.Path('pid').write_text(str(os.getpid()))",
        "import time; time.sleep(60)",
    )
    store = RunFolder(tmp_path / "runs")

    async def go() -> Run:
        plan = make_plan(tmp_path, "nb.ipynb", {})
        record = new_record(plan)
        executor = LocalExecutor(store)
        task = asyncio.ensure_future(executor.process(record, plan))
        while not (tmp_path / "pid").exists():
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await executor.close()
        return record

    record = asyncio.run(go())
    saved = store.load(record.id)
    assert saved.status == "cancelled" and saved.steps[0].status == "cancelled"
    assert not pid_alive(int((tmp_path / "pid").read_text()))


def test_a_killed_kernel_fails_the_step_and_nothing_stays_running(tmp_path: Path) -> None:
    write_notebook(tmp_path / "nb.ipynb", "n = 1", "import os, signal; os.kill(os.getpid(), 9)")
    record = run(tmp_path, "nb.ipynb")
    assert record.status == "failed"
    assert "kernel died" in record.steps[0].error
    assert all(s.status not in ("running", "queued") for s in record.steps)


def test_retries_back_off_and_then_succeed(tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "flaky.ipynb",
        "n = 1",
        "import pathlib\nmark = pathlib.Path('tried')\n"
        "if not mark.exists():\n    mark.touch()\n    raise RuntimeError('first try fails')",
    )
    record = run(tmp_path, "flaky.ipynb", retries=2, retry_backoff=0.2)
    assert record.status == "succeeded", record.error
    assert record.steps[0].attempts == 2


PIPELINE = """\
name: waves
parameters: {scale: 2}
steps:
  - {name: make, notebook: make.ipynb, parameters: {scale: "{{ params.scale }}"},
     outputs: [data.json]}
  - {name: left, notebook: slow.ipynb, needs: [make], inputs: [data.json]}
  - {name: right, notebook: slow.ipynb, needs: [make], inputs: [data.json]}
  - {name: join, notebook: join.ipynb, needs: [left, right]}
"""


def make_pipeline(tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "make.ipynb",
        "scale = 1",
        "import json; json.dump({'v': 21 * scale}, open('data.json', 'w'))",
    )
    write_notebook(tmp_path / "slow.ipynb", "n = 1", "import time; time.sleep(1.5)")
    write_notebook(
        tmp_path / "join.ipynb", "n = 1", "import json; print(json.load(open('data.json'))['v'])"
    )
    (tmp_path / "pipeline.yaml").write_text(PIPELINE)


def test_pipeline_runs_independent_steps_in_parallel(tmp_path: Path) -> None:
    make_pipeline(tmp_path)
    record = run(tmp_path, "pipeline.yaml")
    assert record.status == "succeeded", record.error
    left, right = record.step("left"), record.step("right")
    assert left.started_at < right.finished_at and right.started_at < left.finished_at
    assert "42" in outputs_text(output_of(tmp_path, record, "join"))
    assert record.step("make").lineage.outputs["data.json"]
    assert (
        record.step("left").lineage.inputs["data.json"]
        == (record.step("make").lineage.outputs["data.json"])
    )


def test_unchanged_steps_are_reused_unless_asked_fresh(tmp_path: Path) -> None:
    make_pipeline(tmp_path)
    first = run(tmp_path, "pipeline.yaml")
    again = run(tmp_path, "pipeline.yaml")
    assert all(s.reused_from == first.id for s in again.steps)
    assert again.status == "succeeded"
    changed = run(tmp_path, "pipeline.yaml", {"scale": 3})
    assert changed.step("make").reused_from is None
    assert "63" in outputs_text(output_of(tmp_path, changed, "join"))
    fresh = run(tmp_path, "pipeline.yaml", {"scale": 3}, fresh=True)
    assert all(s.reused_from is None and s.status == "succeeded" for s in fresh.steps)


def test_a_failed_step_stops_what_needs_it(tmp_path: Path) -> None:
    make_pipeline(tmp_path)
    write_notebook(tmp_path / "slow.ipynb", "n = 1", "raise ValueError('bad data')")
    record = run(tmp_path, "pipeline.yaml")
    assert record.status == "failed"
    assert record.step("left").status == record.step("right").status == "failed"
    assert record.step("join").status == "skipped"
    assert "not run" in record.step("join").error
    saved = json.loads((tmp_path / "runs" / record.id / "run.json").read_text())
    assert saved["status"] == "failed"


def test_running_a_step_leaves_the_processs_signal_handlers_alone(tmp_path: Path) -> None:
    """The service stops cleanly on SIGTERM: executing a notebook must not take that over."""
    write_notebook(tmp_path / "nb.ipynb", "n = 1", "print(n)")
    ours = lambda *_: None  # noqa: E731
    previous = {sig: signal.signal(sig, ours) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        assert run(tmp_path, "nb.ipynb").status == "succeeded"
        assert signal.getsignal(signal.SIGTERM) is ours
        assert signal.getsignal(signal.SIGINT) is ours
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def test_kernels_leave_no_files_in_the_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    # Left by a process that was killed (no process has this id): swept by the next.
    stale = temp / "scalelab-kernels-999999999-x"
    stale.mkdir()
    (stale / "kernel-1.json").write_text("{}")
    write_notebook(tmp_path / "nb.ipynb", "n = 1", "print(n)")
    assert run(tmp_path, "nb.ipynb").status == "succeeded"
    assert sorted(p.name for p in temp.iterdir()) == []
