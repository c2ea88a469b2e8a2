"""The `local` trial pool: worker processes on this machine, started with `spawn`.

`spawn` rather than `fork`: the main process is often a Jupyter kernel with threads (ZMQ,
heartbeats) that a fork would copy mid-state. The objective reaches the child pickled by value
inside the job, so functions defined in a notebook work.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from .job import WorkerJob
from .pools import WorkerOutcome
from .worker import run_worker


class LocalWorker:
    def __init__(self, process: BaseProcess, reports: Connection) -> None:
        self._process = process
        self._reports = reports
        self._report: WorkerOutcome | None = None

    def _read_report(self) -> None:
        # Read as soon as it is there: a report larger than the pipe's buffer would otherwise
        # keep the child from exiting.
        if self._report is not None or self._reports.closed:
            return
        try:
            if self._reports.poll():
                self._report = self._reports.recv()
        except (EOFError, OSError):  # the child ended without a word
            self._reports.close()

    def outcome(self) -> WorkerOutcome | None:
        self._read_report()
        code = self._process.exitcode
        if code is None:
            return None
        if self._report is not None:
            return self._report
        if code < 0:
            return WorkerOutcome("died", f"killed by {signal.Signals(-code).name}")
        return WorkerOutcome("died", f"exited with code {code}")

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
        self._process.join()
        self._reports.close()


class LocalTrialPool:
    name = "local"

    def __init__(self, address: str | None = None) -> None:
        if address:
            raise ValueError(f"the local trial pool takes no address (got {address!r})")
        self._context = multiprocessing.get_context("spawn")

    def start(self, job: WorkerJob) -> LocalWorker:
        reports, child_end = self._context.Pipe(duplex=False)
        process = self._context.Process(
            target=_child_main, args=(job, child_end, os.getpid()), name="scalelab-trial-worker"
        )
        process.start()
        child_end.close()
        return LocalWorker(process, reports)

    def close(self) -> None:
        pass


def _child_main(job: WorkerJob, reports: Connection, parent: int) -> None:
    _exit_with_parent(parent)
    try:
        notes = run_worker(job)
    except BaseException as exc:
        reports.send(WorkerOutcome.of_exception(exc))
        raise SystemExit(1) from None
    reports.send(WorkerOutcome("finished", notes=tuple(notes)))


def _exit_with_parent(parent: int) -> None:
    """End this process when `parent` is gone, however it ended (a restarted kernel is
    SIGKILLed). Its running trial then goes stale and is retried by whoever resumes."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="scalelab-parent-watch", daemon=True).start()
