"""The `dask` trial pool: each worker is one task on a Dask cluster.

The scheduler is `dask://host:port` (the executor name) or $SCALELAB_DASK_SCHEDULER (any Dask
address: tcp://, tls://, ...). Dask workers need scalelab installed and must reach the study's
storage (PostgreSQL, or a SQLite file on a shared disk). A task whose Dask worker dies is
rescheduled by Dask itself; the trial it was running goes stale and is retried.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING

from .job import WorkerJob
from .pools import WorkerOutcome
from .worker import run_worker

if TYPE_CHECKING:
    from distributed import Future

SCHEDULER_ENV = "SCALELAB_DASK_SCHEDULER"


class DaskWorker:
    def __init__(self, future: Future) -> None:
        self._future = future

    def outcome(self) -> WorkerOutcome | None:
        from distributed import KilledWorker

        if not self._future.done():
            return None
        if self._future.status == "finished":
            return WorkerOutcome("finished", notes=tuple(self._future.result()))
        if self._future.status == "cancelled":
            return WorkerOutcome("died", "task cancelled")
        exc = self._future.exception()
        if isinstance(exc, KilledWorker):
            return WorkerOutcome("died", str(exc))
        assert exc is not None
        return WorkerOutcome.of_exception(exc.with_traceback(self._future.traceback()))

    def stop(self) -> None:
        # Dask cannot interrupt a running task: one that started works on until the study is
        # full. Cancelling drops a task that has not started yet.
        self._future.cancel()


class DaskTrialPool:
    name = "dask"

    def __init__(self, address: str | None = None) -> None:
        from distributed import Client

        address = f"tcp://{address}" if address else os.environ.get(SCHEDULER_ENV, "").strip()
        if not address:
            raise ValueError(
                f"the dask trial pool needs a scheduler: set ${SCHEDULER_ENV} "
                "or pass executor='dask://host:port'"
            )
        self._client = Client(address, set_as_default=False, timeout="30s")

    def start(self, job: WorkerJob) -> DaskWorker:
        key = f"scalelab-trial-worker-{job.study_name}-{uuid.uuid4().hex[:8]}"
        return DaskWorker(self._client.submit(run_worker, job, key=key, pure=False))

    def close(self) -> None:
        self._client.close()
