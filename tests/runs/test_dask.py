"""The Dask executor against a real LocalCluster (worker processes, a scheduler over TCP)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scalelab.runs.dask import DaskExecutor
from scalelab.runs.executor import new_record
from scalelab.runs.plan import make_plan
from scalelab.runs.records import Run, RunFolder
from tests.runs.conftest import outputs_text, write_notebook
from tests.runs.test_engine import make_pipeline, output_of
from tests.waiting import wait_until


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import dask
    from distributed import LocalCluster

    scratch = str(tmp_path_factory.mktemp("dask"))
    with dask.config.set({"temporary-directory": scratch}):  # not /tmp/dask-scratch-space
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            local_directory=scratch,
        )
        try:
            yield cluster.scheduler_address
        finally:
            cluster.close()


def run(workdir: Path, target: str, scheduler: str, **options) -> Run:
    async def go() -> Run:
        plan = make_plan(workdir, target, {})
        executor = DaskExecutor(RunFolder(workdir / "runs"), scheduler_address=scheduler, **options)
        try:
            return await executor.process(new_record(plan), plan)
        finally:
            await executor.close()

    return asyncio.run(go())


def test_a_pipeline_runs_on_dask_workers(tmp_path: Path, scheduler: str) -> None:
    make_pipeline(tmp_path)
    record = run(tmp_path, "pipeline.yaml", scheduler)
    assert record.status == "succeeded", record.error
    assert record.executor == "dask"
    assert "42" in outputs_text(output_of(tmp_path, record, "join"))
    left, right = record.step("left"), record.step("right")
    assert left.started_at < right.finished_at and right.started_at < left.finished_at


def test_a_dask_step_timeout_kills_its_kernel(tmp_path: Path, scheduler: str) -> None:
    write_notebook(
        tmp_path / "nb.ipynb",
        "n = 1",
        "import os, pathlib; pathlib.Path('pid').write_text(str(os.getpid()))",
        "import time; time.sleep(120)",
    )
    record = run(tmp_path, "nb.ipynb", scheduler, step_timeout=5)
    assert record.steps[0].status == "failed" and "longer than 5s" in record.steps[0].error
    pid = int((tmp_path / "pid").read_text())
    wait_until(
        lambda: not Path(f"/proc/{pid}").exists(), 10, 0.1, f"kernel {pid} outlived its step"
    )


def test_scalelab_run_with_the_dask_executor(tmp_path: Path, scheduler: str) -> None:
    write_notebook(tmp_path / "nb.ipynb", "n = 1", "print(n * 3)")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "scalelab.cli",
            "run",
            "nb.ipynb",
            "-p",
            "n=5",
            "--executor",
            "dask",
            "--dask-scheduler",
            scheduler,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
    )
    assert r.returncode == 0, r.stderr
    out = next((tmp_path / ".scalelab-runs").glob("*/nb.ipynb")).read_text()
    assert "15" in out


def test_the_service_config_chooses_dask_by_name(tmp_path: Path, scheduler: str) -> None:
    from scalelab.service.app import ScaleLab

    config = tmp_path / "scalelab_config.py"
    config.write_text(
        f'c.ScaleLab.executor_class = "dask"\nc.DaskExecutor.scheduler_address = "{scheduler}"\n'
    )
    ScaleLab.clear_instance()
    app = ScaleLab()
    app.initialize([f"--config={config}", f"--data-root={tmp_path / 'data'}"])
    try:
        assert isinstance(app.runs.executor, DaskExecutor)
        write_notebook(tmp_path / "nb.ipynb", "n = 1", "print(n * 7)")
        plan = make_plan(tmp_path, "nb.ipynb", {"n": 6})

        async def go() -> Run:
            try:
                store = RunFolder(tmp_path / "runs")
                return await app.runs.executor.process(new_record(plan), plan, store)
            finally:
                await app.runs.executor.close()

        record = asyncio.run(go())
        assert record.status == "succeeded", record.error
        assert record.executor == "dask"
        assert "42" in outputs_text(output_of(tmp_path, record))
    finally:
        app.store.dispose()
        ScaleLab.clear_instance()


def test_the_dask_executor_starts_no_local_kernel(
    tmp_path: Path, scheduler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Steps start their kernels on the workers (other processes): none may start here.
    from scalelab.runs import kernels

    started: list[str] = []

    def refuse(what: str):  # type: ignore[no-untyped-def]
        def called(*args: object, **kwargs: object) -> None:
            started.append(what)
            raise RuntimeError(f"a {what} was started in the executor's process")

        return called

    monkeypatch.setattr(kernels, "start_kernel", refuse("kernel"))
    monkeypatch.setattr(kernels, "ForkServer", refuse("fork server"))
    monkeypatch.setattr(kernels.KernelPool, "__init__", refuse("kernel pool"))
    make_pipeline(tmp_path)
    record = run(tmp_path, "pipeline.yaml", scheduler, max_parallel=2)
    assert record.status == "succeeded", record.error
    assert started == []
