"""Run steps on a Dask cluster: any scheduler address, or a LocalCluster started here.

The executor keeps the record and the order of steps; each step is one Dask task that starts
its own kernel on a worker, runs the notebook there and writes the output notebook. Workers must
see the same files (the project's folder and the run folder), as on one machine or a shared
volume. Cancelling or timing out a step kills its kernel on whichever worker holds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shutil
import signal
import tempfile
import uuid
from pathlib import Path
from typing import Any

from traitlets import Integer, Unicode

from .engine import StepOutcome, execute_notebook, prepare_notebook
from .executor import StepExecutor
from .kernels import start_kernel
from .plan import Plan, PlannedStep
from .records import Run

_RUNNING: dict[str, int] = {}  # in each worker process: task key -> pid of its kernel


def execute_step_job(
    key: str,
    notebook: str,
    parameters: dict[str, Any],
    output: str,
    workdir: str,
    kernel_name: str,
    cell_timeout: float | None,
    env: dict[str, str],
) -> dict[str, Any]:
    """The Dask task: one step, in a kernel of its own on this worker."""

    async def main() -> dict[str, Any]:
        kernel = await start_kernel(kernel_name, None)
        _RUNNING[key] = kernel.manager.provisioner.pid
        try:
            await kernel.prepare(workdir, env)
            nb = prepare_notebook(Path(notebook), parameters)
            outcome = await execute_notebook(nb, Path(output), kernel, cell_timeout=cell_timeout)
        finally:
            _RUNNING.pop(key, None)
            await kernel.shutdown()
        return dataclasses.asdict(outcome)

    return asyncio.run(main())


def kill_job(key: str) -> bool:
    """Run on every worker: kill the kernel of task `key` if it is here."""
    pid = _RUNNING.get(key)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    return True


class DaskExecutor(StepExecutor):
    """Steps as Dask tasks; the rest (waves, retries, reuse, records) as the local executor.

    No kernel starts in this process: each task starts its own on the worker that runs it.
    """

    name = "dask"

    scheduler_address = Unicode(
        "", help="Address of the Dask scheduler (tcp://host:8786); empty: a LocalCluster here."
    ).tag(config=True)
    local_workers = Integer(2, help="Workers of the LocalCluster, when no scheduler is given.").tag(
        config=True
    )

    _client: Any = None
    _cluster: Any = None
    _scratch = ""

    async def client(self) -> Any:
        if self._client is None:
            from distributed import Client, LocalCluster

            address: Any = self.scheduler_address
            if not address:
                import dask

                self._scratch = tempfile.mkdtemp(prefix="scalelab-dask-")
                dask.config.set({"temporary-directory": self._scratch})
                self._cluster = await LocalCluster(
                    n_workers=self.local_workers,
                    threads_per_worker=1,
                    processes=True,
                    asynchronous=True,
                    dashboard_address=None,
                    local_directory=self._scratch,
                )
                address = self._cluster
            self._client = await Client(address, asynchronous=True)
        return self._client

    async def _attempt(self, step: PlannedStep, plan: Plan, output: Path, run: Run) -> StepOutcome:
        client = await self.client()
        key = f"scalelab-{run.id}-{step.name}-{uuid.uuid4().hex[:8]}"
        env = self.step_environment(run, step, plan)
        future = client.submit(
            execute_step_job,
            key,
            str(plan.workdir / step.notebook),
            step.parameters,
            str(output),
            str(plan.workdir),
            step.kernel,
            step.cell_timeout,
            env,
            key=key,
            pure=False,
        )
        timeout = self.step_timeout if plan.step_timeout is None else plan.step_timeout
        try:
            result = await asyncio.wait_for(future, timeout or None)
        except TimeoutError:
            await client.run(kill_job, key)
            return StepOutcome("failed", f"step ran longer than {timeout:g}s")
        except asyncio.CancelledError:
            await client.run(kill_job, key)
            raise
        return StepOutcome(**result)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        if self._cluster is not None:
            await self._cluster.close()
            shutil.rmtree(self._scratch, ignore_errors=True)
